// RetentionPolicy: the `retention:` and `personal_fields:` sections of a
// policy file. Like policy_yaml.cc this is a yaml-cpp adapter: its
// exceptions stop here and become Status values naming line, column and key.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/policy.h"
#include "keystore/field_crypto.h"
#include "policy/duration.h"
#include "policy/glob.h"

namespace actledger::policy {

struct RetentionPolicy::Compiled {
  std::vector<std::vector<Glob>> match;  // per rule
};

namespace {

constexpr std::pair<const char*, const char*> kDefaultPeriods[] = {
    {"general", "3y"}, {"gdpr", "6y"}, {"hipaa", "6y"}, {"sox", "7y"}};
constexpr const char* kDefaultLegalDuty[] = {"hipaa", "sox"};
constexpr const char* kDefaultFloor = "6mo";

class RetentionLoader {
 public:
  explicit RetentionLoader(std::string_view source) : source_(source) {}

  Status Error(const YAML::Node& n, const std::string& field,
               const std::string& what) const {
    const YAML::Mark m = n.Mark();
    std::string where = std::string(source_) + ":" +
                        (m.is_null() ? std::string("0:0")
                                     : std::to_string(m.line + 1) + ":" +
                                           std::to_string(m.column + 1));
    return InvalidArgument(where + ": " + field + ": " + what, field);
  }

  Result<std::string> Scalar(const YAML::Node& n,
                             const std::string& field) const {
    if (!n.IsScalar() || n.Scalar().empty()) {
      return Error(n, field, "must be a non-empty string");
    }
    return n.Scalar();
  }

  // A list of non-empty strings; a single string is taken as a list of one.
  Result<std::vector<std::string>> List(const YAML::Node& n,
                                        const std::string& field) const {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      ACTLEDGER_ASSIGN_OR_RETURN(std::string s, Scalar(n, field));
      out.push_back(std::move(s));
      return out;
    }
    if (!n.IsSequence() || n.size() == 0) {
      return Error(n, field, "must be a non-empty list of strings");
    }
    for (size_t i = 0; i < n.size(); ++i) {
      ACTLEDGER_ASSIGN_OR_RETURN(
          std::string s, Scalar(n[i], field + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(s));
    }
    return out;
  }

  Status CheckKeys(const YAML::Node& map, const std::string& field,
                   std::initializer_list<std::string_view> known) const {
    if (!map.IsMap()) return Error(map, field, "must be a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (std::string_view k : known) {
          list += (list.empty() ? "" : ", ") + std::string(k);
        }
        return Error(it->first, field + "." + key,
                     "unknown key (known: " + list + ")");
      }
    }
    return Status::Ok();
  }

 private:
  std::string_view source_;
};

}  // namespace

UtcTime RetentionPolicy::Add(const Period& p, UtcTime t) {
  Duration d;
  d.count = p.count;
  d.unit = static_cast<Duration::Unit>(p.unit);
  return d.AddTo(t);
}

const RetentionPolicy::Period* RetentionPolicy::FindPeriod(
    std::string_view regime) const {
  for (const auto& [name, period] : periods_) {
    if (name == regime) return &period;
  }
  return nullptr;
}

RetentionPolicy RetentionPolicy::Defaults() {
  RetentionPolicy r;
  for (const auto& [name, text] : kDefaultPeriods) {
    Duration d = Duration::Parse(text).value();
    r.periods_.emplace_back(name,
                            Period{text, d.count, static_cast<int>(d.unit)});
  }
  for (const char* name : kDefaultLegalDuty) r.legal_duty_.push_back(name);
  Duration f = Duration::Parse(kDefaultFloor).value();
  r.floor_ = Period{kDefaultFloor, f.count, static_cast<int>(f.unit)};
  r.floor_text_ = kDefaultFloor;
  r.compiled_ = std::make_shared<Compiled>();
  return r;
}

Result<RetentionPolicy> RetentionPolicy::Parse(std::string_view yaml_text,
                                               std::string_view source_name) {
  RetentionPolicy r = Defaults();
  auto compiled = std::make_shared<Compiled>();
  RetentionLoader L(source_name);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) {
      return InvalidArgument(std::string(source_name) +
                             ": a policy file is a YAML mapping");
    }
    if (const YAML::Node pf = root["personal_fields"]; pf.IsDefined()) {
      ACTLEDGER_ASSIGN_OR_RETURN(r.personal_fields_,
                                 L.List(pf, "personal_fields"));
      for (size_t i = 0; i < r.personal_fields_.size(); ++i) {
        const std::string& path = r.personal_fields_[i];
        if (path.front() == '.' || path.back() == '.' ||
            path.find("..") != std::string::npos) {
          return L.Error(pf[i], "personal_fields[" + std::to_string(i) + "]",
                         "\"" + path + "\" is not a dotted field path");
        }
        // What the ledger, the gate and the index read in the clear.
        if (Status st = keystore::ValidatePersonalFields({path}); !st.ok()) {
          return L.Error(pf[i], "personal_fields[" + std::to_string(i) + "]",
                         st.message());
        }
      }
    }
    if (const YAML::Node pa = root["personal_access"]; pa.IsDefined()) {
      ACTLEDGER_RETURN_IF_ERROR(
          L.CheckKeys(pa, "personal_access", {"redacted_roles"}));
      if (const YAML::Node rr = pa["redacted_roles"]; rr.IsDefined()) {
        ACTLEDGER_ASSIGN_OR_RETURN(
            r.redacted_roles_, L.List(rr, "personal_access.redacted_roles"));
      }
    }
    const YAML::Node ret = root["retention"];
    if (!ret.IsDefined() || ret.IsNull()) {
      r.compiled_ = std::move(compiled);
      return r;
    }
    r.from_file_ = true;
    ACTLEDGER_RETURN_IF_ERROR(L.CheckKeys(
        ret, "retention", {"periods", "legal_duty", "floor", "rules"}));
    if (const YAML::Node periods = ret["periods"]; periods.IsDefined()) {
      if (!periods.IsMap()) {
        return L.Error(periods, "retention.periods",
                       "must be a mapping of regime to period (sox: 7y)");
      }
      for (auto it = periods.begin(); it != periods.end(); ++it) {
        ACTLEDGER_ASSIGN_OR_RETURN(std::string name,
                                   L.Scalar(it->first, "retention.periods"));
        const std::string field = "retention.periods." + name;
        ACTLEDGER_ASSIGN_OR_RETURN(std::string text,
                                   L.Scalar(it->second, field));
        Result<Duration> d = Duration::Parse(text);
        if (!d.ok()) return L.Error(it->second, field, d.status().message());
        if (d->unit != Duration::Unit::kDays &&
            d->unit != Duration::Unit::kWeeks &&
            d->unit != Duration::Unit::kMonths &&
            d->unit != Duration::Unit::kYears) {
          return L.Error(it->second, field,
                         "retention periods are given in d, w, mo or y");
        }
        Period p{text, d->count, static_cast<int>(d->unit)};
        auto found =
            std::find_if(r.periods_.begin(), r.periods_.end(),
                         [&](const auto& e) { return e.first == name; });
        if (found != r.periods_.end()) {
          found->second = p;
        } else {
          r.periods_.emplace_back(name, p);
        }
      }
      std::sort(r.periods_.begin(), r.periods_.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    if (const YAML::Node legal = ret["legal_duty"]; legal.IsDefined()) {
      if (legal.IsSequence() && legal.size() == 0) {
        r.legal_duty_.clear();
      } else {
        ACTLEDGER_ASSIGN_OR_RETURN(r.legal_duty_,
                                   L.List(legal, "retention.legal_duty"));
      }
      for (size_t i = 0; i < r.legal_duty_.size(); ++i) {
        if (r.FindPeriod(r.legal_duty_[i]) == nullptr) {
          return L.Error(legal.IsSequence() ? legal[i] : legal,
                         "retention.legal_duty[" + std::to_string(i) + "]",
                         "unknown regime \"" + r.legal_duty_[i] +
                             "\" (retention.periods has no period for it)");
        }
      }
    }
    if (const YAML::Node floor = ret["floor"]; floor.IsDefined()) {
      ACTLEDGER_ASSIGN_OR_RETURN(std::string text,
                                 L.Scalar(floor, "retention.floor"));
      Result<Duration> d = Duration::Parse(text);
      if (!d.ok()) {
        return L.Error(floor, "retention.floor", d.status().message());
      }
      r.floor_ = Period{text, d->count, static_cast<int>(d->unit)};
      r.floor_text_ = text;
    }
    if (const YAML::Node rules = ret["rules"]; rules.IsDefined()) {
      if (!rules.IsSequence()) {
        return L.Error(rules, "retention.rules", "must be a list of rules");
      }
      for (size_t i = 0; i < rules.size(); ++i) {
        const YAML::Node n = rules[i];
        const std::string field = "retention.rules[" + std::to_string(i) + "]";
        ACTLEDGER_RETURN_IF_ERROR(L.CheckKeys(
            n, field, {"match", "subject_types", "classes", "regime"}));
        Rule rule;
        rule.line = n.Mark().is_null() ? 0 : n.Mark().line + 1;
        std::vector<Glob> globs;
        if (const YAML::Node m = n["match"]; m.IsDefined()) {
          ACTLEDGER_ASSIGN_OR_RETURN(rule.match, L.List(m, field + ".match"));
          for (size_t k = 0; k < rule.match.size(); ++k) {
            Result<Glob> g = Glob::Compile(rule.match[k]);
            if (!g.ok()) {
              return L.Error(m.IsSequence() ? m[k] : m,
                             field + ".match[" + std::to_string(k) + "]",
                             g.status().message());
            }
            globs.push_back(*std::move(g));
          }
        }
        if (const YAML::Node s = n["subject_types"]; s.IsDefined()) {
          ACTLEDGER_ASSIGN_OR_RETURN(rule.subject_types,
                                     L.List(s, field + ".subject_types"));
        }
        if (const YAML::Node c = n["classes"]; c.IsDefined()) {
          ACTLEDGER_ASSIGN_OR_RETURN(rule.classes,
                                     L.List(c, field + ".classes"));
          r.uses_classes_ = true;
        }
        if (rule.match.empty() && rule.subject_types.empty() &&
            rule.classes.empty()) {
          return L.Error(n, field,
                         "a rule needs match, subject_types or classes");
        }
        const YAML::Node regime = n["regime"];
        if (!regime.IsDefined()) {
          return L.Error(n, field + ".regime", "is required");
        }
        ACTLEDGER_ASSIGN_OR_RETURN(rule.regime,
                                   L.Scalar(regime, field + ".regime"));
        if (r.FindPeriod(rule.regime) == nullptr) {
          std::string known;
          for (const auto& [name, p] : r.periods_) {
            known += (known.empty() ? "" : ", ") + name;
          }
          return L.Error(regime, field + ".regime",
                         "unknown regime \"" + rule.regime +
                             "\" (retention.periods defines " + known + ")");
        }
        r.rules_.push_back(std::move(rule));
        compiled->match.push_back(std::move(globs));
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string(source_name) + ":" +
                           std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  r.compiled_ = std::move(compiled);
  return r;
}

RetentionAssignment RetentionPolicy::Assign(const RetentionFacts& facts,
                                            UtcTime from) const {
  RetentionAssignment best;
  bool found = false;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (!rule.match.empty()) {
      const std::vector<Glob>& globs = compiled_->match[i];
      if (facts.action_type.empty() ||
          std::none_of(globs.begin(), globs.end(), [&](const Glob& g) {
            return g.Matches(facts.action_type);
          })) {
        continue;
      }
    }
    if (!rule.subject_types.empty() &&
        std::find(rule.subject_types.begin(), rule.subject_types.end(),
                  facts.subject_type) == rule.subject_types.end()) {
      continue;
    }
    if (!rule.classes.empty() &&
        std::find(rule.classes.begin(), rule.classes.end(), facts.class_name) ==
            rule.classes.end()) {
      continue;
    }
    const UtcTime until = Add(*FindPeriod(rule.regime), from);
    if (!found || until > best.until) {
      best.regime = rule.regime;
      best.until = until;
      found = true;
    }
  }
  if (!found) {
    best.regime = "general";
    const Period* general = FindPeriod("general");
    best.until = general != nullptr ? Add(*general, from) : from;
  }
  const UtcTime floor = Add(floor_, from);
  if (floor > best.until) {
    best.until = floor;
    best.floor_applied = true;
  }
  return best;
}

std::optional<UtcTime> RetentionPolicy::UntilFor(std::string_view regime,
                                                 UtcTime from) const {
  const Period* p = FindPeriod(regime);
  if (p == nullptr) return std::nullopt;
  return std::max(Add(*p, from), Add(floor_, from));
}

std::vector<std::pair<std::string, std::string>> RetentionPolicy::Periods()
    const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, p] : periods_) out.emplace_back(name, p.text);
  return out;
}

bool RetentionPolicy::IsLegalDuty(std::string_view regime) const {
  return std::find(legal_duty_.begin(), legal_duty_.end(), regime) !=
         legal_duty_.end();
}

}  // namespace actledger::policy
