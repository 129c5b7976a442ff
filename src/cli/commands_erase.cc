// `actledger erase`: GDPR erasure of one data subject by destroying its
// key (docs/ERASURE.md).
//
// Order of work, and why: the subject's records are assessed first (legal
// holds block, legal retention duties block unless forced), then the key
// is destroyed, then the `erasure` record is written. A crash between the
// last two leaves a destroyed key without its record; running the same
// command again finds the tombstone and writes the missing record, so the
// audit trail is always completed and never claims an erasure that did not
// happen.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "actledger/json.h"
#include "cli/commands.h"
#include "common/time.h"
#include "gate/gate.h"
#include "keystore/field_crypto.h"
#include "keystore/keystore.h"
#include "retention/retention.h"
#include "retention/scan.h"
#include "storage/file.h"

namespace actledger::cli {
namespace {

using json::Value;

struct EraseRequest {
  std::string subject;
  std::string reason;
  bool force = false;
  std::string justification;
  std::string master_key;
};

struct DutyGroup {
  uint64_t records = 0;
  std::string until;  // the latest
};

// What the log holds about one subject.
struct Assessment {
  uint64_t records = 0;
  uint64_t encrypted = 0;
  uint64_t plaintext = 0;  // appended before encryption: erasure can't reach
  std::set<std::string> action_ids;
  std::vector<UtcTime> times;  // recorded_at and occurred_at of its records
  std::map<std::string, DutyGroup> duty;  // legal-duty regime -> records
  int64_t erasure_seq = -1;               // an earlier erasure record
};

std::string StringAt(const Value& v, std::string_view path) {
  const Value* s = v.FindPath(path);
  return s != nullptr && s->is_string() ? s->as_string() : std::string();
}

Result<Assessment> Assess(const Ledger& ledger,
                          const policy::RetentionPolicy& retention,
                          const keystore::Subject& subject,
                          const std::string& blind_id, UtcTime now) {
  Assessment a;
  const std::string now_text = FormatRfc3339Utc(now, 0);
  ACTLEDGER_RETURN_IF_ERROR(retention::internal::ScanLog(
      ledger, [&](uint64_t seq, std::string_view payload) -> Status {
        // Purged records have no content left to erase.
        if (IsPurgedStubShaped(payload)) return Status::Ok();
        const std::string action_id =
            retention::internal::TopLevelString(payload, "action_id");
        // Cheap filter before parsing: the record names the subject (by
        // blind id or in the clear) or one of the subject's actions.
        if (payload.find(blind_id) == std::string_view::npos &&
            payload.find(subject.id) == std::string_view::npos &&
            (action_id.empty() || a.action_ids.count(action_id) == 0)) {
          return Status::Ok();
        }
        Result<Value> rec = json::Parse(payload);
        if (!rec.ok()) {
          return DataLoss("record " + std::to_string(seq) +
                          " is not valid JSON: " + rec.status().message());
        }
        const std::string kind = StringAt(*rec, "kind");
        if (kind == "erasure") {
          if (StringAt(*rec, "erasure.subject.blind_id") == blind_id) {
            a.erasure_seq = static_cast<int64_t>(seq);
          }
          return Status::Ok();
        }
        const bool by_blind = StringAt(*rec, "subject.blind_id") == blind_id;
        const bool in_clear = StringAt(*rec, "subject.type") == subject.type &&
                              StringAt(*rec, "subject.id") == subject.id;
        const bool by_action = (kind == "outcome" || kind == "approval") &&
                               !action_id.empty() &&
                               a.action_ids.count(action_id) != 0;
        if (!by_blind && !in_clear && !by_action) return Status::Ok();
        ++a.records;
        if (rec->Find(keystore::kPersonalMember) != nullptr) {
          ++a.encrypted;
        } else if (in_clear) {
          ++a.plaintext;
        }
        if (!action_id.empty()) a.action_ids.insert(action_id);
        for (std::string_view path : {"recorded_at", "context.occurred_at"}) {
          if (Result<UtcTime> t = ParseRfc3339Utc(StringAt(*rec, path));
              t.ok()) {
            a.times.push_back(*t);
          }
        }
        const std::string regime = StringAt(*rec, "retention.regime");
        const std::string until = StringAt(*rec, "retention.until");
        // RFC 3339 UTC to the second sorts as text.
        if (retention.IsLegalDuty(regime) && until > now_text) {
          DutyGroup& g = a.duty[regime];
          ++g.records;
          g.until = std::max(g.until, until);
        }
        return Status::Ok();
      }));
  return a;
}

// The active holds that cover any of the subject's records.
std::vector<const retention::Hold*> HoldsOn(
    const std::vector<retention::Hold>& holds, const keystore::Subject& s,
    const std::string& blind_id, const Assessment& a) {
  std::vector<const retention::Hold*> out;
  for (const retention::Hold& h : holds) {
    if (h.released_seq >= 0) continue;
    bool covers = false;
    if (!h.subject_type.empty()) {
      covers = h.subject_type == s.type &&
               (h.subject_blind_id.empty() ? h.subject_id == s.id
                                           : h.subject_blind_id == blind_id);
    } else if (!h.action_id.empty()) {
      covers = a.action_ids.count(h.action_id) != 0;
    } else if (h.from && h.to) {
      covers = std::any_of(a.times.begin(), a.times.end(), [&](UtcTime t) {
        return !(t < *h.from) && !(*h.to < t);
      });
    }
    if (covers) out.push_back(&h);
  }
  return out;
}

Value DutyJson(const Assessment& a) {
  Value out = Value::MakeArray();
  for (const auto& [regime, g] : a.duty) {
    Value e = Value::MakeObject();
    e.Set("regime", Value::String(regime));
    e.Set("records", Value::Number(static_cast<double>(g.records)));
    e.Set("until", Value::String(g.until));
    out.as_array().push_back(std::move(e));
  }
  return out;
}

Status CheckRequest(const EraseRequest& r) {
  if (r.reason.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgument("an erasure needs a reason (--reason TEXT)",
                           "reason");
  }
  if (r.force &&
      r.justification.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgument(
        "--force needs --justification TEXT: why erasure overrides the legal "
        "retention duty (GDPR Art. 17(3)(b))",
        "justification");
  }
  if (!r.force && !r.justification.empty()) {
    return InvalidArgument("--justification only applies with --force",
                           "justification");
  }
  return Status::Ok();
}

int RunErase(const GlobalOptions& g, const EraseRequest& request) {
  if (Status st = CheckRequest(request); !st.ok()) return Fail(st);
  Result<keystore::Subject> subject = keystore::ParseSubject(request.subject);
  if (!subject.ok()) return Fail(subject.status());

  auto options = Ledger::ConfiguredOptions(g.data_dir);
  if (!options.ok()) return Fail(options.status());
  auto ledger = Ledger::Open(g.data_dir, *options);
  if (!ledger.ok()) return Fail(ledger.status());
  auto gate = gate::Gate::Open(ledger->get());
  if (!gate.ok()) return Fail(gate.status());
  std::string principal = LocalPrincipal();
  if (!g.token.empty()) {
    Result<std::string> p = (*gate)->Authenticate(g.token);
    if (!p.ok()) return Fail(p.status());
    principal = *p;
  }
  Result<std::vector<std::string>> roles = (*gate)->RolesOf(principal);
  if (!roles.ok()) return Fail(roles.status());
  if (std::find(roles->begin(), roles->end(), "admin") == roles->end()) {
    return Fail(PermissionDenied(principal +
                                 " does not hold the role \"admin\", which "
                                 "erasure requires"));
  }

  // A master key is created only with a new key store: creating one next
  // to an existing store would orphan every key in it.
  const std::string master_path =
      keystore::MasterKeyPath(g.data_dir, request.master_key);
  const bool new_store =
      !storage::PathExists(g.data_dir + "/" + keystore::kStoreFile);
  auto master = keystore::MasterKey::LoadOrCreate(master_path, new_store);
  if (!master.ok()) return Fail(master.status());
  auto keys = keystore::KeyStore::OpenForWrite(g.data_dir, *master);
  if (!keys.ok()) return Fail(keys.status());
  const std::string blind_id = (*keys)->BlindId(subject->text());

  auto stamper = retention::Stamper::ForLedger(**ledger, (*gate)->state());
  if (!stamper.ok()) return Fail(stamper.status());
  const UtcTime now = NowUtc();
  Result<Assessment> a =
      Assess(**ledger, (*stamper)->policy(), *subject, blind_id, now);
  if (!a.ok()) return Fail(a.status());
  Result<std::vector<retention::Hold>> holds = retention::ListHolds(**ledger);
  if (!holds.ok()) return Fail(holds.status());

  // Erased already: the erasure record exists and no key was created
  // since (a new record about the subject would have made version N+1).
  if (a->erasure_seq >= 0 && (*keys)->VersionsOf(subject->text()).live == 0) {
    return Fail(Status(StatusCode::kFailedPrecondition,
                       subject->text() +
                           " was erased already (erasure record " +
                           std::to_string(a->erasure_seq) + ")",
                       "subject"));
  }
  const std::vector<const retention::Hold*> held =
      HoldsOn(*holds, *subject, blind_id, *a);
  if (!held.empty()) {
    std::string ids;
    for (const retention::Hold* h : held) {
      ids += (ids.empty() ? "" : ", ") + h->id + " (" + h->ScopeText() + ")";
    }
    return Fail(Status(StatusCode::kFailedPrecondition,
                       subject->text() +
                           " has records under legal hold: " + ids +
                           "; a held record is never erased, release "
                           "the hold first",
                       "subject"));
  }
  if (!a->duty.empty() && !request.force) {
    std::string why;
    for (const auto& [regime, d] : a->duty) {
      why += (why.empty() ? "" : "; ") + std::to_string(d.records) + " " +
             regime + " record(s) kept until " + d.until;
    }
    return Fail(Status(
        StatusCode::kFailedPrecondition,
        "erasure refused: a legal retention duty still applies to " +
            subject->text() + " (" + why +
            "). GDPR Art. 17(3)(b) exempts data kept to comply with a legal "
            "obligation; to erase anyway, add --force --justification TEXT "
            "(both are recorded)",
        "subject"));
  }

  Result<keystore::DestroyResult> destroyed = (*keys)->Destroy(subject->text());
  if (!destroyed.ok()) return Fail(destroyed.status());

  Value e = Value::MakeObject();
  Value s = Value::MakeObject();
  s.Set("type", Value::String(subject->type));
  s.Set("blind_id", Value::String(blind_id));
  e.Set("subject", std::move(s));
  e.Set("key_version", Value::Number(destroyed->version));
  e.Set("reason", Value::String(request.reason));
  e.Set("records", Value::Number(static_cast<double>(a->records)));
  e.Set("encrypted_records", Value::Number(static_cast<double>(a->encrypted)));
  e.Set("plaintext_records", Value::Number(static_cast<double>(a->plaintext)));
  e.Set("forced", Value::Bool(request.force));
  if (request.force) {
    e.Set("justification", Value::String(request.justification));
    e.Set("legal_duty", DutyJson(*a));
  }
  // The key went in an earlier run that died before writing this record.
  if (destroyed->already_erased)
    e.Set("completes_earlier_run", Value::Bool(true));
  ValidatedRecord rec;
  rec.kind = RecordKind::kErasure;
  rec.body = Value::MakeObject();
  rec.body.Set("erasure", e);
  std::vector<AppendRequest> batch;
  batch.push_back(retention::Stamper().Prepare(std::move(rec), now));
  Result<std::vector<Receipt>> receipts =
      (*ledger)->Append(std::move(batch), principal);
  if (!receipts.ok()) return Fail(receipts.status());

  Value out = std::move(e);
  out.Set("seq", Value::Number(static_cast<double>(receipts->front().seq)));
  out.Set("key_destroyed", Value::Bool(destroyed->had_key));
  std::printf("%s\n", json::Canonical(out).c_str());
  if (a->plaintext > 0) {
    std::fprintf(stderr,
                 "actledger: %llu record(s) of %s were stored before personal "
                 "fields were encrypted; their content is not reached by "
                 "erasure (a purge removes it once their retention ends)\n",
                 static_cast<unsigned long long>(a->plaintext),
                 subject->text().c_str());
  }
  return 0;
}

}  // namespace

void AddEraseCommands(CLI::App& app, GlobalOptions& g, Commands& commands) {
  auto r = std::make_shared<EraseRequest>();
  auto* erase = app.add_subcommand(
      "erase",
      "GDPR erasure: destroy a data subject's key, so its personal fields "
      "read \"[erased]\" (admin)");
  erase->add_option("--subject", r->subject, "The data subject, TYPE:ID")
      ->required();
  erase
      ->add_option("--reason", r->reason,
                   "Why (recorded; do not put personal data here)")
      ->required();
  erase->add_flag("--force", r->force,
                  "Erase although a legal retention duty still applies");
  erase->add_option("--justification", r->justification,
                    "With --force: why (GDPR Art. 17(3)(b)); recorded");
  erase->add_option("--master-key", r->master_key,
                    "Master key file (default $ACTLEDGER_MASTER_KEY_FILE, "
                    "ledger.json master_key_file, DATA/keys/master.key)");
  commands.push_back({erase, [&g, r] { return RunErase(g, *r); }});
}

}  // namespace actledger::cli
