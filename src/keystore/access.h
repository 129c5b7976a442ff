// How writers and readers of a data directory reach its key store
// (docs/ERASURE.md, "Where encryption happens").
//
// Writers encrypt through one WriterKeys per process, opened on first use
// so that a ledger whose policy lists no personal fields never gets a key
// store or a master key:
//
//   keystore::WriterKeys keys(dir);
//   ACTLEDGER_ASSIGN_OR_RETURN(keystore::KeyStore* ks, keys.Get());
//
// Readers render stored records through a RecordDecryptor, which turns the
// envelopes back into values (or "[erased]", "[redacted]"):
//
//   keystore::RecordDecryptor d =
//       keystore::RecordDecryptor::ForDir(dir, keystore::View::kPlaintext);
//   ACTLEDGER_ASSIGN_OR_RETURN(std::string readable, d.Render(stored));
//
// Thread safety: both classes may be used from many threads.
#ifndef ACTLEDGER_KEYSTORE_ACCESS_H_
#define ACTLEDGER_KEYSTORE_ACCESS_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "actledger/json.h"
#include "actledger/status.h"
#include "keystore/field_crypto.h"
#include "keystore/keystore.h"

namespace actledger::keystore {

// Whether DIR has a key store (some record was ever encrypted, or a
// subject erased or held).
bool HasKeyStore(const std::string& dir);

// Loads the master key of DIR (MasterKeyPath(dir, explicit_path)),
// creating it only when DIR has no key store yet: a new master key next to
// an existing store would orphan every key in it.
Result<MasterKey> LoadMasterKey(const std::string& dir,
                                const std::string& explicit_path);

// The key store a writer process encrypts with: opened for writing on the
// first Get() and kept (with its lock) until destroyed.
class WriterKeys {
 public:
  explicit WriterKeys(std::string dir) : dir_(std::move(dir)) {}
  // Errors: those of LoadMasterKey and KeyStore::OpenForWrite; a failure
  // is not remembered, so the next call tries again.
  Result<KeyStore*> Get();
  // The store when Get() has opened it, else null.
  KeyStore* opened() const;

 private:
  std::string dir_;
  mutable std::mutex mu_;
  std::unique_ptr<KeyStore> store_;
};

// The blind id of "TYPE:ID" under DIR's master key, for subject lookups in
// the index; nullopt when DIR has no key store (nothing was encrypted) or
// its master key cannot be read (then `*warning` says why, if given).
std::optional<std::string> BlindIdForLookup(const std::string& dir,
                                            std::string_view subject_text,
                                            std::string* warning = nullptr);

// Renders stored records for one reader.
class RecordDecryptor {
 public:
  // Reads DIR's key store (opened on first need). When DIR has no key
  // store there is nothing to decrypt; when its master key cannot be read,
  // personal fields render as "[redacted]" and warning() says why.
  static RecordDecryptor ForDir(std::string dir, View view);
  // Decrypts with `keys` (a writer's open store, which outlives this);
  // null: no keys, personal fields render as "[redacted]".
  static RecordDecryptor WithStore(KeyStore* keys, View view);

  RecordDecryptor(RecordDecryptor&& other) noexcept;
  RecordDecryptor& operator=(RecordDecryptor&& other) = delete;
  RecordDecryptor(const RecordDecryptor&) = delete;
  RecordDecryptor& operator=(const RecordDecryptor&) = delete;
  ~RecordDecryptor();

  // The readable record for stored canonical bytes: `stored` itself when
  // it has no encrypted fields, else the record with its personal fields
  // decrypted, canonical JSON. Errors: kDataLoss naming the field (see
  // DecryptRecord).
  Result<std::string> Render(std::string_view stored) const;
  // The same, parsed.
  Result<json::Value> Parse(std::string_view stored) const;
  // In place, for a record already parsed.
  Status Decrypt(json::Value* record) const;

  // Non-empty when personal fields are redacted because keys are missing.
  std::string warning() const;
  View view() const { return view_; }

 private:
  RecordDecryptor(std::string dir, KeyStore* keys, View view);
  // The store to decrypt with, or null for the redacted view.
  KeyStore* Keys() const;

  std::string dir_;
  KeyStore* borrowed_ = nullptr;
  View view_;
  mutable std::mutex mu_;
  mutable bool tried_ = false;
  mutable std::unique_ptr<KeyStore> owned_;
  mutable std::string warning_;
};

}  // namespace actledger::keystore

#endif  // ACTLEDGER_KEYSTORE_ACCESS_H_
