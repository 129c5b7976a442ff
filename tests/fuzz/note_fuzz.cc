// Checkpoint and signed-note decoding on arbitrary bytes: ParseCheckpoint,
// NoteVerifier::Open under a fixed key, and both key-string parsers.
// Invariants: an accepted checkpoint formats back to the same bytes; Open
// returns a body the note starts with; a body the signer accepts opens to
// itself; a parsed private key re-encodes to a key that parses to the same
// signer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/checkpoint.h"
#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "fuzz/fuzz_util.h"

namespace {

using actledger::Checkpoint;
using actledger::NoteSigner;
using actledger::NoteVerifier;
using actledger::Result;
using actledger::fuzz::ByteReader;
using actledger::fuzz::Check;

constexpr std::string_view kKeyName = "fuzz.example/log";

// The signer of the seed corpus's notes: seed bytes 0, 1, ..., 31.
const NoteSigner& FixedSigner() {
  static const NoteSigner* signer = [] {
    actledger::crypto::Ed25519Seed seed;
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
    Result<actledger::crypto::Ed25519KeyPair> key =
        actledger::crypto::Ed25519FromSeed(seed);
    Check(key.ok(), "Ed25519FromSeed failed");
    const actledger::KeyId id =
        actledger::ComputeKeyId(kKeyName, key->public_key);
    std::string raw(1, '\x01');
    raw.append(reinterpret_cast<const char*>(seed.data()), seed.size());
    const std::string encoded =
        "PRIVATE+KEY+" + std::string(kKeyName) + "+" +
        actledger::HexEncode(std::string_view(
            reinterpret_cast<const char*>(id.data()), id.size())) +
        "+" + actledger::Base64Encode(raw);
    Result<NoteSigner> parsed = NoteSigner::FromPrivateKey(encoded);
    Check(parsed.ok(), "fixed private key does not parse", encoded);
    return new NoteSigner(std::move(*parsed));
  }();
  return *signer;
}

const NoteVerifier& FixedVerifier() {
  static const NoteVerifier* verifier = [] {
    Result<NoteVerifier> v =
        NoteVerifier::FromVerifierKey(FixedSigner().VerifierKey());
    Check(v.ok(), "fixed verifier key does not parse");
    return new NoteVerifier(std::move(*v));
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Result<Checkpoint> checkpoint = actledger::ParseCheckpoint(text);
  if (checkpoint.ok()) {
    Check(actledger::FormatCheckpoint(*checkpoint) == text,
          "FormatCheckpoint(ParseCheckpoint(b)) != b", text);
  }

  Result<std::string> body = FixedVerifier().Open(text);
  if (body.ok()) {
    Check(text.substr(0, body->size()) == *body && text.size() > body->size() &&
              text[body->size()] == '\n',
          "Open returned a body that does not start the note", text);
  }

  // A body the signer accepts must open to itself.
  Result<std::string> signed_note = FixedSigner().Sign(text);
  if (signed_note.ok()) {
    Result<std::string> opened = FixedVerifier().Open(*signed_note);
    Check(opened.ok(), "a note just signed does not open", *signed_note);
    Check(*opened == text, "Open(Sign(b)) != b", *signed_note);
  }

  // Key strings: the input as is, and after the private-key prefix.
  Result<NoteVerifier> verifier = NoteVerifier::FromVerifierKey(text);
  if (verifier.ok()) {
    Check(!verifier->name().empty() &&
              text.substr(0, verifier->name().size() + 1) ==
                  verifier->name() + "+",
          "verifier key accepted with a name other than its prefix", text);
  }
  for (const std::string& key :
       {std::string(text), "PRIVATE+KEY+" + std::string(text)}) {
    Result<NoteSigner> signer = NoteSigner::FromPrivateKey(key);
    if (!signer.ok()) continue;
    Result<NoteSigner> again = NoteSigner::FromPrivateKey(signer->PrivateKey());
    Check(again.ok() && again->VerifierKey() == signer->VerifierKey(),
          "a private key does not survive re-encoding", key);
    Check(NoteVerifier::FromVerifierKey(signer->VerifierKey()).ok(),
          "a signer's verifier key does not parse", signer->VerifierKey());
  }

  // Notes signed by the fixed key with the body taken from the input, and
  // a signature line cut from the rest: reaches the signature checks.
  ByteReader reader(data, size);
  const std::string_view cut_body = reader.Bytes(reader.U8());
  Result<std::string> note = FixedSigner().Sign(cut_body);
  if (note.ok()) {
    std::string tampered = *note + std::string(reader.Rest());
    Result<std::string> opened = FixedVerifier().Open(tampered);
    Check(!opened.ok() || *opened == cut_body,
          "Open returned a body other than the signed one", tampered);
  }
  return 0;
}
