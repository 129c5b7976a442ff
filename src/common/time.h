// UTC time stamps in RFC 3339 form with "Z" ("2026-03-01T12:00:00.250Z").
#ifndef ACTLEDGER_COMMON_TIME_H_
#define ACTLEDGER_COMMON_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/status.h"

namespace actledger {

struct UtcTime {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;    // [0, 1e9)

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads `= default`
  friend auto operator<=>(const UtcTime&, const UtcTime&) = default;
};

// Parses "YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z". Only UTC ("Z") is accepted: an
// offset such as "+02:00" is rejected, as are impossible dates (Feb 30),
// leap seconds and lowercase "t"/"z". Errors: kInvalidArgument.
Result<UtcTime> ParseRfc3339Utc(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" with millisecond precision when
// `fraction_digits` is 3; 0, 3, 6 or 9 digits.
std::string FormatRfc3339Utc(UtcTime t, int fraction_digits = 3);

UtcTime NowUtc();

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace actledger

#endif  // ACTLEDGER_COMMON_TIME_H_
