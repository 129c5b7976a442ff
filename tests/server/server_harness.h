// Test helpers for the HTTP server suites: a small blocking HTTP/1.1 client
// over POSIX sockets (independent of the server's own HTTP library, so the
// two do not share bugs), and a harness that initializes a ledger, creates
// principals with tokens through the CLI, starts the real `actledger serve`
// binary on an ephemeral port and stops or kills it.
//
//   ServerHarness h;
//   std::string writer = h.Principal("agent@acme", {"writer"});
//   h.Start();
//   HttpClient c(h.port());
//   HttpReply r = c.Send("POST", "/v1/records", body, writer);
//   EXPECT_EQ(r.status, 201);
#ifndef ACTLEDGER_TESTS_SERVER_SERVER_HARNESS_H_
#define ACTLEDGER_TESTS_SERVER_SERVER_HARNESS_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cli/child_process.h"

namespace actledger::server_testing {

struct HttpReply {
  int status = 0;  // 0: no reply (connection closed or timed out)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline std::ostream& operator<<(std::ostream& os, const HttpReply& r) {
  return os << "HTTP " << r.status << " " << r.body.substr(0, 2000);
}

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(int port, int timeout_ms = 30000)
      : port_(port), timeout_ms_(timeout_ms) {
    Connect();
  }
  ~HttpClient() { Close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Sends one request and reads its reply. A closed connection is reopened
  // first. content_type "" sends none.
  HttpReply Send(const std::string& method, const std::string& target,
                 const std::string& body = "", const std::string& token = "",
                 const std::string& content_type = "application/json",
                 const std::vector<std::string>& extra_headers = {}) {
    if (fd_ < 0) Connect();
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!content_type.empty() && (method == "POST" || !body.empty())) {
      req += "Content-Type: " + content_type + "\r\n";
    }
    if (method == "POST" || method == "PUT" || !body.empty()) {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    for (const std::string& h : extra_headers) req += h + "\r\n";
    req += "\r\n";
    req += body;
    if (!SendRaw(req)) return HttpReply{};
    return ReadReply();
  }

  bool SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      // False alarm: callers' strings outlive this call, which keeps no view.
      // cppcheck-suppress invalidLifetime
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framing, as the server sends).
  HttpReply ReadReply() {
    HttpReply r;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return r;
    r.status =
        static_cast<int>(std::strtol(status_line.c_str() + 9, nullptr, 10));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      pos = e + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    if (r.status == 100) return ReadReply();
    const size_t length =
        std::strtoull(r.Header("content-length").c_str(), nullptr, 10);
    while (buf_.size() < length) {
      if (!Fill()) {
        r.status = 0;
        return r;
      }
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    if (r.Header("connection") == "close") Close();
    return r;
  }

  // Whether the server closed the connection within `ms`.
  bool ClosedWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::poll(&p, 1, 50) > 0) {
        char c;
        ssize_t n = ::recv(fd_, &c, 1, 0);
        if (n <= 0) return true;
        buf_.push_back(c);
      }
    }
    return false;
  }

 private:
  void Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      Close();
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buf_.clear();
  }
  bool Fill() {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms_) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      Close();
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string buf_;
};

// Runs the actledger CLI with `args` (stdin from `input`), returning what
// it printed.
inline cli_testing::RunResult RunCli(const std::vector<std::string>& args,
                                     const std::string& input = "") {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("actledger-srv-cli-" + std::to_string(::getpid()) +
                        "-" + std::to_string(counter++));
  fs::create_directories(dir);
  const std::string in = (dir / "in").string(), out = (dir / "out").string(),
                    err = (dir / "err").string();
  cli_testing::WriteFile(in, input);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fi = ::open(in.c_str(), O_RDONLY);
    int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fi, 0);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    std::vector<char*> argv;
    std::string bin = ACTLEDGER_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::unsetenv("ACTLEDGER_TOKEN");
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  cli_testing::RunResult r;
  r.exit_code = cli_testing::WaitChild(pid, std::chrono::seconds(120));
  r.out = cli_testing::ReadFile(out);
  r.err = cli_testing::ReadFile(err);
  fs::remove_all(dir);
  return r;
}

// The string value of "key" in a flat JSON object (test helper; the
// values looked up here hold no escapes).
inline std::string JsonField(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  size_t p = json.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  if (json[p] == '"') {
    size_t e = json.find('"', p + 1);
    return json.substr(p + 1, e - p - 1);
  }
  size_t e = json.find_first_of(",}", p);
  return json.substr(p, e - p);
}

// A ledger directory, its principals and a running server.
class ServerHarness {
 public:
  ServerHarness() {
    namespace fs = std::filesystem;
    std::random_device rd;
    // Built from a local random_device, so not in the initializer list.
    // cppcheck-suppress useInitializationList
    dir_ = (fs::temp_directory_path() /
            ("actledger-server-" + std::to_string(::getpid()) + "-" +
             std::to_string(rd())))
               .string();
    data_ = dir_ + "/data";
    fs::create_directories(dir_);
    auto r = RunCli({"--data", data_, "init", "--origin", "test.example/srv"});
    EXPECT_EQ(r.exit_code, 0) << r;
  }
  ~ServerHarness() {
    Kill();
    std::filesystem::remove_all(dir_);
  }

  const std::string& data() const { return data_; }
  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Creates a token for `principal` and grants `roles`, through the CLI as
  // the local administrator; the server must not be running. Returns the
  // token.
  std::string Principal(const std::string& principal,
                        const std::vector<std::string>& roles) {
    for (const std::string& role : roles) {
      auto g = RunCli(
          {"--data", data_, "principal", "grant", principal, "--role", role});
      EXPECT_EQ(g.exit_code, 0) << g;
    }
    auto t =
        RunCli({"--data", data_, "token", "create", "--principal", principal});
    EXPECT_EQ(t.exit_code, 0) << t;
    return JsonField(t.out, "token");
  }

  void ActivatePolicy(const std::string& file) {
    auto r = RunCli({"--data", data_, "policy", "activate", file});
    EXPECT_EQ(r.exit_code, 0) << r;
  }

  // Starts `actledger serve --listen 127.0.0.1:0` plus `extra` flags and
  // waits for its startup line (http or, with --tls-cert, https).
  void Start(const std::vector<std::string>& extra = {}) {
    int out_pipe[2];
    ASSERT_EQ(::pipe(out_pipe), 0);
    log_ = dir_ + "/server.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(out_pipe[0]);
      ::dup2(out_pipe[1], 1);
      int fe = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fe, 2);
      std::vector<std::string> args = {
          ACTLEDGER_BIN, "--data", data_, "serve", "--listen", "127.0.0.1:0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(ACTLEDGER_BIN, argv.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    std::string line;
    pollfd p{out_pipe[0], POLLIN, 0};
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      if (::poll(&p, 1, 100) > 0) {
        char c;
        if (::read(out_pipe[0], &c, 1) != 1) break;
        line.push_back(c);
      }
    }
    ::close(out_pipe[0]);
    startup_line_ = line;
    // "listening on http://..." or, with --tls-cert, "https://".
    const std::string marker = "://127.0.0.1:";
    size_t at = line.find(marker);
    ASSERT_NE(at, std::string::npos)
        << "no startup line: " << line
        << "\nlog: " << cli_testing::ReadFile(log_);
    port_ = static_cast<int>(
        std::strtol(line.c_str() + at + marker.size(), nullptr, 10));
    ASSERT_GT(port_, 0);
  }

  const std::string& startup_line() const { return startup_line_; }
  // Whether the server process is still alive.
  bool Running() const {
    int st;
    return pid_ > 0 && ::waitpid(pid_, &st, WNOHANG) == 0;
  }
  std::string Log() const { return cli_testing::ReadFile(log_); }

  // SIGTERM and wait; returns the exit code.
  int Stop(std::chrono::seconds limit = std::chrono::seconds(60)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int rc = cli_testing::WaitChild(pid_, limit);
    pid_ = -1;
    return rc;
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  std::string dir_, data_, log_, startup_line_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A complete seven-field record with `action_id`.
inline std::string ActionRecord(const std::string& action_id,
                                const std::string& padding = "") {
  return "{\"action_id\":\"" + action_id +
         "\",\"trigger\":{\"type\":\"event\",\"source\":\"zendesk.ticket."
         "created\"},\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\","
         "\"version\":\"gpt-4o-2024-11-20\",\"prompt_template\":{\"id\":"
         "\"refund\",\"version\":\"7\"}},\"ai_output\":{\"decision\":"
         "\"refund\","
         "\"reasoning\":\"duplicate charge" +
         padding +
         "\",\"confidence\":0.93},\"action\":{\"type\":\"payment.refund\","
         "\"system\":\"stripe\",\"target\":\"ch_1\",\"amount\":{\"value\":"
         "\"34.00\",\"currency\":\"USD\"}},\"approval\":{\"mode\":\"none\"},"
         "\"context\":{\"occurred_at\":\"2026-11-28T09:12:44Z\","
         "\"environment\":\"production\",\"job_id\":\"job-1\",\"app_"
         "version\":\"4.12.0\"},\"outcome\":{\"status\":\"success\"}}";
}

// A proposal (fields 1-4 and 6) of `type` with `amount` USD.
inline std::string Proposal(const std::string& action_id,
                            const std::string& type = "email.send",
                            const std::string& amount = "",
                            int account_age_days = 400) {
  std::string action =
      "{\"type\":\"" + type + "\",\"system\":\"sys\",\"target\":\"t-1\"";
  if (!amount.empty()) {
    action += ",\"amount\":{\"value\":\"" + amount + "\",\"currency\":\"USD\"}";
  }
  action += "}";
  return "{\"action_id\":\"" + action_id +
         "\",\"trigger\":{\"type\":\"event\",\"source\":\"zendesk\"},"
         "\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\",\"version\":"
         "\"gpt-4o-2024-11-20\",\"prompt_template\":{\"id\":\"p\","
         "\"version\":\"1\"}},\"ai_output\":{\"decision\":\"do it\","
         "\"reasoning\":\"because\",\"confidence\":0.9},\"action\":" +
         action +
         ",\"context\":{\"occurred_at\":\"2026-11-28T09:12:44Z\","
         "\"environment\":\"production\",\"job_id\":\"j\",\"app_version\":"
         "\"1\"},\"subject\":{\"type\":\"customer\",\"id\":\"c-1\","
         "\"attributes\":{\"account_age_days\":" +
         std::to_string(account_age_days) + "}}}";
}

}  // namespace actledger::server_testing

#endif  // ACTLEDGER_TESTS_SERVER_SERVER_HARNESS_H_
