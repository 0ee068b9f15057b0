#!/bin/sh
# Golden replay tests. Each tools/tests/golden/X.rmi is replayed by
# "rmmctl replay" against an in-process RMM and its output compared with
# X.expected. The expected files are written from the reference
# (shared reference rmi-1.0.md and measurement.md), not from rmmemu's output:
# they are the evidence that rmmemu answers as the reference RMM does.
# A script line "# golden-args: OPTIONS" adds rmmctl replay options; scripts
# run with --state are also run with --state-json, whose output must parse.
# Then a few checks of rmmctl's command line.
#
# Environment (set by make check): top_srcdir, top_builddir.
set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
golden=$srcdir/tools/tests/golden
rmmctl=$builddir/tools/rmmctl
. "${top_srcdir:-.}/tools/tests/checks.sh"

checks_tmpdir golden

# replay NAME SCRIPT EXPECTED ARGS...: output must equal EXPECTED, exit 0.
replay() {
	name=$1 script=$2 expected=$3
	shift 3
	"$rmmctl" replay "$@" "$script" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -ne 0 ]; then
		not_ok "$name (exit status $status)"
		sed 's/^/  stderr: /' "$tmp/err"
		return
	fi
	if diff -u "$expected" "$tmp/out" >"$tmp/diff"; then
		ok "$name"
	else
		not_ok "$name (output differs from $(basename "$expected"))"
		sed 's/^/  /' "$tmp/diff"
	fi
}

# replay_calls NAME SCRIPT EXPECTED ARGS...: as replay, comparing only the
# call lines (the daemon shows the state of its sessions in its own frame).
replay_calls() {
	name=$1 script=$2 expected=$3
	shift 3
	calls='^([A-Z_]+|0x[0-9a-f]+) 0x'
	"$rmmctl" replay "$@" "$script" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -ne 0 ]; then
		not_ok "$name (exit status $status)"
		sed 's/^/  stderr: /' "$tmp/err"
		return
	fi
	grep -E "$calls" "$expected" >"$tmp/expected-calls"
	grep -E "$calls" "$tmp/out" >"$tmp/out-calls"
	if diff -u "$tmp/expected-calls" "$tmp/out-calls" >"$tmp/diff"; then
		ok "$name"
	else
		not_ok "$name (calls differ from $(basename "$expected"))"
		sed 's/^/  /' "$tmp/diff"
	fi
}

# The JSON state is what follows the call lines: from the line "{" on.
json_check() {
	name=$1 script=$2
	if ! command -v python3 >/dev/null 2>&1; then
		echo "SKIP: $name (no python3 to parse JSON)"
		return
	fi
	if "$rmmctl" replay --state-json "$script" >"$tmp/out" 2>"$tmp/err" &&
	   sed -n '/^{$/,$p' "$tmp/out" >"$tmp/json" && [ -s "$tmp/json" ] &&
	   python3 -m json.tool "$tmp/json" >/dev/null 2>"$tmp/err"; then
		ok "$name"
	else
		not_ok "$name (state JSON does not parse)"
		sed 's/^/  /' "$tmp/err"
	fi
}

for script in "$golden"/*.rmi; do
	name=$(basename "$script" .rmi)
	expected=$golden/$name.expected
	if [ ! -f "$expected" ]; then
		not_ok "$name (no $name.expected)"
		continue
	fi
	args=$(sed -n 's/^# golden-args: *//p' "$script")
	# shellcheck disable=SC2086 # the options are separate words
	replay "$name" "$script" "$expected" $args
	case " $args " in
	*" --state "*)
		json_check "$name (json)" "$script"
		;;
	esac
done

# --- command line ---------------------------------------------------------------

printf 'region 0x80000000 0x1000\n\ncall VERSION 0x10000\nbogus 1\ncall VERSION 0x10000\n' \
	>"$tmp/bad.rmi"
printf 'region 0x80000000 0x1000\ncall VERSION 0x10000 # x\n' >"$tmp/good.rmi"

expect_status "rmmctl help" 0 "replay \[--socket PATH\]" "$rmmctl" help
expect_status "rmmctl --help" 0 "state \[--socket PATH\] \[--json\]" "$rmmctl" --help
expect_status "rmmctl without a command" 2 "no command given" "$rmmctl"
expect_status "rmmctl unknown command" 2 "unknown command 'frob'" "$rmmctl" frob
expect_status "replay without a file" 2 "no script file given" "$rmmctl" replay
expect_status "replay with two files" 2 "one script file only" \
	"$rmmctl" replay "$tmp/good.rmi" "$tmp/good.rmi"
expect_status "replay bad option" 2 "bad option" "$rmmctl" replay --frob "$tmp/good.rmi"
expect_status "replay bad log level" 2 "unknown log level 'loud'" \
	"$rmmctl" replay --log-level loud "$tmp/good.rmi"
expect_status "replay missing file" 1 "no-such.rmi" "$rmmctl" replay "$tmp/no-such.rmi"
expect_status "replay script error" 1 "^$tmp/bad.rmi:4: unknown statement 'bogus'\$" \
	"$rmmctl" replay "$tmp/bad.rmi"
# The call before the error was made and printed; the one after was not.
if [ "$(grep -c '^VERSION ' "$tmp/out")" -eq 1 ]; then
	ok "replay stops at the script error"
else
	not_ok "replay stops at the script error"
fi
# shellcheck disable=SC2016 # expanded by the inner shell
expect_status "replay from stdin" 0 "^VERSION 0x0 0x10000 0x10000 0x0 0x0\$" \
	sh -c '"$1" replay - <"$2"' sh "$rmmctl" "$tmp/good.rmi"
# shellcheck disable=SC2016
expect_status "replay stdin error names <stdin>" 1 "^<stdin>:4: unknown statement" \
	sh -c '"$1" replay - <"$2"' sh "$rmmctl" "$tmp/bad.rmi"
expect_status "replay --state" 0 "^granules: NS 1 DELEGATED 0 RD 0" \
	"$rmmctl" replay --state "$tmp/good.rmi"
expect_status "state without a daemon" 1 "cannot connect" \
	"$rmmctl" state --socket "$tmp/no-daemon.sock"

# --- the same script through the daemon -------------------------------------------

daemon=$builddir/daemon/rmmemu
if [ -x "$daemon" ]; then
	sock=$tmp/rmmemu.sock
	"$daemon" --socket "$sock" --log-level warn 2>"$tmp/daemon.err" &
	daemon_pid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	replay_calls "demo (daemon)" "$golden/demo.rmi" "$golden/demo.expected" \
		--socket "$sock"
	if grep -q "rim 616e1ac7e20bd554f29976b07fc02546f26c692ae68dfed8b44a21c69b3be657" \
		"$tmp/out"; then
		ok "demo (daemon): state statement shows the RIM"
	else
		not_ok "demo (daemon): state statement shows the RIM"
	fi
	expect_status "state from the daemon" 0 "^{" \
		"$rmmctl" state --socket "$sock" --json
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
else
	echo "SKIP: demo (daemon): no $daemon"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
