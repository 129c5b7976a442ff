#include "server/metrics.h"

#include <cstdio>

namespace actledger::server {
namespace {

constexpr std::array<double, 14> kLatencyBounds = {
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
constexpr std::array<double, 10> kBatchBounds = {
    1, 2, 5, 10, 50, 100, 1000, 5000, 10000, 100000};

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void Counter(const char* name, const char* help, uint64_t v, std::string* out) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
          " counter\n" + name + " " + std::to_string(v) + "\n";
}

void Gauge(const char* name, const char* help, uint64_t v, std::string* out) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
          " gauge\n" + name + " " + std::to_string(v) + "\n";
}

// Label values come from route patterns and fixed words, but escape
// anyway: the exposition format breaks on a raw quote or newline.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(v * 1e6),
                        std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, std::string* out) const {
  *out += "# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    *out += name + "_bucket{le=\"" +
            (i < bounds_.size() ? Num(bounds_[i]) : std::string("+Inf")) +
            "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum " +
          Num(static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) /
              1e6) +
          "\n";
  *out += name + "_count " +
          std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

Metrics::Metrics()
    : batch_records(kBatchBounds),
      ack_seconds(kLatencyBounds),
      request_seconds(kLatencyBounds) {}

void Metrics::CountDecision(const std::string& decision) {
  std::lock_guard<std::mutex> lock(mu_);
  ++decisions_[decision];
}

void Metrics::CountRequest(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::Render(std::string* out) const {
  Counter("actledger_appended_records_total",
          "Records made durable through this server.", appended_records.load(),
          out);
  Counter("actledger_appended_bytes_total",
          "Request bytes of the records made durable.", appended_bytes.load(),
          out);
  Counter("actledger_append_requests_total",
          "Append requests (a record, a batch or a gate write) made durable.",
          append_batches.load(), out);
  Counter("actledger_append_failures_total",
          "Append requests the ledger refused (I/O error, tampered ledger).",
          append_failures.load(), out);
  Counter("actledger_syncs_total",
          "Group commits observed (one write and one fdatasync each).",
          commit_groups.load(), out);
  batch_records.Render("actledger_append_batch_records", out);
  ack_seconds.Render("actledger_append_ack_seconds", out);
  request_seconds.Render("actledger_http_request_seconds", out);
  Gauge("actledger_http_open_connections", "Open client connections.",
        open_connections.load(), out);
  Counter("actledger_http_rejected_connections_total",
          "Connections refused with 503 over --max-connections.",
          rejected_connections.load(), out);
  Gauge("actledger_append_queue_bytes",
        "Bytes of records waiting to become durable.", inflight_bytes.load(),
        out);
  Gauge("actledger_long_poll_waiters", "Requests waiting for a decision.",
        waiters.load(), out);
  std::lock_guard<std::mutex> lock(mu_);
  *out +=
      "# HELP actledger_gate_decisions_total Gate decisions by result.\n"
      "# TYPE actledger_gate_decisions_total counter\n";
  for (const auto& [d, n] : decisions_) {
    *out += "actledger_gate_decisions_total{decision=\"" + Label(d) + "\"} " +
            std::to_string(n) + "\n";
  }
  *out +=
      "# HELP actledger_http_requests_total HTTP requests by route and "
      "status.\n# TYPE actledger_http_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    *out += "actledger_http_requests_total{route=\"" + Label(k.first) +
            "\",status=\"" + std::to_string(k.second) + "\"} " +
            std::to_string(n) + "\n";
  }
}

}  // namespace actledger::server
