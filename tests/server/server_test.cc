// Integration tests of `actledger serve`: the real binary on an ephemeral
// port, driven by a raw-socket HTTP client (server_harness.h).
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "actledger/json.h"
#include "common/encoding.h"
#include "crypto/sha256.h"
#include "server/server_harness.h"

namespace actledger::server_testing {
namespace {

using json::Value;

int Records(int port) {
  HttpClient c(port);
  HttpReply r = c.Send("GET", "/healthz");
  EXPECT_EQ(r.status, 200) << r;
  return static_cast<int>(
      std::strtol(JsonField(r.body, "records").c_str(), nullptr, 10));
}

Value ParseJson(const std::string& text) {
  Result<Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? std::move(v).value() : Value();
}

std::string ErrorField(const HttpReply& r, const std::string& member) {
  Value v = ParseJson(r.body);
  const Value* m = v.FindPath("error." + member);
  return m != nullptr && m->is_string() ? m->as_string() : "<absent>";
}

// RFC 6962 leaf hash, computed here independently of the server.
std::string LeafHashHex(const std::string& bytes) {
  std::string in(1, '\0');
  in += bytes;
  crypto::Digest d = crypto::Sha256(in);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// One server with a principal per role, shared by the tests of a suite.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = h_.Principal("agent@acme", {"writer"});
    writer2_ = h_.Principal("agent2@acme", {"writer"});
    approver_ = h_.Principal("boss@acme", {"approver"});
    auditor_ = h_.Principal("audit@acme", {"auditor"});
    admin_ = h_.Principal("root@acme", {"admin"});
    nobody_ = h_.Principal("nobody@acme", {});
  }
  void TearDown() override {
    if (h_.pid() > 0) {
      EXPECT_EQ(h_.Stop(), 0) << h_.Log();
    }
  }

  ServerHarness h_;
  std::string writer_, writer2_, approver_, auditor_, admin_, nobody_;
};

TEST_F(ServerTest, StartupLineNamesTheAddressAndHealthzNeedsNoToken) {
  h_.Start();
  EXPECT_NE(h_.startup_line().find("listening on http://127.0.0.1:"),
            std::string::npos);
  HttpClient c(h_.port());
  HttpReply r = c.Send("GET", "/healthz");
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(JsonField(r.body, "status"), "ok");
}

TEST_F(ServerTest, RoleRouteMatrixAllowsAndRefusesEachRole) {
  h_.Start();
  HttpClient c(h_.port());
  // A pending proposal by agent2 that the approver may decide.
  ASSERT_EQ(
      c.Send("POST", "/v1/actions", Proposal("m-pending"), writer2_).status,
      201);
  struct Case {
    std::string method, target, body, content_type;
    std::set<std::string> allowed;  // roles (by our principal names)
  };
  int n = 0;
  auto unique = [&n] { return "m-" + std::to_string(++n); };
  std::vector<Case> cases;
  const std::string json = "application/json";
  cases.push_back({"POST", "/v1/records", "", json, {"writer"}});
  cases.push_back({"POST", "/v1/actions", "", json, {"writer"}});
  cases.push_back({"GET",
                   "/v1/actions/m-pending",
                   "",
                   "",
                   {"writer", "approver", "auditor"}});
  cases.push_back({"POST",
                   "/v1/actions/m-pending/outcome",
                   "{\"status\":\"pending\"}",
                   json,
                   {"writer"}});
  cases.push_back({"GET", "/v1/approvals", "", "", {"approver", "auditor"}});
  cases.push_back({"GET", "/v1/records/0", "", "", {"auditor"}});
  cases.push_back({"GET", "/v1/records?limit=5", "", "", {"auditor"}});
  cases.push_back({"GET", "/v1/checkpoint", "", "", {"auditor"}});
  cases.push_back({"GET", "/v1/proof/inclusion?seq=0", "", "", {"auditor"}});
  cases.push_back(
      {"GET", "/v1/proof/consistency?from=1&to=2", "", "", {"auditor"}});
  cases.push_back({"GET", "/v1/reports/completeness", "", "", {"auditor"}});
  cases.push_back({"GET", "/metrics", "", "", {"auditor", "admin"}});
  cases.push_back({"GET", "/v1/tokens", "", "", {"admin"}});
  cases.push_back(
      {"POST", "/v1/tokens", "{\"principal\":\"x@acme\"}", json, {"admin"}});
  cases.push_back(
      {"GET", "/v1/principals/agent@acme/roles", "", "", {"admin"}});
  cases.push_back({"POST",
                   "/v1/principals/y@acme/roles",
                   "{\"role\":\"auditor\"}",
                   json,
                   {"admin"}});
  cases.push_back({"GET", "/v1/policy", "", "", {"admin", "auditor"}});
  const std::vector<std::pair<std::string, std::string>> who = {
      {"writer", writer_},
      {"approver", approver_},
      {"auditor", auditor_},
      {"admin", admin_},
      {"nobody", nobody_}};
  for (const Case& k : cases) {
    for (const auto& [role, token] : who) {
      std::string body = k.body;
      if (k.target == "/v1/records") body = ActionRecord(unique());
      if (k.target == "/v1/actions") body = Proposal(unique());
      HttpReply r = c.Send(k.method, k.target, body, token, k.content_type);
      const bool allowed = k.allowed.count(role) > 0;
      if (allowed) {
        EXPECT_NE(r.status, 403)
            << role << " " << k.method << " " << k.target << ": " << r;
        EXPECT_NE(r.status, 401) << role << " " << k.target << ": " << r;
        EXPECT_LT(r.status, 500) << role << " " << k.target << ": " << r;
      } else {
        EXPECT_EQ(r.status, 403)
            << role << " " << k.method << " " << k.target << ": " << r;
        EXPECT_EQ(ErrorField(r, "code"), "permission_denied") << r;
      }
    }
  }
  // Deciding: the approver may, a writer (no approver role) may not, and
  // the proposer may not decide their own action.
  HttpReply w = c.Send("POST", "/v1/approvals/m-pending",
                       "{\"decision\":\"approve\"}", writer_);
  EXPECT_EQ(w.status, 403) << w;
  HttpReply ok =
      c.Send("POST", "/v1/approvals/m-pending",
             "{\"decision\":\"approve\",\"reason\":\"fine\"}", approver_);
  EXPECT_EQ(ok.status, 201) << ok;
  EXPECT_EQ(JsonField(ok.body, "approver"), "boss@acme");
  // Token revocation (admin) takes effect at once.
  HttpReply created =
      c.Send("POST", "/v1/tokens", "{\"principal\":\"temp@acme\"}", admin_);
  ASSERT_EQ(created.status, 201) << created;
  const std::string temp = JsonField(created.body, "token");
  EXPECT_EQ(c.Send("GET", "/v1/approvals", "", temp).status, 403);
  EXPECT_EQ(
      c.Send("DELETE", "/v1/tokens/" + JsonField(created.body, "token_id"), "",
             admin_)
          .status,
      200);
  EXPECT_EQ(c.Send("GET", "/v1/approvals", "", temp).status, 401);
}

TEST_F(ServerTest, SeparationOfDutiesRefusesTheProposerAsApprover) {
  const std::string both = h_.Principal("both@acme", {"writer", "approver"});
  h_.Start();
  HttpClient c(h_.port());
  ASSERT_EQ(c.Send("POST", "/v1/actions", Proposal("sod-1"), both).status, 201);
  HttpReply r =
      c.Send("POST", "/v1/approvals/sod-1", "{\"decision\":\"approve\"}", both);
  EXPECT_EQ(r.status, 403) << r;
  EXPECT_NE(ErrorField(r, "message").find("separation of duties"),
            std::string::npos);
}

TEST_F(ServerTest, EveryErrorStatusHasTheErrorShapeAndStoresNothing) {
  h_.Start({"--max-record-bytes", "4096", "--max-batch-bytes", "65536",
            "--max-header-bytes", "2048"});
  HttpClient c(h_.port());
  const int before = Records(h_.port());

  // 400 naming the field: money as a JSON number.
  std::string bad = ActionRecord("e-1");
  bad.replace(bad.find("\"34.00\""), 7, "34.0");
  HttpReply r = c.Send("POST", "/v1/records", bad, writer_);
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(ErrorField(r, "code"), "invalid_argument");
  EXPECT_EQ(ErrorField(r, "field"), "action.amount.value");
  EXPECT_NE(ErrorField(r, "message"), "<absent>");
  // 400: malformed JSON, and a bad query parameter names it.
  EXPECT_EQ(c.Send("POST", "/v1/records", "{\"trigger\":", writer_).status,
            400);
  r = c.Send("GET", "/v1/proof/inclusion?seq=abc", "", auditor_);
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(ErrorField(r, "field"), "seq");
  // 401: no token, an unknown token; with WWW-Authenticate.
  r = c.Send("GET", "/v1/approvals");
  EXPECT_EQ(r.status, 401) << r;
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(ErrorField(r, "code"), "unauthenticated");
  EXPECT_EQ(c.Send("GET", "/v1/approvals", "", "alt_0000").status, 401);
  // 403.
  EXPECT_EQ(c.Send("POST", "/v1/records", ActionRecord("e-2"), auditor_).status,
            403);
  // 404: no route, no action, no record.
  EXPECT_EQ(c.Send("GET", "/v1/nothing", "", auditor_).status, 404);
  r = c.Send("GET", "/v1/actions/never-proposed", "", auditor_);
  EXPECT_EQ(r.status, 404) << r;
  EXPECT_EQ(ErrorField(r, "code"), "not_found");
  EXPECT_EQ(c.Send("GET", "/v1/records/999999", "", auditor_).status, 404);
  // 405 with Allow.
  r = c.Send("DELETE", "/v1/actions", "", writer_);
  EXPECT_EQ(r.status, 405) << r;
  EXPECT_EQ(r.Header("allow"), "POST");
  // 409: a duplicate proposal, and approving a decided action.
  ASSERT_EQ(c.Send("POST", "/v1/actions", Proposal("e-dup"), writer_).status,
            201);
  r = c.Send("POST", "/v1/actions", Proposal("e-dup"), writer_);
  EXPECT_EQ(r.status, 409) << r;
  EXPECT_EQ(ErrorField(r, "code"), "failed_precondition");
  ASSERT_EQ(c.Send("POST", "/v1/approvals/e-dup",
                   "{\"decision\":\"reject\",\"reason\":\"no\"}", approver_)
                .status,
            201);
  r = c.Send("POST", "/v1/approvals/e-dup", "{\"decision\":\"approve\"}",
             approver_);
  EXPECT_EQ(r.status, 409) << r;
  // The approver comes from the token, never from the body.
  r = c.Send("POST", "/v1/approvals/e-dup",
             "{\"decision\":\"approve\",\"approver\":\"mallory\"}", approver_);
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(ErrorField(r, "field"), "approver");
  const int after_valid = Records(h_.port());
  EXPECT_EQ(after_valid, before + 2);  // the proposal and the rejection

  // 413: a record over --max-record-bytes, a batch over --max-batch-bytes.
  r = c.Send("POST", "/v1/records",
             ActionRecord("e-big", std::string(5000, 'x')), writer_);
  EXPECT_EQ(r.status, 413) << r;
  EXPECT_EQ(ErrorField(r, "code"), "resource_exhausted");
  std::string batch;
  while (batch.size() < 70000) batch += ActionRecord("e-b") + "\n";
  HttpClient c2(h_.port());
  r = c2.Send("POST", "/v1/records", batch, writer_, "application/x-ndjson");
  EXPECT_EQ(r.status, 413) << r;
  // 415.
  r = c.Send("POST", "/v1/records", ActionRecord("e-3"), writer_,
             "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415) << r;
  EXPECT_EQ(ErrorField(r, "field"), "Content-Type");
  // 431: headers over --max-header-bytes.
  HttpClient c3(h_.port());
  r = c3.Send("GET", "/healthz", "", "", "",
              {"X-Filler: " + std::string(4000, 'a')});
  EXPECT_EQ(r.status, 431) << r;
  // 400: a malformed request line.
  HttpClient c4(h_.port());
  ASSERT_TRUE(c4.SendRaw("GARBAGE\r\n\r\n"));
  r = c4.ReadReply();
  EXPECT_EQ(r.status, 400) << r;

  EXPECT_EQ(Records(h_.port()), after_valid);
}

TEST_F(ServerTest, BatchIsAllOrNothingAndReceiptsMatchStoredBytes) {
  h_.Start();
  HttpClient c(h_.port());
  const int before = Records(h_.port());
  std::string bad = ActionRecord("b-2");
  bad.replace(bad.find("\"event\""), 7, "\"sometimes\"");
  const std::string body =
      ActionRecord("b-1") + "\n" + bad + "\n" + ActionRecord("b-3") + "\n";
  HttpReply r =
      c.Send("POST", "/v1/records", body, writer_, "application/x-ndjson");
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(ErrorField(r, "field"), "trigger.type");
  EXPECT_NE(ErrorField(r, "message").find("line 2"), std::string::npos) << r;
  EXPECT_EQ(Records(h_.port()), before);

  const std::string good = ActionRecord("b-1") + "\r\n\n" + ActionRecord("b-3");
  r = c.Send("POST", "/v1/records", good, writer_, "application/x-ndjson");
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.Header("content-type"), "application/x-ndjson");
  const auto lines = cli_testing::Lines(r.body);
  ASSERT_EQ(lines.size(), 2u) << r;
  for (const std::string& line : lines) {
    const std::string seq = JsonField(line, "seq");
    HttpReply got = c.Send("GET", "/v1/records/" + seq, "", auditor_);
    ASSERT_EQ(got.status, 200) << got;
    EXPECT_EQ(LeafHashHex(got.body), JsonField(line, "leaf_hash"));
    EXPECT_NE(got.body.find("\"recorded_by\":\"agent@acme\""),
              std::string::npos);
  }
}

// A body of megabytes is read in large reads into a buffer that grows for
// it and shrinks after it; the next request, already sent behind it on the
// same connection, must survive the shrink.
TEST_F(ServerTest, MegabyteBatchAndTheRequestPipelinedBehindItAreAnswered) {
  h_.Start();
  HttpClient c(h_.port());
  const int before = Records(h_.port());
  std::string body;
  int lines = 0;
  while (body.size() < (3u << 20)) {
    body += ActionRecord("big-" + std::to_string(lines++)) + "\n";
  }
  const std::string pipelined =
      "POST /v1/records HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
      writer_ + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body +
      "GET /v1/records/0 HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
      auditor_ + "\r\n\r\n";
  ASSERT_TRUE(c.SendRaw(pipelined));
  HttpReply r = c.ReadReply();
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(cli_testing::Lines(r.body).size(), static_cast<size_t>(lines));
  r = c.ReadReply();
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_NE(r.body.find("\"seq\":0"), std::string::npos) << r;
  EXPECT_EQ(Records(h_.port()), before + lines);
}

TEST_F(ServerTest, FullLifecycleWithPolicyProofAndVerify) {
  h_.ActivatePolicy(std::string(ACTLEDGER_SOURCE_DIR) +
                    "/examples/policy.yaml");
  const std::string support = h_.Principal("lead@acme", {"support-lead"});
  h_.Start();
  HttpClient c(h_.port());
  // A small refund for an old account: auto-approved by rule T-2026-03.
  HttpReply r =
      c.Send("POST", "/v1/actions",
             Proposal("rf-1", "payment.refund", "40.00", 400), writer_);
  ASSERT_EQ(r.status, 201) << r;
  Value d = ParseJson(r.body);
  EXPECT_EQ(d.Find("decision")->as_string(), "allow");
  EXPECT_EQ(d.FindPath("rule.id")->as_string(), "T-2026-03");
  // An email: a human must approve (support-lead).
  r = c.Send("POST", "/v1/actions", Proposal("em-1", "email.send"), writer_);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonField(r.body, "decision"), "pending_approval");
  HttpReply inbox = c.Send("GET", "/v1/approvals", "", support);
  ASSERT_EQ(inbox.status, 200) << inbox;
  EXPECT_NE(inbox.body.find("\"em-1\""), std::string::npos);
  EXPECT_EQ(c.Send("POST", "/v1/approvals/em-1", "{\"decision\":\"approve\"}",
                   approver_)
                .status,
            403);  // "approver" is not this class's role
  r = c.Send("POST", "/v1/approvals/em-1",
             "{\"decision\":\"approve\",\"reason\":\"tone ok\"}", support);
  ASSERT_EQ(r.status, 201) << r;
  r = c.Send("POST", "/v1/actions/em-1/outcome",
             "{\"status\":\"success\",\"external_id\":\"sg-1\"}", writer_);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(JsonField(r.body, "violation"), "null");
  const std::string outcome_seq = JsonField(r.body, "seq");
  r = c.Send("GET", "/v1/actions/em-1", "", writer_);
  ASSERT_EQ(r.status, 200) << r;
  Value view = ParseJson(r.body);
  EXPECT_EQ(view.Find("status")->as_string(), "executed");
  EXPECT_EQ(view.FindPath("approval.approver.id")->as_string(), "lead@acme");
  EXPECT_EQ(view.Find("timeline")->as_array().size(), 3u);

  // The record with its proof against a signed checkpoint.
  r = c.Send("GET", "/v1/records/" + outcome_seq + "?proof=1", "", auditor_);
  ASSERT_EQ(r.status, 200) << r;
  Value p = ParseJson(r.body);
  const std::string leaf = p.Find("leaf")->as_string();
  EXPECT_EQ(LeafHashHex(leaf), p.Find("leaf_hash")->as_string());
  const std::string note = p.Find("checkpoint")->as_string();
  EXPECT_EQ(std::to_string(static_cast<uint64_t>(
                p.FindPath("proof.tree_size")->as_number())),
            cli_testing::Lines(note)[1]);
  HttpReply cp = c.Send("GET", "/v1/checkpoint", "", auditor_);
  ASSERT_EQ(cp.status, 200) << cp;
  EXPECT_NE(cp.body.find("test.example/srv"), std::string::npos);

  ASSERT_EQ(h_.Stop(), 0) << h_.Log();
  auto v = RunCli({"--data", h_.data(), "verify"});
  EXPECT_EQ(v.exit_code, 0) << v;
  // The stored bytes are those the proof was about.
  auto g = RunCli({"--data", h_.data(), "get", outcome_seq});
  EXPECT_EQ(g.out, leaf + "\n");
}

TEST_F(ServerTest, LongPollWakesOnApprovalWithoutWaitingOut) {
  h_.Start();
  HttpClient c(h_.port());
  ASSERT_EQ(c.Send("POST", "/v1/actions", Proposal("lp-1"), writer_).status,
            201);
  std::atomic<bool> done{false};
  HttpReply polled;
  std::chrono::duration<double> took{};
  std::thread poller([&] {
    HttpClient pc(h_.port());
    const auto t0 = std::chrono::steady_clock::now();
    polled = pc.Send("GET", "/v1/actions/lp-1?wait=60", "", writer_);
    took = std::chrono::steady_clock::now() - t0;
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(done.load()) << "the long poll answered while still pending";
  HttpReply a = c.Send("POST", "/v1/approvals/lp-1",
                       "{\"decision\":\"approve\"}", approver_);
  ASSERT_EQ(a.status, 201) << a;
  poller.join();
  ASSERT_EQ(polled.status, 200) << polled;
  EXPECT_EQ(JsonField(polled.body, "status"), "approved");
  EXPECT_LT(took.count(), 10.0);
  // A wait that runs out answers with the current (pending) state.
  ASSERT_EQ(c.Send("POST", "/v1/actions", Proposal("lp-2"), writer_).status,
            201);
  const auto t0 = std::chrono::steady_clock::now();
  HttpReply timed = c.Send("GET", "/v1/actions/lp-2?wait=1", "", writer_);
  EXPECT_EQ(JsonField(timed.body, "status"), "pending_approval");
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(900));
}

TEST_F(ServerTest, ConnectionLimitAnswers503WithRetryAfter) {
  h_.Start({"--max-connections", "3"});
  HttpClient a(h_.port()), b(h_.port()), c(h_.port());
  ASSERT_EQ(a.Send("GET", "/healthz").status, 200);
  ASSERT_EQ(b.Send("GET", "/healthz").status, 200);
  ASSERT_EQ(c.Send("GET", "/healthz").status, 200);
  HttpClient d(h_.port());
  HttpReply r = d.ReadReply();
  EXPECT_EQ(r.status, 503) << r;
  EXPECT_EQ(r.Header("retry-after"), "1");
  EXPECT_EQ(ErrorField(r, "code"), "unavailable");
  // The held connections still work.
  EXPECT_EQ(a.Send("GET", "/healthz").status, 200);
}

TEST_F(ServerTest, AppendQueueBoundAnswers503WithRetryAfter) {
  // A queue bound smaller than one batch: a second batch arriving while
  // the first is still being written is refused, never buffered.
  h_.Start({"--max-queue-bytes", "1000"});
  const int before = Records(h_.port());
  std::string batch;
  for (int i = 0; i < 2000; ++i)
    batch += ActionRecord("q-" + std::to_string(i)) + "\n";
  std::atomic<int> refused{0}, created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      HttpClient c(h_.port());
      for (int i = 0; i < 5; ++i) {
        HttpReply r = c.Send("POST", "/v1/records", batch, writer_,
                             "application/x-ndjson");
        if (r.status == 503) {
          EXPECT_EQ(r.Header("retry-after"), "1");
          ++refused;
        } else {
          EXPECT_EQ(r.status, 201) << r;
          ++created;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(refused.load(), 0);
  EXPECT_GT(created.load(), 0);
  EXPECT_EQ(Records(h_.port()) - before, created.load() * 2000);
}

TEST_F(ServerTest, SlowAndMalformedClientsDoNotBlockOthers) {
  h_.Start({"--read-timeout-ms", "1000", "--idle-timeout-ms", "3000"});
  // A client that starts a request and stalls (slowloris), one that sends
  // garbage, and many idle connections.
  HttpClient slow(h_.port());
  ASSERT_TRUE(slow.SendRaw("POST /v1/records HTTP/1.1\r\nHost: x\r\n"));
  HttpClient garbage(h_.port());
  ASSERT_TRUE(garbage.SendRaw(std::string("\x16\x03\x01\x02\x00\x01", 6)));
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<HttpClient>(h_.port()));
  }
  HttpClient c(h_.port());
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    HttpReply r = c.Send("POST", "/v1/records",
                         ActionRecord("s-" + std::to_string(i)), writer_);
    ASSERT_EQ(r.status, 201) << r;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  }
  // The stalled request is cut off after the read timeout.
  EXPECT_TRUE(slow.ClosedWithin(5000));
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightAndLosesNothing) {
  h_.Start();
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;  // seq, leaf hash
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(h_.port());
      for (int i = 0; !stop.load(); ++i) {
        HttpReply r = c.Send(
            "POST", "/v1/records",
            ActionRecord("g-" + std::to_string(t) + "-" + std::to_string(i)),
            writer_);
        if (r.status != 201) {
          if (!c.connected()) break;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked.emplace_back(JsonField(r.body, "seq"),
                           JsonField(r.body, "leaf_hash"));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(h_.Stop(), 0) << h_.Log();
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_GT(acked.size(), 10u);
  auto v = RunCli({"--data", h_.data(), "verify"});
  EXPECT_EQ(v.exit_code, 0) << v;
  for (size_t i = 0; i < acked.size();
       i += std::max<size_t>(1, acked.size() / 50)) {
    auto g = RunCli({"--data", h_.data(), "get", acked[i].first});
    ASSERT_EQ(g.exit_code, 0) << g;
    EXPECT_EQ(LeafHashHex(g.out.substr(0, g.out.size() - 1)), acked[i].second);
  }
}

TEST_F(ServerTest, SigkillUnderConcurrentLoadKeepsEveryAcknowledgedRecord) {
  h_.Start();
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(h_.port(), 5000);
      for (int i = 0; !stop.load(); ++i) {
        const bool batch = i % 3 == 0;
        std::string body;
        const std::string id =
            "k-" + std::to_string(t) + "-" + std::to_string(i);
        if (batch) {
          for (int k = 0; k < 20; ++k) {
            body += ActionRecord(id + "-" + std::to_string(k)) + "\n";
          }
        } else {
          body = ActionRecord(id);
        }
        HttpReply r =
            c.Send("POST", "/v1/records", body, writer_,
                   batch ? "application/x-ndjson" : "application/json");
        if (r.status != 201) {
          if (!c.connected()) break;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        for (const std::string& line : cli_testing::Lines(r.body)) {
          acked.emplace_back(JsonField(line, "seq"),
                             JsonField(line, "leaf_hash"));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  h_.Kill();
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_GT(acked.size(), 10u);
  // After a restart, every acknowledged record is served byte for byte.
  h_.Start();
  HttpClient c(h_.port());
  for (const auto& [seq, hash] : acked) {
    HttpReply r = c.Send("GET", "/v1/records/" + seq, "", auditor_);
    ASSERT_EQ(r.status, 200) << seq << ": " << r;
    ASSERT_EQ(LeafHashHex(r.body), hash) << seq;
  }
  ASSERT_EQ(h_.Stop(), 0) << h_.Log();
  auto v = RunCli({"--data", h_.data(), "verify"});
  EXPECT_EQ(v.exit_code, 0) << v;
}

TEST_F(ServerTest, MetricsAndAccessLogHoldNoTokens) {
  h_.Start({"--access-log", h_.dir() + "/access.log"});
  HttpClient c(h_.port());
  ASSERT_EQ(c.Send("POST", "/v1/records", ActionRecord("x-1"), writer_).status,
            201);
  ASSERT_EQ(c.Send("POST", "/v1/actions", Proposal("x-2"), writer_).status,
            201);
  HttpReply m = c.Send("GET", "/metrics", "", auditor_);
  ASSERT_EQ(m.status, 200) << m;
  for (const char* name :
       {"actledger_appended_records_total", "actledger_appended_bytes_total",
        "actledger_syncs_total", "actledger_append_batch_records_bucket",
        "actledger_append_ack_seconds_bucket",
        "actledger_gate_decisions_total{decision=\"pending_approval\"} 1",
        "actledger_pending_approvals 1", "actledger_index_lag_records",
        "actledger_checkpoint_age_seconds",
        // One string wrapped over two lines, not two items:
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
        "actledger_http_requests_total{route=\"POST /v1/records\",status="
        "\"201\"} 1"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name << "\n" << m.body;
  }
  ASSERT_EQ(h_.Stop(), 0);
  const std::string log = cli_testing::ReadFile(h_.dir() + "/access.log");
  EXPECT_NE(log.find("\"route\":\"POST /v1/actions\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("\"principal\":\"agent@acme\""), std::string::npos);
  for (const std::string& t : {writer_, auditor_}) {
    EXPECT_EQ(log.find(t), std::string::npos) << "token in the access log";
  }
  EXPECT_EQ(log.find("gpt-4o"), std::string::npos) << "body in the access log";
}

TEST_F(ServerTest, ConfigFileSetsOptionsAndFlagsOverrideIt) {
  cli_testing::WriteFile(h_.dir() + "/serve.yaml",
                         "listen: 127.0.0.1:1\nmax-record-bytes: 3000\n"
                         "access_log: \"off\"\n");
  h_.Start({"--config", h_.dir() + "/serve.yaml"});  // --listen overrides
  HttpClient c(h_.port());
  HttpReply r = c.Send("POST", "/v1/records",
                       ActionRecord("cf-1", std::string(3000, 'y')), writer_);
  EXPECT_EQ(r.status, 413) << r;
  ASSERT_EQ(h_.Stop(), 0);
  cli_testing::WriteFile(h_.dir() + "/bad.yaml", "listne: x\n");
  auto bad = RunCli(
      {"--data", h_.data(), "serve", "--config", h_.dir() + "/bad.yaml"});
  EXPECT_EQ(bad.exit_code, 3) << bad;
  EXPECT_NE(bad.err.find("listne"), std::string::npos) << bad;
}

// Records ingested over HTTP carry the retention envelope of the policy
// active when they arrive, as CLI appends do; a newer policy takes effect
// for the next request.
TEST_F(ServerTest, IngestedRecordsCarryTheActivePolicysRetention) {
  h_.Start();
  HttpClient c(h_.port());
  auto regime_of = [&](const std::string& action_id) {
    HttpReply r = c.Send("POST", "/v1/records", ActionRecord(action_id),
                         writer_, "application/json");
    EXPECT_EQ(r.status, 201) << r;
    HttpReply got =
        c.Send("GET", "/v1/records/" + JsonField(r.body, "seq"), "", auditor_);
    EXPECT_EQ(got.status, 200) << got;
    const size_t at = got.body.find("\"retention\":{");
    if (at == std::string::npos) return std::string("(none)");
    const size_t r0 = got.body.find("\"regime\":\"", at);
    if (r0 == std::string::npos) return std::string("(no regime)");
    const size_t start = r0 + 10;
    return got.body.substr(start, got.body.find('"', start) - start);
  };
  EXPECT_EQ(regime_of("ret-1"), "general");

  const std::string policy = R"(policy: acme
version: "2026-11.9"
classes:
  - { name: refunds, match: ["payment.*"], tier: log_only }
retention:
  periods: { sox: 7y, general: 3y }
  rules:
    - { match: ["payment.*"], regime: sox }
)";
  HttpReply act =
      c.Send("POST", "/v1/policy", policy, admin_, "application/yaml");
  ASSERT_EQ(act.status, 201) << act;
  EXPECT_EQ(regime_of("ret-2"), "sox");
}

}  // namespace
}  // namespace actledger::server_testing
