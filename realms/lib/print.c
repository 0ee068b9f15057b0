/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output through the PL011 data register at the UART's unprotected alias:
 * every byte is one emulatable MMIO exit to the host. FR is polled first,
 * as on a real PL011 (rmm-run's never reports a full FIFO).
 */
#include <stdarg.h>

#include "realm.h"

#define UART_DR		0x000
#define UART_FR		0x018
#define UART_FR_TXFF	(1U << 5)

void putc_uart(char c)
{
	uint64_t base;

	/* Before RSI_REALM_CONFIG the UART's address is unknown. */
	if (realm_ipa_width == 0)
		return;
	base = realm_unprotected(REALM_UART_BASE);
	while (mmio_read32(base + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(base + UART_DR, (uint8_t)c);
}

void puts_uart(const char *s)
{
	while (*s != '\0')
		putc_uart(*s++);
}

static void put_uint(uint64_t v, unsigned int base, unsigned int width, char pad)
{
	char buf[24];
	unsigned int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (n < width && n < sizeof(buf))
		buf[n++] = pad;
	while (n > 0)
		putc_uart(buf[--n]);
}

/* %c %s %d %u %x %p %%, with an optional 0 flag, width and l / ll. */
static const char *format_one(const char *p, va_list *ap)
{
	unsigned int width = 0, longs = 0;
	char pad = ' ';
	uint64_t u;
	int64_t d;

	if (*p == '0')
		pad = '0';
	while (*p >= '0' && *p <= '9')
		width = width * 10 + (unsigned int)(*p++ - '0');
	while (*p == 'l') {
		longs++;
		p++;
	}
	switch (*p) {
	case 'c':
		putc_uart((char)va_arg(*ap, int));
		break;
	case 's':
		puts_uart(va_arg(*ap, const char *));
		break;
	case 'd':
		d = longs ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		if (d < 0)
			putc_uart('-');
		put_uint(d < 0 ? -(uint64_t)d : (uint64_t)d, 10, width, pad);
		break;
	case 'u':
	case 'x':
		u = longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned int);
		put_uint(u, *p == 'u' ? 10 : 16, width, pad);
		break;
	case 'p':
		puts_uart("0x");
		put_uint((uint64_t)va_arg(*ap, void *), 16, 0, ' ');
		break;
	case '%':
		putc_uart('%');
		break;
	default:
		putc_uart('?');
		break;
	}
	return p + 1;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt;

	va_start(ap, fmt);
	while (*p != '\0') {
		if (*p == '%' && p[1] != '\0') {
			p = format_one(p + 1, &ap);
			continue;
		}
		putc_uart(*p++);
	}
	va_end(ap);
	return 0;
}
