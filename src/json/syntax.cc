#include "json/syntax.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

namespace actledger::json {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One pass over the text, containers on an explicit stack (no recursion,
// whatever the nesting). Every method that finds an error records it in
// error_ and returns false.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  std::optional<SyntaxError> Run() {
    std::vector<char> open;  // '{' or '[' of each enclosing container
    SkipSpace();
    if (i_ == t_.size()) {
      Fail(i_, "no JSON value (the input is empty or white space)");
      return error_;
    }
    for (;;) {
      // A value starts here.
      SkipSpace();
      if (i_ < t_.size() && (t_[i_] == '{' || t_[i_] == '[')) {
        const char close = t_[i_] == '{' ? '}' : ']';
        open.push_back(t_[i_]);
        ++i_;
        SkipSpace();
        if (i_ < t_.size() && t_[i_] == close) {
          ++i_;
          open.pop_back();
        } else {
          if (close == '}' && !Key()) return error_;
          continue;  // the first member's value, or the first element
        }
      } else if (!Scalar()) {
        return error_;
      }
      // After a value: containers close, or a comma leads to the next value.
      for (;;) {
        SkipSpace();
        if (open.empty()) {
          if (i_ == t_.size()) return std::nullopt;
          Fail(i_,
               "expected the end of the input after the JSON value, "
               "found " +
                   Found(i_));
          return error_;
        }
        const bool object = open.back() == '{';
        const char close = object ? '}' : ']';
        if (i_ < t_.size() && t_[i_] == close) {
          ++i_;
          open.pop_back();
          continue;
        }
        if (i_ < t_.size() && t_[i_] == ',') {
          ++i_;
          if (object && !Key()) return error_;
          break;
        }
        Fail(i_, std::string("expected ',' or '") + close + "' in this " +
                     (object ? "object" : "array") + ", found " + Found(i_));
        return error_;
      }
    }
  }

 private:
  void SkipSpace() {
    while (i_ < t_.size() && IsSpace(t_[i_])) ++i_;
  }

  bool Fail(size_t at, std::string what) {
    error_ = SyntaxError{at, std::move(what)};
    return false;
  }

  // The byte at `at`, for a message: 'x' when printable, else its value.
  std::string Found(size_t at) const {
    if (at >= t_.size()) return "the end of the input";
    const auto c = static_cast<unsigned char>(t_[at]);
    if (c > 0x20 && c < 0x7f) return std::string("'") + t_[at] + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
  }

  // A member name and its colon; the value follows.
  bool Key() {
    SkipSpace();
    if (i_ >= t_.size() || t_[i_] != '"') {
      return Fail(i_,
                  "expected a member name (a string in double quotes), "
                  "found " +
                      Found(i_));
    }
    if (!String()) return false;
    SkipSpace();
    if (i_ >= t_.size() || t_[i_] != ':') {
      return Fail(i_, "expected ':' after the member name, found " + Found(i_));
    }
    ++i_;
    return true;
  }

  bool Scalar() {
    if (i_ >= t_.size()) {
      return Fail(i_, "expected a value, found the end of the input");
    }
    const char c = t_[i_];
    if (c == '"') return String();
    if (c == '-' || IsDigit(c)) return Number();
    for (std::string_view literal : {"true", "false", "null"}) {
      if (t_.substr(i_, literal.size()) == literal) {
        i_ += literal.size();
        return true;
      }
    }
    if (IsAlpha(c)) {
      return Fail(i_, "invalid literal: expected true, false or null");
    }
    return Fail(i_, "expected a value, found " + Found(i_));
  }

  // Four hex digits at `at` as a code unit, or -1.
  int Hex4(size_t at) const {
    if (at + 4 > t_.size()) return -1;
    int v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int d = HexDigit(t_[at + k]);
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  // The length of the well-formed UTF-8 sequence at `at` (Unicode 15,
  // table 3-7), or 0.
  size_t Utf8Length(size_t at) const {
    auto in = [&](size_t k, unsigned lo, unsigned hi) {
      if (at + k >= t_.size()) return false;
      const auto b = static_cast<unsigned char>(t_[at + k]);
      return b >= lo && b <= hi;
    };
    const auto c = static_cast<unsigned char>(t_[at]);
    if (c >= 0xC2 && c <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
    if (c == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xF0) {
      return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4
                                                                         : 0;
    }
    if (c >= 0xF1 && c <= 0xF3) {
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4
                                                                         : 0;
    }
    if (c == 0xF4) {
      return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4
                                                                         : 0;
    }
    return 0;
  }

  bool String() {
    const size_t start = i_;
    ++i_;  // the opening quote
    for (;;) {
      if (i_ >= t_.size()) return Fail(start, "unclosed string");
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) {
        char buf[96];
        std::snprintf(buf, sizeof buf,
                      "control character 0x%02X in a string (write it as an "
                      "escape)",
                      c);
        return Fail(i_, buf);
      }
      if (c == '\\') {
        if (i_ + 1 >= t_.size()) return Fail(start, "unclosed string");
        const char e = t_[i_ + 1];
        if (e == 'u') {
          const int unit = Hex4(i_ + 2);
          if (unit < 0) {
            return Fail(i_, "invalid \\u escape: four hex digits expected");
          }
          if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return Fail(i_,
                        "lone surrogate: a low surrogate escape without "
                        "a high one before it");
          }
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            const bool pair =
                i_ + 7 < t_.size() && t_[i_ + 6] == '\\' && t_[i_ + 7] == 'u';
            const int low = pair ? Hex4(i_ + 8) : -1;
            if (low < 0xDC00 || low > 0xDFFF) {
              return Fail(i_,
                          "lone surrogate: a high surrogate escape not "
                          "followed by a low one");
            }
            i_ += 12;
            continue;
          }
          i_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
          i_ += 2;
          continue;
        }
        return Fail(i_, "invalid escape: \\" + Found(i_ + 1));
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      const size_t len = Utf8Length(i_);
      if (len == 0) return Fail(i_, "invalid UTF-8 in a string");
      i_ += len;
    }
  }

  bool Number() {
    const size_t start = i_;
    if (t_[i_] == '-') ++i_;
    if (i_ >= t_.size() || !IsDigit(t_[i_])) {
      return Fail(i_, "invalid number: expected a digit, found " + Found(i_));
    }
    size_t int_digits = 0;  // significant digits before the point
    if (t_[i_] == '0') {
      ++i_;
      if (i_ < t_.size() && IsDigit(t_[i_])) {
        return Fail(start, "invalid number: leading zero");
      }
    } else {
      while (i_ < t_.size() && IsDigit(t_[i_])) {
        ++i_;
        ++int_digits;
      }
    }
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (i_ >= t_.size() || !IsDigit(t_[i_])) {
        return Fail(i_, "invalid number: expected a digit after '.', found " +
                            Found(i_));
      }
      while (i_ < t_.size() && IsDigit(t_[i_])) ++i_;
    }
    int64_t exponent = 0;
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      bool negative = false;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) {
        negative = t_[i_] == '-';
        ++i_;
      }
      if (i_ >= t_.size() || !IsDigit(t_[i_])) {
        return Fail(i_,
                    "invalid number: expected a digit in the exponent, "
                    "found " +
                        Found(i_));
      }
      while (i_ < t_.size() && IsDigit(t_[i_])) {
        exponent = std::min<int64_t>(exponent * 10 + (t_[i_] - '0'), 1 << 20);
        ++i_;
      }
      if (negative) exponent = -exponent;
    }
    // Out of range is an error only upwards: a value too small for a double
    // rounds to zero, as RFC 8785 reads it.
    double d = 0;
    const std::from_chars_result r =
        std::from_chars(t_.data() + start, t_.data() + i_, d);
    if (r.ec == std::errc::result_out_of_range &&
        static_cast<int64_t>(int_digits) + exponent > 0) {
      return Fail(start, "number out of the range of an IEEE 754 double");
    }
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::optional<SyntaxError> error_;
};

}  // namespace

std::optional<SyntaxError> FindSyntaxError(std::string_view text) {
  return Scanner(text).Run();
}

std::string DescribePosition(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const size_t line =
      1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t last_newline = before.rfind('\n');
  const size_t column =
      offset - (last_newline == std::string_view::npos ? 0 : last_newline + 1) +
      1;
  if (text.find('\n') == std::string_view::npos) {
    return "column " + std::to_string(column);
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace actledger::json
