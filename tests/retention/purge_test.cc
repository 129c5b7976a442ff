// Holds, plans and purges against real ledgers: what goes, what a hold
// keeps, and that verify, checkpoints and proofs survive; interrupted and
// crashed purges; forged stubs.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/ledger.h"
#include "actledger/merkle.h"
#include "keystore/keystore_testing.h"
#include "retention/retention.h"
#include "retention_testing.h"
#include "storage/segment_log.h"

namespace actledger {
namespace {

using retention_testing::At;
using retention_testing::FilesContaining;
using retention_testing::InitAndOpen;
using retention_testing::RecordJson;
using retention_testing::Reopen;
using retention_testing::Slurp;
using retention_testing::Spit;
using retention_testing::TempDir;

constexpr char kPolicy[] = R"(policy: p
version: "v1"
retention:
  periods: { sox: 7y, general: 3y }
  rules:
    - { match: ["payment.*"], regime: sox }
)";

policy::RetentionPolicy Policy() {
  return policy::RetentionPolicy::Parse(kPolicy, "p.yaml").value();
}

std::string Secret(uint64_t i) {
  return "SECRET-CONTENT-" + std::to_string(i) + "-Q";
}

// A ledger of `n` records: even ones stamped in 2015 (general 3y: expired
// in 2018), odd ones stamped now-ish (not expired); every fifth one a
// payment (sox 7y from 2015: expired in 2022, or not yet for odd ones).
struct Fixture {
  TempDir dir;
  std::unique_ptr<Ledger> ledger;
  retention::Stamper stamper{Policy(), std::nullopt, "v1"};
  std::set<uint64_t> expired;

  explicit Fixture(uint64_t n, uint64_t segment_bytes = 0) {
    ledger = InitAndOpen(dir.path() + "/d", segment_bytes);
    for (uint64_t i = 0; i < n; ++i) {
      const bool old = i % 2 == 0;
      const std::string type = i % 5 == 0 ? "payment.refund" : "email.send";
      const UtcTime stamped = old ? At(2015, 1, 1) : NowUtc();
      Receipt r = retention_testing::AppendAt(
          *ledger, stamper,
          RecordJson("act-" + std::to_string(i), type, "customer",
                     "c" + std::to_string(i % 7), "2014-12-31T10:00:00Z",
                     Secret(i)),
          stamped);
      EXPECT_EQ(r.seq, i);
      if (old) expired.insert(i);
    }
  }
  std::string data() const { return dir.path() + "/d"; }
};

VerifyReport MustVerify(const std::string& dir) {
  Result<VerifyReport> r = VerifyLedger(dir, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  for (const VerifyFinding& f : r->findings) {
    ADD_FAILURE() << "finding: " << f.what << " (" << f.file << ", seq "
                  << f.seq << ")";
  }
  return *r;
}

TEST(RetentionPlan, ListsExpiredRecordsByRegimeAndMonth) {
  Fixture fx(20);
  Result<retention::Plan> plan = retention::MakePlan(*fx.ledger, NowUtc());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->records_scanned, 20u);
  std::vector<uint64_t> want(fx.expired.begin(), fx.expired.end());
  EXPECT_EQ(plan->eligible, want);
  uint64_t sox = 0, general = 0;
  for (uint64_t s : want) (s % 5 == 0 ? sox : general)++;
  std::map<std::string, uint64_t> by_regime;
  for (const retention::PlanGroup& g : plan->groups) {
    by_regime[g.regime] += g.records;
    EXPECT_EQ(g.month.size(), 7u);  // YYYY-MM of recorded_at
  }
  EXPECT_EQ(by_regime["sox"], sox);
  EXPECT_EQ(by_regime["general"], general);
  // As of 2019, sox records (until 2022) have not yet expired.
  Result<retention::Plan> early =
      retention::MakePlan(*fx.ledger, At(2019, 1, 1));
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->eligible.size(), general);
}

TEST(RetentionPurge, StubsExpiredRecordsAndKeepsEverythingVerifiable) {
  Fixture fx(30);
  Result<std::string> cp_before = fx.ledger->Checkpoint();
  ASSERT_TRUE(cp_before.ok());
  const uint64_t size_before = fx.ledger->size();
  std::vector<merkle::Hash> leaves;
  std::vector<std::string> stored;
  for (uint64_t s = 0; s < size_before; ++s) {
    leaves.push_back(fx.ledger->LeafHash(s).value());
    stored.push_back(fx.ledger->Get(s).value());
  }
  Result<retention::PurgeResult> r =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->purged, fx.expired.size());
  ASSERT_EQ(r->purge_records.size(), 1u);
  const uint64_t purge_seq = r->purge_records[0];
  EXPECT_EQ(purge_seq, size_before);

  // The purge record names the ranges, which are exactly the expired seqs.
  Result<json::Value> purge = json::Parse(fx.ledger->Get(purge_seq).value());
  ASSERT_TRUE(purge.ok());
  EXPECT_EQ(purge->Find("kind")->as_string(), "purge");
  const json::Value* ranges = purge->FindPath("purge.ranges");
  ASSERT_NE(ranges, nullptr);
  std::set<uint64_t> named;
  for (const json::Value& range : ranges->as_array()) {
    for (auto s = static_cast<uint64_t>(range.as_array()[0].as_number());
         s <= static_cast<uint64_t>(range.as_array()[1].as_number()); ++s) {
      named.insert(s);
    }
  }
  EXPECT_EQ(named, fx.expired);

  for (uint64_t s = 0; s < size_before; ++s) {
    std::string now = fx.ledger->Get(s).value();
    if (fx.expired.count(s)) {
      // A stub: seq, kind, leaf hash and retention envelope, marked.
      Result<json::Value> stub = json::Parse(now);
      ASSERT_TRUE(stub.ok()) << now;
      EXPECT_EQ(stub->Find("seq")->as_number(), static_cast<double>(s));
      EXPECT_EQ(stub->Find("kind")->as_string(), "action");
      EXPECT_EQ(stub->Find("leaf_hash")->as_string(),
                merkle::ToHex(merkle::HashLeaf(stored[s])));
      EXPECT_EQ(stub->FindPath("purged.by")->as_number(),
                static_cast<double>(purge_seq));
      EXPECT_NE(stub->Find("retention"), nullptr);
      EXPECT_EQ(now.find(Secret(s)), std::string::npos);
      EXPECT_EQ(StoredLeafHash(now), leaves[s]);
    } else {
      EXPECT_EQ(now, stored[s]) << "seq " << s << " changed";
    }
    EXPECT_EQ(fx.ledger->LeafHash(s).value(), leaves[s]);
  }
  // Every proof still checks against the checkpoint signed before the
  // purge and one signed after it, for purged and surviving records.
  Result<std::string> cp_after = fx.ledger->Checkpoint();
  ASSERT_TRUE(cp_after.ok());
  Result<NoteVerifier> v =
      NoteVerifier::FromVerifierKey(fx.ledger->verifier_key());
  ASSERT_TRUE(v.ok());
  for (const std::string& note : {*cp_before, *cp_after}) {
    Checkpoint cp = ParseCheckpoint(v->Open(note).value()).value();
    for (uint64_t s = 0; s < size_before; ++s) {
      Result<InclusionProofResult> p = fx.ledger->ProveInclusion(s, cp.size);
      ASSERT_TRUE(p.ok());
      EXPECT_TRUE(
          merkle::VerifyInclusion(StoredLeafHash(fx.ledger->Get(s).value()), s,
                                  cp.size, p->path, cp.root)
              .ok())
          << "seq " << s << " at size " << cp.size;
    }
  }
  Result<ConsistencyProofResult> c =
      fx.ledger->ProveConsistency(size_before, fx.ledger->size());
  ASSERT_TRUE(c.ok());
  fx.ledger.reset();

  VerifyReport report = MustVerify(fx.data());
  EXPECT_EQ(report.purged, fx.expired.size());
  EXPECT_EQ(report.purged_ranges, retention::Ranges(std::vector<uint64_t>(
                                      fx.expired.begin(), fx.expired.end())));
  // The purged content is nowhere in the data directory; what survives is.
  for (uint64_t s : fx.expired) {
    EXPECT_TRUE(FilesContaining(fx.data(), Secret(s)).empty()) << Secret(s);
  }
  EXPECT_FALSE(FilesContaining(fx.data(), Secret(1)).empty());

  // Reopening rebuilds nothing wrong; a second purge finds nothing to do.
  fx.ledger = Reopen(fx.data());
  ASSERT_NE(fx.ledger, nullptr);
  Result<retention::PurgeResult> again =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->purged, 0u);
  EXPECT_TRUE(again->purge_records.empty());
  EXPECT_EQ(again->plan.already_purged, fx.expired.size());
}

TEST(RetentionPurge, HoldsBlockPurgeUntilReleased) {
  Fixture fx(40);
  // Subject c0: records 0, 14, 28 (even ones are expired).
  Result<retention::Hold> by_subject = retention::AddHold(
      *fx.ledger, "local:legal", {.subject = "customer:c0", .reason = "suit"});
  ASSERT_TRUE(by_subject.ok()) << by_subject.status().ToString();
  Result<retention::Hold> by_action = retention::AddHold(
      *fx.ledger, "local:legal", {.action_id = "act-2", .reason = "audit"});
  ASSERT_TRUE(by_action.ok());
  // Every record occurred 2014-12-31T10:00Z: a range around it holds all.
  Result<retention::Hold> by_range =
      retention::AddHold(*fx.ledger, "local:legal",
                         {.from = "2014-12-31T00:00:00Z",
                          .to = "2015-01-01T00:00:00Z",
                          .reason = "incident"});
  ASSERT_TRUE(by_range.ok());

  Result<retention::Plan> plan = retention::MakePlan(*fx.ledger, NowUtc());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->eligible.empty());
  EXPECT_EQ(plan->held, fx.expired.size());

  ASSERT_TRUE(retention::ReleaseHold(*fx.ledger, "local:legal", by_range->id,
                                     "incident closed")
                  .ok());
  plan = retention::MakePlan(*fx.ledger, NowUtc());
  ASSERT_TRUE(plan.ok());
  std::set<uint64_t> held_now = {0, 14, 28, 2};
  std::vector<uint64_t> want;
  for (uint64_t s : fx.expired) {
    if (!held_now.count(s)) want.push_back(s);
  }
  EXPECT_EQ(plan->eligible, want);
  EXPECT_EQ(plan->held, held_now.size());

  Result<retention::PurgeResult> r =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->purged, want.size());
  for (uint64_t s : held_now) {
    EXPECT_FALSE(IsPurgedStubShaped(fx.ledger->Get(s).value())) << s;
  }
  // Releasing the subject hold lets its records go on the next purge.
  ASSERT_TRUE(retention::ReleaseHold(*fx.ledger, "local:legal", by_subject->id,
                                     "settled")
                  .ok());
  r = retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->purged, 3u);
  EXPECT_FALSE(IsPurgedStubShaped(fx.ledger->Get(2).value()));
  fx.ledger.reset();
  EXPECT_EQ(MustVerify(fx.data()).purged, want.size() + 3);
  EXPECT_FALSE(FilesContaining(fx.data(), Secret(2)).empty());
}

TEST(RetentionHolds, ListAndReleaseRecordWhoAndWhy) {
  Fixture fx(2);
  Result<retention::Hold> h =
      retention::AddHold(*fx.ledger, "local:legal",
                         {.subject = "patient:p-9-QXZ81", .reason = "x"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->id.rfind("hold_", 0), 0u);
  Result<retention::Hold> released =
      retention::ReleaseHold(*fx.ledger, "local:boss", h->id, "done");
  ASSERT_TRUE(released.ok());
  Result<std::vector<retention::Hold>> all = retention::ListHolds(*fx.ledger);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].placed_by, "local:legal");
  EXPECT_EQ((*all)[0].released_by, "local:boss");
  EXPECT_EQ((*all)[0].release_reason, "done");
  EXPECT_EQ((*all)[0].subject_type, "patient");
  // The record names the subject by its blind id only: HMAC-SHA-256 under
  // the key derived from the ledger's master key (docs/ERASURE.md),
  // computed here with OpenSSL directly.
  EXPECT_EQ((*all)[0].subject_id, "");
  const std::string master = keystore_testing::Slurp(
      fx.data() + "/" + keystore::kDefaultMasterKeyFile);
  ASSERT_EQ(master.size(), 32u);
  EXPECT_EQ((*all)[0].subject_blind_id,
            keystore_testing::Hex(keystore_testing::Hmac(
                keystore_testing::Hkdf(master, "actledger/blind-index/v1"),
                "patient:p-9-QXZ81")));
  EXPECT_TRUE(FilesContaining(fx.data(), "p-9-QXZ81").empty());
  // The hold record itself carries the ledger regime: never purged.
  Result<json::Value> rec = json::Parse(fx.ledger->Get(h->seq).value());
  EXPECT_EQ(rec->FindPath("retention.regime")->as_string(), "ledger");
  EXPECT_TRUE(rec->FindPath("retention.until")->is_null());

  struct Bad {
    retention::HoldRequest req;
    std::string field;
  };
  for (const Bad& b : std::vector<Bad>{
           {{.reason = "r"}, "subject"},
           {{.subject = "c:1", .action_id = "a", .reason = "r"}, "scope"},
           {{.subject = "customer", .reason = "r"}, "subject"},
           {{.subject = "c:1"}, "reason"},
           {{.from = "2026-01-01T00:00:00Z", .reason = "r"}, "to"},
           {{.from = "2026-01-01", .to = "2026-02-01T00:00:00Z", .reason = "r"},
            "from"},
           {{.from = "2026-02-01T00:00:00Z",
           .to = "2026-01-01T00:00:00Z",
           .reason = "r"},
            "to"},
       }) {
    Result<retention::Hold> bad =
        retention::AddHold(*fx.ledger, "local:legal", b.req);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().field(), b.field) << bad.status().ToString();
  }
  EXPECT_EQ(retention::ReleaseHold(*fx.ledger, "local:b", "hold_nope", "r")
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(
      retention::ReleaseHold(*fx.ledger, "local:b", h->id, "r").status().code(),
      StatusCode::kFailedPrecondition);
}

TEST(RetentionPurge, InterruptedBetweenSegmentsResumesUnderTheSamePurge) {
  // Small segments: the purge takes many steps.
  Fixture fx(60, 4096);
  std::vector<uint64_t> segs =
      storage::SegmentLog::Open(fx.data() + "/log", {}, false)
          .value()
          ->segments();
  ASSERT_GT(segs.size(), 4u);
  int steps = 0;
  retention::PurgeOptions stop_early;
  stop_early.progress = [&](uint64_t, uint64_t) { ++steps; };
  stop_early.should_stop = [&] { return steps >= 2; };
  Result<retention::PurgeResult> first =
      retention::Purge(*fx.ledger, "local:ops", stop_early, NowUtc());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->complete);
  EXPECT_GT(first->remaining, 0u);
  ASSERT_EQ(first->purge_records.size(), 1u);
  // Interrupted, the ledger is consistent: it verifies, and the plan shows
  // the rest as the unfinished part of the same purge record.
  fx.ledger.reset();
  MustVerify(fx.data());
  fx.ledger = Reopen(fx.data());
  Result<retention::Plan> plan = retention::MakePlan(*fx.ledger, NowUtc());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->unfinished.size(), 1u);
  EXPECT_EQ(plan->unfinished[0].first, first->purge_records[0]);
  EXPECT_EQ(plan->unfinished[0].second.size(), first->remaining);

  Result<retention::PurgeResult> rest =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->complete);
  EXPECT_EQ(rest->purge_records, first->purge_records);  // no new record
  EXPECT_EQ(first->purged + rest->purged, fx.expired.size());
  fx.ledger.reset();
  EXPECT_EQ(MustVerify(fx.data()).purged, fx.expired.size());
}

// The state a crash leaves after the rewritten segment was renamed into
// place but before the offsets were rewritten: new segment, old offsets,
// the marker naming the segment.
TEST(RetentionPurge, CrashAfterRenameBeforeOffsetsIsRepairedOnOpen) {
  Fixture fx(24);
  ASSERT_TRUE(fx.ledger->Checkpoint().ok());
  fx.ledger.reset();
  const std::string positions = fx.data() + "/log/positions";
  const std::string old_positions = Slurp(positions);
  fx.ledger = Reopen(fx.data());
  ASSERT_TRUE(retention::Purge(*fx.ledger, "local:ops", {}, NowUtc()).ok());
  fx.ledger.reset();
  ASSERT_NE(Slurp(positions).substr(0, old_positions.size()), old_positions);
  // Put the stale offsets back (the purge record's own entry stays).
  std::string crashed = Slurp(positions);
  crashed.replace(0, old_positions.size(), old_positions);
  Spit(positions, crashed);
  Spit(fx.data() + "/log/positions.stale", "0\n");
  // A reader that opens while the writer is gone repairs it on Open.
  fx.ledger = Reopen(fx.data());
  ASSERT_NE(fx.ledger, nullptr);
  EXPECT_FALSE(std::filesystem::exists(fx.data() + "/log/positions.stale"));
  for (uint64_t s = 0; s < fx.ledger->size(); ++s) {
    Result<std::string> rec = fx.ledger->Get(s);
    ASSERT_TRUE(rec.ok()) << s << ": " << rec.status().ToString();
    EXPECT_EQ(IsPurgedStubShaped(*rec), fx.expired.count(s) == 1) << s;
  }
  fx.ledger.reset();
  MustVerify(fx.data());
}

TEST(RetentionPurge, CrashBeforeRenameLeavesTheOldSegment) {
  Fixture fx(10);
  fx.ledger.reset();
  const std::string seg = fx.data() + "/log/" + storage::SegmentFileName(0);
  const std::string before = Slurp(seg);
  // A half-written rewrite and its marker, as a crash leaves them.
  Spit(seg + ".rewrite", before.substr(0, before.size() / 2));
  Spit(fx.data() + "/log/positions.stale", "0\n");
  fx.ledger = Reopen(fx.data());
  ASSERT_NE(fx.ledger, nullptr);
  EXPECT_FALSE(std::filesystem::exists(seg + ".rewrite"));
  EXPECT_EQ(Slurp(seg), before);
  Result<retention::PurgeResult> r =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->purged, fx.expired.size());
  fx.ledger.reset();
  MustVerify(fx.data());
}

// Rewrites the frame of `seq` in segment 0 with `payload`.
void ReplaceFrame(const std::string& data, uint64_t seq,
                  const std::string& payload) {
  const std::string seg = data + "/log/" + storage::SegmentFileName(0);
  std::string bytes = Slurp(seg);
  std::string out = bytes.substr(0, storage::kSegmentHeaderSize);
  std::string_view rest(bytes);
  rest.remove_prefix(storage::kSegmentHeaderSize);
  storage::DecodedFrame f;
  while (storage::DecodeFrame(rest, &f) == storage::FrameStatus::kOk) {
    storage::EncodeFrame(
        f.seq, f.seq == seq ? std::string_view(payload) : f.payload, &out);
    rest.remove_prefix(f.size);
  }
  Spit(seg, out);
}

bool HasFinding(const VerifyReport& r, const std::string& words, int64_t seq) {
  for (const VerifyFinding& f : r.findings) {
    if (f.what.find(words) != std::string::npos && (seq < 0 || f.seq == seq)) {
      return true;
    }
  }
  return false;
}

TEST(RetentionVerify, StubWithoutAuthorizationIsTampering) {
  Fixture fx(12);
  Result<retention::PurgeResult> r =
      retention::Purge(*fx.ledger, "local:ops", {}, NowUtc());
  ASSERT_TRUE(r.ok());
  const uint64_t purge_seq = r->purge_records[0];
  ASSERT_TRUE(fx.ledger->Checkpoint().ok());
  const std::string survivor = fx.ledger->Get(3).value();
  fx.ledger.reset();
  // A stub with the right leaf hash, naming the real purge record, for a
  // record that purge never named: content removed without authority.
  ReplaceFrame(fx.data(), 3,
               RenderPurgedStub(survivor, 3, purge_seq, "retention"));
  Result<VerifyReport> v = VerifyLedger(fx.data(), {});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok());
  EXPECT_TRUE(HasFinding(*v, "does not authorize", 3)) << v->findings[0].what;
}

TEST(RetentionVerify, StubWithWrongLeafHashIsTampering) {
  Fixture fx(12);
  ASSERT_TRUE(retention::Purge(*fx.ledger, "local:ops", {}, NowUtc()).ok());
  ASSERT_TRUE(fx.ledger->Checkpoint().ok());
  std::string stub = fx.ledger->Get(4).value();
  fx.ledger.reset();
  // Change one hex digit of the stored leaf hash.
  const size_t at = stub.find("\"leaf_hash\":\"") + 13;
  stub[at] = stub[at] == '0' ? '1' : '0';
  ReplaceFrame(fx.data(), 4, stub);
  Result<VerifyReport> v = VerifyLedger(fx.data(), {});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok());
  EXPECT_TRUE(HasFinding(*v, "stored leaf hash of seq 4", 4));
  EXPECT_TRUE(HasFinding(*v, "does not match the records", -1));
}

TEST(RetentionVerify, StubNamingAMissingPurgeRecordIsTampering) {
  Fixture fx(6);
  ASSERT_TRUE(fx.ledger->Checkpoint().ok());
  const std::string rec = fx.ledger->Get(2).value();
  fx.ledger.reset();
  ReplaceFrame(fx.data(), 2, RenderPurgedStub(rec, 2, 999, "retention"));
  Result<VerifyReport> v = VerifyLedger(fx.data(), {});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(HasFinding(*v, "which is not in the log", 2));
  // The leaf hash matches the tree, so only the authorization check can
  // tell; like every finding it marks the ledger tampered.
  EXPECT_TRUE(std::filesystem::exists(fx.data() + "/TAMPERED"));
}

TEST(RetentionEnvelope, RecordsWithoutEnvelopeGetTheDefaults) {
  TempDir dir;
  std::unique_ptr<Ledger> l = InitAndOpen(dir.path() + "/d");
  Result<ValidatedRecord> rec =
      ValidateRecord(RecordJson("a-1", "payment.refund", "customer", "c",
                                "2026-01-01T00:00:00Z", "x"),
                     {});
  ASSERT_TRUE(rec.ok());
  std::vector<AppendRequest> batch;
  batch.push_back(Ledger::Prepare(std::move(rec).value()));  // no envelope
  ASSERT_TRUE(l->Append(std::move(batch), "local:t").ok());
  Result<json::Value> stored = json::Parse(l->Get(0).value());
  Result<UtcTime> recorded =
      ParseRfc3339Utc(stored->Find("recorded_at")->as_string());
  ASSERT_TRUE(recorded.ok());
  // general 3y after recorded_at: not yet, but one second later it is.
  UtcTime until = policy::RetentionPolicy::Defaults()
                      .UntilFor("general", *recorded)
                      .value();
  UtcTime before = until;
  before.seconds -= 1;
  EXPECT_TRUE(retention::MakePlan(*l, before)->eligible.empty());
  Result<retention::Plan> plan = retention::MakePlan(*l, until);
  ASSERT_EQ(plan->eligible.size(), 1u);
  EXPECT_EQ(plan->groups[0].regime, "general");
}

}  // namespace
}  // namespace actledger
