#include "server/server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actledger/ledger.h"
#include "gate/gate.h"
#include "server/access_log.h"
#include "server/api.h"
#include "server/metrics.h"
#include "storage/file.h"

namespace actledger::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A body over kSmallBody bytes is read in reads of up to kLargeRead bytes;
// between requests a connection keeps at most kSmallBody of buffer.
constexpr uint64_t kSmallBody = 64 << 10;
constexpr uint64_t kLargeRead = 1 << 20;

class SessionBase;

// What every connection shares.
struct Shared {
  ServerOptions options;
  Api* api = nullptr;
  Metrics* metrics = nullptr;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mu;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Graceful shutdown: an idle connection closes now, a busy one after
  // its response.
  virtual void Shutdown() = 0;
};

// One HTTP/1.1 connection: read one request, answer it, repeat while
// keep-alive. `Derived` supplies stream() (plain TCP or TLS) and the
// handshake and close of its kind.
template <class Derived>
class Session : public SessionBase {
 public:
  Session(std::shared_ptr<Shared> shared, const tcp::endpoint& remote)
      : shared_(std::move(shared)),
        remote_(remote.address().to_string() + ":" +
                std::to_string(remote.port())) {
    shared_->metrics->open_connections.fetch_add(1);
  }
  ~Session() override {
    shared_->metrics->open_connections.fetch_sub(1);
    std::lock_guard<std::mutex> lock(shared_->sessions_mu);
    shared_->sessions.erase(this);
  }

  void Register() {
    std::lock_guard<std::mutex> lock(shared_->sessions_mu);
    shared_->sessions.emplace(this, self().shared_from_this());
  }

  void Shutdown() override {
    asio::post(Lowest().get_executor(), [s = self().shared_from_this()] {
      if (s->idle_) s->Lowest().cancel();
    });
  }

  // Answers with 503 and closes: over the connection limit.
  void Refuse() {
    shared_->metrics->rejected_connections.fetch_add(1);
    keep_alive_ = false;
    Write(OverloadedResponse("too many connections", 1), 11);
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  beast::tcp_stream& Lowest() {
    return beast::get_lowest_layer(self().stream());
  }

  // Waits for the first bytes of the next request for up to the idle
  // timeout; from then on the whole request must arrive within the read
  // timeout (a client trickling bytes is cut off, slowloris).
  void DoRead() {
    if (shared_->stopping.load()) return self().DoClose();
    idle_ = true;
    if (buffer_.size() > 0) return ReadHeader();
    Lowest().expires_after(
        std::chrono::milliseconds(shared_->options.idle_timeout_ms));
    self().stream().async_read_some(
        buffer_.prepare(4096),
        [s = self().shared_from_this()](beast::error_code ec, size_t n) {
          s->buffer_.commit(n);
          if (ec) return s->self().DoClose();
          s->ReadHeader();
        });
  }

  void ReadHeader() {
    idle_ = false;
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_batch_bytes);
    Lowest().expires_after(
        std::chrono::milliseconds(shared_->options.read_timeout_ms));
    http::async_read_header(
        self().stream(), buffer_, *parser_,
        [s = self().shared_from_this()](beast::error_code ec, size_t) {
          s->OnHeader(ec);
        });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    const std::string type =
        MediaType(std::string(req[http::field::content_type]));
    const size_t limit = type == "application/x-ndjson"
                             ? shared_->options.max_batch_bytes
                             : shared_->options.max_record_bytes;
    if (auto length = parser_->content_length(); length && *length > limit) {
      return TooLarge(limit);
    }
    parser_->body_limit(limit);
    if (auto length = parser_->content_length();
        length && *length > kSmallBody) {
      // The parser reads at most the buffer's free capacity per read_some,
      // so a body in a small buffer arrives a few KiB per call (each one
      // through the reactor, a timer and the strand). Large reads while
      // the body lasts; OnRead gives the memory back.
      buffer_.reserve(buffer_.size() +
                      static_cast<size_t>(std::min(*length, kLargeRead)));
    }
    const bool expect_continue =
        beast::iequals(req[http::field::expect], "100-continue");
    if (expect_continue) {
      auto cont = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, version_);
      return http::async_write(
          self().stream(), *cont,
          [s = self().shared_from_this(), cont](beast::error_code wec, size_t) {
            if (wec) return s->self().DoClose();
            s->ReadBody();
          });
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(
        std::chrono::milliseconds(shared_->options.read_timeout_ms));
    http::async_read(self().stream(), buffer_, *parser_,
                     [s = self().shared_from_this()](
                         beast::error_code ec, size_t) { s->OnRead(ec); });
  }

  void TooLarge(size_t limit) {
    keep_alive_ = false;
    Write(ErrorResponse(ResourceExhausted("the body is over the limit of " +
                                              std::to_string(limit) +
                                              " bytes for its Content-Type",
                                          "body")),
          version_);
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      const auto type = parser_.has_value()
                            ? MediaType(std::string(
                                  parser_->get()[http::field::content_type]))
                            : std::string();
      return TooLarge(type == "application/x-ndjson"
                          ? shared_->options.max_batch_bytes
                          : shared_->options.max_record_bytes);
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      return Write(
          ErrorResponse(431, Status(StatusCode::kResourceExhausted,
                                    "the request headers are over "
                                    "the limit of " +
                                        std::to_string(
                                            shared_->options.max_header_bytes) +
                                        " bytes",
                                    "headers")),
          11);
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec.category() == asio::error::get_ssl_category()) {
      return self().DoClose();
    }
    // A malformed request: say so, then close (the stream cannot be
    // resynchronized).
    keep_alive_ = false;
    Write(ErrorResponse(InvalidArgument(
              "malformed HTTP request: " + ec.message(), "request")),
          11);
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    // An idle keep-alive connection holds a small buffer only.
    if (buffer_.capacity() > kSmallBody) buffer_.shrink_to_fit();
    auto msg = parser_->release();
    HttpRequest hr;
    hr.method = std::string(msg.method_string());
    hr.target = std::string(msg.target());
    hr.content_type = MediaType(std::string(msg[http::field::content_type]));
    hr.authorization = std::string(msg[http::field::authorization]);
    hr.body = std::move(msg.body());
    hr.remote = remote_;
    keep_alive_ = msg.keep_alive();
    Status st = ParseTarget(hr.target, &hr.path, &hr.params);
    if (!st.ok()) return Write(ErrorResponse(st), version_);
    busy_ = true;
    shared_->api->Handle(hr, [s = self().shared_from_this()](HttpResponse r) {
      asio::post(s->Lowest().get_executor(), [s, r = std::move(r)]() mutable {
        s->Write(std::move(r), s->version_);
      });
    });
  }

  void Write(HttpResponse r, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "actledger");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    const bool keep = keep_alive_ && !shared_->stopping.load();
    res->keep_alive(keep);
    res->body() = std::move(r.body);
    res->prepare_payload();
    Lowest().expires_after(
        std::chrono::milliseconds(shared_->options.read_timeout_ms));
    http::async_write(self().stream(), *res,
                      [s = self().shared_from_this(), res, keep](
                          beast::error_code ec, size_t) {
                        s->busy_ = false;
                        if (ec || !keep) return s->self().DoClose();
                        s->DoRead();
                      });
  }

  std::shared_ptr<Shared> shared_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool busy_ = false;
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket socket, std::shared_ptr<Shared> shared,
               const tcp::endpoint& remote)
      : Session(std::move(shared), remote), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  void Start() {
    Register();
    asio::dispatch(stream_.get_executor(),
                   [s = shared_from_this()] { s->DoRead(); });
  }
  void StartRefusing() {
    asio::dispatch(stream_.get_executor(),
                   [s = shared_from_this()] { s->Refuse(); });
  }
  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

 private:
  friend class Session<PlainSession>;
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>,
                   public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket socket, ssl::context& ctx,
             std::shared_ptr<Shared> shared, const tcp::endpoint& remote)
      : Session(std::move(shared), remote), stream_(std::move(socket), ctx) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void Start() {
    Register();
    asio::dispatch(Lowest().get_executor(), [s = shared_from_this()] {
      s->Lowest().expires_after(
          std::chrono::milliseconds(s->shared_->options.read_timeout_ms));
      s->stream_.async_handshake(ssl::stream_base::server,
                                 [s](beast::error_code ec) {
                                   if (ec) return s->CloseSocket();
                                   s->DoRead();
                                 });
    });
  }
  void StartRefusing() { CloseSocket(); }
  void DoClose() {
    Lowest().expires_after(std::chrono::seconds(5));
    stream_.async_shutdown(
        [s = shared_from_this()](beast::error_code) { s->CloseSocket(); });
  }

 private:
  friend class Session<TlsSession>;
  void CloseSocket() {
    beast::error_code ec;
    Lowest().socket().close(ec);
  }
  beast::ssl_stream<beast::tcp_stream> stream_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<Shared> shared,
           ssl::context* tls)
      : io_(io),
        acceptor_(asio::make_strand(io)),
        shared_(std::move(shared)),
        tls_(tls) {}

  Status Listen(const tcp::endpoint& ep) {
    beast::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status(StatusCode::kUnavailable,
                    "cannot listen on " + ep.address().to_string() + ":" +
                        std::to_string(ep.port()) + ": " + ec.message(),
                    "listen");
    }
    return Status::Ok();
  }
  tcp::endpoint local() const { return acceptor_.local_endpoint(); }

  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_),
        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }
  void Close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      beast::error_code rec;
      tcp::endpoint remote = socket.remote_endpoint(rec);
      socket.set_option(tcp::no_delay(true), rec);
      const bool over = shared_->metrics->open_connections.load() >=
                        shared_->options.max_connections;
      if (tls_ != nullptr) {
        auto s = std::make_shared<TlsSession>(std::move(socket), *tls_, shared_,
                                              remote);
        over ? s->StartRefusing() : s->Start();
      } else {
        auto s =
            std::make_shared<PlainSession>(std::move(socket), shared_, remote);
        over ? s->StartRefusing() : s->Start();
      }
    } else if (ec == asio::error::no_descriptors ||
               ec == asio::error::no_buffer_space) {
      // Out of file descriptors: pause instead of spinning.
      auto t = std::make_shared<asio::steady_timer>(io_);
      t->expires_after(std::chrono::milliseconds(50));
      t->async_wait([self = shared_from_this(), t](beast::error_code) {
        self->Accept();
      });
      return;
    }
    Accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  ssl::context* tls_;
};

}  // namespace

Status ParseListen(const std::string& listen, std::string* host,
                   uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) {
    return InvalidArgument("must be ADDR:PORT, e.g. 127.0.0.1:8470", "listen");
  }
  std::string h = listen.substr(0, colon);
  const std::string p = listen.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  if (h.empty() || p.size() > 5 ||
      p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(p) > 65535) {
    return InvalidArgument("must be ADDR:PORT with a port of 0 to 65535",
                           "listen");
  }
  *host = h == "localhost" ? "127.0.0.1" : h;
  *port = static_cast<uint16_t>(std::stoul(p));
  return Status::Ok();
}

Status RunServer(
    const ServerOptions& options,
    const std::function<void(const std::string& url)>& on_listening) {
  std::string host;
  uint16_t port = 0;
  ACTLEDGER_RETURN_IF_ERROR(ParseListen(options.listen, &host, &port));
  beast::error_code ec;
  const asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) {
    return InvalidArgument("\"" + host + "\" is not an IP address", "listen");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return InvalidArgument("TLS needs both --tls-cert and --tls-key",
                           options.tls_cert.empty() ? "tls-cert" : "tls-key");
  }

  std::optional<ssl::context> tls;
  if (!options.tls_cert.empty()) {
    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds |
                     ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    // OpenSSL reports a missing or unreadable file as a bare "asio.ssl
    // error"; the operating system's reason is what the operator needs.
    for (const auto& [path, field] : {std::pair{&options.tls_cert, "tls-cert"},
                                      std::pair{&options.tls_key, "tls-key"}}) {
      const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return InvalidArgument(
            "cannot read " + *path + ": " + storage::ErrnoText(errno), field);
      }
      ::close(fd);
    }
    tls->use_certificate_chain_file(options.tls_cert, ec);
    if (ec) {
      return InvalidArgument("cannot load " + options.tls_cert + ": " +
                                 ec.message() +
                                 " (expected a PEM certificate chain)",
                             "tls-cert");
    }
    tls->use_private_key_file(options.tls_key, ssl::context::pem, ec);
    if (ec) {
      return InvalidArgument(
          "cannot load " + options.tls_key + ": " + ec.message() +
              " (expected the PEM private key of the certificate)",
          "tls-key");
    }
  }

  ACTLEDGER_ASSIGN_OR_RETURN(LedgerOptions lo,
                             Ledger::ConfiguredOptions(options.data_dir));
  ACTLEDGER_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> ledger,
                             Ledger::Open(options.data_dir, lo));
  ACTLEDGER_ASSIGN_OR_RETURN(std::unique_ptr<gate::Gate> gate,
                             gate::Gate::Open(ledger.get()));
  // Requests commit to state.db holding the gate's lock: checkpoints go to
  // a thread of their own. Often, so that each is small: a checkpoint's
  // writes and syncs of state.db queue on the disk ahead of the ledger's
  // next fdatasync, which every request of that group commit waits for.
  // Every 200 ms, fdatasyncs of 20-48 ms followed them and the proposals'
  // p99 was 45-55 ms; every 20 ms, the slowest took 17 ms and the p99 was
  // 25-26 ms (docs/BENCHMARKS.md). A round with nothing to copy does no I/O.
  ACTLEDGER_RETURN_IF_ERROR(
      gate->state().StartBackgroundCheckpoints(std::chrono::milliseconds(20)));
  AccessLog log;
  ACTLEDGER_RETURN_IF_ERROR(log.Open(options.access_log));

  Metrics metrics;
  const unsigned threads =
      options.threads != 0 ? options.threads
                           : std::max(2u, std::thread::hardware_concurrency());
  asio::io_context io(static_cast<int>(threads));
  // Destroyed before the io_context: its pool and timers use it.
  auto api = std::make_unique<Api>(ledger.get(), gate.get(), options, &metrics,
                                   &log, &io);
  api->StartIndexer();
  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->api = api.get();
  shared->metrics = &metrics;

  auto listener = std::make_shared<Listener>(io, shared, tls ? &*tls : nullptr);
  ACTLEDGER_RETURN_IF_ERROR(listener->Listen(tcp::endpoint(addr, port)));
  const tcp::endpoint local = listener->local();
  const std::string shown = local.address().is_v6()
                                ? "[" + local.address().to_string() + "]"
                                : local.address().to_string();
  listener->Accept();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(io);
  Clock::time_point deadline;
  std::function<void()> poll_drained = [&] {
    // Strong references are taken under the lock and dropped outside it:
    // the last one may destroy a session, whose destructor takes the lock.
    std::vector<std::shared_ptr<SessionBase>> open;
    {
      std::lock_guard<std::mutex> lock(shared->sessions_mu);
      for (auto& [p, w] : shared->sessions) {
        if (auto s = w.lock()) open.push_back(std::move(s));
      }
    }
    if ((api->in_flight() == 0 && open.empty()) || Clock::now() >= deadline) {
      io.stop();
      return;
    }
    for (auto& s : open) s->Shutdown();
    open.clear();
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](beast::error_code) { poll_drained(); });
  };
  signals.async_wait([&](beast::error_code wec, int) {
    if (wec) return;
    shared->stopping.store(true);
    deadline =
        Clock::now() + std::chrono::milliseconds(options.shutdown_grace_ms);
    listener->Close();
    api->WakeAllWaiters();
    poll_drained();
  });

  on_listening(std::string(tls ? "https://" : "http://") + shown + ":" +
               std::to_string(local.port()));

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();

  // The ledger may still complete appends of requests cut off by the grace
  // deadline; their callbacks reach the Api, so it lives until they ran.
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
  while (api->appends_pending() > 0 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  api.reset();
  listener.reset();
  // Every acknowledged record is already durable; sign what is unsigned so
  // the next auditor sees a checkpoint over all of it.
  Result<std::string> note = ledger->LatestCheckpoint();
  bool covered = false;
  if (note.ok()) {
    const size_t a = note->find('\n');
    const size_t b = a == std::string::npos ? a : note->find('\n', a + 1);
    covered = b != std::string::npos &&
              note->substr(a + 1, b - a - 1) == std::to_string(ledger->size());
  }
  if (!covered && ledger->size() > 0) {
    Result<std::string> cp = ledger->Checkpoint();
    if (!cp.ok()) return cp.status();
  }
  return Status::Ok();
}

}  // namespace actledger::server
