// `actledger report` as a user runs it: the real binary, its formats and
// its errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actledger/json.h"
#include "cli/child_process.h"
#include "report_fixture.h"

namespace actledger::report_testing {
namespace {

using cli_testing::RunResult;

// RFC 4180 records of `text` (CRLF or LF line ends, quoted fields with
// doubled quotes and embedded line breaks). An empty line ends a block.
std::vector<std::vector<std::vector<std::string>>> ParseCsvBlocks(
    const std::string& text) {
  std::vector<std::vector<std::vector<std::string>>> blocks(1);
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      field_started = true;
    } else if (c == '\r') {
      continue;
    } else if (c == '\n') {
      if (record.empty() && field.empty() && !field_started) {
        if (!blocks.back().empty()) blocks.emplace_back();
        continue;
      }
      record.push_back(field);
      blocks.back().push_back(record);
      record.clear();
      field.clear();
      field_started = false;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (blocks.back().empty()) blocks.pop_back();
  return blocks;
}

class ReportCliTest : public ReportFixture {
 protected:
  RunResult Report(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", dir_, "report"});
    return cli_testing::RunBinary(ACTLEDGER_BIN, std::move(args), "", {}, tmp_);
  }
};

TEST_F(ReportCliTest, CsvIsRfc4180WithOneBlockPerTable) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(300, 4, 0.2));
  // The binary catches the index up itself.
  RunResult r = Report({"completeness", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto blocks = ParseCsvBlocks(r.out);
  ASSERT_EQ(blocks.size(), 3u) << "summary, fields, by_system_and_type";
  EXPECT_EQ(blocks[0][0], (std::vector<std::string>{"name", "value"}));
  EXPECT_EQ(blocks[0][1], (std::vector<std::string>{
                              "actions", std::to_string(generated_.size())}));
  EXPECT_EQ(blocks[1][0], (std::vector<std::string>{"field", "missing",
                                                    "present", "coverage"}));
  EXPECT_EQ(blocks[1].size(), 13u) << "header and the twelve parts";
  for (const auto& block : blocks) {
    for (const auto& rec : block) EXPECT_EQ(rec.size(), block[0].size());
  }
  for (size_t i = 0; i + 1 < r.out.size(); ++i) {
    if (r.out[i + 1] == '\n') {
      ASSERT_EQ(r.out[i], '\r') << "CRLF line ends (RFC 4180)";
    }
  }

  // --section prints one table; a field with commas and quotes is quoted.
  RunResult one = Report({"subject", "--format", "csv", "--section",
                          "decisions", "--subject",
                          Str(generated_[0], "subject.type") + ":" +
                              Str(generated_[0], "subject.id")});
  ASSERT_EQ(one.exit_code, 0) << one;
  const auto decisions = ParseCsvBlocks(one.out);
  ASSERT_EQ(decisions.size(), 1u);
  ASSERT_GE(decisions[0].size(), 2u);
  const auto& header = decisions[0][0];
  const size_t reasoning_col =
      std::find(header.begin(), header.end(), "reasoning") - header.begin();
  ASSERT_LT(reasoning_col, header.size());
  bool found = false;
  for (size_t i = 1; i < decisions[0].size(); ++i) {
    found = found || decisions[0][i][reasoning_col] ==
                         Str(generated_[0], "ai_output.reasoning");
  }
  EXPECT_TRUE(found) << "reasoning survives CSV quoting byte for byte";
}

TEST_F(ReportCliTest, JsonAndTableFormats) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(200, 8, 0.1));
  RunResult j = Report({"model-versions", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j;
  Result<json::Value> v = json::Parse(j.out);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(Str(*v, "report"), "model-versions");
  EXPECT_EQ(Str(*v, "summary.actions"), std::to_string(generated_.size()));

  RunResult t = Report({"approvals", "--period", "week"});
  ASSERT_EQ(t.exit_code, 0) << t;
  EXPECT_NE(t.out.find("By period and rule"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("auto_approved"), std::string::npos);

  RunResult s = Report({"subject", "--subject",
                        Str(generated_[0], "subject.type") + ":" +
                            Str(generated_[0], "subject.id")});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_NE(s.out.find("Automated decisions concerning"), std::string::npos);
  EXPECT_NE(s.out.find("Reasoning:"), std::string::npos);

  RunResult i = Report({"incident", "--discovered-at", "2026-11-28T09:00:00Z",
                        "--type", "payment.*", "--format", "json"});
  ASSERT_EQ(i.exit_code, 0) << i;
  Result<json::Value> iv = json::Parse(i.out);
  ASSERT_TRUE(iv.ok());
  EXPECT_EQ(Str(*iv, "summary.notification_deadline"), "2026-12-01T09:00:00Z");
}

TEST_F(ReportCliTest, BadOptionsNameTheOption) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(5, 1, 0));
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string mention;
  };
  const std::vector<Case> cases = {
      {{"approvals", "--period", "year"}, 3, "period"},
      {{"violations", "--stale-after", "soon"}, 3, "stale-after"},
      {{"incident"}, 3, "discovered-at"},
      {{"incident", "--discovered-at", "noon"}, 3, "discovered-at"},
      {{"subject"}, 3, "subject"},
      {{"completeness", "--min-amount", "ten"}, 3, "min-amount"},
      {{"completeness", "--section", "nope"}, 3, "section"},
      {{"completeness", "--format", "xml"}, 2, "--format"},
      {{"nosuch"}, 2, "name"},
  };
  for (const Case& c : cases) {
    RunResult r = Report(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args[0] << "\n" << r;
    EXPECT_NE(r.err.find(c.mention), std::string::npos) << c.args[0] << "\n"
                                                        << r;
    EXPECT_TRUE(r.out.empty()) << r;
  }
}

}  // namespace
}  // namespace actledger::report_testing
