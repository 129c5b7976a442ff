// The approval gate's commands: policy, gate, approve, reject, outcome,
// action, approvals, token, principal.
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "actledger/json.h"
#include "cli/commands.h"
#include "common/time.h"
#include "gate/decision_json.h"
#include "gate/gate.h"

namespace actledger::cli {
namespace {

using json::Value;

// An open ledger with its gate and the acting principal.
struct Session {
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<gate::Gate> gate;
  std::string principal;
};

Result<Session> OpenSession(const GlobalOptions& g, bool write) {
  Session s;
  if (write) {
    ACTLEDGER_ASSIGN_OR_RETURN(LedgerOptions options,
                               Ledger::ConfiguredOptions(g.data_dir));
    ACTLEDGER_ASSIGN_OR_RETURN(s.ledger, Ledger::Open(g.data_dir, options));
  } else {
    ACTLEDGER_ASSIGN_OR_RETURN(s.ledger, Ledger::OpenForRead(g.data_dir));
  }
  ACTLEDGER_ASSIGN_OR_RETURN(s.gate, gate::Gate::Open(s.ledger.get()));
  if (g.token.empty()) {
    s.principal = LocalPrincipal();
  } else {
    ACTLEDGER_ASSIGN_OR_RETURN(s.principal, s.gate->Authenticate(g.token));
  }
  return s;
}

void PrintJson(const Value& v) {
  std::printf("%s\n", json::Canonical(v).c_str());
}

}  // namespace

int RunPolicyCheck(const std::string& file) {
  Result<std::string> text = ReadAllInput(file);
  if (!text.ok()) return Fail(text.status());
  Result<policy::Policy> p = policy::Policy::Parse(*text, file);
  if (!p.ok()) return Fail(p.status());
  int errors = 0;
  for (const policy::Finding& f : p->Lint(NowUtc())) {
    const bool error = f.severity == policy::Finding::Severity::kError;
    errors += error ? 1 : 0;
    std::printf("%s:%d: %s: %s [%s]\n", file.c_str(), f.line,
                error ? "error" : "warning", f.message.c_str(), f.code.c_str());
  }
  std::printf("%s: policy %s version %s, sha256 %s: %s\n", file.c_str(),
              p->name().c_str(), p->version().c_str(),
              p->content_hash().c_str(), errors ? "errors found" : "ok");
  return errors ? 3 : 0;
}

int RunPolicyActivate(const GlobalOptions& g, const std::string& file) {
  Result<std::string> text = ReadAllInput(file);
  if (!text.ok()) return Fail(text.status());
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<uint64_t> seq = s->gate->ActivatePolicy(s->principal, *text, file);
  if (!seq.ok()) return Fail(seq.status());
  Result<policy::Policy> p = policy::Policy::Parse(*text, file);
  Value v = Value::MakeObject();
  v.Set("seq", Value::Number(static_cast<double>(*seq)));
  v.Set("policy", Value::String(p->name()));
  v.Set("version", Value::String(p->version()));
  v.Set("sha256", Value::String(p->content_hash()));
  v.Set("activated_by", Value::String(s->principal));
  PrintJson(v);
  return 0;
}

int RunPolicyShow(const GlobalOptions& g) {
  auto s = OpenSession(g, false);
  if (!s.ok()) return Fail(s.status());
  Result<std::optional<std::string>> text = s->gate->ActivePolicyText();
  if (!text.ok()) return Fail(text.status());
  if (!text->has_value()) {
    return Fail(
        NotFound("no policy is active: every action needs a human "
                 "(activate one with `actledger policy activate`)"));
  }
  const std::string& policy_text = **text;
  std::fwrite(policy_text.data(), 1, policy_text.size(), stdout);
  return 0;
}

int RunPolicyWhatIf(const GlobalOptions& g, const std::string& file,
                    const std::string& from, const std::string& to) {
  Result<std::string> text = ReadAllInput(file);
  if (!text.ok()) return Fail(text.status());
  Result<policy::Policy> candidate = policy::Policy::Parse(*text, file);
  if (!candidate.ok()) return Fail(candidate.status());
  std::optional<UtcTime> from_t, to_t;
  for (auto [arg, out, name] :
       {std::tuple{&from, &from_t, "--from"}, std::tuple{&to, &to_t, "--to"}}) {
    if (arg->empty()) continue;
    Result<UtcTime> t = ParseRfc3339Utc(*arg);
    if (!t.ok()) return Fail(InvalidArgument(t.status().message(), name));
    *out = *t;
  }
  auto s = OpenSession(g, false);
  if (!s.ok()) return Fail(s.status());
  Result<std::vector<int64_t>> seqs = s->gate->state().ProposalSeqs();
  if (!seqs.ok()) return Fail(seqs.status());
  std::map<std::string, int> changed_by_rule;
  int replayed = 0, changed = 0;
  // The candidate sees what the gate saw: personal fields decrypted (a
  // condition on subject.attributes must not meet an encrypted envelope).
  // Without the master key they read "[redacted]", and a note says so.
  const keystore::RecordDecryptor reader = LocalReader(g);
  for (int64_t seq : *seqs) {
    Result<std::string> bytes = s->ledger->Get(static_cast<uint64_t>(seq));
    if (!bytes.ok()) return Fail(bytes.status());
    Result<Value> rec = reader.Parse(*bytes);
    if (!rec.ok()) return Fail(rec.status());
    const Value* at = rec->FindPath("recorded_at");
    Result<UtcTime> when = ParseRfc3339Utc(at ? at->as_string() : "");
    if (!when.ok()) continue;
    if ((from_t && *when < *from_t) || (to_t && !(*when < *to_t))) continue;
    ++replayed;
    policy::Decision d = candidate->Evaluate(*rec, *when);
    const Value* gate = rec->Find("gate");
    const std::string old_decision = gate && gate->Find("decision")
                                         ? gate->Find("decision")->as_string()
                                         : "";
    const Value* old_rule = gate ? gate->FindPath("rule.id") : nullptr;
    const std::string old_rule_id =
        old_rule && old_rule->is_string() ? old_rule->as_string() : "";
    const std::string new_rule_id = d.rule ? d.rule->id : "";
    const std::string new_decision = policy::OutcomeName(d.outcome);
    if (old_decision == new_decision && old_rule_id == new_rule_id) continue;
    ++changed;
    changed_by_rule[new_rule_id.empty() ? "(no rule)" : new_rule_id]++;
    Value v = Value::MakeObject();
    v.Set("seq", Value::Number(static_cast<double>(seq)));
    v.Set("action_id", *rec->Find("action_id"));
    if (const Value* t = rec->FindPath("action.type")) v.Set("action_type", *t);
    v.Set("old",
          Value::MakeObject(
              {{"decision", Value::String(old_decision)},
               {"rule", old_rule_id.empty() ? Value::Null()
                                            : Value::String(old_rule_id)}}));
    v.Set("new", Value::MakeObject({{"decision", Value::String(new_decision)},
                                    {"rule", new_rule_id.empty()
                                                 ? Value::Null()
                                                 : Value::String(new_rule_id)},
                                    {"reason", Value::String(d.reason)}}));
    PrintJson(v);
  }
  Value summary = Value::MakeObject();
  summary.Set("replayed", Value::Number(replayed));
  summary.Set("changed", Value::Number(changed));
  Value per_rule = Value::MakeObject();
  for (const auto& [rule, n] : changed_by_rule) {
    per_rule.Set(rule, Value::Number(n));
  }
  summary.Set("changed_by_rule", std::move(per_rule));
  PrintJson(Value::MakeObject({{"summary", std::move(summary)}}));
  NoteRedactions(reader);
  return 0;
}

int RunGate(const GlobalOptions& g, const std::string& input) {
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  ValidationOptions vo;
  vo.strict = g.strict;
  vo.max_record_bytes = g.max_record_bytes;
  vo.proposal = true;
  bool rejected = false;
  Status fatal;
  Status read = ForEachLine(input, [&](size_t n, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
    Result<ValidatedRecord> r = ValidateRecord(line, vo);
    Result<gate::GateDecision> d =
        r.ok() ? s->gate->Propose(s->principal, std::move(r).value())
               : Result<gate::GateDecision>(r.status());
    if (d.ok()) {
      PrintJson(gate::DecisionJson(*d));
    } else if (d.status().ExitCode() == 3) {
      rejected = true;
      std::printf("{\"ok\":false,\"line\":%zu,\"error\":%s}\n", n,
                  ErrorJson(d.status()).c_str());
    } else {
      fatal = d.status();
      return false;
    }
    std::fflush(stdout);
    return true;
  });
  if (!fatal.ok()) return Fail(fatal);
  if (!read.ok()) return Fail(read);
  return rejected ? 3 : 0;
}

int RunDecide(const GlobalOptions& g, const std::string& action_id,
              bool approve, const std::string& reason) {
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<Receipt> r = s->gate->Decide(s->principal, action_id, approve, reason);
  if (!r.ok()) return Fail(r.status());
  Value v = Value::MakeObject();
  v.Set("seq", Value::Number(static_cast<double>(r->seq)));
  v.Set("action_id", Value::String(action_id));
  v.Set("decision", Value::String(approve ? "approve" : "reject"));
  v.Set("approver", Value::String(s->principal));
  v.Set("leaf_hash", Value::String(merkle::ToHex(r->leaf_hash)));
  PrintJson(v);
  return 0;
}

int RunOutcome(const GlobalOptions& g, const std::string& action_id,
               const std::string& input) {
  Result<std::string> text = ReadAllInput(input);
  if (!text.ok()) return Fail(text.status());
  Result<Value> parsed = json::Parse(*text);
  if (!parsed.ok()) {
    return Fail(InvalidArgument("malformed JSON: " + parsed.status().message(),
                                "outcome"));
  }
  if (!parsed->is_object()) {
    return Fail(InvalidArgument("must be a JSON object", "outcome"));
  }
  // Either the outcome object itself, or a record holding one.
  Value record = Value::MakeObject();
  if (parsed->Find("outcome") != nullptr) {
    record = std::move(parsed).value();
  } else {
    record.Set("outcome", std::move(parsed).value());
  }
  if (const Value* id = record.Find("action_id");
      id != nullptr && (!id->is_string() || id->as_string() != action_id)) {
    return Fail(
        InvalidArgument("does not match the ACTION_ID argument", "action_id"));
  }
  record.Set("action_id", Value::String(action_id));
  record.Set("kind", Value::String("outcome"));
  ValidationOptions vo;
  vo.max_record_bytes = g.max_record_bytes;
  Result<ValidatedRecord> v = ValidateRecordValue(std::move(record), vo);
  if (!v.ok()) return Fail(v.status());
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<gate::OutcomeReceipt> r =
      s->gate->RecordOutcome(s->principal, std::move(v).value());
  if (!r.ok()) return Fail(r.status());
  std::string out = ReceiptJson(r->receipt);
  out.pop_back();  // '}'
  out += ",\"violation\":" +
         (r->violation ? JsonString(*r->violation) : std::string("null")) + "}";
  std::printf("%s\n", out.c_str());
  return 0;
}

// Adds to each timeline entry its inclusion proof against the latest
// checkpoint, and the checkpoint note itself, so the printout can be
// checked offline with the verifier key alone.
Status AddProofs(const Ledger& ledger, Value* view) {
  Result<std::string> note = ledger.LatestCheckpoint();
  if (!note.ok()) {
    return note.status().code() == StatusCode::kNotFound
               ? FailedPrecondition(
                     "the ledger has no signed checkpoint to prove "
                     "against; run `actledger checkpoint`")
               : note.status();
  }
  const size_t body_end = note->find("\n\n");
  ACTLEDGER_ASSIGN_OR_RETURN(
      Checkpoint cp,
      ParseCheckpoint(std::string_view(*note).substr(
          0, body_end == std::string::npos ? note->size() : body_end + 1)));
  view->Set("checkpoint", Value::String(*note));
  Value* timeline = view->Find("timeline");
  if (timeline == nullptr || !timeline->is_array()) return Status::Ok();
  for (Value& entry : timeline->as_array()) {
    const uint64_t seq = static_cast<uint64_t>(entry.Find("seq")->as_number());
    if (seq >= cp.size) {
      entry.Set("proof", Value::Null());
      entry.Set("proof_note",
                Value::String("recorded after the latest checkpoint (size " +
                              std::to_string(cp.size) +
                              "); run `actledger checkpoint`"));
      continue;
    }
    ACTLEDGER_ASSIGN_OR_RETURN(InclusionProofResult p,
                               ledger.ProveInclusion(seq, cp.size));
    Value proof = Value::MakeObject();
    proof.Set("leaf_index", Value::Number(static_cast<double>(p.leaf_index)));
    proof.Set("tree_size", Value::Number(static_cast<double>(p.tree_size)));
    proof.Set("leaf_hash", Value::String(merkle::ToHex(p.leaf_hash)));
    proof.Set("root", Value::String(merkle::ToHex(p.root)));
    Value::Array path;
    for (const merkle::Hash& h : p.path) {
      path.push_back(Value::String(merkle::ToHex(h)));
    }
    proof.Set("path", Value::MakeArray(std::move(path)));
    entry.Set("proof", std::move(proof));
  }
  return Status::Ok();
}

int RunAction(const GlobalOptions& g, const std::string& action_id,
              const std::string& wait, bool proof) {
  int64_t wait_seconds = 0;
  if (!wait.empty()) {
    // "30s", "5m", "2h" or plain seconds.
    char unit = wait.back();
    std::string digits = std::isdigit(static_cast<unsigned char>(unit))
                             ? wait
                             : wait.substr(0, wait.size() - 1);
    if (digits.empty() ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return Fail(
          InvalidArgument("use seconds, or a number with s, m or h", "--wait"));
    }
    wait_seconds = std::stoll(digits) * (unit == 'm'   ? 60
                                         : unit == 'h' ? 3600
                                                       : 1);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  while (true) {
    Result<Value> view = [&]() -> Result<Value> {
      // Opened afresh each time, so an approver's command can take the
      // ledger between polls.
      ACTLEDGER_ASSIGN_OR_RETURN(Session s, OpenSession(g, false));
      const keystore::RecordDecryptor reader = LocalReader(g);
      ACTLEDGER_ASSIGN_OR_RETURN(Value v,
                                 s.gate->ActionView(action_id, &reader));
      NoteRedactions(reader);
      if (proof) ACTLEDGER_RETURN_IF_ERROR(AddProofs(*s.ledger, &v));
      return v;
    }();
    if (!view.ok()) return Fail(view.status());
    const bool pending =
        view->Find("status")->as_string() == "pending_approval";
    if (!pending || std::chrono::steady_clock::now() >= deadline) {
      PrintJson(*view);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

int RunApprovals(const GlobalOptions& g, const std::string& status) {
  if (status != "pending" && status != "all") {
    return Fail(InvalidArgument("must be \"pending\" or \"all\"", "--status"));
  }
  auto s = OpenSession(g, false);
  if (!s.ok()) return Fail(s.status());
  Result<std::vector<state::ActionState>> list =
      s->gate->state().Approvals(status == "pending");
  if (!list.ok()) return Fail(list.status());
  const UtcTime now = NowUtc();
  for (const state::ActionState& a : *list) {
    if (status == "pending" &&
        gate::ActionStatus(a, now) != "pending_approval") {
      continue;
    }
    PrintJson(gate::ActionSummary(a, now));
  }
  return 0;
}

int RunTokenCreate(const GlobalOptions& g, const std::string& principal) {
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<gate::CreatedToken> t = s->gate->CreateToken(s->principal, principal);
  if (!t.ok()) return Fail(t.status());
  PrintJson(Value::MakeObject(
      {{"token_id", Value::String(t->token_id)},
       {"principal", Value::String(principal)},
       {"token", Value::String(t->token)},
       {"note", Value::String("shown once; only its SHA-256 is stored")}}));
  return 0;
}

int RunTokenList(const GlobalOptions& g) {
  auto s = OpenSession(g, false);
  if (!s.ok()) return Fail(s.status());
  Result<std::vector<state::TokenInfo>> list = s->gate->state().Tokens();
  if (!list.ok()) return Fail(list.status());
  for (const state::TokenInfo& t : *list) {
    PrintJson(Value::MakeObject(
        {{"token_id", Value::String(t.token_id)},
         {"principal", Value::String(t.principal)},
         {"created_by", Value::String(t.created_by)},
         {"created_seq", Value::Number(static_cast<double>(t.created_seq))},
         {"revoked", Value::Bool(t.revoked_seq >= 0)}}));
  }
  return 0;
}

int RunTokenRevoke(const GlobalOptions& g, const std::string& token_id) {
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<uint64_t> seq = s->gate->RevokeToken(s->principal, token_id);
  if (!seq.ok()) return Fail(seq.status());
  PrintJson(
      Value::MakeObject({{"token_id", Value::String(token_id)},
                         {"revoked", Value::Bool(true)},
                         {"seq", Value::Number(static_cast<double>(*seq))}}));
  return 0;
}

int RunPrincipal(const GlobalOptions& g, const std::string& principal,
                 const std::string& role, bool grant) {
  auto s = OpenSession(g, true);
  if (!s.ok()) return Fail(s.status());
  Result<uint64_t> seq =
      grant ? s->gate->Grant(s->principal, principal, role)
            : s->gate->RevokeRole(s->principal, principal, role);
  if (!seq.ok()) return Fail(seq.status());
  Result<std::vector<std::string>> roles = s->gate->RolesOf(principal);
  Value::Array list;
  if (roles.ok()) {
    for (const auto& r : *roles) list.push_back(Value::String(r));
  }
  PrintJson(
      Value::MakeObject({{"principal", Value::String(principal)},
                         {"roles", Value::MakeArray(std::move(list))},
                         {"seq", Value::Number(static_cast<double>(*seq))}}));
  return 0;
}

}  // namespace actledger::cli
