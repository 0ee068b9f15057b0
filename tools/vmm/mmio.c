/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The realm's devices, reached by emulatable data aborts in the unprotected
 * half (rmi-1.0.md 9.3): a PL011-like UART and a scratch register block
 * (vmm.h). Addresses here are without the unprotected bit. One lock for
 * all of it: REC threads access the devices at the same time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tools/script.h"

/* PL011 registers (Arm PrimeCell UART TRM). */
#define UART_DR		0x000
#define UART_FR		0x018
#define UART_FR_RXFE	(1U << 4)
#define UART_FR_TXFE	(1U << 7)
#define UART_ID_BASE	0xFE0	/* PeriphID0..3, PCellID0..3 */

/* What a PL011 r1p5 answers in its ID registers, so that drivers that probe
 * them (Linux's amba bus) recognise the device. */
static const uint8_t uart_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1 };

struct device {
	const char *name;
	uint64_t base;
	uint64_t (*read)(struct vmm *v, uint64_t off, unsigned int size);
	void (*write)(struct vmm *v, uint64_t off, unsigned int size, uint64_t value);
};

void vmm_mmio_init(struct vmm_mmio *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void vmm_mmio_fini(struct vmm_mmio *m)
{
	free(m->token);
	pthread_mutex_destroy(&m->lock);
}

/* ---- UART ----------------------------------------------------------------- */

static uint64_t uart_read(struct vmm *v, uint64_t off, unsigned int size)
{
	(void)size;
	if (off == UART_FR)
		return UART_FR_TXFE | UART_FR_RXFE;	/* never full, never input */
	if (off == UART_DR)
		return 0;
	if (off >= UART_ID_BASE && (off & 3) == 0)
		return uart_id[(off - UART_ID_BASE) / 4];
	return v->mmio.uart[off / 4];
}

/* ---- the console token: hex between two marker lines ----------------------- */

/* A line of the token: hex digit pairs, blanks ignored. */
static void token_line(struct vmm_mmio *m, const char *line)
{
	int hi = -1;

	for (const char *p = line; *p != '\0' && !m->token_bad; p++) {
		int d = script_hex_digit(*p);

		if (*p == ' ' || *p == '\t' || *p == '\r')
			continue;
		if (d < 0 || (hi < 0 && m->token_len == VMM_SAVE_MAX)) {
			m->token_bad = true;
		} else if (hi < 0) {
			hi = d;
		} else {
			m->token[m->token_len++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		m->token_bad = true;
}

static void token_save(struct vmm *v)
{
	struct vmm_mmio *m = &v->mmio;
	FILE *f;

	if (m->token_bad || m->token_len == 0) {
		vmm_msg(v, "the console token is not hex digit pairs (up to %llu bytes): "
			"not saved", (unsigned long long)VMM_SAVE_MAX);
		return;
	}
	f = fopen(v->cfg.console_token_path, "wb");
	if (f == NULL || fwrite(m->token, 1, m->token_len, f) != m->token_len ||
	    fclose(f) != 0) {
		vmm_msg(v, "cannot write %s: %s", v->cfg.console_token_path, strerror(errno));
		return;
	}
	m->tokens_saved++;
	vmm_msg(v, "console token: %zu bytes saved to %s", m->token_len,
		v->cfg.console_token_path);
}

static void console_line(struct vmm *v)
{
	struct vmm_mmio *m = &v->mmio;
	char *line = m->line;
	size_t n = m->line_len;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (v->cfg.mark != NULL && v->stats.mark_ns < 0 && strstr(line, v->cfg.mark) != NULL)
		v->stats.mark_ns = vmm_now_ns(v);
	if (v->cfg.console_token_path == NULL)
		return;
	if (!m->in_token && strcmp(line, VMM_TOKEN_BEGIN) == 0) {
		if (m->token == NULL)
			m->token = malloc(VMM_SAVE_MAX);
		if (m->token == NULL) {
			vmm_msg(v, "out of memory for the console token");
			return;
		}
		m->in_token = true;
		m->token_bad = false;
		m->token_len = 0;
	} else if (m->in_token && strcmp(line, VMM_TOKEN_END) == 0) {
		m->in_token = false;
		token_save(v);
	} else if (m->in_token) {
		if (m->line_long)
			m->token_bad = true;
		token_line(m, line);
	}
}

static void console_putc(struct vmm *v, uint8_t c)
{
	struct vmm_mmio *m = &v->mmio;

	if (c == '\n') {
		console_line(v);
		m->line_len = 0;
		m->line_long = false;
	} else if (m->line_len < sizeof(m->line) - 1) {
		m->line[m->line_len++] = (char)c;
	} else {
		m->line_long = true;
	}
}

static void uart_putc(struct vmm *v, uint8_t c)
{
	if (__atomic_add_fetch(&v->stats.uart_bytes, 1, __ATOMIC_RELAXED) == 1)
		v->stats.first_uart_ns = vmm_now_ns(v);
	fputc(c, v->cfg.out);
	if (c == '\n') {
		fflush(v->cfg.out);
		v->stats.last_line_ns = vmm_now_ns(v);
	}
	if (v->cfg.console_token_path != NULL || v->cfg.mark != NULL)
		console_putc(v, c);
}

static void uart_write(struct vmm *v, uint64_t off, unsigned int size, uint64_t value)
{
	(void)size;
	if (off == UART_DR) {
		uart_putc(v, (uint8_t)value);
		return;
	}
	/* The rest keeps what is written (control, baud, masks); FR and the
	 * ID registers are read-only. */
	if (off != UART_FR && off < UART_ID_BASE)
		v->mmio.uart[off / 4] = (uint32_t)value;
}

/* ---- scratch: bytes in, the same bytes out ---------------------------------- */

static uint64_t scratch_read(struct vmm *v, uint64_t off, unsigned int size)
{
	uint64_t value = 0;

	for (unsigned int i = 0; i < size; i++)
		value |= (uint64_t)v->mmio.scratch[off + i] << (8 * i);
	return value;
}

static void scratch_write(struct vmm *v, uint64_t off, unsigned int size, uint64_t value)
{
	for (unsigned int i = 0; i < size; i++)
		v->mmio.scratch[off + i] = (uint8_t)(value >> (8 * i));
}

static const struct device devices[] = {
	{ "uart", VMM_UART_BASE, uart_read, uart_write },
	{ "scratch", VMM_SCRATCH_BASE, scratch_read, scratch_write },
};

/* The device holding [addr, addr + size), or NULL. */
static const struct device *device_at(uint64_t addr, unsigned int size)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		const struct device *d = &devices[i];

		if (addr >= d->base && addr - d->base <= VMM_DEVICE_SIZE - size)
			return d;
	}
	return NULL;
}

uint64_t vmm_mmio_read(struct vmm *v, uint64_t addr, unsigned int size)
{
	const struct device *d = device_at(addr, size);
	uint64_t value = 0;

	pthread_mutex_lock(&v->mmio.lock);
	if (d != NULL)
		value = d->read(v, addr - d->base, size);
	pthread_mutex_unlock(&v->mmio.lock);
	if (d == NULL)
		__atomic_add_fetch(&v->stats.mmio_unknown_reads, 1, __ATOMIC_RELAXED);
	if (size < 8)
		value &= (1ULL << (8 * size)) - 1;
	return value;
}

void vmm_mmio_write(struct vmm *v, uint64_t addr, unsigned int size, uint64_t value)
{
	const struct device *d = device_at(addr, size);

	if (d == NULL) {
		__atomic_add_fetch(&v->stats.mmio_unknown_writes, 1, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&v->mmio.lock);
	d->write(v, addr - d->base, size, value);
	pthread_mutex_unlock(&v->mmio.lock);
}
