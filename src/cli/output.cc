#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "actledger/json.h"
#include "cli/cli.h"

namespace actledger::cli {

std::string LocalPrincipal() {
  // getpwuid_r, not getpwuid: the identity must not come from a static
  // buffer another thread's lookup could overwrite.
  const long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<size_t>(hint) : 16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  const int error =
      getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found);
  if (error == 0 && found != nullptr && found->pw_name != nullptr) {
    return std::string("local:") + found->pw_name;
  }
  return "local:uid-" + std::to_string(geteuid());
}

std::string JsonString(std::string_view s) {
  std::string out;
  json::AppendCanonicalString(s, &out);
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += JsonString(items[i]);
  }
  out += ']';
  return out;
}

std::string ErrorJson(const Status& status) {
  std::string out = "{\"code\":";
  out += JsonString(StatusCodeName(status.code()));
  out += ",\"field\":";
  out += JsonString(status.field());
  out += ",\"message\":";
  out += JsonString(status.message());
  out += '}';
  return out;
}

std::string ReceiptJson(const Receipt& r) {
  std::string out = "{\"seq\":" + std::to_string(r.seq);
  out += ",\"action_id\":" + JsonString(r.action_id);
  out += ",\"leaf_hash\":\"" + merkle::ToHex(r.leaf_hash) + "\"";
  out += ",\"missing\":" + JsonStringArray(r.missing);
  out += '}';
  return out;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "actledger: %s\n", status.ToString().c_str());
  return status.ExitCode();
}

Status ForEachLine(const std::string& path,
                   const std::function<bool(size_t, std::string_view)>& fn) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (!path.empty() && path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return NotFound("cannot open " + path);
    in = &file;
  }
  std::string line;
  size_t n = 0;
  while (std::getline(*in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!fn(n, line)) break;
  }
  if (in->bad()) return IoError("error reading " + (path.empty() ? "-" : path));
  return Status::Ok();
}

Result<std::string> ReadAllInput(const std::string& path) {
  std::ostringstream ss;
  if (path.empty() || path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) return NotFound("cannot open " + path);
    ss << file.rdbuf();
  }
  return ss.str();
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

void ShowProgress(const char* what, uint64_t done, uint64_t total) {
  if (!StderrIsTerminal()) return;
  if (total == 0) total = 1;
  int pct = static_cast<int>(done * 100 / total);
  std::fprintf(stderr, "\r%s: %3d%% (%llu / %llu MiB)", what, pct,
               static_cast<unsigned long long>(done >> 20),
               static_cast<unsigned long long>(total >> 20));
  if (done >= total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace actledger::cli
