// The Execute Action Audit Standard record: validation and the
// missing-field report (PRODUCT.md section 1).
//
// The pipeline from input to stored bytes is:
//
//   line --ValidateRecord--> ValidatedRecord --(field transforms: the place
//   where personal fields get encrypted)--> CanonicalBody --(ledger adds the
//   envelope: seq, kind, recorded_at, recorded_by)--> canonical leaf bytes
//
// Validation is all-or-nothing: a rejected record yields one Status naming
// the field (dotted path) and the reason, and nothing is stored.
//
//   Result<ValidatedRecord> r = ValidateRecord(line, {});
//   if (!r.ok()) Print(r.status().field(), r.status().message());
//
// Thread safety: free functions, reentrant.
#ifndef ACTLEDGER_RECORD_H_
#define ACTLEDGER_RECORD_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/status.h"

namespace actledger {

// Kinds a client may submit, and the kinds the ledger writes itself.
enum class RecordKind {
  kAction,    // complete after-the-fact record with all seven fields
  kProposal,  // fields 1-4 and 6, before execution; gets a gate decision
  kApproval,  // a human's approve/reject of a proposal
  kOutcome,   // field 7 for an action_id
  kPolicy,    // system kinds:
  kHold,
  kErasure,
  kPurge,
  kKey,
};

const char* RecordKindName(RecordKind kind);
// Errors: kInvalidArgument for an unknown name.
Result<RecordKind> RecordKindFromName(std::string_view name);

struct ValidationOptions {
  // Records over this many bytes of input are rejected.
  size_t max_record_bytes = size_t{256} * 1024;
  // Reject records with missing seven-field parts instead of listing them.
  bool strict = false;
  // Validate a proposal for the approval gate instead: `kind` absent or
  // "proposal"; fields 1-4 and 6 (trigger, model, ai_output, action,
  // context); `approval` and `outcome` are refused (the gate decides the
  // one, the outcome comes later).
  bool proposal = false;
};

struct ValidatedRecord {
  RecordKind kind = RecordKind::kAction;
  std::string action_id;
  bool action_id_generated = false;
  // Dotted paths of the seven fields' parts that are absent, in field order
  // ("model.version", "approval", ...). Empty for a complete record.
  std::vector<std::string> missing;
  // The record as submitted, with `action_id` filled in and without `kind`
  // (the ledger puts `kind` in the envelope).
  json::Value body;
};

// Parses and validates one JSON record (kinds `action` and `outcome`; a
// missing `kind` means `action`). Errors: kInvalidArgument with field() set,
// or kResourceExhausted when the record is over the size limit.
Result<ValidatedRecord> ValidateRecord(std::string_view json_text,
                                       const ValidationOptions& options);
// The same for an already parsed value.
Result<ValidatedRecord> ValidateRecordValue(json::Value value,
                                            const ValidationOptions& options);

// A record body split into canonical top-level members, sorted in RFC 8785
// order, so the ledger can add the envelope members without
// re-canonicalizing the body: building the leaf is then a merge and a copy.
class CanonicalBody {
 public:
  CanonicalBody() = default;
  // Precondition: body.is_object().
  explicit CanonicalBody(const json::Value& body);

  // Adds a member whose value is already canonical JSON text. Precondition:
  // the key is not present.
  void Add(std::string key, const std::string& canonical_value);
  // A member added at rendering: key and canonical value text.
  using Extra = std::pair<std::string_view, std::string_view>;
  // The canonical JSON object of the body's members plus `extra` members
  // (also canonical text), as RFC 8785 orders them.
  std::string Render(const std::vector<Extra>& extra) const;
  // The same, appended to *out, with `sorted_extra` already in RFC 8785 key
  // order (json::KeyLess); this allocates nothing but *out's growth.
  void RenderTo(std::span<const Extra> sorted_extra, std::string* out) const;
  size_t byte_size() const { return bytes_; }

 private:
  struct Member {
    std::string key;  // the key itself, for ordering
    // text_[offset, offset + size) is "\"key\":" and the canonical value.
    size_t offset = 0;
    size_t size = 0;
  };
  std::vector<Member> members_;  // in RFC 8785 key order
  // Every member's text, in the order added: one allocation per body
  // rather than one per member.
  std::string text_;
  size_t bytes_ = 0;
};

// Returns the raw JSON text of top-level member `key` of the canonical
// object `json`, or an empty view when absent. Skips nested values without
// parsing them; used by verify on stored leaves.
std::string_view FindTopLevelMember(std::string_view json,
                                    std::string_view key);
// The same answer, found by walking back from the object's end: cheaper
// for a key that sorts late (verify looks up each leaf's `seq`, which
// only `subject`-like and `trigger` members follow).
std::string_view FindTopLevelMemberFromEnd(std::string_view json,
                                           std::string_view key);

}  // namespace actledger

#endif  // ACTLEDGER_RECORD_H_
