// The SQLite audit table (stores.h).
#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "compare/stores.h"
#include "crypto/sha256.h"

namespace actledger::compare {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE audit_log (
  seq            INTEGER PRIMARY KEY,
  recorded_at    INTEGER NOT NULL,
  recorded_by    TEXT NOT NULL,
  body           TEXT NOT NULL,
  prev_hash      BLOB NOT NULL,
  row_hash       BLOB NOT NULL,
  action_id      TEXT GENERATED ALWAYS AS (json_extract(body, '$.action_id')) STORED,
  subject_id     TEXT GENERATED ALWAYS AS (json_extract(body, '$.subject.id')) STORED,
  trigger_type   TEXT GENERATED ALWAYS AS (json_extract(body, '$.trigger.type')) STORED,
  model_version  TEXT GENERATED ALWAYS AS (json_extract(body, '$.model.version')) STORED,
  ai_decision    TEXT GENERATED ALWAYS AS (json_extract(body, '$.ai_output.decision')) STORED,
  action_type    TEXT GENERATED ALWAYS AS (json_extract(body, '$.action.type')) STORED,
  approval_mode  TEXT GENERATED ALWAYS AS (json_extract(body, '$.approval.mode')) STORED,
  approval_rule  TEXT GENERATED ALWAYS AS (json_extract(body, '$.approval.rule.id')) STORED,
  occurred_at    TEXT GENERATED ALWAYS AS (json_extract(body, '$.context.occurred_at')) STORED,
  outcome_status TEXT GENERATED ALWAYS AS (json_extract(body, '$.outcome.status')) STORED
);
CREATE INDEX audit_log_action_id ON audit_log (action_id);
CREATE INDEX audit_log_subject ON audit_log (subject_id);
CREATE INDEX audit_log_trigger ON audit_log (trigger_type);
CREATE INDEX audit_log_model ON audit_log (model_version, recorded_at);
CREATE INDEX audit_log_ai_decision ON audit_log (ai_decision);
CREATE INDEX audit_log_action_type ON audit_log (action_type);
CREATE INDEX audit_log_approval ON audit_log (approval_rule, approval_mode);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at);
CREATE INDEX audit_log_outcome ON audit_log (outcome_status);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
)sql";

constexpr char kRecordedBy[] = "audit_writer";

class Db {
 public:
  explicit Db(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
      Die("sqlite open " + path + ": " + sqlite3_errmsg(db_));
    }
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=FULL");
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string msg = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      Die("sqlite " + path_ + ": " + sql.substr(0, 120) + ": " + msg);
    }
  }
  sqlite3_stmt* Prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      Die("sqlite prepare " + sql + ": " + sqlite3_errmsg(db_));
    }
    return s;
  }
  sqlite3* get() { return db_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Finalizes on scope exit.
class Stmt {
 public:
  Stmt(Db& db, const std::string& sql) : db_(db), s_(db.Prepare(sql)) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() { return s_; }
  void Text(int col, std::string_view v) {
    if (sqlite3_bind_text(s_, col, v.data(), static_cast<int>(v.size()),
                          SQLITE_STATIC) != SQLITE_OK) {
      Die(std::string("sqlite bind: ") + sqlite3_errmsg(db_.get()));
    }
  }
  void Blob(int col, const crypto::Digest& d) {
    sqlite3_bind_blob(s_, col, d.data(), static_cast<int>(d.size()),
                      SQLITE_TRANSIENT);
  }
  bool Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
      Die(std::string("sqlite step: ") + sqlite3_errmsg(db_.get()));
    }
    return false;
  }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string_view Column(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(s_, col));
    return p == nullptr
               ? std::string_view()
               : std::string_view(
                     p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  Db& db_;
  sqlite3_stmt* s_;
};

// The same bytes the PostgreSQL chain covers.
crypto::Digest ChainHash(std::string_view prev, int64_t seq,
                         int64_t recorded_at, std::string_view recorded_by,
                         std::string_view body) {
  crypto::Sha256Hasher h;
  h.Update(prev);
  h.Update(std::to_string(seq) + "\n" + std::to_string(recorded_at) + "\n");
  h.Update(recorded_by);
  h.Update("\n");
  h.Update(body);
  return h.Final();
}

std::string_view View(const crypto::Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void InsertBatch(Db& db, Stmt& insert, const std::vector<BenchRecord>& records,
                 size_t begin, size_t end) {
  db.Exec("BEGIN IMMEDIATE");
  int64_t seq = 0;
  std::string prev(32, '\0');
  {
    Stmt last(db,
              "SELECT seq, row_hash FROM audit_log ORDER BY seq DESC "
              "LIMIT 1");
    if (last.Step()) {
      seq = last.Int(0) + 1;
      prev = std::string(last.Column(1));
    }
  }
  for (size_t i = begin; i < end; ++i, ++seq) {
    const int64_t at = NowMicros();
    const crypto::Digest h =
        ChainHash(prev, seq, at, kRecordedBy, records[i].body);
    sqlite3_bind_int64(insert.get(), 1, seq);
    sqlite3_bind_int64(insert.get(), 2, at);
    insert.Text(3, kRecordedBy);
    insert.Text(4, records[i].body);
    sqlite3_bind_blob(insert.get(), 5, prev.data(),
                      static_cast<int>(prev.size()), SQLITE_TRANSIENT);
    insert.Blob(6, h);
    insert.Step();
    insert.Reset();
    prev = std::string(View(h));
  }
  db.Exec("COMMIT");
}

constexpr char kInsert[] =
    "INSERT INTO audit_log (seq, recorded_at, recorded_by, body, prev_hash, "
    "row_hash) VALUES (?, ?, ?, ?, ?, ?)";

// Recomputes the chain from `from` on, as an attacker covering tracks.
void Rechain(Db& db, int64_t from) {
  std::string prev(32, '\0');
  {
    Stmt before(db, "SELECT row_hash FROM audit_log WHERE seq = " +
                        std::to_string(from - 1));
    if (before.Step()) prev = std::string(before.Column(0));
  }
  Stmt rows(db,
            "SELECT seq, recorded_at, recorded_by, body FROM audit_log "
            "WHERE seq >= " +
                std::to_string(from) + " ORDER BY seq");
  struct Row {
    int64_t seq;
    std::string prev;
    crypto::Digest hash;
  };
  std::vector<Row> updates;
  while (rows.Step()) {
    const crypto::Digest h = ChainHash(prev, rows.Int(0), rows.Int(1),
                                       rows.Column(2), rows.Column(3));
    updates.push_back({rows.Int(0), prev, h});
    prev = std::string(View(h));
  }
  Stmt update(db,
              "UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE seq = ?");
  for (const Row& r : updates) {
    sqlite3_bind_blob(update.get(), 1, r.prev.data(),
                      static_cast<int>(r.prev.size()), SQLITE_TRANSIENT);
    update.Blob(2, r.hash);
    sqlite3_bind_int64(update.get(), 3, r.seq);
    update.Step();
    update.Reset();
  }
}

void CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy_file(
      from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) Die("copy " + from + " to " + to + ": " + ec.message());
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
  }
}

}  // namespace

void SqliteStore::Create(const std::string& path) {
  RemoveDb(path);
  Db db(path);
  db.Exec(kSchema);
}

Sample SqliteStore::Ingest(const std::string& path,
                           const std::vector<BenchRecord>& records,
                           size_t begin, size_t end, size_t batch,
                           unsigned clients) {
  Db db(path);
  Stmt insert(db, kInsert);
  std::mutex mu;
  return RunClients(end - begin, batch, clients,
                    [&](unsigned, size_t b, size_t e) {
                      std::lock_guard<std::mutex> lock(mu);
                      InsertBatch(db, insert, records, begin + b, begin + e);
                    });
}

uint64_t SqliteStore::Bytes(const std::string& path) {
  {
    Db db(path);
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return std::filesystem::file_size(path);
}

double SqliteStore::Verify(const std::string& path,
                           std::vector<std::string>* findings,
                           std::vector<int64_t>* seqs) {
  Db db(path);
  const auto t0 = Clock::now();
  Stmt rows(db,
            "SELECT seq, recorded_at, recorded_by, body, prev_hash, row_hash "
            "FROM audit_log ORDER BY seq");
  int64_t expected_seq = 0;
  std::string expected_prev(32, '\0');
  size_t found = 0;
  auto report = [&](int64_t seq, const std::string& what) {
    ++found;
    if (seqs != nullptr) seqs->push_back(seq);
    if (findings != nullptr) {
      findings->push_back("seq " + std::to_string(seq) + ": " + what);
    }
  };
  while (rows.Step() && found < 50) {
    const int64_t seq = rows.Int(0);
    const std::string_view prev = rows.Column(4);
    const std::string_view stored = rows.Column(5);
    if (seq != expected_seq) {
      report(seq, "follows seq " + std::to_string(expected_seq - 1) +
                      " (gap or reorder)");
    } else if (prev != expected_prev) {
      report(seq, "prev_hash is not the row_hash of the row before");
    } else if (View(ChainHash(prev, seq, rows.Int(1), rows.Column(2),
                              rows.Column(3))) != stored) {
      report(seq, "row_hash does not match the row");
    }
    expected_seq = seq + 1;
    expected_prev = std::string(stored);
  }
  return Seconds(Clock::now() - t0);
}

QueryTimes SqliteStore::Query(const std::string& path, const Questions& q) {
  Db db(path);
  QueryTimes t;
  // Reads each body, as a client showing the records would.
  auto count_rows = [](Stmt& s) {
    uint64_t n = 0;
    while (s.Step()) {
      if (s.Column(0).empty()) Die("sqlite: a record with an empty body");
      ++n;
    }
    return n;
  };
  auto t0 = Clock::now();
  {
    Stmt s(db,
           "SELECT body FROM audit_log WHERE subject_id = ? AND "
           "json_extract(body, '$.subject.type') = ? ORDER BY seq");
    s.Text(1, q.subject_id);
    s.Text(2, q.subject_type);
    t.answers.by_subject = count_rows(s);
  }
  t.by_subject = Seconds(Clock::now() - t0);
  t0 = Clock::now();
  {
    Stmt s(db,
           "SELECT body FROM audit_log WHERE model_version = ? AND "
           "recorded_at >= ? AND recorded_at < ? ORDER BY seq");
    s.Text(1, q.model_version);
    sqlite3_bind_int64(s.get(), 2, q.month_begin_us);
    sqlite3_bind_int64(s.get(), 3, q.month_end_us);
    t.answers.by_model_month = count_rows(s);
  }
  t.by_model_month = Seconds(Clock::now() - t0);
  t0 = Clock::now();
  {
    Stmt s(db,
           "SELECT coalesce(approval_rule, ''), count(*) FROM audit_log "
           "WHERE approval_mode = 'rule' GROUP BY approval_rule");
    while (s.Step()) {
      t.answers.rule_approvals[std::string(s.Column(0))] =
          static_cast<uint64_t>(s.Int(1));
    }
  }
  t.rule_approvals = Seconds(Clock::now() - t0);
  return t;
}

void SqliteStore::CreateTamperBase(const std::string& path,
                                   const std::vector<BenchRecord>& records,
                                   size_t batch, uint64_t backup_size) {
  base_ = path;
  backup_ = path + ".backup";
  Create(path);
  Ingest(path, records, 0, backup_size, batch, 1);
  RemoveDb(backup_);
  {
    Db db(path);
    db.Exec("VACUUM INTO '" + backup_ + "'");
  }
  Ingest(path, records, backup_size, records.size(), batch, 1);
  Bytes(path);  // checkpoints the WAL: the base is one file
}

Verdict SqliteStore::RunTamper(const TamperPlan& plan,
                               const std::string& work_dir) {
  Verdict v;
  if (plan.tamper == Tamper::kForgeSignature) {
    v.applicable = false;
    v.note = "nothing is signed";
    return v;
  }
  const std::string path = work_dir + "/sqlite-tamper.db";
  RemoveDb(path);
  CopyFile(plan.tamper == Tamper::kRollback ? backup_ : base_, path);
  {
    // Anyone who can write the file can drop the triggers.
    Db db(path);
    db.Exec("BEGIN");
    db.Exec("DROP TRIGGER audit_log_no_update");
    db.Exec("DROP TRIGGER audit_log_no_delete");
    const std::string k = std::to_string(plan.victim);
    int64_t rechain_from = static_cast<int64_t>(plan.victim);
    switch (plan.tamper) {
      case Tamper::kEditAmount:
        db.Exec(
            "UPDATE audit_log SET body = json_set(body, "
            "'$.action.amount.value', '" +
            plan.new_amount + "') WHERE seq = " + k);
        break;
      case Tamper::kDeleteRow:
        db.Exec("DELETE FROM audit_log WHERE seq = " + k);
        if (plan.reach == Reach::kCoverTracks) {
          db.Exec("UPDATE audit_log SET seq = -seq WHERE seq > " + k);
          db.Exec("UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0");
        }
        break;
      case Tamper::kReorder:
        db.Exec("UPDATE audit_log SET seq = -1 WHERE seq = " + k);
        db.Exec("UPDATE audit_log SET seq = " + k +
                " WHERE seq = " + std::to_string(plan.victim + 1));
        db.Exec("UPDATE audit_log SET seq = " +
                std::to_string(plan.victim + 1) + " WHERE seq = -1");
        break;
      case Tamper::kTruncate:
        db.Exec("DELETE FROM audit_log WHERE seq >= " +
                std::to_string(plan.keep));
        rechain_from = static_cast<int64_t>(plan.keep);
        break;
      case Tamper::kRollback:  // the backup file itself is the tampering
        rechain_from = static_cast<int64_t>(plan.backup_size);
        break;
      case Tamper::kForgeSignature:
        break;
    }
    if (plan.reach == Reach::kCoverTracks) Rechain(db, rechain_from);
    db.Exec(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE "
        "refused'); END");
    db.Exec(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE "
        "refused'); END");
    db.Exec("COMMIT");
  }
  std::vector<std::string> findings;
  std::vector<int64_t> seqs;
  Verify(path, &findings, &seqs);
  v.detected = !findings.empty();
  if (v.detected) v.first_finding = findings.front();
  const auto k = static_cast<int64_t>(plan.victim);
  for (int64_t s : seqs) v.located |= s >= k && s <= k + 2;
  if (plan.tamper == Tamper::kTruncate || plan.tamper == Tamper::kRollback) {
    v.located = v.detected;
  }
  v.note = "chain recomputed by the application";
  RemoveDb(path);
  return v;
}

}  // namespace actledger::compare
