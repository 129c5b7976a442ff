// RFC 3339 UTC time stamps and the civil-date arithmetic under them, UUIDv7
// generation, and the hex and base64 (RFC 4648) codecs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/id.h"
#include "common/time.h"

namespace actledger {
namespace {

// ---------------------------------------------------------------------------
// Time.

UtcTime Parse(std::string_view s) {
  Result<UtcTime> t = ParseRfc3339Utc(s);
  EXPECT_TRUE(t.ok()) << s << ": " << (t.ok() ? "" : t.status().ToString());
  return t.ok() ? *t : UtcTime{-999, -999};
}

TEST(Rfc3339, KnownInstants) {
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), (UtcTime{0, 0}));
  EXPECT_EQ(Parse("1969-12-31T23:59:59Z"), (UtcTime{-1, 0}));
  EXPECT_EQ(Parse("2000-03-01T00:00:00Z"), (UtcTime{11017LL * 86400, 0}));
  EXPECT_EQ(Parse("2026-01-05T08:00:00Z"), (UtcTime{1767600000, 0}));
  EXPECT_EQ(Parse("2038-01-19T03:14:08Z"), (UtcTime{2147483648LL, 0}));
  EXPECT_EQ(Parse("0000-01-01T00:00:00Z"), (UtcTime{-62167219200LL, 0}));
  EXPECT_EQ(Parse("9999-12-31T23:59:59Z"), (UtcTime{253402300799LL, 0}));
  EXPECT_EQ(Parse("2026-03-01T12:00:00.250Z"),
            (UtcTime{1772366400, 250000000}));
}

TEST(Rfc3339, FormatKnownInstants) {
  EXPECT_EQ(FormatRfc3339Utc({0, 0}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Utc({0, 0}, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc({-1, 0}, 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc({-1, 500000000}), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatRfc3339Utc({-86400, 0}, 0), "1969-12-31T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc({1772366400, 250000000}),
            "2026-03-01T12:00:00.250Z");
  EXPECT_EQ(FormatRfc3339Utc({1772366400, 123456789}, 6),
            "2026-03-01T12:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339Utc({1772366400, 123456789}, 9),
            "2026-03-01T12:00:00.123456789Z");
  // Truncated, not rounded: a time stamp never moves into the next second.
  EXPECT_EQ(FormatRfc3339Utc({1772366400, 999999999}, 3),
            "2026-03-01T12:00:00.999Z");
  EXPECT_EQ(FormatRfc3339Utc({253402300799LL, 0}, 0), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc({-62167219200LL, 0}, 0), "0000-01-01T00:00:00Z");
}

// Against libc's own calendar (gmtime_r + strftime), at random instants
// from year 1000 to 9999 and every fraction width.
TEST(Rfc3339, FormatAgreesWithLibcAtRandomInstants) {
  std::mt19937_64 rng(20261129);
  std::uniform_int_distribution<int64_t> secs(-30610224000LL, 253402300799LL);
  std::uniform_int_distribution<int32_t> nanos(0, 999999999);
  for (int i = 0; i < 20000; ++i) {
    const UtcTime t{secs(rng), i % 4 == 0 ? 0 : nanos(rng)};
    const time_t tt = static_cast<time_t>(t.seconds);
    struct tm tm {};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char date[40];
    ASSERT_GT(std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm), 0u);
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09d", t.nanos);
    const int digits = i % 10;
    const std::string want =
        std::string(date) +
        (digits > 0 ? "." + std::string(frac, digits) : "") + "Z";
    ASSERT_EQ(FormatRfc3339Utc(t, digits), want) << t.seconds << " " << t.nanos;
  }
}

TEST(Rfc3339, StringRoundTrip) {
  for (std::string_view s :
       {"1970-01-01T00:00:00Z", "2026-03-01T12:00:00Z", "1900-03-01T00:00:00Z",
        "2024-02-29T23:59:59Z", "1600-02-29T00:00:00Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z"}) {
    EXPECT_EQ(FormatRfc3339Utc(Parse(s), 0), s);
  }
  for (std::string_view s :
       {"2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00.001Z",
        "1969-12-31T23:59:59.999Z", "2000-02-29T12:34:56.789Z"}) {
    EXPECT_EQ(FormatRfc3339Utc(Parse(s), 3), s);
  }
  for (std::string_view s :
       {"2026-03-01T12:00:00.000000001Z", "1969-12-31T23:59:59.999999999Z",
        "0000-01-01T00:00:00.123456789Z"}) {
    EXPECT_EQ(FormatRfc3339Utc(Parse(s), 9), s);
  }
}

TEST(Rfc3339, RandomInstantsRoundTrip) {
  std::mt19937_64 rng(3339);
  const int64_t lo = -62167219200LL;  // 0000-01-01
  const int64_t hi = 253402300799LL;  // 9999-12-31T23:59:59
  std::uniform_int_distribution<int64_t> secs(lo, hi);
  std::uniform_int_distribution<int32_t> nanos(0, 999999999);
  for (int i = 0; i < 100000; ++i) {
    UtcTime t{secs(rng), nanos(rng)};
    std::string s = FormatRfc3339Utc(t, 9);
    ASSERT_EQ(s.size(), 30u) << s;
    Result<UtcTime> back = ParseRfc3339Utc(s);
    ASSERT_TRUE(back.ok()) << s << ": " << back.status().ToString();
    ASSERT_EQ(*back, t) << s;
    // Milliseconds: truncation of the nanoseconds.
    Result<UtcTime> ms = ParseRfc3339Utc(FormatRfc3339Utc(t, 3));
    ASSERT_TRUE(ms.ok());
    ASSERT_EQ(*ms, (UtcTime{t.seconds, t.nanos / 1000000 * 1000000}));
    ASSERT_EQ(FormatRfc3339Utc(t, 0).size(), 20u);
  }
}

TEST(Rfc3339, OrderOfStringsIsOrderOfInstants) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> secs(0, 253402300799LL);
  for (int i = 0; i < 10000; ++i) {
    UtcTime a{secs(rng), 0}, b{secs(rng), 0};
    EXPECT_EQ(a < b, FormatRfc3339Utc(a, 9) < FormatRfc3339Utc(b, 9));
  }
}

TEST(Rfc3339, LeapDays) {
  EXPECT_TRUE(ParseRfc3339Utc("2024-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("2023-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339Utc("2000-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("1900-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("2100-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339Utc("2400-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("2024-02-30T00:00:00Z").ok());
  EXPECT_EQ(Parse("2024-03-01T00:00:00Z").seconds -
                Parse("2024-02-28T00:00:00Z").seconds,
            2 * 86400);
  EXPECT_EQ(Parse("2023-03-01T00:00:00Z").seconds -
                Parse("2023-02-28T00:00:00Z").seconds,
            86400);
}

TEST(Rfc3339, MonthLengths) {
  const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned m = 1; m <= 12; ++m) {
    char ok[32], bad[32];
    std::snprintf(ok, sizeof(ok), "2023-%02u-%02uT00:00:00Z", m, kDays[m - 1]);
    std::snprintf(bad, sizeof(bad), "2023-%02u-%02uT00:00:00Z", m,
                  kDays[m - 1] + 1);
    EXPECT_TRUE(ParseRfc3339Utc(ok).ok()) << ok;
    EXPECT_FALSE(ParseRfc3339Utc(bad).ok()) << bad;
  }
}

TEST(Rfc3339, FractionOfOneToNineDigits) {
  const char* kFractions[] = {"1",       "12",       "123",
                              "1234",    "12345",    "123456",
                              "1234567", "12345678", "123456789"};
  const int32_t kNanos[] = {100000000, 120000000, 123000000,
                            123400000, 123450000, 123456000,
                            123456700, 123456780, 123456789};
  for (int i = 0; i < 9; ++i) {
    std::string s = std::string("2026-03-01T12:00:00.") + kFractions[i] + "Z";
    Result<UtcTime> t = ParseRfc3339Utc(s);
    ASSERT_TRUE(t.ok()) << s;
    EXPECT_EQ(t->seconds, 1772366400) << s;
    EXPECT_EQ(t->nanos, kNanos[i]) << s;
  }
  EXPECT_EQ(Parse("2026-03-01T12:00:00.000000000Z").nanos, 0);
  EXPECT_EQ(Parse("2026-03-01T12:00:00.999999999Z").nanos, 999999999);
  EXPECT_FALSE(ParseRfc3339Utc("2026-03-01T12:00:00.1234567890Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("2026-03-01T12:00:00.0000000000Z").ok());
  EXPECT_FALSE(ParseRfc3339Utc("2026-03-01T12:00:00.Z").ok());
}

TEST(Rfc3339, RejectsEverythingButUtcZ) {
  for (std::string_view s : {
           "",
           "2026-03-01",
           "2026-03-01T12:00Z",
           "2026-03-01T12:00:00",
           "2026-03-01T12:00:00.5",
           "2026-03-01T12:00:00+02:00",
           "2026-03-01T12:00:00+00:00",
           "2026-03-01T12:00:00-00:00",
           "2026-03-01T12:00:00.250+01:00",
           "2026-03-01 12:00:00Z",
           "2026-03-01t12:00:00Z",
           "2026-03-01T12:00:00z",
           "2026-03-01T12:00:00ZZ",
           "2026-03-01T12:00:00Z ",
           " 2026-03-01T12:00:00Z",
           "2026-03-01T12:00:00 Z",
           "2026-03-01T12:00:00UTC",
           "2026-02-30T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-13-01T00:00:00Z",
           "2026-01-00T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-03-01T24:00:00Z",
           "2026-03-01T23:60:00Z",
           "2016-12-31T23:59:60Z",
           "2026-03-01T23:59:61Z",
           "2026-3-01T12:00:00Z",
           "2026-03-1T12:00:00Z",
           "26-03-01T12:00:00Z",
           "+2026-03-01T12:00:00Z",
           "-2026-03-01T12:00:00Z",
           "2026/03/01T12:00:00Z",
           "2026-03-01T12.00.00Z",
           "2026-0a-01T12:00:00Z",
           "2026-03-01T1a:00:00Z",
           "2026-03-01T12:00:00.12a4Z",
           "2026-03-01T12:00:00,5Z",
           "1772366400",
       }) {
    Result<UtcTime> t = ParseRfc3339Utc(s);
    EXPECT_FALSE(t.ok()) << ::testing::PrintToString(s);
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << s;
    }
  }
  // Embedded NUL after a valid prefix.
  EXPECT_FALSE(
      ParseRfc3339Utc(std::string_view("2026-03-01T12:00:00Z\0", 21)).ok());
}

TEST(CivilDays, KnownValues) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(2000, 2, 29), 11016);
  EXPECT_EQ(DaysFromCivil(1600, 1, 1), -135140);
  EXPECT_EQ(DaysFromCivil(0, 1, 1), -719528);
  EXPECT_EQ(DaysFromCivil(-1, 12, 31), -719529);
  EXPECT_EQ(DaysFromCivil(2026, 1, 5), 20458);
  int64_t y;
  unsigned m, d;
  CivilFromDays(0, &y, &m, &d);
  EXPECT_EQ(std::tie(y, m, d), std::make_tuple(int64_t{1970}, 1u, 1u));
  CivilFromDays(11017, &y, &m, &d);
  EXPECT_EQ(std::tie(y, m, d), std::make_tuple(int64_t{2000}, 3u, 1u));
  CivilFromDays(-1, &y, &m, &d);
  EXPECT_EQ(std::tie(y, m, d), std::make_tuple(int64_t{1969}, 12u, 31u));
  CivilFromDays(-719529, &y, &m, &d);
  EXPECT_EQ(std::tie(y, m, d), std::make_tuple(int64_t{-1}, 12u, 31u));
}

bool IsLeapYear(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Walks day by day from -1,000,000 to +1,000,000: each day is the calendar
// successor of the previous one (checked with the obvious rules), and
// DaysFromCivil inverts CivilFromDays.
TEST(CivilDays, RoundTripAndSuccessionOverTwoMillionDays) {
  const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t py = 0;
  unsigned pm = 0, pd = 0;
  for (int64_t z = -1000000; z <= 1000000; ++z) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(z, &y, &m, &d);
    ASSERT_GE(m, 1u) << z;
    ASSERT_LE(m, 12u) << z;
    const unsigned len = m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
    ASSERT_GE(d, 1u) << z;
    ASSERT_LE(d, len) << z;
    ASSERT_EQ(DaysFromCivil(y, m, d), z) << y << "-" << m << "-" << d;
    if (z > -1000000) {
      const unsigned plen = pm == 2 && IsLeapYear(py) ? 29 : kDays[pm - 1];
      if (pd < plen) {
        ASSERT_EQ(std::tie(y, m, d), std::make_tuple(py, pm, pd + 1)) << z;
      } else if (pm < 12) {
        ASSERT_EQ(std::tie(y, m, d), std::make_tuple(py, pm + 1, 1u)) << z;
      } else {
        ASSERT_EQ(std::tie(y, m, d), std::make_tuple(py + 1, 1u, 1u)) << z;
      }
    }
    py = y;
    pm = m;
    pd = d;
  }
}

TEST(NowUtc, IsAfter2025AndNormalized) {
  UtcTime now = NowUtc();
  EXPECT_GT(now.seconds, 1735689600);  // 2025-01-01
  EXPECT_GE(now.nanos, 0);
  EXPECT_LT(now.nanos, 1000000000);
  EXPECT_TRUE(ParseRfc3339Utc(FormatRfc3339Utc(now)).ok());
}

// ---------------------------------------------------------------------------
// UUIDv7.

bool IsUuidV7(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') ||
                 (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return true;
}

uint64_t UuidMillis(std::string_view s) {
  std::string hex = std::string(s.substr(0, 8)) + std::string(s.substr(9, 4));
  return std::stoull(hex, nullptr, 16);
}

TEST(UuidV7, FormatVersionVariantAndTimestamp) {
  const UtcTime before = NowUtc();
  const std::string id = NewUuidV7();
  const UtcTime after = NowUtc();
  ASSERT_TRUE(IsUuidV7(id)) << id;
  EXPECT_EQ(id[14], '7') << id;  // version nibble
  EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos)
      << id;  // variant bits 10
  const uint64_t ms = UuidMillis(id);
  const uint64_t lo = static_cast<uint64_t>(before.seconds) * 1000 +
                      static_cast<uint64_t>(before.nanos / 1000000);
  const uint64_t hi = static_cast<uint64_t>(after.seconds) * 1000 +
                      static_cast<uint64_t>(after.nanos / 1000000);
  // The counter may run a little ahead of the clock after a burst made by
  // earlier tests in this process; never behind.
  EXPECT_GE(ms, lo);
  EXPECT_LE(ms, hi + 1000);
}

TEST(UuidV7, StrictlyIncreasingInATightLoop) {
  std::string prev = NewUuidV7();
  for (int i = 0; i < 100000; ++i) {
    std::string id = NewUuidV7();
    ASSERT_TRUE(IsUuidV7(id)) << id;
    ASSERT_EQ(id[14], '7');
    ASSERT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos);
    ASSERT_LT(prev, id) << i;
    prev = std::move(id);
  }
  // 100,000 ids within a few ms push the counter into the millisecond field;
  // it must not run far ahead of the clock.
  const UtcTime now = NowUtc();
  const uint64_t now_ms = static_cast<uint64_t>(now.seconds) * 1000 +
                          static_cast<uint64_t>(now.nanos / 1000000);
  EXPECT_LE(UuidMillis(prev), now_ms + 100);
}

TEST(UuidV7, UniqueAndPerThreadIncreasingAcrossFourThreads) {
  constexpr int kThreads = 4, kPerThread = 10000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      ids[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(NewUuidV7());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : ids) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(RandomBytes, LengthAndVariety) {
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(1).size(), 1u);
  const std::string a = RandomBytes(32), b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(RandomBytes(100000).size(), 100000u);
}

// ---------------------------------------------------------------------------
// Hex.

TEST(Hex, Rfc4648Base16Vectors) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"", ""},
      {"f", "66"},
      {"fo", "666f"},
      {"foo", "666f6f"},
      {"foob", "666f6f62"},
      {"fooba", "666f6f6261"},
      {"foobar", "666f6f626172"}};
  for (const auto& [raw, hex] : kVectors) {
    EXPECT_EQ(HexEncode(raw), hex);
    Result<std::string> lower = HexDecode(hex);
    ASSERT_TRUE(lower.ok()) << hex;
    EXPECT_EQ(*lower, raw);
    std::string upper(hex);
    for (char& c : upper) c = static_cast<char>(std::toupper(c));
    Result<std::string> up = HexDecode(upper);
    ASSERT_TRUE(up.ok()) << upper;
    EXPECT_EQ(*up, raw);
  }
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10\xab", 4)), "00ff10ab");
  EXPECT_EQ(*HexDecode("00fF10aB"), std::string("\x00\xff\x10\xab", 4));
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  for (std::string_view s : {"0", "abc", "zz", "0g", "g0", " 0", "0 ", "0x12",
                             "-1", "12\n", "ab:cd"}) {
    Result<std::string> r = HexDecode(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_FALSE(HexDecode(std::string_view("a\0", 2)).ok());
}

TEST(Hex, RandomRoundTrip) {
  std::mt19937_64 rng(16);
  for (int n = 0; n < 300; ++n) {
    std::string raw(static_cast<size_t>(n), '\0');
    for (char& c : raw) c = static_cast<char>(rng());
    const std::string hex = HexEncode(raw);
    ASSERT_EQ(hex.size(), raw.size() * 2);
    Result<std::string> back = HexDecode(hex);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(*back, raw);
  }
}

// ---------------------------------------------------------------------------
// Base64.

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, b64] : kVectors) {
    EXPECT_EQ(Base64Encode(raw), b64);
    Result<std::string> back = Base64Decode(b64);
    ASSERT_TRUE(back.ok()) << b64 << ": " << back.status().ToString();
    EXPECT_EQ(*back, raw);
  }
  // Both non-letter characters of the standard alphabet.
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(*Base64Decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_EQ(Base64Encode(std::string(3, '\0')), "AAAA");
}

TEST(Base64, StrictRejections) {
  for (std::string_view s : {
           "Z",        "Zg",       "Zg=",  "Zm9vY", "Zm9vYg=",
           "Zm9=",  // non-canonical: padding bits set ("Zm8=" is canonical)
           "Zh==",  // non-canonical: "Zg==" is
           "Zm9vYh==", "Zm9vYmF=", "Zm=v", "Z=9v",  "=m9v",
           "Zg==Zg==", "Zm8=Zm9v", "Z===", "====",  "Zm9vY===",
           "Zm9-",     "Zm9_",     "Zm9 ", " Zm9",  "Zm9\n",
           "Zm9v\n",   "Zm9v\r\n", "Zm9*", "Zm9.",  "\xc3\xa9\xc3\xa9",
       }) {
    Result<std::string> r = Base64Decode(s);
    EXPECT_FALSE(r.ok()) << ::testing::PrintToString(s) << " decoded to "
                         << ::testing::PrintToString(r.ok() ? *r : "");
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << s;
    }
  }
  EXPECT_TRUE(Base64Decode("Zm8=").ok());
  EXPECT_FALSE(Base64Decode(std::string_view("Zm9v\0\0\0\0", 8)).ok());
}

TEST(Base64, RandomRoundTripAndSingleCharacterCorruption) {
  std::mt19937_64 rng(4648);
  for (int n = 0; n < 300; ++n) {
    std::string raw(static_cast<size_t>(n), '\0');
    for (char& c : raw) c = static_cast<char>(rng());
    const std::string b64 = Base64Encode(raw);
    ASSERT_EQ(b64.size(), (raw.size() + 2) / 3 * 4);
    Result<std::string> back = Base64Decode(b64);
    ASSERT_TRUE(back.ok()) << b64;
    ASSERT_EQ(*back, raw);
    if (b64.empty()) continue;
    // Any other string of the same length either fails or decodes to bytes
    // that encode back to it: canonical encodings are unique.
    std::string bad = b64;
    bad[rng() % bad.size()] = "A/+=z9!"[rng() % 7];
    Result<std::string> r = Base64Decode(bad);
    if (r.ok()) {
      ASSERT_EQ(Base64Encode(*r), bad) << b64 << " -> " << bad;
    }
  }
}

}  // namespace
}  // namespace actledger
