// incident: for the actions an incident's filter selects, who and what was
// affected, how much money moved, when it started and ended, and the GDPR
// Art. 33 deadline for notifying the supervisory authority (72 hours after
// the breach was discovered).
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <unordered_map>
#include <vector>

#include "report/internal.h"

namespace actledger::report::internal {
namespace {

constexpr int64_t kArt33Seconds = 72 * 3600;

// As precise as the time given: whole seconds print without a fraction.
std::string FormatExact(UtcTime t) {
  const int digits = t.nanos == 0             ? 0
                     : t.nanos % 1000000 == 0 ? 3
                     : t.nanos % 1000 == 0    ? 6
                                              : 9;
  return FormatRfc3339Utc(t, digits);
}

using SubjectKey = std::pair<std::string, std::string>;  // type, id

struct SubjectKeyHash {
  size_t operator()(const SubjectKey& k) const {
    const size_t h = std::hash<std::string>()(k.first);
    return h ^ (std::hash<std::string>()(k.second) + 0x9e3779b97f4a7c15u +
                (h << 6) + (h >> 2));
  }
};

struct SystemStats {
  uint64_t actions = 0;
  uint64_t subjects = 0;  // distinct
};

struct SubjectStats {
  uint64_t actions = 0;
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  MoneyTotals money;
  // The systems that counted this subject already (a subject meets few
  // systems: a short list beats a set of (system, subject) pairs).
  std::vector<const SystemStats*> systems;
};

}  // namespace

Result<ReportResult> Incident(const ReportOptions& o) {
  if (!o.discovered_at) {
    return InvalidArgument(
        "the incident report needs --discovered-at TIME (RFC 3339 UTC), "
        "when the incident was discovered",
        "discovered-at");
  }
  Where w = ActionsWhere(o.filter);
  w.And("(a.action_seq IS NOT NULL OR a.proposal_seq IS NOT NULL)");
  const std::string sql =
      "SELECT COALESCE(a.occurred_at_us, a.first_recorded_at_us), "
      "a.action_id, COALESCE(a.action_seq, a.proposal_seq), a.action_type, "
      "a.system, a.subject_type, a.subject_id, a.amount_micros, "
      "a.amount_value, a.currency, a.outcome_status, a.model_version, "
      "a.first_seq FROM actions a" +
      w.sql;
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);

  Section actions;
  actions.name = "actions";
  actions.title = "Affected actions";
  actions.columns = {
      {"occurred_at", CellType::kText},  {"action_id", CellType::kText},
      {"seq", CellType::kInteger},       {"action_type", CellType::kText},
      {"system", CellType::kText},       {"subject_type", CellType::kText},
      {"subject_id", CellType::kText},   {"amount", CellType::kMoney},
      {"currency", CellType::kText},     {"outcome", CellType::kText},
      {"model_version", CellType::kText}};
  MoneyTotals money;
  std::unordered_map<SubjectKey, SubjectStats, SubjectKeyHash> subjects;
  std::map<std::string, SystemStats> systems;
  // Rows come in index order and are sorted here, by occurrence and then
  // first seq: much cheaper than SQLite's sorter over every column.
  struct Order {
    int64_t t;
    int64_t first_seq;
    size_t row;
  };
  std::vector<Order> order;
  std::vector<std::vector<std::string>> rows;
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int64_t t = s.Int(0);
    first = std::min(first, t);
    last = std::max(last, t);
    SubjectKey subject{s.Text(5), s.Text(6)};
    const bool has_amount = !s.IsNull(8) && !s.IsNull(9);
    if (has_amount) money.Add(s.Text(9), s.OptInt(7), s.View(8));
    SystemStats& sys = systems[s.Text(4)];
    ++sys.actions;
    if (!s.IsNull(6)) {
      SubjectStats& st = subjects.try_emplace(subject).first->second;
      ++st.actions;
      st.first = std::min(st.first, t);
      st.last = std::max(st.last, t);
      if (has_amount) st.money.Add(s.Text(9), s.OptInt(7), s.View(8));
      if (std::find(st.systems.begin(), st.systems.end(), &sys) ==
          st.systems.end()) {
        st.systems.push_back(&sys);
        ++sys.subjects;
      }
    }
    order.push_back(Order{t, s.Int(12), rows.size()});
    rows.push_back({FormatMicros(t), s.Text(1), std::to_string(s.Int(2)),
                    s.Text(3), s.Text(4), std::move(subject.first),
                    std::move(subject.second), s.Text(8), s.Text(9), s.Text(10),
                    s.Text(11)});
  }
  std::sort(order.begin(), order.end(), [](const Order& a, const Order& b) {
    return a.t != b.t ? a.t < b.t : a.first_seq < b.first_seq;
  });
  actions.rows.reserve(rows.size());
  for (const Order& at : order) {
    actions.rows.push_back(std::move(rows[at.row]));
  }

  const UtcTime deadline{o.discovered_at->seconds + kArt33Seconds,
                         o.discovered_at->nanos};
  ReportResult r;
  r.name = "incident";
  r.title =
      "Incident: affected actions, subjects and systems; GDPR Art. 33 "
      "deadline";
  const bool any = !actions.rows.empty();
  r.summary = {
      {"discovered_at", FormatExact(*o.discovered_at), CellType::kText},
      {"notification_deadline", FormatExact(deadline), CellType::kText},
      {"deadline_passed", o.now >= deadline ? "yes" : "no", CellType::kText},
      {"affected_actions", std::to_string(actions.rows.size()),
       CellType::kInteger},
      {"affected_subjects", std::to_string(subjects.size()),
       CellType::kInteger},
      {"affected_systems", std::to_string(systems.size()), CellType::kInteger},
      {"first_occurrence", any ? FormatMicros(first) : "", CellType::kText},
      {"last_occurrence", any ? FormatMicros(last) : "", CellType::kText},
      {"totals", money.ToText(), CellType::kText},
  };

  Section totals;
  totals.name = "totals_by_currency";
  totals.title = "Totals by currency";
  totals.columns = {{"currency", CellType::kText},
                    {"actions", CellType::kInteger},
                    {"total", CellType::kMoney}};
  const auto counts = money.Counts();
  for (const auto& [currency, total] : money.Totals()) {
    totals.rows.push_back(
        {currency, std::to_string(counts.at(currency)), total});
  }

  Section sys;
  sys.name = "systems";
  sys.title = "Affected systems";
  sys.columns = {{"system", CellType::kText},
                 {"actions", CellType::kInteger},
                 {"subjects", CellType::kInteger}};
  for (const auto& [name, st] : systems) {
    sys.rows.push_back(
        {name, std::to_string(st.actions), std::to_string(st.subjects)});
  }

  Section subj;
  subj.name = "subjects";
  subj.title = "Affected data subjects";
  subj.columns = {
      {"subject_type", CellType::kText}, {"subject_id", CellType::kText},
      {"actions", CellType::kInteger},   {"first", CellType::kText},
      {"last", CellType::kText},         {"amounts", CellType::kText}};
  std::vector<const std::pair<const SubjectKey, SubjectStats>*> by_key;
  by_key.reserve(subjects.size());
  for (const auto& entry : subjects) by_key.push_back(&entry);
  std::sort(by_key.begin(), by_key.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* entry : by_key) {
    const auto& [key, st] = *entry;
    subj.rows.push_back({key.first, key.second, std::to_string(st.actions),
                         FormatMicros(st.first), FormatMicros(st.last),
                         st.money.ToText()});
  }
  r.sections.push_back(std::move(totals));
  r.sections.push_back(std::move(sys));
  r.sections.push_back(std::move(subj));
  r.sections.push_back(std::move(actions));
  return r;
}

}  // namespace actledger::report::internal
