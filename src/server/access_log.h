// The JSON-lines access log: one object per answered request, with no
// token, no body and no query string (queries may name data subjects).
//
// Thread safety: Write may be called from any thread.
#ifndef ACTLEDGER_SERVER_ACCESS_LOG_H_
#define ACTLEDGER_SERVER_ACCESS_LOG_H_

#include <cstdio>
#include <mutex>
#include <string>

#include "actledger/status.h"

namespace actledger::server {

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // "" or "-": standard error; "off": nothing; otherwise the file, opened
  // for appending. Errors: kIoError naming the file.
  Status Open(const std::string& where);
  // Writes one line (a newline is added).
  void Write(const std::string& json_line);
  bool enabled() const { return out_ != nullptr; }

 private:
  std::mutex mu_;
  std::FILE* out_ = nullptr;
  bool owned_ = false;
};

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_ACCESS_LOG_H_
