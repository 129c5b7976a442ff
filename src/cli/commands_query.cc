// `actledger query` and `actledger reindex`: the investigator's filters
// over the query index (docs/INDEX.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/table.h"
#include "index/index.h"
#include "index/row.h"

namespace actledger::cli {
namespace {

struct QueryArgs {
  std::string format;  // empty: table on a terminal, json otherwise
  bool count = false;
  // Filters as (name, values), the names of index::ParseQueryFilter.
  std::vector<std::pair<std::string, std::vector<std::string>>> filters;
};

// Progress in records (ShowProgress counts bytes).
index::Progress RecordProgress(const char* what) {
  if (!StderrIsTerminal()) return nullptr;
  return [what](uint64_t done, uint64_t total) {
    if (total == 0) return;
    std::fprintf(stderr, "\r%s: %3d%% (%llu / %llu records)", what,
                 static_cast<int>(done * 100 / total),
                 static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    if (done >= total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
}

struct Opened {
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<index::Index> index;
};

// The ledger read-only (a writer may hold it) and its index, caught up.
Result<Opened> OpenCaughtUp(const GlobalOptions& g) {
  Opened o;
  ACTLEDGER_ASSIGN_OR_RETURN(o.ledger, Ledger::OpenForRead(g.data_dir));
  ACTLEDGER_ASSIGN_OR_RETURN(o.index, index::Index::Open(g.data_dir));
  ACTLEDGER_RETURN_IF_ERROR(
      o.index->CatchUp(*o.ledger, RecordProgress("indexing")));
  return o;
}

std::string Opt(const std::optional<std::string>& s) { return s.value_or(""); }
std::string Opt(const std::optional<int64_t>& i) {
  return i.has_value() ? std::to_string(*i) : "";
}

// The people-facing columns; csv has every indexed column.
Table TextTable(const std::vector<index::IndexedRecord>& records) {
  Table t;
  t.columns = {"seq",   "recorded_at", "kind",     "action_id",
               "type",  "system",      "subject",  "amount",
               "model", "approval",    "decision", "outcome"};
  for (const index::IndexedRecord& r : records) {
    std::string subject;
    if (r.subject_type || r.subject_id) {
      subject = Opt(r.subject_type) + ":" + Opt(r.subject_id);
    }
    std::string amount = Opt(r.amount_value);
    if (r.currency) amount += " " + *r.currency;
    std::string model = Opt(r.model_name);
    if (r.model_version) model += " " + *r.model_version;
    std::string approval = Opt(r.approval_mode);
    if (r.approver) approval += " " + *r.approver;
    if (r.rule_id) approval += " " + *r.rule_id;
    t.rows.push_back({std::to_string(r.seq), r.recorded_at, r.kind,
                      Opt(r.action_id), Opt(r.action_type), Opt(r.system),
                      subject, amount, model, approval, Opt(r.decision),
                      Opt(r.outcome_status)});
  }
  return t;
}

Table CsvTable(const std::vector<index::IndexedRecord>& records) {
  Table t;
  for (const char* name : index::kRecordColumnNames) t.columns.push_back(name);
  for (const index::IndexedRecord& r : records) {
    t.rows.push_back({std::to_string(r.seq),
                      r.kind,
                      r.recorded_at,
                      std::to_string(r.recorded_at_us),
                      Opt(r.recorded_by),
                      Opt(r.action_id),
                      Opt(r.occurred_at),
                      Opt(r.occurred_at_us),
                      Opt(r.trigger_type),
                      Opt(r.trigger_source),
                      Opt(r.action_type),
                      Opt(r.system),
                      Opt(r.target),
                      Opt(r.subject_type),
                      Opt(r.subject_id),
                      Opt(r.model_provider),
                      Opt(r.model_name),
                      Opt(r.model_version),
                      Opt(r.prompt_template_id),
                      Opt(r.prompt_template_version),
                      Opt(r.approval_mode),
                      Opt(r.approver),
                      Opt(r.approver_role),
                      Opt(r.rule_id),
                      Opt(r.rule_version),
                      Opt(r.decision),
                      Opt(r.gate_tier),
                      Opt(r.policy_version),
                      Opt(r.outcome_status),
                      Opt(r.violation),
                      Opt(r.environment),
                      Opt(r.job_id),
                      Opt(r.app_version),
                      Opt(r.amount_value),
                      Opt(r.amount_micros),
                      Opt(r.currency),
                      Opt(r.retention_regime),
                      Opt(r.retention_until),
                      std::to_string(r.present),
                      std::to_string(r.leaf_bytes)});
  }
  return t;
}

Status Write(const std::string& out) {
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() ||
      std::fflush(stdout) != 0) {
    return IoError("cannot write to standard output");
  }
  return Status::Ok();
}

int RunQuery(const GlobalOptions& g, const QueryArgs& args) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, values] : args.filters) {
    for (const std::string& v : values) params.emplace_back(name, v);
  }
  Result<index::QueryFilter> filter = index::ParseQueryFilter(params);
  if (!filter.ok()) return Fail(filter.status());
  AddSubjectBlindId(g, &*filter);
  Result<Opened> o = OpenCaughtUp(g);
  if (!o.ok()) return Fail(o.status());
  if (args.count) {
    Result<uint64_t> n = o->index->Count(*filter);
    if (!n.ok()) return Fail(n.status());
    Status st = Write("{\"count\":" + std::to_string(*n) + "}\n");
    return st.ok() ? 0 : Fail(st);
  }
  Result<index::QueryPage> page = o->index->Query(*filter);
  if (!page.ok()) return Fail(page.status());
  const std::string format = !args.format.empty()          ? args.format
                             : isatty(fileno(stdout)) == 1 ? "table"
                                                           : "json";
  std::string out;
  if (format == "json") {
    // Personal fields decrypted (`actledger get SEQ` prints stored bytes).
    const keystore::RecordDecryptor reader = LocalReader(g);
    for (const index::IndexedRecord& r : page->records) {
      Result<std::string> leaf = o->ledger->Get(r.seq);
      if (!leaf.ok()) return Fail(leaf.status());
      Result<std::string> readable = reader.Render(*leaf);
      if (!readable.ok()) return Fail(readable.status());
      out += *readable;
      out += '\n';
    }
    NoteRedactions(reader);
    if (!page->next_cursor.empty()) {
      out += "{\"next_cursor\":" + JsonString(page->next_cursor) + "}\n";
    }
  } else if (format == "csv") {
    out = RenderCsv(CsvTable(page->records));
  } else {
    out = RenderText(TextTable(page->records));
  }
  Status st = Write(out);
  if (!st.ok()) return Fail(st);
  if (format != "json" && !page->next_cursor.empty()) {
    std::fprintf(stderr, "more results: --cursor %s\n",
                 page->next_cursor.c_str());
  }
  return 0;
}

int RunReindex(const GlobalOptions& g) {
  Result<std::unique_ptr<Ledger>> ledger = Ledger::OpenForRead(g.data_dir);
  if (!ledger.ok()) return Fail(ledger.status());
  Result<std::unique_ptr<index::Index>> idx = index::Index::Open(g.data_dir);
  if (!idx.ok()) return Fail(idx.status());
  const auto start = std::chrono::steady_clock::now();
  Status st = (*idx)->Rebuild(**ledger, RecordProgress("reindex"));
  if (!st.ok()) return Fail(st);
  Result<int64_t> applied = (*idx)->AppliedSeq();
  if (!applied.ok()) return Fail(applied.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  char buf[128];
  std::snprintf(buf, sizeof(buf), "{\"records\":%lld,\"seconds\":%.3f}\n",
                static_cast<long long>(*applied) + 1, seconds);
  st = Write(buf);
  return st.ok() ? 0 : Fail(st);
}

}  // namespace

void AddQueryCommands(CLI::App& app, GlobalOptions& g, Commands& commands) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "query",
      "Records matching filters, from the query index (docs/INDEX.md)");
  cmd->add_option("--format", args->format,
                  "table (default on a terminal), json (NDJSON of the stored "
                  "records; default otherwise) or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_flag("--count", args->count, "Print {\"count\":N} only");
  struct Flag {
    const char* name;
    const char* help;
  };
  static constexpr Flag kFlags[] = {
      {"from", "Recorded at or after (RFC 3339 UTC, or a date)"},
      {"to", "... and before"},
      {"type", "Action type or glob (payment.*, *.delete); may repeat"},
      {"system", "System (stripe, sendgrid, ...)"},
      {"subject", "Data subject TYPE:ID"},
      {"model", "Model name"},
      {"model-version", "Model version"},
      {"prompt-template", "Prompt template ID or ID@VERSION"},
      {"approval", "Approval mode: human, rule or none"},
      {"rule", "Rule id"},
      {"approver", "Approver principal"},
      {"outcome", "Outcome status: success, failure, error or pending"},
      {"env", "Environment"},
      {"job", "Job id"},
      {"min-amount", "Smallest amount (decimal, inclusive)"},
      {"max-amount", "Largest amount (decimal, inclusive)"},
      {"currency", "Currency code"},
      {"kind",
       "Record kind (action, proposal, approval, outcome, ...); may "
       "repeat"},
      {"action-id", "Action id"},
      {"limit", "Records per page (default 100, at most 10000)"},
      {"cursor", "Continue after the page that printed this cursor"},
  };
  args->filters.reserve(std::size(kFlags));
  for (const Flag& f : kFlags) {
    args->filters.emplace_back(f.name, std::vector<std::string>{});
    cmd->add_option(std::string("--") + f.name, args->filters.back().second,
                    f.help)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  commands.push_back({cmd, [&g, args] { return RunQuery(g, *args); }});

  CLI::App* reindex = app.add_subcommand(
      "reindex",
      "Rebuild the query index from the log (safe to interrupt: the next "
      "query continues it)");
  commands.push_back({reindex, [&g] { return RunReindex(g); }});
}

}  // namespace actledger::cli
