// Personal fields over HTTP (docs/ERASURE.md, "Reading"): records posted
// to the server are stored encrypted, read back decrypted for principals
// allowed to see personal data and as "[redacted]" for those whose roles
// are all in the policy's personal_access.redacted_roles; a record with a
// personal field but no data subject is refused naming the field.
#include <gtest/gtest.h>

#include <string>

#include "keystore/keystore_testing.h"
#include "server/server_harness.h"

namespace actledger::server_testing {
namespace {

constexpr char kSubjectId[] = "srv-id-QXZ71";
constexpr char kSecret[] = "srv-reasoning-QXZ72";

constexpr char kPolicy[] = R"(policy: personal
version: "1"
defaults: { tier: log_only }
classes:
  - { name: everything, match: ["*"], tier: log_only }
personal_fields: [subject.id, ai_output.reasoning, action.recipient]
personal_access: { redacted_roles: [auditor] }
)";

std::string Record(const std::string& action_id, bool with_subject) {
  std::string r = R"({"action_id":")" + action_id +
                  R"(","trigger":{"type":"event","source":"crm"},)"
                  R"("model":{"provider":"p","name":"m","version":"m-1",)"
                  R"("prompt_template":{"id":"t","version":"1"}},)"
                  R"("ai_output":{"decision":"d","reasoning":")" +
                  std::string(kSecret) +
                  R"("},"action":{"type":"email.send","system":"sg",)"
                  R"("target":"t-1"},"approval":{"mode":"none"},)"
                  R"("context":{"occurred_at":"2026-11-28T09:00:00Z"})";
  if (with_subject) {
    r += R"(,"subject":{"type":"customer","id":")" + std::string(kSubjectId) +
         R"("})";
  }
  return r + "}";
}

TEST(ServerPersonal, EncryptedAtRestDecryptedOrRedactedByRole) {
  ServerHarness h;
  const std::string admin = h.Principal("admin@acme", {"admin"});
  const std::string writer = h.Principal("agent@acme", {"writer"});
  const std::string lead = h.Principal("lead@acme", {"auditor", "compliance"});
  const std::string auditor = h.Principal("ext-auditor@firm", {"auditor"});
  h.Start();
  HttpClient c(h.port());
  HttpReply act =
      c.Send("POST", "/v1/policy", kPolicy, admin, "application/yaml");
  ASSERT_EQ(act.status, 201) << act;

  HttpReply posted = c.Send("POST", "/v1/records", Record("p-1", true), writer,
                            "application/json");
  ASSERT_EQ(posted.status, 201) << posted;
  const std::string seq = JsonField(posted.body, "seq");

  // Nothing under the data directory holds the plaintext.
  EXPECT_TRUE(keystore_testing::FilesContaining(h.data(), kSecret).empty());
  EXPECT_TRUE(keystore_testing::FilesContaining(h.data(), kSubjectId).empty());

  HttpReply full = c.Send("GET", "/v1/records/" + seq, "", lead);
  ASSERT_EQ(full.status, 200) << full;
  EXPECT_NE(full.body.find(kSecret), std::string::npos) << full;
  EXPECT_NE(full.body.find(kSubjectId), std::string::npos) << full;

  HttpReply redacted = c.Send("GET", "/v1/records/" + seq, "", auditor);
  ASSERT_EQ(redacted.status, 200) << redacted;
  EXPECT_EQ(redacted.body.find(kSecret), std::string::npos) << redacted;
  EXPECT_NE(redacted.body.find("[redacted]"), std::string::npos) << redacted;

  // Looked up by subject through the blind index, in both views.
  const std::string query =
      std::string("/v1/records?kind=action&subject=customer:") + kSubjectId;
  HttpReply q_full = c.Send("GET", query, "", lead);
  ASSERT_EQ(q_full.status, 200) << q_full;
  EXPECT_NE(q_full.body.find(kSecret), std::string::npos) << q_full;
  HttpReply q_red = c.Send("GET", query, "", auditor);
  ASSERT_EQ(q_red.status, 200) << q_red;
  EXPECT_EQ(q_red.body.find(kSecret), std::string::npos) << q_red;
  EXPECT_NE(q_red.body.find("[redacted]"), std::string::npos) << q_red;

  HttpReply view = c.Send("GET", "/v1/actions/p-1", "", auditor);
  ASSERT_EQ(view.status, 200) << view;
  EXPECT_EQ(view.body.find(kSecret), std::string::npos) << view;

  // The proof's `leaf` stays the stored bytes (ciphertext), which hash to
  // the leaf; only `record` is decrypted.
  HttpReply proof = c.Send("GET", "/v1/records/" + seq + "?proof=1", "", lead);
  ASSERT_EQ(proof.status, 200) << proof;
  EXPECT_NE(proof.body.find("aes-256-gcm"), std::string::npos) << proof;

  // Personal data with no subject to erase it by: refused, naming the
  // field, and nothing stored.
  HttpReply refused = c.Send("POST", "/v1/records", Record("p-2", false),
                             writer, "application/json");
  EXPECT_EQ(refused.status, 400) << refused;
  EXPECT_EQ(JsonField(refused.body, "field"), "ai_output.reasoning") << refused;
  HttpReply none = c.Send("GET", "/v1/records?action-id=p-2", "", lead);
  ASSERT_EQ(none.status, 200) << none;
  EXPECT_NE(none.body.find("\"records\":[]"), std::string::npos) << none;
}

}  // namespace
}  // namespace actledger::server_testing
