// C2SP tlog-checkpoint bodies and C2SP signed-notes (Ed25519 only).
//
// Open() parses text an attacker may have edited, so it is deliberately
// stricter than Go's golang.org/x/mod/sumdb/note: every note it accepts is
// one Go accepts with the same body, but not the other way round.
//   - The body may not contain an empty line, so the first "\n\n" is the
//     separator (Go splits at the last one; for bodies without empty lines
//     the two agree).
//   - Every signature line that names this verifier's key (name and key ID)
//     must verify; Go checks only the first and skips duplicates. A bad line
//     under our key is evidence of tampering even when a good one exists.
//   - A note is capped at kMaxNoteBytes before any other work.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/checkpoint.h"
#include "common/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"

namespace actledger {
namespace {

// U+2014 EM DASH, then a space.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";
constexpr uint8_t kAlgEd25519 = 0x01;
// Go's limit: bounds the verification work a hostile note can demand.
constexpr size_t kMaxSignatureLines = 100;
// Checkpoints are a few hundred bytes; anything near this is not ours.
constexpr size_t kMaxNoteBytes = 1 << 20;
constexpr size_t kKeyIdHexDigits = 8;

// Decodes the UTF-8 sequence at text[*pos] and advances *pos past it.
// Returns -1 for an ill-formed sequence (truncated, overlong, surrogate or
// above U+10FFFF), as RFC 3629 requires.
int32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) {
    return static_cast<uint8_t>(text[*pos + i]);
  };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) {
    *pos += 1;
    return b0;
  }
  // Sequence length, payload bits of the lead byte, and the smallest code
  // point that needs this length (anything below is an overlong encoding).
  int len = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return -1;
  }
  if (text.size() - *pos < static_cast<size_t>(len)) return -1;
  for (int i = 1; i < len; ++i) {
    const uint8_t b = byte(static_cast<size_t>(i));
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *pos += static_cast<size_t>(len);
  return cp;
}

// Go's unicode.IsSpace: key names may contain none of these.
bool IsUnicodeSpace(int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Note text must be UTF-8 with no ASCII control character but '\n'.
Status CheckNoteText(std::string_view text, std::string_view what) {
  for (size_t pos = 0; pos < text.size();) {
    const int32_t cp = DecodeUtf8(text, &pos);
    if (cp < 0) return InvalidArgument(std::string(what) + " is not UTF-8");
    if (cp < 0x20 && cp != '\n') {
      return InvalidArgument(std::string(what) +
                             " contains a control character");
    }
  }
  return Status::Ok();
}

// Non-empty UTF-8 without '+', white space or control characters.
bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t pos = 0; pos < name.size();) {
    const int32_t cp = DecodeUtf8(name, &pos);
    if (cp < 0x20 || cp == '+' || IsUnicodeSpace(cp)) return false;
  }
  return true;
}

Status CheckKeyName(std::string_view name) {
  if (!IsValidKeyName(name)) {
    return InvalidArgument(
        "key name must be non-empty UTF-8 without '+', spaces or control "
        "characters");
  }
  return Status::Ok();
}

// A signed body: non-empty lines, each ending in "\n".
Status CheckBody(std::string_view body) {
  if (body.empty()) return InvalidArgument("note body is empty");
  if (body.back() != '\n') {
    return InvalidArgument("note body does not end with a newline");
  }
  if (body.front() == '\n' || body.find("\n\n") != std::string_view::npos) {
    return InvalidArgument("note body contains an empty line");
  }
  return CheckNoteText(body, "note body");
}

template <size_t N>
std::string_view AsChars(const std::array<uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// base64(0x01 || key), the key encoding of both key strings.
std::string EncodeKey(const std::array<uint8_t, 32>& key) {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw.append(AsChars(key));
  return Base64Encode(raw);
}

std::string KeyLabel(std::string_view name, const KeyId& id) {
  return std::string(name) + "+" + HexEncode(AsChars(id));
}

struct EncodedKey {
  std::string name;
  KeyId key_id{};
  std::array<uint8_t, 32> key{};
};

// Parses "<name>+<8 hex digits>+<base64(0x01 || 32 bytes)>". Does not check
// the key ID: for a private key that needs the derived public key.
Result<EncodedKey> ParseEncodedKey(std::string_view encoded) {
  const size_t plus1 = encoded.find('+');
  if (plus1 == std::string_view::npos) {
    return InvalidArgument("key has no '+' after the name");
  }
  const size_t plus2 = encoded.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return InvalidArgument("key has no '+' after the key ID");
  }
  EncodedKey out;
  out.name = std::string(encoded.substr(0, plus1));
  ACTLEDGER_RETURN_IF_ERROR(CheckKeyName(out.name));

  const std::string_view hex = encoded.substr(plus1 + 1, plus2 - plus1 - 1);
  Result<std::string> id = HexDecode(hex);
  if (hex.size() != kKeyIdHexDigits || !id.ok()) {
    return InvalidArgument("key ID is not 8 hex digits");
  }
  std::copy(id->begin(), id->end(), out.key_id.begin());

  Result<std::string> raw = Base64Decode(encoded.substr(plus2 + 1));
  if (!raw.ok()) return InvalidArgument("key material is not valid base64");
  if (raw->empty() || static_cast<uint8_t>((*raw)[0]) != kAlgEd25519) {
    return InvalidArgument("key algorithm is not Ed25519 (0x01)");
  }
  if (raw->size() != 1 + out.key.size()) {
    return InvalidArgument("Ed25519 key is not 32 bytes");
  }
  std::copy(raw->begin() + 1, raw->end(), out.key.begin());
  return out;
}

// One well-formed signature line, not yet verified.
struct SignatureLine {
  std::string_view name;
  std::string blob;  // key ID (4 bytes) || signature
};

Result<SignatureLine> ParseSignatureLine(std::string_view line) {
  if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return InvalidArgument(
        "signature line does not start with U+2014 and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return InvalidArgument("signature line has no space after the key name");
  }
  SignatureLine out;
  out.name = line.substr(0, space);
  if (!IsValidKeyName(out.name)) {
    return InvalidArgument("signature line has an invalid key name");
  }
  Result<std::string> blob = Base64Decode(line.substr(space + 1));
  // Go's minimum: a key ID and at least one byte of signature.
  if (!blob.ok() || blob->size() < 5) {
    return InvalidArgument("signature line has a malformed signature");
  }
  out.blob = std::move(*blob);
  return out;
}

Result<uint64_t> ParseCanonicalDecimal(std::string_view text) {
  if (text.empty())
    return InvalidArgument("line 2 (tree size) is empty", "size");
  if (text.size() > 1 && text[0] == '0') {
    return InvalidArgument("line 2 (tree size) has a leading zero", "size");
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgument("line 2 (tree size) is not a decimal number",
                             "size");
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return InvalidArgument("line 2 (tree size) overflows 64 bits", "size");
    }
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

// Precondition: the origin and extensions are non-empty, contain no '\n' and
// the origin satisfies ParseCheckpoint; otherwise the text does not reparse
// to `checkpoint`.
std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string out = checkpoint.origin;
  out += '\n';
  out += std::to_string(checkpoint.size);
  out += '\n';
  out += Base64Encode(AsChars(checkpoint.root));
  out += '\n';
  for (const std::string& line : checkpoint.extensions) {
    out += line;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view body) {
  if (body.empty()) return InvalidArgument("checkpoint is empty");
  if (body.back() != '\n') {
    return InvalidArgument("checkpoint does not end with a newline");
  }
  ACTLEDGER_RETURN_IF_ERROR(CheckNoteText(body, "checkpoint"));

  std::vector<std::string_view> lines;
  for (size_t begin = 0; begin < body.size();) {
    const size_t end = body.find('\n', begin);
    lines.push_back(body.substr(begin, end - begin));
    begin = end + 1;
  }
  if (lines.size() < 3) {
    return InvalidArgument("checkpoint has " + std::to_string(lines.size()) +
                           " lines, needs origin, tree size and root hash");
  }

  Checkpoint cp;
  if (lines[0].empty()) {
    return InvalidArgument("line 1 (origin) is empty", "origin");
  }
  cp.origin = std::string(lines[0]);
  ACTLEDGER_ASSIGN_OR_RETURN(cp.size, ParseCanonicalDecimal(lines[1]));

  Result<std::string> root = Base64Decode(lines[2]);
  if (!root.ok()) {
    return InvalidArgument("line 3 (root hash) is not valid base64", "root");
  }
  if (root->size() != cp.root.size()) {
    return InvalidArgument("line 3 (root hash) is " +
                               std::to_string(root->size()) + " bytes, not 32",
                           "root");
  }
  std::copy(root->begin(), root->end(), cp.root.begin());

  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return InvalidArgument(
          "line " + std::to_string(i + 1) + " (extension) is empty",
          "extensions");
    }
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

KeyId ComputeKeyId(std::string_view name,
                   const std::array<uint8_t, 32>& public_key) {
  std::string input(name);
  input += '\n';
  input += static_cast<char>(kAlgEd25519);
  input.append(AsChars(public_key));
  const crypto::Digest digest = crypto::Sha256(input);
  KeyId id;
  std::copy(digest.begin(), digest.begin() + id.size(), id.begin());
  return id;
}

Result<NoteSigner> NoteSigner::Generate(std::string_view name) {
  ACTLEDGER_RETURN_IF_ERROR(CheckKeyName(name));
  ACTLEDGER_ASSIGN_OR_RETURN(crypto::Ed25519KeyPair key,
                             crypto::GenerateEd25519());
  NoteSigner signer;
  signer.name_ = std::string(name);
  signer.seed_ = key.seed;
  signer.public_key_ = key.public_key;
  signer.key_id_ = ComputeKeyId(name, key.public_key);
  return signer;
}

Result<NoteSigner> NoteSigner::FromPrivateKey(std::string_view encoded) {
  if (encoded.substr(0, kPrivateKeyPrefix.size()) != kPrivateKeyPrefix) {
    return InvalidArgument("private key does not start with PRIVATE+KEY+");
  }
  ACTLEDGER_ASSIGN_OR_RETURN(
      EncodedKey parsed,
      ParseEncodedKey(encoded.substr(kPrivateKeyPrefix.size())));
  ACTLEDGER_ASSIGN_OR_RETURN(crypto::Ed25519KeyPair key,
                             crypto::Ed25519FromSeed(parsed.key));
  // The ID names the public key, so it can only be checked after deriving it.
  if (ComputeKeyId(parsed.name, key.public_key) != parsed.key_id) {
    return InvalidArgument("private key ID does not match the key");
  }
  NoteSigner signer;
  signer.name_ = std::move(parsed.name);
  signer.key_id_ = parsed.key_id;
  signer.seed_ = key.seed;
  signer.public_key_ = key.public_key;
  return signer;
}

std::string NoteSigner::PrivateKey() const {
  return std::string(kPrivateKeyPrefix) + KeyLabel(name_, key_id_) + "+" +
         EncodeKey(seed_);
}

std::string NoteSigner::VerifierKey() const {
  return KeyLabel(name_, key_id_) + "+" + EncodeKey(public_key_);
}

// The header states the body shape as a precondition; it is checked anyway
// (kInvalidArgument) because a body Open() would reject must never be signed.
Result<std::string> NoteSigner::Sign(std::string_view body) const {
  ACTLEDGER_RETURN_IF_ERROR(CheckBody(body));
  ACTLEDGER_ASSIGN_OR_RETURN(
      crypto::Ed25519Signature signature,
      crypto::Ed25519Sign(crypto::Ed25519KeyPair{seed_, public_key_}, body));
  std::string blob(AsChars(key_id_));
  blob.append(reinterpret_cast<const char*>(signature.data()),
              signature.size());
  std::string note(body);
  note += '\n';
  note += kSignaturePrefix;
  note += name_;
  note += ' ';
  note += Base64Encode(blob);
  note += '\n';
  return note;
}

Result<NoteVerifier> NoteVerifier::FromVerifierKey(std::string_view encoded) {
  ACTLEDGER_ASSIGN_OR_RETURN(EncodedKey parsed, ParseEncodedKey(encoded));
  if (ComputeKeyId(parsed.name, parsed.key) != parsed.key_id) {
    return InvalidArgument("verifier key ID does not match the key");
  }
  NoteVerifier verifier;
  verifier.name_ = std::move(parsed.name);
  verifier.key_id_ = parsed.key_id;
  verifier.public_key_ = parsed.key;
  return verifier;
}

Result<std::string> NoteVerifier::Open(std::string_view note) const {
  if (note.size() > kMaxNoteBytes) {
    return InvalidArgument("note is larger than " +
                           std::to_string(kMaxNoteBytes) + " bytes");
  }
  ACTLEDGER_RETURN_IF_ERROR(CheckNoteText(note, "note"));
  const size_t split = note.find("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgument("note has no blank line before its signatures");
  }
  const std::string_view body = note.substr(0, split + 1);
  ACTLEDGER_RETURN_IF_ERROR(CheckBody(body));
  std::string_view block = note.substr(split + 2);
  if (block.empty()) return InvalidArgument("note has no signature lines");
  if (block.back() != '\n') {
    return InvalidArgument("signature block does not end with a newline");
  }

  // Parse every line before verifying any, so a malformed note is always
  // kInvalidArgument whatever its signatures.
  std::vector<SignatureLine> ours;
  size_t count = 0;
  while (!block.empty()) {
    if (++count > kMaxSignatureLines) {
      return InvalidArgument("note has more than " +
                             std::to_string(kMaxSignatureLines) +
                             " signature lines");
    }
    const size_t end = block.find('\n');
    ACTLEDGER_ASSIGN_OR_RETURN(SignatureLine line,
                               ParseSignatureLine(block.substr(0, end)));
    block.remove_prefix(end + 1);
    if (line.name == name_ && std::string_view(line.blob).substr(
                                  0, key_id_.size()) == AsChars(key_id_)) {
      ours.push_back(std::move(line));
    }
  }

  const std::string label = KeyLabel(name_, key_id_);
  if (ours.empty()) return DataLoss("note has no signature by key " + label);
  for (const SignatureLine& line : ours) {
    crypto::Ed25519Signature signature;
    if (line.blob.size() != key_id_.size() + signature.size()) {
      return DataLoss("invalid signature by key " + label);
    }
    const std::string_view signature_bytes =
        std::string_view(line.blob).substr(key_id_.size());
    std::copy(signature_bytes.begin(), signature_bytes.end(),
              signature.begin());
    if (!crypto::Ed25519Verify(public_key_, body, signature)) {
      return DataLoss("invalid signature by key " + label);
    }
  }
  return std::string(body);
}

}  // namespace actledger
