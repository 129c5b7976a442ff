// Retention commands: hold add|list|release, retention plan|purge
// (docs/RETENTION.md).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>

#include "actledger/json.h"
#include "cli/commands.h"
#include "common/time.h"
#include "gate/gate.h"
#include "retention/retention.h"

namespace actledger::cli {
namespace {

using json::Value;

volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

void PrintJson(const Value& v) {
  std::printf("%s\n", json::Canonical(v).c_str());
  std::fflush(stdout);
}

Value Number(uint64_t n) { return Value::Number(static_cast<double>(n)); }

Value RangesJson(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  Value out = Value::MakeArray();
  for (const auto& [a, b] : ranges) {
    Value r = Value::MakeArray();
    r.as_array().push_back(Number(a));
    r.as_array().push_back(Number(b));
    out.as_array().push_back(std::move(r));
  }
  return out;
}

// The ledger open for writing and the acting principal, who must be an
// admin: holds and purges decide what the ledger keeps.
struct AdminSession {
  std::unique_ptr<Ledger> ledger;
  std::string principal;
};

Result<AdminSession> OpenAdmin(const GlobalOptions& g) {
  AdminSession s;
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerOptions options,
                             Ledger::ConfiguredOptions(g.data_dir));
  ACTLEDGER_ASSIGN_OR_RETURN(s.ledger, Ledger::Open(g.data_dir, options));
  ACTLEDGER_ASSIGN_OR_RETURN(std::unique_ptr<gate::Gate> gate,
                             gate::Gate::Open(s.ledger.get()));
  if (g.token.empty()) {
    s.principal = LocalPrincipal();
  } else {
    ACTLEDGER_ASSIGN_OR_RETURN(s.principal, gate->Authenticate(g.token));
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> roles,
                             gate->RolesOf(s.principal));
  if (std::find(roles.begin(), roles.end(), "admin") == roles.end()) {
    return PermissionDenied(s.principal +
                            " does not hold the role \"admin\", which holds "
                            "and purges require");
  }
  return s;
}

Value PlanJson(const retention::Plan& plan) {
  Value v = Value::MakeObject();
  v.Set("as_of", Value::String(FormatRfc3339Utc(plan.as_of, 0)));
  v.Set("records_scanned", Number(plan.records_scanned));
  v.Set("eligible", Number(plan.eligible.size()));
  uint64_t bytes = 0;
  Value groups = Value::MakeArray();
  for (const retention::PlanGroup& g : plan.groups) {
    Value e = Value::MakeObject();
    e.Set("regime", Value::String(g.regime));
    e.Set("month", Value::String(g.month));
    e.Set("records", Number(g.records));
    e.Set("bytes", Number(g.bytes));
    bytes += g.bytes;
    groups.as_array().push_back(std::move(e));
  }
  v.Set("bytes", Number(bytes));
  v.Set("groups", std::move(groups));
  v.Set("held", Number(plan.held));
  Value held = Value::MakeArray();
  for (const auto& [id, n] : plan.held_by) {
    Value e = Value::MakeObject();
    e.Set("hold", Value::String(id));
    e.Set("records", Number(n));
    held.as_array().push_back(std::move(e));
  }
  v.Set("held_by", std::move(held));
  v.Set("already_purged", Number(plan.already_purged));
  Value unfinished = Value::MakeArray();
  for (const auto& [seq, seqs] : plan.unfinished) {
    Value e = Value::MakeObject();
    e.Set("purge_seq", Number(seq));
    e.Set("records", Number(seqs.size()));
    unfinished.as_array().push_back(std::move(e));
  }
  v.Set("unfinished", std::move(unfinished));
  v.Set("ranges", RangesJson(retention::Ranges(plan.eligible)));
  return v;
}

int RunHoldAdd(const GlobalOptions& g, const retention::HoldRequest& request) {
  auto s = OpenAdmin(g);
  if (!s.ok()) return Fail(s.status());
  Result<retention::Hold> hold =
      retention::AddHold(*s->ledger, s->principal, request);
  if (!hold.ok()) return Fail(hold.status());
  PrintJson(hold->ToJson());
  return 0;
}

int RunHoldList(const GlobalOptions& g, bool all) {
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  Result<std::vector<retention::Hold>> holds = retention::ListHolds(**l);
  if (!holds.ok()) return Fail(holds.status());
  for (const retention::Hold& h : *holds) {
    if (all || h.released_seq < 0) PrintJson(h.ToJson());
  }
  return 0;
}

int RunHoldRelease(const GlobalOptions& g, const std::string& id,
                   const std::string& reason) {
  auto s = OpenAdmin(g);
  if (!s.ok()) return Fail(s.status());
  Result<retention::Hold> hold =
      retention::ReleaseHold(*s->ledger, s->principal, id, reason);
  if (!hold.ok()) return Fail(hold.status());
  PrintJson(hold->ToJson());
  return 0;
}

int RunRetentionPlan(const GlobalOptions& g, const std::string& as_of) {
  UtcTime t = NowUtc();
  if (!as_of.empty()) {
    Result<UtcTime> parsed = ParseRfc3339Utc(as_of);
    if (!parsed.ok()) {
      return Fail(InvalidArgument(parsed.status().message(), "as-of"));
    }
    t = *parsed;
  }
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  Result<retention::Plan> plan = retention::MakePlan(**l, t);
  if (!plan.ok()) return Fail(plan.status());
  PrintJson(PlanJson(*plan));
  return 0;
}

int RunRetentionPurge(const GlobalOptions& g) {
  auto s = OpenAdmin(g);
  if (!s.ok()) return Fail(s.status());
  // Ctrl-C stops between segments: what is done stays done, and the next
  // purge finishes the rest.
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  retention::PurgeOptions options;
  options.should_stop = [] { return g_interrupted != 0; };
  options.progress = [](uint64_t done, uint64_t total) {
    ShowProgress("purge", done, total);
  };
  Result<retention::PurgeResult> r =
      retention::Purge(*s->ledger, s->principal, options, NowUtc());
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (StderrIsTerminal()) std::fputc('\n', stderr);
  if (!r.ok()) return Fail(r.status());
  Value v = Value::MakeObject();
  v.Set("complete", Value::Bool(r->complete));
  v.Set("purged", Number(r->purged));
  v.Set("remaining", Number(r->remaining));
  Value records = Value::MakeArray();
  for (uint64_t seq : r->purge_records)
    records.as_array().push_back(Number(seq));
  v.Set("purge_records", std::move(records));
  v.Set("ranges", RangesJson(r->ranges));
  v.Set("held", Number(r->plan.held));
  PrintJson(v);
  if (!r->complete) {
    std::fprintf(stderr,
                 "actledger: purge interrupted with %llu records to go; run "
                 "`actledger retention purge` again to finish it\n",
                 static_cast<unsigned long long>(r->remaining));
  }
  return 0;
}

}  // namespace

void AddRetentionCommands(CLI::App& app, GlobalOptions& g, Commands& commands) {
  auto* hold = app.add_subcommand("hold", "Legal holds (admin to change)");
  hold->require_subcommand(1);
  auto request = std::make_shared<retention::HoldRequest>();
  auto* add = hold->add_subcommand(
      "add", "Place a hold: records in its scope are never purged");
  add->add_option("--subject", request->subject,
                  "Hold a data subject's records (TYPE:ID)");
  add->add_option("--action", request->action_id,
                  "Hold every record of an action id");
  add->add_option("--from", request->from,
                  "Hold records that occurred or were recorded from (RFC "
                  "3339 UTC) ...");
  add->add_option("--to", request->to, "... to (RFC 3339 UTC)");
  add->add_option("--reason", request->reason, "Why (required)")->required();
  commands.push_back({add, [&g, request] { return RunHoldAdd(g, *request); }});

  auto all = std::make_shared<bool>(false);
  auto* list = hold->add_subcommand("list", "Active holds, one JSON per line");
  list->add_flag("--all", *all, "Include released holds");
  commands.push_back({list, [&g, all] { return RunHoldList(g, *all); }});

  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* release = hold->add_subcommand("release", "Release a hold");
  release->add_option("id", *id, "Hold id (hold_…)")->required();
  release->add_option("--reason", *reason, "Why (required)")->required();
  commands.push_back(
      {release, [&g, id, reason] { return RunHoldRelease(g, *id, *reason); }});

  auto* ret = app.add_subcommand("retention", "Retention plans and purges");
  ret->require_subcommand(1);
  auto as_of = std::make_shared<std::string>();
  auto* plan = ret->add_subcommand(
      "plan", "What a purge would remove, by regime and month");
  plan->add_option("--as-of", *as_of,
                   "Plan as of this time (RFC 3339 UTC; default now)");
  commands.push_back(
      {plan, [&g, as_of] { return RunRetentionPlan(g, *as_of); }});
  auto* purge = ret->add_subcommand(
      "purge",
      "Remove the content of expired records not on hold (admin); "
      "interruptible, resumable");
  commands.push_back({purge, [&g] { return RunRetentionPurge(g); }});
}

}  // namespace actledger::cli
