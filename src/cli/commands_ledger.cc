// Commands on a ledger: init, append, get, checkpoint, pubkey, proof,
// verify, demo.
#include <poll.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>

#include "actledger/json.h"
#include "cli/commands.h"
#include "gate/gate.h"
#include "gen/generator.h"
#include "retention/retention.h"

namespace actledger::cli {
namespace {

// Lines read before a batch is handed to the ledger, unless input pauses.
constexpr size_t kBatchLines = 512;
// Batches in flight before the reader waits (bounds memory).
constexpr size_t kMaxInFlight = 32;

bool InputPending(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

std::string HashListJson(const std::vector<merkle::Hash>& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ',';
    out += "\"" + merkle::ToHex(path[i]) + "\"";
  }
  return out + "]";
}

Result<std::unique_ptr<Ledger>> OpenWriter(const GlobalOptions& g) {
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerOptions options,
                             Ledger::ConfiguredOptions(g.data_dir));
  return Ledger::Open(g.data_dir, options);
}

void PrintRecovery(const Ledger& l) {
  const RecoveryReport& r = l.recovery();
  if (r.tail_cut) {
    std::fprintf(
        stderr,
        "actledger: recovery: cut a torn, unacknowledged tail of %llu "
        "bytes from %s at offset %llu (%s)\n",
        static_cast<unsigned long long>(r.tail_bytes), r.tail_segment.c_str(),
        static_cast<unsigned long long>(r.tail_offset), r.tail_reason.c_str());
  }
}

}  // namespace

int RunInit(const GlobalOptions& g, InitOptions o) {
  // The OS user who creates the ledger administers it; the grant is
  // recorded (a `key` record) before the gate's first write.
  o.admin = LocalPrincipal();
  Status st = Ledger::Init(g.data_dir, o);
  if (!st.ok()) return Fail(st);
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  std::printf("{\"data\":%s,\"origin\":%s,\"verifier_key\":%s}\n",
              JsonString(g.data_dir).c_str(),
              JsonString((*l)->origin()).c_str(),
              JsonString((*l)->verifier_key()).c_str());
  return 0;
}

int RunAppend(const GlobalOptions& g, const std::string& input) {
  auto opened = OpenWriter(g);
  if (!opened.ok()) return Fail(opened.status());
  Ledger& ledger = **opened;
  PrintRecovery(ledger);
  ValidationOptions vo;
  vo.strict = g.strict;
  vo.max_record_bytes = g.max_record_bytes;
  // recorded_by: the token's principal with --token, else local:<OS user>.
  std::string principal = LocalPrincipal();
  if (!g.token.empty()) {
    auto gate = gate::Gate::Open(&ledger);
    if (!gate.ok()) return Fail(gate.status());
    Result<std::string> p = (*gate)->Authenticate(g.token);
    if (!p.ok()) return Fail(p.status());
    principal = *p;
  }
  // The retention envelope every record carries (src/retention), and the
  // encryption of the policy's personal fields (src/keystore).
  auto state = state::StateStore::Open(ledger.dir());
  if (!state.ok()) return Fail(state.status());
  if (Status st = (*state)->CatchUp(ledger); !st.ok()) return Fail(st);
  auto stamper = retention::Stamper::ForLedger(ledger, **state);
  if (!stamper.ok()) return Fail(stamper.status());
  keystore::WriterKeys keys(ledger.dir());
  retention::EncryptionContext enc;
  enc.keys = &keys;
  enc.action_subject = [&](const std::string& action_id) {
    return retention::ActionSubjectKey(ledger, **state, keys, action_id);
  };

  // Output is printed in input order: a batch's slots are either an error
  // line (invalid input) or a receipt filled in once durable. The writer
  // completes batches in submission order.
  struct Slot {
    bool ok;
    std::string error_line;
  };
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  bool any_rejected = false;
  Status storage_error;

  std::vector<AppendRequest> batch;
  std::vector<Slot> slots;
  auto submit = [&] {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < kMaxInFlight; });
      ++in_flight;
    }
    ledger.AppendAsync(
        std::move(batch), principal,
        [&, s = std::move(slots)](Result<std::vector<Receipt>> r) {
          std::string out;
          size_t k = 0;
          for (const Slot& slot : s) {
            if (!slot.ok) {
              out += slot.error_line;
            } else if (r.ok()) {
              out += ReceiptJson((*r)[k++]);
              out += '\n';
            }
          }
          std::fwrite(out.data(), 1, out.size(), stdout);
          std::fflush(stdout);
          std::lock_guard<std::mutex> lock(mu);
          if (!r.ok() && storage_error.ok()) storage_error = r.status();
          --in_flight;
          cv.notify_all();
        });
    batch.clear();
    slots.clear();
  };

  Status read = ForEachLine(input, [&](size_t n, std::string_view line) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!storage_error.ok()) return false;
    }
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      Result<AppendRequest> r = [&]() -> Result<AppendRequest> {
        ACTLEDGER_ASSIGN_OR_RETURN(ValidatedRecord v, ValidateRecord(line, vo));
        return (*stamper)->PrepareRecord(std::move(v), NowUtc(), enc);
      }();
      if (r.ok()) {
        batch.push_back(std::move(r).value());
        slots.push_back(Slot{true, {}});
      } else {
        any_rejected = true;
        slots.push_back(
            Slot{false, "{\"ok\":false,\"line\":" + std::to_string(n) +
                            ",\"error\":" + ErrorJson(r.status()) + "}\n"});
      }
    }
    const bool stdin_input = input.empty() || input == "-";
    if (slots.size() >= kBatchLines ||
        (!slots.empty() && stdin_input && !InputPending(STDIN_FILENO) &&
         std::cin.rdbuf()->in_avail() <= 0)) {
      submit();
    }
    return true;
  });
  if (!slots.empty()) submit();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  if (!storage_error.ok()) return Fail(storage_error);
  if (!read.ok()) return Fail(read);
  return any_rejected ? 3 : 0;
}

int RunGet(const GlobalOptions& g, uint64_t seq) {
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  Result<std::string> bytes = (*l)->Get(seq);
  if (!bytes.ok()) return Fail(bytes.status());
  bytes->push_back('\n');
  std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  return 0;
}

int RunCheckpoint(const GlobalOptions& g) {
  auto l = OpenWriter(g);
  if (!l.ok()) return Fail(l.status());
  PrintRecovery(**l);
  Result<std::string> note = (*l)->Checkpoint();
  if (!note.ok()) return Fail(note.status());
  std::fwrite(note->data(), 1, note->size(), stdout);
  return 0;
}

int RunPubkey(const GlobalOptions& g) {
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  std::printf("%s\n", (*l)->verifier_key().c_str());
  return 0;
}

int RunProofInclusion(const GlobalOptions& g, uint64_t seq, int64_t size) {
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  uint64_t tree_size = size < 0 ? (*l)->size() : static_cast<uint64_t>(size);
  Result<InclusionProofResult> p = (*l)->ProveInclusion(seq, tree_size);
  if (!p.ok()) return Fail(p.status());
  std::printf(
      "{\"leaf_index\":%llu,\"tree_size\":%llu,\"root\":\"%s\",\"path\":%s}\n",
      static_cast<unsigned long long>(p->leaf_index),
      static_cast<unsigned long long>(p->tree_size),
      merkle::ToHex(p->root).c_str(), HashListJson(p->path).c_str());
  return 0;
}

int RunProofConsistency(const GlobalOptions& g, uint64_t old_size,
                        uint64_t new_size) {
  auto l = Ledger::OpenForRead(g.data_dir);
  if (!l.ok()) return Fail(l.status());
  Result<ConsistencyProofResult> p = (*l)->ProveConsistency(old_size, new_size);
  if (!p.ok()) return Fail(p.status());
  std::printf(
      "{\"old_size\":%llu,\"new_size\":%llu,\"old_root\":\"%s\",\"new_root\":"
      "\"%s\",\"path\":%s}\n",
      static_cast<unsigned long long>(p->old_size),
      static_cast<unsigned long long>(p->new_size),
      merkle::ToHex(p->old_root).c_str(), merkle::ToHex(p->new_root).c_str(),
      HashListJson(p->path).c_str());
  return 0;
}

int RunVerify(const GlobalOptions& g, const std::string& trusted_file,
              const std::string& verifier_key, bool json_output) {
  VerifyOptions o;
  o.verifier_key = verifier_key;
  if (!trusted_file.empty()) {
    Result<std::string> t = ReadAllInput(trusted_file);
    if (!t.ok()) return Fail(t.status());
    if (t->empty()) {
      return Fail(InvalidArgument(
          "the trusted checkpoint file " + trusted_file + " is empty",
          "--trusted"));
    }
    o.trusted_checkpoint = *t;
  }
  o.progress = [](uint64_t done, uint64_t total) {
    ShowProgress("verify", done, total);
  };
  Result<VerifyReport> r = VerifyLedger(g.data_dir, o);
  if (!r.ok()) return Fail(r.status());
  if (json_output) {
    std::string out = "{\"ok\":";
    out += r->ok() ? "true" : "false";
    out += ",\"records\":" + std::to_string(r->records);
    out += ",\"checkpoints\":" + std::to_string(r->checkpoints);
    out += ",\"torn_tail_bytes\":" + std::to_string(r->torn_tail_bytes);
    out += ",\"root\":\"" + merkle::ToHex(r->root) + "\"";
    out += ",\"purged\":" + std::to_string(r->purged) + ",\"purged_ranges\":[";
    for (size_t i = 0; i < r->purged_ranges.size(); ++i) {
      out += (i > 0 ? ",[" : "[") + std::to_string(r->purged_ranges[i].first) +
             "," + std::to_string(r->purged_ranges[i].second) + "]";
    }
    out += "]";
    out += ",\"findings\":[";
    for (size_t i = 0; i < r->findings.size(); ++i) {
      const VerifyFinding& f = r->findings[i];
      if (i > 0) out += ',';
      out += "{\"what\":" + JsonString(f.what) +
             ",\"file\":" + JsonString(f.file) +
             ",\"offset\":" + std::to_string(f.offset) +
             ",\"seq\":" + std::to_string(f.seq) + "}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (r->ok()) {
    if (r->purged > 0) {
      // Retention purges (docs/RETENTION.md): content removed, leaves kept.
      std::string ranges;
      for (const auto& [first, last] : r->purged_ranges) {
        ranges += (ranges.empty() ? "" : ", ") + std::to_string(first) +
                  (first == last ? "" : "-" + std::to_string(last));
      }
      std::printf(
          "purged: %llu records (content removed by authorized "
          "purges, leaf hashes verified): %s\n",
          static_cast<unsigned long long>(r->purged), ranges.c_str());
    }
    if (r->torn_tail_bytes > 0) {
      std::printf(
          "note: the last segment ends in a torn, unacknowledged "
          "write of %llu bytes (a crash); it is cut when the ledger "
          "is next opened for writing\n",
          static_cast<unsigned long long>(r->torn_tail_bytes));
    }
    std::printf(
        "ok: %llu records (%llu bytes), %llu checkpoints verified; "
        "root %s%s\n",
        static_cast<unsigned long long>(r->records),
        static_cast<unsigned long long>(r->bytes),
        static_cast<unsigned long long>(r->checkpoints),
        merkle::ToHex(r->root).c_str(),
        r->trusted_checked
            ? (", consistent with the trusted checkpoint of size " +
               std::to_string(r->trusted_size))
                  .c_str()
            : "");
  } else {
    std::printf("FAILED: %zu problem(s) found in %s\n", r->findings.size(),
                g.data_dir.c_str());
    for (const VerifyFinding& f : r->findings) {
      std::string where;
      if (!f.file.empty()) where += f.file;
      if (f.offset >= 0) where += " offset " + std::to_string(f.offset);
      if (f.seq >= 0) where += " seq " + std::to_string(f.seq);
      std::printf("  - %s%s%s\n", where.c_str(), where.empty() ? "" : ": ",
                  f.what.c_str());
    }
    std::printf(
        "Appends are refused until the ledger is restored and "
        "`actledger verify` passes.\n");
  }
  return r->ok() ? 0 : 1;
}

int RunDemo(const GlobalOptions& g, uint64_t count) {
  std::printf(
      "actledger demo: %llu generated Execute-action records into %s\n\n",
      static_cast<unsigned long long>(count), g.data_dir.c_str());
  Status init = Ledger::Init(g.data_dir, InitOptions{});
  if (!init.ok() && init.code() != StatusCode::kFailedPrecondition) {
    return Fail(init);
  }
  auto opened = OpenWriter(g);
  if (!opened.ok()) return Fail(opened.status());
  Ledger& ledger = **opened;
  PrintRecovery(ledger);

  auto stamper = retention::StamperFor(ledger);
  if (!stamper.ok()) return Fail(stamper.status());
  keystore::WriterKeys keys(ledger.dir());
  retention::EncryptionContext enc;
  enc.keys = &keys;
  gen::Options go;
  go.seed = static_cast<uint64_t>(ledger.size()) + 1;
  gen::Generator gen(go);
  ValidationOptions vo;
  std::vector<AppendRequest> batch;
  std::string first_line;
  std::vector<std::string> first_missing;
  for (uint64_t i = 0; i < count; ++i) {
    std::string line = gen.NextLine();
    Result<ValidatedRecord> r = ValidateRecord(line, vo);
    if (!r.ok()) return Fail(r.status());
    if (i == 0) first_line = line;
    Result<AppendRequest> req =
        (*stamper)->PrepareRecord(std::move(r).value(), NowUtc(), enc);
    if (!req.ok()) return Fail(req.status());
    batch.push_back(std::move(req).value());
  }
  // A bad record, to show what a rejection looks like.
  Result<ValidatedRecord> bad = ValidateRecord(
      R"({"action":{"type":"payment.refund","system":"stripe","target":"ch_1",)"
      R"("amount":{"value":340.0,"currency":"USD"}}})",
      vo);
  const uint64_t first_seq = ledger.size();
  Result<std::vector<Receipt>> receipts =
      ledger.Append(std::move(batch), LocalPrincipal());
  if (!receipts.ok()) return Fail(receipts.status());

  std::printf(
      "1. A generated record as an agent would send it (%zu bytes):\n%s\n\n",
      first_line.size(), first_line.substr(0, 600).c_str());
  std::printf(
      "2. Receipts, printed once the records are durable (first 3 of %zu):\n",
      receipts->size());
  for (size_t i = 0; i < receipts->size() && i < 3; ++i) {
    std::printf("%s\n", ReceiptJson((*receipts)[i]).c_str());
  }
  std::printf(
      "\n3. A bad record is refused, naming the "
      "field:\n{\"ok\":false,\"error\":%s}\n\n",
      ErrorJson(bad.status()).c_str());
  Result<std::string> stored = ledger.Get(first_seq);
  if (!stored.ok()) return Fail(stored.status());
  std::printf(
      "4. Its stored RFC 8785 canonical form, the Merkle leaf (`actledger get "
      "%llu`):\n%s...\n\n",
      static_cast<unsigned long long>(first_seq),
      stored->substr(0, 400).c_str());
  Result<std::string> note = ledger.Checkpoint();
  if (!note.ok()) return Fail(note.status());
  std::printf(
      "5. A signed checkpoint over all %llu records (`actledger "
      "checkpoint`):\n%s\n",
      static_cast<unsigned long long>(ledger.size()), note->c_str());
  Result<InclusionProofResult> proof =
      ledger.ProveInclusion(first_seq, ledger.size());
  if (!proof.ok()) return Fail(proof.status());
  Status check = merkle::VerifyInclusion(
      proof->leaf_hash, first_seq, proof->tree_size, proof->path, proof->root);
  std::printf(
      "6. Inclusion proof of seq %llu: %zu hashes, checks against the root: "
      "%s\n\n",
      static_cast<unsigned long long>(first_seq), proof->path.size(),
      check.ok() ? "yes" : check.ToString().c_str());
  const std::string dir = g.data_dir;
  opened->reset();
  VerifyOptions vopt;
  Result<VerifyReport> report = VerifyLedger(dir, vopt);
  if (!report.ok()) return Fail(report.status());
  std::printf("7. `actledger verify`: %s, %llu records, %llu checkpoints\n\n",
              report->ok() ? "intact" : "FAILED",
              static_cast<unsigned long long>(report->records),
              static_cast<unsigned long long>(report->checkpoints));
  std::printf(
      "Try: actledger --data %s get 0 | actledger canon\n"
      "     actledger --data %s proof inclusion 0\n"
      "     actledger --data %s verify\n",
      dir.c_str(), dir.c_str(), dir.c_str());
  return report->ok() ? 0 : 1;
}

}  // namespace actledger::cli
