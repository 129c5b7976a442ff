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

// What can escape is out of memory or a command registered twice (a bug);
// std::terminate's abort, naming the exception, is the report wanted, not
// one of the documented exit codes.
// NOLINTNEXTLINE(bugprone-exception-escape)
int main(int argc, char** argv) {
  // NOLINTNEXTLINE(google-build-using-namespace): main only wires up cli.
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

  if (const char* t = std::getenv("ACTLEDGER_TOKEN"); t != nullptr) g.token = t;
  app.add_option("--token", g.token,
                 "Act as this token's principal (default $ACTLEDGER_TOKEN; "
                 "without one: local:<OS user>)");

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

  // The approval gate.
  auto* policy = app.add_subcommand("policy", "The approval policy");
  policy->require_subcommand(1);
  std::string policy_file, from, to;
  auto* policy_check =
      policy->add_subcommand("check", "Load and lint a policy file");
  policy_check->add_option("file", policy_file, "Policy YAML")->required();
  auto* policy_activate = policy->add_subcommand(
      "activate", "Make a policy file the active policy (admin)");
  policy_activate->add_option("file", policy_file, "Policy YAML")->required();
  auto* policy_show = policy->add_subcommand("show", "Print the active policy");
  auto* policy_whatif = policy->add_subcommand(
      "whatif", "Replay past proposals against a candidate policy");
  policy_whatif->add_option("file", policy_file, "Policy YAML")->required();
  policy_whatif->add_option("--from", from,
                            "Only proposals recorded at or after (RFC 3339)");
  policy_whatif->add_option("--to", to, "... and before (RFC 3339)");

  auto* gate = app.add_subcommand(
      "gate", "Proposals in (NDJSON); one gate decision per line out");
  gate->add_option("file", input, "Input file, or - for standard input");
  std::string action_id, reason, wait, status = "pending";
  auto* approve = app.add_subcommand("approve", "Approve a pending action");
  approve->add_option("action_id", action_id, "Action id")->required();
  approve->add_option("--reason", reason, "Why");
  auto* reject = app.add_subcommand("reject", "Reject a pending action");
  reject->add_option("action_id", action_id, "Action id")->required();
  reject->add_option("--reason", reason, "Why (required)")->required();
  auto* outcome = app.add_subcommand(
      "outcome", "Record the downstream outcome (field 7) of an action");
  outcome->add_option("action_id", action_id, "Action id")->required();
  outcome->add_option("file", input, "Outcome JSON file, or - for stdin");
  auto* action = app.add_subcommand(
      "action", "The merged view, status and timeline of an action");
  action->add_option("action_id", action_id, "Action id")->required();
  action->add_option("--wait", wait,
                     "Block while pending approval, up to this long (30s, 5m)");
  bool action_proof = false;
  action->add_flag("--proof", action_proof,
                   "Add each record's inclusion proof and the checkpoint note");
  auto* approvals = app.add_subcommand("approvals", "The approvers' inbox");
  approvals->add_option("--status", status, "pending (default) or all");

  auto* token = app.add_subcommand("token", "Bearer tokens (admin)");
  token->require_subcommand(1);
  std::string principal, role, token_id;
  auto* token_create = token->add_subcommand(
      "create", "Create a token for a principal; printed once");
  token_create->add_option("--principal", principal, "Principal")->required();
  auto* token_list =
      token->add_subcommand("list", "List tokens (never the secrets)");
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token");
  token_revoke->add_option("token_id", token_id, "Token id")->required();
  auto* principal_cmd =
      app.add_subcommand("principal", "Roles of principals (admin)");
  principal_cmd->require_subcommand(1);
  auto* grant = principal_cmd->add_subcommand("grant", "Grant a role");
  grant->add_option("principal", principal, "Principal")->required();
  grant->add_option("--role", role, "Role")->required();
  auto* revoke = principal_cmd->add_subcommand("revoke", "Revoke a role");
  revoke->add_option("principal", principal, "Principal")->required();
  revoke->add_option("--role", role, "Role")->required();

  // Command groups in their own files.
  Commands commands;
  AddEraseCommands(app, g, commands);
  AddServeCommands(app, g, commands);
  AddQueryCommands(app, g, commands);
  AddRetentionCommands(app, g, commands);
  AddReportCommands(app, g, commands);

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
  if (*policy_check) return RunPolicyCheck(policy_file);
  if (*policy_activate) return RunPolicyActivate(g, policy_file);
  if (*policy_show) return RunPolicyShow(g);
  if (*policy_whatif) return RunPolicyWhatIf(g, policy_file, from, to);
  if (*gate) return RunGate(g, input);
  if (*approve) return RunDecide(g, action_id, true, reason);
  if (*reject) return RunDecide(g, action_id, false, reason);
  if (*outcome) return RunOutcome(g, action_id, input);
  if (*action) return RunAction(g, action_id, wait, action_proof);
  if (*approvals) return RunApprovals(g, status);
  if (*token_create) return RunTokenCreate(g, principal);
  if (*token_list) return RunTokenList(g);
  if (*token_revoke) return RunTokenRevoke(g, token_id);
  if (*grant) return RunPrincipal(g, principal, role, true);
  if (*revoke) return RunPrincipal(g, principal, role, false);
  for (const Command& c : commands) {
    if (c.subcommand->parsed()) return c.run();
  }
  return 2;
}
