// compare_bench: actledger beside a PostgreSQL audit table, the same table
// in SQLite, and the raw floor, measured in one run on one machine; then
// the same tamperings against each store. Run it through
// scripts/bench-compare.sh, which starts the throwaway PostgreSQL server;
// results and their reading: docs/BENCHMARKS.md.
//
//   compare_bench --pg "host=127.0.0.1 port=P user=postgres"
//                 --actledger build/h-pg/actledger
//                 [--records N] [--batch B] [--clients C] [--runs R]
//                 [--tamper-records N] [--dir PATH] [--long]
//
// Every figure is the median over R runs; the stores take turns within a
// run, in an order that rotates from run to run, so drift of a shared
// machine spreads over all of them.
#include <sys/statfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "actledger/json.h"
#include "actledger/record.h"
#include "compare/stores.h"
#include "gen/generator.h"

namespace actledger::compare {
namespace {

namespace fs = std::filesystem;

struct Flags {
  uint64_t records = 20000;
  size_t batch = 256;
  unsigned clients = 4;
  unsigned runs = 3;
  uint64_t tamper_records = 2000;
  std::string dir;
  std::string pg;
  std::string cli;
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(
      stderr,
      "compare_bench: %s\n"
      "usage: compare_bench --pg CONNINFO --actledger BIN [--records N] "
      "[--batch B] [--clients C] [--runs R] [--tamper-records N] [--dir "
      "PATH] [--long]\n",
      error.c_str());
  std::exit(2);
}

uint64_t ParseCount(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v == 0 || text[0] == '-') {
    Usage(flag + " takes a positive integer, got '" + text + "'");
  }
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  bool records_set = false;
  bool runs_set = false;
  bool is_long = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--long") {
      is_long = true;
      continue;
    }
    if (i + 1 >= argc) Usage(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--records") {
      f.records = ParseCount(arg, value);
      records_set = true;
    } else if (arg == "--batch") {
      f.batch = ParseCount(arg, value);
    } else if (arg == "--clients") {
      f.clients = static_cast<unsigned>(ParseCount(arg, value));
    } else if (arg == "--runs") {
      f.runs = static_cast<unsigned>(ParseCount(arg, value));
      runs_set = true;
    } else if (arg == "--tamper-records") {
      f.tamper_records = ParseCount(arg, value);
    } else if (arg == "--dir") {
      f.dir = value;
    } else if (arg == "--pg") {
      f.pg = value;
    } else if (arg == "--actledger") {
      f.cli = value;
    } else {
      Usage("unknown argument '" + arg + "'");
    }
  }
  if (is_long) {
    if (!records_set) f.records = 100000;
    if (!runs_set) f.runs = 5;
  }
  if (f.pg.empty()) Usage("--pg is required (libpq conninfo of a superuser)");
  if (f.cli.empty()) Usage("--actledger is required (the actledger binary)");
  if (f.tamper_records < 100) Usage("--tamper-records must be at least 100");
  return f;
}

std::string FieldString(const json::Value& body, std::string_view path) {
  const json::Value* v = body.FindPath(path);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

std::vector<BenchRecord> MakeRecords(uint64_t n) {
  gen::Generator g({.seed = 42});
  std::vector<BenchRecord> out;
  out.reserve(n);
  std::string by;
  json::AppendCanonicalString("bench:writer", &by);
  std::string at;
  json::AppendCanonicalString("2026-11-28T12:00:00.000000Z", &at);
  for (uint64_t i = 0; i < n; ++i) {
    BenchRecord r;
    r.line = g.NextLine();
    Result<ValidatedRecord> v = ValidateRecord(r.line, {});
    if (!v.ok()) Check(v.status(), "generated record " + std::to_string(i));
    r.subject_type = FieldString(v->body, "subject.type");
    r.subject_id = FieldString(v->body, "subject.id");
    r.model_version = FieldString(v->body, "model.version");
    r.occurred_at = FieldString(v->body, "context.occurred_at");
    r.approval_mode = FieldString(v->body, "approval.mode");
    r.rule_id = FieldString(v->body, "approval.rule.id");
    r.amount_value = FieldString(v->body, "action.amount.value");
    std::string kind;
    json::AppendCanonicalString(RecordKindName(v->kind), &kind);
    r.request = Ledger::Prepare(*std::move(v));
    r.body = r.request.body.Render({});
    const std::string seq = std::to_string(i);
    r.leaf = r.request.body.Render({{"kind", kind},
                                    {"recorded_at", at},
                                    {"recorded_by", by},
                                    {"seq", seq}});
    out.push_back(std::move(r));
  }
  return out;
}

Questions PickQuestions(const std::vector<BenchRecord>& records) {
  Questions q;
  std::map<std::pair<std::string, std::string>, uint64_t> subjects;
  for (const BenchRecord& r : records) {
    if (!r.subject_id.empty()) ++subjects[{r.subject_type, r.subject_id}];
  }
  uint64_t best = 0;
  for (const auto& [subject, count] : subjects) {
    if (count > best) {
      best = count;
      q.subject_type = subject.first;
      q.subject_id = subject.second;
    }
  }
  q.model_version = records[records.size() / 2].model_version;
  // This calendar month (UTC): the records are recorded now.
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  const std::time_t begin = timegm(&tm);
  tm.tm_mon += 1;
  const std::time_t end = timegm(&tm);  // normalizes December + 1
  auto rfc3339 = [](std::time_t t) {
    std::tm u{};
    gmtime_r(&t, &u);
    char buf[32];
    // The text always fits (20 characters); if it ever did not, strftime's
    // 0 gives "" instead of reading an unterminated buffer.
    const size_t len =
        std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &u);
    return std::string(buf, len);
  };
  q.month_begin = rfc3339(begin);
  q.month_end = rfc3339(end);
  q.month_begin_us = static_cast<int64_t>(begin) * 1000000;
  q.month_end_us = static_cast<int64_t>(end) * 1000000;
  return q;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank =
      static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One store's figures over the runs.
struct Row {
  explicit Row(std::string row_name) : name(std::move(row_name)) {}

  std::string name;
  std::vector<double> seconds, p50, p99, bytes, verify, q1, q2, q3, catch_up;
  bool has_verify = false;
  bool has_queries = false;
  std::string query_how;

  void AddIngest(const Sample& s) {
    seconds.push_back(s.seconds);
    p50.push_back(Percentile(s.latencies, 50));
    p99.push_back(Percentile(s.latencies, 99));
  }
  void AddQueries(const QueryTimes& t) {
    has_queries = true;
    q1.push_back(t.by_subject);
    q2.push_back(t.by_model_month);
    q3.push_back(t.rule_approvals);
    catch_up.push_back(t.catch_up);
  }
};

std::string FileSystemType(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<uint64_t>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    default:
      return "other";
  }
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

void CheckAnswers(const std::string& store, const Answers& got,
                  const Answers& want) {
  if (got == want) return;
  Die(store + " answered the investigation queries wrongly: by subject " +
      std::to_string(got.by_subject) + " (expected " +
      std::to_string(want.by_subject) + "), by model version and month " +
      std::to_string(got.by_model_month) + " (expected " +
      std::to_string(want.by_model_month) + "), " +
      std::to_string(got.rule_approvals.size()) + " rules (expected " +
      std::to_string(want.rule_approvals.size()) + ")");
}

class WorkDir {
 public:
  explicit WorkDir(const std::string& requested) {
    if (!requested.empty()) {
      std::error_code ec;
      fs::create_directories(requested, ec);
      if (ec) Die("cannot create " + requested + ": " + ec.message());
      path_ = requested;
      return;
    }
    char tmpl[] = "/tmp/compare_bench.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      Die(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = tmpl;
    owned_ = true;
  }
  ~WorkDir() {
    if (!owned_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

std::string Cell(const Verdict& v) {
  if (!v.applicable) return "n/a";
  if (!v.detected) return "NOT detected";
  return v.located ? "detected, located" : "detected, not located";
}

void RunTampering(const Flags& f, const std::string& work, PgStore& pg,
                  SqliteStore& sqlite, LedgerStore& ledger) {
  const std::vector<BenchRecord> records = MakeRecords(f.tamper_records);
  const uint64_t n = records.size();
  TamperPlan base;
  base.backup_size = n / 2;
  base.keep = n - std::max<uint64_t>(n / 20, 1);
  // The victim: a record with an amount, past the backup.
  base.victim = n;
  for (uint64_t i = n * 3 / 4; i + 1 < n; ++i) {
    if (!records[i].amount_value.empty() &&
        std::isdigit(static_cast<unsigned char>(records[i].amount_value[0]))) {
      base.victim = i;
      break;
    }
  }
  if (base.victim >= n) Die("no record with an amount in the last quarter");
  base.new_amount = records[base.victim].amount_value;
  base.new_amount[0] = base.new_amount[0] == '9'
                           ? '1'
                           : static_cast<char>(base.new_amount[0] + 1);

  std::fprintf(stderr, "tampering: building the stores (%llu records)...\n",
               static_cast<unsigned long long>(n));
  pg.CreateTamperBase(records, f.batch, base.backup_size);
  sqlite.CreateTamperBase(work + "/sqlite-tamper-base.db", records, f.batch,
                          base.backup_size);
  ledger.CreateTamperBase(work, records, f.batch, base.backup_size);

  std::printf(
      "\nGuarantees: each tampering applied to a copy of each store (%llu "
      "records; victim seq %llu, amount %s -> %s; truncation keeps %llu; "
      "backup at %llu), then the store's own verification\n\n",
      static_cast<unsigned long long>(n),
      static_cast<unsigned long long>(base.victim),
      records[base.victim].amount_value.c_str(), base.new_amount.c_str(),
      static_cast<unsigned long long>(base.keep),
      static_cast<unsigned long long>(base.backup_size));
  std::printf("%-28s %-15s | %-21s | %-21s | %-21s | %-21s\n", "tampering",
              "attacker", "PostgreSQL chain", "SQLite chain",
              "actledger verify", "verify --trusted CP");
  struct Case {
    Tamper tamper;
    Reach reach;
  };
  const std::vector<Case> cases = {
      {Tamper::kEditAmount, Reach::kData},
      {Tamper::kEditAmount, Reach::kCoverTracks},
      {Tamper::kDeleteRow, Reach::kData},
      {Tamper::kDeleteRow, Reach::kCoverTracks},
      {Tamper::kReorder, Reach::kData},
      {Tamper::kReorder, Reach::kCoverTracks},
      {Tamper::kTruncate, Reach::kData},
      {Tamper::kTruncate, Reach::kCoverTracks},
      {Tamper::kRollback, Reach::kData},
      {Tamper::kForgeSignature, Reach::kData},
  };
  std::vector<std::string> details;
  for (const Case& c : cases) {
    TamperPlan plan = base;
    plan.tamper = c.tamper;
    plan.reach = c.reach;
    const Verdict p = pg.RunTamper(plan);
    const Verdict s = sqlite.RunTamper(plan, work);
    const auto [l, lt] = ledger.RunTamper(plan, work);
    const char* reach = c.tamper == Tamper::kRollback ? "restores backup"
                        : c.tamper == Tamper::kForgeSignature
                            ? "without the key"
                        : c.reach == Reach::kData ? "edits data"
                                                  : "covers tracks";
    std::printf("%-28s %-15s | %-21s | %-21s | %-21s | %-21s\n",
                TamperName(c.tamper), reach, Cell(p).c_str(), Cell(s).c_str(),
                Cell(l).c_str(), Cell(lt).c_str());
    std::fflush(stdout);
    const std::string head =
        std::string(TamperName(c.tamper)) + " (" + reach + "): ";
    auto detail = [&](const char* store, const Verdict& v) {
      details.push_back(head + store + ": " +
                        (!v.applicable ? v.note
                         : v.detected  ? v.first_finding
                                       : std::string("passes")));
    };
    detail("PostgreSQL", p);
    detail("SQLite", s);
    detail("actledger verify", l);
    detail("actledger verify --trusted", lt);
  }
  std::printf(
      "\n(\"edits data\": rows/frames changed with the integrity data left "
      "as it was; \"covers tracks\": the table owner disables the triggers "
      "and recomputes the chain, or the holder of the data directory "
      "renumbers, rebuilds the tree and re-signs every checkpoint with "
      "keys/signing.key; --trusted CP: the checkpoint an auditor kept "
      "outside the operator's reach)\n\nFirst finding of each "
      "verification:\n");
  for (const std::string& d : details) std::printf("  %s\n", d.c_str());
  std::printf(
      "\nWhat the PostgreSQL roles may do (table owner audit_owner, "
      "writer audit_writer):\n");
  for (const std::string& line : pg.PrivilegeChecks()) {
    std::printf("  %s\n", line.c_str());
  }
}

int Run(const Flags& f) {
  WorkDir work(f.dir);
  std::fprintf(stderr, "generating and validating %llu records...\n",
               static_cast<unsigned long long>(f.records));
  const std::vector<BenchRecord> records = MakeRecords(f.records);
  uint64_t leaf_bytes = 0;
  for (const BenchRecord& r : records) leaf_bytes += r.leaf.size();
  const Questions q = PickQuestions(records);
  const Answers want = ExpectedAnswers(records, q);

  PgStore pg(f.pg);
  SqliteStore sqlite;
  LedgerStore ledger(f.cli);
  HttpStore http(f.cli);
  std::string http_why;
  const bool with_http = http.Available(&http_why);

  std::printf(
      "compare_bench: %llu records (mean %.0f B), batch %zu, %u clients, %u "
      "runs (medians)\nmachine: %u cores, %s; %s on %s\nquestions: subject "
      "%s:%s (%llu records); model version %s recorded in [%s, %s) (%llu); "
      "approvals per rule (%zu rules)\n\n",
      static_cast<unsigned long long>(records.size()),
      static_cast<double>(leaf_bytes) / static_cast<double>(records.size()),
      f.batch, f.clients, f.runs, std::thread::hardware_concurrency(),
      CpuModel().c_str(), work.path().c_str(),
      FileSystemType(work.path()).c_str(), q.subject_type.c_str(),
      q.subject_id.c_str(), static_cast<unsigned long long>(want.by_subject),
      q.model_version.c_str(), q.month_begin.c_str(), q.month_end.c_str(),
      static_cast<unsigned long long>(want.by_model_month),
      want.rule_approvals.size());
  std::fflush(stdout);

  Row raw{"raw file + fdatasync"};
  Row lib{"actledger library"};
  Row web{"actledger HTTP"};
  Row pgrow{"PostgreSQL table"};
  Row lite{"SQLite table"};
  const std::string ldir = work.path() + "/actledger";
  const std::string hdir = work.path() + "/actledger-http";
  const std::string sqlite_path = work.path() + "/audit.db";
  const std::string raw_path = work.path() + "/raw.jsonl";
  constexpr char kPgDb[] = "audit_bench";
  for (unsigned run = 0; run < f.runs; ++run) {
    std::fprintf(stderr, "run %u/%u:", run + 1, f.runs);
    for (unsigned step = 0; step < 5; ++step) {
      switch ((step + run) % 5) {
        case 0: {
          raw.AddIngest(RawIngest(raw_path, records, f.batch, f.clients));
          raw.bytes.push_back(static_cast<double>(fs::file_size(raw_path)));
          fs::remove(raw_path);
          std::fprintf(stderr, " raw %.2fs", raw.seconds.back());
          break;
        }
        case 1: {
          lib.AddIngest(ledger.Ingest(ldir, records, f.batch, f.clients));
          lib.bytes.push_back(static_cast<double>(LedgerStore::Bytes(ldir)));
          lib.has_verify = true;
          lib.verify.push_back(ledger.Verify(ldir));
          const QueryTimes t = ledger.Query(ldir, q, &lib.query_how);
          CheckAnswers("actledger", t.answers, want);
          lib.AddQueries(t);
          fs::remove_all(ldir);
          std::fprintf(stderr, " actledger %.2fs (verify %.2fs)",
                       lib.seconds.back(), lib.verify.back());
          break;
        }
        case 2: {
          if (!with_http) break;
          web.AddIngest(http.Ingest(hdir, records, f.batch, f.clients));
          web.bytes.push_back(static_cast<double>(LedgerStore::Bytes(hdir)));
          fs::remove_all(hdir);
          std::fprintf(stderr, " http %.2fs", web.seconds.back());
          break;
        }
        case 3: {
          pg.Create(kPgDb);
          pgrow.AddIngest(
              pg.Ingest(kPgDb, records, 0, records.size(), f.batch, f.clients));
          pgrow.bytes.push_back(static_cast<double>(pg.Bytes(kPgDb)));
          pgrow.has_verify = true;
          std::vector<std::string> findings;
          pgrow.verify.push_back(pg.Verify(kPgDb, &findings, nullptr));
          if (!findings.empty()) {
            Die("the untouched PostgreSQL chain fails: " + findings.front());
          }
          const QueryTimes t = pg.Query(kPgDb, q);
          CheckAnswers("PostgreSQL", t.answers, want);
          pgrow.AddQueries(t);
          std::fprintf(stderr, " pg %.2fs (verify %.2fs)", pgrow.seconds.back(),
                       pgrow.verify.back());
          break;
        }
        case 4: {
          sqlite.Create(sqlite_path);
          lite.AddIngest(sqlite.Ingest(sqlite_path, records, 0, records.size(),
                                       f.batch, f.clients));
          lite.bytes.push_back(static_cast<double>(sqlite.Bytes(sqlite_path)));
          lite.has_verify = true;
          std::vector<std::string> findings;
          lite.verify.push_back(sqlite.Verify(sqlite_path, &findings, nullptr));
          if (!findings.empty()) {
            Die("the untouched SQLite chain fails: " + findings.front());
          }
          const QueryTimes t = sqlite.Query(sqlite_path, q);
          CheckAnswers("SQLite", t.answers, want);
          lite.AddQueries(t);
          fs::remove(sqlite_path);
          std::fprintf(stderr, " sqlite %.2fs (verify %.2fs)",
                       lite.seconds.back(), lite.verify.back());
          break;
        }
      }
    }
    std::fprintf(stderr, "\n");
  }

  const double n = static_cast<double>(records.size());
  const double mb = static_cast<double>(leaf_bytes) / 1e6;
  std::vector<const Row*> rows = {&raw, &lib};
  if (with_http) rows.push_back(&web);
  rows.push_back(&pgrow);
  rows.push_back(&lite);
  auto rate = [&](const Row& r) { return n / Median(r.seconds); };

  std::printf("Durable ingest (%u clients, batches of %zu)\n", f.clients,
              f.batch);
  std::printf("%-22s %10s %8s %8s %8s %9s %9s %11s\n", "store", "records/s",
              "MB/s", "p50 ms", "p99 ms", "x PG", "x raw", "bytes/rec");
  for (const Row* r : rows) {
    std::printf("%-22s %10.0f %8.1f %8.2f %8.2f %9.2f %9.2f %11.0f\n",
                r->name.c_str(), rate(*r), mb / Median(r->seconds),
                Median(r->p50) * 1e3, Median(r->p99) * 1e3,
                rate(*r) / rate(pgrow), rate(*r) / rate(raw),
                Median(r->bytes) / n);
  }
  std::printf(
      "(bytes/rec: PostgreSQL pg_total_relation_size = heap + TOAST + "
      "indexes, WAL not counted; SQLite the database file after a WAL "
      "checkpoint; actledger every file in its data directory)\n\n");

  std::printf("Integrity check of the whole store\n");
  std::printf("%-22s %10s %12s %9s\n", "store", "seconds", "records/s", "x PG");
  for (const Row* r : {&lib, &pgrow, &lite}) {
    const double t = Median(r->verify);
    std::printf("%-22s %10.3f %12.0f %9.2f\n", r->name.c_str(), t, n / t,
                Median(pgrow.verify) / t);
  }
  std::printf(
      "(actledger: VerifyLedger, what `actledger verify` runs; PostgreSQL: "
      "SELECT * FROM audit_verify(), the chain recomputed in SQL; SQLite: the "
      "chain recomputed by the application)\n\n");

  std::printf("Investigation queries, milliseconds (x PG = PG time / time)\n");
  std::printf("%-22s %10s %8s %14s %8s %12s %8s\n", "store", "by subject",
              "x PG", "model+month", "x PG", "rule apprvl", "x PG");
  for (const Row* r : {&lib, &pgrow, &lite}) {
    std::printf("%-22s %10.2f %8.2f %14.2f %8.2f %12.2f %8.2f\n",
                r->name.c_str(), Median(r->q1) * 1e3,
                Median(pgrow.q1) / Median(r->q1), Median(r->q2) * 1e3,
                Median(pgrow.q2) / Median(r->q2), Median(r->q3) * 1e3,
                Median(pgrow.q3) / Median(r->q3));
  }
  std::printf(
      "(actledger: %s. Before the first question it caught its index up "
      "with the log: %.2f s for %llu records, work the tables do while "
      "inserting. Every store's answers matched the ones computed from the "
      "generated records.)\n\n",
      lib.query_how.c_str(), Median(lib.catch_up),
      static_cast<unsigned long long>(records.size()));

  auto target = [](const char* name, double value, double goal) {
    std::printf("%-44s %8.2f   target >= %-5g %s\n", name, value, goal,
                value >= goal ? "MET" : "NOT MET");
  };
  target("actledger library ingest / PostgreSQL", rate(lib) / rate(pgrow), 5);
  target("actledger library ingest / raw floor", rate(lib) / rate(raw), 0.5);
  if (with_http) {
    target("actledger HTTP ingest / PostgreSQL", rate(web) / rate(pgrow), 5);
    target("actledger HTTP ingest / raw floor", rate(web) / rate(raw), 0.5);
  } else {
    std::printf("%-44s %s\n", "actledger HTTP ingest", http_why.c_str());
  }
  target("verify speed / PostgreSQL chain recompute",
         Median(pgrow.verify) / Median(lib.verify), 10);
  std::fflush(stdout);

  RunTampering(f, work.path(), pg, sqlite, ledger);
  return 0;
}

}  // namespace
}  // namespace actledger::compare

int main(int argc, char** argv) {
  return actledger::compare::Run(actledger::compare::ParseFlags(argc, argv));
}
