/* svctype.c - owns the service types' names and kinds (see svctype.h).
 * Nothing here allocates or fails. */
#include "svctype.h"

#include <string.h>

static const struct {
	const char *name;
	const char *tag;
} svctype_table[SVCTYPE_COUNT] = {
	[SERVICE_INET] = { "inet", "inet" },
	[SERVICE_UNIX] = { "unix", "unix" },
	[SERVICE_FIFO] = { "fifo", "fifo" },
	[SERVICE_UNIX_DGRAM] = { "unix-dgram", "dgram" },
	[SERVICE_PASS] = { "pass", "pass" },
};

const char *svctype_name(enum service_type type)
{
	return (unsigned)type < SVCTYPE_COUNT ? svctype_table[type].name : "?";
}

const char *svctype_tag(enum service_type type)
{
	return (unsigned)type < SVCTYPE_COUNT ? svctype_table[type].tag : "unknown";
}

bool svctype_parse(const char *name, enum service_type *type)
{
	for (unsigned i = 0; i < SVCTYPE_COUNT; i++)
		if (strcmp(name, svctype_table[i].name) == 0) {
			*type = (enum service_type)i;
			return true;
		}
	return false;
}

bool svctype_has_tag_prefix(const char *name)
{
	for (unsigned i = 0; i < SVCTYPE_COUNT; i++) {
		size_t len = strlen(svctype_table[i].tag);
		if (strncmp(name, svctype_table[i].tag, len) == 0 && name[len] == '-')
			return true;
	}
	return false;
}

bool svctype_is_local(enum service_type type)
{
	return type != SERVICE_INET;
}

bool svctype_listens(enum service_type type)
{
	return type == SERVICE_INET || type == SERVICE_UNIX || type == SERVICE_PASS;
}
