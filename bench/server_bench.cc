// Load generator for `actledger serve` over loopback, the generator's own
// CPU included in the measurement (it runs on the same machine):
//
//   ingest     C client threads POST NDJSON batches of B generated records
//              (2-5 KB each) to /v1/records; a record counts once its
//              batch got 201 (durable).
//   library    the same records, validated, prepared and appended with
//              Ledger::Append from C threads in this process: the baseline
//              the server's ingest is compared with.
//   proposals  P keep-alive clients each POST single proposals to
//              /v1/actions in a loop (payment.refund, auto-approved by rule
//              T-2026-03 of examples/policy.yaml); per-request latency.
//   idle       I keep-alive connections opened before the phases and held
//              (each sent one request); checked to still answer at the end.
//   floor      the same ingest and proposal clients against
//              bench/http_floor.cc, an HTTP server that only appends each
//              body and group-fsyncs it: the floor the server is compared
//              with, measured in the same run.
//
// Usage (results: docs/BENCHMARKS.md, section "Server"):
//
//   server_bench [--seconds S] [--runs R] [--batch B] [--clients C]
//                [--proposers P] [--idle I] [--dir PATH]
//
// Every figure is the median over R runs. The server is the real binary
// (ACTLEDGER_BIN), started once per run on a fresh ledger with
// --access-log off and a long idle timeout.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gen/generator.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p * static_cast<double>(v.size()));
  return v[std::min(rank, v.size() - 1)];
}

// A keep-alive HTTP/1.1 connection to 127.0.0.1 (Content-Length replies).
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Returns the status (0 on a broken connection); the body in *body.
  int Request(const std::string& method, const std::string& path,
              const std::string& token, const std::string& type,
              const std::string& payload, std::string* body = nullptr) {
    if (fd_ < 0) return 0;
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: b\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!payload.empty()) {
      req += "Content-Type: " + type +
             "\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n";
    }
    req += "\r\n";
    // Head and body in one sendmsg, as an HTTP client library does: two
    // sends would make two TCP segments (TCP_NODELAY) and two reads.
    if (!Send(req, payload)) return 0;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    const int status = std::atoi(buf_.c_str() + 9);
    size_t cl = buf_.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) cl = buf_.find("content-length: ");
    const size_t length =
        cl != std::string::npos && cl < end
            ? std::strtoull(buf_.c_str() + cl + 16, nullptr, 10)
            : 0;
    while (buf_.size() < end + 4 + length) {
      if (!Fill()) return 0;
    }
    if (body != nullptr) *body = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return status;
  }

 private:
  bool Send(const std::string& head, const std::string& body) {
    size_t off = 0;  // of head + body
    const size_t total = head.size() + body.size();
    while (off < total) {
      iovec iov[2];
      int n_iov = 0;
      if (off < head.size()) {
        iov[n_iov++] = {const_cast<char*>(head.data()) + off,
                        head.size() - off};
      }
      const size_t body_off = off > head.size() ? off - head.size() : 0;
      if (body_off < body.size()) {
        iov[n_iov++] = {const_cast<char*>(body.data()) + body_off,
                        body.size() - body_off};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(n_iov);
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool Fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
};

std::string Run(const std::vector<std::string>& args) {
  std::string cmd = ACTLEDGER_BIN;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  std::string out;
  // Runs the actledger binary built with this benchmark, on arguments the
  // benchmark itself makes.
  // NOLINTNEXTLINE(cert-env33-c)
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) {
    std::fprintf(stderr, "server_bench: %s failed:\n%s\n", cmd.c_str(),
                 out.c_str());
    std::exit(1);
  }
  return out;
}

std::string TokenOf(const std::string& out) {
  const size_t at = out.find("\"token\":\"");
  return out.substr(at + 9, out.find('"', at + 9) - at - 9);
}

struct Server {
  pid_t pid = -1;
  int port = 0;
};

// Starts `argv` (argv[0] the binary) and reads the port from the line it
// prints once it listens ("... 127.0.0.1:PORT ...").
Server StartServer(std::vector<std::string> args) {
  int fds[2];
  if (::pipe(fds) != 0) std::exit(1);
  Server s;
  s.pid = ::fork();
  if (s.pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string line;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(fds[0]);
  const std::string marker = "127.0.0.1:";
  const size_t at = line.find(marker);
  if (at == std::string::npos) {
    std::fprintf(stderr, "server_bench: no startup line from %s: %s\n",
                 args[0].c_str(), line.c_str());
    std::exit(1);
  }
  s.port = std::atoi(line.c_str() + at + marker.size());
  return s;
}

Server StartActledger(const std::string& data) {
  return StartServer({ACTLEDGER_BIN, "--data", data, "serve", "--listen",
                      "127.0.0.1:0", "--access-log", "off", "--idle-timeout-ms",
                      "3600000", "--max-connections", "20000"});
}

void StopServer(const Server& server) {
  ::kill(server.pid, SIGTERM);
  int status = 0;
  ::waitpid(server.pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "server_bench: the server did not exit cleanly\n");
    std::exit(1);
  }
}

// Resident set of `pid` in MB (VmRSS or VmHWM).
double MemoryMb(pid_t pid, const char* which) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(which, 0) == 0) {
      return std::atof(line.c_str() + std::strlen(which) + 1) / 1024.0;
    }
  }
  return 0;
}

// CPU seconds (user + system) used so far by process `pid`, from
// /proc/PID/stat (fields 14 and 15, after the parenthesized command name).
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields;
  size_t pos = paren + 2;
  while (pos < stat.size()) {
    size_t end = stat.find(' ', pos);
    if (end == std::string::npos) end = stat.size();
    fields.push_back(stat.substr(pos, end - pos));
    pos = end + 1;
  }
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::atof(fields[11].c_str()) + std::atof(fields[12].c_str())) /
         ticks;
}

// CPU seconds used so far by this process (the load generator, or the
// library baseline).
double SelfCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The 1-minute load average: the machine is shared, so every run says how
// busy it was.
double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

std::string Proposal(const std::string& id) {
  return "{\"action_id\":\"" + id +
         "\",\"trigger\":{\"type\":\"event\",\"source\":\"zendesk.ticket."
         "created\"},\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\","
         "\"version\":\"gpt-4o-2024-11-20\",\"prompt_template\":{\"id\":"
         "\"refund-triage\",\"version\":\"7\"}},\"ai_output\":{\"decision\":"
         "\"refund 40.00 USD\",\"reasoning\":\"duplicate charge\","
         "\"confidence\":0.93},\"action\":{\"type\":\"payment.refund\","
         "\"system\":\"stripe\",\"target\":\"ch_1\",\"amount\":{\"value\":"
         "\"40.00\",\"currency\":\"USD\"}},\"context\":{\"occurred_at\":"
         "\"2026-11-28T09:12:44Z\",\"environment\":\"production\",\"job_id\":"
         "\"job-1\",\"app_version\":\"4.12.0\"},\"subject\":{\"type\":"
         "\"customer\",\"id\":\"44821\",\"attributes\":{\"account_age_days\":"
         "400}}}";
}

struct Options {
  double seconds = 10;
  int runs = 3;
  int batch = 1000;
  int clients = 2;
  int proposers = 64;
  int idle = 1000;
  std::string dir;
};

struct RunResult {
  double ingest_rps = 0, library_rps = 0, proposals_rps = 0, p50_ms = 0,
         p99_ms = 0, rss_idle_mb = 0, rss_end_mb = 0, hwm_mb = 0;
  double idle_ok = 0;
  double load_start = 0, load_end = 0;
  // CPU microseconds per record or decision: what the work costs, however
  // busy the shared machine was.
  double ingest_server_us = 0, ingest_client_us = 0, proposal_server_us = 0,
         proposal_client_us = 0, library_us = 0;
  // The background indexer lags behind an ingest burst (it runs at a lower
  // priority) and catches up afterwards: how long that took, and its server
  // CPU per ingested record.
  double index_catchup_s = 0, index_server_us = 0;
  // The same clients against bench/http_floor.cc; CPU is server + client.
  double floor_ingest_rps = 0, floor_ingest_us = 0, floor_proposals_rps = 0,
         floor_p99_ms = 0, floor_decision_us = 0;
};

// What one phase measured: a rate, latencies (proposals only), and the CPU
// microseconds per record or decision of the server and of this process.
struct Phase {
  double count = 0;  // records or decisions
  double rate = 0, p50_ms = 0, p99_ms = 0, server_us = 0, client_us = 0;
};

// Runs `client(c, stop)` on `clients` threads until o.seconds have passed
// and returns the phase's rate and CPU cost per unit, `units` being what
// the clients counted as done.
template <class Client>
Phase Drive(const Options& o, const Server& server, int clients,
            const std::atomic<uint64_t>& units, const Client& client) {
  Phase r;
  const double server_cpu0 = ProcessCpuSeconds(server.pid);
  const double self_cpu0 = SelfCpuSeconds();
  const auto t0 = Clock::now();
  const auto stop = t0 + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back(client, c, stop);
  for (auto& t : threads) t.join();
  r.count = static_cast<double>(units);
  r.rate = r.count / Seconds(Clock::now() - t0);
  r.server_us = (ProcessCpuSeconds(server.pid) - server_cpu0) * 1e6 / r.count;
  r.client_us = (SelfCpuSeconds() - self_cpu0) * 1e6 / r.count;
  return r;
}

// C clients POST NDJSON batches; a record counts once its batch got 201.
Phase Ingest(const Options& o, const Server& server, const std::string& token,
             const std::vector<std::string>& bodies) {
  std::atomic<uint64_t> records{0};
  std::atomic<size_t> next{0};
  return Drive(o, server, o.clients, records, [&](int, auto stop) {
    Conn conn(server.port);
    while (Clock::now() < stop) {
      const std::string& body = bodies[next++ % bodies.size()];
      std::string reply;
      const int st = conn.Request("POST", "/v1/records", token,
                                  "application/x-ndjson", body, &reply);
      if (st != 201) {
        std::fprintf(stderr, "server_bench: ingest got %d: %.200s\n", st,
                     reply.c_str());
        std::exit(1);
      }
      records += static_cast<uint64_t>(o.batch);
    }
  });
}

// P keep-alive clients POST single proposals; each reply must be 201 with
// an allow decision.
Phase Proposals(const Options& o, const Server& server,
                const std::string& token, int run) {
  std::atomic<uint64_t> done{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(o.proposers));
  Phase r = Drive(o, server, o.proposers, done, [&](int c, auto stop) {
    Conn conn(server.port);
    for (int i = 0; Clock::now() < stop; ++i) {
      const std::string id = "r" + std::to_string(run) + "-" +
                             std::to_string(c) + "-" + std::to_string(i);
      const auto s = Clock::now();
      std::string reply;
      const int st = conn.Request("POST", "/v1/actions", token,
                                  "application/json", Proposal(id), &reply);
      if (st != 201 ||
          reply.find("\"decision\":\"allow\"") == std::string::npos) {
        std::fprintf(stderr, "server_bench: proposal got %d: %.200s\n", st,
                     reply.c_str());
        std::exit(1);
      }
      lat[static_cast<size_t>(c)].push_back(Seconds(Clock::now() - s) * 1e3);
      ++done;
    }
  });
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  r.p50_ms = Percentile(all, 0.50);
  r.p99_ms = Percentile(all, 0.99);
  return r;
}

RunResult OneRun(const Options& o, int run,
                 const std::vector<std::string>& bodies,
                 const std::vector<std::string>& lines) {
  RunResult r;
  r.load_start = LoadAverage();
  const std::string data = o.dir + "/run" + std::to_string(run);
  fs::remove_all(data);
  Run({"--data", data, "init", "--origin", "bench.example/server"});
  Run({"--data", data, "principal", "grant", "agent@bench", "--role",
       "writer"});
  Run({"--data", data, "principal", "grant", "agent@bench", "--role",
       "auditor"});  // reads /metrics
  const std::string writer = TokenOf(
      Run({"--data", data, "token", "create", "--principal", "agent@bench"}));
  Run({"--data", data, "policy", "activate",
       std::string(ACTLEDGER_SOURCE_DIR) + "/examples/policy.yaml"});
  Server server = StartActledger(data);

  // Idle keep-alive connections, held through both phases.
  std::vector<std::unique_ptr<Conn>> idle;
  for (int i = 0; i < o.idle; ++i) {
    idle.push_back(std::make_unique<Conn>(server.port));
    idle.back()->Request("GET", "/healthz", "", "", "");
  }
  r.rss_idle_mb = MemoryMb(server.pid, "VmRSS:");

  // Ingest.
  {
    const Phase ingest = Ingest(o, server, writer, bodies);
    r.ingest_rps = ingest.rate;
    r.ingest_server_us = ingest.server_us;
    r.ingest_client_us = ingest.client_us;
    const double n = ingest.count;

    // Until the index holds every record ingested (at most 300 s).
    const double cpu0 = ProcessCpuSeconds(server.pid);
    const auto c0 = Clock::now();
    Conn conn(server.port);
    while (true) {
      std::string metrics;
      const int st = conn.Request("GET", "/metrics", writer, "", "", &metrics);
      if (st != 200) {
        std::fprintf(stderr, "server_bench: /metrics got %d\n", st);
        std::exit(1);
      }
      const size_t at = metrics.find("\nactledger_index_lag_records ");
      if (at != std::string::npos &&
          std::strtod(metrics.c_str() + at + 29, nullptr) == 0) {
        break;
      }
      if (Seconds(Clock::now() - c0) > 300) {
        std::fprintf(stderr, "server_bench: the index did not catch up\n");
        std::exit(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    r.index_catchup_s = Seconds(Clock::now() - c0);
    r.index_server_us = (ProcessCpuSeconds(server.pid) - cpu0) * 1e6 / n;
  }

  // Proposals.
  {
    const Phase p = Proposals(o, server, writer, run);
    r.proposals_rps = p.rate;
    r.p50_ms = p.p50_ms;
    r.p99_ms = p.p99_ms;
    r.proposal_server_us = p.server_us;
    r.proposal_client_us = p.client_us;
  }

  for (auto& c : idle) {
    r.idle_ok += c->Request("GET", "/healthz", "", "", "") == 200 ? 1 : 0;
  }
  r.rss_end_mb = MemoryMb(server.pid, "VmRSS:");
  r.hwm_mb = MemoryMb(server.pid, "VmHWM:");
  idle.clear();
  StopServer(server);

  // Baseline: the same clients against the HTTP floor (bench/http_floor.cc):
  // HTTP over loopback, one append and a group fdatasync, nothing else.
  {
    const std::string file = o.dir + "/floor" + std::to_string(run);
    const Server floor = StartServer({HTTP_FLOOR_BIN, "--file", file});
    const Phase ingest = Ingest(o, floor, "", bodies);
    r.floor_ingest_rps = ingest.rate;
    r.floor_ingest_us = ingest.server_us + ingest.client_us;
    const Phase p = Proposals(o, floor, "", run);
    r.floor_proposals_rps = p.rate;
    r.floor_p99_ms = p.p99_ms;
    r.floor_decision_us = p.server_us + p.client_us;
    StopServer(floor);
    fs::remove(file);
  }

  // Baseline: the same records through the library, in this process.
  {
    const std::string lib = o.dir + "/lib" + std::to_string(run);
    fs::remove_all(lib);
    actledger::InitOptions init;
    init.origin = "bench/lib";
    actledger::Status st = actledger::Ledger::Init(lib, init);
    auto ledger = actledger::Ledger::Open(lib, {});
    if (!st.ok() || !ledger.ok()) std::exit(1);
    std::atomic<uint64_t> records{0};
    std::atomic<size_t> next{0};
    const double self_cpu0 = SelfCpuSeconds();
    const auto t0 = Clock::now();
    const auto stop = t0 + std::chrono::duration<double>(o.seconds);
    std::vector<std::thread> threads;
    for (int c = 0; c < o.clients; ++c) {
      threads.emplace_back([&] {
        while (Clock::now() < stop) {
          const size_t b = next++ % bodies.size();
          std::vector<actledger::AppendRequest> batch;
          for (int k = 0; k < o.batch; ++k) {
            auto rec = actledger::ValidateRecord(
                lines[(b * static_cast<size_t>(o.batch) +
                       static_cast<size_t>(k)) %
                      lines.size()],
                {});
            batch.push_back(actledger::Ledger::Prepare(std::move(rec).value()));
          }
          auto receipts = (*ledger)->Append(std::move(batch), "agent@bench");
          if (!receipts.ok()) std::exit(1);
          records += static_cast<uint64_t>(o.batch);
        }
      });
    }
    for (auto& t : threads) t.join();
    r.library_rps = static_cast<double>(records) / Seconds(Clock::now() - t0);
    r.library_us =
        (SelfCpuSeconds() - self_cpu0) * 1e6 / static_cast<double>(records);
  }
  fs::remove_all(o.dir + "/lib" + std::to_string(run));
  fs::remove_all(data);
  r.load_end = LoadAverage();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.dir = (fs::temp_directory_path() / "actledger-server-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--seconds")
      o.seconds = std::atof(v);
    else if (k == "--runs")
      o.runs = std::atoi(v);
    else if (k == "--batch")
      o.batch = std::atoi(v);
    else if (k == "--clients")
      o.clients = std::atoi(v);
    else if (k == "--proposers")
      o.proposers = std::atoi(v);
    else if (k == "--idle")
      o.idle = std::atoi(v);
    else if (k == "--dir")
      o.dir = v;
    else {
      std::fprintf(stderr,
                   "usage: server_bench [--seconds S] [--runs R] [--batch B] "
                   "[--clients C] [--proposers P] [--idle I] [--dir PATH]\n");
      return 2;
    }
  }
  fs::create_directories(o.dir);
  // Generated once; the batches cycle through them.
  actledger::gen::Generator g({.seed = 42});
  std::vector<std::string> lines;
  std::vector<std::string> bodies;
  size_t bytes = 0;
  for (int b = 0; b < 40; ++b) {
    std::string body;
    for (int k = 0; k < o.batch; ++k) {
      lines.push_back(g.NextLine());
      bytes += lines.back().size();
      body += lines.back();
      body += '\n';
    }
    bodies.push_back(std::move(body));
  }
  std::printf(
      "records: %zu generated, mean %.0f bytes; batch %d; %d ingest "
      "clients, %d proposers, %d idle connections, %.0f s per phase, "
      "%d runs, %u cores\n",
      lines.size(), static_cast<double>(bytes) / lines.size(), o.batch,
      o.clients, o.proposers, o.idle, o.seconds, o.runs,
      std::thread::hardware_concurrency());
  std::vector<RunResult> results;
  for (int run = 0; run < o.runs; ++run) {
    results.push_back(OneRun(o, run, bodies, lines));
    const RunResult& r = results.back();
    std::printf(
        "run %d: ingest %.0f rec/s, library %.0f rec/s, proposals "
        "%.0f/s p50 %.2f ms p99 %.2f ms, idle ok %d/%d, RSS %.0f MB "
        "(idle) %.0f MB (end) peak %.0f MB; load average %.1f -> %.1f\n",
        run, r.ingest_rps, r.library_rps, r.proposals_rps, r.p50_ms, r.p99_ms,
        static_cast<int>(r.idle_ok), o.idle, r.rss_idle_mb, r.rss_end_mb,
        r.hwm_mb, r.load_start, r.load_end);
    std::printf(
        "       CPU us per record: ingest server %.1f + client %.1f, library "
        "%.1f; per decision: server %.1f + client %.1f\n",
        r.ingest_server_us, r.ingest_client_us, r.library_us,
        r.proposal_server_us, r.proposal_client_us);
    std::printf(
        "       index caught up %.2f s after the ingest phase, %.1f us of "
        "server CPU per ingested record\n",
        r.index_catchup_s, r.index_server_us);
    std::printf(
        "       HTTP floor: ingest %.0f rec/s (%.1f us CPU/record), proposals "
        "%.0f/s p99 %.2f ms (%.1f us CPU/request, server + client)\n",
        r.floor_ingest_rps, r.floor_ingest_us, r.floor_proposals_rps,
        r.floor_p99_ms, r.floor_decision_us);
    std::fflush(stdout);
  }
  auto med = [&](double RunResult::*f) {
    std::vector<double> v;
    for (const RunResult& r : results) v.push_back(r.*f);
    return Median(v);
  };
  const double ingest = med(&RunResult::ingest_rps);
  const double library = med(&RunResult::library_rps);
  std::printf("\nmedian of %d runs\n", o.runs);
  std::printf(
      "  NDJSON ingest over HTTP   %10.0f records/s   target >= 50000   "
      "%s\n",
      ingest, ingest >= 50000 ? "met" : "NOT met");
  std::printf(
      "  library Ledger::Append    %10.0f records/s   server/library = "
      "%.2f\n",
      library, ingest / library);
  // Ratios per run (both sides measured minutes apart), then the median.
  auto ratio = [&](double RunResult::*num, double RunResult::*den) {
    std::vector<double> v;
    for (const RunResult& r : results) v.push_back(r.*num / r.*den);
    return Median(v);
  };
  std::printf(
      "  HTTP floor ingest         %10.0f records/s   actledger/floor = "
      "%.2f\n",
      med(&RunResult::floor_ingest_rps),
      ratio(&RunResult::ingest_rps, &RunResult::floor_ingest_rps));
  const double props = med(&RunResult::proposals_rps);
  const double p99 = med(&RunResult::p99_ms);
  std::printf(
      "  proposals (%d clients)    %10.0f decisions/s target >= 10000  "
      "%s\n",
      o.proposers, props, props >= 10000 ? "met" : "NOT met");
  std::printf(
      "  proposal latency          p50 %.2f ms, p99 %.2f ms (target p99 "
      "<= 10 ms: %s)\n",
      med(&RunResult::p50_ms), p99, p99 <= 10 ? "met" : "NOT met");
  std::printf(
      "  HTTP floor proposals      %10.0f requests/s  actledger/floor = "
      "%.2f; floor p99 %.2f ms\n",
      med(&RunResult::floor_proposals_rps),
      ratio(&RunResult::proposals_rps, &RunResult::floor_proposals_rps),
      med(&RunResult::floor_p99_ms));
  std::printf(
      "  index after the burst     caught up in %.2f s, %.1f us server CPU "
      "per record (not in the ingest figures)\n",
      med(&RunResult::index_catchup_s), med(&RunResult::index_server_us));
  std::printf(
      "  idle connections          %.0f of %d still answering; server "
      "RSS %.0f MB with them idle, %.0f MB at the end, peak %.0f MB\n",
      med(&RunResult::idle_ok), o.idle, med(&RunResult::rss_idle_mb),
      med(&RunResult::rss_end_mb), med(&RunResult::hwm_mb));
  // What the measured CPU cost allows when the two cores belong to this
  // benchmark alone: an estimate, not a measurement (it ignores contention
  // between the server's threads and the disk's own limit).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double ingest_us =
      med(&RunResult::ingest_server_us) + med(&RunResult::ingest_client_us);
  const double decision_us =
      med(&RunResult::proposal_server_us) + med(&RunResult::proposal_client_us);
  std::printf(
      "  CPU cost (load-independent) ingest %.1f us/record server + %.1f "
      "client (library %.1f: server/library CPU = %.2f);\n"
      "                            a decision %.1f us server + %.1f "
      "client\n",
      med(&RunResult::ingest_server_us), med(&RunResult::ingest_client_us),
      med(&RunResult::library_us),
      med(&RunResult::ingest_server_us) / med(&RunResult::library_us),
      med(&RunResult::proposal_server_us), med(&RunResult::proposal_client_us));
  std::printf(
      "                            the HTTP floor: %.1f us per record, %.1f "
      "us per request (server + client)\n",
      med(&RunResult::floor_ingest_us), med(&RunResult::floor_decision_us));
  std::printf(
      "  on %u idle cores that CPU cost allows at most ~%.0f records/s in a "
      "burst (~%.0f sustained, with the index keeping up) and ~%.0f "
      "decisions/s (estimate)\n",
      cores, cores * 1e6 / ingest_us,
      cores * 1e6 / (ingest_us + med(&RunResult::index_server_us)),
      cores * 1e6 / decision_us);
  fs::remove_all(o.dir);
  return 0;
}
