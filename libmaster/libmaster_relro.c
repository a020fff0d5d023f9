/* libmaster_relro.c - makes the program's RELRO read-only (libmaster_relro.h).
 *
 * RELRO (PT_GNU_RELRO) is the part of a program's writable data that only
 * relocation writes: .init_array/.fini_array, .data.rel.ro (our tables of
 * function pointers), the GOT. After relocation it should be read-only, so
 * that a memory-corruption bug cannot redirect a call through it. glibc's
 * start-up does that for a static-pie program; musl's (rcrt1.o, the
 * worker_libc=musl build, docs/security.md) relocates the program but
 * leaves the pages writable. So with any C library but glibc, libmaster
 * does what glibc would, once, before the worker takes a request: the
 * same rounding as a dynamic loader (start and end rounded down to a page:
 * the linker ends RELRO on a page boundary, so no other data shares its
 * last page). Nothing is fatal here; libmaster_run treats a failure as
 * fatal for the worker, as glibc's loader does. */
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libmaster_relro.h"

#ifndef __GLIBC__
struct libmaster_relro_span {
	uintptr_t start;        /* page-aligned; start == end: no RELRO */
	uintptr_t end;
};

/* dl_iterate_phdr calls this for the program first (then the vDSO): the
 * first object's RELRO is the program's. */
static int libmaster_relro_find(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct libmaster_relro_span *span = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_GNU_RELRO)
			continue;
		span->start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		span->end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
	}
	return 1; /* the program only */
}
#endif

int libmaster_relro_protect(char *why, size_t why_size)
{
#ifdef __GLIBC__
	/* glibc's start-up (static) or its loader (dynamic) did it. */
	(void)why;
	(void)why_size;
	return 0;
#else
	struct libmaster_relro_span span = { 0, 0 };

	(void)dl_iterate_phdr(libmaster_relro_find, &span);
	if (span.end <= span.start)
		return 0;
	if (mprotect((void *)span.start, span.end - span.start, PROT_READ) < 0) {
		snprintf(why, why_size, "RELRO %#lx-%#lx read-only: %s",
			 (unsigned long)span.start, (unsigned long)span.end, strerror(errno));
		return -1;
	}
	return 0;
#endif
}
