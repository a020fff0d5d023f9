/* libmaster_log.h - libmaster's own messages (libmaster_log.c). */
#ifndef LIBMASTER_LOG_H
#define LIBMASTER_LOG_H

/* One line on stderr, "SERVICE: libmaster: ...", in one write (the master
 * logs it as SERVICE[PID]: line). %m is the errno at the call. */
__attribute__((format(printf, 2, 3)))
void libmaster_log(const char *service, const char *fmt, ...);

#endif
