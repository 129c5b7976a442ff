// The subject key store file (docs/ERASURE.md, "The key store file").
//
// Invariants:
// - Every entry is kEntryBytes long and starts at kHeaderBytes + k *
//   kEntryBytes, so an entry can be overwritten in place without moving
//   anything, and a torn append is a short or unauthenticated last entry.
// - A key is durable (fdatasync) before GetOrCreate returns it, so no
//   record is ever encrypted under a key a crash can lose.
// - A complete rewrite ends in a seal entry that counts the entries before
//   it; a temporary file without one is an interrupted rewrite.
#include "keystore/keystore.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "actledger/json.h"
#include "common/encoding.h"
#include "common/time.h"
#include "crypto/crc32c.h"
#include "keystore/primitives.h"
#include "storage/file.h"

namespace actledger::keystore {
namespace {

constexpr char kMagic[8] = {'A', 'L', 'K', 'E', 'Y', 'S', '0', '1'};
constexpr size_t kHeaderBytes = 64;
constexpr size_t kEntryBytes = 112;
constexpr uint8_t kTypeKey = 1;
constexpr uint8_t kTypeTombstone = 2;
constexpr uint8_t kTypeSeal = 3;
// Offsets inside an entry.
constexpr size_t kOffType = 4;
constexpr size_t kOffBlind = 8;
constexpr size_t kOffVersion = 40;
constexpr size_t kOffTime = 44;
constexpr size_t kOffIv = 52;
constexpr size_t kOffSealed = 64;
constexpr size_t kSealedBytes = kKeyBytes + internal::kTagBytes;
static_assert(kOffSealed + kSealedBytes == kEntryBytes);

constexpr char kCheckLabel[] = "actledger key store v1";
constexpr char kWrapAadLabel[] = "actledger/subject-key/v1";

void PutU32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}
void PutI64(std::string* s, size_t at, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) (*s)[at + i] = static_cast<char>(u >> (8 * i));
}
uint32_t GetU32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return v;
}
int64_t GetI64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return static_cast<int64_t>(v);
}

std::string WrapAad(std::string_view blind_raw, uint32_t version) {
  std::string aad(kWrapAadLabel);
  aad.append(blind_raw);
  aad.append(4, '\0');
  PutU32(&aad, aad.size() - 4, version);
  return aad;
}

std::string Entry(uint8_t type, std::string_view blind_raw, uint32_t version,
                  int64_t time, std::string_view iv, std::string_view sealed) {
  std::string e(kEntryBytes, '\0');
  e[kOffType] = static_cast<char>(type);
  // std::string::replace, not memcpy: the views may be empty (and null).
  e.replace(kOffBlind, blind_raw.size(), blind_raw);
  PutU32(&e, kOffVersion, version);
  PutI64(&e, kOffTime, time);
  e.replace(kOffIv, iv.size(), iv);
  e.replace(kOffSealed, sealed.size(), sealed);
  PutU32(&e, 0, crypto::Crc32c(e.data() + 4, kEntryBytes - 4));
  return e;
}

std::string Header(const MasterKey& master, int64_t created_at) {
  std::string h(kHeaderBytes, '\0');
  std::memcpy(h.data(), kMagic, sizeof kMagic);
  const std::string check =
      internal::HmacSha256(master.check_key().view(), kCheckLabel);
  std::memcpy(h.data() + 8, check.data(), check.size());
  PutI64(&h, 40, created_at);
  PutU32(&h, 60, crypto::Crc32c(h.data(), 60));
  return h;
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

std::string Rel(const std::string& dir, const std::string& path) {
  return path.size() > dir.size() + 1 ? path.substr(dir.size() + 1) : path;
}

// The parsed content of a store file.
struct Parsed {
  std::map<std::string, KeyStore::Slot> slots;
  uint64_t entries = 0;     // non-seal entry positions, wiped slots included
  uint64_t good_bytes = 0;  // header + entries up to the first torn one
  bool torn = false;        // bytes after good_bytes are an unfinished append
  bool sealed_at_end = false;
};

// Parses `bytes` (the file `name`). A temp file must be complete: any
// damage is an error there, and `strict` says so.
Result<Parsed> ParseStore(std::string_view bytes, const MasterKey& master,
                          const std::string& name, bool strict) {
  if (bytes.size() < kHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return DataLoss(name +
                    ": not a key store (bad magic or shorter than its "
                    "64-byte header)");
  }
  if (GetU32(bytes, 60) != crypto::Crc32c(bytes.data(), 60)) {
    return DataLoss(name + ": the header fails its CRC-32C");
  }
  const std::string check =
      internal::HmacSha256(master.check_key().view(), kCheckLabel);
  if (bytes.substr(8, 32) != check) {
    return PermissionDenied(
        name +
        ": the key store was created under another master key; point "
        "ACTLEDGER_MASTER_KEY_FILE (or ledger.json master_key_file) at the "
        "master key it was created with");
  }
  Parsed p;
  size_t at = kHeaderBytes;
  for (; at < bytes.size(); at += kEntryBytes) {
    if (bytes.size() - at < kEntryBytes) {
      if (strict) return DataLoss(name + ": ends inside an entry");
      p.torn = true;
      break;
    }
    std::string_view e = bytes.substr(at, kEntryBytes);
    p.sealed_at_end = false;
    if (AllZero(e)) {  // a slot wiped by an erasure in progress
      ++p.entries;
      continue;
    }
    if (GetU32(e, 0) != crypto::Crc32c(e.data() + 4, kEntryBytes - 4)) {
      if (!strict && at + kEntryBytes == bytes.size()) {
        p.torn = true;
        break;
      }
      return DataLoss(name + ": the entry at offset " + std::to_string(at) +
                      " fails its CRC-32C");
    }
    const uint8_t type = static_cast<uint8_t>(e[kOffType]);
    const std::string blind(e.substr(kOffBlind, 32));
    const uint32_t version = GetU32(e, kOffVersion);
    const int64_t time = GetI64(e, kOffTime);
    if (type == kTypeSeal) {
      if (static_cast<uint64_t>(time) != p.entries) {
        return DataLoss(name + ": the seal at offset " + std::to_string(at) +
                        " counts " + std::to_string(time) +
                        " entries before it, but there are " +
                        std::to_string(p.entries));
      }
      p.sealed_at_end = true;
      continue;
    }
    ++p.entries;
    if (version == 0 || (type != kTypeKey && type != kTypeTombstone)) {
      return DataLoss(name + ": the entry at offset " + std::to_string(at) +
                      " has type " + std::to_string(type) + " and version " +
                      std::to_string(version));
    }
    KeyStore::Slot& s = p.slots[blind];
    if (type == kTypeKey) {
      if (version > s.erased_through && version > s.live_version) {
        s.live_version = version;
        s.offset = at;
        s.iv = std::string(e.substr(kOffIv, internal::kIvBytes));
        s.sealed = std::string(e.substr(kOffSealed, kSealedBytes));
        s.created_at = time;
      }
    } else if (version > s.erased_through) {
      s.erased_through = version;
      s.erased_at = time;
      if (s.live_version <= version) {
        s.live_version = 0;
        internal::Wipe(&s.sealed);
        s.iv.clear();
      }
    }
  }
  p.good_bytes = std::min<uint64_t>(at, bytes.size());
  if (strict && !p.sealed_at_end) {
    return DataLoss(name + ": no seal at the end (an interrupted rewrite)");
  }
  return p;
}

Status WriteAll(int fd, uint64_t offset, std::string_view data,
                const std::string& path) {
  while (!data.empty()) {
    const ssize_t n =
        ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return storage::ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status Sync(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0)
    return storage::ErrnoStatus("fdatasync", path, errno);
  return Status::Ok();
}

}  // namespace

// --- Secret, Subject, MasterKey ---------------------------------------------

Secret::Secret(std::string_view bytes) {
  assert(bytes.size() == kKeyBytes);
  std::memcpy(bytes_.data(), bytes.data(), kKeyBytes);
}

Secret::~Secret() {
  // volatile: the compiler may not drop stores to an object about to die.
  volatile uint8_t* p = bytes_.data();
  for (size_t i = 0; i < kKeyBytes; ++i) p[i] = 0;
}

Result<Subject> ParseSubject(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      colon + 1 == text.size()) {
    return InvalidArgument("\"" + std::string(text) +
                               "\" is not a data subject TYPE:ID (e.g. "
                               "customer:44821)",
                           "subject");
  }
  return Subject{std::string(text.substr(0, colon)),
                 std::string(text.substr(colon + 1))};
}

std::string MasterKeyPath(const std::string& dir,
                          const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* env = std::getenv(kMasterKeyEnv);
      env != nullptr && *env != '\0') {
    return env;
  }
  if (Result<std::string> text = storage::ReadFile(dir + "/ledger.json");
      text.ok()) {
    if (Result<json::Value> v = json::Parse(*text); v.ok()) {
      const json::Value* p = v->Find("master_key_file");
      if (p != nullptr && p->is_string() && !p->as_string().empty()) {
        const std::string& path = p->as_string();
        return path.front() == '/' ? path : dir + "/" + path;
      }
    }
  }
  return dir + "/" + kDefaultMasterKeyFile;
}

MasterKey MasterKey::FromBytes(std::string_view bytes) {
  assert(bytes.size() == kKeyBytes);
  MasterKey m;
  std::string k = internal::HkdfSha256(bytes, "actledger/keystore/wrap/v1");
  m.wrap_key_ = Secret(k);
  internal::Wipe(&k);
  k = internal::HkdfSha256(bytes, "actledger/blind-index/v1");
  m.blind_key_ = Secret(k);
  internal::Wipe(&k);
  k = internal::HkdfSha256(bytes, "actledger/keystore/check/v1");
  m.check_key_ = Secret(k);
  internal::Wipe(&k);
  return m;
}

Result<MasterKey> MasterKey::Load(const std::string& path) {
  Result<std::string> bytes = storage::ReadFile(path);
  if (!bytes.ok()) {
    if (!storage::PathExists(path)) {
      return NotFound("no master key at " + path +
                      " (set ACTLEDGER_MASTER_KEY_FILE or ledger.json "
                      "master_key_file to where it is kept)");
    }
    return bytes.status();
  }
  if (bytes->size() != kKeyBytes) {
    const size_t n = bytes->size();
    internal::Wipe(&*bytes);
    return InvalidArgument("the master key " + path + " has " +
                               std::to_string(n) +
                               " bytes; it must be exactly 32 random bytes",
                           "master_key_file");
  }
  MasterKey m = FromBytes(*bytes);
  internal::Wipe(&*bytes);
  return m;
}

Result<MasterKey> MasterKey::Create(const std::string& path) {
  if (storage::PathExists(path)) {
    return FailedPrecondition("the master key " + path +
                              " exists already; refusing to replace it");
  }
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string parent = path.substr(0, slash);
    if (!storage::PathExists(parent)) {
      ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(parent, 0700));
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, internal::RandBytes(kKeyBytes));
  Result<storage::File> f =
      storage::File::Open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!f.ok()) {
    internal::Wipe(&bytes);
    return f.status();
  }
  Status st = f->Append(bytes);
  if (st.ok()) st = f->Sync();
  if (st.ok()) {
    st = storage::SyncDir(slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash));
  }
  if (!st.ok()) {
    internal::Wipe(&bytes);
    return st;
  }
  MasterKey m = FromBytes(bytes);
  internal::Wipe(&bytes);
  return m;
}

Result<MasterKey> MasterKey::LoadOrCreate(const std::string& path,
                                          bool may_create) {
  if (may_create && !storage::PathExists(path)) return Create(path);
  return Load(path);
}

std::string MasterKey::BlindId(std::string_view subject_text) const {
  return HexEncode(internal::HmacSha256(blind_key_.view(), subject_text));
}

// --- KeyStore ---------------------------------------------------------------

KeyStore::KeyStore(std::string dir, const MasterKey& master, bool writable)
    : dir_(std::move(dir)), master_(master), writable_(writable) {}

KeyStore::~KeyStore() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  for (auto& [blind, slot] : slots_) internal::Wipe(&slot.sealed);
}

Result<std::unique_ptr<KeyStore>> KeyStore::OpenForWrite(
    const std::string& dir, const MasterKey& master) {
  std::unique_ptr<KeyStore> ks(new KeyStore(dir, master, true));
  const std::string keys = dir + "/keys";
  if (!storage::PathExists(keys)) {
    ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(keys, 0700));
  }
  const std::string lock = dir + "/" + kStoreLockFile;
  ks->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (ks->lock_fd_ < 0) return storage::ErrnoStatus("open", lock, errno);
  if (::flock(ks->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Unavailable("the key store " + keys +
                         " is open for writing by another process (" +
                         std::string(kStoreLockFile) + " is locked)");
    }
    return storage::ErrnoStatus("flock", lock, errno);
  }
  ACTLEDGER_RETURN_IF_ERROR(ks->Load(true));
  return ks;
}

Result<std::unique_ptr<KeyStore>> KeyStore::OpenForRead(
    const std::string& dir, const MasterKey& master) {
  std::unique_ptr<KeyStore> ks(new KeyStore(dir, master, false));
  ACTLEDGER_RETURN_IF_ERROR(ks->Load(false));
  return ks;
}

Status KeyStore::Load(bool repair) {
  const std::string path = dir_ + "/" + kStoreFile;
  const std::string temp = dir_ + "/" + kStoreTempFile;
  const std::string keys = dir_ + "/keys";
  // A sealed temp file is a finished rewrite that was not yet renamed: it,
  // not the old file (whose destroyed slot may be half wiped), is the truth.
  bool use_temp = false;
  if (storage::PathExists(temp)) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, storage::ReadFile(temp));
    Result<Parsed> t = ParseStore(bytes, master_, Rel(dir_, temp), true);
    internal::Wipe(&bytes);
    if (t.ok()) {
      use_temp = true;
    } else if (t.status().code() == StatusCode::kPermissionDenied) {
      return t.status();
    }
    if (repair) {
      if (use_temp) {
        if (::rename(temp.c_str(), path.c_str()) != 0) {
          return storage::ErrnoStatus("rename", temp, errno);
        }
        recovery_.rolled_forward = true;
        use_temp = false;
      } else {
        if (::unlink(temp.c_str()) != 0) {
          return storage::ErrnoStatus("unlink", temp, errno);
        }
        recovery_.discarded_temp = true;
      }
      ACTLEDGER_RETURN_IF_ERROR(storage::SyncDir(keys));
    }
  }
  const std::string& source = use_temp ? temp : path;
  if (!storage::PathExists(source)) {
    slots_.clear();
    entries_ = 0;
    if (!repair) return Status::Ok();
    const std::string header = Header(master_, NowUtc().seconds);
    ACTLEDGER_ASSIGN_OR_RETURN(
        storage::File f,
        storage::File::Open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    ACTLEDGER_RETURN_IF_ERROR(f.Append(header));
    ACTLEDGER_RETURN_IF_ERROR(f.Append(Entry(kTypeSeal, {}, 0, 0, {}, {})));
    ACTLEDGER_RETURN_IF_ERROR(f.Sync());
    f.Close();
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      return storage::ErrnoStatus("rename", temp, errno);
    }
    ACTLEDGER_RETURN_IF_ERROR(storage::SyncDir(keys));
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, storage::ReadFile(source));
  Result<Parsed> parsed = ParseStore(bytes, master_, Rel(dir_, source), false);
  const uint64_t size = bytes.size();
  internal::Wipe(&bytes);
  if (!parsed.ok()) return parsed.status();
  if (repair) {
    if (fd_ < 0) {
      fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd_ < 0) return storage::ErrnoStatus("open", path, errno);
    }
    if (parsed->torn) {
      // An append that never returned: no record uses the key it held.
      if (::ftruncate(fd_, static_cast<off_t>(parsed->good_bytes)) != 0) {
        return storage::ErrnoStatus("truncate", path, errno);
      }
      ACTLEDGER_RETURN_IF_ERROR(Sync(fd_, path));
      recovery_.tail_bytes_cut = size - parsed->good_bytes;
    }
  }
  for (auto& [blind, slot] : slots_) internal::Wipe(&slot.sealed);
  slots_ = std::move(parsed->slots);
  entries_ = parsed->entries;
  file_size_ = parsed->good_bytes;
  return Status::Ok();
}

Result<Secret> KeyStore::Unwrap(const std::string& blind_raw,
                                const Slot& slot) const {
  Result<std::string> key =
      internal::OpenGcm(master_.wrap_key().view(), slot.iv,
                        WrapAad(blind_raw, slot.live_version), slot.sealed);
  if (!key.ok() || key->size() != kKeyBytes) {
    return DataLoss(std::string(kStoreFile) + ": the key of subject " +
                    HexEncode(blind_raw) + " version " +
                    std::to_string(slot.live_version) + " at offset " +
                    std::to_string(slot.offset) +
                    " fails authentication under the master key (changed "
                    "or moved entry)");
  }
  Secret s(*key);
  internal::Wipe(&*key);
  return s;
}

Result<SubjectKey> KeyStore::GetOrCreate(std::string_view subject_text) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<SubjectKey> keys,
                             GetOrCreateMany({std::string(subject_text)}));
  return std::move(keys.front());
}

Result<std::vector<SubjectKey>> KeyStore::GetOrCreateMany(
    const std::vector<std::string>& subject_texts) {
  if (!writable_) {
    return FailedPrecondition(
        "the key store is open read-only; only the ledger's writer creates "
        "subject keys");
  }
  std::lock_guard<std::mutex> lock(mu_);
  return GetOrCreateLocked(subject_texts);
}

Result<std::vector<SubjectKey>> KeyStore::GetOrCreateLocked(
    const std::vector<std::string>& subject_texts) {
  std::vector<SubjectKey> out;
  std::string appended;
  std::map<std::string, Slot> fresh;  // new slots, installed once durable
  std::map<std::string, std::string> fresh_keys;
  const int64_t now = NowUtc().seconds;
  for (const std::string& text : subject_texts) {
    ACTLEDGER_RETURN_IF_ERROR(ParseSubject(text).status());
    const std::string blind_hex = master_.BlindId(text);
    const std::string blind = *HexDecode(blind_hex);
    SubjectKey k;
    k.blind_id = blind_hex;
    if (auto f = fresh.find(blind); f != fresh.end()) {
      k.version = f->second.live_version;
      k.key = Secret(fresh_keys[blind]);
    } else if (auto it = slots_.find(blind);
               it != slots_.end() && it->second.live_version != 0) {
      k.version = it->second.live_version;
      ACTLEDGER_ASSIGN_OR_RETURN(k.key, Unwrap(blind, it->second));
    } else {
      Slot s;
      if (it != slots_.end()) s = it->second;
      s.live_version = std::max(s.live_version, s.erased_through) + 1;
      ACTLEDGER_ASSIGN_OR_RETURN(std::string key,
                                 internal::RandBytes(kKeyBytes));
      ACTLEDGER_ASSIGN_OR_RETURN(s.iv, internal::RandBytes(internal::kIvBytes));
      s.sealed = internal::SealGcm(master_.wrap_key().view(), s.iv,
                                   WrapAad(blind, s.live_version), key);
      s.created_at = now;
      s.offset = file_size_ + appended.size();
      appended += Entry(kTypeKey, blind, s.live_version, now, s.iv, s.sealed);
      k.version = s.live_version;
      k.key = Secret(key);
      fresh_keys[blind] = key;
      internal::Wipe(&key);
      fresh[blind] = std::move(s);
    }
    out.push_back(std::move(k));
  }
  for (auto& [blind, key] : fresh_keys) internal::Wipe(&key);
  if (appended.empty()) return out;
  const std::string path = dir_ + "/" + kStoreFile;
  Status st = WriteAll(fd_, file_size_, appended, path);
  if (st.ok()) st = Sync(fd_, path);
  if (!st.ok()) {
    // Nothing was handed out: cut what may have reached the file.
    if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) {
      return storage::ErrnoStatus("truncate", path, errno);
    }
    return st;
  }
  file_size_ += appended.size();
  entries_ += appended.size() / kEntryBytes;
  for (auto& [blind, slot] : fresh) slots_[blind] = std::move(slot);
  return out;
}

Result<KeyLookup> KeyStore::Find(std::string_view blind_id, uint32_t version) {
  Result<std::string> blind = HexDecode(blind_id);
  if (!blind.ok() || blind->size() != 32 || version == 0) {
    return InvalidArgument("\"" + std::string(blind_id) + "\" version " +
                               std::to_string(version) +
                               " is not a key id (64 hex digits, version >= 1)",
                           "kid");
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0;; ++attempt) {
    auto it = slots_.find(*blind);
    KeyLookup out;
    if (it != slots_.end()) {
      if (it->second.live_version == version) {
        ACTLEDGER_ASSIGN_OR_RETURN(out.key, Unwrap(*blind, it->second));
        out.state = KeyLookup::State::kLive;
        return out;
      }
      if (version <= it->second.erased_through) {
        out.state = KeyLookup::State::kErased;
        return out;
      }
    }
    if (writable_ || attempt > 0) return out;
    // A reader: the writer may have added the key since we read the file.
    ACTLEDGER_RETURN_IF_ERROR(Load(false));
  }
}

Result<DestroyResult> KeyStore::Destroy(std::string_view subject_text) {
  if (!writable_) {
    return FailedPrecondition(
        "the key store is open read-only; erasure needs the ledger's writer");
  }
  ACTLEDGER_RETURN_IF_ERROR(ParseSubject(subject_text).status());
  std::lock_guard<std::mutex> lock(mu_);
  DestroyResult result;
  result.blind_id = master_.BlindId(subject_text);
  const std::string blind = *HexDecode(result.blind_id);
  Slot& slot = slots_[blind];
  const bool had_key = slot.live_version != 0;
  result.had_key = had_key;
  result.already_erased = !had_key && slot.erased_through != 0;
  result.version = had_key ? slot.live_version : slot.erased_through;
  if (result.already_erased) return result;
  const uint64_t wipe_offset = slot.offset;
  Slot before = slot;
  slot.erased_through = std::max<uint32_t>(result.version, 1);
  result.version = slot.erased_through;
  slot.erased_at = NowUtc().seconds;
  slot.live_version = 0;
  internal::Wipe(&slot.sealed);
  slot.iv.clear();

  // The rewritten store: every live key and tombstone, then a seal.
  const std::string path = dir_ + "/" + kStoreFile;
  const std::string temp = dir_ + "/" + kStoreTempFile;
  std::string header;  // kept as it is: it holds the store's created_at
  {
    Result<storage::File> f = storage::File::Open(path, O_RDONLY);
    Status st = f.ok() ? f->ReadAt(0, kHeaderBytes, &header) : f.status();
    if (!st.ok()) {
      slot = before;
      return st;
    }
  }
  std::string out = header;
  std::map<std::string, uint64_t> offsets;
  uint64_t count = 0;
  for (const auto& [b, s] : slots_) {
    if (s.erased_through != 0) {
      out += Entry(kTypeTombstone, b, s.erased_through, s.erased_at, {}, {});
      ++count;
    }
    if (s.live_version != 0) {
      offsets[b] = out.size();
      out += Entry(kTypeKey, b, s.live_version, s.created_at, s.iv, s.sealed);
      ++count;
    }
  }
  out += Entry(kTypeSeal, {}, 0, static_cast<int64_t>(count), {}, {});
  auto fail = [&](Status st) {
    slot = before;
    internal::Wipe(&out);
    return st;
  };
  {
    Result<storage::File> t =
        storage::File::Open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!t.ok()) return Result<DestroyResult>(fail(t.status()));
    Status st = t->Append(out);
    if (st.ok()) st = t->Sync();
    if (!st.ok()) {
      ::unlink(temp.c_str());
      return Result<DestroyResult>(fail(st));
    }
  }
  if (crash_point_ == CrashPoint::kAfterTempSynced) {
    return Result<DestroyResult>(fail(Internal("simulated crash")));
  }
  // Overwrite the key's slot in the old file too, so that even its blocks
  // no longer hold the wrapped key once the file is replaced (on file
  // systems that overwrite in place; see docs/ERASURE.md for the rest).
  if (had_key) {
    Status st =
        WriteAll(fd_, wipe_offset, std::string(kEntryBytes, '\0'), path);
    if (st.ok()) st = Sync(fd_, path);
    if (!st.ok()) return Result<DestroyResult>(fail(st));
  }
  if (crash_point_ == CrashPoint::kAfterWipe) {
    return Result<DestroyResult>(fail(Internal("simulated crash")));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Result<DestroyResult>(
        fail(storage::ErrnoStatus("rename", temp, errno)));
  }
  Status st = storage::SyncDir(dir_ + "/keys");
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  internal::Wipe(&out);
  if (fd < 0) return storage::ErrnoStatus("open", path, errno);
  ::close(fd_);
  fd_ = fd;
  file_size_ = kHeaderBytes + (count + 1) * kEntryBytes;
  entries_ = count;
  for (auto& [b, s] : slots_) {
    if (auto o = offsets.find(b); o != offsets.end()) s.offset = o->second;
  }
  if (!st.ok()) return st;
  return result;
}

KeyStore::Versions KeyStore::VersionsOf(std::string_view subject_text) const {
  const std::string blind = *HexDecode(master_.BlindId(subject_text));
  std::lock_guard<std::mutex> lock(mu_);
  Versions v;
  if (auto it = slots_.find(blind); it != slots_.end()) {
    v.live = it->second.live_version;
    v.erased_through = it->second.erased_through;
  }
  return v;
}

size_t KeyStore::live_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(),
                    [](const auto& s) { return s.second.live_version != 0; }));
}

size_t KeyStore::tombstones() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(
      slots_.begin(), slots_.end(),
      [](const auto& s) { return s.second.erased_through != 0; }));
}

}  // namespace actledger::keystore
