// Commands that work on records without a ledger: validate, canon, gen.
#include <cstdio>
#include <iostream>

#include "actledger/json.h"
#include "cli/commands.h"
#include "gen/generator.h"

namespace actledger::cli {

int RunValidate(const GlobalOptions& g, const std::string& input) {
  ValidationOptions vo;
  vo.strict = g.strict;
  vo.max_record_bytes = g.max_record_bytes;
  bool any_rejected = false;
  Status st = ForEachLine(input, [&](size_t, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
    Result<ValidatedRecord> r = ValidateRecord(line, vo);
    if (r.ok()) {
      std::printf("{\"ok\":true,\"action_id\":%s,\"missing\":%s}\n",
                  JsonString(r->action_id).c_str(),
                  JsonStringArray(r->missing).c_str());
    } else {
      any_rejected = true;
      std::printf("{\"ok\":false,\"error\":%s}\n",
                  ErrorJson(r.status()).c_str());
    }
    return true;
  });
  std::fflush(stdout);
  if (!st.ok()) return Fail(st);
  return any_rejected ? 3 : 0;
}

int RunCanon(const std::string& input) {
  Result<std::string> text = ReadAllInput(input);
  if (!text.ok()) return Fail(text.status());
  // One JSON value (possibly spread over lines), or one value per line.
  Result<std::string> whole = json::CanonicalizeText(*text);
  if (whole.ok()) {
    std::printf("%s\n", whole->c_str());
    return 0;
  }
  // Several values, one per line (NDJSON)? Decided by the first non-empty
  // line: if it is not a value on its own, the input is one value spread
  // over lines, and its error is reported once.
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text->size();) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    lines.emplace_back(text->data() + start, end - start);
    start = end + 1;
  }
  auto blank = [](std::string_view l) {
    return l.find_first_not_of(" \t\r") == std::string_view::npos;
  };
  size_t first = 0;
  while (first < lines.size() && blank(lines[first])) ++first;
  if (first == lines.size()) return 0;  // no values at all
  size_t non_blank = 0;
  for (std::string_view l : lines) non_blank += blank(l) ? 0 : 1;
  if (non_blank > 1 && !json::CanonicalizeText(lines[first]).ok()) {
    return Fail(whole.status());
  }
  int rc = 0;
  for (size_t i = first; i < lines.size(); ++i) {
    if (blank(lines[i])) continue;
    Result<std::string> c = json::CanonicalizeText(lines[i]);
    if (c.ok()) {
      std::printf("%s\n", c->c_str());
    } else {
      std::fprintf(stderr, "actledger: line %zu: %s\n", i + 1,
                   c.status().ToString().c_str());
      rc = 3;
    }
  }
  return rc;
}

int RunGen(uint64_t seed, uint64_t count, double incomplete) {
  gen::Options o;
  o.seed = seed;
  o.incomplete_fraction = incomplete;
  gen::Generator g(o);
  for (uint64_t i = 0; i < count; ++i) {
    std::string line = g.NextLine();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}

}  // namespace actledger::cli
