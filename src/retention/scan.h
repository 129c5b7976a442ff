// Reading the log for retention: one sequential pass over the segments
// (not a Get per record), and the parts of a stored record retention needs.
#ifndef ACTLEDGER_RETENTION_SCAN_H_
#define ACTLEDGER_RETENTION_SCAN_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "retention/retention.h"

namespace actledger::retention::internal {

// Calls fn(seq, payload) for every record below ledger.size(), in order.
Status ScanLog(const Ledger& ledger,
               const std::function<Status(uint64_t, std::string_view)>& fn);

// The string value of top-level member `key` of a canonical record, or "".
std::string TopLevelString(std::string_view payload, std::string_view key);

// Folds `hold` records into the list of holds (by id, in placing order).
class HoldFolder {
 public:
  // Precondition: `payload` is a record of kind "hold".
  Status Add(uint64_t seq, std::string_view payload);
  std::vector<Hold> Take() { return std::move(holds_); }
  const std::vector<Hold>& holds() const { return holds_; }

 private:
  std::vector<Hold> holds_;
  std::map<std::string, size_t> by_id_;
};

}  // namespace actledger::retention::internal

#endif  // ACTLEDGER_RETENTION_SCAN_H_
