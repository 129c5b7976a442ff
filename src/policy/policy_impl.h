// The compiled form of a policy, shared by the YAML loader
// (policy_yaml.cc) and evaluation (policy.cc).
#ifndef ACTLEDGER_POLICY_POLICY_IMPL_H_
#define ACTLEDGER_POLICY_POLICY_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actledger/policy.h"
#include "common/time.h"
#include "policy/duration.h"
#include "policy/expr.h"
#include "policy/glob.h"

namespace actledger::policy {

enum class Tier { kHumanApproval, kThreshold, kLogOnly };
enum class RuleDecision { kAutoApprove, kRequireHuman, kDeny };

const char* TierName(Tier t);
const char* RuleDecisionName(RuleDecision d);

struct ClassDef {
  std::string name;
  Tier tier = Tier::kHumanApproval;
  std::vector<Glob> match;
  std::vector<int> match_lines;
  std::vector<std::string> approver_roles;  // the defaults' when not given
  int64_t approval_ttl_seconds = 0;         // the defaults' when not given
  int line = 0;
};

struct RuleDef {
  std::string id;
  std::string description;
  std::vector<Glob> applies_to;
  int applies_to_line = 0;
  bool has_when = false;
  Expression when;
  int when_line = 0;
  RuleDecision decision = RuleDecision::kRequireHuman;
  bool has_approver_roles = false;
  std::vector<std::string> approver_roles;
  std::string owner;
  std::string approved_by;
  std::optional<UtcTime> approved_at;
  std::optional<Duration> review_every;
  std::optional<UtcTime> last_reviewed;
  int line = 0;
  std::string canonical_json;
  std::string content_hash;  // lowercase hex SHA-256 of canonical_json
  std::string version;       // content_hash prefix, named by decisions
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>{}(s);
  }
};

struct Policy::Impl {
  std::string source_name;
  std::string name;
  std::string version;
  std::string content_hash;
  Tier default_tier = Tier::kHumanApproval;
  int64_t default_ttl_seconds = 24 * 3600;
  std::vector<std::string> default_approver_roles;
  int defaults_line = 0;
  std::vector<ClassDef> classes;
  std::vector<RuleDef> rules;
  std::vector<Finding> parse_findings;  // unknown keys
  // Paths read by all `when` expressions; heap-held so that its address is
  // stable for the expressions that point at it.
  std::unique_ptr<PathTable> paths = std::make_unique<PathTable>();

  // Precomputed class and rules for every action type written literally in
  // a class or rule pattern (the common case); other types take the slow
  // path through every glob.
  struct Resolution {
    int class_index = -1;
    std::vector<int> rules;  // file order
  };
  std::unordered_map<std::string, Resolution, StringHash, std::equal_to<>>
      by_type;

  // The most specific class matching `type`, or -1.
  int FindClass(std::string_view type) const;
  // Builds by_type; call once after classes and rules are final.
  void BuildIndex();
};

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_POLICY_IMPL_H_
