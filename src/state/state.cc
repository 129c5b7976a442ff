#include "state/state.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace actledger::state {
namespace {

using json::Value;

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS actions(
  action_id TEXT PRIMARY KEY,
  proposal_seq INTEGER, proposed_by TEXT, action_type TEXT,
  decision TEXT, tier TEXT, class TEXT, rule_id TEXT, policy_version TEXT,
  reason TEXT, approver_roles TEXT, expires_at TEXT,
  approval_seq INTEGER, approval_decision TEXT, approver TEXT, decided_at TEXT,
  outcome_seq INTEGER, outcome_status TEXT, action_seq INTEGER);
CREATE INDEX IF NOT EXISTS actions_pending ON actions(decision, approval_seq);
CREATE TABLE IF NOT EXISTS timeline(action_id TEXT, seq INTEGER,
  PRIMARY KEY(action_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS roles(principal TEXT, role TEXT, granted_by TEXT,
  seq INTEGER, PRIMARY KEY(principal, role));
CREATE TABLE IF NOT EXISTS tokens(token_id TEXT PRIMARY KEY,
  token_sha256 TEXT UNIQUE, principal TEXT, created_by TEXT,
  created_seq INTEGER, revoked_seq INTEGER);
CREATE TABLE IF NOT EXISTS policies(seq INTEGER PRIMARY KEY, name TEXT,
  version TEXT, sha256 TEXT, activated_by TEXT, activated_at TEXT);
)sql";

Status SqlError(sqlite3* db, const std::string& what) {
  return IoError("state.db: " + what + ": " + sqlite3_errmsg(db));
}

}  // namespace

struct StateStore::StmtCache {
  // Looked up by the SQL text without copying it (a string per statement
  // run, most of them longer than the small-string buffer).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const {
      return std::hash<std::string_view>()(sql);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> map;
};

namespace {

// A prepared statement: taken from `cache` (reset and unbound on scope
// exit) or, without one, prepared here and finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      stmt_ = nullptr;
    }
  }
  template <typename Cache>
  Stmt(Cache* cache, sqlite3* db, const char* sql) : db_(db), cached_(true) {
    auto it = cache->map.find(std::string_view(sql));
    if (it != cache->map.end()) {
      stmt_ = it->second;
      return;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      stmt_ = nullptr;
      cached_ = false;
      return;
    }
    cache->map.emplace(sql, stmt_);
  }
  ~Stmt() {
    if (cached_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  Stmt& Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      sqlite3_column_bytes(stmt_, col));
  }
  int64_t Int(int col, int64_t null_value = -1) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL
               ? null_value
               : sqlite3_column_int64(stmt_, col);
  }
  Status Run(const std::string& what) {
    if (!ok()) return SqlError(db_, "prepare " + what);
    int rc = Step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(db_, what);
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool cached_ = false;
};

std::string Str(const Value* v) {
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

std::string StrPath(const Value& root, std::string_view path) {
  return Str(root.FindPath(path));
}

constexpr const char* kActionColumns =
    "action_id, proposal_seq, proposed_by, action_type, decision, tier, "
    "class, rule_id, policy_version, reason, approver_roles, expires_at, "
    "approval_seq, approval_decision, approver, decided_at, outcome_seq, "
    "outcome_status, action_seq";

ActionState ReadAction(const Stmt& s) {
  ActionState a;
  a.action_id = s.Text(0);
  a.proposal_seq = s.Int(1);
  a.proposed_by = s.Text(2);
  a.action_type = s.Text(3);
  a.decision = s.Text(4);
  a.tier = s.Text(5);
  a.class_name = s.Text(6);
  a.rule_id = s.Text(7);
  a.policy_version = s.Text(8);
  a.reason = s.Text(9);
  Result<Value> roles = json::Parse(s.Text(10).empty() ? "[]" : s.Text(10));
  if (roles.ok() && roles->is_array()) {
    for (const Value& r : roles->as_array()) {
      if (r.is_string()) a.approver_roles.push_back(r.as_string());
    }
  }
  a.expires_at = s.Text(11);
  a.approval_seq = s.Int(12);
  a.approval_decision = s.Text(13);
  a.approver = s.Text(14);
  a.decided_at = s.Text(15);
  a.outcome_seq = s.Int(16);
  a.outcome_status = s.Text(17);
  a.action_seq = s.Int(18);
  return a;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  sqlite3* db = nullptr;
  const std::string path = dir + "/state.db";
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
          nullptr) != SQLITE_OK) {
    Status st = IoError("cannot open " + path + ": " +
                        (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<StateStore> s(new StateStore(db));
  sqlite3_busy_timeout(db, 5000);
  ACTLEDGER_RETURN_IF_ERROR(s->Exec(kSchema));
  Stmt q(db, "SELECT value FROM meta WHERE key='applied_seq'");
  if (q.ok() && q.Step() == SQLITE_ROW) s->applied_ = q.Int(0);
  return s;
}

StateStore::StateStore(sqlite3* db)
    : db_(db), cache_(std::make_unique<StmtCache>()) {}

struct StateStore::Checkpointer {
  sqlite3* db = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;

  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
    sqlite3_close(db);
  }
};

Status StateStore::StartBackgroundCheckpoints(
    std::chrono::milliseconds period) {
  if (checkpointer_ != nullptr) return Status::Ok();
  auto c = std::make_unique<Checkpointer>();
  const char* path = sqlite3_db_filename(db_, "main");
  if (path == nullptr ||
      sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return IoError(std::string("state.db: cannot open a checkpoint "
                               "connection: ") +
                   (c->db != nullptr ? sqlite3_errmsg(c->db) : "no file"));
  }
  // A connection checkpoints only once it has opened the WAL: reading the
  // journal mode does that.
  if (sqlite3_exec(c->db, "PRAGMA journal_mode", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return IoError(std::string("state.db: checkpoint connection: ") +
                   sqlite3_errmsg(c->db));
  }
  ACTLEDGER_RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint=16384"));
  Checkpointer* raw = c.get();
  raw->thread = std::thread([raw, period] {
    std::unique_lock<std::mutex> lock(raw->mu);
    while (!raw->cv.wait_for(lock, period, [raw] { return raw->stop; })) {
      lock.unlock();
      // SQLITE_BUSY (another checkpoint running) and errors alike leave
      // the work to the next round, or to the inline checkpoint.
      (void)sqlite3_wal_checkpoint_v2(
          raw->db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  });
  checkpointer_ = std::move(c);
  return Status::Ok();
}

StateStore::~StateStore() {
  checkpointer_.reset();  // its connection closes before this one
  for (auto& [sql, stmt] : cache_->map) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status StateStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return IoError("state.db: " + msg);
  }
  return Status::Ok();
}

void StateStore::ReloadApplied() {
  Stmt q(cache_.get(), db_, "SELECT value FROM meta WHERE key='applied_seq'");
  applied_ = q.ok() && q.Step() == SQLITE_ROW ? q.Int(0) : -1;
}

Status StateStore::BeginBatch() {
  ACTLEDGER_RETURN_IF_ERROR(Exec("BEGIN"));
  in_batch_ = true;
  return Status::Ok();
}

Status StateStore::CommitBatch() {
  // Inside a batch, applied_seq is stored once, with the last record.
  Status st = in_batch_ ? StoreApplied() : Status::Ok();
  if (st.ok()) st = Exec("COMMIT");
  in_batch_ = false;
  if (!st.ok()) RollbackBatch();
  return st;
}

void StateStore::RollbackBatch() {
  (void)Exec("ROLLBACK");
  in_batch_ = false;
  ReloadApplied();
  active_policy_.reset();
}

Status StateStore::StoreApplied() {
  return Stmt(
             cache_.get(), db_,
             "INSERT OR REPLACE INTO meta(key, value) VALUES('applied_seq', ?)")
      .Bind(1, applied_)
      .Run("advance");
}

Status StateStore::CatchUp(const Ledger& ledger) {
  const uint64_t size = ledger.size();
  if (applied_ + 1 >= static_cast<int64_t>(size)) {
    if (applied_ + 1 > static_cast<int64_t>(size)) {
      // The state is ahead of the ledger it was derived from: rebuild.
      ACTLEDGER_RETURN_IF_ERROR(
          Exec("DELETE FROM actions; DELETE FROM timeline; DELETE FROM roles; "
               "DELETE FROM tokens; DELETE FROM policies; DELETE FROM meta;"));
      applied_ = -1;
      active_policy_.reset();
    } else {
      return Status::Ok();
    }
  }
  ACTLEDGER_RETURN_IF_ERROR(BeginBatch());
  Status st =
      ledger.ForEach(static_cast<uint64_t>(applied_ + 1), size,
                     [this](uint64_t seq, std::string_view bytes) -> Status {
                       ACTLEDGER_RETURN_IF_ERROR(Apply(seq, bytes));
                       if ((seq + 1) % 10000 == 0) {
                         ACTLEDGER_RETURN_IF_ERROR(CommitBatch());
                         ACTLEDGER_RETURN_IF_ERROR(BeginBatch());
                       }
                       return Status::Ok();
                     });
  if (!st.ok()) {
    RollbackBatch();
    return st;
  }
  return CommitBatch();
}

RecordFacts FactsOf(const Value& r) {
  RecordFacts f;
  f.kind = Str(r.Find("kind"));
  f.action_id = Str(r.Find("action_id"));
  f.recorded_by = Str(r.Find("recorded_by"));
  f.recorded_at = Str(r.Find("recorded_at"));
  f.action_type = StrPath(r, "action.type");
  f.outcome_status = StrPath(r, "outcome.status");
  if (const Value* gate = r.Find("gate"); gate != nullptr) {
    f.has_gate = true;
    f.decision = StrPath(*gate, "decision");
    f.tier = StrPath(*gate, "tier");
    f.class_name = StrPath(*gate, "class");
    f.rule_id = StrPath(*gate, "rule.id");
    f.policy_version = StrPath(*gate, "policy_version");
    f.reason = StrPath(*gate, "reason");
    if (const Value* ar = gate->Find("approver_roles")) {
      f.approver_roles_json = json::Canonical(*ar);
    }
    f.expires_at = StrPath(*gate, "expires_at");
  }
  f.approval_decision = StrPath(r, "approval.decision");
  f.approver = StrPath(r, "approval.approver.id");
  f.decided_at = StrPath(r, "approval.decided_at");
  if (const Value* k = r.Find("key"); k != nullptr) {
    f.key_op = StrPath(*k, "op");
    f.key_principal = StrPath(*k, "principal");
    f.key_role = StrPath(*k, "role");
    f.token_id = StrPath(*k, "token_id");
    f.token_sha256 = StrPath(*k, "token_sha256");
  }
  if (const Value* p = r.Find("policy"); p != nullptr) {
    f.policy_name = StrPath(*p, "name");
    f.policy_version_name = StrPath(*p, "version");
    f.policy_sha256 = StrPath(*p, "sha256");
  }
  return f;
}

Status StateStore::Apply(uint64_t seq, std::string_view canonical_record) {
  if (static_cast<int64_t>(seq) != applied_ + 1) {
    return Internal("state.db: applying seq " + std::to_string(seq) +
                    " after " + std::to_string(applied_));
  }
  Result<Value> parsed = json::Parse(canonical_record);
  if (!parsed.ok()) {
    return DataLoss("record " + std::to_string(seq) +
                    " is not valid JSON: " + parsed.status().message());
  }
  return ApplyFacts(seq, FactsOf(*parsed));
}

Status StateStore::ApplyFacts(uint64_t seq, const RecordFacts& f) {
  if (static_cast<int64_t>(seq) != applied_ + 1) {
    return Internal("state.db: applying seq " + std::to_string(seq) +
                    " after " + std::to_string(applied_));
  }
  const std::string& kind = f.kind;
  const std::string& action_id = f.action_id;
  const int64_t s = static_cast<int64_t>(seq);

  const bool lifecycle = kind == "action" || kind == "proposal" ||
                         kind == "approval" || kind == "outcome";
  if (!action_id.empty() && lifecycle) {
    ACTLEDGER_RETURN_IF_ERROR(
        Stmt(cache_.get(), db_,
             "INSERT OR IGNORE INTO timeline(action_id, seq) VALUES(?,?)")
            .Bind(1, action_id)
            .Bind(2, s)
            .Run("insert timeline"));
    // Each lifecycle record creates its action's row or updates it: one
    // upsert (?1 is always the action id, ?2 the record's seq).
    if (kind == "proposal") {
      Stmt u(cache_.get(), db_,
             "INSERT INTO actions(action_id, proposal_seq, proposed_by, "
             "action_type, decision, tier, class, rule_id, policy_version, "
             "reason, approver_roles, expires_at) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) "
             "ON CONFLICT(action_id) DO UPDATE SET "
             "proposal_seq=?2, proposed_by=?3, action_type=?4, decision=?5, "
             "tier=?6, class=?7, rule_id=?8, policy_version=?9, reason=?10, "
             "approver_roles=?11, expires_at=?12");
      u.Bind(1, action_id).Bind(2, s).Bind(3, f.recorded_by);
      u.Bind(4, f.action_type);
      u.Bind(5, f.decision);
      u.Bind(6, f.tier);
      u.Bind(7, f.class_name);
      u.Bind(8, f.rule_id);
      u.Bind(9, f.policy_version);
      u.Bind(10, f.reason);
      u.Bind(11, f.approver_roles_json);
      u.Bind(12, f.expires_at);
      ACTLEDGER_RETURN_IF_ERROR(u.Run("store proposal"));
    } else if (kind == "approval") {
      // Only the first approval of an action counts.
      Stmt u(cache_.get(), db_,
             "INSERT INTO actions(action_id, approval_seq, approval_decision, "
             "approver, decided_at) VALUES(?1,?2,?3,?4,?5) "
             "ON CONFLICT(action_id) DO UPDATE SET approval_seq=?2, "
             "approval_decision=?3, approver=?4, decided_at=?5 "
             "WHERE approval_seq IS NULL");
      u.Bind(1, action_id)
          .Bind(2, s)
          .Bind(3, f.approval_decision)
          .Bind(4, f.approver)
          .Bind(5, f.decided_at);
      ACTLEDGER_RETURN_IF_ERROR(u.Run("store approval"));
    } else if (kind == "outcome") {
      Stmt u(cache_.get(), db_,
             "INSERT INTO actions(action_id, outcome_seq, outcome_status) "
             "VALUES(?1,?2,?3) ON CONFLICT(action_id) DO UPDATE SET "
             "outcome_seq=?2, outcome_status=?3");
      u.Bind(1, action_id).Bind(2, s).Bind(3, f.outcome_status);
      ACTLEDGER_RETURN_IF_ERROR(u.Run("store outcome"));
    } else {
      // kind == "action": a record of an executed action keeps what its
      // proposal or outcome said already.
      Stmt u(cache_.get(), db_,
             "INSERT INTO actions(action_id, action_seq, action_type, "
             "outcome_status) VALUES(?1,?2,?3,?4) ON CONFLICT(action_id) DO "
             "UPDATE SET action_seq=?2, action_type=coalesce(action_type, ?3), "
             "outcome_status=coalesce(outcome_status, ?4)");
      u.Bind(1, action_id)
          .Bind(2, s)
          .Bind(3, f.action_type)
          .Bind(4, f.outcome_status);
      ACTLEDGER_RETURN_IF_ERROR(u.Run("store action"));
    }
  }
  if (kind == "key") {
    const std::string& op = f.key_op;
    if (op == "role.grant") {
      ACTLEDGER_RETURN_IF_ERROR(
          Stmt(cache_.get(), db_,
               "INSERT OR REPLACE INTO roles(principal, role, granted_by, seq)"
               " VALUES(?,?,?,?)")
              .Bind(1, f.key_principal)
              .Bind(2, f.key_role)
              .Bind(3, f.recorded_by)
              .Bind(4, s)
              .Run("grant role"));
    } else if (op == "role.revoke") {
      ACTLEDGER_RETURN_IF_ERROR(
          Stmt(cache_.get(), db_,
               "DELETE FROM roles WHERE principal=? AND role=?")
              .Bind(1, f.key_principal)
              .Bind(2, f.key_role)
              .Run("revoke role"));
    } else if (op == "token.create") {
      ACTLEDGER_RETURN_IF_ERROR(
          Stmt(cache_.get(), db_,
               "INSERT OR REPLACE INTO tokens(token_id, token_sha256, "
               "principal, created_by, created_seq) VALUES(?,?,?,?,?)")
              .Bind(1, f.token_id)
              .Bind(2, f.token_sha256)
              .Bind(3, f.key_principal)
              .Bind(4, f.recorded_by)
              .Bind(5, s)
              .Run("create token"));
    } else if (op == "token.revoke") {
      ACTLEDGER_RETURN_IF_ERROR(
          Stmt(cache_.get(), db_,
               "UPDATE tokens SET revoked_seq=? WHERE token_id=?")
              .Bind(1, s)
              .Bind(2, f.token_id)
              .Run("revoke token"));
    }
  } else if (kind == "policy") {
    active_policy_.reset();
    ACTLEDGER_RETURN_IF_ERROR(
        Stmt(cache_.get(), db_,
             "INSERT OR REPLACE INTO policies(seq, name, version, sha256, "
             "activated_by, activated_at) VALUES(?,?,?,?,?,?)")
            .Bind(1, s)
            .Bind(2, f.policy_name)
            .Bind(3, f.policy_version_name)
            .Bind(4, f.policy_sha256)
            .Bind(5, f.recorded_by)
            .Bind(6, f.recorded_at)
            .Run("activate policy"));
  }
  applied_ = s;
  if (in_batch_) return Status::Ok();  // stored by CommitBatch
  Status st = StoreApplied();
  if (!st.ok()) ReloadApplied();
  return st;
}

Result<std::optional<ActionState>> StateStore::Action(
    const std::string& action_id) {
  std::string sql = std::string("SELECT ") + kActionColumns +
                    " FROM actions WHERE action_id=?";
  Stmt q(cache_.get(), db_, sql.c_str());
  if (!q.ok()) return SqlError(db_, "query action");
  q.Bind(1, action_id);
  if (q.Step() != SQLITE_ROW) return std::optional<ActionState>();
  ActionState a = ReadAction(q);
  Stmt t(cache_.get(), db_,
         "SELECT seq FROM timeline WHERE action_id=? ORDER BY seq");
  t.Bind(1, action_id);
  while (t.Step() == SQLITE_ROW) a.timeline.push_back(t.Int(0));
  return std::optional<ActionState>(std::move(a));
}

Result<std::optional<int64_t>> StateStore::ProposalSeq(
    const std::string& action_id) {
  Stmt q(cache_.get(), db_,
         "SELECT proposal_seq FROM actions WHERE action_id=? AND proposal_seq "
         "IS NOT NULL");
  if (!q.ok()) return SqlError(db_, "query proposal");
  q.Bind(1, action_id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return SqlError(db_, "query proposal");
  return std::optional<int64_t>(q.Int(0));
}

Result<std::vector<ActionState>> StateStore::Approvals(bool pending_only) {
  std::string sql = std::string("SELECT ") + kActionColumns +
                    " FROM actions WHERE decision='pending_approval'" +
                    (pending_only ? " AND approval_seq IS NULL" : "") +
                    " ORDER BY proposal_seq";
  Stmt q(cache_.get(), db_, sql.c_str());
  if (!q.ok()) return SqlError(db_, "query approvals");
  std::vector<ActionState> out;
  while (q.Step() == SQLITE_ROW) out.push_back(ReadAction(q));
  return out;
}

Result<std::vector<std::string>> StateStore::Roles(
    const std::string& principal) {
  Stmt q(cache_.get(), db_,
         "SELECT role FROM roles WHERE principal=? ORDER BY role");
  if (!q.ok()) return SqlError(db_, "query roles");
  q.Bind(1, principal);
  std::vector<std::string> out;
  while (q.Step() == SQLITE_ROW) out.push_back(q.Text(0));
  return out;
}

Result<bool> StateStore::AnyRoles() {
  Stmt q(cache_.get(), db_, "SELECT 1 FROM roles LIMIT 1");
  if (!q.ok()) return SqlError(db_, "query roles");
  return q.Step() == SQLITE_ROW;
}

Result<std::optional<TokenInfo>> StateStore::TokenBySha256(
    const std::string& sha256) {
  Stmt q(cache_.get(), db_,
         "SELECT token_id, principal, created_by, created_seq, revoked_seq "
         "FROM tokens WHERE token_sha256=?");
  if (!q.ok()) return SqlError(db_, "query token");
  q.Bind(1, sha256);
  if (q.Step() != SQLITE_ROW) return std::optional<TokenInfo>();
  TokenInfo t{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4)};
  return std::optional<TokenInfo>(t);
}

Result<std::vector<TokenInfo>> StateStore::Tokens() {
  Stmt q(cache_.get(), db_,
         "SELECT token_id, principal, created_by, created_seq, revoked_seq "
         "FROM tokens ORDER BY created_seq");
  if (!q.ok()) return SqlError(db_, "query tokens");
  std::vector<TokenInfo> out;
  while (q.Step() == SQLITE_ROW) {
    out.push_back(
        TokenInfo{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4)});
  }
  return out;
}

Result<std::optional<PolicyInfo>> StateStore::ActivePolicy() {
  if (active_policy_.has_value()) return *active_policy_;
  Stmt q(cache_.get(), db_,
         "SELECT seq, name, version, sha256, activated_by, activated_at FROM "
         "policies ORDER BY seq DESC LIMIT 1");
  if (!q.ok()) return SqlError(db_, "query the active policy");
  std::optional<PolicyInfo> active;
  const int rc = q.Step();
  if (rc == SQLITE_ROW) {
    active = PolicyInfo{q.Int(0),  q.Text(1), q.Text(2),
                        q.Text(3), q.Text(4), q.Text(5)};
  } else if (rc != SQLITE_DONE) {
    return SqlError(db_, "query the active policy");
  }
  active_policy_ = active;
  return active;
}

Result<std::vector<PolicyInfo>> StateStore::Policies() {
  Stmt q(cache_.get(), db_,
         "SELECT seq, name, version, sha256, activated_by, activated_at FROM "
         "policies ORDER BY seq");
  if (!q.ok()) return SqlError(db_, "query policies");
  std::vector<PolicyInfo> out;
  while (q.Step() == SQLITE_ROW) {
    out.push_back(PolicyInfo{q.Int(0), q.Text(1), q.Text(2), q.Text(3),
                             q.Text(4), q.Text(5)});
  }
  return out;
}

Result<std::vector<int64_t>> StateStore::ProposalSeqs() {
  Stmt q(cache_.get(), db_,
         "SELECT proposal_seq FROM actions WHERE proposal_seq IS NOT NULL "
         "ORDER BY proposal_seq");
  if (!q.ok()) return SqlError(db_, "query proposals");
  std::vector<int64_t> out;
  while (q.Step() == SQLITE_ROW) out.push_back(q.Int(0));
  return out;
}

}  // namespace actledger::state
