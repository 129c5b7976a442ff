// Deterministic generator of realistic Execute-action records, for the demo,
// tests and benchmarks.
//
// The mix follows the reference article: refunds through a payment system
// with amounts and currencies, customer emails, CRM stage updates, lead
// routing, contract edits, deletions, internal tasks; model versions that
// change over time, prompt template versions, approvals by humans and by
// rules, some failures and some incomplete records. Records are 2-5 KB.
//
// Every record has the PRODUCT.md section 1 shape (`action_id`, the seven
// fields, `subject`, `labels`) and is 2048-5120 bytes in canonical form.
// Money is a decimal string with two decimals; every number is a finite
// double that survives a parse/serialize round trip.
//
//   gen::Generator g({.seed = 42});
//   std::string line = g.NextLine();   // one JSON record, no newline
//
// The same seed always yields the same sequence of records.
// Thread safety: none; use one Generator per thread.
#ifndef ACTLEDGER_GEN_GENERATOR_H_
#define ACTLEDGER_GEN_GENERATOR_H_

#include <cstdint>
#include <string>

#include "actledger/json.h"

namespace actledger::gen {

struct Options {
  uint64_t seed = 1;
  // Simulated time of the first record, seconds since the Unix epoch
  // (default 2026-01-05T08:00:00Z); time advances a few seconds per record.
  int64_t start_unix_seconds = 1767600000;
  // Fraction of records that leave out some of the seven fields' parts (the
  // way real integrations do: missing model version, approval, ai_output).
  double incomplete_fraction = 0.05;
  // Simulated time between successive rollouts: model versions change at
  // fixed multiples of it (with a short canary ramp), prompt templates and
  // application versions bump every one or two periods. Short by default so
  // that a few thousand records already show a model update.
  int64_t rollout_period_seconds = 1800;
};

class Generator {
 public:
  explicit Generator(const Options& options = {});
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // The next record of kind "action" (the `kind` member omitted).
  json::Value Next();
  // Next(), serialized as one line of JSON without the trailing newline.
  std::string NextLine();

 private:
  struct State;
  State* state_;
};

}  // namespace actledger::gen

#endif  // ACTLEDGER_GEN_GENERATOR_H_
