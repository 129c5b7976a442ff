#include "actledger/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <map>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace actledger::merkle {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Test data.

// The RFC 6962 reference tree used by Certificate Transparency and
// transparency-dev/merkle: eight leaves of growing length.
const char* const kLeafInputsHex[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

// Published root of the tree of the first `i` leaves, i = 0..8.
const char* const kRootsHex[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// Published hashes of every perfect subtree of the 8-leaf tree, by level.
const std::vector<std::vector<const char*>> kNodeHashesHex = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    },
};

struct InclusionVector {
  uint64_t index;  // 0-based (the published tables count leaves from 1)
  uint64_t size;
  std::vector<const char*> proof;
};

// Published RFC 6962 inclusion proofs for the reference tree.
const std::vector<InclusionVector> kInclusionVectors = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     3,
     {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<const char*> proof;
};

// Published RFC 6962 consistency proofs for the reference tree.
const std::vector<ConsistencyVector> kConsistencyVectors = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

Hash H(std::string_view hex) {
  Result<Hash> h = HashFromHex(hex);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : Hash{};
}

std::vector<Hash> Hashes(const std::vector<const char*>& hex) {
  std::vector<Hash> out;
  out.reserve(hex.size());
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

std::vector<std::string> ReferenceLeafInputs() {
  std::vector<std::string> out;
  for (const char* hex : kLeafInputsHex) out.push_back(*HexDecode(hex));
  return out;
}

// Distinct leaf data for larger trees.
std::vector<std::string> LeafData(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("leaf-" + std::to_string(i));
  return out;
}

// ---------------------------------------------------------------------------
// Slow, obviously correct reference: RFC 6962 section 2.1 transcribed, over
// the leaf data, with its own hashing. No perfect nodes, no iteration.

using RefHash = std::string;  // 32 raw bytes
using Leaves = std::span<const std::string>;

RefHash Sha256Of(const std::string& bytes) {
  crypto::Digest d = crypto::Sha256(bytes);
  return RefHash(reinterpret_cast<const char*>(d.data()), d.size());
}

// The largest power of two smaller than n.
uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

RefHash RefMth(Leaves d) {
  if (d.empty()) return Sha256Of("");
  if (d.size() == 1) return Sha256Of(std::string(1, '\0') + d[0]);
  uint64_t k = RefSplit(d.size());
  return Sha256Of("\x01" + RefMth(d.first(k)) + RefMth(d.subspan(k)));
}

// PATH(m, D[n]).
std::vector<RefHash> RefPath(uint64_t m, Leaves d) {
  if (d.size() == 1) return {};
  uint64_t k = RefSplit(d.size());
  std::vector<RefHash> path;
  if (m < k) {
    path = RefPath(m, d.first(k));
    path.push_back(RefMth(d.subspan(k)));
  } else {
    path = RefPath(m - k, d.subspan(k));
    path.push_back(RefMth(d.first(k)));
  }
  return path;
}

// SUBPROOF(m, D[n], b).
std::vector<RefHash> RefSubproof(uint64_t m, Leaves d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {RefMth(d)};
  }
  uint64_t k = RefSplit(d.size());
  std::vector<RefHash> proof;
  if (m <= k) {
    proof = RefSubproof(m, d.first(k), b);
    proof.push_back(RefMth(d.subspan(k)));
  } else {
    proof = RefSubproof(m - k, d.subspan(k), false);
    proof.push_back(RefMth(d.first(k)));
  }
  return proof;
}

// PROOF(m, D[n]) for 0 < m <= n.
std::vector<RefHash> RefProof(uint64_t m, Leaves d) {
  return RefSubproof(m, d, true);
}

Hash ToHash(const RefHash& r) {
  Hash h;
  EXPECT_EQ(r.size(), h.size());
  std::memcpy(h.data(), r.data(), h.size());
  return h;
}

std::vector<Hash> ToHashes(const std::vector<RefHash>& r) {
  std::vector<Hash> out;
  out.reserve(r.size());
  for (const RefHash& h : r) out.push_back(ToHash(h));
  return out;
}

// ---------------------------------------------------------------------------
// Node sources.

// Every perfect subtree of a tree, level by level, built pairwise from the
// leaf hashes. Records how many nodes were read.
class MemoryNodeSource : public NodeSource {
 public:
  explicit MemoryNodeSource(const std::vector<std::string>& leaves) {
    levels_.emplace_back();
    for (const std::string& leaf : leaves) levels_[0].push_back(HashLeaf(leaf));
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> above;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        above.push_back(HashChildren(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(above));
    }
  }

  Result<Hash> PerfectNode(int level, uint64_t index) const override {
    ++reads_;
    if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
        index >= levels_[level].size()) {
      return NotFound("no node (" + std::to_string(level) + ", " +
                      std::to_string(index) + ")");
    }
    return levels_[level][index];
  }

  const std::vector<std::vector<Hash>>& levels() const { return levels_; }
  int reads() const { return reads_; }
  void ResetReads() { reads_ = 0; }

 private:
  std::vector<std::vector<Hash>> levels_;
  mutable int reads_ = 0;
};

// Restricts a source to the tree of its first `size` leaves, failing any read
// of a node that is not complete there (the NodeSource precondition).
class TreePrefix : public NodeSource {
 public:
  TreePrefix(const NodeSource& source, uint64_t size)
      : source_(source), size_(size) {}

  Result<Hash> PerfectNode(int level, uint64_t index) const override {
    if (((index + 1) << level) > size_) {
      ADD_FAILURE() << "read node (" << level << ", " << index
                    << ") beyond tree size " << size_;
      return Internal("node beyond tree size");
    }
    return source_.PerfectNode(level, index);
  }

 private:
  const NodeSource& source_;
  uint64_t size_;
};

// Answers any node of a huge tree with a made-up hash; only for counting
// reads, since its nodes are not each other's children.
class SyntheticNodeSource : public NodeSource {
 public:
  explicit SyntheticNodeSource(uint64_t size) : size_(size) {}

  Result<Hash> PerfectNode(int level, uint64_t index) const override {
    ++reads_;
    EXPECT_LE(index + 1, size_ >> level)
        << "node (" << level << ", " << index << ") beyond size " << size_;
    return crypto::Sha256(std::to_string(level) + ":" + std::to_string(index));
  }

  int reads() const { return reads_; }
  void ResetReads() { reads_ = 0; }

 private:
  uint64_t size_;
  mutable int reads_ = 0;
};

class FailingNodeSource : public NodeSource {
 public:
  Result<Hash> PerfectNode(int, uint64_t) const override {
    return IoError("disk on fire");
  }
};

// ---------------------------------------------------------------------------
// Tamper probes shared by the known-answer and randomized tests.

Hash Flip(Hash h, int byte) {
  h[byte] ^= 0x10;
  return h;
}

// An arbitrary hash that is no node of any test tree.
const Hash kSomeHash = crypto::Sha256("some hash");

// Every mutation of a valid inclusion proof must fail, and the ones whose
// failure cause is certain must say so.
void ExpectInclusionTamperRejected(const Hash& leaf, uint64_t index,
                                   uint64_t size,
                                   const std::vector<Hash>& proof,
                                   const Hash& root) {
  SCOPED_TRACE("inclusion of " + std::to_string(index) + " in " +
               std::to_string(size));
  ASSERT_TRUE(VerifyInclusion(leaf, index, size, proof, root).ok());

  auto expect_code = [&](const Status& s, StatusCode code, const char* message,
                         const char* what) {
    EXPECT_EQ(s.code(), code) << what << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(message)) << what;
  };
  // Wrong index or size: impossible parameters or a failing proof, never OK.
  auto expect_rejected = [&](uint64_t i, uint64_t n, const char* what) {
    Status s = VerifyInclusion(leaf, i, n, proof, root);
    if (i >= n) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << what;
    } else {
      EXPECT_EQ(s.code(), StatusCode::kDataLoss)
          << what << ": " << s.ToString();
    }
  };
  if (index > 0) expect_rejected(index - 1, size, "index - 1");
  expect_rejected(index + 1, size, "index + 1");
  expect_rejected(index ^ 2, size, "index ^ 2");
  expect_rejected(index, size * 2, "size * 2");
  expect_rejected(index, size / 2, "size / 2");

  expect_code(VerifyInclusion(HashLeaf("WrongLeaf"), index, size, proof, root),
              StatusCode::kDataLoss, "root mismatch", "wrong leaf");
  expect_code(VerifyInclusion(leaf, index, size, proof, EmptyRoot()),
              StatusCode::kDataLoss, "root mismatch", "empty root");
  expect_code(VerifyInclusion(leaf, index, size, proof, kSomeHash),
              StatusCode::kDataLoss, "root mismatch", "random root");
  expect_code(VerifyInclusion(leaf, index, size, proof, Flip(root, 31)),
              StatusCode::kDataLoss, "root mismatch", "flipped root");

  for (size_t i = 0; i < proof.size(); ++i) {
    std::vector<Hash> wrong = proof;
    wrong[i] = Flip(wrong[i], static_cast<int>(i % 32));
    expect_code(VerifyInclusion(leaf, index, size, wrong, root),
                StatusCode::kDataLoss, "root mismatch", "flipped proof byte");
  }

  std::vector<Hash> longer = proof;
  longer.push_back(Hash{});
  expect_code(VerifyInclusion(leaf, index, size, longer, root),
              StatusCode::kDataLoss, "proof has wrong length",
              "trailing garbage");
  longer.back() = root;
  expect_code(VerifyInclusion(leaf, index, size, longer, root),
              StatusCode::kDataLoss, "proof has wrong length", "trailing root");
  longer = proof;
  longer.insert(longer.begin(), root);
  expect_code(VerifyInclusion(leaf, index, size, longer, root),
              StatusCode::kDataLoss, "proof has wrong length", "leading root");
  if (!proof.empty()) {
    std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
    expect_code(VerifyInclusion(leaf, index, size, shorter, root),
                StatusCode::kDataLoss, "proof has wrong length",
                "missing last");
    shorter.assign(proof.begin() + 1, proof.end());
    expect_code(VerifyInclusion(leaf, index, size, shorter, root),
                StatusCode::kDataLoss, "proof has wrong length",
                "missing first");
  }
  if (proof.size() > 1) {
    std::vector<Hash> inserted = proof;
    inserted.insert(inserted.begin() + 1, kSomeHash);
    expect_code(VerifyInclusion(leaf, index, size, inserted, root),
                StatusCode::kDataLoss, "proof has wrong length",
                "inserted element");
  }
}

void ExpectConsistencyTamperRejected(uint64_t old_size, uint64_t new_size,
                                     const Hash& old_root, const Hash& new_root,
                                     const std::vector<Hash>& proof) {
  SCOPED_TRACE("consistency " + std::to_string(old_size) + " -> " +
               std::to_string(new_size));
  ASSERT_TRUE(
      VerifyConsistency(old_size, new_size, old_root, new_root, proof).ok());
  // Trivial proofs (old size 0 or equal sizes) have their own tests.
  if (proof.empty()) return;

  auto expect_code = [&](const Status& s, StatusCode code, const char* message,
                         const char* what) {
    EXPECT_EQ(s.code(), code) << what << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(message)) << what;
  };
  auto expect_rejected = [&](uint64_t m, uint64_t n, const char* what) {
    Status s = VerifyConsistency(m, n, old_root, new_root, proof);
    if (m > n) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << what;
    } else {
      EXPECT_EQ(s.code(), StatusCode::kDataLoss)
          << what << ": " << s.ToString();
    }
  };
  expect_rejected(old_size - 1, new_size, "old size - 1");
  expect_rejected(old_size + 1, new_size, "old size + 1");
  expect_rejected(old_size ^ 2, new_size, "old size ^ 2");
  expect_rejected(old_size, new_size * 2, "new size * 2");
  expect_rejected(old_size, new_size / 2, "new size / 2");

  expect_code(VerifyConsistency(old_size, new_size, kSomeHash, new_root, proof),
              StatusCode::kDataLoss, "root mismatch", "wrong old root");
  expect_code(VerifyConsistency(old_size, new_size, old_root, kSomeHash, proof),
              StatusCode::kDataLoss, "root mismatch", "wrong new root");
  // NOLINTNEXTLINE(readability-suspicious-call-argument): swapped on purpose
  expect_code(VerifyConsistency(old_size, new_size, new_root, old_root, proof),
              StatusCode::kDataLoss, "root mismatch", "swapped roots");

  for (size_t i = 0; i < proof.size(); ++i) {
    std::vector<Hash> wrong = proof;
    wrong[i] = Flip(wrong[i], static_cast<int>(i % 32));
    expect_code(
        VerifyConsistency(old_size, new_size, old_root, new_root, wrong),
        StatusCode::kDataLoss, "root mismatch", "flipped proof byte");
  }

  expect_code(VerifyConsistency(old_size, new_size, old_root, new_root, {}),
              StatusCode::kDataLoss, "proof has wrong length", "empty proof");
  for (const Hash& extra : {Hash{}, old_root, new_root, proof[0]}) {
    std::vector<Hash> longer = proof;
    longer.push_back(extra);
    expect_code(
        VerifyConsistency(old_size, new_size, old_root, new_root, longer),
        StatusCode::kDataLoss, "proof has wrong length", "trailing element");
    longer = proof;
    longer.insert(longer.begin(), extra);
    expect_code(
        VerifyConsistency(old_size, new_size, old_root, new_root, longer),
        StatusCode::kDataLoss, "proof has wrong length", "leading element");
  }
  std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
  expect_code(
      VerifyConsistency(old_size, new_size, old_root, new_root, shorter),
      StatusCode::kDataLoss, "proof has wrong length", "missing last");
}

// ---------------------------------------------------------------------------
// Hashing.

TEST(MerkleHash, EmptyRootIsSha256OfEmptyString) {
  EXPECT_EQ(ToHex(EmptyRoot()), kRootsHex[0]);
}

TEST(MerkleHash, LeafHashKnownAnswers) {
  // SHA-256(0x00): the empty leaf differs from the empty tree.
  EXPECT_EQ(ToHex(HashLeaf("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  // SHA-256(0x00 || "L123456").
  EXPECT_EQ(ToHex(HashLeaf("L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
}

TEST(MerkleHash, ChildrenHashIsOrderedAndDomainSeparated) {
  Hash a = HashLeaf("Hello");
  Hash b = HashLeaf("World");
  EXPECT_NE(HashChildren(a, b), HashChildren(b, a));
  // A node is not the leaf hash of its children's concatenation.
  std::string concat(reinterpret_cast<const char*>(a.data()), a.size());
  concat.append(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_NE(HashChildren(a, b), HashLeaf(concat));
  EXPECT_EQ(
      ToHex(HashChildren(H(kNodeHashesHex[0][0]), H(kNodeHashesHex[0][1]))),
      kNodeHashesHex[1][0]);
}

TEST(MerkleHash, HexRoundTripsAndAcceptsUppercase) {
  Hash h = H(kRootsHex[8]);
  EXPECT_EQ(ToHex(h), kRootsHex[8]);
  Result<Hash> upper = HashFromHex(
      "5DC9DA79A70659A9AD559CB701DED9A2AB9D823AAD2F4960CFE370EFF4604328");
  ASSERT_TRUE(upper.ok()) << upper.status().ToString();
  EXPECT_EQ(*upper, h);
}

TEST(MerkleHash, HashFromHexRejectsWrongLengthAndNonHex) {
  std::string good = kRootsHex[8];
  for (const std::string& bad :
       {std::string(), good.substr(0, 62), good + "00", good.substr(0, 63),
        good.substr(0, 63) + "g", good.substr(0, 63) + " "}) {
    Result<Hash> r = HashFromHex(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
        << "\"" << bad << "\"";
  }
}

// ---------------------------------------------------------------------------
// Known answers for the RFC 6962 reference tree.

TEST(MemoryNodeSource, ReferenceTreeNodesMatchPublishedHashes) {
  MemoryNodeSource source(ReferenceLeafInputs());
  ASSERT_EQ(source.levels().size(), kNodeHashesHex.size());
  for (size_t level = 0; level < kNodeHashesHex.size(); ++level) {
    ASSERT_EQ(source.levels()[level].size(), kNodeHashesHex[level].size());
    for (size_t i = 0; i < kNodeHashesHex[level].size(); ++i) {
      EXPECT_EQ(ToHex(source.levels()[level][i]), kNodeHashesHex[level][i])
          << "node (" << level << ", " << i << ")";
    }
  }
}

TEST(RootAt, MatchesPublishedRootsForEverySize) {
  MemoryNodeSource source(ReferenceLeafInputs());
  for (uint64_t size = 0; size <= 8; ++size) {
    Result<Hash> root = RootAt(TreePrefix(source, size), size);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(ToHex(*root), kRootsHex[size]) << "size " << size;
  }
}

TEST(InclusionProof, MatchesPublishedProofs) {
  MemoryNodeSource source(ReferenceLeafInputs());
  for (const InclusionVector& v : kInclusionVectors) {
    Result<std::vector<Hash>> proof =
        InclusionProof(TreePrefix(source, v.size), v.index, v.size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, Hashes(v.proof))
        << "leaf " << v.index << " size " << v.size;
  }
}

TEST(ConsistencyProof, MatchesPublishedProofs) {
  MemoryNodeSource source(ReferenceLeafInputs());
  for (const ConsistencyVector& v : kConsistencyVectors) {
    Result<std::vector<Hash>> proof = ConsistencyProof(
        TreePrefix(source, v.new_size), v.old_size, v.new_size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(*proof, Hashes(v.proof))
        << "sizes " << v.old_size << " -> " << v.new_size;
  }
}

TEST(VerifyInclusion, AcceptsPublishedProofsAndRejectsTampering) {
  std::vector<std::string> leaves = ReferenceLeafInputs();
  for (const InclusionVector& v : kInclusionVectors) {
    ExpectInclusionTamperRejected(HashLeaf(leaves[v.index]), v.index, v.size,
                                  Hashes(v.proof), H(kRootsHex[v.size]));
  }
}

TEST(VerifyConsistency, AcceptsPublishedProofsAndRejectsTampering) {
  for (const ConsistencyVector& v : kConsistencyVectors) {
    ExpectConsistencyTamperRejected(v.old_size, v.new_size,
                                    H(kRootsHex[v.old_size]),
                                    H(kRootsHex[v.new_size]), Hashes(v.proof));
  }
}

// ---------------------------------------------------------------------------
// Verification edge cases.

TEST(VerifyInclusion, RejectsIndexOutsideTreeAsInvalidArgument) {
  Hash leaf = HashLeaf("x");
  for (auto [index, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {1, 0}, {1, 1}, {2, 1}, {8, 8}, {UINT64_MAX, 5}}) {
    Status s = VerifyInclusion(leaf, index, size, {}, leaf);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument)
        << index << " in " << size << ": " << s.ToString();
  }
}

TEST(VerifyInclusion, SingleLeafTreeHasEmptyProofAndLeafAsRoot) {
  Hash leaf = HashLeaf("data");
  EXPECT_TRUE(VerifyInclusion(leaf, 0, 1, {}, leaf).ok());
  Status s = VerifyInclusion(leaf, 0, 1, {}, EmptyRoot());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("root mismatch"));
  s = VerifyInclusion(leaf, 0, 1, {leaf}, leaf);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("proof has wrong length"));
}

TEST(VerifyInclusion, WrongLengthMessageGivesBothLengths) {
  std::vector<Hash> proof = Hashes(kInclusionVectors[1].proof);
  proof.pop_back();
  Status s = VerifyInclusion(HashLeaf(""), 0, 8, proof, H(kRootsHex[8]));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "proof has wrong length: got 2 hashes, want 3");
}

TEST(VerifyConsistency, EqualSizesNeedEqualRootsAndEmptyProof) {
  Hash a = H(kRootsHex[3]);
  Hash b = H(kRootsHex[4]);
  EXPECT_TRUE(VerifyConsistency(3, 3, a, a, {}).ok());
  Status s = VerifyConsistency(3, 3, a, b, {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("root mismatch"));
  s = VerifyConsistency(3, 3, a, a, {a});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("proof has wrong length"));
}

TEST(VerifyConsistency, EmptyTreeIsConsistentWithAnyTree) {
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 8, EmptyRoot(), H(kRootsHex[8]), {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 1, EmptyRoot(), kSomeHash, {}).ok());
}

TEST(VerifyConsistency, EmptyTreeMustHaveEmptyRootAndEmptyProof) {
  Status s = VerifyConsistency(0, 8, kSomeHash, H(kRootsHex[8]), {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("old root mismatch"));
  s = VerifyConsistency(0, 8, EmptyRoot(), H(kRootsHex[8]), {EmptyRoot()});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("proof has wrong length"));
  s = VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {EmptyRoot()});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("proof has wrong length"));
}

TEST(VerifyConsistency, ShrinkingTreeIsInvalidArgument) {
  Hash r = H(kRootsHex[2]);
  EXPECT_EQ(VerifyConsistency(1, 0, r, r, {}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(8, 5, r, r, {r}).code(),
            StatusCode::kInvalidArgument);
}

TEST(VerifyConsistency, GrowingTreeNeedsNonEmptyProof) {
  Status s = VerifyConsistency(1, 2, H(kRootsHex[1]), H(kRootsHex[2]), {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "proof has wrong length: got 0 hashes, want 1");
}

TEST(VerifyConsistency, ReportsWhichRootMismatches) {
  const ConsistencyVector& v = kConsistencyVectors[2];  // 6 -> 8
  std::vector<Hash> proof = Hashes(v.proof);
  Status s = VerifyConsistency(6, 8, kSomeHash, H(kRootsHex[8]), proof);
  EXPECT_THAT(s.message(), HasSubstr("old root mismatch"));
  s = VerifyConsistency(6, 8, H(kRootsHex[6]), kSomeHash, proof);
  EXPECT_THAT(s.message(), HasSubstr("new root mismatch"));
}

// ---------------------------------------------------------------------------
// Proof construction edge cases and the NodeSource contract.

TEST(InclusionProof, IndexOutsideTreeIsInvalidArgument) {
  MemoryNodeSource source(ReferenceLeafInputs());
  EXPECT_EQ(InclusionProof(source, 0, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(source, 8, 8).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(source.reads(), 0);
}

TEST(ConsistencyProof, ShrinkingTreeIsInvalidArgument) {
  MemoryNodeSource source(ReferenceLeafInputs());
  EXPECT_EQ(ConsistencyProof(source, 5, 4).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ConsistencyProof, FromEmptyOrSameSizeIsEmptyWithoutReads) {
  MemoryNodeSource source(ReferenceLeafInputs());
  for (auto [m, n] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {0, 1}, {0, 8}, {1, 1}, {5, 5}, {8, 8}}) {
    Result<std::vector<Hash>> proof = ConsistencyProof(source, m, n);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_TRUE(proof->empty()) << m << " -> " << n;
  }
  EXPECT_EQ(source.reads(), 0);
}

TEST(RootAt, EmptyTreeReadsNothing) {
  FailingNodeSource source;
  Result<Hash> root = RootAt(source, 0);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, EmptyRoot());
}

TEST(NodeSource, ErrorsPropagateUnchanged) {
  FailingNodeSource source;
  Result<Hash> root = RootAt(source, 5);
  EXPECT_EQ(root.status().code(), StatusCode::kIoError);
  EXPECT_EQ(root.status().message(), "disk on fire");
  EXPECT_EQ(SubtreeHash(source, 4, 6).status().code(), StatusCode::kIoError);
  EXPECT_EQ(InclusionProof(source, 3, 5).status().code(), StatusCode::kIoError);
  EXPECT_EQ(ConsistencyProof(source, 3, 5).status().code(),
            StatusCode::kIoError);
}

TEST(SubtreeHash, MatchesReferenceForEveryRange) {
  std::vector<std::string> leaves = LeafData(40);
  MemoryNodeSource source(leaves);
  Leaves all(leaves);
  for (uint64_t begin = 0; begin < leaves.size(); ++begin) {
    for (uint64_t end = begin + 1; end <= leaves.size(); ++end) {
      Result<Hash> h = SubtreeHash(source, begin, end);
      ASSERT_TRUE(h.ok()) << h.status().ToString();
      ASSERT_EQ(*h, ToHash(RefMth(all.subspan(begin, end - begin))))
          << "[" << begin << ", " << end << ")";
    }
  }
}

// Proofs for trees far larger than memory, counting node reads: the root
// reads one node per set bit of the size, proofs O(log n) nodes.
TEST(MerkleProofs, ReadLogarithmicallyManyNodes) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> sizes = {1,
                                 2,
                                 3,
                                 (1u << 20),
                                 (1u << 20) + 1,
                                 (1ull << 40) - 1,
                                 1ull << 40,
                                 (1ull << 40) + 12345};
  for (int i = 0; i < 40; ++i) sizes.push_back(1 + rng() % (1ull << 50));
  for (uint64_t size : sizes) {
    SyntheticNodeSource source(size);
    const int log = static_cast<int>(std::bit_width(size));
    ASSERT_TRUE(RootAt(source, size).ok());
    EXPECT_EQ(source.reads(), std::popcount(size)) << "root of " << size;
    for (uint64_t index : {uint64_t{0}, size / 2, size - 1, rng() % size}) {
      source.ResetReads();
      ASSERT_TRUE(InclusionProof(source, index, size).ok());
      EXPECT_LE(source.reads(), 2 * log) << index << " in " << size;
    }
    for (uint64_t old_size :
         {uint64_t{1}, size / 2, size - 1, 1 + rng() % size}) {
      source.ResetReads();
      ASSERT_TRUE(ConsistencyProof(source, old_size, size).ok());
      EXPECT_LE(source.reads(), 2 * log + 1) << old_size << " -> " << size;
    }
  }
}

// ---------------------------------------------------------------------------
// Cross-checks against the reference.

// Checks the root, the given inclusion proofs and consistency proofs of the
// tree of the first `size` leaves against the reference, and that each fast
// proof verifies.
void CrossCheck(const MemoryNodeSource& full, Leaves all, uint64_t size,
                const std::vector<uint64_t>& indices,
                const std::vector<uint64_t>& old_sizes, bool tamper) {
  SCOPED_TRACE("tree size " + std::to_string(size));
  TreePrefix source(full, size);
  Leaves d = all.first(size);
  Hash root = ToHash(RefMth(d));
  Result<Hash> fast_root = RootAt(source, size);
  ASSERT_TRUE(fast_root.ok()) << fast_root.status().ToString();
  ASSERT_EQ(*fast_root, root);

  for (uint64_t index : indices) {
    Result<std::vector<Hash>> proof = InclusionProof(source, index, size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    ASSERT_EQ(*proof, ToHashes(RefPath(index, d))) << "leaf " << index;
    Hash leaf = HashLeaf(d[index]);
    if (tamper) {
      ExpectInclusionTamperRejected(leaf, index, size, *proof, root);
    } else {
      Status s = VerifyInclusion(leaf, index, size, *proof, root);
      ASSERT_TRUE(s.ok()) << "leaf " << index << ": " << s.ToString();
    }
  }

  for (uint64_t old_size : old_sizes) {
    Result<std::vector<Hash>> proof = ConsistencyProof(source, old_size, size);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    std::vector<Hash> want;
    if (old_size > 0) want = ToHashes(RefProof(old_size, d));
    ASSERT_EQ(*proof, want) << "from " << old_size;
    Hash old_root = ToHash(RefMth(d.first(old_size)));
    if (tamper) {
      ExpectConsistencyTamperRejected(old_size, size, old_root, root, *proof);
    } else {
      Status s = VerifyConsistency(old_size, size, old_root, root, *proof);
      ASSERT_TRUE(s.ok()) << "from " << old_size << ": " << s.ToString();
    }
  }
}

std::vector<uint64_t> Range(uint64_t begin, uint64_t end) {
  std::vector<uint64_t> out;
  for (uint64_t i = begin; i < end; ++i) out.push_back(i);
  return out;
}

TEST(MerkleTree, RootsMatchReferenceForEverySizeUpTo300) {
  std::vector<std::string> leaves = LeafData(300);
  MemoryNodeSource source(leaves);
  Leaves all(leaves);
  for (uint64_t size = 0; size <= leaves.size(); ++size) {
    Result<Hash> root = RootAt(TreePrefix(source, size), size);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    ASSERT_EQ(*root, ToHash(RefMth(all.first(size)))) << "size " << size;
  }
}

// Every inclusion and every consistency proof of every tree up to 70 leaves,
// each put through the tamper probes.
TEST(MerkleTree, EveryProofOfSmallTreesMatchesReferenceAndRejectsTampering) {
  std::vector<std::string> leaves = LeafData(70);
  MemoryNodeSource source(leaves);
  for (uint64_t size = 1; size <= leaves.size(); ++size) {
    CrossCheck(source, leaves, size, Range(0, size), Range(0, size + 1),
               /*tamper=*/true);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(MerkleTree, RandomTreesUpTo300MatchReferenceForEveryInclusionProof) {
  std::vector<std::string> leaves = LeafData(300);
  MemoryNodeSource source(leaves);
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 10; ++trial) {
    uint64_t size = 71 + rng() % 230;
    std::vector<uint64_t> old_sizes = {0, 1, size / 2, size - 1, size};
    for (int i = 0; i < 30; ++i) old_sizes.push_back(rng() % (size + 1));
    CrossCheck(source, leaves, size, Range(0, size), old_sizes,
               /*tamper=*/trial % 3 == 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(MerkleTree, LargerTreesMatchReferenceForSampledProofs) {
  std::vector<std::string> leaves = LeafData(1100);
  MemoryNodeSource source(leaves);
  std::mt19937_64 rng(13);
  for (uint64_t size : {511, 512, 513, 1000, 1023, 1024, 1025, 1100}) {
    std::vector<uint64_t> indices = {0, 1, size / 2, size - 2, size - 1};
    std::vector<uint64_t> old_sizes = {0, 1, 2, 256, size / 2, size - 1, size};
    for (int i = 0; i < 20; ++i) {
      indices.push_back(rng() % size);
      old_sizes.push_back(rng() % (size + 1));
    }
    CrossCheck(source, leaves, size, indices, old_sizes, /*tamper=*/true);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// ---------------------------------------------------------------------------
// CompactRange.

TEST(CompactRange, EmptyRangeHasEmptyRoot) {
  CompactRange range;
  EXPECT_EQ(range.size(), 0u);
  EXPECT_TRUE(range.frontier().empty());
  EXPECT_EQ(range.Root(), EmptyRoot());
}

TEST(CompactRange, MatchesPublishedRootsAndFrontiers) {
  // Frontier of the reference tree after each append, as (level, index).
  const std::vector<std::vector<std::pair<int, int>>> kFrontiers = {
      {{0, 0}},         {{1, 0}},         {{1, 0}, {0, 2}},         {{2, 0}},
      {{2, 0}, {0, 4}}, {{2, 0}, {1, 2}}, {{2, 0}, {1, 2}, {0, 6}}, {{3, 0}},
  };
  std::vector<std::string> leaves = ReferenceLeafInputs();
  CompactRange range;
  for (size_t i = 0; i < leaves.size(); ++i) {
    range.Append(HashLeaf(leaves[i]));
    EXPECT_EQ(range.size(), i + 1);
    EXPECT_EQ(ToHex(range.Root()), kRootsHex[i + 1]) << "size " << i + 1;
    std::vector<Hash> want;
    for (auto [level, index] : kFrontiers[i]) {
      want.push_back(H(kNodeHashesHex[level][index]));
    }
    EXPECT_EQ(range.frontier(), want) << "size " << i + 1;
  }
}

TEST(CompactRange, SinkReportsPublishedNodesInOrder) {
  std::vector<std::string> leaves = ReferenceLeafInputs();
  CompactRange range;
  std::vector<std::pair<int, uint64_t>> ids;
  for (const std::string& leaf : leaves) {
    range.Append(HashLeaf(leaf), [&](int level, uint64_t index, const Hash& h) {
      ids.emplace_back(level, index);
      EXPECT_EQ(ToHex(h), kNodeHashesHex[level][index])
          << "node (" << level << ", " << index << ")";
    });
  }
  const std::vector<std::pair<int, uint64_t>> kWant = {
      {0, 0}, {0, 1}, {1, 0}, {0, 2}, {0, 3}, {1, 1}, {2, 0}, {0, 4},
      {0, 5}, {1, 2}, {0, 6}, {0, 7}, {1, 3}, {2, 1}, {3, 0}};
  EXPECT_EQ(ids, kWant);
}

TEST(CompactRange, RootAfterEachAppendMatchesReference) {
  std::vector<std::string> leaves = LeafData(300);
  Leaves all(leaves);
  CompactRange range;
  for (size_t i = 0; i < leaves.size(); ++i) {
    range.Append(HashLeaf(leaves[i]));
    ASSERT_EQ(range.Root(), ToHash(RefMth(all.first(i + 1))))
        << "size " << i + 1;
    ASSERT_EQ(range.frontier().size(),
              static_cast<size_t>(std::popcount(range.size())));
  }
}

// Each append reports the new leaf, then each parent it completes, lowest
// first; over the whole run every perfect node is reported exactly once with
// its true hash.
TEST(CompactRange, SinkReportsExactlyEachPerfectNodeOnce) {
  std::vector<std::string> leaves = LeafData(300);
  MemoryNodeSource tree(leaves);
  std::map<std::pair<int, uint64_t>, Hash> seen;
  CompactRange range;
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    std::vector<std::pair<int, uint64_t>> calls;
    range.Append(HashLeaf(leaves[i]),
                 [&](int level, uint64_t index, const Hash& h) {
                   calls.emplace_back(level, index);
                   EXPECT_TRUE(seen.emplace(std::pair(level, index), h).second)
                       << "node (" << level << ", " << index << ") twice";
                 });
    // Appending leaf i completes one node per trailing one bit of i.
    ASSERT_EQ(calls.size(), 1u + std::countr_one(i)) << "append " << i;
    for (size_t c = 0; c < calls.size(); ++c) {
      // Level c, and it ends exactly at the new leaf.
      EXPECT_EQ(calls[c].first, static_cast<int>(c));
      EXPECT_EQ((calls[c].second + 1) << c, i + 1);
    }
  }
  size_t total = 0;
  for (size_t level = 0; level < tree.levels().size(); ++level) {
    for (uint64_t index = 0; index < tree.levels()[level].size(); ++index) {
      ++total;
      auto it = seen.find({static_cast<int>(level), index});
      ASSERT_NE(it, seen.end()) << "node (" << level << ", " << index << ")";
      EXPECT_EQ(it->second, tree.levels()[level][index])
          << "node (" << level << ", " << index << ")";
    }
  }
  EXPECT_EQ(seen.size(), total);
}

// The ledger restarts a compact range from its stored size and frontier
// nodes; appends after that must go on as if it never stopped.
TEST(CompactRange, RestoredFromFrontierContinuesIdentically) {
  std::vector<std::string> leaves = LeafData(100);
  MemoryNodeSource tree(leaves);
  for (uint64_t split = 0; split <= 70; ++split) {
    SCOPED_TRACE("restored at size " + std::to_string(split));
    CompactRange original;
    for (uint64_t i = 0; i < split; ++i) original.Append(HashLeaf(leaves[i]));

    // Frontier read back from stored perfect nodes, largest first.
    std::vector<Hash> stored;
    uint64_t begin = 0;
    for (int level = 63; level >= 0; --level) {
      if (((split >> level) & 1) == 0) continue;
      stored.push_back(*tree.PerfectNode(level, begin >> level));
      begin += uint64_t{1} << level;
    }
    ASSERT_EQ(stored, original.frontier());

    CompactRange copied(original.size(), original.frontier());
    CompactRange from_store(split, stored);
    ASSERT_EQ(copied.Root(), original.Root());
    ASSERT_EQ(from_store.Root(), original.Root());
    for (uint64_t i = split; i < leaves.size(); ++i) {
      std::vector<std::pair<int, uint64_t>> want_ids, got_ids;
      original.Append(HashLeaf(leaves[i]),
                      [&](int level, uint64_t index, const Hash&) {
                        want_ids.emplace_back(level, index);
                      });
      copied.Append(HashLeaf(leaves[i]));
      from_store.Append(HashLeaf(leaves[i]),
                        [&](int level, uint64_t index, const Hash&) {
                          got_ids.emplace_back(level, index);
                        });
      ASSERT_EQ(got_ids, want_ids) << "append " << i;
      ASSERT_EQ(copied.Root(), original.Root()) << "append " << i;
      ASSERT_EQ(from_store.Root(), original.Root()) << "append " << i;
      ASSERT_EQ(from_store.size(), i + 1);
    }
    ASSERT_EQ(original.Root(), *RootAt(tree, leaves.size()));
  }
}

}  // namespace
}  // namespace actledger::merkle
