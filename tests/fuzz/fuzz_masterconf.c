/* fuzz_masterconf.c - fuzz target: master.conf text read through
 * libconfuse (settings_load_buffer): our comment blanking, libconfuse's
 * lexer and parser, and the schema checker on every value. */
#include <string.h>

#include "fuzz.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct master_settings m;
	struct service_settings s;
	struct diag errs = { 0 };
	char *text = fuzz_cstring(data, size);

	if (text == NULL)
		return 0;
	settings_defaults(&m, &s);
	int rc = settings_load_buffer("fuzz/master.conf", text, &m, &s, &errs);
	FUZZ_CHECK(rc == 0 || errs.n > 0);
	for (size_t i = 0; i < errs.n; i++)
		FUZZ_CHECK(strncmp(errs.msgs[i], "fuzz/master.conf", 16) == 0);
	diag_free(&errs);
	settings_free_service(&s);
	settings_free_master(&m);
	free(text);
	return 0;
}
