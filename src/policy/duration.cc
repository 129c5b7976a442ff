#include "policy/duration.h"

#include <string>

namespace actledger::policy {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxCount = 1000000;  // keeps every product in int64

bool ParseUint(std::string_view s, int64_t max, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

}  // namespace

Result<Duration> Duration::Parse(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view digits = text.substr(0, i), unit = text.substr(i);
  Duration d;
  if (!ParseUint(digits, kMaxCount, &d.count) || d.count == 0) {
    return InvalidArgument("duration \"" + std::string(text) +
                           "\" must be a positive integer (at most 1000000) "
                           "followed by s, m, h, d, w, mo or y");
  }
  if (unit == "s") {
    d.unit = Unit::kSeconds;
  } else if (unit == "m") {
    d.unit = Unit::kMinutes;
  } else if (unit == "h") {
    d.unit = Unit::kHours;
  } else if (unit == "d") {
    d.unit = Unit::kDays;
  } else if (unit == "w") {
    d.unit = Unit::kWeeks;
  } else if (unit == "mo") {
    d.unit = Unit::kMonths;
  } else if (unit == "y") {
    d.unit = Unit::kYears;
  } else {
    return InvalidArgument(
        "duration \"" + std::string(text) +
        "\" has an unknown unit (use s, m, h, d, w, mo or y)");
  }
  return d;
}

int64_t Duration::ToSeconds() const {
  switch (unit) {
    case Unit::kSeconds:
      return count;
    case Unit::kMinutes:
      return count * 60;
    case Unit::kHours:
      return count * 3600;
    case Unit::kDays:
      return count * kDay;
    case Unit::kWeeks:
      return count * 7 * kDay;
    case Unit::kMonths:
      return count * 30 * kDay;
    case Unit::kYears:
      return count * 365 * kDay;
  }
  return 0;
}

UtcTime Duration::AddTo(UtcTime t) const {
  if (unit != Unit::kMonths && unit != Unit::kYears) {
    t.seconds += ToSeconds();
    return t;
  }
  const int64_t day_index =
      t.seconds >= 0 ? t.seconds / kDay : -((-t.seconds + kDay - 1) / kDay);
  const int64_t second_of_day = t.seconds - day_index * kDay;
  int64_t y;
  unsigned m, d;
  CivilFromDays(day_index, &y, &m, &d);
  const int64_t months = unit == Unit::kMonths ? count : count * 12;
  const int64_t total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = static_cast<unsigned>(total % 12) + 1;
  if (d > DaysInMonth(y, m)) d = DaysInMonth(y, m);
  t.seconds = DaysFromCivil(y, m, d) * kDay + second_of_day;
  return t;
}

Result<UtcTime> ParseDate(std::string_view text) {
  int64_t y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !ParseUint(text.substr(0, 4), 9999, &y) ||
      !ParseUint(text.substr(5, 2), 12, &m) ||
      !ParseUint(text.substr(8, 2), 31, &d) || m == 0 || d == 0 ||
      d > DaysInMonth(y, static_cast<unsigned>(m))) {
    return InvalidArgument("date \"" + std::string(text) +
                           "\" must be a calendar date YYYY-MM-DD");
  }
  UtcTime t;
  t.seconds =
      DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) *
      kDay;
  return t;
}

}  // namespace actledger::policy
