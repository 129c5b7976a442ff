// actledger: the command-line front end. Every command is a thin layer
// over the library in include/actledger/.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace {

std::string DefaultDataDir() {
  const char* env = std::getenv("ACTLEDGER_DATA");
  return env != nullptr && *env != '\0' ? env : "./actledger-data";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace actledger::cli;
  CLI::App app{
      "actledger: a tamper-evident audit ledger for actions AI systems "
      "execute.\nExit codes: 0 ok, 1 verification failed, 2 usage error, 3 "
      "input rejected, 4 storage or I/O error, 5 permission denied."};
  app.require_subcommand(1);
  GlobalOptions g;
  g.data_dir = DefaultDataDir();
  app.add_option(
      "--data", g.data_dir,
      "Data directory (default $ACTLEDGER_DATA or ./actledger-data)");

  std::string input = "-";
  auto* init =
      app.add_subcommand("init", "Create a ledger and its Ed25519 key");
  actledger::InitOptions init_options;
  init->add_option("--origin", init_options.origin,
                   "Checkpoint origin and key name (default actledger/<host>)");
  init->add_option(
      "--key", init_options.key_path,
      "Where to write the signing key (default DATA/keys/signing.key)");
  init->add_option("--checkpoint-every", init_options.checkpoint_every_records,
                   "Sign a checkpoint automatically after this many records "
                   "(default 10000)");
  init->add_option("--checkpoint-interval",
                   init_options.checkpoint_every_seconds,
                   "... or this many seconds after the first unsigned record "
                   "(default 60)");
  init->add_option("--segment-bytes", init_options.max_segment_bytes,
                   "Segment size at which a new segment begins (default 64 "
                   "MiB)");

  auto* append = app.add_subcommand(
      "append", "Append NDJSON records; one receipt per line once durable");
  append->add_option("file", input, "Input file, or - for standard input");
  append->add_flag("--strict", g.strict,
                   "Reject records with missing seven-field parts");
  append->add_option("--max-record-bytes", g.max_record_bytes,
                     "Largest accepted record (default 262144)");

  auto* validate = app.add_subcommand(
      "validate", "Check NDJSON records without storing them");
  validate->add_option("file", input, "Input file, or - for standard input");
  validate->add_flag("--strict", g.strict,
                     "Reject records with missing seven-field parts");
  validate->add_option("--max-record-bytes", g.max_record_bytes,
                       "Largest accepted record (default 262144)");

  auto* canon = app.add_subcommand(
      "canon", "Print the RFC 8785 canonical form of each JSON value");
  canon->add_option("file", input, "Input file, or - for standard input");

  uint64_t seq = 0;
  auto* get = app.add_subcommand("get", "Print a record's exact stored bytes");
  get->add_option("seq", seq, "Sequence number")->required();

  auto* checkpoint = app.add_subcommand(
      "checkpoint", "Sign a checkpoint over all records and print it");
  auto* pubkey = app.add_subcommand("pubkey", "Print the verifier key");

  auto* proof = app.add_subcommand("proof", "Print a Merkle proof");
  proof->require_subcommand(1);
  int64_t size = -1;
  auto* inclusion = proof->add_subcommand(
      "inclusion",
      "Inclusion proof of record SEQ in the tree of --size records");
  inclusion->add_option("seq", seq, "Sequence number")->required();
  inclusion->add_option("--size", size, "Tree size (default: all records)");
  uint64_t old_size = 0, new_size = 0;
  auto* consistency = proof->add_subcommand(
      "consistency", "Consistency proof between tree sizes OLD and NEW");
  consistency->add_option("old", old_size, "Old tree size")->required();
  consistency->add_option("new", new_size, "New tree size")->required();

  auto* verify = app.add_subcommand(
      "verify",
      "Recompute and check everything; exit 1 with a report if not intact");
  std::string trusted, vkey;
  bool verify_json = false;
  verify->add_option("--trusted", trusted,
                     "A checkpoint saved elsewhere earlier; proves the ledger "
                     "extends it");
  verify->add_option("--key", vkey,
                     "Verifier key to check signatures with (default: the "
                     "ledger's own)");
  verify->add_flag("--json", verify_json, "Print the report as JSON");

  uint64_t count = 200;
  auto* demo = app.add_subcommand(
      "demo", "Generate realistic records, append, prove, checkpoint, verify");
  demo->add_option("--count", count, "Records to generate (default 200)");

  uint64_t gen_seed = 1, gen_count = 10;
  double gen_incomplete = 0.05;
  auto* gen = app.add_subcommand(
      "gen", "Print generated realistic records as NDJSON (for testing)");
  gen->add_option("--seed", gen_seed, "Seed (same seed, same records)");
  gen->add_option("--count", gen_count, "How many records");
  gen->add_option("--incomplete", gen_incomplete,
                  "Fraction of records with missing parts");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*init) return RunInit(g, init_options);
  if (*append) return RunAppend(g, input);
  if (*validate) return RunValidate(g, input);
  if (*canon) return RunCanon(input);
  if (*get) return RunGet(g, seq);
  if (*checkpoint) return RunCheckpoint(g);
  if (*pubkey) return RunPubkey(g);
  if (*inclusion) return RunProofInclusion(g, seq, size);
  if (*consistency) return RunProofConsistency(g, old_size, new_size);
  if (*verify) return RunVerify(g, trusted, vkey, verify_json);
  if (*demo) return RunDemo(g, count);
  if (*gen) return RunGen(gen_seed, gen_count, gen_incomplete);
  return 2;
}
