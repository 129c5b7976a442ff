// Merkle proof verification with adversarial proofs, sizes and indexes.
//
// The fuzzer builds an honest tree of N <= kMaxLeaves leaves, takes a
// correct inclusion or consistency proof, then mutates it (flip, drop,
// insert, swap and replace elements; change the claimed index, sizes, leaf
// and roots) under the input's direction. Verification must never crash,
// and must accept only true claims.
//
// What "sound" means here. The leaf and roots are always honest hashes or
// honest hashes with flipped bits, never free bytes (libFuzzer's comparison
// tracing could otherwise copy a computed root into the input, making the
// verifier "accept" a claim about a tree it cannot see, which is no bug).
// A root equal to an honest root R_k fixes the whole tree (RFC 6962 hashes
// determine a tree's shape and leaves; anything else is a SHA-256
// collision), so, w.h.p., a verification that succeeds must mean:
//   inclusion: root == R_k for some 1 <= k <= N, leaf == leaf_j with j < k,
//     and if the claimed size is k, the claimed index is j (or the path is
//     empty and leaf == root, which is true of any hash);
//   consistency: old <= new and: old == 0 and old_root == R_0; or old ==
//     new and old_root == new_root; or old_root == R_a, new_root == R_b with
//     1 <= a < b, and if the claimed new size is b, the claimed old size
//     is a.
// RFC 9162's algorithms do not bind the claimed tree size to the root
// beyond the shape of the proof's path: a proof for (index 0, size 3)
// verifies as (index 0, size 4) against R_3, and one for (3 -> 12) as
// (3 -> 11) against R_12. The size is authenticated by the signed
// checkpoint that carries it with the root, so callers must take both from
// one checkpoint; the fuzzer accepts such aliases and checks the rest.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actledger/merkle.h"
#include "actledger/status.h"
#include "fuzz/fuzz_util.h"

namespace {

using actledger::NotFound;
using actledger::Result;
using actledger::Status;
using actledger::fuzz::ByteReader;
using actledger::fuzz::Check;
namespace merkle = actledger::merkle;
using merkle::Hash;

constexpr uint64_t kMaxLeaves = 40;
constexpr uint64_t kNone = UINT64_MAX;

// Slow reference: RFC 6962 section 2.1 MTH, straight from the definition.
Hash ReferenceRoot(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return merkle::HashChildren(ReferenceRoot(leaves, begin, begin + k),
                              ReferenceRoot(leaves, begin + k, end));
}

// An in-memory tree: every complete perfect node, per level.
class MemoryTree : public merkle::NodeSource {
 public:
  explicit MemoryTree(uint64_t n) {
    levels_.emplace_back();
    for (uint64_t i = 0; i < n; ++i) {
      levels_[0].push_back(merkle::HashLeaf("leaf " + std::to_string(i)));
    }
    while (levels_.back().size() >= 2) {
      const std::vector<Hash>& below = levels_.back();
      std::vector<Hash> level;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        level.push_back(merkle::HashChildren(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(level));
    }
    for (uint64_t s = 0; s <= n; ++s) {
      Result<Hash> root = merkle::RootAt(*this, s);
      Check(root.ok(), "RootAt fails on a complete in-memory tree");
      const Hash want =
          s == 0 ? merkle::EmptyRoot() : ReferenceRoot(levels_[0], 0, s);
      Check(*root == want, "RootAt differs from the reference MTH");
      roots_.push_back(*root);
    }
  }

  Result<Hash> PerfectNode(int level, uint64_t index) const override {
    if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
        index >= levels_[static_cast<size_t>(level)].size()) {
      return NotFound("no node (" + std::to_string(level) + ", " +
                      std::to_string(index) + ")");
    }
    return levels_[static_cast<size_t>(level)][index];
  }

  uint64_t size() const { return levels_[0].size(); }
  const Hash& leaf(uint64_t i) const { return levels_[0][i]; }
  // R_s, the root of the first s leaves.
  const Hash& root(uint64_t s) const { return roots_[s]; }
  const std::vector<std::vector<Hash>>& levels() const { return levels_; }
  // The s with R_s == h, or kNone.
  uint64_t RootSize(const Hash& h) const {
    for (uint64_t s = 0; s < roots_.size(); ++s) {
      if (roots_[s] == h) return s;
    }
    return kNone;
  }
  // The i with leaf_i == h, or kNone.
  uint64_t LeafIndex(const Hash& h) const {
    for (uint64_t i = 0; i < levels_[0].size(); ++i) {
      if (levels_[0][i] == h) return i;
    }
    return kNone;
  }

 private:
  std::vector<std::vector<Hash>> levels_;
  std::vector<Hash> roots_;
};

const MemoryTree& Tree(uint64_t n) {
  static std::unique_ptr<MemoryTree> trees[kMaxLeaves + 1];
  if (!trees[n]) trees[n] = std::make_unique<MemoryTree>(n);
  return *trees[n];
}

void FlipBit(Hash* h, uint8_t bit) {
  (*h)[bit / 8] = static_cast<uint8_t>((*h)[bit / 8] ^ (1u << (bit % 8)));
}

// A size or index: usually small, sometimes any 64-bit value.
uint64_t ClaimedNumber(ByteReader& in) {
  const uint8_t kind = in.U8();
  if (kind < 200) return in.U8();
  if (kind < 240) return in.U64();
  return UINT64_MAX - in.U8();
}

// The position of element `i`: vector iterators step by signed distances.
std::vector<Hash>::iterator At(std::vector<Hash>* v, size_t i) {
  return v->begin() + static_cast<std::ptrdiff_t>(i);
}

// Applies one input-chosen edit to `proof`. Returns false when the op is
// not a proof edit (the caller handles it).
bool EditProof(uint8_t op, ByteReader& in, const MemoryTree& tree,
               std::vector<Hash>* proof) {
  const size_t n = proof->size();
  switch (op) {
    case 0:  // flip a bit of an element
      if (n > 0) FlipBit(&(*proof)[in.U8() % n], in.U8());
      return true;
    case 1:  // drop an element
      if (n > 0) proof->erase(At(proof, in.U8() % n));
      return true;
    case 2: {  // insert free bytes
      Hash h{};
      const std::string_view bytes = in.Bytes(h.size());
      std::copy(bytes.begin(), bytes.end(), h.begin());
      proof->insert(At(proof, in.U8() % (n + 1)), h);
      return true;
    }
    case 3:    // insert an honest node (a sibling from elsewhere)
    case 4: {  // or overwrite an element with one
      const auto& levels = tree.levels();
      const auto& level = levels[in.U8() % levels.size()];
      if (level.empty()) return true;
      const Hash& h = level[in.U8() % level.size()];
      if (op == 3) {
        proof->insert(At(proof, in.U8() % (n + 1)), h);
      } else if (n > 0) {
        (*proof)[in.U8() % n] = h;
      }
      return true;
    }
    case 5:  // swap two elements
      if (n > 0) std::swap((*proof)[in.U8() % n], (*proof)[in.U8() % n]);
      return true;
    case 6:  // duplicate an element
      if (n > 0) proof->insert(At(proof, in.U8() % n), (*proof)[in.U8() % n]);
      return true;
    default:
      return false;
  }
}

std::string Describe(const std::vector<Hash>& proof) {
  std::string out = std::to_string(proof.size()) + " hashes:";
  for (const Hash& h : proof) out += " " + merkle::ToHex(h).substr(0, 12);
  return out;
}

void FuzzInclusion(ByteReader& in, const MemoryTree& tree) {
  const uint64_t n = tree.size();
  const uint64_t index = in.U8() % n;
  const uint64_t size = index + 1 + in.U8() % (n - index);
  Result<std::vector<Hash>> honest = merkle::InclusionProof(tree, index, size);
  Check(honest.ok(), "InclusionProof fails on a complete tree");
  Status st = merkle::VerifyInclusion(tree.leaf(index), index, size, *honest,
                                      tree.root(size));
  Check(st.ok(), "a correct inclusion proof is rejected", st.ToString());

  std::vector<Hash> proof = *honest;
  uint64_t claimed_index = index;
  uint64_t claimed_size = size;
  Hash leaf = tree.leaf(index);
  Hash root = tree.root(size);
  for (int edits = in.U8() % 9; edits > 0 && !in.empty(); --edits) {
    const uint8_t op = in.U8() % 13;
    if (EditProof(op, in, tree, &proof)) continue;
    switch (op) {
      case 7:
        claimed_index = ClaimedNumber(in);
        break;
      case 8:
        claimed_size = ClaimedNumber(in);
        break;
      case 9:
        leaf = tree.leaf(in.U8() % n);
        break;
      case 10:
        FlipBit(&leaf, in.U8());
        break;
      case 11:
        root = tree.root(in.U8() % (n + 1));
        break;
      default:
        FlipBit(&root, in.U8());
        break;
    }
  }

  st = merkle::VerifyInclusion(leaf, claimed_index, claimed_size, proof, root);
  const bool in_tree = claimed_index < claimed_size && claimed_size <= n;
  const bool true_claim = in_tree && leaf == tree.leaf(claimed_index) &&
                          root == tree.root(claimed_size);
  if (st.ok() && !true_claim) {
    const uint64_t k = tree.RootSize(root);
    const uint64_t j = tree.LeafIndex(leaf);
    // An empty path claims only leaf == root (a one-leaf tree), true of
    // any hash, such as a leaf and root with the same bits flipped.
    const bool trivial = proof.empty() && leaf == root;
    const bool sound =
        trivial || (k != kNone && k >= 1 && j != kNone && j < k &&
                    (claimed_size != k || claimed_index == j));
    const std::string what =
        "index " + std::to_string(claimed_index) + " size " +
        std::to_string(claimed_size) + " (honest tree " + std::to_string(n) +
        " leaves, proof for index " + std::to_string(index) + " size " +
        std::to_string(size) + "; root is R_" + std::to_string(k) +
        ", leaf is leaf_" + std::to_string(j) + "); proof " + Describe(proof);
    Check(sound, "a false inclusion claim verifies", what);
  }
  if (in_tree) {
    Result<std::vector<Hash>> want =
        merkle::InclusionProof(tree, claimed_index, claimed_size);
    Check(want.ok(), "InclusionProof fails on a complete tree");
    if (true_claim && proof == *want) {
      Check(st.ok(), "a correct inclusion proof is rejected", st.ToString());
    }
  } else if (claimed_index >= claimed_size) {
    Check(!merkle::InclusionProof(tree, claimed_index, claimed_size).ok(),
          "InclusionProof accepts index >= size");
  }
}

void FuzzConsistency(ByteReader& in, const MemoryTree& tree) {
  const uint64_t n = tree.size();
  const uint64_t old_size = in.U8() % (n + 1);
  const uint64_t new_size = old_size + in.U8() % (n - old_size + 1);
  Result<std::vector<Hash>> honest =
      merkle::ConsistencyProof(tree, old_size, new_size);
  Check(honest.ok(), "ConsistencyProof fails on a complete tree");
  Status st = merkle::VerifyConsistency(old_size, new_size, tree.root(old_size),
                                        tree.root(new_size), *honest);
  Check(st.ok(), "a correct consistency proof is rejected", st.ToString());

  std::vector<Hash> proof = *honest;
  uint64_t claimed_old = old_size;
  uint64_t claimed_new = new_size;
  Hash old_root = tree.root(old_size);
  Hash new_root = tree.root(new_size);
  for (int edits = in.U8() % 9; edits > 0 && !in.empty(); --edits) {
    const uint8_t op = in.U8() % 13;
    if (EditProof(op, in, tree, &proof)) continue;
    switch (op) {
      case 7:
        claimed_old = ClaimedNumber(in);
        break;
      case 8:
        claimed_new = ClaimedNumber(in);
        break;
      case 9:
        old_root = tree.root(in.U8() % (n + 1));
        break;
      case 10:
        FlipBit(&old_root, in.U8());
        break;
      case 11:
        new_root = tree.root(in.U8() % (n + 1));
        break;
      default:
        FlipBit(&new_root, in.U8());
        break;
    }
  }

  st = merkle::VerifyConsistency(claimed_old, claimed_new, old_root, new_root,
                                 proof);
  bool true_claim = false;
  bool sound = false;
  if (claimed_old > claimed_new) {
    true_claim = sound = false;
  } else if (claimed_old == 0) {
    true_claim = sound = old_root == merkle::EmptyRoot();
  } else if (claimed_old == claimed_new) {
    true_claim = sound = old_root == new_root;
  } else {
    true_claim = claimed_new <= n && old_root == tree.root(claimed_old) &&
                 new_root == tree.root(claimed_new);
    const uint64_t a = tree.RootSize(old_root);
    const uint64_t b = tree.RootSize(new_root);
    sound = a != kNone && b != kNone && 1 <= a && a < b &&
            (claimed_new != b || claimed_old == a);
  }
  if (st.ok() && !sound) {
    const std::string what =
        "old size " + std::to_string(claimed_old) + " new size " +
        std::to_string(claimed_new) + " (honest tree " + std::to_string(n) +
        " leaves, proof for " + std::to_string(old_size) + " -> " +
        std::to_string(new_size) + "); proof " + Describe(proof);
    Check(false, "a false consistency claim verifies", what);
  }
  if (claimed_old > claimed_new) {
    Check(!merkle::ConsistencyProof(tree, claimed_old, claimed_new).ok(),
          "ConsistencyProof accepts old size > new size");
  } else if (claimed_new <= n) {
    Result<std::vector<Hash>> want =
        merkle::ConsistencyProof(tree, claimed_old, claimed_new);
    Check(want.ok(), "ConsistencyProof fails on a complete tree");
    if (true_claim && proof == *want) {
      Check(st.ok(), "a correct consistency proof is rejected", st.ToString());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const MemoryTree& tree = Tree(1 + in.U8() % kMaxLeaves);
  if (in.U8() % 2 == 0) {
    FuzzInclusion(in, tree);
  } else {
    FuzzConsistency(in, tree);
  }

  // Subtree hashes of arbitrary ranges against the reference.
  const uint64_t begin = in.U8() % tree.size();
  const uint64_t end = begin + 1 + in.U8() % (tree.size() - begin);
  Result<Hash> sub = merkle::SubtreeHash(tree, begin, end);
  Check(sub.ok() && *sub == ReferenceRoot(tree.levels()[0], begin, end),
        "SubtreeHash differs from the reference MTH");
  return 0;
}
