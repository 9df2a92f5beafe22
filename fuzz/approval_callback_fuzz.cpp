// The signed callback data of approval buttons ("ap:<task>:<nonce>:<a|r>:<mac>") and the
// brief codes pre-filled into the form ("<task>-<contact>-<mac>"), both read back from
// outside. The input is "data\ncode". Data that verifies is exactly what the service makes
// for its reference; what the service makes verifies to the same reference and stops
// verifying under another key or with any byte changed.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/workflow/approval.h"
#include "planfix_flow/workflow/brief.h"

namespace {

namespace workflow = planfix_flow::workflow;

constexpr char kKey[] = "fuzz approval key";
constexpr char kOtherKey[] = "fuzz approval key 2";

// The ids the service makes data for: positive, at most 18 digits.
std::int64_t IdFrom(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<std::int64_t>(hash % 999999999999999999ull) + 1;
}

void CheckApproval(std::string_view data) {
  if (const auto ref = workflow::VerifyApprovalCallbackData(kKey, data)) {
    FUZZ_CHECK(workflow::MakeApprovalCallbackData(kKey, ref->task, ref->nonce, ref->choice) ==
               data);
  }
  const std::int64_t task = IdFrom(data);
  const std::int64_t nonce = IdFrom(std::string(data) + "nonce");
  const auto choice =
      task % 2 == 0 ? workflow::ApprovalChoice::kApprove : workflow::ApprovalChoice::kRework;
  std::string made = workflow::MakeApprovalCallbackData(kKey, task, nonce, choice);
  FUZZ_CHECK(made.size() <= 64);
  const auto ref = workflow::VerifyApprovalCallbackData(kKey, made);
  FUZZ_CHECK(ref && ref->task == task && ref->nonce == nonce && ref->choice == choice);
  FUZZ_CHECK(!workflow::VerifyApprovalCallbackData(kOtherKey, made));
  if (!data.empty()) {
    const std::size_t at = static_cast<unsigned char>(data.front()) % made.size();
    made[at] = static_cast<char>(made[at] ^ (data.back() | 1));
    FUZZ_CHECK(!workflow::VerifyApprovalCallbackData(kKey, made));
  }
}

void CheckBriefCode(std::string_view code) {
  if (const auto ref = workflow::VerifyBriefCode(kKey, code)) {
    FUZZ_CHECK(workflow::MakeBriefCode(kKey, ref->task, ref->contact) == code);
  }
  const std::int64_t task = IdFrom(code);
  const std::int64_t contact = IdFrom(std::string(code) + "contact");
  const std::string made = workflow::MakeBriefCode(kKey, task, contact);
  const auto ref = workflow::VerifyBriefCode(kKey, made);
  FUZZ_CHECK(ref && ref->task == task && ref->contact == contact);
  FUZZ_CHECK(!workflow::VerifyBriefCode(kOtherKey, made));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields =
      planfix_flow::fuzz::SplitFields(planfix_flow::fuzz::AsText(data, size), '\n', 2);
  CheckApproval(fields[0]);
  CheckBriefCode(fields[1]);
  return 0;
}
