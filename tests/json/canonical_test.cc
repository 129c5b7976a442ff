// RFC 8785 (JCS) canonical serialization: the RFC's published examples, the
// cyberphone conformance vectors (testdata/), number and string edge cases,
// key order, and a randomized cross-check against a slow reference written
// here from the specifications (ECMAScript Number::toString, UTF-16 order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"

namespace actledger::json {
namespace {

std::string CanonicalOf(std::string_view text) {
  Result<Value> r = Parse(text);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(text) << ": "
                      << (r.ok() ? "" : r.status().ToString());
  return r.ok() ? Canonical(*r) : "<error>";
}

std::string Number(double d) {
  std::string out;
  AppendCanonicalNumber(d, &out);
  return out;
}

std::string Str(std::string_view s) {
  std::string out;
  AppendCanonicalString(s, &out);
  return out;
}

double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }

// --- Slow reference implementations, from the specifications ---------------

// Appends code point `cp` as UTF-8.
void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<char32_t> CodePoints(std::string_view utf8) {
  std::vector<char32_t> cps;
  for (size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1   ? b
                  : len == 2 ? b & 0x1F
                  : len == 3 ? b & 0x0F
                             : b & 0x07;
    for (int k = 1; k < len; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    }
    cps.push_back(cp);
    i += len;
  }
  return cps;
}

std::u16string ToUtf16(std::string_view utf8) {
  std::u16string out;
  for (char32_t cp : CodePoints(utf8)) {
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      out.push_back(static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
  }
  return out;
}

// RFC 8785 3.2.3: compare keys as arrays of UTF-16 code units.
bool RefKeyLess(std::string_view a, std::string_view b) {
  return ToUtf16(a) < ToUtf16(b);
}

// ECMAScript Number::toString(x) (ECMA-262 6.1.6.1.20) for finite x: find
// the fewest digits k for which some integer s of k digits has s*10^(n-k)
// round to x, then lay it out by the spec's four cases. Uses only printf
// and strtod (both correctly rounded in glibc).
std::string RefNumber(double x) {
  if (x == 0) return "0";
  std::string sign = x < 0 ? "-" : "";
  const double a = std::fabs(x);
  for (int p = 1; p <= 17; ++p) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*e", p - 1, a);
    // buf is "D.DDDe±XX": the closest p-digit decimal to a.
    std::string mantissa;
    const char* c = buf;
    for (; *c != 'e'; ++c) {
      if (*c != '.') mantissa.push_back(*c);
    }
    const int e10 = static_cast<int>(std::strtol(c + 1, nullptr, 10));
    const uint64_t s = std::strtoull(mantissa.c_str(), nullptr, 10);
    // The closest candidate may miss the rounding interval where it is
    // lopsided (at powers of two) while a neighbour hits it.
    for (uint64_t cand : {s, s - 1, s + 1}) {
      std::string digits = std::to_string(cand);
      int exp_of_last = e10 - (p - 1);
      if (std::strtod((digits + "e" + std::to_string(exp_of_last)).c_str(),
                      nullptr) != a) {
        continue;
      }
      while (digits.size() > 1 && digits.back() == '0') {
        digits.pop_back();
        ++exp_of_last;
      }
      const int k = static_cast<int>(digits.size());
      const int n = k + exp_of_last;
      std::string out = sign;
      if (k <= n && n <= 21) {
        out += digits + std::string(n - k, '0');
      } else if (0 < n && n <= 21) {
        out += digits.substr(0, n) + "." + digits.substr(n);
      } else if (-6 < n && n <= 0) {
        out += "0." + std::string(-n, '0') + digits;
      } else {
        out += digits.substr(0, 1);
        if (k > 1) out += "." + digits.substr(1);
        out += "e";
        out += n - 1 < 0 ? "-" : "+";
        out += std::to_string(std::abs(n - 1));
      }
      return out;
    }
  }
  ADD_FAILURE() << "no round-trip digits for " << x;
  return "";
}

// RFC 8785 3.2.2.2 (ECMAScript JSON.stringify QuoteJSONString).
std::string RefString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", u);
          out += esc;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string RefCanonical(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return v.as_bool() ? "true" : "false";
    case Value::Type::kNumber:
      return RefNumber(v.as_number());
    case Value::Type::kString:
      return RefString(v.as_string());
    case Value::Type::kArray: {
      std::string out = "[";
      for (const Value& item : v.as_array()) {
        if (out.size() > 1) out += ",";
        out += RefCanonical(item);
      }
      return out + "]";
    }
    case Value::Type::kObject: {
      std::vector<std::pair<std::u16string, const Value::Member*>> sorted;
      for (const Value::Member& m : v.as_object()) {
        sorted.emplace_back(ToUtf16(m.first), &m);
      }
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& x, const auto& y) { return x.first < y.first; });
      std::string out = "{";
      for (const auto& [unused, m] : sorted) {
        if (out.size() > 1) out += ",";
        out += RefString(m->first) + ":" + RefCanonical(m->second);
      }
      return out + "}";
    }
  }
  return "";
}

TEST(JsonReference, NumberMatchesPublishedValues) {
  // The reference itself must agree with RFC 8785 before it judges anything.
  EXPECT_EQ(RefNumber(FromBits(0x0000000000000001)), "5e-324");
  EXPECT_EQ(RefNumber(FromBits(0x7fefffffffffffff)), "1.7976931348623157e+308");
  EXPECT_EQ(RefNumber(FromBits(0x44b52d02c7e14af5)), "9.999999999999997e+22");
  EXPECT_EQ(RefNumber(FromBits(0x3eb0c6f7a0b5ed8c)), "9.999999999999997e-7");
  EXPECT_EQ(RefNumber(FromBits(0x43143ff3c1cb0959)), "1424953923781206.2");
  EXPECT_EQ(RefNumber(FromBits(0x4430000000000000)), "295147905179352830000");
  EXPECT_EQ(RefNumber(-0.0000033333333333333333), "-0.0000033333333333333333");
}

// --- RFC 8785 published examples ---------------------------------------------

TEST(JsonCanonical, Rfc8785Section322SampleGivesSection324Output) {
  const std::string input = R"({
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
  const std::string expected =
      "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,"
      "4.5,0.002,1e-27],\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\"
      "\\\"/\"}";
  EXPECT_EQ(CanonicalOf(input), expected);
  // Section 3.2.4 also gives the UTF-8 bytes in hex.
  const std::string hex =
      "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d"
      "62657273223a5b3333333333333333332e333333333333332c31652b33302c342e35"
      "2c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c7530303066"
      "5c6e4127425c225c5c5c5c5c222f227d";
  std::string actual_hex;
  for (unsigned char c : CanonicalOf(input)) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", c);
    actual_hex += b;
  }
  EXPECT_EQ(actual_hex, hex);
}

TEST(JsonCanonical, Rfc8785Section323SortingExample) {
  const std::string input = R"({
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
})";
  const std::string expected =
      "{\"\\r\":\"Carriage Return\","
      "\"1\":\"One\","
      "\"\xC2\x80\":\"Control\","
      "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\","
      "\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
      "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}";
  EXPECT_EQ(CanonicalOf(input), expected);
}

// --- cyberphone/json-canonicalization conformance vectors --------------------

std::string ReadTestData(const std::string& relative) {
  const std::string path =
      std::string(ACTLEDGER_SOURCE_DIR) + "/tests/json/testdata/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class JsonCanonicalVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(JsonCanonicalVectors, InputCanonicalizesToOutput) {
  const std::string name = std::string(GetParam()) + ".json";
  const std::string input = ReadTestData("input/" + name);
  const std::string expected = ReadTestData("output/" + name);
  ASSERT_FALSE(input.empty());
  ASSERT_FALSE(expected.empty());
  Result<std::string> actual = CanonicalizeText(input);
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_EQ(*actual, expected);
  // The output is itself canonical.
  EXPECT_EQ(CanonicalOf(expected), expected);
}

INSTANTIATE_TEST_SUITE_P(Cyberphone, JsonCanonicalVectors,
                         ::testing::Values("arrays", "french", "structures",
                                           "unicode", "values", "weird"));

// --- Numbers
// -------------------------------------------------------------------

struct HexCase {
  uint64_t bits;
  const char* expected;
};

TEST(JsonCanonicalNumber, Rfc8785AppendixB) {
  const HexCase kCases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
      // From the sample lines of the cyberphone es6testfile100m README.
      {0x4340000000000001, "9007199254740994"},
      {0x4340000000000002, "9007199254740996"},
  };
  for (const HexCase& c : kCases) {
    SCOPED_TRACE(::testing::Message() << std::hex << "0x" << c.bits);
    const double d = FromBits(c.bits);
    EXPECT_EQ(Number(d), c.expected);
    EXPECT_EQ(Canonical(Value::Number(d)), c.expected);
    // The expected text parses back to the same double.
    Result<Value> back = Parse(c.expected);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->as_number(), d) << "parsed " << c.expected;
  }
}

TEST(JsonCanonicalNumber, NanAndInfinityAreNotJson) {
  // RFC 8785 Appendix B: NaN and Infinity have no JSON form; the API makes
  // them unrepresentable (Value::Number's precondition) and the parser
  // rejects every spelling of them (see parse_test.cc).
  for (uint64_t bits : {0x7ff0000000000000ull, 0xfff0000000000000ull,
                        0x7ff8000000000000ull, 0x7fffffffffffffffull}) {
    EXPECT_FALSE(std::isfinite(FromBits(bits)));
  }
  for (const char* text : {"NaN", "Infinity", "-Infinity", "1e309"}) {
    Result<Value> r = Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(JsonCanonicalNumber, ZeroHasNoSign) {
  EXPECT_EQ(Number(0.0), "0");
  EXPECT_EQ(Number(-0.0), "0");
  EXPECT_EQ(CanonicalOf("-0"), "0");
  EXPECT_EQ(CanonicalOf("-0.0e5"), "0");
}

TEST(JsonCanonicalNumber, IntegerFormUpTo1e21) {
  EXPECT_EQ(Number(1), "1");
  EXPECT_EQ(Number(-1), "-1");
  EXPECT_EQ(Number(100), "100");
  EXPECT_EQ(Number(123456789), "123456789");
  EXPECT_EQ(Number(1e20), "100000000000000000000");
  EXPECT_EQ(Number(1.5e20), "150000000000000000000");
  EXPECT_EQ(Number(-1e20), "-100000000000000000000");
  EXPECT_EQ(Number(std::nextafter(1e21, 0.0)), "999999999999999900000");
  EXPECT_EQ(Number(std::ldexp(1.0, 63)), "9223372036854776000");
  EXPECT_EQ(Number(std::ldexp(1.0, 64)), "18446744073709552000");
}

TEST(JsonCanonicalNumber, ExponentFormFrom1e21) {
  EXPECT_EQ(Number(1e21), "1e+21");
  EXPECT_EQ(Number(-1e21), "-1e+21");
  EXPECT_EQ(Number(1.5e21), "1.5e+21");
  EXPECT_EQ(Number(1.23456789e21), "1.23456789e+21");
  EXPECT_EQ(Number(1e22), "1e+22");
  EXPECT_EQ(Number(1e30), "1e+30");
  EXPECT_EQ(Number(1e100), "1e+100");
  EXPECT_EQ(Number(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(Number(std::numeric_limits<double>::max()),
            "1.7976931348623157e+308");
}

TEST(JsonCanonicalNumber, FractionForm) {
  EXPECT_EQ(Number(0.5), "0.5");
  EXPECT_EQ(Number(-0.5), "-0.5");
  EXPECT_EQ(Number(0.1), "0.1");
  EXPECT_EQ(Number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Number(4.35), "4.35");
  EXPECT_EQ(Number(123.456), "123.456");
  EXPECT_EQ(Number(1.5), "1.5");
  EXPECT_EQ(Number(1e20 + 16384), "100000000000000020000");
  EXPECT_EQ(Number(123456789012.5), "123456789012.5");
  EXPECT_EQ(Number(std::nextafter(1.0, 2.0)), "1.0000000000000002");
  EXPECT_EQ(Number(std::nextafter(1.0, 0.0)), "0.9999999999999999");
}

TEST(JsonCanonicalNumber, SmallNumbersSwitchToExponentBelow1e6) {
  EXPECT_EQ(Number(0.000001), "0.000001");
  EXPECT_EQ(Number(0.0000015), "0.0000015");
  EXPECT_EQ(Number(0.00000123), "0.00000123");
  EXPECT_EQ(Number(-0.000001), "-0.000001");
  EXPECT_EQ(Number(0.0000001), "1e-7");
  EXPECT_EQ(Number(0.00000015), "1.5e-7");
  EXPECT_EQ(Number(-0.0000001), "-1e-7");
  EXPECT_EQ(Number(1.23e-7), "1.23e-7");
  EXPECT_EQ(Number(1e-27), "1e-27");
  EXPECT_EQ(Number(2.2250738585072014e-308), "2.2250738585072014e-308");
  EXPECT_EQ(Number(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(Number(std::nextafter(1e-6, 0.0)), "9.999999999999997e-7");
}

TEST(JsonCanonicalNumber, ParsedLiteralsAcrossMagnitudes) {
  EXPECT_EQ(CanonicalOf("1e21"), "1e+21");
  EXPECT_EQ(CanonicalOf("1E+21"), "1e+21");
  EXPECT_EQ(CanonicalOf("1e20"), "100000000000000000000");
  EXPECT_EQ(CanonicalOf("100000000000000000000"), "100000000000000000000");
  EXPECT_EQ(CanonicalOf("1e-6"), "0.000001");
  EXPECT_EQ(CanonicalOf("1e-7"), "1e-7");
  EXPECT_EQ(CanonicalOf("0.0000001"), "1e-7");
  EXPECT_EQ(CanonicalOf("0.000000000000000000000000001"), "1e-27");
  EXPECT_EQ(CanonicalOf("333333333.33333329"), "333333333.3333333");
  EXPECT_EQ(CanonicalOf("4.50"), "4.5");
  EXPECT_EQ(CanonicalOf("2e-3"), "0.002");
  EXPECT_EQ(CanonicalOf("1E30"), "1e+30");
  EXPECT_EQ(CanonicalOf("5e-324"), "5e-324");
  EXPECT_EQ(CanonicalOf("1.7976931348623157e308"), "1.7976931348623157e+308");
  EXPECT_EQ(CanonicalOf("-1.7976931348623157e+308"),
            "-1.7976931348623157e+308");
  EXPECT_EQ(CanonicalOf("0.1000000000000000055511151231257827"), "0.1");
  // Correct rounding of long literals, including exact halfway cases
  // (ties to even).
  EXPECT_EQ(CanonicalOf("2.4703282292062328e-324"), "5e-324");
  EXPECT_EQ(CanonicalOf("2.4703282292062327e-324"), "0");
  EXPECT_EQ(
      CanonicalOf("1.00000000000000011102230246251565404236316680908203125"),
      "1");
  EXPECT_EQ(
      CanonicalOf("1.00000000000000011102230246251565404236316680908203126"),
      "1.0000000000000002");
  EXPECT_EQ(CanonicalOf("9007199254740993.0000000000000000000001"),
            "9007199254740994");
}

TEST(JsonCanonicalNumber, MatchesReferenceOnRandomBitPatterns) {
  std::mt19937_64 rng(20240611);
  int checked = 0;
  for (int i = 0; i < 30000; ++i) {
    const double d = FromBits(rng());
    if (!std::isfinite(d)) continue;
    ++checked;
    const std::string actual = Number(d);
    ASSERT_EQ(actual, RefNumber(d))
        << std::hex << "bits 0x" << std::bit_cast<uint64_t>(d);
    // And the text parses back to the same double.
    Result<Value> back = Parse(actual);
    ASSERT_TRUE(back.ok()) << actual << ": " << back.status().ToString();
    ASSERT_EQ(back->as_number(), d) << actual;
  }
  EXPECT_GT(checked, 29000);
}

TEST(JsonCanonicalNumber, MatchesReferenceNearFormatBoundaries) {
  // Values a few ulps around every power of ten in range, where the layout
  // (integer, fraction, 0.000ddd, exponent) changes.
  for (int e = -325; e <= 308; ++e) {
    double d = std::strtod(("1e" + std::to_string(e)).c_str(), nullptr);
    if (d == 0) continue;
    for (int step = 0; step < 3; ++step) d = std::nextafter(d, 0.0);
    for (int step = 0; step < 7; ++step) {
      if (!std::isfinite(d)) break;
      ASSERT_EQ(Number(d), RefNumber(d))
          << std::hex << "bits 0x" << std::bit_cast<uint64_t>(d);
      ASSERT_EQ(Number(-d), RefNumber(-d));
      d = std::nextafter(d, std::numeric_limits<double>::infinity());
    }
  }
  // Integers around 2^53 and other powers of two.
  for (int e = 0; e <= 1023; ++e) {
    const double d = std::ldexp(1.0, e);
    for (double x : {std::nextafter(d, 0.0), d,
                     std::nextafter(d, std::numeric_limits<double>::max())}) {
      if (!std::isfinite(x)) continue;
      ASSERT_EQ(Number(x), RefNumber(x)) << x;
    }
  }
}

// --- Strings
// -------------------------------------------------------------------

TEST(JsonCanonicalString, ControlCharactersUseShortOrLowercaseEscapes) {
  const char* const kExpected[0x20] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
      "\\u0006", "\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b",
      "\\f",     "\\r",     "\\u000e", "\\u000f", "\\u0010", "\\u0011",
      "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
      "\\u001e", "\\u001f",
  };
  for (int c = 0; c < 0x20; ++c) {
    SCOPED_TRACE(c);
    const std::string raw(1, static_cast<char>(c));
    const std::string expected = std::string("\"") + kExpected[c] + "\"";
    EXPECT_EQ(Str(raw), expected);
    EXPECT_EQ(Str("a" + raw + "b"), std::string("\"a") + kExpected[c] + "b\"");
    // From an escaped input, upper or lower case hex.
    char upper[16];
    std::snprintf(upper, sizeof(upper), "\"\\u00%02X\"", c);
    EXPECT_EQ(CanonicalOf(upper), expected);
    char lower[16];
    std::snprintf(lower, sizeof(lower), "\"\\u00%02x\"", c);
    EXPECT_EQ(CanonicalOf(lower), expected);
  }
}

TEST(JsonCanonicalString, QuoteAndBackslashAreEscaped) {
  EXPECT_EQ(Str("\""), "\"\\\"\"");
  EXPECT_EQ(Str("\\"), "\"\\\\\"");
  EXPECT_EQ(Str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(CanonicalOf(R"("\u0022\u005c\u005C")"), R"("\"\\\\")");
}

TEST(JsonCanonicalString, SolidusIsNotEscaped) {
  EXPECT_EQ(Str("/"), "\"/\"");
  EXPECT_EQ(Str("</script>"), "\"</script>\"");
  EXPECT_EQ(CanonicalOf(R"("\/\u002f\u002F/")"), "\"////\"");
}

TEST(JsonCanonicalString, PrintableAsciiIsLiteral) {
  std::string all;
  for (int c = 0x20; c < 0x7F; ++c) {
    if (c != '"' && c != '\\') all.push_back(static_cast<char>(c));
  }
  EXPECT_EQ(Str(all), "\"" + all + "\"");
}

TEST(JsonCanonicalString, DelAndLineSeparatorsAreLiteral) {
  EXPECT_EQ(Str("\x7F"), "\"\x7F\"");
  EXPECT_EQ(CanonicalOf(R"("\u007f")"), "\"\x7F\"");
  // U+2028 and U+2029 stay raw (JSON.stringify does not escape them).
  EXPECT_EQ(CanonicalOf(R"("\u2028\u2029")"), "\"\xE2\x80\xA8\xE2\x80\xA9\"");
  EXPECT_EQ(Str("\xE2\x80\xA8"), "\"\xE2\x80\xA8\"");
  // C1 controls are not escaped either.
  EXPECT_EQ(CanonicalOf(R"("\u0080\u009f")"), "\"\xC2\x80\xC2\x9F\"");
}

TEST(JsonCanonicalString, NonAsciiStaysUtf8) {
  EXPECT_EQ(Str("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(CanonicalOf("\"\xC3\xA9\""), "\"\xC3\xA9\"");
  EXPECT_EQ(CanonicalOf(R"("\u00e9")"), "\"\xC3\xA9\"");
  EXPECT_EQ(CanonicalOf(R"("\u00E9")"), "\"\xC3\xA9\"");
  EXPECT_EQ(CanonicalOf(R"("\u20ac")"), "\"\xE2\x82\xAC\"");
  EXPECT_EQ(CanonicalOf(R"("\ud83d\ude00")"), "\"\xF0\x9F\x98\x80\"");
  EXPECT_EQ(CanonicalOf(R"("\uDBFF\uDFFD")"), "\"\xF4\x8F\xBF\xBD\"");
  EXPECT_EQ(CanonicalOf(R"("\ufeff\ufffd")"), "\"\xEF\xBB\xBF\xEF\xBF\xBD\"");
  // No Unicode normalization (RFC 8785 3.2.2.2).
  EXPECT_EQ(CanonicalOf(R"("A\u030a")"), "\"A\xCC\x8A\"");
  EXPECT_EQ(CanonicalOf(R"("\u00c5")"), "\"\xC3\x85\"");
}

TEST(JsonCanonicalString, EmbeddedNulIsEscaped) {
  EXPECT_EQ(Str(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(CanonicalOf(R"({"k\u0000":"\u0000"})"), R"({"k\u0000":"\u0000"})");
}

TEST(JsonCanonicalString, AppendsToExistingOutput) {
  std::string out = "prefix:";
  AppendCanonicalString("x\n", &out);
  AppendCanonicalNumber(1e21, &out);
  AppendCanonical(Value::MakeArray({Value::Null()}), &out);
  EXPECT_EQ(out, "prefix:\"x\\n\"1e+21[null]");
}

// The escaping scans sixteen bytes at a time: every byte class at every
// position of strings on both sides of those blocks, over plain and
// multi-byte text, against the reference.
TEST(JsonCanonicalString, EveryByteClassAtEveryPositionMatchesReference) {
  const std::vector<char> bytes = {'"',  '\\', '\n',   '\b',   '\f',
                                   '\r', '\t', '\0',   '\x01', '\x1f',
                                   ' ',  '~',  '\x7f', '/'};
  for (const std::string filler : {"a", "\xc3\xa9"}) {
    for (size_t len = 0; len <= 70; ++len) {
      std::string base;
      while (base.size() < len) base += filler;
      base.resize(len);  // a cut multi-byte sequence is fine for the escaper
      EXPECT_EQ(Str(base), RefString(base)) << "len " << len;
      for (size_t pos = 0; pos < len; ++pos) {
        for (char b : bytes) {
          std::string s = base;
          s[pos] = b;
          ASSERT_EQ(Str(s), RefString(s))
              << "len " << len << " byte " << static_cast<int>(b) << " at "
              << pos;
          // A second one in the next block.
          if (pos + 17 < len) {
            s[pos + 17] = '"';
            ASSERT_EQ(Str(s), RefString(s)) << "len " << len << " at " << pos;
          }
        }
      }
    }
  }
}

// --- Key order
// -------------------------------------------------------------------

TEST(JsonKeyLess, OrdersByUtf16CodeUnits) {
  EXPECT_TRUE(KeyLess("a", "b"));
  EXPECT_FALSE(KeyLess("b", "a"));
  EXPECT_TRUE(KeyLess("A", "a"));
  EXPECT_TRUE(KeyLess("1", "10"));
  EXPECT_TRUE(KeyLess("10", "2"));
  EXPECT_TRUE(KeyLess("\r", "1"));
  EXPECT_TRUE(KeyLess("z", "\xC2\x80"));             // U+0080
  EXPECT_TRUE(KeyLess("\xC3\xB6", "\xE2\x82\xAC"));  // U+00F6 < U+20AC
  EXPECT_TRUE(KeyLess("pe", "p\xC3\xA9"));           // e < U+00E9
  EXPECT_TRUE(
      KeyLess("p\xC3\xA9"
              "ch\xC3\xA9",
              "p\xC3\xAA"
              "che"));
}

TEST(JsonKeyLess, SupplementaryPlaneSortsBeforeHighBmp) {
  const std::string grinning = "\xF0\x9F\x98\x80";  // U+1F600: D83D DE00
  const std::string dalet = "\xEF\xAC\xB3";         // U+FB33
  // UTF-8 byte order and code point order both say the opposite.
  EXPECT_TRUE(KeyLess(grinning, dalet));
  EXPECT_FALSE(KeyLess(dalet, grinning));
  EXPECT_TRUE(KeyLess("\xF0\x90\x80\x80", "\xEE\x80\x80"));  // U+10000 < E000
  EXPECT_TRUE(KeyLess("\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF"));  // 10FFFF < FFFF
  EXPECT_TRUE(KeyLess("\xED\x9F\xBF", "\xF0\x90\x80\x80"));  // D7FF < 10000
  EXPECT_TRUE(KeyLess("a" + grinning, "a" + dalet));
  EXPECT_TRUE(KeyLess(grinning + "z", dalet + "a"));
  // Two supplementary characters: compare the low surrogates.
  EXPECT_TRUE(KeyLess("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x82"));
  EXPECT_FALSE(KeyLess("\xF0\x9F\x98\x82", "\xF0\x9F\x98\x80"));
  // Same high surrogate D83D, then the low one decides against a BMP char.
  EXPECT_TRUE(KeyLess("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80\x61"));
}

TEST(JsonKeyLess, PrefixSortsFirst) {
  EXPECT_TRUE(KeyLess("a", "aa"));
  EXPECT_FALSE(KeyLess("aa", "a"));
  EXPECT_TRUE(KeyLess("", "a"));
  EXPECT_FALSE(KeyLess("a", ""));
  EXPECT_TRUE(KeyLess("", std::string(1, '\0')));
  EXPECT_TRUE(KeyLess(std::string(1, '\0'), std::string("\0\0", 2)));
  EXPECT_TRUE(KeyLess("\xE2\x82\xAC", "\xE2\x82\xAC\xE2\x82\xAC"));
  EXPECT_TRUE(KeyLess("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80"));
}

TEST(JsonKeyLess, IsAStrictOrder) {
  for (const char* k : {"", "a", "\xC3\xA9", "\xF0\x9F\x98\x80"}) {
    EXPECT_FALSE(KeyLess(k, k)) << k;
  }
}

TEST(JsonKeyLess, MatchesReferenceOnRandomKeys) {
  std::mt19937_64 rng(7);
  // Code points from a handful of ranges so that comparisons often share a
  // prefix and then cross the BMP/supplementary boundary.
  const char32_t kAlphabet[] = {
      0x00,   0x41,   0x61,   0x7F,   0x80,    0xE9,    0x7FF,   0x800,
      0xD7FF, 0xE000, 0xFB33, 0xFFFF, 0x10000, 0x1F600, 0x1F602, 0x10FFFF};
  std::uniform_int_distribution<int> len(0, 4);
  std::uniform_int_distribution<int> pick(0, std::size(kAlphabet) - 1);
  auto random_key = [&] {
    std::string s;
    for (int i = len(rng); i > 0; --i) AppendUtf8(kAlphabet[pick(rng)], &s);
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::string a = random_key();
    const std::string b = random_key();
    ASSERT_EQ(KeyLess(a, b), RefKeyLess(a, b))
        << ::testing::PrintToString(a) << " vs " << ::testing::PrintToString(b);
  }
}

TEST(JsonCanonicalObject, SortsMembersRecursively) {
  EXPECT_EQ(CanonicalOf(R"({"b":{"z":1,"y":[{"d":0,"c":0}]},"a":[3,1,2]})"),
            R"({"a":[3,1,2],"b":{"y":[{"c":0,"d":0}],"z":1}})");
  EXPECT_EQ(CanonicalOf(R"({"aa":1,"a":2,"":3,"b":4,"A":5})"),
            R"({"":3,"A":5,"a":2,"aa":1,"b":4})");
  EXPECT_EQ(CanonicalOf(R"({"\ufb33":1,"\ud83d\ude00":2})"),
            "{\"\xF0\x9F\x98\x80\":2,\"\xEF\xAC\xB3\":1}");
}

TEST(JsonCanonicalObject, DoesNotReorderTheValue) {
  Value v = Value::MakeObject();
  v.Set("b", Value::Number(1));
  v.Set("a", Value::Number(2));
  EXPECT_EQ(Canonical(v), R"({"a":2,"b":1})");
  EXPECT_EQ(v.as_object()[0].first, "b");
}

TEST(JsonCanonical, NoInsignificantWhiteSpace) {
  EXPECT_EQ(CanonicalOf(" [ 1 , { \"a\" : [ ] , \"b\" : { } } , \"x y\" ] "),
            R"([1,{"a":[],"b":{}},"x y"])");
}

// --- Property test: Parse and Canonical agree with each other and with the
// reference on random trees.
// ---------------------------------------------------

class RandomJson {
 public:
  explicit RandomJson(uint64_t seed) : rng_(seed) {}

  Value Make(int depth) {
    const int kind = Uniform(0, depth >= 6 ? 3 : 5);
    switch (kind) {
      case 0:
        return Uniform(0, 2) == 0 ? Value::Null() : Value::Bool(Uniform(0, 1));
      case 1:
        return Value::Number(MakeNumber());
      case 2:
      case 3:
        return Value::String(MakeString());
      case 4: {
        Value::Array items;
        for (int i = Uniform(0, 5); i > 0; --i)
          items.push_back(Make(depth + 1));
        return Value::MakeArray(std::move(items));
      }
      default: {
        Value obj = Value::MakeObject();
        // Set() keeps keys unique even when two random keys coincide.
        for (int i = Uniform(0, 6); i > 0; --i) {
          obj.Set(MakeString(), Make(depth + 1));
        }
        return obj;
      }
    }
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  double MakeNumber() {
    switch (Uniform(0, 3)) {
      case 0:
        return Uniform(-1000, 1000);
      case 1:
        return std::ldexp(static_cast<double>(Uniform(-100000, 100000)),
                          Uniform(-80, 80));
      default:
        while (true) {
          const double d = std::bit_cast<double>(rng_());
          if (std::isfinite(d)) return d;
        }
    }
  }

  char32_t MakeCodePoint() {
    switch (Uniform(0, 7)) {
      case 0:
        return static_cast<char32_t>(Uniform(0, 0x1F));  // controls
      case 1:
        return U"\"\\/\x7F"[Uniform(0, 3)];
      case 2:
      case 3:
        return static_cast<char32_t>(Uniform(0x20, 0x7E));
      case 4:
        return static_cast<char32_t>(Uniform(0x80, 0x7FF));
      case 5: {
        const int cp = Uniform(0x800, 0xFFFF - 0x800);  // skip surrogates
        return static_cast<char32_t>(cp < 0xD800 ? cp : cp + 0x800);
      }
      default:
        return static_cast<char32_t>(Uniform(0x10000, 0x10FFFF));
    }
  }

  // Whether the parser may reject U+FDD0..U+FDEF and U+xFFFE/U+xFFFF (RFC
  // 7493 2.1 forbids them in I-JSON) is a policy these tests leave open.
  char32_t MakeCharacter() {
    while (true) {
      const char32_t cp = MakeCodePoint();
      if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) continue;
      return cp;
    }
  }

  std::string MakeString() {
    std::string s;
    for (int i = Uniform(0, 8); i > 0; --i) AppendUtf8(MakeCharacter(), &s);
    return s;
  }

  std::mt19937_64 rng_;
};

// A valid but deliberately non-canonical serialization: every non-ASCII
// character escaped (surrogate pairs for supplementary ones), upper-case hex,
// white space everywhere, numbers as 17-digit exponent literals.
std::string Noisy(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return " null ";
    case Value::Type::kBool:
      return v.as_bool() ? "\ttrue" : "false\n";
    case Value::Type::kNumber: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " %.16E ", v.as_number());
      return buf;
    }
    case Value::Type::kString: {
      std::string out = "\"";
      for (char32_t cp : CodePoints(v.as_string())) {
        char buf[16];
        if (cp == '/') {
          out += "\\/";
        } else if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x10000) {
          std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(cp));
          out += buf;
        } else {
          std::snprintf(
              buf, sizeof(buf), "\\u%04X\\u%04X",
              static_cast<unsigned>(0xD800 + ((cp - 0x10000) >> 10)),
              static_cast<unsigned>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
          out += buf;
        }
      }
      return out + "\"";
    }
    case Value::Type::kArray: {
      std::string out = "[ ";
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out += " ,\n";
        first = false;
        out += Noisy(item);
      }
      return out + " ]";
    }
    case Value::Type::kObject: {
      std::string out = "{\r\n";
      bool first = true;
      for (const auto& [k, item] : v.as_object()) {
        if (!first) out += ",";
        first = false;
        out += Noisy(Value::String(k)) + " : " + Noisy(item);
      }
      return out + "}";
    }
  }
  return "";
}

TEST(JsonCanonicalProperty, RoundTripsRandomValues) {
  RandomJson gen(0x5eed);
  for (int i = 0; i < 3000; ++i) {
    const Value x = gen.Make(0);
    const std::string c = Canonical(x);
    ASSERT_EQ(c, RefCanonical(x)) << "value #" << i;
    Result<Value> parsed = Parse(c);
    ASSERT_TRUE(parsed.ok())
        << "value #" << i << " " << c << ": " << parsed.status().ToString();
    ASSERT_TRUE(*parsed == x) << "value #" << i << " " << c;
    ASSERT_EQ(Canonical(*parsed), c) << "value #" << i;
  }
}

TEST(JsonCanonicalProperty, NoisyInputCanonicalizesLikeTheValue) {
  RandomJson gen(0xc0ffee);
  for (int i = 0; i < 3000; ++i) {
    const Value x = gen.Make(0);
    const std::string noisy = Noisy(x);
    Result<Value> parsed = Parse(noisy);
    ASSERT_TRUE(parsed.ok())
        << "value #" << i << " " << noisy << ": " << parsed.status().ToString();
    ASSERT_TRUE(*parsed == x) << "value #" << i << " " << noisy;
    ASSERT_EQ(Canonical(*parsed), Canonical(x)) << "value #" << i;
  }
}

}  // namespace
}  // namespace actledger::json
