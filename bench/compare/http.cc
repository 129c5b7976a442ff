// actledger's HTTP ingest (stores.h): `actledger serve` on a fresh ledger,
// NDJSON batches POSTed to /v1/records by HTTP/1.1 keep-alive clients.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/json.h"
#include "compare/stores.h"

extern char** environ;

namespace actledger::compare {
namespace {

constexpr char kPrincipal[] = "bench:writer";

std::string Cli(const std::string& cli, const std::string& dir,
                const std::vector<std::string>& args) {
  std::vector<std::string> argv = {cli, "--data", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  std::string err;
  const int rc = RunProcess(argv, &out, &err);
  if (rc != 0) {
    std::string cmd;
    for (const std::string& a : args) cmd += " " + a;
    Die("actledger" + cmd + " exited " + std::to_string(rc) + ": " + err);
  }
  return out;
}

// `actledger serve` as a child; stopped (SIGTERM, then waited for) on
// destruction.
class Server {
 public:
  Server(const std::string& cli, const std::string& dir) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
      Die(std::string("pipe: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    // Its access log (one line per request) would drown the results.
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> argv = {cli,     "--data",   dir,
                                     "serve", "--listen", "127.0.0.1:0"};
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, cli.c_str(), &actions, nullptr,
                               args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0)
      Die("spawn actledger serve: " + std::string(std::strerror(rc)));
    out_ = out[0];
    // The server prints the address it listens on; wait up to 10 s for it.
    std::string printed;
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out_, buf, sizeof(buf));
      if (n <= 0) break;
      printed.append(buf, static_cast<size_t>(n));
      const size_t at = printed.find("127.0.0.1:");
      if (at == std::string::npos) continue;
      size_t end = at + std::strlen("127.0.0.1:");
      while (end < printed.size() && printed[end] >= '0' &&
             printed[end] <= '9') {
        ++end;
      }
      if (end < printed.size()) {
        port_ = std::atoi(printed.c_str() + at + std::strlen("127.0.0.1:"));
        break;
      }
    }
    if (port_ <= 0) {
      Die("actledger serve did not print its address within 10 s; it printed "
          "'" +
          printed + "'");
    }
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    close(out_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  int port() const { return port_; }

 private:
  pid_t pid_ = 0;
  int out_ = -1;
  int port_ = 0;
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) Die(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      Die("connect 127.0.0.1:" + std::to_string(port) + ": " +
          std::strerror(errno));
    }
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // POSTs `body`; returns the response body. Dies unless the status is 201.
  std::string Post(const std::string& token, const std::string& body) {
    std::string req =
        "POST /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-ndjson\r\nAuthorization: Bearer " +
        token + "\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    req += body;
    std::string_view rest(req);
    while (!rest.empty()) {
      const ssize_t w = send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        Die(std::string("send: ") + std::strerror(errno));
      }
      rest.remove_prefix(static_cast<size_t>(w));
    }
    size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) Fill();
    const std::string head = in_.substr(0, head_end);
    in_.erase(0, head_end + 4);
    const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    std::string resp;
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        size_t eol;
        while ((eol = in_.find("\r\n")) == std::string::npos) Fill();
        const size_t len = std::strtoul(in_.c_str(), nullptr, 16);
        while (in_.size() < eol + 2 + len + 2) Fill();
        resp += in_.substr(eol + 2, len);
        in_.erase(0, eol + 2 + len + 2);
        if (len == 0) break;
      }
    } else {
      const size_t cl = lower.find("content-length:");
      const size_t len =
          cl == std::string::npos
              ? 0
              : std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
      while (in_.size() < len) Fill();
      resp = in_.substr(0, len);
      in_.erase(0, len);
    }
    if (status != 201) {
      Die("POST /v1/records answered " + std::to_string(status) + ": " +
          resp.substr(0, 300));
    }
    return resp;
  }

 private:
  void Fill() {
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) Die("the server closed the connection");
    in_.append(buf, static_cast<size_t>(n));
  }
  int fd_ = -1;
  std::string in_;
};

}  // namespace

bool HttpStore::Available(std::string* why) const {
  // `X --help` exits 0 even for an unknown X; the subcommand list tells.
  std::string out;
  std::string err;
  RunProcess({cli_, "--help"}, &out, &err);
  if (out.find("\n  serve ") == std::string::npos) {
    *why =
        "not measured: this actledger build has no `serve` command "
        "(the HTTP server was not ready)";
    return false;
  }
  return true;
}

Sample HttpStore::Ingest(const std::string& dir,
                         const std::vector<BenchRecord>& records, size_t batch,
                         unsigned clients) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  Cli(cli_, dir, {"init", "--origin", "bench.example/http"});
  Cli(cli_, dir, {"principal", "grant", kPrincipal, "--role", "writer"});
  const std::string created =
      Cli(cli_, dir, {"token", "create", "--principal", kPrincipal});
  Result<json::Value> v = json::Parse(created);
  const json::Value* t = v.ok() ? v->FindPath("token") : nullptr;
  if (t == nullptr || !t->is_string()) {
    Die("actledger token create printed '" + created + "'");
  }
  const std::string token = t->as_string();
  Server server(cli_, dir);
  std::vector<std::unique_ptr<Client>> conns;
  for (unsigned i = 0; i < clients; ++i) {
    conns.push_back(std::make_unique<Client>(server.port()));
  }
  std::vector<std::string> bodies;
  for (size_t i = 0; i < records.size(); i += batch) {
    std::string b;
    for (size_t k = i; k < std::min(records.size(), i + batch); ++k) {
      b += records[k].line;
      b += '\n';
    }
    bodies.push_back(std::move(b));
  }
  return RunClients(
      records.size(), batch, clients, [&](unsigned c, size_t b, size_t e) {
        const std::string resp = conns[c]->Post(token, bodies[b / batch]);
        size_t receipts = 0;
        for (size_t at = resp.find("\"seq\""); at != std::string::npos;
             at = resp.find("\"seq\"", at + 1)) {
          ++receipts;
        }
        if (receipts != e - b) {
          Die("POST /v1/records of " + std::to_string(e - b) +
              " records returned " + std::to_string(receipts) + " receipts");
        }
      });
}

}  // namespace actledger::compare
