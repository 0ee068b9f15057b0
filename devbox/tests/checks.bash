# Sourced by the devbox's test stages (bash): counted checks. Set
# checks_name first: step's closing line is "$checks_name: N passed, M failed".
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# check WHAT COMMAND...: a check that COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# step WHAT COMMAND...: a step the checks need; its failure ends the stage.
step() {
	local what=$1 st=0
	shift
	"$@" || st=$?
	if [ "$st" -ne 0 ]; then
		fail "$what (exit status $st)"
		echo "$checks_name: $passed passed, $failed failed"
		exit 1
	fi
}
