// `actledger report NAME [filters] [--format table|json|csv]`: the
// investigation reports of docs/REPORTS.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/table.h"
#include "index/index.h"
#include "report/report.h"

namespace actledger::cli {
namespace {

struct ReportArgs {
  std::string name;
  std::string format = "table";
  std::string section;
  // Filter and report options as (name, value), the names of
  // report::ParseReportOptions; flags that may repeat are vectors.
  std::vector<std::pair<std::string, std::vector<std::string>>> options;
};

Table ToTable(const report::Section& s) {
  Table t;
  for (const report::Column& c : s.columns) t.columns.push_back(c.name);
  t.rows = s.rows;
  return t;
}

Table SummaryTable(const report::ReportResult& r) {
  Table t;
  t.columns = {"name", "value"};
  for (const report::SummaryItem& item : r.summary) {
    t.rows.push_back({item.name, item.value});
  }
  return t;
}

std::string RenderTextReport(const report::ReportResult& r,
                             const std::string& only) {
  std::string out;
  if (only.empty()) {
    out += r.title + "\n\n";
    size_t width = 0;
    for (const auto& item : r.summary)
      width = std::max(width, item.name.size());
    for (const auto& item : r.summary) {
      out += "  " + item.name + ":" +
             std::string(width + 1 - item.name.size(), ' ') + item.value + "\n";
    }
    // The subject report is read by the person it is about: the document,
    // not a table wider than any page (the table is in json and csv).
    if (!r.narrative.empty()) return out + "\n" + r.narrative;
  }
  for (const report::Section& s : r.sections) {
    if (!only.empty() && s.name != only) continue;
    out += "\n" + s.title + " (" + std::to_string(s.rows.size()) +
           (s.rows.size() == 1 ? " row)\n" : " rows)\n");
    out += RenderText(ToTable(s));
  }
  return out;
}

std::string RenderCsvReport(const report::ReportResult& r,
                            const std::string& only) {
  if (!only.empty()) {
    for (const report::Section& s : r.sections) {
      if (s.name == only) return RenderCsv(ToTable(s));
    }
    return {};
  }
  // Several tables: each is its own RFC 4180 block, separated by an empty
  // line; --section selects one for tools that read a single table.
  std::string out = RenderCsv(SummaryTable(r));
  for (const report::Section& s : r.sections) {
    out += "\r\n" + RenderCsv(ToTable(s));
  }
  return out;
}

int RunReport(const GlobalOptions& g, const ReportArgs& args) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, values] : args.options) {
    for (const std::string& v : values) params.emplace_back(name, v);
  }
  Result<report::ReportOptions> options = report::ParseReportOptions(params);
  if (!options.ok()) return Fail(options.status());
  Result<std::unique_ptr<Ledger>> ledger = Ledger::OpenForRead(g.data_dir);
  if (!ledger.ok()) return Fail(ledger.status());
  Result<std::unique_ptr<index::Index>> idx = index::Index::Open(g.data_dir);
  if (!idx.ok()) return Fail(idx.status());
  const bool tty = StderrIsTerminal();
  Status caught_up =
      (*idx)->CatchUp(**ledger, [tty](uint64_t done, uint64_t total) {
        if (!tty || total == 0) return;
        std::fprintf(stderr, "\rindexing: %3d%% (%llu / %llu records)",
                     static_cast<int>(done * 100 / total),
                     static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total));
        if (done >= total) std::fprintf(stderr, "\n");
        std::fflush(stderr);
      });
  if (!caught_up.ok()) return Fail(caught_up);

  options->index = idx->get();
  options->ledger = ledger->get();
  AddSubjectBlindId(g, &options->filter);
  const keystore::RecordDecryptor reader = LocalReader(g);
  options->reader = &reader;
  Result<report::ReportResult> r = report::RunReport(args.name, *options);
  if (!r.ok()) return Fail(r.status());
  NoteRedactions(reader);
  if (!args.section.empty()) {
    std::string names;
    bool known = false;
    for (const report::Section& s : r->sections) {
      names += (names.empty() ? "" : ", ") + s.name;
      known = known || s.name == args.section;
    }
    if (!known) {
      return Fail(
          InvalidArgument("the " + args.name + " report has no section \"" +
                              args.section + "\" (sections: " + names + ")",
                          "section"));
    }
  }
  std::string out;
  if (args.format == "json") {
    out = report::RenderJson(*r) + "\n";
  } else if (args.format == "csv") {
    out = RenderCsvReport(*r, args.section);
  } else {
    out = RenderTextReport(*r, args.section);
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() ||
      std::fflush(stdout) != 0) {
    return Fail(IoError("cannot write the report to standard output"));
  }
  return 0;
}

}  // namespace

void AddReportCommands(CLI::App& app, GlobalOptions& g, Commands& commands) {
  auto args = std::make_shared<ReportArgs>();
  std::string names;
  for (const std::string& n : report::ReportNames()) {
    names += (names.empty() ? "" : ", ") + n;
  }
  CLI::App* cmd = app.add_subcommand(
      "report", "Investigation reports: " + names + " (docs/REPORTS.md)");
  cmd->add_option("name", args->name, "Report: " + names)
      ->required()
      ->check(CLI::IsMember(report::ReportNames()));
  cmd->add_option("--format", args->format, "table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_option("--section", args->section,
                  "Print only this table of the report (table and csv)");

  struct Flag {
    const char* name;
    const char* help;
  };
  // The filters of `actledger query` (docs/INDEX.md) and the report
  // options; a report covers every matching action, so there is no
  // --limit, --cursor or --kind.
  static constexpr Flag kFlags[] = {
      {"from", "Actions first recorded at or after (RFC 3339 UTC)"},
      {"to", "... and before"},
      {"type", "Action type or glob (payment.*); may repeat"},
      {"system", "System (stripe, sendgrid, ...)"},
      {"subject", "Data subject TYPE:ID (required by the subject report)"},
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
      {"action-id", "Action id"},
      {"period", "approvals: day, week or month (default month)"},
      {"stale-after",
       "violations: a cleared proposal with no outcome after this long "
       "(default 24h)"},
      {"discovered-at",
       "incident: when the incident was discovered (RFC 3339 UTC; "
       "required)"},
  };
  args->options.reserve(std::size(kFlags));
  for (const Flag& f : kFlags) {
    args->options.emplace_back(f.name, std::vector<std::string>{});
    // One value per occurrence, so a flag never swallows the report name.
    cmd->add_option(std::string("--") + f.name, args->options.back().second,
                    f.help)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  commands.push_back({cmd, [&g, args] { return RunReport(g, *args); }});
}

}  // namespace actledger::cli
