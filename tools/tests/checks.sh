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
