// The `actledger` subcommands. Each returns the process exit code.
#ifndef ACTLEDGER_CLI_COMMANDS_H_
#define ACTLEDGER_CLI_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace CLI {
class App;
}  // namespace CLI

namespace actledger::cli {

int RunValidate(const GlobalOptions& g, const std::string& input);
int RunCanon(const std::string& input);
int RunGen(uint64_t seed, uint64_t count, double incomplete);

int RunInit(const GlobalOptions& g, InitOptions options);
int RunAppend(const GlobalOptions& g, const std::string& input);
int RunGet(const GlobalOptions& g, uint64_t seq);
int RunCheckpoint(const GlobalOptions& g);
int RunPubkey(const GlobalOptions& g);
int RunProofInclusion(const GlobalOptions& g, uint64_t seq, int64_t size);
int RunProofConsistency(const GlobalOptions& g, uint64_t old_size,
                        uint64_t new_size);
int RunVerify(const GlobalOptions& g, const std::string& trusted_file,
              const std::string& verifier_key, bool json);
int RunDemo(const GlobalOptions& g, uint64_t count);

int RunPolicyCheck(const std::string& file);
int RunPolicyActivate(const GlobalOptions& g, const std::string& file);
int RunPolicyShow(const GlobalOptions& g);
int RunPolicyWhatIf(const GlobalOptions& g, const std::string& file,
                    const std::string& from, const std::string& to);
int RunGate(const GlobalOptions& g, const std::string& input);
int RunDecide(const GlobalOptions& g, const std::string& action_id,
              bool approve, const std::string& reason);
int RunOutcome(const GlobalOptions& g, const std::string& action_id,
               const std::string& input);
int RunAction(const GlobalOptions& g, const std::string& action_id,
              const std::string& wait, bool proof);
int RunApprovals(const GlobalOptions& g, const std::string& status);
int RunTokenCreate(const GlobalOptions& g, const std::string& principal);
int RunTokenList(const GlobalOptions& g);
int RunTokenRevoke(const GlobalOptions& g, const std::string& token_id);
int RunPrincipal(const GlobalOptions& g, const std::string& principal,
                 const std::string& role, bool grant);

// Command groups that live in their own file register their subcommands on
// `app` and append what to run when one is chosen. Options they parse are
// owned by the closures; `g` outlives them.
struct Command {
  CLI::App* subcommand;
  std::function<int()> run;
};
using Commands = std::vector<Command>;

void AddServeCommands(CLI::App& app, GlobalOptions& g, Commands& commands);

void AddQueryCommands(CLI::App& app, GlobalOptions& g, Commands& commands);
void AddReportCommands(CLI::App& app, GlobalOptions& g, Commands& commands);
void AddEraseCommands(CLI::App& app, GlobalOptions& g, Commands& commands);
void AddRetentionCommands(CLI::App& app, GlobalOptions& g, Commands& commands);

}  // namespace actledger::cli

#endif  // ACTLEDGER_CLI_COMMANDS_H_
