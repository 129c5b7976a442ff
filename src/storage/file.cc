#include "storage/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace actledger::storage {

std::string ErrnoText(int err) {
  char buffer[256];
  // GNU strerror_r (C++ on glibc defines _GNU_SOURCE): returns the text,
  // in `buffer` or in static storage.
  return strerror_r(err, buffer, sizeof(buffer));
}

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg(what);
  msg += ' ';
  msg += path;
  msg += ": ";
  msg += ErrnoText(err);
  if (err == ENOENT) return NotFound(std::move(msg));
  if (err == EACCES || err == EPERM) return PermissionDenied(std::move(msg));
  return IoError(std::move(msg));
}

File::~File() { Close(); }

File::File(File&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void File::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<File> File::Open(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  File f;
  f.fd_ = fd;
  f.path_ = path;
  return f;
}

Status File::Append(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status File::ReadUpTo(uint64_t offset, size_t n, std::string* out) const {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd_, out->data() + got, n - got,
                        static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path_, errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out->resize(got);
  return Status::Ok();
}

Status File::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  ACTLEDGER_RETURN_IF_ERROR(ReadUpTo(offset, n, out));
  if (out->size() != n) {
    return DataLoss(path_ + ": short read at offset " + std::to_string(offset) +
                    " (wanted " + std::to_string(n) + " bytes, file has " +
                    std::to_string(out->size()) + ")");
  }
  return Status::Ok();
}

Status File::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::Ok();
}

Status File::Truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return ErrnoStatus("truncate", path_, errno);
  }
  return Status::Ok();
}

Result<uint64_t> File::Size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status SyncDir(const std::string& dir) {
  ACTLEDGER_ASSIGN_OR_RETURN(File d, File::Open(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(d.fd()) != 0) return ErrnoStatus("fsync", dir, errno);
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status MakeDir(const std::string& path, int mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 &&
      errno != EEXIST) {
    return ErrnoStatus("mkdir", path, errno);
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  ACTLEDGER_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  std::string out;
  ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(0, size, &out));
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           int mode) {
  const std::string tmp = path + ".tmp";
  {
    ACTLEDGER_ASSIGN_OR_RETURN(
        File f, File::Open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    if (::fchmod(f.fd(), static_cast<mode_t>(mode)) != 0) {
      return ErrnoStatus("chmod", tmp, errno);
    }
    ACTLEDGER_RETURN_IF_ERROR(f.Append(contents));
    if (::fsync(f.fd()) != 0) return ErrnoStatus("fsync", tmp, errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus("rename", tmp, errno);
  }
  size_t slash = path.rfind('/');
  return SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace actledger::storage
