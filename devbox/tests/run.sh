#!/bin/bash
# devbox/tests/run.sh [DIR]: the devbox test stage. Installs what the
# cross-build and the devbox need, fetches the devbox's kernel and busybox
# (once: cached), cross-builds rmmemu for aarch64 in DIR (default
# build-aarch64), boots the devbox once and runs inside it every test
# program of the build (the TESTS of make check: the core's, the daemon's
# and the tools' cmocka programs and golden.sh), each directly with its exit
# status checked, then the KVM probe (devbox/tests/kvm-probe.c) and, when
# the realm payloads were built, rmm-run running realms/hello.elf under the
# KVM executor. Back on the build machine, the Node verifier checks the
# attestation token the attest payload handed to rmm-run inside.
#
# Prints PASS/FAIL per program, the KVM probe's round trips (its facts are
# in its log), the KVM executor's figures (executor/tests/test_kvm: realm
# code under the executor, its REC exit round trip against a plain KVM
# exit), the time of each step, and "devbox: N passed, M failed" (one check per
# program, and the devbox itself); exits non-zero on any failure. Each
# program's output is in DIR/devbox/logs/. DEVBOX_TEST_TIMEOUT (300 s) bounds
# one program, DEVBOX_TIMEOUT (480 s) the whole devbox run.
set -euo pipefail

case ${1:-} in
-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build-aarch64}
# Seconds for one program inside the devbox, and for the whole boot and run.
TEST_TIMEOUT=${DEVBOX_TEST_TIMEOUT:-300}
DEVBOX_TIMEOUT=${DEVBOX_TIMEOUT:-480}

checks_name=devbox
# shellcheck source=devbox/tests/checks.bash
. "$top/devbox/tests/checks.bash"

now() { echo "${EPOCHREALTIME/,/.}"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t_start=$(now)
step "installing the cross-build's packages" "$top/scripts/install-deps" --cross
t_deps=$(now)
step "fetching the devbox's kernel and busybox" "$top/devbox/fetch"
t_fetch=$(now)
step "cross-building $dir" "$top/scripts/cross-build" "$dir"
dir=$(cd "$dir" && pwd)
t_build=$(now)

# The programs make check would run, as the build's Makefile lists them.
# shellcheck disable=SC2016 # $(TESTS) is make's
tests=$(printf 'devbox-print-tests:\n\t@echo $(TESTS)\n' |
	make -s -C "$dir" -f Makefile -f - devbox-print-tests)
[ -n "$tests" ] || { echo "devbox: no TESTS in $dir/Makefile" >&2; exit 1; }

logs=$dir/devbox/logs
rm -rf "$logs"
mkdir -p "$logs"

# What runs inside: each program from the build tree (a script from the
# source tree), in the build directory as make check would, its output
# between two marker lines, the second with its exit status and duration.
script=$dir/devbox/tests.sh
cat >"$script" <<EOF
uptime() { cut -d' ' -f1 /proc/uptime; }
run_test() {
	name=\$1
	shift
	echo "devbox-test: begin \$name"
	t0=\$(uptime)
	timeout $TEST_TIMEOUT "\$@" 2>&1
	status=\$?
	echo "devbox-test: end \$name \$status \$(awk -v a="\$t0" -v b="\$(uptime)" 'BEGIN { printf "%.1f", b - a }')"
}
cd "\$top_builddir"
for t in $tests; do
	if [ -f "\$top_builddir/\$t" ]; then
		run_test "\$t" "\$top_builddir/\$t"
	elif [ -f "\$top_srcdir/\$t" ]; then
		run_test "\$t" sh "\$top_srcdir/\$t"
	else
		echo "devbox-test: begin \$t"
		echo "\$t: not in the devbox (neither in \$top_builddir nor in \$top_srcdir)"
		echo "devbox-test: end \$t 127 0"
	fi
done
run_test devbox/tests/kvm-probe "\$top_builddir/devbox/tests/kvm-probe" 1000
EOF
expected="$tests devbox/tests/kvm-probe"
# A realm payload under rmm-run with the KVM executor, to its end: hello
# powers off after its greeting on the UART.
if [ -f "$dir/realms/hello.elf" ]; then
	cat >>"$script" <<'EOF'
run_test tools/rmm-run-hello sh -c '"$top_builddir/tools/rmm-run" \
	"$top_builddir/realms/hello.elf" >/tmp/hello.out 2>&1; status=$?; cat /tmp/hello.out;
	[ "$status" -eq 0 ] && grep -q "^hello from realm" /tmp/hello.out'
EOF
	expected="$expected tools/rmm-run-hello"
fi
# The realm payloads' flat binaries are no ELF programs: added by hand.
bins=()
for f in "$dir"/realms/*.bin; do
	if [ -f "$f" ]; then
		bins+=(--add "$f:/rmmemu/build/realms/$(basename "$f")")
	fi
done

# Reads the devbox's output: each program's lines go to its log; its end
# line gives PASS or FAIL (with the log's tail). The KVM probe's round
# trips are shown as they come (its facts are in its log).
results() {
	local line name status secs log=""
	while IFS= read -r line; do
		case $line in
		"devbox-test: begin "*)
			name=${line#devbox-test: begin }
			log=$logs/$name.log
			mkdir -p "$(dirname "$log")"
			: >"$log"
			;;
		"devbox-test: end "*)
			read -r name status secs <<<"${line#devbox-test: end }"
			echo "$name" >>"$logs/.done"
			if [ "$status" -eq 0 ]; then
				pass "$name ($secs s)"
			else
				echo "FAIL $name (exit status $status)" >>"$log"
				fail "$name (exit status $status, $secs s; log $log)"
				tail -n 30 "$log" | sed 's/^/    /'
			fi
			log=""
			;;
		*)
			if [ -n "$log" ]; then
				printf '%s\n' "$line" >>"$log"
				case $line in
				"FAIL: "* | "setup: "* | "round trip: "*)
					[ "$name" != devbox/tests/kvm-probe ] || echo "    $line" ;;
				esac
				# The KVM executor's figures.
				case $line in
				"round trip: "* | "# "*)
					[ "$name" != executor/tests/test_kvm ] || echo "    $line" ;;
				esac
			else
				printf '%s\n' "$line"
			fi
			;;
		esac
	done
}

echo "==> devbox: booting once, running $(echo "$expected" | wc -w) test programs inside"
: >"$logs/.done"
t_run=$(now)
# results runs in this shell (lastpipe), so that its counts stay.
shopt -s lastpipe
set +e
"$top/devbox/run" --build "$dir" --timeout "$DEVBOX_TIMEOUT" \
	--add "$script:/root/tests.sh" ${bins[@]+"${bins[@]}"} -- sh /root/tests.sh \
	2> >(tee "$dir/devbox/run.txt" >&2) | results
devbox_status=${PIPESTATUS[0]}
set -e
t_end=$(now)
wait # for tee

# Every program must have reported; the devbox must have ended by itself.
for t in $expected; do
	grep -qx "$t" "$logs/.done" || fail "$t (no result: the devbox stopped before it ended)"
done
if [ "$devbox_status" -eq 0 ]; then
	pass "the devbox booted, ran the tests and powered off"
else
	fail "the devbox (devbox/run exit status $devbox_status)"
fi

# The attest payload's token, from the log of tools/tests/rmm-run.sh: the
# Node verifier (tools/tests/verifier), which needs node and the npm
# registry and so runs here, checks it against the platform key it was made
# with and the claims that log expects (RIM, REMs, challenge).
verify_attest_token() {
	local log=$1 out=$dir/devbox/attest
	rm -rf "$out"
	mkdir -p "$out"
	sed -n 's/^attest-token-hex: //p' "$log" |
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' \
			>"$out/token.cbor"
	sed -n 's/^attest-platform-key: //p' "$log" | tr '|' '\n' >"$out/platform.pem"
	sed -n 's/^attest-expect: //p' "$log" >"$out/expect.json"
	if "$top/devbox/tests/node-verify.sh" "$out" "$out/token.cbor" "$out/platform.pem" \
		"$out/expect.json" >/dev/null; then
		pass "the realm's token: the Node verifier accepts it, claims as expected"
	else
		fail "the realm's token: the Node verifier rejects it ($out)"
		cat "$out/npm.txt" "$out/node.txt" 2>/dev/null | sed 's/^/    /'
	fi
}
if grep -q '^attest-token-hex: ' "$logs/tools/tests/rmm-run.sh.log" 2>/dev/null; then
	verify_attest_token "$logs/tools/tests/rmm-run.sh.log"
elif [ -f "$dir/realms/attest.elf" ]; then
	fail "the realm's token: tools/tests/rmm-run.sh handed none over"
fi

boot=$(sed -n 's/^devbox: booted in \([0-9.]*\) s$/\1/p' "$dir/devbox/run.txt")
inside=$(sed -n 's/^devbox: command exited with status [0-9]* after \([0-9.]*\) s$/\1/p' \
	"$dir/devbox/run.txt")
echo "devbox: times: install $(secs "$t_start" "$t_deps") s, download $(secs "$t_deps" "$t_fetch") s," \
	"cross-build $(secs "$t_fetch" "$t_build") s, boot ${boot:-?} s, tests ${inside:-?} s" \
	"(devbox/run $(secs "$t_run" "$t_end") s), total $(secs "$t_start" "$t_end") s"
echo "devbox: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
