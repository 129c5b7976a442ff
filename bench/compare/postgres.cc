// The PostgreSQL audit table (stores.h) over libpq.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compare/stores.h"

namespace actledger::compare {
namespace {

// The schema a careful team writes. Generated columns cannot be written
// directly, so the indexed copies of the seven fields always agree with the
// body the chain covers.
constexpr char kSchema[] = R"sql(
CREATE TABLE audit_log (
  seq            bigint PRIMARY KEY,
  recorded_at    timestamptz NOT NULL,
  recorded_by    text NOT NULL,
  body           jsonb NOT NULL,
  prev_hash      bytea NOT NULL,
  row_hash       bytea NOT NULL,
  action_id      text GENERATED ALWAYS AS (body->>'action_id') STORED,
  subject_id     text GENERATED ALWAYS AS (body#>>'{subject,id}') STORED,
  trigger_type   text GENERATED ALWAYS AS (body#>>'{trigger,type}') STORED,
  model_version  text GENERATED ALWAYS AS (body#>>'{model,version}') STORED,
  ai_decision    text GENERATED ALWAYS AS (body#>>'{ai_output,decision}') STORED,
  action_type    text GENERATED ALWAYS AS (body#>>'{action,type}') STORED,
  approval_mode  text GENERATED ALWAYS AS (body#>>'{approval,mode}') STORED,
  approval_rule  text GENERATED ALWAYS AS (body#>>'{approval,rule,id}') STORED,
  occurred_at    text GENERATED ALWAYS AS (body#>>'{context,occurred_at}') STORED,
  outcome_status text GENERATED ALWAYS AS (body#>>'{outcome,status}') STORED
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

-- The bytes a row's hash covers. Epoch microseconds keep it independent of
-- the session's TimeZone and DateStyle; jsonb's text form is canonical for
-- a given value.
CREATE FUNCTION audit_row_bytes(s bigint, at timestamptz, by_ text, b jsonb)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(s::text || E'\n' ||
                    (extract(epoch FROM at) * 1000000)::bigint::text ||
                    E'\n' || by_ || E'\n' || b::text, 'UTF8')
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  -- One chain: writers take turns until their transaction ends.
  PERFORM pg_advisory_xact_lock(8470);
  SELECT seq, row_hash INTO last FROM audit_log ORDER BY seq DESC LIMIT 1;
  IF last IS NULL THEN
    NEW.seq := 0;
    NEW.prev_hash := decode(repeat('00', 32), 'hex');
  ELSE
    NEW.seq := last.seq + 1;
    NEW.prev_hash := last.row_hash;
  END IF;
  NEW.recorded_at := clock_timestamp();
  NEW.recorded_by := current_user;
  NEW.row_hash := sha256(NEW.prev_hash ||
      audit_row_bytes(NEW.seq, NEW.recorded_at, NEW.recorded_by, NEW.body));
  RETURN NEW;
END
$$;

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

REVOKE ALL ON audit_log FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log TO audit_writer;

-- The verification: every row's hash recomputed, every link and every seq
-- checked against the row before it, in one pass.
CREATE FUNCTION audit_verify() RETURNS TABLE (seq bigint, problem text)
LANGUAGE sql STABLE AS $$
  SELECT t.seq,
         CASE WHEN t.seq <> t.expected_seq
                THEN 'seq ' || t.seq || ' follows seq ' ||
                     coalesce(t.expected_seq - 1, -1) || ' (gap or reorder)'
              WHEN t.prev_hash <> t.expected_prev
                THEN 'prev_hash is not the row_hash of the row before'
              ELSE 'row_hash does not match the row' END
  FROM (SELECT a.seq, a.prev_hash, a.row_hash,
               coalesce(lag(a.seq) OVER w + 1, 0) AS expected_seq,
               coalesce(lag(a.row_hash) OVER w,
                        decode(repeat('00', 32), 'hex')) AS expected_prev,
               sha256(a.prev_hash || audit_row_bytes(a.seq, a.recorded_at,
                                                     a.recorded_by, a.body))
                 AS recomputed
        FROM audit_log a WINDOW w AS (ORDER BY a.seq)) t
  WHERE t.seq <> t.expected_seq OR t.prev_hash <> t.expected_prev
     OR t.recomputed <> t.row_hash
  ORDER BY t.seq
  LIMIT 50
$$;
GRANT EXECUTE ON FUNCTION audit_verify() TO audit_writer;
)sql";

// What the owner runs to make a change go unnoticed: recompute the chain
// from `from` on (a keyless hash chain is recomputable by anyone who can
// write the table).
constexpr char kRechain[] = R"sql(
DO $$
DECLARE
  r record;
  prev bytea;
BEGIN
  SELECT row_hash INTO prev FROM audit_log WHERE seq = %lld - 1;
  IF prev IS NULL THEN prev := decode(repeat('00', 32), 'hex'); END IF;
  FOR r IN SELECT seq, recorded_at, recorded_by, body FROM audit_log
           WHERE seq >= %lld ORDER BY seq LOOP
    UPDATE audit_log SET prev_hash = prev,
        row_hash = sha256(prev || audit_row_bytes(r.seq, r.recorded_at,
                                                  r.recorded_by, r.body))
      WHERE seq = r.seq RETURNING row_hash INTO prev;
  END LOOP;
END
$$;
)sql";

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

Conn Connect(const std::string& conninfo) {
  Conn c(PQconnectdb(conninfo.c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    Die("postgres: connect '" + conninfo + "': " + PQerrorMessage(c.get()));
  }
  // NOTICEs ("does not exist, skipping") are expected; errors are checked.
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

// Runs `sql`; returns the error message, or "" on success.
std::string TryExec(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  const ExecStatusType s = PQresultStatus(r.get());
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return "";
  std::string msg = PQresultErrorMessage(r.get());
  // The first line is the error; CONTEXT lines follow.
  if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  return msg.empty() ? "unknown error" : msg;
}

void Exec(PGconn* c, const std::string& sql) {
  std::string err = TryExec(c, sql);
  if (!err.empty()) {
    Die("postgres: " + sql.substr(0, 120) + (sql.size() > 120 ? "..." : "") +
        ": " + err);
  }
}

PgResult Select(PGconn* c, const std::string& sql,
                const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PgResult r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()),
                          nullptr, values.data(), nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    Die("postgres: " + sql + ": " + PQresultErrorMessage(r.get()));
  }
  return r;
}

// COPY text format: backslash escapes; canonical JSON has no raw control
// characters, but its string escapes contain backslashes.
void AppendCopyField(std::string_view s, std::string* out) {
  for (char ch : s) {
    switch (ch) {
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        *out += ch;
    }
  }
}

void CopyBatch(PGconn* c, const std::vector<BenchRecord>& records, size_t begin,
               size_t end) {
  Exec(c, "BEGIN");
  PgResult r(PQexec(c, "COPY audit_log (body) FROM STDIN"));
  if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
    Die(std::string("postgres: COPY: ") + PQresultErrorMessage(r.get()));
  }
  std::string buf;
  for (size_t i = begin; i < end; ++i) {
    AppendCopyField(records[i].body, &buf);
    buf += '\n';
  }
  if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1 ||
      PQputCopyEnd(c, nullptr) != 1) {
    Die(std::string("postgres: COPY data: ") + PQerrorMessage(c));
  }
  for (PgResult done(PQgetResult(c)); done != nullptr;
       done.reset(PQgetResult(c))) {
    if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
      Die(std::string("postgres: COPY: ") + PQresultErrorMessage(done.get()));
    }
  }
  Exec(c, "COMMIT");
}

std::string Quote(PGconn* c, const std::string& s) {
  char* q = PQescapeLiteral(c, s.data(), s.size());
  if (q == nullptr) Die(std::string("postgres: quote: ") + PQerrorMessage(c));
  std::string out = q;
  PQfreemem(q);
  return out;
}

std::string Ll(uint64_t v) { return std::to_string(v); }

std::string Format(const char* tmpl, long long a, long long b) {
  std::string out(std::string_view(tmpl).size() + 64, '\0');
  const int n = std::snprintf(out.data(), out.size(), tmpl, a, b);
  out.resize(static_cast<size_t>(n));
  return out;
}

constexpr char kTamperBase[] = "audit_tamper_base";
constexpr char kTamperWork[] = "audit_tamper_work";

}  // namespace

PgStore::PgStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
  Conn c = Connect(Conninfo("postgres"));
  Exec(c.get(),
       "DO $$ BEGIN "
       "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'audit_owner') "
       "THEN CREATE ROLE audit_owner; END IF; "
       "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'audit_writer') "
       "THEN CREATE ROLE audit_writer; END IF; END $$");
}

std::string PgStore::Conninfo(const std::string& db) const {
  return conninfo_ + " dbname=" + db;
}

void PgStore::Create(const std::string& db) {
  {
    Conn admin = Connect(Conninfo("postgres"));
    Exec(admin.get(), "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    Exec(admin.get(), "CREATE DATABASE " + db + " OWNER audit_owner");
  }
  Conn c = Connect(Conninfo(db));
  Exec(c.get(), "SET ROLE audit_owner");
  Exec(c.get(), kSchema);
}

Sample PgStore::Ingest(const std::string& db,
                       const std::vector<BenchRecord>& records, size_t begin,
                       size_t end, size_t batch, unsigned clients) {
  std::vector<Conn> conns;
  for (unsigned i = 0; i < clients; ++i) {
    conns.push_back(Connect(Conninfo(db)));
    Exec(conns.back().get(), "SET ROLE audit_writer");
    Exec(conns.back().get(), "SET synchronous_commit = on");
  }
  return RunClients(
      end - begin, batch, clients, [&](unsigned client, size_t b, size_t e) {
        CopyBatch(conns[client].get(), records, begin + b, begin + e);
      });
}

uint64_t PgStore::Bytes(const std::string& db) {
  Conn c = Connect(Conninfo(db));
  Exec(c.get(), "CHECKPOINT");
  PgResult r = Select(c.get(), "SELECT pg_total_relation_size('audit_log')");
  return std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10);
}

double PgStore::Verify(const std::string& db,
                       std::vector<std::string>* findings,
                       std::vector<int64_t>* seqs) {
  Conn c = Connect(Conninfo(db));
  Exec(c.get(), "SET ROLE audit_writer");
  const auto t0 = Clock::now();
  PgResult r = Select(c.get(), "SELECT seq, problem FROM audit_verify()");
  const double seconds = Seconds(Clock::now() - t0);
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    const int64_t seq = std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10);
    if (seqs != nullptr) seqs->push_back(seq);
    if (findings != nullptr) {
      findings->push_back("seq " + std::to_string(seq) + ": " +
                          PQgetvalue(r.get(), i, 1));
    }
  }
  return seconds;
}

QueryTimes PgStore::Query(const std::string& db, const Questions& q) {
  Conn c = Connect(Conninfo(db));
  Exec(c.get(), "SET ROLE audit_writer");
  QueryTimes t;
  auto t0 = Clock::now();
  PgResult r1 = Select(c.get(),
                       "SELECT body FROM audit_log WHERE subject_id = $1 AND "
                       "body #>> '{subject,type}' = $2 ORDER BY seq",
                       {q.subject_id, q.subject_type});
  t.by_subject = Seconds(Clock::now() - t0);
  t.answers.by_subject = static_cast<uint64_t>(PQntuples(r1.get()));

  t0 = Clock::now();
  PgResult r2 =
      Select(c.get(),
             "SELECT body FROM audit_log WHERE model_version = $1 AND "
             "recorded_at >= $2::timestamptz AND recorded_at < $3::timestamptz "
             "ORDER BY seq",
             {q.model_version, q.month_begin, q.month_end});
  t.by_model_month = Seconds(Clock::now() - t0);
  t.answers.by_model_month = static_cast<uint64_t>(PQntuples(r2.get()));

  t0 = Clock::now();
  PgResult r3 =
      Select(c.get(),
             "SELECT coalesce(approval_rule, ''), count(*) FROM audit_log "
             "WHERE approval_mode = 'rule' GROUP BY approval_rule");
  t.rule_approvals = Seconds(Clock::now() - t0);
  for (int i = 0; i < PQntuples(r3.get()); ++i) {
    t.answers.rule_approvals[PQgetvalue(r3.get(), i, 0)] =
        std::strtoull(PQgetvalue(r3.get(), i, 1), nullptr, 10);
  }
  return t;
}

void PgStore::CreateTamperBase(const std::vector<BenchRecord>& records,
                               size_t batch, uint64_t backup_size) {
  Create(kTamperBase);
  Ingest(kTamperBase, records, 0, backup_size, batch, 1);
  {
    // The owner's backup: what a restore brings back.
    Conn c = Connect(Conninfo(kTamperBase));
    Exec(c.get(), "SET ROLE audit_owner");
    Exec(c.get(), "CREATE TABLE audit_backup AS TABLE audit_log");
  }
  Ingest(kTamperBase, records, backup_size, records.size(), batch, 1);
}

std::vector<std::string> PgStore::PrivilegeChecks() {
  std::vector<std::string> out;
  Conn admin = Connect(Conninfo("postgres"));
  Exec(admin.get(),
       std::string("DROP DATABASE IF EXISTS ") + kTamperWork + " WITH (FORCE)");
  Exec(admin.get(), std::string("CREATE DATABASE ") + kTamperWork +
                        " TEMPLATE " + kTamperBase + " OWNER audit_owner");
  Conn c = Connect(Conninfo(kTamperWork));
  auto attempt = [&](const std::string& role, const std::string& sql) {
    Exec(c.get(), "SET ROLE " + role);
    std::string err = TryExec(c.get(), sql);
    out.push_back(role + ": " + sql + " -> " +
                  (err.empty() ? std::string("succeeded") : "refused: " + err));
  };
  attempt("audit_writer", "UPDATE audit_log SET body = body WHERE seq = 1");
  attempt("audit_writer", "DELETE FROM audit_log WHERE seq = 1");
  attempt("audit_writer", "ALTER TABLE audit_log DISABLE TRIGGER USER");
  attempt("audit_owner", "UPDATE audit_log SET body = body WHERE seq = 1");
  attempt("audit_owner", "TRUNCATE audit_log");
  attempt("audit_owner", "ALTER TABLE audit_log DISABLE TRIGGER USER");
  attempt("audit_owner", "UPDATE audit_log SET body = body WHERE seq = 1");
  attempt("audit_owner", "ALTER TABLE audit_log ENABLE TRIGGER USER");
  attempt("audit_owner", "DROP TRIGGER audit_log_no_change ON audit_log");
  attempt("audit_owner", "DELETE FROM audit_log WHERE seq = 1");
  c.reset();
  Exec(admin.get(), std::string("DROP DATABASE ") + kTamperWork);
  return out;
}

Verdict PgStore::RunTamper(const TamperPlan& plan) {
  Verdict v;
  if (plan.tamper == Tamper::kForgeSignature) {
    v.applicable = false;
    v.note =
        "nothing is signed; the chain has no key, so anyone who can write "
        "the table recomputes it (the cover-tracks rows)";
    return v;
  }
  Conn admin = Connect(Conninfo("postgres"));
  Exec(admin.get(),
       std::string("DROP DATABASE IF EXISTS ") + kTamperWork + " WITH (FORCE)");
  Exec(admin.get(), std::string("CREATE DATABASE ") + kTamperWork +
                        " TEMPLATE " + kTamperBase + " OWNER audit_owner");
  {
    // Everything below runs with the table owner's rights, not a
    // superuser's.
    Conn c = Connect(Conninfo(kTamperWork));
    PGconn* pc = c.get();
    Exec(pc, "SET ROLE audit_owner");
    Exec(pc, "BEGIN");
    Exec(pc, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    const std::string k = Ll(plan.victim);
    long long rechain_from = static_cast<long long>(plan.victim);
    switch (plan.tamper) {
      case Tamper::kEditAmount:
        Exec(pc,
             "UPDATE audit_log SET body = jsonb_set(body, "
             "'{action,amount,value}', to_jsonb(" +
                 Quote(pc, plan.new_amount) + "::text)) WHERE seq = " + k);
        break;
      case Tamper::kDeleteRow:
        Exec(pc, "DELETE FROM audit_log WHERE seq = " + k);
        if (plan.reach == Reach::kCoverTracks) {
          // Close the gap: renumber through negative values so the primary
          // key never collides.
          Exec(pc, "UPDATE audit_log SET seq = -seq WHERE seq > " + k);
          Exec(pc, "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0");
        }
        break;
      case Tamper::kReorder:
        Exec(pc, "UPDATE audit_log SET seq = -1 WHERE seq = " + k);
        Exec(pc, "UPDATE audit_log SET seq = " + k +
                     " WHERE seq = " + Ll(plan.victim + 1));
        Exec(pc, "UPDATE audit_log SET seq = " + Ll(plan.victim + 1) +
                     " WHERE seq = -1");
        break;
      case Tamper::kTruncate:
        Exec(pc, "DELETE FROM audit_log WHERE seq >= " + Ll(plan.keep));
        rechain_from = static_cast<long long>(plan.keep);
        break;
      case Tamper::kRollback:
        Exec(pc, "DELETE FROM audit_log");
        Exec(pc,
             "INSERT INTO audit_log (seq, recorded_at, recorded_by, body, "
             "prev_hash, row_hash) SELECT seq, recorded_at, recorded_by, "
             "body, prev_hash, row_hash FROM audit_backup");
        rechain_from = static_cast<long long>(plan.backup_size);
        break;
      case Tamper::kForgeSignature:
        break;
    }
    if (plan.reach == Reach::kCoverTracks) {
      Exec(pc, Format(kRechain, rechain_from, rechain_from));
    }
    Exec(pc, "ALTER TABLE audit_log ENABLE TRIGGER USER");
    Exec(pc, "COMMIT");
  }
  std::vector<std::string> findings;
  std::vector<int64_t> seqs;
  Verify(kTamperWork, &findings, &seqs);
  v.detected = !findings.empty();
  if (v.detected) v.first_finding = findings.front();
  for (int64_t s : seqs) {
    const auto k = static_cast<int64_t>(plan.victim);
    v.located |= s >= k && s <= k + 2;
  }
  if (plan.tamper == Tamper::kTruncate || plan.tamper == Tamper::kRollback) {
    v.located = v.detected;  // there is no victim row, only a lost tail
  }
  v.note = "SELECT * FROM audit_verify()";
  Exec(admin.get(),
       std::string("DROP DATABASE ") + kTamperWork + " WITH (FORCE)");
  return v;
}

}  // namespace actledger::compare
