// Where a text stops being JSON: the position of the first syntax error,
// for error messages. simdjson says that a document is malformed but not
// where; this scanner runs only after simdjson refused a text, so it is
// written for clarity, not speed.
#ifndef ACTLEDGER_JSON_SYNTAX_H_
#define ACTLEDGER_JSON_SYNTAX_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace actledger::json {

struct SyntaxError {
  size_t offset = 0;  // byte offset of the offending byte (or the end)
  std::string what;   // e.g. "expected a value, found ','"
};

// The first place where `text` departs from RFC 8259's grammar for exactly
// one JSON value surrounded by optional white space, with strings of valid
// UTF-8, no lone surrogate escapes and numbers within the range of an IEEE
// 754 double; nullopt when there is none. Duplicate keys and nesting depth
// are not syntax and are not checked here.
std::optional<SyntaxError> FindSyntaxError(std::string_view text);

// "line 4, column 7" for a text of several lines, "column 7" for one line;
// both 1-based, columns counted in bytes.
std::string DescribePosition(std::string_view text, size_t offset);

}  // namespace actledger::json

#endif  // ACTLEDGER_JSON_SYNTAX_H_
