#!/bin/bash
# bench/linux-boot.sh [DIR]: the time a stock Debian arm64 kernel takes to
# boot as a realm under rmm-run to its init, inside the devbox on this
# machine (goal <= 60 s; QEMU's RME emulation with TF-A and TF-RMM needs
# about 20 minutes for the same). Runs devbox/tests/linux-realm.sh (which
# fetches the guest, cross-builds rmmemu in DIR, default build-aarch64, and
# boots it with 1 and then 2 RECs) and prints, per boot, the seconds from
# rmm-run's start to the guest init's banner, the whole run, and rmm-run's
# REC exit counts. A benchmark prints; it fails only when the boot does.
set -euo pipefail

case ${1:-} in
-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/linux-boot.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
"$top/devbox/tests/linux-realm.sh" "$@" >"$log" 2>&1 || status=$?
grep -E '^linux-realm: [0-9]+ REC\(s\): boot|^    rmm-run: REC exits' "$log" ||
	{ tail -n 30 "$log"; }
[ "$status" -eq 0 ] || echo "linux-boot: the boot failed (devbox/tests/linux-realm.sh exit status $status)"
exit "$status"
