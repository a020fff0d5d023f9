/* fuzz_mastercf.c - fuzz target: the master.cf lexer and parser
 * (mastercf_parse_buffer) on arbitrary text, over the built-in defaults.
 * Checks what the parser promises: a result of 0 exactly when there was no
 * error, and only complete entries (name, command, argv[0]) in the output. */
#include <string.h>

#include "fuzz.h"
#include "mastercf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct master_settings m;
	struct service_settings defaults;
	struct mastercf cf;
	struct diag errs = { 0 };
	char *text = fuzz_cstring(data, size);

	if (text == NULL)
		return 0;
	settings_defaults(&m, &defaults);
	int rc = mastercf_parse_buffer("fuzz/master.cf", text, &defaults, &cf, &errs);
	FUZZ_CHECK((rc == 0) == (errs.n == 0));
	for (size_t i = 0; i < cf.n; i++) {
		const struct mastercf_entry *e = &cf.entries[i];
		FUZZ_CHECK(e->name != NULL && e->command != NULL && e->argv != NULL);
		FUZZ_CHECK(strcmp(e->argv[0], e->command) == 0);
		FUZZ_CHECK(e->line >= 1);
	}
	for (size_t i = 0; i < errs.n; i++)
		FUZZ_CHECK(strncmp(errs.msgs[i], "fuzz/master.cf:", 15) == 0);
	mastercf_free(&cf);
	diag_free(&errs);
	settings_free_service(&defaults);
	settings_free_master(&m);
	free(text);
	return 0;
}
