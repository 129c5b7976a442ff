#!/usr/bin/env python3
"""actledger_audit: an independent verifier for actledger checkpoints and proofs.

Written from the public specifications only, not from actledger's code:

  * C2SP signed-note (https://c2sp.org/signed-note), Ed25519 signatures, and the
    verifier-key encoding of Go's golang.org/x/mod/sumdb/note:
        <name>+<hex key id>+<base64(0x01 || 32-byte public key)>
        key id = SHA-256(name || "\\n" || 0x01 || public key)[0:4]
  * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note body is
        origin "\\n" size "\\n" base64(root) "\\n" *(extension "\\n")
  * RFC 6962 / RFC 9162 Merkle trees: leaf hash = SHA-256(0x00 || bytes),
    node hash = SHA-256(0x01 || left || right); inclusion proofs verified with
    RFC 9162 section 2.1.3.2, consistency proofs with section 2.1.4.2.
  * RFC 8785 (JSON Canonicalization Scheme) for the records' stored form.

Usage:
  actledger_audit.py note        VERIFIER_KEY NOTE_FILE
  actledger_audit.py inclusion   VERIFIER_KEY NOTE_FILE RECORD_FILE PROOF_JSON
  actledger_audit.py consistency VERIFIER_KEY OLD_NOTE NEW_NOTE PROOF_JSON

VERIFIER_KEY is the key string itself or a file holding it (`actledger pubkey`).
Exit status: 0 verified, 1 verification failed, 2 usage error / unreadable input.

Needs Python 3 and the `cryptography` package (Debian: python3-cryptography).
"""

import base64
import binascii
import hashlib
import json
import math
import os
import sys

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

USAGE = """usage:
  actledger_audit.py note        VERIFIER_KEY NOTE_FILE
  actledger_audit.py inclusion   VERIFIER_KEY NOTE_FILE RECORD_FILE PROOF_JSON
  actledger_audit.py consistency VERIFIER_KEY OLD_NOTE NEW_NOTE PROOF_JSON

VERIFIER_KEY: "<name>+<hex key id>+<base64 key>" (from `actledger pubkey`) or a
file containing it. NOTE_FILE: a checkpoint (`actledger checkpoint`).
RECORD_FILE: the output of `actledger get SEQ`. PROOF_JSON: the output of
`actledger proof inclusion SEQ --size N` or `actledger proof consistency OLD NEW`.
Exit status: 0 verified, 1 verification failed, 2 usage error."""


class Failure(Exception):
    """Verification failed: the input is not what an honest ledger produces."""


class UsageError(Exception):
    """Bad invocation or unreadable input."""


def warn(msg):
    print("WARNING: " + msg, file=sys.stderr)


# --------------------------------------------------------------------------
# Hashing (RFC 6962 / RFC 9162 section 2.1)

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


# --------------------------------------------------------------------------
# Verifier key (Go sumdb/note encoding)

ALG_ED25519 = 0x01


class VerifierKey:
    def __init__(self, name, key_id, public_key):
        self.name = name
        self.key_id = key_id          # 4 bytes
        self.public_key = public_key  # 32 bytes

    def __str__(self):
        return "%s+%s" % (self.name, self.key_id.hex())


def valid_key_name(name):
    # signed-note: a key name is non-empty, valid UTF-8, and contains no
    # Unicode spaces and no "+".
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def parse_verifier_key(arg):
    text = arg
    if os.path.isfile(arg):  # a file holding the key, e.g. `actledger pubkey > key.txt`
        text = read_file(arg, "verifier key file " + arg).decode("utf-8", "replace")
    text = text.strip()
    # Names contain no "+", so the first two "+" delimit the fields; the
    # base64 key may itself contain "+".
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise UsageError("verifier key must be <name>+<hex key id>+<base64 key>, got %r" % text)
    name, hex_id, b64 = parts
    if not valid_key_name(name):
        raise UsageError("verifier key has an invalid name %r" % name)
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise UsageError("verifier key id must be 8 lowercase hex digits, got %r" % hex_id)
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise UsageError("verifier key: %r is not valid standard base64" % b64)
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise UsageError("verifier key must encode 0x01 (Ed25519) followed by a 32-byte public key")
    pub = raw[1:]
    expected_id = hashlib.sha256(name.encode("utf-8") + b"\n" + raw).digest()[:4]
    if expected_id.hex() != hex_id:
        raise UsageError("verifier key id %s does not match its name and key (should be %s)"
                         % (hex_id, expected_id.hex()))
    return VerifierKey(name, expected_id, pub)


# --------------------------------------------------------------------------
# Signed note (C2SP signed-note) and checkpoint (C2SP tlog-checkpoint)

SIG_PREFIX = "\u2014 "  # EM DASH, space


class Checkpoint:
    def __init__(self, origin, size, root, extensions, text):
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
        self.text = text


def ed25519_verify(public_key, signature, message):
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise UsageError("the Python 'cryptography' package is needed "
                         "(Debian: apt-get install python3-cryptography)")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def open_note(key, data, label):
    """Verifies a signed note with `key`; returns the note text (the signed bytes)."""
    try:
        msg = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failure("%s is not valid UTF-8" % label)
    for c in msg:
        if c < " " and c != "\n":
            raise Failure("%s contains a control character %r" % (label, c))
    # The text ends at the last blank line; the signature lines follow it.
    i = msg.rfind("\n\n")
    if i < 0:
        raise Failure("%s is malformed: no blank line between the text and its signatures" % label)
    text, sigs = msg[:i + 1], msg[i + 2:]
    if not sigs or not sigs.endswith("\n"):
        raise Failure("%s is malformed: no signature lines, or they do not end in a newline" % label)
    found_ours = False
    lines = sigs[:-1].split("\n")
    if len(lines) > 100:
        raise Failure("%s has too many signatures" % label)
    for n, line in enumerate(lines, 1):
        if not line.startswith(SIG_PREFIX):
            raise Failure("%s: signature line %d does not start with '\u2014 '" % (label, n))
        rest = line[len(SIG_PREFIX):]
        sp = rest.find(" ")
        if sp <= 0:
            raise Failure("%s: signature line %d is malformed" % (label, n))
        name, b64 = rest[:sp], rest[sp + 1:]
        try:
            sig = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise Failure("%s: signature line %d is not valid base64" % (label, n))
        if len(sig) < 5:
            raise Failure("%s: signature line %d is too short" % (label, n))
        if name != key.name or sig[:4] != key.key_id:
            continue  # a signature by some other key; not ours to judge
        if len(sig) != 4 + 64:
            raise Failure("%s: the signature by %s has %d bytes, an Ed25519 one has 64"
                          % (label, key, len(sig) - 4))
        if not ed25519_verify(key.public_key, sig[4:], text.encode("utf-8")):
            raise Failure("%s: the signature by %s is INVALID (the note was changed or "
                          "signed by another key)" % (label, key))
        found_ours = True
    if not found_ours:
        signers = []
        for line in lines:
            name, _, b64 = line[len(SIG_PREFIX):].partition(" ")
            signers.append("%s+%s" % (name, base64.b64decode(b64)[:4].hex()))
        raise Failure("%s carries no signature by the verifier key %s (signed by: %s)"
                      % (label, key, ", ".join(signers)))
    return text


def parse_checkpoint(text, label):
    lines = text[:-1].split("\n")  # text ends with "\n"
    if len(lines) < 3:
        raise Failure("%s: a checkpoint needs origin, size and root lines" % label)
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    if not origin:
        raise Failure("%s: empty origin line" % label)
    if not size_s.isascii() or not size_s.isdigit() or (len(size_s) > 1 and size_s[0] == "0"):
        raise Failure("%s: size %r is not a decimal number without leading zeros" % (label, size_s))
    size = int(size_s)
    if size >= 1 << 64:
        raise Failure("%s: size %s does not fit in 64 bits" % (label, size_s))
    try:
        root = base64.b64decode(root_s, validate=True)
    except (binascii.Error, ValueError):
        raise Failure("%s: root %r is not valid standard base64" % (label, root_s))
    if len(root) != 32 or base64.b64encode(root).decode() != root_s:
        raise Failure("%s: root must be the padded base64 of 32 bytes" % label)
    extensions = lines[3:]
    if any(not e for e in extensions):
        raise Failure("%s: empty extension line" % label)
    return Checkpoint(origin, size, root, extensions, text)


def verified_checkpoint(key, path, label):
    data = read_file(path, label)
    text = open_note(key, data, label)
    cp = parse_checkpoint(text, label)
    if cp.origin != key.name:
        warn("%s: origin %r differs from the key name %r" % (label, cp.origin, key.name))
    return cp


# --------------------------------------------------------------------------
# Proof JSON

def parse_hex_hash(s, what):
    if not isinstance(s, str) or len(s) != 64 or any(c not in "0123456789abcdef" for c in s):
        raise Failure("%s is not a 64-digit lowercase hex SHA-256 hash: %r" % (what, s))
    return bytes.fromhex(s)


def parse_uint(obj, field, what):
    v = obj.get(field)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v >= 1 << 64:
        raise Failure("%s: %r must be a non-negative integer, got %r" % (what, field, v))
    return v


def load_proof(path, fields):
    data = read_file(path, "proof " + path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Failure("proof %s is not valid JSON: %s" % (path, e))
    if not isinstance(obj, dict):
        raise Failure("proof %s is not a JSON object" % path)
    for f in fields:
        if f not in obj:
            raise Failure("proof %s has no %r member" % (path, f))
    if not isinstance(obj["path"], list):
        raise Failure("proof %s: 'path' must be an array" % path)
    obj["path"] = [parse_hex_hash(h, "proof path[%d]" % i) for i, h in enumerate(obj["path"])]
    return obj


# --------------------------------------------------------------------------
# RFC 9162 section 2.1.3.2: verifying an inclusion proof

def root_from_inclusion_proof(leaf_index, tree_size, leaf, path):
    if leaf_index >= tree_size:
        raise Failure("leaf index %d is not below the tree size %d" % (leaf_index, tree_size))
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            raise Failure("inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failure("inclusion proof is shorter than the tree requires")
    return r


# --------------------------------------------------------------------------
# RFC 9162 section 2.1.4.2: verifying a consistency proof

def verify_consistency(first, second, first_hash, second_hash, path):
    if first > second:
        raise Failure("old size %d is larger than new size %d" % (first, second))
    if first == second:
        if path:
            raise Failure("a consistency proof between equal sizes must be empty")
        if first_hash != second_hash:
            raise Failure("the two checkpoints have the same size but different roots (a fork)")
        return
    if first == 0:
        if path:
            raise Failure("a consistency proof from the empty tree must be empty")
        return  # the empty tree is a prefix of every tree
    if not path:
        raise Failure("consistency proof is empty")
    path = list(path)
    if first & (first - 1) == 0:  # exact power of two
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failure("consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failure("consistency proof is shorter than the trees require")
    if fr != first_hash:
        raise Failure("consistency proof does not reproduce the OLD root %s (got %s)"
                      % (first_hash.hex(), fr.hex()))
    if sr != second_hash:
        raise Failure("consistency proof does not reproduce the NEW root %s (got %s)"
                      % (second_hash.hex(), sr.hex()))


# --------------------------------------------------------------------------
# RFC 8785 canonical JSON (a check; records with an unusual form only warn)

def es6_number(x):
    """ECMAScript Number.prototype.toString for a finite double (RFC 8785 3.2.2.3)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es6_number(-x)
    # Shortest round-trip digits (Python's repr uses the same criterion).
    r = repr(x)
    mant, _, exp = r.partition("e")
    exp = int(exp) if exp else 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # position of the decimal point relative to the first digit of ip+fp
    point = len(ip) + exp - (len(ip + fp) - len((ip + fp).lstrip("0")))
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return digits + "e" + sign + str(abs(e))
    return digits[0] + "." + digits[1:] + "e" + sign + str(abs(e))


def jcs(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) < 2 ** 53:
            return str(value)
        return es6_number(float(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN or Infinity is not JSON")
        return es6_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        # RFC 8785 3.2.3: members sorted by the UTF-16 code units of their names.
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v)
                              for k, v in items) + "}"
    raise ValueError("unexpected value %r" % (value,))


def check_canonical(record, leaf_index):
    """Returns a list of warnings about the record's canonical form."""
    notes = []

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate member name")
        return dict(pairs)

    def no_constant(name):
        raise ValueError("%s is not JSON" % name)

    try:
        text = record.decode("utf-8")
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        return ["the record is not valid I-JSON (%s)" % e]
    simple = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if simple != text:
        try:
            full = jcs(value)
        except ValueError as e:
            full = None
            notes.append("the record could not be canonicalized: %s" % e)
        if full is None or full != text:
            notes.append("the record's bytes are not in RFC 8785 canonical form")
    if isinstance(value, dict):
        seq = value.get("seq")
        if seq is None:
            notes.append("the record has no 'seq' member")
        elif seq != leaf_index:
            raise Failure("the record says seq %r but the proof places it at leaf index %d"
                          % (seq, leaf_index))
    else:
        notes.append("the record is not a JSON object")
    return notes


def purged_stub(record):
    """(leaf hash, purge record seq) when the record is a purged stub, else None.

    A retention purge replaces a record's content by a stub that keeps the
    removed record's leaf hash (docs/FORMAT.md): the proof is checked with
    that hash, so a stub proves only that SOME record with that hash was
    included, never what it said. Whether the purge was authorized is
    checked by `actledger verify` (the stub's purge record names its seq).
    """
    try:
        value = json.loads(record.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or "purged" not in value:
        return None
    purged = value["purged"]
    hex_hash = value.get("leaf_hash")
    if (not isinstance(purged, dict) or not isinstance(purged.get("by"), int)
            or not isinstance(hex_hash, str)):
        raise Failure("the record is marked purged but its stub is malformed")
    return parse_hex_hash(hex_hash, "stub leaf_hash"), purged["by"]


# --------------------------------------------------------------------------
# Commands

def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (what, e.strerror or e))


def cmd_note(args):
    if len(args) != 2:
        raise UsageError("note takes VERIFIER_KEY NOTE_FILE")
    key = parse_verifier_key(args[0])
    cp = verified_checkpoint(key, args[1], "note " + args[1])
    print("OK: checkpoint signed by %s" % key)
    print("origin: %s" % cp.origin)
    print("size: %d" % cp.size)
    print("root: %s" % cp.root.hex())
    for e in cp.extensions:
        print("extension: %s" % e)
    return EXIT_OK


def cmd_inclusion(args):
    if len(args) != 4:
        raise UsageError("inclusion takes VERIFIER_KEY NOTE_FILE RECORD_FILE PROOF_JSON")
    key = parse_verifier_key(args[0])
    cp = verified_checkpoint(key, args[1], "note " + args[1])
    record = read_file(args[2], "record file " + args[2])
    if record.endswith(b"\n"):
        record = record[:-1]  # `actledger get` ends the stored bytes with one newline
    else:
        warn("record file %s does not end with a newline; hashing it as it is" % args[2])
    proof = load_proof(args[3], ("leaf_index", "tree_size", "path"))
    index = parse_uint(proof, "leaf_index", "proof")
    size = parse_uint(proof, "tree_size", "proof")
    if size != cp.size:
        raise Failure("the proof is for tree size %d but the checkpoint signs size %d "
                      "(ask for `actledger proof inclusion %d --size %d`)"
                      % (size, cp.size, index, cp.size))
    if "root" in proof and parse_hex_hash(proof["root"], "proof root") != cp.root:
        raise Failure("the proof claims root %s but the checkpoint signs root %s"
                      % (proof["root"], cp.root.hex()))
    stub = purged_stub(record)
    leaf = stub[0] if stub else leaf_hash(record)
    root = root_from_inclusion_proof(index, size, leaf, proof["path"])
    if root != cp.root:
        raise Failure("record NOT included: the proof from leaf hash %s gives root %s, "
                      "the checkpoint signs %s (the record or the proof was changed)"
                      % (leaf.hex(), root.hex(), cp.root.hex()))
    for w in check_canonical(record, index):
        warn(w)
    if stub:
        print("OK: record %d was PURGED (content removed by purge record %d); its "
              "leaf hash %s is included in the tree of size %d"
              % (index, stub[1], leaf.hex(), size))
    else:
        print("OK: record %d (leaf hash %s) is included in the tree of size %d"
              % (index, leaf.hex(), size))
    print("root %s signed by %s (origin %s)" % (cp.root.hex(), key, cp.origin))
    return EXIT_OK


def cmd_consistency(args):
    if len(args) != 4:
        raise UsageError("consistency takes VERIFIER_KEY OLD_NOTE NEW_NOTE PROOF_JSON")
    key = parse_verifier_key(args[0])
    old = verified_checkpoint(key, args[1], "old note " + args[1])
    new = verified_checkpoint(key, args[2], "new note " + args[2])
    if old.origin != new.origin:
        raise Failure("the checkpoints are for different logs: %r and %r" % (old.origin, new.origin))
    if old.size > new.size:
        raise Failure("the OLD checkpoint has size %d, more than the NEW one (%d): the log "
                      "was rolled back, or the checkpoints were given in the wrong order"
                      % (old.size, new.size))
    proof = load_proof(args[3], ("old_size", "new_size", "path"))
    old_size = parse_uint(proof, "old_size", "proof")
    new_size = parse_uint(proof, "new_size", "proof")
    if (old_size, new_size) != (old.size, new.size):
        raise Failure("the proof is for sizes %d -> %d but the checkpoints sign %d -> %d "
                      "(ask for `actledger proof consistency %d %d`)"
                      % (old_size, new_size, old.size, new.size, old.size, new.size))
    if "old_root" in proof and parse_hex_hash(proof["old_root"], "proof old_root") != old.root:
        raise Failure("the proof claims old root %s but the old checkpoint signs %s"
                      % (proof["old_root"], old.root.hex()))
    if "new_root" in proof and parse_hex_hash(proof["new_root"], "proof new_root") != new.root:
        raise Failure("the proof claims new root %s but the new checkpoint signs %s"
                      % (proof["new_root"], new.root.hex()))
    verify_consistency(old.size, new.size, old.root, new.root, proof["path"])
    print("OK: the tree of size %d (root %s) is a prefix of the tree of size %d (root %s)"
          % (old.size, old.root.hex(), new.size, new.root.hex()))
    print("both checkpoints signed by %s (origin %s)" % (key, old.origin))
    return EXIT_OK


COMMANDS = {"note": cmd_note, "inclusion": cmd_inclusion, "consistency": cmd_consistency}


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stdout if len(argv) >= 2 else sys.stderr)
        return EXIT_OK if len(argv) >= 2 else EXIT_USAGE
    cmd = COMMANDS.get(argv[1])
    if cmd is None:
        print("actledger_audit: unknown command %r\n%s" % (argv[1], USAGE), file=sys.stderr)
        return EXIT_USAGE
    try:
        return cmd(argv[2:])
    except UsageError as e:
        print("actledger_audit: %s\n%s" % (e, USAGE), file=sys.stderr)
        return EXIT_USAGE
    except Failure as e:
        print("FAILED: %s" % e, file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    try:
        import signal
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet exit under `| head`
    except (AttributeError, ValueError):
        pass
    sys.exit(main(sys.argv))
