#!/bin/sh
# rmm-run's command line: help, usage errors, bad images and sizes, the RIM
# it prints (in-process and through the daemon), and the realm payloads of
# realms/ when they were built: each one is built into a realm and, where an
# executor can run it, run to its end.
#
# Without an executor (no KVM executor built in, or no /dev/kvm) rmm-run
# stops after printing the RIM with exit status 4; with one, the payloads
# must pass (exit status 0).
#
# Environment (set by make check): top_srcdir, top_builddir.
set -u

builddir=${top_builddir:-.}
rmm_run=$builddir/tools/rmm-run
rmmctl=$builddir/tools/rmmctl
daemon=$builddir/daemon/rmmemu
realms=$builddir/realms
. "${top_srcdir:-.}/tools/tests/checks.sh"

checks_tmpdir rmm-run

# The RIM rmm-run printed last.
rim() {
	sed -n 's/^rmm-run: RIM \([0-9a-f]*\)$/\1/p' "$tmp/out"
}

# --- command line ----------------------------------------------------------------

expect "--help" 0 "^usage: rmm-run \[OPTIONS\] IMAGE" "$rmm_run" --help
expect "--help lists the exit status" 0 "^  4  the realm was built" "$rmm_run" --help
expect "-h" 0 "--reject-ripas" "$rmm_run" -h
expect "no image" 2 "no image given" "$rmm_run"
expect "two images" 2 "one image only" "$rmm_run" a b
expect "bad option" 2 "Try 'rmm-run --help'" "$rmm_run" --frob x
expect "missing image" 1 "no-such-image: No such file" "$rmm_run" "$tmp/no-such-image"
expect "image is a directory" 1 "not a regular file" "$rmm_run" "$tmp"
: >"$tmp/empty"
expect "empty image" 1 "the image is empty" "$rmm_run" "$tmp/empty"
for size in 0 3000 64X M -4K 2T; do
	expect "--ram $size" 2 "bad RAM size '$size'" "$rmm_run" --ram "$size" "$tmp/empty"
done
for n in 0 65 x 1K; do
	expect "--recs $n" 2 "bad number of RECs '$n'" "$rmm_run" --recs "$n" "$tmp/empty"
done
expect "--hash md5" 2 "unknown hash algorithm 'md5'" "$rmm_run" --hash md5 "$tmp/empty"
expect "--ipa-bits 31" 2 "bad IPA width '31'" "$rmm_run" --ipa-bits 31 "$tmp/empty"
expect "--timeout 0" 2 "bad timeout '0'" "$rmm_run" --timeout 0 "$tmp/empty"
expect "--log-level loud" 2 "unknown log level 'loud'" "$rmm_run" --log-level loud "$tmp/empty"
expect "--load-addr junk" 2 "bad load address" "$rmm_run" --load-addr 0x4000zz "$tmp/empty"
expect "missing --dtb" 1 "no-such-dtb: No such file" \
	"$rmm_run" --dtb "$tmp/no-such-dtb" "$tmp/empty"

# --- images that do not fit ---------------------------------------------------------

# 8 KiB + 1 byte of flat image.
head -c 8193 /dev/zero | tr '\0' 'A' >"$tmp/flat"
expect "image larger than RAM" 1 "does not fit in RAM" "$rmm_run" --ram 8K "$tmp/flat"
expect "image below RAM" 1 "does not fit in RAM" "$rmm_run" --load-addr 0x3ffff000 "$tmp/flat"
expect "image past RAM" 1 "does not fit in RAM" \
	"$rmm_run" --ram 2M --load-addr 0x401ff000 "$tmp/flat"
expect "DTB beside a full RAM" 1 "the DTB \(8193 bytes\) does not fit" \
	"$rmm_run" --ram 12K --dtb "$tmp/flat" "$tmp/flat"
expect "IPA width too small" 1 "IPA width of 32 bits does not fit" \
	"$rmm_run" --ram 3G --ipa-bits 32 "$tmp/flat"

# --- the RIM ---------------------------------------------------------------------------

# Exit status 4 without an executor, 5 (--timeout) with one: the flat image
# is no program.
expect_built() {
	name=$1
	shift
	"$@" >"$tmp/out" 2>&1
	status=$?
	if { [ "$status" -eq 4 ] || [ "$status" -eq 5 ]; } && [ -n "$(rim)" ]; then
		ok "$name"
	else
		not_ok "$name (exit status $status, no RIM)"
		sed 's/^/  /' "$tmp/out"
	fi
}

expect_built "flat image" "$rmm_run" --timeout 1 --ram 4M "$tmp/flat"
rim_flat=$(rim)
if grep -q "^rmm-run: entry 0x40000000; 3 image pages (measured)" "$tmp/out" &&
   [ ${#rim_flat} -eq 64 ]; then
	ok "flat image: entry, pages, SHA-256 RIM"
else
	not_ok "flat image: entry, pages, SHA-256 RIM"
fi
# --- Linux: --kernel -------------------------------------------------------------------

expect "--kernel with an IMAGE" 2 "no IMAGE too" "$rmm_run" --kernel "$tmp/flat" "$tmp/flat"
expect "--append without --kernel" 2 "--append is for --kernel" \
	"$rmm_run" --append quiet "$tmp/flat"
expect "--kernel and --load-addr" 2 "--load-addr is for IMAGE" \
	"$rmm_run" --kernel "$tmp/flat" --load-addr 0x40000000
expect "--kernel not an Image" 1 "not an arm64 Linux Image" "$rmm_run" --kernel "$tmp/flat"
# An Image header (text_offset 0, image_size 1 MiB, 4 KiB pages, anywhere)
# on 8 KiB of zeros: built, the DTB at the top of RAM, the initrd below it.
{
	printf '\000\000\000\000\000\000\000\000'
	printf '\000\000\000\000\000\000\000\000'
	printf '\000\000\020\000\000\000\000\000'
	printf '\012\000\000\000\000\000\000\000'
	printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
	printf '\000\000\000\000\000\000\000\000ARM\144\000\000\000\000'
	head -c 8128 /dev/zero
} >"$tmp/Image"
head -c 5000 /dev/zero >"$tmp/initrd"
expect_built "--kernel Image --initrd" "$rmm_run" --timeout 1 --ram 16M \
	--kernel "$tmp/Image" --initrd "$tmp/initrd" --append "rdinit=/init"
rim_linux=$(rim)
# 256 pages of image_size, 1 of DTB, 2 of initrd (4 KiB aligned below it).
if grep -q "^rmm-run: entry 0x40000000; 259 image pages (measured)" "$tmp/out" &&
   grep -q "^rmm-run: dtb at 0x40e00000 " "$tmp/out" &&
   grep -q "^rmm-run: initrd at \[0x40dfe000, 0x40dff388)" "$tmp/out"; then
	ok "--kernel: image_size pages, the DTB and the initrd placed"
else
	not_ok "--kernel: image_size pages, the DTB and the initrd placed"
	sed 's/^/  /' "$tmp/out"
fi
expect_built "--kernel, another command line" "$rmm_run" --timeout 1 --ram 16M \
	--kernel "$tmp/Image" --initrd "$tmp/initrd" --append "rdinit=/sbin/init"
check "the command line is in the RIM (the DTB is measured)" [ "$(rim)" != "$rim_linux" ]

expect_built "same image again" "$rmm_run" --timeout 1 --ram 4M "$tmp/flat"
check "the RIM is reproducible" [ "$(rim)" = "$rim_flat" ]
expect_built "--measured" "$rmm_run" --timeout 1 --ram 4M --measured "$tmp/flat"
check "--measured is the default" [ "$(rim)" = "$rim_flat" ]
expect_built "--no-measure" "$rmm_run" --timeout 1 --ram 4M --no-measure "$tmp/flat"
check "--no-measure changes the RIM" [ "$(rim)" != "$rim_flat" ]
expect_built "--recs 3" "$rmm_run" --timeout 1 --ram 4M --recs 3 "$tmp/flat"
check "RECs that are not runnable are not measured" [ "$(rim)" = "$rim_flat" ]
expect_built "--load-addr" "$rmm_run" --timeout 1 --ram 4M --load-addr 0x40100000 "$tmp/flat"
check "--load-addr changes the RIM" [ "$(rim)" != "$rim_flat" ]
check "--load-addr moves the entry" grep -q "entry 0x40100000" "$tmp/out"
expect_built "--hash sha512" "$rmm_run" --timeout 1 --ram 4M --hash sha512 "$tmp/flat"
check "SHA-512 RIM" [ "$(rim | wc -c)" -eq 129 ]
head -c 100 /dev/zero | tr '\0' 'D' >"$tmp/dtb"
head -c 5000 /dev/zero | tr '\0' 'I' >"$tmp/initrd"
expect_built "--dtb --initrd" "$rmm_run" --timeout 1 --ram 4M --dtb "$tmp/dtb" \
	--initrd "$tmp/initrd" "$tmp/flat"
if grep -q "^rmm-run: dtb at 0x40200000 (100 bytes)" "$tmp/out" &&
   grep -q "^rmm-run: initrd at \[0x401fe000, 0x401ff388)" "$tmp/out"; then
	ok "DTB at the top 2 MiB block, initrd below it"
else
	not_ok "DTB at the top 2 MiB block, initrd below it"
	sed 's/^/  /' "$tmp/out"
fi
rim_dtb=$(rim)

# --- through the daemon -------------------------------------------------------------------

if [ -x "$daemon" ]; then
	sock=$tmp/rmmemu.sock
	"$daemon" --socket "$sock" --log-level error 2>"$tmp/daemon.err" &
	daemon_pid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# The daemon has no executor here: the realm gets IRQ exits until the
	# timeout, and the kicks of the stop go as KICK messages.
	expect "daemon: run until the timeout" 5 "timed out after 300 ms" \
		"$rmm_run" --socket "$sock" --timeout 0.3 --stats --ram 4M --dtb "$tmp/dtb" \
		--initrd "$tmp/initrd" "$tmp/flat"
	check "daemon: --stats counts the IRQ exits" \
		grep -Eq "^rmm-run: REC exits: [1-9][0-9]* \(SYNC 0, IRQ [1-9]" "$tmp/out"
	check "daemon: --stats without UART output" \
		grep -q "^rmm-run: no UART output" "$tmp/out"
	check "daemon: the same RIM as in-process" [ "$(rim)" = "$rim_dtb" ]
	expect "daemon: bad socket" 1 "cannot connect" \
		"$rmm_run" --socket "$tmp/no-daemon.sock" "$tmp/flat"
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
else
	echo "SKIP: daemon: no $daemon"
fi

# --- the realm payloads ---------------------------------------------------------------------

# payload NAME PASS-PATTERN OPTIONS...: the ELF and the flat binary build
# into a realm starting at 0x40000000; where an executor runs it, it must
# power off (exit 0) and print PASS-PATTERN.
payload() {
	name=$1 pattern=$2
	shift 2
	for image in "$realms/$name.elf" "$realms/$name.bin"; do
		"$rmm_run" --timeout 300 "$@" "$image" >"$tmp/out" 2>"$tmp/err"
		status=$?
		cat "$tmp/err" >>"$tmp/out"
		if [ "$status" -eq 4 ] && [ -n "$(rim)" ] &&
		   grep -q "^rmm-run: entry 0x40000000;" "$tmp/out"; then
			ok "$(basename "$image"): built, entry 0x40000000 (no executor to run it)"
		elif [ "$status" -eq 0 ] && grep -Eq -- "$pattern" "$tmp/out"; then
			ok "$(basename "$image"): ran and passed"
		else
			not_ok "$(basename "$image") (exit status $status)"
			sed 's/^/  /' "$tmp/out"
		fi
	done
}

# claim_is NAME HEX: the line of rmmctl verify-token's output for a claim.
claim_is() {
	if grep -qxF "$1 $2" "$tmp/claims"; then
		ok "attest token: $1"
	else
		not_ok "attest token: $1 is not $2"
		grep "^$1 " "$tmp/claims" | sed 's/^/  /'
	fi
}

# The attest payload's token, handed over through shared memory and the
# save host call, checked with rmmctl verify-token and the platform key of
# rmm-run's state directory: its RIM is the one rmm-run printed, its REMs
# are those of the payload's extends (SHA-256 of 32 zero bytes and the
# data), its challenge the payload's. The token, the platform key and these
# expectations (as JSON) also go to the log ("attest-token-hex: ",
# "attest-platform-key: ", "attest-expect: "), where the devbox stage picks
# them up for the Node verifier, which runs on the build machine.
attest_token() {
	zeros=0000000000000000000000000000000000000000000000000000000000000000
	challenge=0104070a0d101316191c1f2225282b2e3134373a3d404346494c4f5255585b5e6164676a6d707376797c7f8285888b8e9194979a9da0a3a6a9acafb2b5b8bbbe
	rem0=99ea5e0c14379e6ae83b1acbd72a03f4ea5de071f5afa99adabbba6f67997f90
	rem2=dc7a48014fc1fac8b52af39bc7ea5cafafabf8bb81fb8f880fdf3b4a4566795c
	"$rmm_run" --timeout 300 --state-dir "$tmp/state" --save "$tmp/token.cbor" \
		"$realms/attest.elf" >"$tmp/out" 2>&1
	status=$?
	if [ "$status" -eq 4 ] && [ -n "$(rim)" ]; then
		ok "attest.elf: built (no executor to run it)"
		return
	fi
	if [ "$status" -ne 0 ] || ! grep -Eq '^attest: [0-9]+ passed, 0 failed' "$tmp/out"; then
		not_ok "attest.elf (exit status $status)"
		sed 's/^/  /' "$tmp/out"
		return
	fi
	ok "attest.elf: ran and passed"
	"$rmmctl" keys --state-dir "$tmp/state" | sed -n '/^platform key/,/END PUBLIC KEY/p' |
		sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' >"$tmp/platform.pem"
	if ! "$rmmctl" verify-token --platform-key "$tmp/platform.pem" "$tmp/token.cbor" \
		>"$tmp/claims" 2>&1; then
		not_ok "attest token: rmmctl verify-token rejects it"
		sed 's/^/  /' "$tmp/claims"
		return
	fi
	ok "attest token: rmmctl verify-token accepts it"
	echo "attest-token-hex: $(od -An -v -tx1 "$tmp/token.cbor" | tr -d ' \n')"
	echo "attest-platform-key: $(tr '\n' '|' <"$tmp/platform.pem")"
	echo "attest-expect: {\"challenge\": \"$challenge\", \"rim\": \"$(rim)\"," \
		"\"rems\": [\"$rem0\", \"$zeros\", \"$rem2\", \"$zeros\"]," \
		"\"hash_algo\": \"sha-256\"}"
	claim_is realm.initial-measurement "$(rim)"
	claim_is realm.challenge $challenge
	claim_is "realm.extensible-measurements[0]" $rem0
	claim_is "realm.extensible-measurements[1]" $zeros
	claim_is "realm.extensible-measurements[2]" $rem2
	claim_is "realm.extensible-measurements[3]" $zeros
}

if [ -f "$realms/hello.elf" ]; then
	expect "--populate with a bad value" 2 "bad --populate 'never'" \
		"$rmm_run" --populate never "$realms/hello.elf"
	expect "--load-addr with an ELF image" 2 "--load-addr is for flat images" \
		"$rmm_run" --load-addr 0x40000000 "$realms/hello.elf"
	payload hello "^hello from realm"
	payload rsi-tour "^rsi-tour: [0-9]+ passed, 0 failed"
	payload psci "^psci: [0-9]+ passed, 0 failed" --recs 4
	payload ripas "^ripas: [0-9]+ passed, 0 failed"
	payload mmio "^mmio: [0-9]+ passed, 0 failed"
	payload exit-storm "^PASS exit_storm_last_value"
	payload vtimer "^vtimer: [0-9]+ passed, 0 failed"
	attest_token
	# RAM past the image comes at the first touch, or before the run.
	payload ripas "^rmm-run: RAM: 1 first touches populated [0-9]+ pages" --stats
	payload ripas "^rmm-run: RAM: 0 first touches populated" --stats --populate all
else
	echo "SKIP: realm payloads (not built: no aarch64-linux-gnu-gcc at configure time)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
