// Strict parsing: what json::Parse accepts (I-JSON, RFC 7493, as RFC 8785
// requires), what it rejects, and that every rejection is kInvalidArgument.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actledger/json.h"
#include "json/syntax.h"

namespace actledger::json {
namespace {

using ::testing::HasSubstr;

// Expects `text` to be rejected as invalid input; returns the status so the
// caller can check more.
Status Rejected(std::string_view text, const ParseOptions& options = {}) {
  Result<Value> r = Parse(text, options);
  EXPECT_FALSE(r.ok()) << "accepted: " << ::testing::PrintToString(text)
                       << " as " << (r.ok() ? Canonical(*r) : "");
  if (r.ok()) return Status::Ok();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
      << ::testing::PrintToString(text) << ": " << r.status().ToString();
  EXPECT_FALSE(r.status().message().empty());
  // Whatever is not JSON is located: only nesting (simdjson's limit or
  // max_depth) and duplicate keys are refused without a syntax error.
  const std::string& m = r.status().message();
  if (m.find("nesting") == std::string::npos &&
      m.find("duplicate") == std::string::npos) {
    EXPECT_TRUE(FindSyntaxError(text).has_value())
        << ::testing::PrintToString(text) << ": " << m;
    EXPECT_THAT(m, HasSubstr("column ")) << ::testing::PrintToString(text);
  }
  return r.status();
}

void ExpectRejected(std::string_view text, const ParseOptions& options = {}) {
  Rejected(text, options).IgnoreError();
}

// Parses `text`, which must be valid, and returns its canonical form.
std::string CanonicalOf(std::string_view text) {
  Result<Value> r = Parse(text);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(text) << ": "
                      << (r.ok() ? "" : r.status().ToString());
  // The locator of syntax errors agrees that it is JSON.
  const std::optional<SyntaxError> e = FindSyntaxError(text);
  EXPECT_FALSE(e.has_value())
      << ::testing::PrintToString(text) << ": " << (e ? e->what : "");
  return r.ok() ? Canonical(*r) : "<error>";
}

std::string Nested(int depth, std::string_view innermost = "") {
  return std::string(depth, '[') + std::string(innermost) +
         std::string(depth, ']');
}

TEST(JsonParse, ScalarsAtTopLevel) {
  EXPECT_EQ(CanonicalOf("null"), "null");
  EXPECT_EQ(CanonicalOf("true"), "true");
  EXPECT_EQ(CanonicalOf("false"), "false");
  EXPECT_EQ(CanonicalOf("0"), "0");
  EXPECT_EQ(CanonicalOf("\"\""), "\"\"");
  EXPECT_EQ(CanonicalOf("[]"), "[]");
  EXPECT_EQ(CanonicalOf("{}"), "{}");
}

TEST(JsonParse, SurroundingWhiteSpaceIsAllowed) {
  EXPECT_EQ(CanonicalOf(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] } \n\t\r "),
            "{\"a\":[1,2]}");
  EXPECT_EQ(CanonicalOf("\n7\n"), "7");
}

TEST(JsonParse, BuildsTheValueTree) {
  Result<Value> r = Parse(R"({"b":[true,null,"x",-2.5],"a":{"c":{}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->is_object());
  const Value::Object& members = r->as_object();
  ASSERT_EQ(members.size(), 2u);
  // Members keep input order; only Canonical() sorts.
  EXPECT_EQ(members[0].first, "b");
  EXPECT_EQ(members[1].first, "a");
  const Value::Array& b = members[0].second.as_array();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_TRUE(b[0].is_bool());
  EXPECT_TRUE(b[0].as_bool());
  EXPECT_TRUE(b[1].is_null());
  EXPECT_EQ(b[2].as_string(), "x");
  EXPECT_EQ(b[3].as_number(), -2.5);
  ASSERT_NE(r->FindPath("a.c"), nullptr);
  EXPECT_TRUE(r->FindPath("a.c")->is_object());
}

TEST(JsonParse, ParsesEscapesIntoUtf8) {
  Result<Value> r = Parse(
      R"(["\u00e9\u00E9", "\ud83d\ude00", "\uD83D\uDE00", "\/\b\f\n\r\t\"\\", "\u0000", "\u20ac"])");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Value::Array& a = r->as_array();
  EXPECT_EQ(a[0].as_string(), "\xC3\xA9\xC3\xA9");
  EXPECT_EQ(a[1].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(a[2].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(a[3].as_string(), "/\b\f\n\r\t\"\\");
  EXPECT_EQ(a[4].as_string(), std::string(1, '\0'));
  EXPECT_EQ(a[5].as_string(), "\xE2\x82\xAC");
}

TEST(JsonParse, KeepsLiteralUtf8) {
  // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFD, U+10000, U+10FFFD: near
  // the edges of each UTF-8 sequence length and of the surrogate block.
  // (Noncharacters such as U+FFFF are left out: RFC 7493 2.1 forbids them,
  // and whether to reject them is a policy decision.)
  const std::string s =
      "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBD"
      "\xF0\x90\x80\x80\xF4\x8F\xBF\xBD";
  Result<Value> r = Parse("\"" + s + "\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->as_string(), s);
}

TEST(JsonParse, KeysAreUnescaped) {
  Result<Value> r = Parse(R"({"\u0061\n":1,"\ud83d\ude00":2})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->Find("a\n"), nullptr);
  EXPECT_NE(r->Find("\xF0\x9F\x98\x80"), nullptr);
}

TEST(JsonParse, NumbersAreIeeeDoubles) {
  // Every number is read as the nearest IEEE 754 double (RFC 8785 3.2.2.3),
  // whatever its spelling.
  EXPECT_EQ(
      CanonicalOf("[1, 1.0, 1e0, 1E0, 10e-1, 0.1e1, 1.00000000000000000000]"),
      "[1,1,1,1,1,1,1]");
  EXPECT_EQ(CanonicalOf("[-0, -0.0, 0e10, -0e-10, 0.000]"), "[0,0,0,0,0]");
  EXPECT_EQ(CanonicalOf("[1E2, 1e+2, 1e-2, 4.50, 2e-3]"),
            "[100,100,0.01,4.5,0.002]");
  EXPECT_EQ(CanonicalOf("0.1"), "0.1");
  Result<Value> minus_zero = Parse("-0");
  ASSERT_TRUE(minus_zero.ok());
  EXPECT_EQ(minus_zero->as_number(), 0.0);
}

TEST(JsonParse, IntegersBeyond2To53Round) {
  EXPECT_EQ(CanonicalOf("9007199254740992"), "9007199254740992");
  EXPECT_EQ(CanonicalOf("9007199254740993"), "9007199254740992");
  EXPECT_EQ(CanonicalOf("9007199254740994"), "9007199254740994");
  EXPECT_EQ(CanonicalOf("9007199254740995"), "9007199254740996");
  EXPECT_EQ(CanonicalOf("-9007199254740993"), "-9007199254740992");
  EXPECT_EQ(CanonicalOf("9223372036854775807"), "9223372036854776000");
  EXPECT_EQ(CanonicalOf("-9223372036854775808"), "-9223372036854776000");
  EXPECT_EQ(CanonicalOf("18446744073709551615"), "18446744073709552000");
}

TEST(JsonParse, IntegerLiteralsBeyond64BitsAreDoubles) {
  // simdjson alone rejects these; RFC 8785 reads them as doubles.
  EXPECT_EQ(CanonicalOf("1" + std::string(30, '0')), "1e+30");
  EXPECT_EQ(CanonicalOf("-1" + std::string(30, '0')), "-1e+30");
  EXPECT_EQ(CanonicalOf("100000000000000000000000000000"), "1e+29");
  EXPECT_EQ(CanonicalOf("1000000000000000000000000000000"), "1e+30");
  EXPECT_EQ(CanonicalOf("18446744073709551616"), "18446744073709552000");
  EXPECT_EQ(CanonicalOf("-9223372036854775809"), "-9223372036854776000");
  EXPECT_EQ(CanonicalOf("100000000000000000000"), "100000000000000000000");
  EXPECT_EQ(CanonicalOf("1000000000000000000000"), "1e+21");
  EXPECT_EQ(CanonicalOf("999999999999999999999"), "1e+21");
  EXPECT_EQ(CanonicalOf("123456789012345678901234567890"),
            "1.2345678901234568e+29");
  EXPECT_EQ(CanonicalOf("  100000000000000000000000  "), "1e+23");
  EXPECT_EQ(CanonicalOf("[100000000000000000000000]"), "[1e+23]");
  EXPECT_EQ(CanonicalOf(R"({"n":100000000000000000000000})"), R"({"n":1e+23})");
  EXPECT_EQ(
      CanonicalOf(
          "[1, 100000000000000000000000, 2.5, -100000000000000000000000]"),
      "[1,1e+23,2.5,-1e+23]");
  // 309 digits: still a finite double (1e308); 310 digits overflow.
  EXPECT_EQ(CanonicalOf("1" + std::string(308, '0')), "1e+308");
  ExpectRejected("1" + std::string(309, '0'));
  ExpectRejected("[1, 1" + std::string(400, '0') + "]");
}

TEST(JsonParse, LongIntegersLeaveStringsAlone) {
  // Digit runs inside strings (keys, values, after escaped quotes) are text.
  EXPECT_EQ(
      CanonicalOf(R"({"100000000000000000000000":100000000000000000000000})"),
      R"({"100000000000000000000000":1e+23})");
  EXPECT_EQ(CanonicalOf(
                R"(["\"100000000000000000000000", 100000000000000000000000])"),
            R"(["\"100000000000000000000000",1e+23])");
  EXPECT_EQ(
      CanonicalOf(
          R"(["\\", 100000000000000000000000, "1000000000000000000000"])"),
      R"(["\\",1e+23,"1000000000000000000000"])");
}

TEST(JsonParse, LongIntegersNextToOtherNumberForms) {
  // Long fraction and exponent digit runs are not integer literals.
  EXPECT_EQ(CanonicalOf("[0.1000000000000000000000, 100000000000000000000000]"),
            "[0.1,1e+23]");
  EXPECT_EQ(CanonicalOf("[1.5e0000000000000000001, 100000000000000000000000]"),
            "[15,1e+23]");
  EXPECT_EQ(CanonicalOf("[1E-0000000000000000002, 100000000000000000000000]"),
            "[0.01,1e+23]");
  EXPECT_EQ(CanonicalOf("[1e0000000000000000001, 100000000000000000000000]"),
            "[10,1e+23]");
}

// --- Rejections -------------------------------------------------------------

TEST(JsonParse, RejectsEmptyInput) {
  ExpectRejected("");
  ExpectRejected(" ");
  ExpectRejected(" \n\t\r ");
}

TEST(JsonParse, RejectsDuplicateKeys) {
  Status s = Rejected(R"({"a":1,"a":2})");
  EXPECT_EQ(s.field(), "a");
  EXPECT_THAT(s.message(), HasSubstr("duplicate"));
  // Not adjacent, and with equal values.
  EXPECT_EQ(Rejected(R"({"a":1,"b":2,"a":1})").field(), "a");
  // Equal after unescaping.
  EXPECT_EQ(Rejected(R"({"a":1,"\u0061":2})").field(), "a");
  EXPECT_EQ(Rejected(R"({"\u00e9":1,")"
                     "\xC3\xA9"
                     R"(":2})")
                .field(),
            "\xC3\xA9");
  ExpectRejected(R"({"":1,"":2})");
}

TEST(JsonParse, RejectsNestedDuplicateKeysNamingThePath) {
  EXPECT_EQ(Rejected(R"({"a":{"b":1,"b":2}})").field(), "a.b");
  EXPECT_EQ(Rejected(R"({"x":1,"a":{"y":{"b":[],"b":{}}}})").field(), "a.y.b");
  // Through an array: the element index is a path segment.
  EXPECT_EQ(Rejected(R"({"list":[{"k":1},{"k":1,"k":2}]})").field(),
            "list.1.k");
  EXPECT_EQ(Rejected(R"([{"k":1,"k":2}])").field(), "0.k");
}

TEST(JsonParse, AcceptsSameKeyInDifferentObjects) {
  EXPECT_EQ(CanonicalOf(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"),
            R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})");
  // Keys that differ only in case or normalization are distinct.
  EXPECT_EQ(CanonicalOf("{\"A\":1,\"a\":2,\"\xC3\xA9\":3,\"e\xCC\x81\":4}"),
            "{\"A\":1,\"a\":2,\"e\xCC\x81\":4,\"\xC3\xA9\":3}");
}

TEST(JsonParse, RejectsInvalidUtf8) {
  const char* const kBad[] = {
      "\xFF",              // never valid
      "\xFE",              // never valid
      "\x80",              // lone continuation byte
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong 3-byte '/'
      "\xF0\x80\x80\xAF",  // overlong 4-byte '/'
      "\xC3",              // truncated 2-byte sequence
      "\xE2\x82",          // truncated 3-byte sequence (euro sign)
      "\xF0\x9F\x98",      // truncated 4-byte sequence
      "\xED\xA0\x80",      // UTF-8-encoded surrogate U+D800
      "\xED\xBF\xBF",      // UTF-8-encoded surrogate U+DFFF
      "\xF4\x90\x80\x80",  // U+110000, beyond Unicode
      "\xF5\x80\x80\x80",  // lead byte beyond U+10FFFF
  };
  for (const char* bad : kBad) {
    SCOPED_TRACE(::testing::PrintToString(std::string(bad)));
    ExpectRejected("\"" + std::string(bad) + "\"");
    ExpectRejected("\"abc" + std::string(bad) + "def\"");
    ExpectRejected("{\"" + std::string(bad) + "\":1}");
    ExpectRejected("[\"ok\",\"" + std::string(bad) + "\"]");
  }
  // Truncated sequence followed by ASCII, and outside any string.
  ExpectRejected(
      "\"\xE2\x82"
      "A\"");
  ExpectRejected("[1,\xFF]");
  ExpectRejected("1 \xC3\xA9");
}

TEST(JsonParse, RejectsLoneSurrogateEscapes) {
  const char* const kBad[] = {
      R"("\ud800")",       R"("\udbff")",        // lone high
      R"("\udc00")",       R"("\udfff")",        // lone low
      R"("a\ud83d")",      R"("\ud83dx")",       // high, then no escape
      R"("\ud83d\u0041")", R"("\ud83d\ud83d")",  // high, then no low
      R"("\ude00\ud83d")", R"("\udc00\udc00")",  // wrong order / two lows
      R"("\ud83d\n")",     R"("x\ude00y")",      // low in the middle
      R"({"\ud800":1})",   R"({"\udc00":1})",    // in keys
  };
  for (const char* bad : kBad) ExpectRejected(bad);
}

TEST(JsonParse, RejectsNonFiniteNumberLiterals) {
  for (const char* bad :
       {"NaN", "nan", "-NaN", "Infinity", "-Infinity", "+Infinity", "inf",
        "-inf", "[NaN]", "{\"a\":NaN}", "[Infinity]", "[-Infinity]"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsNumbersOutsideDoubleRange) {
  for (const char* bad : {"1e400", "-1e400", "1E309", "1.8e308", "[1e999999]",
                          "{\"a\":-1e400}"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsMalformedNumbers) {
  for (const char* bad :
       {"01",    "-01",  "00",   "1.",  ".5",   "-.5",  "+1",   "-",
        "--1",   "1e",   "1e+",  "1E-", "0x10", "1.e5", "1..5", "1e5.5",
        "1_000", "[01]", "[1.]", "[-]", "0.",   "- 1"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsTrailingCommas) {
  for (const char* bad :
       {"[1,]", "[1,2,]", "{\"a\":1,}", "[,1]", "[,]", "{,}",
        "{\"a\":1,,\"b\":2}", "[1,,2]", "{\"a\":[1,],\"b\":2}"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsTrailingGarbage) {
  for (const char* bad : {"1 x", "{} }", "[1]]", "nullx", "truex", "[]x", "{}a",
                          "\"a\"b", "0 0x", "[1] ,", "{}:"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsNulBytesOutsideStrings) {
  ExpectRejected(std::string("1\0", 2));
  ExpectRejected(std::string("\0", 1));
  ExpectRejected(std::string("[1,\0 2]", 7));
  ExpectRejected(std::string("{}\0", 3));
}

TEST(JsonParse, RejectsTwoValues) {
  for (const char* bad : {"1 2", "true false", "{}{}", "[] []", "\"a\" \"b\"",
                          "null null", "{\"a\":1} {\"b\":2}", "[1]\n[2]"}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsNonJsonSyntax) {
  for (const char* bad :
       {"{a:1}",     "{'a':1}",     "'a'",         "[1 2]",    "{\"a\" 1}",
        "{\"a\":}",  "{\"a\"}",     "{1:2}",       "[",        "]",
        "{",         "}",           "[1",          "{\"a\":1", "\"unterminated",
        "// c\n1",   "/* c */ 1",   "1 // c",      "True",     "NULL",
        "nul",       "tru",         "undefined",   "[1;2]",    "\"\\x41\"",
        "\"\\u12\"", "\"\\u12g4\"", "\"\\U0041\"", "\"\\'\"",  "\"\\a\""}) {
    ExpectRejected(bad);
  }
}

TEST(JsonParse, RejectsUnescapedControlCharactersInStrings) {
  for (int c = 0; c < 0x20; ++c) {
    std::string text = "\"a";
    text.push_back(static_cast<char>(c));
    text += "b\"";
    SCOPED_TRACE(c);
    ExpectRejected(text);
    ExpectRejected("{" + text + ":1}");
  }
}

TEST(JsonParse, AcceptsNestingUpToMaxDepth) {
  // Default max_depth is 64: 64 nested arrays are fine, 65 are not.
  EXPECT_EQ(CanonicalOf(Nested(64)), Nested(64));
  Status s = Rejected(Nested(65));
  EXPECT_THAT(s.message(), HasSubstr("64"));
  ExpectRejected(Nested(100));
  ExpectRejected(Nested(2000));
  // Far beyond any limit: rejected, not a stack overflow.
  ExpectRejected(Nested(100000));
  ExpectRejected(std::string(100000, '['));
}

TEST(JsonParse, ScalarInsideDeepestAllowedContainerIsAccepted) {
  // A scalar adds no nesting: [[...[1]...]] with 64 arrays is as deep as
  // [[...[]...]] with 64 arrays.
  EXPECT_EQ(CanonicalOf(Nested(64, "1")), Nested(64, "1"));
  EXPECT_EQ(CanonicalOf(Nested(63, "{\"a\":\"b\"}")),
            Nested(63, "{\"a\":\"b\"}"));
  ParseOptions one;
  one.max_depth = 1;
  Result<Value> r = Parse("[1,\"x\",null]", one);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Canonical(*r), "[1,\"x\",null]");
}

TEST(JsonParse, MaxDepthOptionCountsObjectsAndArrays) {
  ParseOptions three;
  three.max_depth = 3;
  EXPECT_TRUE(Parse("[[[]]]", three).ok());
  EXPECT_TRUE(Parse(R"({"a":{"b":{}}})", three).ok());
  EXPECT_TRUE(Parse(R"({"a":[{}]})", three).ok());
  ExpectRejected("[[[[]]]]", three);
  Status s = Rejected(R"({"a":{"b":{"c":{}}}})", three);
  EXPECT_EQ(s.field(), "a.b.c");
  ExpectRejected(R"([{"a":[{}]}])", three);
  ParseOptions zero;
  zero.max_depth = 0;
  ExpectRejected("[]", zero);
}

TEST(JsonParse, CanonicalizeTextParsesAndSerializes) {
  Result<std::string> c = CanonicalizeText(R"({"b":1,"a":[1e30,"\u00e9"]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, "{\"a\":[1e+30,\"\xC3\xA9\"],\"b\":1}");
  Result<std::string> bad = CanonicalizeText(R"({"a":1,"a":1})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "a");
  ParseOptions one;
  one.max_depth = 1;
  Result<std::string> deep = CanonicalizeText("[[]]", one);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
}

TEST(JsonParse, SyntaxErrorsNameWhatAndWhere) {
  struct Case {
    std::string text, what, where;
  };
  const std::vector<Case> cases = {
      {"[1,,2]", "expected a value, found ','", "at column 4"},
      {"[1,]", "expected a value, found ']'", "at column 4"},
      {"{\"a\":1,}", "expected a member name", "at column 8"},
      {"{a:1}", "expected a member name (a string in double quotes), found 'a'",
       "at column 2"},
      {"[1 2]", "expected ',' or ']' in this array, found '2'", "at column 4"},
      {"{\"a\":1 \"b\":2}", "expected ',' or '}' in this object, found '\"'",
       "at column 8"},
      {"{\"a\" 1}", "expected ':' after the member name, found '1'",
       "at column 6"},
      {"[1", "expected ',' or ']' in this array, found the end of the input",
       "at column 3"},
      {"\"unterminated", "unclosed string", "at column 1"},
      {"nul", "invalid literal: expected true, false or null", "at column 1"},
      {"[True]", "invalid literal", "at column 2"},
      {"[1]]", "expected the end of the input after the JSON value, found ']'",
       "at column 4"},
      {"01", "invalid number: leading zero", "at column 1"},
      {"[1.]", "expected a digit after '.', found ']'", "at column 4"},
      {"1e+", "expected a digit in the exponent, found the end of the input",
       "at column 4"},
      {"-x", "invalid number: expected a digit, found 'x'", "at column 2"},
      {"[1e400]", "number out of the range of an IEEE 754 double",
       "at column 2"},
      {"\"\\x41\"", "invalid escape: \\'x'", "at column 2"},
      {"\"\\u12g4\"", "invalid \\u escape", "at column 2"},
      {"[\"\\ud800\"]", "lone surrogate: a high surrogate", "at column 3"},
      {"\"\\udc00\"", "lone surrogate: a low surrogate", "at column 2"},
      {"{\"a\":\"\xff\"}", "invalid UTF-8 in a string", "at column 7"},
      {"\"a\x01"
       "b\"",
       "control character 0x01 in a string", "at column 3"},
      {std::string("[1,\0 2]", 7), "expected a value, found byte 0x00",
       "at column 4"},
      {" \n ", "no JSON value", "at line 2, column 2"},
      // Pretty-printed: the line and column of the error, not of the value.
      {"{\n  \"a\": 1,\n  \"b\": [1,\n    2,,]\n}\n",
       "expected a value, found ','", "at line 4, column 7"},
      {"{\n  \"a\": 1\n  \"b\": 2\n}", "expected ',' or '}' in this object",
       "at line 3, column 3"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.text));
    Status s = Rejected(c.text);
    EXPECT_THAT(s.message(), HasSubstr(c.what));
    EXPECT_THAT(s.message(), HasSubstr(c.where));
  }
  // Valid pieces around an error do not move it.
  std::optional<SyntaxError> e = FindSyntaxError("[\"\\ud83d\\ude00\", 1, x]");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, 20u);
  EXPECT_EQ(DescribePosition("ab\ncd", 4), "line 2, column 2");
  EXPECT_EQ(DescribePosition("abcd", 99), "column 5");
}

TEST(JsonParse, InputNeedNotBeNulTerminated) {
  // A view into a larger buffer: only the view is parsed.
  const std::string buffer = "[1,2]garbage";
  EXPECT_EQ(CanonicalOf(std::string_view(buffer).substr(0, 5)), "[1,2]");
  const std::string number = "12345";
  EXPECT_EQ(CanonicalOf(std::string_view(number).substr(0, 2)), "12");
}

TEST(JsonParse, ParserIsReusableAfterErrors) {
  // The parser keeps state between calls; a failure must not leak into the
  // next parse.
  ExpectRejected("[1,");
  EXPECT_EQ(CanonicalOf("[2]"), "[2]");
  ExpectRejected(R"({"a":1,"a":2})");
  EXPECT_EQ(CanonicalOf(R"({"a":1})"), R"({"a":1})");
  ExpectRejected("[100000000000000000000000,01]");
  EXPECT_EQ(CanonicalOf("[3]"), "[3]");
}

TEST(JsonParse, ConcurrentParsesAreIndependent) {
  // Parse keeps one parser per thread; threads must not see each other's
  // documents.
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 300; ++i) {
        const std::string key = "k" + std::to_string(t);
        const std::string text = "{\"" + key + "\":[" + std::to_string(i) +
                                 ",\"" + std::string(i % 50, 'x') + "\"]}";
        Result<Value> r = Parse(text);
        if (!r.ok() || Canonical(*r) != text) ++failures[t];
        if (i % 7 == 0 && Parse("[1,").ok()) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace actledger::json
