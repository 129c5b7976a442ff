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
  bool multi_line_ok = true;
  std::vector<std::string> outputs;
  size_t line_no = 0, start = 0;
  int rc = 0;
  while (start <= text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + start, end - start);
    ++line_no;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (end == text->size()) break;
      continue;
    }
    Result<std::string> c = json::CanonicalizeText(line);
    if (c.ok()) {
      std::printf("%s\n", c->c_str());
    } else {
      multi_line_ok = false;
      std::fprintf(stderr, "actledger: line %zu: %s\n", line_no,
                   c.status().ToString().c_str());
      rc = 3;
    }
    if (end == text->size()) break;
  }
  (void)multi_line_ok;
  if (line_no == 0) return Fail(whole.status());
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
