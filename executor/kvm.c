/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The KVM executor: its creation, the executor ops, and the per-realm and
 * per-REC set-up.
 *
 * A realm's VM is built at its first REC_ENTER, not at REALM_CREATE: RECs
 * can only be created while the realm is NEW, so at the first REC_ENTER
 * (the realm is ACTIVE) every vCPU can be created and then the vGIC
 * initialised, which KVM requires in that order. It also keeps RMI results
 * independent of KVM: a realm KVM cannot run (an IPA size it does not
 * support, too many RECs) is still created, and its REC_ENTERs return IRQ
 * exits with the reason logged, as with no executor.
 *
 * What this executor does not produce (KVM does not report it to user
 * space), by rmi-1.0.md 9.3:
 * - REC_EVENT_INSTR_ABORT: KVM injects a prefetch abort itself for a fetch
 *   outside memslots, so execution from unprotected, EMPTY or unassigned
 *   RAM IPAs gives the realm an abort without a REC exit (the spec injects
 *   an SEA for the first two, and exits for the third).
 * - REC_EVENT_SYSREG: KVM's vGIC handles the realm's SGI and DIR writes
 *   (ICC_SGI0R/SGI1R/ASGI1R_EL1, ICC_DIR_EL1), which the spec traps to the
 *   host: a realm's IPIs go from vCPU to vCPU without an exit.
 * - REC_EVENT_SERROR, REC_EVENT_FIQ: KVM handles the machine's SErrors and
 *   physical interrupts; the FIQ and SERROR exits come from the core
 *   (rmm_rec_raise), the executor's part is the kick, and for an SError the
 *   realm is told of, making it pending (kvm-regs.c).
 * - HVC: calls in the SMCCC architecture range (0x80000000..0x8000FFFF,
 *   0xC0000000..0xC000FFFF), which KVM's filter cannot forward, are answered
 *   by KVM (SMCCC_VERSION 1.1, ARCH_FEATURES, the Spectre workarounds)
 *   instead of raising UNDEFINED (rsi-1.0.md 1); so are SMCs there (the
 *   spec's SMCCC_VERSION is 1.2 and ARCH_FEATURES NOT_SUPPORTED). Every
 *   other HVC reaches the core, which injects UNDEFINED.
 * - Realm features: no SVE, PMU, or breakpoint/watchpoint counts beyond
 *   KVM's defaults are configured from the realm parameters.
 * Other differences from rmi-1.0.md 9 and rsi-1.0.md:
 * - WFI and WFE exits come from KVM's counters, at the next stop of the
 *   run: kvm-wfx.c.
 * - FAR: KVM gives the faulting IPA, not the VA. rec_exit.far (the page
 *   offset) is exact; FAR_EL1 of an injected SEA is the IPA, exact while
 *   the realm's stage 1 is off or identity.
 * - Sign-extending MMIO loads with the realm's MMU on come back
 *   zero-extended under QEMU (kvm-run.c, mmio_sign_extend).
 * - GIC list registers and the timer rules of 9.4: kvm-gic.c.
 * - A REC index of KVM_EXEC_MAX_RECS or more, or an IPA width outside
 *   KVM's range (32 bits up), make the realm's VM set-up fail.
 * - A realm whose RAM the host maps page by page while it runs pays a
 *   memslot change per page (kvm-mem.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "executor/kvm-internal.h"
#include "executor/kvm.h"
#include "rmmemu/executor.h"
#include "rmmemu/log.h"
#include "rmmemu/realm.h"
#include "rmmemu/rec.h"

/* KVM's IPA sizes start at 32 bits (KVM_VM_TYPE_ARM_IPA_SIZE). */
#define KVM_IPA_MIN	32

/*
 * SMCCC function IDs forwarded to user space: everything but the two
 * architecture ranges, which KVM keeps (see above). RSI (0xC4000190..),
 * realm PSCI (0x84000000.., 0xC4000000..) and every call the spec answers
 * with NOT_SUPPORTED reach the core (rsi-1.0.md 1, 8).
 */
static const struct {
	uint32_t base, count;
} smccc_forwarded[] = {
	{ 0x00000000U, 0x80000000U },
	{ 0x80010000U, 0x3FFF0000U },	/* up to the SMC64 architecture range */
	{ 0xC0010000U, 0x3FFF0000U },	/* up to 0xFFFFFFFF */
};

uint64_t kvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- the executor --------------------------------------------------------- */

static int kvm_check(int fd, long cap)
{
	return ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

static int kvm_no_device(struct kvm_executor *ex, const char *why)
{
	rmm_log(RMM_LOG_WARN, "kvm executor: %s: realms cannot run here", why);
	close(ex->kvm_fd);
	free(ex);
	return -ENODEV;
}

static int kvm_executor_probe(struct kvm_executor *ex)
{
	int size, n;

	if (ioctl(ex->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return kvm_no_device(ex, "KVM API version is not 12");
	n = kvm_check(ex->kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE);
	if (n < KVM_IPA_MIN)
		return kvm_no_device(ex, "no IPA size selection (KVM_CAP_ARM_VM_IPA_SIZE)");
	ex->ipa_max = (unsigned int)n;
	if (kvm_check(ex->kvm_fd, KVM_CAP_ARM_NISV_TO_USER) <= 0)
		return kvm_no_device(ex, "no KVM_CAP_ARM_NISV_TO_USER");
	size = ioctl(ex->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return kvm_no_device(ex, "KVM_GET_VCPU_MMAP_SIZE failed");
	ex->run_size = (size_t)size;
	n = kvm_check(ex->kvm_fd, KVM_CAP_MAX_VCPUS);
	ex->max_vcpus = n > 0 ? (unsigned int)n : 1;
	ex->counter_offset = kvm_check(ex->kvm_fd, KVM_CAP_COUNTER_OFFSET) > 0;
	return 0;
}

int kvm_executor_create(struct kvm_executor **out)
{
	struct kvm_executor *ex = calloc(1, sizeof(*ex));
	int err;

	if (ex == NULL)
		return -ENOMEM;
	ex->slice_us = KVM_EXEC_SLICE_US_DEFAULT;
	ex->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (ex->kvm_fd < 0) {
		err = errno;
		rmm_log(RMM_LOG_WARN, "kvm executor: /dev/kvm: %s: realms cannot run here",
			strerror(err));
		free(ex);
		return err == ENOENT || err == ENXIO || err == ENODEV ? -ENODEV : -err;
	}
	err = kvm_executor_probe(ex);
	if (err != 0)
		return err;
	err = kvm_run_init();
	if (err != 0) {
		close(ex->kvm_fd);
		free(ex);
		return err;
	}
	rmm_log(RMM_LOG_INFO, "kvm executor: IPA up to %u bits, %u vCPUs per VM%s",
		ex->ipa_max, ex->max_vcpus,
		ex->counter_offset ? "" : ", no counter offset control");
	*out = ex;
	return 0;
}

void kvm_executor_free(struct kvm_executor *ex)
{
	if (ex == NULL)
		return;
	close(ex->kvm_fd);
	free(ex);
}

void kvm_executor_set_slice(struct kvm_executor *ex, unsigned int us)
{
	__atomic_store_n(&ex->slice_us, us != 0 ? us : KVM_EXEC_SLICE_US_DEFAULT,
			 __ATOMIC_RELAXED);
}

/* ---- realms and RECs -------------------------------------------------------- */

/* Called under the RD lock (REALM_CREATE): bookkeeping only, see above. */
static int exec_realm_init(void *ctx, struct realm *r)
{
	struct kvm_realm *kr = calloc(1, sizeof(*kr));

	if (kr == NULL)
		return -ENOMEM;
	kr->ex = ctx;
	kr->r = r;
	kr->vm_fd = -1;
	kr->vgic_fd = -1;
	pthread_mutex_init(&kr->lock, NULL);
	pthread_mutex_init(&kr->gate_lock, NULL);
	pthread_cond_init(&kr->gate_cond, NULL);
	kvm_mem_init(&kr->mem);
	r->exec = kr;
	return 0;
}

static void exec_realm_fini(void *ctx, struct realm *r)
{
	struct kvm_realm *kr = r->exec;

	(void)ctx;
	if (kr == NULL)
		return;
	if (kr->vgic_fd >= 0)
		close(kr->vgic_fd);
	if (kr->vm_fd >= 0)
		close(kr->vm_fd);
	kvm_mem_fini(&kr->mem);
	pthread_cond_destroy(&kr->gate_cond);
	pthread_mutex_destroy(&kr->gate_lock);
	pthread_mutex_destroy(&kr->lock);
	free(kr->vcpus);
	free(kr);
	r->exec = NULL;
}

static int vcpus_reserve(struct kvm_realm *kr, unsigned int index)
{
	struct kvm_vcpu **v;
	unsigned int n;

	if (index < kr->nvcpus)
		return 0;
	n = index + 1 > 2 * kr->nvcpus ? index + 1 : 2 * kr->nvcpus;
	v = realloc(kr->vcpus, n * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	memset(&v[kr->nvcpus], 0, (n - kr->nvcpus) * sizeof(*v));
	kr->vcpus = v;
	kr->nvcpus = n;
	return 0;
}

/* Called under the REC and RD locks (REC_CREATE). */
static int exec_rec_init(void *ctx, struct rec *rec)
{
	struct kvm_realm *kr = rec->realm->exec;
	struct kvm_vcpu *v = calloc(1, sizeof(*v));
	int err;

	(void)ctx;
	if (v == NULL)
		return -ENOMEM;
	v->kr = kr;
	v->rec = rec;
	v->id = rec->index;
	v->fd = -1;
	v->wfx.fd = -1;
	pthread_mutex_lock(&kr->lock);
	err = vcpus_reserve(kr, rec->index);
	if (err == 0)
		kr->vcpus[rec->index] = v;
	pthread_mutex_unlock(&kr->lock);
	if (err != 0) {
		free(v);
		return err;
	}
	rec->exec = v;
	return 0;
}

/* The vCPU stays in the VM (KVM has no vCPU removal); its REC is gone. */
static void exec_rec_fini(void *ctx, struct rec *rec)
{
	struct kvm_vcpu *v = rec->exec;
	struct kvm_realm *kr;

	(void)ctx;
	if (v == NULL)
		return;
	kr = v->kr;
	pthread_mutex_lock(&kr->lock);
	kr->vcpus[v->id] = NULL;
	pthread_mutex_unlock(&kr->lock);
	kvm_wfx_fini(v);
	if (v->run != NULL)
		munmap(v->run, kr->ex->run_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
	rec->exec = NULL;
}

/* ---- the VM, at the first REC_ENTER ------------------------------------------ */

static int vm_fail(struct kvm_realm *kr, const char *what)
{
	int err = errno != 0 ? errno : EINVAL;

	rmm_log(RMM_LOG_ERROR, "kvm executor: realm 0x%llx: %s: %s",
		(unsigned long long)kr->r->rd_pa, what, strerror(err));
	return -err;
}

static int vm_smccc_filter(struct kvm_realm *kr)
{
	for (unsigned int i = 0; i < sizeof(smccc_forwarded) / sizeof(smccc_forwarded[0]); i++) {
		struct kvm_smccc_filter f = {
			.base = smccc_forwarded[i].base,
			.nr_functions = smccc_forwarded[i].count,
			.action = KVM_SMCCC_FILTER_FWD_TO_USER,
		};
		struct kvm_device_attr a = {
			.group = KVM_ARM_VM_SMCCC_CTRL,
			.attr = KVM_ARM_VM_SMCCC_FILTER,
			.addr = (uint64_t)(uintptr_t)&f,
		};

		if (ioctl(kr->vm_fd, KVM_SET_DEVICE_ATTR, &a) != 0)
			return vm_fail(kr, "SMCCC filter (KVM_ARM_VM_SMCCC_FILTER)");
	}
	return 0;
}

static int vm_create(struct kvm_realm *kr)
{
	struct kvm_executor *ex = kr->ex;
	struct kvm_enable_cap nisv = { .cap = KVM_CAP_ARM_NISV_TO_USER };
	unsigned int s2sz = kr->r->s2sz;

	errno = EINVAL;
	if (s2sz < KVM_IPA_MIN || s2sz > ex->ipa_max)
		return vm_fail(kr, "IPA size out of KVM's range");
	kr->vm_fd = ioctl(ex->kvm_fd, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(s2sz));
	if (kr->vm_fd < 0)
		return vm_fail(kr, "KVM_CREATE_VM");
	/* Accesses KVM cannot decode (pair, write-back) are aborts to report. */
	if (ioctl(kr->vm_fd, KVM_ENABLE_CAP, &nisv) != 0)
		return vm_fail(kr, "KVM_CAP_ARM_NISV_TO_USER");
	/* spec: realm calls go to the RMM; set before any vCPU runs. */
	if (vm_smccc_filter(kr) != 0)
		return -errno;
	/* spec: the realm's counter offsets are 0 (rmi-1.0.md 9.4). */
	if (ex->counter_offset) {
		struct kvm_arm_counter_offset off = { .counter_offset = 0 };

		if (ioctl(kr->vm_fd, KVM_ARM_SET_COUNTER_OFFSET, &off) != 0)
			return vm_fail(kr, "KVM_ARM_SET_COUNTER_OFFSET");
	}
	return 0;
}

static int vcpu_create(struct kvm_realm *kr, struct kvm_vcpu *v)
{
	struct kvm_vcpu_init init;
	void *run;

	errno = EINVAL;
	if (v->id >= KVM_EXEC_MAX_RECS || v->id >= kr->ex->max_vcpus)
		return vm_fail(kr, "REC index above the vCPUs the VM can have");
	memset(&init, 0, sizeof(init));
	if (ioctl(kr->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) != 0)
		return vm_fail(kr, "KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	/* spec: vCPU id = REC index gives the REC's MPIDR (rmi-1.0.md 5.4). */
	v->fd = ioctl(kr->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0)
		return vm_fail(kr, "KVM_CREATE_VCPU");
	if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) != 0)
		return vm_fail(kr, "KVM_ARM_VCPU_INIT");
	run = mmap(NULL, kr->ex->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return vm_fail(kr, "mmap of kvm_run");
	v->run = run;
	return 0;
}

/*
 * The realm's VM, its vCPUs and its vGIC, once, by the first REC_ENTER of
 * any of its RECs. A failure is remembered: every later run fails with it.
 */
int kvm_realm_setup(struct kvm_realm *kr)
{
	int err = 0;

	pthread_mutex_lock(&kr->lock);
	if (kr->ready || kr->setup_error != 0) {
		err = kr->setup_error;
		goto out;
	}
	err = vm_create(kr);
	for (unsigned int i = 0, n = 0; err == 0 && i < kr->nvcpus; i++) {
		if (kr->vcpus[i] == NULL)
			continue;
		kr->vcpus[i]->kvm_index = n++;
		err = vcpu_create(kr, kr->vcpus[i]);
	}
	if (err == 0)
		err = kvm_gic_create(kr);
	if (err == 0)
		err = kvm_gic_init(kr);
	if (err == 0) {
		__atomic_store_n(&kr->ready, true, __ATOMIC_RELEASE);
		rmm_log(RMM_LOG_INFO, "kvm executor: realm 0x%llx: VM with a %u-bit IPA space",
			(unsigned long long)kr->r->rd_pa, kr->r->s2sz);
	} else {
		kr->setup_error = err;
	}
out:
	pthread_mutex_unlock(&kr->lock);
	return err;
}

static const struct rmm_executor_ops kvm_ops = {
	.name = "kvm",
	.realm_init = exec_realm_init,
	.realm_fini = exec_realm_fini,
	.rec_init = exec_rec_init,
	.rec_fini = exec_rec_fini,
	.run = kvm_exec_run,
	.kick = kvm_exec_kick,
	.sync_regs = kvm_exec_sync_regs,
	.complete_mmio = kvm_exec_complete_mmio,
	.s2_changed = kvm_exec_s2_changed,
	.inject_serror = kvm_exec_inject_serror,
};

const struct rmm_executor_ops *kvm_executor_ops(void)
{
	return &kvm_ops;
}
