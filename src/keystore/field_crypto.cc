// Personal field envelopes (docs/ERASURE.md, "Encrypted fields").
#include "keystore/field_crypto.h"

#include <algorithm>

#include "common/encoding.h"
#include "keystore/primitives.h"

namespace actledger::keystore {
namespace {

using json::Value;

// What must stay readable without keys: the ledger's envelope, the gate's
// and the retention engine's inputs, the index's subject lookup.
constexpr std::string_view kClearPaths[] = {
    "subject.type", "subject.blind_id", "action.type", "action_id",
    "kind",         "personal",         "seq",         "recorded_at",
    "recorded_by",  "retention",        "gate",        "purged",
    "leaf_hash"};

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// Whether `a` is `b` or an ancestor of it ("subject" of "subject.type").
bool Covers(std::string_view a, std::string_view b) {
  return b == a || (b.size() > a.size() && b.substr(0, a.size()) == a &&
                    b[a.size()] == '.');
}

std::string FieldAad(std::string_view path, std::string_view kid,
                     uint32_t version) {
  std::string aad = "actledger/field/v1";
  aad += '\0';
  aad += path;
  aad += '\0';
  aad += kid;
  aad += '\0';
  aad += std::to_string(version);
  return aad;
}

// The value at `path`, or null when absent (or a parent is no object).
Value* At(Value* record, std::string_view path) {
  Value* v = record;
  for (std::string_view seg : Split(path)) {
    if (!v->is_object()) return nullptr;
    v = v->Find(seg);
    if (v == nullptr) return nullptr;
  }
  return v;
}

// Sorted, valid, and without paths another listed path covers.
Result<std::vector<std::string>> Normalize(
    const std::vector<std::string>& paths) {
  ACTLEDGER_RETURN_IF_ERROR(ValidatePersonalFields(paths));
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::string> out;
  for (const std::string& p : sorted) {
    // Sorted order puts an ancestor ("a.b") before its descendants
    // ("a.b.c"), though not always directly before them ("a.b-x" may sit
    // between), so check every kept path.
    if (std::none_of(out.begin(), out.end(), [&](const std::string& kept) {
          return Covers(kept, p);
        })) {
      out.push_back(p);
    }
  }
  return out;
}

Status Malformed(std::string_view path, const std::string& what) {
  return Status(StatusCode::kDataLoss,
                "encrypted field " + std::string(path) + ": " + what,
                std::string(path));
}

// Members only the ledger writes: a client that sends them could make a
// record look encrypted, or file it under another subject's blind id.
Status CheckNotLedgerWritten(const Value& record) {
  if (record.Find(kPersonalMember) != nullptr) {
    return InvalidArgument(
        "\"personal\" is written by the ledger, not by clients",
        kPersonalMember);
  }
  if (record.FindPath("subject.blind_id") != nullptr) {
    return InvalidArgument(
        "subject.blind_id is written by the ledger, not by clients",
        "subject.blind_id");
  }
  return Status::Ok();
}

}  // namespace

Status ValidatePersonalFields(const std::vector<std::string>& paths) {
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string field = "personal_fields[" + std::to_string(i) + "]";
    const std::string& p = paths[i];
    for (std::string_view seg : Split(p)) {
      if (seg.empty()) {
        return InvalidArgument("\"" + p +
                                   "\" is not a dotted field path such as "
                                   "subject.attributes",
                               field);
      }
    }
    for (std::string_view clear : kClearPaths) {
      if (Covers(p, clear) || Covers(clear, p)) {
        return InvalidArgument(
            "\"" + p + "\" cannot be personal: " + std::string(clear) +
                " must stay readable without keys (list subject.id and "
                "subject.attributes instead of subject)",
            field);
      }
    }
  }
  return Status::Ok();
}

std::optional<std::string> SubjectOf(const Value& record) {
  const Value* type = record.FindPath("subject.type");
  const Value* id = record.FindPath("subject.id");
  if (type == nullptr || id == nullptr || !type->is_string() ||
      !id->is_string() || type->as_string().empty() ||
      id->as_string().empty() ||
      type->as_string().find(':') != std::string::npos) {
    return std::nullopt;
  }
  return type->as_string() + ":" + id->as_string();
}

Result<EncryptResult> EncryptFields(Value* record,
                                    const std::vector<std::string>& paths,
                                    const SubjectKey& key) {
  if (!record->is_object()) {
    return InvalidArgument("a record is a JSON object");
  }
  ACTLEDGER_RETURN_IF_ERROR(CheckNotLedgerWritten(*record));
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> normalized,
                             Normalize(paths));
  EncryptResult result;
  result.blind_id = key.blind_id;
  result.version = key.version;
  for (const std::string& path : normalized) {
    Value* v = At(record, path);
    if (v == nullptr) continue;
    ACTLEDGER_ASSIGN_OR_RETURN(std::string iv,
                               internal::RandBytes(internal::kIvBytes));
    std::string plain = json::Canonical(*v);
    const std::string sealed = internal::SealGcm(
        key.key.view(), iv, FieldAad(path, key.blind_id, key.version), plain);
    internal::Wipe(&plain);
    Value env = Value::MakeObject();
    env.Set("ct", Value::String(Base64Encode(sealed)));
    env.Set("enc", Value::String(kEncAlgorithm));
    env.Set("iv", Value::String(Base64Encode(iv)));
    env.Set("kid", Value::String(key.blind_id));
    env.Set("kv", Value::Number(key.version));
    *v = std::move(env);
    result.encrypted.push_back(path);
  }
  if (result.encrypted.empty()) return result;
  if (Value* subject = record->Find("subject");
      subject != nullptr && subject->is_object()) {
    subject->Set("blind_id", Value::String(key.blind_id));
  }
  Value fields = Value::MakeArray();
  for (const std::string& p : result.encrypted) {
    fields.as_array().push_back(Value::String(p));
  }
  Value personal = Value::MakeObject();
  personal.Set("fields", std::move(fields));
  personal.Set("kid", Value::String(key.blind_id));
  personal.Set("kv", Value::Number(key.version));
  record->Set(kPersonalMember, std::move(personal));
  return result;
}

std::optional<std::string> FirstPresent(const Value& record,
                                        const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (record.FindPath(p) != nullptr) return p;
  }
  return std::nullopt;
}

Result<EncryptResult> EncryptRecord(Value* record,
                                    const std::vector<std::string>& paths,
                                    KeyStore& keys, std::string_view subject) {
  ACTLEDGER_RETURN_IF_ERROR(CheckNotLedgerWritten(*record));
  std::optional<std::string> s =
      subject.empty() ? SubjectOf(*record) : std::string(subject);
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> normalized,
                             Normalize(paths));
  const bool any = std::any_of(
      normalized.begin(), normalized.end(),
      [&](const std::string& p) { return At(record, p) != nullptr; });
  if (!s.has_value() || !any) return EncryptResult{};
  ACTLEDGER_ASSIGN_OR_RETURN(SubjectKey key, keys.GetOrCreate(*s));
  return EncryptFields(record, normalized, key);
}

View ViewForRoles(const std::vector<std::string>& roles,
                  const std::vector<std::string>& redacted_roles) {
  for (const std::string& r : roles) {
    if (std::find(redacted_roles.begin(), redacted_roles.end(), r) ==
        redacted_roles.end()) {
      return View::kPlaintext;
    }
  }
  return View::kRedactedOnly;
}

Result<DecryptResult> DecryptRecord(Value* record, KeyStore* keys, View view) {
  DecryptResult result;
  const Value* personal =
      record->is_object() ? record->Find(kPersonalMember) : nullptr;
  if (personal == nullptr) return result;
  const Value* fields = personal->Find("fields");
  const Value* kid = personal->Find("kid");
  const Value* kv = personal->Find("kv");
  if (!personal->is_object() || fields == nullptr || !fields->is_array() ||
      kid == nullptr || !kid->is_string() || kv == nullptr ||
      !kv->is_number() || kv->as_number() < 1 ||
      kv->as_number() > 4294967295.0) {
    return Malformed(kPersonalMember,
                     "want {\"fields\":[paths],\"kid\":hex,\"kv\":N}");
  }
  const std::string key_id = kid->as_string();
  const auto version = static_cast<uint32_t>(kv->as_number());
  std::optional<KeyLookup> lookup;
  std::vector<std::string> paths;
  for (const Value& f : fields->as_array()) {
    if (!f.is_string())
      return Malformed(kPersonalMember, "a path is no string");
    paths.push_back(f.as_string());
  }
  for (const std::string& path : paths) {
    Value* v = At(record, path);
    if (v == nullptr) return Malformed(path, "listed in personal but absent");
    const Value* enc = v->Find("enc");
    const Value* iv = v->Find("iv");
    const Value* ct = v->Find("ct");
    const Value* ekid = v->Find("kid");
    const Value* ekv = v->Find("kv");
    if (!v->is_object() || enc == nullptr || !enc->is_string() ||
        enc->as_string() != kEncAlgorithm || iv == nullptr ||
        !iv->is_string() || ct == nullptr || !ct->is_string() ||
        ekid == nullptr || !ekid->is_string() || ekid->as_string() != key_id ||
        ekv == nullptr || !ekv->is_number() ||
        ekv->as_number() != kv->as_number()) {
      return Malformed(path, "not an aes-256-gcm envelope of key " + key_id +
                                 " version " + std::to_string(version));
    }
    if (view == View::kRedactedOnly) {
      *v = Value::String(kRedacted);
      result.redacted.push_back(path);
      continue;
    }
    if (keys == nullptr) {
      return FailedPrecondition("decrypting " + path + " needs the key store");
    }
    if (!lookup.has_value()) {
      ACTLEDGER_ASSIGN_OR_RETURN(KeyLookup l, keys->Find(key_id, version));
      lookup = std::move(l);
    }
    if (lookup->state == KeyLookup::State::kErased) {
      *v = Value::String(kErased);
      result.erased.push_back(path);
      continue;
    }
    if (lookup->state == KeyLookup::State::kUnknown) {
      return Malformed(path, "the key store has no key " + key_id +
                                 " version " + std::to_string(version) +
                                 " (another ledger's key store, or keys lost)");
    }
    Result<std::string> ivb = Base64Decode(iv->as_string());
    Result<std::string> ctb = Base64Decode(ct->as_string());
    if (!ivb.ok() || !ctb.ok())
      return Malformed(path, "iv or ct is not base64");
    Result<std::string> plain = internal::OpenGcm(
        lookup->key.view(), *ivb, FieldAad(path, key_id, version), *ctb);
    if (!plain.ok()) {
      return Malformed(path,
                       "does not authenticate under the subject's key "
                       "(changed, or moved from another field)");
    }
    Result<Value> value = json::Parse(*plain);
    internal::Wipe(&*plain);
    if (!value.ok()) return Malformed(path, "decrypts to invalid JSON");
    *v = std::move(value).value();
    result.decrypted.push_back(path);
  }
  return result;
}

Result<Value> DecryptStored(std::string_view stored, KeyStore* keys,
                            View view) {
  ACTLEDGER_ASSIGN_OR_RETURN(Value v, json::Parse(stored));
  ACTLEDGER_RETURN_IF_ERROR(DecryptRecord(&v, keys, view).status());
  return v;
}

}  // namespace actledger::keystore
