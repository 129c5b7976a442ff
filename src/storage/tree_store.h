// Derived, append-only arrays beside the log: the Merkle tree's perfect
// subtree hashes by level, and each record's frame offset.
//
// tree/level-LL holds, for level LL, the hashes of nodes 0, 1, 2, ... (32
// bytes each); level 0 holds the leaf hashes. log/positions holds one
// u64le frame offset (within its segment) per record. Both are derived from
// the log: they are written (not synced) as records are appended, synced
// before every checkpoint, and rebuilt from the log after a crash for
// whatever lies beyond the last checkpoint. docs/FORMAT.md has the layout.
//
// Thread safety: appends from one writer thread; reads concurrently for
// entries the writer has published.
#ifndef ACTLEDGER_STORAGE_TREE_STORE_H_
#define ACTLEDGER_STORAGE_TREE_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actledger/merkle.h"
#include "actledger/status.h"
#include "storage/file.h"

namespace actledger::storage {

// An append-only file of fixed-size entries.
class FixedArrayFile {
 public:
  static Result<FixedArrayFile> Open(const std::string& path, size_t entry_size,
                                     bool writable);
  FixedArrayFile() = default;

  // Whole entries present in the file.
  Result<uint64_t> Count() const;
  Result<uint64_t> ByteSize() const { return file_.Size(); }
  Status Read(uint64_t index, std::string* out) const;
  // Reads `n` entries starting at `index` into *out.
  Status ReadRange(uint64_t index, uint64_t n, std::string* out) const;
  // Appends whole entries (data.size() is a multiple of entry_size).
  Status Append(std::string_view data) { return file_.Append(data); }
  Status TruncateTo(uint64_t count) {
    return file_.Truncate(count * entry_size_);
  }
  Status Sync() { return file_.Sync(); }
  const std::string& path() const { return file_.path(); }

 private:
  File file_;
  size_t entry_size_ = 0;
};

class TreeStore : public merkle::NodeSource {
 public:
  static constexpr int kMaxLevels = 64;

  // Opens (creating when writable) the level files under `tree_dir`.
  static Result<std::unique_ptr<TreeStore>> Open(const std::string& tree_dir,
                                                 bool writable);

  // merkle::NodeSource.
  Result<merkle::Hash> PerfectNode(int level, uint64_t index) const override;

  // Nodes stored at `level`.
  Result<uint64_t> LevelCount(int level) const;
  // The largest tree size whose every perfect node is stored.
  Result<uint64_t> CompleteSize() const;
  // Cuts every level to at most what a tree of `size` leaves has (never
  // extends a shorter level).
  Status TruncateToSize(uint64_t size);
  // Writer: appends (level, index, hash) nodes completed by CompactRange, in
  // order; call Flush() to write them.
  void Add(int level, uint64_t index, const merkle::Hash& hash);
  Status Flush();
  Status Sync();
  // The level files that exist, lowest level first.
  Result<std::vector<FixedArrayFile*>> Files() const;
  // The frontier (perfect subtrees for the set bits of size) read back from
  // the level files, to resume a CompactRange.
  Result<merkle::CompactRange> LoadRange(uint64_t size) const;
  std::string LevelPath(int level) const;

 private:
  TreeStore(std::string dir, bool writable)
      : dir_(std::move(dir)), writable_(writable) {}
  Result<FixedArrayFile*> Level(int level) const;

  const std::string dir_;
  const bool writable_;
  mutable std::mutex mu_;  // guards levels_
  mutable std::vector<std::unique_ptr<FixedArrayFile>> levels_;
  std::vector<std::string> pending_;  // per level, bytes to append
};

// fdatasyncs all `files` at once, one thread per file past the first, and
// returns the first failure. The syncs then take about as long as the
// slowest of them rather than all of them in a row: a checkpoint syncs a
// level file per bit of the tree size, with the writer waiting.
Status SyncTogether(const std::vector<FixedArrayFile*>& files);

}  // namespace actledger::storage

#endif  // ACTLEDGER_STORAGE_TREE_STORE_H_
