/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmm-run as a VMM for Linux (tools/vmm/linux.c, fdt.c): the arm64 Image
 * header rules, the device tree read back with libfdt node by node, where
 * the DTB and the initrd go, and the console token the realm prints on the
 * UART.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include "rmmemu/rmm.h"
#include "tools/vmm/fdt.h"
#include "tools/vmm/internal.h"
#include "tools/vmm/vmm.h"

#define MiB (1ULL << 20)

/* ---- the Image header ------------------------------------------------------ */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A file of size bytes with an arm64 Image header (the buffer holds the
 * whole header even when size is shorter). */
static uint8_t *fake_image(size_t size, uint64_t text_offset, uint64_t image_size,
			   uint64_t flags)
{
	uint8_t *b = calloc(1, size < 64 ? 64 : size);

	assert_non_null(b);
	put_le64(b + 8, text_offset);
	put_le64(b + 16, image_size);
	put_le64(b + 24, flags);
	memcpy(b + 56, "ARM\x64", 4);
	return b;
}

static void test_image_placed_by_header(void **state)
{
	uint8_t *b = fake_image(8192, 0, 3 * MiB, 0xa);
	struct vmm_image img;
	char err[128];

	(void)state;
	assert_true(vmm_linux_image_is(b, 8192));
	assert_int_equal(vmm_linux_image_parse(b, 8192, VMM_RAM_BASE, &img, err,
					       sizeof(err)), 0);
	assert_int_equal(img.nseg, 1);
	assert_int_equal(img.seg[0].ipa, VMM_RAM_BASE);
	assert_int_equal(img.seg[0].filesz, 8192);
	/* image_size covers .bss: the builder keeps it free of the DTB and
	 * the initrd. */
	assert_int_equal(img.seg[0].memsz, 3 * MiB);
	assert_int_equal(img.entry, VMM_RAM_BASE);
	assert_ptr_equal(img.seg[0].data, b);
	free(b);
}

static void test_image_text_offset_above_2m_base(void **state)
{
	uint8_t *b = fake_image(4096, 0x80000, MiB, 0);
	struct vmm_image img;
	char err[128];

	(void)state;
	/* RAM starting off a 2 MiB boundary: the next boundary is the base. */
	assert_int_equal(vmm_linux_image_parse(b, 4096, 0x40100000, &img, err,
					       sizeof(err)), 0);
	assert_int_equal(img.seg[0].ipa, 0x40280000);
	assert_int_equal(img.entry, 0x40280000);
	free(b);
}

static void test_image_old_kernel(void **state)
{
	/* image_size 0: text_offset is 0x80000 whatever the field says. */
	uint8_t *b = fake_image(4096, 0x1000, 0, 0);
	struct vmm_image img;
	char err[128];

	(void)state;
	assert_int_equal(vmm_linux_image_parse(b, 4096, VMM_RAM_BASE, &img, err,
					       sizeof(err)), 0);
	assert_int_equal(img.seg[0].ipa, VMM_RAM_BASE + 0x80000);
	assert_int_equal(img.seg[0].memsz, 4096);
	free(b);
}

static void test_image_rejected(void **state)
{
	struct vmm_image img;
	char err[128];
	uint8_t *b;

	(void)state;
	b = fake_image(4096, 0, MiB, 0);
	b[56] = 'X';
	assert_false(vmm_linux_image_is(b, 4096));
	assert_int_equal(vmm_linux_image_parse(b, 4096, VMM_RAM_BASE, &img, err,
					       sizeof(err)), -1);
	assert_non_null(strstr(err, "magic"));
	free(b);
	b = fake_image(4096, 0, MiB, 1);		/* big-endian */
	assert_int_equal(vmm_linux_image_parse(b, 4096, VMM_RAM_BASE, &img, err,
					       sizeof(err)), -1);
	assert_non_null(strstr(err, "big-endian"));
	free(b);
	b = fake_image(8192, 0, 4096, 0);		/* image_size below the file */
	assert_int_equal(vmm_linux_image_parse(b, 8192, VMM_RAM_BASE, &img, err,
					       sizeof(err)), -1);
	free(b);
	b = fake_image(4096, 0x123, MiB, 0);		/* not page aligned */
	assert_int_equal(vmm_linux_image_parse(b, 4096, VMM_RAM_BASE, &img, err,
					       sizeof(err)), -1);
	free(b);
	b = fake_image(32, 0, MiB, 0);			/* shorter than a header */
	assert_false(vmm_linux_image_is(b, 32));
	free(b);
}

/* ---- the device tree ---------------------------------------------------------- */

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("no node %s (%s)", path, fdt_strerror(off));
	return off;
}

static const void *prop(const void *fdt, int off, const char *name, int *len)
{
	const void *p = fdt_getprop(fdt, off, name, len);

	if (p == NULL)
		fail_msg("no property %s", name);
	return p;
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint32_t prop_u32(const void *fdt, int off, const char *name)
{
	int len;
	const void *p = prop(fdt, off, name, &len);

	assert_int_equal(len, 4);
	return cell(p, 0);
}

static uint64_t prop_u64(const void *fdt, int off, const char *name)
{
	int len;
	const void *p = prop(fdt, off, name, &len);

	assert_int_equal(len, 8);
	return (uint64_t)cell(p, 0) << 32 | cell(p, 1);
}

static void assert_cells(const void *fdt, int off, const char *name,
			 const uint32_t *want, int n)
{
	int len;
	const void *p = prop(fdt, off, name, &len);

	assert_int_equal(len, 4 * n);
	for (int i = 0; i < n; i++)
		assert_int_equal(cell(p, i), want[i]);
}

static uint8_t *make_dtb(unsigned int recs, uint64_t initrd_start, uint64_t initrd_end,
			 size_t *size)
{
	struct vmm_linux_dt dt = {
		.ram_base = VMM_RAM_BASE, .ram_size = 512 * MiB, .num_recs = recs,
		.bootargs = "console=ttyAMA0 earlycon rdinit=/init",
		.initrd_start = initrd_start, .initrd_end = initrd_end,
	};
	uint8_t *blob = NULL;

	assert_int_equal(vmm_linux_dtb(&dt, &blob, size), 0);
	assert_int_equal(fdt_check_header(blob), 0);
	assert_int_equal(fdt_totalsize(blob), *size);
	assert_int_equal(fdt_num_mem_rsv(blob), 0);
	return blob;
}

static void test_dtb_root_chosen_memory(void **state)
{
	size_t size;
	uint8_t *fdt = make_dtb(1, 0x5f000000, 0x5f123456, &size);
	const uint32_t mem[4] = { 0, 0x40000000, 0, 0x20000000 };
	const char *s;
	int off;

	(void)state;
	off = node(fdt, "/");
	assert_int_equal(fdt_node_check_compatible(fdt, off, "linux,dummy-virt"), 0);
	assert_int_equal(prop_u32(fdt, off, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, off, "#size-cells"), 2);
	off = node(fdt, "/chosen");
	assert_string_equal(prop(fdt, off, "bootargs", NULL),
			    "console=ttyAMA0 earlycon rdinit=/init");
	s = prop(fdt, off, "stdout-path", NULL);
	assert_string_equal(s, "/pl011@9000000");
	node(fdt, s);
	assert_int_equal(prop_u64(fdt, off, "linux,initrd-start"), 0x5f000000);
	assert_int_equal(prop_u64(fdt, off, "linux,initrd-end"), 0x5f123456);
	off = node(fdt, "/memory@40000000");
	assert_string_equal(prop(fdt, off, "device_type", NULL), "memory");
	assert_cells(fdt, off, "reg", mem, 4);
	free(fdt);
}

static void test_dtb_no_initrd(void **state)
{
	size_t size;
	uint8_t *fdt = make_dtb(1, 0, 0, &size);
	int off = node(fdt, "/chosen");

	(void)state;
	assert_null(fdt_getprop(fdt, off, "linux,initrd-start", NULL));
	assert_null(fdt_getprop(fdt, off, "linux,initrd-end", NULL));
	free(fdt);
}

static void test_dtb_cpus_psci(void **state)
{
	size_t size;
	uint8_t *fdt = make_dtb(17, 0, 0, &size);
	unsigned int n = 0;
	int off, cpu;

	(void)state;
	off = node(fdt, "/cpus");
	assert_int_equal(prop_u32(fdt, off, "#address-cells"), 1);
	assert_int_equal(prop_u32(fdt, off, "#size-cells"), 0);
	fdt_for_each_subnode(cpu, fdt, off) {
		assert_string_equal(prop(fdt, cpu, "device_type", NULL), "cpu");
		assert_string_equal(prop(fdt, cpu, "enable-method", NULL), "psci");
		/* reg is the REC's MPIDR: Aff0 0..15, then Aff1. */
		assert_int_equal(prop_u32(fdt, cpu, "reg"), vmm_rec_mpidr(n));
		n++;
	}
	assert_int_equal(n, 17);
	assert_int_equal(prop_u32(fdt, node(fdt, "/cpus/cpu@100"), "reg"), 0x100);
	assert_int_equal(prop_u32(fdt, node(fdt, "/cpus/cpu@f"), "reg"), 0xf);
	off = node(fdt, "/psci");
	assert_int_equal(fdt_node_check_compatible(fdt, off, "arm,psci-1.0"), 0);
	assert_int_equal(fdt_node_check_compatible(fdt, off, "arm,psci-0.2"), 0);
	assert_string_equal(prop(fdt, off, "method", NULL), "smc");
	free(fdt);
}

static void test_dtb_gic_timer(void **state)
{
	size_t size;
	uint8_t *fdt = make_dtb(2, 0, 0, &size);
	const uint32_t reg[8] = { 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000 };
	const uint32_t timer[12] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	int off, gic;

	(void)state;
	gic = node(fdt, "/intc@8000000");
	assert_int_equal(fdt_node_check_compatible(fdt, gic, "arm,gic-v3"), 0);
	assert_int_equal(prop_u32(fdt, gic, "#interrupt-cells"), 3);
	assert_non_null(prop(fdt, gic, "interrupt-controller", NULL));
	assert_cells(fdt, gic, "reg", reg, 8);
	/* Every interrupt of the tree goes to it. */
	assert_int_equal(fdt_node_offset_by_phandle(fdt, prop_u32(fdt, 0, "interrupt-parent")),
			 gic);
	off = node(fdt, "/timer");
	assert_int_equal(fdt_node_check_compatible(fdt, off, "arm,armv8-timer"), 0);
	assert_cells(fdt, off, "interrupts", timer, 12);
	free(fdt);
}

static void test_dtb_uart(void **state)
{
	size_t size;
	uint8_t *fdt = make_dtb(1, 0, 0, &size);
	const uint32_t reg[4] = { 0, 0x09000000, 0, 0x1000 };
	const uint32_t irq[3] = { 0, 1, 4 };
	int off, clk, len;
	const fdt32_t *clocks;
	const char *names;

	(void)state;
	off = node(fdt, "/pl011@9000000");
	assert_int_equal(fdt_node_check_compatible(fdt, off, "arm,pl011"), 0);
	assert_int_equal(fdt_node_check_compatible(fdt, off, "arm,primecell"), 0);
	assert_cells(fdt, off, "reg", reg, 4);
	assert_cells(fdt, off, "interrupts", irq, 3);
	clocks = prop(fdt, off, "clocks", &len);
	assert_int_equal(len, 8);
	clk = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(clocks[0]));
	assert_true(clk >= 0);
	assert_int_equal(fdt32_to_cpu(clocks[1]), fdt32_to_cpu(clocks[0]));
	assert_int_equal(fdt_node_check_compatible(fdt, clk, "fixed-clock"), 0);
	assert_int_equal(prop_u32(fdt, clk, "#clock-cells"), 0);
	assert_true(prop_u32(fdt, clk, "clock-frequency") > 0);
	names = prop(fdt, off, "clock-names", &len);
	assert_int_equal(len, (int)sizeof("uartclk") + (int)sizeof("apb_pclk"));
	assert_string_equal(names, "uartclk");
	assert_string_equal(names + sizeof("uartclk"), "apb_pclk");
	free(fdt);
}

static void test_fdt_writer_errors(void **state)
{
	struct vmm_fdt f;
	uint8_t *blob = NULL;
	size_t size = 0;

	(void)state;
	vmm_fdt_init(&f);
	vmm_fdt_begin_node(&f, "");
	vmm_fdt_begin_node(&f, "open");
	vmm_fdt_end_node(&f);
	assert_int_equal(vmm_fdt_finish(&f, &blob, &size), -1);	/* root open */
	assert_null(blob);
	vmm_fdt_init(&f);
	vmm_fdt_prop_u32(&f, "outside", 1);				/* no node */
	assert_int_equal(vmm_fdt_finish(&f, &blob, &size), -1);
	vmm_fdt_init(&f);
	vmm_fdt_begin_node(&f, "");
	vmm_fdt_prop_string(&f, "a", "x");
	vmm_fdt_prop_string(&f, "b", "y");
	vmm_fdt_prop_string(&f, "a", "z");	/* a second node's "a" shares the name */
	vmm_fdt_end_node(&f);
	assert_int_equal(vmm_fdt_finish(&f, &blob, &size), 0);
	assert_int_equal(fdt_size_dt_strings(blob), 4);			/* "a\0b\0" */
	free(blob);
}

/* ---- where the DTB and the initrd go ------------------------------------------ */

static void test_place_blobs(void **state)
{
	struct vmm_config cfg;
	struct vmm_image k = { .nseg = 1, .entry = VMM_RAM_BASE };
	uint64_t dtb, initrd;
	char err[128];

	(void)state;
	vmm_config_default(&cfg);
	cfg.ram_size = 512 * MiB;
	k.seg[0] = (struct vmm_segment){ .ipa = VMM_RAM_BASE, .filesz = 48 * MiB,
					 .memsz = 50 * MiB };
	assert_int_equal(vmm_place_blobs(&cfg, &k, 4000, 10 * MiB + 5, &dtb, &initrd, err,
					 sizeof(err)), 0);
	assert_int_equal(dtb, VMM_RAM_BASE + 510 * MiB);
	assert_int_equal(initrd, (dtb - 10 * MiB - 5) & ~0xFFFULL);
	/* Not beside the kernel's image_size. */
	cfg.ram_size = 60 * MiB;
	assert_int_equal(vmm_place_blobs(&cfg, &k, 4000, 10 * MiB, &dtb, &initrd, err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "initrd"));
}

/* ---- the console token ---------------------------------------------------------- */

struct console {
	struct rmm *rmm;
	struct vmm_backend be;
	struct vmm *v;
	char path[64];
	FILE *out;
};

static int console_setup(void **state)
{
	struct console *c = calloc(1, sizeof(*c));
	struct vmm_config cfg;
	int fd;

	assert_non_null(c);
	strcpy(c->path, "/tmp/test_linux.XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	close(fd);
	c->out = tmpfile();
	assert_non_null(c->out);
	c->rmm = rmm_new(NULL);
	assert_non_null(c->rmm);
	assert_int_equal(vmm_backend_inproc(c->rmm, &c->be), 0);
	vmm_config_default(&cfg);
	cfg.out = c->out;
	cfg.log = c->out;
	cfg.console_token_path = c->path;
	c->v = vmm_new(&cfg, &c->be);
	assert_non_null(c->v);
	*state = c;
	return 0;
}

static int console_teardown(void **state)
{
	struct console *c = *state;

	vmm_free(c->v);
	vmm_backend_free(&c->be);
	rmm_free(c->rmm);
	fclose(c->out);
	unlink(c->path);
	free(c);
	return 0;
}

static void uart_print(struct vmm *v, const char *s)
{
	for (; *s != '\0'; s++)
		vmm_mmio_write(v, VMM_UART_BASE, 1, (uint8_t)*s);
}

static size_t read_token(const char *path, uint8_t *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void test_console_token_saved(void **state)
{
	struct console *c = *state;
	const uint8_t want[] = { 0xd9, 0x01, 0x8f, 0xa2, 0x0b, 0x7f, 0xff };
	uint8_t got[16];

	uart_print(c->v, "booting\nd9018f not a token\n" VMM_TOKEN_BEGIN "\r\n"
		   "d9 01 8F\r\na2\n0b7fff\n" VMM_TOKEN_END "\nafter\n");
	assert_int_equal(read_token(c->path, got, sizeof(got)), sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(c->v->mmio.tokens_saved, 1);
}

static void test_console_token_bad_not_saved(void **state)
{
	struct console *c = *state;
	uint8_t got[16];

	uart_print(c->v, VMM_TOKEN_BEGIN "\nd9 0g\n" VMM_TOKEN_END "\n");
	uart_print(c->v, VMM_TOKEN_BEGIN "\nd90\n" VMM_TOKEN_END "\n");	/* odd */
	uart_print(c->v, VMM_TOKEN_BEGIN "\n" VMM_TOKEN_END "\n");	/* empty */
	assert_int_equal(c->v->mmio.tokens_saved, 0);
	assert_int_equal(read_token(c->path, got, sizeof(got)), 0);
	/* The output is the console's all the same. */
	assert_true(ftell(c->out) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_placed_by_header),
		cmocka_unit_test(test_image_text_offset_above_2m_base),
		cmocka_unit_test(test_image_old_kernel),
		cmocka_unit_test(test_image_rejected),
		cmocka_unit_test(test_dtb_root_chosen_memory),
		cmocka_unit_test(test_dtb_no_initrd),
		cmocka_unit_test(test_dtb_cpus_psci),
		cmocka_unit_test(test_dtb_gic_timer),
		cmocka_unit_test(test_dtb_uart),
		cmocka_unit_test(test_fdt_writer_errors),
		cmocka_unit_test(test_place_blobs),
		cmocka_unit_test_setup_teardown(test_console_token_saved, console_setup,
						console_teardown),
		cmocka_unit_test_setup_teardown(test_console_token_bad_not_saved,
						console_setup, console_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
