// Durations ("24h", "90d", "6mo") and dates ("2026-03-01") in policy files.
#ifndef ACTLEDGER_POLICY_DURATION_H_
#define ACTLEDGER_POLICY_DURATION_H_

#include <cstdint>
#include <string_view>

#include "actledger/status.h"
#include "common/time.h"

namespace actledger::policy {

struct Duration {
  enum class Unit {
    kSeconds,
    kMinutes,
    kHours,
    kDays,
    kWeeks,
    kMonths,
    kYears
  };
  int64_t count = 0;
  Unit unit = Unit::kSeconds;

  // "<positive integer><unit>", unit one of s m h d w mo y. Errors:
  // kInvalidArgument.
  static Result<Duration> Parse(std::string_view text);

  // Fixed-length approximation for TTLs: a month is 30 days, a year 365.
  int64_t ToSeconds() const;
  // Calendar addition: months and years keep the day of month, clamped to
  // the month's last day (2026-01-31 + 1mo = 2026-02-28).
  UtcTime AddTo(UtcTime t) const;
};

// "YYYY-MM-DD" (a real calendar date) as midnight UTC. kInvalidArgument.
Result<UtcTime> ParseDate(std::string_view text);

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_DURATION_H_
