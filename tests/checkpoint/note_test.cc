#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "actledger/checkpoint.h"
#include "common/encoding.h"

namespace actledger {
namespace {

// Known-answer data from Go's golang.org/x/mod/sumdb/note tests
// (note_test.go: TestSign, TestOpen).
constexpr std::string_view kPeterVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterPrivateKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+"
    "Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVerifierKey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
// "\xE2\x80\x94" is U+2014 EM DASH.
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA"
    "M=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

std::string Note(std::string_view text, std::string_view sigs) {
  return std::string(text) + "\n" + std::string(sigs);
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

NoteVerifier Peter() {
  Result<NoteVerifier> v = NoteVerifier::FromVerifierKey(kPeterVerifierKey);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return *v;
}

NoteVerifier Enoch() {
  Result<NoteVerifier> v = NoteVerifier::FromVerifierKey(kEnochVerifierKey);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return *v;
}

merkle::Hash RootFromBase64(std::string_view b64) {
  Result<std::string> raw = Base64Decode(b64);
  merkle::Hash h{};
  EXPECT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), h.size());
  if (raw.ok() && raw->size() == h.size()) {
    std::copy(raw->begin(), raw->end(), h.begin());
  }
  return h;
}

// ---------------------------------------------------------------------------
// Keys

TEST(ComputeKeyId, MatchesGoSumdbNoteKeyHashes) {
  // The public key is the verifier key's base64 after the 0x01 byte.
  Result<std::string> raw =
      Base64Decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 33u);
  std::array<uint8_t, 32> public_key{};
  std::copy(raw->begin() + 1, raw->end(), public_key.begin());
  EXPECT_EQ(ComputeKeyId("PeterNeumann", public_key),
            (KeyId{0xc7, 0x4f, 0x20, 0xa3}));
  EXPECT_NE(ComputeKeyId("PeterNeumanN", public_key),
            (KeyId{0xc7, 0x4f, 0x20, 0xa3}));

  const NoteVerifier peter = Peter();
  EXPECT_EQ(peter.key_id(), (KeyId{0xc7, 0x4f, 0x20, 0xa3}));
  const NoteVerifier enoch = Enoch();
  EXPECT_EQ(enoch.key_id(), (KeyId{0xaf, 0x0c, 0xfe, 0x78}));
}

TEST(NoteSigner, FromPrivateKeyReproducesGoKeyStrings) {
  Result<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivateKey);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), (KeyId{0xc7, 0x4f, 0x20, 0xa3}));
  EXPECT_EQ(signer->VerifierKey(), kPeterVerifierKey);
  EXPECT_EQ(signer->PrivateKey(), kPeterPrivateKey);
}

TEST(NoteSigner, SignMatchesGoSumdbNoteKnownAnswer) {
  Result<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivateKey);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  Result<std::string> note = signer->Sign(kText);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*note, Note(kText, kPeterSig));
}

TEST(NoteSigner, FromPrivateKeyRejectsEveryTruncationAndByteChange) {
  // The mangling loops of Go's TestNewSigner.
  const std::string key(kPeterPrivateKey);
  for (size_t i = 0; i <= key.size(); ++i) {
    for (size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      Result<NoteSigner> s = NoteSigner::FromPrivateKey(key.substr(i, j - i));
      ASSERT_FALSE(s.ok()) << key.substr(i, j - i);
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    }
  }
  for (size_t i = 0; i < key.size(); ++i) {
    std::string bad = key;
    ++bad[i];
    Result<NoteSigner> s = NoteSigner::FromPrivateKey(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(NoteSigner, FromPrivateKeyRejectsMismatchedKeyId) {
  Result<NoteSigner> s = NoteSigner::FromPrivateKey(
      "PRIVATE+KEY+PeterNeumann+c74f20a4+"
      "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("key ID"), std::string::npos);
}

TEST(NoteVerifier, FromVerifierKeyRejectsEveryTruncationAndByteChange) {
  // The mangling loops of Go's TestNewVerifier.
  const std::string key(kPeterVerifierKey);
  for (size_t i = 0; i <= key.size(); ++i) {
    for (size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      Result<NoteVerifier> v =
          NoteVerifier::FromVerifierKey(key.substr(i, j - i));
      ASSERT_FALSE(v.ok()) << key.substr(i, j - i);
      EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    }
  }
  for (size_t i = 0; i < key.size(); ++i) {
    std::string bad = key;
    ++bad[i];
    Result<NoteVerifier> v = NoteVerifier::FromVerifierKey(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(NoteVerifier, FromVerifierKeyRejectsWrongLengthAndAlgorithm) {
  // From Go's TestNewVerifier; both carry a key ID adjusted to match, so
  // only the length and algorithm checks can reject them. Go's long key ends
  // in non-canonical base64 ("EY==") that strict decoding already refuses;
  // "EQ==" is the canonical spelling of the same 37 bytes.
  Result<NoteVerifier> go_long_key = NoteVerifier::FromVerifierKey(
      "PeterNeumann+cc469956+"
      "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==");
  ASSERT_FALSE(go_long_key.ok());
  EXPECT_EQ(go_long_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(go_long_key.status().message().find("base64"), std::string::npos);

  Result<NoteVerifier> long_key = NoteVerifier::FromVerifierKey(
      "PeterNeumann+cc469956+"
      "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEQ==");
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(long_key.status().message().find("32 bytes"), std::string::npos);

  Result<NoteVerifier> other_alg = NoteVerifier::FromVerifierKey(
      "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(other_alg.ok());
  EXPECT_EQ(other_alg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other_alg.status().message().find("algorithm"), std::string::npos);
}

TEST(NoteSigner, GenerateRejectsInvalidKeyNames) {
  for (std::string_view name :
       {std::string_view(""), std::string_view("a+b"), std::string_view("a b"),
        std::string_view("a\nb"), std::string_view("a\tb"),
        std::string_view("a\xC2\xA0"
                         "b"),  // U+00A0 NO-BREAK SPACE
        std::string_view("a\xE3\x80\x80"
                         "b"),  // U+3000 IDEOGRAPHIC SPACE
        std::string_view("\xff"), std::string_view("a\x01")}) {
    Result<NoteSigner> s = NoteSigner::Generate(name);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(NoteSigner, GeneratedKeyRoundTripsThroughKeyStrings) {
  Result<NoteSigner> signer = NoteSigner::Generate("example.com/ledger");
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  const std::string body = "example.com/ledger\n7\nsome line\n";
  Result<std::string> note = signer->Sign(body);
  ASSERT_TRUE(note.ok()) << note.status().ToString();

  Result<NoteVerifier> verifier =
      NoteVerifier::FromVerifierKey(signer->VerifierKey());
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  EXPECT_EQ(verifier->name(), "example.com/ledger");
  EXPECT_EQ(verifier->key_id(), signer->key_id());
  Result<std::string> opened = verifier->Open(*note);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, body);

  // Reloading the private key gives the same key: Ed25519 is deterministic.
  Result<NoteSigner> reloaded =
      NoteSigner::FromPrivateKey(signer->PrivateKey());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->VerifierKey(), signer->VerifierKey());
  Result<std::string> again = reloaded->Sign(body);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *note);
}

TEST(NoteSigner, GeneratedKeysDiffer) {
  Result<NoteSigner> a = NoteSigner::Generate("log");
  Result<NoteSigner> b = NoteSigner::Generate("log");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->VerifierKey(), b->VerifierKey());
  Result<std::string> note = a->Sign("x\n");
  ASSERT_TRUE(note.ok());
  Result<NoteVerifier> vb = NoteVerifier::FromVerifierKey(b->VerifierKey());
  ASSERT_TRUE(vb.ok());
  // Same name, different key ID: b finds no signature of its own.
  Result<std::string> opened = vb->Open(*note);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
}

TEST(NoteSigner, SignRejectsBodiesOpenWouldReject) {
  Result<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivateKey);
  ASSERT_TRUE(signer.ok());
  for (std::string_view body :
       {std::string_view(""), std::string_view("abc"), std::string_view("\n"),
        std::string_view("a\n\nb\n"), std::string_view("\na\n"),
        std::string_view("a\r\n"), std::string_view("\xff\n")}) {
    Result<std::string> note = signer->Sign(body);
    ASSERT_FALSE(note.ok()) << body;
    EXPECT_EQ(note.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(NoteSigner, SignsNonAsciiUtf8Body) {
  Result<NoteSigner> signer = NoteSigner::FromPrivateKey(kPeterPrivateKey);
  ASSERT_TRUE(signer.ok());
  const std::string body = "caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x93\x9C\n";
  Result<std::string> note = signer->Sign(body);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  Result<std::string> opened = Peter().Open(*note);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, body);
}

// ---------------------------------------------------------------------------
// Open

TEST(NoteVerifier, OpensGoSumdbNoteKnownAnswer) {
  Result<std::string> body = Peter().Open(Note(kText, kPeterSig));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, kText);
}

TEST(NoteVerifier, IgnoresSignaturesByOtherKeys) {
  const std::string note =
      Note(kText, std::string(kPeterSig) + std::string(kEnochSig));
  Result<std::string> by_peter = Peter().Open(note);
  ASSERT_TRUE(by_peter.ok()) << by_peter.status().ToString();
  EXPECT_EQ(*by_peter, kText);
  Result<std::string> by_enoch = Enoch().Open(note);
  ASSERT_TRUE(by_enoch.ok()) << by_enoch.status().ToString();
  EXPECT_EQ(*by_enoch, kText);
}

TEST(NoteVerifier, RejectsNoteSignedOnlyByAnotherKey) {
  Result<std::string> body = Peter().Open(Note(kText, kEnochSig));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(body.status().message().find("no signature"), std::string::npos);
}

TEST(NoteVerifier, RejectsAlteredBodyByte) {
  const std::string note =
      Replace(Note(kText, kPeterSig), "cryptography", "cryptographY");
  Result<std::string> body = Peter().Open(note);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(body.status().message().find("invalid signature"),
            std::string::npos);
}

TEST(NoteVerifier, RejectsEveryAlteredSignatureByte) {
  // Decode the line, change one byte of the 64-byte signature, re-encode:
  // the line stays well formed and still names Peter's key.
  const std::string_view b64 = kPeterSig.substr(
      kPeterSig.rfind(' ') + 1, kPeterSig.size() - kPeterSig.rfind(' ') - 2);
  Result<std::string> blob = Base64Decode(b64);
  ASSERT_TRUE(blob.ok());
  ASSERT_EQ(blob->size(), 68u);
  for (size_t i = 4; i < blob->size(); ++i) {
    std::string bad = *blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const std::string line =
        "\xE2\x80\x94 PeterNeumann " + Base64Encode(bad) + "\n";
    Result<std::string> body = Peter().Open(Note(kText, line));
    ASSERT_FALSE(body.ok()) << "byte " << i;
    EXPECT_EQ(body.status().code(), StatusCode::kDataLoss) << "byte " << i;
  }
}

TEST(NoteVerifier, RejectsSignatureOfWrongLengthUnderOurKey) {
  // Go's "invalid signature" case: four base64 characters spliced into the
  // signature make it 71 bytes.
  const std::string line = std::string(kPeterSig.substr(0, 60)) + "ABCD" +
                           std::string(kPeterSig.substr(60));
  Result<std::string> body = Peter().Open(Note(kText, line));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
}

TEST(NoteVerifier, RejectsBadSignatureUnderOurKeyEvenBesideAGoodOne) {
  // Stricter than Go, which checks only the first line per key.
  const std::string bad_line = std::string(kPeterSig.substr(0, 60)) + "ABCD" +
                               std::string(kPeterSig.substr(60));
  for (const std::string& sigs :
       {std::string(kPeterSig) + bad_line, bad_line + std::string(kPeterSig)}) {
    Result<std::string> body = Peter().Open(Note(kText, sigs));
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
  }
}

TEST(NoteVerifier, AcceptsRepeatedValidSignature) {
  Result<std::string> body =
      Peter().Open(Note(kText, Repeat(kPeterSig, 2) + std::string(kEnochSig)));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, kText);
}

TEST(NoteVerifier, IgnoresSignatureWithWrongKeyId) {
  // Go's wrongHash case: the line names Peter but another key ID, so it is
  // some other key's signature and the note has none of ours.
  const std::string note = Replace(Note(kText, kPeterSig), "x08g", "xxxx");
  Result<std::string> body = Peter().Open(note);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(body.status().message().find("no signature"), std::string::npos);
}

TEST(NoteVerifier, IgnoresSignatureWithWrongKeyName) {
  const std::string note =
      Replace(Note(kText, kPeterSig), "PeterNeumann", "CarmenSandiego");
  Result<std::string> body = Peter().Open(note);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kDataLoss);
}

TEST(NoteVerifier, RejectsEveryTruncation) {
  const std::string note = Note(kText, kPeterSig);
  for (size_t len = 0; len < note.size(); ++len) {
    Result<std::string> body = Peter().Open(note.substr(0, len));
    ASSERT_FALSE(body.ok()) << "length " << len;
    EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument)
        << "length " << len;
  }
}

TEST(NoteVerifier, RejectsMalformedNotes) {
  const std::string text(kText);
  const std::string sig(kPeterSig);
  const std::string dash = "\xE2\x80\x94 ";
  const std::string b64 =
      "x08go/ZJkuBS9UG/"
      "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJ"
      "nAM=";
  const std::string cases[] = {
      // Go's badMsgs.
      text,
      text + "\n",
      text + "\n" + sig.substr(0, sig.size() - 1),
      "\x01" + text + "\n" + sig,
      "\xff" + text + "\n" + sig,
      text + "\n" + dash + "Bad Name " + b64 + "\n",
      text + "\n" + sig + "Unexpected line.\n",
      // Empty lines in the body or among the signatures.
      "first\n\nsecond\n\n" + sig,
      "\n" + text + "\n" + sig,
      text + "\n\n" + sig,
      text + "\n" + sig + "\n",
      // Malformed signature lines.
      text + "\n-- PeterNeumann " + b64 + "\n",
      text + "\n" + dash + "PeterNeumann\n",
      text + "\n" + dash + "PeterNeumann  " + b64 + "\n",
      text + "\n" + dash + "PeterNeumann " + b64 + " \n",
      text + "\n" + dash + "Peter+Neumann " + b64 + "\n",
      text + "\n" + dash + " " + b64 + "\n",
      text + "\n" + dash + "PeterNeumann AAAAAA==\n",  // shorter than 5 bytes
      text + "\n" + dash + "PeterNeumann " + b64.substr(1) + "\n",
      text + "\n" + dash + "PeterNeumann " + b64 + "\r\n",
      // Not UTF-8: overlong '/', a surrogate, a truncated sequence.
      "over\xC0\xAFlong\n\n" + sig,
      "sur\xED\xA0\x80rogate\n\n" + sig,
      "cut\xE2\x80\n\n" + sig,
  };
  for (const std::string& note : cases) {
    Result<std::string> body = Peter().Open(note);
    ASSERT_FALSE(body.ok()) << note;
    EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument) << note;
  }
}

TEST(NoteVerifier, RejectsMoreThanOneHundredSignatures) {
  Result<std::string> at_limit =
      Peter().Open(Note(kText, Repeat(kPeterSig, 100)));
  EXPECT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  Result<std::string> over = Peter().Open(Note(kText, Repeat(kPeterSig, 101)));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("100"), std::string::npos);
}

TEST(NoteVerifier, RejectsOversizedNote) {
  const std::string body = Repeat(std::string(1023, 'a') + "\n", 1025);
  Result<std::string> opened = Peter().Open(Note(body, kPeterSig));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("larger"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Checkpoints

// The example of the C2SP tlog-checkpoint specification.
constexpr std::string_view kC2spCheckpoint =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

TEST(Checkpoint, FormatMatchesC2spExample) {
  Checkpoint cp;
  cp.origin = "example.com/behind-the-sofa";
  cp.size = 20852163;
  cp.root = RootFromBase64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_EQ(FormatCheckpoint(cp), kC2spCheckpoint);
}

TEST(Checkpoint, ParseReadsC2spExample) {
  Result<Checkpoint> cp = ParseCheckpoint(kC2spCheckpoint);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
  EXPECT_EQ(cp->root,
            RootFromBase64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="));
  EXPECT_TRUE(cp->extensions.empty());
}

TEST(Checkpoint, FormatParseRoundTripsWithExtensions) {
  Checkpoint cp;
  cp.origin = "example.com/ledger";
  cp.size = UINT64_MAX;
  for (size_t i = 0; i < cp.root.size(); ++i) {
    cp.root[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  cp.extensions = {"timestamp 1700000000", "x \xE2\x80\x94 y"};
  const std::string text = FormatCheckpoint(cp);
  EXPECT_NE(text.find("\n18446744073709551615\n"), std::string::npos);
  Result<Checkpoint> parsed = ParseCheckpoint(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, cp.origin);
  EXPECT_EQ(parsed->size, cp.size);
  EXPECT_EQ(parsed->root, cp.root);
  EXPECT_EQ(parsed->extensions, cp.extensions);
  EXPECT_EQ(FormatCheckpoint(*parsed), text);
}

TEST(Checkpoint, ParseAcceptsEmptyTree) {
  Checkpoint cp;
  cp.origin = "o";
  cp.size = 0;
  Result<Checkpoint> parsed = ParseCheckpoint(FormatCheckpoint(cp));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->size, 0u);
}

TEST(Checkpoint, SignedCheckpointOpensAndParses) {
  Result<NoteSigner> signer = NoteSigner::Generate("example.com/ledger");
  ASSERT_TRUE(signer.ok());
  Checkpoint cp;
  cp.origin = "example.com/ledger";
  cp.size = 42;
  cp.root.fill(0xab);
  Result<std::string> note = signer->Sign(FormatCheckpoint(cp));
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  Result<NoteVerifier> verifier =
      NoteVerifier::FromVerifierKey(signer->VerifierKey());
  ASSERT_TRUE(verifier.ok());
  Result<std::string> body = verifier->Open(*note);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  Result<Checkpoint> parsed = ParseCheckpoint(*body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->size, 42u);
  EXPECT_EQ(parsed->root, cp.root);
}

void ExpectRejected(std::string_view body, std::string_view field) {
  Result<Checkpoint> cp = ParseCheckpoint(body);
  ASSERT_FALSE(cp.ok()) << body;
  EXPECT_EQ(cp.status().code(), StatusCode::kInvalidArgument) << body;
  EXPECT_EQ(cp.status().field(), field) << body;
}

constexpr std::string_view kRoot =
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

std::string Body(std::string_view size, std::string_view root = kRoot) {
  return "o\n" + std::string(size) + "\n" + std::string(root) + "\n";
}

TEST(Checkpoint, ParseRejectsNonCanonicalTreeSize) {
  for (std::string_view size :
       {"", "00", "01", "020852163", "+1", "-1", " 1", "1 ", "1.0", "0x10",
        "18446744073709551616", "99999999999999999999"}) {
    SCOPED_TRACE(size);
    ExpectRejected(Body(size), "size");
  }
}

TEST(Checkpoint, ParseRejectsBadRootHash) {
  ExpectRejected(Body("1", "not base64!"), "root");
  ExpectRejected(Body("1", kRoot.substr(0, 43)), "root");  // bad padding
  ExpectRejected(Body("1", "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J="),
                 "root");  // non-canonical trailing bits
  ExpectRejected(Body("1", Base64Encode(std::string(31, 'x'))), "root");
  ExpectRejected(Body("1", Base64Encode(std::string(33, 'x'))), "root");
  ExpectRejected(Body("1", ""), "root");
}

TEST(Checkpoint, ParseRejectsMissingTrailingNewline) {
  const std::string body(kC2spCheckpoint);
  ExpectRejected(body.substr(0, body.size() - 1), "");
  ExpectRejected(body + "ext", "");
}

TEST(Checkpoint, ParseRejectsMalformedLines) {
  ExpectRejected("", "");
  ExpectRejected("o\n1\n", "");  // no root line
  ExpectRejected("\n1\n" + std::string(kRoot) + "\n", "origin");
  ExpectRejected(std::string(kC2spCheckpoint) + "\n", "extensions");
  ExpectRejected(std::string(kC2spCheckpoint) + "ext\n\n", "extensions");
  ExpectRejected("o\r\n1\n" + std::string(kRoot) + "\n", "");    // control char
  ExpectRejected("o\xff\n1\n" + std::string(kRoot) + "\n", "");  // not UTF-8
}

}  // namespace
}  // namespace actledger
