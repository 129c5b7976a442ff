#include "actledger/merkle.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace actledger::merkle {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two strictly smaller than n: RFC 6962's split point k.
// Precondition: n >= 2.
uint64_t SplitPoint(uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// Whether [begin, end) is the leaf range of one stored perfect node, i.e. its
// width is a power of two and begin is a multiple of it.
bool IsPerfectNode(uint64_t begin, uint64_t end) {
  uint64_t width = end - begin;
  return std::has_single_bit(width) && begin % width == 0;
}

// Number of hashes the RFC 9162 verification loop consumes before sn reaches
// zero, starting from (fn, sn). A proof verifies only if it has exactly this
// many hashes (step 4's "sn is 0" check and step 5's "sn is 0" check), so
// computing it up front lets us report a length error separately from a hash
// mismatch. The loop mirrors the one in VerifyInclusion/VerifyConsistency
// without hashing.
size_t ExpectedPathLength(uint64_t fn, uint64_t sn) {
  size_t n = 0;
  while (sn != 0) {
    ++n;
    if ((fn & 1) != 0 || fn == sn) {
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    }
    fn >>= 1;
    sn >>= 1;
  }
  return n;
}

Status WrongLength(size_t got, size_t want) {
  return DataLoss("proof has wrong length: got " + std::to_string(got) +
                  " hashes, want " + std::to_string(want));
}

}  // namespace

Hash HashLeaf(std::string_view data) {
  const char prefix = static_cast<char>(kLeafPrefix);
  return crypto::Sha256Concat({std::string_view(&prefix, 1), data});
}

Hash HashChildren(const Hash& left, const Hash& right) {
  // One-shot hashing of a stack buffer: this is the hot path of every append
  // and proof check.
  char buf[1 + 2 * sizeof(Hash)];
  buf[0] = static_cast<char>(kNodePrefix);
  std::memcpy(buf + 1, left.data(), left.size());
  std::memcpy(buf + 1 + left.size(), right.data(), right.size());
  return crypto::Sha256(std::string_view(buf, sizeof(buf)));
}

Hash EmptyRoot() { return crypto::Sha256(std::string_view()); }

std::string ToHex(const Hash& h) {
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * sizeof(Hash)) {
    return InvalidArgument("hash must be 64 hex digits, got " +
                           std::to_string(hex.size()) + " characters");
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, HexDecode(hex));
  Hash h;
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

// Splits [begin, end) exactly as MTH does until every piece is a stored
// perfect node. When begin is a multiple of bit_ceil(end - begin) (true of
// every subtree a proof or root needs) each left piece is a perfect node, so
// this reads popcount(end - begin) nodes. An unaligned range may read up to
// end - begin nodes, but is still the RFC's MTH of that list.
Result<Hash> SubtreeHash(const NodeSource& source, uint64_t begin,
                         uint64_t end) {
  assert(begin < end);
  if (IsPerfectNode(begin, end)) {
    uint64_t width = end - begin;
    return source.PerfectNode(std::countr_zero(width), begin / width);
  }
  uint64_t split = begin + SplitPoint(end - begin);
  ACTLEDGER_ASSIGN_OR_RETURN(Hash left, SubtreeHash(source, begin, split));
  ACTLEDGER_ASSIGN_OR_RETURN(Hash right, SubtreeHash(source, split, end));
  return HashChildren(left, right);
}

Result<Hash> RootAt(const NodeSource& source, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return SubtreeHash(source, 0, size);
}

// RFC 6962 PATH(m, D[n]), unrolled: walk from the root towards leaf `index`,
// recording the subtree on the other side of each split. PATH emits those
// siblings deepest first, so the walk's order is reversed at the end.
Result<std::vector<Hash>> InclusionProof(const NodeSource& source,
                                         uint64_t index, uint64_t size) {
  if (index >= size) {
    return InvalidArgument("leaf index " + std::to_string(index) +
                           " is not in a tree of size " + std::to_string(size));
  }
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    uint64_t split = begin + SplitPoint(end - begin);
    if (index < split) {
      ACTLEDGER_ASSIGN_OR_RETURN(Hash sibling, SubtreeHash(source, split, end));
      proof.push_back(sibling);
      end = split;
    } else {
      ACTLEDGER_ASSIGN_OR_RETURN(Hash sibling,
                                 SubtreeHash(source, begin, split));
      proof.push_back(sibling);
      begin = split;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 6962 SUBPROOF(m, D[n], true), unrolled like InclusionProof. The walk
// narrows [begin, end) until its right edge is old_size; `whole_old_tree`
// stays true while that range is still a prefix of the tree, i.e. while its
// hash is the old root the verifier already holds and must not be sent.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& source,
                                           uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size > new_size) {
    return InvalidArgument("old size " + std::to_string(old_size) +
                           " is larger than new size " +
                           std::to_string(new_size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;

  std::vector<Hash> siblings;
  uint64_t begin = 0;
  uint64_t end = new_size;
  bool whole_old_tree = true;
  while (end != old_size) {
    uint64_t split = begin + SplitPoint(end - begin);
    if (old_size <= split) {
      ACTLEDGER_ASSIGN_OR_RETURN(Hash right, SubtreeHash(source, split, end));
      siblings.push_back(right);
      end = split;
    } else {
      ACTLEDGER_ASSIGN_OR_RETURN(Hash left, SubtreeHash(source, begin, split));
      siblings.push_back(left);
      begin = split;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    ACTLEDGER_ASSIGN_OR_RETURN(Hash seed, SubtreeHash(source, begin, end));
    proof.push_back(seed);
  }
  proof.insert(proof.end(), siblings.rbegin(), siblings.rend());
  return proof;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root) {
  // Step 1.
  if (index >= size) {
    return InvalidArgument("leaf index " + std::to_string(index) +
                           " is not in a tree of size " + std::to_string(size));
  }
  size_t want = ExpectedPathLength(index, size - 1);
  if (proof.size() != want) return WrongLength(proof.size(), want);

  // Steps 2-5.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return WrongLength(proof.size(), want);
    if ((fn & 1) != 0 || fn == sn) {
      r = HashChildren(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return WrongLength(proof.size(), want);
  if (r != root) {
    return DataLoss("root mismatch: inclusion proof for leaf " +
                    std::to_string(index) + " in tree of size " +
                    std::to_string(size) + " yields " + ToHex(r) +
                    ", expected " + ToHex(root));
  }
  return Status::Ok();
}

// RFC 9162 section 2.1.4.2 covers 0 < old_size < new_size. The other cases
// follow from what a consistency proof claims: equal sizes prove consistency
// only when the roots are equal; the empty tree is a prefix of every tree, as
// long as its claimed root really is the empty root. Both need an empty proof.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                         const Hash& old_root, const Hash& new_root,
                         const std::vector<Hash>& proof) {
  if (old_size > new_size) {
    return InvalidArgument("old size " + std::to_string(old_size) +
                           " is larger than new size " +
                           std::to_string(new_size));
  }
  if (old_size == 0 || old_size == new_size) {
    if (!proof.empty()) return WrongLength(proof.size(), 0);
    if (old_size == 0) {
      if (old_root != EmptyRoot()) {
        return DataLoss("old root mismatch: the tree of size 0 has root " +
                        ToHex(EmptyRoot()) + ", got " + ToHex(old_root));
      }
      return Status::Ok();
    }
    if (old_root != new_root) {
      return DataLoss("root mismatch: trees of equal size " +
                      std::to_string(old_size) + " have different roots");
    }
    return Status::Ok();
  }

  // Step 2 prepends old_root when old_size is a power of two; instead of
  // copying the proof, `seed` is the virtual first element.
  const bool old_is_perfect = std::has_single_bit(old_size);
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  // Step 4.
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  const size_t want = (old_is_perfect ? 0 : 1) + ExpectedPathLength(fn, sn);
  // Step 1 (an empty path fails) is subsumed: want is at least 1 here.
  if (proof.size() != want) return WrongLength(proof.size(), want);

  size_t next = 0;
  // Step 5.
  const Hash& seed = old_is_perfect ? old_root : proof[next++];
  Hash fr = seed;
  Hash sr = seed;
  // Step 6.
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return WrongLength(proof.size(), want);
    if ((fn & 1) != 0 || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return WrongLength(proof.size(), want);
  if (fr != old_root) {
    return DataLoss("old root mismatch: consistency proof from size " +
                    std::to_string(old_size) + " yields " + ToHex(fr) +
                    ", expected " + ToHex(old_root));
  }
  if (sr != new_root) {
    return DataLoss("new root mismatch: consistency proof to size " +
                    std::to_string(new_size) + " yields " + ToHex(sr) +
                    ", expected " + ToHex(new_root));
  }
  return Status::Ok();
}

CompactRange::CompactRange(uint64_t size, std::vector<Hash> frontier)
    : size_(size), frontier_(std::move(frontier)) {
  assert(frontier_.size() == static_cast<size_t>(std::popcount(size_)));
}

// Invariant: frontier_[i] is the perfect subtree for the i-th set bit of
// size_, counting from the most significant; so the back is the smallest.
// Appending a leaf is binary increment: each trailing one bit of size_ is a
// subtree of the same height as the carry, and merges with it.
void CompactRange::Append(const Hash& leaf_hash, const NodeSink& sink) {
  assert(size_ < UINT64_MAX);
  Hash carry = leaf_hash;
  int level = 0;
  uint64_t index = size_;
  if (sink) sink(level, index, carry);
  while (((size_ >> level) & 1) != 0) {
    carry = HashChildren(frontier_.back(), carry);
    frontier_.pop_back();
    ++level;
    index >>= 1;
    if (sink) sink(level, index, carry);
  }
  frontier_.push_back(carry);
  ++size_;
}

// MTH splits at the largest power of two, which is the largest frontier
// subtree; recursing on the rest gives a right-to-left fold.
Hash CompactRange::Root() const {
  if (frontier_.empty()) return EmptyRoot();
  Hash root = frontier_.back();
  for (size_t i = frontier_.size() - 1; i-- > 0;) {
    root = HashChildren(frontier_[i], root);
  }
  return root;
}

}  // namespace actledger::merkle
