// `actledger serve`: the HTTP/JSON API (docs/API.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "server/options.h"
#include "server/server.h"

namespace actledger::cli {

void AddServeCommands(CLI::App& app, GlobalOptions& g, Commands& commands) {
  auto o = std::make_shared<server::ServerOptions>();
  auto config = std::make_shared<std::string>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve the HTTP/JSON API on the ledger of --data (default "
      "127.0.0.1:8470); prints one line naming the address, runs until "
      "SIGTERM or Ctrl-C");
  // Flags are applied over the configuration file, so each option is read
  // into its own holder and copied only when given.
  struct Flags {
    std::string listen, tls_cert, tls_key, access_log;
    unsigned threads = 0;
    size_t max_connections = 0, max_header_bytes = 0, max_record_bytes = 0,
           max_batch_bytes = 0, max_queue_bytes = 0, max_waiters = 0;
    uint64_t max_wait = 0, read_timeout_ms = 0, idle_timeout_ms = 0,
             shutdown_grace_ms = 0;
    bool strict = false;
  };
  auto f = std::make_shared<Flags>();
  serve->add_option("--config", *config,
                    "YAML file with any of these options (flag names without "
                    "the dashes); flags override it");
  auto* listen = serve->add_option(
      "--listen", f->listen,
      "ADDR:PORT to listen on (default 127.0.0.1:8470; port 0 picks a free "
      "one)");
  auto* cert = serve->add_option("--tls-cert", f->tls_cert,
                                 "PEM certificate chain: serve HTTPS");
  auto* key = serve->add_option("--tls-key", f->tls_key, "PEM private key");
  auto* threads = serve->add_option("--threads", f->threads,
                                    "I/O threads (default: cores)");
  auto* max_conn = serve->add_option(
      "--max-connections", f->max_connections,
      "Open connections beyond which new ones get 503 (default 10000)");
  auto* max_header = serve->add_option(
      "--max-header-bytes", f->max_header_bytes,
      "Largest request header block; larger gets 431 (default 16384)");
  auto* max_record = serve->add_option(
      "--max-record-bytes", f->max_record_bytes,
      "Largest record and non-NDJSON body; larger gets 413 (default 262144)");
  auto* max_batch = serve->add_option(
      "--max-batch-bytes", f->max_batch_bytes,
      "Largest NDJSON batch; larger gets 413 (default 33554432)");
  auto* max_queue = serve->add_option(
      "--max-queue-bytes", f->max_queue_bytes,
      "Bytes of records waiting to become durable beyond which appends get "
      "503 with Retry-After (default 268435456)");
  auto* max_waiters = serve->add_option(
      "--max-waiters", f->max_waiters,
      "Long polls parked at once; more answer at once (default 10000)");
  auto* max_wait = serve->add_option("--max-wait", f->max_wait,
                                     "Largest ?wait= in seconds (default 300)");
  auto* read_timeout = serve->add_option(
      "--read-timeout-ms", f->read_timeout_ms,
      "Time allowed to receive a request once it starts (default 15000)");
  auto* idle_timeout = serve->add_option(
      "--idle-timeout-ms", f->idle_timeout_ms,
      "Idle keep-alive connections close after this (default 60000)");
  auto* grace = serve->add_option(
      "--shutdown-grace-ms", f->shutdown_grace_ms,
      "After SIGTERM, time allowed for in-flight requests (default 30000)");
  auto* access_log = serve->add_option(
      "--access-log", f->access_log,
      "JSON-lines access log: a file, - for stderr (default), or off");
  auto* strict = serve->add_flag(
      "--strict", f->strict,
      "Reject records with missing seven-field parts instead of listing them");

  commands.push_back(
      {serve,
       [&app, &g, o, config, f, listen, cert, key, threads, max_conn,
        max_header, max_record, max_batch, max_queue, max_waiters, max_wait,
        read_timeout, idle_timeout, grace, access_log, strict]() -> int {
         if (!config->empty()) {
           Status st = server::LoadServerConfig(*config, o.get());
           if (!st.ok()) return Fail(st);
         }
         // --data or $ACTLEDGER_DATA beat the file.
         if (app.get_option("--data")->count() > 0 ||
             std::getenv("ACTLEDGER_DATA") != nullptr || config->empty()) {
           o->data_dir = g.data_dir;
         }
         if (listen->count()) o->listen = f->listen;
         if (cert->count()) o->tls_cert = f->tls_cert;
         if (key->count()) o->tls_key = f->tls_key;
         if (threads->count()) o->threads = f->threads;
         if (max_conn->count()) o->max_connections = f->max_connections;
         if (max_header->count()) o->max_header_bytes = f->max_header_bytes;
         if (max_record->count()) o->max_record_bytes = f->max_record_bytes;
         if (max_batch->count()) o->max_batch_bytes = f->max_batch_bytes;
         if (max_queue->count()) o->max_queue_bytes = f->max_queue_bytes;
         if (max_waiters->count()) o->max_waiters = f->max_waiters;
         if (max_wait->count()) o->max_wait_seconds = f->max_wait;
         if (read_timeout->count()) o->read_timeout_ms = f->read_timeout_ms;
         if (idle_timeout->count()) o->idle_timeout_ms = f->idle_timeout_ms;
         if (grace->count()) o->shutdown_grace_ms = f->shutdown_grace_ms;
         if (access_log->count()) o->access_log = f->access_log;
         if (strict->count()) o->strict = true;
         Status st = server::RunServer(*o, [&](const std::string& url) {
           // One line; tests and scripts read the address
           // from it.
           std::printf(
               "actledger serve: listening on %s (data "
               "%s)\n",
               url.c_str(), o->data_dir.c_str());
           std::fflush(stdout);
         });
         if (!st.ok()) return Fail(st);
         return 0;
       }});
}

}  // namespace actledger::cli
