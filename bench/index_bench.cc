// Query index benchmark: catch-up rate from an empty index, and lookup
// latency by subject, action id and job id, with a baseline measured in
// the same run over the same ledger:
//
//   read+parse  Ledger::ForEach and the index's leaf parser over every record,
//               no SQLite: the floor any catch-up has to pay
//   per-row     a catch-up from empty that keeps the secondary indexes
//               while inserting (what a catch-up of a few records does)
//
// and the catch-up from empty as Index::CatchUp runs it (bulk: secondary
// indexes dropped, rebuilt at the end).
//
// Usage (results: docs/BENCHMARKS.md, section "Index"):
//
//   index_bench [--records N] [--lookups K] [--dir PATH]
//
// Records come from gen::Generator (seeds 42 and 43, one per generating
// thread). With --dir, a ledger already in PATH with at least N records is
// reused, so repeated runs skip the generation. The index file is deleted
// before the catch-up is timed. Lookups pick K records at random (fixed
// seed) and query their subject, action id and job id (limit 100, the
// CLI's default page), each on a caught-up index; the percentiles are
// nearest rank.
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gen/generator.h"
#include "index/index.h"
#include "index/row.h"

namespace actledger {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "index_bench: %s: %s\n", what.c_str(),
               st.ToString().c_str());
  std::exit(1);
}

// Appends generated records until the ledger holds `n`.
void Fill(const std::string& dir, uint64_t n) {
  if (!std::filesystem::exists(dir + "/ledger.json")) {
    InitOptions init;
    init.origin = "bench/index";
    if (Status st = Ledger::Init(dir, init); !st.ok()) Die("init", st);
  }
  Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir);
  if (!options.ok()) Die("options", options.status());
  Result<std::unique_ptr<Ledger>> ledger = Ledger::Open(dir, *options);
  if (!ledger.ok()) Die("open", ledger.status());
  const uint64_t have = (*ledger)->size();
  if (have >= n) return;
  std::printf("generating %llu records (about 4,000/s per thread)...\n",
              static_cast<unsigned long long>(n - have));
  std::fflush(stdout);
  std::mutex mu;
  uint64_t next = have;
  const auto start = Clock::now();
  auto work = [&](uint64_t seed) {
    gen::Generator g({.seed = seed + have});
    for (;;) {
      std::vector<AppendRequest> batch;
      {
        std::lock_guard lock(mu);
        if (next >= n) return;
        const uint64_t take = std::min<uint64_t>(512, n - next);
        next += take;
        batch.resize(take);
      }
      for (AppendRequest& r : batch) {
        Result<ValidatedRecord> v = ValidateRecord(g.NextLine(), {});
        if (!v.ok()) Die("validate", v.status());
        r = Ledger::Prepare(*std::move(v));
      }
      Result<std::vector<Receipt>> rec =
          (*ledger)->Append(std::move(batch), "bench:index");
      if (!rec.ok()) Die("append", rec.status());
    }
  };
  std::thread t1(work, 42), t2(work, 43);
  t1.join();
  t2.join();
  std::printf("generated in %.1f s\n", Seconds(Clock::now() - start));
}

// CPU seconds of this process (all threads): on a shared machine whose
// load varies, the steadier measure of the work done.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * v.size() + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

}  // namespace
}  // namespace actledger

int main(int argc, char** argv) {
  // NOLINTNEXTLINE(google-build-using-namespace): main only drives the API.
  using namespace actledger;
  uint64_t records = 1000000;
  size_t lookups = 1000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--records") == 0) {
      records = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--lookups") == 0) {
      lookups = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--dir") == 0) {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: index_bench [--records N] [--lookups K] "
                   "[--dir PATH]\n");
      return 2;
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    char templ[] = "/tmp/index_bench.XXXXXX";
    if (::mkdtemp(templ) == nullptr) return 1;
    dir = std::string(templ) + "/data";
    remove_dir = true;
  }
  Fill(dir, records);

  Result<std::unique_ptr<Ledger>> ledger = Ledger::OpenForRead(dir);
  if (!ledger.ok()) Die("open for read", ledger.status());
  const uint64_t n = (*ledger)->size();

  // Baseline: read and parse every leaf, no SQLite.
  uint64_t bytes = 0;
  auto start = Clock::now();
  double cpu0 = CpuSeconds();
  {
    index::RowExtractor extractor;
    index::Row row;
    std::string leaf;
    Status st = (*ledger)->ForEach(0, n, [&](uint64_t s, std::string_view v) {
      bytes += v.size();
      leaf.assign(v);
      return extractor.Extract(leaf, s, &row);
    });
    if (!st.ok()) Die("read and parse", st);
  }
  const double parse_s = Seconds(Clock::now() - start);
  const double parse_cpu = CpuSeconds() - cpu0;

  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir + "/index.db" + suffix);
  }
  // Per-row: the secondary indexes maintained on every insert, as a
  // catch-up of a few records behind runs; then bulk, the default from
  // empty (drop them, insert, recreate them at the end).
  double row_s = 0, row_cpu = 0;
  {
    Result<std::unique_ptr<index::Index>> idx = index::Index::Open(dir);
    if (!idx.ok()) Die("index open", idx.status());
    (*idx)->set_bulk_min_records(UINT64_MAX);
    start = Clock::now();
    cpu0 = CpuSeconds();
    if (Status st = (*idx)->CatchUp(**ledger, nullptr); !st.ok()) {
      Die("catch up", st);
    }
    row_s = Seconds(Clock::now() - start);
    row_cpu = CpuSeconds() - cpu0;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir + "/index.db" + suffix);
  }
  Result<std::unique_ptr<index::Index>> idx = index::Index::Open(dir);
  if (!idx.ok()) Die("index open", idx.status());
  start = Clock::now();
  cpu0 = CpuSeconds();
  if (Status st = (*idx)->CatchUp(**ledger, nullptr); !st.ok()) {
    Die("catch up", st);
  }
  const double catchup_s = Seconds(Clock::now() - start);
  const double catchup_cpu = CpuSeconds() - cpu0;
  const double index_mb =
      std::filesystem::file_size(dir + "/index.db") / 1e6 +
      (std::filesystem::exists(dir + "/index.db-wal")
           ? std::filesystem::file_size(dir + "/index.db-wal") / 1e6
           : 0);

  std::printf("records %llu, %.1f MB of leaves (mean %.0f bytes)\n",
              static_cast<unsigned long long>(n), bytes / 1e6,
              static_cast<double>(bytes) / n);
  std::printf("%-24s %9s %12s %8s %9s %14s\n", "phase", "wall s", "records/s",
              "MB/s", "CPU s", "records/CPU-s");
  std::printf("%-24s %9.2f %12.0f %8.1f %9.2f %14.0f\n",
              "read+parse (baseline)", parse_s, n / parse_s,
              bytes / 1e6 / parse_s, parse_cpu, n / parse_cpu);
  std::printf("%-24s %9.2f %12.0f %8.1f %9.2f %14.0f\n",
              "catch-up, per-row idx", row_s, n / row_s, bytes / 1e6 / row_s,
              row_cpu, n / row_cpu);
  std::printf("%-24s %9.2f %12.0f %8.1f %9.2f %14.0f\n", "catch-up, bulk",
              catchup_s, n / catchup_s, bytes / 1e6 / catchup_s, catchup_cpu,
              n / catchup_cpu);
  std::printf(
      "bulk / read+parse time: %.2f; per-row / bulk time: %.2f; index file "
      "%.0f MB\n",
      catchup_s / parse_s, row_s / catchup_s, index_mb);

  // Lookups on random records' keys.
  std::mt19937_64 rng(7);
  std::vector<uint64_t> picks(lookups);
  for (uint64_t& p : picks) p = rng() % n;
  struct Kind {
    const char* name;
    std::vector<double> ms;
    uint64_t rows = 0;
  };
  Kind kinds[] = {{"subject", {}, 0}, {"action id", {}, 0}, {"job id", {}, 0}};
  index::RowExtractor extractor;
  index::Row row;
  for (uint64_t s : picks) {
    Result<std::string> leaf = (*ledger)->Get(s);
    if (!leaf.ok()) Die("get", leaf.status());
    if (Status st = extractor.Extract(*leaf, s, &row); !st.ok()) {
      Die("parse", st);
    }
    const std::vector<std::vector<std::pair<std::string, std::string>>> qs = {
        {{"subject",
          row[index::kSubjectType].s + ":" + row[index::kSubjectId].s}},
        {{"action-id", row[index::kActionId].s}},
        {{"job", row[index::kJobId].s}}};
    for (size_t k = 0; k < 3; ++k) {
      Result<index::QueryFilter> f = index::ParseQueryFilter(qs[k]);
      if (!f.ok()) continue;  // an incomplete record without that key
      const auto t0 = Clock::now();
      Result<index::QueryPage> page = (*idx)->Query(*f);
      const double ms = Seconds(Clock::now() - t0) * 1e3;
      if (!page.ok()) Die("query", page.status());
      kinds[k].ms.push_back(ms);
      kinds[k].rows += page->records.size();
    }
  }
  std::printf("%-12s %8s %10s %10s %10s\n", "lookup by", "queries",
              "rows/query", "p50 ms", "p99 ms");
  for (const Kind& k : kinds) {
    if (k.ms.empty()) continue;
    std::printf("%-12s %8zu %10.1f %10.3f %10.3f\n", k.name, k.ms.size(),
                static_cast<double>(k.rows) / k.ms.size(), Percentile(k.ms, 50),
                Percentile(k.ms, 99));
  }
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path(), ec);
  }
  return 0;
}
