#!/bin/bash
# devbox/tests/node-verify.sh WORKDIR TOKEN PLATFORM_PEM EXPECT_JSON: checks a
# CCA token a realm made inside the devbox with the Node verifier of the
# tests (tools/tests/verifier), on the build machine: npm ci in a copy of
# the verifier in WORKDIR, then verify.js with the platform key and the
# claims EXPECT_JSON names. Exit status: the verifier's (0 = accepted, as
# expected), or 3 when npm ci fails; what they printed is in
# WORKDIR/node.txt and WORKDIR/npm.txt.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$1 token=$2 pem=$3 expect=$4
rm -rf "$work/verifier"
mkdir -p "$work"
cp -r "$top/tools/tests/verifier" "$work/verifier"
if ! (cd "$work/verifier" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) \
	>"$work/npm.txt" 2>&1; then
	echo "node-verify: npm ci failed ($work/npm.txt)"
	exit 3
fi
node "$work/verifier/verify.js" "$token" --platform-key "$pem" --expect "$expect" \
	>"$work/node.txt" 2>&1
status=$?
cat "$work/node.txt"
exit "$status"
