// Retention plans and purges.
#include <algorithm>
#include <map>
#include <set>

#include "retention/scan.h"
#include "storage/segment_log.h"

namespace actledger::retention {
namespace {

using json::Value;

bool IsSystemKindName(std::string_view kind) {
  return kind == "policy" || kind == "hold" || kind == "erasure" ||
         kind == "purge" || kind == "key";
}

// What a hold needs to know of an expired record.
struct Candidate {
  uint64_t seq = 0;
  std::string regime;
  std::string month;
  uint64_t bytes = 0;
  std::string action_id;
  std::string subject_type, subject_id, subject_blind_id;
  std::optional<UtcTime> recorded_at, occurred_at;
};

bool InRange(const std::optional<UtcTime>& t, const Hold& h) {
  return t.has_value() && h.from.has_value() && h.to.has_value() &&
         *h.from <= *t && *t <= *h.to;
}

// `master` (may be null) turns plaintext subjects into blind ids.
bool Holds(const Hold& h, const Candidate& c,
           const keystore::MasterKey* master) {
  if (!h.subject_type.empty()) {
    if (h.subject_type != c.subject_type) return false;
    if (!h.subject_id.empty() && !c.subject_id.empty()) {
      return h.subject_id == c.subject_id;
    }
    const std::string subject_text = h.subject_type + ":";
    std::string hb = h.subject_blind_id, cb = c.subject_blind_id;
    if (master != nullptr) {
      if (hb.empty()) hb = master->BlindId(subject_text + h.subject_id);
      if (cb.empty() && !c.subject_id.empty()) {
        cb = master->BlindId(subject_text + c.subject_id);
      }
    }
    // Undecidable without the master key: keep the record.
    if (hb.empty() || cb.empty()) return true;
    return hb == cb;
  }
  if (!h.action_id.empty()) return h.action_id == c.action_id;
  // A time range holds what happened or was recorded in it: either time
  // inside the range is enough (holds err on the side of keeping).
  return InRange(c.recorded_at, h) || InRange(c.occurred_at, h);
}

// The record's `until`: from its envelope, or (records stored before
// retention existed) the defaults' `general` period after recorded_at.
// nullopt: kept for the ledger's lifetime.
Result<std::optional<UtcTime>> UntilOf(uint64_t seq, std::string_view payload,
                                       std::string* regime,
                                       std::optional<UtcTime> recorded_at) {
  const std::string_view ret = FindTopLevelMember(payload, "retention");
  if (ret.empty()) {
    *regime = "general";
    if (!recorded_at.has_value()) return std::optional<UtcTime>();
    return policy::RetentionPolicy::Defaults().UntilFor("general",
                                                        *recorded_at);
  }
  Result<Value> v = json::Parse(ret);
  const Value* until = v.ok() ? v->Find("until") : nullptr;
  const Value* reg = v.ok() ? v->Find("regime") : nullptr;
  if (until == nullptr || reg == nullptr || !reg->is_string() ||
      !(until->is_null() || until->is_string())) {
    return DataLoss("record " + std::to_string(seq) +
                    " has a malformed retention envelope: " +
                    std::string(ret.substr(0, 200)));
  }
  *regime = reg->as_string();
  if (until->is_null()) return std::optional<UtcTime>();
  Result<UtcTime> t = ParseRfc3339Utc(until->as_string());
  if (!t.ok()) {
    return DataLoss(
        "record " + std::to_string(seq) +
        " has an unreadable retention.until: " + t.status().message());
  }
  return std::optional<UtcTime>(*t);
}

std::optional<UtcTime> TimeOrNothing(const std::string& text) {
  if (text.empty()) return std::nullopt;
  Result<UtcTime> t = ParseRfc3339Utc(text);
  return t.ok() ? std::optional<UtcTime>(*t) : std::nullopt;
}

}  // namespace

std::vector<std::pair<uint64_t, uint64_t>> Ranges(
    const std::vector<uint64_t>& seqs) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t s : seqs) {
    if (!out.empty() && out.back().second + 1 == s) {
      out.back().second = s;
    } else {
      out.emplace_back(s, s);
    }
  }
  return out;
}

Result<Plan> MakePlan(const Ledger& ledger, UtcTime as_of) {
  Plan plan;
  plan.as_of = as_of;
  std::vector<Candidate> expired;
  internal::HoldFolder holds;
  // Purge record seq -> the ranges it authorizes.
  std::vector<std::pair<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>>>
      purges;
  ACTLEDGER_RETURN_IF_ERROR(internal::ScanLog(
      ledger, [&](uint64_t seq, std::string_view payload) -> Status {
        ++plan.records_scanned;
        if (IsPurgedStubShaped(payload)) {
          ++plan.already_purged;
          return Status::Ok();
        }
        const std::string kind = internal::TopLevelString(payload, "kind");
        if (kind == "hold") return holds.Add(seq, payload);
        if (kind == "purge") {
          Result<Value> p = json::Parse(FindTopLevelMember(payload, "purge"));
          const Value* ranges = p.ok() ? p->Find("ranges") : nullptr;
          std::vector<std::pair<uint64_t, uint64_t>> list;
          if (ranges != nullptr && ranges->is_array()) {
            for (const Value& r : ranges->as_array()) {
              if (r.is_array() && r.as_array().size() == 2) {
                list.emplace_back(
                    static_cast<uint64_t>(r.as_array()[0].as_number()),
                    static_cast<uint64_t>(r.as_array()[1].as_number()));
              }
            }
          }
          purges.emplace_back(seq, std::move(list));
          return Status::Ok();
        }
        if (IsSystemKindName(kind)) return Status::Ok();
        const std::string recorded_at =
            internal::TopLevelString(payload, "recorded_at");
        Candidate c;
        c.recorded_at = TimeOrNothing(recorded_at);
        ACTLEDGER_ASSIGN_OR_RETURN(
            std::optional<UtcTime> until,
            UntilOf(seq, payload, &c.regime, c.recorded_at));
        if (!until.has_value() || *until > as_of) return Status::Ok();
        c.seq = seq;
        c.month = recorded_at.substr(0, 7);
        c.bytes = payload.size();
        c.action_id = internal::TopLevelString(payload, "action_id");
        if (std::string_view subject = FindTopLevelMember(payload, "subject");
            !subject.empty()) {
          Result<Value> s = json::Parse(subject);
          if (s.ok()) {
            const Value* t = s->Find("type");
            const Value* id = s->Find("id");
            if (t != nullptr && t->is_string()) c.subject_type = t->as_string();
            if (id != nullptr && id->is_string())
              c.subject_id = id->as_string();
            const Value* blind = s->Find("blind_id");
            if (blind != nullptr && blind->is_string()) {
              c.subject_blind_id = blind->as_string();
            }
          }
        }
        if (std::string_view ctx = FindTopLevelMember(payload, "context");
            !ctx.empty()) {
          Result<Value> v = json::Parse(ctx);
          const Value* at = v.ok() ? v->Find("occurred_at") : nullptr;
          if (at != nullptr && at->is_string()) {
            c.occurred_at = TimeOrNothing(at->as_string());
          }
        }
        expired.push_back(std::move(c));
        return Status::Ok();
      }));

  std::vector<Hold> active;
  bool subject_holds = false;
  for (const Hold& h : holds.holds()) {
    if (h.released_seq < 0) active.push_back(h);
    subject_holds = subject_holds || !h.subject_type.empty();
  }
  // Subject holds and encrypted records are matched by blind id. Without
  // a readable master key, Holds() keeps whatever it cannot decide.
  std::optional<keystore::MasterKey> master;
  if (subject_holds) {
    Result<keystore::MasterKey> m =
        keystore::MasterKey::Load(keystore::MasterKeyPath(ledger.dir(), ""));
    if (m.ok()) master = std::move(m).value();
  }
  std::map<std::string, uint64_t> held_by;
  std::map<std::pair<std::string, std::string>, PlanGroup> groups;
  std::map<uint64_t, std::vector<uint64_t>> unfinished;
  for (const Candidate& c : expired) {
    auto hold = std::find_if(active.begin(), active.end(), [&](const Hold& h) {
      return Holds(h, c, master ? &*master : nullptr);
    });
    if (hold != active.end()) {
      ++held_by[hold->id];
      ++plan.held;
      continue;
    }
    plan.eligible.push_back(c.seq);
    PlanGroup& g = groups[{c.regime, c.month}];
    g.regime = c.regime;
    g.month = c.month;
    ++g.records;
    g.bytes += c.bytes;
    for (const auto& [purge_seq, ranges] : purges) {
      if (purge_seq > c.seq &&
          std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) {
            return r.first <= c.seq && c.seq <= r.second;
          })) {
        unfinished[purge_seq].push_back(c.seq);
        break;
      }
    }
  }
  for (auto& [key, g] : groups) plan.groups.push_back(std::move(g));
  plan.held_by.assign(held_by.begin(), held_by.end());
  plan.unfinished.assign(unfinished.begin(), unfinished.end());
  return plan;
}

Result<PurgeResult> Purge(Ledger& ledger, const std::string& principal,
                          const PurgeOptions& options, UtcTime now) {
  PurgeResult result;
  ACTLEDGER_ASSIGN_OR_RETURN(result.plan, MakePlan(ledger, now));
  const Plan& plan = result.plan;

  // Work: (purge record, seqs), unfinished purges first.
  std::vector<std::pair<int64_t, std::vector<uint64_t>>> work;
  std::set<uint64_t> resumed;
  for (const auto& [purge_seq, seqs] : plan.unfinished) {
    work.emplace_back(static_cast<int64_t>(purge_seq), seqs);
    resumed.insert(seqs.begin(), seqs.end());
  }
  std::vector<uint64_t> fresh;
  for (uint64_t s : plan.eligible) {
    if (!resumed.count(s)) fresh.push_back(s);
  }
  if (!fresh.empty()) work.emplace_back(-1, std::move(fresh));
  uint64_t total = 0;
  for (const auto& [p, seqs] : work) total += seqs.size();
  result.remaining = total;
  if (total == 0) return result;

  ACTLEDGER_ASSIGN_OR_RETURN(
      std::unique_ptr<storage::SegmentLog> log,
      storage::SegmentLog::Open(ledger.dir() + "/log", {}, false));
  const std::vector<uint64_t> segments = log->segments();
  uint64_t done = 0;
  for (auto& [purge_seq, seqs] : work) {
    if (options.should_stop && options.should_stop()) {
      result.complete = false;
      return result;
    }
    if (purge_seq < 0) {
      // The purge record comes first: it is what authorizes each stub, so
      // a crash after it leaves a purge the next run finishes.
      result.ranges = Ranges(seqs);
      Value ranges = Value::MakeArray();
      for (const auto& [a, b] : result.ranges) {
        Value r = Value::MakeArray();
        r.as_array().push_back(Value::Number(static_cast<double>(a)));
        r.as_array().push_back(Value::Number(static_cast<double>(b)));
        ranges.as_array().push_back(std::move(r));
      }
      Value p = Value::MakeObject();
      p.Set("as_of", Value::String(FormatRfc3339Utc(now, 0)));
      p.Set("ranges", std::move(ranges));
      p.Set("reason", Value::String("retention"));
      p.Set("records", Value::Number(static_cast<double>(seqs.size())));
      ValidatedRecord rec;
      rec.kind = RecordKind::kPurge;
      rec.body = Value::MakeObject();
      rec.body.Set("purge", std::move(p));
      std::vector<AppendRequest> batch;
      batch.push_back(Stamper().Prepare(std::move(rec), now));
      ACTLEDGER_ASSIGN_OR_RETURN(std::vector<Receipt> receipts,
                                 ledger.Append(std::move(batch), principal));
      purge_seq = static_cast<int64_t>(receipts.front().seq);
    }
    result.purge_records.push_back(static_cast<uint64_t>(purge_seq));
    // One segment per call: each is an atomic step, and stopping between
    // them leaves nothing half done.
    size_t k = 0;
    while (k < seqs.size()) {
      auto next_segment =
          std::upper_bound(segments.begin(), segments.end(), seqs[k]);
      const uint64_t end =
          next_segment == segments.end() ? UINT64_MAX : *next_segment;
      std::vector<uint64_t> chunk;
      while (k < seqs.size() && seqs[k] < end) chunk.push_back(seqs[k++]);
      ACTLEDGER_ASSIGN_OR_RETURN(
          uint64_t n,
          ledger.PurgeRecords(chunk, static_cast<uint64_t>(purge_seq)));
      result.purged += n;
      done += chunk.size();
      result.remaining = total - done;
      if (options.progress) options.progress(done, total);
      if (k < seqs.size() && options.should_stop && options.should_stop()) {
        result.complete = false;
        return result;
      }
    }
  }
  return result;
}

}  // namespace actledger::retention
