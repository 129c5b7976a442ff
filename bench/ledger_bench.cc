// Durable-append, verify and memory benchmark of the ledger, with baselines
// measured in the same run over the same record bytes:
//
//   raw       write() + one fdatasync per batch to a plain file
//   sqlite    SQLite (WAL, synchronous=FULL), one transaction per batch,
//             indexes on action_id and action_type
//   sha256    merkle::HashLeaf over every record on one thread
//
// Usage (results and the machine they came from: docs/BENCHMARKS.md):
//
//   ledger_bench [--records N] [--batch B] [--threads T] [--runs R]
//                [--dir PATH]
//   ledger_bench --memory N [--batch B] [--dir PATH]
//
// Records come from gen::Generator (seed 42); they are generated, validated
// and prepared (Ledger::Prepare) before any timing starts, and each phase
// gets its own fresh directory. Every figure is the median over R runs; the
// phases of one run are interleaved with those of the others so that drift
// of a shared machine spreads over all of them. MB are 10^6 bytes of record
// (canonical leaf) bytes, the same unit for every phase.
//
// --memory streams N records through one ledger (cycling over a pool of
// kMemoryPool generated records, about 12 MB, made before the baseline is
// read) and reports the process's peak resident set (VmHWM) as it goes.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/merkle.h"
#include "actledger/record.h"
#include "actledger/status.h"
#include "gen/generator.h"

namespace actledger {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ledger_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what + ": " + st.ToString());
}

struct Flags {
  uint64_t records = 100000;
  size_t batch = 256;
  unsigned threads = 8;
  unsigned runs = 3;
  std::string dir;
  uint64_t memory = 0;  // > 0: the --memory mode
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr,
               "ledger_bench: %s\n"
               "usage: ledger_bench [--records N] [--batch B] [--threads T] "
               "[--runs R] [--dir PATH]\n"
               "       ledger_bench --memory N [--batch B] [--dir PATH]\n",
               error.c_str());
  std::exit(3);
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
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (arg == "--records" || arg == "--batch" || arg == "--threads" ||
               arg == "--runs" || arg == "--dir" || arg == "--memory") {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--records") {
      f.records = ParseCount(arg, value);
    } else if (arg == "--batch") {
      f.batch = ParseCount(arg, value);
    } else if (arg == "--threads") {
      f.threads = static_cast<unsigned>(ParseCount(arg, value));
    } else if (arg == "--runs") {
      f.runs = static_cast<unsigned>(ParseCount(arg, value));
    } else if (arg == "--dir") {
      if (value.empty()) Usage("--dir needs a path");
      f.dir = value;
    } else if (arg == "--memory") {
      f.memory = ParseCount(arg, value);
    } else {
      Usage("unknown argument '" + arg + "'");
    }
  }
  return f;
}

// --- Machine and process facts ----------------------------------------------

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string FileSystemType(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<uint64_t>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "0x%llx",
                    static_cast<unsigned long long>(s.f_type));
      return buf;
    }
  }
}

// A "VmXxx:" line of /proc/self/status, in KiB, or 0.
uint64_t ProcStatusKib(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::strtoull(line.c_str() + key.size(), nullptr, 10);
    }
  }
  return 0;
}

// --- Records
// ------------------------------------------------------------------

// One record in every form the phases need.
struct BenchRecord {
  AppendRequest request;    // what Ledger::Append takes
  std::string bytes;        // canonical leaf bytes as the ledger stores them
  std::string action_type;  // for the SQLite columns
  std::string occurred_at;
};

constexpr char kRecordedBy[] = "bench";
// Records in the pool that --memory appends over and over.
constexpr uint64_t kMemoryPool = 4096;

std::string FieldString(const json::Value& body, std::string_view path) {
  const json::Value* v = body.FindPath(path);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

// Generates and validates `n` records and renders each the way the ledger
// will store it (the envelope with seq, a fixed recorded_at of the same
// length as the ledger's, and recorded_by "bench"), so every phase handles
// the same bytes.
std::vector<BenchRecord> MakeRecords(uint64_t n) {
  gen::Generator g({.seed = 42});
  std::vector<BenchRecord> out;
  out.reserve(n);
  std::string by;
  json::AppendCanonicalString(kRecordedBy, &by);
  std::string at;
  json::AppendCanonicalString("2026-11-28T12:00:00.000000Z", &at);
  for (uint64_t i = 0; i < n; ++i) {
    Result<ValidatedRecord> v = ValidateRecord(g.NextLine(), {});
    if (!v.ok()) Check(v.status(), "generated record " + std::to_string(i));
    BenchRecord r;
    r.action_type = FieldString(v->body, "action.type");
    r.occurred_at = FieldString(v->body, "context.occurred_at");
    std::string kind;
    json::AppendCanonicalString(RecordKindName(v->kind), &kind);
    r.request = Ledger::Prepare(*std::move(v));
    const std::string seq = std::to_string(i);
    r.bytes = r.request.body.Render({{"kind", kind},
                                     {"recorded_at", at},
                                     {"recorded_by", by},
                                     {"seq", seq}});
    out.push_back(std::move(r));
  }
  return out;
}

// Copies of the prepared requests, cut into batches (made before timing:
// Append consumes its batch).
std::vector<std::vector<AppendRequest>> Batches(
    const std::vector<BenchRecord>& records, size_t batch) {
  std::vector<std::vector<AppendRequest>> out;
  for (size_t i = 0; i < records.size(); i += batch) {
    std::vector<AppendRequest> b;
    const size_t end = std::min(records.size(), i + batch);
    b.reserve(end - i);
    for (size_t k = i; k < end; ++k) b.push_back(records[k].request);
    out.push_back(std::move(b));
  }
  return out;
}

// --- Measurements
// ---------------------------------------------------------------

struct Sample {
  double seconds = 0;
  std::vector<double> latencies;  // per batch, seconds
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank.
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

Sample RawAppend(const std::vector<BenchRecord>& records, size_t batch,
                 const std::string& path) {
  const int fd = ::open(
      path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  Sample s;
  std::string buf;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < records.size(); i += batch) {
    const auto b0 = Clock::now();
    buf.clear();
    const size_t end = std::min(records.size(), i + batch);
    for (size_t k = i; k < end; ++k) {
      buf += records[k].bytes;
      buf += '\n';
    }
    std::string_view rest(buf);
    while (!rest.empty()) {
      const ssize_t w = ::write(fd, rest.data(), rest.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        Die("write " + path + ": " + std::strerror(errno));
      }
      rest.remove_prefix(static_cast<size_t>(w));
    }
    if (::fdatasync(fd) != 0) {
      Die("fdatasync " + path + ": " + std::strerror(errno));
    }
    s.latencies.push_back(Seconds(Clock::now() - b0));
  }
  s.seconds = Seconds(Clock::now() - t0);
  ::close(fd);
  return s;
}

std::unique_ptr<Ledger> NewLedger(const std::string& dir) {
  InitOptions init;
  init.origin = "bench/ledger";
  Check(Ledger::Init(dir, init), "init " + dir);
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, {});
  if (!l.ok()) Check(l.status(), "open " + dir);
  return *std::move(l);
}

// Appends every batch from one thread. The ledger is closed (writing its
// final checkpoint) after the clock stops.
Sample LedgerAppendSingle(std::vector<std::vector<AppendRequest>> batches,
                          const std::string& dir) {
  std::unique_ptr<Ledger> ledger = NewLedger(dir);
  Sample s;
  const auto t0 = Clock::now();
  for (auto& b : batches) {
    const auto b0 = Clock::now();
    Result<std::vector<Receipt>> r = ledger->Append(std::move(b), kRecordedBy);
    if (!r.ok()) Check(r.status(), "append");
    s.latencies.push_back(Seconds(Clock::now() - b0));
  }
  s.seconds = Seconds(Clock::now() - t0);
  return s;
}

// `threads` appenders take the next batch from a shared counter until none
// are left; the latency of a batch is its Append call, submission to
// durable acknowledgement.
Sample LedgerAppendConcurrent(std::vector<std::vector<AppendRequest>> batches,
                              unsigned threads, const std::string& dir) {
  std::unique_ptr<Ledger> ledger = NewLedger(dir);
  std::atomic<size_t> next{0};
  std::vector<std::vector<double>> latencies(threads);
  std::latch ready(threads);
  std::latch go(1);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.count_down();
      go.wait();
      for (size_t i = next.fetch_add(1); i < batches.size();
           i = next.fetch_add(1)) {
        const auto b0 = Clock::now();
        Result<std::vector<Receipt>> r =
            ledger->Append(std::move(batches[i]), kRecordedBy);
        if (!r.ok()) Check(r.status(), "append");
        latencies[t].push_back(Seconds(Clock::now() - b0));
      }
    });
  }
  ready.wait();
  const auto t0 = Clock::now();
  go.count_down();
  for (std::thread& w : workers) w.join();
  Sample s;
  s.seconds = Seconds(Clock::now() - t0);
  for (auto& l : latencies) {
    s.latencies.insert(s.latencies.end(), l.begin(), l.end());
  }
  return s;
}

void SqliteExec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string msg = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    Die(std::string("sqlite: ") + sql + ": " + msg);
  }
}

Sample SqliteInsert(const std::vector<BenchRecord>& records, size_t batch,
                    const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    Die("sqlite open " + path + ": " + sqlite3_errmsg(db));
  }
  SqliteExec(db, "PRAGMA journal_mode=WAL");
  SqliteExec(db, "PRAGMA synchronous=FULL");
  SqliteExec(db,
             "CREATE TABLE records (id INTEGER PRIMARY KEY, action_id TEXT "
             "NOT NULL, action_type TEXT, occurred_at TEXT, body TEXT NOT "
             "NULL)");
  SqliteExec(db, "CREATE INDEX records_action_id ON records (action_id)");
  SqliteExec(db, "CREATE INDEX records_action_type ON records (action_type)");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO records (id, action_id, action_type, "
                         "occurred_at, body) VALUES (?, ?, ?, ?, ?)",
                         -1, &insert, nullptr) != SQLITE_OK) {
    Die(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  auto bind_text = [&](int col, const std::string& s) {
    if (sqlite3_bind_text(insert, col, s.data(), static_cast<int>(s.size()),
                          SQLITE_STATIC) != SQLITE_OK) {
      Die(std::string("sqlite bind: ") + sqlite3_errmsg(db));
    }
  };
  Sample s;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < records.size(); i += batch) {
    const auto b0 = Clock::now();
    SqliteExec(db, "BEGIN");
    const size_t end = std::min(records.size(), i + batch);
    for (size_t k = i; k < end; ++k) {
      const BenchRecord& r = records[k];
      sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(k));
      bind_text(2, r.request.action_id);
      bind_text(3, r.action_type);
      bind_text(4, r.occurred_at);
      bind_text(5, r.bytes);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        Die(std::string("sqlite insert: ") + sqlite3_errmsg(db));
      }
      sqlite3_reset(insert);
    }
    SqliteExec(db, "COMMIT");
    s.latencies.push_back(Seconds(Clock::now() - b0));
  }
  s.seconds = Seconds(Clock::now() - t0);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return s;
}

// Written so the hashing below cannot be optimized away.
volatile uint8_t hash_sink = 0;

// Single-core hashing of every record, as verify must at least do.
Sample Sha256(const std::vector<BenchRecord>& records) {
  uint8_t sink = 0;
  const auto t0 = Clock::now();
  for (const BenchRecord& r : records) sink ^= merkle::HashLeaf(r.bytes)[0];
  Sample s;
  s.seconds = Seconds(Clock::now() - t0);
  hash_sink = sink;
  return s;
}

Sample Verify(const std::string& dir, unsigned threads, uint64_t records) {
  VerifyOptions options;
  options.threads = threads;
  const auto t0 = Clock::now();
  Result<VerifyReport> r = VerifyLedger(dir, options);
  Sample s;
  s.seconds = Seconds(Clock::now() - t0);
  if (!r.ok()) Check(r.status(), "verify " + dir);
  if (!r->ok() || r->records != records) {
    Die("verify " + dir + " found " + std::to_string(r->findings.size()) +
        " problems over " + std::to_string(r->records) + " records" +
        (r->findings.empty() ? "" : ": " + r->findings.front().what));
  }
  return s;
}

// A directory for one phase's files, removed by the destructor.
class Scratch {
 public:
  explicit Scratch(std::string path) : path_(std::move(path)) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The --dir directory, or a fresh one under /tmp removed at exit.
class WorkDir {
 public:
  explicit WorkDir(const std::string& requested) {
    if (!requested.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(requested, ec);
      if (ec) Die("cannot create " + requested + ": " + ec.message());
      path_ = requested;
      return;
    }
    char tmpl[] = "/tmp/ledger_bench.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      Die(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = tmpl;
    owned_ = true;
  }
  ~WorkDir() {
    if (!owned_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

// --- Reporting
// ------------------------------------------------------------------

struct Row {
  explicit Row(std::string row_name) : name(std::move(row_name)) {}

  std::string name;
  std::vector<double> seconds;  // one per run
  std::vector<double> p50;      // one per run, seconds
  std::vector<double> p99;
  bool has_latency = false;

  void Add(const Sample& s) {
    seconds.push_back(s.seconds);
    if (!s.latencies.empty()) {
      has_latency = true;
      p50.push_back(Percentile(s.latencies, 50));
      p99.push_back(Percentile(s.latencies, 99));
    }
  }
  double MedianSeconds() const { return Median(seconds); }
};

void PrintHeader(const Flags& f, const std::string& dir, uint64_t n,
                 double mean_bytes) {
  std::printf("ledger_bench: %llu records", static_cast<unsigned long long>(n));
  if (mean_bytes > 0) std::printf(" (mean %.0f B)", mean_bytes);
  std::printf(", batch %zu", f.batch);
  if (f.memory == 0) {
    std::printf(", %u appender threads, %u runs (medians)", f.threads, f.runs);
  }
  std::printf("\nmachine: %u cores, %s; %s on %s\n\n",
              std::thread::hardware_concurrency(), CpuModel().c_str(),
              dir.c_str(), FileSystemType(dir).c_str());
}

int RunThroughput(const Flags& f) {
  WorkDir work(f.dir);
  std::fprintf(stderr, "generating and validating %llu records...\n",
               static_cast<unsigned long long>(f.records));
  const auto g0 = Clock::now();
  const std::vector<BenchRecord> records = MakeRecords(f.records);
  uint64_t total_bytes = 0;
  for (const BenchRecord& r : records) total_bytes += r.bytes.size();
  std::fprintf(stderr, "  done in %.1f s\n", Seconds(Clock::now() - g0));
  PrintHeader(
      f, work.path(), records.size(),
      static_cast<double>(total_bytes) / static_cast<double>(records.size()));

  Row raw{"raw write+fdatasync"};
  Row single{"actledger, 1 thread"};
  Row concurrent{"actledger, " + std::to_string(f.threads) + " threads"};
  Row sqlite{"SQLite WAL FULL"};
  Row sha{"SHA-256 leaf, 1 core"};
  Row verify{"verify (" + std::to_string(std::thread::hardware_concurrency()) +
             " threads)"};
  Row verify1{"verify (1 thread)"};
  for (unsigned run = 0; run < f.runs; ++run) {
    std::fprintf(stderr, "run %u/%u:", run + 1, f.runs);
    {
      Scratch s(work.path() + "/raw");
      std::filesystem::create_directories(s.path());
      raw.Add(RawAppend(records, f.batch, s.path() + "/records.jsonl"));
      std::fprintf(stderr, " raw %.2fs", raw.seconds.back());
    }
    {
      Scratch s(work.path() + "/single");
      single.Add(LedgerAppendSingle(Batches(records, f.batch), s.path()));
      std::fprintf(stderr, " single %.2fs", single.seconds.back());
    }
    {
      Scratch s(work.path() + "/concurrent");
      concurrent.Add(LedgerAppendConcurrent(Batches(records, f.batch),
                                            f.threads, s.path()));
      std::fprintf(stderr, " concurrent %.2fs", concurrent.seconds.back());
      verify.Add(Verify(s.path(), 0, records.size()));
      verify1.Add(Verify(s.path(), 1, records.size()));
      std::fprintf(stderr, " verify %.2fs/%.2fs", verify.seconds.back(),
                   verify1.seconds.back());
    }
    {
      Scratch s(work.path() + "/sqlite");
      std::filesystem::create_directories(s.path());
      sqlite.Add(SqliteInsert(records, f.batch, s.path() + "/records.db"));
      std::fprintf(stderr, " sqlite %.2fs", sqlite.seconds.back());
    }
    sha.Add(Sha256(records));
    std::fprintf(stderr, " sha %.2fs\n", sha.seconds.back());
  }

  const double n = static_cast<double>(records.size());
  const double mb = static_cast<double>(total_bytes) / 1e6;
  std::printf("%-24s %12s %10s %10s %10s\n", "phase", "records/s", "MB/s",
              "p50 ms", "p99 ms");
  for (const Row* r :
       {&raw, &single, &concurrent, &sqlite, &sha, &verify, &verify1}) {
    const double t = r->MedianSeconds();
    std::printf("%-24s %12.0f %10.1f", r->name.c_str(), n / t, mb / t);
    if (r->has_latency) {
      std::printf(" %10.2f %10.2f\n", Median(r->p50) * 1e3,
                  Median(r->p99) * 1e3);
    } else {
      std::printf(" %10s %10s\n", "-", "-");
    }
  }
  std::printf(
      "(latency: per batch of %zu, submission to durable "
      "acknowledgement; median over runs of each run's percentile)\n\n",
      f.batch);

  auto ratio = [](const Row& a, const Row& b) {
    return b.MedianSeconds() / a.MedianSeconds();
  };
  auto line = [](const char* name, double value, const char* op,
                 double target) {
    const bool met = value >= target;
    std::printf("%-38s %8.2f   target %s %-5g %s\n", name, value, op, target,
                met ? "MET" : "NOT MET");
  };
  line("actledger 1 thread / raw", ratio(single, raw), ">=", 0.5);
  line("actledger concurrent / raw", ratio(concurrent, raw), ">=", 0.5);
  line("actledger 1 thread / SQLite", ratio(single, sqlite), ">=", 5);
  line("actledger concurrent / SQLite", ratio(concurrent, sqlite), ">=", 5);
  line("verify / SHA-256 (1 core)", ratio(verify, sha), ">=", 0.7);
  line("verify 1 thread / SHA-256 (1 core)", ratio(verify1, sha), ">=", 0.7);
  std::printf("%-38s %8.2f ms (p50 %.2f ms) under %u threads\n",
              "p99 acknowledgement latency", Median(concurrent.p99) * 1e3,
              Median(concurrent.p50) * 1e3, f.threads);
  return 0;
}

int RunMemory(const Flags& f) {
  WorkDir work(f.dir);
  // A pool of generated records, appended over and over: generating 5
  // million records would take the generator most of an hour, and the
  // ledger's memory does not depend on whether bodies repeat. The pool is
  // made before the baseline resident set is read.
  gen::Generator g({.seed = 42});
  std::vector<AppendRequest> pool;
  for (uint64_t i = 0; i < std::min<uint64_t>(f.memory, kMemoryPool); ++i) {
    Result<ValidatedRecord> v = ValidateRecord(g.NextLine(), {});
    if (!v.ok()) Check(v.status(), "generated record " + std::to_string(i));
    pool.push_back(Ledger::Prepare(*std::move(v)));
  }
  const uint64_t base_hwm = ProcStatusKib("VmHWM:");
  Scratch s(work.path() + "/memory");
  std::unique_ptr<Ledger> ledger = NewLedger(s.path());
  PrintHeader(f, work.path(), f.memory, 0);
  std::printf("%12s %10s %12s %12s\n", "records", "seconds", "VmRSS MiB",
              "VmHWM MiB");
  const uint64_t step = std::max<uint64_t>(f.memory / 10, 1);
  uint64_t done = 0;
  uint64_t bytes = 0;
  const auto t0 = Clock::now();
  while (done < f.memory) {
    std::vector<AppendRequest> batch;
    const uint64_t end = std::min<uint64_t>(f.memory, done + f.batch);
    for (uint64_t i = done; i < end; ++i) {
      batch.push_back(pool[i % pool.size()]);
      bytes += batch.back().body.byte_size();
    }
    Result<std::vector<Receipt>> r = ledger->Append(std::move(batch), "bench");
    if (!r.ok()) Check(r.status(), "append");
    const uint64_t before = done;
    done = end;
    if (done / step != before / step || done == f.memory) {
      std::printf("%12llu %10.1f %12.1f %12.1f\n",
                  static_cast<unsigned long long>(done),
                  Seconds(Clock::now() - t0), ProcStatusKib("VmRSS:") / 1024.0,
                  ProcStatusKib("VmHWM:") / 1024.0);
      std::fflush(stdout);
    }
  }
  ledger.reset();
  std::printf(
      "\nbody bytes appended: %.1f MB; VmHWM before opening the ledger %.1f "
      "MiB, at the end (after close) %.1f MiB\n",
      static_cast<double>(bytes) / 1e6, base_hwm / 1024.0,
      ProcStatusKib("VmHWM:") / 1024.0);
  return 0;
}

}  // namespace
}  // namespace actledger

int main(int argc, char** argv) {
  const actledger::Flags flags = actledger::ParseFlags(argc, argv);
  return flags.memory > 0 ? actledger::RunMemory(flags)
                          : actledger::RunThroughput(flags);
}
