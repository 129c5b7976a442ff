// JSON values, strict parsing, and RFC 8785 (JCS) canonical serialization.
//
// Parsing follows RFC 8785's input rules: invalid UTF-8, lone surrogate
// escapes, duplicate object keys and numbers that are not finite IEEE 754
// doubles are rejected with kInvalidArgument; the error's field() names the
// key path when the problem is inside a value (duplicate keys, depth).
//
//   Result<json::Value> v = json::Parse(R"({"b":1,"a":[1e30,"\u00e9"]})");
//   std::string c = json::Canonical(*v);   // {"a":[1e+30,"é"],"b":1}
//
// Thread safety: Value is a plain value type; distinct objects may be used
// from distinct threads.
#ifndef ACTLEDGER_JSON_H_
#define ACTLEDGER_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "actledger/status.h"

namespace actledger::json {

class Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  // Members in insertion order. Keys are unique: the parser rejects
  // duplicates and Set() replaces.
  using Object = std::vector<Member>;

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  // Precondition: `d` is finite (JSON cannot represent NaN or Infinity).
  static Value Number(double d);
  static Value String(std::string s);
  static Value MakeArray(Array items = {});
  static Value MakeObject(Object members = {});

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors. Precondition: the value has that type.
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object member lookup; nullptr when absent or when this is no object.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Follows a dotted path ("action.amount.value") through objects.
  const Value* FindPath(std::string_view dotted_path) const;

  // Object member insert-or-replace. Precondition: is_object().
  void Set(std::string key, Value value);
  // Removes a member; returns whether it was present.
  bool Erase(std::string_view key);

  // Structural equality (object member order ignored).
  friend bool operator==(const Value& a, const Value& b);

  // The JSON name of a type: "null", "boolean", "number", "string", "array",
  // "object".
  static const char* TypeName(Type t);

 private:
  std::variant<std::monostate, bool, double, std::string, Array, Object> v_;
};

struct ParseOptions {
  // Arrays and objects nested deeper than this are rejected (protects the
  // recursive conversion). simdjson's own limit of 1024 applies on top.
  int max_depth = 64;
};

// Parses exactly one JSON value (surrounding white space allowed). Errors are
// kInvalidArgument saying what is wrong.
Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

// RFC 8785 canonical form.
std::string Canonical(const Value& value);
void AppendCanonical(const Value& value, std::string* out);
// Parse + canonicalize in one step.
Result<std::string> CanonicalizeText(std::string_view text,
                                     const ParseOptions& options = {});

// Building blocks, exposed for splicing canonical objects and for tests.
// Appends `s` (valid UTF-8) as a JCS string literal, quotes included.
void AppendCanonicalString(std::string_view s, std::string* out);
// Appends the ECMAScript Number.prototype.toString() form of finite `d`.
void AppendCanonicalNumber(double d, std::string* out);
// Whether a < b in JCS key order (UTF-16 code units). Inputs are UTF-8.
bool KeyLess(std::string_view a, std::string_view b);

}  // namespace actledger::json

#endif  // ACTLEDGER_JSON_H_
