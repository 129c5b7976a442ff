#include "gate/decision_json.h"

#include <string>
#include <utility>
#include <vector>

namespace actledger::gate {
namespace {

using json::Value;

Value Strings(const std::vector<std::string>& items) {
  Value::Array a;
  for (const std::string& s : items) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

// Empty optional text is null, so a client tests one thing, not two.
Value StringOrNull(const std::string& s) {
  return s.empty() ? Value::Null() : Value::String(s);
}

}  // namespace

Value DecisionJson(const GateDecision& d) {
  Value v = Value::MakeObject();
  v.Set("action_id", Value::String(d.action_id));
  v.Set("seq", Value::Number(static_cast<double>(d.seq)));
  v.Set("decision", Value::String(d.decision));
  v.Set("tier", Value::String(d.tier));
  if (d.rule.has_value()) {
    Value r = Value::MakeObject();
    r.Set("id", Value::String(d.rule->id));
    r.Set("version", Value::String(d.rule->version));
    v.Set("rule", std::move(r));
  } else {
    v.Set("rule", Value::Null());
  }
  v.Set("policy_version", StringOrNull(d.policy_version));
  v.Set("reason", Value::String(d.reason));
  v.Set("expires_at", StringOrNull(d.expires_at));
  v.Set("missing", Strings(d.missing));
  return v;
}

Value ActionSummary(const state::ActionState& a, UtcTime now) {
  Value v = Value::MakeObject();
  v.Set("action_id", Value::String(a.action_id));
  v.Set("seq", Value::Number(static_cast<double>(a.proposal_seq)));
  v.Set("action_type", Value::String(a.action_type));
  v.Set("status", Value::String(ActionStatus(a, now)));
  v.Set("proposed_by", Value::String(a.proposed_by));
  v.Set("approver_roles", Strings(a.approver_roles));
  v.Set("reason", Value::String(a.reason));
  v.Set("expires_at", Value::String(a.expires_at));
  if (!a.approver.empty()) v.Set("approver", Value::String(a.approver));
  return v;
}

}  // namespace actledger::gate
