// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.
//
// This module does no I/O. Proof construction asks a NodeSource for the
// hashes of perfect subtrees; the ledger backs it with its tree files, tests
// back it with an in-memory vector.
//
// Node ids: (level, index) is the perfect subtree over leaves
// [index * 2^level, (index + 1) * 2^level). Level 0 nodes are leaf hashes.
//
//   merkle::Hash leaf = merkle::HashLeaf(record_bytes);
//   auto proof = merkle::InclusionProof(store, seq, size);
//   Status ok = merkle::VerifyInclusion(leaf, seq, size, *proof, root);
//
// Thread safety: free functions are reentrant; CompactRange is a value type.
#ifndef ACTLEDGER_MERKLE_H_
#define ACTLEDGER_MERKLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/status.h"

namespace actledger::merkle {

using Hash = std::array<uint8_t, 32>;

// SHA-256(0x00 || data).
Hash HashLeaf(std::string_view data);
// SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256("").
Hash EmptyRoot();

std::string ToHex(const Hash& h);
// Parses 64 lowercase or uppercase hex digits.
Result<Hash> HashFromHex(std::string_view hex);

// Supplies stored perfect-subtree hashes.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // Precondition: the node is complete in the tree the caller asks about.
  // Errors: whatever the backing store reports (kIoError, kDataLoss).
  virtual Result<Hash> PerfectNode(int level, uint64_t index) const = 0;
};

// MTH(D[begin:end]) as RFC 6962 defines it, composed from perfect nodes.
// Precondition: begin < end.
Result<Hash> SubtreeHash(const NodeSource& source, uint64_t begin,
                         uint64_t end);
// Root of the tree of the first `size` leaves (EmptyRoot() for 0).
Result<Hash> RootAt(const NodeSource& source, uint64_t size);

// RFC 9162 section 2.1.3.1 inclusion proof of leaf `index` in the tree of
// `size` leaves, in the RFC's order (nearest sibling first).
// Errors: kInvalidArgument when index >= size.
Result<std::vector<Hash>> InclusionProof(const NodeSource& source,
                                         uint64_t index, uint64_t size);
// RFC 9162 section 2.1.4.1 consistency proof between two sizes.
// Errors: kInvalidArgument when old_size > new_size. old_size 0 or
// old_size == new_size yields an empty proof.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source,
                                           uint64_t old_size,
                                           uint64_t new_size);

// RFC 9162 section 2.1.3.2. OK, or kDataLoss saying why the proof fails.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 section 2.1.4.2. OK, or kDataLoss saying why the proof fails.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                         const Hash& old_root, const Hash& new_root,
                         const std::vector<Hash>& proof);

// The right edge of a growing tree: one perfect subtree per set bit of
// size(), largest first. O(log n) memory; appends are amortized O(1) hashes.
class CompactRange {
 public:
  // Called for each perfect node an append completes: the leaf itself at
  // level 0, then each new parent, lowest first.
  using NodeSink =
      std::function<void(int level, uint64_t index, const Hash& hash)>;

  CompactRange() = default;
  // Precondition: frontier.size() == popcount(size), largest subtree first.
  CompactRange(uint64_t size, std::vector<Hash> frontier);

  uint64_t size() const { return size_; }
  const std::vector<Hash>& frontier() const { return frontier_; }

  void Append(const Hash& leaf_hash, const NodeSink& sink = nullptr);
  // Root of the tree of size() leaves.
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> frontier_;
};

}  // namespace actledger::merkle

#endif  // ACTLEDGER_MERKLE_H_
