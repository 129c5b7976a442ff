// What a record costs before the ledger sees it, stage by stage, on one
// core: the per-record CPU that `POST /v1/records` and `actledger append`
// spend before Ledger::Append (server_bench reports the total).
//
//   parse       json::Parse of the submitted line
//   validate    ValidateRecord (parse + the seven-field checks)
//   canonical   json::AppendCanonical of the validated body
//   prepare     Ledger::Prepare (the body split into canonical members)
//   all         ValidateRecord + Ledger::Prepare, what a writer pays
//
// Usage: record_bench [--records N] [--rounds R]
// Records come from gen::Generator (seed 42), made before timing. Each
// stage runs R rounds over the N records; the median round is reported.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gen/generator.h"

namespace actledger {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "record_bench: %s\n", what.c_str());
  std::exit(1);
}

size_t ParseCount(const char* flag, const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v == 0 || *text == '-') {
    Die(std::string(flag) + " takes a positive integer, got '" + text + "'");
  }
  return static_cast<size_t>(v);
}

// Median seconds of `rounds` runs of `round`, each after an untimed
// `setup`.
double MedianRound(
    size_t rounds, const std::function<void()>& round,
    const std::function<void()>& setup = [] {}) {
  std::vector<double> seconds;
  for (size_t r = 0; r < rounds; ++r) {
    setup();
    const auto t0 = Clock::now();
    round();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

int Main(int argc, char** argv) {
  size_t n = 20000;
  size_t rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--records" || arg == "--rounds") && i + 1 < argc) {
      (arg == "--records" ? n : rounds) = ParseCount(argv[i], argv[i + 1]);
      ++i;
    } else {
      Die("usage: record_bench [--records N] [--rounds R]");
    }
  }
  gen::Generator g({.seed = 42});
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    lines.push_back(g.NextLine());
    bytes += lines.back().size();
  }
  std::vector<ValidatedRecord> validated;
  for (const std::string& line : lines) {
    Result<ValidatedRecord> v = ValidateRecord(line, {});
    if (!v.ok()) Die("generated record invalid: " + v.status().ToString());
    validated.push_back(*std::move(v));
  }
  std::printf("record_bench: %zu records (mean %zu B), %zu rounds (median)\n",
              n, bytes / n, rounds);
  std::printf("%-12s %12s %10s %10s\n", "stage", "records/s", "MB/s",
              "us/record");
  size_t sink = 0;
  auto report = [&](const char* name, double seconds) {
    std::printf("%-12s %12.0f %10.1f %10.2f\n", name,
                static_cast<double>(n) / seconds,
                static_cast<double>(bytes) / 1e6 / seconds,
                seconds * 1e6 / static_cast<double>(n));
  };
  report("parse", MedianRound(rounds, [&] {
           for (const std::string& line : lines) {
             Result<json::Value> v = json::Parse(line);
             sink += v.ok() ? 1 : 0;
           }
         }));
  report("validate", MedianRound(rounds, [&] {
           for (const std::string& line : lines) {
             Result<ValidatedRecord> v = ValidateRecord(line, {});
             sink += v.ok() ? 1 : 0;
           }
         }));
  report("canonical", MedianRound(rounds, [&] {
           std::string out;
           for (const ValidatedRecord& v : validated) {
             out.clear();
             json::AppendCanonical(v.body, &out);
             sink += out.size();
           }
         }));
  // Prepare consumes its record: each round works on fresh copies, made
  // before the clock starts.
  std::vector<ValidatedRecord> copies;
  report("prepare", MedianRound(
                        rounds,
                        [&] {
                          for (ValidatedRecord& v : copies) {
                            AppendRequest req = Ledger::Prepare(std::move(v));
                            sink += req.body.byte_size();
                          }
                        },
                        [&] { copies = validated; }));
  report("all", MedianRound(rounds, [&] {
           for (const std::string& line : lines) {
             Result<ValidatedRecord> v = ValidateRecord(line, {});
             if (!v.ok()) continue;
             AppendRequest req = Ledger::Prepare(*std::move(v));
             sink += req.body.byte_size();
           }
         }));
  return sink == 0 ? 1 : 0;
}

}  // namespace
}  // namespace actledger

int main(int argc, char** argv) { return actledger::Main(argc, argv); }
