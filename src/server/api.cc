#include "server/api.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <thread>

#include "actledger/checkpoint.h"
#include "actledger/json.h"
#include "actledger/record.h"
#include "common/encoding.h"
#include "common/time.h"
#include "crypto/sha256.h"
#include "gate/decision_json.h"
#include "index/index.h"
#include "report/report.h"

namespace actledger::server {
namespace {

namespace asio = boost::asio;
using json::Value;
using Clock = std::chrono::steady_clock;

const char* const kStandardRoles[] = {"writer", "approver", "auditor", "admin"};

std::string Sha256Hex(std::string_view data) {
  crypto::Digest d = crypto::Sha256(data);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Value Num(uint64_t n) { return Value::Number(static_cast<double>(n)); }

Value HashArray(const std::vector<merkle::Hash>& path) {
  Value::Array a;
  for (const merkle::Hash& h : path)
    a.push_back(Value::String(merkle::ToHex(h)));
  return Value::MakeArray(std::move(a));
}

Value StringArray(const std::vector<std::string>& items) {
  Value::Array a;
  for (const std::string& s : items) a.push_back(Value::String(s));
  return Value::MakeArray(std::move(a));
}

std::string ReceiptJson(const Receipt& r) {
  Value v = Value::MakeObject();
  v.Set("seq", Num(r.seq));
  v.Set("action_id", Value::String(r.action_id));
  v.Set("leaf_hash", Value::String(merkle::ToHex(r.leaf_hash)));
  v.Set("missing", StringArray(r.missing));
  return json::Canonical(v);
}

HttpResponse Json(int status, const Value& v) {
  return JsonResponse(status, json::Canonical(v));
}

// A JSON object body, or a 400 naming `field`.
Result<Value> ParseObject(const std::string& body, const std::string& field) {
  Result<Value> v = json::Parse(body);
  if (!v.ok()) {
    return InvalidArgument("malformed JSON: " + v.status().message(), field);
  }
  if (!v->is_object()) {
    return InvalidArgument("must be a JSON object", field);
  }
  return v;
}

Status RequireMediaType(const HttpRequest& r,
                        std::initializer_list<std::string_view> allowed) {
  for (std::string_view a : allowed) {
    if (r.content_type == a) return Status::Ok();
  }
  std::string list;
  for (std::string_view a : allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return Status(
      StatusCode::kInvalidArgument,
      "Content-Type " +
          (r.content_type.empty() ? std::string("(none)") : r.content_type) +
          " is not accepted here; use " + list,
      "Content-Type");
}

HttpResponse UnsupportedMediaType(const Status& st) {
  return ErrorResponse(415, st);
}

// Splits "/v1/actions/x/outcome" into {"v1","actions","x","outcome"}.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

Result<uint64_t> ParseSeq(const std::string& text, const std::string& field) {
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("must be an unsigned decimal integer", field);
  }
  return std::stoull(text);
}

// The tree size of a signed checkpoint note (its second line).
Result<uint64_t> NoteSize(const std::string& note) {
  const size_t a = note.find('\n');
  const size_t b = a == std::string::npos ? a : note.find('\n', a + 1);
  if (b == std::string::npos) return DataLoss("malformed checkpoint note");
  return ParseSeq(note.substr(a + 1, b - a - 1), "checkpoint");
}

}  // namespace

bool Api::Identity::Has(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

struct Api::PendingAppend {
  std::vector<state::RecordFacts> facts;  // plain records, one per request
  std::optional<gate::StagedWrite> staged;
  size_t bytes = 0;
  Clock::time_point queued;
  // Runs once the state has the records, or the append failed.
  std::function<void(Result<std::vector<Receipt>>&, gate::StagedWrite*)> finish;
};

struct Api::Waiter {
  std::string action_id;
  keystore::View view = keystore::View::kRedactedOnly;
  Respond respond;
  std::unique_ptr<asio::steady_timer> timer;
  std::atomic<bool> fired{false};
};

// The query index, kept caught up by its own thread; queries and reports
// open their own Index (an Index is one connection, not thread-safe).
struct Api::Indexer {
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<int64_t> applied{-1};
  std::atomic<bool> failed{false};
};

Api::Api(Ledger* ledger, gate::Gate* gate, const ServerOptions& options,
         Metrics* metrics, AccessLog* log, asio::io_context* io)
    : ledger_(ledger),
      gate_(gate),
      options_(options),
      metrics_(metrics),
      log_(log),
      io_(io),
      blocking_(std::make_unique<asio::thread_pool>(2)) {}

Api::~Api() {
  StopIndexer();
  blocking_->join();
}

// --- Authentication ---------------------------------------------------------

Result<Api::Identity> Api::Authenticate(const HttpRequest& request) {
  std::optional<std::string> token = BearerToken(request.authorization);
  if (!token.has_value()) {
    return Status(StatusCode::kUnauthenticated,
                  "this route needs a token: send the header "
                  "\"Authorization: Bearer <token>\"",
                  "Authorization");
  }
  // Tokens are looked up by their SHA-256, so lookup timing reveals
  // nothing usable about the token itself.
  const std::string sha = Sha256Hex(*token);
  {
    std::lock_guard<std::mutex> lock(auth_mu_);
    if (auto it = auth_cache_.find(sha); it != auth_cache_.end()) {
      return it->second;
    }
  }
  std::lock_guard<std::mutex> gate_lock(gate_mu_);
  Result<std::optional<state::TokenInfo>> info =
      gate_->state().TokenBySha256(sha);
  if (!info.ok()) return info.status();
  if (!info->has_value() || (*info)->revoked_seq >= 0) {
    return Status(StatusCode::kUnauthenticated,
                  "the token is not valid (unknown or revoked)",
                  "Authorization");
  }
  Result<std::vector<std::string>> roles = gate_->RolesOf((*info)->principal);
  if (!roles.ok()) return roles.status();
  Identity who{(*info)->principal, std::move(roles).value()};
  // Filled under gate_mu_, the same lock under which key records are
  // applied and the cache is cleared, so no stale entry survives.
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (auth_cache_.size() >= 10000) auth_cache_.clear();
  auth_cache_.emplace(sha, who);
  return who;
}

// --- Dispatch ---------------------------------------------------------------

void Api::Handle(const HttpRequest& request, Respond respond) {
  in_flight_.fetch_add(1);
  const Clock::time_point start = Clock::now();
  auto route = std::make_shared<std::string>("unmatched");
  auto principal = std::make_shared<std::string>();
  Respond done = [this, respond = std::move(respond), route, principal, start,
                  method = request.method, path = request.path,
                  remote = request.remote,
                  bytes_in = request.body.size()](HttpResponse r) {
    const double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    metrics_->CountRequest(*route, r.status);
    metrics_->request_seconds.Observe(seconds);
    if (log_->enabled()) {
      Value line = Value::MakeObject();
      line.Set("time", Value::String(FormatRfc3339Utc(NowUtc())));
      line.Set("remote", Value::String(remote));
      line.Set("method", Value::String(method));
      line.Set("path", Value::String(path));
      line.Set("route", Value::String(*route));
      line.Set("status", Value::Number(r.status));
      line.Set("principal",
               principal->empty() ? Value::Null() : Value::String(*principal));
      line.Set("bytes_in", Num(bytes_in));
      line.Set("bytes_out", Num(r.body.size()));
      line.Set("ms", Value::Number(static_cast<double>(
                                       static_cast<int64_t>(seconds * 1e6)) /
                                   1e3));
      log_->Write(json::Canonical(line));
    }
    respond(std::move(r));
    in_flight_.fetch_sub(1);
  };

  const std::vector<std::string> seg = Segments(request.path);
  const std::string& m = request.method;
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (want.size() != seg.size()) return false;
    size_t i = 0;
    for (std::string_view w : want) {
      if (w != "*" && w != seg[i]) return false;
      ++i;
    }
    return true;
  };

  // Route patterns, and the methods each accepts.
  // cppcheck misses uses through std::optional's operator->.
  struct Match {
    const char* pattern;               // cppcheck-suppress unusedStructMember
    std::vector<const char*> methods;  // cppcheck-suppress unusedStructMember
  };
  std::optional<Match> match;
  if (is({"healthz"})) {
    match = Match{"/healthz", {"GET"}};
  } else if (is({"metrics"})) {
    match = Match{"/metrics", {"GET"}};
  } else if (is({"v1", "records"})) {
    match = Match{"/v1/records", {"GET", "POST"}};
  } else if (is({"v1", "records", "*"})) {
    match = Match{"/v1/records/{seq}", {"GET"}};
  } else if (is({"v1", "actions"})) {
    match = Match{"/v1/actions", {"POST"}};
  } else if (is({"v1", "actions", "*"})) {
    match = Match{"/v1/actions/{id}", {"GET"}};
  } else if (is({"v1", "actions", "*", "outcome"})) {
    match = Match{"/v1/actions/{id}/outcome", {"POST"}};
  } else if (is({"v1", "approvals"})) {
    match = Match{"/v1/approvals", {"GET"}};
  } else if (is({"v1", "approvals", "*"})) {
    match = Match{"/v1/approvals/{action_id}", {"POST"}};
  } else if (is({"v1", "checkpoint"})) {
    match = Match{"/v1/checkpoint", {"GET"}};
  } else if (is({"v1", "proof", "inclusion"})) {
    match = Match{"/v1/proof/inclusion", {"GET"}};
  } else if (is({"v1", "proof", "consistency"})) {
    match = Match{"/v1/proof/consistency", {"GET"}};
  } else if (is({"v1", "reports", "*"})) {
    match = Match{"/v1/reports/{name}", {"GET"}};
  } else if (is({"v1", "tokens"})) {
    match = Match{"/v1/tokens", {"GET", "POST"}};
  } else if (is({"v1", "tokens", "*"})) {
    match = Match{"/v1/tokens/{id}", {"DELETE"}};
  } else if (is({"v1", "principals", "*", "roles"})) {
    match = Match{"/v1/principals/{name}/roles", {"GET", "POST"}};
  } else if (is({"v1", "principals", "*", "roles", "*"})) {
    match = Match{"/v1/principals/{name}/roles/{role}", {"DELETE"}};
  } else if (is({"v1", "policy"})) {
    match = Match{"/v1/policy", {"GET", "POST"}};
  }
  const bool empty_segment = std::any_of(
      seg.begin(), seg.end(), [](const std::string& s) { return s.empty(); });
  if (!match.has_value() || empty_segment) {
    return done(ErrorResponse(
        NotFound("no route " + request.path + " (see docs/API.md)")));
  }
  if (std::find_if(match->methods.begin(), match->methods.end(),
                   [&](const char* x) { return m == x; }) ==
      match->methods.end()) {
    *route = std::string(match->pattern);
    std::string allow;
    for (const char* x : match->methods) {
      allow += (allow.empty() ? "" : ", ") + std::string(x);
    }
    HttpResponse r =
        ErrorResponse(405, Status(StatusCode::kInvalidArgument,
                                  m + " is not allowed on " + match->pattern +
                                      " (allowed: " + allow + ")",
                                  "method"));
    r.headers.emplace_back("Allow", allow);
    return done(std::move(r));
  }
  *route = m + " " + match->pattern;

  if (*route == "GET /healthz") {
    Value v = Value::MakeObject();
    v.Set("status", Value::String("ok"));
    v.Set("records", Num(ledger_->size()));
    return done(Json(200, v));
  }
  Result<Identity> who = Authenticate(request);
  if (!who.ok()) {
    HttpResponse r = ErrorResponse(who.status());
    if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return done(std::move(r));
  }
  *principal = who->principal;
  Dispatch(request, *who, *route, done);
}

void Api::Dispatch(const HttpRequest& r, const Identity& who,
                   const std::string& route, const Respond& respond) {
  const std::vector<std::string> seg = Segments(r.path);
  // Holders of a role named by a policy class (not one of the four
  // standard ones) are approvers of that class.
  bool approverish = who.Has("approver");
  for (const std::string& role : who.roles) {
    if (std::find(std::begin(kStandardRoles), std::end(kStandardRoles), role) ==
        std::end(kStandardRoles)) {
      approverish = true;
    }
  }
  auto require = [&](std::initializer_list<const char*> any) {
    for (const char* role : any) {
      if (role == std::string("approver") ? approverish : who.Has(role)) {
        return true;
      }
    }
    std::string list;
    for (const char* role : any) {
      list += (list.empty() ? "" : " or ") + std::string(role);
    }
    respond(
        ErrorResponse(PermissionDenied(who.principal + " may not call " +
                                       route + ": it needs the role " + list)));
    return false;
  };

  if (route == "GET /metrics") {
    if (require({"auditor", "admin"})) GetMetrics(respond);
  } else if (route == "POST /v1/records") {
    if (require({"writer"})) PostRecords(r, who, respond);
  } else if (route == "GET /v1/records") {
    if (require({"auditor"})) QueryRecords(r, ViewFor(who), respond);
  } else if (route == "GET /v1/records/{seq}") {
    if (require({"auditor"})) GetRecord(r, seg[2], ViewFor(who), respond);
  } else if (route == "POST /v1/actions") {
    if (require({"writer"})) PostAction(r, who, respond);
  } else if (route == "GET /v1/actions/{id}") {
    if (require({"writer", "approver", "auditor"})) {
      GetAction(r, seg[2], ViewFor(who), respond);
    }
  } else if (route == "POST /v1/actions/{id}/outcome") {
    if (require({"writer"})) PostOutcome(r, who, seg[2], respond);
  } else if (route == "GET /v1/approvals") {
    if (require({"approver", "auditor"})) GetApprovals(r, respond);
  } else if (route == "POST /v1/approvals/{action_id}") {
    // Which roles may decide depends on the action's class: the gate
    // checks them (and separation of duties).
    PostApproval(r, who, seg[2], respond);
  } else if (route == "GET /v1/checkpoint") {
    if (require({"auditor"})) GetCheckpoint(respond);
  } else if (route == "GET /v1/proof/inclusion") {
    if (require({"auditor"})) GetInclusion(r, respond);
  } else if (route == "GET /v1/proof/consistency") {
    if (require({"auditor"})) GetConsistency(r, respond);
  } else if (route == "GET /v1/reports/{name}") {
    if (require({"auditor"})) GetReport(r, seg[2], ViewFor(who), respond);
  } else if (route == "GET /v1/tokens") {
    if (!require({"admin"})) return;
    std::lock_guard<std::mutex> lock(gate_mu_);
    Result<std::vector<state::TokenInfo>> list = gate_->state().Tokens();
    if (!list.ok()) return respond(ErrorResponse(list.status()));
    Value::Array tokens;
    for (const state::TokenInfo& t : *list) {
      tokens.push_back(Value::MakeObject(
          {{"token_id", Value::String(t.token_id)},
           {"principal", Value::String(t.principal)},
           {"created_by", Value::String(t.created_by)},
           {"created_seq", Value::Number(static_cast<double>(t.created_seq))},
           {"revoked", Value::Bool(t.revoked_seq >= 0)}}));
    }
    respond(Json(200, Value::MakeObject(
                          {{"tokens", Value::MakeArray(std::move(tokens))}})));
  } else if (route == "POST /v1/tokens") {
    if (!require({"admin"})) return;
    if (Status st = RequireMediaType(r, {"application/json"}); !st.ok()) {
      return respond(UnsupportedMediaType(st));
    }
    Result<Value> body = ParseObject(r.body, "body");
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    const Value* p = body->Find("principal");
    if (p == nullptr || !p->is_string()) {
      return respond(ErrorResponse(
          InvalidArgument("required: the principal's name", "principal")));
    }
    for (const auto& [k, v] : body->as_object()) {
      if (k != "principal") {
        return respond(ErrorResponse(InvalidArgument("unknown member", k)));
      }
    }
    const std::string principal = p->as_string();
    GateWrite(
        who,
        [this, actor = who.principal, principal] {
          return gate_->StageCreateToken(actor, principal);
        },
        [principal](gate::StagedWrite& w, const Receipt&) {
          return Json(201, Value::MakeObject(
                               {{"token_id", Value::String(w.token.token_id)},
                                {"principal", Value::String(principal)},
                                {"token", Value::String(w.token.token)},
                                {"seq", Num(w.token.seq)}}));
        },
        respond);
  } else if (route == "DELETE /v1/tokens/{id}") {
    if (!require({"admin"})) return;
    const std::string& id = seg[2];
    GateWrite(
        who,
        [this, actor = who.principal, id] {
          return gate_->StageRevokeToken(actor, id);
        },
        [id](gate::StagedWrite&, const Receipt& rc) {
          return Json(200, Value::MakeObject({{"token_id", Value::String(id)},
                                              {"revoked", Value::Bool(true)},
                                              {"seq", Num(rc.seq)}}));
        },
        respond);
  } else if (route == "GET /v1/principals/{name}/roles") {
    if (!require({"admin"})) return;
    std::lock_guard<std::mutex> lock(gate_mu_);
    Result<std::vector<std::string>> roles = gate_->RolesOf(seg[2]);
    if (!roles.ok()) return respond(ErrorResponse(roles.status()));
    respond(Json(200, Value::MakeObject({{"principal", Value::String(seg[2])},
                                         {"roles", StringArray(*roles)}})));
  } else if (route == "POST /v1/principals/{name}/roles" ||
             route == "DELETE /v1/principals/{name}/roles/{role}") {
    if (!require({"admin"})) return;
    const bool grant = r.method == "POST";
    const std::string& principal = seg[2];
    std::string role;
    if (grant) {
      if (Status st = RequireMediaType(r, {"application/json"}); !st.ok()) {
        return respond(UnsupportedMediaType(st));
      }
      Result<Value> body = ParseObject(r.body, "body");
      if (!body.ok()) return respond(ErrorResponse(body.status()));
      for (const auto& [k, v] : body->as_object()) {
        if (k != "role") {
          return respond(ErrorResponse(InvalidArgument("unknown member", k)));
        }
      }
      const Value* rv = body->Find("role");
      if (rv == nullptr || !rv->is_string()) {
        return respond(
            ErrorResponse(InvalidArgument("required: a role name", "role")));
      }
      role = rv->as_string();
    } else {
      role = seg[4];
    }
    GateWrite(
        who,
        [this, actor = who.principal, principal, role, grant] {
          return grant ? gate_->StageGrant(actor, principal, role)
                       : gate_->StageRevokeRole(actor, principal, role);
        },
        [this, principal, grant](gate::StagedWrite&, const Receipt& rc) {
          std::lock_guard<std::mutex> lock(gate_mu_);
          Result<std::vector<std::string>> roles = gate_->RolesOf(principal);
          return Json(
              grant ? 201 : 200,
              Value::MakeObject({{"principal", Value::String(principal)},
                                 {"roles", roles.ok() ? StringArray(*roles)
                                                      : Value::MakeArray()},
                                 {"seq", Num(rc.seq)}}));
        },
        respond);
  } else if (route == "GET /v1/policy") {
    if (!require({"admin", "auditor"})) return;
    std::lock_guard<std::mutex> lock(gate_mu_);
    Result<std::optional<std::string>> text = gate_->ActivePolicyText();
    if (!text.ok()) return respond(ErrorResponse(text.status()));
    if (!text->has_value()) {
      return respond(ErrorResponse(
          NotFound("no policy is active: every action needs a human")));
    }
    HttpResponse out;
    out.content_type = "application/yaml";
    out.body = **text;
    respond(std::move(out));
  } else if (route == "POST /v1/policy") {
    if (!require({"admin"})) return;
    if (Status st =
            RequireMediaType(r, {"application/yaml", "application/x-yaml",
                                 "text/yaml", "text/x-yaml", "text/plain"});
        !st.ok()) {
      return respond(UnsupportedMediaType(st));
    }
    Result<std::optional<std::string>> source = Param(r.params, "source");
    if (!source.ok()) return respond(ErrorResponse(source.status()));
    const std::string name = source->value_or("http");
    auto text = std::make_shared<std::string>(r.body);
    GateWrite(
        who,
        [this, actor = who.principal, text, name] {
          return gate_->StageActivatePolicy(actor, *text, name);
        },
        [actor = who.principal](gate::StagedWrite& w, const Receipt& rc) {
          return Json(
              201, Value::MakeObject(
                       {{"seq", Num(rc.seq)},
                        {"policy", Value::String(w.facts.policy_name)},
                        {"version", Value::String(w.facts.policy_version_name)},
                        {"sha256", Value::String(w.facts.policy_sha256)},
                        {"activated_by", Value::String(actor)}}));
        },
        respond);
  } else {
    respond(ErrorResponse(Internal("route " + route + " has no handler")));
  }
}

keystore::View Api::ViewFor(const Identity& who) {
  Result<std::shared_ptr<const retention::Stamper>> stamper = CurrentStamper();
  // Fail closed: without the policy, no one is known to be allowed more.
  if (!stamper.ok()) return keystore::View::kRedactedOnly;
  return keystore::ViewForRoles(who.roles,
                                (*stamper)->policy().redacted_roles());
}

keystore::RecordDecryptor Api::Decryptor(keystore::View view) {
  keystore::KeyStore* keys = nullptr;
  // Reading never creates a key store; without one nothing is encrypted.
  if (view == keystore::View::kPlaintext &&
      keystore::HasKeyStore(ledger_->dir())) {
    Result<keystore::KeyStore*> opened = gate_->keys().Get();
    if (opened.ok()) keys = *opened;
  }
  return keystore::RecordDecryptor::WithStore(keys, view);
}

Result<std::shared_ptr<const retention::Stamper>> Api::CurrentStamper() {
  std::lock_guard<std::mutex> lock(gate_mu_);
  ACTLEDGER_ASSIGN_OR_RETURN(std::optional<state::PolicyInfo> active,
                             gate_->state().ActivePolicy());
  const int64_t seq = active.has_value() ? active->seq : -1;
  if (stamper_ == nullptr || seq != stamper_policy_seq_) {
    ACTLEDGER_ASSIGN_OR_RETURN(
        stamper_, retention::Stamper::ForLedger(*ledger_, gate_->state()));
    stamper_policy_seq_ = seq;
  }
  return stamper_;
}

// --- Appending
// ----------------------------------------------------------------

bool Api::ReserveQueue(size_t bytes) {
  const uint64_t before = metrics_->inflight_bytes.fetch_add(bytes);
  // One request is always let through when the queue is empty, so a batch
  // as large as the queue bound is never refused forever.
  if (before > 0 && before + bytes > options_.max_queue_bytes) {
    metrics_->inflight_bytes.fetch_sub(bytes);
    return false;
  }
  return true;
}

void Api::Submit(const std::shared_ptr<PendingAppend>& p,
                 std::vector<AppendRequest> batch, const std::string& actor) {
  p->queued = Clock::now();
  appends_pending_.fetch_add(1);
  ledger_->AppendAsync(std::move(batch), actor,
                       [this, p](Result<std::vector<Receipt>> receipts) {
                         OnDurable(p, std::move(receipts));
                       });
}

void Api::OnDurable(std::shared_ptr<PendingAppend> p,
                    Result<std::vector<Receipt>> receipts) {
  // On the ledger's writer thread: hand over and return, so the next group
  // commit is not delayed by SQLite or by responses.
  if (receipts.ok() && !receipts->empty() &&
      receipts->back().seq + 1 == ledger_->size()) {
    // The writer publishes a group's size before completing its requests:
    // the request ending at the published size closes its group.
    metrics_->commit_groups.fetch_add(1);
  }
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_.emplace_back(std::move(p), std::move(receipts));
    schedule = !drain_scheduled_;
    drain_scheduled_ = true;
  }
  if (schedule) asio::post(*io_, [this] { Drain(); });
  appends_pending_.fetch_sub(1);
}

void Api::Drain() {
  std::vector<
      std::pair<std::shared_ptr<PendingAppend>, Result<std::vector<Receipt>>>>
      batch;
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    batch.swap(done_);
    drain_scheduled_ = false;
  }
  std::vector<std::string> decided;  // actions whose approval was applied
  {
    std::lock_guard<std::mutex> lock(gate_mu_);
    state::StateStore& state = gate_->state();
    bool keys = false;
    // One SQLite transaction for everything that became durable together.
    const bool batched = state.BeginBatch().ok();
    Status apply;
    for (auto& [p, receipts] : batch) {
      if (p->staged.has_value()) {
        if (!receipts.ok()) {
          gate_->Abandon(*p->staged);
          continue;
        }
        Status st = gate_->Commit(*p->staged, receipts->front());
        if (apply.ok()) apply = st;
        keys = keys || p->staged->facts.kind == "key";
        if (p->staged->facts.kind == "approval") {
          decided.push_back(p->staged->facts.action_id);
        }
        continue;
      }
      if (!receipts.ok()) continue;
      for (size_t i = 0; i < receipts->size(); ++i) {
        Status st = gate_->ApplyStored((*receipts)[i].seq, p->facts[i]);
        if (apply.ok()) apply = st;
      }
    }
    if (batched) {
      Status st = state.CommitBatch();
      if (apply.ok()) apply = st;
    }
    if (!apply.ok()) {
      // The records are durable; the state catches up from the log on the
      // next apply (ApplyStored fills gaps), so report and carry on.
      std::fprintf(stderr, "actledger serve: state update: %s\n",
                   apply.ToString().c_str());
    }
    if (keys) {
      std::lock_guard<std::mutex> auth_lock(auth_mu_);
      auth_cache_.clear();
    }
  }
  const Clock::time_point now = Clock::now();
  for (auto& [p, receipts] : batch) {
    metrics_->inflight_bytes.fetch_sub(p->bytes);
    if (receipts.ok()) {
      metrics_->appended_records.fetch_add(receipts->size());
      metrics_->appended_bytes.fetch_add(p->bytes);
      metrics_->append_batches.fetch_add(1);
      metrics_->batch_records.Observe(static_cast<double>(receipts->size()));
      metrics_->ack_seconds.Observe(
          std::chrono::duration<double>(now - p->queued).count());
    } else {
      metrics_->append_failures.fetch_add(1);
    }
    p->finish(receipts, p->staged.has_value() ? &*p->staged : nullptr);
  }
  for (const std::string& id : decided) {
    std::vector<std::shared_ptr<Waiter>> wake;
    {
      std::lock_guard<std::mutex> lock(waiters_mu_);
      auto [b, e] = waiters_.equal_range(id);
      for (auto it = b; it != e; ++it) wake.push_back(it->second);
    }
    for (auto& w : wake) {
      if (w->fired.exchange(true)) continue;
      {
        std::lock_guard<std::mutex> lock(waiters_mu_);
        auto [b, e] = waiters_.equal_range(id);
        for (auto it = b; it != e; ++it) {
          if (it->second == w) {
            waiters_.erase(it);
            break;
          }
        }
      }
      metrics_->waiters.fetch_sub(1);
      asio::post(w->timer->get_executor(), [w] { w->timer->cancel(); });
      Result<Value> view = [&] {
        const keystore::RecordDecryptor reader = Decryptor(w->view);
        std::lock_guard<std::mutex> lock(gate_mu_);
        return gate_->ActionView(id, &reader);
      }();
      w->respond(view.ok() ? Json(200, *view) : ErrorResponse(view.status()));
    }
  }
}

void Api::GateWrite(
    const Identity& who,
    const std::function<Result<gate::StagedWrite>()>& stage,
    std::function<HttpResponse(gate::StagedWrite&, const Receipt&)> render,
    const Respond& respond) {
  auto p = std::make_shared<PendingAppend>();
  std::unique_lock<std::mutex> lock(gate_mu_);
  Result<gate::StagedWrite> w = stage();
  if (!w.ok()) {
    lock.unlock();
    return respond(ErrorResponse(w.status()));
  }
  const size_t bytes = w->request.body.byte_size();
  if (!ReserveQueue(bytes)) {
    gate_->Abandon(*w);
    lock.unlock();
    return respond(OverloadedResponse("append queue full", 1));
  }
  p->bytes = bytes;
  std::vector<AppendRequest> batch;
  batch.push_back(std::move(w->request));
  p->staged = std::move(w).value();
  p->finish = [render = std::move(render), respond](
                  Result<std::vector<Receipt>>& receipts,
                  gate::StagedWrite* staged) {
    if (!receipts.ok()) return respond(ErrorResponse(receipts.status()));
    respond(render(*staged, receipts->front()));
  };
  // Appended under the gate's lock: records are sequenced in the order
  // they were evaluated (a proposal staged after a policy activation is
  // stored after it).
  Submit(p, std::move(batch), who.principal);
}

// --- Records
// ------------------------------------------------------------------

void Api::PostRecords(const HttpRequest& r, const Identity& who,
                      const Respond& respond) {
  const bool ndjson = r.content_type == "application/x-ndjson";
  if (Status st =
          RequireMediaType(r, {"application/json", "application/x-ndjson"});
      !st.ok()) {
    return respond(UnsupportedMediaType(st));
  }
  ValidationOptions vo;
  vo.max_record_bytes = options_.max_record_bytes;
  vo.strict = options_.strict;
  Result<std::shared_ptr<const retention::Stamper>> stamper = CurrentStamper();
  if (!stamper.ok()) return respond(ErrorResponse(stamper.status()));
  const UtcTime now = NowUtc();
  auto p = std::make_shared<PendingAppend>();
  std::vector<AppendRequest> batch;
  // Personal fields are encrypted under the subject's key (src/keystore);
  // an outcome without a subject takes its action's, read under gate_mu_.
  retention::EncryptionContext enc;
  enc.keys = &gate_->keys();
  enc.action_subject = [this](const std::string& action_id) {
    std::lock_guard<std::mutex> lock(gate_mu_);
    return retention::ActionSubjectKey(*ledger_, gate_->state(), gate_->keys(),
                                       action_id);
  };
  auto add = [&](ValidatedRecord rec) -> Status {
    state::RecordFacts f = state::FactsOf(rec.body);
    f.kind = RecordKindName(rec.kind);
    f.recorded_by = who.principal;
    ACTLEDGER_ASSIGN_OR_RETURN(
        AppendRequest req, (*stamper)->PrepareRecord(std::move(rec), now, enc));
    p->facts.push_back(std::move(f));
    batch.push_back(std::move(req));
    return Status::Ok();
  };
  // All or nothing: every line is validated before anything is appended.
  Status st;
  if (ndjson) {
    st = ForEachNdjsonLine(r.body, [&](size_t n, std::string_view line) {
      Result<ValidatedRecord> rec = ValidateRecord(line, vo);
      if (!rec.ok()) {
        return Status(rec.status().code(),
                      "line " + std::to_string(n) + ": " +
                          rec.status().message() +
                          " (nothing of this batch was stored)",
                      rec.status().field());
      }
      if (Status added = add(std::move(rec).value()); !added.ok()) {
        return Status(added.code(),
                      "line " + std::to_string(n) + ": " + added.message() +
                          " (nothing of this batch was stored)",
                      added.field());
      }
      return Status::Ok();
    });
    if (st.ok() && batch.empty()) {
      st = InvalidArgument("the batch holds no record", "body");
    }
  } else {
    Result<ValidatedRecord> rec = ValidateRecord(r.body, vo);
    if (rec.ok()) {
      st = add(std::move(rec).value());
    } else {
      st = rec.status();
    }
  }
  if (!st.ok()) return respond(ErrorResponse(st));
  if (!ReserveQueue(r.body.size())) {
    return respond(OverloadedResponse("append queue full", 1));
  }
  p->bytes = r.body.size();
  p->finish = [respond, ndjson](Result<std::vector<Receipt>>& receipts,
                                gate::StagedWrite*) {
    if (!receipts.ok()) return respond(ErrorResponse(receipts.status()));
    HttpResponse out;
    out.status = 201;
    if (ndjson) {
      out.content_type = "application/x-ndjson";
      for (const Receipt& rc : *receipts) {
        out.body += ReceiptJson(rc);
        out.body += '\n';
      }
    } else {
      out.body = ReceiptJson(receipts->front());
    }
    respond(std::move(out));
  };
  Submit(p, std::move(batch), who.principal);
}

void Api::GetRecord(const HttpRequest& r, const std::string& seq_text,
                    keystore::View view, const Respond& respond) {
  Result<uint64_t> seq = ParseSeq(seq_text, "seq");
  if (!seq.ok()) return respond(ErrorResponse(seq.status()));
  Result<std::optional<std::string>> proof = Param(r.params, "proof");
  if (!proof.ok()) return respond(ErrorResponse(proof.status()));
  const bool with_proof =
      proof->has_value() && **proof != "0" && **proof != "false";
  if (*seq >= ledger_->size()) {
    return respond(ErrorResponse(
        NotFound("no record " + std::to_string(*seq) + " (the ledger holds " +
                 std::to_string(ledger_->size()) + ")")));
  }
  if (!with_proof) {
    Result<std::string> bytes = ledger_->Get(*seq);
    if (!bytes.ok()) return respond(ErrorResponse(bytes.status()));
    Result<std::string> readable = Decryptor(view).Render(*bytes);
    if (!readable.ok()) return respond(ErrorResponse(readable.status()));
    return respond(JsonResponse(200, std::move(readable).value()));
  }
  const uint64_t s = *seq;
  Blocking(
      [this, s, view]() -> HttpResponse {
        Result<std::string> bytes = ledger_->Get(s);
        if (!bytes.ok()) return ErrorResponse(bytes.status());
        Result<std::pair<std::string, uint64_t>> cp = CheckpointCovering(s + 1);
        if (!cp.ok()) return ErrorResponse(cp.status());
        Result<InclusionProofResult> p = ledger_->ProveInclusion(s, cp->second);
        if (!p.ok()) return ErrorResponse(p.status());
        // Readable (personal fields decrypted for this principal); `leaf`
        // below is what hashes to the proof's leaf.
        Result<Value> record = Decryptor(view).Parse(*bytes);
        if (!record.ok()) return ErrorResponse(record.status());
        Value proof_v = Value::MakeObject();
        proof_v.Set("leaf_index", Num(p->leaf_index));
        proof_v.Set("tree_size", Num(p->tree_size));
        proof_v.Set("root", Value::String(merkle::ToHex(p->root)));
        proof_v.Set("path", HashArray(p->path));
        Value v = Value::MakeObject();
        v.Set("seq", Num(s));
        v.Set("record", std::move(record).value());
        v.Set("leaf_hash", Value::String(merkle::ToHex(p->leaf_hash)));
        v.Set("proof", std::move(proof_v));
        v.Set("checkpoint", Value::String(cp->first));
        // The exact stored bytes, for hashing: the parsed copy above is for
        // reading, but only these bytes hash to the leaf.
        v.Set("leaf", Value::String(std::move(bytes).value()));
        return Json(200, v);
      },
      respond);
}

Result<std::pair<std::string, uint64_t>> Api::CheckpointCovering(
    uint64_t size) {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  Result<std::string> note = ledger_->LatestCheckpoint();
  if (note.ok()) {
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t n, NoteSize(*note));
    if (n >= size) return std::make_pair(std::move(note).value(), n);
  } else if (note.status().code() != StatusCode::kNotFound) {
    return note.status();
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string fresh, ledger_->Checkpoint());
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t n, NoteSize(fresh));
  return std::make_pair(std::move(fresh), n);
}

void Api::GetCheckpoint(const Respond& respond) {
  Blocking(
      [this]() -> HttpResponse {
        Result<std::pair<std::string, uint64_t>> cp =
            CheckpointCovering(ledger_->size());
        if (!cp.ok()) return ErrorResponse(cp.status());
        HttpResponse out;
        out.content_type = "text/plain; charset=utf-8";
        out.body = std::move(cp->first);
        return out;
      },
      respond);
}

void Api::GetInclusion(const HttpRequest& r, const Respond& respond) {
  Result<std::optional<uint64_t>> seq = UintParam(r.params, "seq");
  if (!seq.ok()) return respond(ErrorResponse(seq.status()));
  if (!seq->has_value()) {
    return respond(ErrorResponse(
        InvalidArgument("required: the record's sequence number", "seq")));
  }
  Result<std::optional<uint64_t>> size = UintParam(r.params, "size");
  if (!size.ok()) return respond(ErrorResponse(size.status()));
  Result<InclusionProofResult> p =
      ledger_->ProveInclusion(**seq, size->value_or(ledger_->size()));
  if (!p.ok()) {
    const Status& st = p.status();
    return respond(ErrorResponse(Status(
        st.code(), st.message(), st.field().empty() ? "seq" : st.field())));
  }
  Value v = Value::MakeObject();
  v.Set("leaf_index", Num(p->leaf_index));
  v.Set("tree_size", Num(p->tree_size));
  v.Set("leaf_hash", Value::String(merkle::ToHex(p->leaf_hash)));
  v.Set("root", Value::String(merkle::ToHex(p->root)));
  v.Set("path", HashArray(p->path));
  respond(Json(200, v));
}

void Api::GetConsistency(const HttpRequest& r, const Respond& respond) {
  Result<std::optional<uint64_t>> from = UintParam(r.params, "from");
  if (!from.ok()) return respond(ErrorResponse(from.status()));
  Result<std::optional<uint64_t>> to = UintParam(r.params, "to");
  if (!to.ok()) return respond(ErrorResponse(to.status()));
  if (!from->has_value()) {
    return respond(
        ErrorResponse(InvalidArgument("required: the old tree size", "from")));
  }
  Result<ConsistencyProofResult> p =
      ledger_->ProveConsistency(**from, to->value_or(ledger_->size()));
  if (!p.ok()) return respond(ErrorResponse(p.status()));
  Value v = Value::MakeObject();
  v.Set("old_size", Num(p->old_size));
  v.Set("new_size", Num(p->new_size));
  v.Set("old_root", Value::String(merkle::ToHex(p->old_root)));
  v.Set("new_root", Value::String(merkle::ToHex(p->new_root)));
  v.Set("path", HashArray(p->path));
  respond(Json(200, v));
}

// --- The gate
// -------------------------------------------------------------------

void Api::PostAction(const HttpRequest& r, const Identity& who,
                     const Respond& respond) {
  if (Status st = RequireMediaType(r, {"application/json"}); !st.ok()) {
    return respond(UnsupportedMediaType(st));
  }
  ValidationOptions vo;
  vo.max_record_bytes = options_.max_record_bytes;
  vo.strict = options_.strict;
  vo.proposal = true;
  Result<ValidatedRecord> rec = ValidateRecord(r.body, vo);
  if (!rec.ok()) return respond(ErrorResponse(rec.status()));
  auto shared = std::make_shared<ValidatedRecord>(std::move(rec).value());
  GateWrite(
      who,
      [this, actor = who.principal, shared] {
        return gate_->StagePropose(actor, std::move(*shared));
      },
      [this](const gate::StagedWrite& w, const Receipt&) {
        metrics_->CountDecision(w.decision.decision);
        return Json(201, gate::DecisionJson(w.decision));
      },
      respond);
}

void Api::GetAction(const HttpRequest& r, const std::string& action_id,
                    keystore::View personal_view, const Respond& respond) {
  Result<std::optional<uint64_t>> wait = UintParam(r.params, "wait");
  if (!wait.ok()) return respond(ErrorResponse(wait.status()));
  const uint64_t wait_s = wait->value_or(0);
  if (wait_s > options_.max_wait_seconds) {
    return respond(ErrorResponse(InvalidArgument(
        "at most " + std::to_string(options_.max_wait_seconds) + " seconds",
        "wait")));
  }
  const keystore::RecordDecryptor reader = Decryptor(personal_view);
  std::unique_lock<std::mutex> lock(gate_mu_);
  Result<Value> view = gate_->ActionView(action_id, &reader);
  if (!view.ok()) {
    lock.unlock();
    return respond(ErrorResponse(view.status()));
  }
  const bool pending = view->Find("status")->as_string() == "pending_approval";
  if (!pending || wait_s == 0) {
    lock.unlock();
    return respond(Json(200, *view));
  }
  // Registered under the gate's lock: an approval applied after the view
  // above was read wakes this waiter (Drain looks waiters up after it
  // applies).
  auto w = std::make_shared<Waiter>();
  w->action_id = action_id;
  w->view = personal_view;
  w->respond = respond;
  w->timer = std::make_unique<asio::steady_timer>(asio::make_strand(*io_));
  {
    std::lock_guard<std::mutex> wl(waiters_mu_);
    if (waiters_closed_ || waiters_.size() >= options_.max_waiters) {
      lock.unlock();
      return respond(Json(200, *view));
    }
    waiters_.emplace(action_id, w);
  }
  metrics_->waiters.fetch_add(1);
  lock.unlock();
  w->timer->expires_after(std::chrono::seconds(wait_s));
  w->timer->async_wait([this, w](const boost::system::error_code&) {
    if (w->fired.exchange(true)) return;
    {
      std::lock_guard<std::mutex> wl(waiters_mu_);
      auto [b, e] = waiters_.equal_range(w->action_id);
      for (auto it = b; it != e; ++it) {
        if (it->second == w) {
          waiters_.erase(it);
          break;
        }
      }
    }
    metrics_->waiters.fetch_sub(1);
    Result<Value> v = [&] {
      const keystore::RecordDecryptor later = Decryptor(w->view);
      std::lock_guard<std::mutex> gl(gate_mu_);
      return gate_->ActionView(w->action_id, &later);
    }();
    w->respond(v.ok() ? Json(200, *v) : ErrorResponse(v.status()));
  });
}

void Api::WakeAllWaiters() {
  std::vector<std::shared_ptr<Waiter>> all;
  {
    std::lock_guard<std::mutex> lock(waiters_mu_);
    waiters_closed_ = true;
    for (auto& [id, w] : waiters_) all.push_back(w);
  }
  // Firing early through the timer: its handler answers with the current
  // view, exactly as when the wait runs out.
  for (auto& w : all) {
    asio::post(w->timer->get_executor(), [w] { w->timer->cancel(); });
  }
}

void Api::PostOutcome(const HttpRequest& r, const Identity& who,
                      const std::string& action_id, const Respond& respond) {
  if (Status st = RequireMediaType(r, {"application/json"}); !st.ok()) {
    return respond(UnsupportedMediaType(st));
  }
  if (r.body.size() > options_.max_record_bytes) {
    return respond(ErrorResponse(ResourceExhausted(
        "over the record limit of " +
            std::to_string(options_.max_record_bytes) + " bytes",
        "body")));
  }
  Result<Value> parsed = ParseObject(r.body, "outcome");
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  // Either the outcome object itself, or a record holding one (as the
  // CLI's `outcome` command accepts).
  Value record = Value::MakeObject();
  if (parsed->Find("outcome") != nullptr) {
    record = std::move(parsed).value();
  } else {
    record.Set("outcome", std::move(parsed).value());
  }
  if (const Value* id = record.Find("action_id");
      id != nullptr && (!id->is_string() || id->as_string() != action_id)) {
    return respond(ErrorResponse(InvalidArgument(
        "does not match the action id in the path", "action_id")));
  }
  if (const Value* k = record.Find("kind");
      k != nullptr && !(k->is_string() && k->as_string() == "outcome")) {
    return respond(ErrorResponse(
        InvalidArgument("must be \"outcome\" on this route", "kind")));
  }
  record.Set("action_id", Value::String(action_id));
  record.Set("kind", Value::String("outcome"));
  ValidationOptions vo;
  vo.max_record_bytes = options_.max_record_bytes;
  Result<ValidatedRecord> v = ValidateRecordValue(std::move(record), vo);
  if (!v.ok()) return respond(ErrorResponse(v.status()));
  auto shared = std::make_shared<ValidatedRecord>(std::move(v).value());
  GateWrite(
      who,
      [this, actor = who.principal, shared] {
        return gate_->StageOutcome(actor, std::move(*shared));
      },
      [](gate::StagedWrite& w, const Receipt& rc) {
        Result<Value> receipt = json::Parse(ReceiptJson(rc));
        Value out = std::move(receipt).value();
        out.Set("violation", w.violation.has_value()
                                 ? Value::String(*w.violation)
                                 : Value::Null());
        return Json(201, out);
      },
      respond);
}

void Api::GetApprovals(const HttpRequest& r, const Respond& respond) {
  Result<std::optional<std::string>> status = Param(r.params, "status");
  if (!status.ok()) return respond(ErrorResponse(status.status()));
  const std::string which = status->value_or("pending");
  if (which != "pending" && which != "all") {
    return respond(ErrorResponse(
        InvalidArgument("must be \"pending\" or \"all\"", "status")));
  }
  std::unique_lock<std::mutex> lock(gate_mu_);
  Result<std::vector<state::ActionState>> list =
      gate_->state().Approvals(which == "pending");
  lock.unlock();
  if (!list.ok()) return respond(ErrorResponse(list.status()));
  const UtcTime now = NowUtc();
  Value::Array items;
  for (const state::ActionState& a : *list) {
    if (which == "pending" &&
        gate::ActionStatus(a, now) != "pending_approval") {
      continue;
    }
    items.push_back(gate::ActionSummary(a, now));
  }
  respond(Json(200, Value::MakeObject(
                        {{"approvals", Value::MakeArray(std::move(items))}})));
}

void Api::PostApproval(const HttpRequest& r, const Identity& who,
                       const std::string& action_id, const Respond& respond) {
  if (Status st = RequireMediaType(r, {"application/json"}); !st.ok()) {
    return respond(UnsupportedMediaType(st));
  }
  Result<Value> body = ParseObject(r.body, "body");
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  for (const auto& [k, v] : body->as_object()) {
    if (k != "decision" && k != "reason") {
      return respond(ErrorResponse(InvalidArgument(
          k == "approver"
              ? "the approver is the token's principal, never a value from "
                "the body"
              : "unknown member (allowed: decision, reason)",
          k)));
    }
  }
  const Value* d = body->Find("decision");
  if (d == nullptr || !d->is_string() ||
      (d->as_string() != "approve" && d->as_string() != "reject")) {
    return respond(ErrorResponse(
        InvalidArgument("must be \"approve\" or \"reject\"", "decision")));
  }
  const Value* reason_v = body->Find("reason");
  if (reason_v != nullptr && !reason_v->is_string()) {
    return respond(
        ErrorResponse(InvalidArgument("must be a string", "reason")));
  }
  const bool approve = d->as_string() == "approve";
  const std::string reason = reason_v ? reason_v->as_string() : "";
  GateWrite(
      who,
      [this, actor = who.principal, action_id, approve, reason] {
        return gate_->StageDecide(actor, action_id, approve, reason);
      },
      [action_id, approve, actor = who.principal](gate::StagedWrite&,
                                                  const Receipt& rc) {
        return Json(
            201,
            Value::MakeObject(
                {{"seq", Num(rc.seq)},
                 {"action_id", Value::String(action_id)},
                 {"decision", Value::String(approve ? "approve" : "reject")},
                 {"approver", Value::String(actor)},
                 {"leaf_hash", Value::String(merkle::ToHex(rc.leaf_hash))}}));
      },
      respond);
}

// --- Queries, reports, metrics
// --------------------------------------------------

void Api::Blocking(std::function<HttpResponse()> fn, const Respond& respond) {
  asio::post(*blocking_, [fn = std::move(fn), respond] { respond(fn()); });
}

void Api::QueryRecords(const HttpRequest& r, keystore::View view,
                       const Respond& respond) {
  Result<index::QueryFilter> filter = index::ParseQueryFilter(r.params);
  if (!filter.ok()) return respond(ErrorResponse(filter.status()));
  Blocking(
      [this, f = std::move(filter).value(), view]() mutable -> HttpResponse {
        if (f.subject_type && f.subject_id) {
          f.subject_blind_id = keystore::BlindIdForLookup(
              ledger_->dir(), *f.subject_type + ":" + *f.subject_id);
        }
        const keystore::RecordDecryptor reader = Decryptor(view);
        Result<std::unique_ptr<index::Index>> idx =
            index::Index::Open(ledger_->dir());
        if (!idx.ok()) return ErrorResponse(idx.status());
        // Answers include everything acknowledged before the query.
        Status st = (*idx)->CatchUp(*ledger_, nullptr);
        if (!st.ok()) return ErrorResponse(st);
        Result<index::QueryPage> page = (*idx)->Query(f);
        if (!page.ok()) return ErrorResponse(page.status());
        Value::Array records;
        for (const index::IndexedRecord& row : page->records) {
          Result<std::string> bytes = ledger_->Get(row.seq);
          if (!bytes.ok()) return ErrorResponse(bytes.status());
          Result<Value> rec = reader.Parse(*bytes);
          if (!rec.ok()) return ErrorResponse(rec.status());
          records.push_back(std::move(rec).value());
        }
        Value v = Value::MakeObject();
        v.Set("records", Value::MakeArray(std::move(records)));
        v.Set("next_cursor", page->next_cursor.empty()
                                 ? Value::Null()
                                 : Value::String(page->next_cursor));
        return Json(200, v);
      },
      respond);
}

void Api::GetReport(const HttpRequest& r, const std::string& name,
                    keystore::View view, const Respond& respond) {
  const auto& names = report::ReportNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return respond(ErrorResponse(
        NotFound("no report " + name + " (reports: " + list + ")")));
  }
  Result<report::ReportOptions> opts = report::ParseReportOptions(r.params);
  if (!opts.ok()) return respond(ErrorResponse(opts.status()));
  auto shared =
      std::make_shared<report::ReportOptions>(std::move(opts).value());
  Blocking(
      [this, shared, name, view]() -> HttpResponse {
        report::ReportOptions& o = *shared;
        if (o.filter.subject_type && o.filter.subject_id) {
          o.filter.subject_blind_id = keystore::BlindIdForLookup(
              ledger_->dir(),
              *o.filter.subject_type + ":" + *o.filter.subject_id);
        }
        const keystore::RecordDecryptor reader = Decryptor(view);
        o.reader = &reader;
        Result<std::unique_ptr<index::Index>> idx =
            index::Index::Open(ledger_->dir());
        if (!idx.ok()) return ErrorResponse(idx.status());
        Status st = (*idx)->CatchUp(*ledger_, nullptr);
        if (!st.ok()) return ErrorResponse(st);
        shared->index = idx->get();
        shared->ledger = ledger_;
        Result<report::ReportResult> result = report::RunReport(name, *shared);
        if (!result.ok()) return ErrorResponse(result.status());
        return JsonResponse(200, report::RenderJson(*result));
      },
      respond);
}

// The nice value of the background indexer's thread.
constexpr int kIndexerNice = 10;

void Api::StartIndexer() {
  indexer_ = std::make_unique<Indexer>();
  Indexer* ix = indexer_.get();
  ix->thread = std::thread([this, ix] {
    // The index may lag behind ingestion but must not slow it
    // (docs/INDEX.md): under load the cores go to requests first. Nice 10
    // leaves this thread about a tenth of a busy core's share, so it still
    // makes progress (and a query waiting on its transaction is not held
    // up for long); the reader thread a catch-up starts inherits it.
    // Lowering one's own priority needs no privilege; a failure (none is
    // expected) leaves the normal priority.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                      kIndexerNice);
    std::unique_ptr<index::Index> idx;
    std::unique_lock<std::mutex> lock(ix->mu);
    while (!ix->stop) {
      lock.unlock();
      if (idx == nullptr) {
        Result<std::unique_ptr<index::Index>> opened =
            index::Index::Open(ledger_->dir());
        if (opened.ok()) idx = std::move(opened).value();
      }
      if (idx != nullptr) {
        Status st = idx->CatchUp(*ledger_, nullptr);
        ix->failed.store(!st.ok());
        Result<int64_t> applied = idx->AppliedSeq();
        if (applied.ok()) ix->applied.store(*applied);
      }
      lock.lock();
      ix->cv.wait_for(lock, std::chrono::milliseconds(500),
                      [ix] { return ix->stop; });
    }
  });
}

void Api::StopIndexer() {
  if (indexer_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(indexer_->mu);
    indexer_->stop = true;
  }
  indexer_->cv.notify_all();
  if (indexer_->thread.joinable()) indexer_->thread.join();
  indexer_.reset();
}

void Api::GetMetrics(const Respond& respond) {
  std::string out;
  metrics_->Render(&out);
  const uint64_t size = ledger_->size();
  out +=
      "# HELP actledger_ledger_records Records in the ledger.\n"
      "# TYPE actledger_ledger_records gauge\nactledger_ledger_records " +
      std::to_string(size) + "\n";
  uint64_t pending = 0;
  {
    std::lock_guard<std::mutex> lock(gate_mu_);
    Result<std::vector<state::ActionState>> list =
        gate_->state().Approvals(true);
    if (list.ok()) {
      const UtcTime now = NowUtc();
      for (const auto& a : *list) {
        if (gate::ActionStatus(a, now) == "pending_approval") ++pending;
      }
    }
  }
  out +=
      "# HELP actledger_pending_approvals Proposals waiting for a human.\n"
      "# TYPE actledger_pending_approvals gauge\n"
      "actledger_pending_approvals " +
      std::to_string(pending) + "\n";
  if (indexer_ != nullptr) {
    const int64_t applied = indexer_->applied.load();
    const uint64_t lag =
        size - std::min<uint64_t>(size, static_cast<uint64_t>(applied + 1));
    out +=
        "# HELP actledger_index_lag_records Records not yet in the query "
        "index.\n# TYPE actledger_index_lag_records gauge\n"
        "actledger_index_lag_records " +
        std::to_string(lag) + "\n";
  }
  Result<std::string> note = ledger_->LatestCheckpoint();
  uint64_t cp_size = 0;
  if (note.ok()) {
    Result<uint64_t> n = NoteSize(*note);
    if (n.ok()) cp_size = *n;
  }
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    const auto now = Clock::now();
    if (cp_size != last_checkpoint_size_ ||
        last_checkpoint_seen_ == Clock::time_point()) {
      last_checkpoint_size_ = cp_size;
      last_checkpoint_seen_ = now;
    }
    out +=
        "# HELP actledger_checkpoint_size Tree size of the latest signed "
        "checkpoint.\n# TYPE actledger_checkpoint_size gauge\n"
        "actledger_checkpoint_size " +
        std::to_string(cp_size) + "\n";
    const double age =
        cp_size >= size
            ? 0.0
            : std::chrono::duration<double>(now - last_checkpoint_seen_)
                  .count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", age);
    out +=
        "# HELP actledger_checkpoint_age_seconds How long records have "
        "waited unsigned: time since the latest checkpoint was first "
        "seen, 0 when it covers every record.\n"
        "# TYPE actledger_checkpoint_age_seconds gauge\n"
        "actledger_checkpoint_age_seconds " +
        std::string(buf) + "\n";
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  respond(std::move(r));
}

}  // namespace actledger::server
