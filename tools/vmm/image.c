/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Realm images: an ELF64 AArch64 executable is loaded by its PT_LOAD
 * segments at their physical addresses (IPAs, the realm runs with its MMU
 * off) and starts at e_entry; anything else is a flat binary loaded at one
 * address and started at its first byte (the arm64 Image convention).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm.h"

__attribute__((format(printf, 3, 4)))
static int image_error(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -1;
}

bool vmm_image_is_elf(const uint8_t *buf, size_t size)
{
	return size >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

static int elf_header_check(const Elf64_Ehdr *eh, size_t size, char *err,
			    size_t err_size)
{
	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return image_error(err, err_size, "not a 64-bit ELF file");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_AARCH64)
		return image_error(err, err_size, "not a little-endian AArch64 ELF file");
	if (eh->e_type != ET_EXEC)
		return image_error(err, err_size,
				   "not an ELF executable (type %u); link it at fixed addresses",
				   (unsigned int)eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return image_error(err, err_size, "truncated ELF program headers");
	return 0;
}

static int elf_segment(const uint8_t *buf, size_t size, const Elf64_Phdr *ph,
		       struct vmm_image *img, char *err, size_t err_size)
{
	struct vmm_segment *s;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
	    size - ph->p_offset < ph->p_filesz)
		return image_error(err, err_size,
				   "ELF segment at 0x%" PRIx64 " lies outside the file",
				   (uint64_t)ph->p_paddr);
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return image_error(err, err_size, "ELF segment at 0x%" PRIx64 " wraps",
				   (uint64_t)ph->p_paddr);
	if (img->nseg == VMM_MAX_SEGMENTS)
		return image_error(err, err_size, "more than %u PT_LOAD segments",
				   VMM_MAX_SEGMENTS);
	s = &img->seg[img->nseg++];
	s->ipa = ph->p_paddr;
	s->data = buf + ph->p_offset;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	return 0;
}

static int elf_parse(const uint8_t *buf, size_t size, struct vmm_image *img,
		     char *err, size_t err_size)
{
	Elf64_Ehdr eh;

	memcpy(&eh, buf, size < sizeof(eh) ? size : sizeof(eh));
	if (elf_header_check(&eh, size, err, err_size) != 0)
		return -1;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (elf_segment(buf, size, &ph, img, err, err_size) != 0)
			return -1;
	}
	if (img->nseg == 0)
		return image_error(err, err_size, "no PT_LOAD segment in the ELF file");
	img->entry = eh.e_entry;
	return 0;
}

int vmm_image_parse(const uint8_t *buf, size_t size, uint64_t load_addr,
		    struct vmm_image *img, char *err, size_t err_size)
{
	memset(img, 0, sizeof(*img));
	if (size == 0)
		return image_error(err, err_size, "the image is empty");
	if (vmm_image_is_elf(buf, size))
		return elf_parse(buf, size, img, err, err_size);
	img->seg[0].ipa = load_addr;
	img->seg[0].data = buf;
	img->seg[0].filesz = size;
	img->seg[0].memsz = size;
	img->nseg = 1;
	img->entry = load_addr;
	return 0;
}

int vmm_read_file(const char *path, uint8_t **buf, size_t *size, char *err,
		  size_t err_size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *b;
	size_t n;

	if (f == NULL)
		return image_error(err, err_size, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return image_error(err, err_size, "%s: not a regular file", path);
	}
	b = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (b == NULL) {
		fclose(f);
		return image_error(err, err_size, "%s: out of memory", path);
	}
	n = fread(b, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size || ferror(f)) {
		fclose(f);
		free(b);
		return image_error(err, err_size, "%s: read error", path);
	}
	fclose(f);
	*buf = b;
	*size = n;
	return 0;
}
