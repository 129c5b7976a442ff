// The approval gate: policy-checked proposals, human approvals, outcomes,
// and the identities and roles behind them (PRODUCT.md section 3).
//
// Every change is a ledger record: proposals carry the gate's decision in
// their envelope (`gate`), approvals and outcomes name their action,
// tokens, role grants (`key`) and policy activations (`policy`) are
// records too, so who could approve what, and since when, is auditable.
// The derived StateStore answers "where does this action stand".
//
// Two ways to write. The blocking methods (Propose, Decide, ...) evaluate,
// append and wait for durability. A server instead splits each write in
// two so that many share one fsync:
//
//   // serialized (one thread or mutex at a time):
//   Result<StagedWrite> w = gate.StagePropose(actor, std::move(record));
//   ledger.AppendAsync({std::move(w->request)}, actor, done);
//   // later, serialized again and in seq order, once durable:
//   gate.Commit(*w, receipt);          // or gate.Abandon(*w) on failure
//
// Between Stage and Commit the gate remembers the write (a second proposal
// or decision for the same action is refused as a conflict), so
// evaluations made while appends are in flight stay consistent.
//
// Thread safety: not thread-safe; one per writing process, every call
// serialized by the caller.
#ifndef ACTLEDGER_GATE_GATE_H_
#define ACTLEDGER_GATE_GATE_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/policy.h"
#include "actledger/record.h"
#include "keystore/access.h"
#include "state/state.h"

namespace actledger::gate {

struct GateDecision {
  std::string action_id;
  uint64_t seq = 0;
  std::string decision;  // allow | pending_approval | deny
  std::string tier;
  std::optional<policy::RuleRef> rule;
  std::string policy_version;
  std::string reason;
  std::string expires_at;  // for pending_approval
  std::vector<std::string> missing;
};

struct OutcomeReceipt {
  Receipt receipt;
  // Why recording this outcome breaks the rules (executed without a
  // required approval, after a rejection, denial or expiry), or nothing.
  std::optional<std::string> violation;
};

struct CreatedToken {
  std::string token_id;
  std::string token;  // shown once; only its SHA-256 is stored
  uint64_t seq = 0;
};

// "allowed", "pending_approval", "approved", "rejected", "expired",
// "denied", "executed", "failed".
std::string ActionStatus(const state::ActionState& a, UtcTime now);

// A gate write, evaluated and rendered, waiting to be appended.
struct StagedWrite {
  enum class Op {
    kPropose,
    kDecide,
    kOutcome,
    kCreateToken,
    kRevokeToken,
    kGrant,
    kRevokeRole,
    kActivatePolicy,
  };
  Op op = Op::kPropose;
  std::string actor;  // recorded_by
  AppendRequest request;
  // What the state learns once the record is stored; kind and action_id
  // say which waiters (long polls) to wake.
  state::RecordFacts facts;
  // Results by operation, completed by Commit (seq).
  GateDecision decision;                 // kPropose
  std::optional<std::string> violation;  // kOutcome
  CreatedToken token;                    // kCreateToken
  std::string reservation;  // the conflict key held until Commit/Abandon
};

class Gate {
 public:
  // `ledger` must be open for writing and outlive the Gate.
  static Result<std::unique_ptr<Gate>> Open(Ledger* ledger);

  state::StateStore& state() { return *state_; }
  // The key store personal fields are encrypted with (opened on first
  // use); the server encrypts and decrypts with it too.
  keystore::WriterKeys& keys() { return *keys_; }

  // The principal a bearer token stands for. kUnauthenticated when the
  // token is unknown or revoked.
  Result<std::string> Authenticate(const std::string& token);
  Result<std::vector<std::string>> RolesOf(const std::string& principal);
  // Grants `admin` to `principal` if no one holds any role yet (init);
  // otherwise does nothing.
  Status Bootstrap(const std::string& principal);

  // Admin operations; `actor` must hold `admin` (kPermissionDenied).
  Result<CreatedToken> CreateToken(const std::string& actor,
                                   const std::string& principal);
  Result<uint64_t> RevokeToken(const std::string& actor,
                               const std::string& token_id);
  Result<uint64_t> Grant(const std::string& actor, const std::string& principal,
                         const std::string& role);
  Result<uint64_t> RevokeRole(const std::string& actor,
                              const std::string& principal,
                              const std::string& role);
  // Parses and activates a policy; writes a `policy` record with its text,
  // version and content hash. Errors: the policy's load errors.
  Result<uint64_t> ActivatePolicy(const std::string& actor,
                                  const std::string& yaml_text,
                                  const std::string& source_name);
  // The active policy's YAML text, or nullopt before any activation.
  Result<std::optional<std::string>> ActivePolicyText();

  // Evaluates the active policy (none active: every action needs a human,
  // fail closed) and stores the proposal with the decision.
  Result<GateDecision> Propose(const std::string& actor,
                               ValidatedRecord proposal);
  // An approval record. Errors: kNotFound (no such proposal),
  // kPermissionDenied (role missing, or the proposer approving their own
  // action), kFailedPrecondition (not pending: decided, denied, allowed or
  // expired).
  Result<Receipt> Decide(const std::string& actor, const std::string& action_id,
                         bool approve, const std::string& reason);
  // Records field 7 for `action_id` (always stored; flagged when it breaks
  // the rules).
  Result<OutcomeReceipt> RecordOutcome(const std::string& actor,
                                       ValidatedRecord outcome);
  // The merged seven-field view, status and timeline of an action, with
  // personal fields decrypted by `reader` (null: left encrypted).
  Result<json::Value> ActionView(
      const std::string& action_id,
      const keystore::RecordDecryptor* reader = nullptr);

  // The staged forms of the writes above: the same checks and errors, plus
  // kFailedPrecondition when a conflicting write (the same action's
  // proposal or decision, the same token's revocation) is in flight.
  Result<StagedWrite> StagePropose(const std::string& actor,
                                   ValidatedRecord proposal);
  Result<StagedWrite> StageDecide(const std::string& actor,
                                  const std::string& action_id, bool approve,
                                  const std::string& reason);
  Result<StagedWrite> StageOutcome(const std::string& actor,
                                   ValidatedRecord outcome);
  Result<StagedWrite> StageCreateToken(const std::string& actor,
                                       const std::string& principal);
  Result<StagedWrite> StageRevokeToken(const std::string& actor,
                                       const std::string& token_id);
  Result<StagedWrite> StageGrant(const std::string& actor,
                                 const std::string& principal,
                                 const std::string& role);
  Result<StagedWrite> StageRevokeRole(const std::string& actor,
                                      const std::string& principal,
                                      const std::string& role);
  Result<StagedWrite> StageActivatePolicy(const std::string& actor,
                                          const std::string& yaml_text,
                                          const std::string& source_name);
  // `w` is durable as `receipt`: releases its reservation, fills in its
  // seq and folds it into the state (see ApplyStored).
  Status Commit(StagedWrite& w, const Receipt& receipt);
  // `w` was not stored: releases its reservation.
  void Abandon(const StagedWrite& w);
  // Folds a durable record into the state in seq order: records already
  // applied are skipped, and a gap (records appended by someone else) is
  // filled from the ledger first. With `reread`, the facts are taken from
  // the stored bytes (for members only the writer knows, as recorded_at).
  Status ApplyStored(uint64_t seq, const state::RecordFacts& facts,
                     bool reread = false);

 private:
  Gate() = default;
  Status RequireRole(const std::string& actor, const std::string& role);
  Result<const policy::Policy*> ActivePolicy();
  Result<StagedWrite> StageSystem(StagedWrite::Op op, RecordKind kind,
                                  const std::string& actor, json::Value body,
                                  const std::string& envelope_key = {},
                                  const std::string& envelope_value = {});
  Result<StagedWrite> StageKey(StagedWrite::Op op, const std::string& actor,
                               json::Value key);
  Status Reserve(StagedWrite& w, std::string key, const std::string& what);
  // Appends a staged write and waits (the blocking methods).
  Result<Receipt> AppendStaged(StagedWrite& w);

  Ledger* ledger_ = nullptr;
  std::unique_ptr<state::StateStore> state_;
  std::unique_ptr<keystore::WriterKeys> keys_;
  std::optional<policy::Policy> policy_;
  int64_t policy_seq_ = -1;
  // A policy activation in flight: proposals staged after it use it.
  std::optional<policy::Policy> staged_policy_;
  std::set<std::string> reserved_;
};

}  // namespace actledger::gate

#endif  // ACTLEDGER_GATE_GATE_H_
