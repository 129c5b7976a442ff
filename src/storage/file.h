// POSIX file primitives with Status errors. The only place besides the
// segment log that issues file system calls for the ledger.
#ifndef ACTLEDGER_STORAGE_FILE_H_
#define ACTLEDGER_STORAGE_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/status.h"

namespace actledger::storage {

// "write log/00000000000000000000.seg: No space left on device" as
// kIoError.
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

// strerror(err)'s text. Thread-safe, unlike strerror, whose buffer the
// writer thread and readers would share.
std::string ErrnoText(int err);

// An owned file descriptor. Move-only.
class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // open(2) with O_CLOEXEC added.
  static Result<File> Open(const std::string& path, int flags, int mode = 0644);

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Writes all of `data` at the current offset (retrying short writes).
  Status Append(std::string_view data);
  // Reads exactly `n` bytes at `offset` into *out; kDataLoss on a short read
  // (the file is shorter than its metadata says).
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const;
  // Reads up to `n` bytes; *out gets what was there.
  Status ReadUpTo(uint64_t offset, size_t n, std::string* out) const;
  Status Sync();  // fdatasync
  Status Truncate(uint64_t size);
  Result<uint64_t> Size() const;
  void Close();

 private:
  int fd_ = -1;
  std::string path_;
};

// fsync on a directory, so that created, renamed or removed entries in it
// survive a crash.
Status SyncDir(const std::string& dir);
bool PathExists(const std::string& path);
Status MakeDir(const std::string& path, int mode = 0755);
Result<std::string> ReadFile(const std::string& path);
// Writes to path.tmp, syncs, renames over `path`, syncs the directory.
Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           int mode = 0644);

}  // namespace actledger::storage

#endif  // ACTLEDGER_STORAGE_FILE_H_
