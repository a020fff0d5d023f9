/* launch_slot.c - owns the launches in flight: a worker started without
 * waiting for its exec (launch_begin, see launch.h).
 *
 * Why: launch_start waits until the child has exec'd, because the child
 * borrows the master's memory until then. Under load that wait is mostly
 * the child waiting for a CPU, not working (measured here: ~270 us a
 * launch with both cores busy, against ~80 us idle), and the master can
 * launch nothing else meanwhile: a max_use=1 pool was held to one launch
 * at a time, with a fifth of the machine idle. A slot gives the child
 * everything it reads for itself, so the master can go on at once:
 *
 *   - a copy of the spec, its isolation, and every string and array they
 *     point to (argv, envp with the LISTEN_PID digits the child writes,
 *     path, groups, jail path), in the slot's own memory: the master may
 *     change or free its own at once (a reload, the next worker's
 *     MASTER_MAX_USE, a dynamic uid);
 *   - a stack, and the word the kernel clears at the child's exec or exit
 *     (CLONE_CHILD_CLEARTID);
 *   - a set of the fd block's slots (launch_block.c), parked only when
 *     the word is clear: until its close_range the child shares our fd
 *     table, and after it the set holds nothing the child needs.
 *
 * A slot is in flight from the clone until its word is found clear
 * (launch_reclaim, once per event-loop turn); its error, if the child
 * failed a step, is kept until that child is reaped (launch_outcome): a
 * child's pid is not reused before its reaping, so the pid names it. A
 * child stopped before its exec (launch_wait.c says why that matters)
 * holds its slot and blocks nothing; launch_reclaim finds it stopped and
 * kills it, as launch_start's wait would.
 *
 * Nothing here is fatal. No memory for the slots at start: every launch
 * waits, as before. A spec too large for a slot, or no slot free: that
 * launch waits. */
#include "launch_child.h"

#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LAUNCH_SLOT_DATA_BYTES (16u * 1024u) /* argv, envp, paths, groups */
#define LAUNCH_SLOT_STACK_BYTES (128u * 1024u)
#define LAUNCH_RECLAIM_MIN_MS 1u    /* the first look after a launch */
#define LAUNCH_RECLAIM_MAX_MS 1000u /* the slowest look at an old one */
#define LAUNCH_RECLAIM_AGE_SHIFT 2  /* look again after a quarter of its age */

enum launch_slot_state { LAUNCH_SLOT_FREE, LAUNCH_SLOT_FLIGHT, LAUNCH_SLOT_FAILED, LAUNCH_SLOT_LOST };

struct launch_slot {
	int32_t word;            /* set until the child's exec or exit */
	enum launch_slot_state state;
	pid_t pid;
	uint64_t since_ms;       /* its clone */
	struct launch_error err; /* written by the child */
	struct launch_error killed; /* ours: why we killed it before its exec */
	struct launch_child child;
	struct launch_spec spec;
	struct launch_isolation iso;
	size_t used;
	alignas(16) char data[LAUNCH_SLOT_DATA_BYTES];
	/* the stack follows, to the end of the mapping */
};

static size_t launch_slot_bytes(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (sizeof(struct launch_slot) + LAUNCH_SLOT_STACK_BYTES + page - 1) / page * page;
}

static uint64_t launch_slot_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void launch_slots_init(struct launcher *l)
{
	l->inflight = 0;
	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX; i++) {
		void *p = mmap(NULL, launch_slot_bytes(), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		l->slots[i] = p == MAP_FAILED ? NULL : p;
	}
}

void launch_slots_fini(struct launcher *l)
{
	launch_slots_quiesce(l);
	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX; i++) {
		/* A lost slot is never unmapped: its child may still go, and
		 * the kernel would clear its word in whatever lives there. */
		if (l->slots[i] != NULL && l->slots[i]->state != LAUNCH_SLOT_LOST)
			munmap(l->slots[i], launch_slot_bytes());
		l->slots[i] = NULL;
	}
}

/* n bytes of the slot's data, aligned for a pointer; NULL if full. */
static void *launch_slot_take(struct launch_slot *s, size_t n)
{
	size_t at = (s->used + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

	if (at > sizeof(s->data) || n > sizeof(s->data) - at)
		return NULL;
	s->used = at + n;
	return s->data + at;
}

/* A copy of str in the slot's data; NULL if it does not fit. */
static char *launch_slot_strdup(struct launch_slot *s, const char *str)
{
	char *copy = launch_slot_take(s, strlen(str) + 1);

	return copy != NULL ? strcpy(copy, str) : NULL;
}

/* A NULL-terminated vector, strings included; where *mark points into one
 * of its strings, it is moved to the same place in the copy. */
static bool launch_slot_vec(struct launch_slot *s, char *const *v, char ***out, char **mark)
{
	size_t n = 0;

	*out = NULL;
	if (v == NULL)
		return true;
	while (v[n] != NULL)
		n++;
	char **copy = launch_slot_take(s, (n + 1) * sizeof(*copy));
	if (copy == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		uintptr_t at = (uintptr_t)v[i], len = strlen(v[i]);
		if ((copy[i] = launch_slot_strdup(s, v[i])) == NULL)
			return false;
		if (mark != NULL && (uintptr_t)*mark >= at && (uintptr_t)*mark <= at + len)
			*mark = copy[i] + ((uintptr_t)*mark - at);
	}
	copy[n] = NULL;
	*out = copy;
	return true;
}

/* Everything the child reads, into the slot; false if it does not fit. */
static bool launch_slot_copy(struct launch_slot *s, const struct launch_spec *spec)
{
	char *digits = spec->pid_digits;
	char **argv, **envp;
	const char *path = NULL;

	s->used = 0;
	s->spec = *spec;
	if ((spec->path != NULL && (path = launch_slot_strdup(s, spec->path)) == NULL) ||
	    !launch_slot_vec(s, spec->argv, &argv, NULL) ||
	    !launch_slot_vec(s, spec->envp, &envp, &digits))
		return false;
	if (digits == spec->pid_digits && digits != NULL)
		return false; /* not in envp: it would be written in the master's memory */
	s->spec.path = path;
	s->spec.argv = argv;
	s->spec.envp = envp;
	s->spec.pid_digits = digits;
	if (spec->ngroups > 0) {
		gid_t *groups = launch_slot_take(s, spec->ngroups * sizeof(*groups));
		if (groups == NULL)
			return false;
		s->spec.groups = memcpy(groups, spec->groups, spec->ngroups * sizeof(*groups));
	}
	s->spec.listen_fds = NULL; /* read by launch_block_load only, before the clone */
	if (spec->iso != NULL) {
		s->iso = *spec->iso;
		if (spec->iso->chroot != NULL &&
		    (s->iso.chroot = launch_slot_strdup(s, spec->iso->chroot)) == NULL)
			return false;
		s->spec.iso = &s->iso;
	}
	return true;
}

static struct launch_slot *launch_slot_free(struct launcher *l, unsigned *index)
{
	for (unsigned i = 0; i < LAUNCH_INFLIGHT_MAX; i++)
		if (l->slots[i] != NULL && l->slots[i]->state == LAUNCH_SLOT_FREE) {
			*index = i;
			return l->slots[i];
		}
	return NULL;
}

pid_t launch_begin(struct launcher *l, const struct launch_spec *spec, struct launch_error *e)
{
	unsigned index = 0;
	struct launch_slot *s;
	sigset_t all, old;

	launch_reclaim(l);
	if (!LAUNCH_RAW_SYSCALLS || (s = launch_slot_free(l, &index)) == NULL ||
	    spec->nlisten > LAUNCH_LISTEN_MAX ||
	    l->copy_fd_table || !launch_slot_copy(s, spec))
		return launch_start(l, spec, e);
	s->err = s->killed = (struct launch_error){ NULL, 0 };
	s->child = (struct launch_child){
		.spec = &s->spec, .err = &s->err, .set = 1 + index,
		.cap_last = l->cap_last, .privileged = l->privileged,
		.bset_empty = l->bset_empty, .exec_fd = -1,
	};
	/* Its listening sockets: the caller's, still open now. */
	s->spec.listen_fds = spec->listen_fds;
	launch_block_load(l, &s->child);
	s->spec.listen_fds = NULL;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	long pid = launch_clone_child(l, &s->child, s + 1,
				      launch_slot_bytes() - sizeof(*s), &s->word);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		launch_block_park(l, &s->child);
		*e = (struct launch_error){ s->child.in_cgroup ? "clone into cgroup" : "clone",
					    (int)-pid };
		return -1;
	}
	*e = (struct launch_error){ NULL, 0 }; /* as far as we know yet */
	s->pid = (pid_t)pid;
	s->since_ms = launch_slot_now_ms();
	s->state = LAUNCH_SLOT_FLIGHT;
	l->inflight++;
	return (pid_t)pid;
}

/* A slot whose word is clear: free, or failed until its reaping. */
static void launch_slot_done(struct launcher *l, struct launch_slot *s, bool park)
{
	if (park)
		launch_block_park(l, &s->child);
	else
		s->child.nslots = 0; /* the block is being given up */
	if (s->err.step == NULL && s->killed.step != NULL)
		s->err = s->killed;
	s->state = s->err.step != NULL ? LAUNCH_SLOT_FAILED : LAUNCH_SLOT_FREE;
	l->inflight--;
}

/* One still in flight: killed if it is stopped before its exec (the
 * worker's user may stop it: launch_wait.c) or far too slow, so that its
 * slot comes back and its launch is reported as the failure it is. */
static void launch_slot_look(struct launch_slot *s, uint64_t now_ms)
{
	bool stopped;

	if (s->killed.step == NULL && now_ms > s->since_ms &&
	    launch_too_slow(s->pid, now_ms - s->since_ms, &stopped))
		launch_kill_before_exec(s->pid, stopped, &s->killed);
}

void launch_reclaim(struct launcher *l)
{
	uint64_t now_ms = 0;

	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX && l->inflight > 0; i++) {
		struct launch_slot *s = l->slots[i];
		if (s == NULL || s->state != LAUNCH_SLOT_FLIGHT)
			continue;
		if (__atomic_load_n(&s->word, __ATOMIC_ACQUIRE) == 0) {
			launch_slot_done(l, s, true);
			continue;
		}
		if (now_ms == 0)
			now_ms = launch_slot_now_ms();
		launch_slot_look(s, now_ms);
	}
}

bool launch_outcome(struct launcher *l, pid_t pid, struct launch_error *e)
{
	launch_reclaim(l); /* a reaped child's word is clear: it has exited */
	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX; i++) {
		struct launch_slot *s = l->slots[i];
		if (s != NULL && s->state == LAUNCH_SLOT_FAILED && s->pid == pid) {
			*e = s->err;
			s->state = LAUNCH_SLOT_FREE;
			return true;
		}
	}
	return false;
}

uint64_t launch_next_ms(const struct launcher *l, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX && l->inflight > 0; i++) {
		const struct launch_slot *s = l->slots[i];
		if (s == NULL || s->state != LAUNCH_SLOT_FLIGHT)
			continue;
		uint64_t age = now_ms > s->since_ms ? now_ms - s->since_ms : 0;
		uint64_t step = age >> LAUNCH_RECLAIM_AGE_SHIFT;
		step = step < LAUNCH_RECLAIM_MIN_MS ? LAUNCH_RECLAIM_MIN_MS
		       : step > LAUNCH_RECLAIM_MAX_MS ? LAUNCH_RECLAIM_MAX_MS : step;
		if (now_ms + step < next)
			next = now_ms + step;
	}
	return next;
}

void launch_slots_quiesce(struct launcher *l)
{
	for (size_t i = 0; i < LAUNCH_INFLIGHT_MAX && l->inflight > 0; i++) {
		struct launch_slot *s = l->slots[i];
		if (s == NULL || s->state != LAUNCH_SLOT_FLIGHT)
			continue;
		struct launch_error e;
		int rc = launch_wait_exec(&s->word, s->pid, &e);
		if (rc == -1 && s->err.step == NULL)
			s->err = e; /* killed before its exec: a failed launch */
		if (rc == -2) { /* its stack is its own for good */
			s->child.nslots = 0;
			s->state = LAUNCH_SLOT_LOST;
			l->inflight--;
			continue;
		}
		launch_slot_done(l, s, false);
	}
}
