// Policy gate throughput: decisions per second of Policy::Evaluate on one
// core, over realistic proposals, with baselines measured in the same run:
//
//   floor       read action.type and look it up in a hash set: the least
//               work any gate has to do per proposal
//   example     examples/policy.yaml's rules (6 rules) embedded below
//   50 rules    a 50-rule policy (rules spread over the generator's 11
//               action types, 4-5 evaluated per proposal, exact decimal
//               comparisons, string methods, `in` lists)
//
// Usage (results: docs/BENCHMARKS.md):
//
//   policy_bench [--proposals N] [--seconds S] [--runs R]
//
// Proposals come from gen::Generator (seed 42) and are generated before any
// clock starts. The default 64 proposals (~250 KB) stay in cache, as a
// proposal the gate has just parsed does; --proposals 20000 (~70 MB of
// json::Value trees) measures proposals that come from memory instead. Each
// phase evaluates the proposals round-robin for about S seconds of thread CPU
// time; every figure is the median over R runs, phases interleaved. "reuse"
// passes the same Decision to Evaluate(proposal, now, &d), the allocation-free
// hot path; "new" returns a fresh Decision per call.
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "actledger/json.h"
#include "actledger/policy.h"
#include "common/time.h"
#include "gen/generator.h"

namespace actledger {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "policy_bench: %s\n", what.c_str());
  std::exit(1);
}

constexpr const char* kTypes[] = {
    "payment.refund",        "email.send",
    "crm.stage.update",      "lead.route",
    "contract.update",       "record.delete",
    "crm.contact.delete",    "task.create",
    "calendar.event.create", "notification.internal.send",
    "record.status.update"};

constexpr char kClasses[] = R"(
defaults: { tier: human_approval, approval_ttl: 24h, approver_roles: [ops-lead] }
classes:
  - name: customer_communication
    match: ["email.send", "sms.send", "chat.message.send", "notification.customer.*"]
    tier: human_approval
    approver_roles: [support-lead]
  - name: financial
    match: ["payment.*", "invoice.*", "payout.*"]
    tier: human_approval
    approver_roles: [finance-ops]
  - name: personnel
    match: ["hr.*", "employee.*", "payroll.*"]
    tier: human_approval
  - name: contract_legal
    match: ["contract.*", "legal.*"]
    tier: human_approval
  - name: deletion
    match: ["*.delete", "*.purge"]
    tier: human_approval
    approver_roles: [data-owner]
  - name: refunds
    match: ["payment.refund"]
    tier: threshold
    approver_roles: [finance-ops]
  - name: crm_pipeline
    match: ["crm.stage.update"]
    tier: threshold
  - name: internal_routing
    match: ["lead.route", "ticket.route", "ticket.assign"]
    tier: threshold
  - name: internal
    match: ["task.create", "task.update", "calendar.event.create", "calendar.event.update",
            "record.status.update", "notification.internal.*"]
    tier: log_only
)";

// The rules of examples/policy.yaml (kept in sync by hand; the benchmark
// must not depend on the working directory).
constexpr char kExampleRules[] = R"(
rules:
  - id: T-2026-03
    applies_to: ["payment.refund"]
    when: 'action.amount.currency == "USD" && action.amount.value < 100 && subject.attributes.account_age_days > 90'
    decision: auto_approve
  - id: D-2026-01
    applies_to: ["payment.refund"]
    when: 'has(action.params.original_amount) && action.amount.currency == action.params.original_amount.currency && action.amount.value > action.params.original_amount.value'
    decision: deny
  - id: H-2026-04
    applies_to: ["payment.refund"]
    when: 'has(subject.attributes.fraud_review) && subject.attributes.fraud_review == true'
    decision: require_human
  - id: T-2026-08
    applies_to: ["crm.stage.update"]
    when: 'ai_output.confidence >= 0.75 && !(action.params.to in ["Closed Won", "closedwon", "Closed Lost", "closedlost"])'
    decision: auto_approve
  - id: T-2026-09
    applies_to: ["lead.route", "ticket.route", "ticket.assign"]
    when: 'action.params.new_owner_status == "active"'
    decision: auto_approve
  - id: H-2026-10
    applies_to: ["notification.internal.*"]
    when: 'has(action.recipient) && action.recipient.contains("@") && !action.recipient.endsWith("@acme.example")'
    decision: require_human
)";

std::string FiftyRulePolicy() {
  std::string y = "policy: bench-50\nversion: \"1\"\n";
  y += kClasses;
  y += "rules:\n";
  for (int i = 0; i < 50; ++i) {
    const char* type = kTypes[i % 11];
    std::string when, decision;
    switch (i % 5) {
      case 0:
        when =
            "has(action.amount) && action.amount.currency == \"USD\" && "
            "action.amount.value < " +
            std::to_string(50 + 10 * i) + ".50";
        decision = "auto_approve";
        break;
      case 1:
        when = "has(ai_output.confidence) && ai_output.confidence >= 0." +
               std::to_string(70 + i % 25) +
               " && has(subject.attributes.account_age_days) && "
               "subject.attributes.account_age_days > " +
               std::to_string(30 + i);
        decision = "auto_approve";
        break;
      case 2:
        when = "has(action.recipient) && action.recipient.endsWith(\"@example" +
               std::to_string(i) + ".com\")";
        decision = "require_human";
        break;
      case 3:
        when =
            "has(subject.attributes.country) && subject.attributes.country in "
            "[\"DE\", \"FR\", \"NL\", \"IE\", \"ES\", \"IT\"] && "
            "has(subject.attributes.gdpr_scope) && "
            "subject.attributes.gdpr_scope "
            "== true && has(action.amount) && action.amount.value > " +
            std::to_string(1000 + i);
        decision = "require_human";
        break;
      case 4:
        when = "has(action.params.reason) && action.params.reason == \"fraud-" +
               std::to_string(i) + "\"";
        decision = "deny";
        break;
    }
    y += "  - id: R-";
    y += std::to_string(i);
    y += "\n    applies_to: [\"";
    y += type;
    y += "\"]\n    when: '";
    y += when;
    y += "'\n    decision: ";
    y += decision;
    y += "\n    owner: Bench\n    approved_by: bench@acme.example\n";
  }
  return y;
}

policy::Policy MustParse(const std::string& yaml, const char* name) {
  Result<policy::Policy> p = policy::Policy::Parse(yaml, name);
  if (!p.ok()) Die(p.status().ToString());
  return std::move(*p);
}

struct Flags {
  size_t proposals = 64;
  double seconds = 1.0;
  unsigned runs = 3;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Die("missing value for " + std::string(a));
      return argv[++i];
    };
    if (a == "--proposals") {
      f.proposals = std::strtoull(value(), nullptr, 10);
    } else if (a == "--seconds") {
      f.seconds = std::strtod(value(), nullptr);
    } else if (a == "--runs") {
      f.runs = static_cast<unsigned>(std::strtoul(value(), nullptr, 10));
    } else {
      Die("usage: policy_bench [--proposals N] [--seconds S] [--runs R]");
    }
  }
  if (f.proposals == 0 || f.runs == 0 || f.seconds <= 0) Die("bad flags");
  return f;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `one(i)` round-robin over the proposals for about `seconds` of this
// thread's CPU time; returns calls per CPU second. CPU time rather than wall
// time, because the machine is shared: time the thread spends descheduled is
// not the policy's cost. The sink defeats dead-code elimination.
template <typename F>
double Rate(size_t n, double seconds, F&& one) {
  volatile uint64_t sink = 0;
  uint64_t calls = 0;
  const double start = ThreadCpuSeconds();
  double now = start;
  while (now - start < seconds) {
    for (size_t i = 0; i < n; ++i) sink = sink + one(i);
    calls += n;
    now = ThreadCpuSeconds();
  }
  return static_cast<double>(calls) / (now - start);
}

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>{}(s);
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);

  const policy::Policy fifty = MustParse(FiftyRulePolicy(), "bench-50.yaml");
  const policy::Policy example =
      MustParse(std::string("policy: example\nversion: \"1\"\n") + kClasses +
                    kExampleRules,
                "example.yaml");

  gen::Generator g({.seed = 42,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  std::vector<json::Value> proposals;
  proposals.reserve(flags.proposals);
  for (size_t i = 0; i < flags.proposals; ++i) proposals.push_back(g.Next());
  const UtcTime now = NowUtc();

  // What the 50-rule policy decides over these proposals.
  size_t outcome_count[3] = {0, 0, 0};
  size_t failed_closed = 0;
  for (const json::Value& p : proposals) {
    const policy::Decision d = fifty.Evaluate(p, now);
    outcome_count[static_cast<int>(d.outcome)]++;
    failed_closed += d.reason.find("failed closed") != std::string::npos;
  }

  std::unordered_set<std::string, TransparentHash, std::equal_to<>> known;
  for (const char* t : kTypes) known.insert(t);

  const size_t n = proposals.size();
  std::vector<double> floor_r, ex_r, fifty_r, fifty_new_r;
  policy::Decision reused;
  for (unsigned run = 0; run < flags.runs; ++run) {
    floor_r.push_back(Rate(n, flags.seconds, [&](size_t i) -> uint64_t {
      const json::Value* a = proposals[i].Find("action");
      const json::Value* t = a != nullptr ? a->Find("type") : nullptr;
      return t != nullptr && t->is_string() &&
             known.find(t->as_string()) != known.end();
    }));
    ex_r.push_back(Rate(n, flags.seconds, [&](size_t i) -> uint64_t {
      example.Evaluate(proposals[i], now, &reused);
      return static_cast<uint64_t>(reused.outcome);
    }));
    fifty_r.push_back(Rate(n, flags.seconds, [&](size_t i) -> uint64_t {
      fifty.Evaluate(proposals[i], now, &reused);
      return static_cast<uint64_t>(reused.outcome);
    }));
    fifty_new_r.push_back(Rate(n, flags.seconds, [&](size_t i) -> uint64_t {
      return static_cast<uint64_t>(fifty.Evaluate(proposals[i], now).outcome);
    }));
  }
  const double floor = Median(floor_r), ex = Median(ex_r),
               f50 = Median(fifty_r), f50n = Median(fifty_new_r);
  std::printf(
      "proposals: %zu (gen seed 42), runs: %u x %.1f s per phase, 1 thread\n",
      n, flags.runs, flags.seconds);
  std::printf(
      "50-rule policy decides: allow %zu, pending_approval %zu, deny %zu "
      "(%zu failed closed)\n",
      outcome_count[0], outcome_count[1], outcome_count[2], failed_closed);
  std::printf("%-34s %14s %10s\n", "phase", "decisions/s", "vs floor");
  auto row = [&](const char* name, double r) {
    std::printf("%-34s %14.0f %10.3f\n", name, r, r / floor);
  };
  row("floor: action.type hash lookup", floor);
  row("example policy (6 rules), reuse", ex);
  row("50-rule policy, reuse", f50);
  row("50-rule policy, new Decision", f50n);
  std::printf("target >= 1,000,000 decisions/s/core: %s\n",
              f50 >= 1e6 ? "met" : "NOT met");
  return 0;
}

}  // namespace
}  // namespace actledger

int main(int argc, char** argv) { return actledger::Run(argc, argv); }
