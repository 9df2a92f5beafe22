#include "planfix_flow/app/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "google/google_test_support.h"
#include "planfix_flow/app/sandbox_world.h"

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
  // Report & payment: the run, the invoices in Telegram, the bank, the manual match, the
  // reminder after the weekend.
  EXPECT_NE(transcript.find("Звіт і оплата грудень 2026"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("out: Telegram → Олена: Олена Коваль, вітаємо! Надсилаємо звіт"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("out: Telegram → Олена: document «Звіт грудень 2026.pdf»"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("out: Telegram → staff chat: Платіж без рахунку: 12500.00 UAH"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("$ planfix-flow payments match payment:monobank:mono-demo-2"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("[04.01.2027 09:00] out: Telegram → Андрій: Андрій Бондар, вітаємо! "
                            "Нагадуємо про рахунок №INV-2026-12-03"),
            std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("out: Telegram → staff chat: Рахунок не сплачено"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("every expected effect was observed"), std::string::npos);
}

// The report & payment section on a world the test holds, so the outcomes are read from the
// fakes themselves.
TEST(Demo, TheReportAndPaymentSectionLeavesTasksMessagesAndPaidFieldsInTheFakes) {
  google_test::TempDir dir;
  // Wednesday 2026-12-02 12:00 in Kyiv, about where the story's clock is by then.
  core::FakeClock clock(core::FromUnixSeconds(1'796'205'600));
  SandboxWorld world(clock, dir.path());
  std::ostringstream out;
  std::ostringstream err;
  std::vector<MoneyDemoClient> clients;
  ASSERT_TRUE(RunMoneyDemo(clock, world, out, err, &clients)) << out.str() << err.str();
  ASSERT_EQ(clients.size(), 3u);

  // One report task per retainer client, from the report template, for its contact.
  std::vector<nlohmann::json> creates;
  for (const auto& write : world.planfix.writes()) {
    if (write.path == "/rest/task/" && write.status == 201) creates.push_back(write.body);
  }
  ASSERT_EQ(creates.size(), 3u);
  for (const auto& body : creates) EXPECT_EQ(body["template"]["id"], 402);

  const auto bot_texts = [&](std::int64_t chat) {
    std::vector<std::string> texts;
    for (const auto& message : world.telegram.Messages(chat)) {
      if (message.from_bot && message.document.empty()) texts.push_back(message.text);
    }
    return texts;
  };
  // Each client got the report PDF the PM attached, once, after the message.
  for (const auto& client : clients) {
    const auto messages = world.telegram.Messages(client.chat);
    const auto documents =
        std::count_if(messages.begin(), messages.end(), [](const sandbox::FakeMessage& message) {
          return message.document_name == "Звіт грудень 2026.pdf" &&
                 message.document.rfind("%PDF-", 0) == 0;
        });
    EXPECT_EQ(documents, 1);
  }
  const auto& paid = world.config.invoices.fields.paid;
  const auto& paid_amount = world.config.invoices.fields.paid_amount;
  // Олена: report and invoice, then the thanks; paid in Planfix by the bank transfer.
  auto olena = bot_texts(clients[0].chat);
  ASSERT_EQ(olena.size(), 2u);
  EXPECT_NE(olena[0].find("Рахунок №INV-2026-12-01"), std::string::npos) << olena[0];
  EXPECT_NE(olena[1].find("Ми отримали оплату 15000.00 UAH"), std::string::npos) << olena[1];
  auto task = world.planfix.task(clients[0].report_task);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->custom_fields.at(paid), nlohmann::json(true));
  EXPECT_EQ(task->custom_fields.at(paid_amount), nlohmann::json(15000));
  EXPECT_EQ(task->status_id, world.config.invoices.statuses.paid);
  // Петро: the odd amount, matched by hand, paid (12 500 of 12 000) and thanked.
  auto petro = bot_texts(clients[1].chat);
  ASSERT_EQ(petro.size(), 2u);
  EXPECT_NE(petro[1].find("Ми отримали оплату 12500.00 UAH"), std::string::npos) << petro[1];
  task = world.planfix.task(clients[1].report_task);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->custom_fields.at(paid), nlohmann::json(true));
  bool matched_by_hand = false;
  for (const auto& comment : world.planfix.comments(clients[1].report_task)) {
    matched_by_hand |= comment.description.find("зіставлено вручну") != std::string::npos;
  }
  EXPECT_TRUE(matched_by_hand);
  // Андрій: report and invoice, one reminder on Monday 09:00 after the Saturday due date; no
  // paid mark; the escalation in the staff chat and on the task.
  const auto andriy = world.telegram.Messages(clients[2].chat);
  std::vector<core::TimePoint> reminders;
  for (const auto& message : andriy) {
    if (message.from_bot && message.text.find("Нагадуємо") != std::string::npos)
      reminders.push_back(message.received_at);
  }
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0], core::FromUnixSeconds(1'799'046'000));  // Monday 04.01.2027 09:00
  task = world.planfix.task(clients[2].report_task);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->custom_fields.count(paid), 0u);
  const auto staff = bot_texts(world.config.telegram.staff_chat_id);
  const auto count = [&](std::string_view part) {
    return std::count_if(staff.begin(), staff.end(),
                         [&](const std::string& text) { return text.find(part) != text.npos; });
  };
  EXPECT_EQ(count("Надійшли кошти"), 2);
  EXPECT_EQ(count("Платіж без рахунку"), 1);
  EXPECT_EQ(count("Рахунок не сплачено"), 1);
  EXPECT_NE(
      world.planfix.comments(clients[2].report_task).back().description.find("після 1 нагадувань"),
      std::string::npos)
      << world.planfix.comments(clients[2].report_task).back().description;
}

}  // namespace
}  // namespace planfix_flow::app
