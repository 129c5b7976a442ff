// End-to-end tests of the approval gate through the `actledger` binary
// (PRODUCT.md section 3): policy check/activate/whatif, tokens and roles,
// gate, approve, reject, outcome, action [--wait], approvals, verify. Each
// test runs the built binary (ACTLEDGER_BIN) in a fresh data directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actledger/json.h"
#include "cli/child_process.h"

namespace actledger::gate_cli_test {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using cli_testing::Lines;
using cli_testing::ReadFile;
using cli_testing::WriteFile;

json::Value ParseJsonText(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in: " << text;
  return v.ok() ? *std::move(v) : json::Value();
}

std::string Str(const json::Value& v, std::string_view path) {
  const json::Value* m = v.FindPath(path);
  EXPECT_TRUE(m != nullptr && m->is_string())
      << path << " in " << json::Canonical(v);
  return m != nullptr && m->is_string() ? m->as_string() : "";
}

std::string OsUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid-" + std::to_string(::geteuid());
}

using Ran = cli_testing::RunResult;

class GateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("ACTLEDGER_TOKEN");
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-gate-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << templ;
    tmp_ = templ;
    data_ = tmp_ + "/data";
    me_ = "local:" + OsUser();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  std::string Tmp(std::string_view name) const {
    return tmp_ + "/" + std::string(name);
  }

  // Starts `actledger --data DIR ARGS` with `input` on stdin; `token`, when
  // set, is passed as $ACTLEDGER_TOKEN. Its files are named `tag`.
  cli_testing::Child Start(const std::vector<std::string>& args,
                           const std::string& input, const std::string& tag,
                           const std::string& token_env = "") {
    std::vector<std::string> full = {"--data", data_};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<std::string> env;
    if (!token_env.empty()) env.push_back("ACTLEDGER_TOKEN=" + token_env);
    return cli_testing::StartBinary(ACTLEDGER_BIN, std::move(full), input, env,
                                    tmp_, tag);
  }

  Ran Cmd(const std::vector<std::string>& args, const std::string& input = "",
          const std::string& token_env = "") {
    return cli_testing::FinishBinary(Start(args, input, "run", token_env));
  }

  void InitLedger() {
    Ran r = Cmd({"init", "--origin", "example.com/gate-cli-test"});
    ASSERT_EQ(r.exit_code, 0) << r;
  }

  // `token create` for `principal`: the secret.
  std::string NewToken(const std::string& principal) {
    Ran r = Cmd({"token", "create", "--principal", principal});
    EXPECT_EQ(r.exit_code, 0) << r;
    json::Value v = ParseJsonText(r.out);
    EXPECT_EQ(Str(v, "principal"), principal);
    return Str(v, "token");
  }

  void GrantRole(const std::string& principal, const std::string& role) {
    Ran r = Cmd({"principal", "grant", principal, "--role", role});
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_THAT(r.out, HasSubstr("\"" + role + "\""));
  }

  std::string tmp_;
  std::string data_;
  std::string me_;
};

constexpr char kExample[] = ACTLEDGER_SOURCE_DIR "/examples/policy.yaml";

std::string Proposal(const std::string& id, const std::string& type,
                     const std::string& amount = "", int age = 400) {
  std::string action = R"({"type":")" + type + R"(","system":"s","target":"t")";
  if (!amount.empty()) {
    action += R"(,"amount":{"value":")" + amount + R"(","currency":"USD"})";
  }
  action += "}";
  return R"({"action_id":")" + id +
         R"(","trigger":{"type":"event","source":"zendesk"},)"
         R"("ai_output":{"decision":"d","reasoning":"r","confidence":0.9},)"
         R"("action":)" +
         action +
         R"(,"subject":{"type":"customer","id":"c1","attributes":)"
         R"({"account_age_days":)" +
         std::to_string(age) + "}}}";
}

// --- policy check
// --------------------------------------------------------------

TEST_F(GateCli, PolicyCheckAcceptsTheExampleAndPinpointsABadWhen) {
  Ran ok = Cmd({"policy", "check", kExample});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  EXPECT_THAT(ok.out, HasSubstr("policy acme-ai-execute version 2026-11.1"));
  EXPECT_THAT(ok.out, HasSubstr(": ok"));

  // Break the T-2026-03 expression: a dangling `<`.
  std::string text = ReadFile(kExample);
  const std::string good = "action.amount.value < 100 &&";
  const size_t at = text.find(good);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, good.size(), "action.amount.value < && 1 &&");
  const int line =
      1 + static_cast<int>(std::count(text.data(), text.data() + at, '\n'));
  const std::string bad = Tmp("bad.yaml");
  WriteFile(bad, text);
  Ran r = Cmd({"policy", "check", bad});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.err,
              ContainsRegex(bad + ":" + std::to_string(line) + ":[0-9]+: "))
      << r;
  // The column points into the expression, not at the key.
  const std::string marker = bad + ":" + std::to_string(line) + ":";
  const size_t m = r.err.find(marker);
  if (m != std::string::npos) {
    const int column = static_cast<int>(
        std::strtol(r.err.c_str() + m + marker.size(), nullptr, 10));
    const size_t line_start = text.rfind('\n', at) + 1;
    EXPECT_GT(column, static_cast<int>(at - line_start + 1)) << r;
  }
  // Nothing was created by a check.
  EXPECT_FALSE(std::filesystem::exists(data_));
}

// --- the whole lifecycle
// --------------------------------------------------------

TEST_F(GateCli, LifecycleFromPolicyToVerify) {
  ASSERT_NO_FATAL_FAILURE(InitLedger());

  // Before a policy is active: fail closed, and nothing to show.
  EXPECT_EQ(Cmd({"policy", "show"}).exit_code, 3);

  Ran act = Cmd({"policy", "activate", kExample});
  ASSERT_EQ(act.exit_code, 0) << act;
  json::Value activated = ParseJsonText(act.out);
  EXPECT_EQ(Str(activated, "version"), "2026-11.1");
  EXPECT_EQ(Str(activated, "activated_by"), me_);
  Ran show = Cmd({"policy", "show"});
  EXPECT_EQ(show.exit_code, 0) << show;
  EXPECT_EQ(show.out, ReadFile(kExample));

  // Tokens: printed once, never listed.
  const std::string fiona = NewToken("user:fiona");
  const std::string sam = NewToken("user:sam");
  ASSERT_FALSE(fiona.empty());
  Ran list = Cmd({"token", "list"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(Lines(list.out).size(), 2u) << list;
  EXPECT_THAT(list.out, Not(HasSubstr(fiona)));
  EXPECT_THAT(list.out, HasSubstr("user:fiona"));
  ASSERT_NO_FATAL_FAILURE(GrantRole("user:fiona", "finance-ops"));
  ASSERT_NO_FATAL_FAILURE(GrantRole("user:sam", "support-lead"));
  // The local user proposes and may approve refunds, just not its own.
  ASSERT_NO_FATAL_FAILURE(GrantRole(me_, "finance-ops"));
  // A non-admin token cannot grant or create tokens.
  EXPECT_EQ(Cmd({"principal", "grant", "user:sam", "--role", "admin"}, "", sam)
                .exit_code,
            5);
  EXPECT_EQ(
      Cmd({"--token", sam, "token", "create", "--principal", "x"}).exit_code,
      5);
  EXPECT_EQ(Cmd({"--token", "alt_bogus", "approvals"}).exit_code, 5);

  // Mixed input: decisions for valid lines, errors naming the bad ones.
  const std::string input =
      Proposal("r-small", "payment.refund", "40.00") + "\n" +
      Proposal("r-big", "payment.refund", "100.00") + "\n" + "{not json\n" +
      Proposal("e-1", "email.send") + "\n" +
      R"({"action_id":"bad-money","action":{"type":"payment.refund",)"
      R"("amount":{"value":40,"currency":"USD"}}})" +
      "\n" + Proposal("u-1", "spaceship.launch") + "\n" +
      Proposal("r-75", "payment.refund", "75.00") + "\n" +
      Proposal("r-pend", "payment.refund", "300.00") + "\n" +
      Proposal("r-wait", "payment.refund", "500.00") + "\n";
  Ran gate = Cmd({"gate"}, input);
  EXPECT_EQ(gate.exit_code, 3) << gate;
  std::vector<std::string> lines = Lines(gate.out);
  ASSERT_EQ(lines.size(), 9u) << gate;
  std::map<std::string, json::Value> decided;
  std::vector<int> bad_lines;
  for (const std::string& l : lines) {
    json::Value v = ParseJsonText(l);
    if (const json::Value* ok = v.Find("ok"); ok != nullptr) {
      EXPECT_FALSE(ok->as_bool()) << l;
      bad_lines.push_back(static_cast<int>(v.Find("line")->as_number()));
      EXPECT_NE(v.Find("error"), nullptr) << l;
      continue;
    }
    decided[Str(v, "action_id")] = v;
  }
  EXPECT_THAT(bad_lines, ElementsAre(3, 5));
  EXPECT_THAT(lines[4], HasSubstr("action.amount.value")) << gate;
  ASSERT_EQ(decided.size(), 7u);
  EXPECT_EQ(Str(decided["r-small"], "decision"), "allow");
  EXPECT_EQ(Str(decided["r-small"], "rule.id"), "T-2026-03");
  EXPECT_EQ(Str(decided["r-small"], "policy_version"), "2026-11.1");
  EXPECT_EQ(Str(decided["r-75"], "decision"), "allow");
  for (const char* id : {"r-big", "e-1", "u-1", "r-pend", "r-wait"}) {
    EXPECT_EQ(Str(decided[id], "decision"), "pending_approval") << id;
    EXPECT_FALSE(Str(decided[id], "expires_at").empty()) << id;
  }

  // Separation of duties: the proposer (the local user) may not approve.
  Ran self = Cmd({"approve", "r-big"});
  EXPECT_EQ(self.exit_code, 5) << self;
  EXPECT_THAT(self.err, HasSubstr("separation of duties"));
  // The wrong role.
  EXPECT_EQ(Cmd({"--token", sam, "approve", "r-big"}).exit_code, 5);
  Ran approved = Cmd({"--token", fiona, "approve", "r-big", "--reason", "ok"});
  ASSERT_EQ(approved.exit_code, 0) << approved;
  EXPECT_EQ(Str(ParseJsonText(approved.out), "approver"), "user:fiona");
  EXPECT_EQ(Str(ParseJsonText(approved.out), "decision"), "approve");
  // Twice: a conflict, input rejected.
  EXPECT_EQ(Cmd({"approve", "r-big"}, "", fiona).exit_code, 3);

  // A rejection needs --reason (a CLI11 usage error), then works.
  Ran no_reason = Cmd({"--token", sam, "reject", "e-1"});
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason;
  EXPECT_THAT(no_reason.err, HasSubstr("--reason"));
  Ran rejected = Cmd({"--token", sam, "reject", "e-1", "--reason", "tone"});
  EXPECT_EQ(rejected.exit_code, 0) << rejected;

  // Outcomes: always recorded, flagged when they break the rules.
  Ran oc = Cmd({"outcome", "r-big"}, R"({"status":"success"})");
  ASSERT_EQ(oc.exit_code, 0) << oc;
  json::Value ocv = ParseJsonText(oc.out);
  ASSERT_NE(ocv.Find("violation"), nullptr) << oc;
  EXPECT_TRUE(ocv.Find("violation")->is_null()) << oc;
  Ran ocp = Cmd({"outcome", "r-pend"}, R"({"status":"success"})");
  ASSERT_EQ(ocp.exit_code, 0) << ocp;
  EXPECT_EQ(Str(ParseJsonText(ocp.out), "violation"),
            "executed without the required approval");
  Ran ocr = Cmd({"outcome", "e-1"}, R"({"status":"success"})");
  ASSERT_EQ(ocr.exit_code, 0) << ocr;
  EXPECT_THAT(Str(ParseJsonText(ocr.out), "violation"), HasSubstr("reject"));

  // The merged view.
  Ran view = Cmd({"action", "r-big"});
  ASSERT_EQ(view.exit_code, 0) << view;
  json::Value v = ParseJsonText(view.out);
  EXPECT_EQ(Str(v, "status"), "executed");
  EXPECT_EQ(Str(v, "approval.mode"), "human");
  EXPECT_EQ(Str(v, "approval.approver.id"), "user:fiona");
  const json::Value* timeline = v.Find("timeline");
  ASSERT_TRUE(timeline != nullptr && timeline->is_array()) << view;
  std::vector<std::string> kinds;
  double last = -1;
  for (const json::Value& e : timeline->as_array()) {
    kinds.push_back(Str(e, "kind"));
    EXPECT_GT(e.Find("seq")->as_number(), last);
    last = e.Find("seq")->as_number();
  }
  EXPECT_THAT(kinds, ElementsAre("proposal", "approval", "outcome"));
  EXPECT_EQ(Cmd({"action", "no-such-action"}).exit_code, 3);

  // The inbox: pending only (r-pend executed without approval still waits).
  Ran inbox = Cmd({"approvals"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox;
  std::vector<std::string> pending;
  for (const std::string& l : Lines(inbox.out)) {
    json::Value a = ParseJsonText(l);
    pending.push_back(Str(a, "action_id"));
    EXPECT_EQ(Str(a, "status"), "pending_approval") << l;
  }
  EXPECT_THAT(pending, UnorderedElementsAre("u-1", "r-pend", "r-wait"));

  // --wait returns as soon as another process approves.
  const auto started = std::chrono::steady_clock::now();
  const cli_testing::Child waiter =
      Start({"action", "r-wait", "--wait", "5s"}, "", "waiter");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Ran late = Cmd({"--token", fiona, "approve", "r-wait"});
  EXPECT_EQ(late.exit_code, 0) << late;
  Ran waited = cli_testing::FinishBinary(waiter);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(waited.exit_code, 0) << waited;
  EXPECT_LT(elapsed, std::chrono::milliseconds(4500)) << waited;
  EXPECT_EQ(Str(ParseJsonText(waited.out), "status"), "approved") << waited;
  EXPECT_EQ(Str(ParseJsonText(waited.out), "approval.approver.id"),
            "user:fiona");

  // What-if: a stricter threshold changes exactly the one auto-approved
  // refund between 50 and 100 (r-75); r-small (40.00) stays allowed.
  std::string stricter = ReadFile(kExample);
  const std::string from = "action.amount.value < 100";
  const size_t at = stricter.find(from);
  ASSERT_NE(at, std::string::npos);
  stricter.replace(at, from.size(), "action.amount.value < 50");
  const std::string candidate = Tmp("stricter.yaml");
  WriteFile(candidate, stricter);
  Ran whatif = Cmd({"policy", "whatif", candidate});
  ASSERT_EQ(whatif.exit_code, 0) << whatif;
  std::vector<std::string> out = Lines(whatif.out);
  ASSERT_EQ(out.size(), 2u) << whatif;
  json::Value changed = ParseJsonText(out[0]);
  EXPECT_EQ(Str(changed, "action_id"), "r-75");
  EXPECT_EQ(Str(changed, "old.decision"), "allow");
  EXPECT_EQ(Str(changed, "old.rule"), "T-2026-03");
  EXPECT_EQ(Str(changed, "new.decision"), "pending_approval");
  EXPECT_TRUE(changed.FindPath("new.rule")->is_null());
  json::Value summary = ParseJsonText(out[1]);
  EXPECT_EQ(summary.FindPath("summary.replayed")->as_number(), 7);
  EXPECT_EQ(summary.FindPath("summary.changed")->as_number(), 1);
  EXPECT_EQ(json::Canonical(*summary.FindPath("summary.changed_by_rule")),
            R"j({"(no rule)":1})j");
  // The active policy is unchanged by a what-if.
  EXPECT_EQ(Cmd({"policy", "show"}).out, ReadFile(kExample));
  // The same policy changes nothing.
  Ran same = Cmd({"policy", "whatif", kExample});
  EXPECT_EQ(same.exit_code, 0) << same;
  EXPECT_THAT(
      Lines(same.out),
      ElementsAre(ContainsRegex(R"("changed":0,"changed_by_rule":\{\})")))
      << same;

  // A revoked token stops working.
  Ran tokens = Cmd({"token", "list"});
  std::string fiona_id;
  for (const std::string& l : Lines(tokens.out)) {
    json::Value t = ParseJsonText(l);
    if (Str(t, "principal") == "user:fiona") fiona_id = Str(t, "token_id");
  }
  ASSERT_FALSE(fiona_id.empty()) << tokens;
  EXPECT_EQ(Cmd({"token", "revoke", fiona_id}).exit_code, 0);
  EXPECT_EQ(Cmd({"--token", fiona, "approve", "u-1"}).exit_code, 5);

  Ran verify = Cmd({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify;
  // The raw tokens are nowhere on disk.
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(data_)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = ReadFile(entry.path().string());
    EXPECT_EQ(bytes.find(fiona), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(sam), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace actledger::gate_cli_test

namespace actledger::gate_cli_test {
namespace {

// recorded_by comes from authentication: a token's principal, never the
// body; an unknown token stores nothing.
TEST_F(GateCli, AppendWithTokenRecordsTheTokensPrincipal) {
  InitLedger();
  const std::string token = NewToken("agent-7@acme.example");
  Ran gen = Cmd({"gen", "--count", "2", "--seed", "5"});
  ASSERT_EQ(gen.exit_code, 0) << gen;
  Ran appended = Cmd({"--token", token, "append"}, gen.out);
  ASSERT_EQ(appended.exit_code, 0) << appended;
  const std::vector<std::string> receipts = Lines(appended.out);
  ASSERT_EQ(receipts.size(), 2u) << appended;
  const json::Value receipt = ParseJsonText(receipts[0]);
  const std::string seq =
      std::to_string(static_cast<uint64_t>(receipt.Find("seq")->as_number()));
  Ran stored = Cmd({"get", seq});
  ASSERT_EQ(stored.exit_code, 0) << stored;
  EXPECT_EQ(Str(ParseJsonText(stored.out), "recorded_by"),
            "agent-7@acme.example");

  Ran bogus = Cmd({"--token", "alt_not-a-token", "append"}, gen.out);
  EXPECT_EQ(bogus.exit_code, 5) << bogus;
  EXPECT_THAT(bogus.err, HasSubstr("unauthenticated"));
  Ran after = Cmd({"get", std::to_string(std::stoull(seq) + 2)});
  EXPECT_EQ(after.exit_code, 3) << "nothing was stored for the bad token";
}

}  // namespace
}  // namespace actledger::gate_cli_test
