// Checkpoints: C2SP tlog-checkpoint bodies signed as C2SP signed-notes with
// Ed25519.
//
// A checkpoint body is
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
// and the signed note appends "\n" and one signature line per signer:
//   "\u2014 " <key name> " " base64(key ID (4 bytes) || signature (64)) "\n"
// The key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || pubkey).
// The verifier key is "<name>+<key ID, 8 hex>+<base64(0x01 || pubkey)>", and
// the private key file holds
// "PRIVATE+KEY+<name>+<key ID, 8 hex>+<base64(0x01 || seed)>", both in the
// format Go's golang.org/x/mod/sumdb/note uses, so independent tools can
// check our checkpoints.
//
//   auto signer = NoteSigner::Generate("example.com/ledger");
//   std::string note = signer->Sign(FormatCheckpoint(cp));
//   auto verifier = NoteVerifier::FromVerifierKey(signer->VerifierKey());
//   Result<std::string> body = verifier->Open(note);
//
// Thread safety: all types are immutable after construction.
#ifndef ACTLEDGER_CHECKPOINT_H_
#define ACTLEDGER_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/merkle.h"
#include "actledger/status.h"

namespace actledger {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  std::vector<std::string> extensions;  // optional lines after the root
};

std::string FormatCheckpoint(const Checkpoint& checkpoint);
// Strict: origin non-empty, size a canonical decimal (no leading zeros),
// root base64 of exactly 32 bytes, every line ending in "\n", no empty
// extension lines. Errors: kInvalidArgument naming the line.
Result<Checkpoint> ParseCheckpoint(std::string_view body);

using KeyId = std::array<uint8_t, 4>;
KeyId ComputeKeyId(std::string_view name,
                   const std::array<uint8_t, 32>& public_key);

class NoteSigner {
 public:
  // A fresh Ed25519 key. Key names may not contain '+', spaces or newlines.
  static Result<NoteSigner> Generate(std::string_view name);
  // Parses "PRIVATE+KEY+<name>+<hex id>+<base64>"; checks the key ID.
  static Result<NoteSigner> FromPrivateKey(std::string_view encoded);

  const std::string& name() const { return name_; }
  KeyId key_id() const { return key_id_; }
  std::string PrivateKey() const;   // the encoded form above
  std::string VerifierKey() const;  // "<name>+<hex id>+<base64>"
  // Returns body + "\n" + signature line. Precondition: body is non-empty
  // and ends with "\n". Errors: kInternal on a crypto library failure.
  Result<std::string> Sign(std::string_view body) const;

 private:
  std::string name_;
  KeyId key_id_{};
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 32> public_key_{};
};

class NoteVerifier {
 public:
  // Parses "<name>+<hex id>+<base64(0x01 || key)>"; checks the key ID.
  static Result<NoteVerifier> FromVerifierKey(std::string_view encoded);

  const std::string& name() const { return name_; }
  KeyId key_id() const { return key_id_; }

  // Checks that `note` is well formed and carries a valid signature by this
  // key (signatures by other keys are ignored); returns the body.
  // Errors: kInvalidArgument for a malformed note, kDataLoss when no valid
  // signature by this key is present (a forged or altered note).
  Result<std::string> Open(std::string_view note) const;

 private:
  std::string name_;
  KeyId key_id_{};
  std::array<uint8_t, 32> public_key_{};
};

}  // namespace actledger

#endif  // ACTLEDGER_CHECKPOINT_H_
