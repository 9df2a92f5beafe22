#include "app/report_files.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::app {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

void RegisterReportFileEffects(engine::EffectExecutor& executor, const EffectServices& services) {
  executor.Register(
      plan::kEffectTelegramSendPlanfixFile,
      [services](const engine::Job& job) -> Result<std::string> {
        auto payload = plan::Decode<plan::TelegramSendPlanfixFile>(job.payload);
        if (!payload) return Fail(payload.error());
        constexpr auto kMaxBytes = static_cast<std::size_t>(workflow::kMaxReportFileBytes);
        if (payload->size > workflow::kMaxReportFileBytes) {
          return Fail(ErrorCode::kPermanent,
                      fmt::format("Planfix file {} has {} bytes, more than the {} a report "
                                  "file may have",
                                  payload->file, payload->size, kMaxBytes));
        }
        // The listing's size may be stale: the download itself stops at the cap too.
        auto bytes = services.planfix->DownloadFile(payload->file, kMaxBytes);
        if (!bytes) return Fail(bytes.error());
        if (bytes->empty()) {
          return Fail(ErrorCode::kPermanent,
                      fmt::format("Planfix file {} downloaded empty", payload->file));
        }
        const std::size_t size = bytes->size();
        telegram::SendDocumentRequest request;
        // A group that became a supergroup is written to under its new id at once.
        request.chat_id = services.database->CurrentChatId(payload->chat_id);
        request.document = std::move(*bytes);
        request.filename = payload->name;
        request.caption = payload->caption;
        auto sent = services.telegram->SendDocument(request);
        for (int hop = 0; hop < 3 && !sent && sent.error().migrate_to_chat_id; ++hop) {
          const telegram::ChatId to = *sent.error().migrate_to_chat_id;
          services.note_migration(request.chat_id, to);
          request.chat_id = to;
          sent = services.telegram->SendDocument(request);
        }
        if (!sent) return Fail(sent.error());
        return json{{"chat_id", sent->chat.id},
                    {"message_id", sent->message_id},
                    {"file", payload->file},
                    {"bytes", size}}
            .dump();
      });
}

}  // namespace planfix_flow::app
