// The JSON shapes of gate results shared by the CLI and the HTTP API, so
// `actledger gate` and `POST /v1/actions` print the same decision object
// (docs/GATE.md, docs/API.md).
//
//   Result<gate::GateDecision> d = gate.Propose(actor, std::move(record));
//   std::puts(json::Canonical(gate::DecisionJson(*d)).c_str());
//
// Thread safety: pure functions of their arguments.
#ifndef ACTLEDGER_GATE_DECISION_JSON_H_
#define ACTLEDGER_GATE_DECISION_JSON_H_

#include "actledger/json.h"
#include "common/time.h"
#include "gate/gate.h"
#include "state/state.h"

namespace actledger::gate {

// {"action_id","seq","decision","tier","rule":{"id","version"}|null,
//  "policy_version"|null,"reason","expires_at"|null,"missing":[…]}:
// `missing` lists the seven-field parts the proposal left out (stored
// anyway, unless strict).
json::Value DecisionJson(const GateDecision& d);

// One line of the approvers' inbox: {"action_id","seq" (of the proposal),
// "action_type","status" (ActionStatus at `now`),"proposed_by",
// "approver_roles","reason","expires_at"} and "approver" once decided.
json::Value ActionSummary(const state::ActionState& a, UtcTime now);

}  // namespace actledger::gate

#endif  // ACTLEDGER_GATE_DECISION_JSON_H_
