// Legal holds: `hold` records, and the log scan they share with purges.
#include "common/encoding.h"
#include "common/id.h"
#include "retention/scan.h"
#include "storage/segment_log.h"

namespace actledger::retention {
namespace internal {

using json::Value;

Status ScanLog(const Ledger& ledger,
               const std::function<Status(uint64_t, std::string_view)>& fn) {
  const uint64_t limit = ledger.size();
  ACTLEDGER_ASSIGN_OR_RETURN(
      std::unique_ptr<storage::SegmentLog> log,
      storage::SegmentLog::Open(ledger.dir() + "/log", {}, false));
  ACTLEDGER_ASSIGN_OR_RETURN(
      storage::SegmentLog::ScanResult scan,
      log->Scan(0, storage::kSegmentHeaderSize,
                [&](uint64_t seq, uint64_t, std::string_view payload) {
                  // Records a writer appends meanwhile are not this scan's.
                  if (seq >= limit) return Status::Ok();
                  return fn(seq, payload);
                }));
  if (scan.next_seq < limit) {
    return DataLoss("the log ends at seq " + std::to_string(scan.next_seq) +
                    " but the ledger has " + std::to_string(limit) +
                    " records (" + scan.damage_reason + ")");
  }
  return Status::Ok();
}

std::string TopLevelString(std::string_view payload, std::string_view key) {
  const std::string_view text = FindTopLevelMember(payload, key);
  if (text.size() < 2 || text.front() != '"') return "";
  if (text.find('\\') == std::string_view::npos) {
    return std::string(text.substr(1, text.size() - 2));
  }
  Result<Value> v = json::Parse(text);
  return v.ok() && v->is_string() ? v->as_string() : "";
}

Status HoldFolder::Add(uint64_t seq, std::string_view payload) {
  Result<Value> rec = json::Parse(payload);
  if (!rec.ok()) {
    return DataLoss("hold record " + std::to_string(seq) +
                    " is not valid JSON: " + rec.status().message());
  }
  const Value* h = rec->Find("hold");
  if (h == nullptr || !h->is_object()) {
    return DataLoss("hold record " + std::to_string(seq) + " has no hold");
  }
  auto str = [&](const Value& v, std::string_view path) {
    const Value* s = v.FindPath(path);
    return s != nullptr && s->is_string() ? s->as_string() : std::string();
  };
  const std::string op = str(*h, "op");
  const std::string id = str(*h, "id");
  if (op == "add") {
    Hold hold;
    hold.id = id;
    hold.subject_type = str(*h, "subject.type");
    hold.subject_id = str(*h, "subject.id");
    hold.subject_blind_id = str(*h, "subject.blind_id");
    hold.action_id = str(*h, "action_id");
    if (std::string from = str(*h, "from"); !from.empty()) {
      ACTLEDGER_ASSIGN_OR_RETURN(hold.from, ParseRfc3339Utc(from));
    }
    if (std::string to = str(*h, "to"); !to.empty()) {
      ACTLEDGER_ASSIGN_OR_RETURN(hold.to, ParseRfc3339Utc(to));
    }
    hold.reason = str(*h, "reason");
    hold.placed_by = str(*rec, "recorded_by");
    hold.placed_at = str(*rec, "recorded_at");
    hold.seq = seq;
    by_id_[id] = holds_.size();
    holds_.push_back(std::move(hold));
  } else if (op == "release") {
    auto it = by_id_.find(id);
    if (it != by_id_.end() && holds_[it->second].released_seq < 0) {
      Hold& hold = holds_[it->second];
      hold.released_seq = static_cast<int64_t>(seq);
      hold.released_by = str(*rec, "recorded_by");
      hold.release_reason = str(*h, "reason");
    }
  }
  return Status::Ok();
}

}  // namespace internal

using json::Value;

std::string Hold::ScopeText() const {
  if (!subject_type.empty() && !subject_id.empty())
    return "subject " + subject_type + ":" + subject_id;
  if (!subject_type.empty())
    return "subject " + subject_type + " with blind id " + subject_blind_id;
  if (!action_id.empty()) return "action " + action_id;
  return "range " + (from ? FormatRfc3339Utc(*from, 0) : std::string("…")) +
         " to " + (to ? FormatRfc3339Utc(*to, 0) : std::string("…"));
}

Value Hold::ToJson() const {
  Value v = Value::MakeObject();
  v.Set("id", Value::String(id));
  v.Set("seq", Value::Number(static_cast<double>(seq)));
  if (!subject_type.empty()) {
    Value s = Value::MakeObject();
    s.Set("type", Value::String(subject_type));
    if (!subject_id.empty()) s.Set("id", Value::String(subject_id));
    if (!subject_blind_id.empty()) {
      s.Set("blind_id", Value::String(subject_blind_id));
    }
    v.Set("subject", std::move(s));
  }
  if (!action_id.empty()) v.Set("action_id", Value::String(action_id));
  if (from) v.Set("from", Value::String(FormatRfc3339Utc(*from, 0)));
  if (to) v.Set("to", Value::String(FormatRfc3339Utc(*to, 0)));
  v.Set("reason", Value::String(reason));
  v.Set("placed_by", Value::String(placed_by));
  v.Set("placed_at", Value::String(placed_at));
  v.Set("active", Value::Bool(released_seq < 0));
  if (released_seq >= 0) {
    Value r = Value::MakeObject();
    r.Set("seq", Value::Number(static_cast<double>(released_seq)));
    r.Set("by", Value::String(released_by));
    r.Set("reason", Value::String(release_reason));
    v.Set("released", std::move(r));
  }
  return v;
}

Result<std::vector<Hold>> ListHolds(const Ledger& ledger) {
  internal::HoldFolder folder;
  ACTLEDGER_RETURN_IF_ERROR(
      internal::ScanLog(ledger, [&](uint64_t seq, std::string_view payload) {
        if (FindTopLevelMember(payload, "kind") != "\"hold\"") {
          return Status::Ok();
        }
        return folder.Add(seq, payload);
      }));
  return folder.Take();
}

namespace {

Result<Receipt> AppendHoldRecord(Ledger& ledger, const std::string& principal,
                                 Value hold) {
  ValidatedRecord rec;
  rec.kind = RecordKind::kHold;
  rec.body = Value::MakeObject();
  rec.body.Set("hold", std::move(hold));
  std::vector<AppendRequest> batch;
  batch.push_back(Stamper().Prepare(std::move(rec), NowUtc()));
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                             ledger.Append(std::move(batch), principal));
  return receipts.front();
}

}  // namespace

Result<Hold> AddHold(Ledger& ledger, const std::string& principal,
                     const HoldRequest& request) {
  const int scopes = (request.subject.empty() ? 0 : 1) +
                     (request.action_id.empty() ? 0 : 1) +
                     (request.from.empty() && request.to.empty() ? 0 : 1);
  if (scopes != 1) {
    return InvalidArgument(
        "a hold needs exactly one scope: --subject TYPE:ID, --action ID, or "
        "--from T --to T",
        scopes == 0 ? "subject" : "scope");
  }
  if (request.reason.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgument("a hold needs a reason (--reason TEXT)", "reason");
  }
  Hold hold;
  hold.id = "hold_" + HexEncode(RandomBytes(6));
  hold.reason = request.reason;
  Value h = Value::MakeObject();
  h.Set("op", Value::String("add"));
  h.Set("id", Value::String(hold.id));
  if (!request.subject.empty()) {
    const size_t colon = request.subject.find(':');
    if (colon == std::string::npos || colon == 0 ||
        colon + 1 == request.subject.size()) {
      return InvalidArgument(
          "\"" + request.subject + "\" is not TYPE:ID (e.g. customer:44821)",
          "subject");
    }
    hold.subject_type = request.subject.substr(0, colon);
    hold.subject_id = request.subject.substr(colon + 1);
    // The record names the subject by blind id only: a hold outlives the
    // subject's erasure and must not keep its id readable.
    ACTLEDGER_ASSIGN_OR_RETURN(keystore::MasterKey master,
                               keystore::LoadMasterKey(ledger.dir(), ""));
    hold.subject_blind_id = master.BlindId(request.subject);
    Value s = Value::MakeObject();
    s.Set("type", Value::String(hold.subject_type));
    s.Set("blind_id", Value::String(hold.subject_blind_id));
    h.Set("subject", std::move(s));
  } else if (!request.action_id.empty()) {
    if (request.action_id.size() > 128) {
      return InvalidArgument("an action id is at most 128 bytes", "action");
    }
    hold.action_id = request.action_id;
    h.Set("action_id", Value::String(hold.action_id));
  } else {
    for (auto [text, out, name] :
         {std::tuple{&request.from, &hold.from, "from"},
          std::tuple{&request.to, &hold.to, "to"}}) {
      if (text->empty()) {
        return InvalidArgument(
            "a time-range hold needs both --from and --to (RFC 3339 UTC)",
            name);
      }
      Result<UtcTime> t = ParseRfc3339Utc(*text);
      if (!t.ok()) return InvalidArgument(t.status().message(), name);
      *out = *t;
    }
    if (*hold.to <= *hold.from) {
      return InvalidArgument("--to must be after --from", "to");
    }
    h.Set("from", Value::String(request.from));
    h.Set("to", Value::String(request.to));
  }
  h.Set("reason", Value::String(request.reason));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r,
                             AppendHoldRecord(ledger, principal, std::move(h)));
  hold.seq = r.seq;
  hold.placed_by = principal;
  return hold;
}

Result<Hold> ReleaseHold(Ledger& ledger, const std::string& principal,
                         const std::string& id, const std::string& reason) {
  if (reason.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgument("releasing a hold needs a reason (--reason TEXT)",
                           "reason");
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<Hold> holds, ListHolds(ledger));
  auto it = std::find_if(holds.begin(), holds.end(),
                         [&](const Hold& h) { return h.id == id; });
  if (it == holds.end())
    return Status(StatusCode::kNotFound, "no hold " + id, "id");
  if (it->released_seq >= 0) {
    return FailedPrecondition("hold " + id + " was already released (seq " +
                              std::to_string(it->released_seq) + ")");
  }
  Value h = Value::MakeObject();
  h.Set("op", Value::String("release"));
  h.Set("id", Value::String(id));
  h.Set("reason", Value::String(reason));
  ACTLEDGER_ASSIGN_OR_RETURN(Receipt r,
                             AppendHoldRecord(ledger, principal, std::move(h)));
  Hold released = *it;
  released.released_seq = static_cast<int64_t>(r.seq);
  released.released_by = principal;
  released.release_reason = reason;
  return released;
}

}  // namespace actledger::retention
