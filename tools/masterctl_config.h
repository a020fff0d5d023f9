/* masterctl_config.h - `masterctl config [SERVICE]`: the effective
 * settings, each with where its value came from (masterctl_config.c). */
#ifndef MASTERCTL_CONFIG_H
#define MASTERCTL_CONFIG_H

/* argv: the words after "config" (argc of them). Returns the exit code:
 * 0 shown, 1 configuration error or unknown service, 2 usage. */
int masterctl_config(const char *dir, char **overrides, int argc, char **argv);

struct config;
/* Loads the configuration in dir as the master would; on errors prints
 * them (the lines a refused reload prints) and returns -1. */
int masterctl_config_load(const char *dir, char **overrides, struct config *cfg);

#endif
