// ValidateRecord on arbitrary bytes, with default and strict options. An
// accepted record's canonical body must render to JSON that parses back to
// the body, with or without envelope members; FindTopLevelMember must find
// the body's members in that rendering and survive any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/record.h"
#include "fuzz/fuzz_util.h"

namespace {

using actledger::CanonicalBody;
using actledger::FindTopLevelMember;
using actledger::FindTopLevelMemberFromEnd;
using actledger::Result;
using actledger::ValidatedRecord;
using actledger::ValidateRecord;
using actledger::ValidationOptions;
using actledger::fuzz::Check;
namespace json = actledger::json;

void CheckAccepted(const ValidatedRecord& record) {
  Check(record.body.is_object(), "accepted record body is not an object");
  Check(record.body.Find("kind") == nullptr,
        "accepted record body still holds `kind`");
  const json::Value* id = record.body.Find("action_id");
  Check(id != nullptr && id->is_string() && id->as_string() == record.action_id,
        "body's action_id differs from ValidatedRecord::action_id");

  const CanonicalBody body(record.body);
  const std::string rendered = body.Render({});
  Result<json::Value> reparsed = json::Parse(rendered);
  Check(reparsed.ok(), "CanonicalBody::Render does not parse", rendered);
  Check(*reparsed == record.body, "CanonicalBody::Render changes the body",
        rendered);
  Check(rendered == json::Canonical(record.body),
        "CanonicalBody::Render is not the canonical form", rendered);

  // The ledger's envelope (its keys are reserved, so never in the body).
  std::vector<std::pair<std::string_view, std::string_view>> extra;
  for (const auto& [key, value] :
       {std::pair<std::string_view, std::string_view>{"kind", "\"action\""},
        {"seq", "7"},
        {"recorded_at", "\"2025-01-02T03:04:05Z\""},
        {"recorded_by", "\"fuzz\""}}) {
    if (record.body.Find(key) == nullptr) extra.emplace_back(key, value);
  }
  const std::string with_envelope = body.Render(extra);
  Result<json::Value> enveloped = json::Parse(with_envelope);
  Check(enveloped.ok(), "Render with envelope does not parse", with_envelope);
  Check(json::Canonical(*enveloped) == with_envelope,
        "Render with envelope is not canonical", with_envelope);

  for (const json::Value::Member& m : record.body.as_object()) {
    Check(FindTopLevelMember(rendered, m.first) == json::Canonical(m.second),
          "FindTopLevelMember misses a member of the canonical body", m.first);
    Check(FindTopLevelMemberFromEnd(rendered, m.first) ==
              json::Canonical(m.second),
          "FindTopLevelMemberFromEnd misses a member of the canonical body",
          m.first);
  }
  Check(FindTopLevelMemberFromEnd(with_envelope, "seq") ==
            FindTopLevelMember(with_envelope, "seq"),
        "the two walks disagree on the envelope's seq", with_envelope);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool strict : {false, true}) {
    ValidationOptions options;
    options.strict = strict;
    Result<ValidatedRecord> record = ValidateRecord(text, options);
    if (record.ok()) CheckAccepted(*record);
  }

  // Arbitrary bytes as the stored leaf, and a key cut from their front.
  const size_t key_len = size == 0 ? 0 : data[0] % 16;
  if (size > key_len) {
    const std::string_view key = text.substr(1, key_len);
    const std::string_view rest = text.substr(1 + key_len);
    const std::string_view found = FindTopLevelMember(rest, key);
    Check(found.empty() ||
              (found.data() >= rest.data() &&
               found.data() + found.size() <= rest.data() + rest.size()),
          "FindTopLevelMember returned a view outside its input");
  }
  return 0;
}
