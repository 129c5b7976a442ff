// `actledger serve`: the HTTP/JSON API over the embedded ledger of one data
// directory (docs/API.md).
//
//   ServerOptions o;
//   o.data_dir = "data";
//   o.listen = "127.0.0.1:0";
//   Status st = RunServer(o, [](const std::string& url) { Print(url); });
//
// Event-driven: one io_context run by a few threads (one per core by
// default); each connection is a small state machine (Boost.Beast) with a
// buffer and a parser, so thousands of idle keep-alive connections cost
// memory, not threads. The connection layer enforces the header and body
// limits, the read and idle timeouts and the connection limit; the routes
// are in api.h.
//
// Thread safety: RunServer blocks the calling thread until SIGTERM or
// SIGINT; call it once per process.
#ifndef ACTLEDGER_SERVER_SERVER_H_
#define ACTLEDGER_SERVER_SERVER_H_

#include <functional>
#include <string>

#include "actledger/status.h"
#include "server/options.h"

namespace actledger::server {

// Opens the ledger of options.data_dir for writing (its lock keeps other
// writers out), its gate and state, listens, calls `on_listening` with the
// actual URL ("http://127.0.0.1:8470"), serves until SIGTERM or SIGINT,
// then stops accepting, finishes in-flight requests (up to
// shutdown_grace_ms), signs a final checkpoint over any unsigned records
// and returns OK. Errors: the ledger's open errors, kInvalidArgument for a
// bad listen address or TLS files, kUnavailable when the address is in
// use.
Status RunServer(
    const ServerOptions& options,
    const std::function<void(const std::string& url)>& on_listening);

// "127.0.0.1:8470", "[::1]:0", "localhost:8470" -> host and port.
// Errors: kInvalidArgument (field "listen").
Status ParseListen(const std::string& listen, std::string* host,
                   uint16_t* port);

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_SERVER_H_
