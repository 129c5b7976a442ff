// A ledger of generated records and its index, for the report suites, and
// the oracle helpers that read the generated records directly (never the
// index) to compute what the reports must say.
#ifndef ACTLEDGER_TESTS_REPORT_REPORT_FIXTURE_H_
#define ACTLEDGER_TESTS_REPORT_REPORT_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gen/generator.h"
#include "index/index.h"
#include "report/report.h"

namespace actledger::report_testing {

// The text at `path` of a generated record: strings as they are, other
// values as canonical JSON, "" when absent or null.
inline std::string Str(const json::Value& v, std::string_view path) {
  const json::Value* p = v.FindPath(path);
  if (p == nullptr || p->is_null()) return "";
  return p->is_string() ? p->as_string() : json::Canonical(*p);
}

inline bool Has(const json::Value& v, std::string_view path) {
  const json::Value* p = v.FindPath(path);
  return p != nullptr && !p->is_null();
}

// Collapses runs of white space to one space, so text that the subject
// report wraps still matches.
inline std::string Collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

inline const report::Section* FindSection(const report::ReportResult& r,
                                          std::string_view name) {
  for (const auto& s : r.sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

inline int ColumnIndex(const report::Section& s, std::string_view name) {
  for (size_t i = 0; i < s.columns.size(); ++i) {
    if (s.columns[i].name == name) return static_cast<int>(i);
  }
  ADD_FAILURE() << "section " << s.name << " has no column " << name;
  return 0;
}

inline std::string SummaryValue(const report::ReportResult& r,
                                std::string_view name) {
  for (const auto& item : r.summary) {
    if (item.name == name) return item.value;
  }
  ADD_FAILURE() << "report " << r.name << " has no summary item " << name;
  return "";
}

// Sum of two-decimal money strings as the exact decimal text the reports
// print ("1234.50"), computed in integer cents.
inline std::string CentsToText(int64_t cents) {
  const bool negative = cents < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(cents)
                              : static_cast<uint64_t>(cents);
  std::string frac = std::to_string(m % 100);
  if (frac.size() < 2) frac.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(m / 100) + "." + frac;
}

inline int64_t TextToCents(const std::string& text) {
  const size_t dot = text.find('.');
  EXPECT_NE(dot, std::string::npos) << text;
  EXPECT_EQ(text.size() - dot - 1, 2u) << "generator money has 2 decimals";
  const bool negative = !text.empty() && text[0] == '-';
  const std::string digits =
      text.substr(negative ? 1 : 0, dot - (negative ? 1 : 0)) +
      text.substr(dot + 1);
  const int64_t v = std::stoll(digits);
  return negative ? -v : v;
}

class ReportFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-report-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << templ;
    tmp_ = templ;
    dir_ = tmp_ + "/data";
    InitOptions init;
    init.origin = "example.com/report-test";
    init.admin = "local:admin";
    ASSERT_TRUE(Ledger::Init(dir_, init).ok());
    Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir_);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, *options);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }

  void TearDown() override {
    index_.reset();
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  // Appends `count` generated records; keeps each as generated.
  void AppendGenerated(uint64_t count, uint64_t seed, double incomplete) {
    gen::Options go;
    go.seed = seed;
    go.incomplete_fraction = incomplete;
    gen::Generator g(go);
    std::vector<AppendRequest> batch;
    for (uint64_t i = 0; i < count; ++i) {
      json::Value v = g.Next();
      Result<ValidatedRecord> r = ValidateRecordValue(v, {});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      batch.push_back(Ledger::Prepare(*std::move(r)));
      generated_.push_back(std::move(v));
    }
    Result<std::vector<Receipt>> receipts =
        ledger_->Append(std::move(batch), "local:test");
    ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
    for (const Receipt& rc : *receipts) generated_seqs_.push_back(rc.seq);
  }

  void CatchUpIndex() {
    if (index_ == nullptr) {
      Result<std::unique_ptr<index::Index>> idx = index::Index::Open(dir_);
      ASSERT_TRUE(idx.ok()) << idx.status().ToString();
      index_ = std::move(*idx);
    }
    Status st = index_->CatchUp(*ledger_, {});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Result<report::ReportResult> Try(
      const std::string& name,
      const std::vector<std::pair<std::string, std::string>>& params = {},
      std::optional<UtcTime> now = std::nullopt) {
    Result<report::ReportOptions> o = report::ParseReportOptions(params);
    if (!o.ok()) return o.status();
    o->index = index_.get();
    o->ledger = ledger_.get();
    if (now) o->now = *now;
    return report::RunReport(name, *o);
  }

  report::ReportResult Run(
      const std::string& name,
      const std::vector<std::pair<std::string, std::string>>& params = {},
      std::optional<UtcTime> now = std::nullopt) {
    Result<report::ReportResult> r = Try(name, params, now);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    return r.ok() ? *std::move(r) : report::ReportResult();
  }

  std::string tmp_, dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<index::Index> index_;
  std::vector<json::Value> generated_;
  std::vector<uint64_t> generated_seqs_;
};

}  // namespace actledger::report_testing

#endif  // ACTLEDGER_TESTS_REPORT_REPORT_FIXTURE_H_
