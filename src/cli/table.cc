#include "cli/table.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace actledger::cli {
namespace {

// Cells are shown on one line: a raw newline would break the alignment of
// every column after it.
std::string OneLine(const std::string& cell) {
  std::string out;
  out.reserve(cell.size());
  for (unsigned char c : cell) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Code points, not bytes, so "Zürich" lines up with "Zurich".
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void AppendCsvField(const std::string& field, std::string* out) {
  bool quote = field.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) {
    *out += field;
    return;
  }
  *out += '"';
  for (char c : field) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

}  // namespace

std::string RenderText(const Table& table) {
  const size_t ncol = table.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size() + 1);
  cells.push_back({});
  for (const std::string& c : table.columns) cells.back().push_back(OneLine(c));
  for (const auto& row : table.rows) {
    assert(row.size() <= ncol);
    cells.push_back({});
    for (size_t i = 0; i < ncol; ++i) {
      cells.back().push_back(i < row.size() ? OneLine(row[i]) : std::string());
    }
  }
  std::vector<size_t> width(ncol, 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i < ncol; ++i) {
      width[i] = std::max(width[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  auto append_line = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < ncol; ++i) {
      if (i > 0) line += "  ";
      line += row[i];
      if (i + 1 < ncol) line.append(width[i] - DisplayWidth(row[i]), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  append_line(cells[0]);
  std::vector<std::string> rule;
  for (size_t i = 0; i < ncol; ++i) rule.push_back(std::string(width[i], '-'));
  append_line(rule);
  for (size_t r = 1; r < cells.size(); ++r) append_line(cells[r]);
  return out;
}

std::string RenderCsv(const Table& table) {
  const size_t ncol = table.columns.size();
  std::string out;
  auto append_record = [&](const std::vector<std::string>& row) {
    assert(row.size() <= ncol);
    for (size_t i = 0; i < ncol; ++i) {
      if (i > 0) out += ',';
      if (i < row.size()) AppendCsvField(row[i], &out);
    }
    out += "\r\n";
  };
  append_record(table.columns);
  for (const auto& row : table.rows) append_record(row);
  return out;
}

}  // namespace actledger::cli
