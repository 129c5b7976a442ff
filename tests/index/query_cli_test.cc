// `actledger query`, `reindex` and `action --proof` as a user runs them: the
// real binary in a child process, against a ledger in a temporary
// directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/merkle.h"
#include "cli/child_process.h"
#include "gen/generator.h"

namespace actledger {
namespace {

using cli_testing::Lines;
using Ran = cli_testing::RunResult;
using ::testing::HasSubstr;

class QueryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("ACTLEDGER_TOKEN");
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-query-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << templ;
    tmp_ = templ;
    data_ = tmp_ + "/data";
    Ran r = Cmd({"init", "--origin", "example.com/query-cli-test"});
    ASSERT_EQ(r.exit_code, 0) << r;
    // Generated records, the way an integration would append them.
    gen::Generator g({.seed = 11, .incomplete_fraction = 0.1});
    std::string lines;
    for (int i = 0; i < kRecords; ++i) lines += g.NextLine() + "\n";
    r = Cmd({"append", "-"}, lines);
    ASSERT_EQ(r.exit_code, 0) << r;
    ASSERT_EQ(Lines(r.out).size(), static_cast<size_t>(kRecords));
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  std::string Tmp(const std::string& name) const { return tmp_ + "/" + name; }

  Ran Cmd(const std::vector<std::string>& args, const std::string& input = "") {
    std::vector<std::string> full = {"--data", data_};
    full.insert(full.end(), args.begin(), args.end());
    return cli_testing::RunBinary(ACTLEDGER_BIN, std::move(full), input, {},
                                  tmp_);
  }

  std::string Stored(uint64_t seq) {
    Ran r = Cmd({"get", std::to_string(seq)});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out.substr(0, r.out.size() - 1);
  }

  // The CSV of RFC 4180 without quoted line breaks: records and fields.
  static std::vector<std::vector<std::string>> ParseCsv(const std::string& s) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (quoted) {
        if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.push_back(field);
        field.clear();
      } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        row.push_back(field);
        field.clear();
        rows.push_back(row);
        row.clear();
        ++i;
      } else {
        field += c;
      }
    }
    return rows;
  }

  static constexpr int kRecords = 120;
  std::string tmp_, data_;
};

TEST_F(QueryCli, JsonIsNdjsonOfTheStoredRecordsWithACursorLine) {
  Ran r = Cmd({"query", "--type", "payment.*", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    Result<json::Value> v = json::Parse(line);
    ASSERT_TRUE(v.ok()) << line;
    const uint64_t seq = static_cast<uint64_t>(v->Find("seq")->as_number());
    EXPECT_EQ(line, Stored(seq)) << "the exact stored bytes";
    EXPECT_EQ(v->FindPath("action.type")->as_string().rfind("payment.", 0), 0u);
  }
  // Paging: a final {"next_cursor":…} line, then the rest.
  r = Cmd({"query", "--limit", "7"});  // not a terminal: json by default
  ASSERT_EQ(r.exit_code, 0) << r;
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 8u);
  Result<json::Value> last = json::Parse(lines.back());
  ASSERT_TRUE(last.ok());
  ASSERT_NE(last->Find("next_cursor"), nullptr) << lines.back();
  std::vector<std::string> all(lines.begin(), lines.end() - 1);
  std::string cursor = last->Find("next_cursor")->as_string();
  for (int guard = 0; !cursor.empty() && guard < 100; ++guard) {
    r = Cmd({"query", "--limit", "7", "--cursor", cursor});
    ASSERT_EQ(r.exit_code, 0) << r;
    lines = Lines(r.out);
    cursor.clear();
    for (const std::string& l : lines) {
      Result<json::Value> v = json::Parse(l);
      ASSERT_TRUE(v.ok());
      if (v->Find("next_cursor") != nullptr) {
        cursor = v->Find("next_cursor")->as_string();
      } else {
        all.push_back(l);
      }
    }
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(all[i], Stored(i));
}

TEST_F(QueryCli, CsvHasAHeaderAndOneRowPerRecord) {
  Ran r = Cmd({"query", "--format", "csv", "--limit", "5"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::vector<std::string>> rows = ParseCsv(r.out);
  ASSERT_EQ(rows.size(), 6u) << r.out;
  const std::vector<std::string>& header = rows[0];
  EXPECT_EQ(header.front(), "seq");
  EXPECT_NE(std::find(header.begin(), header.end(), "subject_id"),
            header.end());
  EXPECT_NE(std::find(header.begin(), header.end(), "amount_value"),
            header.end());
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size());
    EXPECT_EQ(rows[i][0], std::to_string(i - 1));
    Result<json::Value> rec = json::Parse(Stored(i - 1));
    ASSERT_TRUE(rec.ok());
    std::map<std::string, std::string> by_name;
    for (size_t c = 0; c < header.size(); ++c) by_name[header[c]] = rows[i][c];
    EXPECT_EQ(by_name["recorded_at"], rec->Find("recorded_at")->as_string());
    EXPECT_EQ(by_name["action_type"],
              rec->FindPath("action.type")->as_string());
    EXPECT_EQ(by_name["job_id"], rec->FindPath("context.job_id")->as_string());
  }
  // The cursor goes to stderr, so stdout stays one CSV document.
  EXPECT_THAT(r.err, HasSubstr("--cursor s4"));
}

TEST_F(QueryCli, CountPrintsJsonMatchingAScan) {
  int payments = 0;
  for (int i = 0; i < kRecords; ++i) {
    Result<json::Value> v = json::Parse(Stored(i));
    const json::Value* t = v->FindPath("action.type");
    if (t != nullptr && t->as_string().rfind("payment.", 0) == 0) ++payments;
  }
  Ran r = Cmd({"query", "--count", "--type", "payment.*"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"count\":" + std::to_string(payments) + "}\n");
  r = Cmd({"query", "--count"});
  EXPECT_EQ(r.out, "{\"count\":" + std::to_string(kRecords) + "}\n");
}

TEST_F(QueryCli, TableShowsOneLinePerRecord) {
  Ran r = Cmd({"query", "--format", "table", "--limit", "3"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;  // header, rule, three rows
  EXPECT_THAT(lines[0], HasSubstr("seq"));
  EXPECT_THAT(lines[0], HasSubstr("subject"));
  Result<json::Value> rec = json::Parse(Stored(2));
  EXPECT_THAT(lines[4], HasSubstr(rec->Find("action_id")->as_string()));
}

TEST_F(QueryCli, BadFiltersExit3NamingTheParameterBadUsageExits2) {
  Ran r = Cmd({"query", "--min-amount", "12,50"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("min-amount"));
  r = Cmd({"query", "--subject", "cus_1"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("subject"));
  r = Cmd({"query", "--from", "last tuesday"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err, HasSubstr("from"));
  r = Cmd({"query", "--format", "xml"});
  EXPECT_EQ(r.exit_code, 2) << r;
  r = Cmd({"query", "--no-such-filter", "x"});
  EXPECT_EQ(r.exit_code, 2) << r;
}

TEST_F(QueryCli, ReindexRebuildsAndCatchUpFollowsAppends) {
  Ran r = Cmd({"query", "--count"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Cmd({"reindex"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("\"records\":" + std::to_string(kRecords)));
  // Appends after indexing show up in the next query (it catches up).
  gen::Generator g({.seed = 12});
  r = Cmd({"append", "-"}, g.NextLine() + "\n" + g.NextLine() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Cmd({"query", "--count"});
  EXPECT_EQ(r.out, "{\"count\":" + std::to_string(kRecords + 2) + "}\n");
  // A deleted index comes back.
  std::filesystem::remove(data_ + "/index.db");
  std::filesystem::remove(data_ + "/index.db-wal");
  std::filesystem::remove(data_ + "/index.db-shm");
  r = Cmd({"query", "--count"});
  EXPECT_EQ(r.out, "{\"count\":" + std::to_string(kRecords + 2) + "}\n");
}

TEST_F(QueryCli, WorksWhileAnotherProcessHoldsTheLedgerForWriting) {
  Result<LedgerOptions> options = Ledger::ConfiguredOptions(data_);
  ASSERT_TRUE(options.ok());
  Result<std::unique_ptr<Ledger>> writer = Ledger::Open(data_, *options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // The lock is held: a writing command is refused...
  Ran r = Cmd({"append", "-"}, gen::Generator({.seed = 3}).NextLine() + "\n");
  EXPECT_NE(r.exit_code, 0) << r;
  // ...but query and reindex read.
  r = Cmd({"query", "--count"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"count\":" + std::to_string(kRecords) + "}\n");
  r = Cmd({"reindex"});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(QueryCli, ActionProofsVerifyAgainstThePrintedCheckpoint) {
  // A proposal (pending: no policy is active) and its outcome.
  Result<json::Value> rec = json::Parse(Stored(0));
  ASSERT_TRUE(rec.ok());
  json::Value proposal = json::Value::MakeObject();
  for (const char* f :
       {"trigger", "model", "ai_output", "action", "context", "subject"}) {
    proposal.Set(f, *rec->Find(f));
  }
  proposal.Set("action_id", json::Value::String("proof-1"));
  Ran r = Cmd({"gate", "-"}, json::Canonical(proposal) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Cmd(
      {"outcome", "proof-1", "-"},
      R"({"kind":"outcome","action_id":"proof-1","outcome":{"status":"success"}})");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Cmd({"checkpoint"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Cmd({"action", "proof-1", "--proof"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Result<json::Value> view = json::Parse(r.out);
  ASSERT_TRUE(view.ok()) << r.out;
  const std::string note = view->Find("checkpoint")->as_string();
  Result<Checkpoint> cp =
      ParseCheckpoint(note.substr(0, note.find("\n\n") + 1));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  const json::Value* timeline = view->Find("timeline");
  ASSERT_NE(timeline, nullptr);
  ASSERT_GE(timeline->as_array().size(), 2u);
  for (const json::Value& e : timeline->as_array()) {
    const uint64_t seq = static_cast<uint64_t>(e.Find("seq")->as_number());
    const json::Value* p = e.Find("proof");
    ASSERT_TRUE(p != nullptr && p->is_object()) << json::Canonical(e);
    EXPECT_EQ(p->Find("tree_size")->as_number(), static_cast<double>(cp->size));
    EXPECT_EQ(p->Find("root")->as_string(), merkle::ToHex(cp->root));
    // The leaf hash is that of the stored bytes, independently computed.
    const merkle::Hash leaf = merkle::HashLeaf(Stored(seq));
    EXPECT_EQ(p->Find("leaf_hash")->as_string(), merkle::ToHex(leaf));
    std::vector<merkle::Hash> path;
    for (const json::Value& h : p->Find("path")->as_array()) {
      path.push_back(*merkle::HashFromHex(h.as_string()));
    }
    EXPECT_TRUE(
        merkle::VerifyInclusion(leaf, seq, cp->size, path, cp->root).ok());
  }
}

}  // namespace
}  // namespace actledger
