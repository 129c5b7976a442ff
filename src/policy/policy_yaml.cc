// Policy::Parse: the yaml-cpp adapter. This is the only file that includes
// yaml-cpp; its exceptions stop here and become Status values carrying
// "<source>:<line>:<column>".
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/policy.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "policy/policy_impl.h"

namespace actledger::policy {
namespace {

std::string Sha256Hex(std::string_view bytes) {
  const crypto::Digest d = crypto::Sha256(bytes);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

class Loader {
 public:
  Loader(std::string_view text, std::string_view source, Policy::Impl* p)
      : text_(text), source_(source), p_(p) {}

  Status Load(const YAML::Node& root);

 private:
  Status ErrorAt(int line, int column, const std::string& msg) const {
    return InvalidArgument(std::string(source_) + ":" + std::to_string(line) +
                           ":" + std::to_string(column) + ": " + msg);
  }
  Status Error(const YAML::Node& n, const std::string& msg) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return ErrorAt(0, 0, msg);
    return ErrorAt(m.line + 1, m.column + 1, msg);
  }
  static int Line(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
  }

  // Checks that `map` is a mapping with unique scalar keys; records unknown
  // keys as lint findings (they are errors there: a misspelt `when` would
  // otherwise make a rule unconditional).
  Status CheckMap(const YAML::Node& map, const std::string& where,
                  std::initializer_list<std::string_view> known);
  Result<std::string> String(const YAML::Node& map, const char* key,
                             const std::string& where, bool required);
  Result<std::vector<std::string>> StringList(const YAML::Node& map,
                                              const char* key,
                                              const std::string& where,
                                              bool required, bool* present);
  Result<Tier> ParseTier(const YAML::Node& map, const std::string& where,
                         bool required, bool* present);
  Result<std::vector<Glob>> Globs(const YAML::Node& map, const char* key,
                                  const std::string& where,
                                  std::vector<int>* lines);
  Status LoadDefaults(const YAML::Node& n);
  Status LoadClass(const YAML::Node& n, size_t index);
  Status LoadRule(const YAML::Node& n, size_t index);
  Status CompileWhen(const YAML::Node& value, const std::string& where,
                     RuleDef* rule);

  std::string_view text_;
  std::string_view source_;
  Policy::Impl* p_;
};

Status Loader::CheckMap(const YAML::Node& map, const std::string& where,
                        std::initializer_list<std::string_view> known) {
  if (!map.IsMap()) return Error(map, where + " must be a mapping");
  std::vector<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar())
      return Error(key, where + ": keys must be plain strings");
    const std::string& k = key.Scalar();
    for (const std::string& s : seen) {
      if (s == k) return Error(key, where + ": duplicate key \"" + k + "\"");
    }
    seen.push_back(k);
    bool ok = false;
    for (std::string_view kn : known) ok = ok || kn == k;
    if (!ok) {
      Finding f;
      f.severity = Finding::Severity::kError;
      f.line = Line(key);
      f.code = "unknown-key";
      std::string list;
      for (std::string_view kn : known) {
        if (!list.empty()) list += ", ";
        list += kn;
      }
      f.message = where + ": unknown key \"" + k + "\" (known: " + list + ")";
      p_->parse_findings.push_back(std::move(f));
    }
  }
  return Status::Ok();
}

Result<std::string> Loader::String(const YAML::Node& map, const char* key,
                                   const std::string& where, bool required) {
  const YAML::Node n = map[key];
  if (!n.IsDefined()) {
    if (required)
      return Error(map, where + ": missing required key \"" + key + "\"");
    return std::string();
  }
  if (!n.IsScalar())
    return Error(n, where + ": \"" + key + "\" must be a string");
  if (required && n.Scalar().empty()) {
    return Error(n, where + ": \"" + key + "\" must not be empty");
  }
  return n.Scalar();
}

Result<std::vector<std::string>> Loader::StringList(const YAML::Node& map,
                                                    const char* key,
                                                    const std::string& where,
                                                    bool required,
                                                    bool* present) {
  const YAML::Node n = map[key];
  if (present != nullptr) *present = n.IsDefined();
  std::vector<std::string> out;
  if (!n.IsDefined()) {
    if (required)
      return Error(map, where + ": missing required key \"" + key + "\"");
    return out;
  }
  if (!n.IsSequence()) {
    return Error(n, where + ": \"" + key + "\" must be a list of strings");
  }
  for (const YAML::Node& item : n) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return Error(item, where + ": \"" + key +
                             "\" must be a list of non-empty strings");
    }
    out.push_back(item.Scalar());
  }
  if (required && out.empty()) {
    return Error(n, where + ": \"" + key + "\" must not be empty");
  }
  return out;
}

Result<Tier> Loader::ParseTier(const YAML::Node& map, const std::string& where,
                               bool required, bool* present) {
  const YAML::Node n = map["tier"];
  *present = n.IsDefined();
  if (!n.IsDefined()) {
    if (required) return Error(map, where + ": missing required key \"tier\"");
    return Tier::kHumanApproval;
  }
  const std::string s = n.IsScalar() ? n.Scalar() : std::string();
  if (s == "human_approval") return Tier::kHumanApproval;
  if (s == "threshold") return Tier::kThreshold;
  if (s == "log_only") return Tier::kLogOnly;
  return Error(n,
               where + ": tier must be human_approval, threshold or log_only");
}

Result<std::vector<Glob>> Loader::Globs(const YAML::Node& map, const char* key,
                                        const std::string& where,
                                        std::vector<int>* lines) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> patterns,
                             StringList(map, key, where, true, nullptr));
  std::vector<Glob> out;
  const YAML::Node seq = map[key];
  for (size_t i = 0; i < patterns.size(); ++i) {
    Result<Glob> g = Glob::Compile(patterns[i]);
    if (!g.ok()) return Error(seq[i], where + ": " + g.status().message());
    out.push_back(std::move(*g));
    lines->push_back(Line(seq[i]));
  }
  return out;
}

Status Loader::LoadDefaults(const YAML::Node& n) {
  p_->defaults_line = Line(n);
  ACTLEDGER_RETURN_IF_ERROR(
      CheckMap(n, "defaults", {"tier", "approval_ttl", "approver_roles"}));
  bool present;
  ACTLEDGER_ASSIGN_OR_RETURN(p_->default_tier,
                             ParseTier(n, "defaults", false, &present));
  ACTLEDGER_ASSIGN_OR_RETURN(std::string ttl,
                             String(n, "approval_ttl", "defaults", false));
  if (!ttl.empty()) {
    Result<Duration> d = Duration::Parse(ttl);
    if (!d.ok())
      return Error(n["approval_ttl"], "defaults: " + d.status().message());
    p_->default_ttl_seconds = d->ToSeconds();
  }
  ACTLEDGER_ASSIGN_OR_RETURN(
      p_->default_approver_roles,
      StringList(n, "approver_roles", "defaults", false, nullptr));
  return Status::Ok();
}

Status Loader::LoadClass(const YAML::Node& n, size_t index) {
  std::string where = "classes[" + std::to_string(index) + "]";
  if (!n.IsMap()) return Error(n, where + " must be a mapping");
  if (const YAML::Node name = n["name"]; name.IsDefined() && name.IsScalar()) {
    where = "class " + name.Scalar();
  }
  ACTLEDGER_RETURN_IF_ERROR(CheckMap(n, where,
                                     {"name", "description", "match", "tier",
                                      "approver_roles", "approval_ttl"}));
  ClassDef c;
  c.line = Line(n);
  ACTLEDGER_ASSIGN_OR_RETURN(c.name, String(n, "name", where, true));
  where = "class " + c.name;
  for (const ClassDef& other : p_->classes) {
    if (other.name == c.name) {
      return Error(n["name"], "duplicate class name \"" + c.name + "\"");
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string ignored,
                             String(n, "description", where, false));
  (void)ignored;
  ACTLEDGER_ASSIGN_OR_RETURN(c.match, Globs(n, "match", where, &c.match_lines));
  bool present;
  ACTLEDGER_ASSIGN_OR_RETURN(c.tier, ParseTier(n, where, true, &present));
  bool roles_present;
  ACTLEDGER_ASSIGN_OR_RETURN(
      c.approver_roles,
      StringList(n, "approver_roles", where, false, &roles_present));
  if (!roles_present) c.approver_roles = p_->default_approver_roles;
  c.approval_ttl_seconds = p_->default_ttl_seconds;
  ACTLEDGER_ASSIGN_OR_RETURN(std::string ttl,
                             String(n, "approval_ttl", where, false));
  if (!ttl.empty()) {
    Result<Duration> d = Duration::Parse(ttl);
    if (!d.ok())
      return Error(n["approval_ttl"], where + ": " + d.status().message());
    c.approval_ttl_seconds = d->ToSeconds();
  }
  p_->classes.push_back(std::move(c));
  return Status::Ok();
}

// Maps an offset inside the `when` string to a line and column of the file.
// Exact for plain and quoted one-line scalars and for block scalars (| >)
// without escapes; for escapes and folded multi-line flow scalars the
// column is approximate (the message also gives the column inside the
// expression).
Status Loader::CompileWhen(const YAML::Node& value, const std::string& where,
                           RuleDef* rule) {
  const std::string& text = value.Scalar();
  ExprError err;
  if (Expression::Compile(text, p_->paths.get(), &rule->when, &err)) {
    rule->has_when = true;
    return Status::Ok();
  }
  const YAML::Mark m = value.Mark();
  const size_t pos = static_cast<size_t>(m.pos);
  const char first = pos < text_.size() ? text_[pos] : '\0';
  const std::string_view before = std::string_view(text).substr(0, err.offset);
  const size_t newlines =
      static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t last_nl = before.rfind('\n');
  const size_t in_line =
      last_nl == std::string_view::npos ? err.offset : err.offset - last_nl - 1;
  int line = m.line + 1 + static_cast<int>(newlines);
  int column;
  if (first == '|' || first == '>') {
    // The content starts on the next line, at its indentation.
    size_t nl = text_.find('\n', pos);
    size_t indent = 0;
    if (nl != std::string_view::npos) {
      while (nl + 1 + indent < text_.size() && text_[nl + 1 + indent] == ' ')
        ++indent;
    }
    line += 1;
    column = static_cast<int>(indent + in_line) + 1;
  } else if (newlines == 0) {
    column = m.column + 1 + (first == '"' || first == '\'' ? 1 : 0) +
             static_cast<int>(err.offset);
  } else {
    column = static_cast<int>(in_line) + 1;
  }
  return ErrorAt(line, column,
                 where + ": when: " + err.message + " (expression column " +
                     std::to_string(err.offset + 1) + ")");
}

Status Loader::LoadRule(const YAML::Node& n, size_t index) {
  std::string where = "rules[" + std::to_string(index) + "]";
  if (!n.IsMap()) return Error(n, where + " must be a mapping");
  if (const YAML::Node id = n["id"]; id.IsDefined() && id.IsScalar()) {
    where = "rule " + id.Scalar();
  }
  ACTLEDGER_RETURN_IF_ERROR(
      CheckMap(n, where,
               {"id", "description", "applies_to", "when", "decision",
                "approver_roles", "owner", "approved_by", "approved_at",
                "review_every", "last_reviewed"}));
  RuleDef r;
  r.line = Line(n);
  ACTLEDGER_ASSIGN_OR_RETURN(r.id, String(n, "id", where, true));
  where = "rule " + r.id;
  for (const RuleDef& other : p_->rules) {
    if (other.id == r.id) {
      return Error(n["id"], "duplicate rule id \"" + r.id +
                                "\" (first at line " +
                                std::to_string(other.line) + ")");
    }
  }
  json::Value canon = json::Value::MakeObject();
  canon.Set("id", json::Value::String(r.id));
  ACTLEDGER_ASSIGN_OR_RETURN(r.description,
                             String(n, "description", where, false));
  if (n["description"].IsDefined()) {
    canon.Set("description", json::Value::String(r.description));
  }
  std::vector<int> lines;
  ACTLEDGER_ASSIGN_OR_RETURN(r.applies_to,
                             Globs(n, "applies_to", where, &lines));
  r.applies_to_line = Line(n["applies_to"]);
  json::Value::Array applies;
  for (const Glob& g : r.applies_to)
    applies.push_back(json::Value::String(g.pattern()));
  canon.Set("applies_to", json::Value::MakeArray(std::move(applies)));

  const YAML::Node when = n["when"];
  if (when.IsDefined()) {
    if (!when.IsScalar() || when.Scalar().empty()) {
      return Error(when,
                   where + ": when must be a non-empty expression string");
    }
    r.when_line = Line(when);
    ACTLEDGER_RETURN_IF_ERROR(CompileWhen(when, where, &r));
    canon.Set("when", json::Value::String(when.Scalar()));
  }

  const YAML::Node decision = n["decision"];
  if (!decision.IsDefined()) {
    return Error(n, where + ": missing required key \"decision\"");
  }
  const std::string d = decision.IsScalar() ? decision.Scalar() : std::string();
  if (d == "auto_approve") {
    r.decision = RuleDecision::kAutoApprove;
  } else if (d == "require_human") {
    r.decision = RuleDecision::kRequireHuman;
  } else if (d == "deny") {
    r.decision = RuleDecision::kDeny;
  } else {
    return Error(
        decision,
        where + ": decision must be auto_approve, require_human or deny");
  }
  canon.Set("decision", json::Value::String(d));

  ACTLEDGER_ASSIGN_OR_RETURN(
      r.approver_roles,
      StringList(n, "approver_roles", where, false, &r.has_approver_roles));
  if (r.has_approver_roles) {
    json::Value::Array roles;
    for (const std::string& s : r.approver_roles)
      roles.push_back(json::Value::String(s));
    canon.Set("approver_roles", json::Value::MakeArray(std::move(roles)));
  }
  ACTLEDGER_ASSIGN_OR_RETURN(r.owner, String(n, "owner", where, false));
  ACTLEDGER_ASSIGN_OR_RETURN(r.approved_by,
                             String(n, "approved_by", where, false));
  if (!r.owner.empty()) canon.Set("owner", json::Value::String(r.owner));
  if (!r.approved_by.empty())
    canon.Set("approved_by", json::Value::String(r.approved_by));

  for (const char* key : {"approved_at", "last_reviewed"}) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string s, String(n, key, where, false));
    if (s.empty()) continue;
    Result<UtcTime> t = ParseDate(s);
    if (!t.ok())
      return Error(n[key], where + ": " + key + ": " + t.status().message());
    (std::string_view(key) == "approved_at" ? r.approved_at : r.last_reviewed) =
        *t;
    canon.Set(key, json::Value::String(s));
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string every,
                             String(n, "review_every", where, false));
  if (!every.empty()) {
    Result<Duration> dur = Duration::Parse(every);
    if (!dur.ok()) {
      return Error(n["review_every"],
                   where + ": review_every: " + dur.status().message());
    }
    r.review_every = *dur;
    canon.Set("review_every", json::Value::String(every));
  }

  r.canonical_json = json::Canonical(canon);
  r.content_hash = Sha256Hex(r.canonical_json);
  r.version = r.content_hash.substr(0, 12);
  p_->rules.push_back(std::move(r));
  return Status::Ok();
}

Status Loader::Load(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) {
    return ErrorAt(1, 1, "the policy file is empty");
  }
  ACTLEDGER_RETURN_IF_ERROR(
      CheckMap(root, "policy file",
               {"policy", "version", "description", "defaults", "classes",
                "rules", "retention", "personal_fields", "personal_access"}));
  ACTLEDGER_ASSIGN_OR_RETURN(p_->name,
                             String(root, "policy", "policy file", true));
  ACTLEDGER_ASSIGN_OR_RETURN(p_->version,
                             String(root, "version", "policy file", true));
  if (const YAML::Node d = root["defaults"]; d.IsDefined()) {
    ACTLEDGER_RETURN_IF_ERROR(LoadDefaults(d));
  }
  if (const YAML::Node classes = root["classes"]; classes.IsDefined()) {
    if (!classes.IsSequence()) return Error(classes, "classes must be a list");
    for (size_t i = 0; i < classes.size(); ++i) {
      ACTLEDGER_RETURN_IF_ERROR(LoadClass(classes[i], i));
    }
  }
  if (const YAML::Node rules = root["rules"]; rules.IsDefined()) {
    if (!rules.IsSequence()) return Error(rules, "rules must be a list");
    for (size_t i = 0; i < rules.size(); ++i) {
      ACTLEDGER_RETURN_IF_ERROR(LoadRule(rules[i], i));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Policy> Policy::Parse(std::string_view yaml_text,
                             std::string_view source_name) {
  auto impl = std::make_shared<Impl>();
  impl->source_name = std::string(source_name);
  impl->content_hash = Sha256Hex(yaml_text);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    Loader loader(yaml_text, source_name, impl.get());
    ACTLEDGER_RETURN_IF_ERROR(loader.Load(root));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    return InvalidArgument(std::string(source_name) + ":" +
                           std::to_string(line) + ":" + std::to_string(column) +
                           ": YAML: " + e.msg);
  }
  // A policy whose retention section does not load is not activated.
  ACTLEDGER_RETURN_IF_ERROR(
      RetentionPolicy::Parse(yaml_text, source_name).status());
  impl->BuildIndex();
  return Policy(std::move(impl));
}

}  // namespace actledger::policy
