// The server's view of HTTP, free of the network library: a request as the
// router sees it, a response as it produces it, and the pure helpers that
// parse request targets and bodies (shared with the fuzz target).
//
// Thread safety: values and free functions.
#ifndef ACTLEDGER_SERVER_HTTP_H_
#define ACTLEDGER_SERVER_HTTP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/status.h"

namespace actledger::server {

using Params = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;         // "GET", "POST", "DELETE", ...
  std::string target;         // as received: path and query
  std::string path;           // percent-decoded, without the query
  Params params;              // percent-decoded query parameters, in order
  std::string content_type;   // media type only, lowercase, no parameters
  std::string authorization;  // the raw header value (never logged)
  std::string body;
  std::string remote;  // "ip:port" of the peer
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

// Splits a request target into its percent-decoded path and query
// parameters ('+' is a space in the query). Errors: kInvalidArgument
// (field "target") for a target that is not origin-form, a malformed
// escape or a decoded NUL byte.
Status ParseTarget(std::string_view target, std::string* path, Params* params);

// The media type of a Content-Type value, lowercase, without parameters
// ("Application/JSON; charset=utf-8" -> "application/json").
std::string MediaType(std::string_view content_type);

// The token of "Bearer <token>", or nullopt when the header is absent or
// of another scheme.
std::optional<std::string> BearerToken(std::string_view authorization);

// The value of query parameter `name`, or nullopt. Errors: kInvalidArgument
// (field = name) when it is given more than once.
Result<std::optional<std::string>> Param(const Params& params,
                                         std::string_view name);
// An unsigned decimal parameter (no sign, no leading '+', at most 19
// digits). Errors: kInvalidArgument naming the parameter.
Result<std::optional<uint64_t>> UintParam(const Params& params,
                                          std::string_view name);

// Calls fn(line_number, line) for each non-blank line of an NDJSON body
// (a final line without '\n' counts; "\r\n" endings are accepted); stops
// at the first error fn returns and returns it.
Status ForEachNdjsonLine(
    std::string_view body,
    const std::function<Status(size_t, std::string_view)>& fn);

// {"error":{"code":"…","message":"…","field":"…"}} with the status's
// HTTP code (Status::HttpStatus()).
HttpResponse ErrorResponse(const Status& status);
HttpResponse ErrorResponse(int http_status, const Status& status);
// 503 with Retry-After: the server is over one of its bounds.
HttpResponse OverloadedResponse(const std::string& what, int retry_after_s);
HttpResponse JsonResponse(int status, std::string body);

// "Bad Request" for 400, ... (for the status line and the access log).
const char* ReasonPhrase(int status);

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_HTTP_H_
