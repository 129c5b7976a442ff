#include "policy/decimal.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace actledger::policy {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Decimal Normalize(bool negative, std::string_view int_part,
                  std::string_view frac_part) {
  while (!int_part.empty() && int_part.front() == '0')
    int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0')
    frac_part.remove_suffix(1);
  Decimal d;
  d.int_digits = int_part;
  d.frac_digits = frac_part;
  d.negative = negative && !(int_part.empty() && frac_part.empty());
  return d;
}

int CompareMagnitude(const Decimal& a, const Decimal& b) {
  if (a.int_digits.size() != b.int_digits.size()) {
    return a.int_digits.size() < b.int_digits.size() ? -1 : 1;
  }
  if (int c = a.int_digits.compare(b.int_digits); c != 0) return c < 0 ? -1 : 1;
  // Without trailing zeros, fractions compare as strings: a proper prefix is
  // the smaller number.
  int c = a.frac_digits.compare(b.frac_digits);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string_view int_part = text.substr(0, dot);
  std::string_view frac_part;
  if (dot != std::string_view::npos) {
    frac_part = text.substr(dot + 1);
    if (!AllDigits(frac_part)) return std::nullopt;
  }
  if (!AllDigits(int_part)) return std::nullopt;
  return Normalize(negative, int_part, frac_part);
}

Decimal Decimal::FromDouble(double d, char (&buffer)[kDoubleBufferSize]) {
  assert(std::isfinite(d));
  auto [end, ec] = std::to_chars(buffer, buffer + kDoubleBufferSize, d,
                                 std::chars_format::fixed);
  assert(ec == std::errc());
  (void)ec;
  std::optional<Decimal> dec = Parse(std::string_view(buffer, end - buffer));
  assert(dec.has_value());
  return *dec;
}

std::string Decimal::ToString() const {
  std::string s;
  if (negative) s += '-';
  if (int_digits.empty()) {
    s += '0';
  } else {
    s += int_digits;
  }
  if (!frac_digits.empty()) {
    s += '.';
    s += frac_digits;
  }
  return s;
}

int Compare(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  const int m = CompareMagnitude(a, b);
  return a.negative ? -m : m;
}

}  // namespace actledger::policy
