// Shared by the retention suites: temporary ledgers whose records were
// stamped in the past (so that they have expired), and raw file access.
#ifndef ACTLEDGER_TESTS_RETENTION_RETENTION_TESTING_H_
#define ACTLEDGER_TESTS_RETENTION_RETENTION_TESTING_H_

#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "common/time.h"
#include "retention/retention.h"

namespace actledger::retention_testing {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void Spit(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every regular file under `dir` whose raw bytes contain `needle`.
inline std::vector<std::string> FilesContaining(const std::string& dir,
                                                const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (Slurp(e.path().string()).find(needle) != std::string::npos) {
      hits.push_back(e.path().string());
    }
  }
  return hits;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/actledger-retention-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline UtcTime At(int64_t y, unsigned m, unsigned d, int64_t seconds = 0) {
  UtcTime t;
  t.seconds = DaysFromCivil(y, m, d) * 86400 + seconds;
  return t;
}

// A complete seven-field record; `secret` goes into ai_output.reasoning,
// the content a purge must remove.
inline std::string RecordJson(const std::string& action_id,
                              const std::string& type,
                              const std::string& subject_type,
                              const std::string& subject_id,
                              const std::string& occurred_at,
                              const std::string& secret) {
  return R"({"action_id":")" + action_id +
         R"(","trigger":{"type":"event","source":"test.event"},)"
         R"("model":{"provider":"p","name":"m","version":"m-1",)"
         R"("prompt_template":{"id":"t","version":"1"}},)"
         R"("ai_output":{"decision":"do it","reasoning":")" +
         secret + R"(","confidence":0.5},"action":{"type":")" + type +
         R"(","system":"sys","target":"t-1"},"approval":{"mode":"none"},)"
         R"("context":{"occurred_at":")" +
         occurred_at +
         R"(","environment":"test","job_id":"j-1","app_version":"1.0"},)"
         R"("outcome":{"status":"success"},"subject":{"type":")" +
         subject_type + R"(","id":")" + subject_id + R"("}})";
}

// Appends `line` stamped by `stamper` as if at `stamped_at`.
inline Receipt AppendAt(Ledger& ledger, const retention::Stamper& stamper,
                        const std::string& line, UtcTime stamped_at) {
  Result<ValidatedRecord> rec = ValidateRecord(line, {});
  EXPECT_TRUE(rec.ok()) << rec.status().ToString() << "\n" << line;
  std::vector<AppendRequest> batch;
  batch.push_back(stamper.Prepare(std::move(rec).value(), stamped_at));
  Result<std::vector<Receipt>> r = ledger.Append(std::move(batch), "local:t");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->front() : Receipt{};
}

inline std::unique_ptr<Ledger> InitAndOpen(const std::string& dir,
                                           uint64_t segment_bytes = 0) {
  InitOptions io;
  io.origin = "example.com/retention-test";
  io.max_segment_bytes = segment_bytes;
  // The CLI's own principal (local:<OS user>) administers it, so that
  // the CLI suites may place holds and purge.
  struct passwd* pw = ::getpwuid(::geteuid());
  io.admin = std::string("local:") + (pw != nullptr ? pw->pw_name : "t");
  EXPECT_TRUE(Ledger::Init(dir, io).ok());
  Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir);
  EXPECT_TRUE(options.ok());
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, *options);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? std::move(l).value() : nullptr;
}

inline std::unique_ptr<Ledger> Reopen(const std::string& dir) {
  Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir);
  EXPECT_TRUE(options.ok());
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, *options);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? std::move(l).value() : nullptr;
}

}  // namespace actledger::retention_testing

#endif  // ACTLEDGER_TESTS_RETENTION_RETENTION_TESTING_H_
