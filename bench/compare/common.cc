// Shared pieces of the comparison harness: client threads, child
// processes, the expected query answers, and the raw floor.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "compare/stores.h"

extern char** environ;

namespace actledger::compare {

void Die(const std::string& what) {
  std::fprintf(stderr, "compare_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& st, const std::string& what) {
  if (!st.ok()) Die(what + ": " + st.ToString());
}

Sample RunClients(size_t n, size_t batch, unsigned clients,
                  const std::function<void(unsigned client, size_t begin,
                                           size_t end)>& submit) {
  const size_t batches = (n + batch - 1) / batch;
  std::atomic<size_t> next{0};
  std::vector<std::vector<double>> latencies(clients);
  std::latch ready(clients);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      ready.count_down();
      go.wait();
      for (size_t i = next.fetch_add(1); i < batches; i = next.fetch_add(1)) {
        const auto b0 = Clock::now();
        submit(t, i * batch, std::min(n, (i + 1) * batch));
        latencies[t].push_back(Seconds(Clock::now() - b0));
      }
    });
  }
  ready.wait();
  const auto t0 = Clock::now();
  go.count_down();
  for (std::thread& th : threads) th.join();
  Sample s;
  s.seconds = Seconds(Clock::now() - t0);
  for (const auto& l : latencies) {
    s.latencies.insert(s.latencies.end(), l.begin(), l.end());
  }
  return s;
}

int RunProcess(const std::vector<std::string>& argv, std::string* out,
               std::string* err) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    Die(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) Die("spawn " + argv[0] + ": " + std::strerror(rc));
  std::string collected[2];
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Die(std::string("poll: ") + std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        collected[i].append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die(std::string("waitpid: ") + std::strerror(errno));
  }
  if (out != nullptr) *out = std::move(collected[0]);
  if (err != nullptr) *err = std::move(collected[1]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Answers ExpectedAnswers(const std::vector<BenchRecord>& records,
                        const Questions& q) {
  Answers a;
  for (const BenchRecord& r : records) {
    a.by_subject +=
        r.subject_type == q.subject_type && r.subject_id == q.subject_id;
    a.by_model_month += r.model_version == q.model_version;
    if (r.approval_mode == "rule") ++a.rule_approvals[r.rule_id];
  }
  return a;
}

const char* TamperName(Tamper t) {
  switch (t) {
    case Tamper::kEditAmount:
      return "edit a record's amount";
    case Tamper::kDeleteRow:
      return "delete a record";
    case Tamper::kReorder:
      return "swap two records";
    case Tamper::kTruncate:
      return "truncate the newest records";
    case Tamper::kRollback:
      return "roll back to an old backup";
    case Tamper::kForgeSignature:
      return "forge a signature";
  }
  return "?";
}

Sample RawIngest(const std::string& path,
                 const std::vector<BenchRecord>& records, size_t batch,
                 unsigned clients) {
  const int fd = ::open(
      path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  Sample s = RunClients(
      records.size(), batch, clients, [&](unsigned, size_t b, size_t e) {
        std::string buf;
        for (size_t k = b; k < e; ++k) {
          buf += records[k].leaf;
          buf += '\n';
        }
        // One write: O_APPEND places it whole after the others'.
        std::string_view rest(buf);
        while (!rest.empty()) {
          const ssize_t w = ::write(fd, rest.data(), rest.size());
          if (w < 0) {
            if (errno == EINTR) continue;
            Die("write " + path + ": " + std::strerror(errno));
          }
          rest.remove_prefix(static_cast<size_t>(w));
        }
        if (::fdatasync(fd) != 0) {
          Die("fdatasync " + path + ": " + std::strerror(errno));
        }
      });
  ::close(fd);
  return s;
}

}  // namespace actledger::compare
