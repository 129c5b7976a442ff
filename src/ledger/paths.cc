#include "ledger/paths.h"

#include "actledger/json.h"
#include "storage/segment_log.h"

namespace actledger {

std::string LedgerConfig::ToJson() const {
  json::Value v = json::Value::MakeObject();
  v.Set("format", json::Value::Number(format));
  v.Set("origin", json::Value::String(origin));
  v.Set("verifier_key", json::Value::String(verifier_key));
  if (!key_path.empty()) v.Set("key_path", json::Value::String(key_path));
  v.Set("created_at", json::Value::String(created_at));
  if (!admin.empty()) v.Set("admin", json::Value::String(admin));
  if (checkpoint_every_records > 0) {
    v.Set("checkpoint_every_records",
          json::Value::Number(static_cast<double>(checkpoint_every_records)));
  }
  if (checkpoint_every_seconds > 0) {
    v.Set("checkpoint_every_seconds",
          json::Value::Number(static_cast<double>(checkpoint_every_seconds)));
  }
  if (max_segment_bytes > 0) {
    v.Set("max_segment_bytes",
          json::Value::Number(static_cast<double>(max_segment_bytes)));
  }
  return json::Canonical(v) + "\n";
}

Result<LedgerConfig> LedgerConfig::Load(const std::string& dir) {
  const LedgerPaths paths(dir);
  Result<std::string> text = storage::ReadFile(paths.config());
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFound("no ledger in " + dir +
                      " (run `actledger init` first, or pass --data)");
    }
    return text.status();
  }
  Result<json::Value> v = json::Parse(*text);
  if (!v.ok() || !v->is_object()) {
    return DataLoss(paths.config() + " is not valid JSON");
  }
  LedgerConfig c;
  auto str = [&](const char* key, std::string* out, bool required) -> Status {
    const json::Value* f = v->Find(key);
    if (f == nullptr || !f->is_string()) {
      if (!required) return Status::Ok();
      return DataLoss(paths.config() + ": missing \"" + key + "\"");
    }
    *out = f->as_string();
    return Status::Ok();
  };
  ACTLEDGER_RETURN_IF_ERROR(str("origin", &c.origin, true));
  ACTLEDGER_RETURN_IF_ERROR(str("verifier_key", &c.verifier_key, true));
  ACTLEDGER_RETURN_IF_ERROR(str("key_path", &c.key_path, false));
  ACTLEDGER_RETURN_IF_ERROR(str("created_at", &c.created_at, false));
  ACTLEDGER_RETURN_IF_ERROR(str("admin", &c.admin, false));
  for (auto [key, out] :
       {std::pair<const char*, uint64_t*>{"checkpoint_every_records",
                                          &c.checkpoint_every_records},
        {"checkpoint_every_seconds", &c.checkpoint_every_seconds},
        {"max_segment_bytes", &c.max_segment_bytes}}) {
    const json::Value* f = v->Find(key);
    if (f == nullptr) continue;
    if (!f->is_number() || f->as_number() < 0 || f->as_number() > 1e15) {
      return DataLoss(paths.config() + ": \"" + key +
                      "\" must be a non-negative number");
    }
    *out = static_cast<uint64_t>(f->as_number());
  }
  if (const json::Value* f = v->Find("format"); f && f->is_number()) {
    c.format = static_cast<int>(f->as_number());
  }
  if (c.format != 1) {
    return FailedPrecondition("unsupported ledger format " +
                              std::to_string(c.format));
  }
  return c;
}

Result<std::vector<std::string>> ReadCheckpointHistory(
    storage::File& file, bool repair, std::vector<uint64_t>* offsets,
    uint64_t* damage_offset) {
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  std::string bytes;
  ACTLEDGER_RETURN_IF_ERROR(file.ReadUpTo(0, size, &bytes));
  std::vector<std::string> notes;
  std::string_view rest(bytes);
  uint64_t offset = 0;
  while (!rest.empty()) {
    storage::DecodedFrame frame;
    storage::FrameStatus st = storage::DecodeFrame(rest, &frame);
    if (st != storage::FrameStatus::kOk || frame.seq != notes.size()) {
      // Only a torn final frame is a crash artifact; anything else is
      // damage that verify reports.
      // A crash can only tear the last checkpoint written: damage followed
      // by a valid checkpoint is not a tear.
      const bool torn_tail =
          st != storage::FrameStatus::kOk &&
          !storage::ValidFrameFollows(rest.substr(1), notes.size());
      if (repair && torn_tail) {
        ACTLEDGER_RETURN_IF_ERROR(file.Truncate(offset));
        ACTLEDGER_RETURN_IF_ERROR(file.Sync());
        break;
      }
      if (damage_offset != nullptr) *damage_offset = offset;
      return DataLoss("checkpoints offset " + std::to_string(offset) + ": " +
                      (st != storage::FrameStatus::kOk
                           ? std::string(storage::FrameStatusName(st))
                           : "checkpoint numbered " +
                                 std::to_string(frame.seq) + " where " +
                                 std::to_string(notes.size()) +
                                 " was expected"));
    }
    notes.emplace_back(frame.payload);
    if (offsets != nullptr) offsets->push_back(offset);
    rest.remove_prefix(frame.size);
    offset += frame.size;
  }
  return notes;
}

Status AppendCheckpointNote(storage::File& file, uint64_t number,
                            const std::string& note) {
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t size, file.Size());
  std::string buf;
  storage::EncodeFrame(number, note, &buf);
  Status st = file.Append(buf);
  if (st.ok()) st = file.Sync();
  if (!st.ok()) (void)file.Truncate(size);
  return st;
}

}  // namespace actledger
