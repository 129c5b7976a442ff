#!/usr/bin/env bash
# End-to-end test of the independent auditor tool (tools/audit/actledger_audit.py)
# against the real actledger binary: checkpoints, records and proofs produced
# by the binary must verify; tampered ones must be rejected with exit 1.
#
# usage: run_audit_test.sh ACTLEDGER_BIN AUDIT_TOOL_PY
# The tool runs under Debian's /usr/bin/python3 (with python3-cryptography)
# when present; set PYTHON to use another interpreter.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 ACTLEDGER_BIN AUDIT_TOOL_PY" >&2
  exit 2
fi
BIN=$(realpath "$1")
TOOL=$(realpath "$2")
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/actledger-audit-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

failures=0
checks=0

al() { "$BIN" --data "$WORK/ledger" "$@"; }
audit() { "$PYTHON" "$TOOL" "$@"; }

# expect RC DESCRIPTION COMMAND...: runs the command, checks its exit status.
expect() {
  local want=$1 desc=$2
  shift 2
  local rc=0
  "$@" >"$WORK/out" 2>&1 || rc=$?
  checks=$((checks + 1))
  if [[ $rc -eq $want ]]; then
    echo "ok   ($rc) $desc"
    # For rejections, show why (the tool's first line on stderr).
    [[ $rc -eq 0 ]] || sed -n '1s/^/       -> /p' "$WORK/out"
  else
    echo "FAIL $desc: exit $rc, expected $want; output:"
    sed 's/^/     /' "$WORK/out"
    failures=$((failures + 1))
  fi
}

# mutate IN OUT MODE: writes a copy of IN with one byte changed.
mutate() {
  "$PYTHON" - "$@" <<'PY'
import base64, json, sys
src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
data = bytearray(open(src, "rb").read())
if mode == "middle-byte":            # one byte in the middle of the file
    i = len(data) // 2
    data[i] = ord("X") if data[i] != ord("X") else ord("Y")
elif mode == "signature-byte":       # one byte of the Ed25519 signature in the last line
    text = data.decode()
    head, _, line = text[:-1].rpartition("\n")
    prefix, _, b64 = line.rpartition(" ")
    sig = bytearray(base64.b64decode(b64))
    sig[4 + 10] ^= 0x01               # after the 4-byte key id
    data = (head + "\n" + prefix + " " + base64.b64encode(sig).decode() + "\n").encode()
elif mode == "root-byte":            # one base64 digit of the signed root
    lines = data.decode().split("\n")
    lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
    data = "\n".join(lines).encode()
elif mode == "size-line":            # the signed size line: 80 -> 81
    lines = data.decode().split("\n")
    lines[1] = str(int(lines[1]) + 1)
    data = "\n".join(lines).encode()
elif mode == "path-hash":            # one hex digit of the first proof hash
    proof = json.loads(data)
    h = proof["path"][0]
    proof["path"][0] = ("0" if h[0] != "0" else "1") + h[1:]
    data = json.dumps(proof, separators=(",", ":")).encode()
elif mode == "drop-path":            # the last proof hash removed
    proof = json.loads(data)
    proof["path"].pop()
    data = json.dumps(proof, separators=(",", ":")).encode()
else:
    sys.exit("unknown mode " + mode)
open(dst, "wb").write(bytes(data))
PY
}

echo "binary: $BIN"
echo "tool:   $TOOL (python: $PYTHON)"

# --- a ledger with checkpoints at 50 and 80 records ---------------------------
al init --origin audit-test.example/ledger >/dev/null
# `init` may itself record entries (e.g. the initial admin grant); count them
# from a checkpoint so that the tree sizes below are exactly 50 and 80.
al checkpoint >cp_init.txt
base=$(sed -n 2p cp_init.txt)
echo "records written by init: $base"
if ((base >= 50)); then
  echo "FAIL init wrote $base records; expected fewer than 50" >&2
  exit 1
fi
al gen --seed 1 --count $((50 - base)) | al append >/dev/null
al checkpoint >cp50.txt
al gen --seed 2 --count 30 | al append >/dev/null
al checkpoint >cp80.txt
for pair in cp50.txt:50 cp80.txt:80; do
  if [[ $(sed -n 2p "${pair%%:*}") != "${pair##*:}" ]]; then
    echo "FAIL ${pair%%:*} does not have tree size ${pair##*:}:" >&2
    cat "${pair%%:*}" >&2
    exit 1
  fi
done
al pubkey >vkey.txt
KEY=$(cat vkey.txt)
echo "verifier key: $KEY"

# --- positive cases -----------------------------------------------------------
expect 0 "note: checkpoint at 50 verifies" audit note "$KEY" cp50.txt
grep -qx "size: 50" "$WORK/out" || { echo "FAIL note output lacks 'size: 50'"; failures=$((failures + 1)); }
expect 0 "note: checkpoint at 80 verifies (key read from a file)" audit note vkey.txt cp80.txt
grep -qx "size: 80" "$WORK/out" || { echo "FAIL note output lacks 'size: 80'"; failures=$((failures + 1)); }

for seq in 0 1 2 31 48 49 50 63 64 78 79; do
  al get "$seq" >"rec$seq.json"
  al proof inclusion "$seq" --size 80 >"incl$seq.json"
  expect 0 "inclusion of record $seq in the checkpoint at 80" \
    audit inclusion "$KEY" cp80.txt "rec$seq.json" "incl$seq.json"
done
for seq in 0 17 49; do
  [[ -f rec$seq.json ]] || al get "$seq" >"rec$seq.json"
  al proof inclusion "$seq" --size 50 >"incl50_$seq.json"
  expect 0 "inclusion of record $seq in the checkpoint at 50" \
    audit inclusion "$KEY" cp50.txt "rec$seq.json" "incl50_$seq.json"
done

al proof consistency 50 80 >cons.json
expect 0 "consistency 50 -> 80" audit consistency "$KEY" cp50.txt cp80.txt cons.json
al proof consistency 80 80 >cons_same.json
expect 0 "consistency 80 -> 80" audit consistency "$KEY" cp80.txt cp80.txt cons_same.json

# --- negative cases: each must fail with exit 1 -------------------------------
mutate rec31.json rec31_bad.json middle-byte
expect 1 "record with one byte changed" audit inclusion "$KEY" cp80.txt rec31_bad.json incl31.json
expect 1 "another record's bytes with record 31's proof" \
  audit inclusion "$KEY" cp80.txt rec50.json incl31.json
printf '%s' "$(cat rec31.json)" >rec31_nonl.json
printf '%s\n\n' "$(cat rec31.json)" >rec31_2nl.json
expect 0 "record file without its trailing newline (same bytes)" \
  audit inclusion "$KEY" cp80.txt rec31_nonl.json incl31.json
expect 1 "record with an extra trailing newline" audit inclusion "$KEY" cp80.txt rec31_2nl.json incl31.json

mutate cp80.txt cp80_badsig.txt signature-byte
expect 1 "note with one signature byte changed" audit note "$KEY" cp80_badsig.txt
expect 1 "inclusion against a note with a bad signature" \
  audit inclusion "$KEY" cp80_badsig.txt rec31.json incl31.json
mutate cp80.txt cp80_badsize.txt size-line
expect 1 "note with its signed size changed" audit note "$KEY" cp80_badsize.txt
mutate cp80.txt cp80_badroot.txt root-byte
expect 1 "note with its signed root changed" audit note "$KEY" cp80_badroot.txt
mutate cp80.txt cp80_badbyte.txt middle-byte
expect 1 "note with its middle byte changed" audit note "$KEY" cp80_badbyte.txt

mutate incl31.json incl31_bad.json path-hash
expect 1 "inclusion proof with a hash changed" audit inclusion "$KEY" cp80.txt rec31.json incl31_bad.json
mutate incl31.json incl31_short.json drop-path
expect 1 "inclusion proof with a hash missing" audit inclusion "$KEY" cp80.txt rec31.json incl31_short.json
expect 1 "inclusion proof for size 50 against the checkpoint at 80" \
  audit inclusion "$KEY" cp80.txt rec17.json incl50_17.json

mutate cons.json cons_bad.json path-hash
expect 1 "consistency proof with a hash changed" audit consistency "$KEY" cp50.txt cp80.txt cons_bad.json
mutate cons.json cons_short.json drop-path
expect 1 "consistency proof with a hash missing" audit consistency "$KEY" cp50.txt cp80.txt cons_short.json
expect 1 "consistency with the checkpoints swapped (rollback)" \
  audit consistency "$KEY" cp80.txt cp50.txt cons.json
expect 1 "consistency with a forged new checkpoint" \
  audit consistency "$KEY" cp50.txt cp80_badsig.txt cons.json

# A different ledger with the same origin: its key has the same name but
# another key id, so the real checkpoints carry no signature by it.
"$BIN" --data "$WORK/other" init --origin audit-test.example/ledger >/dev/null
OTHER_KEY=$("$BIN" --data "$WORK/other" pubkey)
expect 1 "note checked with the wrong verifier key" audit note "$OTHER_KEY" cp80.txt
expect 1 "inclusion checked with the wrong verifier key" \
  audit inclusion "$OTHER_KEY" cp80.txt rec31.json incl31.json
expect 1 "consistency checked with the wrong verifier key" \
  audit consistency "$OTHER_KEY" cp50.txt cp80.txt cons.json
# The other ledger's own checkpoint (same origin, its own key) is not ours.
"$BIN" --data "$WORK/other" gen --seed 1 --count 50 | "$BIN" --data "$WORK/other" append >/dev/null
"$BIN" --data "$WORK/other" checkpoint >other50.txt
expect 1 "a checkpoint signed by another key" audit note "$KEY" other50.txt

# --- usage errors: exit 2 -------------------------------------------------------
expect 2 "no arguments" audit
expect 2 "unknown command" audit frobnicate
expect 2 "malformed verifier key" audit note "not-a-key" cp80.txt
expect 2 "missing note file" audit note "$KEY" "$WORK/does-not-exist"

echo "$checks checks, $failures failed"
[[ $failures -eq 0 ]]
