/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WFI and WFE exits when the host traps them (rec_enter.flags TRAP_WFI /
 * TRAP_WFE, rmi-1.0.md 9.2 item 8, 9.3), from a KVM that keeps WFx to
 * itself. Like TWI/TWE, KVM traps a WFI or WFE only when it would wait, and
 * counts each in the vCPU's statistics (wfi_exit_stat, wfe_exit_stat,
 * KVM_GET_STATS_FD); then it sleeps in the kernel (WFI) or yields (WFE)
 * without an exit to user space.
 *
 * So while the host traps WFx, a run is also stopped every
 * KVM_EXEC_WFX_POLL_US (the slice timer made periodic, kvm-stop.c), and at
 * every stop that can be re-executed (the signal, an MMIO or NISV exit,
 * which the realm then makes again) the counters are compared with those of
 * the run's start: one that moved ends the run with REC_EVENT_WFX.
 *
 * The host sees the exit the spec gives (the ESR; PC is past the WFx), with
 * these differences, all of timing: a WFI the realm waits in is reported at
 * the next poll, not at once; a WFx that did not wait long (an interrupt
 * came, or a WFE was only a yield) is reported at the next stop, with the
 * realm already further on; several between two stops are one exit, a WFI
 * reported before a WFE. A CPU that never traps WFE (QEMU's TCG treats it as
 * a yield) never gives a WFE exit. Without the statistics (Linux before
 * 5.14) TRAP_WFI / TRAP_WFE are ignored, with a warning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "executor/kvm-internal.h"
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "rmmemu/rec.h"

static const char *const wfx_stat_names[KVM_WFX_KINDS] = {
	[KVM_WFX_WFI] = "wfi_exit_stat",
	[KVM_WFX_WFE] = "wfe_exit_stat",
};

/* The byte offsets of both counters in the statistics file; false if KVM
 * does not have them. */
static bool stats_find(int fd, uint64_t off[KVM_WFX_KINDS])
{
	struct kvm_stats_header hdr;
	size_t dsize;
	char *descs;
	unsigned int found = 0;

	if (pread(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    hdr.num_desc == 0 || hdr.num_desc > 4096 || hdr.name_size > 4096)
		return false;
	dsize = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = malloc(dsize * hdr.num_desc);
	if (descs == NULL)
		return false;
	if (pread(fd, descs, dsize * hdr.num_desc, hdr.desc_offset) ==
	    (ssize_t)(dsize * hdr.num_desc)) {
		for (unsigned int i = 0; i < hdr.num_desc; i++) {
			const struct kvm_stats_desc *d =
				(const struct kvm_stats_desc *)(descs + i * dsize);

			for (unsigned int k = 0; k < KVM_WFX_KINDS; k++) {
				if (d->size == 1 &&
				    strncmp(d->name, wfx_stat_names[k], hdr.name_size) == 0) {
					off[k] = (uint64_t)hdr.data_offset + d->offset;
					found |= 1U << k;
				}
			}
		}
	}
	free(descs);
	return found == (1U << KVM_WFX_KINDS) - 1;
}

/* The vCPU's statistics file, opened at its first trapping run. */
static bool stats_open(struct kvm_vcpu *v)
{
	if (v->wfx.fd >= 0)
		return true;
	if (v->wfx.unavailable)
		return false;
	v->wfx.fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (v->wfx.fd >= 0 && stats_find(v->wfx.fd, v->wfx.off))
		return true;
	rmm_log(RMM_LOG_WARN, "kvm executor: vCPU %u: no WFI/WFE statistics from KVM (%s): "
		"TRAP_WFI and TRAP_WFE are ignored", v->id,
		v->wfx.fd < 0 ? strerror(errno) : "counters not found");
	if (v->wfx.fd >= 0)
		close(v->wfx.fd);
	v->wfx.fd = -1;
	v->wfx.unavailable = true;
	return false;
}

static bool stats_read(struct kvm_vcpu *v, uint64_t count[KVM_WFX_KINDS])
{
	for (unsigned int k = 0; k < KVM_WFX_KINDS; k++) {
		if (pread(v->wfx.fd, &count[k], sizeof(count[k]), (off_t)v->wfx.off[k]) !=
		    (ssize_t)sizeof(count[k]))
			return false;
	}
	return true;
}

bool kvm_wfx_begin(struct kvm_vcpu *v)
{
	const struct rec *rec = v->rec;

	v->wfx.trapping = (rec->trap_wfi || rec->trap_wfe) && stats_open(v) &&
			  stats_read(v, v->wfx.base);
	return v->wfx.trapping;
}

bool kvm_wfx_event(struct kvm_vcpu *v, struct rec_event *ev)
{
	const bool trap[KVM_WFX_KINDS] = { v->rec->trap_wfi, v->rec->trap_wfe };
	uint64_t now[KVM_WFX_KINDS];

	if (!v->wfx.trapping || !stats_read(v, now))
		return false;
	for (unsigned int k = 0; k < KVM_WFX_KINDS; k++) {
		if (trap[k] && now[k] != v->wfx.base[k]) {
			memset(ev, 0, sizeof(*ev));
			ev->kind = REC_EVENT_WFX;
			/* ISS TI bit 0: WFE (WFIT/WFET are not told apart). */
			ev->esr = (uint64_t)ESR_EC_WFX << ESR_EC_SHIFT | ESR_IL |
				  (k == KVM_WFX_WFE ? 1ULL : 0ULL);
			return true;
		}
	}
	return false;
}

void kvm_wfx_fini(struct kvm_vcpu *v)
{
	if (v->wfx.fd >= 0)
		close(v->wfx.fd);
	v->wfx.fd = -1;
}
