// Server metrics, rendered in the Prometheus text exposition format
// (docs/API.md lists every name).
//
// Thread safety: every method may be called from any thread.
#ifndef ACTLEDGER_SERVER_METRICS_H_
#define ACTLEDGER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace actledger::server {

// A histogram with fixed upper bounds (seconds or counts).
class Histogram {
 public:
  template <size_t N>
  explicit Histogram(const std::array<double, N>& bounds)
      : bounds_(bounds.begin(), bounds.end()), counts_(N + 1) {}
  void Observe(double v);
  // Appends the _bucket, _sum and _count lines of metric `name`.
  void Render(const std::string& name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // last one: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

struct Metrics {
  Metrics();

  std::atomic<uint64_t> appended_records{0};
  std::atomic<uint64_t> appended_bytes{0};
  std::atomic<uint64_t> append_batches{0};
  std::atomic<uint64_t> append_failures{0};
  // Completions delivered by the ledger's writer in one burst: each burst
  // follows one group commit (one write and one fdatasync).
  std::atomic<uint64_t> commit_groups{0};
  Histogram batch_records;  // records per append request
  Histogram ack_seconds;    // from queueing to durable
  Histogram request_seconds;
  std::atomic<uint64_t> open_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> inflight_bytes{0};
  std::atomic<uint64_t> waiters{0};

  void CountDecision(const std::string& decision);
  void CountRequest(const std::string& route, int status);
  // The counters above plus the labelled ones.
  void Render(std::string* out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> decisions_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
};

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_METRICS_H_
