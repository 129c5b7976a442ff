#include "index/row.h"

#include <simdjson.h>

#include <limits>

#include "common/time.h"
#include "index/index.h"

namespace actledger::index {
namespace {

namespace dom = simdjson::dom;
using Elem = simdjson::simdjson_result<dom::element>;

std::optional<std::string_view> Str(Elem e) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return s;
}

bool IsObject(Elem e) {
  dom::object o;
  return e.get_object().get(o) == simdjson::SUCCESS;
}

bool Has(Elem e) { return e.error() == simdjson::SUCCESS; }

void SetText(Row* row, int c, std::optional<std::string_view> v) {
  Cell& cell = row->cells[c];
  if (!v.has_value()) return;
  cell.type = Cell::Type::kText;
  cell.s.assign(v->data(), v->size());
}

void SetText(Row* row, int c, std::string_view v) {
  SetText(row, c, std::optional<std::string_view>(v));
}

void SetInt(Row* row, int c, std::optional<int64_t> v) {
  if (!v.has_value()) return;
  row->cells[c].type = Cell::Type::kInt;
  row->cells[c].i = *v;
}

// Text column plus its *_us companion.
void SetTime(Row* row, int text_col, int us_col,
             std::optional<std::string_view> v) {
  SetText(row, text_col, v);
  if (v.has_value()) SetInt(row, us_col, TimeToMicros(*v));
}

}  // namespace

const std::array<const char*, kNumRecordCols> kRecordColumnNames = {
    "seq",
    "kind",
    "recorded_at",
    "recorded_at_us",
    "recorded_by",
    "action_id",
    "occurred_at",
    "occurred_at_us",
    "trigger_type",
    "trigger_source",
    "action_type",
    "system",
    "target",
    "subject_type",
    "subject_id",
    "model_provider",
    "model_name",
    "model_version",
    "prompt_template_id",
    "prompt_template_version",
    "approval_mode",
    "approver",
    "approver_role",
    "rule_id",
    "rule_version",
    "decision",
    "gate_tier",
    "policy_version",
    "outcome_status",
    "violation",
    "environment",
    "job_id",
    "app_version",
    "amount_value",
    "amount_micros",
    "currency",
    "retention_regime",
    "retention_until",
    "present",
    "leaf_bytes",
};

std::optional<int64_t> DecimalToMicros(std::string_view text, Rounding round) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  const size_t int_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view int_digits = text.substr(int_start, i - int_start);
  if (int_digits.empty()) return std::nullopt;
  std::string_view frac;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    const size_t frac_start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i != text.size()) return std::nullopt;
    frac = text.substr(frac_start);
    if (frac.empty()) return std::nullopt;  // "1." is not a decimal
  }
  // Accumulate the magnitude as a non-positive number so that INT64_MIN
  // fits; a positive result is negated at the end.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t acc = 0;
  auto push = [&](int digit) {
    if (acc < (kMin + digit) / 10) return false;
    acc = acc * 10 - digit;
    return true;
  };
  for (char ch : int_digits) {
    if (!push(ch - '0')) return std::nullopt;
  }
  bool dropped_nonzero = false;
  for (size_t k = 0; k < 6; ++k) {
    if (!push(k < frac.size() ? frac[k] - '0' : 0)) return std::nullopt;
  }
  for (size_t k = 6; k < frac.size(); ++k) {
    if (frac[k] != '0') dropped_nonzero = true;
  }
  if (dropped_nonzero) {
    if (round == Rounding::kExact) return std::nullopt;
    // acc holds -|truncated value|; rounding away from zero in magnitude
    // is "ceil" for negatives' floor, and so on.
    const bool away = (round == Rounding::kCeil) != negative;
    if (away) {
      if (acc == kMin) return std::nullopt;
      acc -= 1;
    }
  }
  if (negative) return acc;
  if (acc == kMin) return std::nullopt;
  return -acc;
}

std::optional<int64_t> TimeToMicros(std::string_view text) {
  Result<UtcTime> t = ParseRfc3339Utc(text);
  if (!t.ok()) return std::nullopt;
  return t->seconds * 1000000 + (t->nanos + 999) / 1000;
}

struct RowExtractor::Impl {
  dom::parser parser;
};

RowExtractor::RowExtractor() : impl_(new Impl) {}
RowExtractor::~RowExtractor() { delete impl_; }

Status RowExtractor::Extract(std::string& leaf, uint64_t expected_seq,
                             Row* row) {
  for (Cell& c : row->cells) {
    c.type = Cell::Type::kNull;
    c.s.clear();
  }
  row->purged.clear();
  const size_t len = leaf.size();
  leaf.reserve(len + simdjson::SIMDJSON_PADDING);
  dom::element doc;
  auto what = [&](const std::string& why) {
    return DataLoss("record " + std::to_string(expected_seq) + ": " + why);
  };
  if (auto err = impl_->parser.parse(leaf.data(), len, false).get(doc)) {
    return what(std::string("stored bytes are not JSON: ") +
                simdjson::error_message(err));
  }
  uint64_t seq = 0;
  if (doc["seq"].get_uint64().get(seq) != simdjson::SUCCESS ||
      seq != expected_seq) {
    return what("its \"seq\" member is missing or differs");
  }
  std::optional<std::string_view> kind = Str(doc["kind"]);
  std::optional<std::string_view> recorded_at = Str(doc["recorded_at"]);
  if (!kind.has_value() || !recorded_at.has_value() ||
      !TimeToMicros(*recorded_at).has_value()) {
    return what("\"kind\" or \"recorded_at\" is missing or malformed");
  }
  SetInt(row, kSeq, static_cast<int64_t>(seq));
  SetText(row, kKind, kind);
  SetTime(row, kRecordedAt, kRecordedAtUs, recorded_at);
  SetText(row, kRecordedBy, Str(doc["recorded_by"]));
  SetText(row, kActionId, Str(doc["action_id"]));
  SetInt(row, kLeafBytes, static_cast<int64_t>(len));
  if (*kind == "purge") {
    dom::array ranges;
    if (doc["purge"]["ranges"].get_array().get(ranges) == simdjson::SUCCESS) {
      for (dom::element r : ranges) {
        int64_t first = 0, last = 0;
        if (r.at(0).get_int64().get(first) == simdjson::SUCCESS &&
            r.at(1).get_int64().get(last) == simdjson::SUCCESS &&
            first <= last) {
          row->purged.emplace_back(first, last);
        }
      }
    }
  }

  uint32_t present = 0;
  Elem trigger = doc["trigger"];
  if (IsObject(trigger)) {
    present |= kHasTrigger;
    SetText(row, kTriggerType, Str(trigger["type"]));
    SetText(row, kTriggerSource, Str(trigger["source"]));
  }
  Elem model = doc["model"];
  if (IsObject(model)) {
    present |= kHasModel;
    SetText(row, kModelProvider, Str(model["provider"]));
    SetText(row, kModelName, Str(model["name"]));
    SetText(row, kModelVersion, Str(model["version"]));
    if (Has(model["version"])) present |= kHasModelVersion;
    Elem pt = model["prompt_template"];
    if (IsObject(pt)) {
      present |= kHasPromptTemplate;
      SetText(row, kPromptTemplateId, Str(pt["id"]));
      SetText(row, kPromptTemplateVersion, Str(pt["version"]));
    }
  }
  Elem ai = doc["ai_output"];
  if (IsObject(ai)) {
    present |= kHasAiOutput;
    if (Has(ai["reasoning"])) present |= kHasReasoning;
  }
  Elem action = doc["action"];
  if (IsObject(action)) {
    present |= kHasAction;
    SetText(row, kActionType, Str(action["type"]));
    SetText(row, kSystem, Str(action["system"]));
    SetText(row, kTarget, Str(action["target"]));
    Elem amount = action["amount"];
    if (IsObject(amount)) {
      std::optional<std::string_view> value = Str(amount["value"]);
      SetText(row, kAmountValue, value);
      if (value.has_value()) {
        SetInt(row, kAmountMicros, DecimalToMicros(*value, Rounding::kExact));
      }
      SetText(row, kCurrency, Str(amount["currency"]));
    }
  }
  Elem subject = doc["subject"];
  if (IsObject(subject)) {
    SetText(row, kSubjectType, Str(subject["type"]));
    if (std::optional<std::string_view> id = Str(subject["id"])) {
      const std::string key = SubjectKey(*id);
      SetText(row, kSubjectId, std::string_view(key));
    } else {
      // An encrypted id (an envelope object): the blind id stands in.
      SetText(row, kSubjectId, Str(subject["blind_id"]));
    }
  }
  Elem context = doc["context"];
  if (IsObject(context)) {
    present |= kHasContext;
    SetTime(row, kOccurredAt, kOccurredAtUs, Str(context["occurred_at"]));
    SetText(row, kEnvironment, Str(context["environment"]));
    SetText(row, kJobId, Str(context["job_id"]));
    SetText(row, kAppVersion, Str(context["app_version"]));
  }
  Elem outcome = doc["outcome"];
  if (IsObject(outcome)) {
    present |= kHasOutcome;
    if (Has(outcome["confirmed_at"])) present |= kHasOutcomeConfirmedAt;
    SetText(row, kOutcomeStatus, Str(outcome["status"]));
  }
  Elem retention = doc["retention"];
  if (IsObject(retention)) {
    SetText(row, kRetentionRegime, Str(retention["regime"]));
    SetText(row, kRetentionUntil, Str(retention["until"]));
  }

  Elem approval = doc["approval"];
  const bool is_approval_record = *kind == "approval";
  if (IsObject(approval)) {
    present |= kHasApproval;
    std::optional<std::string_view> mode = Str(approval["mode"]);
    std::optional<std::string_view> approver_id =
        Str(approval["approver"]["id"]);
    std::optional<std::string_view> rule_id = Str(approval["rule"]["id"]);
    if ((mode == "human" && approver_id.has_value()) ||
        (mode == "rule" && rule_id.has_value())) {
      present |= kHasApproverOrRule;
    }
    SetText(row, kApprover, approver_id);
    SetText(row, kApproverRole, Str(approval["approver"]["role"]));
    SetInt(row, kDecidedAtUs, [&]() -> std::optional<int64_t> {
      std::optional<std::string_view> at = Str(approval["decided_at"]);
      if (!at.has_value()) return std::nullopt;
      return TimeToMicros(*at);
    }());
    std::optional<std::string_view> decision = Str(approval["decision"]);
    if (is_approval_record) {
      SetText(row, kApprovalMode, std::string_view("human"));
      SetText(row, kDecision, decision);
      SetText(row, kApprovalDecision, decision);
      if (!approver_id.has_value()) {
        SetText(row, kApprover, Str(doc["recorded_by"]));
      }
    } else {
      SetText(row, kApprovalMode, mode);
      SetText(row, kRuleId, rule_id);
      SetText(row, kRuleVersion, Str(approval["rule"]["version"]));
      if (*kind == "action" && mode == "human") {
        SetText(row, kApprovalDecision,
                decision.has_value() ? *decision : std::string_view("approve"));
      }
    }
  } else if (is_approval_record) {
    SetText(row, kApprovalMode, std::string_view("human"));
    SetText(row, kApprover, Str(doc["recorded_by"]));
  }

  if (*kind == "proposal") {
    Elem gate = doc["gate"];
    if (IsObject(gate)) {
      std::optional<std::string_view> decision = Str(gate["decision"]);
      std::optional<std::string_view> rule_id = Str(gate["rule"]["id"]);
      SetText(row, kDecision, decision);
      SetText(row, kGateTier, Str(gate["tier"]));
      SetText(row, kPolicyVersion, Str(gate["policy_version"]));
      SetText(row, kRuleId, rule_id);
      SetText(row, kRuleVersion, Str(gate["rule"]["version"]));
      if (std::optional<std::string_view> exp = Str(gate["expires_at"])) {
        SetInt(row, kGateExpiresAtUs, TimeToMicros(*exp));
      }
      // docs/INDEX.md: the approval mode a gate decision implies.
      if (decision == "allow") {
        SetText(row, kApprovalMode,
                std::string_view(rule_id ? "rule" : "none"));
      } else if (decision == "pending_approval") {
        SetText(row, kApprovalMode, std::string_view("human"));
      } else if (decision == "deny") {
        SetText(row, kApprovalMode, std::string_view("none"));
      }
    }
  }
  if (*kind == "outcome") {
    SetText(row, kViolation, Str(doc["violation"]));
  }
  SetInt(row, kPresent, present);
  return Status::Ok();
}

}  // namespace actledger::index
