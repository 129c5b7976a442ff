#include "server/http.h"

#include <cctype>

#include "actledger/json.h"

namespace actledger::server {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 0
                     : (c >> 5) == 0x6  ? 1
                     : (c >> 4) == 0xE  ? 2
                     : (c >> 3) == 0x1E ? 3
                                        : 9;
    if (n == 9) return false;
    uint32_t cp = n == 0   ? c
                  : n == 1 ? (c & 0x1Fu)
                  : n == 2 ? (c & 0x0Fu)
                           : (c & 0x07u);
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points beyond U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

Status PercentDecode(std::string_view in, bool plus_is_space,
                     std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    // RFC 9112 allows no control characters in a request-target; raw ones
    // would reach error messages and the access log.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument("a control character is not allowed", "target");
    }
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return InvalidArgument("a '%' escape needs two hex digits", "target");
      }
      int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgument("a '%' escape needs two hex digits", "target");
      }
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') {
        return InvalidArgument("a NUL byte is not allowed", "target");
      }
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out->push_back(c);
  }
  if (!ValidUtf8(*out)) {
    return InvalidArgument("is not valid UTF-8 once decoded", "target");
  }
  return Status::Ok();
}

}  // namespace

Status ParseTarget(std::string_view target, std::string* path, Params* params) {
  params->clear();
  if (target.empty() || target.front() != '/') {
    return InvalidArgument("must be a path starting with '/'", "target");
  }
  const size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  const size_t hash = raw_path.find('#');
  if (hash != std::string_view::npos) raw_path = raw_path.substr(0, hash);
  ACTLEDGER_RETURN_IF_ERROR(PercentDecode(raw_path, false, path));
  if (q == std::string_view::npos) return Status::Ok();
  std::string_view query = target.substr(q + 1);
  if (const size_t h = query.find('#'); h != std::string_view::npos) {
    query = query.substr(0, h);
  }
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string name, value;
    ACTLEDGER_RETURN_IF_ERROR(PercentDecode(part.substr(0, eq), true, &name));
    if (eq != std::string_view::npos) {
      ACTLEDGER_RETURN_IF_ERROR(
          PercentDecode(part.substr(eq + 1), true, &value));
    }
    params->emplace_back(std::move(name), std::move(value));
  }
  return Status::Ok();
}

std::string MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) {
    t.remove_prefix(1);
  }
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

std::optional<std::string> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        kScheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

Result<std::optional<std::string>> Param(const Params& params,
                                         std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [k, v] : params) {
    if (k != name) continue;
    if (found.has_value()) {
      return InvalidArgument("may be given only once", std::string(name));
    }
    found = v;
  }
  return found;
}

Result<std::optional<uint64_t>> UintParam(const Params& params,
                                          std::string_view name) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<std::string> v, Param(params, name));
  if (!v.has_value()) return std::optional<uint64_t>();
  if (v->empty() || v->size() > 19 ||
      v->find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("must be an unsigned decimal integer",
                           std::string(name));
  }
  return std::optional<uint64_t>(std::stoull(*v));
}

Status ForEachNdjsonLine(
    std::string_view body,
    const std::function<Status(size_t, std::string_view)>& fn) {
  size_t line_no = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body =
        nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Blank: nothing but JSON whitespace (a stray CR included).
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ACTLEDGER_RETURN_IF_ERROR(fn(line_no, line));
  }
  return Status::Ok();
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(int http_status, const Status& status) {
  std::string body = "{\"error\":{\"code\":";
  json::AppendCanonicalString(StatusCodeName(status.code()), &body);
  body += ",\"message\":";
  json::AppendCanonicalString(status.message(), &body);
  body += ",\"field\":";
  json::AppendCanonicalString(status.field(), &body);
  body += "}}";
  return JsonResponse(http_status, std::move(body));
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(status.HttpStatus(), status);
}

HttpResponse OverloadedResponse(const std::string& what, int retry_after_s) {
  HttpResponse r = ErrorResponse(
      503, Status(StatusCode::kUnavailable,
                  "the server is overloaded (" + what + "); retry after " +
                      std::to_string(retry_after_s) + " s"));
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

}  // namespace actledger::server
