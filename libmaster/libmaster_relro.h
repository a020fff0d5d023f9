/* libmaster_relro.h - the program's RELRO made read-only where the C
 * library's start-up did not (libmaster_relro.c). Internal to libmaster. */
#ifndef LIBMASTER_RELRO_H
#define LIBMASTER_RELRO_H

#include <stddef.h>

/* 0 when the program's PT_GNU_RELRO pages are read-only (or it has none);
 * -1 with the reason in why when mprotect failed. */
int libmaster_relro_protect(char *why, size_t why_size);

#endif
