// The subject key store: the documented file layout checked byte by byte
// with an independent unwrap, blind ids, wrong master keys, tampering,
// unrecoverable destruction, and crashes in the middle of a rewrite.
#include "keystore/keystore.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "crypto/crc32c.h"
#include "keystore_testing.h"

namespace actledger::keystore {
namespace {

using keystore_testing::FilesContaining;
using keystore_testing::Hex;
using keystore_testing::Slurp;
using keystore_testing::Spit;
using keystore_testing::TempDir;

constexpr size_t kHeader = 64;
constexpr size_t kEntry = 112;

std::string MasterBytes(char fill) { return std::string(32, fill); }

uint32_t U32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return v;
}

// Unwraps the key entry at `offset` of a store file as docs/ERASURE.md
// describes it, without the code under test.
std::string UnwrapIndependently(std::string_view file, size_t offset,
                                std::string_view master, bool* ok) {
  std::string_view e = file.substr(offset, kEntry);
  const std::string wrap_key =
      keystore_testing::Hkdf(master, "actledger/keystore/wrap/v1");
  std::string aad = "actledger/subject-key/v1";
  aad.append(e.substr(8, 32));  // blind id
  aad.append(e.substr(40, 4));  // version, u32 little-endian
  return keystore_testing::GcmOpen(wrap_key, e.substr(52, 12), aad,
                                   e.substr(64, 48), ok);
}

class KeyStoreTest : public ::testing::Test {
 protected:
  std::string store() const { return dir_.path() + "/keys/subjects.keys"; }
  std::string temp() const { return dir_.path() + "/keys/subjects.keys.tmp"; }

  std::unique_ptr<KeyStore> Writer(char fill = 'm') {
    auto ks = KeyStore::OpenForWrite(dir_.path(),
                                     MasterKey::FromBytes(MasterBytes(fill)));
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    return ks.ok() ? std::move(ks).value() : nullptr;
  }
  std::unique_ptr<KeyStore> Reader(char fill = 'm') {
    auto ks = KeyStore::OpenForRead(dir_.path(),
                                    MasterKey::FromBytes(MasterBytes(fill)));
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    return ks.ok() ? std::move(ks).value() : nullptr;
  }

  TempDir dir_;
};

TEST(MasterKey, BlindIdIsHmacUnderHkdfDerivedKey) {
  const std::string master = MasterBytes('m');
  const std::string expected = Hex(keystore_testing::Hmac(
      keystore_testing::Hkdf(master, "actledger/blind-index/v1"),
      "customer:44821"));
  EXPECT_EQ(MasterKey::FromBytes(master).BlindId("customer:44821"), expected);
  // Stable for one master key, keyed: another master gives another id, and
  // another subject another id.
  EXPECT_EQ(MasterKey::FromBytes(master).BlindId("customer:44821"), expected);
  EXPECT_NE(MasterKey::FromBytes(MasterBytes('n')).BlindId("customer:44821"),
            expected);
  EXPECT_NE(MasterKey::FromBytes(master).BlindId("customer:44822"), expected);
  EXPECT_EQ(expected.size(), 64u);
}

TEST(MasterKey, CreateWritesThirtyTwoBytesPrivateAndRefusesToReplace) {
  TempDir dir;
  const std::string path = dir.path() + "/secrets/master.key";
  ASSERT_TRUE(MasterKey::Create(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string bytes = Slurp(path);
  EXPECT_EQ(bytes.size(), 32u);
  Result<MasterKey> loaded = MasterKey::Load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->BlindId("a:b"), MasterKey::FromBytes(bytes).BlindId("a:b"));
  Result<MasterKey> again = MasterKey::Create(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Slurp(path), bytes);
}

TEST(MasterKey, LoadNamesMissingAndMisSizedFiles) {
  TempDir dir;
  Result<MasterKey> missing = MasterKey::Load(dir.path() + "/none.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(kMasterKeyEnv), std::string::npos);
  Spit(dir.path() + "/short.key", "0123456789");
  Result<MasterKey> short_key = MasterKey::Load(dir.path() + "/short.key");
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.status().message().find("10 bytes"), std::string::npos);
  // LoadOrCreate creates only when allowed.
  EXPECT_FALSE(MasterKey::LoadOrCreate(dir.path() + "/n.key", false).ok());
  EXPECT_TRUE(MasterKey::LoadOrCreate(dir.path() + "/n.key", true).ok());
}

TEST(MasterKey, PathPrecedenceExplicitThenEnvThenLedgerJsonThenDefault) {
  TempDir dir;
  ::unsetenv(kMasterKeyEnv);
  EXPECT_EQ(MasterKeyPath(dir.path(), ""), dir.path() + "/keys/master.key");
  Spit(dir.path() + "/ledger.json",
       R"({"format":1,"master_key_file":"/run/secrets/actledger-master"})");
  EXPECT_EQ(MasterKeyPath(dir.path(), ""), "/run/secrets/actledger-master");
  Spit(dir.path() + "/ledger.json", R"({"master_key_file":"k/m.key"})");
  EXPECT_EQ(MasterKeyPath(dir.path(), ""), dir.path() + "/k/m.key");
  ::setenv(kMasterKeyEnv, "/mnt/vault/m.key", 1);
  EXPECT_EQ(MasterKeyPath(dir.path(), ""), "/mnt/vault/m.key");
  EXPECT_EQ(MasterKeyPath(dir.path(), "/explicit"), "/explicit");
  ::unsetenv(kMasterKeyEnv);
}

TEST(Subject, ParseSplitsAtFirstColonAndNamesTheField) {
  Result<Subject> s = ParseSubject("customer:cus:44821");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, "customer");
  EXPECT_EQ(s->id, "cus:44821");
  for (std::string_view bad : {"customer", ":1", "customer:", ""}) {
    Result<Subject> r = ParseSubject(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "subject");
  }
}

TEST_F(KeyStoreTest, CreatedKeyIsStoredWrappedAsDocumented) {
  const std::string master = MasterBytes('m');
  std::string key;
  {
    auto ks = Writer();
    Result<SubjectKey> k = ks->GetOrCreate("customer:44821");
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    EXPECT_EQ(k->version, 1u);
    EXPECT_EQ(k->blind_id,
              MasterKey::FromBytes(master).BlindId("customer:44821"));
    key = std::string(k->key.view());
    // Asking again returns the same key, without a new entry.
    Result<SubjectKey> again = ks->GetOrCreate("customer:44821");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->key.view(), key);
  }
  const std::string file = Slurp(store());
  // Header, the seal of the empty store it started as, one key entry.
  ASSERT_EQ(file.size(), kHeader + 2 * kEntry);
  EXPECT_EQ(file.substr(0, 8), "ALKEYS01");
  EXPECT_EQ(U32(file, 60), crypto::Crc32c(file.data(), 60));
  EXPECT_EQ(file.substr(8, 32),
            keystore_testing::Hmac(
                keystore_testing::Hkdf(master, "actledger/keystore/check/v1"),
                "actledger key store v1"));
  const size_t at = kHeader + kEntry;
  EXPECT_EQ(file[at + 4], 1);  // type: key
  EXPECT_EQ(Hex(file.substr(at + 8, 32)),
            MasterKey::FromBytes(master).BlindId("customer:44821"));
  EXPECT_EQ(U32(file, at + 40), 1u);
  EXPECT_EQ(U32(file, at), crypto::Crc32c(file.data() + at + 4, kEntry - 4));
  bool ok = false;
  EXPECT_EQ(UnwrapIndependently(file, at, master, &ok), key);
  EXPECT_TRUE(ok);
  // Neither the key in the clear nor the subject's id is in any file.
  EXPECT_TRUE(FilesContaining(dir_.path(), key).empty());
  EXPECT_TRUE(FilesContaining(dir_.path(), "44821").empty());
}

TEST_F(KeyStoreTest, KeysSurviveReopenAndReadersSeeLaterKeys) {
  auto w = Writer();
  Result<std::vector<SubjectKey>> ks =
      w->GetOrCreateMany({"customer:1", "patient:2", "customer:1"});
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  ASSERT_EQ(ks->size(), 3u);
  EXPECT_EQ((*ks)[0].key.view(), (*ks)[2].key.view());
  EXPECT_NE((*ks)[0].key.view(), (*ks)[1].key.view());
  auto r = Reader();
  Result<KeyLookup> a = r->Find((*ks)[1].blind_id, 1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, KeyLookup::State::kLive);
  EXPECT_EQ(a->key.view(), (*ks)[1].key.view());
  // Created after the reader read the file.
  Result<SubjectKey> later = w->GetOrCreate("customer:3");
  ASSERT_TRUE(later.ok());
  Result<KeyLookup> b = r->Find(later->blind_id, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->state, KeyLookup::State::kLive);
  EXPECT_EQ(b->key.view(), later->key.view());
  EXPECT_EQ(r->Find(later->blind_id, 2)->state, KeyLookup::State::kUnknown);
  // Readers cannot create or destroy.
  EXPECT_EQ(r->GetOrCreate("customer:4").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(r->Destroy("customer:1").status().code(),
            StatusCode::kFailedPrecondition);
  w.reset();
  auto w2 = Writer();
  EXPECT_EQ(w2->live_keys(), 3u);
  EXPECT_EQ(w2->GetOrCreate("patient:2")->key.view(), (*ks)[1].key.view());
}

TEST_F(KeyStoreTest, SecondWriterIsRefusedWhileTheFirstIsOpen) {
  auto w = Writer();
  auto second = KeyStore::OpenForWrite(dir_.path(),
                                       MasterKey::FromBytes(MasterBytes('m')));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST_F(KeyStoreTest, WrongMasterKeyFailsCleanly) {
  ASSERT_TRUE(Writer()->GetOrCreate("customer:1").ok());
  const std::string before = Slurp(store());
  for (bool write : {true, false}) {
    auto other = write
                     ? KeyStore::OpenForWrite(
                           dir_.path(), MasterKey::FromBytes(MasterBytes('x')))
                     : KeyStore::OpenForRead(
                           dir_.path(), MasterKey::FromBytes(MasterBytes('x')));
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(other.status().message().find("another master key"),
              std::string::npos);
  }
  EXPECT_EQ(Slurp(store()), before);  // nothing touched
}

TEST_F(KeyStoreTest, ChangedEntryIsDetected) {
  std::string blind;
  {
    auto w = Writer();
    blind = w->GetOrCreate("customer:1")->blind_id;
    ASSERT_TRUE(w->GetOrCreate("customer:2").ok());
  }
  const std::string good = Slurp(store());
  const size_t at = kHeader + kEntry;  // customer:1's entry
  // A flipped bit without a fixed checksum: the CRC names the offset.
  std::string bad = good;
  bad[at + 70] ^= 1;
  Spit(store(), bad);
  auto r1 = KeyStore::OpenForRead(dir_.path(),
                                  MasterKey::FromBytes(MasterBytes('m')));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r1.status().message().find("offset " + std::to_string(at)),
            std::string::npos);
  // With the checksum recomputed, authentication catches it.
  auto fix_crc = [](std::string* f, size_t off) {
    const uint32_t crc = crypto::Crc32c(f->data() + off + 4, kEntry - 4);
    for (int i = 0; i < 4; ++i)
      (*f)[off + i] = static_cast<char>(crc >> (8 * i));
  };
  fix_crc(&bad, at);
  Spit(store(), bad);
  {
    auto r = Reader();
    Result<KeyLookup> l = r->Find(blind, 1);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), StatusCode::kDataLoss);
  }
  // A wrapped key moved under another subject's blind id fails too: the
  // blind id is the wrap's associated data.
  std::string moved = good;
  std::memcpy(moved.data() + at + 52, good.data() + at + kEntry + 52, 60);
  fix_crc(&moved, at);
  Spit(store(), moved);
  auto r = Reader();
  EXPECT_EQ(r->Find(blind, 1).status().code(), StatusCode::kDataLoss);
}

TEST_F(KeyStoreTest, DestroyLeavesNoCopyOfTheWrappedKeyInAnyFile) {
  std::string blind, other_key;
  {
    auto w = Writer();
    Result<SubjectKey> k = w->GetOrCreate("customer:44821");
    ASSERT_TRUE(k.ok());
    blind = k->blind_id;
    other_key = std::string(w->GetOrCreate("customer:7")->key.view());
    const std::string wrapped =
        Slurp(store()).substr(kHeader + kEntry + 52, 60);  // iv+sealed
    ASSERT_EQ(FilesContaining(dir_.path(), wrapped).size(), 1u);
    Result<DestroyResult> d = w->Destroy("customer:44821");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(d->had_key);
    EXPECT_EQ(d->version, 1u);
    EXPECT_EQ(d->blind_id, blind);
    EXPECT_TRUE(FilesContaining(dir_.path(), wrapped).empty());
    EXPECT_TRUE(FilesContaining(dir_.path(), wrapped.substr(12)).empty());
    EXPECT_FALSE(std::filesystem::exists(temp()));
    EXPECT_EQ(w->Find(blind, 1)->state, KeyLookup::State::kErased);
    // Idempotent.
    Result<DestroyResult> again = w->Destroy("customer:44821");
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->already_erased);
    EXPECT_FALSE(again->had_key);
  }
  auto w = Writer();
  EXPECT_EQ(w->Find(blind, 1)->state, KeyLookup::State::kErased);
  EXPECT_EQ(w->live_keys(), 1u);
  EXPECT_EQ(w->tombstones(), 1u);
  EXPECT_EQ(w->GetOrCreate("customer:7")->key.view(), other_key);
  // A later record about the same subject gets a new key, version 2; the
  // erased version stays erased.
  Result<SubjectKey> fresh = w->GetOrCreate("customer:44821");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->version, 2u);
  EXPECT_EQ(w->Find(blind, 1)->state, KeyLookup::State::kErased);
  EXPECT_EQ(w->Find(blind, 2)->state, KeyLookup::State::kLive);
}

TEST_F(KeyStoreTest, CrashAfterTheRewriteWasSyncedRollsForward) {
  for (auto point : {KeyStore::CrashPoint::kAfterTempSynced,
                     KeyStore::CrashPoint::kAfterWipe}) {
    SCOPED_TRACE(static_cast<int>(point));
    std::filesystem::remove_all(dir_.path() + "/keys");
    std::string blind, wrapped;
    {
      auto w = Writer();
      blind = w->GetOrCreate("customer:1")->blind_id;
      ASSERT_TRUE(w->GetOrCreate("customer:2").ok());
      wrapped = Slurp(store()).substr(kHeader + kEntry + 52, 60);
      w->SetCrashPointForTesting(point);
      EXPECT_EQ(w->Destroy("customer:1").status().code(),
                StatusCode::kInternal);
    }
    ASSERT_TRUE(std::filesystem::exists(temp()));
    // A reader in the window already sees the finished rewrite.
    EXPECT_EQ(Reader()->Find(blind, 1)->state, KeyLookup::State::kErased);
    auto w = Writer();
    EXPECT_TRUE(w->recovery().rolled_forward);
    EXPECT_FALSE(std::filesystem::exists(temp()));
    EXPECT_EQ(w->Find(blind, 1)->state, KeyLookup::State::kErased);
    EXPECT_EQ(w->live_keys(), 1u);
    EXPECT_TRUE(FilesContaining(dir_.path(), wrapped).empty());
  }
}

TEST_F(KeyStoreTest, IncompleteRewriteIsDiscardedAndTheOldStoreStands) {
  std::string blind, key;
  {
    auto w = Writer();
    Result<SubjectKey> k = w->GetOrCreate("customer:1");
    blind = k->blind_id;
    key = std::string(k->key.view());
    w->SetCrashPointForTesting(KeyStore::CrashPoint::kAfterTempSynced);
    EXPECT_FALSE(w->Destroy("customer:1").ok());
  }
  // The crash came earlier: the temp file lost its seal (torn write).
  const std::string t = Slurp(temp());
  Spit(temp(), t.substr(0, t.size() - 30));
  auto w = Writer();
  EXPECT_TRUE(w->recovery().discarded_temp);
  EXPECT_FALSE(std::filesystem::exists(temp()));
  Result<KeyLookup> l = w->Find(blind, 1);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->state, KeyLookup::State::kLive);
  EXPECT_EQ(l->key.view(), key);
}

TEST_F(KeyStoreTest, TornAppendIsCutAndEarlierKeysStay) {
  std::string blind;
  {
    auto w = Writer();
    blind = w->GetOrCreate("customer:1")->blind_id;
  }
  const std::string good = Slurp(store());
  Spit(store(), good + std::string(50, 'x'));
  auto w = Writer();
  EXPECT_EQ(w->recovery().tail_bytes_cut, 50u);
  EXPECT_EQ(Slurp(store()), good);
  EXPECT_EQ(w->Find(blind, 1)->state, KeyLookup::State::kLive);
  ASSERT_TRUE(w->GetOrCreate("customer:2").ok());
  w.reset();
  EXPECT_EQ(Writer()->live_keys(), 2u);
}

}  // namespace
}  // namespace actledger::keystore
