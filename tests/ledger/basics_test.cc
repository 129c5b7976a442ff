// Ledger basics: init, open, append, get, reopen, the writer lock, readers,
// and the proofs served from the stored tree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::AppendSmall;
using ::actledger::testing::Describe;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ParseNote;
using ::actledger::testing::SegmentFiles;
using ::actledger::testing::SegmentOptions;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;
using ::testing::HasSubstr;

TEST(LedgerInit, InitThenOpenGivesEmptyLedger) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir, "example.com/basics");
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->size(), 0u);
  EXPECT_FALSE(ledger->read_only());
  EXPECT_EQ(ledger->origin(), "example.com/basics");
  EXPECT_THAT(ledger->verifier_key(),
              ::testing::StartsWith("example.com/basics+"));
  EXPECT_FALSE(ledger->recovery().tail_cut);
  EXPECT_EQ(ledger->LatestCheckpoint().status().code(), StatusCode::kNotFound);
  Result<merkle::Hash> root = ledger->Root(0);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, merkle::EmptyRoot());
}

TEST(LedgerInit, InitTwiceFailsWithFailedPrecondition) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  const std::string key_before = testing::ReadBytes(dir + "/keys/signing.key");
  InitOptions other;
  other.origin = "example.com/other";
  Status st = Ledger::Init(dir, other);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  // The first ledger's key survives.
  EXPECT_EQ(testing::ReadBytes(dir + "/keys/signing.key"), key_before);
}

TEST(LedgerInit, KeyFileIsPrivate) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/keys/signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(LedgerInit, OpenWithoutLedgerIsNotFound) {
  TempDir tmp;
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(tmp.Sub("nothing"), {});
  EXPECT_EQ(l.status().code(), StatusCode::kNotFound) << l.status().ToString();
}

TEST(LedgerAppend, ReceiptsAreSequentialAndHashTheStoredBytes) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  std::vector<Receipt> receipts = AppendSmall(*ledger, 25, "r", 4);
  ASSERT_EQ(receipts.size(), 25u);
  EXPECT_EQ(ledger->size(), 25u);
  for (uint64_t i = 0; i < receipts.size(); ++i) {
    const Receipt& rc = receipts[i];
    EXPECT_EQ(rc.seq, i);
    EXPECT_EQ(rc.action_id, "r" + std::to_string(i));
    EXPECT_EQ(rc.kind, RecordKind::kAction);
    Result<std::string> bytes = ledger->Get(i);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_EQ(rc.leaf_hash, merkle::HashLeaf(*bytes)) << "seq " << i;
    Result<merkle::Hash> leaf = ledger->LeafHash(i);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(*leaf, rc.leaf_hash);
  }
}

TEST(LedgerAppend, EmptyBatchStoresNothing) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  Result<std::vector<Receipt>> r = ledger->Append({}, "test:u");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(ledger->size(), 0u);
}

TEST(LedgerGet, ReturnsCanonicalJsonWithEnvelope) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  gen::Generator g(testing::GenOptions(11));
  std::vector<AppendRequest> batch;
  std::vector<std::string> lines;
  for (int i = 0; i < 5; ++i) {
    lines.push_back(g.NextLine());
    batch.push_back(testing::Request(lines.back()));
  }
  batch.push_back(SmallRequest("small"));
  Result<std::vector<Receipt>> r =
      ledger->Append(std::move(batch), "local:alice");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 6u);
  for (uint64_t seq = 0; seq < 6; ++seq) {
    Result<std::string> bytes = ledger->Get(seq);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    Result<json::Value> v = json::Parse(*bytes);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(json::Canonical(*v), *bytes) << "stored bytes are not JCS";
    ASSERT_TRUE(v->is_object());
    const json::Value* s = v->Find("seq");
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->is_number());
    EXPECT_EQ(s->as_number(), static_cast<double>(seq));
    const json::Value* kind = v->Find("kind");
    ASSERT_NE(kind, nullptr);
    ASSERT_TRUE(kind->is_string());
    EXPECT_EQ(kind->as_string(), "action");
    const json::Value* at = v->Find("recorded_at");
    ASSERT_NE(at, nullptr);
    ASSERT_TRUE(at->is_string());
    EXPECT_THAT(at->as_string(), ::testing::MatchesRegex(
                                     "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"));
    const json::Value* by = v->Find("recorded_by");
    ASSERT_NE(by, nullptr);
    ASSERT_TRUE(by->is_string());
    EXPECT_EQ(by->as_string(), "local:alice");
    const json::Value* id = v->Find("action_id");
    ASSERT_NE(id, nullptr);
    EXPECT_EQ(id->as_string(), (*r)[seq].action_id);
    // The submitted body is there unchanged.
    if (seq < 5) {
      Result<json::Value> in = json::Parse(lines[seq]);
      ASSERT_TRUE(in.ok());
      for (const auto& [key, value] : in->as_object()) {
        const json::Value* stored = v->Find(key);
        ASSERT_NE(stored, nullptr) << key;
        EXPECT_EQ(json::Canonical(*stored), json::Canonical(value)) << key;
      }
    }
  }
}

TEST(LedgerGet, BeyondSizeIsNotFound) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->Get(0).status().code(), StatusCode::kNotFound);
  AppendSmall(*ledger, 3);
  EXPECT_EQ(ledger->Get(3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->Get(~uint64_t{0}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger->LeafHash(3).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ledger->Get(2).ok());
}

// ForEach over a range is Get on each of its records, in order: across
// segment boundaries, from a segment's first record, and stopping at `end`
// although the log goes on.
TEST(LedgerForEach, EveryRangeGivesGetsBytesInOrder) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  // About three records per segment; the batches of 1, 2 and 4 records
  // make some segments hold a single record.
  auto ledger = MustOpen(dir, SegmentOptions(600));
  ASSERT_NE(ledger, nullptr);
  for (int batch : {1, 2, 4, 1, 1, 3}) {
    AppendSmall(*ledger, batch, "b" + std::to_string(ledger->size()) + "-",
                batch, 60);
  }
  const uint64_t n = ledger->size();
  ASSERT_EQ(n, 12u);
  ASSERT_GE(SegmentFiles(dir).size(), 4u);
  std::vector<std::string> leaves;
  for (uint64_t s = 0; s < n; ++s) {
    Result<std::string> leaf = ledger->Get(s);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    leaves.push_back(*leaf);
  }
  for (uint64_t first = 0; first <= n; ++first) {
    for (uint64_t end = first; end <= n; ++end) {
      std::vector<uint64_t> seqs;
      Status st =
          ledger->ForEach(first, end, [&](uint64_t seq, std::string_view leaf) {
            EXPECT_EQ(leaf, leaves[seq]) << seq;
            seqs.push_back(seq);
            return Status::Ok();
          });
      ASSERT_TRUE(st.ok()) << st.ToString();
      std::vector<uint64_t> want;
      for (uint64_t s = first; s < end; ++s) want.push_back(s);
      EXPECT_EQ(seqs, want) << "range " << first << ".." << end;
    }
  }
}

TEST(LedgerForEach, StopsAtTheCallbacksErrorAndRefusesRangesBeyondSize) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  AppendSmall(*ledger, 5);
  int calls = 0;
  Status st = ledger->ForEach(0, 5, [&](uint64_t seq, std::string_view) {
    ++calls;
    return seq == 2 ? InvalidArgument("stop here", "f") : Status::Ok();
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "stop here");
  calls = 0;
  st = ledger->ForEach(3, 6, [&](uint64_t, std::string_view) {
    ++calls;
    return Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_EQ(calls, 0);
}

TEST(LedgerOpen, ReopenKeepsRecordsAndCheckpoint) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  std::vector<std::string> stored;
  merkle::Hash root{};
  {
    auto ledger = MustOpen(dir);
    ASSERT_NE(ledger, nullptr);
    AppendSmall(*ledger, 37, "k", 3);
    for (uint64_t i = 0; i < 37; ++i) stored.push_back(*ledger->Get(i));
    root = *ledger->Root(37);
  }
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->size(), 37u);
  EXPECT_FALSE(ledger->recovery().tail_cut);
  EXPECT_EQ(ledger->recovery().records, 37u);
  for (uint64_t i = 0; i < 37; ++i) {
    Result<std::string> b = ledger->Get(i);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(*b, stored[i]);
  }
  EXPECT_EQ(*ledger->Root(37), root);
  // Closing left a checkpoint over everything.
  Result<std::string> note = ledger->LatestCheckpoint();
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  Checkpoint cp = ParseNote(ledger->verifier_key(), *note);
  EXPECT_EQ(cp.size, 37u);
  EXPECT_EQ(cp.root, root);
  // Appending continues the sequence.
  Result<std::vector<Receipt>> r =
      ledger->Append({SmallRequest("next")}, "test:u");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].seq, 37u);
  ledger.reset();
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, 38u);
}

TEST(LedgerOpen, SecondWriterIsUnavailableAndNamesTheHolder) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  Result<std::unique_ptr<Ledger>> second = Ledger::Open(dir, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr("pid " + std::to_string(::getpid())));
  // The failed attempt did not disturb the writer.
  AppendSmall(*ledger, 2);
  EXPECT_EQ(ledger->size(), 2u);
  // Once closed, the lock is free again.
  ledger.reset();
  auto again = MustOpen(dir);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->size(), 2u);
}

TEST(LedgerOpen, ReaderBesideWriterSeesPublishedRecords) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto writer = MustOpen(dir);
  ASSERT_NE(writer, nullptr);
  std::vector<Receipt> receipts = AppendSmall(*writer, 20, "w", 3);
  Result<std::unique_ptr<Ledger>> reader = Ledger::OpenForRead(dir);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->read_only());
  EXPECT_EQ((*reader)->size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) {
    Result<std::string> a = (*reader)->Get(i);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(*a, *writer->Get(i));
    EXPECT_EQ(merkle::HashLeaf(*a), receipts[i].leaf_hash);
  }
  EXPECT_EQ(*(*reader)->Root(20), *writer->Root(20));
  Result<InclusionProofResult> p = (*reader)->ProveInclusion(7, 20);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(merkle::VerifyInclusion(receipts[7].leaf_hash, 7, 20, p->path,
                                      *writer->Root(20))
                  .ok());
  // A reader never writes.
  Result<std::vector<Receipt>> w =
      (*reader)->Append({SmallRequest("nope")}, "test:u");
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->Checkpoint().status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->size(), 20u);
}

// ---------------------------------------------------------------------------
// Proofs.

// MTH by RFC 6962's recursive definition, over leaf hashes.
merkle::Hash ReferenceRoot(const std::vector<merkle::Hash>& leaves,
                           size_t begin, size_t end) {
  if (end == begin) return merkle::EmptyRoot();
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return merkle::HashChildren(ReferenceRoot(leaves, begin, begin + k),
                              ReferenceRoot(leaves, begin + k, end));
}

TEST(LedgerProofs, InclusionAndConsistencyVerifyAgainstRoot) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  std::mt19937_64 rng(20240611);
  std::vector<merkle::Hash> leaves;
  int next_id = 0;
  // Grow to random sizes; at each, check random proofs.
  while (leaves.size() < 300) {
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<AppendRequest> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back(SmallRequest("p" + std::to_string(next_id++)));
    }
    Result<std::vector<Receipt>> r = ledger->Append(std::move(batch), "t:p");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const Receipt& rc : *r) leaves.push_back(rc.leaf_hash);
    const uint64_t size = leaves.size();
    ASSERT_EQ(ledger->size(), size);
    for (int trial = 0; trial < 12; ++trial) {
      const uint64_t tree_size = 1 + rng() % size;
      const uint64_t seq = rng() % tree_size;
      Result<merkle::Hash> root = ledger->Root(tree_size);
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      ASSERT_EQ(*root, ReferenceRoot(leaves, 0, tree_size))
          << "size " << tree_size;
      Result<InclusionProofResult> inc = ledger->ProveInclusion(seq, tree_size);
      ASSERT_TRUE(inc.ok()) << inc.status().ToString();
      EXPECT_EQ(inc->leaf_index, seq);
      EXPECT_EQ(inc->tree_size, tree_size);
      EXPECT_EQ(inc->leaf_hash, leaves[seq]);
      EXPECT_EQ(inc->root, *root);
      Status vi = merkle::VerifyInclusion(leaves[seq], seq, tree_size,
                                          inc->path, *root);
      EXPECT_TRUE(vi.ok()) << vi.ToString() << " seq " << seq << " size "
                           << tree_size;
      const uint64_t old_size = rng() % (tree_size + 1);
      Result<ConsistencyProofResult> con =
          ledger->ProveConsistency(old_size, tree_size);
      ASSERT_TRUE(con.ok()) << con.status().ToString();
      EXPECT_EQ(con->old_root, ReferenceRoot(leaves, 0, old_size));
      EXPECT_EQ(con->new_root, *root);
      Status vc = merkle::VerifyConsistency(old_size, tree_size, con->old_root,
                                            con->new_root, con->path);
      EXPECT_TRUE(vc.ok()) << vc.ToString() << " " << old_size << " -> "
                           << tree_size;
    }
    // The signed checkpoint agrees with Root(size).
    if (rng() % 3 == 0) {
      Result<std::string> note = ledger->Checkpoint();
      ASSERT_TRUE(note.ok()) << note.status().ToString();
      Checkpoint cp = ParseNote(ledger->verifier_key(), *note);
      EXPECT_EQ(cp.origin, ledger->origin());
      EXPECT_EQ(cp.size, size);
      EXPECT_EQ(cp.root, *ledger->Root(size));
      EXPECT_EQ(*ledger->LatestCheckpoint(), *note);
    }
  }
  // Proofs also hold across a reopen (served from the files).
  ledger.reset();
  ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  const uint64_t size = leaves.size();
  for (uint64_t seq = 0; seq < size; seq += 7) {
    Result<InclusionProofResult> inc = ledger->ProveInclusion(seq, size);
    ASSERT_TRUE(inc.ok()) << inc.status().ToString();
    EXPECT_TRUE(merkle::VerifyInclusion(leaves[seq], seq, size, inc->path,
                                        ReferenceRoot(leaves, 0, size))
                    .ok());
  }
}

TEST(LedgerProofs, RejectsSizesBeyondTheLedger) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  AppendSmall(*ledger, 5);
  EXPECT_EQ(ledger->Root(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveInclusion(0, 6).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveInclusion(5, 5).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveConsistency(3, 6).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger->ProveConsistency(4, 3).status().code(),
            StatusCode::kInvalidArgument);
  Result<ConsistencyProofResult> same = ledger->ProveConsistency(5, 5);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->path.empty());
  Result<ConsistencyProofResult> zero = ledger->ProveConsistency(0, 5);
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_TRUE(zero->path.empty());
  EXPECT_EQ(zero->old_root, merkle::EmptyRoot());
}

}  // namespace
}  // namespace actledger
