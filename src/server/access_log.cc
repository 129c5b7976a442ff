#include "server/access_log.h"

#include <cerrno>

#include "storage/file.h"

namespace actledger::server {

AccessLog::~AccessLog() {
  // Closing flushes the last lines; a failure here (disk full) loses them,
  // and the destructor can only say so.
  if (owned_ && out_ != nullptr && std::fclose(out_) != 0) {
    std::fprintf(stderr, "actledger serve: closing the access log: %s\n",
                 storage::ErrnoText(errno).c_str());
  }
}

Status AccessLog::Open(const std::string& where) {
  if (where == "off") return Status::Ok();
  if (where.empty() || where == "-") {
    out_ = stderr;
    return Status::Ok();
  }
  out_ = std::fopen(where.c_str(), "a");
  if (out_ == nullptr) {
    return IoError("cannot open the access log " + where + ": " +
                   storage::ErrnoText(errno));
  }
  owned_ = true;
  return Status::Ok();
}

void AccessLog::Write(const std::string& json_line) {
  if (out_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(json_line.data(), 1, json_line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace actledger::server
