#!/bin/bash
# devbox/tests/linux-realm.sh [DIR]: a stock Debian arm64 kernel boots as a
# realm under rmm-run in the devbox, with 1 REC and then 2. Fetches the
# guest kernel and its modules (devbox/fetch-guest), builds the guest's
# initramfs (devbox/guest-initramfs, with a fresh 64-byte challenge),
# cross-builds rmmemu in DIR (default build-aarch64) and boots the devbox
# once; inside it, rmm-run --kernel boots the guest, which loads
# arm-cca-guest, asks configfs-tsm for an attestation token and prints it;
# rmm-run saves it (--save-console-token).
#
# Checks per boot: the guest's banner, realm mode in its dmesg, the TSM
# provider, a token that is a CCA token (CBOR tag 399 first) that rmmctl
# verify-token (inside) and the Node verifier (here, tools/tests/verifier)
# accept with the platform key of rmm-run's state directory, holding the
# challenge and the RIM rmm-run printed, rmm-run's exit status 0 (PSCI
# SYSTEM_OFF). Prints the boot time to the guest's init, the whole run's
# time and rmm-run's REC exit counts (--stats), and "linux-realm: N passed,
# M failed". The console of each boot is in DIR/devbox/linux-realm/.
# LINUX_REALM_TIMEOUT (600 s) bounds one boot, DEVBOX_TIMEOUT (1500 s) the
# devbox; LINUX_REALM_RECS ("1 2") says which boots run.
set -euo pipefail

case ${1:-} in
-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build-aarch64}
BOOT_TIMEOUT=${LINUX_REALM_TIMEOUT:-600}
DEVBOX_TIMEOUT=${DEVBOX_TIMEOUT:-1500}
RECS=${LINUX_REALM_RECS:-1 2}

checks_name=linux-realm
# shellcheck source=devbox/tests/checks.bash
. "$top/devbox/tests/checks.bash"

step "installing the cross-build's packages" "$top/scripts/install-deps" --cross
step "fetching the devbox's kernel and busybox" "$top/devbox/fetch"
step "fetching the guest kernel" "$top/devbox/fetch-guest"
# shellcheck disable=SC1090,SC1091 # written by devbox/fetch-guest
. "${RMMEMU_CACHE:-$HOME/.cache/rmmemu}/guest/current.env"
step "cross-building $dir" "$top/scripts/cross-build" "$dir"
dir=$(cd "$dir" && pwd)
out=$dir/devbox/linux-realm
rm -rf "$out"
mkdir -p "$out"
challenge=$(od -An -N64 -tx1 /dev/urandom | tr -d ' \n')
step "building the guest's initramfs" "$top/devbox/guest-initramfs" "$out/guest.cpio" "$challenge"

# Inside: each boot's console and rmm-run's messages between marker lines,
# then the token in hex, rmmctl verify-token's verdict with the platform
# key of rmm-run's state directory (the key printed too, '|' for newlines),
# and the timings.
cat >"$out/boot.sh" <<EOF
up() { cut -d' ' -f1 /proc/uptime; }
rmmctl keys --state-dir /root/state | sed -n '/^platform key/,/END PUBLIC KEY/p' |
	sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' >/root/platform.pem
echo "linux-realm: platform-key \$(tr '\\n' '|' </root/platform.pem)"
for n in $RECS; do
	echo "linux-realm: begin \$n"
	t0=\$(up)
	# --mark: rmm-run says when the init's banner came.
	rmm-run --kernel /root/Image --initrd /root/guest.cpio --append "rdinit=/init" \\
		--recs \$n --stats --mark "guest: realm Linux" --timeout $BOOT_TIMEOUT \\
		--state-dir /root/state --save-console-token /tmp/token 2>&1
	status=\$?
	t1=\$(up)
	if [ -f /tmp/token ]; then
		echo "linux-realm: token \$(od -An -v -tx1 /tmp/token | tr -d ' \\n')"
		rmmctl verify-token --platform-key /root/platform.pem /tmp/token >/tmp/verify 2>&1
		st=\$?
		sed 's/^/linux-realm: verify: /' /tmp/verify
		echo "linux-realm: verify-token status \$st"
	fi
	rm -f /tmp/token
	echo "linux-realm: end \$n \$status \$(awk -v a="\$t0" -v b="\$t1" 'BEGIN { printf "%.1f", b - a }')"
done
EOF

echo "==> linux-realm: booting the devbox; inside, the guest kernel $GUEST_KERNEL_VERSION with ${RECS// /, then } REC(s)"
set +e
"$top/devbox/run" --build "$dir" --mem 2048 --timeout "$DEVBOX_TIMEOUT" --kvm \
	--add "$GUEST_KERNEL:/root/Image" --add "$out/guest.cpio:/root/guest.cpio" \
	--add "$out/boot.sh:/root/boot.sh" -- sh /root/boot.sh >"$out/devbox.txt" 2>"$out/run.txt"
devbox_status=$?
set -e
if [ "$devbox_status" -eq 0 ]; then
	pass "the devbox booted, ran the guests and powered off"
else
	fail "the devbox (devbox/run exit status $devbox_status; $out/run.txt)"
	tail -n 20 "$out/run.txt" | sed 's/^/    /'
fi

# node_verify N TOKEN_HEX RIM: the Node verifier accepts the token of the
# boot with N RECs, with the platform key and the expected challenge, RIM
# and REMs (the guest extends none).
node_verify() {
	local work=$out/node-$1 zeros
	zeros=$(printf '%064d' 0)
	mkdir -p "$work"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$2" \
		>"$work/token.cbor"
	tr -d '\r' <"$out/devbox.txt" | sed -n 's/^linux-realm: platform-key //p' |
		tr '|' '\n' >"$work/platform.pem"
	printf '{"challenge": "%s", "rim": "%s", "rems": ["%s", "%s", "%s", "%s"], "hash_algo": "sha-256"}\n' \
		"$challenge" "$3" "$zeros" "$zeros" "$zeros" "$zeros" >"$work/expect.json"
	if "$top/devbox/tests/node-verify.sh" "$work" "$work/token.cbor" "$work/platform.pem" \
		"$work/expect.json" >/dev/null; then
		pass "$1 REC(s): the Node verifier accepts it, claims as expected"
	else
		fail "$1 REC(s): the Node verifier rejects it ($work)"
		cat "$work/npm.txt" "$work/node.txt" 2>/dev/null | sed 's/^/    /'
	fi
}

# One boot's console: the lines between its begin and end markers.
for n in $RECS; do
	log=$out/recs-$n.txt
	# The guest's tty ends its lines with CR LF: CRs dropped.
	tr -d '\r' <"$out/devbox.txt" |
		sed -n "/^linux-realm: begin $n\$/,/^linux-realm: end $n /p" >"$log"
	end=$(sed -n "s/^linux-realm: end $n //p" "$log")
	if [ -z "$end" ]; then
		fail "$n REC(s): no result (the devbox stopped first; $log)"
		tail -n 30 "$log" | sed 's/^/    /'
		continue
	fi
	read -r status secs <<<"$end"
	rim=$(sed -n 's/^rmm-run: RIM \([0-9a-f]*\)$/\1/p' "$log")
	token=$(sed -n 's/^linux-realm: token //p' "$log")
	check "$n REC(s): the guest's banner" grep -q "^guest: realm Linux .* up after" "$log"
	check "$n REC(s): $n CPU(s) online" grep -q "^guest: realm Linux .* $n CPUs$" "$log"
	check "$n REC(s): realm mode in dmesg (RSI 1.0)" \
		grep -q "^guest: dmesg: .*RME: Using RSI version 1.0" "$log"
	check "$n REC(s): configfs-tsm provider arm_cca_guest" \
		grep -q "^guest: TSM provider arm_cca_guest" "$log"
	check "$n REC(s): a token saved, CBOR tag 399 first" [ "${token:0:6}" = d9018f ]
	check "$n REC(s): rmmctl verify-token accepts it, platform signature too" \
		grep -q "^linux-realm: verify-token status 0$" "$log"
	check "$n REC(s): its challenge is the init's" \
		grep -qx "linux-realm: verify: realm.challenge $challenge" "$log"
	check "$n REC(s): its RIM is the one rmm-run printed" \
		grep -qx "linux-realm: verify: realm.initial-measurement $rim" "$log"
	node_verify "$n" "$token" "$rim"

	check "$n REC(s): rmm-run exit status 0 (SYSTEM_OFF)" [ "$status" -eq 0 ]
	init=$(sed -n 's/^rmm-run: mark "guest: realm Linux" \([0-9]*\)\.[0-9]* ms after start$/\1/p' \
		"$log" | awk '{ printf "%.1f", $1 / 1000 }')
	check "$n REC(s): rmm-run saw the init's banner (--mark)" [ -n "$init" ]
	echo "linux-realm: $n REC(s): boot to the guest's init ${init:-?} s (goal <= 60 s)," \
		"rmm-run ran $secs s"
	grep -E '^rmm-run: (REC exits|MMIO|RAM|times)' "$log" | sed 's/^/    /' || true
done
echo "linux-realm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
