// What `actledger serve` is configured with: its flags, or the same keys in
// a YAML file (--config; docs/API.md "Configuration").
#ifndef ACTLEDGER_SERVER_OPTIONS_H_
#define ACTLEDGER_SERVER_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "actledger/status.h"

namespace actledger::server {

struct ServerOptions {
  std::string data_dir = "./actledger-data";
  // ADDR:PORT; port 0 picks a free one (the startup line names it).
  std::string listen = "127.0.0.1:8470";
  // Both set: serve HTTPS only.
  std::string tls_cert;
  std::string tls_key;
  unsigned threads = 0;  // io threads; 0 = one per core
  size_t max_connections = 10000;
  size_t max_header_bytes = 16 * 1024;
  // A single record (application/json) and any other body.
  size_t max_record_bytes = 256 * 1024;
  // An application/x-ndjson batch.
  size_t max_batch_bytes = 32u << 20;
  // Bytes of records accepted but not yet durable; above it, 503.
  size_t max_queue_bytes = 256u << 20;
  size_t max_waiters = 10000;  // parked long polls
  uint64_t max_wait_seconds = 300;
  // Time allowed to receive one request (headers and body): slow clients
  // are cut off after it.
  uint64_t read_timeout_ms = 15000;
  // How long a keep-alive connection may sit idle between requests.
  uint64_t idle_timeout_ms = 60000;
  // After SIGTERM/SIGINT, how long in-flight requests may take.
  uint64_t shutdown_grace_ms = 30000;
  // "" or "-": standard error; "off": none; otherwise a file (appended).
  std::string access_log;
  bool strict = false;
};

// Reads a YAML mapping whose keys are the flag names without the dashes
// (listen, data, tls-cert, max-batch-bytes, ...); values override
// `options`. Errors: kInvalidArgument naming the key (unknown key, wrong
// type), kIoError when the file cannot be read.
Status LoadServerConfig(const std::string& path, ServerOptions* options);

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_OPTIONS_H_
