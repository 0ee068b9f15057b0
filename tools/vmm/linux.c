/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm-run as a VMM for Linux: the arm64 Image header (the kernel's boot
 * protocol, Documentation/arch/arm64/booting.rst: a 64-byte header with
 * text_offset, image_size and flags, the image placed text_offset bytes
 * above a 2 MiB aligned base) and the device tree of the realm's machine
 * (vmm.h): memory, one cpu per REC started by PSCI, realm PSCI over SMC,
 * the GICv3 of the KVM executor, the architected timer and the PL011.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fdt.h"
#include "vmm.h"

#define IMAGE_HEADER_SIZE	64
#define IMAGE_MAGIC		0x644d5241U	/* "ARM\x64" */
#define IMAGE_MAGIC_OFFSET	56
/* spec: image_size 0 is a kernel older than 3.17, whose text_offset is
 * 0x80000 whatever the header says (booting.rst 4). */
#define IMAGE_OLD_TEXT_OFFSET	0x80000ULL
#define IMAGE_FLAG_BE		(1ULL << 0)
#define SZ_2M			(2ULL << 20)

#define PHANDLE_GIC		1
#define PHANDLE_CLK		2
/* GIC interrupt specifier: type, number, flags (arm,gic-v3 binding). */
#define GIC_SPI			0
#define GIC_PPI			1
#define IRQ_LEVEL_HIGH		4
#define UART_CLOCK_HZ		24000000U

__attribute__((format(printf, 3, 4)))
static int linux_error(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

bool vmm_linux_image_is(const uint8_t *buf, size_t size)
{
	return size >= IMAGE_HEADER_SIZE && le32(buf + IMAGE_MAGIC_OFFSET) == IMAGE_MAGIC;
}

int vmm_linux_image_parse(const uint8_t *buf, size_t size, uint64_t ram_base,
			  struct vmm_image *img, char *err, size_t err_size)
{
	uint64_t text_offset, image_size, flags, base;

	memset(img, 0, sizeof(*img));
	if (!vmm_linux_image_is(buf, size))
		return linux_error(err, err_size, "not an arm64 Linux Image (no \"ARM\\x64\" "
				   "magic at offset 56)");
	text_offset = le64(buf + 8);
	image_size = le64(buf + 16);
	flags = le64(buf + 24);
	if (image_size == 0) {
		text_offset = IMAGE_OLD_TEXT_OFFSET;
		image_size = size;
	}
	if (flags & IMAGE_FLAG_BE)
		return linux_error(err, err_size, "a big-endian kernel (Image flags bit 0)");
	if (image_size < size)
		return linux_error(err, err_size, "the Image header's image_size (%" PRIu64
				   ") is smaller than the file (%zu bytes)", image_size, size);
	if (text_offset >= SZ_2M || (text_offset & 0xFFF) != 0)
		return linux_error(err, err_size, "bad text_offset 0x%" PRIx64, text_offset);
	/* spec: the image at a 2 MiB aligned base + text_offset; with flags
	 * bit 3 clear, as close to the start of RAM as possible (booting.rst
	 * 4): the first 2 MiB boundary of RAM either way. */
	base = (ram_base + SZ_2M - 1) & ~(SZ_2M - 1);
	img->seg[0].ipa = base + text_offset;
	img->seg[0].data = buf;
	img->seg[0].filesz = size;
	img->seg[0].memsz = image_size;
	img->nseg = 1;
	img->entry = img->seg[0].ipa;
	return 0;
}

/* ---- the device tree ---------------------------------------------------- */

static void reg_pair(struct vmm_fdt *f, uint64_t a, uint64_t size)
{
	uint32_t cells[4] = { (uint32_t)(a >> 32), (uint32_t)a,
			      (uint32_t)(size >> 32), (uint32_t)size };

	vmm_fdt_prop_cells(f, "reg", cells, 4);
}

static void dt_chosen(struct vmm_fdt *f, const struct vmm_linux_dt *dt)
{
	char path[64];

	vmm_fdt_begin_node(f, "chosen");
	vmm_fdt_prop_string(f, "bootargs", dt->bootargs != NULL ? dt->bootargs : "");
	snprintf(path, sizeof(path), "/pl011@%" PRIx64, (uint64_t)VMM_UART_BASE);
	vmm_fdt_prop_string(f, "stdout-path", path);
	if (dt->initrd_end > dt->initrd_start) {
		vmm_fdt_prop_u64(f, "linux,initrd-start", dt->initrd_start);
		vmm_fdt_prop_u64(f, "linux,initrd-end", dt->initrd_end);
	}
	vmm_fdt_end_node(f);
}

static void dt_memory(struct vmm_fdt *f, const struct vmm_linux_dt *dt)
{
	char name[64];

	snprintf(name, sizeof(name), "memory@%" PRIx64, dt->ram_base);
	vmm_fdt_begin_node(f, name);
	vmm_fdt_prop_string(f, "device_type", "memory");
	reg_pair(f, dt->ram_base, dt->ram_size);
	vmm_fdt_end_node(f);
}

/* One cpu per REC, reg its MPIDR (the REC's RmiRecMpidr), started by
 * PSCI CPU_ON. */
static void dt_cpus(struct vmm_fdt *f, const struct vmm_linux_dt *dt)
{
	vmm_fdt_begin_node(f, "cpus");
	vmm_fdt_prop_u32(f, "#address-cells", 1);
	vmm_fdt_prop_u32(f, "#size-cells", 0);
	for (unsigned int i = 0; i < dt->num_recs; i++) {
		uint64_t mpidr = vmm_rec_mpidr(i);
		char name[32];

		snprintf(name, sizeof(name), "cpu@%" PRIx64, mpidr);
		vmm_fdt_begin_node(f, name);
		vmm_fdt_prop_string(f, "device_type", "cpu");
		vmm_fdt_prop_string(f, "compatible", "arm,armv8");
		vmm_fdt_prop_u32(f, "reg", (uint32_t)mpidr);
		vmm_fdt_prop_string(f, "enable-method", "psci");
		vmm_fdt_end_node(f);
	}
	vmm_fdt_end_node(f);
}

static void dt_psci(struct vmm_fdt *f)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2" };

	vmm_fdt_begin_node(f, "psci");
	vmm_fdt_prop_strings(f, "compatible", compat, 2);
	/* Realm PSCI is an SMC to the RMM (rsi-1.0.md). */
	vmm_fdt_prop_string(f, "method", "smc");
	vmm_fdt_end_node(f);
}

static void dt_gic(struct vmm_fdt *f, const struct vmm_linux_dt *dt)
{
	uint64_t redist = VMM_GICR_SIZE * dt->num_recs;
	uint32_t reg[8] = { 0, (uint32_t)VMM_GICD_BASE, 0, (uint32_t)VMM_GICD_SIZE,
			    0, (uint32_t)VMM_GICR_BASE, 0, (uint32_t)redist };
	char name[32];

	snprintf(name, sizeof(name), "intc@%" PRIx64, (uint64_t)VMM_GICD_BASE);
	vmm_fdt_begin_node(f, name);
	vmm_fdt_prop_string(f, "compatible", "arm,gic-v3");
	vmm_fdt_prop_u32(f, "#interrupt-cells", 3);
	vmm_fdt_prop_empty(f, "interrupt-controller");
	vmm_fdt_prop_cells(f, "reg", reg, 8);
	vmm_fdt_prop_u32(f, "phandle", PHANDLE_GIC);
	vmm_fdt_end_node(f);
}

/* The architected timer's PPIs in the binding's order: secure physical 13,
 * non-secure physical 14, virtual 11, hypervisor 10. */
static void dt_timer(struct vmm_fdt *f)
{
	static const uint32_t ppis[4] = { 13, 14, 11, 10 };
	uint32_t irqs[12];

	for (int i = 0; i < 4; i++) {
		irqs[3 * i] = GIC_PPI;
		irqs[3 * i + 1] = ppis[i];
		irqs[3 * i + 2] = IRQ_LEVEL_HIGH;
	}
	vmm_fdt_begin_node(f, "timer");
	vmm_fdt_prop_string(f, "compatible", "arm,armv8-timer");
	vmm_fdt_prop_cells(f, "interrupts", irqs, 12);
	vmm_fdt_prop_empty(f, "always-on");
	vmm_fdt_end_node(f);
}

static void dt_uart(struct vmm_fdt *f)
{
	static const char *const compat[] = { "arm,pl011", "arm,primecell" };
	static const char *const clock_names[] = { "uartclk", "apb_pclk" };
	const uint32_t irq[3] = { GIC_SPI, VMM_UART_SPI, IRQ_LEVEL_HIGH };
	const uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };
	char name[32];

	vmm_fdt_begin_node(f, "apb-pclk");
	vmm_fdt_prop_string(f, "compatible", "fixed-clock");
	vmm_fdt_prop_u32(f, "#clock-cells", 0);
	vmm_fdt_prop_u32(f, "clock-frequency", UART_CLOCK_HZ);
	vmm_fdt_prop_string(f, "clock-output-names", "clk24mhz");
	vmm_fdt_prop_u32(f, "phandle", PHANDLE_CLK);
	vmm_fdt_end_node(f);

	snprintf(name, sizeof(name), "pl011@%" PRIx64, (uint64_t)VMM_UART_BASE);
	vmm_fdt_begin_node(f, name);
	vmm_fdt_prop_strings(f, "compatible", compat, 2);
	reg_pair(f, VMM_UART_BASE, VMM_DEVICE_SIZE);
	vmm_fdt_prop_cells(f, "interrupts", irq, 3);
	vmm_fdt_prop_cells(f, "clocks", clocks, 2);
	vmm_fdt_prop_strings(f, "clock-names", clock_names, 2);
	vmm_fdt_end_node(f);
}

int vmm_linux_dtb(const struct vmm_linux_dt *dt, uint8_t **blob, size_t *size)
{
	struct vmm_fdt f;

	if (dt->num_recs == 0 || dt->num_recs > VMM_MAX_RECS)
		return -1;
	vmm_fdt_init(&f);
	vmm_fdt_begin_node(&f, "");
	vmm_fdt_prop_string(&f, "compatible", "linux,dummy-virt");
	vmm_fdt_prop_string(&f, "model", "rmm-run");
	vmm_fdt_prop_u32(&f, "#address-cells", 2);
	vmm_fdt_prop_u32(&f, "#size-cells", 2);
	vmm_fdt_prop_u32(&f, "interrupt-parent", PHANDLE_GIC);
	dt_chosen(&f, dt);
	dt_memory(&f, dt);
	dt_cpus(&f, dt);
	dt_psci(&f);
	dt_gic(&f, dt);
	dt_timer(&f);
	dt_uart(&f);
	vmm_fdt_end_node(&f);
	return vmm_fdt_finish(&f, blob, size);
}
