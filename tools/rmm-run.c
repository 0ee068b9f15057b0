/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm-run: a minimal NS host. Loads a realm image, builds the realm with the
 * RMI calls of the Linux CCA host, prints its RIM and runs it, emulating a
 * UART and PSCI for it. The host logic is the library in tools/vmm/; this
 * file is the command line around it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmmemu/rmi-1.0.h>

#include "platform/platform.h"
#include "rmmemu/log.h"
#include "rmmemu/rmm.h"
#include "run-executor.h"
#include "vmm/vmm.h"

/* The command line rmm-run's device tree gives Linux before --append; the
 * earlycon's address follows (linux_bootargs). */
#define VMM_LINUX_ARGS "console=ttyAMA0 earlycon=pl011,"
#define LINUX_RAM_DEFAULT (512ULL << 20)

static const char usage_text[] =
"usage: rmm-run [OPTIONS] IMAGE\n"
"       rmm-run [OPTIONS] --kernel Image [--initrd FILE] [--append ARGS]\n"
"\n"
"Builds a realm from IMAGE with the RMI sequence of the Linux CCA host,\n"
"prints its RIM and runs it: one thread per REC, REC exits handled as the\n"
"Linux host does, a UART whose output goes to standard output.\n"
"\n"
"IMAGE is an ELF64 AArch64 executable (its PT_LOAD segments go to their\n"
"physical addresses, REC 0 starts at its entry point) or a flat binary\n"
"(loaded at --load-addr, REC 0 starts at its first byte). REC 0 starts with\n"
"x0 = the IPA of the DTB (0 without --dtb), as the arm64 boot protocol says.\n"
"\n"
"With --kernel, rmm-run is a VMM for Linux: the arm64 Image goes where its\n"
"header says (text_offset above the start of RAM, image_size bytes with\n"
"its .bss) and rmm-run writes the device tree of the machine below (memory,\n"
"one cpu per REC with PSCI, realm PSCI over SMC, the GICv3, the timer, the\n"
"PL011 as the console, the initrd in /chosen) unless --dtb gives one. The\n"
"Image, the initrd and the DTB are measured into the RIM.\n"
"\n"
"Options:\n"
"  --ram SIZE            realm RAM at IPA 0x40000000, a multiple of 4 KiB;\n"
"                        suffixes K, M, G (default 64M; 512M with --kernel)\n"
"  --kernel FILE         boot FILE, an arm64 Linux Image, as a Linux VMM does\n"
"  --append ARGS         the kernel command line after \"" VMM_LINUX_ARGS "ADDR\"\n"
"                        (ADDR: the UART's unprotected alias; --kernel only)\n"
"  --load-addr ADDR      IPA of a flat IMAGE (default 0x40000000, the RAM base)\n"
"  --dtb FILE            device tree blob, placed at the top of RAM (2 MiB\n"
"                        aligned when it fits); its IPA is printed\n"
"  --initrd FILE         initial ramdisk, placed below the DTB (4 KiB\n"
"                        aligned); its IPA range is printed\n"
"  --recs N              number of RECs (vCPUs), 1 to 64 (default 1); REC 0\n"
"                        starts, the others wait for PSCI CPU_ON\n"
"  --measured            DATA_CREATE the image pages with MEASURE_CONTENT:\n"
"                        their contents go into the RIM (default)\n"
"  --no-measure          DATA_CREATE them without measuring their contents\n"
"  --hash ALG            the realm's hash algorithm: sha256 (default), sha512\n"
"  --ipa-bits N          the realm's IPA width s2sz, 32 to 48 (default: the\n"
"                        smallest that holds RAM and the devices in the lower,\n"
"                        protected half)\n"
"  --reject-ripas        answer every RIPAS change request with a reject,\n"
"                        changing nothing\n"
"  --populate WHEN       when RAM outside the images gets its DATA granules\n"
"                        (DATA_CREATE_UNKNOWN; the RIM is the same either\n"
"                        way): touch (default), the 2 MiB around a page at\n"
"                        the realm's first access to it; all, before the\n"
"                        realm runs\n"
"  --save FILE           where the realm's save host call writes (below)\n"
"  --save-console-token FILE\n"
"                        write to FILE the bytes the realm prints in hex on\n"
"                        the UART between a line " VMM_TOKEN_BEGIN "\n"
"                        and a line " VMM_TOKEN_END "\n"
"                        (blanks ignored; the last such token wins)\n"
"  --socket PATH         use the rmmemu daemon at PATH instead of an RMM in\n"
"                        this process; the daemon runs the realm with its own\n"
"                        executor\n"
"  --state-dir DIR       where the platform's attestation keys live, as for\n"
"                        the daemon: DIR/platform-key.pem, DIR/realm-key.pem,\n"
"                        generated (ECC P-384) when missing (default\n"
"                        $XDG_STATE_HOME/rmmemu, else ~/.local/state/rmmemu)\n"
"  --platform-key PEM    the platform key from the file PEM instead\n"
"  --realm-key PEM       the realm attestation key from the file PEM instead\n"
"                        (these three are for the RMM in this process; with\n"
"                        --socket the daemon attests with its own keys)\n"
"  --timeout SECONDS     stop the realm after that long (exit status 5)\n"
"  --stats               at exit print the REC exits by reason, the MMIO\n"
"                        accesses, the RAM populated on first touch, the\n"
"                        time to the first UART byte and when the build\n"
"                        ended, the realm first ran, wrote its\n"
"                        first byte and last line and called SYSTEM_OFF\n"
"  --mark TEXT           with --stats, also when the realm's output first had\n"
"                        a line containing TEXT (e.g. its init's banner)\n"
"  --trace               print every REC exit\n"
"  --log-level LEVEL     log level of the in-process RMM: error, warn\n"
"                        (default), info, debug (every RMI call), trace\n"
"  -h, --help            this text\n"
"\n"
"The realm's machine (devices at their address with the top IPA bit set,\n"
"the unprotected alias 2^(s2sz - 1)):\n"
"  0x08000000  GICv3 distributor, with the KVM executor (its vGIC)\n"
"  0x080a0000  GICv3 redistributors, 128 KiB each, REC 0 first\n"
"  0x09000000  UART (PL011 registers): writes to DR (+0x00) are output, FR\n"
"              (+0x18) reads as never full\n"
"  0x0a000000  scratch: 4 KiB that return what was written (1, 2, 4 or 8\n"
"              bytes at a time)\n"
"  0x40000000  RAM (see --populate)\n"
"  0x40000000 + top bit: shared memory, the unprotected alias of RAM (a\n"
"              host page is mapped at the realm's first access to a page)\n"
"Other unprotected addresses read as 0 and ignore writes. A host call is\n"
"answered with the realm's registers, x0 set to 0, except immediate 1,\n"
"save: x0 = the IPA of bytes in shared memory, x1 = their size (up to\n"
"1 MiB), written to the --save FILE (x0 = 0; 1 when that fails). The\n"
"attest payload hands its attestation token over this way. rmm-run's own\n"
"messages, the RIM among them, go to standard error.\n"
"\n"
"Exit status:\n"
"  0  the realm called PSCI SYSTEM_OFF\n"
"  1  error: bad image, RMI failure, or the realm did what no host handles\n"
"     (an access outside RAM, an SError, every REC off)\n"
"  2  bad usage\n"
"  3  the realm called PSCI SYSTEM_RESET (rmm-run does not restart it)\n"
"  4  the realm was built and its RIM printed, but nothing here can run it\n"
"     (running realm code needs the KVM executor and /dev/kvm)\n"
"  5  --timeout expired\n";

struct options {
	struct vmm_config cfg;
	const char *image, *dtb, *initrd, *socket, *kernel, *append;
	bool ram_set;
	uint64_t load_addr;
	bool load_addr_set;
	bool stats;
	enum rmm_log_level log_level;
	struct platform_opts keys;	/* the in-process RMM's attestation keys */
	bool keys_set;
};

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rmm-run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'rmm-run --help'.\n");
	return VMM_EXIT_USAGE;
}

/* A number with an optional K, M or G (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || (shift != 0 && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	uint64_t v;

	if (parse_size(s, &v) != 0 || v < min || v > max || strpbrk(s, "kKmMgG"))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_seconds(const char *s, unsigned int *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(d > 0) || d > 86400.0 * 365)
		return -1;
	*ms = d * 1000 < 1 ? 1 : (unsigned int)(d * 1000);
	return 0;
}

/* The in-process RMM's attestation keys (platform/platform.h). */
enum { OPT_STATE_DIR = 0x200, OPT_PLATFORM_KEY, OPT_REALM_KEY };

enum {
	OPT_RAM = 0x100, OPT_LOAD_ADDR, OPT_DTB, OPT_INITRD, OPT_RECS, OPT_MEASURED,
	OPT_NO_MEASURE, OPT_HASH, OPT_IPA_BITS, OPT_REJECT_RIPAS, OPT_SOCKET,
	OPT_TIMEOUT, OPT_STATS, OPT_TRACE, OPT_LOG_LEVEL, OPT_POPULATE, OPT_SAVE,
	OPT_KERNEL, OPT_APPEND, OPT_SAVE_CONSOLE_TOKEN, OPT_MARK,
};

static const struct option long_options[] = {
	{ "ram", required_argument, NULL, OPT_RAM },
	{ "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
	{ "dtb", required_argument, NULL, OPT_DTB },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "recs", required_argument, NULL, OPT_RECS },
	{ "measured", no_argument, NULL, OPT_MEASURED },
	{ "no-measure", no_argument, NULL, OPT_NO_MEASURE },
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "ipa-bits", required_argument, NULL, OPT_IPA_BITS },
	{ "reject-ripas", no_argument, NULL, OPT_REJECT_RIPAS },
	{ "populate", required_argument, NULL, OPT_POPULATE },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "save-console-token", required_argument, NULL, OPT_SAVE_CONSOLE_TOKEN },
	{ "mark", required_argument, NULL, OPT_MARK },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "platform-key", required_argument, NULL, OPT_PLATFORM_KEY },
	{ "realm-key", required_argument, NULL, OPT_REALM_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option; returns -1 to go on, else the exit status. */
static int parse_option(struct options *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_RAM:
		if (parse_size(arg, &o->cfg.ram_size) != 0 || o->cfg.ram_size == 0 ||
		    o->cfg.ram_size % RMI_GRANULE_SIZE != 0 ||
		    o->cfg.ram_size > (1ULL << 40))
			return usage_error("bad RAM size '%s' (a multiple of 4 KiB up to 1T, "
					   "e.g. 64M)", arg);
		o->ram_set = true;
		return -1;
	case OPT_LOAD_ADDR:
		if (parse_size(arg, &o->load_addr) != 0 || strpbrk(arg, "kKmMgG"))
			return usage_error("bad load address '%s'", arg);
		o->load_addr_set = true;
		return -1;
	case OPT_DTB: o->dtb = arg; return -1;
	case OPT_INITRD: o->initrd = arg; return -1;
	case OPT_RECS:
		if (parse_uint(arg, 1, VMM_MAX_RECS, &o->cfg.num_recs) != 0)
			return usage_error("bad number of RECs '%s' (1 to %d)", arg, VMM_MAX_RECS);
		return -1;
	case OPT_MEASURED: o->cfg.measure = true; return -1;
	case OPT_NO_MEASURE: o->cfg.measure = false; return -1;
	case OPT_HASH:
		if (strcmp(arg, "sha256") == 0)
			o->cfg.hash_algo = RMI_HASH_SHA_256;
		else if (strcmp(arg, "sha512") == 0)
			o->cfg.hash_algo = RMI_HASH_SHA_512;
		else
			return usage_error("unknown hash algorithm '%s' (sha256, sha512)", arg);
		return -1;
	case OPT_IPA_BITS:
		if (parse_uint(arg, 32, 48, &o->cfg.ipa_bits) != 0)
			return usage_error("bad IPA width '%s' (32 to 48)", arg);
		return -1;
	case OPT_REJECT_RIPAS: o->cfg.reject_ripas = true; return -1;
	case OPT_POPULATE:
		if (strcmp(arg, "all") == 0)
			o->cfg.populate_all = true;
		else if (strcmp(arg, "touch") == 0)
			o->cfg.populate_all = false;
		else
			return usage_error("bad --populate '%s' (touch, all)", arg);
		return -1;
	case OPT_SOCKET: o->socket = arg; return -1;
	case OPT_STATE_DIR: o->keys.state_dir = arg; o->keys_set = true; return -1;
	case OPT_PLATFORM_KEY: o->keys.platform_key = arg; o->keys_set = true; return -1;
	case OPT_REALM_KEY: o->keys.realm_key = arg; o->keys_set = true; return -1;
	case OPT_SAVE: o->cfg.save_path = arg; return -1;
	case OPT_KERNEL: o->kernel = arg; return -1;
	case OPT_APPEND: o->append = arg; return -1;
	case OPT_SAVE_CONSOLE_TOKEN: o->cfg.console_token_path = arg; return -1;
	case OPT_MARK: o->cfg.mark = arg; return -1;
	case OPT_TIMEOUT:
		if (parse_seconds(arg, &o->cfg.timeout_ms) != 0)
			return usage_error("bad timeout '%s' (seconds, more than 0)", arg);
		return -1;
	case OPT_STATS: o->stats = true; return -1;
	case OPT_TRACE: o->cfg.trace = true; return -1;
	case OPT_LOG_LEVEL:
		if (rmm_log_level_parse(arg, &o->log_level) != 0)
			return usage_error("unknown log level '%s'", arg);
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return 0;
	default:
		return usage_error("bad option");
	}
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int opt, ret;

	vmm_config_default(&o->cfg);
	o->load_addr = VMM_RAM_BASE;
	o->log_level = RMM_LOG_WARN;
	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		ret = parse_option(o, opt, optarg);
		if (ret >= 0)
			return ret;
	}
	if (o->socket != NULL && o->keys_set)
		return usage_error("--state-dir, --platform-key and --realm-key are for the RMM "
				   "in this process; the daemon at --socket attests with its own");
	if (o->kernel != NULL) {
		if (optind < argc)
			return usage_error("--kernel boots Linux: no IMAGE too ('%s')",
					   argv[optind]);
		if (o->load_addr_set)
			return usage_error("--load-addr is for IMAGE; an Image's header "
					   "says where it goes");
		if (!o->ram_set)
			o->cfg.ram_size = LINUX_RAM_DEFAULT;
		o->image = o->kernel;
		return -1;
	}
	if (o->append != NULL)
		return usage_error("--append is for --kernel");
	if (optind >= argc)
		return usage_error("no image given");
	if (optind + 1 < argc)
		return usage_error("one image only ('%s' is one too many)", argv[optind + 1]);
	o->image = argv[optind];
	return -1;
}

/* ---- files --------------------------------------------------------------- */

struct files {
	uint8_t *image_buf, *dtb_buf, *initrd_buf;
	size_t image_size, dtb_size, initrd_size;
	struct vmm_image image;
	struct vmm_blob dtb, initrd;
	uint64_t initrd_at;		/* where the generated DTB says it is */
};

/*
 * The kernel command line: rmm-run's console arguments, then --append. The
 * early console starts before Linux knows it is a realm, so it is given
 * the UART's unprotected alias (at the protected address the realm would
 * get an SEA, rmi-1.0.md 9.3); the PL011 driver later finds the alias by
 * itself (the RIPAS of its address is EMPTY).
 */
static char *linux_bootargs(const struct options *o)
{
	unsigned int s2sz = o->cfg.ipa_bits != 0 ? o->cfg.ipa_bits :
			    vmm_ipa_bits_needed(&o->cfg);
	uint64_t uart = VMM_UART_BASE | 1ULL << (s2sz - 1);
	size_t n = strlen(VMM_LINUX_ARGS) + 24 + (o->append != NULL ? strlen(o->append) : 0);
	char *args = malloc(n);

	if (args != NULL)
		snprintf(args, n, "%s0x%" PRIx64 "%s%s", VMM_LINUX_ARGS, uart,
			 o->append != NULL ? " " : "", o->append != NULL ? o->append : "");
	return args;
}

/*
 * The device tree for the Linux guest, made twice: its size decides where
 * the builder puts it and so the initrd below it (vmm_place_blobs), whose
 * addresses go into /chosen; the second blob has the same size.
 */
static int linux_dtb(const struct options *o, struct files *f)
{
	struct vmm_linux_dt dt = {
		.ram_base = o->cfg.ram_base, .ram_size = o->cfg.ram_size,
		.num_recs = o->cfg.num_recs,
	};
	uint64_t dtb_at, initrd_at;
	char err[256];
	int ret = -1;

	dt.bootargs = linux_bootargs(o);
	/* Placeholders with the properties of the final blob. */
	if (f->initrd_buf != NULL)
		dt.initrd_end = 1;
	if (dt.bootargs == NULL || vmm_linux_dtb(&dt, &f->dtb_buf, &f->dtb_size) != 0) {
		fprintf(stderr, "rmm-run: cannot make the device tree: out of memory\n");
		goto out;
	}
	if (vmm_place_blobs(&o->cfg, &f->image, f->dtb_size, f->initrd_size, &dtb_at,
			    &initrd_at, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmm-run: %s\n", err);
		goto out;
	}
	if (f->initrd_buf != NULL) {
		size_t size = f->dtb_size;

		dt.initrd_start = initrd_at;
		dt.initrd_end = initrd_at + f->initrd_size;
		free(f->dtb_buf);
		f->dtb_buf = NULL;
		if (vmm_linux_dtb(&dt, &f->dtb_buf, &f->dtb_size) != 0 || f->dtb_size != size) {
			fprintf(stderr, "rmm-run: cannot make the device tree\n");
			goto out;
		}
	}
	f->initrd_at = initrd_at;
	ret = 0;
out:
	free((char *)dt.bootargs);
	return ret;
}

static int load_linux(const struct options *o, struct files *f)
{
	char err[512];

	if (vmm_linux_image_parse(f->image_buf, f->image_size, o->cfg.ram_base, &f->image,
				  err, sizeof(err)) != 0) {
		fprintf(stderr, "rmm-run: %s: %s\n", o->kernel, err);
		return VMM_EXIT_ERROR;
	}
	if (o->dtb == NULL && linux_dtb(o, f) != 0)
		return VMM_EXIT_ERROR;
	f->dtb = (struct vmm_blob){ f->dtb_buf, f->dtb_size };
	f->initrd = (struct vmm_blob){ f->initrd_buf, f->initrd_size };
	return -1;
}

static int load_files(const struct options *o, struct files *f)
{
	char err[512];

	if (vmm_read_file(o->image, &f->image_buf, &f->image_size, err, sizeof(err)) != 0 ||
	    (o->dtb != NULL &&
	     vmm_read_file(o->dtb, &f->dtb_buf, &f->dtb_size, err, sizeof(err)) != 0) ||
	    (o->initrd != NULL &&
	     vmm_read_file(o->initrd, &f->initrd_buf, &f->initrd_size, err, sizeof(err)) != 0)) {
		fprintf(stderr, "rmm-run: %s\n", err);
		return VMM_EXIT_ERROR;
	}
	if (o->kernel != NULL)
		return load_linux(o, f);
	if (o->load_addr_set && vmm_image_is_elf(f->image_buf, f->image_size))
		return usage_error("--load-addr is for flat images; %s is an ELF file with "
				   "its own addresses", o->image);
	if (vmm_image_parse(f->image_buf, f->image_size, o->load_addr, &f->image, err,
			    sizeof(err)) != 0) {
		fprintf(stderr, "rmm-run: %s: %s\n", o->image, err);
		return VMM_EXIT_ERROR;
	}
	f->dtb = (struct vmm_blob){ f->dtb_buf, f->dtb_size };
	f->initrd = (struct vmm_blob){ f->initrd_buf, f->initrd_size };
	return -1;
}

static void free_files(struct files *f)
{
	free(f->image_buf);
	free(f->dtb_buf);
	free(f->initrd_buf);
}

/* ---- the run ---------------------------------------------------------------- */

struct host {
	struct rmm *rmm;		/* in-process RMM, or NULL */
	struct platform *platform;	/* its attestation keys and platform token */
	struct vmm_backend be;
	void *exec_ctx;
	bool can_run;
	const char *why;
};

static int host_open(const struct options *o, struct host *h)
{
	char err[512];
	const struct rmm_executor_ops *ops;

	if (o->socket != NULL) {
		if (vmm_backend_daemon(o->socket, &h->be, err, sizeof(err)) != 0) {
			fprintf(stderr, "rmm-run: %s\n", err);
			return -1;
		}
		h->can_run = true;
		return 0;
	}
	rmm_log_set_level(o->log_level);
	h->rmm = rmm_new(NULL);
	if (h->rmm == NULL) {
		fprintf(stderr, "rmm-run: cannot create the RMM: %s\n", strerror(errno));
		return -1;
	}
	if (platform_open(&o->keys, &h->platform, err, sizeof(err)) != 0) {
		fprintf(stderr, "rmm-run: %s\n", err);
		return -1;
	}
	if (platform_attach(h->platform, h->rmm) != 0) {
		fprintf(stderr, "rmm-run: cannot give the RMM its attestation key\n");
		return -1;
	}
	ops = rmm_run_executor(&h->exec_ctx, &h->why);
	if (ops != NULL)
		rmm_set_executor(h->rmm, ops, h->exec_ctx);
	h->can_run = ops != NULL;
	return vmm_backend_inproc(h->rmm, &h->be);
}

static void host_close(struct host *h)
{
	vmm_backend_free(&h->be);
	rmm_free(h->rmm);
	platform_free(h->platform);
	if (h->exec_ctx != NULL)
		rmm_run_executor_release(h->exec_ctx);
}

static void print_layout(const struct vmm_config *cfg, const struct vmm_layout *l)
{
	uint64_t unprot = 1ULL << (l->s2sz - 1);

	fprintf(stderr, "rmm-run: realm: RAM [0x%" PRIx64 ", 0x%" PRIx64 ") (%" PRIu64
		" MiB), IPA width %u (root RTT level %d x %u), %u REC%s, %s\n",
		cfg->ram_base, cfg->ram_base + cfg->ram_size, cfg->ram_size >> 20, l->s2sz,
		l->rtt_level_start, l->rtt_num_start, cfg->num_recs,
		cfg->num_recs == 1 ? "" : "s",
		cfg->hash_algo == RMI_HASH_SHA_512 ? "SHA-512" : "SHA-256");
	fprintf(stderr, "rmm-run: entry 0x%" PRIx64 "; %" PRIu64 " image pages (%s), %s\n",
		l->entry, l->image_pages,
		cfg->measure ? "measured" : "contents not measured",
		cfg->populate_all ? "the rest of RAM populated" :
				    "the rest of RAM populated on first touch");
	if (l->dtb != 0)
		fprintf(stderr, "rmm-run: dtb at 0x%" PRIx64 " (%" PRIu64 " bytes)\n",
			l->dtb, l->dtb_size);
	if (l->initrd != 0)
		fprintf(stderr, "rmm-run: initrd at [0x%" PRIx64 ", 0x%" PRIx64 ")\n",
			l->initrd, l->initrd + l->initrd_size);
	fprintf(stderr, "rmm-run: UART at 0x%" PRIx64 ", scratch at 0x%" PRIx64 "\n",
		(uint64_t)(VMM_UART_BASE | unprot), (uint64_t)(VMM_SCRATCH_BASE | unprot));
}

static int build_and_run(const struct options *o, struct host *h, struct files *f)
{
	struct vmm *v = vmm_new(&o->cfg, &h->be);
	char rim[129];
	int code;

	if (v == NULL)
		return VMM_EXIT_ERROR;
	if (vmm_build(v, &f->image, f->dtb_buf != NULL ? &f->dtb : NULL,
		      o->initrd != NULL ? &f->initrd : NULL) != 0 ||
	    vmm_rim_hex(v, rim) != 0) {
		vmm_free(v);
		return VMM_EXIT_ERROR;
	}
	if (o->kernel != NULL && o->dtb == NULL && vmm_layout(v)->initrd != f->initrd_at) {
		fprintf(stderr, "rmm-run: the initrd is not where the device tree says\n");
		vmm_free(v);
		return VMM_EXIT_ERROR;
	}
	print_layout(&o->cfg, vmm_layout(v));
	fprintf(stderr, "rmm-run: RIM %s\n", rim);
	if (!h->can_run) {
		fprintf(stderr, "rmm-run: cannot run the realm: %s. Running realm code needs "
			"the KVM executor and /dev/kvm (an arm64 host, or the devbox).\n",
			h->why);
		vmm_free(v);
		return VMM_EXIT_NO_EXECUTOR;
	}
	code = vmm_run(v);
	if (o->stats)
		vmm_print_stats(v, stderr);
	vmm_free(v);
	return code;
}

int main(int argc, char **argv)
{
	struct options o;
	struct files f;
	struct host h;
	int code;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	memset(&h, 0, sizeof(h));
	code = parse_options(argc, argv, &o);
	if (code >= 0)
		return code;
	code = load_files(&o, &f);
	if (code < 0) {
		if (host_open(&o, &h) != 0)
			code = VMM_EXIT_ERROR;
		else
			code = build_and_run(&o, &h, &f);
		host_close(&h);
	}
	free_files(&f);
	return code;
}
