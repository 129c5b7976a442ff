// Exact decimal numbers for policy comparisons (money is decimal text).
//
// A Decimal is a view: it points into the text it was parsed from, which
// must outlive it. Only comparison is needed by the expression language, so
// there is no arithmetic and no precision limit: "0.1" and
// "0.1000000000000000000001" compare exactly.
//
//   std::optional<Decimal> a = Decimal::Parse("99.99");
//   char buf[Decimal::kDoubleBufferSize];
//   Decimal b = Decimal::FromDouble(100, buf);
//   Compare(*a, b) < 0   // true
#ifndef ACTLEDGER_POLICY_DECIMAL_H_
#define ACTLEDGER_POLICY_DECIMAL_H_

#include <optional>
#include <string>
#include <string_view>

namespace actledger::policy {

struct Decimal {
  // Invariant: int_digits has no leading '0', frac_digits no trailing '0';
  // zero is {false, "", ""} (never negative).
  bool negative = false;
  std::string_view int_digits;
  std::string_view frac_digits;

  // Decimal text: -?[0-9]+(\.[0-9]+)? — no '+', no exponent, no spaces, no
  // bare "." ("1e2", "1.", ".5" and "" are not decimal text).
  static std::optional<Decimal> Parse(std::string_view text);

  // Enough for the fixed-notation shortest form of any finite double.
  static constexpr size_t kDoubleBufferSize = 400;
  // The shortest decimal text that round-trips `d` (std::to_chars), as a
  // Decimal viewing `buffer`. Precondition: `d` is finite.
  static Decimal FromDouble(double d, char (&buffer)[kDoubleBufferSize]);

  std::string ToString() const;
};

// <0, 0, >0 as a <, ==, > b.
int Compare(const Decimal& a, const Decimal& b);

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_DECIMAL_H_
