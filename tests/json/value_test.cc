// json::Value: construction, lookup, mutation and structural equality.
#include <gtest/gtest.h>

#include <string>

#include "actledger/json.h"

namespace actledger::json {
namespace {

Value MustParse(std::string_view text) {
  Result<Value> r = Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.status().ToString());
  return r.ok() ? *r : Value();
}

TEST(JsonValue, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), Value::Type::kNull);
  EXPECT_TRUE(Value::Null() == v);
}

TEST(JsonValue, FactoriesSetTypeAndPayload) {
  EXPECT_TRUE(Value::Bool(false).is_bool());
  EXPECT_FALSE(Value::Bool(false).as_bool());
  EXPECT_EQ(Value::Number(-2.5).as_number(), -2.5);
  EXPECT_EQ(Value::String("x").as_string(), "x");
  EXPECT_TRUE(Value::MakeArray().is_array());
  EXPECT_TRUE(Value::MakeArray().as_array().empty());
  EXPECT_TRUE(Value::MakeObject().is_object());
  EXPECT_TRUE(Value::MakeObject().as_object().empty());
  Value arr = Value::MakeArray({Value::Number(1), Value::String("a")});
  ASSERT_EQ(arr.as_array().size(), 2u);
  EXPECT_EQ(arr.as_array()[1].as_string(), "a");
}

TEST(JsonValue, TypeNames) {
  EXPECT_STREQ(Value::TypeName(Value::Type::kNull), "null");
  EXPECT_STREQ(Value::TypeName(Value::Type::kBool), "boolean");
  EXPECT_STREQ(Value::TypeName(Value::Type::kNumber), "number");
  EXPECT_STREQ(Value::TypeName(Value::Type::kString), "string");
  EXPECT_STREQ(Value::TypeName(Value::Type::kArray), "array");
  EXPECT_STREQ(Value::TypeName(Value::Type::kObject), "object");
}

TEST(JsonValue, FindReturnsMemberOrNull) {
  Value v = MustParse(R"({"a":1,"b":{"c":"x"},"":true})");
  ASSERT_NE(v.Find("a"), nullptr);
  EXPECT_EQ(v.Find("a")->as_number(), 1);
  ASSERT_NE(v.Find(""), nullptr);
  EXPECT_TRUE(v.Find("")->as_bool());
  EXPECT_EQ(v.Find("c"), nullptr);  // not recursive
  EXPECT_EQ(v.Find("A"), nullptr);  // case-sensitive
  EXPECT_EQ(v.Find("a "), nullptr);
}

TEST(JsonValue, FindOnNonObjectIsNull) {
  for (const char* text : {"null", "1", "\"a\"", "[\"a\"]", "true"}) {
    const Value v = MustParse(text);
    EXPECT_EQ(v.Find("a"), nullptr) << text;
    EXPECT_EQ(v.FindPath("a"), nullptr) << text;
  }
}

TEST(JsonValue, FindMatchesKeysWithNul) {
  Value v = MustParse(R"({"a\u0000b":1,"a":2})");
  ASSERT_NE(v.Find(std::string_view("a\0b", 3)), nullptr);
  EXPECT_EQ(v.Find(std::string_view("a\0b", 3))->as_number(), 1);
  EXPECT_EQ(v.Find("a")->as_number(), 2);
}

TEST(JsonValue, MutableFindEditsInPlace) {
  Value v = MustParse(R"({"a":{"n":1}})");
  Value* a = v.Find("a");
  ASSERT_NE(a, nullptr);
  a->Set("n", Value::Number(2));
  EXPECT_EQ(Canonical(v), R"({"a":{"n":2}})");
}

TEST(JsonValue, FindPathFollowsObjects) {
  const Value v =
      MustParse(R"({"action":{"amount":{"value":"12.50"}},"list":[{"x":1}]})");
  ASSERT_NE(v.FindPath("action.amount.value"), nullptr);
  EXPECT_EQ(v.FindPath("action.amount.value")->as_string(), "12.50");
  ASSERT_NE(v.FindPath("action"), nullptr);
  EXPECT_TRUE(v.FindPath("action")->is_object());
  EXPECT_EQ(v.FindPath("action.amount.missing"), nullptr);
  EXPECT_EQ(v.FindPath("action.missing.value"), nullptr);
  EXPECT_EQ(v.FindPath("missing"), nullptr);
  // Cannot descend into a string.
  EXPECT_EQ(v.FindPath("action.amount.value.x"), nullptr);
  // Arrays are not traversed ("through objects").
  EXPECT_EQ(v.FindPath("list.0.x"), nullptr);
  EXPECT_EQ(v.FindPath("action."), nullptr);
  EXPECT_EQ(v.FindPath(".action"), nullptr);
}

TEST(JsonValue, FindPathEmptySegmentsNameEmptyKeys) {
  const Value v = MustParse(R"({"":{"":{"a":1}}})");
  ASSERT_NE(v.FindPath(""), nullptr);
  ASSERT_NE(v.FindPath("."), nullptr);
  EXPECT_TRUE(v.FindPath(".")->Find("a") != nullptr);
  ASSERT_NE(v.FindPath("..a"), nullptr);
  EXPECT_EQ(v.FindPath("..a")->as_number(), 1);
  EXPECT_EQ(v.FindPath(".."), nullptr);
}

TEST(JsonValue, SetAppendsNewKeysInOrder) {
  Value v = Value::MakeObject();
  v.Set("b", Value::Number(1));
  v.Set("a", Value::Number(2));
  v.Set("", Value::Null());
  ASSERT_EQ(v.as_object().size(), 3u);
  EXPECT_EQ(v.as_object()[0].first, "b");
  EXPECT_EQ(v.as_object()[1].first, "a");
  EXPECT_EQ(v.as_object()[2].first, "");
  EXPECT_EQ(Canonical(v), R"({"":null,"a":2,"b":1})");
}

TEST(JsonValue, SetReplacesExistingKeyInPlace) {
  Value v = MustParse(R"({"a":1,"b":2,"c":3})");
  v.Set("b", Value::String("two"));
  ASSERT_EQ(v.as_object().size(), 3u);
  EXPECT_EQ(v.as_object()[1].first, "b");
  EXPECT_EQ(v.as_object()[1].second.as_string(), "two");
  v.Set("b", MustParse("[1]"));
  EXPECT_EQ(Canonical(v), R"({"a":1,"b":[1],"c":3})");
}

TEST(JsonValue, EraseRemovesMember) {
  Value v = MustParse(R"({"a":1,"b":2,"c":3})");
  EXPECT_TRUE(v.Erase("b"));
  EXPECT_EQ(v.Find("b"), nullptr);
  EXPECT_FALSE(v.Erase("b"));
  EXPECT_FALSE(v.Erase("z"));
  ASSERT_EQ(v.as_object().size(), 2u);
  EXPECT_EQ(v.as_object()[0].first, "a");
  EXPECT_EQ(v.as_object()[1].first, "c");
  EXPECT_TRUE(v.Erase("a"));
  EXPECT_TRUE(v.Erase("c"));
  EXPECT_TRUE(v.as_object().empty());
  EXPECT_EQ(Canonical(v), "{}");
}

TEST(JsonValue, EraseOnNonObjectIsFalse) {
  Value arr = MustParse("[\"a\"]");
  EXPECT_FALSE(arr.Erase("a"));
  EXPECT_EQ(arr.as_array().size(), 1u);
  Value s = Value::String("a");
  EXPECT_FALSE(s.Erase("a"));
}

TEST(JsonValue, EqualityIgnoresMemberOrder) {
  EXPECT_TRUE(MustParse(R"({"a":1,"b":[1,{"x":null,"y":true}]})") ==
              MustParse(R"({"b":[1,{"y":true,"x":null}],"a":1})"));
}

TEST(JsonValue, EqualityIsStructural) {
  EXPECT_TRUE(MustParse("[1,2]") == MustParse("[1.0,2e0]"));
  EXPECT_FALSE(MustParse("[1,2]") == MustParse("[2,1]"));
  EXPECT_FALSE(MustParse("[1,2]") == MustParse("[1,2,3]"));
  EXPECT_FALSE(MustParse("[1]") == MustParse("[[1]]"));
  EXPECT_FALSE(MustParse(R"({"a":1})") == MustParse(R"({"a":1,"b":1})"));
  EXPECT_FALSE(MustParse(R"({"a":1,"b":1})") == MustParse(R"({"a":1})"));
  EXPECT_FALSE(MustParse(R"({"a":1,"b":1})") == MustParse(R"({"a":1,"c":1})"));
  EXPECT_FALSE(MustParse(R"({"a":1})") == MustParse(R"({"a":"1"})"));
  EXPECT_FALSE(MustParse(R"({"a":{}})") == MustParse(R"({"a":[]})"));
  EXPECT_FALSE(Value::String(std::string("a\0b", 3)) == Value::String("a"));
  EXPECT_TRUE(MustParse(R"({"\u00e9":1})") == MustParse("{\"\xC3\xA9\":1}"));
}

TEST(JsonValue, EqualityDistinguishesTypes) {
  const Value values[] = {Value::Null(),      Value::Bool(false),
                          Value::Number(0),   Value::String(""),
                          Value::MakeArray(), Value::MakeObject()};
  for (size_t i = 0; i < std::size(values); ++i) {
    for (size_t j = 0; j < std::size(values); ++j) {
      EXPECT_EQ(values[i] == values[j], i == j) << i << " vs " << j;
    }
  }
  EXPECT_FALSE(Value::Bool(true) == Value::Bool(false));
  EXPECT_FALSE(Value::Bool(true) == Value::Number(1));
}

TEST(JsonValue, ZeroEqualsMinusZero) {
  // Same canonical form ("0"), so the same JSON value.
  EXPECT_TRUE(Value::Number(0.0) == Value::Number(-0.0));
  EXPECT_EQ(Canonical(Value::Number(-0.0)), "0");
}

}  // namespace
}  // namespace actledger::json
