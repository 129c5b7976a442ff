// ParseQueryFilter: the filter names of docs/INDEX.md.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <set>

#include "actledger/record.h"
#include "common/time.h"
#include "index/index.h"
#include "index/row.h"
#include "policy/decimal.h"
#include "policy/glob.h"

namespace actledger::index {
namespace {

// "2026-03-01T12:00:00Z" or a bare date "2026-03-01" (midnight UTC).
std::optional<int64_t> ParseTimeParam(const std::string& v) {
  if (v.size() == 10 && v[4] == '-' && v[7] == '-') {
    return TimeToMicros(v + "T00:00:00Z");
  }
  return TimeToMicros(v);
}

std::optional<uint64_t> ParseUnsigned(std::string_view v) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// Filters that match one text column exactly.
struct TextFilter {
  const char* name;
  std::optional<std::string> QueryFilter::*member;
};
constexpr TextFilter kTextFilters[] = {
    {"system", &QueryFilter::system},
    {"model", &QueryFilter::model},
    {"model-version", &QueryFilter::model_version},
    {"rule", &QueryFilter::rule},
    {"approver", &QueryFilter::approver},
    {"env", &QueryFilter::env},
    {"job", &QueryFilter::job},
    {"currency", &QueryFilter::currency},
    {"action-id", &QueryFilter::action_id},
};

}  // namespace

std::string SubjectKey(std::string_view subject_id) {
  return std::string(subject_id);
}

Result<QueryFilter> ParseQueryFilter(
    const std::vector<std::pair<std::string, std::string>>& params) {
  QueryFilter f;
  std::set<std::string> seen;
  for (const auto& param : params) {
    // Named references, not a structured binding: clang 14 cannot capture
    // bindings in the lambdas below.
    const std::string& name = param.first;
    const std::string& value = param.second;
    auto bad = [&](const std::string& why) {
      return InvalidArgument(name + ": " + why, name);
    };
    const bool repeatable = name == "type" || name == "kind";
    if (!seen.insert(name).second && !repeatable) {
      return bad("given more than once");
    }
    if (value.empty()) return bad("must not be empty");
    if (name == "from" || name == "to") {
      std::optional<int64_t> us = ParseTimeParam(value);
      if (!us.has_value()) {
        return bad("\"" + value +
                   "\" is not an RFC 3339 UTC time (2026-03-01T12:00:00Z) "
                   "or a date (2026-03-01)");
      }
      (name == "from" ? f.from_us : f.to_us) = us;
    } else if (name == "type") {
      Result<policy::Glob> g = policy::Glob::Compile(value);
      if (!g.ok()) return bad(g.status().message());
      f.types.push_back(value);
    } else if (name == "subject") {
      const size_t colon = value.find(':');
      if (colon == std::string::npos || colon == 0 ||
          colon + 1 == value.size()) {
        return bad("must be TYPE:ID, e.g. customer:cus_123");
      }
      f.subject_type = value.substr(0, colon);
      f.subject_id = value.substr(colon + 1);
    } else if (name == "prompt-template") {
      const size_t at = value.find('@');
      if (at == 0 || (at != std::string::npos && at + 1 == value.size())) {
        return bad("must be ID or ID@VERSION");
      }
      f.prompt_template_id = value.substr(0, at);
      if (at != std::string::npos) {
        f.prompt_template_version = value.substr(at + 1);
      }
    } else if (name == "approval") {
      if (value != "human" && value != "rule" && value != "none") {
        return bad("must be human, rule or none");
      }
      f.approval = value;
    } else if (name == "outcome") {
      if (value != "success" && value != "failure" && value != "error" &&
          value != "pending") {
        return bad("must be success, failure, error or pending");
      }
      f.outcome = value;
    } else if (name == "min-amount" || name == "max-amount") {
      if (!policy::Decimal::Parse(value).has_value()) {
        return bad("\"" + value +
                   "\" is not a decimal number (digits, optional '-' and "
                   "'.', e.g. 99.99)");
      }
      (name == "min-amount" ? f.min_amount : f.max_amount) = value;
    } else if (name == "kind") {
      Result<RecordKind> k = RecordKindFromName(value);
      if (!k.ok()) return bad("unknown record kind \"" + value + "\"");
      f.kinds.push_back(value);
    } else if (name == "limit") {
      std::optional<uint64_t> n = ParseUnsigned(value);
      if (!n.has_value() || *n == 0 || *n > QueryFilter::kMaxLimit) {
        return bad("must be a whole number from 1 to " +
                   std::to_string(QueryFilter::kMaxLimit));
      }
      f.limit = static_cast<uint32_t>(*n);
    } else if (name == "cursor") {
      std::optional<uint64_t> n;
      if (value.size() > 1 && value[0] == 's') {
        n = ParseUnsigned(std::string_view(value).substr(1));
      }
      if (!n.has_value()) {
        return bad("not a cursor returned by a previous page");
      }
      f.after_seq = n;
    } else {
      auto it =
          std::find_if(std::begin(kTextFilters), std::end(kTextFilters),
                       [&](const TextFilter& t) { return name == t.name; });
      if (it == std::end(kTextFilters)) return bad("unknown filter");
      f.*(it->member) = value;
    }
  }
  return f;
}

}  // namespace actledger::index
