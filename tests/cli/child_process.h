// Running the `actledger` binary from tests: waiting for a child with a
// time limit, and what a run produced.
#ifndef ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_
#define ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>

namespace actledger::cli_testing {

// Waits for `pid`; kills it (and fails the test) after `limit`. Returns the
// exit code, or -1 when it was killed or died of a signal.
inline int WaitChild(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "child " << pid << " timed out";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "exit " << r.exit_code << "\n--- stdout:\n"
            << r.out.substr(0, 4000) << "\n--- stderr:\n"
            << r.err.substr(0, 4000);
}

}  // namespace actledger::cli_testing

#endif  // ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_
