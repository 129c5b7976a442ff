// Action-type globs: dotted segments where a `*` segment matches one or
// more whole segments. See include/actledger/policy.h for the semantics.
#ifndef ACTLEDGER_POLICY_GLOB_H_
#define ACTLEDGER_POLICY_GLOB_H_

#include <string>
#include <string_view>
#include <vector>

#include "actledger/status.h"

namespace actledger::policy {

class Glob {
 public:
  // Errors (kInvalidArgument): empty pattern, empty segment ("a..b"), `*`
  // mixed with other characters in one segment ("pay*").
  static Result<Glob> Compile(std::string_view pattern);

  bool Matches(std::string_view action_type) const;
  // Whether some action type matches both globs.
  bool Overlaps(const Glob& other) const;
  // Whether the pattern has no `*` (it then matches exactly one type).
  bool is_literal() const { return wildcards_ == 0; }
  const std::string& pattern() const { return pattern_; }

  // Ordering used to pick the most specific class: fewer `*`, then longer
  // literal prefix (in segments), then more segments. <0: `this` is more
  // specific than `other`; 0: equally specific.
  int CompareSpecificity(const Glob& other) const;

 private:
  bool MatchFrom(size_t seg, std::string_view rest) const;

  std::string pattern_;
  std::vector<std::string> segments_;  // "*" for a wildcard segment
  int wildcards_ = 0;
  int literal_prefix_ = 0;
};

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_GLOB_H_
