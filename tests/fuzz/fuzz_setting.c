/* fuzz_setting.c - fuzz target: one `-o name=value` (settings_override,
 * the one checker behind master.conf, master.cf -o and the command line),
 * in both scopes: the master's command line (every setting) and a master.cf
 * line (per-service settings only, no master settings at hand). A value
 * that was accepted must survive a deep copy and a free. */
#include <string.h>

#include "fuzz.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct master_settings m;
	struct service_settings s, copy;
	struct diag errs = { 0 };
	char *nv = fuzz_cstring(data, size);

	if (nv == NULL)
		return 0;
	settings_defaults(&m, &s);
	int rc = settings_override(&m, &s, nv, false, "command line", &errs);
	FUZZ_CHECK((rc == 0) == (errs.n == 0));
	size_t before = errs.n;
	rc = settings_override(NULL, &s, nv, true, "fuzz/master.cf:1", &errs);
	FUZZ_CHECK((rc == 0) == (errs.n == before));
	if (settings_copy_service(&copy, &s) == 0)
		settings_free_service(&copy);
	/* An error names where and never runs past its buffer. */
	for (size_t i = 0; i < errs.n; i++)
		FUZZ_CHECK(strncmp(errs.msgs[i], "command line: ", 14) == 0 ||
			   strncmp(errs.msgs[i], "fuzz/master.cf:1: ", 18) == 0);
	diag_free(&errs);
	settings_free_service(&s);
	settings_free_master(&m);
	free(nv);
	return 0;
}
