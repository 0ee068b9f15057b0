/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flattened device tree writer (Devicetree Specification 0.4, chapter 5:
 * the header, an empty memory reservation block, the structure block and
 * the strings block, version 17). Nodes are written in order: begin, its
 * properties, its children, end. Errors (out of memory, unbalanced nodes)
 * are sticky and reported by vmm_fdt_finish().
 */
#ifndef TOOLS_VMM_FDT_H
#define TOOLS_VMM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_fdt {
	uint8_t *dt;		/* the structure block */
	size_t dt_len, dt_cap;
	char *str;		/* the strings block */
	size_t str_len, str_cap;
	int depth;
	bool failed;
};

void vmm_fdt_init(struct vmm_fdt *f);
void vmm_fdt_begin_node(struct vmm_fdt *f, const char *name);
void vmm_fdt_end_node(struct vmm_fdt *f);
void vmm_fdt_prop(struct vmm_fdt *f, const char *name, const void *data, size_t len);
void vmm_fdt_prop_empty(struct vmm_fdt *f, const char *name);
void vmm_fdt_prop_u32(struct vmm_fdt *f, const char *name, uint32_t value);
void vmm_fdt_prop_u64(struct vmm_fdt *f, const char *name, uint64_t value);
/* n cells, each written big-endian. */
void vmm_fdt_prop_cells(struct vmm_fdt *f, const char *name, const uint32_t *cells,
			size_t n);
void vmm_fdt_prop_string(struct vmm_fdt *f, const char *name, const char *s);
/* A string list: n NUL-terminated strings one after the other. */
void vmm_fdt_prop_strings(struct vmm_fdt *f, const char *name, const char *const *s,
			  size_t n);
/* The blob (malloc'd) and its size; frees the writer's buffers either way.
 * Returns 0, or -1 after an earlier error or with nodes left open. */
int vmm_fdt_finish(struct vmm_fdt *f, uint8_t **blob, size_t *size);

#endif /* TOOLS_VMM_FDT_H */
