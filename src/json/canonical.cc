// RFC 8785 (JSON Canonicalization Scheme) serialization.
#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "actledger/json.h"

namespace actledger::json {
namespace {

// The position of the first byte at or after `i` that a JSON string must
// escape (a control character, '"' or '\\'), or s.size(). Record strings
// are mostly plain text, so on little-endian machines it tests eight bytes
// at a time: for a word x, (x - 0x01..01 * n) & ~x & 0x80..80 marks the bytes
// below n (here n <= 0x80). A borrow can only mark a byte above a marked
// one, so the lowest mark is always exact; bytes equal to c are the bytes
// of x ^ (0x01..01 * c) below 1.
size_t NextToEscape(std::string_view s, size_t i) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr uint64_t kOnes = 0x0101010101010101u;
    constexpr uint64_t kHigh = 0x8080808080808080u;
    auto below = [](uint64_t x, uint64_t n) {
      return (x - kOnes * n) & ~x & kHigh;
    };
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      const uint64_t marks = below(x, 0x20) | below(x ^ (kOnes * '"'), 1) |
                             below(x ^ (kOnes * '\\'), 1);
      if (marks != 0)
        return i + static_cast<size_t>(std::countr_zero(marks)) / 8;
    }
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return s.size();
}

// Decodes the code point starting at s[*i] (valid UTF-8 assumed: the parser
// rejects anything else) and advances *i.
char32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    *i += 1;
    return c;
  }
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  char32_t cp = c & (0x3F >> (len - 1));
  for (int k = 1; k < len && *i + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  }
  *i += len;
  return cp;
}

// Writes the UTF-16 code units of `cp` into `units`; returns their count.
int Utf16Units(char32_t cp, char16_t units[2]) {
  if (cp < 0x10000) {
    units[0] = static_cast<char16_t>(cp);
    return 1;
  }
  cp -= 0x10000;
  units[0] = static_cast<char16_t>(0xD800 + (cp >> 10));
  units[1] = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
  return 2;
}

}  // namespace

bool KeyLess(std::string_view a, std::string_view b) {
  // Fast path: up to the first differing byte the strings are equal, and
  // if both differing bytes are ASCII, UTF-16 order is byte order there.
  const size_t n = std::min(a.size(), b.size());
  size_t k = 0;
  while (k < n && a[k] == b[k]) ++k;
  if (k == n) return a.size() < b.size();
  const unsigned char ca = static_cast<unsigned char>(a[k]);
  const unsigned char cb = static_cast<unsigned char>(b[k]);
  if (ca < 0x80 && cb < 0x80) return ca < cb;
  // Otherwise decode both to UTF-16 code units (a multi-byte sequence can
  // only differ from its equal prefix at a sequence start or inside it, so
  // restart from the beginning; this path is rare).
  size_t i = 0, j = 0;
  char16_t ua[2] = {0, 0}, ub[2] = {0, 0};
  int na = 0, nb = 0, pa = 0, pb = 0;
  while (true) {
    if (pa == na && i < a.size()) {
      na = Utf16Units(NextCodePoint(a, &i), ua);
      pa = 0;
    }
    if (pb == nb && j < b.size()) {
      nb = Utf16Units(NextCodePoint(b, &j), ub);
      pb = 0;
    }
    const bool a_done = pa == na;
    const bool b_done = pb == nb;
    if (a_done || b_done) return a_done && !b_done;
    if (ua[pa] != ub[pb]) return ua[pa] < ub[pb];
    ++pa;
    ++pb;
  }
}

void AppendCanonicalString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = NextToEscape(s, 0); i < s.size();
       i = NextToEscape(s, run_start)) {
    const auto c = static_cast<unsigned char>(s[i]);
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
  out->push_back('"');
}

void AppendCanonicalNumber(double d, std::string* out) {
  assert(std::isfinite(d));
  if (d == 0) {  // both +0 and -0
    out->push_back('0');
    return;
  }
  if (d < 0) {
    out->push_back('-');
    d = -d;
  }
  // Shortest round-trip digits, in scientific form "D.DDDDe±XX".
  char buf[64];
  auto res =
      std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  assert(res.ec == std::errc());
  std::string_view sci(buf, res.ptr - buf);
  size_t e_pos = sci.find('e');
  std::string digits;
  digits.reserve(17);
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1),
                  sci.data() + sci.size(), exp10);
  // ECMAScript's notation: value = 0.DIGITS * 10^n, k = number of digits.
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;
  if (k <= n && n <= 21) {
    out->append(digits);
    out->append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, 0, n);
    out->push_back('.');
    out->append(digits, n);
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(-n, '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1);
    }
    out->push_back('e');
    out->push_back(n - 1 < 0 ? '-' : '+');
    out->append(std::to_string(std::abs(n - 1)));
  }
}

void AppendCanonical(const Value& value, std::string* out) {
  switch (value.type()) {
    case Value::Type::kNull:
      out->append("null");
      return;
    case Value::Type::kBool:
      out->append(value.as_bool() ? "true" : "false");
      return;
    case Value::Type::kNumber:
      AppendCanonicalNumber(value.as_number(), out);
      return;
    case Value::Type::kString:
      AppendCanonicalString(value.as_string(), out);
      return;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonical(item, out);
      }
      out->push_back(']');
      return;
    }
    case Value::Type::kObject: {
      const Value::Object& members = value.as_object();
      std::vector<const Value::Member*> sorted;
      sorted.reserve(members.size());
      for (const auto& m : members) sorted.push_back(&m);
      std::sort(sorted.begin(), sorted.end(),
                [](const Value::Member* a, const Value::Member* b) {
                  return KeyLess(a->first, b->first);
                });
      out->push_back('{');
      bool first = true;
      for (const Value::Member* m : sorted) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonicalString(m->first, out);
        out->push_back(':');
        AppendCanonical(m->second, out);
      }
      out->push_back('}');
      return;
    }
  }
}

std::string Canonical(const Value& value) {
  std::string out;
  AppendCanonical(value, &out);
  return out;
}

Result<std::string> CanonicalizeText(std::string_view text,
                                     const ParseOptions& options) {
  ACTLEDGER_ASSIGN_OR_RETURN(Value v, Parse(text, options));
  return Canonical(v);
}

}  // namespace actledger::json
