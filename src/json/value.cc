#include <algorithm>
#include <cassert>
#include <cmath>

#include "actledger/json.h"

namespace actledger::json {

Value Value::Bool(bool b) {
  Value v;
  v.v_ = b;
  return v;
}

Value Value::Number(double d) {
  assert(std::isfinite(d) && "JSON numbers must be finite");
  Value v;
  v.v_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::MakeArray(Array items) {
  Value v;
  v.v_ = std::move(items);
  return v;
}

Value Value::MakeObject(Object members) {
  Value v;
  v.v_ = std::move(members);
  return v;
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  return const_cast<Value*>(std::as_const(*this).Find(key));
}

const Value* Value::FindPath(std::string_view dotted_path) const {
  const Value* cur = this;
  while (cur != nullptr) {
    size_t dot = dotted_path.find('.');
    cur = cur->Find(dotted_path.substr(0, dot));
    if (dot == std::string_view::npos) return cur;
    dotted_path.remove_prefix(dot + 1);
  }
  return nullptr;
}

void Value::Set(std::string key, Value value) {
  assert(is_object());
  for (auto& [k, v] : as_object()) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  as_object().emplace_back(std::move(key), std::move(value));
}

bool Value::Erase(std::string_view key) {
  if (!is_object()) return false;
  auto& members = as_object();
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& m) { return m.first == key; });
  if (it == members.end()) return false;
  members.erase(it);
  return true;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Type::kNumber:
      return a.as_number() == b.as_number();
    case Value::Type::kString:
      return a.as_string() == b.as_string();
    case Value::Type::kArray:
      return a.as_array() == b.as_array();
    case Value::Type::kObject: {
      if (a.as_object().size() != b.as_object().size()) return false;
      for (const auto& [k, v] : a.as_object()) {
        const Value* other = b.Find(k);
        if (other == nullptr || !(*other == v)) return false;
      }
      return true;
    }
  }
  return false;
}

const char* Value::TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "unknown";
}

}  // namespace actledger::json
