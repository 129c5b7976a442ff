// Lifecycle tests of the approval gate (PRODUCT.md section 3) against a real
// ledger in a temporary directory: identities and roles, tokens, policy
// decisions, approvals, outcomes and violations, the merged action view,
// and that the SQLite state is only a projection of the log.
#include "gate/gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/record.h"

namespace actledger::gate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

constexpr char kAdmin[] = "local:admin";
constexpr char kAgent[] = "agent:refund-bot";
constexpr char kFinance[] = "user:fiona";
constexpr char kSupport[] = "user:sam";

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string ExamplePolicyText() {
  return ReadFileBytes(ACTLEDGER_SOURCE_DIR "/examples/policy.yaml");
}

// Replaces every occurrence of `from` in `text` by `to`; expects at least one.
std::string ReplaceAll(std::string text, std::string_view from,
                       std::string_view to) {
  size_t n = 0;
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
    ++n;
  }
  EXPECT_GT(n, 0u) << "no \"" << from << "\" in the policy text";
  return text;
}

json::Value ParseOrDie(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in: " << text;
  return v.ok() ? *std::move(v) : json::Value();
}

// A proposal with fields 1-4 and 6 of the seven, for `type`; `amount` empty
// means no amount.
std::string ProposalJson(const std::string& action_id, const std::string& type,
                         const std::string& amount = "",
                         int account_age_days = 400) {
  std::string action =
      R"({"type":")" + type + R"(","system":"stripe","target":"ch_1")";
  if (!amount.empty()) {
    action += R"(,"amount":{"value":")" + amount + R"(","currency":"USD"})";
  }
  action += "}";
  return R"({"action_id":")" + action_id +
         R"(","trigger":{"type":"user_instruction","source":"zendesk"},)"
         R"("model":{"provider":"acme","name":"m","version":"1",)"
         R"("prompt_template":{"id":"refund","version":"3"}},)"
         R"("ai_output":{"decision":"refund","reasoning":"duplicate charge",)"
         R"("confidence":0.9},"action":)" +
         action +
         R"(,"context":{"occurred_at":"2026-11-28T12:00:00Z",)"
         R"("environment":"prod","job_id":"j1","app_version":"1.0"},)"
         R"("subject":{"type":"customer","id":"c1","attributes":)"
         R"({"account_age_days":)" +
         std::to_string(account_age_days) + "}}}";
}

ValidatedRecord Validated(std::string_view text, bool proposal) {
  ValidationOptions vo;
  vo.proposal = proposal;
  Result<ValidatedRecord> r = ValidateRecord(text, vo);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in: " << text;
  return r.ok() ? *std::move(r) : ValidatedRecord();
}

ValidatedRecord OutcomeRecord(const std::string& action_id,
                              const std::string& status = "success") {
  return Validated(R"({"kind":"outcome","action_id":")" + action_id +
                       R"(","outcome":{"status":")" + status +
                       R"(","external_id":"re_1"}})",
                   false);
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-gate-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << templ;
    tmp_ = templ;
    dir_ = tmp_ + "/data";
    InitOptions init;
    init.origin = "example.com/gate-test";
    ASSERT_TRUE(Ledger::Init(dir_, init).ok());
    ASSERT_NO_FATAL_FAILURE(Open());
  }
  void TearDown() override {
    gate_.reset();
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  void Open() {
    Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir_);
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, *options);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    Result<std::unique_ptr<Gate>> g = Gate::Open(ledger_.get());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gate_ = std::move(*g);
  }

  void Close() {
    gate_.reset();
    ledger_.reset();
  }

  // Admin bootstrapped, example policy active, approvers granted.
  void SetUpRoles() {
    ASSERT_TRUE(gate_->Bootstrap(kAdmin).ok());
    ASSERT_TRUE(gate_->Grant(kAdmin, kFinance, "finance-ops").ok());
    ASSERT_TRUE(gate_->Grant(kAdmin, kSupport, "support-lead").ok());
    // The proposer may approve refunds in general, never its own.
    ASSERT_TRUE(gate_->Grant(kAdmin, kAgent, "finance-ops").ok());
  }
  void ActivateExample() {
    Result<uint64_t> seq = gate_->ActivatePolicy(kAdmin, ExamplePolicyText(),
                                                 "examples/policy.yaml");
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  }

  GateDecision Propose(const std::string& id, const std::string& type,
                       const std::string& amount = "", int age = 400) {
    Result<GateDecision> d = gate_->Propose(
        kAgent, Validated(ProposalJson(id, type, amount, age), true));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : GateDecision();
  }

  std::string StatusOf(const std::string& id) {
    Result<json::Value> v = gate_->ActionView(id);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok() || v->Find("status") == nullptr) return "<none>";
    return v->Find("status")->as_string();
  }

  json::Value Stored(uint64_t seq) {
    Result<std::string> bytes = ledger_->Get(seq);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return ParseOrDie(bytes.ok() ? *bytes : "null");
  }

  OutcomeReceipt Outcome(const std::string& id,
                         const std::string& status = "success") {
    const uint64_t before = ledger_->size();
    Result<OutcomeReceipt> r =
        gate_->RecordOutcome(kAgent, OutcomeRecord(id, status));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    // Always stored, violation or not.
    EXPECT_EQ(ledger_->size(), before + 1) << id;
    return r.ok() ? *r : OutcomeReceipt();
  }

  void ExpectVerifies() {
    VerifyOptions vo;
    Result<VerifyReport> report = VerifyLedger(dir_, vo);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    std::string what;
    for (const VerifyFinding& f : report->findings) what += f.what + "\n";
    EXPECT_TRUE(report->ok()) << what;
    EXPECT_EQ(report->records, ledger_ ? ledger_->size() : report->records);
  }

  std::string tmp_;
  std::string dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Gate> gate_;
};

// --- identities, roles, tokens ----------------------------------------------

TEST_F(GateTest, BootstrapGrantsAdminOnceToTheFirstPrincipal) {
  ASSERT_TRUE(gate_->Bootstrap(kAdmin).ok());
  EXPECT_THAT(*gate_->RolesOf(kAdmin), ElementsAre("admin"));
  const uint64_t size = ledger_->size();
  ASSERT_TRUE(gate_->Bootstrap(kAdmin).ok());
  EXPECT_EQ(ledger_->size(), size) << "a second bootstrap wrote a record";
  // gate.h: "Grants admin to principal if no one holds any role yet". A
  // second `init`-style bootstrap by someone else must not make them admin.
  const actledger::Status second = gate_->Bootstrap("local:mallory");
  EXPECT_TRUE(second.ok() || second.code() == StatusCode::kPermissionDenied)
      << second.ToString();
  EXPECT_THAT(*gate_->RolesOf("local:mallory"), IsEmpty())
      << "Bootstrap granted admin to a second principal although an admin "
         "already exists";
  EXPECT_EQ(ledger_->size(), size);
  ExpectVerifies();
}

TEST_F(GateTest, NonAdminsCannotAdministerAnything) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  Result<CreatedToken> tok = gate_->CreateToken(kAdmin, kFinance);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const uint64_t size = ledger_->size();
  for (const char* actor : {kFinance, kSupport, kAgent, "nobody"}) {
    SCOPED_TRACE(actor);
    EXPECT_EQ(gate_->CreateToken(actor, actor).status().code(),
              StatusCode::kPermissionDenied);
    EXPECT_EQ(gate_->RevokeToken(actor, tok->token_id).status().code(),
              StatusCode::kPermissionDenied);
    EXPECT_EQ(gate_->Grant(actor, actor, "admin").status().code(),
              StatusCode::kPermissionDenied);
    EXPECT_EQ(gate_->Grant(actor, actor, "finance-ops").status().code(),
              StatusCode::kPermissionDenied);
    EXPECT_EQ(gate_->RevokeRole(actor, kAdmin, "admin").status().code(),
              StatusCode::kPermissionDenied);
    EXPECT_EQ(gate_->ActivatePolicy(actor, ExamplePolicyText(), "p.yaml")
                  .status()
                  .code(),
              StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(ledger_->size(), size) << "a refused operation wrote a record";
  EXPECT_THAT(*gate_->RolesOf(kFinance), ElementsAre("finance-ops"));
  EXPECT_THAT(*gate_->RolesOf(kAdmin), ElementsAre("admin"));
  // Once revoked, the former admin is a non-admin too.
  ASSERT_TRUE(gate_->Grant(kAdmin, "local:second", "admin").ok());
  ASSERT_TRUE(gate_->RevokeRole("local:second", kAdmin, "admin").ok());
  EXPECT_EQ(gate_->Grant(kAdmin, kAdmin, "admin").status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(GateTest, TokensAuthenticateUntilRevokedAndOnlyTheirHashIsStored) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  Result<CreatedToken> t = gate_->CreateToken(kAdmin, kFinance);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Result<CreatedToken> t2 = gate_->CreateToken(kAdmin, kSupport);
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_NE(t->token, t2->token);
  EXPECT_GE(t->token.size(), 32u);

  Result<std::string> who = gate_->Authenticate(t->token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(*who, kFinance);
  EXPECT_EQ(*gate_->Authenticate(t2->token), kSupport);
  for (const std::string& bad :
       {std::string(), std::string("alt_0000"), t->token + "x",
        t->token.substr(0, t->token.size() - 1), t->token_id}) {
    EXPECT_EQ(gate_->Authenticate(bad).status().code(),
              StatusCode::kUnauthenticated)
        << bad;
  }

  // The token record names the hash and the principal, never the secret.
  json::Value rec = Stored(t->seq);
  const json::Value* sha = rec.FindPath("key.token_sha256");
  ASSERT_NE(sha, nullptr) << json::Canonical(rec);
  EXPECT_THAT(sha->as_string(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(rec.FindPath("key.principal")->as_string(), kFinance);
  EXPECT_EQ(rec.Find("recorded_by")->as_string(), kAdmin);

  Result<uint64_t> revoked = gate_->RevokeToken(kAdmin, t->token_id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(gate_->Authenticate(t->token).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(*gate_->Authenticate(t2->token), kSupport);
  EXPECT_EQ(gate_->RevokeToken(kAdmin, t->token_id).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(gate_->RevokeToken(kAdmin, "tok_nope").status().code(),
            StatusCode::kNotFound);

  // Nothing under the data directory holds a raw token: log, tree, state.db
  // and its WAL, checkpoints.
  Close();
  ASSERT_NO_FATAL_FAILURE(Open());  // and one more open/close cycle
  Close();
  int files = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = ReadFileBytes(entry.path().string());
    for (const std::string& secret : {t->token, t2->token}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << "raw token in " << entry.path();
      // Nor the random part alone.
      EXPECT_EQ(bytes.find(secret.substr(secret.size() - 32)),
                std::string::npos)
          << "raw token suffix in " << entry.path();
    }
  }
  EXPECT_GT(files, 2);
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(gate_->Authenticate(t->token).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(*gate_->Authenticate(t2->token), kSupport);
  ExpectVerifies();
}

// --- decisions --------------------------------------------------------------

TEST_F(GateTest, WithoutAnActivePolicyEveryProposalNeedsAHuman) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  for (const char* type : {"task.create", "payment.refund", "never.heard.of"}) {
    SCOPED_TRACE(type);
    GateDecision d = Propose(std::string("np-") + type, type, "1.00");
    EXPECT_EQ(d.decision, "pending_approval");
    EXPECT_EQ(d.tier, "human_approval");
    EXPECT_FALSE(d.rule.has_value());
    EXPECT_THAT(d.reason, HasSubstr("fail closed"));
    EXPECT_FALSE(d.expires_at.empty());
    EXPECT_EQ(StatusOf(std::string("np-") + type), "pending_approval");
  }
  Result<std::optional<std::string>> text = gate_->ActivePolicyText();
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->has_value());
}

TEST_F(GateTest, ExamplePolicyDecisionsAreStoredInTheGateEnvelope) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  {
    Result<std::optional<std::string>> text = gate_->ActivePolicyText();
    ASSERT_TRUE(text.ok() && text->has_value());
    EXPECT_EQ(**text, ExamplePolicyText());
  }

  GateDecision small = Propose("r-small", "payment.refund", "40.00", 400);
  EXPECT_EQ(small.decision, "allow") << small.reason;
  EXPECT_EQ(small.tier, "threshold");
  ASSERT_TRUE(small.rule.has_value()) << small.reason;
  EXPECT_EQ(small.rule->id, "T-2026-03");
  EXPECT_THAT(small.rule->version, MatchesRegex("[0-9a-f]{12}"));
  EXPECT_EQ(small.policy_version, "2026-11.1");
  EXPECT_TRUE(small.expires_at.empty());
  EXPECT_EQ(StatusOf("r-small"), "allowed");

  // At the threshold, not below it: a person decides.
  GateDecision big = Propose("r-big", "payment.refund", "100.00", 400);
  EXPECT_EQ(big.decision, "pending_approval") << big.reason;
  EXPECT_FALSE(big.expires_at.empty());
  // A young account never gets the auto-approval.
  EXPECT_EQ(Propose("r-young", "payment.refund", "40.00", 30).decision,
            "pending_approval");

  GateDecision email = Propose("e-1", "email.send");
  EXPECT_EQ(email.decision, "pending_approval") << email.reason;
  EXPECT_EQ(email.tier, "human_approval");
  Result<std::optional<state::ActionState>> st = gate_->state().Action("e-1");
  ASSERT_TRUE(st.ok() && st->has_value());
  EXPECT_THAT((*st)->approver_roles, ElementsAre("support-lead"));
  EXPECT_EQ((*st)->proposed_by, kAgent);

  GateDecision unknown = Propose("u-1", "spaceship.launch");
  EXPECT_EQ(unknown.decision, "pending_approval") << unknown.reason;
  EXPECT_EQ(unknown.tier, "human_approval");

  // The stored proposal carries the decision in its `gate` member.
  for (const GateDecision* d : {&small, &big, &email, &unknown}) {
    SCOPED_TRACE(d->action_id);
    json::Value rec = Stored(d->seq);
    EXPECT_EQ(rec.Find("kind")->as_string(), "proposal");
    EXPECT_EQ(rec.Find("action_id")->as_string(), d->action_id);
    EXPECT_EQ(rec.Find("recorded_by")->as_string(), kAgent);
    const json::Value* g = rec.Find("gate");
    ASSERT_NE(g, nullptr) << json::Canonical(rec);
    ASSERT_TRUE(g->is_object()) << json::Canonical(rec);
    EXPECT_EQ(g->Find("decision")->as_string(), d->decision);
    EXPECT_EQ(g->Find("policy_version")->as_string(), "2026-11.1");
    EXPECT_EQ(g->Find("reason")->as_string(), d->reason);
    EXPECT_FALSE(d->reason.empty());
    ASSERT_NE(g->Find("rule"), nullptr);
    if (d->rule.has_value()) {
      EXPECT_EQ(g->FindPath("rule.id")->as_string(), d->rule->id);
      EXPECT_EQ(g->FindPath("rule.version")->as_string(), d->rule->version);
      EXPECT_THAT(g->Find("rule_sha256")->as_string(),
                  MatchesRegex("[0-9a-f]{64}"));
    } else {
      EXPECT_TRUE(g->Find("rule")->is_null());
    }
  }
  EXPECT_THAT(Stored(email.seq).FindPath("gate.approver_roles")->as_array(),
              ElementsAre(json::Value::String("support-lead")));

  // An id can be proposed once.
  Result<GateDecision> again = gate_->Propose(
      kAgent,
      Validated(ProposalJson("r-small", "payment.refund", "1.00"), true));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  // A client cannot smuggle its own gate decision or approval in.
  ValidationOptions vo;
  vo.proposal = true;
  EXPECT_EQ(ValidateRecord(R"({"action":{"type":"payment.refund"},)"
                           R"("gate":{"decision":"allow"}})",
                           vo)
                .status()
                .field(),
            "gate");
  EXPECT_EQ(ValidateRecord(R"({"action":{"type":"payment.refund"},)"
                           R"("approval":{"mode":"rule"}})",
                           vo)
                .status()
                .field(),
            "approval");
  ExpectVerifies();
}

// --- approvals ---------------------------------------------------------------

TEST_F(GateTest, ApprovalsEnforceSeparationOfDutiesRolesAndState) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  Propose("r-1", "payment.refund", "250.00");
  const uint64_t size = ledger_->size();

  // The proposer holds finance-ops, but may not approve its own action.
  EXPECT_EQ(gate_->Decide(kAgent, "r-1", true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(gate_->Decide(kAgent, "r-1", false, "no").status().code(),
            StatusCode::kPermissionDenied);
  // The wrong role, no role, and the admin without the role.
  EXPECT_EQ(gate_->Decide(kSupport, "r-1", true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(gate_->Decide("user:nobody", "r-1", true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(gate_->Decide(kAdmin, "r-1", true, "").status().code(),
            StatusCode::kPermissionDenied);
  // A rejection needs a reason.
  EXPECT_EQ(gate_->Decide(kFinance, "r-1", false, "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(gate_->Decide(kFinance, "nope", true, "").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ledger_->size(), size) << "a refused decision wrote a record";
  EXPECT_EQ(StatusOf("r-1"), "pending_approval");

  Result<Receipt> ok = gate_->Decide(kFinance, "r-1", true, "checked");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(StatusOf("r-1"), "approved");
  // Twice, or a rejection after the approval: not pending any more.
  EXPECT_EQ(gate_->Decide(kFinance, "r-1", true, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      gate_->Decide(kFinance, "r-1", false, "changed my mind").status().code(),
      StatusCode::kFailedPrecondition);
  Outcome("r-1", "success");
  EXPECT_EQ(StatusOf("r-1"), "executed");
  EXPECT_EQ(gate_->Decide(kFinance, "r-1", true, "").status().code(),
            StatusCode::kFailedPrecondition);

  // Allowed and denied actions have nothing to approve.
  GateDecision allowed = Propose("r-ok", "payment.refund", "10.00");
  ASSERT_EQ(allowed.decision, "allow");
  EXPECT_EQ(gate_->Decide(kFinance, "r-ok", true, "").status().code(),
            StatusCode::kFailedPrecondition);
  Result<GateDecision> denied = gate_->Propose(
      kAgent,
      Validated(R"({"action_id":"r-deny","action":{"type":"payment.refund",)"
                R"("amount":{"value":"150.00","currency":"USD"},"params":)"
                R"({"original_amount":{"value":"100.00","currency":"USD"}}}})",
                true));
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  ASSERT_EQ(denied->decision, "deny") << denied->reason;
  ASSERT_TRUE(denied->rule.has_value());
  EXPECT_EQ(denied->rule->id, "D-2026-01");
  EXPECT_EQ(StatusOf("r-deny"), "denied");
  EXPECT_EQ(gate_->Decide(kFinance, "r-deny", true, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(gate_->Decide(kFinance, "r-deny", false, "x").status().code(),
            StatusCode::kFailedPrecondition);

  // A failed execution is "failed".
  Propose("r-2", "payment.refund", "300.00");
  ASSERT_TRUE(gate_->Decide(kFinance, "r-2", true, "").ok());
  Outcome("r-2", "failure");
  EXPECT_EQ(StatusOf("r-2"), "failed");

  // Email goes to support-lead, not finance-ops.
  Propose("e-1", "email.send");
  EXPECT_EQ(gate_->Decide(kFinance, "e-1", true, "").status().code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(gate_->Decide(kSupport, "e-1", false, "tone").ok());
  EXPECT_EQ(StatusOf("e-1"), "rejected");
  EXPECT_EQ(gate_->Decide(kSupport, "e-1", true, "").status().code(),
            StatusCode::kFailedPrecondition);

  // A revoked role no longer approves.
  Propose("r-3", "payment.refund", "500.00");
  ASSERT_TRUE(gate_->RevokeRole(kAdmin, kFinance, "finance-ops").ok());
  EXPECT_EQ(gate_->Decide(kFinance, "r-3", true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusOf("r-3"), "pending_approval");

  // The inbox lists what is still pending.
  Result<std::vector<state::ActionState>> pending =
      gate_->state().Approvals(true);
  ASSERT_TRUE(pending.ok());
  std::vector<std::string> ids;
  for (const auto& a : *pending) ids.push_back(a.action_id);
  EXPECT_THAT(ids, ElementsAre("r-3"));
  ExpectVerifies();
}

TEST_F(GateTest, EachActivatedPolicyVersionGovernsTheProposalsAfterIt) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  Result<std::optional<state::PolicyInfo>> first =
      gate_->state().ActivePolicy();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(Propose("v-1", "payment.refund", "150.00").decision,
            "pending_approval");
  EXPECT_EQ(Propose("v-2", "payment.refund", "40.00").decision, "allow");

  // Version 2 raises the auto-approval threshold: the next refund of 150
  // is allowed by the rule.
  std::string v2 = ReplaceAll(ExamplePolicyText(), "version: \"2026-11.1\"",
                              "version: \"2026-11.2\"");
  v2 = ReplaceAll(v2, "action.amount.value < 100", "action.amount.value < 200");
  Result<uint64_t> act = gate_->ActivatePolicy(kAdmin, v2, "v2.yaml");
  ASSERT_TRUE(act.ok()) << act.status().ToString();
  Result<std::optional<state::PolicyInfo>> second =
      gate_->state().ActivePolicy();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->seq, static_cast<int64_t>(*act));
  EXPECT_EQ((*second)->version, "2026-11.2");
  EXPECT_NE((*second)->sha256, (*first)->sha256);
  GateDecision d = Propose("v-3", "payment.refund", "150.00");
  EXPECT_EQ(d.decision, "allow");
  EXPECT_EQ(d.policy_version, "2026-11.2");

  // An activation applied inside a state batch that is rolled back leaves
  // the previous version active.
  state::StateStore& state = gate_->state();
  ASSERT_TRUE(state.BeginBatch().ok());
  state::RecordFacts f;
  f.kind = "policy";
  f.recorded_by = kAdmin;
  f.recorded_at = "2026-11-29T00:00:00Z";
  f.policy_name = "ghost";
  f.policy_version_name = "ghost-1";
  f.policy_sha256 = std::string(64, 'a');
  const int64_t ghost_seq = state.applied_seq() + 1;
  ASSERT_TRUE(state.ApplyFacts(static_cast<uint64_t>(ghost_seq), f).ok());
  Result<std::optional<state::PolicyInfo>> inside = state.ActivePolicy();
  ASSERT_TRUE(inside.ok() && inside->has_value());
  EXPECT_EQ((*inside)->version, "ghost-1");
  state.RollbackBatch();
  EXPECT_EQ(state.applied_seq(), ghost_seq - 1);
  Result<std::optional<state::PolicyInfo>> after = state.ActivePolicy();
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->seq, (*second)->seq);
  EXPECT_EQ((*after)->version, "2026-11.2");
  EXPECT_EQ(Propose("v-4", "payment.refund", "150.00").decision, "allow");
  // A rebuild applies the log in batches; each batch stores how far it
  // got, so the stored state (read without catching up) is complete.
  const int64_t applied = gate_->state().applied_seq();
  EXPECT_EQ(applied, static_cast<int64_t>(ledger_->size()) - 1);
  Close();
  for (const char* name : {"state.db", "state.db-wal", "state.db-shm"}) {
    std::error_code ec;
    std::filesystem::remove(dir_ + "/" + name, ec);
  }
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(gate_->state().applied_seq(), applied);
  Close();
  Result<std::unique_ptr<state::StateStore>> stored =
      state::StateStore::Open(dir_);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ((*stored)->applied_seq(), applied);
  Result<std::optional<state::PolicyInfo>> stored_policy =
      (*stored)->ActivePolicy();
  ASSERT_TRUE(stored_policy.ok() && stored_policy->has_value());
  EXPECT_EQ((*stored_policy)->version, "2026-11.2");
  stored->reset();
  ASSERT_NO_FATAL_FAILURE(Open());
  ExpectVerifies();
}

TEST_F(GateTest, ApprovalAfterExpiryIsRefusedAndExecutionIsAViolation) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  // The smallest duration the parser accepts is 1s.
  std::string text =
      ReplaceAll(ExamplePolicyText(), "approval_ttl: 8h", "approval_ttl: 1s");
  Result<uint64_t> act = gate_->ActivatePolicy(kAdmin, text, "short.yaml");
  ASSERT_TRUE(act.ok()) << act.status().ToString();
  GateDecision d = Propose("r-exp", "payment.refund", "200.00");
  ASSERT_EQ(d.decision, "pending_approval");
  Propose("r-exp2", "payment.refund", "200.00");
  EXPECT_EQ(StatusOf("r-exp"), "pending_approval");
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(StatusOf("r-exp"), "expired");
  const uint64_t size = ledger_->size();
  EXPECT_EQ(gate_->Decide(kFinance, "r-exp", true, "").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(gate_->Decide(kFinance, "r-exp", false, "late").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger_->size(), size);
  OutcomeReceipt r = Outcome("r-exp");
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_THAT(*r.violation, HasSubstr("expired"));
  EXPECT_EQ(StatusOf("r-exp2"), "expired");
  ExpectVerifies();
}

// --- outcomes
// -----------------------------------------------------------------

TEST_F(GateTest, OutcomesAreAlwaysStoredAndFlaggedWhenTheyBreakTheRules) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  Propose("pending", "payment.refund", "250.00");
  Propose("rejected", "payment.refund", "250.00");
  ASSERT_TRUE(gate_->Decide(kFinance, "rejected", false, "fraud").ok());
  Propose("approved", "payment.refund", "250.00");
  ASSERT_TRUE(gate_->Decide(kFinance, "approved", true, "").ok());
  Propose("allowed", "payment.refund", "25.00");
  Result<GateDecision> denied = gate_->Propose(
      kAgent,
      Validated(R"({"action_id":"denied","action":{"type":"payment.refund",)"
                R"("amount":{"value":"150.00","currency":"USD"},"params":)"
                R"({"original_amount":{"value":"100.00","currency":"USD"}}}})",
                true));
  ASSERT_TRUE(denied.ok() && denied->decision == "deny");

  struct Case {
    const char* id;
    const char* violation;  // nullptr: none
  };
  for (const Case& c : {Case{"pending",
                             "executed without the required "
                             "approval"},
                        Case{"rejected", "rejected"}, Case{"denied", "denied"},
                        Case{"never-proposed", "never proposed"},
                        Case{"approved", nullptr}, Case{"allowed", nullptr}}) {
    SCOPED_TRACE(c.id);
    OutcomeReceipt r = Outcome(c.id);
    json::Value rec = Stored(r.receipt.seq);
    EXPECT_EQ(rec.Find("kind")->as_string(), "outcome");
    EXPECT_EQ(rec.Find("action_id")->as_string(), c.id);
    ASSERT_NE(rec.Find("violation"), nullptr) << json::Canonical(rec);
    if (c.violation == nullptr) {
      EXPECT_FALSE(r.violation.has_value()) << *r.violation;
      EXPECT_TRUE(rec.Find("violation")->is_null());
    } else {
      ASSERT_TRUE(r.violation.has_value());
      EXPECT_THAT(*r.violation, HasSubstr(c.violation));
      EXPECT_EQ(rec.Find("violation")->as_string(), *r.violation);
    }
  }
  EXPECT_EQ(StatusOf("approved"), "executed");
  EXPECT_EQ(StatusOf("allowed"), "executed");
  EXPECT_EQ(StatusOf("rejected"), "rejected");
  EXPECT_EQ(StatusOf("denied"), "denied");
  // An outcome does not stand in for an approval: the action still waits.
  EXPECT_EQ(StatusOf("pending"), "pending_approval");
  ExpectVerifies();
}

// --- the merged view
// -----------------------------------------------------------

TEST_F(GateTest, ActionViewMergesTheSevenFieldsWithTheHumanApproval) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  GateDecision d = Propose("v-1", "payment.refund", "250.00");
  ASSERT_EQ(d.decision, "pending_approval");
  {
    Result<json::Value> v = gate_->ActionView("v-1");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->FindPath("approval.mode")->as_string(), "none");
    EXPECT_EQ(v->Find("outcome"), nullptr);
  }
  Result<Receipt> ap = gate_->Decide(kFinance, "v-1", true, "looks right");
  ASSERT_TRUE(ap.ok()) << ap.status().ToString();
  OutcomeReceipt oc = Outcome("v-1");
  ASSERT_FALSE(oc.violation.has_value());

  Result<json::Value> v = gate_->ActionView("v-1");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  SCOPED_TRACE(json::Canonical(*v));
  for (const char* field : {"trigger", "model", "ai_output", "action",
                            "approval", "context", "outcome"}) {
    EXPECT_NE(v->Find(field), nullptr) << field;
  }
  EXPECT_EQ(v->Find("action_id")->as_string(), "v-1");
  EXPECT_EQ(v->Find("status")->as_string(), "executed");
  EXPECT_EQ(v->FindPath("action.amount.value")->as_string(), "250.00");
  EXPECT_EQ(v->FindPath("model.name")->as_string(), "m");
  EXPECT_EQ(v->FindPath("outcome.status")->as_string(), "success");
  EXPECT_EQ(v->FindPath("approval.mode")->as_string(), "human");
  EXPECT_EQ(v->FindPath("approval.approver.id")->as_string(), kFinance);
  EXPECT_EQ(v->FindPath("approval.approver.role")->as_string(), "finance-ops");
  EXPECT_EQ(v->FindPath("approval.decision")->as_string(), "approve");
  EXPECT_EQ(v->FindPath("approval.note")->as_string(), "looks right");
  EXPECT_TRUE(v->FindPath("approval.decided_at")->is_string());
  EXPECT_EQ(v->FindPath("gate.decision")->as_string(), "pending_approval");
  EXPECT_TRUE(v->Find("violation")->is_null());

  const json::Value* timeline = v->Find("timeline");
  ASSERT_NE(timeline, nullptr);
  ASSERT_TRUE(timeline->is_array());
  std::vector<uint64_t> seqs;
  std::vector<std::string> kinds, by;
  for (const json::Value& e : timeline->as_array()) {
    seqs.push_back(static_cast<uint64_t>(e.Find("seq")->as_number()));
    kinds.push_back(e.Find("kind")->as_string());
    by.push_back(e.Find("recorded_by")->as_string());
    json::Value rec = Stored(seqs.back());
    EXPECT_EQ(rec.Find("kind")->as_string(), kinds.back());
    EXPECT_EQ(rec.Find("action_id")->as_string(), "v-1");
    EXPECT_EQ(*rec.Find("recorded_at"), *e.Find("recorded_at"));
  }
  EXPECT_THAT(seqs, ElementsAre(d.seq, ap->seq, oc.receipt.seq));
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_THAT(kinds, ElementsAre("proposal", "approval", "outcome"));
  EXPECT_THAT(by, ElementsAre(kAgent, kFinance, kAgent));

  // The approver comes from the authenticated actor: the approval record is
  // written by the gate, and a client record cannot carry one.
  json::Value rec = Stored(ap->seq);
  EXPECT_EQ(rec.FindPath("approval.approver.id")->as_string(), kFinance);
  EXPECT_EQ(ValidateRecord(R"({"kind":"outcome","action_id":"v-1",)"
                           R"("outcome":{"status":"success"},)"
                           R"("approval":{"mode":"human","approver":)"
                           R"({"id":"ceo"}}})",
                           ValidationOptions())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  ValidationOptions vo;
  EXPECT_EQ(ValidateRecord(R"({"kind":"approval","action_id":"v-1"})", vo)
                .status()
                .field(),
            "kind");

  EXPECT_EQ(gate_->ActionView("nope").status().code(), StatusCode::kNotFound);
  ExpectVerifies();
}

// --- the state is derived
// --------------------------------------------------------

// The action view merges a lifecycle whatever order its records arrive in
// (an outcome may be stored before its proposal), keeps the first approval
// only, and lets a later `action` record fill in only what is missing.
TEST_F(GateTest, StateMergesALifecycleInAnyOrder) {
  ASSERT_TRUE(std::filesystem::create_directory(tmp_ + "/merge"));
  Result<std::unique_ptr<state::StateStore>> opened =
      state::StateStore::Open(tmp_ + "/merge");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  state::StateStore& st = **opened;
  auto facts = [](const std::string& kind, const std::string& action_id) {
    state::RecordFacts f;
    f.kind = kind;
    f.action_id = action_id;
    f.recorded_by = "local:" + kind;
    return f;
  };
  state::RecordFacts outcome = facts("outcome", "a1");
  outcome.outcome_status = "succeeded";
  state::RecordFacts proposal = facts("proposal", "a1");
  proposal.action_type = "payment.refund";
  proposal.has_gate = true;
  proposal.decision = "pending_approval";
  proposal.tier = "human_approval";
  proposal.rule_id = "r-1";
  proposal.approver_roles_json = R"(["finance"])";
  proposal.expires_at = "2026-11-30T00:00:00Z";
  state::RecordFacts first = facts("approval", "a1");
  first.approval_decision = "approve";
  first.approver = "local:carol";
  first.decided_at = "2026-11-29T10:00:00Z";
  state::RecordFacts second = facts("approval", "a1");
  second.approval_decision = "reject";
  second.approver = "local:dave";
  second.decided_at = "2026-11-29T11:00:00Z";
  state::RecordFacts executed = facts("action", "a1");
  executed.action_type = "payment.other";
  executed.outcome_status = "failed";
  state::RecordFacts lone = facts("action", "a2");
  lone.action_type = "email.send";
  lone.outcome_status = "failed";
  state::RecordFacts approval_first = facts("approval", "a3");
  approval_first.approval_decision = "reject";
  approval_first.approver = "local:erin";

  const std::vector<state::RecordFacts> order = {
      outcome, proposal, first, second, executed, lone, approval_first};
  for (size_t i = 0; i < order.size(); ++i) {
    ASSERT_TRUE(st.ApplyFacts(i, order[i]).ok()) << i;
  }

  Result<std::optional<state::ActionState>> a1 = st.Action("a1");
  ASSERT_TRUE(a1.ok() && a1->has_value());
  const state::ActionState& v = **a1;
  EXPECT_EQ(v.outcome_seq, 0);
  EXPECT_EQ(v.outcome_status, "succeeded");  // not the action record's
  EXPECT_EQ(v.proposal_seq, 1);
  EXPECT_EQ(v.proposed_by, "local:proposal");
  EXPECT_EQ(v.action_type, "payment.refund");  // not the action record's
  EXPECT_EQ(v.decision, "pending_approval");
  EXPECT_EQ(v.rule_id, "r-1");
  EXPECT_EQ(v.approver_roles, std::vector<std::string>{"finance"});
  EXPECT_EQ(v.expires_at, "2026-11-30T00:00:00Z");
  EXPECT_EQ(v.approval_seq, 2);  // the first approval, not the second
  EXPECT_EQ(v.approval_decision, "approve");
  EXPECT_EQ(v.approver, "local:carol");
  EXPECT_EQ(v.decided_at, "2026-11-29T10:00:00Z");
  EXPECT_EQ(v.action_seq, 4);
  EXPECT_EQ(v.timeline, (std::vector<int64_t>{0, 1, 2, 3, 4}));

  Result<std::optional<state::ActionState>> a2 = st.Action("a2");
  ASSERT_TRUE(a2.ok() && a2->has_value());
  EXPECT_EQ((*a2)->action_seq, 5);
  EXPECT_EQ((*a2)->action_type, "email.send");
  EXPECT_EQ((*a2)->outcome_status, "failed");
  EXPECT_EQ((*a2)->proposal_seq, -1);
  Result<std::optional<state::ActionState>> a3 = st.Action("a3");
  ASSERT_TRUE(a3.ok() && a3->has_value());
  EXPECT_EQ((*a3)->approval_seq, 6);
  EXPECT_EQ((*a3)->approver, "local:erin");

  // Only a proposal makes an action "proposed".
  EXPECT_EQ(*st.ProposalSeq("a1"), std::optional<int64_t>(1));
  EXPECT_EQ(*st.ProposalSeq("a2"), std::nullopt);
  EXPECT_EQ(*st.ProposalSeq("a3"), std::nullopt);
  EXPECT_EQ(*st.ProposalSeq("nope"), std::nullopt);
}

// The server's state.db: commits only append to the WAL, and a thread of
// the store copies it back into the database file meanwhile. Without that
// thread, nothing reaches the file until the WAL holds 1,000 pages.
TEST_F(GateTest, BackgroundCheckpointsCopyCommittedStateIntoTheFile) {
  for (const bool background : {true, false}) {
    SCOPED_TRACE(background ? "background checkpoints" : "inline only");
    const std::string dir = tmp_ + (background ? "/bg" : "/inline");
    ASSERT_TRUE(std::filesystem::create_directory(dir));
    Result<std::unique_ptr<state::StateStore>> opened =
        state::StateStore::Open(dir);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    state::StateStore& st = **opened;
    if (background) {
      ASSERT_TRUE(
          st.StartBackgroundCheckpoints(std::chrono::milliseconds(10)).ok());
    }
    const std::string file = dir + "/state.db";
    const uintmax_t initial = std::filesystem::file_size(file);
    for (int batch = 0; batch < 10; ++batch) {
      ASSERT_TRUE(st.BeginBatch().ok());
      for (int i = 0; i < 30; ++i) {
        const int seq = batch * 30 + i;
        state::RecordFacts f;
        f.kind = "action";
        f.action_id = "act-" + std::to_string(seq);
        f.recorded_by = "local:writer";
        f.action_type = "payment.refund";
        ASSERT_TRUE(st.ApplyFacts(seq, f).ok()) << seq;
      }
      ASSERT_TRUE(st.CommitBatch().ok());
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (background && std::filesystem::file_size(file) == initial &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (background) {
      EXPECT_GT(std::filesystem::file_size(file), initial);
    } else {
      EXPECT_EQ(std::filesystem::file_size(file), initial);
    }
    // Reads and writes go on while the thread runs.
    EXPECT_EQ(st.applied_seq(), 299);
    Result<std::optional<state::ActionState>> a = st.Action("act-123");
    ASSERT_TRUE(a.ok() && a->has_value());
    EXPECT_EQ((*a)->action_seq, 123);
  }
}

TEST_F(GateTest, DeletedStateIsRebuiltFromTheLogWithTheSameAnswers) {
  ASSERT_NO_FATAL_FAILURE(SetUpRoles());
  ASSERT_NO_FATAL_FAILURE(ActivateExample());
  Result<CreatedToken> live = gate_->CreateToken(kAdmin, kFinance);
  Result<CreatedToken> dead = gate_->CreateToken(kAdmin, kSupport);
  ASSERT_TRUE(live.ok() && dead.ok());
  ASSERT_TRUE(gate_->RevokeToken(kAdmin, dead->token_id).ok());
  ASSERT_TRUE(gate_->RevokeRole(kAdmin, kAgent, "finance-ops").ok());
  Propose("s-allow", "payment.refund", "40.00");
  Propose("s-pending", "payment.refund", "400.00");
  Propose("s-approved", "payment.refund", "400.00");
  ASSERT_TRUE(gate_->Decide(kFinance, "s-approved", true, "").ok());
  Propose("s-rejected", "email.send");
  ASSERT_TRUE(gate_->Decide(kSupport, "s-rejected", false, "no").ok());
  Outcome("s-approved");
  Outcome("s-pending");
  Outcome("s-ghost");

  const std::vector<std::string> ids = {"s-allow", "s-pending", "s-approved",
                                        "s-rejected", "s-ghost"};
  auto snapshot = [&]() {
    std::string out;
    for (const std::string& id : ids) {
      Result<json::Value> v = gate_->ActionView(id);
      out += v.ok() ? json::Canonical(*v) : v.status().ToString();
      out += "\n";
    }
    for (const char* p : {kAdmin, kAgent, kFinance, kSupport}) {
      Result<std::vector<std::string>> roles = gate_->RolesOf(p);
      out += std::string(p) + ":";
      if (roles.ok()) {
        for (const auto& r : *roles) out += " " + r;
      }
      out += "\n";
    }
    Result<std::vector<state::ActionState>> pending =
        gate_->state().Approvals(true);
    if (pending.ok()) {
      for (const auto& a : *pending) out += "pending " + a.action_id + "\n";
    }
    Result<std::vector<state::TokenInfo>> tokens = gate_->state().Tokens();
    if (tokens.ok()) {
      for (const auto& t : *tokens) {
        out += t.token_id + " " + t.principal + " " + t.created_by + " " +
               std::to_string(t.created_seq) + " " +
               std::to_string(t.revoked_seq) + "\n";
      }
    }
    Result<std::optional<state::PolicyInfo>> pol =
        gate_->state().ActivePolicy();
    if (pol.ok() && pol->has_value()) {
      out += "policy " + std::to_string((*pol)->seq) + " " + (*pol)->version +
             " " + (*pol)->sha256 + " " + (*pol)->activated_by + "\n";
    }
    return out;
  };
  const std::string before = snapshot();
  EXPECT_THAT(before, HasSubstr("pending s-pending"));
  const uint64_t size = ledger_->size();

  Close();
  for (const char* name : {"state.db", "state.db-wal", "state.db-shm"}) {
    std::error_code ec;
    std::filesystem::remove(dir_ + "/" + name, ec);
  }
  ASSERT_FALSE(std::filesystem::exists(dir_ + "/state.db"));
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(gate_->state().applied_seq(), static_cast<int64_t>(size) - 1);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(*gate_->Authenticate(live->token), kFinance);
  EXPECT_EQ(gate_->Authenticate(dead->token).status().code(),
            StatusCode::kUnauthenticated);
  // The rebuilt state still enforces the rules.
  EXPECT_EQ(gate_->Decide(kAgent, "s-pending", true, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(gate_->Decide(kFinance, "s-approved", true, "").status().code(),
            StatusCode::kFailedPrecondition);
  GateDecision small = Propose("s-after", "payment.refund", "40.00");
  EXPECT_EQ(small.decision, "allow");
  ASSERT_TRUE(small.rule.has_value());
  EXPECT_EQ(small.rule->id, "T-2026-03");

  // A stale state.db (from before later records) catches up too.
  const std::string stale = tmp_ + "/stale.db";
  Close();
  std::filesystem::copy_file(dir_ + "/state.db", stale);
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(gate_->Decide(kFinance, "s-pending", true, "late").ok());
  const std::string later = snapshot();
  Close();
  for (const char* name : {"state.db-wal", "state.db-shm"}) {
    std::error_code ec;
    std::filesystem::remove(dir_ + "/" + name, ec);
  }
  std::filesystem::copy_file(stale, dir_ + "/state.db",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(snapshot(), later);
  ExpectVerifies();
}

}  // namespace
}  // namespace actledger::gate
