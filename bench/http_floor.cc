// The floor under `actledger serve`: the least an HTTP server that makes
// each request durable before it answers can do, built the way the real
// server is built (Boost.Beast on Boost.Asio, one I/O thread per core,
// keep-alive sessions, group commit on a thread of its own):
//
//   POST  the body is appended to one file; once a group of bodies has
//         been written and fdatasync'd, each gets 201 and
//         {"decision":"allow","seq":N}
//   else  200 {}
//
// No authentication, validation, canonical form, hashing, signing, policy,
// state or index: what is left is HTTP over loopback, the append and the
// sync. server_bench drives it with the same clients as the real server,
// in the same run, and prints the ratios (docs/BENCHMARKS.md, "Server").
//
//   http_floor --file PATH [--threads N]
//
// Prints "listening on 127.0.0.1:PORT" once it accepts; exits 0 on SIGTERM.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Appends bodies and syncs them in groups: everything queued while one
// group is being written and synced makes up the next.
class GroupCommitter {
 public:
  using Done = std::function<void(uint64_t seq)>;

  explicit GroupCommitter(int fd) : fd_(fd), thread_([this] { Run(); }) {}
  ~GroupCommitter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void Submit(std::string body, Done done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({std::move(body), std::move(done)});
    }
    cv_.notify_one();
  }

 private:
  struct Item {
    std::string body;
    Done done;
  };

  void Run() {
    std::vector<Item> group;
    uint64_t seq = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        group.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.end()));
        queue_.clear();
      }
      std::string bytes;
      for (const Item& it : group) {
        bytes += it.body;
        bytes += '\n';
      }
      for (size_t off = 0; off < bytes.size();) {
        const ssize_t n = ::write(fd_, bytes.data() + off, bytes.size() - off);
        if (n <= 0) {
          std::perror("http_floor: write");
          std::exit(1);
        }
        off += static_cast<size_t>(n);
      }
      if (::fdatasync(fd_) != 0) {
        std::perror("http_floor: fdatasync");
        std::exit(1);
      }
      for (Item& it : group) it.done(seq++);
      group.clear();
    }
  }

  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::thread thread_;
};

constexpr uint64_t kSmallBody = 64 << 10;
constexpr uint64_t kBigRead = 1 << 20;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, GroupCommitter* committer)
      : stream_(std::move(socket)), committer_(committer) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(64 << 20);
    stream_.expires_after(std::chrono::hours(1));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [s = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return s->Close();
          // As the real server does: room for large reads of a large body.
          const auto length = s->parser_->content_length();
          if (length && *length > kSmallBody) {
            s->buffer_.reserve(
                s->buffer_.size() +
                static_cast<size_t>(std::min<uint64_t>(*length, kBigRead)));
          }
          http::async_read(s->stream_, s->buffer_, *s->parser_,
                           [s](beast::error_code rec, size_t) {
                             if (rec) return s->Close();
                             if (s->buffer_.capacity() > kSmallBody) {
                               s->buffer_.shrink_to_fit();
                             }
                             s->OnRead();
                           });
        });
  }

 private:
  void OnRead() {
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    if (req.method() != http::verb::post) return Write(200, "{}");
    committer_->Submit(std::move(req.body()),
                       [s = shared_from_this()](uint64_t seq) {
                         asio::post(s->stream_.get_executor(), [s, seq] {
                           s->Write(201, "{\"decision\":\"allow\",\"seq\":" +
                                             std::to_string(seq) + "}");
                         });
                       });
  }

  void Write(unsigned status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "application/json");
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(
        stream_, *res,
        [s = shared_from_this(), res](beast::error_code ec, size_t) {
          if (ec || !s->keep_alive_) return s->Close();
          s->Read();
        });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  beast::tcp_stream stream_;
  GroupCommitter* committer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
};

void Accept(tcp::acceptor& acceptor, GroupCommitter* committer) {
  acceptor.async_accept(
      asio::make_strand(acceptor.get_executor()),
      [&acceptor, committer](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
          socket.set_option(tcp::no_delay(true));
          std::make_shared<Session>(std::move(socket), committer)->Read();
        }
        Accept(acceptor, committer);
      });
}

int Run(int argc, char** argv) {
  std::string file;
  unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--file") {
      file = argv[i + 1];
    } else if (k == "--threads") {
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    }
  }
  if (file.empty() || threads == 0) {
    std::fprintf(stderr, "usage: http_floor --file PATH [--threads N]\n");
    return 2;
  }
  const int fd = ::open(
      file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("http_floor: open");
    return 1;
  }
  asio::io_context io(static_cast<int>(threads));
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](beast::error_code, int) { io.stop(); });
  {
    GroupCommitter committer(fd);
    Accept(acceptor, &committer);
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  }
  ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Asio reports a failed bind or listen by throwing.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_floor: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "http_floor: unknown exception\n");
  }
  return 1;
}
