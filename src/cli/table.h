// Plain tables for the command line: what `query` and `report` print.
//
//   Table t{{"seq", "action_type"}, {{"1", "payment.refund"}}};
//   std::fputs(RenderText(t).c_str(), stdout);  // aligned, for people
//   std::fputs(RenderCsv(t).c_str(), stdout);   // RFC 4180, for tools
//
// A row shorter than `columns` is padded with empty cells; a longer one is
// a programming bug (asserted). Pure functions, safe from any thread.
#ifndef ACTLEDGER_CLI_TABLE_H_
#define ACTLEDGER_CLI_TABLE_H_

#include <string>
#include <vector>

namespace actledger::cli {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// A header line, a rule of dashes, then one line per row, columns separated
// by two spaces and padded to the widest cell (counted in UTF-8 code
// points). Control characters in cells (a newline in a reason, a tab) are
// shown as escapes ("\n", "\t", "\x01") so each row stays on one line.
// Trailing padding of the last column is omitted.
std::string RenderText(const Table& table);

// RFC 4180: header record, then one record per row, CRLF line ends; a field
// containing a comma, double quote, CR or LF is quoted, with quotes doubled.
// Cells are written byte for byte (no escaping beyond quoting).
std::string RenderCsv(const Table& table);

}  // namespace actledger::cli

#endif  // ACTLEDGER_CLI_TABLE_H_
