// The `when` expression language: values, operators, exact decimals, and
// every compile-time and run-time error path.
#include "policy/expr.h"

#include <gtest/gtest.h>

#include <string>

#include "actledger/json.h"
#include "actledger/policy.h"

namespace actledger::policy {
namespace {

const json::Value& Proposal() {
  static const json::Value* v = [] {
    Result<json::Value> r = json::Parse(R"({
      "action": {
        "type": "payment.refund",
        "recipient": "cus_123@shop.example",
        "amount": {"value": "99.99", "currency": "USD"},
        "params": {"reason": "duplicate", "tags": ["vip", "eu"], "count": 3,
                   "ratio": 0.1, "sum": 0.30000000000000004, "big": 9007199254740993, "flag": true, "nothing": null,
                   "original_amount": {"value": "250.00", "currency": "USD"},
                   "note": "h\u00e9llo", "sci": "1e2", "word": "abc"}
      },
      "ai_output": {"confidence": 0.75},
      "subject": {"type": "customer", "id": "c1",
                  "attributes": {"account_age_days": 91, "country": "US"}}
    })");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return new json::Value(std::move(*r));
  }();
  return *v;
}

// Evaluates `expr`; "true", "false", "compile: <status>" or "runtime:
// <status>".
std::string Eval(std::string_view expr) {
  Result<bool> r = EvaluateExpression(expr, Proposal());
  if (r.ok()) return *r ? "true" : "false";
  const char* kind =
      r.status().code() == StatusCode::kInvalidArgument      ? "compile: "
      : r.status().code() == StatusCode::kFailedPrecondition ? "runtime: "
                                                             : "other: ";
  return kind + r.status().message();
}

#define EXPECT_EXPR(expr, want) EXPECT_EQ(Eval(expr), want) << (expr)
#define EXPECT_EXPR_ERROR(expr, prefix, fragment)                   \
  do {                                                              \
    const std::string got = Eval(expr);                             \
    EXPECT_EQ(got.rfind(prefix, 0), 0u) << (expr) << " -> " << got; \
    EXPECT_NE(got.find(fragment), std::string::npos)                \
        << (expr) << " -> " << got;                                 \
  } while (0)

TEST(Expression, LiteralsAndLogic) {
  EXPECT_EXPR("true", "true");
  EXPECT_EXPR("false", "false");
  EXPECT_EXPR("!false", "true");
  EXPECT_EXPR("!!true", "true");
  EXPECT_EXPR("true && false", "false");
  EXPECT_EXPR("false || true", "true");
  EXPECT_EXPR("true || false && false", "true");  // && binds tighter
  EXPECT_EXPR("(true || false) && false", "false");
  EXPECT_EXPR("null == null", "true");
  EXPECT_EXPR("1 == 1 && 'a' == \"a\"", "true");
}

TEST(Expression, ExactDecimals) {
  EXPECT_EXPR("\"99.99\" < 100", "true");
  EXPECT_EXPR("\"100.00\" == 100", "true");
  EXPECT_EXPR("\"100.00\" < 100", "false");
  EXPECT_EXPR("\"100.01\" > 100", "true");
  EXPECT_EXPR("\"0.1\" == 0.1", "true");
  EXPECT_EXPR("0.10 == 0.1", "true");
  EXPECT_EXPR("-0.5 < 0", "true");
  EXPECT_EXPR("-0 == 0", "true");
  EXPECT_EXPR("\"-1.50\" == -1.5", "true");
  EXPECT_EXPR("\"12345678901234567890.01\" > 12345678901234567890", "true");
  EXPECT_EXPR("action.amount.value < 100", "true");
  EXPECT_EXPR("action.amount.value == 99.99", "true");
  EXPECT_EXPR("action.amount.value >= 99.99", "true");
  EXPECT_EXPR("action.amount.value > 99.99", "false");
  // JSON numbers compare via their shortest text: 0.1 is exactly 0.1.
  EXPECT_EXPR("action.params.ratio == 0.1", "true");
  EXPECT_EXPR("action.params.ratio == \"0.1\"", "true");
  EXPECT_EXPR("ai_output.confidence >= 0.75", "true");
  EXPECT_EXPR("ai_output.confidence > 0.75", "false");
  EXPECT_EXPR("subject.attributes.account_age_days > 90", "true");
  EXPECT_EXPR("subject.attributes.account_age_days > 91", "false");
  // Two decimal strings order numerically, not bytewise ("99.99" > "250.00"
  // as bytes).
  EXPECT_EXPR("action.amount.value < action.params.original_amount.value",
              "true");
  // Two non-decimal strings order bytewise (ISO dates work).
  EXPECT_EXPR("'2026-03-01' < '2026-11-01'", "true");
  // == on two strings compares bytes.
  EXPECT_EXPR("'100.00' == '100'", "false");
}

TEST(Expression, JsonNumbersAgainstShortAndLongLiterals) {
  // 0.1 + 0.2 as a JSON number: its shortest text is 0.30000000000000004.
  EXPECT_EXPR("action.params.sum > 0.3", "true");  // 15-digit fast path
  EXPECT_EXPR("action.params.sum == 0.30000000000000004", "true");  // digits
  EXPECT_EXPR("action.params.sum < 0.300000000000000041", "true");
  EXPECT_EXPR("action.params.sum > 0.300000000000000039", "true");
  // 2^53 + 1 parses to the double 2^53.
  EXPECT_EXPR("action.params.big == 9007199254740992", "true");
  EXPECT_EXPR("action.params.big < 9007199254740993", "true");
  EXPECT_EXPR("action.params.count == 3.000", "true");
  EXPECT_EXPR("action.params.count > -3", "true");
}

TEST(Expression, NotDecimalTextIsATypeError) {
  EXPECT_EXPR_ERROR(
      "action.params.sci == 100", "runtime: ",
      "cannot apply == to string \"1e2\" (action.params.sci) and number");
  EXPECT_EXPR_ERROR("\"1e2\" < 100", "runtime: column 1:", "cannot apply <");
  EXPECT_EXPR_ERROR("action.params.word < '5'", "runtime: ", "cannot apply <");
}

TEST(Expression, Strings) {
  EXPECT_EXPR(R"("a\"b" == 'a"b')", "true");
  EXPECT_EXPR(R"('it\'s' == "it's")", "true");
  EXPECT_EXPR(R"("tab\there" != "tab here")", "true");
  EXPECT_EXPR(R"(action.params.note == "h\u00e9llo")", "true");
  EXPECT_EXPR("action.params.note == 'h\xc3\xa9llo'", "true");
  EXPECT_EXPR("action.recipient.endsWith('@shop.example')", "true");
  EXPECT_EXPR("action.recipient.startsWith('cus_')", "true");
  EXPECT_EXPR("action.recipient.contains('123@')", "true");
  EXPECT_EXPR("action.recipient.endsWith('@acme.example')", "false");
  EXPECT_EXPR("action.type.startsWith('payment.')", "true");
}

TEST(Expression, SizeHasAndIn) {
  EXPECT_EXPR("size(action.params.note) == 5", "true");  // code points
  EXPECT_EXPR("action.params.note.size() == 5", "true");
  EXPECT_EXPR("size(action.params.tags) == 2", "true");
  EXPECT_EXPR("size(action.amount) == 2", "true");
  EXPECT_EXPR("size([1, 2, 3]) == 3", "true");
  EXPECT_EXPR("has(action.amount.value)", "true");
  EXPECT_EXPR("has(action.params.nothing)", "true");
  EXPECT_EXPR("has(action.params.missing)", "false");
  EXPECT_EXPR("has(action.amount.value.deeper)", "false");
  EXPECT_EXPR("action.params.nothing == null", "true");
  EXPECT_EXPR("action.amount.currency != null", "true");
  EXPECT_EXPR("action.amount.currency in ['USD', 'EUR']", "true");
  EXPECT_EXPR("action.amount.currency in ['GBP']", "false");
  EXPECT_EXPR("'vip' in action.params.tags", "true");
  EXPECT_EXPR("'gold' in action.params.tags", "false");
  EXPECT_EXPR("'currency' in action.amount", "true");
  EXPECT_EXPR("action.amount.value in [100, 99.99]", "true");  // numeric
  EXPECT_EXPR("3 in ['x', true, null, 3.0]", "true");  // mismatches skipped
  EXPECT_EXPR("[] == []",
              "runtime: column 1: cannot apply == to list and list");
}

TEST(Expression, ShortCircuits) {
  EXPECT_EXPR("has(action.params.missing) && action.params.missing > 1",
              "false");
  EXPECT_EXPR("true || action.params.missing > 1", "true");
  EXPECT_EXPR("false && 1 < 'x'", "false");
  EXPECT_EXPR_ERROR("true && action.params.missing > 1", "runtime: column 9:",
                    "missing field action.params.missing used with >");
}

TEST(Expression, RuntimeErrorsNameWhatFailed) {
  EXPECT_EXPR(
      "action.params.missing == 1",
      "runtime: column 1: missing field action.params.missing used with ==");
  EXPECT_EXPR(
      "action.params.missing == null",
      "runtime: column 1: missing field action.params.missing used with ==");
  EXPECT_EXPR_ERROR("action.params.flag < true",
                    "runtime: ", "cannot apply < to boolean");
  EXPECT_EXPR_ERROR("action.params.flag == 1", "runtime: ", "cannot apply ==");
  EXPECT_EXPR_ERROR("action.amount == 'x'", "runtime: ", "object");
  EXPECT_EXPR_ERROR("action.params.count && true", "runtime: column 1:",
                    "&& needs true or false, got number (action.params.count)");
  EXPECT_EXPR_ERROR("!action.type",
                    "runtime: column 2:", "! needs true or false");
  EXPECT_EXPR_ERROR("action.type", "runtime: column 1:",
                    "the condition must be true or false, got string");
  EXPECT_EXPR_ERROR("size(action.params.count) > 1", "runtime: column 6:",
                    "size() needs a string, list or object");
  EXPECT_EXPR_ERROR("action.params.count.startsWith('1')",
                    "runtime: ", "startsWith() needs a string");
  EXPECT_EXPR_ERROR("action.params.missing.endsWith('1')",
                    "runtime: ", "missing field action.params.missing");
  EXPECT_EXPR_ERROR("1 in 'abc'", "runtime: ", "cannot apply in");
  EXPECT_EXPR_ERROR("action.params.missing in [1]",
                    "runtime: ", "missing field");
  EXPECT_EXPR_ERROR("1 in action.amount", "runtime: ", "cannot apply in");
}

TEST(Expression, CompileErrorsGiveColumns) {
  EXPECT_EXPR("action.amount.value <",
              "compile: column 22: expected a value, found end of expression");
  EXPECT_EXPR(
      "action.amount.value < frob(1)",
      "compile: column 23: unknown function \"frob\" (known: has, size; "
      "methods: startsWith, endsWith, contains, size)");
  EXPECT_EXPR_ERROR("action.type.lower()",
                    "compile: column 13:", "unknown method \"lower\"");
  EXPECT_EXPR_ERROR("acton.type == 'x'",
                    "compile: column 1:", "unknown identifier \"acton\"");
  EXPECT_EXPR_ERROR("action.type = 'x'",
                    "compile: column 13:", "use == to compare");
  EXPECT_EXPR_ERROR("true & false", "compile: column 6:", "use &&");
  EXPECT_EXPR_ERROR("true | false", "compile: column 6:", "use ||");
  EXPECT_EXPR_ERROR("action.type == 'x",
                    "compile: column 16:", "unterminated string");
  EXPECT_EXPR_ERROR("'\\q'", "compile: column 2:", "unknown escape \\q");
  EXPECT_EXPR_ERROR("'\\u12'", "compile: column 2:", "bad \\u escape");
  EXPECT_EXPR_ERROR("'\\ud800'", "compile: ", "surrogate");
  EXPECT_EXPR_ERROR("1 < 2 < 3",
                    "compile: column 7:", "comparisons do not chain");
  EXPECT_EXPR_ERROR("1e2 == 100", "compile: column 2:", "malformed number");
  EXPECT_EXPR_ERROR("1. == 1", "compile: column 2:", "malformed number");
  EXPECT_EXPR_ERROR("-action.amount.value < 0",
                    "compile: column 1:", "unary minus");
  EXPECT_EXPR_ERROR("has(1)", "compile: column 5:", "has() takes a field path");
  EXPECT_EXPR_ERROR("size()",
                    "compile: column 6:", "size() takes one argument");
  EXPECT_EXPR_ERROR("size(1, 2) == 1",
                    "compile: column 7:", "size() takes one argument");
  EXPECT_EXPR_ERROR("action.type.startsWith()",
                    "compile: ", "takes one argument");
  EXPECT_EXPR_ERROR("action.type.size(1)", "compile: ", "no arguments");
  EXPECT_EXPR_ERROR("(true", "compile: column 6:", "expected ')'");
  EXPECT_EXPR_ERROR("[1, 2", "compile: column 6:", "expected ',' or ']'");
  EXPECT_EXPR_ERROR("true false", "compile: column 6:", "unexpected \"false\"");
  EXPECT_EXPR_ERROR("action.", "compile: column 8:", "expected a field name");
  EXPECT_EXPR_ERROR("(true).x", "compile: column 8:", "only allowed on a path");
  EXPECT_EXPR_ERROR("true # comment",
                    "compile: column 6:", "unexpected character '#'");
  EXPECT_EXPR_ERROR("", "compile: column 1:", "expected a value");
  EXPECT_EXPR_ERROR(std::string(100, '(') + "true" + std::string(100, ')'),
                    "compile: ", "nested too deeply");
  std::string chain = "true";
  for (int i = 0; i < 200; ++i) chain += " && true";
  EXPECT_EXPR_ERROR(chain, "compile: ", "nested too deeply");
}

TEST(Expression, ConstantDetection) {
  Expression e;
  ExprError err;
  ASSERT_TRUE(Expression::Compile("1 < 2 && 'a' in ['a']", &e, &err));
  EXPECT_TRUE(e.is_constant());
  ASSERT_TRUE(Expression::Compile("has(action.x)", &e, &err));
  EXPECT_FALSE(e.is_constant());
}

TEST(Expression, NonObjectProposalMakesPathsMissing) {
  Expression e;
  ExprError err;
  ASSERT_TRUE(Expression::Compile("has(action.type)", &e, &err));
  EXPECT_EQ(e.Evaluate(json::Value::Number(3), &err),
            Expression::Outcome::kFalse);
  ASSERT_TRUE(Expression::Compile("action.type == 'x'", &e, &err));
  EXPECT_EQ(e.Evaluate(json::Value(), &err), Expression::Outcome::kError);
  EXPECT_EQ(err.offset, 0u);
}

}  // namespace
}  // namespace actledger::policy
