// libFuzzer target for the policy decoders: arbitrary bytes as a policy
// file (YAML, globs, durations, dates, `when` expressions) and as a single
// `when` expression evaluated against a fixed proposal.
//
// Invariants checked beyond "no crash, no sanitizer report": a policy that
// loads can be evaluated and linted; Evaluate() never denies or allows
// without naming a tier and a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "actledger/json.h"
#include "actledger/policy.h"
#include "common/time.h"

namespace {

const actledger::json::Value& FixedProposal() {
  static const actledger::json::Value* v = [] {
    auto r = actledger::json::Parse(R"({
      "action": {"type": "payment.refund", "recipient": "a@b.example",
                 "amount": {"value": "99.99", "currency": "USD"},
                 "params": {"tags": ["x", 1, null, true], "n": 0.1}},
      "ai_output": {"confidence": 0.75},
      "subject": {"attributes": {"account_age_days": 91}}})");
    if (!r.ok()) std::abort();
    return new actledger::json::Value(std::move(*r));
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const actledger::UtcTime now{1795000000, 0};

  actledger::Result<bool> e =
      actledger::policy::EvaluateExpression(text, FixedProposal());
  (void)e.ok();

  actledger::Result<actledger::policy::Policy> p =
      actledger::policy::Policy::Parse(text, "fuzz.yaml");
  if (p.ok()) {
    const actledger::policy::Decision d = p->Evaluate(FixedProposal(), now);
    if (d.tier.empty() || d.reason.empty()) std::abort();
    (void)p->Lint(now);
  }
  return 0;
}
