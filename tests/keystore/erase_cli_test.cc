// `actledger erase` as users run it, on a ledger whose records were
// encrypted at append: refused under a legal retention duty, refused
// under a hold even when forced, allowed with --force --justification
// (recorded), the subject's plaintext and wrapped key gone from every file,
// erased fields reading "[erased]", and `verify` passing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "actledger/json.h"
#include "cli/child_process.h"
#include "common/encoding.h"
#include "keystore/field_crypto.h"
#include "keystore/keystore.h"
#include "keystore_testing.h"
#include "retention/retention_testing.h"

extern char** environ;

namespace actledger::keystore {
namespace {

using json::Value;
using keystore_testing::FilesContaining;
using keystore_testing::Slurp;
using keystore_testing::Spit;
using keystore_testing::TempDir;

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Ran& r) {
  return os << "exit " << r.exit_code << "\nstdout: " << r.out
            << "\nstderr: " << r.err;
}

const std::vector<std::string> kPersonal = {"subject.id", "subject.attributes",
                                            "action.recipient",
                                            "ai_output.reasoning"};

constexpr char kRetentionYaml[] = R"(retention:
  rules:
    - { match: ["payment.*"], regime: sox }
    - { match: ["*"], regime: general }
)";

std::string Line(const std::string& action_id, const std::string& type,
                 const std::string& subject_id, const std::string& secret) {
  std::string line = retention_testing::RecordJson(
      action_id, type, "customer", subject_id, "2026-11-28T09:00:00Z", secret);
  // A recipient too, personal as well.
  Value v = *json::Parse(line);
  v.Find("action")->Set("recipient", Value::String(secret + "@example.com"));
  return json::Canonical(v);
}

class EraseCli : public ::testing::Test {
 protected:
  std::string data() const { return dir_.path() + "/d"; }

  void SetUp() override {
    auto ledger = retention_testing::InitAndOpen(data());
    ASSERT_NE(ledger, nullptr);
    Result<MasterKey> master =
        MasterKey::Create(data() + "/" + kDefaultMasterKeyFile);
    ASSERT_TRUE(master.ok()) << master.status().ToString();
    auto keys = KeyStore::OpenForWrite(data(), *master);
    ASSERT_TRUE(keys.ok());
    auto retention = policy::RetentionPolicy::Parse(kRetentionYaml, "t.yaml");
    ASSERT_TRUE(retention.ok()) << retention.status().ToString();
    retention::Stamper stamper(*retention, std::nullopt, "t-1");
    struct R {
      const char* action_id;
      const char* type;
      const char* subject;
      const char* secret;
    };
    for (const R& r : {R{"a-1", "payment.refund", "44821", "roeSecretOne"},
                       R{"a-2", "email.send", "44821", "roeSecretTwo"},
                       R{"a-3", "email.send", "7001", "doeSecret"},
                       R{"a-4", "email.send", "7002", "poeSecret"}}) {
      Result<ValidatedRecord> rec =
          ValidateRecord(Line(r.action_id, r.type, r.subject, r.secret), {});
      ASSERT_TRUE(rec.ok()) << rec.status().ToString();
      ASSERT_TRUE(EncryptRecord(&rec->body, kPersonal, **keys).ok());
      std::vector<AppendRequest> batch;
      batch.push_back(stamper.Prepare(std::move(rec).value(), NowUtc()));
      ASSERT_TRUE(ledger->Append(std::move(batch), "local:t").ok());
    }
    blind_ = (*keys)->BlindId("customer:44821");
    // The wrapped key of customer:44821, as stored (iv and sealed key).
    const std::string file = Slurp(data() + "/" + kStoreFile);
    const std::string blind_raw = *HexDecode(blind_);
    const size_t at = file.find(blind_raw);
    ASSERT_NE(at, std::string::npos);
    wrapped_ = file.substr(at - 8 + 52, 60);
  }

  Ran Run(std::vector<std::string> args, const std::string& token = "") {
    args.insert(args.begin(), {"--data", data()});
    std::vector<std::string> env;
    if (!token.empty()) env.push_back("ACTLEDGER_TOKEN=" + token);
    cli_testing::RunResult r = cli_testing::RunBinary(
        ACTLEDGER_BIN, std::move(args), "", env, dir_.path());
    return Ran{r.exit_code, std::move(r.out), std::move(r.err)};
  }

  // Every record decrypted as a reader with all keys sees it.
  std::vector<Value> ReadAll() {
    std::vector<Value> out;
    auto master = MasterKey::Load(data() + "/" + kDefaultMasterKeyFile);
    auto keys = KeyStore::OpenForRead(data(), *master);
    auto ledger = Ledger::OpenForRead(data());
    EXPECT_TRUE(keys.ok() && ledger.ok());
    for (uint64_t seq = 0; seq < (*ledger)->size(); ++seq) {
      Result<Value> v =
          DecryptStored(*(*ledger)->Get(seq), keys->get(), View::kPlaintext);
      EXPECT_TRUE(v.ok()) << seq << ": " << v.status().ToString();
      out.push_back(v.ok() ? *v : Value());
    }
    return out;
  }

  TempDir dir_;
  std::string blind_, wrapped_;
};

TEST_F(EraseCli, RefusedUnderLegalDutyThenForcedWithJustificationRecorded) {
  Ran refused = Run({"erase", "--subject", "customer:44821", "--reason",
                     "Art. 17 request #88"});
  EXPECT_EQ(refused.exit_code, 3) << refused;
  EXPECT_NE(refused.err.find("legal retention duty"), std::string::npos)
      << refused;
  EXPECT_NE(refused.err.find("1 sox record"), std::string::npos) << refused;
  EXPECT_EQ(ReadAll()[1].FindPath("ai_output.reasoning")->as_string(),
            "roeSecretTwo");

  Ran no_why =
      Run({"erase", "--subject", "customer:44821", "--reason", "r", "--force"});
  EXPECT_EQ(no_why.exit_code, 3) << no_why;
  EXPECT_NE(no_why.err.find("--justification"), std::string::npos) << no_why;

  Ran forced = Run({"erase", "--subject", "customer:44821", "--reason",
                    "Art. 17 request #88", "--force", "--justification",
                    "court order 2026-C-17 overrides the SOX duty"});
  ASSERT_EQ(forced.exit_code, 0) << forced;
  Result<Value> out = json::Parse(forced.out);
  ASSERT_TRUE(out.ok()) << forced;
  EXPECT_EQ(out->FindPath("subject.blind_id")->as_string(), blind_);
  EXPECT_TRUE(out->Find("forced")->as_bool());
  EXPECT_TRUE(out->Find("key_destroyed")->as_bool());
  EXPECT_EQ(out->Find("records")->as_number(), 2);
  ASSERT_EQ(out->Find("legal_duty")->as_array().size(), 1u);
  EXPECT_EQ(out->Find("legal_duty")->as_array()[0].Find("regime")->as_string(),
            "sox");

  std::vector<Value> all = ReadAll();
  ASSERT_GE(all.size(), 5u);  // the gate may have recorded its admin grant
  for (int seq : {0, 1}) {
    EXPECT_EQ(all[seq].FindPath("ai_output.reasoning")->as_string(),
              "[erased]");
    EXPECT_EQ(all[seq].FindPath("action.recipient")->as_string(), "[erased]");
    EXPECT_EQ(all[seq].FindPath("subject.id")->as_string(), "[erased]");
    EXPECT_EQ(all[seq].FindPath("subject.type")->as_string(), "customer");
  }
  EXPECT_EQ(all[2].FindPath("ai_output.reasoning")->as_string(), "doeSecret");
  const Value& erasure = all.back();
  EXPECT_EQ(erasure.Find("kind")->as_string(), "erasure");
  EXPECT_EQ(erasure.Find("recorded_by")->as_string().rfind("local:", 0), 0u);
  EXPECT_EQ(erasure.FindPath("erasure.justification")->as_string(),
            "court order 2026-C-17 overrides the SOX duty");
  EXPECT_EQ(erasure.FindPath("erasure.reason")->as_string(),
            "Art. 17 request #88");
  EXPECT_EQ(erasure.FindPath("retention.regime")->as_string(), "ledger");

  // The subject's plaintext and its wrapped key are in no file.
  for (const char* secret : {"44821", "roeSecretOne", "roeSecretTwo"}) {
    EXPECT_EQ(FilesContaining(data(), secret), std::vector<std::string>{})
        << secret;
  }
  EXPECT_EQ(FilesContaining(data(), wrapped_), std::vector<std::string>{});
  EXPECT_EQ(FilesContaining(data(), wrapped_.substr(12)),
            std::vector<std::string>{});

  Ran verify = Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify;

  Ran again = Run({"erase", "--subject", "customer:44821", "--reason", "r"});
  EXPECT_EQ(again.exit_code, 3) << again;
  EXPECT_NE(again.err.find("erased already"), std::string::npos) << again;
}

TEST_F(EraseCli, WithoutLegalDutyErasesAndNamesTheRecorder) {
  Ran r = Run({"erase", "--subject", "customer:7001", "--reason", "request"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Result<Value> out = json::Parse(r.out);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->Find("forced")->as_bool());
  EXPECT_EQ(out->Find("justification"), nullptr);
  std::vector<Value> all = ReadAll();
  EXPECT_EQ(all[2].FindPath("action.recipient")->as_string(), "[erased]");
  EXPECT_EQ(all[1].FindPath("action.recipient")->as_string(),
            "roeSecretTwo@example.com");
  const Value& erasure = all.back();
  EXPECT_EQ(erasure.Find("kind")->as_string(), "erasure");
  EXPECT_EQ(erasure.Find("recorded_by")->as_string().rfind("local:", 0), 0u);
  EXPECT_EQ(FilesContaining(data(), "doeSecret"), std::vector<std::string>{});
  EXPECT_EQ(Run({"verify"}).exit_code, 0);
}

TEST_F(EraseCli, HoldBlocksErasureEvenWhenForced) {
  Ran hold = Run({"hold", "add", "--action", "a-4", "--reason", "litigation"});
  ASSERT_EQ(hold.exit_code, 0) << hold;
  for (bool force : {false, true}) {
    std::vector<std::string> args = {"erase", "--subject", "customer:7002",
                                     "--reason", "request"};
    if (force) {
      args.insert(args.end(), {"--force", "--justification", "x"});
    }
    Ran r = Run(args);
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_NE(r.err.find("legal hold"), std::string::npos) << r;
  }
  EXPECT_EQ(ReadAll()[3].FindPath("ai_output.reasoning")->as_string(),
            "poeSecret");
}

TEST_F(EraseCli, UsageErrorsNameTheFieldAndUnknownTokensAreRefused) {
  Ran bad_subject = Run({"erase", "--subject", "44821", "--reason", "r"});
  EXPECT_EQ(bad_subject.exit_code, 3) << bad_subject;
  EXPECT_NE(bad_subject.err.find("TYPE:ID"), std::string::npos);
  Ran stray = Run({"erase", "--subject", "customer:1", "--reason", "r",
                   "--justification", "j"});
  EXPECT_EQ(stray.exit_code, 3) << stray;
  Ran missing_reason = Run({"erase", "--subject", "customer:1"});
  EXPECT_EQ(missing_reason.exit_code, 2) << missing_reason;
  Ran token = Run({"erase", "--subject", "customer:7001", "--reason", "r"},
                  "alt_unknown");
  EXPECT_EQ(token.exit_code, 5) << token;
  EXPECT_EQ(ReadAll()[2].FindPath("ai_output.reasoning")->as_string(),
            "doeSecret");
}

TEST_F(EraseCli, WrongMasterKeyIsRefusedWithoutDamage) {
  const std::string other = dir_.path() + "/other.key";
  ASSERT_TRUE(MasterKey::Create(other).ok());
  const std::string before = Slurp(data() + "/" + kStoreFile);
  Ran r = Run({"erase", "--subject", "customer:7001", "--reason", "r",
               "--master-key", other});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("another master key"), std::string::npos) << r;
  EXPECT_EQ(Slurp(data() + "/" + kStoreFile), before);
}

}  // namespace
}  // namespace actledger::keystore
