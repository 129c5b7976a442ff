// Shared by the CLI test suites: waiting for a child with a time limit,
// what a run produced, and small file and text helpers.
#ifndef ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_
#define ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

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

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// The lines of `text`, without their newlines.
inline std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Runs `binary` with `args`, `stdin_text` on standard input and the
// environment minus every ACTLEDGER_* variable plus `env` ("NAME=value");
// scratch files go in `scratch_dir`. Waits at most two minutes.
inline RunResult RunBinary(const std::string& binary,
                           std::vector<std::string> args,
                           const std::string& stdin_text,
                           const std::vector<std::string>& env,
                           const std::string& scratch_dir) {
  args.insert(args.begin(), binary);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("ACTLEDGER_", 0) != 0) envp.push_back(*e);
  }
  for (std::string& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string in = scratch_dir + "/in", out = scratch_dir + "/out",
                    err = scratch_dir + "/err";
  WriteFile(in, stdin_text);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open(in.c_str(), O_RDONLY), STDIN_FILENO);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
           STDOUT_FILENO);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
           STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  RunResult r;
  r.exit_code = WaitChild(pid, std::chrono::seconds(120));
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

}  // namespace actledger::cli_testing

#endif  // ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_
