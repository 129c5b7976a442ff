#include "gate/gate.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/id.h"
#include "common/time.h"
#include "crypto/sha256.h"
#include "retention/retention.h"

namespace actledger::gate {
namespace {

using json::Value;

std::string Sha256Hex(std::string_view data) {
  crypto::Digest d = crypto::Sha256(data);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Value StringArray(const std::vector<std::string>& items) {
  Value::Array a;
  for (const std::string& s : items) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

bool Expired(const state::ActionState& a, UtcTime now) {
  if (a.expires_at.empty()) return false;
  Result<UtcTime> t = ParseRfc3339Utc(a.expires_at);
  return t.ok() && now >= *t;
}

}  // namespace

std::string ActionStatus(const state::ActionState& a, UtcTime now) {
  auto executed = [&]() -> std::optional<std::string> {
    if (a.outcome_status.empty() || a.outcome_status == "pending") {
      return std::nullopt;
    }
    return a.outcome_status == "success" ? "executed" : "failed";
  };
  if (a.decision == "deny") return "denied";
  if (a.decision == "pending_approval") {
    if (a.approval_decision == "reject") return "rejected";
    if (a.approval_decision == "approve")
      return executed().value_or("approved");
    if (Expired(a, now)) return "expired";
    return "pending_approval";
  }
  if (auto e = executed()) return *e;
  return "allowed";
}

Result<std::unique_ptr<Gate>> Gate::Open(Ledger* ledger) {
  std::unique_ptr<Gate> g(new Gate());
  g->ledger_ = ledger;
  ACTLEDGER_ASSIGN_OR_RETURN(g->state_, state::StateStore::Open(ledger->dir()));
  g->keys_ = std::make_unique<keystore::WriterKeys>(ledger->dir());
  ACTLEDGER_RETURN_IF_ERROR(g->state_->CatchUp(*ledger));
  if (!ledger->read_only() && !ledger->initial_admin().empty()) {
    ACTLEDGER_RETURN_IF_ERROR(g->Bootstrap(ledger->initial_admin()));
  }
  return g;
}

Result<StagedWrite> Gate::StageSystem(StagedWrite::Op op, RecordKind kind,
                                      const std::string& actor, Value body,
                                      const std::string& envelope_key,
                                      const std::string& envelope_value) {
  StagedWrite w;
  w.op = op;
  w.actor = actor;
  w.facts = state::FactsOf(body);
  w.facts.kind = RecordKindName(kind);
  w.facts.recorded_by = actor;
  ValidatedRecord rec;
  rec.kind = kind;
  if (const Value* id = body.Find("action_id"); id && id->is_string()) {
    rec.action_id = id->as_string();
  }
  rec.body = std::move(body);
  // The retention envelope (src/retention): regime and until.
  ACTLEDGER_ASSIGN_OR_RETURN(
      w.request, retention::PrepareWithRetention(*ledger_, *state_, keys_.get(),
                                                 std::move(rec)));
  if (!envelope_key.empty()) w.request.body.Add(envelope_key, envelope_value);
  return w;
}

Result<StagedWrite> Gate::StageKey(StagedWrite::Op op, const std::string& actor,
                                   Value key) {
  Value body = Value::MakeObject();
  body.Set("key", std::move(key));
  return StageSystem(op, RecordKind::kKey, actor, std::move(body));
}

Status Gate::Reserve(StagedWrite& w, std::string key, const std::string& what) {
  if (!reserved_.insert(key).second) {
    return FailedPrecondition(what + " is already being recorded");
  }
  w.reservation = std::move(key);
  return Status::Ok();
}

Result<Receipt> Gate::AppendStaged(StagedWrite& w) {
  std::vector<AppendRequest> batch;
  batch.push_back(std::move(w.request));
  Result<std::vector<Receipt>> receipts =
      ledger_->Append(std::move(batch), w.actor);
  if (!receipts.ok()) {
    Abandon(w);
    return receipts.status();
  }
  ACTLEDGER_RETURN_IF_ERROR(Commit(w, receipts->front()));
  return receipts->front();
}

Status Gate::Commit(StagedWrite& w, const Receipt& receipt) {
  if (!w.reservation.empty()) reserved_.erase(w.reservation);
  w.decision.seq = receipt.seq;
  w.token.seq = receipt.seq;
  const bool policy = w.op == StagedWrite::Op::kActivatePolicy;
  // The policy's activation time is the record's recorded_at, which only
  // the writer knows: read it back.
  ACTLEDGER_RETURN_IF_ERROR(ApplyStored(receipt.seq, w.facts, policy));
  if (policy && staged_policy_.has_value() &&
      staged_policy_->content_hash() == w.facts.policy_sha256) {
    policy_ = std::move(staged_policy_);
    policy_seq_ = static_cast<int64_t>(receipt.seq);
    staged_policy_.reset();
  }
  return Status::Ok();
}

void Gate::Abandon(const StagedWrite& w) {
  if (!w.reservation.empty()) reserved_.erase(w.reservation);
  if (w.op == StagedWrite::Op::kActivatePolicy && staged_policy_.has_value() &&
      staged_policy_->content_hash() == w.facts.policy_sha256) {
    staged_policy_.reset();
  }
}

Status Gate::ApplyStored(uint64_t seq, const state::RecordFacts& facts,
                         bool reread) {
  const int64_t applied = state_->applied_seq();
  if (static_cast<int64_t>(seq) <= applied) return Status::Ok();
  // Records before this one that were not applied yet (appended by another
  // path) come from the log itself.
  for (uint64_t s = static_cast<uint64_t>(applied + 1); s < seq; ++s) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, ledger_->Get(s));
    ACTLEDGER_RETURN_IF_ERROR(state_->Apply(s, bytes));
  }
  if (reread) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, ledger_->Get(seq));
    return state_->Apply(seq, bytes);
  }
  return state_->ApplyFacts(seq, facts);
}

Result<std::string> Gate::Authenticate(const std::string& token) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::TokenInfo> t,
                             state_->TokenBySha256(Sha256Hex(token)));
  if (!t.has_value() || t->revoked_seq >= 0) {
    return Status(StatusCode::kUnauthenticated,
                  "the token is not valid (unknown or revoked)");
  }
  return t->principal;
}

Result<std::vector<std::string>> Gate::RolesOf(const std::string& principal) {
  return state_->Roles(principal);
}

Status Gate::RequireRole(const std::string& actor, const std::string& role) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> roles, RolesOf(actor));
  if (std::find(roles.begin(), roles.end(), role) != roles.end()) {
    return Status::Ok();
  }
  return PermissionDenied(actor + " does not hold the role \"" + role + "\"");
}

Status Gate::Bootstrap(const std::string& principal) {
  // Only a ledger where no one holds any role yet gets an administrator
  // this way; after that, roles come from admins alone.
  ACTLEDGER_ASSIGN_OR_RETURN(bool any, state_->AnyRoles());
  if (any) return Status::Ok();
  Value key = Value::MakeObject();
  key.Set("op", Value::String("role.grant"));
  key.Set("principal", Value::String(principal));
  key.Set("role", Value::String("admin"));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageKey(StagedWrite::Op::kGrant, principal, std::move(key)));
  return AppendStaged(w).status();
}

Result<StagedWrite> Gate::StageCreateToken(const std::string& actor,
                                           const std::string& principal) {
  ACTLEDGER_RETURN_IF_ERROR(RequireRole(actor, "admin"));
  if (principal.empty() || principal.size() > 200) {
    return InvalidArgument("must be 1 to 200 bytes", "principal");
  }
  CreatedToken t;
  t.token_id = "tok_" + HexEncode(RandomBytes(6));
  t.token = "alt_" + HexEncode(RandomBytes(32));
  Value key = Value::MakeObject();
  key.Set("op", Value::String("token.create"));
  key.Set("token_id", Value::String(t.token_id));
  key.Set("token_sha256", Value::String(Sha256Hex(t.token)));
  key.Set("principal", Value::String(principal));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageKey(StagedWrite::Op::kCreateToken, actor, std::move(key)));
  w.token = std::move(t);
  return w;
}

Result<CreatedToken> Gate::CreateToken(const std::string& actor,
                                       const std::string& principal) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w, StageCreateToken(actor, principal));
  ACTLEDGER_RETURN_IF_ERROR(AppendStaged(w).status());
  return w.token;
}

Result<StagedWrite> Gate::StageRevokeToken(const std::string& actor,
                                           const std::string& token_id) {
  ACTLEDGER_RETURN_IF_ERROR(RequireRole(actor, "admin"));
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<state::TokenInfo> tokens,
                             state_->Tokens());
  auto it = std::find_if(tokens.begin(), tokens.end(),
                         [&](const auto& t) { return t.token_id == token_id; });
  if (it == tokens.end()) return NotFound("no token " + token_id);
  if (it->revoked_seq >= 0) {
    return FailedPrecondition("token " + token_id + " is already revoked");
  }
  Value key = Value::MakeObject();
  key.Set("op", Value::String("token.revoke"));
  key.Set("token_id", Value::String(token_id));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageKey(StagedWrite::Op::kRevokeToken, actor, std::move(key)));
  ACTLEDGER_RETURN_IF_ERROR(
      Reserve(w, "t:" + token_id, "the revocation of token " + token_id));
  return w;
}

Result<uint64_t> Gate::RevokeToken(const std::string& actor,
                                   const std::string& token_id) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w, StageRevokeToken(actor, token_id));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r, AppendStaged(w));
  return r.seq;
}

Result<StagedWrite> Gate::StageGrant(const std::string& actor,
                                     const std::string& principal,
                                     const std::string& role) {
  ACTLEDGER_RETURN_IF_ERROR(RequireRole(actor, "admin"));
  if (principal.empty())
    return InvalidArgument("must not be empty", "principal");
  if (role.empty()) return InvalidArgument("must not be empty", "role");
  Value key = Value::MakeObject();
  key.Set("op", Value::String("role.grant"));
  key.Set("principal", Value::String(principal));
  key.Set("role", Value::String(role));
  return StageKey(StagedWrite::Op::kGrant, actor, std::move(key));
}

Result<uint64_t> Gate::Grant(const std::string& actor,
                             const std::string& principal,
                             const std::string& role) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w, StageGrant(actor, principal, role));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r, AppendStaged(w));
  return r.seq;
}

Result<StagedWrite> Gate::StageRevokeRole(const std::string& actor,
                                          const std::string& principal,
                                          const std::string& role) {
  ACTLEDGER_RETURN_IF_ERROR(RequireRole(actor, "admin"));
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> roles,
                             RolesOf(principal));
  if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
    return NotFound(principal + " does not hold the role \"" + role + "\"");
  }
  Value key = Value::MakeObject();
  key.Set("op", Value::String("role.revoke"));
  key.Set("principal", Value::String(principal));
  key.Set("role", Value::String(role));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageKey(StagedWrite::Op::kRevokeRole, actor, std::move(key)));
  ACTLEDGER_RETURN_IF_ERROR(
      Reserve(w, "r:" + principal + "\n" + role,
              "a revocation of " + principal + "'s role"));
  return w;
}

Result<uint64_t> Gate::RevokeRole(const std::string& actor,
                                  const std::string& principal,
                                  const std::string& role) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w,
                             StageRevokeRole(actor, principal, role));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r, AppendStaged(w));
  return r.seq;
}

Result<StagedWrite> Gate::StageActivatePolicy(const std::string& actor,
                                              const std::string& yaml_text,
                                              const std::string& source_name) {
  ACTLEDGER_RETURN_IF_ERROR(RequireRole(actor, "admin"));
  ACTLEDGER_ASSIGN_OR_RETURN(policy::Policy p,
                             policy::Policy::Parse(yaml_text, source_name));
  Value pol = Value::MakeObject();
  pol.Set("name", Value::String(p.name()));
  pol.Set("version", Value::String(p.version()));
  pol.Set("sha256", Value::String(p.content_hash()));
  pol.Set("source", Value::String(source_name));
  pol.Set("text", Value::String(yaml_text));
  Value body = Value::MakeObject();
  body.Set("policy", std::move(pol));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w, StageSystem(StagedWrite::Op::kActivatePolicy,
                                 RecordKind::kPolicy, actor, std::move(body)));
  // Proposals staged from now on are evaluated under this policy: their
  // records follow the policy record in the log.
  staged_policy_ = std::move(p);
  return w;
}

Result<uint64_t> Gate::ActivatePolicy(const std::string& actor,
                                      const std::string& yaml_text,
                                      const std::string& source_name) {
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w, StageActivatePolicy(actor, yaml_text, source_name));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r, AppendStaged(w));
  return r.seq;
}

Result<std::optional<std::string>> Gate::ActivePolicyText() {
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::PolicyInfo> info,
                             state_->ActivePolicy());
  if (!info.has_value()) return std::optional<std::string>();
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes,
                             ledger_->Get(static_cast<uint64_t>(info->seq)));
  ACTLEDGER_ASSIGN_OR_RETURN(Value rec, json::Parse(bytes));
  const Value* text = rec.FindPath("policy.text");
  if (text == nullptr || !text->is_string()) {
    return DataLoss("policy record " + std::to_string(info->seq) +
                    " has no policy text");
  }
  return std::optional<std::string>(text->as_string());
}

Result<const policy::Policy*> Gate::ActivePolicy() {
  if (staged_policy_.has_value()) return &*staged_policy_;
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::PolicyInfo> info,
                             state_->ActivePolicy());
  if (!info.has_value()) return static_cast<const policy::Policy*>(nullptr);
  if (policy_seq_ != info->seq) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::optional<std::string> text,
                               ActivePolicyText());
    ACTLEDGER_ASSIGN_OR_RETURN(policy::Policy p,
                               policy::Policy::Parse(*text, "active policy"));
    policy_ = std::move(p);
    policy_seq_ = info->seq;
  }
  return &*policy_;
}

Result<StagedWrite> Gate::StagePropose(const std::string& actor,
                                       ValidatedRecord proposal) {
  const UtcTime now = NowUtc();
  ACTLEDGER_ASSIGN_OR_RETURN(const policy::Policy* p, ActivePolicy());
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<int64_t> proposed,
                             state_->ProposalSeq(proposal.action_id));
  if (proposed.has_value()) {
    return FailedPrecondition("action " + proposal.action_id +
                              " was already proposed (seq " +
                              std::to_string(*proposed) + ")");
  }
  GateDecision d;
  Value gate = Value::MakeObject();
  if (p == nullptr) {
    d.decision = "pending_approval";
    d.tier = "human_approval";
    d.reason = "no policy is active: every action needs a human (fail closed)";
    UtcTime expires{now.seconds + int64_t{24} * 3600, now.nanos};
    d.expires_at = FormatRfc3339Utc(expires);
    gate.Set("approver_roles", StringArray({"approver"}));
    gate.Set("class", Value::Null());
  } else {
    policy::Decision pd = p->Evaluate(proposal.body, now);
    d.decision = policy::OutcomeName(pd.outcome);
    d.tier = pd.tier;
    d.rule = pd.rule;
    d.policy_version = pd.policy_version;
    d.reason = pd.reason;
    if (pd.outcome == policy::Decision::Outcome::kPendingApproval) {
      d.expires_at = FormatRfc3339Utc(pd.approval_expires_at);
    }
    gate.Set("approver_roles",
             StringArray(pd.approver_roles.empty()
                             ? std::vector<std::string>{"approver"}
                             : pd.approver_roles));
    gate.Set("class", pd.class_name.empty() ? Value::Null()
                                            : Value::String(pd.class_name));
    gate.Set("policy_sha256", Value::String(p->content_hash()));
    if (pd.rule.has_value()) {
      if (auto h = p->RuleContentHash(pd.rule->id)) {
        gate.Set("rule_sha256", Value::String(*h));
      }
    }
  }
  gate.Set("decision", Value::String(d.decision));
  gate.Set("tier", Value::String(d.tier));
  if (d.rule.has_value()) {
    Value rule = Value::MakeObject();
    rule.Set("id", Value::String(d.rule->id));
    rule.Set("version", Value::String(d.rule->version));
    gate.Set("rule", std::move(rule));
  } else {
    gate.Set("rule", Value::Null());
  }
  gate.Set("policy_version", d.policy_version.empty()
                                 ? Value::Null()
                                 : Value::String(d.policy_version));
  gate.Set("reason", Value::String(d.reason));
  gate.Set("expires_at",
           d.expires_at.empty() ? Value::Null() : Value::String(d.expires_at));
  d.action_id = proposal.action_id;
  d.missing = proposal.missing;
  Value record_view = Value::MakeObject();
  record_view.Set("gate", gate);
  const state::RecordFacts gate_facts = state::FactsOf(record_view);
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageSystem(StagedWrite::Op::kPropose, RecordKind::kProposal, actor,
                  std::move(proposal.body), "gate", json::Canonical(gate)));
  ACTLEDGER_RETURN_IF_ERROR(
      Reserve(w, "p:" + d.action_id, "a proposal of action " + d.action_id));
  w.facts.has_gate = true;
  w.facts.decision = gate_facts.decision;
  w.facts.tier = gate_facts.tier;
  w.facts.class_name = gate_facts.class_name;
  w.facts.rule_id = gate_facts.rule_id;
  w.facts.policy_version = gate_facts.policy_version;
  w.facts.reason = gate_facts.reason;
  w.facts.approver_roles_json = gate_facts.approver_roles_json;
  w.facts.expires_at = gate_facts.expires_at;
  w.decision = std::move(d);
  return w;
}

Result<GateDecision> Gate::Propose(const std::string& actor,
                                   ValidatedRecord proposal) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w,
                             StagePropose(actor, std::move(proposal)));
  ACTLEDGER_RETURN_IF_ERROR(AppendStaged(w).status());
  return w.decision;
}

Result<StagedWrite> Gate::StageDecide(const std::string& actor,
                                      const std::string& action_id,
                                      bool approve, const std::string& reason) {
  const UtcTime now = NowUtc();
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::ActionState> a,
                             state_->Action(action_id));
  if (!a.has_value() || a->proposal_seq < 0) {
    return NotFound("no proposal for action " + action_id);
  }
  const std::string status = ActionStatus(*a, now);
  if (status != "pending_approval") {
    return FailedPrecondition("action " + action_id + " is " + status +
                              ", not pending approval");
  }
  if (a->proposed_by == actor) {
    return PermissionDenied(actor + " proposed action " + action_id +
                            " and may not decide it (separation of duties)");
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> roles, RolesOf(actor));
  std::string role;
  for (const std::string& want : a->approver_roles) {
    if (std::find(roles.begin(), roles.end(), want) != roles.end()) {
      role = want;
      break;
    }
  }
  if (role.empty()) {
    std::string wanted;
    for (const auto& r : a->approver_roles) {
      wanted += (wanted.empty() ? "" : ", ") + r;
    }
    return PermissionDenied(actor +
                            " holds none of the roles that may decide "
                            "action " +
                            action_id + " (" + wanted + ")");
  }
  if (!approve && reason.empty()) {
    return InvalidArgument("a rejection needs a reason", "reason");
  }
  Value approver = Value::MakeObject();
  approver.Set("id", Value::String(actor));
  approver.Set("role", Value::String(role));
  Value ap = Value::MakeObject();
  ap.Set("decision", Value::String(approve ? "approve" : "reject"));
  ap.Set("approver", std::move(approver));
  ap.Set("decided_at", Value::String(FormatRfc3339Utc(now)));
  if (!reason.empty()) ap.Set("reason", Value::String(reason));
  Value body = Value::MakeObject();
  body.Set("action_id", Value::String(action_id));
  body.Set("approval", std::move(ap));
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageSystem(StagedWrite::Op::kDecide, RecordKind::kApproval, actor,
                  std::move(body)));
  ACTLEDGER_RETURN_IF_ERROR(
      Reserve(w, "d:" + action_id, "a decision on action " + action_id));
  return w;
}

Result<Receipt> Gate::Decide(const std::string& actor,
                             const std::string& action_id, bool approve,
                             const std::string& reason) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w,
                             StageDecide(actor, action_id, approve, reason));
  return AppendStaged(w);
}

Result<StagedWrite> Gate::StageOutcome(const std::string& actor,
                                       ValidatedRecord outcome) {
  const UtcTime now = NowUtc();
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::ActionState> a,
                             state_->Action(outcome.action_id));
  std::optional<std::string> violation;
  if (!a.has_value() || (a->proposal_seq < 0 && a->action_seq < 0)) {
    violation = "outcome for an action that was never proposed";
  } else if (a->proposal_seq >= 0) {
    const std::string status = ActionStatus(*a, now);
    if (status == "pending_approval") {
      violation = "executed without the required approval";
    } else if (status == "expired") {
      violation = "executed after its approval request expired";
    } else if (status == "rejected") {
      violation = "executed although the approver rejected it";
    } else if (status == "denied") {
      violation = "executed although the policy denied it";
    }
  }
  std::string violation_json = violation.has_value()
                                   ? json::Canonical(Value::String(*violation))
                                   : "null";
  std::vector<std::string> missing = std::move(outcome.missing);
  ACTLEDGER_ASSIGN_OR_RETURN(
      StagedWrite w,
      StageSystem(StagedWrite::Op::kOutcome, RecordKind::kOutcome, actor,
                  std::move(outcome.body), "violation", violation_json));
  w.request.missing = std::move(missing);
  w.violation = std::move(violation);
  return w;
}

Result<OutcomeReceipt> Gate::RecordOutcome(const std::string& actor,
                                           ValidatedRecord outcome) {
  ACTLEDGER_ASSIGN_OR_RETURN(StagedWrite w,
                             StageOutcome(actor, std::move(outcome)));
  OutcomeReceipt out;
  ACTLEDGER_ASSIGN_OR_RETURN(out.receipt, AppendStaged(w));
  out.violation = w.violation;
  return out;
}

Result<Value> Gate::ActionView(const std::string& action_id,
                               const keystore::RecordDecryptor* reader) {
  const UtcTime now = NowUtc();
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::ActionState> a,
                             state_->Action(action_id));
  if (!a.has_value()) return NotFound("no action " + action_id);
  Value view = Value::MakeObject();
  view.Set("action_id", Value::String(action_id));
  view.Set("status", Value::String(ActionStatus(*a, now)));
  Value::Array timeline;
  // Merge: fields from the proposal or action record, approval from the
  // gate decision or the approval record, outcome from the outcome record.
  for (int64_t seq : a->timeline) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes,
                               ledger_->Get(static_cast<uint64_t>(seq)));
    ACTLEDGER_ASSIGN_OR_RETURN(Value rec, json::Parse(bytes));
    if (reader != nullptr) ACTLEDGER_RETURN_IF_ERROR(reader->Decrypt(&rec));
    const std::string kind =
        rec.Find("kind") ? rec.Find("kind")->as_string() : "";
    Value entry = Value::MakeObject();
    entry.Set("seq", Value::Number(static_cast<double>(seq)));
    entry.Set("kind", Value::String(kind));
    if (const Value* at = rec.Find("recorded_at"))
      entry.Set("recorded_at", *at);
    if (const Value* by = rec.Find("recorded_by"))
      entry.Set("recorded_by", *by);
    timeline.push_back(std::move(entry));
    for (const char* field : {"trigger", "model", "ai_output", "action",
                              "context", "subject", "labels"}) {
      if (const Value* f = rec.Find(field);
          f != nullptr && (kind == "proposal" || kind == "action")) {
        view.Set(field, *f);
      }
    }
    if (kind == "proposal") {
      if (const Value* g = rec.Find("gate")) {
        view.Set("gate", *g);
        Value approval = Value::MakeObject();
        const std::string decision = g->Find("decision")->as_string();
        if (decision == "allow" && g->Find("rule") &&
            g->Find("rule")->is_object()) {
          approval.Set("mode", Value::String("rule"));
          approval.Set("rule", *g->Find("rule"));
        } else if (decision == "allow") {
          approval.Set("mode", Value::String("none"));
          approval.Set("note", Value::String("log only: " +
                                             g->Find("reason")->as_string()));
        } else {
          approval.Set("mode", Value::String("none"));
          approval.Set(
              "note",
              Value::String(decision == "deny" ? "denied by the policy"
                                               : "awaiting a human decision"));
        }
        view.Set("approval", std::move(approval));
      }
    } else if (kind == "action") {
      if (const Value* ap = rec.Find("approval")) view.Set("approval", *ap);
      if (const Value* oc = rec.Find("outcome")) view.Set("outcome", *oc);
    } else if (kind == "approval") {
      const Value* ap = rec.Find("approval");
      Value approval = Value::MakeObject();
      approval.Set("mode", Value::String("human"));
      if (ap != nullptr) {
        if (const Value* v = ap->Find("approver")) approval.Set("approver", *v);
        if (const Value* v = ap->Find("decided_at"))
          approval.Set("decided_at", *v);
        if (const Value* v = ap->Find("decision")) approval.Set("decision", *v);
        if (const Value* v = ap->Find("reason")) approval.Set("note", *v);
      }
      view.Set("approval", std::move(approval));
    } else if (kind == "outcome") {
      if (const Value* oc = rec.Find("outcome")) view.Set("outcome", *oc);
      if (const Value* v = rec.Find("violation")) view.Set("violation", *v);
    }
  }
  view.Set("timeline", Value::MakeArray(std::move(timeline)));
  return view;
}

}  // namespace actledger::gate
