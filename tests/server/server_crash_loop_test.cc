// Crash loop of `actledger serve`: cycles of concurrent appends over HTTP,
// each ended by SIGKILL at a random moment. After every restart each
// record acknowledged so far (201 with a receipt) is served, and its bytes
// hash to the receipt's leaf hash; the bytes never change from one restart
// to the next; and `actledger verify` passes.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "crypto/sha256.h"
#include "server/server_harness.h"

namespace actledger::server_testing {
namespace {

// RFC 6962 leaf hash, computed here independently of the server.
std::string LeafHashHex(const std::string& bytes) {
  std::string in(1, '\0');
  in += bytes;
  crypto::Digest d = crypto::Sha256(in);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

struct Acked {
  // cppcheck-suppress unusedStructMember ; read through the map's bindings
  std::string leaf_hash;  // from the receipt
  // cppcheck-suppress unusedStructMember ; read through the map's bindings
  std::string bytes;  // as first served after a restart
};

// Four clients appending single records and batches until the server goes
// away, collecting the receipts (seq -> leaf hash).
class Load {
 public:
  Load(int port, const std::string& token, int cycle) {
    for (int t = 0; t < 4; ++t) {
      threads_.emplace_back([this, port, token, cycle, t] {
        HttpClient c(port, 5000);
        for (int i = 0; c.connected(); ++i) {
          const std::string id = "crash-" + std::to_string(cycle) + "-" +
                                 std::to_string(t) + "-" + std::to_string(i);
          const bool batch = i % 4 == 0;
          std::string body;
          if (batch) {
            for (int k = 0; k < 10; ++k) {
              body += ActionRecord(id + "-" + std::to_string(k)) + "\n";
            }
          } else {
            body = ActionRecord(id);
          }
          HttpReply r =
              c.Send("POST", "/v1/records", body, token,
                     batch ? "application/x-ndjson" : "application/json");
          if (r.status == 0) break;  // killed
          if (r.status != 201) {
            unexpected_ = r.status;
            break;
          }
          std::lock_guard<std::mutex> lock(mu_);
          for (const std::string& line : cli_testing::Lines(r.body)) {
            acks_[JsonField(line, "seq")] = JsonField(line, "leaf_hash");
          }
        }
      });
    }
  }
  ~Load() { Join(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  void Join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_.size();
  }
  std::map<std::string, std::string> Acks() {
    std::lock_guard<std::mutex> lock(mu_);
    return acks_;
  }
  int unexpected() const { return unexpected_.load(); }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> acks_;
  std::atomic<int> unexpected_{0};
  std::vector<std::thread> threads_;
};

TEST(ServerCrashLoop, SigkillCyclesKeepEveryAcknowledgedRecordByteForByte) {
  ServerHarness h;
  const std::string writer = h.Principal("agent@crash", {"writer"});
  const std::string auditor = h.Principal("audit@crash", {"auditor"});
  std::mt19937 rng(2026);
  std::map<uint64_t, Acked> acked;
  std::map<std::string, std::string> pending;  // acknowledged, not yet read
  constexpr int kCycles = 6;
  for (int cycle = 0; cycle <= kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    h.Start();
    {
      // The restart check: what was acknowledged before the kill is here,
      // byte for byte.
      HttpClient c(h.port());
      for (const auto& [seq, hash] : pending) {
        HttpReply r = c.Send("GET", "/v1/records/" + seq, "", auditor);
        ASSERT_EQ(r.status, 200) << "acknowledged seq " << seq << ": " << r;
        ASSERT_EQ(LeafHashHex(r.body), hash) << "seq " << seq;
        const uint64_t n = std::stoull(seq);
        ASSERT_EQ(acked.count(n), 0u) << "seq " << seq << " acknowledged twice";
        acked[n] = Acked{hash, r.body};
      }
      pending.clear();
      // Records read after earlier restarts have not changed.
      for (auto it = acked.begin(); it != acked.end(); ++it) {
        if (rng() % 8 != 0) continue;
        HttpReply r = c.Send("GET", "/v1/records/" + std::to_string(it->first),
                             "", auditor);
        ASSERT_EQ(r.status, 200) << r;
        ASSERT_EQ(r.body, it->second.bytes) << "seq " << it->first;
      }
    }
    auto v = RunCli({"--data", h.data(), "verify"});
    ASSERT_EQ(v.exit_code, 0) << v;
    if (cycle == kCycles) break;

    Load load(h.port(), writer, cycle);
    // Killed at a random moment once appends are flowing, so that a slow
    // (sanitizer) build is still killed in the middle of group commits.
    const auto first_deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (load.Count() == 0 &&
           std::chrono::steady_clock::now() < first_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(load.Count(), 0u) << "no append was acknowledged: " << h.Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 700));
    h.Kill();
    load.Join();
    EXPECT_EQ(load.unexpected(), 0) << "an append was refused: " << h.Log();
    pending = load.Acks();
  }
  EXPECT_GT(acked.size(), static_cast<size_t>(kCycles));

  // Every acknowledged record of every cycle, one last time, then a clean
  // shutdown and a verify of the whole ledger.
  HttpClient c(h.port());
  for (const auto& [seq, a] : acked) {
    HttpReply r =
        c.Send("GET", "/v1/records/" + std::to_string(seq), "", auditor);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_EQ(r.body, a.bytes) << "seq " << seq;
    ASSERT_EQ(LeafHashHex(r.body), a.leaf_hash) << "seq " << seq;
  }
  EXPECT_EQ(h.Stop(), 0) << h.Log();
  auto v = RunCli({"--data", h.data(), "verify"});
  EXPECT_EQ(v.exit_code, 0) << v;
  std::printf("server crash loop: %zu acknowledged records over %d kills\n",
              acked.size(), kCycles);
}

}  // namespace
}  // namespace actledger::server_testing
