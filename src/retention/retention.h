// Retention: the `retention` envelope every record carries, legal holds,
// and the purge of expired records' content (PRODUCT.md section 5,
// docs/RETENTION.md).
//
//   // Stamping, where records are prepared for append:
//   ACTLEDGER_ASSIGN_OR_RETURN(retention::Stamper s,
//                              retention::Stamper::ForLedger(ledger, state));
//   batch.push_back(s.Prepare(std::move(validated), NowUtc()));
//
//   // Planning and purging (the ledger open for writing):
//   ACTLEDGER_ASSIGN_OR_RETURN(retention::Plan plan,
//                              retention::MakePlan(ledger, NowUtc()));
//   ACTLEDGER_ASSIGN_OR_RETURN(retention::PurgeResult r,
//                              retention::Purge(ledger, "local:ops", {}));
//
// Holds are `hold` records; the current holds are computed by scanning the
// log (no separate table to drift from it). A purge writes one `purge`
// record naming the seq ranges it may remove, then replaces the records'
// content by stubs segment by segment (Ledger::PurgeRecords); a purge
// interrupted at any point is finished by the next one, which completes
// the ranges of earlier purge records first.
//
// Thread safety: free functions; Stamper is immutable and may be shared.
#ifndef ACTLEDGER_RETENTION_RETENTION_H_
#define ACTLEDGER_RETENTION_RETENTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/policy.h"
#include "actledger/record.h"
#include "common/time.h"
#include "keystore/access.h"
#include "state/state.h"

namespace actledger::retention {

// Regime of system records (policy, hold, erasure, purge, key): kept for
// the ledger's lifetime, so their `until` is null.
constexpr char kLedgerRegime[] = "ledger";

// What a writer encrypts personal fields with.
struct EncryptionContext {
  // The writer's key store; null when the writer has none (then a policy
  // listing personal fields makes every client record fail closed).
  keystore::WriterKeys* keys = nullptr;
  // The key of the data subject of an action (nullopt: none known), for
  // records that name only their action_id.
  std::function<Result<std::optional<keystore::SubjectKey>>(
      const std::string& action_id)>
      action_subject;
};

// The key of the subject named by the first record of `action_id` (its
// proposal or action record): the record's plaintext subject, or the live
// key its encrypted fields name. nullopt when the action is unknown or has
// no subject. kFailedPrecondition when that key was erased.
Result<std::optional<keystore::SubjectKey>> ActionSubjectKey(
    const Ledger& ledger, state::StateStore& state, keystore::WriterKeys& keys,
    const std::string& action_id);

// Computes `retention` {regime, until, policy?} for records being
// prepared for append.
class Stamper {
 public:
  // The built-in defaults (RetentionPolicy::Defaults()), no policy named.
  Stamper();
  // `policy_version` is named in every envelope when `retention` came from
  // a policy file's `retention:` section; `gate_policy` gives gate classes
  // to rules that match on them.
  Stamper(policy::RetentionPolicy retention,
          std::optional<policy::Policy> gate_policy,
          std::string policy_version);

  // The stamper for the policy active in `ledger` (the newest `policy`
  // record the state store knows), or the defaults when none is active.
  // Errors: reading the policy record; kDataLoss when it has no text.
  static Result<std::shared_ptr<const Stamper>> ForLedger(
      const Ledger& ledger, state::StateStore& state);

  // Canonical JSON of the envelope member for `record` stamped at `now`.
  // `action_type_hint` stands in for a missing action.type (an outcome or
  // approval names only its action_id; the caller knows the type).
  std::string EnvelopeJson(RecordKind kind, const json::Value& body,
                           UtcTime now,
                           std::string_view action_type_hint = {}) const;
  // Ledger::Prepare plus the `retention` member, for records the ledger
  // writes itself (holds, purges, erasures), which carry no personal data.
  AppendRequest Prepare(ValidatedRecord record, UtcTime now,
                        std::string_view action_type_hint = {}) const;
  // For records from clients: Prepare() after encrypting the policy's
  // personal fields under the data subject's key (docs/ERASURE.md). The
  // subject is the record's own (subject.type, subject.id) or, for records
  // without one (outcomes, approvals), the subject of their action.
  // Errors: kInvalidArgument naming the field when a personal field is
  // present but no data subject is known (it could never be erased);
  // kFailedPrecondition when the action's subject was erased; key store
  // errors. On error nothing is prepared.
  Result<AppendRequest> PrepareRecord(
      ValidatedRecord record, UtcTime now, const EncryptionContext& enc,
      std::string_view action_type_hint = {}) const;

  const policy::RetentionPolicy& policy() const { return retention_; }
  const std::string& policy_version() const { return policy_version_; }

 private:
  policy::RetentionPolicy retention_;
  std::optional<policy::Policy> gate_policy_;
  std::string policy_version_;
};

// Stamper::ForLedger with the ledger's own state store (DIR/state.db,
// brought up to date first): for writers that do not hold a gate.
Result<std::shared_ptr<const Stamper>> StamperFor(const Ledger& ledger);

// Stamper::PrepareRecord with the policy active in `ledger` and the
// action's subject from `state`; for outcomes and approvals without
// action.type, the type the state store knows for their action_id. The place
// where every writer (CLI, gate, server) prepares records.
Result<AppendRequest> PrepareWithRetention(const Ledger& ledger,
                                           state::StateStore& state,
                                           keystore::WriterKeys* keys,
                                           ValidatedRecord record);

// --- Holds -------------------------------------------------------------------

struct Hold {
  std::string id;  // "hold_<12 hex>"
  // Exactly one scope: a data subject, an action, or a time range.
  // A subject hold names the subject by type and blind id (the record
  // never holds the plaintext id, which an erasure could not reach);
  // subject_id is set only on the Hold AddHold returns, and on holds
  // placed before blind ids.
  std::string subject_type, subject_id, subject_blind_id;
  std::string action_id;
  std::optional<UtcTime> from, to;
  std::string reason;
  std::string placed_by;
  std::string placed_at;
  uint64_t seq = 0;
  // Set once released.
  int64_t released_seq = -1;
  std::string released_by, release_reason;

  // "subject customer:44821", "action rf-1", "range 2026-01-01T… to …".
  std::string ScopeText() const;
  json::Value ToJson() const;
};

struct HoldRequest {
  std::string subject = {};  // "TYPE:ID"
  std::string action_id = {};
  std::string from = {}, to = {};  // RFC 3339 UTC
  std::string reason = {};
};

// Every hold ever placed, in seq order, with its release if any.
Result<std::vector<Hold>> ListHolds(const Ledger& ledger);
// Validates and appends a `hold` record. Errors (kInvalidArgument) name the
// field: no scope or several, a subject not TYPE:ID, bad or reversed
// times, an empty reason.
Result<Hold> AddHold(Ledger& ledger, const std::string& principal,
                     const HoldRequest& request);
// Appends the release. kNotFound for an unknown id, kFailedPrecondition
// when already released, kInvalidArgument for an empty reason.
Result<Hold> ReleaseHold(Ledger& ledger, const std::string& principal,
                         const std::string& id, const std::string& reason);

// --- Plan and purge ----------------------------------------------------------

struct PlanGroup {
  std::string regime;
  std::string month;  // "YYYY-MM" of recorded_at
  uint64_t records = 0;
  uint64_t bytes = 0;
};

struct Plan {
  UtcTime as_of;
  // Past `until`, not held, not yet purged: what a purge would remove.
  std::vector<uint64_t> eligible;
  std::vector<PlanGroup> groups;  // of eligible, by regime then month
  // Past `until` but held: hold id -> records it keeps.
  std::vector<std::pair<std::string, uint64_t>> held_by;
  uint64_t held = 0;
  uint64_t already_purged = 0;  // stubs in the log
  // Eligible records that an earlier, interrupted purge record already
  // names: purge record seq -> its records still to do.
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> unfinished;
  uint64_t records_scanned = 0;
};

// Scans the log. Records without a `retention` member (appended before
// retention existed) expire `general` after recorded_at under the defaults.
Result<Plan> MakePlan(const Ledger& ledger, UtcTime as_of);

struct PurgeOptions {
  // Checked between segments: true stops the purge (it can be resumed).
  std::function<bool()> should_stop;
  // After each segment: (records done, records total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct PurgeResult {
  bool complete = true;  // false when should_stop stopped it
  uint64_t purged = 0;   // records that became stubs in this run
  uint64_t remaining = 0;
  std::vector<uint64_t> purge_records;  // seqs of the purge records worked on
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // of the new record
  Plan plan;
};

// Finishes unfinished purges, then (if anything else expired) writes a new
// `purge` record with the ranges and removes their content. `ledger` must
// be open for writing.
Result<PurgeResult> Purge(Ledger& ledger, const std::string& principal,
                          const PurgeOptions& options, UtcTime now);

// Contiguous runs of ascending seqs.
std::vector<std::pair<uint64_t, uint64_t>> Ranges(
    const std::vector<uint64_t>& seqs);

}  // namespace actledger::retention

#endif  // ACTLEDGER_RETENTION_RETENTION_H_
