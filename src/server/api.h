// The routes of the HTTP API (docs/API.md): authentication, role checks,
// the gate, appends with group commit, long polls, proofs, queries and
// reports. Knows nothing of sockets: the connection layer (server.cc) hands
// it parsed requests and a callback for the response.
//
//   Api api(ledger, gate, options, metrics, io);
//   api.Handle(std::move(request), [](HttpResponse r) { Write(r); });
//
// Concurrency: Handle may be called from any io thread at once. The gate
// (not thread-safe) is used under one mutex that is never held across an
// fsync: gate writes are staged under it, appended with
// Ledger::AppendAsync, and folded into the state (in seq order) when the
// ledger's writer reports them durable; only then is the response sent.
// Long polls park a timer and a callback, never a thread. Index queries
// and reports, which read SQLite for a while, run on a small blocking pool.
#ifndef ACTLEDGER_SERVER_API_H_
#define ACTLEDGER_SERVER_API_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actledger/ledger.h"
#include "gate/gate.h"
#include "retention/retention.h"
#include "server/access_log.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/options.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace actledger::server {

class Api {
 public:
  using Respond = std::function<void(HttpResponse)>;

  // Every pointer must outlive the Api.
  Api(Ledger* ledger, gate::Gate* gate, const ServerOptions& options,
      Metrics* metrics, AccessLog* log, boost::asio::io_context* io);
  ~Api();

  // Answers `request`; `respond` is called exactly once, on any thread.
  void Handle(const HttpRequest& request, Respond respond);

  // Answers every parked long poll now (graceful shutdown) and refuses new
  // ones.
  void WakeAllWaiters();
  // Keeps the query index caught up in the background (when the index
  // module is present); returns at once.
  void StartIndexer();
  void StopIndexer();
  // Requests whose response has not been produced yet.
  uint64_t in_flight() const { return in_flight_.load(); }
  // Appends handed to the ledger whose completion has not run yet; the Api
  // must not be destroyed before this is 0.
  uint64_t appends_pending() const { return appends_pending_.load(); }

 private:
  struct Identity {
    std::string principal;
    std::vector<std::string> roles;
    bool Has(const std::string& role) const;
  };
  struct PendingAppend;
  struct Waiter;
  struct Route;

  Result<Identity> Authenticate(const HttpRequest& request);
  // How `who` sees personal fields: "[redacted]" when all their roles are
  // in the active policy's personal_access.redacted_roles (docs/ERASURE.md).
  keystore::View ViewFor(const Identity& who);
  // Renders records for that view with the server's key store.
  keystore::RecordDecryptor Decryptor(keystore::View view);
  void Dispatch(const HttpRequest& request, const Identity& who,
                const std::string& route, const Respond& respond);

  // Appending and the apply loop.
  bool ReserveQueue(size_t bytes);
  void Submit(const std::shared_ptr<PendingAppend>& p,
              std::vector<AppendRequest> batch, const std::string& actor);
  void OnDurable(std::shared_ptr<PendingAppend> p,
                 Result<std::vector<Receipt>> receipts);
  void Drain();

  // Routes.
  void PostRecords(const HttpRequest& r, const Identity& who,
                   const Respond& respond);
  void PostAction(const HttpRequest& r, const Identity& who,
                  const Respond& respond);
  void GetAction(const HttpRequest& r, const std::string& action_id,
                 keystore::View view, const Respond& respond);
  void PostOutcome(const HttpRequest& r, const Identity& who,
                   const std::string& action_id, const Respond& respond);
  void GetApprovals(const HttpRequest& r, const Respond& respond);
  void PostApproval(const HttpRequest& r, const Identity& who,
                    const std::string& action_id, const Respond& respond);
  void GetRecord(const HttpRequest& r, const std::string& seq,
                 keystore::View view, const Respond& respond);
  void GetCheckpoint(const Respond& respond);
  void GetInclusion(const HttpRequest& r, const Respond& respond);
  void GetConsistency(const HttpRequest& r, const Respond& respond);
  void QueryRecords(const HttpRequest& r, keystore::View view,
                    const Respond& respond);
  void GetReport(const HttpRequest& r, const std::string& name,
                 keystore::View view, const Respond& respond);
  void GetMetrics(const Respond& respond);
  void GateWrite(
      const Identity& who,
      const std::function<Result<gate::StagedWrite>()>& stage,
      std::function<HttpResponse(gate::StagedWrite&, const Receipt&)> render,
      const Respond& respond);
  // Runs `fn` on the blocking pool and responds with what it returns.
  void Blocking(std::function<HttpResponse()> fn, const Respond& respond);
  // A checkpoint note covering at least `size` records (signed now if the
  // latest does not), with its tree size.
  Result<std::pair<std::string, uint64_t>> CheckpointCovering(uint64_t size);
  // The retention stamper of the active policy, rebuilt when a newer
  // policy has been activated.
  Result<std::shared_ptr<const retention::Stamper>> CurrentStamper();

  Ledger* ledger_;
  gate::Gate* gate_;
  ServerOptions options_;
  Metrics* metrics_;
  AccessLog* log_;
  boost::asio::io_context* io_;
  std::unique_ptr<boost::asio::thread_pool> blocking_;

  std::mutex gate_mu_;  // guards gate_, its state store and the two below
  std::shared_ptr<const retention::Stamper> stamper_;
  int64_t stamper_policy_seq_ = -1;

  std::mutex auth_mu_;
  std::unordered_map<std::string, Identity> auth_cache_;  // by token SHA-256

  std::mutex done_mu_;
  std::vector<
      std::pair<std::shared_ptr<PendingAppend>, Result<std::vector<Receipt>>>>
      done_;
  bool drain_scheduled_ = false;

  std::mutex waiters_mu_;
  std::unordered_multimap<std::string, std::shared_ptr<Waiter>> waiters_;
  bool waiters_closed_ = false;

  std::atomic<uint64_t> in_flight_{0};
  std::atomic<uint64_t> appends_pending_{0};

  std::mutex checkpoint_mu_;  // one signing at a time; guards the two below
  uint64_t last_checkpoint_size_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_seen_;

  struct Indexer;
  std::unique_ptr<Indexer> indexer_;
};

}  // namespace actledger::server

#endif  // ACTLEDGER_SERVER_API_H_
