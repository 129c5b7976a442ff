// Exact decimals, globs, durations and dates: the policy module's building
// blocks.
#include "policy/decimal.h"

#include <gtest/gtest.h>

#include <string>

#include "actledger/policy.h"
#include "common/time.h"
#include "policy/duration.h"
#include "policy/glob.h"

namespace actledger::policy {
namespace {

int Cmp(std::string_view a, std::string_view b) {
  std::optional<Decimal> da = Decimal::Parse(a), db = Decimal::Parse(b);
  EXPECT_TRUE(da.has_value()) << a;
  EXPECT_TRUE(db.has_value()) << b;
  return Compare(*da, *db);
}

TEST(Decimal, ParsesOnlyDecimalText) {
  for (const char* ok : {"0", "100", "99.99", "-1.5", "007.50", "-0.00"}) {
    EXPECT_TRUE(Decimal::Parse(ok).has_value()) << ok;
  }
  for (const char* bad : {"", "-", "1e2", "1E2", "1.", ".5", "+1", " 1", "1 ",
                          "1.2.3", "0x10", "NaN", "1,000", "--1"}) {
    EXPECT_FALSE(Decimal::Parse(bad).has_value()) << bad;
  }
}

TEST(Decimal, ComparesExactly) {
  EXPECT_LT(Cmp("99.99", "100"), 0);
  EXPECT_EQ(Cmp("100.00", "100"), 0);
  EXPECT_EQ(Cmp("0.1", "0.10"), 0);
  EXPECT_EQ(Cmp("-0.00", "0"), 0);
  EXPECT_LT(Cmp("-1", "0"), 0);
  EXPECT_LT(Cmp("-2", "-1.5"), 0);
  EXPECT_GT(Cmp("1000", "999.999"), 0);
  EXPECT_GT(Cmp("0.1000000000000000000001", "0.1"), 0);
  EXPECT_GT(Cmp("12345678901234567890.01", "12345678901234567890"), 0);
  EXPECT_LT(Cmp("0.09", "0.1"), 0);
}

TEST(Decimal, FromDoubleUsesShortestText) {
  char buf[Decimal::kDoubleBufferSize];
  EXPECT_EQ(Decimal::FromDouble(0.1, buf).ToString(), "0.1");
  EXPECT_EQ(Decimal::FromDouble(100, buf).ToString(), "100");
  EXPECT_EQ(Decimal::FromDouble(-2.5, buf).ToString(), "-2.5");
  EXPECT_EQ(Decimal::FromDouble(0.1 + 0.2, buf).ToString(),
            "0.30000000000000004");
  EXPECT_EQ(Decimal::FromDouble(1e21, buf).ToString(),
            "1000000000000000000000");
  EXPECT_EQ(Decimal::FromDouble(-0.0, buf).ToString(), "0");
  // The smallest subnormal still fits the buffer.
  EXPECT_EQ(Decimal::FromDouble(5e-324, buf).frac_digits.size(), 324u);
}

TEST(Glob, StarMatchesOneOrMoreSegments) {
  EXPECT_TRUE(GlobMatches("*.delete", "record.delete"));
  EXPECT_TRUE(GlobMatches("*.delete", "crm.contact.delete"));
  EXPECT_FALSE(GlobMatches("*.delete", "delete"));
  EXPECT_FALSE(GlobMatches("*.delete", "record.delete.soft"));
  EXPECT_FALSE(GlobMatches("*.delete", "record.undelete"));
  EXPECT_TRUE(GlobMatches("payment.*", "payment.refund"));
  EXPECT_TRUE(GlobMatches("payment.*", "payment.refund.partial"));
  EXPECT_FALSE(GlobMatches("payment.*", "payment"));
  EXPECT_FALSE(GlobMatches("payment.*", "payments.refund"));
  EXPECT_TRUE(GlobMatches("email.send", "email.send"));
  EXPECT_FALSE(GlobMatches("email.send", "email.sender"));
  EXPECT_FALSE(GlobMatches("email.send", "email"));
  EXPECT_TRUE(GlobMatches("a.*.c", "a.b.c"));
  EXPECT_TRUE(GlobMatches("a.*.c", "a.b.x.c"));
  EXPECT_FALSE(GlobMatches("a.*.c", "a.c"));
  EXPECT_TRUE(GlobMatches("*", "anything.at.all"));
  EXPECT_TRUE(GlobMatches("*.*", "a.b"));
  EXPECT_FALSE(GlobMatches("*.*", "a"));
}

TEST(Glob, RejectsMalformedPatterns) {
  for (const char* bad : {"", "pay*", "*x.delete", "a..b", ".a", "a."}) {
    Result<Glob> g = Glob::Compile(bad);
    EXPECT_FALSE(g.ok()) << bad;
    if (!g.ok()) {
      EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
    }
    EXPECT_FALSE(GlobMatches(bad, "pay.x"));
  }
}

Glob G(std::string_view p) {
  Result<Glob> g = Glob::Compile(p);
  EXPECT_TRUE(g.ok()) << p;
  return *g;
}

TEST(Glob, OverlapIsNonEmptyIntersection) {
  EXPECT_TRUE(G("payment.*").Overlaps(G("*.delete")));  // payment.delete
  EXPECT_TRUE(G("payment.*").Overlaps(G("payment.refund")));
  EXPECT_FALSE(G("payment.*").Overlaps(G("payment")));
  EXPECT_FALSE(G("email.send").Overlaps(G("sms.send")));
  EXPECT_FALSE(
      G("notification.customer.*").Overlaps(G("notification.internal.*")));
  EXPECT_TRUE(G("*.b.*").Overlaps(G("a.*.c")));  // a.b.c
  EXPECT_FALSE(G("*.b").Overlaps(G("*.c")));
  EXPECT_TRUE(G("*").Overlaps(G("x.y.z")));
  EXPECT_FALSE(G("a.*").Overlaps(G("b.*")));
}

TEST(Glob, SpecificityPrefersFewerWildcardsThenLongerPrefix) {
  EXPECT_LT(G("payment.refund").CompareSpecificity(G("payment.*")), 0);
  EXPECT_LT(G("payment.*").CompareSpecificity(G("*.delete")), 0);
  EXPECT_LT(G("a.b.*").CompareSpecificity(G("a.*")), 0);
  EXPECT_LT(G("a.*").CompareSpecificity(G("*.*")), 0);
  EXPECT_EQ(G("*.delete").CompareSpecificity(G("*.purge")), 0);
}

TEST(Duration, ParsesUnits) {
  struct Case {
    const char* text;
    int64_t seconds;
  };
  for (const Case& c :
       {Case{"30s", 30}, Case{"30m", 1800}, Case{"24h", 86400},
        Case{"90d", 90 * 86400}, Case{"2w", 14 * 86400},
        Case{"6mo", 180 * 86400}, Case{"7y", 7 * 365 * 86400}}) {
    Result<Duration> d = Duration::Parse(c.text);
    ASSERT_TRUE(d.ok()) << c.text;
    EXPECT_EQ(d->ToSeconds(), c.seconds) << c.text;
  }
  for (const char* bad :
       {"", "24", "h", "0d", "-1d", "1.5h", "24 h", "3x", "10000000d", "1M"}) {
    EXPECT_FALSE(Duration::Parse(bad).ok()) << bad;
  }
}

TEST(Duration, AddsCalendarMonthsAndYears) {
  const UtcTime jan31 = *ParseDate("2026-01-31");
  EXPECT_EQ(FormatRfc3339Utc(Duration::Parse("1mo")->AddTo(jan31), 0),
            "2026-02-28T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(
                Duration::Parse("6mo")->AddTo(*ParseDate("2026-09-01")), 0),
            "2027-03-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(
                Duration::Parse("1y")->AddTo(*ParseDate("2028-02-29")), 0),
            "2029-02-28T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(
                Duration::Parse("90d")->AddTo(*ParseDate("2026-09-01")), 0),
            "2026-11-30T00:00:00Z");
}

TEST(Date, ParsesCalendarDatesOnly) {
  EXPECT_EQ(ParseDate("2026-03-01")->seconds,
            DaysFromCivil(2026, 3, 1) * 86400);
  EXPECT_TRUE(ParseDate("2028-02-29").ok());
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-3-1",
                          "2026/03/01", "2026-03-01T00:00:00Z", ""}) {
    EXPECT_FALSE(ParseDate(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace actledger::policy
