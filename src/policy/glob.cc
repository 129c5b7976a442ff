#include "policy/glob.h"

#include <functional>

namespace actledger::policy {

Result<Glob> Glob::Compile(std::string_view pattern) {
  Glob g;
  g.pattern_ = std::string(pattern);
  if (pattern.empty()) return InvalidArgument("empty action type pattern");
  size_t start = 0;
  while (true) {
    const size_t dot = pattern.find('.', start);
    std::string_view seg = pattern.substr(start, dot == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : dot - start);
    if (seg.empty()) {
      return InvalidArgument("pattern \"" + g.pattern_ +
                             "\" has an empty segment");
    }
    if (seg != "*" && seg.find('*') != std::string_view::npos) {
      return InvalidArgument("pattern \"" + g.pattern_ +
                             "\": `*` must be a whole segment (it matches one "
                             "or more dotted segments)");
    }
    if (seg == "*") {
      ++g.wildcards_;
    } else if (g.wildcards_ == 0) {
      ++g.literal_prefix_;
    }
    g.segments_.emplace_back(seg);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return g;
}

// `rest` is what remains of the action type after the segments already
// matched and their separating dot. Patterns are short and `*` rarely
// repeats, so plain backtracking is fine.
bool Glob::MatchFrom(size_t seg, std::string_view rest) const {
  if (seg == segments_.size()) return false;  // text left, pattern used up
  const std::string& s = segments_[seg];
  const bool last = seg + 1 == segments_.size();
  if (s != "*") {
    if (rest.size() < s.size() || rest.compare(0, s.size(), s) != 0)
      return false;
    if (rest.size() == s.size()) return last;
    if (rest[s.size()] != '.') return false;
    return !last && MatchFrom(seg + 1, rest.substr(s.size() + 1));
  }
  // `*`: consume one or more segments, each ending at a '.' or the end.
  size_t pos = 0;
  while (true) {
    const size_t dot = rest.find('.', pos);
    if (dot == std::string_view::npos) return last;
    if (!last && MatchFrom(seg + 1, rest.substr(dot + 1))) return true;
    pos = dot + 1;
  }
}

bool Glob::Matches(std::string_view action_type) const {
  if (segments_.empty()) return false;
  return MatchFrom(0, action_type);
}

bool Glob::Overlaps(const Glob& other) const {
  // Each `*` is "one segment, then zero or more": tokens LIT, ONE, STAR.
  struct Tok {
    int kind;  // 0 literal, 1 exactly one segment, 2 zero or more
    const std::string* lit;
  };
  auto expand = [](const std::vector<std::string>& segs) {
    std::vector<Tok> t;
    for (const std::string& s : segs) {
      if (s == "*") {
        t.push_back({1, nullptr});
        t.push_back({2, nullptr});
      } else {
        t.push_back({0, &s});
      }
    }
    return t;
  };
  const std::vector<Tok> p = expand(segments_), q = expand(other.segments_);
  const size_t n = p.size(), m = q.size();
  // Lint-only; refuse to spend unbounded memory on absurd patterns.
  if ((n + 1) * (m + 1) > (1u << 20)) return true;
  std::vector<signed char> memo((n + 1) * (m + 1), -1);
  std::function<bool(size_t, size_t)> ov = [&](size_t i, size_t j) -> bool {
    signed char& slot = memo[i * (m + 1) + j];
    if (slot >= 0) return slot;
    bool r;
    if (i == n && j == m) {
      r = true;
    } else if (i < n && p[i].kind == 2) {
      r = ov(i + 1, j) || (j < m && ov(i, j + 1));
    } else if (j < m && q[j].kind == 2) {
      r = ov(i, j + 1) || (i < n && ov(i + 1, j));
    } else if (i == n || j == m) {
      r = false;
    } else {
      const bool compatible =
          p[i].kind == 1 || q[j].kind == 1 || *p[i].lit == *q[j].lit;
      r = compatible && ov(i + 1, j + 1);
    }
    slot = r ? 1 : 0;
    return r;
  };
  return ov(0, 0);
}

int Glob::CompareSpecificity(const Glob& other) const {
  if (wildcards_ != other.wildcards_)
    return wildcards_ < other.wildcards_ ? -1 : 1;
  if (literal_prefix_ != other.literal_prefix_) {
    return literal_prefix_ > other.literal_prefix_ ? -1 : 1;
  }
  if (segments_.size() != other.segments_.size()) {
    return segments_.size() > other.segments_.size() ? -1 : 1;
  }
  return 0;
}

}  // namespace actledger::policy
