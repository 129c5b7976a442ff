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
#include <utility>
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

// A child started by StartBinary and the files its output goes to.
struct Child {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

// Starts `binary` with `args`, `stdin_text` on standard input and the
// environment minus every ACTLEDGER_* variable plus `env` ("NAME=value"),
// without waiting. Its input and output are files in `scratch_dir`: `in`,
// `out` and `err`, or `TAG.in`, `TAG.out` and `TAG.err` with a tag, so that
// children started side by side keep theirs apart.
inline Child StartBinary(const std::string& binary,
                         std::vector<std::string> args,
                         const std::string& stdin_text,
                         const std::vector<std::string>& env,
                         const std::string& scratch_dir,
                         const std::string& tag = "") {
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
  const std::string base = scratch_dir + "/" + (tag.empty() ? "" : tag + ".");
  const std::string in = base + "in";
  Child child{-1, base + "out", base + "err"};
  WriteFile(in, stdin_text);
  child.pid = ::fork();
  if (child.pid == 0) {
    ::dup2(::open(in.c_str(), O_RDONLY), STDIN_FILENO);
    ::dup2(::open(child.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
           STDOUT_FILENO);
    ::dup2(::open(child.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
           STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return child;
}

// Waits for `child` (killing it, and failing the test, after two minutes)
// and reads what it wrote.
inline RunResult FinishBinary(const Child& child) {
  RunResult r;
  r.exit_code = WaitChild(child.pid, std::chrono::seconds(120));
  r.out = ReadFile(child.out_path);
  r.err = ReadFile(child.err_path);
  return r;
}

// StartBinary, then FinishBinary.
inline RunResult RunBinary(const std::string& binary,
                           std::vector<std::string> args,
                           const std::string& stdin_text,
                           const std::vector<std::string>& env,
                           const std::string& scratch_dir) {
  return FinishBinary(
      StartBinary(binary, std::move(args), stdin_text, env, scratch_dir));
}

}  // namespace actledger::cli_testing

#endif  // ACTLEDGER_TESTS_CLI_CHILD_PROCESS_H_
