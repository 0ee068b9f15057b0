#!/bin/sh
# The attestation token verifiers: "rmmctl verify-token" (C: libcbor and
# OpenSSL) and the independent Node verifier tools/tests/verifier/verify.js
# (node-cbor and Node's crypto), each on
# - the reference RMM's tokens (tools/tests/tokens/): accepted, with their
#   claims equal to the values in their JSON files; the legacy token only
#   with --legacy;
# - broken copies of them (token-mutate.py): a byte changed at a spread of
#   offsets in the realm signature, the realm payload, the realm key claim,
#   the platform signature and the platform payload, truncated, or with bytes
#   after the end: every one rejected (exit status 1);
# - the tokens of tools/tests/make-token, when the build has it.
# Then rmmctl verify-token's command line.
#
# The Node part runs "npm ci" in a copy of the verifier in the build
# directory. Without node or npm it is skipped, except under CI (CI=true),
# where scripts/install-deps must have installed them: there it fails.
#
# Environment (set by make check): top_srcdir, top_builddir.
set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
tokens=$srcdir/tools/tests/tokens
rmmctl=$builddir/tools/rmmctl
cpak=$tokens/tfrmm-platform-cpak.pem
. "$srcdir/tools/tests/checks.sh"

checks_tmpdir verify-token

# A sanitizer report exits with 1 too: it must not pass for a rejection.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=87"
export ASAN_OPTIONS UBSAN_OPTIONS

have_python=no
command -v python3 >/dev/null 2>&1 && have_python=yes

# c_claims NAME TOKEN EXPECT_JSON KEY [OPTIONS]: rmmctl's --json claims
# equal the expected challenge (zero-padded to 64 bytes), rpv (if given),
# rim, rems and hash_algo.
c_claims() {
	name=$1 token=$2 expect=$3 key=$4
	shift 4
	if [ "$have_python" = no ]; then
		echo "SKIP: $name (no python3 to read JSON)"
		return
	fi
	"$rmmctl" verify-token "$@" --json --platform-key "$key" "$token" >"$tmp/c.json" \
		2>"$tmp/err"
	if python3 - "$tmp/c.json" "$expect" >"$tmp/diff" 2>&1 <<'EOF'; then
import json
import sys

got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
realm = got.get("realm", {})
algo = {0: "sha-256", 1: "sha-512"}.get(want["hash_algo"], want["hash_algo"])
pairs = [
    ("verified", got.get("verified"), True),
    ("challenge", realm.get("challenge"), want["challenge"].lower().ljust(128, "0")),
    ("initial-measurement", realm.get("initial-measurement"), want["rim"].lower()),
    ("extensible-measurements", realm.get("extensible-measurements"),
     [r.lower() for r in want["rems"]]),
    ("hash-algo-id", realm.get("hash-algo-id"), algo),
]
if "rpv" in want:
    pairs.append(("personalization-value", realm.get("personalization-value"),
                  want["rpv"].lower()))
bad = ["%s: %s, want %s" % p for p in pairs if p[1] != p[2]]
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/  /' "$tmp/diff" "$tmp/err"
	fi
}

# --- the Node verifier: its own copy in the build directory, npm ci there ----------

node_ok=no
setup_node() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			not_ok "node verifier: no node or npm (scripts/install-deps installs them)"
		else
			echo "SKIP: node verifier: no node or npm (scripts/install-deps installs them)"
		fi
		return
	fi
	vdir=$builddir/tools/tests/verifier
	mkdir -p "$vdir" || {
		not_ok "node verifier: cannot create $vdir"
		return
	}
	# In a build in the source tree the copy is the verifier itself.
	if [ "$(cd "$vdir" && pwd -P)" != "$(cd "$srcdir/tools/tests/verifier" && pwd -P)" ] &&
		! cp "$srcdir/tools/tests/verifier/package.json" \
			"$srcdir/tools/tests/verifier/package-lock.json" \
			"$srcdir/tools/tests/verifier/verify.js" "$vdir/"; then
		not_ok "node verifier: cannot copy it to $vdir"
		return
	fi
	if (cd "$vdir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) \
		>"$tmp/npm.out" 2>&1; then
		ok "node verifier: npm ci ($(node --version))"
		node_ok=yes
	else
		not_ok "node verifier: npm ci failed"
		sed 's/^/  /' "$tmp/npm.out"
	fi
}
setup_node
verify_js() {
	node "$builddir/tools/tests/verifier/verify.js" "$@"
}

# accept LABEL TOKEN EXPECT_JSON KEY [--legacy]: both verifiers accept.
accept() {
	label=$1 token=$2 expect=$3 key=$4
	shift 4
	expect_status "C accepts $label" 0 "^check platform-signature ok" \
		"$rmmctl" verify-token "$@" --platform-key "$key" "$token"
	c_claims "C claims of $label equal $(basename "$expect")" "$token" "$expect" "$key" "$@"
	if [ "$node_ok" = yes ]; then
		expect_status "node accepts $label, claims as expected" 0 "expected claims: ok" \
			verify_js "$token" "$@" --platform-key "$key" --expect "$expect"
	fi
}

# reject_all LABEL TOKEN KEY: every broken copy of TOKEN is rejected by both.
reject_all() {
	label=$1 token=$2 key=$3
	if [ "$have_python" = no ]; then
		echo "SKIP: broken copies of $label (no python3 for token-mutate.py)"
		return
	fi
	mut=$tmp/mut-$label
	if ! python3 "$srcdir/tools/tests/token-mutate.py" "$token" "$mut" >"$tmp/regions" 2>&1; then
		not_ok "broken copies of $label (token-mutate.py failed)"
		sed 's/^/  /' "$tmp/regions"
		return
	fi
	for group in flip-realm-signature flip-realm-payload flip-rak \
		flip-platform-signature flip-platform-payload truncated trailing; do
		reject_group "$label" "$mut" "$group" "$key"
	done
}

# reject_group LABEL DIR GROUP KEY: one check per verifier for the group.
reject_group() {
	label=$1 dir=$2 group=$3 key=$4
	n=0 c_bad="" js_bad=""
	for f in "$dir/$group"-*.cbor; do
		n=$((n + 1))
		"$rmmctl" verify-token --platform-key "$key" "$f" >"$tmp/out" 2>&1
		st=$?
		if [ "$st" -ne 1 ] || ! grep -q "verification failed: " "$tmp/out"; then
			c_bad="$c_bad $(basename "$f") (status $st)"
		fi
		if [ "$node_ok" = yes ]; then
			verify_js "$f" --platform-key "$key" >"$tmp/out" 2>&1
			st=$?
			if [ "$st" -ne 1 ] || ! grep -q "^FAILED: " "$tmp/out"; then
				js_bad="$js_bad $(basename "$f") (status $st)"
			fi
		fi
	done
	if [ -z "$c_bad" ]; then
		ok "C rejects $label $group ($n copies)"
	else
		not_ok "C rejects $label $group: accepted or crashed on$c_bad"
	fi
	[ "$node_ok" = yes ] || return
	if [ -z "$js_bad" ]; then
		ok "node rejects $label $group ($n copies)"
	else
		not_ok "node rejects $label $group: accepted on$js_bad"
	fi
}

# --- the reference RMM's tokens --------------------------------------------------

for algo in sha256 sha512; do
	accept "tfrmm-$algo" "$tokens/tfrmm-$algo.cbor" "$tokens/tfrmm-$algo.json" "$cpak"
	reject_all "tfrmm-$algo" "$tokens/tfrmm-$algo.cbor" "$cpak"
done

legacy=$tokens/veraison-tfrmm-legacy.cbor
expect_status "C rejects the legacy token without --legacy" 1 \
	"verification failed: format: .*accepted only with --legacy" \
	"$rmmctl" verify-token --platform-key "$cpak" "$legacy"
accept "the legacy token with --legacy" "$legacy" "$tokens/veraison-tfrmm-legacy.json" \
	"$cpak" --legacy
if [ "$node_ok" = yes ]; then
	expect_status "node rejects the legacy token without --legacy" 1 \
		"^FAILED: .*format: .*--legacy" verify_js "$legacy" --platform-key "$cpak"
fi

# Without the platform key: the realm checks pass, the output says what was not checked.
expect_status "C without --platform-key: verified, platform signature NOT CHECKED" 0 \
	"^check platform-signature NOT CHECKED" "$rmmctl" verify-token "$tokens/tfrmm-sha256.cbor"
if grep -q "the platform signature was NOT checked" "$tmp/out" &&
	grep -q "^realm.challenge 000102" "$tmp/out"; then
	ok "C without --platform-key: warns on stderr, prints the claims"
else
	not_ok "C without --platform-key: warns on stderr, prints the claims"
fi
# ...and a failure of what was checked still fails.
if [ "$have_python" = yes ] && [ -f "$tmp/mut-tfrmm-sha256/flip-realm-signature-2028.cbor" ]; then
	expect_status "C without --platform-key: a bad realm signature fails" 1 \
		"^check realm-signature FAILED" \
		"$rmmctl" verify-token "$tmp/mut-tfrmm-sha256/flip-realm-signature-2028.cbor"
fi

# --- the token producer's tokens ----------------------------------------------------

make_token=$builddir/tools/tests/make-token
if [ -x "$make_token" ]; then
	if "$make_token" "$tmp/made" >"$tmp/out" 2>&1; then
		ok "make-token wrote its tokens"
		for algo in sha256 sha512; do
			accept "make-token $algo" "$tmp/made/token-$algo.cbor" \
				"$tmp/made/token-$algo.json" "$tmp/made/platform-key.pem"
			reject_all "make-token-$algo" "$tmp/made/token-$algo.cbor" \
				"$tmp/made/platform-key.pem"
		done
		# A key that is not the platform's: the reference CPAK.
		expect_status "C rejects a make-token token with another platform key" 1 \
			"verification failed: platform-signature" \
			"$rmmctl" verify-token --platform-key "$cpak" "$tmp/made/token-sha256.cbor"
	else
		not_ok "make-token wrote its tokens"
		sed 's/^/  /' "$tmp/out"
	fi
else
	echo "SKIP: make-token tokens: no $make_token in this build"
fi

# --- command line -------------------------------------------------------------------

expect_status "verify-token in rmmctl --help" 0 "verify-token \[--platform-key PEM\]" \
	"$rmmctl" --help
expect_status "verify-token without a file" 2 "no token file given" "$rmmctl" verify-token
expect_status "verify-token with two files" 2 "one token file only" \
	"$rmmctl" verify-token "$legacy" "$legacy"
expect_status "verify-token bad option" 2 "bad option" "$rmmctl" verify-token --frob "$legacy"
expect_status "verify-token missing file" 2 "no-such.cbor: No such file" \
	"$rmmctl" verify-token "$tmp/no-such.cbor"
expect_status "verify-token platform key not PEM" 2 "not a PEM public key" \
	"$rmmctl" verify-token --platform-key "$legacy" "$legacy"
# shellcheck disable=SC2016 # expanded by the inner shell
expect_status "verify-token from stdin" 0 "^check binding ok" \
	sh -c '"$1" verify-token --platform-key "$2" - <"$3"' sh "$rmmctl" "$cpak" \
	"$tokens/tfrmm-sha512.cbor"
expect_status "verify-token --json of a rejected token" 1 '"verified": false' \
	"$rmmctl" verify-token --json "$legacy"
if [ "$node_ok" = yes ]; then
	expect_status "node verifier without a token" 2 "no token given" verify_js
	expect_status "node verifier: expectation not met" 1 "^FAILED: .*expect: realm claim rim" \
		verify_js "$tokens/tfrmm-sha256.cbor" --platform-key "$cpak" \
		--expect "$tokens/tfrmm-sha512.json"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
