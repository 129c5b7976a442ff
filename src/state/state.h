// The gate's state: who may do what and where each action stands, derived
// from the ledger's records into SQLite (DIR/state.db).
//
// The ledger is the truth; this is a projection of it. Apply() folds
// records in seq order; CatchUp() applies whatever the ledger holds beyond
// the last applied seq, so a deleted or stale state.db is rebuilt from the
// log. Only this module includes SQLite.
//
// Thread safety: not thread-safe; one per process, used by the writer.
#ifndef ACTLEDGER_STATE_STATE_H_
#define ACTLEDGER_STATE_STATE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/status.h"

struct sqlite3;

namespace actledger::state {

// Where an action stands, merged from its records.
struct ActionState {
  std::string action_id;
  int64_t proposal_seq = -1;
  std::string proposed_by;
  std::string action_type;
  std::string decision;  // allow | pending_approval | deny (gate), or ""
  std::string tier;
  std::string class_name;
  std::string rule_id;
  std::string policy_version;
  std::string reason;
  std::vector<std::string> approver_roles;
  std::string expires_at;  // RFC 3339, for pending proposals
  int64_t approval_seq = -1;
  std::string approval_decision;  // approve | reject
  std::string approver;
  std::string decided_at;
  int64_t outcome_seq = -1;
  std::string outcome_status;
  int64_t action_seq = -1;        // a complete `action` record, if any
  std::vector<int64_t> timeline;  // every seq of this action, ascending
};

struct TokenInfo {
  std::string token_id;
  std::string principal;
  std::string created_by;
  int64_t created_seq = -1;
  int64_t revoked_seq = -1;
};

// What the state learns from one stored record: exactly the members
// Apply reads. A writer that still holds the record it appended (the
// server) builds these without re-reading and re-parsing the leaf.
struct RecordFacts {
  std::string kind;
  std::string action_id;
  std::string recorded_by;
  std::string recorded_at;
  std::string action_type;     // action.type
  std::string outcome_status;  // outcome.status
  // The gate's decision (proposals).
  bool has_gate = false;
  std::string decision, tier, class_name, rule_id, policy_version, reason;
  std::string approver_roles_json = "[]";
  std::string expires_at;
  // Approvals.
  std::string approval_decision, approver, decided_at;
  // `key` records.
  std::string key_op, key_principal, key_role, token_id, token_sha256;
  // `policy` records.
  std::string policy_name, policy_version_name, policy_sha256;
};

// The facts of a record: a stored leaf (with its envelope) or a body being
// appended (kind and recorded_by then set by the caller).
RecordFacts FactsOf(const json::Value& record);

struct PolicyInfo {
  int64_t seq = -1;
  std::string name;
  std::string version;
  std::string sha256;
  std::string activated_by;
  std::string activated_at;
};

class StateStore {
 public:
  // Opens (creating) DIR/state.db.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir);
  ~StateStore();

  // Applies records [applied_seq()+1, ledger.size()).
  Status CatchUp(const Ledger& ledger);
  // Applies one record. Precondition: seq == applied + 1.
  Status Apply(uint64_t seq, std::string_view canonical_record);
  // The same from facts already extracted. Precondition: seq == applied + 1.
  Status ApplyFacts(uint64_t seq, const RecordFacts& facts);
  // Groups the Apply calls between them into one SQLite transaction (one
  // WAL write instead of one per statement). On an error between them,
  // call RollbackBatch: applied_seq() returns to what is stored.
  Status BeginBatch();
  Status CommitBatch();
  void RollbackBatch();
  int64_t applied_seq() const { return applied_; }

  // For a long-running writer (the server): moves WAL checkpoints off the
  // committing thread. A thread with its own connection copies the WAL
  // back into state.db every `period` (SQLite's passive checkpoint, which
  // waits for no reader or writer), so a commit only appends to the WAL,
  // instead of also copying and syncing the database every thousand pages
  // while the caller holds its locks. Commits still checkpoint inline once
  // the WAL passes 16,384 pages (64 MiB), should the thread fall behind.
  // Stopped by the destructor. Errors: kIoError when the connection cannot
  // be opened.
  Status StartBackgroundCheckpoints(std::chrono::milliseconds period);

  Result<std::optional<ActionState>> Action(const std::string& action_id);
  // The seq of the action's proposal, if it was proposed.
  Result<std::optional<int64_t>> ProposalSeq(const std::string& action_id);
  // Pending proposals (decision pending_approval, no approval yet), oldest
  // first; when `all`, every proposal that needed approval.
  Result<std::vector<ActionState>> Approvals(bool pending_only);
  Result<std::vector<std::string>> Roles(const std::string& principal);
  // Whether any principal holds any role.
  Result<bool> AnyRoles();
  Result<std::optional<TokenInfo>> TokenBySha256(const std::string& sha256);
  Result<std::vector<TokenInfo>> Tokens();
  Result<std::optional<PolicyInfo>> ActivePolicy();
  Result<std::vector<PolicyInfo>> Policies();
  // The seq of every proposal, ascending, for what-if replays.
  Result<std::vector<int64_t>> ProposalSeqs();

 private:
  struct StmtCache;
  explicit StateStore(sqlite3* db);
  Status Exec(const char* sql);
  void ReloadApplied();
  // Writes applied_ into meta (per record outside a batch, once per batch
  // inside one).
  Status StoreApplied();
  sqlite3* db_;
  // Prepared statements by SQL text, reused: preparing costs more than
  // running the small statements Apply issues for every record.
  std::unique_ptr<StmtCache> cache_;
  int64_t applied_ = -1;
  bool in_batch_ = false;  // between BeginBatch and Commit/RollbackBatch
  // The active policy (the newest row of `policies`), read once and kept:
  // the gate asks for it on every proposal. Forgotten whenever that table
  // may have changed (a policy applied, the state rebuilt, a rollback).
  std::optional<std::optional<PolicyInfo>> active_policy_;
  struct Checkpointer;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace actledger::state

#endif  // ACTLEDGER_STATE_STATE_H_
