# Sourced by the shell test scripts: counted checks, closed by the plain
# "N passed, M failed" line the scripts print last.
pass=0
fail=0

ok() {
	pass=$((pass + 1))
	echo "PASS: $1"
}

not_ok() {
	fail=$((fail + 1))
	echo "FAIL: $1"
}

# checks_tmpdir NAME: $tmp, a directory removed at exit, when the daemon a
# script started (its pid in $daemon_pid) is stopped too.
checks_tmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
	daemon_pid=
	trap checks_cleanup EXIT INT TERM
}

checks_cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}

# expect NAME STATUS PATTERN CMD...: CMD exits with STATUS and prints
# (stdout and stderr, kept in $tmp/out) a line matching the extended
# regular expression PATTERN. expect_status: the same, PATTERN a basic one.
expect() {
	expect_output -E "$@"
}

expect_status() {
	expect_output -G "$@"
}

expect_output() {
	syntax=$1 name=$2 want=$3 pattern=$4
	shift 4
	"$@" >"$tmp/out" 2>&1
	status=$?
	if [ "$syntax" = -E ]; then
		grep -Eq -e "$pattern" "$tmp/out"
	else
		grep -q -e "$pattern" "$tmp/out"
	fi
	matched=$?
	if [ "$status" -eq "$want" ] && [ "$matched" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name (exit status $status, want $want and '$pattern')"
		sed 's/^/  /' "$tmp/out"
	fi
}

# check NAME CMD...: CMD succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

# check_python NAME ARGS...: python3 ARGS (a script on standard input)
# succeeds. Where there is no python3 (the devbox) the check is skipped,
# said in a SKIP line; scripts/install-deps installs it everywhere else.
check_python() {
	name=$1
	shift
	if command -v python3 >/dev/null 2>&1; then
		check "$name" python3 "$@"
	else
		echo "SKIP: $name (no python3 here)"
	fi
}
