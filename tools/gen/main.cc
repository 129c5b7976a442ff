// actledger-gen: prints deterministic, realistic action records as NDJSON.
//
//   actledger-gen [--seed N] [--count N] [--incomplete F] [--start UNIX]
//
// Exit codes: 0 on success, 1 when out of memory, 3 on bad arguments, 4 when
// stdout fails.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "gen/generator.h"

namespace {

int Run(int argc, char** argv) {
  actledger::gen::Options options;
  uint64_t count = 100;

  CLI::App app{"Prints deterministic, realistic AI action records (NDJSON)."};
  app.add_option("--seed", options.seed, "PRNG seed; same seed, same records")
      ->capture_default_str();
  app.add_option("--count", count, "Number of records to print")
      ->capture_default_str();
  app.add_option("--incomplete", options.incomplete_fraction,
                 "Fraction of records that omit some of the seven fields")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--start", options.start_unix_seconds,
                 "Simulated time of the first record, Unix seconds")
      ->capture_default_str();
  app.add_option("--rollout-period", options.rollout_period_seconds,
                 "Simulated seconds between model/prompt rollouts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 3;
  }

  actledger::gen::Generator gen(options);
  std::string buffer;
  for (uint64_t i = 0; i < count; ++i) {
    buffer += gen.NextLine();
    buffer += '\n';
    if (buffer.size() >= (1 << 16) || i + 1 == count) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), stdout) !=
          buffer.size()) {
        std::perror("actledger-gen: write");
        return 4;
      }
      buffer.clear();
    }
  }
  if (std::fflush(stdout) != 0) {
    std::perror("actledger-gen: write");
    return 4;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Allocation failure is the one error left; it gets a message and an exit
  // code instead of std::terminate's abort.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actledger-gen: %s\n", e.what());
    return 1;
  }
}
