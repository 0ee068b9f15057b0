#!/bin/sh
# Attestation outside the core: the tokens make-token writes for the
# verifier tests (names, JSON shape, CBOR heads), `rmmctl keys` (the state
# directory and key files created private, reused, printed as PEM and
# COSE_Key), and the key options of the daemon and rmm-run: good keys are
# used, bad key files refused with a message naming the file.
#
# Environment (set by make check): top_srcdir, top_builddir.
set -u

builddir=${top_builddir:-.}
rmmctl=$builddir/tools/rmmctl
rmm_run=$builddir/tools/rmm-run
daemon=$builddir/daemon/rmmemu
make_token=$builddir/tools/tests/make-token
. "${top_srcdir:-.}/tools/tests/checks.sh"

checks_tmpdir attest

mode() {
	stat -c %a "$1"
}

# The first bytes of a file, in hex.
head_hex() {
	od -An -tx1 -N"$2" "$1" | tr -d ' \n'
}

# --- make-token ------------------------------------------------------------------

expect "make-token without OUTDIR" 2 "usage: make-token OUTDIR" "$make_token"
expect "make-token" 0 "PASSED" "$make_token" "$tmp/tokens"
for alg in sha256 sha512; do
	tok=$tmp/tokens/token-$alg.cbor
	# spec: tag 399 around a map of two (attestation.md 1).
	check "token-$alg.cbor: D9 01 8F A2 19 AC CA" \
		test "$(head_hex "$tok" 7)" = d9018fa219acca
	check_python "token-$alg.json: the verifier tests' keys" - "$tmp/tokens" "$alg" <<'EOF'
import json, sys
d, alg = sys.argv[1], sys.argv[2]
j = json.load(open(f"{d}/token-{alg}.json"))
size = 32 if alg == "sha256" else 64
assert sorted(j) == ["challenge", "hash_algo", "rems", "rim", "rpv"], sorted(j)
assert j["hash_algo"] == {"sha256": "sha-256", "sha512": "sha-512"}[alg]
assert j["challenge"] == bytes(range(64)).hex()
assert len(bytes.fromhex(j["rpv"])) == 64
assert len(bytes.fromhex(j["rim"])) == size
assert len(j["rems"]) == 4 and all(len(bytes.fromhex(r)) == size for r in j["rems"])
# REM0 and REM2 extended, REM1 and REM3 not.
assert [r == "00" * size for r in j["rems"]] == [False, True, False, True]
EOF
done
check "platform-key.pem is a public key" grep -q "BEGIN PUBLIC KEY" "$tmp/tokens/platform-key.pem"

# --- rmmctl keys -------------------------------------------------------------------

state=$tmp/state/rmmemu
expect "keys: creates the state directory" 0 "^platform key \(signs platform tokens\): $state/platform-key.pem" \
	"$rmmctl" keys --state-dir "$state"
cp "$tmp/out" "$tmp/keys1"
check "keys: state directory 0700" test "$(mode "$state")" = 700
check "keys: platform-key.pem 0600" test "$(mode "$state/platform-key.pem")" = 600
check "keys: realm-key.pem 0600" test "$(mode "$state/realm-key.pem")" = 600
check "keys: two keys, nothing else" test "$(ls -A "$state" | wc -l)" -eq 2
"$rmmctl" keys --state-dir "$state" >"$tmp/keys2" 2>&1
check "keys: reused on the second run" cmp -s "$tmp/keys1" "$tmp/keys2"
check "keys: two public keys in PEM" test "$(grep -c "BEGIN PUBLIC KEY" "$tmp/keys1")" -eq 2
check "keys: COSE_Key hex of P-384 keys (107 bytes)" \
	test "$(grep -Ec "^  COSE_Key: a401022002215830[0-9a-f]{96}225830[0-9a-f]{96}$" "$tmp/keys1")" -eq 2
check_python "keys: the PEM and COSE_Key are the key files' keys" - "$state" "$tmp/keys1" <<'EOF'
import base64, re, sys
state, out = sys.argv[1], open(sys.argv[2]).read()
def der(pem):
    body = re.search(r"-----BEGIN [A-Z ]+-----\n(.*?)-----END", pem, re.S).group(1)
    return base64.b64decode(body)
pems = re.findall(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", out, re.S)
coses = re.findall(r"^  COSE_Key: ([0-9a-f]+)$", out, re.M)
assert len(pems) == 2 and len(coses) == 2
for name, pem, cose in zip(("platform-key.pem", "realm-key.pem"), pems, coses):
    k = bytes.fromhex(cose)
    point = b"\x04" + k[8:56] + k[59:107]
    # SubjectPublicKeyInfo ends with the point; the private key file holds it.
    assert der(pem).endswith(point), name
    assert point in der(open(f"{state}/{name}").read()), name
EOF
expect "keys --json" 0 "" "$rmmctl" keys --state-dir "$state" --json
check_python "keys --json: the documented object" - "$tmp/out" "$state" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
state = sys.argv[2]
assert j["state_dir"] == state
for k, f in (("platform_key", "platform-key.pem"), ("realm_key", "realm-key.pem")):
    assert j[k]["file"] == f"{state}/{f}"
    assert j[k]["pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert len(bytes.fromhex(j[k]["cose_key"])) == 107
assert len(bytes.fromhex(j["platform_key"]["implementation_id"])) == 32
assert bytes.fromhex(j["platform_key"]["instance_id"])[:1] == b"\x01"
EOF
mkdir -p "$tmp/xdg"
expect "keys: default \$XDG_STATE_HOME/rmmemu" 0 "^state directory: $tmp/xdg/rmmemu$" \
	env XDG_STATE_HOME="$tmp/xdg" "$rmmctl" keys
expect "keys: unexpected argument" 2 "unexpected argument 'x'" "$rmmctl" keys x
expect "keys: listed in help" 0 "^  keys \[--state-dir DIR\] \[--json\]" "$rmmctl" help
chmod 0644 "$state/realm-key.pem"
expect "keys: a key open to others is refused" 1 "realm-key.pem: a private key open to other users" \
	"$rmmctl" keys --state-dir "$state"
chmod 0600 "$state/realm-key.pem"

# --- the daemon and rmm-run --------------------------------------------------------

echo "junk" >"$tmp/bad.pem"
printf '\0\0\0\0' >"$tmp/image.bin"
expect "daemon: --help" 0 "--state-dir DIR" "$daemon" --help
expect "daemon: bad --platform-key" 1 "bad.pem: not an unencrypted PEM private key" \
	"$daemon" --socket "$tmp/sock" --platform-key "$tmp/bad.pem" --state-dir "$state"
mkdir -m 0755 "$tmp/open"
expect "daemon: state directory open to others" 1 "/open holds private keys but is open to other users" \
	"$daemon" --socket "$tmp/sock" --state-dir "$tmp/open"
expect "rmm-run: --help" 0 "--realm-key PEM" "$rmm_run" --help
expect "rmm-run: bad --realm-key" 1 "bad.pem: not an unencrypted PEM private key" \
	"$rmm_run" --realm-key "$tmp/bad.pem" "$tmp/image.bin"
expect "rmm-run: keys with --socket" 2 "the daemon at --socket attests with its own" \
	"$rmm_run" --socket "$tmp/sock" --state-dir "$state" "$tmp/image.bin"
# Good keys: rmm-run builds the realm (exit 4 without an executor, else the
# 4 zero bytes are no program it can run to its end).
"$rmm_run" --state-dir "$tmp/state2" --timeout 5 "$tmp/image.bin" >"$tmp/out" 2>&1
check "rmm-run: keys generated in --state-dir, the realm built" \
	sh -c "grep -q '^rmm-run: RIM ' '$tmp/out' && test -f '$tmp/state2/realm-key.pem'"

"$daemon" --socket "$tmp/sock" --state-dir "$tmp/state3" --log-level info 2>"$tmp/daemon.err" &
daemon_pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -S "$tmp/sock" ] && break
	sleep 0.1
done
check "daemon: starts with keys generated in --state-dir" \
	sh -c "test -S '$tmp/sock' && test \"\$(stat -c %a '$tmp/state3/platform-key.pem')\" = 600"
kill "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
daemon_pid=
check "daemon: says which keys it generated" grep -q "generated $tmp/state3/realm-key.pem" \
	"$tmp/daemon.err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
