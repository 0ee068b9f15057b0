/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KVM executor (DESIGN.md, "Executing a REC"): realms run as KVM guests
 * on arm64 Linux. One VM per realm with an in-kernel vGICv3 and the arch
 * timers, one vCPU per REC, memslots that mirror the realm's RTTs, RSI and
 * realm PSCI through KVM's SMCCC filter. Plug it into an RMM instance with
 * rmm_set_executor(rmm, kvm_executor_ops(), ex).
 *
 * The realm's machine as the executor builds it (IPAs, U = 2^(s2sz - 1),
 * the unprotected half where a realm maps its devices):
 *
 *   U | 0x08000000  GICv3 distributor (64 KiB), KVM's vGIC
 *   U | 0x080A0000  GICv3 redistributors, 128 KiB per REC in REC index
 *                   order, at most KVM_EXEC_MAX_RECS of them (up to
 *                   U | 0x09000000, where a VMM puts its UART)
 *   PPI 27, 30      virtual and physical timer interrupts (KVM's defaults),
 *                   delivered by the vGIC without an exit
 *
 * A realm's device tree points there (the layout of QEMU's virt machine, in
 * the unprotected alias a realm uses for devices). The counter offsets are
 * 0, as rmi-1.0.md 9.4 says: the realm's virtual count is the host's
 * physical count.
 *
 * A thread that calls REC_ENTER for one of its RECs keeps signal
 * SIGRTMIN + 2 blocked from then on (the kick and time-slice signal,
 * executor/kvm-run.c): the host must not use that signal itself.
 *
 * What a REC cannot get from KVM, and so never sees from this executor, is
 * listed in executor/kvm.c.
 */
#ifndef RMMEMU_EXECUTOR_KVM_H
#define RMMEMU_EXECUTOR_KVM_H

#include <stdint.h>

struct kvm_executor;
struct rmm_executor_ops;

#define KVM_EXEC_GICD_OFFSET	0x08000000ULL
#define KVM_EXEC_GICR_OFFSET	0x080A0000ULL
#define KVM_EXEC_GICR_STRIDE	0x20000ULL
#define KVM_EXEC_MAX_RECS	123	/* redistributors below 0x09000000 */
/* Longest a REC_ENTER runs a realm before it returns an IRQ exit. */
#define KVM_EXEC_SLICE_US_DEFAULT	10000U

/*
 * Opens /dev/kvm and checks what the executor needs (API 12, IPA size
 * selection, NISV exits to user space). Returns 0, -ENODEV when the machine
 * has no usable KVM (not arm64, no /dev/kvm, a capability missing), or
 * another negative errno; the reason is logged.
 */
int kvm_executor_create(struct kvm_executor **ex);
/* After every realm that used it is destroyed (rmm_free does that). */
void kvm_executor_free(struct kvm_executor *ex);
const struct rmm_executor_ops *kvm_executor_ops(void);

/* The time slice of a REC_ENTER in microseconds (0: the default). */
void kvm_executor_set_slice(struct kvm_executor *ex, unsigned int us);

#endif /* RMMEMU_EXECUTOR_KVM_H */
