#include "common/time.h"

#include <cstdio>
#include <ctime>

namespace actledger {
namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[pos]; -1 if any is not a digit.
int64_t Digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

Result<UtcTime> ParseRfc3339Utc(std::string_view text) {
  auto bad = [&](const char* why) -> Status {
    return InvalidArgument(std::string(why) +
                           " (expected RFC 3339 UTC, e.g. "
                           "\"2026-03-01T12:00:00Z\")");
  };
  if (text.size() < 20) return bad("too short for a time stamp");
  const int64_t year = Digits(text, 0, 4);
  const int64_t month = Digits(text, 5, 2);
  const int64_t day = Digits(text, 8, 2);
  const int64_t hour = Digits(text, 11, 2);
  const int64_t minute = Digits(text, 14, 2);
  const int64_t second = Digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 ||
      second < 0 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return bad("malformed time stamp");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month))) {
    return bad("day out of range for the month");
  }
  if (hour > 23 || minute > 59) return bad("hour or minute out of range");
  if (second > 59)
    return bad("second out of range (leap seconds are not accepted)");
  size_t pos = 19;
  int32_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    const size_t n = pos - start;
    if (n == 0) return bad("empty fraction of a second");
    if (n > 9) return bad("more than 9 digits of fraction");
    for (size_t i = n; i < 9; ++i) nanos *= 10;
  }
  if (pos >= text.size() || text[pos] != 'Z') {
    return bad("time zone must be \"Z\" (UTC); offsets are not accepted");
  }
  if (pos + 1 != text.size()) return bad("trailing characters after \"Z\"");
  UtcTime t;
  t.seconds = DaysFromCivil(year, static_cast<unsigned>(month),
                            static_cast<unsigned>(day)) *
                  86400 +
              hour * 3600 + minute * 60 + second;
  t.nanos = nanos;
  return t;
}

std::string FormatRfc3339Utc(UtcTime t, int fraction_digits) {
  int64_t days = t.seconds / 86400;
  int64_t rem = t.seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year >= 0 && year <= 9999 && t.nanos >= 0 && t.nanos < 1000000000) {
    // Digits written directly: reports format a time for every row, and
    // snprintf's format parsing cost more than the rest of the row.
    auto put = [](char* p, uint32_t v, int width) {
      for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
      return p + width;
    };
    char buf[32];
    char* p = put(buf, static_cast<uint32_t>(year), 4);
    *p++ = '-';
    p = put(p, month, 2);
    *p++ = '-';
    p = put(p, day, 2);
    *p++ = 'T';
    p = put(p, static_cast<uint32_t>(rem / 3600), 2);
    *p++ = ':';
    p = put(p, static_cast<uint32_t>(rem / 60 % 60), 2);
    *p++ = ':';
    p = put(p, static_cast<uint32_t>(rem % 60), 2);
    if (fraction_digits > 0) {
      char frac[9];
      put(frac, static_cast<uint32_t>(t.nanos), 9);
      *p++ = '.';
      const int n = fraction_digits > 9 ? 9 : fraction_digits;
      for (int i = 0; i < n; ++i) *p++ = frac[i];
    }
    *p++ = 'Z';
    return std::string(buf, static_cast<size_t>(p - buf));
  }
  char buf[64];
  int n = std::snprintf(
      buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d",
      static_cast<long long>(year), month, day, static_cast<int>(rem / 3600),
      static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  std::string out(buf, n);
  if (fraction_digits > 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), "%09d", t.nanos);
    out.push_back('.');
    out.append(frac, fraction_digits > 9 ? 9 : fraction_digits);
  }
  out.push_back('Z');
  return out;
}

UtcTime NowUtc() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return UtcTime{ts.tv_sec, static_cast<int32_t>(ts.tv_nsec)};
}

}  // namespace actledger
