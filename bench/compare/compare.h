// The comparison harness: actledger beside what a team would otherwise
// build (a PostgreSQL audit table with a hash-chain trigger, the same table
// in SQLite) and beside the raw floor (the same bytes appended to a file).
// Results and how to run it: docs/BENCHMARKS.md, "Against PostgreSQL and
// SQLite"; the one command is scripts/bench-compare.sh.
//
// Every store gets the same generated records, the same batch size, the
// same number of concurrent clients and the same durability (each
// acknowledged batch is on disk: fdatasync, or synchronous_commit=on with
// fsync=on, or SQLite synchronous=FULL).
//
// Thread safety: the stores are driven from the harness's main thread;
// their Ingest() functions start and join their own client threads.
#ifndef ACTLEDGER_BENCH_COMPARE_COMPARE_H_
#define ACTLEDGER_BENCH_COMPARE_COMPARE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/status.h"

namespace actledger::compare {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

[[noreturn]] void Die(const std::string& what);
void Check(const Status& st, const std::string& what);

// One generated record in every form the stores take.
struct BenchRecord {
  std::string line;       // the JSON line as a client submits it (HTTP)
  AppendRequest request;  // Ledger::Append's input
  std::string body;  // canonical JSON of the submitted record (table column)
  std::string leaf;  // the leaf as the ledger stores it (raw floor)
  // Fields the investigation queries filter on; empty when absent.
  std::string subject_type;
  std::string subject_id;
  std::string model_version;
  std::string occurred_at;
  std::string approval_mode;
  std::string rule_id;
  std::string amount_value;
};

// Timing of one ingest run: wall time and each batch's latency from
// submission to durable acknowledgement.
struct Sample {
  double seconds = 0;
  std::vector<double> latencies;
};

// Runs `submit(client, begin, end)` for every batch [begin, end) of
// `n` records from `clients` threads, which take the next batch from a
// shared counter until none is left.
Sample RunClients(size_t n, size_t batch, unsigned clients,
                  const std::function<void(unsigned client, size_t begin,
                                           size_t end)>& submit);

// The three investigation questions, with the parameters every store is
// asked with.
// Q2's month is the month the records were recorded in (the ledger's
// recorded_at, the table's recorded_at column): the time every store
// assigns itself and actledger's index filters on.
struct Questions {
  std::string subject_type;  // Q1: every record about this data subject
  std::string subject_id;
  std::string model_version;   // Q2: records by this model version ...
  std::string month_begin;     // ... recorded in [month_begin, month_end)
  std::string month_end;       //     (RFC 3339 UTC)
  int64_t month_begin_us = 0;  // the same, microseconds since the epoch
  int64_t month_end_us = 0;
};

// What a store answered; compared with the answers computed from the
// generated records, so a fast wrong answer cannot pass.
struct Answers {
  uint64_t by_subject = 0;
  uint64_t by_model_month = 0;
  std::map<std::string, uint64_t> rule_approvals;  // rule id -> records
  bool operator==(const Answers&) const = default;
};

struct QueryTimes {
  double catch_up = 0;  // actledger: bringing its index up to date first
  double by_subject = 0;
  double by_model_month = 0;
  double rule_approvals = 0;
  Answers answers;
};

// Expects every record to be recorded within q's month.
Answers ExpectedAnswers(const std::vector<BenchRecord>& records,
                        const Questions& q);

// --- Tampering ---------------------------------------------------------------

enum class Tamper {
  kEditAmount,      // change one record's action.amount.value
  kDeleteRow,       // remove one record
  kReorder,         // swap two adjacent records
  kTruncate,        // drop the newest records
  kRollback,        // replace the store with a backup taken at half its size
  kForgeSignature,  // edit a record and sign over it with a key of one's own
};
const char* TamperName(Tamper t);

// The attacker's reach. kData changes records only; kCoverTracks also
// rewrites whatever integrity data the store keeps (PostgreSQL: the owner
// disables the triggers and recomputes the chain; actledger: rebuilds the
// tree and re-signs the checkpoints with the key in the data directory).
enum class Reach { kData, kCoverTracks };

struct TamperPlan {
  Tamper tamper = Tamper::kEditAmount;
  Reach reach = Reach::kData;
  uint64_t victim = 0;       // seq of the record edited/deleted/swapped
  std::string new_amount;    // kEditAmount/kForgeSignature: same length
  uint64_t keep = 0;         // kTruncate: records left
  uint64_t backup_size = 0;  // kRollback: records in the backup
};

// What one verification said after one tampering.
struct Verdict {
  bool applicable = true;  // false: the store has nothing of the kind
  bool detected = false;
  bool located = false;  // a finding names the victim (or the cut)
  std::string first_finding;
  std::string note;  // why not applicable, or how it was run
};

}  // namespace actledger::compare

#endif  // ACTLEDGER_BENCH_COMPARE_COMPARE_H_
