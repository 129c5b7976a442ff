// Personal field encryption: envelopes checked with an independent
// decryption, round trips, tampering and moved fields, erased and redacted
// reads, and the leaf covering ciphertext in a real ledger.
#include "keystore/field_crypto.h"

#include <gtest/gtest.h>

#include "actledger/ledger.h"
#include "actledger/record.h"
#include "common/encoding.h"
#include "keystore_testing.h"

namespace actledger::keystore {
namespace {

using json::Value;
using keystore_testing::FilesContaining;
using keystore_testing::TempDir;

const std::vector<std::string> kPersonal = {
    "subject.id", "subject.attributes", "action.recipient",
    "ai_output.reasoning", "subject.attributes.email"};

std::string RecordText() {
  return R"({"action_id":"em-1","trigger":{"type":"event","source":"zendesk"},)"
         R"("model":{"provider":"p","name":"m","version":"m-1",)"
         R"("prompt_template":{"id":"t","version":"1"}},)"
         R"("ai_output":{"decision":"send","reasoning":"Jane Roe was late twice",)"
         R"("confidence":0.5},"action":{"type":"email.send","system":"sendgrid",)"
         R"("target":"msg-1","recipient":"jane.roe@example.com"},)"
         R"("approval":{"mode":"none"},"context":{"occurred_at":)"
         R"("2026-11-28T09:12:44Z","environment":"test","job_id":"j",)"
         R"("app_version":"1"},"outcome":{"status":"success"},)"
         R"("subject":{"type":"customer","id":"cus_8812",)"
         R"("attributes":{"email":"jane.roe@example.com","age_days":400}}})";
}

Value Record() { return *json::Parse(RecordText()); }

class FieldCryptoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ks = KeyStore::OpenForWrite(
        dir_.path(), MasterKey::FromBytes(std::string(32, 'm')));
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    keys_ = std::move(ks).value();
  }
  TempDir dir_;
  std::unique_ptr<KeyStore> keys_;
};

TEST_F(FieldCryptoTest, EnvelopesDecryptIndependentlyAsDocumented) {
  Value rec = Record();
  Result<EncryptResult> e = EncryptRecord(&rec, kPersonal, *keys_);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  // subject.attributes.email is covered by subject.attributes.
  EXPECT_EQ(e->encrypted,
            (std::vector<std::string>{"action.recipient", "ai_output.reasoning",
                                      "subject.attributes", "subject.id"}));
  Result<SubjectKey> key = keys_->GetOrCreate("customer:cus_8812");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(e->blind_id, key->blind_id);
  const Value original = Record();
  for (const std::string& path : e->encrypted) {
    const Value* env = rec.FindPath(path);
    ASSERT_NE(env, nullptr) << path;
    ASSERT_TRUE(env->is_object()) << path;
    EXPECT_EQ(env->Find("enc")->as_string(), "aes-256-gcm");
    EXPECT_EQ(env->Find("kid")->as_string(), key->blind_id);
    EXPECT_EQ(env->Find("kv")->as_number(), 1);
    const std::string iv = *Base64Decode(env->Find("iv")->as_string());
    const std::string ct = *Base64Decode(env->Find("ct")->as_string());
    EXPECT_EQ(iv.size(), 12u);
    std::string aad = "actledger/field/v1";
    aad += '\0' + path + '\0' + key->blind_id + '\0' + "1";
    bool ok = false;
    const std::string plain =
        keystore_testing::GcmOpen(key->key.view(), iv, aad, ct, &ok);
    ASSERT_TRUE(ok) << path;
    EXPECT_EQ(plain, json::Canonical(*original.FindPath(path))) << path;
  }
  EXPECT_EQ(rec.FindPath("subject.type")->as_string(), "customer");
  EXPECT_EQ(rec.FindPath("subject.blind_id")->as_string(), key->blind_id);
  EXPECT_EQ(rec.FindPath("personal.kid")->as_string(), key->blind_id);
  const std::string canonical = json::Canonical(rec);
  for (const char* secret : {"cus_8812", "jane.roe", "Jane Roe", "age_days"}) {
    EXPECT_EQ(canonical.find(secret), std::string::npos) << secret;
  }
  // Round trip.
  Result<DecryptResult> d = DecryptRecord(&rec, keys_.get(), View::kPlaintext);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->decrypted, e->encrypted);
  rec.Erase("personal");
  rec.Find("subject")->Erase("blind_id");
  EXPECT_EQ(rec, original);
}

TEST_F(FieldCryptoTest, EveryEncryptionUsesAFreshIv) {
  Value a = Record(), b = Record();
  ASSERT_TRUE(EncryptRecord(&a, kPersonal, *keys_).ok());
  ASSERT_TRUE(EncryptRecord(&b, kPersonal, *keys_).ok());
  EXPECT_NE(a.FindPath("action.recipient.iv")->as_string(),
            b.FindPath("action.recipient.iv")->as_string());
  EXPECT_NE(a.FindPath("action.recipient.iv")->as_string(),
            a.FindPath("subject.id.iv")->as_string());
  EXPECT_NE(a.FindPath("action.recipient.ct")->as_string(),
            b.FindPath("action.recipient.ct")->as_string());
}

TEST_F(FieldCryptoTest, TamperedCiphertextIsDataLossNamingTheField) {
  Value rec = Record();
  ASSERT_TRUE(EncryptRecord(&rec, kPersonal, *keys_).ok());
  Value* env = rec.Find("action")->Find("recipient");
  std::string ct = *Base64Decode(env->Find("ct")->as_string());
  ct[0] ^= 1;
  env->Set("ct", Value::String(Base64Encode(ct)));
  Result<DecryptResult> d = DecryptRecord(&rec, keys_.get(), View::kPlaintext);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(d.status().field(), "action.recipient");
}

TEST_F(FieldCryptoTest, EnvelopeMovedToAnotherFieldFailsAuthentication) {
  Value rec = Record();
  ASSERT_TRUE(EncryptRecord(&rec, kPersonal, *keys_).ok());
  Value recipient = *rec.FindPath("action.recipient");
  Value reasoning = *rec.FindPath("ai_output.reasoning");
  rec.Find("action")->Set("recipient", reasoning);
  rec.Find("ai_output")->Set("reasoning", recipient);
  Result<DecryptResult> d = DecryptRecord(&rec, keys_.get(), View::kPlaintext);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(d.status().message().find("moved"), std::string::npos);
}

TEST_F(FieldCryptoTest, ErasedSubjectReadsErasedAndOthersStillDecrypt) {
  Value mine = Record();
  Value other = *json::Parse(
      R"({"action":{"type":"email.send","recipient":"x@example.com"},)"
      R"("subject":{"type":"customer","id":"cus_1"}})");
  ASSERT_TRUE(EncryptRecord(&mine, kPersonal, *keys_).ok());
  ASSERT_TRUE(EncryptRecord(&other, kPersonal, *keys_).ok());
  ASSERT_TRUE(keys_->Destroy("customer:cus_8812").ok());
  Result<DecryptResult> d = DecryptRecord(&mine, keys_.get(), View::kPlaintext);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->erased.size(), 4u);
  EXPECT_EQ(mine.FindPath("action.recipient")->as_string(), "[erased]");
  EXPECT_EQ(mine.FindPath("subject.id")->as_string(), "[erased]");
  EXPECT_EQ(mine.FindPath("subject.type")->as_string(), "customer");
  EXPECT_EQ(mine.FindPath("action.type")->as_string(), "email.send");
  ASSERT_TRUE(DecryptRecord(&other, keys_.get(), View::kPlaintext).ok());
  EXPECT_EQ(other.FindPath("action.recipient")->as_string(), "x@example.com");
}

TEST_F(FieldCryptoTest, RedactedViewNeedsNoKeys) {
  Value rec = Record();
  ASSERT_TRUE(EncryptRecord(&rec, kPersonal, *keys_).ok());
  Result<DecryptResult> d = DecryptRecord(&rec, nullptr, View::kRedactedOnly);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->redacted.size(), 4u);
  EXPECT_EQ(rec.FindPath("ai_output.reasoning")->as_string(), "[redacted]");
  EXPECT_EQ(rec.FindPath("ai_output.decision")->as_string(), "send");
}

TEST_F(FieldCryptoTest, UnknownKeyIsDataLossNotErased) {
  Value rec = Record();
  ASSERT_TRUE(EncryptRecord(&rec, kPersonal, *keys_).ok());
  TempDir elsewhere;
  auto foreign = KeyStore::OpenForWrite(
      elsewhere.path(), MasterKey::FromBytes(std::string(32, 'm')));
  ASSERT_TRUE(foreign.ok());
  Result<DecryptResult> d =
      DecryptRecord(&rec, foreign->get(), View::kPlaintext);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(d.status().message().find("has no key"), std::string::npos);
}

TEST_F(FieldCryptoTest, NothingHappensWithoutSubjectOrPersonalFields) {
  Value no_subject = *json::Parse(R"({"action":{"recipient":"a@b.c"}})");
  Result<EncryptResult> e = EncryptRecord(&no_subject, kPersonal, *keys_);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->encrypted.empty());
  EXPECT_EQ(no_subject.FindPath("action.recipient")->as_string(), "a@b.c");
  // An explicit subject (an outcome names its subject through its action).
  ASSERT_TRUE(EncryptRecord(&no_subject, kPersonal, *keys_, "customer:9").ok());
  EXPECT_TRUE(no_subject.FindPath("action.recipient")->is_object());
  EXPECT_EQ(keys_->live_keys(), 1u);
  Value nothing = *json::Parse(R"({"subject":{"type":"c","id":"1"}})");
  ASSERT_TRUE(EncryptRecord(&nothing, {"action.recipient"}, *keys_).ok());
  EXPECT_EQ(nothing.Find("personal"), nullptr);
  EXPECT_EQ(keys_->live_keys(), 1u);  // no key for a subject with nothing
}

TEST(PersonalFields, PathsTheLedgerMustReadAreRefused) {
  EXPECT_TRUE(ValidatePersonalFields(kPersonal).ok());
  for (const char* bad : {"subject", "subject.type", "action", "action.type",
                          "retention", "personal.kid", "action..x", ""}) {
    Status st = ValidatePersonalFields({"subject.id", bad});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "personal_fields[1]") << bad;
  }
  Value rec =
      *json::Parse(R"({"personal":{},"subject":{"type":"c","id":"1"}})");
  SubjectKey k;
  k.blind_id = std::string(64, 'a');
  k.version = 1;
  Result<EncryptResult> e = EncryptFields(&rec, {"subject.id"}, k);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().field(), "personal");
  Value forged =
      *json::Parse(R"({"subject":{"type":"c","id":"1","blind_id":"00"}})");
  Result<EncryptResult> f = EncryptFields(&forged, {"subject.id"}, k);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().field(), "subject.blind_id");
}

TEST(PersonalFields, ViewForRolesFailsClosed) {
  const std::vector<std::string> redacted = {"auditor"};
  EXPECT_EQ(ViewForRoles({"auditor"}, redacted), View::kRedactedOnly);
  EXPECT_EQ(ViewForRoles({}, redacted), View::kRedactedOnly);
  EXPECT_EQ(ViewForRoles({"auditor", "admin"}, redacted), View::kPlaintext);
  EXPECT_EQ(ViewForRoles({"approver"}, redacted), View::kPlaintext);
}

TEST_F(FieldCryptoTest, LeafCoversCiphertextAndErasureChangesNoStoredByte) {
  const std::string data = dir_.path() + "/ledger";
  InitOptions io;
  io.origin = "example.com/keystore-test";
  ASSERT_TRUE(Ledger::Init(data, io).ok());
  auto ks =
      KeyStore::OpenForWrite(data, MasterKey::FromBytes(std::string(32, 'k')));
  ASSERT_TRUE(ks.ok());
  std::string stored;
  {
    auto ledger = Ledger::Open(data, *Ledger::ConfiguredOptions(data));
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    Result<ValidatedRecord> rec = ValidateRecord(RecordText(), {});
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    ASSERT_TRUE(EncryptRecord(&rec->body, kPersonal, **ks).ok());
    std::vector<AppendRequest> batch;
    batch.push_back(Ledger::Prepare(std::move(rec).value()));
    auto receipts = (*ledger)->Append(std::move(batch), "local:t");
    ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
    Result<std::string> got = (*ledger)->Get(0);
    ASSERT_TRUE(got.ok());
    stored = *got;
    EXPECT_EQ(StoredLeafHash(stored), receipts->front().leaf_hash);
    EXPECT_NE(stored.find("\"ct\":"), std::string::npos);
    ASSERT_TRUE((*ledger)->Checkpoint().ok());
  }
  for (const char* secret : {"cus_8812", "jane.roe", "Jane Roe"}) {
    EXPECT_TRUE(FilesContaining(data, secret).empty()) << secret;
  }
  ASSERT_TRUE((*ks)->Destroy("customer:cus_8812").ok());
  auto reader = Ledger::OpenForRead(data);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*(*reader)->Get(0), stored);
  Result<VerifyReport> v = VerifyLedger(data, {});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->findings.front().what;
  Result<Value> readable = DecryptStored(stored, ks->get(), View::kPlaintext);
  ASSERT_TRUE(readable.ok()) << readable.status().ToString();
  EXPECT_EQ(readable->FindPath("action.recipient")->as_string(), "[erased]");
}

}  // namespace
}  // namespace actledger::keystore
