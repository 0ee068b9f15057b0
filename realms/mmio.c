/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mmio: loads and stores of 1, 2, 4 and 8 bytes at rmm-run's scratch
 * device (0x0a000000 | the unprotected bit: 4 KiB that read back what was
 * written), including the sign-extending loads LDRSB, LDRSH, LDRSW into X
 * and W registers, stores of XZR, the UART's flag register and an address
 * with no device (reads 0). Every access is an emulatable data abort the
 * host answers (rmi-1.0.md 9.2 item 3, 9.3).
 */
#include "realm.h"

static uint64_t dev;

static uint64_t ldrsb_x(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("ldrsb %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static uint64_t ldrsb_w(uint64_t a)
{
	uint64_t v = ~0UL;

	/* A write of W clears the upper half of X. */
	__asm__ volatile("ldrsb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static uint64_t ldrsh_x(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("ldrsh %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static uint64_t ldrsh_w(uint64_t a)
{
	uint64_t v = ~0UL;

	__asm__ volatile("ldrsh %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static uint64_t ldrsw_x(uint64_t a)
{
	uint64_t v;

	__asm__ volatile("ldrsw %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void store_xzr(uint64_t a)
{
	__asm__ volatile("str xzr, [%0]" : : "r"(a) : "memory");
}

static void store_wzr(uint64_t a)
{
	__asm__ volatile("str wzr, [%0]" : : "r"(a) : "memory");
}

static void sizes(void)
{
	mmio_write8(dev + 0x00, 0xa5);
	check_eq("write8_read8", mmio_read8(dev + 0x00), 0xa5);
	mmio_write16(dev + 0x10, 0xbeef);
	check_eq("write16_read16", mmio_read16(dev + 0x10), 0xbeef);
	mmio_write32(dev + 0x20, 0xdeadbeef);
	check_eq("write32_read32", mmio_read32(dev + 0x20), 0xdeadbeef);
	mmio_write64(dev + 0x30, 0x0123456789abcdefUL);
	check_eq("write64_read64", mmio_read64(dev + 0x30), 0x0123456789abcdefUL);
	mmio_write64(dev + 0xff8, 0xfedcba9876543210UL);
	check_eq("write64_read64_last", mmio_read64(dev + 0xff8), 0xfedcba9876543210UL);
}

/* Little-endian bytes: narrower reads of a wider write, and the reverse. */
static void byte_order(void)
{
	mmio_write64(dev + 0x40, 0x1122334455667788UL);
	check_eq("read8_of_write64", mmio_read8(dev + 0x47), 0x11);
	check_eq("read16_of_write64", mmio_read16(dev + 0x42), 0x5566);
	check_eq("read32_of_write64", mmio_read32(dev + 0x44), 0x11223344);
	mmio_write8(dev + 0x40, 0xff);
	check_eq("write8_into_write64", mmio_read64(dev + 0x40), 0x11223344556677ffUL);
	mmio_write16(dev + 0x46, 0xabcd);
	check_eq("write16_into_write64", mmio_read64(dev + 0x40), 0xabcd3344556677ffUL);
}

static void sign_extension(void)
{
	mmio_write8(dev + 0x80, 0x80);
	check_eq("ldrsb_x_negative", ldrsb_x(dev + 0x80), 0xffffffffffffff80UL);
	check_eq("ldrsb_w_negative", ldrsb_w(dev + 0x80), 0xffffff80UL);
	mmio_write8(dev + 0x81, 0x7f);
	check_eq("ldrsb_x_positive", ldrsb_x(dev + 0x81), 0x7f);
	mmio_write16(dev + 0x90, 0x8001);
	check_eq("ldrsh_x_negative", ldrsh_x(dev + 0x90), 0xffffffffffff8001UL);
	check_eq("ldrsh_w_negative", ldrsh_w(dev + 0x90), 0xffff8001UL);
	mmio_write16(dev + 0x92, 0x7ffe);
	check_eq("ldrsh_x_positive", ldrsh_x(dev + 0x92), 0x7ffe);
	mmio_write32(dev + 0xa0, 0x80000001);
	check_eq("ldrsw_x_negative", ldrsw_x(dev + 0xa0), 0xffffffff80000001UL);
	mmio_write32(dev + 0xa4, 0x7fffffff);
	check_eq("ldrsw_x_positive", ldrsw_x(dev + 0xa4), 0x7fffffff);
	check_eq("ldrb_zero_extends", mmio_read8(dev + 0x80), 0x80);
}

static void zero_registers(void)
{
	mmio_write64(dev + 0xc0, ~0UL);
	store_xzr(dev + 0xc0);
	check_eq("str_xzr", mmio_read64(dev + 0xc0), 0);
	mmio_write64(dev + 0xc8, ~0UL);
	store_wzr(dev + 0xc8);
	check_eq("str_wzr", mmio_read64(dev + 0xc8), 0xffffffff00000000UL);
}

static void other_devices(void)
{
	uint64_t uart = realm_unprotected(REALM_UART_BASE);
	uint64_t none = realm_unprotected(REALM_NO_DEVICE);

	check_eq("uart_fr_tx_not_full", mmio_read32(uart + 0x18) & (1U << 5), 0);
	check_eq("uart_pl011_id", mmio_read32(uart + 0xfe0), 0x11);
	mmio_write32(none, 0x12345678);
	check_eq("no_device_reads_zero", mmio_read32(none), 0);
	check_eq("no_device_reads_zero_64", mmio_read64(none + 8), 0);
}

int main(uint64_t dtb)
{
	(void)dtb;
	dev = realm_unprotected(REALM_SCRATCH_BASE);
	printf("mmio: scratch device at 0x%lx\n", dev);
	sizes();
	byte_order();
	sign_extension();
	zero_registers();
	other_devices();
	return checks_summary("mmio") ? 0 : 1;
}
