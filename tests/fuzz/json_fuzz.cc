// json::Parse on arbitrary bytes. For every accepted text, the RFC 8785
// canonical form must reparse to an equal value and be a fixed point of
// canonicalization, and CanonicalizeText must agree with Parse + Canonical.
// The locator of syntax errors (json/syntax.h) must agree with simdjson:
// no error in an accepted text; in a refused one, an error unless the text
// was refused for its nesting or a duplicate key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/json.h"
#include "fuzz/fuzz_util.h"
#include "json/syntax.h"

using actledger::Result;
using actledger::fuzz::Check;
namespace json = actledger::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<json::Value> value = json::Parse(text);
  Result<std::string> canonical_text = json::CanonicalizeText(text);
  Check(value.ok() == canonical_text.ok(),
        "Parse and CanonicalizeText disagree on acceptance", text);
  const bool located = json::FindSyntaxError(text).has_value();
  if (!value.ok()) {
    const std::string& m = value.status().message();
    Check(located || m.find("nesting") != std::string::npos ||
              m.find("duplicate") != std::string::npos,
          "a refused text without a located syntax error", m);
    return 0;
  }
  Check(!located, "a syntax error located in an accepted text", text);

  const std::string canonical = json::Canonical(*value);
  Check(*canonical_text == canonical,
        "CanonicalizeText differs from Canonical(Parse())", canonical);
  Result<json::Value> reparsed = json::Parse(canonical);
  Check(reparsed.ok(), "canonical form does not parse", canonical);
  Check(*reparsed == *value, "Parse(Canonical(v)) != v", canonical);
  Check(json::Canonical(*reparsed) == canonical,
        "Canonical(Parse(Canonical(v))) != Canonical(v)", canonical);
  return 0;
}
