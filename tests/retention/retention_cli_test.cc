// The retention commands as users run them: the envelope on appended
// records, hold add|list|release, retention plan|purge, get of a purged
// record, verify after it, errors naming the field, admin-only changes,
// and a purge killed at a random moment.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actledger/json.h"
#include "cli/child_process.h"
#include "retention_testing.h"

namespace actledger {
namespace {

using cli_testing::Lines;
using retention_testing::At;
using retention_testing::RecordJson;
using retention_testing::Spit;
using retention_testing::TempDir;

using Ran = cli_testing::RunResult;

class RetentionCli : public ::testing::Test {
 protected:
  std::string data() const { return dir_.path() + "/d"; }

  cli_testing::Child Start(const std::vector<std::string>& args,
                           const std::string& input,
                           const std::string& token = "") {
    std::vector<std::string> full = {"--data", data()};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<std::string> env;
    if (!token.empty()) env.push_back("ACTLEDGER_TOKEN=" + token);
    return cli_testing::StartBinary(ACTLEDGER_BIN, std::move(full), input, env,
                                    dir_.path());
  }

  // Runs any program (a path) with no input.
  Ran Exec(std::vector<std::string> args) {
    const std::string program = args.front();
    args.erase(args.begin());
    return cli_testing::RunBinary(program, std::move(args), "", {},
                                  dir_.path());
  }

  Ran Cmd(const std::vector<std::string>& args, const std::string& input = "",
          const std::string& token = "") {
    return cli_testing::FinishBinary(Start(args, input, token));
  }

  static json::Value Json(const std::string& line) {
    Result<json::Value> v = json::Parse(line);
    EXPECT_TRUE(v.ok()) << line;
    return v.ok() ? *v : json::Value();
  }

  // A ledger whose first `n` records were stamped in 2015 (expired), then
  // `n` fresh ones; made through the library, then closed.
  void MakeExpiredLedger(uint64_t n, uint64_t segment_bytes = 0) {
    std::unique_ptr<Ledger> l =
        retention_testing::InitAndOpen(data(), segment_bytes);
    ASSERT_NE(l, nullptr);
    retention::Stamper defaults;
    for (uint64_t i = 0; i < 2 * n; ++i) {
      retention_testing::AppendAt(
          *l, defaults,
          RecordJson("a-" + std::to_string(i), "crm.update", "customer",
                     "c" + std::to_string(i % 3), "2014-06-01T00:00:00Z",
                     "CLI-SECRET-" + std::to_string(i) + "-Z"),
          i < n ? At(2015, 1, 1) : NowUtc());
    }
  }

  TempDir dir_;
};

TEST_F(RetentionCli, AppendedRecordsCarryTheActivePolicysEnvelope) {
  ASSERT_EQ(Cmd({"init", "--origin", "example.com/r"}).exit_code, 0);
  // Before any policy: the defaults, no policy named.
  Ran a = Cmd({"append"}, RecordJson("x-1", "payment.refund", "patient", "p1",
                                     "2026-01-01T00:00:00Z", "r") +
                              "\n");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  json::Value first = Json(Cmd({"get", "0"}).out);
  const json::Value* ret = first.Find("retention");
  ASSERT_NE(ret, nullptr);
  EXPECT_EQ(ret->Find("regime")->as_string(), "general");
  EXPECT_EQ(ret->Find("policy"), nullptr);
  // recorded_at + 3y, to the second (rounded up).
  UtcTime recorded =
      ParseRfc3339Utc(first.Find("recorded_at")->as_string()).value();
  UtcTime until = ParseRfc3339Utc(ret->Find("until")->as_string()).value();
  UtcTime expect =
      policy::RetentionPolicy::Defaults().UntilFor("general", recorded).value();
  EXPECT_LE(until.seconds - expect.seconds, 1);
  EXPECT_GE(until.seconds - expect.seconds, -1);

  Spit(dir_.path() + "/p.yaml", R"(policy: acme
version: "2026-11.2"
classes:
  - { name: refunds, match: ["payment.*"], tier: log_only }
retention:
  periods: { sox: 7y, hipaa: 6y, general: 3y }
  rules:
    - { match: ["payment.*"], regime: sox }
    - { subject_types: [patient], regime: hipaa }
personal_fields: [subject.id]
)");
  Ran act = Cmd({"policy", "activate", dir_.path() + "/p.yaml"});
  ASSERT_EQ(act.exit_code, 0) << act.err;
  a = Cmd({"append"}, RecordJson("x-2", "payment.refund", "patient", "p1",
                                 "2026-01-01T00:00:00Z", "r") +
                          "\n" +
                          RecordJson("x-3", "email.send", "patient", "p1",
                                     "2026-01-01T00:00:00Z", "r") +
                          "\n" +
                          RecordJson("x-4", "email.send", "customer", "c1",
                                     "2026-01-01T00:00:00Z", "r") +
                          "\n");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const uint64_t base = 0 + 1 + 2;  // record, bootstrap key, policy record
  const char* want[] = {"sox", "hipaa", "general"};
  for (uint64_t k = 0; k < 3; ++k) {
    json::Value rec = Json(Cmd({"get", std::to_string(base + k)}).out);
    ASSERT_NE(rec.Find("retention"), nullptr) << base + k;
    EXPECT_EQ(rec.FindPath("retention.regime")->as_string(), want[k]);
    EXPECT_EQ(rec.FindPath("retention.policy")->as_string(), "2026-11.2");
  }
  // Gate-written records carry it too: the policy record is a system one.
  json::Value policy_rec = Json(Cmd({"get", "2"}).out);
  EXPECT_EQ(policy_rec.Find("kind")->as_string(), "policy");
  EXPECT_EQ(policy_rec.FindPath("retention.regime")->as_string(), "ledger");
}

TEST_F(RetentionCli, HoldCommandsShapesAndErrors) {
  MakeExpiredLedger(3);
  Ran none = Cmd({"hold", "add", "--reason", "r"});
  EXPECT_EQ(none.exit_code, 3) << none.err;
  EXPECT_NE(none.err.find("subject"), std::string::npos) << none.err;
  Ran bad_subject =
      Cmd({"hold", "add", "--subject", "nocolon", "--reason", "r"});
  EXPECT_EQ(bad_subject.exit_code, 3);
  EXPECT_NE(bad_subject.err.find("TYPE:ID"), std::string::npos);
  Ran bad_time = Cmd({"hold", "add", "--from", "yesterday", "--to",
                      "2026-01-01T00:00:00Z", "--reason", "r"});
  EXPECT_EQ(bad_time.exit_code, 3);
  EXPECT_NE(bad_time.err.find("from"), std::string::npos) << bad_time.err;
  Ran no_reason = Cmd({"hold", "add", "--subject", "customer:c0"});
  EXPECT_EQ(no_reason.exit_code, 2);  // a required option: usage error

  Ran add = Cmd({"hold", "add", "--subject", "customer:c0", "--reason",
                 "litigation 2026-17"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  json::Value hold = Json(add.out);
  const std::string id = hold.Find("id")->as_string();
  EXPECT_EQ(hold.FindPath("subject.type")->as_string(), "customer");
  EXPECT_EQ(hold.FindPath("subject.id")->as_string(), "c0");
  EXPECT_TRUE(hold.Find("active")->as_bool());
  EXPECT_EQ(hold.Find("reason")->as_string(), "litigation 2026-17");

  Ran list = Cmd({"hold", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(Json(list.out).Find("id")->as_string(), id);
  EXPECT_EQ(Json(list.out).Find("placed_by")->as_string().rfind("local:", 0),
            0u);

  Ran unknown = Cmd({"hold", "release", "hold_000000000000", "--reason", "x"});
  EXPECT_EQ(unknown.exit_code, 3);
  Ran release = Cmd({"hold", "release", id, "--reason", "settled"});
  ASSERT_EQ(release.exit_code, 0) << release.err;
  EXPECT_FALSE(Json(release.out).Find("active")->as_bool());
  EXPECT_EQ(Cmd({"hold", "release", id, "--reason", "again"}).exit_code, 3);
  EXPECT_TRUE(Cmd({"hold", "list"}).out.empty());
  EXPECT_FALSE(Cmd({"hold", "list", "--all"}).out.empty());
}

TEST_F(RetentionCli, NonAdminsCannotHoldOrPurge) {
  ASSERT_EQ(Cmd({"init"}).exit_code, 0);
  Ran tok = Cmd({"token", "create", "--principal", "bob@example.com"});
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  const std::string token = Json(tok.out).Find("token")->as_string();
  Ran hold =
      Cmd({"hold", "add", "--action", "a-1", "--reason", "r"}, "", token);
  EXPECT_EQ(hold.exit_code, 5) << hold.err;
  EXPECT_NE(hold.err.find("admin"), std::string::npos);
  EXPECT_EQ(Cmd({"retention", "purge"}, "", token).exit_code, 5);
  // Reading the plan and the holds needs no role.
  EXPECT_EQ(Cmd({"retention", "plan"}, "", token).exit_code, 0);
}

TEST_F(RetentionCli, PlanPurgeGetAndVerify) {
  MakeExpiredLedger(8);
  ASSERT_EQ(Cmd({"hold", "add", "--action", "a-1", "--reason", "r"}).exit_code,
            0);
  Ran bad = Cmd({"retention", "plan", "--as-of", "2026-01-01"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("as-of"), std::string::npos) << bad.err;
  Ran plan = Cmd({"retention", "plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  json::Value p = Json(plan.out);
  EXPECT_EQ(p.Find("eligible")->as_number(), 7);  // 8 expired, 1 held
  EXPECT_EQ(p.Find("held")->as_number(), 1);
  ASSERT_EQ(p.Find("groups")->as_array().size(), 1u);
  EXPECT_EQ(p.Find("groups")->as_array()[0].Find("regime")->as_string(),
            "general");
  const std::string cp = Cmd({"checkpoint"}).out;
  Spit(dir_.path() + "/cp.txt", cp);
  // The index holds the records' content before the purge.
  auto count = [&](std::vector<std::string> filter) {
    filter.insert(filter.begin(), {"query", "--count"});
    Ran q = Cmd(filter);
    EXPECT_EQ(q.exit_code, 0) << q.err;
    return Json(q.out).Find("count")->as_number();
  };
  EXPECT_EQ(count({"--action-id", "a-2"}), 1);
  // c1 is the subject of a-1, a-4, a-7 (expired) and a-10, a-13.
  EXPECT_EQ(count({"--subject", "customer:c1"}), 5);
  const double rows = count({});

  Ran purge = Cmd({"retention", "purge"});
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  json::Value r = Json(purge.out);
  EXPECT_TRUE(r.Find("complete")->as_bool());
  EXPECT_EQ(r.Find("purged")->as_number(), 7);
  EXPECT_EQ(r.Find("remaining")->as_number(), 0);
  ASSERT_EQ(r.Find("purge_records")->as_array().size(), 1u);

  Ran got = Cmd({"get", "0"});
  ASSERT_EQ(got.exit_code, 0);
  json::Value stub = Json(got.out);
  EXPECT_NE(stub.Find("purged"), nullptr) << got.out;
  EXPECT_EQ(stub.Find("seq")->as_number(), 0);
  EXPECT_EQ(got.out.find("CLI-SECRET-0-Z"), std::string::npos);
  EXPECT_FALSE(Json(Cmd({"get", "1"}).out).Find("purged") != nullptr);
  // The index dropped the purged content too; the held record keeps it,
  // and every record (the purge record added) still has its row.
  EXPECT_EQ(count({"--action-id", "a-2"}), 0);
  EXPECT_EQ(count({"--action-id", "a-1"}), 1);
  EXPECT_EQ(count({"--subject", "customer:c1"}), 3);  // a-1 held
  EXPECT_EQ(count({}), rows + 1);

  Ran verify = Cmd({"verify", "--trusted", dir_.path() + "/cp.txt"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("purged: 7 records"), std::string::npos)
      << verify.out;
  json::Value report = Json(Cmd({"verify", "--json"}).out);
  EXPECT_EQ(report.Find("purged")->as_number(), 7);
  EXPECT_EQ(json::Canonical(*report.Find("purged_ranges")), "[[0,0],[2,7]]");

  // The independent auditor checks the purged record's inclusion with the
  // leaf hash its stub keeps, against a checkpoint signed after the purge.
  const std::string after = Cmd({"checkpoint"}).out;
  Spit(dir_.path() + "/after.txt", after);
  Spit(dir_.path() + "/rec.json", got.out);
  const std::string size = Lines(after)[1];
  Spit(dir_.path() + "/proof.json",
       Cmd({"proof", "inclusion", "0", "--size", size}).out);
  Spit(dir_.path() + "/key.txt", Cmd({"pubkey"}).out);
  Ran audit = Exec(
      {"/usr/bin/python3",
       std::string(ACTLEDGER_SOURCE_DIR) + "/tools/audit/actledger_audit.py",
       "inclusion", dir_.path() + "/key.txt", dir_.path() + "/after.txt",
       dir_.path() + "/rec.json", dir_.path() + "/proof.json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  EXPECT_NE(audit.out.find("PURGED"), std::string::npos) << audit.out;
  Ran again = Cmd({"retention", "plan"});
  EXPECT_EQ(Json(again.out).Find("eligible")->as_number(), 0);
  EXPECT_EQ(Json(again.out).Find("already_purged")->as_number(), 7);
}

TEST_F(RetentionCli, PurgeKilledAtARandomMomentResumesWithoutDamage) {
  MakeExpiredLedger(300, 8192);
  std::mt19937 rng(std::random_device{}());
  const int delay_ms = std::uniform_int_distribution<int>(20, 400)(rng);
  const cli_testing::Child purging = Start({"retention", "purge"}, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  ::kill(purging.pid, SIGKILL);
  cli_testing::FinishBinary(purging);
  // Whatever the moment, the ledger verifies and a new purge finishes.
  Ran verify = Cmd({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << "killed after " << delay_ms << " ms\n"
                                 << verify.out << verify.err;
  Ran purge = Cmd({"retention", "purge"});
  ASSERT_EQ(purge.exit_code, 0) << purge.err;
  EXPECT_LE(Json(purge.out).Find("purge_records")->as_array().size(), 1u);
  json::Value plan = Json(Cmd({"retention", "plan"}).out);
  EXPECT_EQ(plan.Find("eligible")->as_number(), 0);
  EXPECT_EQ(plan.Find("already_purged")->as_number(), 300);
  verify = Cmd({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(
      retention_testing::FilesContaining(data(), "CLI-SECRET-7-Z").empty());
}

}  // namespace
}  // namespace actledger
