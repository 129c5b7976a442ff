// The stores the harness compares. Each one builds its store from the
// generated records, measures ingest, size, integrity verification and the
// investigation queries, and runs the tamperings of compare.h against a
// copy of a small store built for that purpose.
#ifndef ACTLEDGER_BENCH_COMPARE_STORES_H_
#define ACTLEDGER_BENCH_COMPARE_STORES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compare/compare.h"

namespace actledger::compare {

// --- PostgreSQL
// ---------------------------------------------------------------

// The audit table a careful team builds in PostgreSQL: a JSONB column, one
// generated and indexed column per seven-field part, UPDATE/DELETE/TRUNCATE
// revoked from the writing role and refused by triggers, and a SHA-256 hash
// chain (seq, prev_hash, row_hash) computed by a BEFORE INSERT trigger that
// serializes writers with a transaction-scoped advisory lock. The table is
// owned by the role audit_owner; clients write as audit_writer.
class PgStore {
 public:
  // `conninfo`: a superuser on the throwaway server, without dbname.
  explicit PgStore(std::string conninfo);

  // Drops and recreates database `db` with the table and its triggers.
  void Create(const std::string& db);
  // COPYs records [begin, end) in batches of `batch`, one transaction per
  // batch, from `clients` connections.
  Sample Ingest(const std::string& db, const std::vector<BenchRecord>& records,
                size_t begin, size_t end, size_t batch, unsigned clients);
  // pg_total_relation_size: heap, TOAST and every index.
  uint64_t Bytes(const std::string& db);
  // Runs audit_verify(), the chain recomputation in SQL; returns seconds.
  double Verify(const std::string& db, std::vector<std::string>* findings,
                std::vector<int64_t>* seqs);
  QueryTimes Query(const std::string& db, const Questions& q);

  // Builds the database the tamperings start from: `records`, with a
  // backup table taken by the owner at `backup_size` records.
  void CreateTamperBase(const std::vector<BenchRecord>& records, size_t batch,
                        uint64_t backup_size);
  Verdict RunTamper(const TamperPlan& plan);
  // The DBA demonstration: what the writing role and the owner can and
  // cannot do, one line each.
  std::vector<std::string> PrivilegeChecks();

 private:
  std::string Conninfo(const std::string& db) const;
  std::string conninfo_;
};

// --- SQLite
// -------------------------------------------------------------------

// The same table in SQLite (WAL, synchronous=FULL): generated indexed
// columns, triggers that refuse UPDATE and DELETE, and the same hash chain,
// computed by the inserting application because SQLite triggers cannot
// assign to NEW. Clients share one connection under a mutex (SQLite has
// one writer at a time; this is its fastest way to take several).
class SqliteStore {
 public:
  void Create(const std::string& path);
  Sample Ingest(const std::string& path,
                const std::vector<BenchRecord>& records, size_t begin,
                size_t end, size_t batch, unsigned clients);
  // The database file after a WAL checkpoint.
  uint64_t Bytes(const std::string& path);
  double Verify(const std::string& path, std::vector<std::string>* findings,
                std::vector<int64_t>* seqs);
  QueryTimes Query(const std::string& path, const Questions& q);

  void CreateTamperBase(const std::string& path,
                        const std::vector<BenchRecord>& records, size_t batch,
                        uint64_t backup_size);
  Verdict RunTamper(const TamperPlan& plan, const std::string& work_dir);

 private:
  std::string base_;    // the tamper base
  std::string backup_;  // its copy at backup_size records
};

// --- actledger
// ----------------------------------------------------------------

class LedgerStore {
 public:
  // `cli`: the actledger binary, for `verify` in the tamper runs.
  explicit LedgerStore(std::string cli) : cli_(std::move(cli)) {}

  Sample Ingest(const std::string& dir, const std::vector<BenchRecord>& records,
                size_t batch, unsigned clients);
  // Every file in the data directory.
  static uint64_t Bytes(const std::string& dir);
  double Verify(const std::string& dir);
  // Investigation through actledger's query index, caught up first (timed
  // apart as QueryTimes::catch_up). `how` says what ran.
  QueryTimes Query(const std::string& dir, const Questions& q,
                   std::string* how);

  // Builds the tamper base: records in two halves, a copy of the data
  // directory after the first (the backup), and the checkpoint an auditor
  // kept at the end (passed to `verify --trusted`).
  void CreateTamperBase(const std::string& work_dir,
                        const std::vector<BenchRecord>& records, size_t batch,
                        uint64_t backup_size);
  // Two verdicts: `actledger verify`, and `actledger verify --trusted`.
  std::pair<Verdict, Verdict> RunTamper(const TamperPlan& plan,
                                        const std::string& work_dir);

 private:
  std::string cli_;
  std::string base_;
  std::string backup_;
  std::string trusted_file_;
};

// --- actledger over HTTP
// ------------------------------------------------------

// `actledger serve` started on a fresh ledger; records POSTed as NDJSON to
// /v1/records over one keep-alive connection per client.
class HttpStore {
 public:
  explicit HttpStore(std::string cli) : cli_(std::move(cli)) {}
  // Whether the binary has `serve` (the server may not exist yet).
  bool Available(std::string* why) const;
  Sample Ingest(const std::string& dir, const std::vector<BenchRecord>& records,
                size_t batch, unsigned clients);

 private:
  std::string cli_;
};

// --- Raw floor
// ----------------------------------------------------------------

// The leaf bytes appended to one file, one fdatasync per batch; clients
// append with O_APPEND and sync their own batch.
Sample RawIngest(const std::string& path,
                 const std::vector<BenchRecord>& records, size_t batch,
                 unsigned clients);

// --- Process helpers
// ----------------------------------------------------------

// Runs argv, returns its exit status; stdout into *out when given.
int RunProcess(const std::vector<std::string>& argv, std::string* out,
               std::string* err = nullptr);

}  // namespace actledger::compare

#endif  // ACTLEDGER_BENCH_COMPARE_STORES_H_
