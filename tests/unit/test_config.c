/* test_config.c - unit tests for config_load() (config.c): temp config
 * directories with a fake executable in a temp daemon_directory; a full
 * good configuration (inet IPv4, [::1], port only, unix private and
 * public, user ids), `master -o` overrides, each resolution error, several
 * errors reported together, and *out zeroed on failure. */
#include <check.h>
#include <ftw.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "config_addr.h"
#include "unit.h"

static char confdir[64];
static char daemondir[64];
static struct config cfg;
static struct diag errs;

/* master.conf that points daemon_directory at our fake executables. */
static void put_conf(const char *extra)
{
	char *text = NULL;
	ck_assert_int_ge(asprintf(&text, "run_directory = /run/mt\ndaemon_directory = \"%s\"\n%s",
				  daemondir, extra), 0);
	unit_put(confdir, "master.conf", text, 0644);
	free(text);
}

static void setup(void)
{
	strcpy(confdir, "/tmp/test_config.XXXXXX");
	strcpy(daemondir, "/tmp/test_config_bin.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(confdir));
	ck_assert_ptr_nonnull(mkdtemp(daemondir));
	unit_put(daemondir, "echo", "#!/bin/sh\nexit 0\n", 0755);
	unit_put(daemondir, "noexec", "#!/bin/sh\n", 0644);
	char *sub = NULL;
	ck_assert_int_ge(asprintf(&sub, "%s/adir", daemondir), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	free(sub);
	memset(&errs, 0, sizeof(errs));
}

static void teardown(void)
{
	config_free(&cfg);
	diag_free(&errs);
	unit_rm_tree(confdir);
	unit_rm_tree(daemondir);
}

static int load(char *const *overrides)
{
	return config_load(confdir, overrides, &cfg, &errs);
}

static const char *addr(const struct service_config *sc, size_t i)
{
	static char buf[128];
	ck_assert_uint_lt(i, sc->naddrs);
	config_format_addr(&sc->addrs[i], buf, sizeof(buf));
	return buf;
}

static void assert_zeroed(void)
{
	static const struct config zero;
	ck_assert(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
}

/* master.cf TEXT must fail with exactly one error: "DIR/master.cf:LINE: WANT". */
static void assert_one_error(const char *text, unsigned line, const char *want)
{
	char *full = NULL;
	unit_put(confdir, "master.cf", text, 0644);
	diag_free(&errs);
	ck_assert_int_eq(load(NULL), -1);
	assert_zeroed();
	ck_assert_int_ge(asprintf(&full, "%s/master.cf:%u: %s", confdir, line, want), 0);
	ck_assert_msg(errs.n == 1, "%zu errors, first: %s", errs.n, errs.n ? errs.msgs[0] : "-");
	ck_assert_str_eq(errs.msgs[0], full);
	free(full);
}

START_TEST(test_good)
{
	char *cf = NULL;
	put_conf("pid_file = other.pid\ncontrol_socket = /abs/master.ctl\nmax_use = 50\n");
	ck_assert_int_ge(asprintf(&cf,
		"127.0.0.1:7070 inet n y n - 4 echo -o max_use=100\n"
		"[::1]:0        inet n y n - - echo\n"
		"0              inet n - n - - echo arg1 arg2\n"
		"relay          unix y y n - 8 %s/echo -o user=nobody -o prefork=2\n"
		"pub            unix n n n - - echo\n"
		"7070           unix - - - - - echo\n", daemondir), 0);
	unit_put(confdir, "master.cf", cf, 0644);
	free(cf);
	ck_assert_msg(load(NULL) == 0, "%s", errs.n ? errs.msgs[0] : "");
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(cfg.dir, confdir);
	ck_assert_str_eq(cfg.master.pid_file, "/run/mt/other.pid");
	ck_assert_str_eq(cfg.master.control_socket, "/abs/master.ctl");
	ck_assert_uint_eq(cfg.nservices, 6);

	const struct service_config *s = &cfg.services[0];
	char *want = NULL;
	ck_assert_int_ge(asprintf(&want, "%s/echo", daemondir), 0);
	ck_assert_str_eq(s->name, "127.0.0.1:7070");
	ck_assert_uint_eq(s->naddrs, 1);
	ck_assert_str_eq(addr(s, 0), "127.0.0.1:7070");
	ck_assert_str_eq(s->path, want);
	ck_assert_str_eq(s->command, "echo");
	ck_assert_str_eq(s->argv[0], "echo");
	ck_assert_ptr_null(s->argv[1]);
	ck_assert_uint_eq(s->set.max_use, 100);
	ck_assert_uint_eq(s->set.maxproc, 4);
	ck_assert_uint_eq(s->uid, 65534); /* default_user nobody */
	ck_assert_uint_eq(s->gid, 65534);
	ck_assert_uint_ge(s->ngroups, 1);
	ck_assert_uint_eq(s->line, 1);
	free(want);
	ck_assert_int_ge(asprintf(&want, "%s/master.cf", confdir), 0);
	ck_assert_str_eq(s->file, want);
	free(want);

	ck_assert_str_eq(addr(&cfg.services[1], 0), "[::1]:0");
	s = &cfg.services[2]; /* port only: every wildcard address */
	ck_assert_uint_eq(s->naddrs, 2);
	ck_assert(strcmp(addr(s, 0), "0.0.0.0:0") == 0 || strcmp(addr(s, 1), "0.0.0.0:0") == 0);
	ck_assert(strcmp(addr(s, 0), "[::]:0") == 0 || strcmp(addr(s, 1), "[::]:0") == 0);
	ck_assert_str_eq(s->argv[1], "arg1");
	ck_assert_str_eq(s->argv[2], "arg2");
	ck_assert_uint_eq(s->set.max_use, 50); /* from master.conf */
	ck_assert_uint_eq(s->set.maxproc, 100);

	s = &cfg.services[3];
	ck_assert_int_eq(s->type, SERVICE_UNIX);
	ck_assert_uint_eq(s->naddrs, 1);
	ck_assert_str_eq(addr(s, 0), "/run/mt/private/relay");
	ck_assert_uint_eq(s->addrs[0].len,
			  offsetof(struct sockaddr_un, sun_path) + strlen("/run/mt/private/relay") + 1);
	ck_assert_uint_eq(s->set.prefork, 2);
	ck_assert_uint_eq(s->uid, 65534);
	ck_assert_uint_eq(s->line, 4);

	s = &cfg.services[4];
	ck_assert_str_eq(addr(s, 0), "/run/mt/public/pub");
	ck_assert_uint_eq(s->uid, 0); /* unpriv=n */
	ck_assert_uint_eq(s->gid, 0);
	ck_assert_uint_eq(s->ngroups, 0);
	ck_assert_ptr_null(s->groups);
}
END_TEST

START_TEST(test_overrides_and_no_master_conf)
{
	char *ov_dd = NULL;
	ck_assert_int_ge(asprintf(&ov_dd, "daemon_directory=%s", daemondir), 0);
	char *overrides[] = { ov_dd, "run_directory=/run/o", "max_use=3", "default_user=nobody",
			      NULL };
	unit_put(confdir, "master.cf", "s unix - - - - - echo\n", 0644);
	ck_assert_int_eq(load(overrides), 0);
	ck_assert_str_eq(cfg.master.pid_file, "/run/o/master.pid");
	ck_assert_str_eq(cfg.master.control_socket, "/run/o/master.ctl");
	ck_assert_str_eq(cfg.master.daemon_directory, daemondir);
	ck_assert_str_eq(addr(&cfg.services[0], 0), "/run/o/private/s");
	ck_assert_uint_eq(cfg.services[0].set.max_use, 3);
	config_free(&cfg);
	/* the command line wins over master.conf */
	put_conf("max_use = 7\n");
	ck_assert_int_eq(load(overrides + 2), 0);
	ck_assert_uint_eq(cfg.services[0].set.max_use, 3);
	config_free(&cfg);
	char *bad[] = { "bogus=1", "max_use=x", NULL };
	ck_assert_int_eq(load(bad), -1);
	assert_zeroed();
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msgs[0], "command line: unknown setting \"bogus\"");
	ck_assert_str_eq(errs.msgs[1], "command line: max_use \"x\": not a number (0..1000000000)");
	free(ov_dd);
}
END_TEST

/* fifo, unix-dgram and pass live in the run directory like unix; the
 * wakeup column reaches the service. */
START_TEST(test_local_types)
{
	put_conf("");
	unit_put(confdir, "master.cf", "f fifo n - - 60? - echo\n"
		 "d unix-dgram y - - 5 - echo\n"
		 "p pass - - - - - echo\n"
		 "f unix - - - - - echo\n", 0644); /* same name, other type, other dir */
	ck_assert_msg(load(NULL) == 0, "%s", errs.n ? errs.msgs[0] : "");
	ck_assert_uint_eq(cfg.nservices, 4);
	ck_assert_int_eq(cfg.services[0].type, SERVICE_FIFO);
	ck_assert_str_eq(addr(&cfg.services[0], 0), "/run/mt/public/f");
	ck_assert_uint_eq(cfg.services[0].wakeup_s, 60);
	ck_assert(cfg.services[0].wakeup_after_use);
	ck_assert_int_eq(cfg.services[1].type, SERVICE_UNIX_DGRAM);
	ck_assert_str_eq(addr(&cfg.services[1], 0), "/run/mt/private/d");
	ck_assert_uint_eq(cfg.services[1].wakeup_s, 5);
	ck_assert(!cfg.services[1].wakeup_after_use);
	ck_assert_int_eq(cfg.services[2].type, SERVICE_PASS);
	ck_assert_str_eq(addr(&cfg.services[2], 0), "/run/mt/private/p");
	ck_assert_uint_eq(cfg.services[2].wakeup_s, 0);
	ck_assert_str_eq(addr(&cfg.services[3], 0), "/run/mt/private/f");
}
END_TEST

START_TEST(test_missing_master_cf)
{
	char *want = NULL;
	put_conf("");
	ck_assert_int_eq(load(NULL), -1);
	assert_zeroed();
	ck_assert_int_ge(asprintf(&want, "%s/master.cf: cannot open: No such file or directory",
				  confdir), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], want);
	free(want);
}
END_TEST

START_TEST(test_address_errors)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int rc = getaddrinfo("127.0.0.1", "nosuchport", &hints, &res);
	char *want = NULL;
	ck_assert_int_ne(rc, 0);
	put_conf("");
	ck_assert_int_ge(asprintf(&want, "cannot resolve \"127.0.0.1:nosuchport\": %s",
				  gai_strerror(rc)), 0);
	assert_one_error("127.0.0.1:nosuchport inet - - - - - echo\n", 1, want);
	free(want);
	assert_one_error("::1:80 inet - - - - - echo\n", 1,
			 "inet service \"::1:80\": an IPv6 address needs brackets, as in [::1]:port");
	assert_one_error("[::1]80 inet - - - - - echo\n", 1,
			 "inet service \"[::1]80\": expected [host]:port");
	assert_one_error("127.0.0.1: inet - - - - - echo\n", 1,
			 "inet service \"127.0.0.1:\": expected [host:]port");
	assert_one_error("a/b unix - - - - - echo\n", 1, "unix service \"a/b\": the name must be a "
			 "plain file name (no \"/\", not \".\" or \"..\")");
	assert_one_error("# c\n.. unix - - - - - echo\n", 2, "unix service \"..\": the name must be "
			 "a plain file name (no \"/\", not \".\" or \"..\")");
	assert_one_error("s unix - - - - - echo\ns unix n - - - - echo\n", 2,
			 "duplicate service \"s\" (unix): first defined at line 1");
	assert_one_error("127.0.0.1:7071 inet - - - - - echo\n[127.0.0.1]:7071 inet - - - - - echo\n",
			 2, "address 127.0.0.1:7071 of \"[127.0.0.1]:7071\" is also used by "
			 "\"127.0.0.1:7071\" at line 1");
	/* the new types: their own names in messages, one path per file */
	assert_one_error("# c\n\na/b fifo - - - 60 - echo\n", 3, "fifo service \"a/b\": the name "
			 "must be a plain file name (no \"/\", not \".\" or \"..\")");
	assert_one_error(". unix-dgram - - - - - echo\n", 1, "unix-dgram service \".\": the name "
			 "must be a plain file name (no \"/\", not \".\" or \"..\")");
	assert_one_error("p pass - - - - - echo\np pass - - - - - echo\n", 2,
			 "duplicate service \"p\" (pass): first defined at line 1");
	assert_one_error("q unix y - - - - echo\nq fifo y - - 5? - echo\n", 2,
			 "address /run/mt/private/q of \"q\" is also used by \"q\" at line 1");

	char long_dir[120];
	memset(long_dir, 'd', sizeof(long_dir));
	long_dir[0] = '/';
	long_dir[sizeof(long_dir) - 1] = '\0';
	char *conf = NULL;
	ck_assert_int_ge(asprintf(&conf, "run_directory = %s\n", long_dir), 0);
	put_conf(conf); /* the later run_directory wins */
	ck_assert_int_ge(asprintf(&want, "unix socket path \"%s/private/s\" is too long "
				  "(%zu bytes, at most 107)", long_dir, strlen(long_dir) + 10), 0);
	assert_one_error("s unix - - - - - echo\n", 1, want);
	free(want);
	free(conf);
}
END_TEST

START_TEST(test_command_errors)
{
	char *want = NULL;
	put_conf("");
	ck_assert_int_ge(asprintf(&want, "command \"echoo\": %s/echoo: No such file or directory",
				  daemondir), 0);
	assert_one_error("s unix - - - - - echoo\n", 1, want);
	free(want);
	ck_assert_int_ge(asprintf(&want, "command \"noexec\": %s/noexec: Permission denied",
				  daemondir), 0);
	assert_one_error("s unix - - - - - noexec\n", 1, want);
	free(want);
	ck_assert_int_ge(asprintf(&want, "command \"adir\": %s/adir: not a regular file", daemondir), 0);
	assert_one_error("s unix - - - - - adir\n", 1, want);
	free(want);
	assert_one_error("s unix - - - - - /nonexistent/x\n", 1,
			 "command \"/nonexistent/x\": /nonexistent/x: No such file or directory");
	assert_one_error("s unix - - - - - bin/echo\n", 1,
			 "command \"bin/echo\": must be a name in daemon_directory or an absolute path");
}
END_TEST

START_TEST(test_user_errors)
{
	put_conf("");
	assert_one_error("s unix - - - - - echo -o user=nosuchuserxyz\n", 1,
			 "unknown user \"nosuchuserxyz\"");
	assert_one_error("s unix - y - - - echo -o user=root\n", 1, "user \"root\" has uid 0, and "
			 "an unpriv=y worker never runs as root (write unpriv=n for that)");
	put_conf("default_user = root\n");
	assert_one_error("s unix - - - - - echo\n", 1, "user \"root\" has uid 0, and "
			 "an unpriv=y worker never runs as root (write unpriv=n for that)");
	unit_put(confdir, "master.cf", "s unix - n - - - echo\n", 0644);
	ck_assert_int_eq(load(NULL), 0); /* unpriv=n: root, no lookup */
	ck_assert_uint_eq(cfg.services[0].uid, 0);
}
END_TEST

START_TEST(test_prefork_maxproc)
{
	put_conf("");
	assert_one_error("s unix - - - - 4 echo -o prefork=5\n", 1, "prefork 5 is larger than maxproc 4");
	put_conf("prefork = 200\n"); /* default maxproc 100 */
	assert_one_error("s unix - - - - - echo\n", 1, "prefork 200 is larger than maxproc 100");
	unit_put(confdir, "master.cf", "s unix - - - - 0 echo\n", 0644);
	ck_assert_int_eq(load(NULL), 0); /* 0: no limit */
}
END_TEST

START_TEST(test_all_errors_together)
{
	put_conf("max_use = abc\n");
	unit_put(confdir, "master.cf",
	    "a unix - - - - - echoo\n"
	    "b inett - - - - - echo\n"
	    "c unix - - - - - echo -o user=nosuchuserxyz\n"
	    "d unix - - - - - echo\n", 0644);
	ck_assert_int_eq(load(NULL), -1);
	assert_zeroed();
	ck_assert_uint_eq(errs.n, 4);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "/master.conf:3: max_use \"abc\""));
	ck_assert_ptr_nonnull(strstr(errs.msgs[1], "/master.cf:2: unknown type \"inett\""));
	ck_assert_ptr_nonnull(strstr(errs.msgs[2], "/master.cf:1: command \"echoo\""));
	ck_assert_ptr_nonnull(strstr(errs.msgs[3], "/master.cf:3: unknown user \"nosuchuserxyz\""));
}
END_TEST

START_TEST(test_format_addr)
{
	struct service_addr a = { .len = 0 };
	char buf[8];
	a.sa.ss_family = AF_UNIX;
	strcpy(((struct sockaddr_un *)&a.sa)->sun_path, "/run/a/long/path");
	config_format_addr(&a, buf, sizeof(buf)); /* truncated, terminated */
	ck_assert_str_eq(buf, "/run/a/");
}
END_TEST

/* A port in host order for either inet family; none (-1) for a unix
 * path, whatever its first bytes (sdlisten matches a unix socket by its
 * path, a port-0 inet one never by address). */
START_TEST(test_addr_port)
{
	struct service_addr a = { .len = sizeof(struct sockaddr_in) };
	struct sockaddr_in *in = (struct sockaddr_in *)&a.sa;
	in->sin_family = AF_INET;
	in->sin_port = htons(2525);
	ck_assert_int_eq(config_addr_port(&a), 2525);
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.sa;
	memset(&a, 0, sizeof(a));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(587);
	ck_assert_int_eq(config_addr_port(&a), 587);
	memset(&a, 0, sizeof(a));
	a.sa.ss_family = AF_UNIX;
	strcpy(((struct sockaddr_un *)&a.sa)->sun_path, "\1\1x");
	ck_assert_int_eq(config_addr_port(&a), -1);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_overrides_and_no_master_conf);
	tcase_add_test(tc, test_local_types);
	tcase_add_test(tc, test_missing_master_cf);
	tcase_add_test(tc, test_address_errors);
	tcase_add_test(tc, test_command_errors);
	tcase_add_test(tc, test_user_errors);
	tcase_add_test(tc, test_prefork_maxproc);
	tcase_add_test(tc, test_all_errors_together);
	tcase_add_test(tc, test_format_addr);
	tcase_add_test(tc, test_addr_port);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(config_suite());
}
