#include "report/report.h"

#include <set>

#include "actledger/json.h"
#include "policy/duration.h"
#include "report/internal.h"

namespace actledger::report {

const std::vector<std::string>& ReportNames() {
  static const std::vector<std::string> kNames = {
      "completeness", "approvals", "model-versions",
      "violations",   "subject",   "incident"};
  return kNames;
}

Result<ReportOptions> ParseReportOptions(
    const std::vector<std::pair<std::string, std::string>>& params) {
  ReportOptions o;
  std::vector<std::pair<std::string, std::string>> filter_params;
  std::set<std::string> seen;
  for (const auto& [name, value] : params) {
    const bool report_option =
        name == "period" || name == "stale-after" || name == "discovered-at";
    if (report_option && !seen.insert(name).second) {
      return InvalidArgument(name + " is given more than once", name);
    }
    if (name == "period") {
      if (value != "day" && value != "week" && value != "month") {
        return InvalidArgument(
            "period must be day, week or month, not \"" + value + "\"", name);
      }
      o.period = value;
    } else if (name == "stale-after") {
      Result<policy::Duration> d = policy::Duration::Parse(value);
      if (!d.ok()) {
        return InvalidArgument(
            "stale-after must be a duration such as 30m, "
            "24h or 7d: " +
                d.status().message(),
            name);
      }
      o.stale_after_seconds = d->ToSeconds();
    } else if (name == "discovered-at") {
      Result<UtcTime> t = ParseRfc3339Utc(value);
      if (!t.ok()) {
        return InvalidArgument(
            "discovered-at must be an RFC 3339 UTC time "
            "such as 2026-11-28T09:00:00Z: " +
                t.status().message(),
            name);
      }
      o.discovered_at = *t;
    } else if (name == "limit" || name == "cursor" || name == "kind") {
      return InvalidArgument(
          name +
              " is a query option, not a report option: a report covers "
              "every matching action",
          name);
    } else {
      filter_params.emplace_back(name, value);
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(o.filter, index::ParseQueryFilter(filter_params));
  return o;
}

Result<ReportResult> RunReport(std::string_view name,
                               const ReportOptions& options) {
  if (options.index == nullptr || options.ledger == nullptr) {
    return FailedPrecondition("a report needs an open index and ledger");
  }
  if (name == "completeness") return internal::Completeness(options);
  if (name == "approvals") return internal::Approvals(options);
  if (name == "model-versions") return internal::ModelVersions(options);
  if (name == "violations") return internal::Violations(options);
  if (name == "subject") return internal::Subject(options);
  if (name == "incident") return internal::Incident(options);
  std::string known;
  for (const std::string& n : ReportNames()) {
    known += (known.empty() ? "" : ", ") + n;
  }
  return InvalidArgument(
      "unknown report \"" + std::string(name) + "\" (reports: " + known + ")",
      "name");
}

namespace {

void AppendValue(const std::string& value, CellType type, std::string* out) {
  if (value.empty() && type != CellType::kText) {
    *out += "null";
  } else if (type == CellType::kInteger || type == CellType::kRatio) {
    // Cells of these types are digits the reports format themselves.
    *out += value;
  } else {
    json::AppendCanonicalString(value, out);
  }
}

}  // namespace

std::string RenderJson(const ReportResult& r) {
  // Sized once: an incident report can run to hundreds of megabytes, and
  // growing the string by doubling would copy it again at every step.
  size_t estimate = 1024 + r.narrative.size();
  for (const Section& sec : r.sections) {
    size_t keys = 0;
    for (const Column& col : sec.columns) keys += col.name.size() + 3;
    for (const std::vector<std::string>& row : sec.rows) {
      estimate += keys + 2 + row.size() * 3;
      for (const std::string& cell : row) estimate += cell.size();
    }
  }
  std::string out;
  out.reserve(estimate + estimate / 16);
  out += "{\"report\":";
  json::AppendCanonicalString(r.name, &out);
  out += ",\"title\":";
  json::AppendCanonicalString(r.title, &out);
  out += ",\"summary\":{";
  for (size_t i = 0; i < r.summary.size(); ++i) {
    if (i > 0) out += ',';
    json::AppendCanonicalString(r.summary[i].name, &out);
    out += ':';
    AppendValue(r.summary[i].value, r.summary[i].type, &out);
  }
  out += "},\"sections\":[";
  for (size_t s = 0; s < r.sections.size(); ++s) {
    const Section& sec = r.sections[s];
    if (s > 0) out += ',';
    out += "{\"name\":";
    json::AppendCanonicalString(sec.name, &out);
    out += ",\"title\":";
    json::AppendCanonicalString(sec.title, &out);
    out += ",\"columns\":[";
    for (size_t c = 0; c < sec.columns.size(); ++c) {
      if (c > 0) out += ',';
      json::AppendCanonicalString(sec.columns[c].name, &out);
    }
    out += "],\"rows\":[";
    // Each row repeats the column names: rendered once here.
    std::vector<std::string> keys;
    for (const Column& col : sec.columns) {
      std::string key;
      json::AppendCanonicalString(col.name, &key);
      key += ':';
      keys.push_back(std::move(key));
    }
    for (size_t i = 0; i < sec.rows.size(); ++i) {
      if (i > 0) out += ',';
      out += '{';
      for (size_t c = 0; c < sec.columns.size(); ++c) {
        if (c > 0) out += ',';
        out += keys[c];
        const std::string& v =
            c < sec.rows[i].size() ? sec.rows[i][c] : std::string();
        AppendValue(v, sec.columns[c].type, &out);
      }
      out += '}';
    }
    out += "]}";
  }
  out += ']';
  if (!r.narrative.empty()) {
    out += ",\"narrative\":";
    json::AppendCanonicalString(r.narrative, &out);
  }
  out += '}';
  return out;
}

}  // namespace actledger::report
