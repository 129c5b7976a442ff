// `actledger serve --tls-cert --tls-key`: HTTPS with the configured
// certificate, plain HTTP on the TLS port refused without harm, and TLS
// configuration errors that name the option. The certificate is made at
// test time with OpenSSL's C API; the client is Boost.Beast's ssl_stream,
// which verifies the server's certificate and IP address against it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "server/server_harness.h"

namespace actledger::server_testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct FileClose {
  void operator()(FILE* f) const {
    if (std::fclose(f) != 0) ADD_FAILURE() << "fclose: " << errno;
  }
};

// A self-signed P-256 certificate for 127.0.0.1 (CN and subjectAltName),
// valid from now for a day, written as PEM to cert_path and key_path.
void MakeSelfSigned(const std::string& cert_path, const std::string& key_path,
                    const std::string& common_name = "127.0.0.1") {
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_EC_gen("P-256"));
  ASSERT_NE(key, nullptr);
  std::unique_ptr<X509, CertFree> cert(X509_new());
  ASSERT_NE(cert, nullptr);
  ASSERT_EQ(X509_set_version(cert.get(), X509_VERSION_3), 1);
  ASSERT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1), 1);
  ASSERT_NE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60), nullptr);
  ASSERT_NE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600),
            nullptr);
  ASSERT_EQ(X509_set_pubkey(cert.get(), key.get()), 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(
                name, "CN", MBSTRING_ASC,
                reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                -1, 0),
            1);
  ASSERT_EQ(X509_set_issuer_name(cert.get(), name), 1);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = "IP:" + common_name;
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  ASSERT_NE(ext, nullptr);
  const int added = X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  ASSERT_EQ(added, 1);
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);

  std::unique_ptr<FILE, FileClose> c(std::fopen(cert_path.c_str(), "w"));
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(PEM_write_X509(c.get(), cert.get()), 1);
  std::unique_ptr<FILE, FileClose> k(std::fopen(key_path.c_str(), "w"));
  ASSERT_NE(k, nullptr);
  ASSERT_EQ(PEM_write_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0,
                                 nullptr, nullptr),
            1);
}

// The certificate in a PEM file, for comparing with what the server sent.
std::unique_ptr<X509, CertFree> ReadCert(const std::string& path) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(path.c_str(), "r"));
  if (f == nullptr) return nullptr;
  return std::unique_ptr<X509, CertFree>(
      PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
}

struct HttpsReply {
  std::string error;  // empty when the exchange completed
  int status = 0;
  std::string body;
  std::unique_ptr<X509, CertFree> peer;  // the certificate the server sent
};

// One HTTPS request with Beast, trusting only `ca_file` and checking that
// the certificate is for 127.0.0.1.
HttpsReply Https(int port, const std::string& ca_file,
                 const std::string& method, const std::string& target,
                 const std::string& token = "", const std::string& body = "",
                 const std::string& content_type = "application/json") {
  HttpsReply out;
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  beast::error_code ec;
  ctx.load_verify_file(ca_file, ec);
  if (ec) {
    out.error = "load_verify_file: " + ec.message();
    return out;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                    static_cast<uint16_t>(port)),
      ec);
  if (!ec) stream.handshake(ssl::stream_base::client, ec);
  if (ec) {
    out.error = "connect/handshake: " + ec.message();
    return out;
  }
  out.peer.reset(SSL_get1_peer_certificate(stream.native_handle()));
  http::request<http::string_body> req(
      method == "POST" ? http::verb::post : http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) {
    out.error = "exchange: " + ec.message();
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  stream.shutdown(ec);  // the server's close_notify; errors do not matter
  return out;
}

class ServerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = h_.dir() + "/cert.pem";
    key_ = h_.dir() + "/key.pem";
    MakeSelfSigned(cert_, key_);
  }
  // `actledger serve` over TLS on an ephemeral port, on the harness's
  // ledger.
  void StartTls() {
    h_.Start(
        {"--tls-cert", cert_, "--tls-key", key_, "--read-timeout-ms", "5000"});
    ASSERT_NE(h_.startup_line().find("listening on https://"),
              std::string::npos)
        << h_.startup_line();
  }
  ServerHarness h_;
  std::string cert_, key_;
};

TEST_F(ServerTls, ServesHttpsWithTheConfiguredCertificate) {
  const std::string writer = h_.Principal("agent@tls", {"writer"});
  const std::string auditor = h_.Principal("audit@tls", {"auditor"});
  ASSERT_NO_FATAL_FAILURE(StartTls());

  HttpsReply health = Https(h_.port(), cert_, "GET", "/healthz");
  ASSERT_EQ(health.error, "") << h_.Log();
  EXPECT_EQ(health.status, 200);
  Result<json::Value> hv = json::Parse(health.body);
  ASSERT_TRUE(hv.ok()) << health.body;
  EXPECT_EQ(hv->Find("status")->as_string(), "ok");
  // The server presented exactly the certificate it was configured with.
  std::unique_ptr<X509, CertFree> mine = ReadCert(cert_);
  ASSERT_NE(mine, nullptr);
  ASSERT_NE(health.peer, nullptr);
  EXPECT_EQ(X509_cmp(mine.get(), health.peer.get()), 0);

  // Authentication and appends work the same over TLS.
  HttpsReply put = Https(h_.port(), cert_, "POST", "/v1/records", writer,
                         ActionRecord("tls-1"));
  ASSERT_EQ(put.error, "");
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(JsonField(put.body, "action_id"), "tls-1");
  const std::string seq = JsonField(put.body, "seq");
  HttpsReply got =
      Https(h_.port(), cert_, "GET", "/v1/records/" + seq, auditor);
  ASSERT_EQ(got.error, "");
  ASSERT_EQ(got.status, 200) << got.body;
  Result<json::Value> rec = json::Parse(got.body);
  ASSERT_TRUE(rec.ok()) << got.body;
  EXPECT_EQ(rec->Find("recorded_by")->as_string(), "agent@tls");
  HttpsReply anonymous = Https(h_.port(), cert_, "GET", "/v1/checkpoint");
  ASSERT_EQ(anonymous.error, "");
  EXPECT_EQ(anonymous.status, 401);

  EXPECT_EQ(h_.Stop(), 0) << h_.Log();
}

TEST_F(ServerTls, ClientThatTrustsAnotherCertificateFailsTheHandshake) {
  const std::string other_cert = h_.dir() + "/other.pem";
  const std::string other_key = h_.dir() + "/other-key.pem";
  MakeSelfSigned(other_cert, other_key);
  ASSERT_NO_FATAL_FAILURE(StartTls());
  HttpsReply r = Https(h_.port(), other_cert, "GET", "/healthz");
  EXPECT_NE(r.error, "");
  EXPECT_EQ(r.status, 0);
  // The failed handshake cost the server nothing.
  HttpsReply ok = Https(h_.port(), cert_, "GET", "/healthz");
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.status, 200);
}

TEST_F(ServerTls, PlainHttpOnTheTlsPortIsClosedWithoutAnHttpReply) {
  ASSERT_NO_FATAL_FAILURE(StartTls());
  for (int i = 0; i < 3; ++i) {
    HttpClient plain(h_.port(), 10000);
    ASSERT_TRUE(plain.connected());
    ASSERT_TRUE(plain.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Whatever comes back (at most a TLS alert) is not HTTP, and the
    // server closes the connection promptly instead of waiting for more.
    std::string received;
    bool closed = false;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{plain.fd(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = ::recv(plain.fd(), buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      received.append(buf, static_cast<size_t>(n));
    }
    EXPECT_TRUE(closed) << "the server kept a plain-HTTP connection open";
    EXPECT_EQ(received.rfind("HTTP/", 0), std::string::npos) << received;
  }
  EXPECT_TRUE(h_.Running()) << h_.Log();
  HttpsReply ok = Https(h_.port(), cert_, "GET", "/healthz");
  EXPECT_EQ(ok.error, "") << h_.Log();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(h_.Stop(), 0) << h_.Log();
}

// `serve` refuses to start, exit 3, with an error naming `field`.
void ExpectConfigError(const std::vector<std::string>& args,
                       const std::string& field, const std::string& mention) {
  cli_testing::RunResult r = RunCli(args);
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("invalid_argument: " + field + ": "), std::string::npos)
      << r;
  EXPECT_NE(r.err.find(mention), std::string::npos) << r;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << r;
}

TEST_F(ServerTls, MissingKeyFileIsRefusedNamingTlsKey) {
  const std::string missing = h_.dir() + "/no-such-key.pem";
  ExpectConfigError({"--data", h_.data(), "serve", "--listen", "127.0.0.1:0",
                     "--tls-cert", cert_, "--tls-key", missing},
                    "tls-key",
                    "cannot read " + missing + ": No such file or directory");
  // The same from a configuration file.
  const std::string config = h_.dir() + "/serve.yaml";
  cli_testing::WriteFile(config, "listen: 127.0.0.1:0\ntls-cert: " + cert_ +
                                     "\ntls-key: " + missing + "\n");
  ExpectConfigError({"--data", h_.data(), "serve", "--config", config},
                    "tls-key",
                    "cannot read " + missing + ": No such file or directory");
}

TEST_F(ServerTls, CertificateWithoutKeyIsRefusedNamingTlsKey) {
  ExpectConfigError({"--data", h_.data(), "serve", "--listen", "127.0.0.1:0",
                     "--tls-cert", cert_},
                    "tls-key", "both");
}

TEST_F(ServerTls, UnreadableCertificateIsRefusedNamingTlsCert) {
  const std::string garbage = h_.dir() + "/garbage.pem";
  cli_testing::WriteFile(garbage, "not a certificate\n");
  ExpectConfigError({"--data", h_.data(), "serve", "--listen", "127.0.0.1:0",
                     "--tls-cert", garbage, "--tls-key", key_},
                    "tls-cert", garbage);
}

TEST_F(ServerTls, KeyThatDoesNotMatchTheCertificateIsRefused) {
  const std::string other_cert = h_.dir() + "/other.pem";
  const std::string other_key = h_.dir() + "/other-key.pem";
  MakeSelfSigned(other_cert, other_key);
  ExpectConfigError({"--data", h_.data(), "serve", "--listen", "127.0.0.1:0",
                     "--tls-cert", cert_, "--tls-key", other_key},
                    "tls-key", other_key);
}

}  // namespace
}  // namespace actledger::server_testing
