// subject: every automated decision about one data subject, with what the
// AI saw and why it decided, who reviewed it and what happened — the
// explanation GDPR Art. 15(1)(h) and Art. 22 entitle that person to. The
// reasoning and inputs are read from the stored records themselves.
#include "actledger/json.h"
#include "report/internal.h"

namespace actledger::report::internal {
namespace {

using json::Value;

std::string Str(const Value* root, std::string_view path) {
  if (root == nullptr) return "";
  const Value* v = root->FindPath(path);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return v->as_string();
  return json::Canonical(*v);
}

// "key=value, …" of an object's members, values as canonical JSON unless
// they are strings.
std::string Pairs(const Value* obj) {
  if (obj == nullptr || !obj->is_object()) return "";
  std::string out;
  for (const auto& [k, v] : obj->as_object()) {
    if (!out.empty()) out += ", ";
    out += k + "=" + (v.is_string() ? v.as_string() : json::Canonical(v));
  }
  return out;
}

// Word-wraps `text` to `width` columns, every line after the first
// indented by `indent` spaces (the first continues a label).
std::string Wrap(const std::string& text, size_t first_used, size_t indent,
                 size_t width = 78) {
  std::string out;
  size_t col = first_used;
  size_t i = 0;
  bool first_word = true;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    if (j == i) break;
    const std::string_view word(text.data() + i, j - i);
    if (!first_word && col + 1 + word.size() > width) {
      out += '\n';
      out.append(indent, ' ');
      col = indent;
    } else if (!first_word) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    first_word = false;
    i = j;
  }
  return out;
}

struct Entry {
  std::string occurred_at, action_id, seq, action_type, system, target, amount,
      trigger, model, model_version, prompt_template, decision, confidence,
      reasoning, inputs, scores, review, outcome;
};

// The record with its personal fields readable for the report's reader.
Result<Value> ReadRecord(const ReportOptions& o, int64_t seq) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes,
                             o.ledger->Get(static_cast<uint64_t>(seq)));
  if (o.reader != nullptr) return o.reader->Parse(bytes);
  return json::Parse(bytes);
}

std::string Review(const Value& primary, const Value* approval_rec,
                   int64_t now_us) {
  if (approval_rec != nullptr) {
    const Value* ap = approval_rec->Find("approval");
    std::string s = Str(ap, "decision") == "reject" ? "rejected" : "approved";
    s += " by " + Str(ap, "approver.id");
    if (const std::string role = Str(ap, "approver.role"); !role.empty()) {
      s += " (" + role + ")";
    }
    if (const std::string at = Str(ap, "decided_at"); !at.empty()) {
      s += " at " + at;
    }
    if (const std::string why = Str(ap, "reason"); !why.empty()) {
      s += ": " + why;
    }
    return s;
  }
  if (const Value* gate = primary.Find("gate")) {
    const std::string d = Str(gate, "decision");
    const std::string rule = Str(gate, "rule.id");
    if (d == "allow") {
      return rule.empty()
                 ? "no human review: the policy lets this kind of "
                   "action run without approval (logged)"
                 : "no human review: approved automatically by "
                   "rule " +
                       rule + " of policy " + Str(gate, "policy_version");
    }
    if (d == "deny") return "denied by the policy: " + Str(gate, "reason");
    const std::string expires = Str(gate, "expires_at");
    Result<UtcTime> t = ParseRfc3339Utc(expires);
    if (t.ok() && ToMicros(*t) <= now_us) {
      return "sent to a person for review; nobody decided before the "
             "request expired at " +
             expires;
    }
    return "waiting for a person to review it" +
           (expires.empty() ? std::string() : " (until " + expires + ")");
  }
  const Value* ap = primary.Find("approval");
  if (ap == nullptr) return "not recorded";
  const std::string mode = Str(ap, "mode");
  std::string s;
  if (mode == "human") {
    s = (Str(ap, "decision") == "reject" ? "rejected by " : "approved by ") +
        Str(ap, "approver.id");
    if (const std::string role = Str(ap, "approver.role"); !role.empty()) {
      s += " (" + role + ")";
    }
    if (const std::string at = Str(ap, "decided_at"); !at.empty()) {
      s += " at " + at;
    }
  } else if (mode == "rule") {
    s = "no human review: approved automatically by rule " + Str(ap, "rule.id");
    if (const std::string v = Str(ap, "rule.version"); !v.empty()) {
      s += " (version " + v + ")";
    }
  } else {
    s = "no human review (approval mode " + mode + ")";
  }
  if (const std::string note = Str(ap, "note"); !note.empty()) {
    s += "; note: " + note;
  }
  return s;
}

std::string OutcomeText(const Value* outcome) {
  if (outcome == nullptr) return "not recorded yet";
  std::string s = Str(outcome, "status");
  if (const std::string at = Str(outcome, "confirmed_at"); !at.empty()) {
    s += ", confirmed " + at;
  }
  if (const std::string id = Str(outcome, "external_id"); !id.empty()) {
    s += ", reference " + id;
  }
  if (const std::string err = Str(outcome, "error"); !err.empty()) {
    s += ", error: " + err;
  }
  return s;
}

}  // namespace

Result<ReportResult> Subject(const ReportOptions& o) {
  if (!o.filter.subject_type || !o.filter.subject_id) {
    return InvalidArgument(
        "the subject report needs --subject TYPE:ID (the data subject)",
        "subject");
  }
  Where w = ActionsWhere(o.filter);
  w.And("(a.action_seq IS NOT NULL OR a.proposal_seq IS NOT NULL)");
  const std::string sql =
      "SELECT a.action_id, COALESCE(a.action_seq, a.proposal_seq), "
      "a.approval_seq, a.outcome_seq FROM actions a" +
      w.sql +
      " ORDER BY COALESCE(a.occurred_at_us, a.first_recorded_at_us), "
      "a.first_seq";
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);
  const int64_t now_us = ToMicros(o.now);
  std::vector<Entry> entries;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    Entry e;
    e.action_id = s.Text(0);
    const int64_t seq = s.Int(1);
    e.seq = std::to_string(seq);
    ACTLEDGER_ASSIGN_OR_RETURN(Value rec, ReadRecord(o, seq));
    std::optional<Value> approval_rec, outcome_rec;
    if (std::optional<int64_t> a = s.OptInt(2)) {
      ACTLEDGER_ASSIGN_OR_RETURN(approval_rec, ReadRecord(o, *a));
    }
    if (std::optional<int64_t> oc = s.OptInt(3)) {
      ACTLEDGER_ASSIGN_OR_RETURN(outcome_rec, ReadRecord(o, *oc));
    }
    e.occurred_at = Str(&rec, "context.occurred_at");
    if (e.occurred_at.empty()) e.occurred_at = Str(&rec, "recorded_at");
    e.action_type = Str(&rec, "action.type");
    e.system = Str(&rec, "action.system");
    e.target = Str(&rec, "action.target");
    if (const std::string v = Str(&rec, "action.amount.value"); !v.empty()) {
      e.amount = v + " " + Str(&rec, "action.amount.currency");
    }
    e.trigger = Str(&rec, "trigger.type");
    if (const std::string src = Str(&rec, "trigger.source"); !src.empty()) {
      e.trigger += (e.trigger.empty() ? "" : " ") + src;
    }
    if (const std::string ref = Str(&rec, "trigger.ref"); !ref.empty()) {
      e.trigger += " (ref " + ref + ")";
    }
    e.model = Str(&rec, "model.provider");
    if (const std::string n = Str(&rec, "model.name"); !n.empty()) {
      e.model += (e.model.empty() ? "" : " ") + n;
    }
    e.model_version = Str(&rec, "model.version");
    e.prompt_template = Str(&rec, "model.prompt_template.id");
    if (const std::string v = Str(&rec, "model.prompt_template.version");
        !v.empty()) {
      e.prompt_template += " v" + v;
    }
    e.decision = Str(&rec, "ai_output.decision");
    e.confidence = Str(&rec, "ai_output.confidence");
    e.reasoning = Str(&rec, "ai_output.reasoning");
    e.inputs = Pairs(rec.FindPath("subject.attributes"));
    e.scores = Pairs(rec.FindPath("ai_output.scores"));
    e.review = Review(rec, approval_rec ? &*approval_rec : nullptr, now_us);
    const Value* outcome =
        outcome_rec ? outcome_rec->Find("outcome") : rec.Find("outcome");
    e.outcome = OutcomeText(outcome);
    entries.push_back(std::move(e));
  }

  const std::string who = *o.filter.subject_type + " " + *o.filter.subject_id;
  ReportResult r;
  r.name = "subject";
  r.title = "Automated decisions concerning " + who;
  r.summary = {
      {"subject_type", *o.filter.subject_type, CellType::kText},
      {"subject_id", *o.filter.subject_id, CellType::kText},
      {"decisions", std::to_string(entries.size()), CellType::kInteger},
      {"prepared_at", FormatRfc3339Utc(o.now, 0), CellType::kText},
  };

  std::string& n = r.narrative;
  n += "Automated decisions concerning " + who + "\n";
  n += Wrap("Prepared " + FormatRfc3339Utc(o.now, 0) +
                " from the audit ledger " + o.ledger->origin() + ". " +
                std::to_string(entries.size()) +
                (entries.size() == 1 ? " decision was" : " decisions were") +
                " made about you with the help of an automated system. "
                "For each one: what triggered it, which model and version "
                "made it, the information about you it used, its "
                "reasoning, whether a person reviewed it, and what "
                "happened (GDPR Art. 15(1)(h), Art. 22).",
            0, 0) +
       "\n";
  size_t k = 0;
  for (const Entry& e : entries) {
    ++k;
    n += "\n" + std::to_string(k) + ". " + e.occurred_at + "  " +
         e.action_type + (e.system.empty() ? "" : " in " + e.system) + "\n";
    auto line = [&](const std::string& label, const std::string& value) {
      if (value.empty()) return;
      const std::string head = "   " + label + ": ";
      n += head + Wrap(value, head.size(), 6) + "\n";
    };
    line("Action", e.action_id + " (ledger record " + e.seq + ")" +
                       (e.target.empty() ? "" : ", target " + e.target) +
                       (e.amount.empty() ? "" : ", amount " + e.amount));
    line("Triggered by", e.trigger);
    line("Model",
         e.model +
             (e.model_version.empty() ? ", version not recorded"
                                      : ", version " + e.model_version) +
             (e.prompt_template.empty()
                  ? ""
                  : "; prompt template " + e.prompt_template));
    line("Information used", e.inputs);
    line("Decision", e.decision + (e.confidence.empty()
                                       ? ""
                                       : " (confidence " + e.confidence + ")"));
    line("Scores", e.scores);
    line("Reasoning", e.reasoning.empty() ? "not recorded" : e.reasoning);
    line("Human review", e.review);
    line("Outcome", e.outcome);
  }

  Section sec;
  sec.name = "decisions";
  sec.title = "Decisions";
  sec.columns = {
      {"occurred_at", CellType::kText},   {"action_id", CellType::kText},
      {"seq", CellType::kInteger},        {"action_type", CellType::kText},
      {"system", CellType::kText},        {"model", CellType::kText},
      {"model_version", CellType::kText}, {"prompt_template", CellType::kText},
      {"trigger", CellType::kText},       {"inputs", CellType::kText},
      {"decision", CellType::kText},      {"confidence", CellType::kRatio},
      {"reasoning", CellType::kText},     {"human_review", CellType::kText},
      {"outcome", CellType::kText}};
  for (Entry& e : entries) {
    sec.rows.push_back({e.occurred_at, e.action_id, e.seq, e.action_type,
                        e.system, e.model, e.model_version, e.prompt_template,
                        e.trigger, e.inputs, e.decision, e.confidence,
                        e.reasoning, e.review, e.outcome});
  }
  r.sections.push_back(std::move(sec));
  return r;
}

}  // namespace actledger::report::internal
