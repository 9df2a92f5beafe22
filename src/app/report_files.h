// The executor's handler for telegram.send_planfix_file (plan/effects.h): a file the PM
// attached to the monthly report task, downloaded from Planfix and sent to the client's chat
// as a Telegram document. Registered by RegisterEffectHandlers; runs on the executor's thread.
#pragma once

#include "app/effect_handlers.h"
#include "planfix_flow/engine/effect_executor.h"

namespace planfix_flow::app {

// A download that fails (Planfix or its file storage unavailable, rate limited) or a send
// Telegram refuses for now is retried by the executor, downloading again; a file over
// workflow::kMaxReportFileBytes, a file Planfix no longer has or a chat that cannot be
// reached is not (the job goes dead and effect.failed tells the staff and the task).
// As for every Telegram send, a crash between Telegram's answer and the job's commit sends
// the file again on restart: Telegram has no idempotency key to prevent that.
void RegisterReportFileEffects(engine::EffectExecutor& executor, const EffectServices& services);

}  // namespace planfix_flow::app
