#include "actledger/record.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <initializer_list>

#include "common/id.h"
#include "common/time.h"

namespace actledger {
namespace {

using json::Value;

constexpr std::string_view kTriggerTypes[] = {"scheduled", "user_instruction",
                                              "event", "agent_decision"};
constexpr std::string_view kApprovalModes[] = {"human", "rule", "none"};
constexpr std::string_view kOutcomeStatuses[] = {"success", "failure", "error",
                                                 "pending"};
// Envelope members: set by the ledger, never accepted from a client.
constexpr std::string_view kEnvelopeKeys[] = {
    "seq", "recorded_at", "recorded_by", "gate", "retention"};

template <size_t N>
bool OneOf(std::string_view s, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

template <size_t N>
std::string ListOf(const std::string_view (&set)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += '"';
    out += set[i];
    out += '"';
  }
  return out;
}

std::string Join(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

// The checks shared by every object of the schema.
class Checker {
 public:
  explicit Checker(std::vector<std::string>* missing) : missing_(missing) {}

  // Rejects members not in `allowed`. Used on the record's top level only:
  // inside the seven fields, extra members are kept as extensions.
  Status OnlyKeys(const Value& obj, std::string_view path,
                  std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : obj.as_object()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string field = path.empty() ? key : Join(path, key);
        return InvalidArgument(
            "unknown top-level field (free-form data belongs in "
            "\"labels\", \"action.params\" or \"subject.attributes\")",
            field);
      }
    }
    return Status::Ok();
  }

  // Returns the member if present; a missing required member is recorded.
  const Value* Get(const Value& obj, std::string_view path,
                   std::string_view key, bool required) {
    const Value* v = obj.Find(key);
    if (v == nullptr && required) missing_->push_back(Join(path, key));
    return v;
  }

  static Status Type(const Value& v, const std::string& field,
                     Value::Type want) {
    if (v.type() == want) return Status::Ok();
    return InvalidArgument(std::string("must be a ") + Value::TypeName(want) +
                               ", not a " + Value::TypeName(v.type()),
                           field);
  }

  // A string member: present -> must be a non-empty string.
  Status String(const Value& obj, std::string_view path, std::string_view key,
                bool required, const Value** out = nullptr) {
    const Value* v = Get(obj, path, key, required);
    if (out != nullptr) *out = v;
    if (v == nullptr) return Status::Ok();
    std::string field = Join(path, key);
    ACTLEDGER_RETURN_IF_ERROR(Type(*v, field, Value::Type::kString));
    if (v->as_string().empty())
      return InvalidArgument("must not be empty", field);
    return Status::Ok();
  }

  Status Time(const Value& obj, std::string_view path, std::string_view key,
              bool required) {
    const Value* v = nullptr;
    ACTLEDGER_RETURN_IF_ERROR(String(obj, path, key, required, &v));
    if (v == nullptr) return Status::Ok();
    Result<UtcTime> t = ParseRfc3339Utc(v->as_string());
    if (!t.ok()) return InvalidArgument(t.status().message(), Join(path, key));
    return Status::Ok();
  }

  template <size_t N>
  Status Enum(const Value& obj, std::string_view path, std::string_view key,
              bool required, const std::string_view (&set)[N],
              const Value** out = nullptr) {
    const Value* v = nullptr;
    ACTLEDGER_RETURN_IF_ERROR(String(obj, path, key, required, &v));
    if (out != nullptr) *out = v;
    if (v == nullptr || OneOf(v->as_string(), set)) return Status::Ok();
    return InvalidArgument(
        "must be one of " + ListOf(set) + ", not \"" + v->as_string() + "\"",
        Join(path, key));
  }

  // An object member; returns nullptr when absent.
  Result<const Value*> Object(const Value& obj, std::string_view path,
                              std::string_view key, bool required) {
    const Value* v = Get(obj, path, key, required);
    if (v == nullptr) return v;
    ACTLEDGER_RETURN_IF_ERROR(
        Type(*v, path.empty() ? std::string(key) : Join(path, key),
             Value::Type::kObject));
    return v;
  }

 private:
  std::vector<std::string>* missing_;
};

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// "340.00", "-5", "0.5": optional minus, digits without leading zeros, an
// optional fraction. No exponent: money is exact.
bool IsDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  size_t int_len = i - int_start;
  if (int_len == 0 || (int_len > 1 && s[int_start] == '0')) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  ++i;
  size_t frac_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i == s.size() && i > frac_start;
}

bool IsDottedVerb(std::string_view s) {
  // Segments of [a-z0-9_-], separated by single dots.
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

Status CheckTrigger(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* t,
                             c.Object(rec, "", "trigger", true));
  if (t == nullptr) return Status::Ok();
  ACTLEDGER_RETURN_IF_ERROR(c.Enum(*t, "trigger", "type", true, kTriggerTypes));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*t, "trigger", "source", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*t, "trigger", "ref", false));
  return c.String(*t, "trigger", "initiated_by", false);
}

Status CheckModel(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* m, c.Object(rec, "", "model", true));
  if (m == nullptr) return Status::Ok();
  ACTLEDGER_RETURN_IF_ERROR(c.String(*m, "model", "provider", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*m, "model", "name", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*m, "model", "version", true));
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* pt,
                             c.Object(*m, "model", "prompt_template", true));
  if (pt == nullptr) return Status::Ok();
  const std::string path = "model.prompt_template";
  ACTLEDGER_RETURN_IF_ERROR(c.String(*pt, path, "id", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*pt, path, "version", true));
  const Value* sha = nullptr;
  ACTLEDGER_RETURN_IF_ERROR(c.String(*pt, path, "sha256", false, &sha));
  if (sha != nullptr &&
      (sha->as_string().size() != 64 || !IsLowerHex(sha->as_string()))) {
    return InvalidArgument("must be 64 lowercase hex digits", path + ".sha256");
  }
  return Status::Ok();
}

Status CheckAiOutput(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* o,
                             c.Object(rec, "", "ai_output", true));
  if (o == nullptr) return Status::Ok();
  ACTLEDGER_RETURN_IF_ERROR(c.String(*o, "ai_output", "decision", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*o, "ai_output", "reasoning", true));
  if (const Value* conf = c.Get(*o, "ai_output", "confidence", true)) {
    ACTLEDGER_RETURN_IF_ERROR(
        Checker::Type(*conf, "ai_output.confidence", Value::Type::kNumber));
    double d = conf->as_number();
    if (d < 0 || d > 1) {
      return InvalidArgument("must be a number between 0 and 1",
                             "ai_output.confidence");
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* scores,
                             c.Object(*o, "ai_output", "scores", false));
  if (scores != nullptr) {
    for (const auto& [name, v] : scores->as_object()) {
      ACTLEDGER_RETURN_IF_ERROR(Checker::Type(v, Join("ai_output.scores", name),
                                              Value::Type::kNumber));
    }
  }
  return Status::Ok();
}

Status CheckAction(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* a, c.Object(rec, "", "action", true));
  if (a == nullptr) return Status::Ok();
  const Value* type = nullptr;
  ACTLEDGER_RETURN_IF_ERROR(c.String(*a, "action", "type", true, &type));
  if (type != nullptr && !IsDottedVerb(type->as_string())) {
    return InvalidArgument(
        "must be a dotted verb of lowercase segments, e.g. \"payment.refund\"",
        "action.type");
  }
  ACTLEDGER_RETURN_IF_ERROR(c.String(*a, "action", "system", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*a, "action", "target", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*a, "action", "recipient", false));
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* amount,
                             c.Object(*a, "action", "amount", false));
  if (amount != nullptr) {
    const Value* value = amount->Find("value");
    if (value == nullptr) {
      return InvalidArgument("is required when an amount is given",
                             "action.amount.value");
    }
    if (value->is_number()) {
      return InvalidArgument(
          "money must be a decimal string such as \"340.00\", not a JSON "
          "number (numbers are binary floating point)",
          "action.amount.value");
    }
    ACTLEDGER_RETURN_IF_ERROR(
        Checker::Type(*value, "action.amount.value", Value::Type::kString));
    if (!IsDecimal(value->as_string())) {
      return InvalidArgument(
          "must be a decimal number such as \"340.00\" (digits, optional "
          "minus and fraction, no exponent)",
          "action.amount.value");
    }
    const Value* currency = amount->Find("currency");
    if (currency == nullptr) {
      return InvalidArgument("is required when an amount is given",
                             "action.amount.currency");
    }
    ACTLEDGER_RETURN_IF_ERROR(Checker::Type(*currency, "action.amount.currency",
                                            Value::Type::kString));
    const std::string& cur = currency->as_string();
    if (cur.size() != 3 || !std::all_of(cur.begin(), cur.end(), [](char ch) {
          return ch >= 'A' && ch <= 'Z';
        })) {
      return InvalidArgument(
          "must be an ISO 4217 code of three capital letters, e.g. \"USD\"",
          "action.amount.currency");
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* params,
                             c.Object(*a, "action", "params", false));
  (void)params;
  return Status::Ok();
}

Status CheckApproval(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* ap,
                             c.Object(rec, "", "approval", true));
  if (ap == nullptr) return Status::Ok();
  const Value* mode = nullptr;
  ACTLEDGER_RETURN_IF_ERROR(
      c.Enum(*ap, "approval", "mode", true, kApprovalModes, &mode));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*ap, "approval", "note", false));
  const std::string m = mode != nullptr ? mode->as_string() : "";
  const bool human = m == "human", rule = m == "rule";
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* approver,
                             c.Object(*ap, "approval", "approver", human));
  if (approver != nullptr) {
    if (!human) {
      return InvalidArgument("only allowed when approval.mode is \"human\"",
                             "approval.approver");
    }
    ACTLEDGER_RETURN_IF_ERROR(
        c.String(*approver, "approval.approver", "id", true));
    ACTLEDGER_RETURN_IF_ERROR(
        c.String(*approver, "approval.approver", "role", false));
  }
  if (ap->Find("decided_at") != nullptr && !human) {
    return InvalidArgument("only allowed when approval.mode is \"human\"",
                           "approval.decided_at");
  }
  ACTLEDGER_RETURN_IF_ERROR(c.Time(*ap, "approval", "decided_at", human));
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* r,
                             c.Object(*ap, "approval", "rule", rule));
  if (r != nullptr) {
    if (!rule) {
      return InvalidArgument("only allowed when approval.mode is \"rule\"",
                             "approval.rule");
    }
    ACTLEDGER_RETURN_IF_ERROR(c.String(*r, "approval.rule", "id", true));
    ACTLEDGER_RETURN_IF_ERROR(c.String(*r, "approval.rule", "version", true));
  }
  return Status::Ok();
}

Status CheckContext(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* ctx,
                             c.Object(rec, "", "context", true));
  if (ctx == nullptr) return Status::Ok();
  ACTLEDGER_RETURN_IF_ERROR(c.Time(*ctx, "context", "occurred_at", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*ctx, "context", "environment", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*ctx, "context", "job_id", true));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*ctx, "context", "app_version", true));
  for (auto [key, len] :
       {std::pair<std::string_view, size_t>{"trace_id", 32}, {"span_id", 16}}) {
    const Value* v = nullptr;
    ACTLEDGER_RETURN_IF_ERROR(c.String(*ctx, "context", key, false, &v));
    if (v == nullptr) continue;
    const std::string& s = v->as_string();
    if (s.size() != len || !IsLowerHex(s) || s == std::string(len, '0')) {
      return InvalidArgument("must be " + std::to_string(len) +
                                 " lowercase hex digits, not all zero (W3C "
                                 "Trace Context)",
                             Join("context", key));
    }
  }
  return Status::Ok();
}

Status CheckOutcome(Checker& c, const Value& rec, bool required) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* o,
                             c.Object(rec, "", "outcome", required));
  if (o == nullptr) return Status::Ok();
  ACTLEDGER_RETURN_IF_ERROR(
      c.Enum(*o, "outcome", "status", true, kOutcomeStatuses));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*o, "outcome", "external_id", false));
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* resp,
                             c.Object(*o, "outcome", "system_response", false));
  (void)resp;
  ACTLEDGER_RETURN_IF_ERROR(c.Time(*o, "outcome", "confirmed_at", false));
  if (const Value* err = o->Find("error")) {
    if (!err->is_string() && !err->is_object()) {
      return InvalidArgument("must be a string or an object", "outcome.error");
    }
  }
  return Status::Ok();
}

Status CheckSubject(Checker& c, const Value& rec) {
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* s,
                             c.Object(rec, "", "subject", false));
  if (s == nullptr) return Status::Ok();
  if (s->Find("type") == nullptr) {
    return InvalidArgument("is required when a subject is given",
                           "subject.type");
  }
  if (s->Find("id") == nullptr) {
    return InvalidArgument("is required when a subject is given", "subject.id");
  }
  ACTLEDGER_RETURN_IF_ERROR(c.String(*s, "subject", "type", false));
  ACTLEDGER_RETURN_IF_ERROR(c.String(*s, "subject", "id", false));
  ACTLEDGER_ASSIGN_OR_RETURN(const Value* attrs,
                             c.Object(*s, "subject", "attributes", false));
  (void)attrs;
  return Status::Ok();
}

}  // namespace

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kAction:
      return "action";
    case RecordKind::kProposal:
      return "proposal";
    case RecordKind::kApproval:
      return "approval";
    case RecordKind::kOutcome:
      return "outcome";
    case RecordKind::kPolicy:
      return "policy";
    case RecordKind::kHold:
      return "hold";
    case RecordKind::kErasure:
      return "erasure";
    case RecordKind::kPurge:
      return "purge";
    case RecordKind::kKey:
      return "key";
  }
  return "unknown";
}

Result<RecordKind> RecordKindFromName(std::string_view name) {
  for (RecordKind k :
       {RecordKind::kAction, RecordKind::kProposal, RecordKind::kApproval,
        RecordKind::kOutcome, RecordKind::kPolicy, RecordKind::kHold,
        RecordKind::kErasure, RecordKind::kPurge, RecordKind::kKey}) {
    if (name == RecordKindName(k)) return k;
  }
  return InvalidArgument("unknown kind \"" + std::string(name) + "\"", "kind");
}

Result<ValidatedRecord> ValidateRecord(std::string_view json_text,
                                       const ValidationOptions& options) {
  if (json_text.size() > options.max_record_bytes) {
    return ResourceExhausted("record is " + std::to_string(json_text.size()) +
                             " bytes; the limit is " +
                             std::to_string(options.max_record_bytes));
  }
  Result<Value> parsed = json::Parse(json_text);
  if (!parsed.ok()) {
    return InvalidArgument("malformed JSON: " + parsed.status().message(),
                           parsed.status().field());
  }
  return ValidateRecordValue(std::move(parsed).value(), options);
}

Result<ValidatedRecord> ValidateRecordValue(Value value,
                                            const ValidationOptions& options) {
  if (!value.is_object()) {
    return InvalidArgument(std::string("a record must be a JSON object, not ") +
                           Value::TypeName(value.type()));
  }
  ValidatedRecord out;
  for (std::string_view key : kEnvelopeKeys) {
    if (value.Find(key) != nullptr) {
      return InvalidArgument(
          "is set by the ledger and may not be supplied by a client",
          std::string(key));
    }
  }
  if (options.proposal) out.kind = RecordKind::kProposal;
  if (const Value* kind = value.Find("kind")) {
    ACTLEDGER_RETURN_IF_ERROR(
        Checker::Type(*kind, "kind", Value::Type::kString));
    ACTLEDGER_ASSIGN_OR_RETURN(RecordKind given,
                               RecordKindFromName(kind->as_string()));
    if (options.proposal && given != RecordKind::kProposal) {
      return InvalidArgument("the gate takes proposals; submit \"" +
                                 std::string(RecordKindName(given)) +
                                 "\" records with append",
                             "kind");
    }
    out.kind = given;
    if (!options.proposal && out.kind != RecordKind::kAction &&
        out.kind != RecordKind::kOutcome) {
      return InvalidArgument(
          std::string("records of kind \"") + RecordKindName(out.kind) +
              "\" are written by the ledger itself (proposals through the "
              "approval gate, approvals by an authenticated approver), not "
              "appended directly; use \"action\" or \"outcome\"",
          "kind");
    }
    value.Erase("kind");
  }

  if (const Value* id = value.Find("action_id")) {
    ACTLEDGER_RETURN_IF_ERROR(
        Checker::Type(*id, "action_id", Value::Type::kString));
    const std::string& s = id->as_string();
    if (s.empty() || s.size() > 128) {
      return InvalidArgument("must be 1 to 128 bytes long", "action_id");
    }
    if (std::any_of(s.begin(), s.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        })) {
      return InvalidArgument("must not contain control characters",
                             "action_id");
    }
    out.action_id = s;
  } else if (out.kind == RecordKind::kOutcome) {
    return InvalidArgument(
        "is required: an outcome names the action it confirms", "action_id");
  } else {
    out.action_id = NewUuidV7();
    out.action_id_generated = true;
    value.Set("action_id", Value::String(out.action_id));
  }

  Checker c(&out.missing);
  if (out.kind == RecordKind::kOutcome) {
    ACTLEDGER_RETURN_IF_ERROR(c.OnlyKeys(
        value, "", {"action_id", "outcome", "context", "labels", "subject"}));
    const Value* outcome = value.Find("outcome");
    if (outcome == nullptr) {
      return InvalidArgument("is required in an outcome record", "outcome");
    }
    if (outcome->is_object() && outcome->Find("status") == nullptr) {
      return InvalidArgument(
          "is required in an outcome record: it is what the record confirms",
          "outcome.status");
    }
    ACTLEDGER_RETURN_IF_ERROR(CheckOutcome(c, value, true));
    if (value.Find("context") != nullptr) {
      ACTLEDGER_RETURN_IF_ERROR(CheckContext(c, value));
    }
  } else if (out.kind == RecordKind::kProposal) {
    for (const char* later : {"approval", "outcome"}) {
      if (value.Find(later) != nullptr) {
        return InvalidArgument(
            std::string("a proposal has no ") + later +
                (std::string_view(later) == "approval"
                     ? ": the gate decides it"
                     : ": record it with `actledger outcome` after execution"),
            later);
      }
    }
    ACTLEDGER_RETURN_IF_ERROR(
        c.OnlyKeys(value, "",
                   {"action_id", "trigger", "model", "ai_output", "action",
                    "context", "subject", "labels"}));
    ACTLEDGER_RETURN_IF_ERROR(CheckTrigger(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckModel(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckAiOutput(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckAction(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckContext(c, value));
  } else {
    ACTLEDGER_RETURN_IF_ERROR(
        c.OnlyKeys(value, "",
                   {"action_id", "trigger", "model", "ai_output", "action",
                    "approval", "context", "outcome", "subject", "labels"}));
    ACTLEDGER_RETURN_IF_ERROR(CheckTrigger(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckModel(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckAiOutput(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckAction(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckApproval(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckContext(c, value));
    ACTLEDGER_RETURN_IF_ERROR(CheckOutcome(c, value, true));
  }
  ACTLEDGER_RETURN_IF_ERROR(CheckSubject(c, value));
  if (const Value* labels = value.Find("labels")) {
    ACTLEDGER_RETURN_IF_ERROR(
        Checker::Type(*labels, "labels", Value::Type::kObject));
  }
  for (std::string& m : out.missing) {
    if (m.front() == '.') m.erase(0, 1);
  }
  if (options.strict && !out.missing.empty()) {
    std::string list;
    for (const auto& m : out.missing) list += (list.empty() ? "" : ", ") + m;
    return InvalidArgument("strict mode: required parts are missing: " + list,
                           out.missing.front());
  }
  out.body = std::move(value);
  return out;
}

CanonicalBody::CanonicalBody(const json::Value& body) {
  members_.reserve(body.as_object().size() + 6);
  for (const auto& [key, value] : body.as_object()) {
    const size_t offset = text_.size();
    json::AppendCanonicalString(key, &text_);
    text_.push_back(':');
    json::AppendCanonical(value, &text_);
    members_.push_back(Member{key, offset, text_.size() - offset});
  }
  bytes_ = text_.size() + members_.size();
  std::sort(members_.begin(), members_.end(),
            [](const Member& x, const Member& y) {
              return json::KeyLess(x.key, y.key);
            });
}

void CanonicalBody::Add(std::string key, const std::string& canonical_value) {
  const size_t offset = text_.size();
  json::AppendCanonicalString(key, &text_);
  text_.push_back(':');
  text_.append(canonical_value);
  bytes_ += text_.size() - offset + 1;
  auto pos = std::lower_bound(members_.begin(), members_.end(), key,
                              [](const Member& x, const std::string& k) {
                                return json::KeyLess(x.key, k);
                              });
  members_.insert(pos, Member{std::move(key), offset, text_.size() - offset});
}

std::string CanonicalBody::Render(const std::vector<Extra>& extra) const {
  std::vector<Extra> sorted = extra;
  std::sort(sorted.begin(), sorted.end(), [](const Extra& a, const Extra& b) {
    return json::KeyLess(a.first, b.first);
  });
  std::string out;
  RenderTo(sorted, &out);
  return out;
}

void CanonicalBody::RenderTo(std::span<const Extra> sorted_extra,
                             std::string* out) const {
  assert(std::is_sorted(sorted_extra.begin(), sorted_extra.end(),
                        [](const Extra& a, const Extra& b) {
                          return json::KeyLess(a.first, b.first);
                        }));
  size_t size = bytes_ + 2;
  for (const auto& [k, v] : sorted_extra) size += k.size() + v.size() + 8;
  out->reserve(out->size() + size);
  out->push_back('{');
  bool first = true;
  size_t i = 0, j = 0;
  while (i < members_.size() || j < sorted_extra.size()) {
    if (!first) out->push_back(',');
    first = false;
    if (j == sorted_extra.size() ||
        (i < members_.size() &&
         json::KeyLess(members_[i].key, sorted_extra[j].first))) {
      out->append(text_, members_[i].offset, members_[i].size);
      ++i;
    } else {
      json::AppendCanonicalString(sorted_extra[j].first, out);
      out->push_back(':');
      out->append(sorted_extra[j].second);
      ++j;
    }
  }
  out->push_back('}');
}

namespace {

// Index of the '"' that closes the string whose opening quote is at
// json[open], or npos. memchr jumps over string content, which is most of
// a record, so this runs near memory speed.
size_t StringEnd(std::string_view json, size_t open) {
  size_t j = open + 1;
  while (j < json.size()) {
    const void* q = std::memchr(json.data() + j, '"', json.size() - j);
    if (q == nullptr) return std::string_view::npos;
    j = static_cast<size_t>(static_cast<const char*>(q) - json.data());
    size_t backslashes = 0;
    while (j - backslashes > open + 1 && json[j - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) return j;
    ++j;
  }
  return std::string_view::npos;
}

// Index of the '"' that opens the string whose closing quote is at
// json[close], or npos. In JSON a quote inside a string is escaped, so the
// opening quote is the nearest one before that follows an even number of
// backslashes (none, in fact: it follows ':', ',', '[' or '{').
size_t StringStart(std::string_view json, size_t close) {
  size_t k = close;
  while (k > 0) {
    const void* q = ::memrchr(json.data(), '"', k);
    if (q == nullptr) return std::string_view::npos;
    k = static_cast<size_t>(static_cast<const char*>(q) - json.data());
    size_t backslashes = 0;
    while (k - backslashes > 0 && json[k - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) return k;
  }
  return std::string_view::npos;
}

// Whether the key string json[open, close] (quotes included) is `key`.
bool KeyIs(std::string_view json, size_t open, size_t close,
           std::string_view key) {
  const std::string_view str = json.substr(open + 1, close - open - 1);
  if (str.find('\\') == std::string_view::npos) return str == key;
  // Escaped key: compare its decoded text (rare; slow path).
  Result<json::Value> decoded =
      json::Parse(json.substr(open, close - open + 1));
  return decoded.ok() && decoded->is_string() && decoded->as_string() == key;
}

}  // namespace

std::string_view FindTopLevelMember(std::string_view json,
                                    std::string_view key) {
  // Walks the top-level object: at depth 1, a string directly after '{' or
  // ',' is a key. Strings are skipped whole, so braces inside them do not
  // count.
  int depth = 0;
  bool expect_key = false;
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {
      const size_t end = StringEnd(json, i);
      if (end == std::string_view::npos) return {};
      const bool is_key = depth == 1 && expect_key;
      const size_t open = i;
      i = end + 1;
      if (!is_key) continue;
      expect_key = false;
      if (i >= json.size() || json[i] != ':') continue;
      if (!KeyIs(json, open, end, key)) continue;
      // The value runs to the ',' or '}' that closes it at this depth.
      const size_t vstart = i + 1;
      size_t j = vstart;
      int d = 0;
      while (j < json.size()) {
        const char cj = json[j];
        if (cj == '"') {
          j = StringEnd(json, j);
          if (j == std::string_view::npos) return {};
        } else if (cj == '{' || cj == '[') {
          ++d;
        } else if (cj == '}' || cj == ']') {
          if (d == 0) break;
          --d;
        } else if (cj == ',' && d == 0) {
          break;
        }
        ++j;
      }
      return json.substr(vstart, std::min(j, json.size()) - vstart);
    }
    if (c == '{' || c == '[') {
      ++depth;
      expect_key = c == '{' && depth == 1;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    }
    ++i;
  }
  return {};
}

std::string_view FindTopLevelMemberFromEnd(std::string_view json,
                                           std::string_view key) {
  // Walks the top-level object backwards from its closing brace. Strings
  // are skipped whole (from their closing quote to their opening one); at
  // depth 1 a string followed by ':' is a key, whose value runs to
  // `value_end`, the ',' or '}' after it.
  if (json.empty() || json.back() != '}') return {};
  int depth = 1;
  size_t value_end = json.size() - 1;
  size_t j = json.size() - 1;
  while (j > 0) {
    --j;
    const char c = json[j];
    if (c == '"') {
      const size_t open = StringStart(json, j);
      if (open == std::string_view::npos) return {};
      if (depth == 1 && json[j + 1] == ':') {
        if (KeyIs(json, open, j, key)) {
          return json.substr(j + 2, value_end - (j + 2));
        }
        if (open == 0) return {};
        value_end = open - 1;
      }
      j = open;
    } else if (c == '}' || c == ']') {
      ++depth;
    } else if (c == '{' || c == '[') {
      if (--depth == 0) return {};
    }
  }
  return {};
}

}  // namespace actledger
