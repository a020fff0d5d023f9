/* svctype.h - the service types of master.cf's second column (Postfix's
 * master(5)): their names, the short tags used in cgroup and dynamic-user
 * names, and what kind of endpoint each is. Pure: no system calls. */
#ifndef MASTER_SVCTYPE_H
#define MASTER_SVCTYPE_H

#include <stdbool.h>

enum service_type {
	SERVICE_INET,       /* TCP listening socket: [host:]port */
	SERVICE_UNIX,       /* unix stream listening socket in private/ or public/ */
	SERVICE_FIFO,       /* named pipe in private/ or public/ */
	SERVICE_UNIX_DGRAM, /* unix datagram socket in private/ or public/ */
	SERVICE_PASS,       /* unix stream socket over which connections are passed */
};

#define SVCTYPE_COUNT 5

/* The master.cf word: "inet", "unix", "fifo", "unix-dgram", "pass". */
const char *svctype_name(enum service_type type);
/* A tag without '-' ("dgram" for unix-dgram), so that "TAG-NAME" names
 * one service whatever its name holds. */
const char *svctype_tag(enum service_type type);
/* The type called name; false if none is. */
bool svctype_parse(const char *name, enum service_type *type);
/* name starts with a tag and a '-'. */
bool svctype_has_tag_prefix(const char *name);
/* A file in the run directory (everything but inet). */
bool svctype_is_local(enum service_type type);
/* A stream socket that listens (inet, unix, pass): listen(2) applies. */
bool svctype_listens(enum service_type type);

#endif
