// Per-subject encryption wired end to end through the `actledger` binary
// (issue #7 item 4, docs/ERASURE.md): a policy's personal_fields are
// encrypted at append (append, gate, outcome), never reach any file of the
// data directory in the clear (segments, index, state, key store), read
// back decrypted through query, action and reports, redacted without the
// master key, erased by `erase` — and `verify` passes throughout.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "cli/child_process.h"
#include "keystore_testing.h"

namespace actledger::keystore {
namespace {

using cli_testing::Lines;
using cli_testing::ReadFile;
using cli_testing::RunResult;
using cli_testing::WriteFile;
using keystore_testing::FilesContaining;
using keystore_testing::TempDir;

// Distinctive plaintexts: none can occur by chance in hex, base64 or
// SQLite pages.
constexpr char kRoeId[] = "roe-id-QXZ41";
constexpr char kRoeSecret[] = "roe-reasoning-QXZ42";
constexpr char kRoeMail[] = "roe-mail-QXZ43";
constexpr char kRoeResponse[] = "roe-response-QXZ44";
constexpr char kDoeId[] = "doe-id-QXZ51";
constexpr char kDoeSecret[] = "doe-reasoning-QXZ52";

constexpr char kPolicy[] = R"(policy: personal-data
version: "1"
defaults: { tier: log_only }
classes:
  - { name: everything, match: ["*"], tier: log_only }
retention:
  rules:
    - { match: ["payment.*"], regime: sox }
    - { match: ["*"], regime: general }
personal_fields: [subject.id, subject.attributes, action.recipient,
                  ai_output.reasoning, outcome.system_response]
)";

std::string Record(const std::string& action_id, const std::string& subject_id,
                   const std::string& secret, const std::string& mail) {
  return R"({"action_id":")" + action_id +
         R"(","trigger":{"type":"event","source":"crm.ticket"},)"
         R"("model":{"provider":"p","name":"m","version":"m-1",)"
         R"("prompt_template":{"id":"t","version":"1"}},)"
         R"("ai_output":{"decision":"send","reasoning":")" +
         secret +
         R"(","confidence":0.9},"action":{"type":"email.send",)"
         R"("system":"sendgrid","target":"tmpl-7","recipient":")" +
         mail +
         R"("},"approval":{"mode":"none"},)"
         R"("context":{"occurred_at":"2026-11-28T09:00:00Z",)"
         R"("environment":"test","job_id":"j-1","app_version":"1.0"},)"
         R"("subject":{"type":"customer","id":")" +
         subject_id + R"(","attributes":{"tier":"gold"}}})";
}

class PersonalCli : public ::testing::Test {
 protected:
  std::string data() const { return dir_.path() + "/d"; }

  // Runs the binary with `stdin_text` on standard input; `env` adds
  // variables (every inherited ACTLEDGER_* is dropped).
  RunResult Run(std::vector<std::string> args,
                const std::string& stdin_text = "",
                const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--data", data()});
    return cli_testing::RunBinary(ACTLEDGER_BIN, std::move(args), stdin_text,
                                  env, dir_.path());
  }

  void SetUp() override {
    ASSERT_EQ(Run({"init"}).exit_code, 0);
    WriteFile(dir_.path() + "/policy.yaml", kPolicy);
    RunResult act = Run({"policy", "activate", dir_.path() + "/policy.yaml"});
    ASSERT_EQ(act.exit_code, 0) << act;
    RunResult app =
        Run({"append"},
            Record("a-roe", kRoeId, kRoeSecret, kRoeMail) + "\n" +
                Record("a-doe", kDoeId, kDoeSecret, "doe-mail-QXZ53") + "\n");
    ASSERT_EQ(app.exit_code, 0) << app;
    // An outcome names only its action: its personal field is encrypted
    // under the subject of that action.
    RunResult oc = Run({"outcome", "a-roe", "-"},
                       std::string(R"({"status":"success",)") +
                           R"("system_response":{"delivered_to":")" +
                           kRoeResponse + R"("}})");
    ASSERT_EQ(oc.exit_code, 0) << oc;
    // The index and the state store see every record.
    ASSERT_EQ(Run({"query", "--count"}).exit_code, 0);
  }

  // Every file under the data directory holding `needle` in its raw bytes.
  std::vector<std::string> Leaks(const std::string& needle) const {
    return FilesContaining(data(), needle);
  }

  json::Value QueryOne(const std::string& subject,
                       const std::vector<std::string>& env = {}) {
    RunResult q = Run(
        {"query", "--subject", subject, "--kind", "action", "--format", "json"},
        "", env);
    EXPECT_EQ(q.exit_code, 0) << q;
    std::vector<std::string> lines = Lines(q.out);
    EXPECT_EQ(lines.size(), 1u) << q;
    Result<json::Value> v = json::Parse(lines.empty() ? "" : lines[0]);
    EXPECT_TRUE(v.ok()) << q;
    last_err_ = q.err;
    return v.ok() ? *v : json::Value();
  }

  static std::string At(const json::Value& v, std::string_view path) {
    const json::Value* m = v.FindPath(path);
    return m != nullptr && m->is_string() ? m->as_string()
                                          : "<" + std::string(path) + ">";
  }

  TempDir dir_;
  std::string last_err_;
};

TEST_F(PersonalCli, PlaintextReachesNoFileButReadsBackDecrypted) {
  for (const char* s :
       {kRoeId, kRoeSecret, kRoeMail, kRoeResponse, kDoeId, kDoeSecret}) {
    EXPECT_TRUE(Leaks(s).empty()) << s << " found in " << Leaks(s).front();
  }
  // The stored record carries envelopes and the blind id, never the id.
  RunResult get = Run({"get", "0"});
  ASSERT_EQ(get.exit_code, 0);
  RunResult stored = Run({"get", "2"});
  ASSERT_EQ(stored.exit_code, 0) << stored;
  Result<json::Value> rec = json::Parse(stored.out);
  ASSERT_TRUE(rec.ok()) << stored;
  EXPECT_EQ(At(*rec, "subject.type"), "customer");
  EXPECT_EQ(At(*rec, "subject.id.enc"), "aes-256-gcm");
  EXPECT_EQ(At(*rec, "subject.blind_id").size(), 64u);
  EXPECT_EQ(At(*rec, "action.recipient.enc"), "aes-256-gcm");

  // Looked up by the plaintext subject (through the blind index), read
  // back in the clear.
  json::Value roe = QueryOne(std::string("customer:") + kRoeId);
  EXPECT_EQ(At(roe, "subject.id"), kRoeId);
  EXPECT_EQ(At(roe, "ai_output.reasoning"), kRoeSecret);
  EXPECT_EQ(At(roe, "action.recipient"), kRoeMail);
  EXPECT_EQ(At(roe, "subject.attributes.tier"), "gold");

  RunResult view = Run({"action", "a-roe"});
  ASSERT_EQ(view.exit_code, 0) << view;
  EXPECT_NE(view.out.find(kRoeMail), std::string::npos) << view;
  EXPECT_NE(view.out.find(kRoeResponse), std::string::npos) << view;

  RunResult report =
      Run({"report", "subject", "--subject", std::string("customer:") + kRoeId,
           "--format", "json"});
  ASSERT_EQ(report.exit_code, 0) << report;
  EXPECT_NE(report.out.find(kRoeSecret), std::string::npos) << report;
  EXPECT_EQ(report.out.find(kDoeSecret), std::string::npos) << report;

  EXPECT_EQ(Run({"verify"}).exit_code, 0);
}

TEST_F(PersonalCli, WithoutTheMasterKeyFieldsReadRedacted) {
  const std::vector<std::string> env = {
      "ACTLEDGER_MASTER_KEY_FILE=" + dir_.path() + "/no-such.key"};
  RunResult q = Run({"query", "--kind", "action", "--format", "json"}, "", env);
  ASSERT_EQ(q.exit_code, 0) << q;
  EXPECT_EQ(q.out.find(kRoeSecret), std::string::npos) << q;
  EXPECT_NE(q.out.find("[redacted]"), std::string::npos) << q;
  EXPECT_NE(q.err.find("no-such.key"), std::string::npos) << q;
}

TEST_F(PersonalCli, PersonalDataWithoutASubjectIsRefusedAndNothingWritten) {
  const std::string before = Run({"query", "--count"}).out;
  std::string line = Record("a-anon", "x", "anon-reasoning-QXZ61", "m");
  Result<json::Value> v = json::Parse(line);
  ASSERT_TRUE(v.ok());
  v->as_object().erase(
      std::find_if(v->as_object().begin(), v->as_object().end(),
                   [](const auto& m) { return m.first == "subject"; }));
  RunResult app = Run({"append"}, json::Canonical(*v) + "\n");
  EXPECT_EQ(app.exit_code, 3) << app;
  EXPECT_NE(app.out.find("\"field\":\"action.recipient\""), std::string::npos)
      << app;
  EXPECT_EQ(Run({"query", "--count"}).out, before);
  EXPECT_TRUE(Leaks("anon-reasoning-QXZ61").empty());
}

TEST_F(PersonalCli, ErasureLeavesNoPlaintextAndVerifies) {
  RunResult erase =
      Run({"erase", "--subject", std::string("customer:") + kRoeId, "--reason",
           "GDPR Art. 17 request 2026-118"});
  ASSERT_EQ(erase.exit_code, 0) << erase;
  json::Value roe = QueryOne(std::string("customer:") + kRoeId);
  EXPECT_EQ(At(roe, "subject.id"), "[erased]");
  EXPECT_EQ(At(roe, "ai_output.reasoning"), "[erased]");
  EXPECT_EQ(At(roe, "action.recipient"), "[erased]");
  // The other subject is untouched.
  json::Value doe = QueryOne(std::string("customer:") + kDoeId);
  EXPECT_EQ(At(doe, "ai_output.reasoning"), kDoeSecret);

  RunResult view = Run({"action", "a-roe"});
  ASSERT_EQ(view.exit_code, 0) << view;
  EXPECT_EQ(view.out.find(kRoeResponse), std::string::npos) << view;

  for (const char* s : {kRoeId, kRoeSecret, kRoeMail, kRoeResponse}) {
    EXPECT_TRUE(Leaks(s).empty()) << s << " found in " << Leaks(s).front();
  }
  RunResult verify = Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify;
}

// `policy whatif` replays stored proposals, whose personal fields are
// encrypted: a candidate rule on subject.attributes must see the plaintext
// the gate saw, not an envelope.
TEST_F(PersonalCli, WhatIfEvaluatesDecryptedPersonalFields) {
  const std::string proposal =
      R"({"action_id":"p-gold","trigger":{"type":"event","source":"crm"},)"
      R"("ai_output":{"decision":"send","reasoning":"r","confidence":0.9},)"
      R"("action":{"type":"email.send","system":"sendgrid","target":"t"},)"
      R"("subject":{"type":"customer","id":"gold-QXZ71",)"
      R"("attributes":{"tier":"gold"}}})";
  RunResult gate = Run({"gate", "-"}, proposal + "\n");
  ASSERT_EQ(gate.exit_code, 0) << gate;
  ASSERT_TRUE(Leaks("gold-QXZ71").empty());
  RunResult stored = Run({"get", "5"});
  ASSERT_EQ(stored.exit_code, 0) << stored;
  ASSERT_NE(stored.out.find("p-gold"), std::string::npos) << stored;
  ASSERT_NE(stored.out.find(R"("attributes":{"ct":")"), std::string::npos)
      << stored;

  std::string candidate = kPolicy;
  candidate.replace(candidate.find("version: \"1\""), 12, "version: \"2\"");
  const std::string classes = "classes:\n";
  candidate.insert(candidate.find(classes) + classes.size(),
                   "  - { name: mail, match: [\"email.send\"], tier: "
                   "threshold, approver_roles: [support-lead] }\n");
  candidate += R"(rules:
  - id: G-1
    description: Mail to gold customers is auto-approved
    applies_to: ["email.send"]
    when: 'subject.attributes.tier == "gold"'
    decision: auto_approve
    owner: Support
    approved_by: lead@example.com
    approved_at: 2026-11-01
    review_every: 90d
    last_reviewed: 2026-11-01
)";
  const std::string file = dir_.path() + "/candidate.yaml";
  WriteFile(file, candidate);
  ASSERT_EQ(Run({"policy", "check", file}).exit_code, 0)
      << Run({"policy", "check", file});

  RunResult whatif = Run({"policy", "whatif", file});
  ASSERT_EQ(whatif.exit_code, 0) << whatif;
  std::vector<std::string> out = Lines(whatif.out);
  ASSERT_EQ(out.size(), 2u) << whatif;
  Result<json::Value> changed = json::Parse(out[0]);
  ASSERT_TRUE(changed.ok()) << whatif;
  EXPECT_EQ(At(*changed, "action_id"), "p-gold");
  EXPECT_EQ(At(*changed, "new.decision"), "allow") << whatif;
  EXPECT_EQ(At(*changed, "new.rule"), "G-1") << whatif;
  EXPECT_EQ(whatif.err, "") << whatif;

  // Without the master key the attribute reads "[redacted]": the rule
  // cannot match, and the note says why.
  RunResult blind =
      Run({"policy", "whatif", file}, "",
          {"ACTLEDGER_MASTER_KEY_FILE=" + dir_.path() + "/no-such.key"});
  ASSERT_EQ(blind.exit_code, 0) << blind;
  out = Lines(blind.out);
  ASSERT_EQ(out.size(), 2u) << blind;
  changed = json::Parse(out[0]);
  ASSERT_TRUE(changed.ok()) << blind;
  EXPECT_EQ(At(*changed, "new.decision"), "pending_approval") << blind;
  EXPECT_NE(blind.err.find("no-such.key"), std::string::npos) << blind;
}

TEST_F(PersonalCli, SubjectHoldNamesNoIdAndBlocksErasureUntilReleased) {
  const std::string subject = std::string("customer:") + kRoeId;
  RunResult add = Run(
      {"hold", "add", "--subject", subject, "--reason", "litigation 2026-17"});
  ASSERT_EQ(add.exit_code, 0) << add;
  Result<json::Value> hold = json::Parse(add.out);
  ASSERT_TRUE(hold.ok()) << add;
  const std::string id = At(*hold, "id");
  // The hold record, and every other file, carries the blind id only.
  EXPECT_TRUE(Leaks(kRoeId).empty()) << Leaks(kRoeId).front();
  RunResult list = Run({"hold", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  Result<json::Value> listed = json::Parse(list.out);
  ASSERT_TRUE(listed.ok()) << list;
  EXPECT_EQ(At(*listed, "subject.blind_id").size(), 64u) << list;
  EXPECT_EQ(list.out.find(kRoeId), std::string::npos) << list;

  RunResult refused =
      Run({"erase", "--subject", subject, "--reason", "request 7", "--force",
           "--justification", "no duty applies"});
  EXPECT_EQ(refused.exit_code, 3) << refused;
  EXPECT_NE(refused.err.find(id), std::string::npos) << refused;
  EXPECT_EQ(At(QueryOne(subject), "ai_output.reasoning"), kRoeSecret);

  ASSERT_EQ(Run({"hold", "release", id, "--reason", "settled"}).exit_code, 0);
  RunResult erased = Run({"erase", "--subject", subject, "--reason", "r 7"});
  EXPECT_EQ(erased.exit_code, 0) << erased;
  EXPECT_EQ(At(QueryOne(subject), "ai_output.reasoning"), "[erased]");
}

}  // namespace
}  // namespace actledger::keystore
