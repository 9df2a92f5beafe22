#include "planfix_flow/app/demo.h"

#include <gtest/gtest.h>

#include <sstream>

namespace planfix_flow::app {
namespace {

TEST(Demo, RunsTheStoryOnTheSandboxAndObservesEveryEffect) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunDemo(out, err), 0) << out.str() << err.str();
  const std::string transcript = out.str();
  // The three stories: filled the same day, reminded after the weekend, bound by deep link
  // and recovered by reconciliation.
  EXPECT_NE(transcript.find("POST /webhooks/planfix {\"event\":\"brief.send\""), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("out: Telegram → Олена: Добрий день, Олена Коваль!"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("[01.12.2026 14:00] out: Telegram → Петро: На жаль"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("t.me/sandbox_agency_bot?start="), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("out: Telegram → staff chat: Бриф заповнено Клієнт Андрій Бондар"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("out: Planfix POST /rest/contact/"), std::string::npos) << transcript;
  // The deal: refused by sales data, handed over, refused by the gate, then started.
  EXPECT_NE(transcript.find("не передано у виробництво, бо бракує: сума"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("(new task)"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("Роботу ще не можна починати"), std::string::npos) << transcript;
  EXPECT_NE(
      transcript.find("out: Telegram → Олена: Оновлення щодо «Угода: сайт і реклама»: Дизайн."),
      std::string::npos)
      << transcript;
  // Communication time: the loss-making deal is announced and tops the report.
  EXPECT_NE(transcript.find("out: Telegram → staff chat: Комунікація дорожча за межу"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("$ planfix-flow report time --month 2026-11"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("every expected effect was observed"), std::string::npos);
}

}  // namespace
}  // namespace planfix_flow::app
