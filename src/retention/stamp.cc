// The `retention` envelope member: regime, until, and the policy version
// that decided them.
#include <map>
#include <mutex>

#include "retention/retention.h"

namespace actledger::retention {
namespace {

using json::Value;

bool IsSystemKind(RecordKind kind) {
  return kind == RecordKind::kPolicy || kind == RecordKind::kHold ||
         kind == RecordKind::kErasure || kind == RecordKind::kPurge ||
         kind == RecordKind::kKey;
}

std::string_view StringAt(const Value& body, std::string_view path) {
  const Value* v = body.FindPath(path);
  return v != nullptr && v->is_string() ? std::string_view(v->as_string())
                                        : std::string_view();
}

// `until` is stored to the second, rounded up so that it never ends before
// the period does.
std::string FormatUntil(UtcTime t) {
  if (t.nanos > 0) {
    ++t.seconds;
    t.nanos = 0;
  }
  return FormatRfc3339Utc(t, 0);
}

}  // namespace

Stamper::Stamper() : retention_(policy::RetentionPolicy::Defaults()) {}

Stamper::Stamper(policy::RetentionPolicy retention,
                 std::optional<policy::Policy> gate_policy,
                 std::string policy_version)
    : retention_(std::move(retention)),
      gate_policy_(std::move(gate_policy)),
      policy_version_(std::move(policy_version)) {}

Result<std::shared_ptr<const Stamper>> Stamper::ForLedger(
    const Ledger& ledger, state::StateStore& state) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::PolicyInfo> info,
                             state.ActivePolicy());
  if (!info.has_value()) return std::make_shared<const Stamper>();
  // Parsing YAML per record would dominate appends: one stamper per policy
  // content, kept for the process's lifetime (policies are few).
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Stamper>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(info->sha256); it != cache.end()) {
      return it->second;
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes,
                             ledger.Get(static_cast<uint64_t>(info->seq)));
  ACTLEDGER_ASSIGN_OR_RETURN(Value rec, json::Parse(bytes));
  const Value* text = rec.FindPath("policy.text");
  if (text == nullptr || !text->is_string()) {
    return DataLoss("policy record " + std::to_string(info->seq) +
                    " has no policy text (policy.text)");
  }
  const std::string source = "policy record " + std::to_string(info->seq);
  ACTLEDGER_ASSIGN_OR_RETURN(
      policy::RetentionPolicy retention,
      policy::RetentionPolicy::Parse(text->as_string(), source));
  std::optional<policy::Policy> gate_policy;
  if (retention.uses_classes()) {
    ACTLEDGER_ASSIGN_OR_RETURN(
        policy::Policy p, policy::Policy::Parse(text->as_string(), source));
    gate_policy = std::move(p);
  }
  std::string version = retention.from_file() ? info->version : "";
  auto stamper = std::make_shared<const Stamper>(
      std::move(retention), std::move(gate_policy), std::move(version));
  std::lock_guard<std::mutex> lock(mu);
  cache.emplace(info->sha256, stamper);
  return stamper;
}

std::string Stamper::EnvelopeJson(RecordKind kind, const Value& body,
                                  UtcTime now,
                                  std::string_view action_type_hint) const {
  if (IsSystemKind(kind)) {
    return std::string("{\"regime\":\"") + kLedgerRegime + "\",\"until\":null}";
  }
  policy::RetentionFacts facts;
  facts.action_type = StringAt(body, "action.type");
  if (facts.action_type.empty()) facts.action_type = action_type_hint;
  facts.subject_type = StringAt(body, "subject.type");
  policy::Decision decision;
  if (gate_policy_.has_value() && !facts.action_type.empty()) {
    Value probe = Value::MakeObject();
    Value action = Value::MakeObject();
    action.Set("type", Value::String(std::string(facts.action_type)));
    probe.Set("action", std::move(action));
    gate_policy_->Evaluate(probe, now, &decision);
    facts.class_name = decision.class_name;
  }
  const policy::RetentionAssignment a = retention_.Assign(facts, now);
  std::string out = "{";
  if (!policy_version_.empty()) {
    out += "\"policy\":";
    json::AppendCanonicalString(policy_version_, &out);
    out += ",";
  }
  out += "\"regime\":";
  json::AppendCanonicalString(a.regime, &out);
  out += ",\"until\":\"" + FormatUntil(a.until) + "\"}";
  return out;
}

AppendRequest Stamper::Prepare(ValidatedRecord record, UtcTime now,
                               std::string_view action_type_hint) const {
  std::string envelope =
      EnvelopeJson(record.kind, record.body, now, action_type_hint);
  AppendRequest req = Ledger::Prepare(std::move(record));
  req.body.Add("retention", envelope);
  return req;
}

Result<AppendRequest> Stamper::PrepareRecord(
    ValidatedRecord record, UtcTime now, const EncryptionContext& enc,
    std::string_view action_type_hint) const {
  const std::vector<std::string>& paths = retention_.personal_fields();
  std::optional<std::string> present =
      paths.empty() ? std::nullopt : keystore::FirstPresent(record.body, paths);
  if (!present.has_value()) {
    return Prepare(std::move(record), now, action_type_hint);
  }
  // The envelope reads subject.type and action.type, which stay clear;
  // computed first all the same, from the body as the client sent it.
  std::string envelope =
      EnvelopeJson(record.kind, record.body, now, action_type_hint);
  if (enc.keys == nullptr) {
    return FailedPrecondition(
        *present + " is personal data and this writer has no key store");
  }
  if (keystore::SubjectOf(record.body).has_value()) {
    ACTLEDGER_ASSIGN_OR_RETURN(keystore::KeyStore * ks, enc.keys->Get());
    ACTLEDGER_RETURN_IF_ERROR(
        keystore::EncryptRecord(&record.body, paths, *ks).status());
  } else {
    std::optional<keystore::SubjectKey> key;
    if (enc.action_subject && !record.action_id.empty()) {
      ACTLEDGER_ASSIGN_OR_RETURN(key, enc.action_subject(record.action_id));
    }
    if (!key.has_value()) {
      return InvalidArgument(
          *present +
              " is personal data (the policy's personal_fields), but the "
              "record names no data subject (subject.type and subject.id) "
              "and neither does its action, so it could never be erased",
          *present);
    }
    ACTLEDGER_RETURN_IF_ERROR(
        keystore::EncryptFields(&record.body, paths, *key).status());
  }
  AppendRequest req = Ledger::Prepare(std::move(record));
  req.body.Add("retention", envelope);
  return req;
}

Result<std::optional<keystore::SubjectKey>> ActionSubjectKey(
    const Ledger& ledger, state::StateStore& state, keystore::WriterKeys& keys,
    const std::string& action_id) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::ActionState> a,
                             state.Action(action_id));
  if (!a.has_value() || a->timeline.empty())
    return std::optional<keystore::SubjectKey>();
  ACTLEDGER_ASSIGN_OR_RETURN(
      std::string stored,
      ledger.Get(static_cast<uint64_t>(a->timeline.front())));
  ACTLEDGER_ASSIGN_OR_RETURN(Value first, json::Parse(stored));
  ACTLEDGER_ASSIGN_OR_RETURN(keystore::KeyStore * ks, keys.Get());
  if (std::optional<std::string> subject = keystore::SubjectOf(first)) {
    ACTLEDGER_ASSIGN_OR_RETURN(keystore::SubjectKey k,
                               ks->GetOrCreate(*subject));
    return std::optional<keystore::SubjectKey>(std::move(k));
  }
  const Value* kid = first.FindPath("personal.kid");
  const Value* kv = first.FindPath("personal.kv");
  if (kid == nullptr || !kid->is_string() || kv == nullptr ||
      !kv->is_number()) {
    return std::optional<keystore::SubjectKey>();
  }
  const auto version = static_cast<uint32_t>(kv->as_number());
  ACTLEDGER_ASSIGN_OR_RETURN(keystore::KeyLookup l,
                             ks->Find(kid->as_string(), version));
  if (l.state != keystore::KeyLookup::State::kLive) {
    return FailedPrecondition("the data subject of action " + action_id +
                              " was erased; its records take no new "
                              "personal data");
  }
  keystore::SubjectKey k;
  k.blind_id = kid->as_string();
  k.version = version;
  k.key = l.key;
  return std::optional<keystore::SubjectKey>(std::move(k));
}

Result<std::shared_ptr<const Stamper>> StamperFor(const Ledger& ledger) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::unique_ptr<state::StateStore> state,
                             state::StateStore::Open(ledger.dir()));
  ACTLEDGER_RETURN_IF_ERROR(state->CatchUp(ledger));
  return Stamper::ForLedger(ledger, *state);
}

Result<AppendRequest> PrepareWithRetention(const Ledger& ledger,
                                           state::StateStore& state,
                                           keystore::WriterKeys* keys,
                                           ValidatedRecord record) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::shared_ptr<const Stamper> stamper,
                             Stamper::ForLedger(ledger, state));
  std::string hint;
  if ((record.kind == RecordKind::kOutcome ||
       record.kind == RecordKind::kApproval) &&
      record.body.FindPath("action.type") == nullptr &&
      !record.action_id.empty()) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::ActionState> a,
                               state.Action(record.action_id));
    if (a.has_value()) hint = a->action_type;
  }
  EncryptionContext enc;
  enc.keys = keys;
  if (keys != nullptr) {
    enc.action_subject = [&](const std::string& action_id) {
      return ActionSubjectKey(ledger, state, *keys, action_id);
    };
  }
  return stamper->PrepareRecord(std::move(record), NowUtc(), enc, hint);
}

}  // namespace actledger::retention
