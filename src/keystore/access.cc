#include "keystore/access.h"

#include <utility>

#include "storage/file.h"

namespace actledger::keystore {

bool HasKeyStore(const std::string& dir) {
  return storage::PathExists(dir + "/" + kStoreFile) ||
         storage::PathExists(dir + "/" + kStoreTempFile);
}

Result<MasterKey> LoadMasterKey(const std::string& dir,
                                const std::string& explicit_path) {
  return MasterKey::LoadOrCreate(MasterKeyPath(dir, explicit_path),
                                 /*may_create=*/!HasKeyStore(dir));
}

Result<KeyStore*> WriterKeys::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (store_ == nullptr) {
    ACTLEDGER_ASSIGN_OR_RETURN(MasterKey master, LoadMasterKey(dir_, ""));
    ACTLEDGER_ASSIGN_OR_RETURN(store_, KeyStore::OpenForWrite(dir_, master));
  }
  return store_.get();
}

KeyStore* WriterKeys::opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.get();
}

std::optional<std::string> BlindIdForLookup(const std::string& dir,
                                            std::string_view subject_text,
                                            std::string* warning) {
  if (!HasKeyStore(dir)) return std::nullopt;
  Result<MasterKey> master = MasterKey::Load(MasterKeyPath(dir, ""));
  if (!master.ok()) {
    if (warning != nullptr) {
      *warning = "encrypted records cannot be looked up by subject: " +
                 master.status().message();
    }
    return std::nullopt;
  }
  return master->BlindId(subject_text);
}

RecordDecryptor::RecordDecryptor(std::string dir, KeyStore* keys, View view)
    : dir_(std::move(dir)), borrowed_(keys), view_(view) {}

RecordDecryptor::RecordDecryptor(RecordDecryptor&& other) noexcept
    : dir_(std::move(other.dir_)),
      borrowed_(other.borrowed_),
      view_(other.view_),
      tried_(other.tried_),
      owned_(std::move(other.owned_)),
      warning_(std::move(other.warning_)) {}

RecordDecryptor::~RecordDecryptor() = default;

RecordDecryptor RecordDecryptor::ForDir(std::string dir, View view) {
  return RecordDecryptor(std::move(dir), nullptr, view);
}

RecordDecryptor RecordDecryptor::WithStore(KeyStore* keys, View view) {
  return RecordDecryptor("", keys, view);
}

KeyStore* RecordDecryptor::Keys() const {
  if (borrowed_ != nullptr || dir_.empty()) return borrowed_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!tried_) {
    tried_ = true;
    // Readers never create a master key: without one there is nothing
    // they could decrypt.
    Result<MasterKey> master = MasterKey::Load(MasterKeyPath(dir_, ""));
    if (!master.ok()) {
      warning_ = "personal fields are shown as \"[redacted]\": " +
                 master.status().message();
      return nullptr;
    }
    Result<std::unique_ptr<KeyStore>> store =
        KeyStore::OpenForRead(dir_, *master);
    if (!store.ok()) {
      warning_ = "personal fields are shown as \"[redacted]\": " +
                 store.status().message();
      return nullptr;
    }
    owned_ = std::move(store).value();
  }
  return owned_.get();
}

Status RecordDecryptor::Decrypt(json::Value* record) const {
  if (!record->is_object() || record->Find(kPersonalMember) == nullptr) {
    return Status::Ok();
  }
  KeyStore* keys = view_ == View::kPlaintext ? Keys() : nullptr;
  const View view = keys == nullptr ? View::kRedactedOnly : view_;
  return DecryptRecord(record, keys, view).status();
}

Result<json::Value> RecordDecryptor::Parse(std::string_view stored) const {
  ACTLEDGER_ASSIGN_OR_RETURN(json::Value v, json::Parse(stored));
  ACTLEDGER_RETURN_IF_ERROR(Decrypt(&v));
  return v;
}

Result<std::string> RecordDecryptor::Render(std::string_view stored) const {
  // In canonical JSON a quote inside a string is escaped, so a record
  // without this byte sequence has no `personal` member at any depth.
  constexpr std::string_view kNeedle = "\"personal\":";
  static_assert(kNeedle.substr(1, kNeedle.size() - 3) == kPersonalMember);
  if (stored.find(kNeedle) == std::string_view::npos) {
    return std::string(stored);
  }
  ACTLEDGER_ASSIGN_OR_RETURN(json::Value v, json::Parse(stored));
  if (!v.is_object() || v.Find(kPersonalMember) == nullptr) {
    return std::string(stored);
  }
  ACTLEDGER_RETURN_IF_ERROR(Decrypt(&v));
  return json::Canonical(v);
}

std::string RecordDecryptor::warning() const {
  std::lock_guard<std::mutex> lock(mu_);
  return warning_;
}

}  // namespace actledger::keystore
