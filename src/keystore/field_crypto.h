// Encryption of a record's personal fields under its data subject's key,
// and the reverse for readers (docs/ERASURE.md, "Encrypted fields").
//
// Encryption happens on the record body after validation and BEFORE
// canonicalization, so the leaf hash covers the ciphertext and an erasure
// (destroying the key) never changes a stored byte:
//
//   Result<ValidatedRecord> rec = ValidateRecord(line, {});
//   ACTLEDGER_ASSIGN_OR_RETURN(
//       keystore::EncryptResult e,
//       keystore::EncryptRecord(&rec->body, policy.personal_fields(), *ks));
//   AppendRequest req = Ledger::Prepare(std::move(*rec));
//
// Each present personal field's value becomes an envelope
//   {"ct":"<b64>","enc":"aes-256-gcm","iv":"<b64>","kid":"<blind id>","kv":N}
// and the record gains
//   "personal":{"fields":["action.recipient","subject.id"],"kid":...,"kv":N}
//   "subject":{"blind_id":"<blind id>","id":{envelope},"type":"customer"}
// `subject.type` stays in the clear; `personal` is the list a reader trusts
// (never an envelope-shaped value elsewhere in the record).
//
// Reading: DecryptRecord() turns the envelopes back into values, into
// "[erased]" when the subject's key was destroyed, or into "[redacted]"
// for principals who may see redacted values only.
//
// Thread safety: free functions; the KeyStore is thread-safe.
#ifndef ACTLEDGER_KEYSTORE_FIELD_CRYPTO_H_
#define ACTLEDGER_KEYSTORE_FIELD_CRYPTO_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/json.h"
#include "actledger/status.h"
#include "keystore/keystore.h"

namespace actledger::keystore {

constexpr char kEncAlgorithm[] = "aes-256-gcm";
constexpr char kErased[] = "[erased]";
constexpr char kRedacted[] = "[redacted]";
// The top-level member naming what was encrypted.
constexpr char kPersonalMember[] = "personal";

// Checks a policy's personal_fields: dotted paths of non-empty segments,
// none of which is (or contains) what the ledger, the gate or the index
// must read in the clear, or lies inside it: subject.type,
// subject.blind_id, action.type, action_id, kind, personal and the
// envelope members. Errors:
// kInvalidArgument with field "personal_fields[i]".
Status ValidatePersonalFields(const std::vector<std::string>& paths);

// "TYPE:ID" from the record's subject.type and subject.id (both strings),
// or nullopt.
std::optional<std::string> SubjectOf(const json::Value& record);

// The first of `paths` (personal_fields) present in `record`, or nullopt.
std::optional<std::string> FirstPresent(const json::Value& record,
                                        const std::vector<std::string>& paths);

struct EncryptResult {
  std::vector<std::string> encrypted;  // paths, sorted; empty: untouched
  std::string blind_id;
  uint32_t version = 0;
};

// Encrypts the personal fields present in `record` (an object) under
// `key`, as described above. Paths under another listed path are covered
// by it. Nothing changes when no listed field is present. Errors:
// kInvalidArgument when `record` has a `personal` member already or a path
// is invalid.
Result<EncryptResult> EncryptFields(json::Value* record,
                                    const std::vector<std::string>& paths,
                                    const SubjectKey& key);

// EncryptFields with the key of the record's subject (or `subject`, for
// records that name their subject only through their action, such as
// outcomes), created when new. When no subject is known, or no personal
// field is present, the record is left as it is and the result is empty.
Result<EncryptResult> EncryptRecord(json::Value* record,
                                    const std::vector<std::string>& paths,
                                    KeyStore& keys,
                                    std::string_view subject = {});

enum class View { kPlaintext, kRedactedOnly };

// kRedactedOnly when every role of the principal is in `redacted_roles` (and
// for a principal with no role at all: fail closed), else kPlaintext.
View ViewForRoles(const std::vector<std::string>& roles,
                  const std::vector<std::string>& redacted_roles);

struct DecryptResult {
  std::vector<std::string> decrypted, erased, redacted;  // paths
};

// Replaces the envelopes `personal.fields` lists. `keys` may be null for
// kRedactedOnly. Errors: kDataLoss naming the field when an envelope is
// malformed, its key is unknown (the key store is not this ledger's or lost
// keys) or authentication fails (tampering, or a field moved to another
// path).
Result<DecryptResult> DecryptRecord(json::Value* record, KeyStore* keys,
                                    View view);
// The same for stored canonical bytes; returns the readable record.
Result<json::Value> DecryptStored(std::string_view stored, KeyStore* keys,
                                  View view);

}  // namespace actledger::keystore

#endif  // ACTLEDGER_KEYSTORE_FIELD_CRYPTO_H_
