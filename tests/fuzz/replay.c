/* replay.c - a main() for fuzz targets built without libFuzzer (any
 * compiler): runs LLVMFuzzerTestOneInput once on every file named on the
 * command line, or on every regular file in a directory named there.
 * `meson test --suite fuzz` runs it on each target's corpus, so every
 * build replays every seed and every past crasher; a crash or a sanitizer
 * report fails the test, and the input that did it is named. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Corpus files are small; a bigger one is a mistake in the corpus. */
#define REPLAY_INPUT_MAX_BYTES (1024 * 1024)

/* The input being run, named when the process dies on it. */
static const char *replay_current;

/* Provided by the sanitizer runtimes when a sanitizer is linked in. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static void replay_name_current(void)
{
	static const char what[] = "replay: the crashing input: ";

	if (replay_current == NULL)
		return;
	/* Async-signal-safe: write(2) only. */
	if (write(STDERR_FILENO, what, sizeof(what) - 1) < 0 ||
	    write(STDERR_FILENO, replay_current, strlen(replay_current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void replay_fatal_signal(int sig)
{
	replay_name_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Names the input on any death: the sanitizer's callback when there is a
 * sanitizer (its own signal handlers stay, they print the report),
 * otherwise handlers for the fatal signals. */
static void replay_catch_deaths(void)
{
	static const int fatal[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };

	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(replay_name_current);
		signal(SIGABRT, replay_fatal_signal); /* FUZZ_CHECK */
		return;
	}
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], replay_fatal_signal);
}

/* Runs one file; returns 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	static uint8_t buf[REPLAY_INPUT_MAX_BYTES + 1];
	size_t len;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp) || len > REPLAY_INPUT_MAX_BYTES) {
		fprintf(stderr, "replay: %s: unreadable or over %d bytes\n", path,
			REPLAY_INPUT_MAX_BYTES);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	/* A copy of exactly len bytes: ASan then catches a read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, buf, len);
	replay_current = path;
	LLVMFuzzerTestOneInput(copy, len);
	replay_current = NULL;
	free(copy);
	return 0;
}

static int replay_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir, in name order (reproducible output);
 * returns how many, or -1 on an error. */
static long replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	long done = 0;
	struct dirent *de;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **more = realloc(names, cap * sizeof(*names));
			if (more == NULL)
				abort(); /* a test tool: no memory is a failed run */
			names = more;
		}
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), replay_compare);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (done >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			done = replay_file(names[i]) == 0 ? done + 1 : -1;
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	replay_catch_deaths();
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replay: %ld inputs, no crash\n", total);
	return 0;
}
