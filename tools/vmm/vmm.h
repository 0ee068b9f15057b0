/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NS host behind rmm-run, as a library: it loads a realm image, builds
 * the realm with the RMI sequence of the Linux CCA host (reference
 * linux-host.md 3), then runs one host thread per REC, handling every REC
 * exit as the Linux host does (linux-host.md 4) with a PL011-like UART and a
 * scratch register block as the realm's devices. The RMM is the core in this
 * process or the rmmemu daemon (struct vmm_backend).
 *
 * The realm's machine (IPAs; devices are at base | 2^(s2sz - 1), the
 * unprotected alias):
 *
 *   0x09000000  UART, PL011 registers: DR (0x000) writes go to the output,
 *               FR (0x018) reads TXFE | RXFE (never full, nothing to read),
 *               CR, LCR_H, IBRD, FBRD, IMSC, IFLS, DMACR keep what is
 *               written, the PrimeCell ID registers read as a PL011's
 *   0x0a000000  scratch: 4 KiB of byte-addressed little-endian storage; an
 *               access of 1, 2, 4 or 8 bytes writes or reads those bytes
 *   0x40000000  RAM (VMM_RAM_BASE): image pages populated with DATA_CREATE
 *               before the realm runs, the rest with DATA_CREATE_UNKNOWN,
 *               before too with populate_all, else on first touch, in
 *               chunks of VMM_RAM_FAULT_CHUNK
 *
 * Any other unprotected IPA reads as 0 and ignores writes (both counted).
 * The unprotected alias of a RAM page is shared memory: a host page mapped
 * there at the realm's first access (RTT_MAP_UNPROTECTED).
 *
 * Host calls (RSI_HOST_CALL) are answered with the realm's registers and
 * x0 = 0, except VMM_HOST_CALL_SAVE (immediate 1): x0 = the IPA of the
 * data in shared memory, x1 = its size (up to VMM_SAVE_MAX): rmm-run writes
 * those bytes to cfg.save_path and answers x0 = 0, or 1 when it cannot
 * (no save_path, memory not shared, a write error; reported).
 */
#ifndef TOOLS_VMM_VMM_H
#define TOOLS_VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rmmemu/rmi-1.0.h>

struct rmm;

#define VMM_RAM_BASE		0x40000000ULL
#define VMM_RAM_SIZE_DEFAULT	(64ULL << 20)
#define VMM_UART_BASE		0x09000000ULL
#define VMM_SCRATCH_BASE	0x0a000000ULL
#define VMM_DEVICE_SIZE		0x1000ULL
#define VMM_HOST_CALL_SAVE	1
#define VMM_SAVE_MAX		(1ULL << 20)
/* RAM populated at a first touch: the aligned 2 MiB around it, an RTT
 * level-2 block's worth, so a realm that walks its RAM faults once per
 * 512 pages. */
#define VMM_RAM_FAULT_CHUNK	(2ULL << 20)
#define VMM_MAX_RECS		64
#define VMM_MAX_SEGMENTS	16
/* The arm64 boot protocol's limit for the device tree. */
#define VMM_DTB_MAX_SIZE	(2ULL << 20)
/* The host PA of the NS memory rmm-run gives the RMM. */
#define VMM_HOST_PA_BASE	0x100000000ULL
/* The GICv3 as the KVM executor places it (executor/kvm.h): distributor,
 * then one redistributor frame pair per REC, REC 0 first. */
#define VMM_GICD_BASE		0x08000000ULL
#define VMM_GICD_SIZE		0x10000ULL
#define VMM_GICR_BASE		0x080a0000ULL
#define VMM_GICR_SIZE		0x20000ULL
/* The UART's interrupt in the device tree: SPI 1 (INTID 33), never
 * raised: the UART never fills and never has input. */
#define VMM_UART_SPI		1
/* Lines around an attestation token the realm prints in hex on the UART
 * (cfg.console_token_path). */
#define VMM_TOKEN_BEGIN		"-----BEGIN REALM TOKEN-----"
#define VMM_TOKEN_END		"-----END REALM TOKEN-----"

/* rmm-run's exit status. */
enum vmm_exit_code {
	VMM_EXIT_OFF = 0,		/* the realm called PSCI SYSTEM_OFF */
	VMM_EXIT_ERROR = 1,		/* a host or realm error, reported */
	VMM_EXIT_USAGE = 2,		/* bad command line */
	VMM_EXIT_RESET = 3,		/* the realm called PSCI SYSTEM_RESET */
	VMM_EXIT_NO_EXECUTOR = 4,	/* realm built, but nothing can run it */
	VMM_EXIT_TIMEOUT = 5,		/* --timeout expired */
};

/* ---- where the RMI calls go ---------------------------------------------- */

/*
 * A channel carries the RMI calls of one thread: the builder has one and
 * each REC thread its own (a REC_ENTER blocks its channel while the realm
 * runs). Everything else is called from the thread that runs vmm_build()
 * and vmm_run().
 */
struct vmm_backend_ops {
	/* Host PA [base, base + size) is the memfd fd at offset 0. */
	int (*share_region)(void *ctx, uint64_t base, uint64_t size, int fd);
	int (*channel_open)(void *ctx, void **chan);
	void (*channel_close)(void *ctx, void *chan);
	/* x[0] = FID, x[1..6]; out[0..4] = x0..x4. 0 or a negative errno when
	 * the call could not be made. */
	int (*call)(void *chan, const uint64_t x[7], uint64_t out[5]);
	/* 1 the REC was running, 0 it was not, or a negative errno. */
	int (*kick)(void *ctx, uint64_t rec_pa);
	/* The RIM of the realm at rd: 64-byte slot and digest size. */
	int (*rim)(void *ctx, uint64_t rd, uint8_t out[64], size_t *size);
	const char *(*error)(void *ctx, int err);
	void (*free)(void *ctx);
};

struct vmm_backend {
	const struct vmm_backend_ops *ops;
	void *ctx;
};

/* Calls go straight to rmm (which the caller owns and frees). */
int vmm_backend_inproc(struct rmm *rmm, struct vmm_backend *be);
/* Calls go to the daemon at path (NULL: the default socket) in a new host
 * session; each REC thread joins it with a connection of its own. On
 * failure the reason is written to err. */
int vmm_backend_daemon(const char *path, struct vmm_backend *be, char *err,
		       size_t err_size);
void vmm_backend_free(struct vmm_backend *be);

/* ---- images -------------------------------------------------------------- */

struct vmm_segment {
	uint64_t ipa;
	const uint8_t *data;
	uint64_t filesz;	/* bytes of data; the rest of memsz is zero */
	uint64_t memsz;
};

/* The kernel image: where its bytes go and where REC 0 starts. */
struct vmm_image {
	struct vmm_segment seg[VMM_MAX_SEGMENTS];
	unsigned int nseg;
	uint64_t entry;
};

/* A file placed in RAM by the builder (device tree, initrd). */
struct vmm_blob {
	const uint8_t *data;
	uint64_t size;
};

/* An ELF64 AArch64 executable (PT_LOAD segments at their p_paddr, entry
 * e_entry) or, anything else, a flat binary at load_addr with its entry
 * there. The image points into buf. Returns 0, or -1 with err filled. */
int vmm_image_parse(const uint8_t *buf, size_t size, uint64_t load_addr,
		    struct vmm_image *img, char *err, size_t err_size);
bool vmm_image_is_elf(const uint8_t *buf, size_t size);
/* An arm64 Linux Image (booting.rst): its header says where it goes, at
 * text_offset above the first 2 MiB boundary of RAM from ram_base, and its
 * size with .bss (image_size, the segment's memsz). */
bool vmm_linux_image_is(const uint8_t *buf, size_t size);
int vmm_linux_image_parse(const uint8_t *buf, size_t size, uint64_t ram_base,
			  struct vmm_image *img, char *err, size_t err_size);

/* The device tree of the realm's machine for a Linux guest. */
struct vmm_linux_dt {
	uint64_t ram_base, ram_size;
	unsigned int num_recs;
	const char *bootargs;
	uint64_t initrd_start, initrd_end;	/* IPAs; end <= start: none */
};

/* The blob (malloc'd) and its size. Returns 0 or -1 (out of memory). */
int vmm_linux_dtb(const struct vmm_linux_dt *dt, uint8_t **blob, size_t *size);

/* Reads a whole file (malloc'd). Returns 0, or -1 with err filled. */
int vmm_read_file(const char *path, uint8_t **buf, size_t *size, char *err,
		  size_t err_size);

/* ---- the realm ----------------------------------------------------------- */

struct vmm_config {
	uint64_t ram_base;		/* VMM_RAM_BASE */
	uint64_t ram_size;		/* 4 KiB multiple */
	unsigned int ipa_bits;		/* s2sz; 0: the smallest that fits */
	unsigned int num_recs;		/* 1..VMM_MAX_RECS */
	enum rmi_hash_algo hash_algo;
	bool measure;			/* DATA_CREATE with MEASURE_CONTENT */
	bool populate_all;		/* all RAM before the run; else on first touch */
	bool reject_ripas;		/* answer RIPAS changes with a reject */
	bool trace;			/* every REC exit on log */
	const char *save_path;		/* VMM_HOST_CALL_SAVE writes here */
	/* The bytes printed in hex between VMM_TOKEN_BEGIN and VMM_TOKEN_END
	 * lines on the UART are written here. */
	const char *console_token_path;
	/* Statistics: when the first UART line containing it came. */
	const char *mark;
	unsigned int timeout_ms;	/* 0: none */
	FILE *out;			/* what the realm writes to the UART */
	FILE *log;			/* the host's messages */
};

void vmm_config_default(struct vmm_config *cfg);

/* The smallest IPA width (s2sz) that holds the RAM and the devices in the
 * protected half: the realm's, unless cfg->ipa_bits says otherwise. */
unsigned int vmm_ipa_bits_needed(const struct vmm_config *cfg);

/* RmiRecMpidr of REC index i (rmi-1.0.md 5.4): the MPIDR the realm sees. */
uint64_t vmm_rec_mpidr(unsigned int i);

/*
 * Where vmm_build() puts a DTB of dtb_size bytes (0: none) and an initrd of
 * initrd_size bytes (0: none) beside the kernel: the DTB at the top of RAM,
 * 2 MiB aligned when that fits, the initrd below it, 4 KiB aligned. Returns
 * 0, or -1 with err filled when they do not fit.
 */
int vmm_place_blobs(const struct vmm_config *cfg, const struct vmm_image *kernel,
		    uint64_t dtb_size, uint64_t initrd_size, uint64_t *dtb,
		    uint64_t *initrd, char *err, size_t err_size);

/* Where the builder put things, for messages and tests. */
struct vmm_layout {
	unsigned int s2sz;
	int rtt_level_start;
	unsigned int rtt_num_start;
	uint64_t entry;
	uint64_t dtb, dtb_size;		/* dtb 0: none */
	uint64_t initrd, initrd_size;	/* initrd 0: none */
	uint64_t rd;
	uint64_t rec[VMM_MAX_RECS];
	uint64_t data_base;		/* host PA of the DATA granule of ram_base */
	uint64_t image_pages;		/* DATA_CREATE */
	uint64_t unknown_pages;		/* DATA_CREATE_UNKNOWN */
	uint64_t rtts;			/* RTT_CREATE (non-root RTTs) */
};

/* Counters of a run; read them after vmm_run(). */
struct vmm_stats {
	uint64_t exits[RMI_EXIT_SERROR + 1];	/* by RmiRecExitReason */
	uint64_t mmio;			/* emulated accesses */
	uint64_t mmio_unknown_reads;
	uint64_t mmio_unknown_writes;
	uint64_t uart_bytes;
	uint64_t ram_faults;		/* first touches of RAM populated */
	int64_t first_enter_ns;		/* from vmm_new(); -1: none */
	int64_t first_uart_ns;		/* from vmm_new(); -1: none */
	/* Where the time goes (bench/realm-bench): the build and its RMI
	 * calls, the realm's last output line, its SYSTEM_OFF. */
	uint64_t rmi_calls;		/* every RMI call made */
	uint64_t build_rmi_calls;	/* those of vmm_build() */
	int64_t built_ns;		/* from vmm_new(); -1: not built */
	int64_t last_line_ns;		/* the last UART newline; -1: none */
	int64_t mark_ns;		/* the first line with cfg.mark; -1: none */
	int64_t system_off_ns;		/* the SYSTEM_OFF exit; -1: none */
};

struct vmm;

/* NULL on a bad configuration or out of memory (reported on cfg->log). */
struct vmm *vmm_new(const struct vmm_config *cfg, const struct vmm_backend *be);
void vmm_free(struct vmm *v);

/*
 * Builds and activates the realm: RD and root RTTs, REALM_CREATE,
 * REC_AUX_COUNT, RTT_INIT_RIPAS over RAM, DATA_CREATE of the kernel's,
 * initrd's and DTB's pages, DATA_CREATE_UNKNOWN of the rest of RAM, the
 * RECs, REALM_ACTIVATE. dtb and initrd may be NULL. Returns 0, or -1 after
 * reporting why on the log.
 */
int vmm_build(struct vmm *v, const struct vmm_image *kernel,
	      const struct vmm_blob *dtb, const struct vmm_blob *initrd);
const struct vmm_layout *vmm_layout(const struct vmm *v);

/* The realm's RIM in hex (at most 128 digits + NUL). Returns 0 or -1. */
int vmm_rim_hex(struct vmm *v, char hex[129]);

/* Runs the realm until it powers off, fails or times out; returns the exit
 * status (enum vmm_exit_code). */
int vmm_run(struct vmm *v);
const struct vmm_stats *vmm_stats(const struct vmm *v);
void vmm_print_stats(const struct vmm *v, FILE *f);

#endif /* TOOLS_VMM_VMM_H */
