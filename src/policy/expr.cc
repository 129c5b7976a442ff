#include "policy/expr.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "policy/decimal.h"

namespace actledger::policy {

// ---------------------------------------------------------------------------
// Lexer

namespace {

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kIdent,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kNot,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kMinus,
};

struct Token {
  Tok kind = Tok::kEnd;
  uint32_t begin = 0, end = 0;
  std::string text;  // kIdent, kNumber: as written; kString: decoded
};

constexpr int kMaxDepth = 64;

constexpr std::array<std::string_view, 11> kRoots = {
    "action",   "subject", "trigger", "model",     "ai_output", "context",
    "approval", "outcome", "labels",  "action_id", "kind"};

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Byte equality without a libc call for the short strings policies compare
// (currencies, country codes, statuses, JSON keys).
inline bool BytesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) return std::memcmp(a.data(), b.data(), a.size()) == 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Lex(std::string_view s, std::vector<Token>* tokens, ExprError* error) {
  auto fail = [&](size_t at, std::string msg) {
    error->offset = at;
    error->message = std::move(msg);
    return false;
  };
  size_t i = 0;
  while (true) {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
      ++i;
    }
    Token t;
    t.begin = static_cast<uint32_t>(i);
    if (i == s.size()) {
      t.end = t.begin;
      tokens->push_back(std::move(t));
      return true;
    }
    const char c = s[i];
    auto two = [&](char next) { return i + 1 < s.size() && s[i + 1] == next; };
    if (IsDigit(c)) {
      size_t j = i;
      while (j < s.size() && IsDigit(s[j])) ++j;
      if (j < s.size() && s[j] == '.' && j + 1 < s.size() &&
          IsDigit(s[j + 1])) {
        ++j;
        while (j < s.size() && IsDigit(s[j])) ++j;
      }
      if (j < s.size() && (IsIdentChar(s[j]) || s[j] == '.')) {
        return fail(j,
                    "malformed number: numbers are exact decimals like "
                    "100 or 99.99 (no exponent, no trailing dot)");
      }
      t.kind = Tok::kNumber;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (IsIdentStart(c)) {
      size_t j = i;
      while (j < s.size() && IsIdentChar(s[j])) ++j;
      t.kind = Tok::kIdent;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '"' || c == '\'') {
      size_t j = i + 1;
      std::string out;
      while (true) {
        if (j >= s.size()) return fail(i, "unterminated string literal");
        const char d = s[j];
        if (d == c) {
          ++j;
          break;
        }
        if (d != '\\') {
          out.push_back(d);
          ++j;
          continue;
        }
        if (j + 1 >= s.size()) return fail(i, "unterminated string literal");
        const char e = s[j + 1];
        switch (e) {
          case '\\':
            out.push_back('\\');
            break;
          case '"':
            out.push_back('"');
            break;
          case '\'':
            out.push_back('\'');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'u': {
            uint32_t cp = 0;
            if (j + 6 > s.size())
              return fail(j, "bad \\u escape: need 4 hex digits");
            for (size_t k = j + 2; k < j + 6; ++k) {
              const char h = s[k];
              cp <<= 4;
              if (h >= '0' && h <= '9') {
                cp |= static_cast<uint32_t>(h - '0');
              } else if (h >= 'a' && h <= 'f') {
                cp |= static_cast<uint32_t>(h - 'a' + 10);
              } else if (h >= 'A' && h <= 'F') {
                cp |= static_cast<uint32_t>(h - 'A' + 10);
              } else {
                return fail(j, "bad \\u escape: need 4 hex digits");
              }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) {
              return fail(j,
                          "bad \\u escape: surrogate code points are not "
                          "characters");
            }
            AppendUtf8(cp, &out);
            j += 4;
            break;
          }
          default:
            return fail(j, std::string("unknown escape \\") + e);
        }
        j += 2;
      }
      t.kind = Tok::kString;
      t.text = std::move(out);
      i = j;
    } else {
      size_t len = 1;
      switch (c) {
        case '(':
          t.kind = Tok::kLParen;
          break;
        case ')':
          t.kind = Tok::kRParen;
          break;
        case '[':
          t.kind = Tok::kLBracket;
          break;
        case ']':
          t.kind = Tok::kRBracket;
          break;
        case ',':
          t.kind = Tok::kComma;
          break;
        case '.':
          t.kind = Tok::kDot;
          break;
        case '-':
          t.kind = Tok::kMinus;
          break;
        case '!':
          if (two('=')) {
            t.kind = Tok::kNe;
            len = 2;
          } else {
            t.kind = Tok::kNot;
          }
          break;
        case '<':
          t.kind = two('=') ? Tok::kLe : Tok::kLt;
          len = two('=') ? 2 : 1;
          break;
        case '>':
          t.kind = two('=') ? Tok::kGe : Tok::kGt;
          len = two('=') ? 2 : 1;
          break;
        case '=':
          if (!two('=')) return fail(i, "unexpected '=': use == to compare");
          t.kind = Tok::kEq;
          len = 2;
          break;
        case '&':
          if (!two('&')) return fail(i, "unexpected '&': use && for \"and\"");
          t.kind = Tok::kAnd;
          len = 2;
          break;
        case '|':
          if (!two('|')) return fail(i, "unexpected '|': use || for \"or\"");
          t.kind = Tok::kOr;
          len = 2;
          break;
        default:
          return fail(i, std::string("unexpected character '") + c + "'");
      }
      i += len;
    }
    t.end = static_cast<uint32_t>(i);
    tokens->push_back(std::move(t));
  }
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "end of expression";
    case Tok::kNumber:
      return "number " + t.text;
    case Tok::kString:
      return "string literal";
    case Tok::kIdent:
      return "\"" + t.text + "\"";
    default:
      return "'" + t.text + "'";
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Parser

class ExprParser {
 public:
  ExprParser(std::string_view text, PathTable* paths, Expression* out,
             ExprError* error)
      : text_(text), paths_(paths), out_(out), error_(error) {}

  bool Run() {
    if (!Lex(text_, &toks_, error_)) return false;
    for (Token& t : toks_) {
      if (t.kind != Tok::kIdent && t.kind != Tok::kNumber &&
          t.kind != Tok::kString) {
        t.text = std::string(text_.substr(t.begin, t.end - t.begin));
      }
    }
    int root;
    if (!ParseOr(0, &root)) return false;
    if (Peek().kind != Tok::kEnd) {
      return Fail(Peek().begin, "unexpected " + Describe(Peek()));
    }
    out_->root_ = root;
    return true;
  }

 private:
  using Op = Expression::Op;
  using Node = Expression::Node;

  const Token& Peek(size_t ahead = 0) const {
    const size_t k = pos_ + ahead;
    return k < toks_.size() ? toks_[k] : toks_.back();
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool Fail(size_t at, std::string msg) {
    error_->offset = at;
    error_->message = std::move(msg);
    return false;
  }
  bool Expect(Tok kind, const char* what) {
    if (Peek().kind != kind) {
      return Fail(Peek().begin, std::string("expected ") + what + ", found " +
                                    Describe(Peek()));
    }
    Next();
    return true;
  }
  int Add(Node n) {
    out_->nodes_.push_back(n);
    return static_cast<int>(out_->nodes_.size() - 1);
  }
  Node Make(Op op, uint32_t begin, uint32_t end) {
    Node n;
    n.op = op;
    n.begin = begin;
    n.end = end;
    return n;
  }
  std::pair<uint32_t, uint32_t> Intern(std::string_view s) {
    const auto off = static_cast<uint32_t>(out_->pool_.size());
    out_->pool_.append(s);
    return {off, static_cast<uint32_t>(s.size())};
  }
  bool CheckDepth(int depth, size_t at) {
    if (depth > kMaxDepth) return Fail(at, "expression nested too deeply");
    return true;
  }
  int Depth(int node) const {
    return depth_.size() > size_t(node) ? depth_[node] : 0;
  }
  int AddWithDepth(const Node& n, int depth) {
    const int id = Add(n);
    depth_.resize(id + 1);
    depth_[id] = depth;
    return id;
  }

  bool ParseOr(int depth, int* out) {
    if (!CheckDepth(depth, Peek().begin)) return false;
    int left;
    if (!ParseAnd(depth + 1, &left)) return false;
    while (Peek().kind == Tok::kOr) {
      Next();
      int right;
      if (!ParseAnd(depth + 1, &right)) return false;
      const int d = std::max(Depth(left), Depth(right)) + 1;
      if (!CheckDepth(d, out_->nodes_[left].begin)) return false;
      Node n = Make(Op::kOr, out_->nodes_[left].begin, out_->nodes_[right].end);
      n.a = left;
      n.b = right;
      left = AddWithDepth(n, d);
    }
    *out = left;
    return true;
  }

  bool ParseAnd(int depth, int* out) {
    if (!CheckDepth(depth, Peek().begin)) return false;
    int left;
    if (!ParseRel(depth + 1, &left)) return false;
    while (Peek().kind == Tok::kAnd) {
      Next();
      int right;
      if (!ParseRel(depth + 1, &right)) return false;
      const int d = std::max(Depth(left), Depth(right)) + 1;
      if (!CheckDepth(d, out_->nodes_[left].begin)) return false;
      Node n =
          Make(Op::kAnd, out_->nodes_[left].begin, out_->nodes_[right].end);
      n.a = left;
      n.b = right;
      left = AddWithDepth(n, d);
    }
    *out = left;
    return true;
  }

  static bool RelOp(const Token& t, Op* op) {
    switch (t.kind) {
      case Tok::kEq:
        *op = Op::kEq;
        return true;
      case Tok::kNe:
        *op = Op::kNe;
        return true;
      case Tok::kLt:
        *op = Op::kLt;
        return true;
      case Tok::kLe:
        *op = Op::kLe;
        return true;
      case Tok::kGt:
        *op = Op::kGt;
        return true;
      case Tok::kGe:
        *op = Op::kGe;
        return true;
      case Tok::kIdent:
        if (t.text == "in") {
          *op = Op::kIn;
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  bool ParseRel(int depth, int* out) {
    int left;
    if (!ParseUnary(depth + 1, &left)) return false;
    Op op;
    if (RelOp(Peek(), &op)) {
      Next();
      int right;
      if (!ParseUnary(depth + 1, &right)) return false;
      Node n = Make(op, out_->nodes_[left].begin, out_->nodes_[right].end);
      n.a = left;
      n.b = right;
      left = AddWithDepth(n, std::max(Depth(left), Depth(right)) + 1);
      if (RelOp(Peek(), &op)) {
        return Fail(Peek().begin,
                    "comparisons do not chain: combine them with && or use "
                    "parentheses");
      }
    }
    *out = left;
    return true;
  }

  bool ParseUnary(int depth, int* out) {
    if (!CheckDepth(depth, Peek().begin)) return false;
    if (Peek().kind == Tok::kNot) {
      const uint32_t begin = Next().begin;
      int operand;
      if (!ParseUnary(depth + 1, &operand)) return false;
      Node n = Make(Op::kNot, begin, out_->nodes_[operand].end);
      n.a = operand;
      *out = AddWithDepth(n, Depth(operand) + 1);
      return true;
    }
    return ParsePostfix(depth + 1, out);
  }

  bool ParsePostfix(int depth, int* out) {
    int node;
    if (!ParsePrimary(depth + 1, &node)) return false;
    while (Peek().kind == Tok::kDot) {
      Next();
      const Token& name = Peek();
      if (name.kind != Tok::kIdent) {
        return Fail(name.begin, "expected a method name after '.', found " +
                                    Describe(name));
      }
      Next();
      if (Peek().kind != Tok::kLParen) {
        return Fail(name.begin, "field access \"." + name.text +
                                    "\" is only allowed on a path");
      }
      Op op;
      int arity = 1;
      if (name.text == "startsWith") {
        op = Op::kStartsWith;
      } else if (name.text == "endsWith") {
        op = Op::kEndsWith;
      } else if (name.text == "contains") {
        op = Op::kContains;
      } else if (name.text == "size") {
        op = Op::kSize;
        arity = 0;
      } else {
        return Fail(name.begin, "unknown method \"" + name.text +
                                    "\" (known: startsWith, endsWith, "
                                    "contains, size)");
      }
      Next();  // (
      int arg = -1;
      if (arity == 1) {
        if (Peek().kind == Tok::kRParen) {
          return Fail(Peek().begin, name.text + "() takes one argument");
        }
        if (!ParseOr(depth + 1, &arg)) return false;
      }
      if (Peek().kind != Tok::kRParen) {
        return Fail(Peek().begin,
                    name.text + "() takes " +
                        (arity ? "one argument" : "no arguments") +
                        ": expected ')', found " + Describe(Peek()));
      }
      const uint32_t end = Next().end;
      Node n = Make(op, out_->nodes_[node].begin, end);
      n.a = node;
      n.b = arg;
      const int d = std::max(Depth(node), arg >= 0 ? Depth(arg) : 0) + 1;
      if (!CheckDepth(d, n.begin)) return false;
      node = AddWithDepth(n, d);
    }
    *out = node;
    return true;
  }

  bool ParseNumber(const Token& t, bool negative, uint32_t begin, int* out) {
    std::optional<Decimal> dec = Decimal::Parse(t.text);
    if (!dec) return Fail(t.begin, "malformed number " + t.text);
    Node n = Make(Op::kNumber, begin, t.end);
    n.negative =
        negative && !(dec->int_digits.empty() && dec->frac_digits.empty());
    std::tie(n.off, n.len) = Intern(dec->int_digits);
    std::tie(n.off2, n.len2) = Intern(dec->frac_digits);
    if (dec->int_digits.size() + dec->frac_digits.size() <= 15) {
      const std::string& digits = t.text;
      double v = 0;
      auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc() && ptr == digits.data() + digits.size()) {
        n.has_double = true;
        n.double_value = negative ? -v : v;
      }
    }
    *out = AddWithDepth(n, 0);
    return true;
  }

  bool ParsePrimary(int depth, int* out) {
    if (!CheckDepth(depth, Peek().begin)) return false;
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNumber:
        Next();
        return ParseNumber(t, false, t.begin, out);
      case Tok::kMinus: {
        Next();
        if (Peek().kind != Tok::kNumber) {
          return Fail(t.begin, "unary minus is only allowed before a number");
        }
        const Token& num = Next();
        return ParseNumber(num, true, t.begin, out);
      }
      case Tok::kString: {
        Next();
        Node n = Make(Op::kString, t.begin, t.end);
        std::tie(n.off, n.len) = Intern(t.text);
        *out = AddWithDepth(n, 0);
        return true;
      }
      case Tok::kLParen: {
        Next();
        if (!ParseOr(depth + 1, out)) return false;
        return Expect(Tok::kRParen, "')'");
      }
      case Tok::kLBracket: {
        Next();
        std::vector<int32_t> items;
        int d = 0;
        if (Peek().kind != Tok::kRBracket) {
          while (true) {
            int item;
            if (!ParseOr(depth + 1, &item)) return false;
            items.push_back(item);
            d = std::max(d, Depth(item));
            if (Peek().kind == Tok::kComma) {
              Next();
              continue;
            }
            break;
          }
        }
        if (Peek().kind != Tok::kRBracket) {
          return Fail(Peek().begin,
                      "expected ',' or ']' in list, found " + Describe(Peek()));
        }
        const uint32_t end = Next().end;
        Node n = Make(Op::kList, t.begin, end);
        n.first = static_cast<uint32_t>(out_->items_.size());
        n.count = static_cast<uint32_t>(items.size());
        out_->items_.insert(out_->items_.end(), items.begin(), items.end());
        *out = AddWithDepth(n, d + 1);
        return true;
      }
      case Tok::kIdent:
        return ParseIdent(depth, out);
      default:
        return Fail(t.begin, "expected a value, found " + Describe(t));
    }
  }

  bool ParseIdent(int depth, int* out) {
    const Token& t = Next();
    if (t.text == "true" || t.text == "false") {
      Node n = Make(Op::kBool, t.begin, t.end);
      n.bool_value = t.text == "true";
      *out = AddWithDepth(n, 0);
      return true;
    }
    if (t.text == "null") {
      *out = AddWithDepth(Make(Op::kNull, t.begin, t.end), 0);
      return true;
    }
    if (Peek().kind == Tok::kLParen) {
      Next();
      if (t.text == "has") {
        if (Peek().kind != Tok::kIdent) {
          return Fail(Peek().begin,
                      "has() takes a field path, like "
                      "has(action.amount)");
        }
        int path;
        if (!ParsePath(&path)) return false;
        if (!Expect(Tok::kRParen, "')' after the path in has()")) return false;
        Node n = Make(Op::kHas, t.begin, toks_[pos_ - 1].end);
        n.a = path;
        *out = AddWithDepth(n, 1);
        return true;
      }
      if (t.text == "size") {
        int arg;
        if (Peek().kind == Tok::kRParen) {
          return Fail(Peek().begin, "size() takes one argument");
        }
        if (!ParseOr(depth + 1, &arg)) return false;
        if (!Expect(Tok::kRParen, "')': size() takes one argument"))
          return false;
        Node n = Make(Op::kSize, t.begin, toks_[pos_ - 1].end);
        n.a = arg;
        *out = AddWithDepth(n, Depth(arg) + 1);
        return true;
      }
      return Fail(t.begin, "unknown function \"" + t.text +
                               "\" (known: has, size; methods: startsWith, "
                               "endsWith, contains, size)");
    }
    --pos_;  // the identifier starts the path
    return ParsePath(out);
  }

  bool ParsePath(int* out) {
    const Token& root = Next();
    bool known = false;
    for (std::string_view r : kRoots) known = known || root.text == r;
    if (!known) {
      return Fail(root.begin, "unknown identifier \"" + root.text +
                                  "\": a path starts with one of action, "
                                  "subject, trigger, model, ai_output, "
                                  "context, approval, outcome, labels, "
                                  "action_id, kind");
    }
    Node n = Make(Op::kPath, root.begin, root.end);
    int id = paths_->Intern(0, root.text);
    // A '.' followed by an identifier and '(' is a method call, not a field.
    while (Peek().kind == Tok::kDot && Peek(1).kind == Tok::kIdent &&
           Peek(2).kind != Tok::kLParen) {
      Next();
      const Token& seg = Next();
      id = paths_->Intern(id, seg.text);
      n.end = seg.end;
    }
    if (Peek().kind == Tok::kDot && Peek(1).kind != Tok::kIdent) {
      return Fail(Peek(1).begin, "expected a field name after '.', found " +
                                     Describe(Peek(1)));
    }
    n.first = static_cast<uint32_t>(id);
    ++out_->paths_;
    *out = AddWithDepth(n, 0);
    return true;
  }

  std::string_view text_;
  PathTable* paths_;
  Expression* out_;
  ExprError* error_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::vector<int> depth_;  // AST height per node
};

int PathTable::Intern(int parent, std::string_view segment) {
  for (size_t i = 1; i < entries_.size(); ++i) {
    if (entries_[i].parent == parent && entries_[i].segment == segment) {
      return static_cast<int>(i);
    }
  }
  entries_.push_back({parent, std::string(segment)});
  return static_cast<int>(entries_.size() - 1);
}

// Only the first table.size() entries are used: their resolved_ flags are
// cleared below and values_[i] is written before it is read, so zeroing all
// kInline entries on every evaluation would be wasted work.
// NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
PathCache::PathCache(const PathTable& table, const json::Value& root)
    : table_(table), root_(root) {
  const size_t n = table.size();
  if (n <= kInline) {
    values_ = inline_values_;
    resolved_ = inline_resolved_;
  } else {
    heap_values_.resize(n);
    heap_resolved_.resize(n);
    values_ = heap_values_.data();
    resolved_ = heap_resolved_.data();
  }
  std::memset(resolved_, 0, n);
  values_[0] = &root;
  resolved_[0] = 1;
}

const json::Value* PathCache::Resolve(int id) {
  if (resolved_[id]) return values_[id];
  const json::Value* parent = Resolve(table_.parent(id));
  const json::Value* v = nullptr;
  if (parent != nullptr && parent->is_object()) {
    // json::Value::Find, inlined for short keys.
    const std::string& seg = table_.segment(id);
    for (const auto& [key, value] : parent->as_object()) {
      if (BytesEqual(key, seg)) {
        v = &value;
        break;
      }
    }
  }
  values_[id] = v;
  resolved_[id] = 1;
  return v;
}

bool Expression::Compile(std::string_view text, PathTable* paths,
                         Expression* out, ExprError* error) {
  *out = Expression();
  out->text_ = std::string(text);
  if (paths == nullptr) {
    out->own_paths_ = std::make_unique<PathTable>();
    paths = out->own_paths_.get();
  }
  out->paths_table_ = paths;
  ExprParser parser(out->text_, paths, out, error);
  if (!parser.Run()) {
    *out = Expression();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Evaluator

namespace {

struct Val {
  enum class K : uint8_t {
    kMissing,
    kNull,
    kBool,
    kDouble,
    kDecimal,
    kString,
    kArray,
    kObject,
    kList,
  };
  K k = K::kMissing;
  bool b = false;
  int32_t node = -1;  // the node that produced the value (kDecimal: literal)
  double d = 0;
  std::string_view s;
  const json::Value* j = nullptr;  // kArray, kObject

  // The array or object of a kArray or kObject value, which FromJson always
  // gives one.
  const json::Value& container() const {
    assert(j != nullptr);
    return *j;
  }
};

const char* KindName(Val::K k) {
  switch (k) {
    case Val::K::kMissing:
      return "missing field";
    case Val::K::kNull:
      return "null";
    case Val::K::kBool:
      return "boolean";
    case Val::K::kDouble:
    case Val::K::kDecimal:
      return "number";
    case Val::K::kString:
      return "string";
    case Val::K::kArray:
    case Val::K::kList:
      return "list";
    case Val::K::kObject:
      return "object";
  }
  return "?";
}

bool IsNumeric(const Val& v) {
  return v.k == Val::K::kDouble || v.k == Val::K::kDecimal;
}

Val FromJson(const json::Value* v) {
  Val r;
  if (v == nullptr) return r;
  switch (v->type()) {
    case json::Value::Type::kNull:
      r.k = Val::K::kNull;
      break;
    case json::Value::Type::kBool:
      r.k = Val::K::kBool;
      r.b = v->as_bool();
      break;
    case json::Value::Type::kNumber:
      r.k = Val::K::kDouble;
      r.d = v->as_number();
      break;
    case json::Value::Type::kString:
      r.k = Val::K::kString;
      r.s = v->as_string();
      break;
    case json::Value::Type::kArray:
      r.k = Val::K::kArray;
      r.j = v;
      break;
    case json::Value::Type::kObject:
      r.k = Val::K::kObject;
      r.j = v;
      break;
  }
  return r;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

class ExprEvaluator {
 public:
  ExprEvaluator(const Expression& e, PathCache& cache, ExprError* error)
      : e_(e), cache_(cache), error_(error) {}

  Expression::Outcome Run() {
    Val v;
    if (!Eval(e_.root_, &v)) return Expression::Outcome::kError;
    if (v.k != Val::K::kBool) {
      return FailValue(e_.root_, v, "the condition must be true or false, got");
    }
    return v.b ? Expression::Outcome::kTrue : Expression::Outcome::kFalse;
  }

 private:
  using Op = Expression::Op;
  using Node = Expression::Node;

  std::string_view Source(int node) const {
    const Node& n = e_.nodes_[node];
    return std::string_view(e_.text_).substr(n.begin, n.end - n.begin);
  }
  std::string_view Pool(uint32_t off, uint32_t len) const {
    return std::string_view(e_.pool_).substr(off, len);
  }

  // Error paths build messages; the happy path never gets here.
  bool Fail(int node, std::string msg) {
    if (error_ != nullptr) {
      error_->offset = e_.nodes_[node].begin;
      error_->message = std::move(msg);
    }
    return false;
  }
  Expression::Outcome FailValue(int node, const Val& v, const char* what) {
    if (error_ != nullptr) {
      error_->offset = e_.nodes_[node].begin;
      error_->message = std::string(what) + " " + Show(v);
    }
    return Expression::Outcome::kError;
  }
  std::string Show(const Val& v) const {
    if (v.k == Val::K::kMissing) {
      return "missing field " + std::string(Source(v.node));
    }
    std::string s = KindName(v.k);
    if (v.k == Val::K::kString) {
      std::string_view t = v.s.substr(0, 40);
      s += " \"" + std::string(t) + (t.size() < v.s.size() ? "...\"" : "\"");
    }
    if (v.node >= 0 && e_.nodes_[v.node].op == Op::kPath) {
      s += " (" + std::string(Source(v.node)) + ")";
    }
    return s;
  }
  bool TypeError(int node, const Val& a, const Val& b, const char* op) {
    if (a.k == Val::K::kMissing || b.k == Val::K::kMissing) {
      const Val& m = a.k == Val::K::kMissing ? a : b;
      return Fail(m.node, "missing field " + std::string(Source(m.node)) +
                              " used with " + op);
    }
    return Fail(node, std::string("cannot apply ") + op + " to " + Show(a) +
                          " and " + Show(b));
  }

  Decimal LiteralDecimal(int node) const {
    const Node& n = e_.nodes_[node];
    Decimal d;
    d.negative = n.negative;
    d.int_digits = Pool(n.off, n.len);
    d.frac_digits = Pool(n.off2, n.len2);
    return d;
  }

  // The value as an exact decimal, if it is a number or decimal text.
  bool AsDecimal(const Val& v, Decimal* out,
                 char (&buf)[Decimal::kDoubleBufferSize]) const {
    switch (v.k) {
      case Val::K::kDecimal:
        *out = LiteralDecimal(v.node);
        return true;
      case Val::K::kDouble:
        *out = Decimal::FromDouble(v.d, buf);
        return true;
      case Val::K::kString: {
        std::optional<Decimal> d = Decimal::Parse(v.s);
        if (!d) return false;
        *out = *d;
        return true;
      }
      default:
        return false;
    }
  }

  // Three-way numeric comparison when one side is a number and the other a
  // number or decimal text. Returns false when that does not apply.
  bool NumericCompare(const Val& a, const Val& b, int* cmp) const {
    auto as_double = [&](const Val& v, double* d) {
      if (v.k == Val::K::kDouble) {
        *d = v.d;
        return true;
      }
      if (v.k == Val::K::kDecimal && e_.nodes_[v.node].has_double) {
        *d = e_.nodes_[v.node].double_value;
        return true;
      }
      return false;
    };
    double x, y;
    if ((a.k == Val::K::kDouble || b.k == Val::K::kDouble) &&
        as_double(a, &x) && as_double(b, &y)) {
      *cmp = x < y ? -1 : (x > y ? 1 : 0);
      return true;
    }
    if (a.k == Val::K::kDouble && b.k == Val::K::kDouble) {
      // Shortest round-trip text preserves the order of doubles.
      *cmp = a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
      return true;
    }
    char ba[Decimal::kDoubleBufferSize], bb[Decimal::kDoubleBufferSize];
    Decimal da, db;
    if (!AsDecimal(a, &da, ba) || !AsDecimal(b, &db, bb)) return false;
    *cmp = Compare(da, db);
    return true;
  }

  // ==: 1 equal, 0 not equal, -1 type error.
  int Equal(const Val& a, const Val& b) const {
    if (a.k == Val::K::kMissing || b.k == Val::K::kMissing) return -1;
    if (a.k == Val::K::kNull || b.k == Val::K::kNull) return a.k == b.k;
    if (a.k == Val::K::kBool && b.k == Val::K::kBool) return a.b == b.b;
    if (a.k == Val::K::kString && b.k == Val::K::kString)
      return BytesEqual(a.s, b.s);
    if (IsNumeric(a) || IsNumeric(b)) {
      int cmp;
      if (!NumericCompare(a, b, &cmp)) return -1;
      return cmp == 0;
    }
    return -1;
  }

  // <, <=, >, >=: sets *cmp, or returns false on a type error.
  bool Order(const Val& a, const Val& b, int* cmp) const {
    if (IsNumeric(a) || IsNumeric(b)) return NumericCompare(a, b, cmp);
    if (a.k == Val::K::kString && b.k == Val::K::kString) {
      std::optional<Decimal> da = Decimal::Parse(a.s), db = Decimal::Parse(b.s);
      if (da && db) {
        *cmp = Compare(*da, *db);
        return true;
      }
      if (da || db) return false;
      const int c = a.s.compare(b.s);
      *cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
      return true;
    }
    return false;
  }

  bool ResolvePath(const Node& n, Val* out) {
    *out = FromJson(cache_.Resolve(static_cast<int>(n.first)));
    return true;
  }

  bool EvalString(int node, Val* out, const char* what) {
    if (!Eval(node, out)) return false;
    if (out->k != Val::K::kString) {
      return Fail(node,
                  std::string(what) + " needs a string, got " + Show(*out));
    }
    return true;
  }

  bool EvalBool(int node, Val* out, const char* what) {
    if (!Eval(node, out)) return false;
    if (out->k != Val::K::kBool) {
      return Fail(
          node, std::string(what) + " needs true or false, got " + Show(*out));
    }
    return true;
  }

  bool In(int node, const Val& x, const Val& coll, Val* out) {
    out->k = Val::K::kBool;
    out->b = false;
    if (x.k == Val::K::kMissing) return TypeError(node, x, coll, "in");
    switch (coll.k) {
      case Val::K::kList: {
        const Node& list = e_.nodes_[coll.node];
        for (uint32_t i = 0; i < list.count; ++i) {
          Val item;
          if (!Eval(e_.items_[list.first + i], &item)) return false;
          if (Equal(x, item) == 1) {
            out->b = true;
            break;
          }
        }
        return true;
      }
      case Val::K::kArray:
        for (const json::Value& item : coll.container().as_array()) {
          if (Equal(x, FromJson(&item)) == 1) {
            out->b = true;
            break;
          }
        }
        return true;
      case Val::K::kObject:
        if (x.k != Val::K::kString) return TypeError(node, x, coll, "in");
        out->b = coll.container().Find(x.s) != nullptr;
        return true;
      default:
        return TypeError(node, x, coll, "in");
    }
  }

  bool Eval(int id, Val* out) {
    const Node& n = e_.nodes_[id];
    *out = Val();
    out->node = id;
    switch (n.op) {
      case Op::kNull:
        out->k = Val::K::kNull;
        return true;
      case Op::kBool:
        out->k = Val::K::kBool;
        out->b = n.bool_value;
        return true;
      case Op::kNumber:
        out->k = Val::K::kDecimal;
        return true;
      case Op::kString:
        out->k = Val::K::kString;
        out->s = Pool(n.off, n.len);
        return true;
      case Op::kList:
        out->k = Val::K::kList;
        return true;
      case Op::kPath:
        ResolvePath(n, out);
        out->node = id;
        return true;
      case Op::kHas: {
        Val v;
        ResolvePath(e_.nodes_[n.a], &v);
        out->k = Val::K::kBool;
        out->b = v.k != Val::K::kMissing;
        return true;
      }
      case Op::kSize: {
        Val v;
        if (!Eval(n.a, &v)) return false;
        out->k = Val::K::kDouble;
        switch (v.k) {
          case Val::K::kString:
            out->d = static_cast<double>(Utf8Length(v.s));
            break;
          case Val::K::kArray:
            out->d = static_cast<double>(v.container().as_array().size());
            break;
          case Val::K::kObject:
            out->d = static_cast<double>(v.container().as_object().size());
            break;
          case Val::K::kList:
            out->d = e_.nodes_[v.node].count;
            break;
          default:
            return Fail(
                n.a, "size() needs a string, list or object, got " + Show(v));
        }
        return true;
      }
      case Op::kStartsWith:
      case Op::kEndsWith:
      case Op::kContains: {
        const char* name = n.op == Op::kStartsWith ? "startsWith()"
                           : n.op == Op::kEndsWith ? "endsWith()"
                                                   : "contains()";
        Val s, t;
        if (!EvalString(n.a, &s, name) || !EvalString(n.b, &t, name))
          return false;
        out->k = Val::K::kBool;
        out->b = n.op == Op::kStartsWith ? s.s.starts_with(t.s)
                 : n.op == Op::kEndsWith
                     ? s.s.ends_with(t.s)
                     : s.s.find(t.s) != std::string_view::npos;
        return true;
      }
      case Op::kNot: {
        Val v;
        if (!EvalBool(n.a, &v, "!")) return false;
        out->k = Val::K::kBool;
        out->b = !v.b;
        return true;
      }
      case Op::kAnd:
      case Op::kOr: {
        const bool is_and = n.op == Op::kAnd;
        Val v;
        if (!EvalBool(n.a, &v, is_and ? "&&" : "||")) return false;
        out->k = Val::K::kBool;
        if (v.b != is_and) {  // false && _, true || _
          out->b = v.b;
          return true;
        }
        if (!EvalBool(n.b, &v, is_and ? "&&" : "||")) return false;
        out->b = v.b;
        return true;
      }
      case Op::kEq:
      case Op::kNe: {
        Val a, b;
        if (!Eval(n.a, &a) || !Eval(n.b, &b)) return false;
        const int eq = Equal(a, b);
        if (eq < 0) return TypeError(id, a, b, n.op == Op::kEq ? "==" : "!=");
        out->k = Val::K::kBool;
        out->b = (eq == 1) == (n.op == Op::kEq);
        return true;
      }
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        Val a, b;
        if (!Eval(n.a, &a) || !Eval(n.b, &b)) return false;
        const char* name = n.op == Op::kLt   ? "<"
                           : n.op == Op::kLe ? "<="
                           : n.op == Op::kGt ? ">"
                                             : ">=";
        int cmp;
        if (!Order(a, b, &cmp)) return TypeError(id, a, b, name);
        out->k = Val::K::kBool;
        out->b = n.op == Op::kLt   ? cmp < 0
                 : n.op == Op::kLe ? cmp <= 0
                 : n.op == Op::kGt ? cmp > 0
                                   : cmp >= 0;
        return true;
      }
      case Op::kIn: {
        Val x, coll;
        if (!Eval(n.a, &x) || !Eval(n.b, &coll)) return false;
        return In(id, x, coll, out);
      }
    }
    return Fail(id, "internal error: unknown node");
  }

  const Expression& e_;
  PathCache& cache_;
  ExprError* error_;
};

Expression::Outcome Expression::Evaluate(const json::Value& root,
                                         ExprError* error) const {
  assert(root_ >= 0);
  PathCache cache(*paths_table_, root);
  ExprEvaluator ev(*this, cache, error);
  return ev.Run();
}

Expression::Outcome Expression::Evaluate(PathCache& cache,
                                         ExprError* error) const {
  assert(root_ >= 0);
  ExprEvaluator ev(*this, cache, error);
  return ev.Run();
}

}  // namespace actledger::policy
