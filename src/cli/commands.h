// The `actledger` subcommands. Each returns the process exit code.
#ifndef ACTLEDGER_CLI_COMMANDS_H_
#define ACTLEDGER_CLI_COMMANDS_H_

#include <cstdint>
#include <string>

#include "cli/cli.h"

namespace actledger::cli {

int RunValidate(const GlobalOptions& g, const std::string& input);
int RunCanon(const std::string& input);
int RunGen(uint64_t seed, uint64_t count, double incomplete);

int RunInit(const GlobalOptions& g, const InitOptions& options);
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

}  // namespace actledger::cli

#endif  // ACTLEDGER_CLI_COMMANDS_H_
