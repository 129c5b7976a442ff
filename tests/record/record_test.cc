// The Execute Action Audit Standard record (PRODUCT.md section 1): what
// ValidateRecord rejects and with which field, what it accepts and keeps,
// the missing-parts report, CanonicalBody against json::Canonical, and
// FindTopLevelMember against a full parse.
#include "actledger/record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/status.h"
#include "gen/generator.h"

namespace actledger {
namespace {

using json::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A complete record: every one of the seven fields with every optional part.
constexpr std::string_view kComplete = R"({
  "action_id": "act-0001",
  "trigger": {"type": "event", "source": "zendesk.ticket.created",
              "ref": "ZD-4411", "initiated_by": "agent:support-bot"},
  "model": {"provider": "anthropic", "name": "claude",
            "version": "claude-3-5-sonnet-20241022",
            "prompt_template": {"id": "refund-triage", "version": "7",
              "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
  "ai_output": {"decision": "refund in full", "reasoning": "duplicate charge",
                "confidence": 0.92, "scores": {"fraud": 0.01, "churn": 0.4}},
  "action": {"type": "payment.refund", "system": "stripe", "target": "ch_3Nq",
             "recipient": "cus_77", "amount": {"value": "340.00", "currency": "USD"},
             "params": {"reason": "duplicate"}},
  "approval": {"mode": "human", "approver": {"id": "u-17", "role": "finance"},
               "decided_at": "2026-03-01T12:00:00Z", "note": "ok"},
  "context": {"occurred_at": "2026-03-01T12:00:01.250Z", "environment": "production",
              "job_id": "job-9", "app_version": "1.4.2",
              "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
              "span_id": "00f067aa0ba902b7"},
  "outcome": {"status": "success", "external_id": "re_1", "system_response": {"id": "re_1"},
              "confirmed_at": "2026-03-01T12:00:02Z"},
  "subject": {"type": "customer", "id": "c-1", "attributes": {"account_age_days": 400}},
  "labels": {"team": "support"}
})";

ValidationOptions Strict() {
  ValidationOptions o;
  o.strict = true;
  return o;
}

Value J(std::string_view text) {
  Result<Value> v = json::Parse(text);
  if (!v.ok()) {
    ADD_FAILURE() << "test JSON does not parse: " << text << ": "
                  << v.status().ToString();
    return Value();
  }
  return std::move(v).value();
}

Value Complete() { return J(kComplete); }

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Sets (or, with an empty `value_json`, erases) the member at `path`.
void Edit(Value& root, std::string_view path, std::string_view value_json) {
  std::vector<std::string> parts = Split(path);
  Value* v = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    v = v->Find(parts[i]);
    ASSERT_NE(v, nullptr) << path;
    ASSERT_TRUE(v->is_object()) << path;
  }
  if (value_json.empty()) {
    v->Erase(parts.back());
  } else {
    v->Set(parts.back(), J(value_json));
  }
}

Result<ValidatedRecord> Validate(const Value& v, ValidationOptions opts = {}) {
  return ValidateRecord(json::Canonical(v), opts);
}

std::string MissingOf(const Value& v) {
  Result<ValidatedRecord> r = Validate(v);
  if (!r.ok()) return "error: " + r.status().ToString();
  std::string out;
  for (const auto& m : r->missing) out += (out.empty() ? "" : ",") + m;
  return out;
}

TEST(ValidateRecord, CompleteRecordIsAcceptedWithNothingMissing) {
  Result<ValidatedRecord> r = ValidateRecord(kComplete, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, RecordKind::kAction);
  EXPECT_EQ(r->action_id, "act-0001");
  EXPECT_FALSE(r->action_id_generated);
  EXPECT_THAT(r->missing, IsEmpty());
  EXPECT_EQ(r->body, Complete());
}

// ---------------------------------------------------------------------------
// Bad input: one edit (or a few) of the complete record, and the field the
// error must name.

struct Change {
  std::string path;
  std::string value;  // JSON text; empty = erase the member
};

struct BadCase {
  std::string name;
  std::vector<Change> changes;
  std::string field;
};

std::ostream& operator<<(std::ostream& os, const BadCase& c) {
  return os << c.name;
}

const std::vector<BadCase>& BadCases() {
  static const auto* cases = new std::vector<BadCase>{
      // Money.
      {"money_json_number",
       {{"action.amount.value", "340.0"}},
       "action.amount.value"},
      {"money_json_integer",
       {{"action.amount.value", "340"}},
       "action.amount.value"},
      {"money_exponent",
       {{"action.amount.value", R"("1e2")"}},
       "action.amount.value"},
      {"money_leading_zero",
       {{"action.amount.value", R"("01.5")"}},
       "action.amount.value"},
      {"money_trailing_dot",
       {{"action.amount.value", R"("1.")"}},
       "action.amount.value"},
      {"money_empty",
       {{"action.amount.value", R"("")"}},
       "action.amount.value"},
      {"money_leading_dot",
       {{"action.amount.value", R"(".5")"}},
       "action.amount.value"},
      {"money_plus_sign",
       {{"action.amount.value", R"("+5")"}},
       "action.amount.value"},
      {"money_bare_minus",
       {{"action.amount.value", R"("-")"}},
       "action.amount.value"},
      {"money_space",
       {{"action.amount.value", R"(" 5")"}},
       "action.amount.value"},
      {"money_two_dots",
       {{"action.amount.value", R"("1.2.3")"}},
       "action.amount.value"},
      {"money_comma",
       {{"action.amount.value", R"("1,5")"}},
       "action.amount.value"},
      {"money_null", {{"action.amount.value", "null"}}, "action.amount.value"},
      {"money_infinity",
       {{"action.amount.value", R"("Infinity")"}},
       "action.amount.value"},
      {"amount_without_value",
       {{"action.amount.value", ""}},
       "action.amount.value"},
      {"amount_not_object",
       {{"action.amount", R"("340.00 USD")"}},
       "action.amount"},
      {"currency_lowercase",
       {{"action.amount.currency", R"("usd")"}},
       "action.amount.currency"},
      {"currency_two_letters",
       {{"action.amount.currency", R"("US")"}},
       "action.amount.currency"},
      {"currency_four_letters",
       {{"action.amount.currency", R"("USDX")"}},
       "action.amount.currency"},
      {"currency_number",
       {{"action.amount.currency", "123"}},
       "action.amount.currency"},
      {"amount_without_currency",
       {{"action.amount.currency", ""}},
       "action.amount.currency"},
      // AI output.
      {"confidence_negative",
       {{"ai_output.confidence", "-0.1"}},
       "ai_output.confidence"},
      {"confidence_above_one",
       {{"ai_output.confidence", "1.0001"}},
       "ai_output.confidence"},
      {"confidence_string",
       {{"ai_output.confidence", R"("0.5")"}},
       "ai_output.confidence"},
      {"confidence_null",
       {{"ai_output.confidence", "null"}},
       "ai_output.confidence"},
      {"score_string",
       {{"ai_output.scores.fraud", R"("low")"}},
       "ai_output.scores.fraud"},
      {"score_bool",
       {{"ai_output.scores.churn", "true"}},
       "ai_output.scores.churn"},
      {"score_null",
       {{"ai_output.scores.new_one", "null"}},
       "ai_output.scores.new_one"},
      {"scores_not_object",
       {{"ai_output.scores", "[0.1]"}},
       "ai_output.scores"},
      {"ai_output_decision_empty",
       {{"ai_output.decision", R"("")"}},
       "ai_output.decision"},
      // Trigger.
      {"trigger_type_unknown", {{"trigger.type", R"("cron")"}}, "trigger.type"},
      {"trigger_type_case", {{"trigger.type", R"("Event")"}}, "trigger.type"},
      {"trigger_type_number", {{"trigger.type", "1"}}, "trigger.type"},
      {"trigger_not_object", {{"trigger", R"("event")"}}, "trigger"},
      {"trigger_source_number", {{"trigger.source", "5"}}, "trigger.source"},
      // Approval.
      {"approval_mode_unknown",
       {{"approval.mode", R"("auto")"}},
       "approval.mode"},
      {"approval_mode_empty", {{"approval.mode", R"("")"}}, "approval.mode"},
      {"approver_with_mode_rule",
       {{"approval.mode", R"("rule")"},
        {"approval.decided_at", ""},
        {"approval.rule", R"({"id":"T-2026-03","version":"2"})"}},
       "approval.approver"},
      {"approver_with_mode_none",
       {{"approval.mode", R"("none")"}, {"approval.decided_at", ""}},
       "approval.approver"},
      {"rule_with_mode_human",
       {{"approval.rule", R"({"id":"T-2026-03","version":"2"})"}},
       "approval.rule"},
      {"decided_at_with_mode_rule",
       {{"approval.mode", R"("rule")"},
        {"approval.approver", ""},
        {"approval.rule", R"({"id":"T-2026-03","version":"2"})"}},
       "approval.decided_at"},
      {"decided_at_offset",
       {{"approval.decided_at", R"("2026-03-01T12:00:00+02:00")"}},
       "approval.decided_at"},
      {"decided_at_space",
       {{"approval.decided_at", R"("2026-03-01 12:00:00Z")"}},
       "approval.decided_at"},
      {"decided_at_feb_30",
       {{"approval.decided_at", R"("2026-02-30T00:00:00Z")"}},
       "approval.decided_at"},
      {"decided_at_lowercase_z",
       {{"approval.decided_at", R"("2026-03-01T12:00:00z")"}},
       "approval.decided_at"},
      {"decided_at_lowercase_t",
       {{"approval.decided_at", R"("2026-03-01t12:00:00Z")"}},
       "approval.decided_at"},
      {"decided_at_leap_second",
       {{"approval.decided_at", R"("2016-12-31T23:59:60Z")"}},
       "approval.decided_at"},
      {"decided_at_number",
       {{"approval.decided_at", "1772366400"}},
       "approval.decided_at"},
      {"approver_not_object",
       {{"approval.approver", R"("u-17")"}},
       "approval.approver"},
      {"rule_without_version",
       {{"approval.mode", R"("rule")"},
        {"approval.approver", ""},
        {"approval.decided_at", ""},
        {"approval.rule", R"({"id":"T-2026-03","version":5})"}},
       "approval.rule.version"},
      // Context.
      {"occurred_at_offset",
       {{"context.occurred_at", R"("2026-03-01T12:00:00-05:00")"}},
       "context.occurred_at"},
      {"occurred_at_date_only",
       {{"context.occurred_at", R"("2026-03-01")"}},
       "context.occurred_at"},
      {"occurred_at_month_13",
       {{"context.occurred_at", R"("2026-13-01T00:00:00Z")"}},
       "context.occurred_at"},
      {"occurred_at_hour_24",
       {{"context.occurred_at", R"("2026-03-01T24:00:00Z")"}},
       "context.occurred_at"},
      {"occurred_at_ten_fraction_digits",
       {{"context.occurred_at", R"("2026-03-01T12:00:00.1234567890Z")"}},
       "context.occurred_at"},
      {"occurred_at_words",
       {{"context.occurred_at", R"("yesterday")"}},
       "context.occurred_at"},
      {"occurred_at_number",
       {{"context.occurred_at", "1772366400"}},
       "context.occurred_at"},
      {"trace_id_short",
       {{"context.trace_id", R"("4bf92f3577b34da6a3ce929d0e0e473")"}},
       "context.trace_id"},
      {"trace_id_long",
       {{"context.trace_id", R"("4bf92f3577b34da6a3ce929d0e0e47360")"}},
       "context.trace_id"},
      {"trace_id_uppercase",
       {{"context.trace_id", R"("4BF92F3577B34DA6A3CE929D0E0E4736")"}},
       "context.trace_id"},
      {"trace_id_all_zero",
       {{"context.trace_id", R"("00000000000000000000000000000000")"}},
       "context.trace_id"},
      {"trace_id_not_hex",
       {{"context.trace_id", R"("4bf92f3577b34da6a3ce929d0e0e473g")"}},
       "context.trace_id"},
      {"span_id_short",
       {{"context.span_id", R"("00f067aa0ba902b")"}},
       "context.span_id"},
      {"span_id_uppercase",
       {{"context.span_id", R"("00F067AA0BA902B7")"}},
       "context.span_id"},
      {"span_id_all_zero",
       {{"context.span_id", R"("0000000000000000")"}},
       "context.span_id"},
      {"span_id_number", {{"context.span_id", "12"}}, "context.span_id"},
      // Model.
      {"sha256_short",
       {{"model.prompt_template.sha256",
         R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0")"}},
       "model.prompt_template.sha256"},
      {"sha256_uppercase",
       {{"model.prompt_template.sha256",
         R"("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08")"}},
       "model.prompt_template.sha256"},
      {"sha256_not_hex",
       {{"model.prompt_template.sha256",
         R"("zf86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")"}},
       "model.prompt_template.sha256"},
      {"prompt_template_not_object",
       {{"model.prompt_template", R"("v7")"}},
       "model.prompt_template"},
      {"model_version_number", {{"model.version", "3"}}, "model.version"},
      // Action.
      {"action_type_uppercase",
       {{"action.type", R"("Payment.Refund")"}},
       "action.type"},
      {"action_type_double_dot",
       {{"action.type", R"("payment..refund")"}},
       "action.type"},
      {"action_type_leading_dot", {{"action.type", R"(".x")"}}, "action.type"},
      {"action_type_trailing_dot",
       {{"action.type", R"("payment.")"}},
       "action.type"},
      {"action_type_space",
       {{"action.type", R"("payment refund")"}},
       "action.type"},
      {"action_type_empty", {{"action.type", R"("")"}}, "action.type"},
      {"params_not_object", {{"action.params", "[1]"}}, "action.params"},
      // action_id.
      {"action_id_empty", {{"action_id", R"("")"}}, "action_id"},
      {"action_id_129_bytes",
       {{"action_id", "\"" + std::string(129, 'a') + "\""}},
       "action_id"},
      {"action_id_newline", {{"action_id", R"("a\nb")"}}, "action_id"},
      {"action_id_nul", {{"action_id", R"("a\u0000b")"}}, "action_id"},
      {"action_id_del", {{"action_id", R"("a\u007fb")"}}, "action_id"},
      {"action_id_number", {{"action_id", "42"}}, "action_id"},
      // Envelope members are the ledger's.
      {"envelope_seq", {{"seq", "0"}}, "seq"},
      {"envelope_recorded_at",
       {{"recorded_at", R"("2026-03-01T12:00:00Z")"}},
       "recorded_at"},
      {"envelope_recorded_by",
       {{"recorded_by", R"("mallory")"}},
       "recorded_by"},
      {"envelope_gate", {{"gate", R"({"decision":"auto_approve"})"}}, "gate"},
      {"envelope_retention",
       {{"retention", R"({"regime":"sox","until":"2033-01-01T00:00:00Z"})"}},
       "retention"},
      // Kinds.
      {"kind_proposal", {{"kind", R"("proposal")"}}, "kind"},
      {"kind_approval", {{"kind", R"("approval")"}}, "kind"},
      {"kind_policy", {{"kind", R"("policy")"}}, "kind"},
      {"kind_hold", {{"kind", R"("hold")"}}, "kind"},
      {"kind_erasure", {{"kind", R"("erasure")"}}, "kind"},
      {"kind_purge", {{"kind", R"("purge")"}}, "kind"},
      {"kind_key", {{"kind", R"("key")"}}, "kind"},
      {"kind_bogus", {{"kind", R"("bogus")"}}, "kind"},
      {"kind_uppercase", {{"kind", R"("Action")"}}, "kind"},
      {"kind_number", {{"kind", "1"}}, "kind"},
      // Top level.
      {"unknown_top_level", {{"notes", R"("free text")"}}, "notes"},
      {"unknown_top_level_params", {{"params", "{}"}}, "params"},
      {"subject_without_type", {{"subject.type", ""}}, "subject.type"},
      {"subject_without_id", {{"subject.id", ""}}, "subject.id"},
      {"subject_id_number", {{"subject.id", "7"}}, "subject.id"},
      {"subject_not_object", {{"subject", R"("c-1")"}}, "subject"},
      {"subject_attributes_not_object",
       {{"subject.attributes", "[]"}},
       "subject.attributes"},
      {"labels_string", {{"labels", R"("x")"}}, "labels"},
      {"labels_array", {{"labels", "[]"}}, "labels"},
      // Outcome.
      {"outcome_status_unknown",
       {{"outcome.status", R"("done")"}},
       "outcome.status"},
      {"outcome_status_number", {{"outcome.status", "200"}}, "outcome.status"},
      {"outcome_error_number", {{"outcome.error", "500"}}, "outcome.error"},
      {"outcome_error_array", {{"outcome.error", R"(["x"])"}}, "outcome.error"},
      {"outcome_confirmed_at_offset",
       {{"outcome.confirmed_at", R"("2026-03-01T12:00:02+00:00")"}},
       "outcome.confirmed_at"},
      {"outcome_system_response_string",
       {{"outcome.system_response", R"("ok")"}},
       "outcome.system_response"},
  };
  return *cases;
}

class RejectedRecord : public ::testing::TestWithParam<BadCase> {};

TEST_P(RejectedRecord, NamesTheField) {
  const BadCase& c = GetParam();
  Value v = Complete();
  for (const Change& ch : c.changes) Edit(v, ch.path, ch.value);
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_FALSE(r.ok()) << json::Canonical(v);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
      << r.status().ToString();
  EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
  EXPECT_FALSE(r.status().message().empty());
  // Strict mode changes nothing about wrong input.
  Result<ValidatedRecord> strict = Validate(v, Strict());
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().field(), c.field);
}

INSTANTIATE_TEST_SUITE_P(BadInput, RejectedRecord,
                         ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& param) {
                           return param.param.name;
                         });

TEST(ValidateRecord, AcceptsWellFormedEdgeValues) {
  const std::vector<std::vector<Change>> good = {
      {{"action.amount.value", R"("0")"}},
      {{"action.amount.value", R"("-5")"}},
      {{"action.amount.value", R"("0.5")"}},
      {{"action.amount.value", R"("-0.01")"}},
      {{"action.amount.value",
        R"("123456789012345678901234567890.123456789")"}},
      {{"action.amount", ""}},
      {{"ai_output.confidence", "0"}},
      {{"ai_output.confidence", "1"}},
      {{"ai_output.scores", "{}"}},
      {{"trigger.type", R"("scheduled")"}},
      {{"trigger.type", R"("user_instruction")"}},
      {{"trigger.type", R"("agent_decision")"}},
      {{"action.type", R"("crm.stage.update")"}},
      {{"action.type", R"("record.delete")"}},
      {{"action.type", R"("x")"}},
      {{"action.type", R"("lead_route.v2-beta")"}},
      {{"action_id", "\"" + std::string(128, 'a') + "\""}},
      {{"action_id", R"("é-日本-😀")"}},
      {{"approval.approver.role", ""}},
      {{"approval.note", ""}},
      {{"approval.mode", R"("none")"},
       {"approval.approver", ""},
       {"approval.decided_at", ""}},
      {{"approval.mode", R"("rule")"},
       {"approval.approver", ""},
       {"approval.decided_at", ""},
       {"approval.rule", R"({"id":"T-2026-03","version":"2"})"}},
      {{"approval.decided_at", R"("2024-02-29T23:59:59.999999999Z")"}},
      {{"context.trace_id", ""}, {"context.span_id", ""}},
      {{"model.prompt_template.sha256", ""}},
      {{"outcome.status", R"("failure")"}, {"outcome.error", R"("declined")"}},
      {{"outcome.status", R"("error")"}, {"outcome.error", R"({"code":7})"}},
      {{"outcome.status", R"("pending")"}},
      {{"subject", ""}},
      {{"labels", ""}},
      {{"kind", R"("action")"}},
  };
  for (const auto& changes : good) {
    Value v = Complete();
    for (const Change& ch : changes) Edit(v, ch.path, ch.value);
    Result<ValidatedRecord> r = Validate(v);
    ASSERT_TRUE(r.ok()) << json::Canonical(v) << "\n" << r.status().ToString();
    EXPECT_THAT(r->missing, IsEmpty()) << json::Canonical(v);
  }
}

TEST(ValidateRecord, ExplicitActionKindIsDroppedFromBody) {
  Value v = Complete();
  v.Set("kind", Value::String("action"));
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, RecordKind::kAction);
  EXPECT_EQ(r->body.Find("kind"), nullptr);
  EXPECT_EQ(r->body, Complete());
}

TEST(ValidateRecord, NonObjectRecordIsRejected) {
  for (std::string_view text :
       {"[]", R"([{"action":{}}])", R"("action")", "42", "null", "true"}) {
    Result<ValidatedRecord> r = ValidateRecord(text, {});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    // The whole record is wrong: no field to name.
    EXPECT_EQ(r.status().field(), "") << text;
    EXPECT_THAT(r.status().message(), HasSubstr("object")) << text;
  }
}

TEST(ValidateRecord, MalformedJsonIsRejected) {
  for (std::string_view text :
       {"", " ", "{", R"({"action":})", R"({"action":{},})", "{'a':1}",
        R"({"a":1}{"b":2})", R"({"a":"\x"})", R"({"a":01})", R"({"a":NaN})",
        "{\"a\":\"\xff\"}", R"({"a":1,"a":2})"}) {
    Result<ValidatedRecord> r = ValidateRecord(text, {});
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(r.status().message(), StartsWith("malformed JSON")) << text;
  }
}

// A record of exactly `size` bytes: the complete record with a padded label.
std::string RecordOfSize(size_t size) {
  Value v = Complete();
  Edit(v, "labels.pad", R"("")");
  std::string base = json::Canonical(v);
  EXPECT_LE(base.size(), size);
  v.Find("labels")->Set("pad",
                        Value::String(std::string(size - base.size(), 'x')));
  std::string out = json::Canonical(v);
  EXPECT_EQ(out.size(), size);
  return out;
}

TEST(ValidateRecord, SizeLimitIsInclusive) {
  for (size_t limit : {size_t{2000}, size_t{4096}, size_t{256 * 1024}}) {
    ValidationOptions opts;
    opts.max_record_bytes = limit;
    Result<ValidatedRecord> at = ValidateRecord(RecordOfSize(limit), opts);
    EXPECT_TRUE(at.ok()) << limit << ": " << at.status().ToString();
    Result<ValidatedRecord> over =
        ValidateRecord(RecordOfSize(limit + 1), opts);
    ASSERT_FALSE(over.ok()) << limit;
    EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  }
}

TEST(ValidateRecord, DefaultSizeLimitIs256KiB) {
  EXPECT_TRUE(ValidateRecord(RecordOfSize(256 * 1024), {}).ok());
  Result<ValidatedRecord> over =
      ValidateRecord(RecordOfSize(256 * 1024 + 1), {});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
}

TEST(ValidateRecord, OversizeIsReportedBeforeParsing) {
  // Over the limit and malformed: the size is what is reported.
  ValidationOptions opts;
  opts.max_record_bytes = 10;
  Result<ValidatedRecord> r = ValidateRecord("{{{{{{{{{{{", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(ValidateRecord, ExtensionsInsideTheSevenFieldsArePreserved) {
  Value v = Complete();
  Edit(v, "model.parameters", R"({"temperature":0.2,"max_tokens":512})");
  Edit(v, "trigger.queue", R"("priority")");
  Edit(v, "ai_output.tool_calls", R"([{"name":"lookup","args":{"id":1}}])");
  Edit(v, "action.amount.fx_rate", R"("1.08")");
  Edit(v, "approval.approver.email", R"("f@example.com")");
  Edit(v, "approval.ticket", R"("CHG-1")");
  Edit(v, "context.region", R"("eu-west-1")");
  Edit(v, "outcome.latency_ms", "120");
  Edit(v, "subject.tier", R"("gold")");
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->missing, IsEmpty());
  EXPECT_EQ(r->body, v);
  ASSERT_NE(r->body.FindPath("model.parameters.max_tokens"), nullptr);
  EXPECT_EQ(r->body.FindPath("model.parameters.max_tokens")->as_number(), 512);
}

TEST(ValidateRecord, EveryGeneratedRecordIsAccepted) {
  gen::Generator g({.seed = 7,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  int incomplete = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string line = g.NextLine();
    Result<ValidatedRecord> r = ValidateRecord(line, {});
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString() << "\n" << line;
    EXPECT_EQ(r->kind, RecordKind::kAction);
    EXPECT_FALSE(r->action_id_generated);
    // Nothing is added or dropped: the generator supplies action_id.
    EXPECT_EQ(r->body, J(line)) << i;
    Result<ValidatedRecord> strict = ValidateRecord(line, Strict());
    EXPECT_EQ(strict.ok(), r->missing.empty()) << i;
    if (!r->missing.empty()) {
      ++incomplete;
      ASSERT_FALSE(strict.ok());
      EXPECT_EQ(strict.status().field(), r->missing.front());
    }
  }
  // The generator's default 5% incomplete records are reported, not dropped.
  EXPECT_GT(incomplete, 20);
  EXPECT_LT(incomplete, 300);
}

// ---------------------------------------------------------------------------
// Missing parts.

TEST(MissingParts, OnlyActionListsTheOtherSixInFieldOrder) {
  Value v = J(R"({"action":{"type":"email.send","system":"sendgrid",
                            "target":"msg-1"}})");
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->missing, ElementsAre("trigger", "model", "ai_output",
                                      "approval", "context", "outcome"));
}

TEST(MissingParts, EmptyRecordListsAllSeven) {
  Result<ValidatedRecord> r = ValidateRecord("{}", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->missing, ElementsAre("trigger", "model", "ai_output", "action",
                                      "approval", "context", "outcome"));
  EXPECT_TRUE(r->action_id_generated);
}

TEST(MissingParts, PartialObjectsListDottedSubPaths) {
  struct Case {
    std::vector<Change> changes;
    std::string missing;
  };
  const std::vector<Case> cases = {
      {{{"trigger.type", ""}}, "trigger.type"},
      {{{"trigger.source", ""}}, "trigger.source"},
      {{{"model.provider", ""}}, "model.provider"},
      {{{"model.name", ""}}, "model.name"},
      {{{"model.version", ""}}, "model.version"},
      {{{"model.prompt_template", ""}}, "model.prompt_template"},
      {{{"model.version", ""}, {"model.prompt_template", ""}},
       "model.version,model.prompt_template"},
      {{{"model.prompt_template.id", ""}}, "model.prompt_template.id"},
      {{{"model.prompt_template.version", ""}},
       "model.prompt_template.version"},
      {{{"ai_output.decision", ""}}, "ai_output.decision"},
      {{{"ai_output.reasoning", ""}}, "ai_output.reasoning"},
      {{{"ai_output.confidence", ""}}, "ai_output.confidence"},
      {{{"action.type", ""}}, "action.type"},
      {{{"action.system", ""}}, "action.system"},
      {{{"action.target", ""}}, "action.target"},
      {{{"approval.mode", ""},
        {"approval.approver", ""},
        {"approval.decided_at", ""}},
       "approval.mode"},
      {{{"approval.approver", ""}}, "approval.approver"},
      {{{"approval.decided_at", ""}}, "approval.decided_at"},
      {{{"approval.approver.id", ""}}, "approval.approver.id"},
      {{{"approval.approver", ""}, {"approval.decided_at", ""}},
       "approval.approver,approval.decided_at"},
      {{{"approval.mode", R"("rule")"},
        {"approval.approver", ""},
        {"approval.decided_at", ""}},
       "approval.rule"},
      {{{"approval.mode", R"("rule")"},
        {"approval.approver", ""},
        {"approval.decided_at", ""},
        {"approval.rule", R"({"version":"2"})"}},
       "approval.rule.id"},
      {{{"context.occurred_at", ""}}, "context.occurred_at"},
      {{{"context.environment", ""}}, "context.environment"},
      {{{"context.job_id", ""}}, "context.job_id"},
      {{{"context.app_version", ""}}, "context.app_version"},
      {{{"outcome.status", ""}}, "outcome.status"},
      // Across fields, in field order 1..7 whatever the edit order.
      {{{"context.job_id", ""},
        {"approval.approver", ""},
        {"model.version", ""},
        {"trigger.source", ""},
        {"outcome.status", ""},
        {"ai_output.confidence", ""}},
       "trigger.source,model.version,ai_output.confidence,approval.approver,"
       "context.job_id,outcome.status"},
      {{{"model", ""}, {"approval", ""}, {"ai_output", ""}},
       "model,ai_output,approval"},
  };
  for (const Case& c : cases) {
    Value v = Complete();
    for (const Change& ch : c.changes) Edit(v, ch.path, ch.value);
    EXPECT_EQ(MissingOf(v), c.missing) << json::Canonical(v);
  }
}

TEST(MissingParts, OptionalPartsAreNeverListed) {
  Value v = Complete();
  for (std::string_view p :
       {"trigger.ref", "trigger.initiated_by", "model.prompt_template.sha256",
        "ai_output.scores", "action.recipient", "action.amount",
        "action.params", "approval.note", "approval.approver.role",
        "context.trace_id", "context.span_id", "outcome.external_id",
        "outcome.system_response", "outcome.confirmed_at", "subject",
        "labels"}) {
    Edit(v, p, "");
  }
  EXPECT_EQ(MissingOf(v), "");
}

TEST(MissingParts, IncompleteRecordIsStoredWithTheListNotDropped) {
  Value v = Complete();
  Edit(v, "model.version", "");
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, v);
}

TEST(MissingParts, StrictModeRejectsNamingTheFirstAndListingAll) {
  Value v = Complete();
  Edit(v, "context.job_id", "");
  Edit(v, "model.version", "");
  Edit(v, "approval.approver", "");
  Result<ValidatedRecord> r = Validate(v, Strict());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "model.version");
  EXPECT_THAT(r.status().message(), HasSubstr("model.version"));
  EXPECT_THAT(r.status().message(), HasSubstr("approval.approver"));
  EXPECT_THAT(r.status().message(), HasSubstr("context.job_id"));
  EXPECT_LT(r.status().message().find("model.version"),
            r.status().message().find("approval.approver"));
  EXPECT_LT(r.status().message().find("approval.approver"),
            r.status().message().find("context.job_id"));

  Result<ValidatedRecord> only_action = ValidateRecord(
      R"({"action":{"type":"a.b","system":"s","target":"t"}})", Strict());
  ASSERT_FALSE(only_action.ok());
  EXPECT_EQ(only_action.status().field(), "trigger");
  EXPECT_THAT(only_action.status().message(),
              HasSubstr("trigger, model, ai_output, approval, context, "
                        "outcome"));

  EXPECT_TRUE(Validate(Complete(), Strict()).ok());
}

// ---------------------------------------------------------------------------
// action_id and the outcome kind.

bool IsUuidV7(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') ||
                 (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return s[14] == '7' &&
         std::string_view("89ab").find(s[19]) != std::string_view::npos;
}

TEST(ActionId, GeneratedAsUuidV7WhenAbsent) {
  Value v = Complete();
  Edit(v, "action_id", "");
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    Result<ValidatedRecord> r = Validate(v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->action_id_generated);
    EXPECT_TRUE(IsUuidV7(r->action_id)) << r->action_id;
    ASSERT_NE(r->body.Find("action_id"), nullptr);
    EXPECT_EQ(r->body.Find("action_id")->as_string(), r->action_id);
    EXPECT_TRUE(seen.insert(r->action_id).second) << r->action_id;
  }
}

TEST(ActionId, SuppliedIdIsKeptAsIs) {
  Value v = Complete();
  Edit(v, "action_id", R"("  Refund #77 / é ")");
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->action_id_generated);
  EXPECT_EQ(r->action_id, "  Refund #77 / é ");
}

TEST(OutcomeKind, ValidOutcomeNeedsOnlyActionIdAndOutcome) {
  Result<ValidatedRecord> r = ValidateRecord(
      R"({"kind":"outcome","action_id":"act-1","outcome":{"status":"success"}})",
      Strict());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, RecordKind::kOutcome);
  EXPECT_EQ(r->action_id, "act-1");
  EXPECT_FALSE(r->action_id_generated);
  EXPECT_THAT(r->missing, IsEmpty());
  EXPECT_EQ(r->body,
            J(R"({"action_id":"act-1","outcome":{"status":"success"}})"));
}

TEST(OutcomeKind, RequiresActionId) {
  Result<ValidatedRecord> r = ValidateRecord(
      R"({"kind":"outcome","outcome":{"status":"success"}})", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "action_id");
}

TEST(OutcomeKind, RequiresOutcome) {
  Result<ValidatedRecord> r =
      ValidateRecord(R"({"kind":"outcome","action_id":"act-1"})", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "outcome");
}

// An outcome record exists to carry the status; without it there is nothing
// to confirm, so it is rejected even outside strict mode.
TEST(OutcomeKind, RequiresOutcomeStatus) {
  Result<ValidatedRecord> r = ValidateRecord(
      R"({"kind":"outcome","action_id":"act-1","outcome":{"external_id":"x"}})",
      {});
  ASSERT_FALSE(r.ok()) << "accepted; missing = "
                       << ::testing::PrintToString(r->missing);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "outcome.status");
}

TEST(OutcomeKind, StatusIsValidated) {
  Result<ValidatedRecord> r = ValidateRecord(
      R"({"kind":"outcome","action_id":"a","outcome":{"status":"ok"}})", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "outcome.status");
}

TEST(OutcomeKind, OtherFieldsAreNotAllowed) {
  for (std::string_view key :
       {"trigger", "model", "ai_output", "action", "approval", "extra"}) {
    Value v = J(
        R"({"kind":"outcome","action_id":"a","outcome":{"status":"success"}})");
    v.Set(std::string(key), J("{}"));
    Result<ValidatedRecord> r = Validate(v);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().field(), key);
  }
}

TEST(OutcomeKind, OptionalContextSubjectAndLabelsAreChecked) {
  Value v =
      J(R"({"kind":"outcome","action_id":"a","outcome":{"status":"failure",
      "error":"card declined"},"context":{"occurred_at":"2026-03-01T12:00:00Z",
      "environment":"production","app_version":"1"},
      "subject":{"type":"customer","id":"c-1"},"labels":{"x":"y"}})");
  Result<ValidatedRecord> r = Validate(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->missing, ElementsAre("context.job_id"));

  Edit(v, "context.occurred_at", R"("2026-03-01T12:00:00+01:00")");
  r = Validate(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "context.occurred_at");
}

TEST(RecordKind, NamesRoundTrip) {
  for (RecordKind k :
       {RecordKind::kAction, RecordKind::kProposal, RecordKind::kApproval,
        RecordKind::kOutcome, RecordKind::kPolicy, RecordKind::kHold,
        RecordKind::kErasure, RecordKind::kPurge, RecordKind::kKey}) {
    Result<RecordKind> back = RecordKindFromName(RecordKindName(k));
    ASSERT_TRUE(back.ok()) << RecordKindName(k);
    EXPECT_EQ(*back, k);
  }
  Result<RecordKind> bad = RecordKindFromName("Action");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "kind");
}

// ---------------------------------------------------------------------------
// CanonicalBody.

// Keys chosen to stress RFC 8785 ordering: ASCII, multi-byte UTF-8, and
// astral characters, which sort differently in UTF-16 (surrogates, 0xD8xx)
// than in UTF-8 bytes against U+E000..U+FFFF.
std::string RandomKey(std::mt19937_64& rng, bool with_escapes = true) {
  static const std::vector<std::string> kPieces = {
      "a",
      "Z",
      "_",
      "0",
      "seq",
      "é",
      "ü",
      "€",
      "日",
      "本",
      "\xEF\xBD\xA1" /* U+FF61 */,
      "\xEE\x80\x80" /* U+E000 */,
      "😀",
      "\xF0\x90\x80\x80" /* U+10000 */,
      "\x7f",
      " ",
      "\"",
      "\\",
      "\x01"};
  // The last three pieces are written with escapes in canonical JSON.
  const size_t choices = kPieces.size() - (with_escapes ? 0 : 3);
  std::string k;
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) k += kPieces[rng() % choices];
  return k;
}

// cppcheck-suppress constParameter ; drawing a number changes the engine
std::string RandomCanonicalValue(std::mt19937_64& rng) {
  static const std::vector<std::string> kValues = {
      "0",
      "-1.5",
      "1e+30",
      "\"x\"",
      "\"é\\n\"",
      "null",
      "true",
      "false",
      "[]",
      "{}",
      R"({"a":[1,{"b":"c"}],"z":null})",
      "[\"\\u001f\",2]"};
  return kValues[rng() % kValues.size()];
}

TEST(CanonicalBody, RenderWithoutExtrasIsTheCanonicalBody) {
  gen::Generator g({.seed = 11,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  for (int i = 0; i < 300; ++i) {
    Value body = g.Next();
    CanonicalBody cb(body);
    std::string rendered = cb.Render({});
    ASSERT_EQ(rendered, json::Canonical(body)) << i;
    EXPECT_NEAR(static_cast<double>(cb.byte_size()),
                static_cast<double>(rendered.size()), 2.0)
        << i;
  }
  EXPECT_EQ(CanonicalBody(J("{}")).Render({}), "{}");
  EXPECT_EQ(CanonicalBody().Render({}), "{}");
}

TEST(CanonicalBody, RenderWithExtrasEqualsCanonicalOfTheMergedObject) {
  gen::Generator g({.seed = 12,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  std::mt19937_64 rng(12);
  for (int i = 0; i < 500; ++i) {
    Value body = g.Next();
    if (i % 3 == 0) body.Set(RandomKey(rng), J(RandomCanonicalValue(rng)));
    std::vector<std::pair<std::string, std::string>> extra_owned;
    Value expected = body;
    const int n = static_cast<int>(rng() % 7);
    for (int k = 0; k < n; ++k) {
      std::string key = RandomKey(rng);
      if (expected.Find(key) != nullptr) continue;
      std::string value = RandomCanonicalValue(rng);
      expected.Set(key, J(value));
      extra_owned.emplace_back(std::move(key), std::move(value));
    }
    std::vector<std::pair<std::string_view, std::string_view>> extra(
        extra_owned.begin(), extra_owned.end());
    const std::string want = json::Canonical(expected);
    CanonicalBody cb(body);
    ASSERT_EQ(cb.Render(extra), want) << i;

    // Add() then Render({}) is the same object.
    CanonicalBody added(body);
    for (const auto& [k, v] : extra_owned) added.Add(k, v);
    ASSERT_EQ(added.Render({}), want) << i;
    // byte_size() is a size estimate: keys written with escapes ("\u0001")
    // may be counted short by a few bytes.
    EXPECT_NEAR(static_cast<double>(added.byte_size()),
                static_cast<double>(want.size()),
                2.0 + static_cast<double>(want.size()) / 100)
        << i;
  }
}

TEST(CanonicalBody, EnvelopeMembersInterleaveInKeyOrder) {
  CanonicalBody cb(J(R"({"trigger":{},"action_id":"a","labels":{},"zeta":1})"));
  EXPECT_EQ(cb.Render({{"seq", "5"},
                       {"kind", "\"action\""},
                       {"recorded_at", "\"2026-03-01T12:00:00.000Z\""}}),
            R"({"action_id":"a","kind":"action","labels":{},)"
            R"("recorded_at":"2026-03-01T12:00:00.000Z","seq":5,)"
            R"("trigger":{},"zeta":1})");
}

// ---------------------------------------------------------------------------
// FindTopLevelMember and FindTopLevelMemberFromEnd.

// On well-formed JSON both walks must give the same answer; returns it.
std::string_view Find(std::string_view json, std::string_view key) {
  const std::string_view forward = FindTopLevelMember(json, key);
  EXPECT_EQ(FindTopLevelMemberFromEnd(json, key), forward)
      << "key " << key << " in " << json;
  return forward;
}

TEST(FindTopLevelMember, FindsValuesOfEveryType) {
  const std::string_view j =
      R"({"a":1,"arr":[1,[2],{"x":"]"}],"b":"x\"y","f":false,"n":null,)"
      R"("neg":-1.5e-7,"o":{"p":{"q":[]}},"s":"","t":true,"z":"last"})";
  EXPECT_EQ(Find(j, "a"), "1");
  EXPECT_EQ(Find(j, "arr"), R"([1,[2],{"x":"]"}])");
  EXPECT_EQ(Find(j, "b"), R"("x\"y")");
  EXPECT_EQ(Find(j, "f"), "false");
  EXPECT_EQ(Find(j, "n"), "null");
  EXPECT_EQ(Find(j, "neg"), "-1.5e-7");
  EXPECT_EQ(Find(j, "o"), R"({"p":{"q":[]}})");
  EXPECT_EQ(Find(j, "s"), R"("")");
  EXPECT_EQ(Find(j, "t"), "true");
  EXPECT_EQ(Find(j, "z"), R"("last")");
  EXPECT_EQ(Find(R"({"only":{"k":1}})", "only"), R"({"k":1})");
}

TEST(FindTopLevelMember, NestedOrQuotedKeysDoNotMatch) {
  EXPECT_TRUE(Find(R"({"action":{"params":{"seq":5}}})", "seq").empty());
  EXPECT_EQ(Find(R"({"action":{"params":{"seq":5}},"seq":7})", "seq"), "7");
  EXPECT_EQ(Find(R"({"a":[{"seq":1}],"seq":2})", "seq"), "2");
  EXPECT_TRUE(Find(R"({"a":["seq",1]})", "seq").empty());
  EXPECT_TRUE(Find(R"({"note":"\"seq\":9","x":1})", "seq").empty());
  EXPECT_TRUE(Find(R"({"note":"seq","x":1})", "seq").empty());
  EXPECT_EQ(Find(R"({"x":"seq","seq":1})", "seq"), "1");
  EXPECT_EQ(Find(R"({"note":",\"seq\":9","seq":3})", "seq"), "3");
  EXPECT_EQ(Find(R"({"a":"{{{[[","seq":2})", "seq"), "2");
  EXPECT_EQ(Find(R"({"a":"}}]]","seq":2})", "seq"), "2");
  EXPECT_TRUE(Find(R"({"seqx":1,"xseq":2})", "seq").empty());
  EXPECT_TRUE(Find(R"({"seq":1})", "se").empty());
}

TEST(FindTopLevelMember, BackslashesBeforeTheClosingQuote) {
  // The string a\\ (JSON "a\\\\"): its closing quote follows two escaped
  // backslashes and must end the string.
  EXPECT_EQ(Find(R"({"a":"a\\\\","seq":3})", "seq"), "3");
  EXPECT_EQ(Find(R"({"a":"a\\\\","seq":3})", "a"), R"("a\\\\")");
  EXPECT_EQ(Find(R"({"a":"\\","seq":3})", "a"), R"("\\")");
  EXPECT_EQ(Find(R"({"a":"\\","seq":3})", "seq"), "3");
  EXPECT_EQ(Find(R"({"a":"\\\"","seq":3})", "a"), R"("\\\"")");
  EXPECT_EQ(Find(R"({"a":"\\\"","seq":3})", "seq"), "3");
  EXPECT_EQ(Find(R"({"a":{"b":"x\\"},"seq":4})", "a"), R"({"b":"x\\"})");
  EXPECT_EQ(Find(R"({"a":{"b":"x\\"},"seq":4})", "seq"), "4");
  EXPECT_EQ(Find(R"({"k\\":1,"seq":5})", "seq"), "5");
}

// Keys that JCS writes with escapes are looked up by their value, like
// json::Value::Find does.
TEST(FindTopLevelMember, KeysWithEscapesAreFoundByTheirValue) {
  Value v = J(R"({"a\"b":1,"c\\d":2,"tab\t":3,"ctl\u0001":4})");
  const std::string c = json::Canonical(v);
  EXPECT_EQ(Find(c, "a\"b"), "1") << c;
  EXPECT_EQ(Find(c, "c\\d"), "2") << c;
  EXPECT_EQ(Find(c, "tab\t"), "3") << c;
  EXPECT_EQ(Find(c, std::string_view("ctl\x01", 4)), "4") << c;
}

TEST(FindTopLevelMember, AbsentKeyAndDegenerateInputGiveEmpty) {
  EXPECT_TRUE(Find(R"({"a":1})", "b").empty());
  EXPECT_TRUE(Find("{}", "a").empty());
  EXPECT_TRUE(Find("", "a").empty());
  EXPECT_TRUE(Find("[]", "a").empty());
  EXPECT_TRUE(Find(R"("a")", "a").empty());
}

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() &&
          part.data() + part.size() <= whole.data() + whole.size());
}

TEST(FindTopLevelMember, MalformedInputNeverCrashes) {
  const std::vector<std::string> inputs = {"\"",
                                           "{\"",
                                           "{\"seq\"",
                                           "{\"seq\":",
                                           "{\"seq\":\"",
                                           "{\"seq\":\"abc",
                                           "{\"seq\":{",
                                           "{\"seq\":[[[",
                                           "}}}}{\"seq\":1",
                                           "]]]]",
                                           "{\"seq\":1}}}}",
                                           "{\"a\":\"\\",
                                           "{\"a\":\"\\\\\\",
                                           "{\"seq\"\"seq\":1}",
                                           "{,,,\"seq\":1",
                                           "{\"seq\":\\"};
  for (const std::string& s : inputs) {
    EXPECT_TRUE(Within(FindTopLevelMember(s, "seq"), s)) << s;
    EXPECT_TRUE(Within(FindTopLevelMemberFromEnd(s, "seq"), s)) << s;
  }
  gen::Generator g({.seed = 13,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  std::mt19937_64 rng(13);
  const std::string_view kNasty = "\"\\{}[],:";
  for (int i = 0; i < 40; ++i) {
    std::string leaf = CanonicalBody(g.Next()).Render({{"seq", "9"}});
    // Every prefix, exactly as a torn write would leave it.
    for (size_t n = 0; n <= leaf.size(); n += (i < 3 ? 1 : 37)) {
      std::string prefix = leaf.substr(0, n);
      EXPECT_TRUE(Within(FindTopLevelMember(prefix, "seq"), prefix));
      EXPECT_TRUE(Within(FindTopLevelMemberFromEnd(prefix, "seq"), prefix));
    }
    // Random structural corruption.
    for (int k = 0; k < 50; ++k) {
      std::string bad = leaf;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        bad[rng() % bad.size()] = kNasty[rng() % kNasty.size()];
      }
      for (std::string_view key : {"seq", "action", "labels", "x"}) {
        EXPECT_TRUE(Within(FindTopLevelMember(bad, key), bad));
        EXPECT_TRUE(Within(FindTopLevelMemberFromEnd(bad, key), bad));
      }
    }
  }
}

TEST(FindTopLevelMember, AgreesWithParseFindCanonicalOnGeneratedLeaves) {
  gen::Generator g({.seed = 14,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  std::mt19937_64 rng(14);
  const std::vector<std::string> kNestedKeys = {
      "type",    "id",          "value",    "status", "mode",
      "version", "params",      "currency", "name",   "attributes",
      "seq",     "recorded_at", "gate",     ""};
  for (int i = 0; i < 2000; ++i) {
    Value body = g.Next();
    // A nested "seq" and a quoted one must not be found.
    if (Value* action = body.Find("action"); action != nullptr && i % 2 == 0) {
      if (Value* params = action->Find("params")) {
        params->Set("seq", Value::Number(123));
      }
    }
    if (Value* labels = body.Find("labels"); labels != nullptr && i % 3 == 0) {
      labels->Set("note", Value::String("\"seq\":1,\"gate\":{\\"));
    }
    const std::string seq = std::to_string(i);
    std::vector<std::pair<std::string_view, std::string_view>> env = {
        {"kind", "\"action\""},
        {"recorded_at", "\"2026-03-01T12:00:00.000Z\""},
        {"recorded_by", "\"svc:ingest\""},
    };
    if (i % 4 != 0) env.emplace_back("seq", seq);
    if (i % 5 == 0)
      env.emplace_back("gate", R"({"decision":"auto_approve","rule":"T-1"})");
    const std::string extra_key = RandomKey(rng, false);
    const std::string extra_value = RandomCanonicalValue(rng);
    if (body.Find(extra_key) == nullptr &&
        std::none_of(env.begin(), env.end(),
                     [&](const auto& m) { return m.first == extra_key; })) {
      env.emplace_back(extra_key, extra_value);
    }
    const std::string leaf = CanonicalBody(body).Render(env);
    Result<Value> parsed = json::Parse(leaf);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

    std::vector<std::string> keys = kNestedKeys;
    for (const auto& [k, v] : parsed->as_object()) keys.push_back(k);
    keys.push_back(RandomKey(rng, false));
    for (const std::string& key : keys) {
      const Value* found = parsed->Find(key);
      const std::string want = found != nullptr ? json::Canonical(*found) : "";
      ASSERT_EQ(std::string(Find(leaf, key)), want)
          << "record " << i << ", key " << ::testing::PrintToString(key) << "\n"
          << leaf;
    }
  }
}

}  // namespace
}  // namespace actledger
