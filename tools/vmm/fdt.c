/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flattened device tree writer (fdt.h). All values in the blob are
 * big-endian; tokens and property values are padded to 4 bytes (Devicetree
 * Specification 0.4, 5.4).
 */
#include <stdlib.h>
#include <string.h>

#include "fdt.h"

#define FDT_MAGIC		0xd00dfeedU
#define FDT_VERSION		17
#define FDT_LAST_COMP_VERSION	16
#define FDT_BEGIN_NODE		1
#define FDT_END_NODE		2
#define FDT_PROP		3
#define FDT_END			9
#define FDT_HEADER_SIZE		40
/* One terminating (address 0, size 0) entry: no reserved memory. */
#define FDT_RSVMAP_SIZE		16

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool grow(struct vmm_fdt *f, void **buf, size_t *cap, size_t need)
{
	size_t n = *cap != 0 ? *cap : 256;
	void *p;

	if (f->failed)
		return false;
	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (p == NULL) {
		f->failed = true;
		return false;
	}
	*buf = p;
	*cap = n;
	return true;
}

/* len bytes of data, then zeros up to a multiple of 4. */
static void dt_append(struct vmm_fdt *f, const void *data, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (!grow(f, (void **)&f->dt, &f->dt_cap, f->dt_len + padded))
		return;
	memcpy(f->dt + f->dt_len, data, len);
	memset(f->dt + f->dt_len + len, 0, padded - len);
	f->dt_len += padded;
}

static void dt_token(struct vmm_fdt *f, uint32_t token)
{
	uint8_t be[4];

	put_be32(be, token);
	dt_append(f, be, sizeof(be));
}

/* The offset of name in the strings block, added once. */
static uint32_t string_offset(struct vmm_fdt *f, const char *name)
{
	size_t len = strlen(name) + 1;
	size_t off = 0;

	while (off < f->str_len) {
		if (strcmp(f->str + off, name) == 0)
			return (uint32_t)off;
		off += strlen(f->str + off) + 1;
	}
	if (!grow(f, (void **)&f->str, &f->str_cap, f->str_len + len))
		return 0;
	memcpy(f->str + f->str_len, name, len);
	f->str_len += len;
	return (uint32_t)off;
}

void vmm_fdt_init(struct vmm_fdt *f)
{
	memset(f, 0, sizeof(*f));
}

void vmm_fdt_begin_node(struct vmm_fdt *f, const char *name)
{
	dt_token(f, FDT_BEGIN_NODE);
	dt_append(f, name, strlen(name) + 1);
	f->depth++;
}

void vmm_fdt_end_node(struct vmm_fdt *f)
{
	if (f->depth == 0)
		f->failed = true;
	dt_token(f, FDT_END_NODE);
	f->depth--;
}

void vmm_fdt_prop(struct vmm_fdt *f, const char *name, const void *data, size_t len)
{
	uint8_t head[8];

	/* spec: properties belong to a node (Devicetree Specification 5.4.1). */
	if (f->depth == 0)
		f->failed = true;
	dt_token(f, FDT_PROP);
	put_be32(head, (uint32_t)len);
	put_be32(head + 4, string_offset(f, name));
	dt_append(f, head, sizeof(head));
	dt_append(f, data, len);
}

void vmm_fdt_prop_empty(struct vmm_fdt *f, const char *name)
{
	vmm_fdt_prop(f, name, "", 0);
}

void vmm_fdt_prop_u32(struct vmm_fdt *f, const char *name, uint32_t value)
{
	vmm_fdt_prop_cells(f, name, &value, 1);
}

void vmm_fdt_prop_u64(struct vmm_fdt *f, const char *name, uint64_t value)
{
	uint32_t cells[2] = { (uint32_t)(value >> 32), (uint32_t)value };

	vmm_fdt_prop_cells(f, name, cells, 2);
}

void vmm_fdt_prop_cells(struct vmm_fdt *f, const char *name, const uint32_t *cells,
			size_t n)
{
	uint8_t be[64 * 4];

	if (n > 64) {
		f->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put_be32(be + 4 * i, cells[i]);
	vmm_fdt_prop(f, name, be, 4 * n);
}

void vmm_fdt_prop_string(struct vmm_fdt *f, const char *name, const char *s)
{
	vmm_fdt_prop(f, name, s, strlen(s) + 1);
}

void vmm_fdt_prop_strings(struct vmm_fdt *f, const char *name, const char *const *s,
			  size_t n)
{
	char buf[256];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]) + 1;

		if (l > sizeof(buf) - len) {
			f->failed = true;
			return;
		}
		memcpy(buf + len, s[i], l);
		len += l;
	}
	vmm_fdt_prop(f, name, buf, len);
}

int vmm_fdt_finish(struct vmm_fdt *f, uint8_t **blob, size_t *size)
{
	size_t off_dt = FDT_HEADER_SIZE + FDT_RSVMAP_SIZE, off_str, total;
	uint8_t *b = NULL;

	dt_token(f, FDT_END);
	if (!f->failed && f->depth == 0) {
		off_str = off_dt + f->dt_len;
		total = off_str + f->str_len;
		b = calloc(1, total);
	}
	if (b != NULL) {
		put_be32(b + 0, FDT_MAGIC);
		put_be32(b + 4, (uint32_t)total);
		put_be32(b + 8, (uint32_t)off_dt);
		put_be32(b + 12, (uint32_t)off_str);
		put_be32(b + 16, FDT_HEADER_SIZE);	/* off_mem_rsvmap */
		put_be32(b + 20, FDT_VERSION);
		put_be32(b + 24, FDT_LAST_COMP_VERSION);
		put_be32(b + 28, 0);			/* boot_cpuid_phys */
		put_be32(b + 32, (uint32_t)f->str_len);
		put_be32(b + 36, (uint32_t)f->dt_len);
		memcpy(b + off_dt, f->dt, f->dt_len);
		memcpy(b + off_str, f->str, f->str_len);
		*blob = b;
		*size = total;
	}
	free(f->dt);
	free(f->str);
	vmm_fdt_init(f);
	return b != NULL ? 0 : -1;
}
