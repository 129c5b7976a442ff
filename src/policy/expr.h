// The `when` expression language of policy rules: a small CEL-like
// language, compiled once at policy load into a flat AST and evaluated
// without allocating.
//
// Grammar (whitespace between tokens is ignored):
//
//   expr     = and { "||" and }
//   and      = rel { "&&" rel }
//   rel      = unary [ relop unary ]          (comparisons do not chain)
//   relop    = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in"
//   unary    = "!" unary | postfix
//   postfix  = primary { "." method "(" [ expr ] ")" }
//   method   = "startsWith" | "endsWith" | "contains" | "size"
//   primary  = number | "-" number | string | "true" | "false" | "null"
//            | "[" [ expr { "," expr } ] "]" | "(" expr ")"
//            | "has" "(" path ")" | "size" "(" expr ")" | path
//   path     = root { "." ident }      root: a top-level record member
//                                      (action, subject, trigger, model,
//                                      ai_output, context, approval,
//                                      outcome, labels, action_id, kind)
//   number   = digit+ [ "." digit+ ]   (exact decimal; no exponent)
//   string   = '"' ... '"' | "'" ... "'"   escapes \\ \" \' \n \r \t \uXXXX
//
// Values: null, bool, number (exact decimal), string, list, object. A path
// that does not resolve is *missing*: only has() accepts it; any other use is
// a run-time error. Comparisons:
//   - number vs number, or number vs a string holding decimal text
//     ("99.99"): exact numeric comparison. A JSON number is taken as its
//     shortest round-trip decimal text (0.1 is 0.1).
//   - string vs string: == and != compare bytes; < <= > >= compare
//     numerically when both are decimal text, bytewise when neither is
//     (ISO dates order correctly), and fail when only one is.
//   - anything == null / != null: whether the value is JSON null.
//   - bool == bool. Other mixes fail (a string that is not decimal text vs a
//     number, bool < bool, lists or objects with ==, ...).
//   - x in list: whether some element equals x (mismatched types are simply
//     not equal); key in object: whether the object has that member.
// && and || take booleans and short-circuit left to right. size() counts
// UTF-8 code points of a string, elements of a list, members of an object.
//
// Thread safety: a compiled Expression is immutable; Evaluate() is const and
// may run concurrently.
#ifndef ACTLEDGER_POLICY_EXPR_H_
#define ACTLEDGER_POLICY_EXPR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/json.h"

namespace actledger::policy {

// Every distinct field path (and each of its prefixes) read by the
// expressions of one policy, so that one evaluation resolves each prefix in
// the proposal once, whichever rules read it. Entry 0 is the proposal root.
class PathTable {
 public:
  PathTable() { entries_.push_back({-1, {}}); }
  // The id of `parent`.`segment`, added if new.
  int Intern(int parent, std::string_view segment);
  size_t size() const { return entries_.size(); }
  int parent(int id) const { return entries_[id].parent; }
  const std::string& segment(int id) const { return entries_[id].segment; }

 private:
  struct Entry {
    int parent;
    std::string segment;
  };
  std::vector<Entry> entries_;
};

// Per-evaluation memo of PathTable lookups in one proposal. Allocation-free
// for tables of up to kInline entries. Not thread-safe; lives on the stack.
class PathCache {
 public:
  static constexpr size_t kInline = 256;
  PathCache(const PathTable& table, const json::Value& root);
  PathCache(const PathCache&) = delete;
  PathCache& operator=(const PathCache&) = delete;

  // The value at path `id`, or nullptr when the path does not resolve.
  const json::Value* Resolve(int id);
  const json::Value& root() const { return root_; }

 private:
  const PathTable& table_;
  const json::Value& root_;
  const json::Value** values_;
  uint8_t* resolved_;
  const json::Value* inline_values_[kInline];
  uint8_t inline_resolved_[kInline];
  std::vector<const json::Value*> heap_values_;
  std::vector<uint8_t> heap_resolved_;
};

struct ExprError {
  size_t offset = 0;  // byte offset of the offending token in the text
  std::string message;
};

class Expression {
 public:
  enum class Outcome { kTrue, kFalse, kError };

  // Compiles `text`. On failure returns false and fills *error (syntax
  // errors, unknown functions, methods or root identifiers, wrong argument
  // counts, nesting deeper than 64).
  // Paths are interned in `paths` (shared by a policy's expressions, which
  // must then be evaluated with a PathCache over it) or, when it is null, in
  // a table of the expression's own.
  static bool Compile(std::string_view text, PathTable* paths, Expression* out,
                      ExprError* error);
  static bool Compile(std::string_view text, Expression* out,
                      ExprError* error) {
    return Compile(text, nullptr, out, error);
  }

  // Evaluates against `root` (the proposal object). On kError, fills *error
  // (when non-null) with what failed and where. Allocates only on error.
  Outcome Evaluate(const json::Value& root, ExprError* error) const;
  // The same with a cache over the PathTable given to Compile().
  Outcome Evaluate(PathCache& cache, ExprError* error) const;

  // True when no path is read, so every evaluation gives the same result.
  bool is_constant() const { return paths_ == 0; }
  const std::string& text() const { return text_; }

  enum class Op : uint8_t {
    kNull,
    kBool,
    kNumber,
    kString,
    kList,
    kPath,
    kHas,
    kSize,
    kStartsWith,
    kEndsWith,
    kContains,
    kNot,
    kAnd,
    kOr,
    kEq,
    kNe,
    kLt,
    kLe,
    kGt,
    kGe,
    kIn,
  };
  struct Node {
    Op op = Op::kNull;
    bool bool_value = false;
    bool negative = false;        // kNumber
    uint32_t begin = 0, end = 0;  // source span, for error messages
    int32_t a = -1, b = -1;       // operands
    // kString: decoded text in pool_; kNumber: integer digits in pool_.
    uint32_t off = 0, len = 0;
    uint32_t off2 = 0, len2 = 0;  // kNumber: fraction digits in pool_
    // kNumber with at most 15 digits: the literal as a double. Such a
    // decimal round-trips through a double, so comparing a JSON number with
    // it as doubles gives the exact decimal answer.
    bool has_double = false;
    double double_value = 0;
    // kList: items in items_; kPath: `first` is the PathTable id.
    uint32_t first = 0, count = 0;
  };

 private:
  friend class ExprParser;
  friend class ExprEvaluator;

  std::string text_;
  std::string pool_;  // literal bytes and path segments
  std::vector<Node> nodes_;
  std::vector<int32_t> items_;            // list item node ids
  std::unique_ptr<PathTable> own_paths_;  // when Compile() got no table
  const PathTable* paths_table_ = nullptr;
  int32_t root_ = -1;
  int paths_ = 0;
};

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_EXPR_H_
