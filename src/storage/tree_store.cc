#include "storage/tree_store.h"

#include <fcntl.h>

#include <cstring>
#include <system_error>
#include <thread>

namespace actledger::storage {

Result<FixedArrayFile> FixedArrayFile::Open(const std::string& path,
                                            size_t entry_size, bool writable) {
  FixedArrayFile f;
  f.entry_size_ = entry_size;
  ACTLEDGER_ASSIGN_OR_RETURN(
      f.file_,
      File::Open(path, writable ? (O_RDWR | O_CREAT | O_APPEND) : O_RDONLY));
  return f;
}

Result<uint64_t> FixedArrayFile::Count() const {
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t size, file_.Size());
  return size / entry_size_;
}

Status FixedArrayFile::Read(uint64_t index, std::string* out) const {
  return file_.ReadAt(index * entry_size_, entry_size_, out);
}

Status FixedArrayFile::ReadRange(uint64_t index, uint64_t n,
                                 std::string* out) const {
  return file_.ReadAt(index * entry_size_, n * entry_size_, out);
}

Result<std::unique_ptr<TreeStore>> TreeStore::Open(const std::string& tree_dir,
                                                   bool writable) {
  if (writable) ACTLEDGER_RETURN_IF_ERROR(MakeDir(tree_dir));
  std::unique_ptr<TreeStore> store(new TreeStore(tree_dir, writable));
  store->levels_.resize(kMaxLevels);
  store->pending_.resize(kMaxLevels);
  return store;
}

std::string TreeStore::LevelPath(int level) const {
  char name[32];
  std::snprintf(name, sizeof(name), "level-%02d", level);
  return dir_ + "/" + name;
}

Result<FixedArrayFile*> TreeStore::Level(int level) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!levels_[level]) {
    const std::string path = LevelPath(level);
    if (!writable_ && !PathExists(path)) {
      return NotFound(path + " does not exist");
    }
    ACTLEDGER_ASSIGN_OR_RETURN(FixedArrayFile f,
                               FixedArrayFile::Open(path, 32, writable_));
    levels_[level] = std::make_unique<FixedArrayFile>(std::move(f));
  }
  return levels_[level].get();
}

Result<merkle::Hash> TreeStore::PerfectNode(int level, uint64_t index) const {
  ACTLEDGER_ASSIGN_OR_RETURN(FixedArrayFile * f, Level(level));
  std::string buf;
  Status st = f->Read(index, &buf);
  if (!st.ok()) {
    return DataLoss("tree node level " + std::to_string(level) + " index " +
                    std::to_string(index) + " missing: " + st.message());
  }
  merkle::Hash h;
  std::memcpy(h.data(), buf.data(), h.size());
  return h;
}

Result<uint64_t> TreeStore::LevelCount(int level) const {
  Result<FixedArrayFile*> f = Level(level);
  if (!f.ok()) {
    if (f.status().code() == StatusCode::kNotFound) return uint64_t{0};
    return f.status();
  }
  return (*f)->Count();
}

Result<uint64_t> TreeStore::CompleteSize() const {
  // Level l must hold floor(size / 2^l) nodes, so
  // size <= (count_l + 1) * 2^l - 1 for every level.
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t size, LevelCount(0));
  for (int level = 1; level < kMaxLevels && (size >> level) > 0; ++level) {
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t count, LevelCount(level));
    if ((size >> level) > count) {
      size = ((count + 1) << level) - 1;
    }
  }
  return size;
}

Status TreeStore::TruncateToSize(uint64_t size) {
  // Nodes not yet written belong to the state being discarded.
  for (std::string& p : pending_) p.clear();
  for (int level = 0; level < kMaxLevels; ++level) {
    if (!PathExists(LevelPath(level))) break;
    ACTLEDGER_ASSIGN_OR_RETURN(FixedArrayFile * f, Level(level));
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t bytes, f->ByteSize());
    if (bytes > (size >> level) * 32) {
      ACTLEDGER_RETURN_IF_ERROR(f->TruncateTo(size >> level));
    }
  }
  return Status::Ok();
}

void TreeStore::Add(int level, uint64_t /*index*/, const merkle::Hash& hash) {
  pending_[level].append(reinterpret_cast<const char*>(hash.data()),
                         hash.size());
}

Status TreeStore::Flush() {
  for (int level = 0; level < kMaxLevels; ++level) {
    if (pending_[level].empty()) continue;
    ACTLEDGER_ASSIGN_OR_RETURN(FixedArrayFile * f, Level(level));
    ACTLEDGER_RETURN_IF_ERROR(f->Append(pending_[level]));
    pending_[level].clear();
  }
  return Status::Ok();
}

Result<std::vector<FixedArrayFile*>> TreeStore::Files() const {
  std::vector<FixedArrayFile*> files;
  for (int level = 0; level < kMaxLevels; ++level) {
    if (!PathExists(LevelPath(level))) break;
    ACTLEDGER_ASSIGN_OR_RETURN(FixedArrayFile * f, Level(level));
    files.push_back(f);
  }
  return files;
}

Status TreeStore::Sync() {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<FixedArrayFile*> files, Files());
  return SyncTogether(files);
}

Status SyncTogether(const std::vector<FixedArrayFile*>& files) {
  std::vector<Status> results(files.size());
  std::vector<std::thread> threads;
  threads.reserve(files.size());
  size_t here = files.size();  // files from here on are synced by this thread
  for (size_t i = 1; i < files.size(); ++i) {
    try {
      threads.emplace_back(
          [&results, &files, i] { results[i] = files[i]->Sync(); });
    } catch (const std::system_error&) {
      here = i;  // no thread to be had: the rest in a row, here
      break;
    }
  }
  if (!files.empty()) results[0] = files[0]->Sync();
  for (size_t i = here; i < files.size(); ++i) results[i] = files[i]->Sync();
  for (std::thread& t : threads) t.join();
  for (const Status& st : results) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Result<merkle::CompactRange> TreeStore::LoadRange(uint64_t size) const {
  std::vector<merkle::Hash> frontier;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    ACTLEDGER_ASSIGN_OR_RETURN(merkle::Hash h,
                               PerfectNode(level, begin >> level));
    frontier.push_back(h);
    begin += uint64_t{1} << level;
  }
  return merkle::CompactRange(size, std::move(frontier));
}

}  // namespace actledger::storage
