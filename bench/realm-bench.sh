#!/bin/bash
# bench/realm-bench.sh [DIR] [--runs N] [--rounds N] [--smp N]: the realm
# execution benchmark. Installs what the cross-build and the devbox need,
# fetches the devbox's kernel and busybox (once: cached), cross-builds
# rmmemu for aarch64 in DIR (default build-aarch64), boots the devbox once
# and runs bench/realm-bench in it as the devbox's command, which prints:
#
# - the time from the devbox being up (its /init starting the command) to
#   the last line of the hello realm under rmm-run (goal < 1 s), with its
#   parts: rmm-run's start-up, the realm build and its RMI calls, the first
#   REC_ENTER to the first UART byte, to the last line, to SYSTEM_OFF; then
#   the median of N - 1 later runs of rmm-run (--runs N, default 5);
# - the REC exit round trip (REC_ENTER -> MMIO exit to the host -> back)
#   as a ratio to a plain KVM MMIO exit round trip in the same run (goal
#   <= 1.5), the medians of --rounds N rounds of 500 (default 5).
#
# A benchmark prints; it fails only when something does not run. --smp N:
# the devbox's vCPUs (default 1, as devbox/tests/run.sh).
set -euo pipefail

usage() {
	sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0"
}

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build-aarch64
runs=5
rounds=5
smp=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--rounds) rounds=${2:?--rounds needs a number}; shift ;;
	--smp) smp=${2:?--smp needs a number}; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "realm-bench.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) dir=$1 ;;
	esac
	shift
done
for n in "$runs" "$rounds" "$smp"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "realm-bench.sh: '$n' is not a positive number" >&2; exit 2; }
done

"$top/scripts/install-deps" --cross
"$top/devbox/fetch" --brief
"$top/scripts/cross-build" "$dir" >&2
dir=$(cd "$dir" && pwd)
for f in bench/realm-bench tools/rmm-run realms/hello.elf executor/tests/test_kvm; do
	[ -f "$dir/$f" ] || { echo "realm-bench.sh: no $dir/$f after the cross-build" >&2; exit 1; }
done

echo "==> devbox: booting once (-smp $smp), bench/realm-bench inside: $runs runs of" \
	"rmm-run realms/hello.elf, $rounds rounds of the REC exit round trip" >&2
# The bench is the devbox's command itself, so that its first rmm-run
# starts right after /init starts the command.
exec "$top/devbox/run" --build "$dir" --kvm --smp "$smp" -- \
	/rmmemu/build/bench/realm-bench --runs "$runs" --rounds "$rounds"
