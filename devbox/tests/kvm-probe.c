/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvm-probe: proves, inside the devbox, the KVM facts the realm executor is
 * built on (DESIGN.md, "Executing a REC" and "KVM facts inside the devbox"),
 * each as a checked assertion, and measures the exit round trips.
 *
 * - /dev/kvm opens, API version 12;
 * - a VM with a 40-bit IPA space (KVM_VM_TYPE_ARM_IPA_SIZE(40));
 * - KVM_CAP_ARM_NISV_TO_USER is there and can be enabled;
 * - KVM's SMCCC filter forwards 0xC4000000..0xC40001FF (the RMI/RSI SMC64
 *   range) to userspace, set before any vCPU runs;
 * - a vCPU of the preferred target and an in-kernel vGICv3, initialised
 *   once the vCPU exists;
 * - guest code in a memslot: SMC #0 with x0 = 0xC4000190 (RSI_VERSION's ID)
 *   exits KVM_EXIT_HYPERCALL with the SMC flag, PC past the SMC, x0 readable
 *   with KVM_GET_ONE_REG; the value userspace puts in x0 reaches the guest,
 *   which stores it to an IPA with no memslot: KVM_EXIT_MMIO with that
 *   address, size and data; after it, an immediate_exit run completes the
 *   store (PC past it) without entering the guest; a store pair to such an
 *   IPA exits KVM_EXIT_ARM_NISV with the address.
 *
 * Usage: kvm-probe [ITERATIONS] (default 1000 SMC + MMIO round trips).
 * Prints "ok: ..." per fact, the round-trip times, and exits 0; on the first
 * fact that does not hold, prints "FAIL: ..." and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define IPA_BITS	40
#define RAM_BASE	0x80000000ULL	/* guest code lives here */
#define RAM_SIZE	0x10000ULL
#define MMIO_ADDR	0x0a000000ULL	/* no memslot here */
#define GICD_BASE	0x08000000ULL
#define GICR_BASE	0x080a0000ULL
#define RSI_BASE	0xC4000000U	/* SMC64 standard secure service calls */
#define RSI_COUNT	0x200U
#define RSI_VERSION	0xC4000190ULL
#define REPLY_BASE	0x5eed0000ULL
#define NISV_CODE	0x100		/* offset of the store-pair code */

/*
 * The guest: x0 = RSI_VERSION; SMC #0; store x0 (userspace's reply) to
 * [x1]; again. At NISV_CODE: a store pair to [x1], which KVM cannot decode.
 */
static const uint32_t guest_loop[] = {
	0xd2803200,	/* movz x0, #0x0190 */
	0xf2b88000,	/* movk x0, #0xc400, lsl #16 */
	0xd4000003,	/* smc #0 */
	0xf9000020,	/* str x0, [x1] */
	0x17fffffc,	/* b guest_loop */
};
#define STORE_PC	(RAM_BASE + 3 * 4)	/* the store, right after the SMC */
#define STORE_NEXT_PC	(STORE_PC + 4)
static const uint32_t guest_nisv[] = {
	0xa9000420,	/* stp x0, x1, [x1] */
	0x14000000,	/* b . */
};

static unsigned int passed;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n%u passed, 1 failed\n", passed);
	exit(1);
}

/* check: one fact; errno is shown since most facts are ioctl results. */
static void check(int cond, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cond)
		fail("%s (errno %d: %s)", msg, err, strerror(err));
	passed++;
	printf("ok: %s\n", msg);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint64_t core_reg_id(size_t offset)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
	       (offset / sizeof(uint32_t));
}
#define REG_X(n)	core_reg_id(offsetof(struct kvm_regs, regs.regs[n]))
#define REG_PC		core_reg_id(offsetof(struct kvm_regs, regs.pc))

static uint64_t get_reg(int vcpu, uint64_t id)
{
	uint64_t val = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	if (ioctl(vcpu, KVM_GET_ONE_REG, &reg) != 0)
		fail("KVM_GET_ONE_REG 0x%llx: %s", (unsigned long long)id, strerror(errno));
	return val;
}

static void set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) != 0)
		fail("KVM_SET_ONE_REG 0x%llx: %s", (unsigned long long)id, strerror(errno));
}

static int set_attr(int fd, uint32_t group, uint64_t attr, const void *addr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	uint8_t *ram;
};

static void open_kvm(struct vm *vm)
{
	int ipa_max;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	check(vm->kvm >= 0, "/dev/kvm opens");
	check(ioctl(vm->kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION,
	      "KVM API version %d", KVM_API_VERSION);
	ipa_max = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	check(ipa_max >= IPA_BITS, "IPA size limit %d bits (>= %d)", ipa_max, IPA_BITS);
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(IPA_BITS));
	check(vm->fd >= 0, "KVM_CREATE_VM with a %d-bit IPA space", IPA_BITS);
}

static void enable_nisv(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };

	check(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0,
	      "KVM_CAP_ARM_NISV_TO_USER present");
	check(ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0,
	      "KVM_CAP_ARM_NISV_TO_USER enabled");
}

/* Before any vCPU runs: KVM refuses filter changes once one has (EBUSY). */
static void set_smccc_filter(struct vm *vm)
{
	struct kvm_device_attr has = {
		.group = KVM_ARM_VM_SMCCC_CTRL, .attr = KVM_ARM_VM_SMCCC_FILTER,
	};
	struct kvm_smccc_filter filter = {
		.base = RSI_BASE, .nr_functions = RSI_COUNT,
		.action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};

	check(ioctl(vm->fd, KVM_HAS_DEVICE_ATTR, &has) == 0,
	      "KVM_ARM_VM_SMCCC_CTRL/KVM_ARM_VM_SMCCC_FILTER attribute present");
	check(set_attr(vm->fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER, &filter) == 0,
	      "SMCCC filter 0x%08x..0x%08x FWD_TO_USER set", RSI_BASE,
	      RSI_BASE + RSI_COUNT - 1);
}

static void add_ram(struct vm *vm)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE,
	};

	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(vm->ram != MAP_FAILED, "guest RAM mapped");
	memcpy(vm->ram, guest_loop, sizeof(guest_loop));
	memcpy(vm->ram + NISV_CODE, guest_nisv, sizeof(guest_nisv));
	slot.userspace_addr = (uint64_t)(uintptr_t)vm->ram;
	check(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) == 0,
	      "memslot 0x%llx+0x%llx", RAM_BASE, RAM_SIZE);
}

static void create_vcpu(struct vm *vm)
{
	struct kvm_vcpu_init init;
	int size;

	memset(&init, 0, sizeof(init));
	check(ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init) == 0,
	      "KVM_ARM_PREFERRED_TARGET (target %u)", init.target);
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	check(vm->vcpu >= 0, "KVM_CREATE_VCPU 0");
	check(ioctl(vm->vcpu, KVM_ARM_VCPU_INIT, &init) == 0,
	      "KVM_ARM_VCPU_INIT with the preferred target");
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	check(size >= (int)sizeof(struct kvm_run), "KVM_GET_VCPU_MMAP_SIZE %d", size);
	vm->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	check(vm->run != MAP_FAILED, "kvm_run mapped");
}

/* The vGIC is initialised once its vCPUs exist (the redistributors are per vCPU). */
static void create_vgic(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_BASE, redist = GICR_BASE;

	check(ioctl(vm->fd, KVM_CREATE_DEVICE, &dev) == 0, "vGICv3 created");
	check(set_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
		       &dist) == 0, "vGICv3 distributor at 0x%llx", GICD_BASE);
	check(set_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
		       &redist) == 0, "vGICv3 redistributors at 0x%llx", GICR_BASE);
	check(set_attr((int)dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		       NULL) == 0, "vGICv3 KVM_DEV_ARM_VGIC_CTRL_INIT");
}

/* run: one KVM_RUN; its duration in microseconds. */
static double run(struct vm *vm, int expect_intr)
{
	double t0 = now_us();
	int ret = ioctl(vm->vcpu, KVM_RUN, 0);
	double t = now_us() - t0;

	if (expect_intr) {
		if (ret != -1 || errno != EINTR)
			fail("KVM_RUN with immediate_exit returned %d (errno %d), want EINTR",
			     ret, errno);
	} else if (ret != 0) {
		fail("KVM_RUN: %s (exit reason %u)", strerror(errno), vm->run->exit_reason);
	}
	return t;
}

static void expect_exit(struct vm *vm, uint32_t reason, const char *name, unsigned int i)
{
	if (vm->run->exit_reason != reason)
		fail("iteration %u: exit reason %u, want %s (%u)", i,
		     vm->run->exit_reason, name, reason);
}

/* One SMC exit: the ID arrives as the SMCCC function and in x0. */
static double smc_exit(struct vm *vm, unsigned int i)
{
	double t = run(vm, 0);
	uint64_t x0;

	expect_exit(vm, KVM_EXIT_HYPERCALL, "KVM_EXIT_HYPERCALL", i);
	if (!(vm->run->hypercall.flags & KVM_HYPERCALL_EXIT_SMC))
		fail("iteration %u: hypercall flags 0x%llx lack KVM_HYPERCALL_EXIT_SMC", i,
		     (unsigned long long)vm->run->hypercall.flags);
	if (vm->run->hypercall.nr != RSI_VERSION)
		fail("iteration %u: hypercall nr 0x%llx, want 0x%llx", i,
		     (unsigned long long)vm->run->hypercall.nr, RSI_VERSION);
	x0 = get_reg(vm->vcpu, REG_X(0));
	if (x0 != RSI_VERSION)
		fail("iteration %u: x0 0x%llx, want 0x%llx", i, (unsigned long long)x0,
		     RSI_VERSION);
	set_reg(vm->vcpu, REG_X(0), REPLY_BASE + i);
	return t;
}

/* One MMIO exit: the guest stores the reply the SMC exit gave it. */
static double mmio_exit(struct vm *vm, unsigned int i)
{
	double t = run(vm, 0);
	uint64_t data = 0;

	expect_exit(vm, KVM_EXIT_MMIO, "KVM_EXIT_MMIO", i);
	memcpy(&data, vm->run->mmio.data, sizeof(data));
	if (vm->run->mmio.phys_addr != MMIO_ADDR || !vm->run->mmio.is_write ||
	    vm->run->mmio.len != 8 || data != REPLY_BASE + i)
		fail("iteration %u: MMIO %s of %u bytes at 0x%llx data 0x%llx, want a write "
		     "of 8 bytes at 0x%llx data 0x%llx", i,
		     vm->run->mmio.is_write ? "write" : "read", vm->run->mmio.len,
		     (unsigned long long)vm->run->mmio.phys_addr,
		     (unsigned long long)data, MMIO_ADDR, REPLY_BASE + i);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, unsigned int n)
{
	double sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp_double);
	printf("round trip: %-26s median %7.1f us  min %7.1f  p90 %7.1f  max %8.1f  mean %7.1f  (%u)\n",
	       what, t[n / 2], t[0], t[n * 9 / 10], t[n - 1], sum / n, n);
}

static void probe_exits(struct vm *vm, unsigned int n)
{
	double *smc = calloc(n, sizeof(double)), *mmio = calloc(n, sizeof(double));
	double *reg = calloc(n, sizeof(double)), *imm = calloc(n, sizeof(double));

	if (smc == NULL || mmio == NULL || reg == NULL || imm == NULL)
		fail("out of memory");
	set_reg(vm->vcpu, REG_PC, RAM_BASE);
	set_reg(vm->vcpu, REG_X(1), MMIO_ADDR);

	smc[0] = smc_exit(vm, 0);
	check(1, "SMC #0 with x0 = 0x%llx exits KVM_EXIT_HYPERCALL, SMC flag, x0 read back",
	      RSI_VERSION);
	check(get_reg(vm->vcpu, REG_PC) == STORE_PC, "PC is past the SMC at the exit");
	mmio[0] = mmio_exit(vm, 0);
	check(1, "store to 0x%llx (no memslot) exits KVM_EXIT_MMIO with the SMC's reply",
	      MMIO_ADDR);
	for (unsigned int i = 1; i < n; i++) {
		smc[i] = smc_exit(vm, i);
		mmio[i] = mmio_exit(vm, i);
	}
	check(1, "%u SMC + MMIO round trips with the right data", n);

	for (unsigned int i = 0; i < n; i++) {
		double t0 = now_us();

		(void)get_reg(vm->vcpu, REG_X(1));
		reg[i] = now_us() - t0;
	}

	/*
	 * The MMIO store is still pending at its exit (PC on it); the next
	 * KVM_RUN completes it, even one that returns at once: the way to
	 * settle a vCPU before userspace rewrites its state.
	 */
	check(get_reg(vm->vcpu, REG_PC) == STORE_PC, "PC is on the store at the MMIO exit");
	vm->run->immediate_exit = 1;
	imm[0] = run(vm, 1);
	check(get_reg(vm->vcpu, REG_PC) == STORE_NEXT_PC,
	      "KVM_RUN with immediate_exit returns EINTR and completes the store (PC past it)");
	for (unsigned int i = 1; i < n; i++)
		imm[i] = run(vm, 1);
	vm->run->immediate_exit = 0;

	report("SMC -> KVM_EXIT_HYPERCALL", smc, n);
	report("store -> KVM_EXIT_MMIO", mmio, n);
	report("KVM_RUN immediate_exit", imm, n);
	report("KVM_GET_ONE_REG", reg, n);
	free(smc);
	free(mmio);
	free(reg);
	free(imm);
}

static void probe_nisv(struct vm *vm)
{
	uint64_t addr = MMIO_ADDR + 0x40;

	set_reg(vm->vcpu, REG_PC, RAM_BASE + NISV_CODE);
	set_reg(vm->vcpu, REG_X(1), addr);
	(void)run(vm, 0);
	check(vm->run->exit_reason == KVM_EXIT_ARM_NISV &&
	      vm->run->arm_nisv.fault_ipa == addr,
	      "store pair to 0x%llx exits KVM_EXIT_ARM_NISV with the address "
	      "(exit %u, fault_ipa 0x%llx)", (unsigned long long)addr,
	      vm->run->exit_reason, (unsigned long long)vm->run->arm_nisv.fault_ipa);
	check(get_reg(vm->vcpu, REG_PC) == RAM_BASE + NISV_CODE,
	      "PC not advanced at the NISV exit");
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 1000;
	struct vm vm;
	double t0;

	if (n < 2) {
		fprintf(stderr, "usage: kvm-probe [ITERATIONS >= 2]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = now_us();
	open_kvm(&vm);
	enable_nisv(&vm);
	set_smccc_filter(&vm);
	add_ram(&vm);
	create_vcpu(&vm);
	create_vgic(&vm);
	printf("setup: VM, memslot, vCPU and vGIC in %.1f ms\n", (now_us() - t0) / 1e3);
	probe_exits(&vm, n);
	probe_nisv(&vm);
	printf("%u passed, 0 failed\n", passed);
	return 0;
}
