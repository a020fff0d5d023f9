/* test_reload.c - unit tests for reload's parts that need no running
 * master: the reference-counted generations (reload_gen.c), the
 * donor-socket search (reload_donor.c) and reading a configuration on the
 * reload thread (reload_load.c). */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "reload_donor.h"
#include "reload_gen.h"
#include "reload_load.h"
#include "service.h"
#include "unit.h"

#define LOAD_WAIT_MS 10000

/* --- generations ---------------------------------------------------------- */

/* A small configuration with heap parts, as config_load() leaves one. */
static void fake_config(struct config *cfg, size_t n)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dir = strdup("/etc/master");
	cfg->services = calloc(n + 1, sizeof(*cfg->services));
	ck_assert_ptr_nonnull(cfg->dir);
	ck_assert_ptr_nonnull(cfg->services);
	for (size_t i = 0; i < n; i++) {
		cfg->services[i].name = strdup("svc");
		ck_assert_ptr_nonnull(cfg->services[i].name);
	}
	cfg->nservices = n;
}

static size_t count(const struct list *l)
{
	size_t n = 0;

	for (const struct list *p = l->next; p != l; p = p->next)
		n++;
	return n;
}

START_TEST(test_gen_freed_with_the_last_reference)
{
	static const struct config zero;
	struct list gens;
	struct config cfg;

	list_init(&gens);
	fake_config(&cfg, 2);
	const struct service_config *inside = &cfg.services[1]; /* what a service points to */
	struct reload_gen *g = reload_gen_new();
	ck_assert_ptr_nonnull(g);
	reload_gen_hold(&gens, g, &cfg);
	ck_assert(memcmp(&cfg, &zero, sizeof(cfg)) == 0); /* moved, not copied */
	ck_assert_ptr_eq(&g->cfg.services[1], inside);    /* pointers into it stay valid */
	ck_assert_uint_eq(g->refs, 1);
	reload_gen_ref(g); /* two draining services */
	reload_gen_ref(g);
	reload_gen_unref(g); /* the switch's own */
	ck_assert_uint_eq(count(&gens), 1);
	reload_gen_unref(g); /* the first service freed */
	ck_assert_uint_eq(count(&gens), 1);
	ck_assert_str_eq(inside->name, "svc");
	reload_gen_unref(g); /* the last: freed (ASan would see a leak otherwise) */
	ck_assert(list_empty(&gens));
}
END_TEST

START_TEST(test_gen_unused_is_freed_at_once_and_rest_at_exit)
{
	struct list gens;
	struct config a, b;

	list_init(&gens);
	fake_config(&a, 1);
	fake_config(&b, 3);
	struct reload_gen *ga = reload_gen_new(), *gb = reload_gen_new();
	reload_gen_hold(&gens, ga, &a);
	reload_gen_unref(ga); /* a reload where nothing drained */
	ck_assert(list_empty(&gens));
	reload_gen_hold(&gens, gb, &b);
	reload_gen_ref(gb);
	reload_gen_unref(gb);
	ck_assert_uint_eq(count(&gens), 1);
	reload_gen_free_all(&gens); /* at exit, a service still held it */
	ck_assert(list_empty(&gens));
	struct reload_gen *never = reload_gen_new();
	reload_gen_discard(never); /* a reload refused after allocating */
	struct list unused = { 0 };
	reload_gen_free_all(&unused); /* never initialised: nothing to do */
}
END_TEST

/* --- donors ----------------------------------------------------------------- */

static struct service_addr inet_addr(unsigned short port)
{
	struct service_addr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;

	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.len = sizeof(*sin);
	return a;
}

/* A unix address at path, whose file is made now (as listener.c would):
 * its device and inode into *made. */
static struct service_addr unix_addr(const char *path, struct listener_made *made)
{
	struct service_addr a;
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.sa;
	struct stat st;
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	made->dev = st.st_dev;
	made->ino = st.st_ino;
	memset(&a, 0, sizeof(a));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	a.len = sizeof(*sun);
	return a;
}

struct fake {
	struct service svc;
	struct service_config cfg;
	struct service_addr addrs[2];
	struct service_socket socks[2];
};

static void fake_service(struct fake *f, enum service_type type, unsigned short p0,
			 unsigned short p1, int fd0, int fd1)
{
	memset(f, 0, sizeof(*f));
	f->addrs[0] = inet_addr(p0);
	f->addrs[1] = inet_addr(p1);
	f->cfg.type = type;
	f->cfg.addrs = f->addrs;
	f->cfg.naddrs = 2;
	f->socks[0].fd = fd0;
	f->socks[1].fd = fd1;
	f->svc.cfg = &f->cfg;
	f->svc.socks = f->socks;
	f->svc.nsocks = 2;
}

START_TEST(test_donor_search)
{
	struct fake act, drain, other;
	struct service_addr a7070 = inet_addr(7070), a7071 = inet_addr(7071), a9 = inet_addr(9);
	char dir[] = "/tmp/test_reload.XXXXXX", path[64];
	struct listener_made made;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/q", dir);
	struct service_addr aq = unix_addr(path, &made);
	fake_service(&act, SERVICE_INET, 7070, 7071, 10, -1); /* 7071 handed over */
	fake_service(&drain, SERVICE_INET, 7071, 7070, 20, 21);
	fake_service(&other, SERVICE_UNIX, 9, 9, 30, 31);
	other.addrs[0] = aq;
	other.socks[0].made = made;
	act.svc.next = &other.svc;
	/* The active service first, else a draining one; a socket already
	 * handed to a successor (fd -1) is no donor. */
	ck_assert_ptr_eq(reload_donor_find(&act.svc, &drain.svc, SERVICE_INET, &a7070),
			 &act.socks[0]);
	ck_assert_ptr_eq(reload_donor_find(&act.svc, &drain.svc, SERVICE_INET, &a7071),
			 &drain.socks[0]);
	/* The type must match; an address nobody listens on has no donor. */
	ck_assert_ptr_eq(reload_donor_find(&act.svc, &drain.svc, SERVICE_UNIX, &aq),
			 &other.socks[0]);
	/* A local socket whose path holds another file now (a reload to
	 * another type put its own there) is no donor: it reaches no one. */
	char path2[80];
	struct listener_made other_file;
	snprintf(path2, sizeof(path2), "%s.new", path);
	unix_addr(path2, &other_file);
	ck_assert_int_eq(rename(path2, path), 0);
	ck_assert_ptr_null(reload_donor_find(&act.svc, &drain.svc, SERVICE_UNIX, &aq));
	unlink(path);
	rmdir(dir);
	ck_assert_ptr_null(reload_donor_find(&act.svc, &drain.svc, SERVICE_INET, &a9));
	ck_assert_ptr_null(reload_donor_find(NULL, NULL, SERVICE_INET, &a7070));
	/* A socket of a service whose configuration has fewer addresses than
	 * sockets is never matched past its configuration. */
	act.cfg.naddrs = 0;
	ck_assert_ptr_eq(reload_donor_find(&act.svc, &drain.svc, SERVICE_INET, &a7070),
			 &drain.socks[1]);
}
END_TEST

/* --- loading off the loop thread -------------------------------------------- */

static char confdir[64];

static void load_setup(void)
{
	char *text = NULL;

	strcpy(confdir, "/tmp/test_reload.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(confdir));
	unit_put(confdir, "echo", "#!/bin/sh\nexit 0\n", 0755);
	ck_assert_int_ge(asprintf(&text, "run_directory = /run/mt\ndaemon_directory = \"%s\"\n"
				  "reload_timeout = 7s\n", confdir), 0);
	unit_put(confdir, "master.conf", text, 0644);
	free(text);
	unit_put(confdir, "master.cf", "relay unix n n n - 2 echo\npub unix n n n - 2 echo\n",
		 0644);
}

static void load_teardown(void)
{
	unit_rm_tree(confdir);
}

/* Waits for the thread (poll on its fd, bounded) and takes the result. */
static int load_wait(struct reload_load *ld, struct config *cfg, struct diag *errs)
{
	struct pollfd p = { .fd = reload_load_fd(ld), .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, LOAD_WAIT_MS), 1);
	ck_assert(reload_load_done(ld));
	int rc = reload_load_take(ld, cfg, errs);
	reload_load_drop(ld);
	return rc;
}

START_TEST(test_load_on_a_thread)
{
	char *const overrides[] = { "reload_timeout=9s", NULL };
	struct config cfg;
	struct diag errs = { 0 };

	load_setup();
	struct reload_load *ld = reload_load_start(confdir, overrides);
	ck_assert_ptr_nonnull(ld);
	ck_assert_int_eq(load_wait(ld, &cfg, &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(cfg.nservices, 2);
	ck_assert_str_eq(cfg.services[1].name, "pub");
	ck_assert_uint_eq(cfg.master.reload_timeout_s, 9); /* the copied overrides */
	config_free(&cfg);
	/* A bad configuration: the errors come back, no configuration. */
	unit_put(confdir, "master.cf", "bad inett n n n - 2 echo\n", 0644);
	ld = reload_load_start(confdir, NULL);
	ck_assert_ptr_nonnull(ld);
	ck_assert_int_eq(load_wait(ld, &cfg, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "master.cf:1: unknown type \"inett\""));
	ck_assert_uint_eq(cfg.nservices, 0);
	diag_free(&errs);
	load_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_gen_freed_with_the_last_reference);
	tcase_add_test(tc, test_gen_unused_is_freed_at_once_and_rest_at_exit);
	tcase_add_test(tc, test_donor_search);
	tcase_add_test(tc, test_load_on_a_thread);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
