// The index rows of one record, computed from its stored bytes alone (so a
// rebuild yields the same rows). Internal to the index module.
#ifndef ACTLEDGER_INDEX_ROW_H_
#define ACTLEDGER_INDEX_ROW_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/status.h"

namespace actledger::index {

// Columns of the `records` table, in table order (docs/INDEX.md).
enum Col : int {
  kSeq,
  kKind,
  kRecordedAt,
  kRecordedAtUs,
  kRecordedBy,
  kActionId,
  kOccurredAt,
  kOccurredAtUs,
  kTriggerType,
  kTriggerSource,
  kActionType,
  kSystem,
  kTarget,
  kSubjectType,
  kSubjectId,
  kModelProvider,
  kModelName,
  kModelVersion,
  kPromptTemplateId,
  kPromptTemplateVersion,
  kApprovalMode,
  kApprover,
  kApproverRole,
  kRuleId,
  kRuleVersion,
  kDecision,
  kGateTier,
  kPolicyVersion,
  kOutcomeStatus,
  kViolation,
  kEnvironment,
  kJobId,
  kAppVersion,
  kAmountValue,
  kAmountMicros,
  kCurrency,
  kRetentionRegime,
  kRetentionUntil,
  kPresent,
  kLeafBytes,
  kNumRecordCols,
  // Values the `actions` merge needs besides the record's columns.
  kGateExpiresAtUs = kNumRecordCols,
  kDecidedAtUs,
  kApprovalDecision,
  kNumCols,
};

// Column names of `records`, indexed by Col (< kNumRecordCols).
extern const std::array<const char*, kNumRecordCols> kRecordColumnNames;

struct Cell {
  enum class Type : uint8_t { kNull, kInt, kText };
  Type type = Type::kNull;
  int64_t i = 0;
  std::string s;
};

struct Row {
  std::array<Cell, kNumCols> cells;
  // A `purge` record's seq ranges [first, last], whose content the index
  // drops as well (docs/INDEX.md, "Purged records").
  std::vector<std::pair<int64_t, int64_t>> purged;
  uint64_t seq() const { return static_cast<uint64_t>(cells[kSeq].i); }
  const Cell& operator[](int c) const { return cells[c]; }
};

// Parses a stored leaf into its row. Errors: kDataLoss when the bytes are
// not a JSON object with the envelope the ledger writes (seq, kind,
// recorded_at).
class RowExtractor {
 public:
  RowExtractor();
  ~RowExtractor();
  RowExtractor(const RowExtractor&) = delete;
  RowExtractor& operator=(const RowExtractor&) = delete;

  // `leaf` gets padding appended to its capacity (not its contents).
  Status Extract(std::string& leaf, uint64_t expected_seq, Row* row);

 private:
  struct Impl;
  Impl* impl_;
};

// The exact value of decimal text times 10^6 when it is an integer that
// fits in int64; otherwise nullopt. `round` chooses what to do with more
// than six decimals: kExact rejects them, kCeil and kFloor round.
enum class Rounding { kExact, kCeil, kFloor };
std::optional<int64_t> DecimalToMicros(std::string_view text, Rounding round);

// Microseconds since the epoch of an RFC 3339 UTC time, rounded up to the
// next microsecond.
std::optional<int64_t> TimeToMicros(std::string_view text);

}  // namespace actledger::index

#endif  // ACTLEDGER_INDEX_ROW_H_
