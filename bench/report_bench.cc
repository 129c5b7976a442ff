// Report benchmark: every report of docs/REPORTS.md over one month of a
// large ledger, against the target of issue #5 (≤ 2 s at 1 million
// records).
//
//   report_bench [--records N] [--span-days D] [--runs R] [--dir PATH]
//                [--policy FILE]
//
// Builds a ledger of N generated records (gen::Generator, seed 7) with a
// policy active (default examples/policy.yaml: run from the source tree),
// catches an index up from it (timed: the catch-up rate is printed as a side
// figure), then times each report (RunReport plus RenderJson) over a 30-day
// window in the middle of the data, R times (median).
//
// Time spread: the ledger stamps `recorded_at` with its own clock, so
// records appended by a benchmark all carry the same few seconds. After
// the catch-up the benchmark sets each row's recorded time in the index to
// the record's `context.occurred_at`, which the generator spreads a few
// seconds apart (1 million records cover about 46 days), optionally
// stretched to --span-days. Only these time columns are changed; the
// reports read the index as they would in production.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gate/gate.h"
#include "gen/generator.h"
#include "index/index.h"
#include "report/report.h"

namespace actledger {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "report_bench: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "report_bench: %s: %s\n", sql, err);
    std::exit(1);
  }
}

int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK ||
      sqlite3_step(s) != SQLITE_ROW) {
    std::fprintf(stderr, "report_bench: %s: %s\n", sql.c_str(),
                 sqlite3_errmsg(db));
    std::exit(1);
  }
  const int64_t v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

std::string QueryText(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  return out;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace
}  // namespace actledger

int main(int argc, char** argv) {
  // NOLINTNEXTLINE(google-build-using-namespace): main only drives the API.
  using namespace actledger;
  uint64_t records = 1000000;
  int runs = 3;
  double span_days = 0;
  std::string dir;
  std::string policy_file = "examples/policy.yaml";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "report_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--records") {
      records = std::stoull(next());
    } else if (a == "--runs") {
      runs = std::stoi(next());
    } else if (a == "--span-days") {
      span_days = std::stod(next());
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--policy") {
      policy_file = next();
    } else {
      std::fprintf(stderr,
                   "usage: report_bench [--records N] [--span-days D] "
                   "[--runs R] [--dir PATH] [--policy FILE]\n");
      return 2;
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    std::string templ = "/tmp/report_bench.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = templ + "/data";
    remove_dir = true;
  }

  // --- Build the ledger ------------------------------------------------------
  InitOptions init;
  init.origin = "bench.example/reports";
  init.admin = "local:bench";
  if (Status s = Ledger::Init(dir, init); !s.ok()) Die("init", s);
  LedgerOptions lo;
  lo.checkpoint_every_seconds = 0;
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir, lo);
  if (!ledger.ok()) Die("open", ledger.status());
  {
    Result<std::unique_ptr<gate::Gate>> g = gate::Gate::Open(ledger->get());
    if (!g.ok()) Die("gate", g.status());
    if (Status s = (*g)->Bootstrap("local:bench"); !s.ok()) Die("admin", s);
    const std::string text = ReadFileText(policy_file);
    if (text.empty()) {
      std::fprintf(stderr, "report_bench: cannot read %s\n",
                   policy_file.c_str());
      return 1;
    }
    Result<uint64_t> p = (*g)->ActivatePolicy("local:bench", text, policy_file);
    if (!p.ok()) Die("policy", p.status());
  }
  gen::Options go;
  go.seed = 7;
  gen::Generator gen(go);
  const auto t_ingest = Clock::now();
  constexpr uint64_t kBatch = 2048;
  for (uint64_t done = 0; done < records;) {
    std::vector<AppendRequest> batch;
    const uint64_t n = std::min(kBatch, records - done);
    for (uint64_t i = 0; i < n; ++i) {
      Result<ValidatedRecord> r = ValidateRecordValue(gen.Next(), {});
      if (!r.ok()) Die("generated record", r.status());
      batch.push_back(Ledger::Prepare(*std::move(r)));
    }
    Result<std::vector<Receipt>> rc =
        (*ledger)->Append(std::move(batch), "local:bench");
    if (!rc.ok()) Die("append", rc.status());
    done += n;
    if (done % (kBatch * 64) == 0) {
      std::fprintf(stderr, "\ringest %llu / %llu",
                   static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(records));
    }
  }
  const double ingest_s = Ms(Clock::now() - t_ingest) / 1000;
  std::fprintf(stderr, "\n");

  // --- Index
  // ------------------------------------------------------------------
  Result<std::unique_ptr<index::Index>> idx = index::Index::Open(dir);
  if (!idx.ok()) Die("index", idx.status());
  const auto t_index = Clock::now();
  if (Status s = (*idx)->CatchUp(**ledger, {}); !s.ok()) Die("catch up", s);
  const double index_s = Ms(Clock::now() - t_index) / 1000;
  sqlite3* db = (*idx)->db();
  const int64_t t0 = QueryInt(db, "SELECT MIN(occurred_at_us) FROM records");
  const int64_t t1 = QueryInt(db, "SELECT MAX(occurred_at_us) FROM records");
  const double natural_days = static_cast<double>(t1 - t0) / 86400e6;
  const double stretch = span_days > 0 ? span_days / natural_days : 1.0;
  char sql[512];
  std::snprintf(sql, sizeof sql,
                "BEGIN; UPDATE records SET recorded_at_us = %lld + "
                "CAST((COALESCE(occurred_at_us, %lld) - %lld) * %.9f AS "
                "INTEGER); UPDATE actions SET first_recorded_at_us = "
                "(SELECT recorded_at_us FROM records WHERE seq = first_seq); "
                "COMMIT; ANALYZE;",
                static_cast<long long>(t0), static_cast<long long>(t0),
                static_cast<long long>(t0), stretch);
  Exec(db, sql);
  const double days = natural_days * stretch;
  // A 30-day window in the middle of the data.
  const int64_t mid = t0 + static_cast<int64_t>((t1 - t0) * stretch / 2);
  const int64_t from_us =
      std::max<int64_t>(t0, mid - int64_t{15} * 86400000000);
  const int64_t to_us = from_us + int64_t{30} * 86400000000;
  auto rfc = [](int64_t us) {
    return FormatRfc3339Utc(UtcTime{us / 1000000, 0}, 0);
  };
  const std::string from = rfc(from_us), to = rfc(to_us);
  std::snprintf(sql, sizeof sql,
                "SELECT COUNT(*) FROM actions WHERE first_recorded_at_us >= "
                "%lld AND first_recorded_at_us < %lld",
                static_cast<long long>(from_us), static_cast<long long>(to_us));
  const int64_t in_window = QueryInt(db, sql);
  std::snprintf(sql, sizeof sql,
                "SELECT subject_type || ':' || subject_id FROM actions WHERE "
                "first_recorded_at_us >= %lld AND subject_id IS NOT NULL "
                "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
                static_cast<long long>(from_us));
  const std::string subject = QueryText(db, sql);

  std::printf(
      "report_bench: %llu records over %.1f days; window %s .. %s holds "
      "%lld actions\n",
      static_cast<unsigned long long>(records), days, from.c_str(), to.c_str(),
      static_cast<long long>(in_window));
  std::printf(
      "ingest %.1f s (%.0f records/s), index catch-up %.1f s (%.0f "
      "records/s)\n\n",
      ingest_s, records / ingest_s, index_s, records / index_s);
  std::printf("%-16s %10s %10s %12s %12s   %s\n", "report", "rows", "run ms",
              "render ms", "JSON bytes", "target <= 2000 ms");

  for (const std::string& name : report::ReportNames()) {
    std::vector<std::pair<std::string, std::string>> params = {{"from", from},
                                                               {"to", to}};
    if (name == "subject") params.push_back({"subject", subject});
    if (name == "incident") {
      params.push_back({"discovered-at", to});
    }
    Result<report::ReportOptions> o = report::ParseReportOptions(params);
    if (!o.ok()) Die(name, o.status());
    o->index = idx->get();
    o->ledger = ledger->get();
    std::vector<double> run_ms, render_ms;
    size_t rows = 0, bytes = 0;
    for (int r = 0; r < runs; ++r) {
      const auto a = Clock::now();
      Result<report::ReportResult> res = report::RunReport(name, *o);
      const auto b = Clock::now();
      if (!res.ok()) Die(name, res.status());
      const std::string json = report::RenderJson(*res);
      const auto c = Clock::now();
      run_ms.push_back(Ms(b - a));
      render_ms.push_back(Ms(c - b));
      rows = 0;
      for (const auto& s : res->sections) rows += s.rows.size();
      bytes = json.size();
    }
    std::sort(run_ms.begin(), run_ms.end());
    std::sort(render_ms.begin(), render_ms.end());
    const double run = run_ms[run_ms.size() / 2];
    const double render = render_ms[render_ms.size() / 2];
    std::printf("%-16s %10zu %10.0f %12.0f %12zu   %s\n", name.c_str(), rows,
                run, render, bytes, run + render <= 2000 ? "MET" : "NOT MET");
  }
  idx->reset();
  ledger->reset();
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ec);
  }
  return 0;
}
