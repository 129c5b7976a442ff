// Per-subject keys for personal data, wrapped under a master key, and their
// unrecoverable destruction (GDPR erasure; docs/ERASURE.md).
//
// The master key is 32 random bytes in a file outside the ledger's reach
// when the operator wants it so (ACTLEDGER_MASTER_KEY_FILE, ledger.json
// `master_key_file`, default DIR/keys/master.key). Three keys are derived
// from it with HKDF-SHA-256: one wraps subject keys, one computes blind
// ids, one checks that a key store belongs to this master key.
//
// A data subject is "TYPE:ID" (customer:44821). Its blind id is
// HMAC-SHA-256(blind key, "TYPE:ID") in lowercase hex: what records and the
// index carry instead of the subject's id. Its key is 32 random bytes,
// stored AES-256-GCM-wrapped in DIR/keys/subjects.keys (format in
// docs/ERASURE.md), never in the clear and never next to the plaintext id.
//
//   ACTLEDGER_ASSIGN_OR_RETURN(keystore::MasterKey master,
//       keystore::MasterKey::LoadOrCreate(keystore::MasterKeyPath(dir, "")));
//   ACTLEDGER_ASSIGN_OR_RETURN(auto ks, keystore::KeyStore::OpenForWrite(dir,
//                                                                 master));
//   ACTLEDGER_ASSIGN_OR_RETURN(keystore::SubjectKey k,
//                              ks->GetOrCreate("customer:44821"));
//   ...
//   ACTLEDGER_ASSIGN_OR_RETURN(keystore::DestroyResult d,
//                              ks->Destroy("customer:44821"));
//
// Erasure: Destroy() rewrites the store without the key (temporary file,
// fsync, rename, fsync of the directory) after overwriting the key's slot
// in the old file, and leaves a tombstone (blind id and version, no key
// material) so that ciphertexts under the destroyed key read as erased,
// never as "key missing". A crash at any point leaves either the old or
// the new store; OpenForWrite() finishes or discards a rewrite it finds.
//
// Concurrency: one writer process (the holder of the ledger lock; the key
// store also flocks DIR/keys/subjects.lock); any number of readers, which
// re-read the file when asked for a key they do not know.
// Thread safety: a KeyStore may be used from many threads.
#ifndef ACTLEDGER_KEYSTORE_KEYSTORE_H_
#define ACTLEDGER_KEYSTORE_KEYSTORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/status.h"

namespace actledger::keystore {

constexpr size_t kKeyBytes = 32;
constexpr char kMasterKeyEnv[] = "ACTLEDGER_MASTER_KEY_FILE";
constexpr char kDefaultMasterKeyFile[] = "keys/master.key";
constexpr char kStoreFile[] = "keys/subjects.keys";
constexpr char kStoreTempFile[] = "keys/subjects.keys.tmp";
constexpr char kStoreLockFile[] = "keys/subjects.lock";

// 32 secret bytes, wiped when destroyed.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view bytes);  // precondition: kKeyBytes long
  ~Secret();
  Secret(const Secret& other) = default;
  Secret& operator=(const Secret& other) = default;
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  std::array<uint8_t, kKeyBytes> bytes_{};
};

// A data subject "TYPE:ID", split at the first ':'. Errors: kInvalidArgument
// (field "subject") when either part is empty or there is no ':'.
struct Subject {
  std::string type;
  std::string id;
  std::string text() const { return type + ":" + id; }
};
Result<Subject> ParseSubject(std::string_view text);

// Where the master key file is: `explicit_path` when given, else
// $ACTLEDGER_MASTER_KEY_FILE, else DIR/ledger.json's `master_key_file`,
// else DIR/keys/master.key. Relative paths from ledger.json are relative
// to DIR.
std::string MasterKeyPath(const std::string& dir,
                          const std::string& explicit_path);

class MasterKey {
 public:
  // Reads exactly 32 bytes. Errors: kNotFound (naming the path and how to
  // configure another), kInvalidArgument for a file of another size,
  // kIoError.
  static Result<MasterKey> Load(const std::string& path);
  // Creates the file (mode 0600, parent directory created, synced) with 32
  // bytes from RAND_bytes. kFailedPrecondition when it exists.
  static Result<MasterKey> Create(const std::string& path);
  // Load(), or Create() when the file does not exist AND `may_create`.
  static Result<MasterKey> LoadOrCreate(const std::string& path,
                                        bool may_create);
  static MasterKey FromBytes(std::string_view bytes);  // precondition: 32

  // Lowercase hex HMAC-SHA-256 of `subject_text` ("TYPE:ID") under the
  // blind-index key. Stable for one master key; unrelated across keys.
  std::string BlindId(std::string_view subject_text) const;

  const Secret& wrap_key() const { return wrap_key_; }
  const Secret& check_key() const { return check_key_; }

 private:
  MasterKey() = default;
  Secret wrap_key_, blind_key_, check_key_;
};

// A subject's live key.
struct SubjectKey {
  std::string blind_id;  // lowercase hex
  uint32_t version = 0;  // 1 for the first key; +1 after each erasure
  Secret key;
};

// What the store knows about (blind id, version).
struct KeyLookup {
  enum class State { kLive, kErased, kUnknown };
  State state = State::kUnknown;
  Secret key;  // when kLive
};

struct DestroyResult {
  std::string blind_id;
  uint32_t version = 0;         // versions up to this one are now erased
  bool had_key = false;         // a live key was destroyed by this call
  bool already_erased = false;  // no live key; an earlier erasure stands
};

// What opening found and repaired.
struct KeyStoreRecovery {
  bool rolled_forward = false;  // a complete rewrite was installed
  bool discarded_temp = false;  // an incomplete rewrite was removed
  uint64_t tail_bytes_cut = 0;  // a torn, unacknowledged new key
};

class KeyStore {
 public:
  // Takes the key store lock (kUnavailable when another process has it),
  // finishes or discards an interrupted rewrite, cuts a torn tail, and
  // creates an empty store when there is none. Errors: kPermissionDenied
  // when the store was made under another master key, kDataLoss when an
  // entry fails its checksum or authentication, kIoError.
  static Result<std::unique_ptr<KeyStore>> OpenForWrite(
      const std::string& dir, const MasterKey& master);
  // Reads without locking or repairing; a missing store is empty. Same
  // errors as OpenForWrite, except that a torn tail is ignored.
  static Result<std::unique_ptr<KeyStore>> OpenForRead(const std::string& dir,
                                                       const MasterKey& master);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  std::string BlindId(std::string_view subject_text) const {
    return master_.BlindId(subject_text);
  }

  // The subject's live key, created first when it has none (also after an
  // erasure: the new key gets the next version). A created key is durable
  // before this returns. kFailedPrecondition when opened for reading.
  Result<SubjectKey> GetOrCreate(std::string_view subject_text);
  // GetOrCreate for many subjects with one fdatasync for all new keys.
  Result<std::vector<SubjectKey>> GetOrCreateMany(
      const std::vector<std::string>& subject_texts);

  // The key for (blind id, version). A reader re-reads the store once when
  // it does not know the pair (a writer may have added it). kDataLoss when
  // the wrapped key fails authentication.
  Result<KeyLookup> Find(std::string_view blind_id, uint32_t version);

  // Destroys the subject's live key unrecoverably (see the file comment)
  // and leaves a tombstone. Idempotent: a subject without a live key gets a
  // tombstone too (already_erased says whether one existed).
  Result<DestroyResult> Destroy(std::string_view subject_text);

  // The subject's live key version (0: none) and the version its
  // erasures reach (0: never erased).
  struct Versions {
    uint32_t live = 0;
    uint32_t erased_through = 0;
  };
  Versions VersionsOf(std::string_view subject_text) const;

  const KeyStoreRecovery& recovery() const { return recovery_; }

  // Crash tests: Destroy() stops as if the process died at this point,
  // returning kInternal and leaving the files as they are.
  enum class CrashPoint { kNone, kAfterTempSynced, kAfterWipe };
  void SetCrashPointForTesting(CrashPoint p) { crash_point_ = p; }
  // Live keys and tombstones, for tests and `keys` statistics.
  size_t live_keys() const;
  size_t tombstones() const;

  // Internal state of one blind id; public for the file codec.
  struct Slot {
    uint32_t live_version = 0;  // 0: no live key
    uint64_t offset = 0;        // of the live key's entry in the file
    std::string iv, sealed;     // of the live key
    int64_t created_at = 0;
    uint32_t erased_through = 0;  // 0: never erased
    int64_t erased_at = 0;
  };

 private:
  KeyStore(std::string dir, const MasterKey& master, bool writable);
  Status Load(bool repair);
  Result<std::vector<SubjectKey>> GetOrCreateLocked(
      const std::vector<std::string>& subject_texts);
  Result<Secret> Unwrap(const std::string& blind_raw, const Slot& slot) const;

  std::string dir_;
  MasterKey master_;
  bool writable_;
  int lock_fd_ = -1;
  int fd_ = -1;             // the store file, writer only
  uint64_t file_size_ = 0;  // writer: where the next entry goes
  uint64_t entries_ = 0;    // entries in the file, seals excluded
  KeyStoreRecovery recovery_;
  CrashPoint crash_point_ = CrashPoint::kNone;
  mutable std::mutex mu_;
  std::map<std::string, Slot> slots_;  // by raw 32-byte blind id
};

}  // namespace actledger::keystore

#endif  // ACTLEDGER_KEYSTORE_KEYSTORE_H_
