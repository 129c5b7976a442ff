// Strict JSON parsing on simdjson's DOM API into json::Value.
#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <string>

#include "actledger/json.h"
#include "json/syntax.h"

namespace actledger::json {
namespace {

namespace dom = simdjson::dom;

std::string ErrorText(simdjson::error_code e) {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    case simdjson::STRING_ERROR:
      return "invalid string (bad escape or lone surrogate)";
    case simdjson::NUMBER_ERROR:
      return "invalid number, or not representable as a finite IEEE 754 "
             "double";
    case simdjson::UNCLOSED_STRING:
      return "unclosed string";
    case simdjson::DEPTH_ERROR:
      return "nesting too deep";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "invalid literal";
    case simdjson::EMPTY:
      return "empty input: no JSON value";
    case simdjson::CAPACITY:
      return "input too large";
    default:
      return simdjson::error_message(e);
  }
}

// simdjson's DOM rejects integer literals beyond 64 bits, but RFC 8785 reads
// every number as an IEEE double (1000000000000000000000 is 1e+21). Appending
// "e0" to such a literal denotes the same value and makes simdjson parse it
// as a double, correctly rounded. Only used after a number error.
std::string MarkLongIntegersAsDoubles(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[i + 1]);
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      // A whole number token: -int[.frac][(e|E)[+-]exp].
      auto digits = [&] {
        size_t start = i;
        while (i < text.size() &&
               std::isdigit(static_cast<unsigned char>(text[i]))) {
          ++i;
        }
        return i - start;
      };
      size_t start = i;
      if (c == '-') ++i;
      const size_t int_digits = digits();
      bool is_integer = true;
      if (i < text.size() && text[i] == '.') {
        ++i;
        digits();
        is_integer = false;
      }
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        digits();
        is_integer = false;
      }
      out.append(text.substr(start, i - start));
      if (is_integer && int_digits > 18) out.append("e0");
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// Where a value sits, as a chain up to the root: built for every member as
// the tree is walked, rendered ("a.b.0") only when an error names it.
struct PathPart {
  const PathPart* parent = nullptr;  // nullptr: a member of the root
  std::string_view key;              // when !is_index
  size_t index = 0;
  bool is_index = false;
};

std::string RenderPath(const PathPart* p) {
  if (p == nullptr) return std::string();
  std::string out = RenderPath(p->parent);
  if (p->parent != nullptr) out.push_back('.');
  if (p->is_index) {
    out += std::to_string(p->index);
  } else {
    out.append(p->key);
  }
  return out;
}

class Converter {
 public:
  explicit Converter(int max_depth) : max_depth_(max_depth) {}

  Status Convert(dom::element e, int depth, const PathPart* path,
                 Value* out) const {
    const bool container = e.type() == dom::element_type::ARRAY ||
                           e.type() == dom::element_type::OBJECT;
    if (container && depth > max_depth_) {
      return InvalidArgument(
          "nesting deeper than " + std::to_string(max_depth_) + " levels",
          RenderPath(path));
    }
    switch (e.type()) {
      case dom::element_type::ARRAY: {
        const dom::array array(e);
        Value::Array items;
        items.reserve(array.size());
        PathPart part{path, {}, 0, true};
        for (dom::element child : array) {
          Value item;
          ACTLEDGER_RETURN_IF_ERROR(Convert(child, depth + 1, &part, &item));
          items.push_back(std::move(item));
          ++part.index;
        }
        *out = Value::MakeArray(std::move(items));
        return Status::Ok();
      }
      case dom::element_type::OBJECT: {
        const dom::object object(e);
        Value::Object members;
        members.reserve(object.size());
        for (dom::key_value_pair field : object) {
          const PathPart part{path, field.key, 0, false};
          for (const auto& m : members) {
            if (m.first == field.key) {
              return InvalidArgument("duplicate key", RenderPath(&part));
            }
          }
          Value member;
          ACTLEDGER_RETURN_IF_ERROR(
              Convert(field.value, depth + 1, &part, &member));
          members.emplace_back(std::string(field.key), std::move(member));
        }
        *out = Value::MakeObject(std::move(members));
        return Status::Ok();
      }
      case dom::element_type::INT64:
        *out = Value::Number(static_cast<double>(int64_t(e)));
        return Status::Ok();
      case dom::element_type::UINT64:
        *out = Value::Number(static_cast<double>(uint64_t(e)));
        return Status::Ok();
      case dom::element_type::DOUBLE: {
        double d = double(e);
        if (!std::isfinite(d)) {
          return InvalidArgument("number is not a finite IEEE 754 double",
                                 RenderPath(path));
        }
        *out = Value::Number(d);
        return Status::Ok();
      }
      case dom::element_type::STRING:
        *out = Value::String(std::string(std::string_view(e)));
        return Status::Ok();
      case dom::element_type::BOOL:
        *out = Value::Bool(bool(e));
        return Status::Ok();
      case dom::element_type::NULL_VALUE:
        *out = Value::Null();
        return Status::Ok();
    }
    return InvalidArgument("unexpected value", RenderPath(path));
  }

 private:
  int max_depth_;
};

}  // namespace

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  // One parser per thread: it keeps its buffers between calls.
  thread_local dom::parser parser;
  dom::element root;
  simdjson::error_code err = parser.parse(text.data(), text.size()).get(root);
  if (err == simdjson::NUMBER_ERROR) {
    std::string marked = MarkLongIntegersAsDoubles(text);
    if (marked.size() != text.size()) {
      err = parser.parse(marked).get(root);
    }
  }
  if (err) {
    // simdjson says what is wrong but not where: find the first syntax
    // error ourselves (only on this path) to name its line and column.
    if (std::optional<SyntaxError> at = FindSyntaxError(text)) {
      return InvalidArgument(at->what + " at " +
                             DescribePosition(text, at->offset));
    }
    return InvalidArgument(ErrorText(err));
  }
  Value result;
  ACTLEDGER_RETURN_IF_ERROR(
      Converter(options.max_depth).Convert(root, 1, nullptr, &result));
  return result;
}

}  // namespace actledger::json
