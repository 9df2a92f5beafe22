// Telegram updates (webhook bodies and getUpdates elements) and the callback data of approval
// buttons and brief codes they carry: the ingress's check and the telegram module's parser
// agree on the update_id, and data that verifies is exactly the data the service makes.
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"
#include "planfix_flow/http/telegram_webhook.h"
#include "planfix_flow/telegram/types.h"
#include "planfix_flow/workflow/approval.h"

namespace {

namespace telegram = planfix_flow::telegram;
namespace workflow = planfix_flow::workflow;

constexpr char kKey[] = "fuzz approval key";

void CheckCallbackData(const std::string& data) {
  const auto ref = workflow::VerifyApprovalCallbackData(kKey, data);
  if (ref) {
    FUZZ_CHECK(workflow::MakeApprovalCallbackData(kKey, ref->task, ref->nonce, ref->choice) ==
               data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = planfix_flow::fuzz::AsText(data, size);
  const auto ingress = planfix_flow::http::ParseTelegramWebhook(body);
  const auto update = telegram::ParseUpdate(body);
  if (ingress) FUZZ_CHECK(ingress->update_id >= 0 && !planfix_flow::http::HasNulByte(body));
  if (!update) {
    FUZZ_CHECK(update.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
    return 0;
  }
  if (ingress) FUZZ_CHECK(ingress->update_id == update->update_id);
  FUZZ_CHECK(!update->type.empty() || update->kind == telegram::UpdateKind::kOther);
  FUZZ_CHECK(update->message.has_value() ==
             (update->kind == telegram::UpdateKind::kMessage ||
              update->kind == telegram::UpdateKind::kEditedMessage ||
              update->kind == telegram::UpdateKind::kChannelPost ||
              update->kind == telegram::UpdateKind::kEditedChannelPost));
  FUZZ_CHECK(update->callback_query.has_value() ==
             (update->kind == telegram::UpdateKind::kCallbackQuery));
  if (update->callback_query) CheckCallbackData(update->callback_query->data);
  if (update->message) {
    for (const auto& row : update->message->reply_markup) {
      for (const auto& button : row) CheckCallbackData(button.callback_data);
    }
  }
  return 0;
}
