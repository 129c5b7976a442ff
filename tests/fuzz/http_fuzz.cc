// The server's request decoding on arbitrary bytes: Beast's HTTP/1.1
// request parser with the server's header and body limits, then the
// request-target, media type, bearer token and NDJSON splitting helpers of
// src/server/http.h. Nothing may crash; a decoded path and query must be
// valid UTF-8 without NUL (they end up in JSON error messages and the
// access log), and an NDJSON split must only yield non-blank lines that
// occur in the body.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/json.h"
#include "fuzz/fuzz_util.h"
#include "server/http.h"

namespace {

namespace http = boost::beast::http;
using actledger::Status;
using actledger::fuzz::Check;
namespace server = actledger::server;

void CheckText(const std::string& s, const char* what) {
  Check(s.find('\0') == std::string::npos, what, s);
  // Valid UTF-8 canonicalizes to a JSON string that parses back to itself.
  std::string quoted;
  actledger::json::AppendCanonicalString(s, &quoted);
  auto parsed = actledger::json::Parse(quoted);
  Check(parsed.ok() && parsed->is_string() && parsed->as_string() == s, what,
        s);
}

// Boost 1.74's Beast hands out boost::string_view, which does not convert
// to std::string_view.
std::string_view Std(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

void Decode(std::string_view target, std::string_view content_type,
            std::string_view authorization, std::string_view body) {
  std::string path;
  server::Params params;
  Status st = server::ParseTarget(target, &path, &params);
  if (st.ok()) {
    CheckText(path, "decoded path is not clean UTF-8");
    for (const auto& [k, v] : params) {
      CheckText(k, "decoded parameter name is not clean UTF-8");
      CheckText(v, "decoded parameter value is not clean UTF-8");
    }
    (void)server::UintParam(params, "seq");
    (void)server::Param(params, "wait");
  } else {
    Check(st.field() == "target", "target error without field", st.message());
  }
  const std::string media = server::MediaType(content_type);
  Check(media.find(';') == std::string::npos, "media type kept parameters",
        media);
  (void)server::BearerToken(authorization);
  Status nd =
      server::ForEachNdjsonLine(body, [&](size_t n, std::string_view line) {
        Check(n >= 1, "line numbers start at 1");
        Check(line.find('\n') == std::string_view::npos,
              "an NDJSON line holds a newline");
        Check(line.find_first_not_of(" \t\r") != std::string_view::npos,
              "a blank NDJSON line was passed on");
        Check(body.find(line) != std::string_view::npos,
              "an NDJSON line is not part of the body");
        return Status::Ok();
      });
  Check(nd.ok(), "ForEachNdjsonLine failed without a callback error");
  server::HttpResponse r = server::ErrorResponse(
      actledger::InvalidArgument(std::string(target.substr(0, 64)), "x"));
  (void)r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(256 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < input.size() && !parser.is_done()) {
    const size_t n = parser.put(
        boost::asio::buffer(input.data() + used, input.size() - used), ec);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || n == 0) break;
    used += n;
  }
  if (!ec && parser.is_done()) {
    const auto& req = parser.get();
    Decode(Std(req.target()), Std(req[http::field::content_type]),
           Std(req[http::field::authorization]), req.body());
  }
  // The helpers on raw bytes too, beyond what the parser lets through.
  const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  Decode(input.substr(0, cut), input.substr(cut), input, input);
  return 0;
}
