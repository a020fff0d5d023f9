/* contain_path.c - owns choosing where the workers' cgroups live (see
 * contain_path.h): parsing /proc/self/mountinfo and /proc/self/cgroup,
 * the base rule, and the names under the base. All pure but the last two
 * functions, which only read the host. Nothing here is fatal: a host
 * without cgroup2 gets "no base" and a reason. */
#include "contain_path.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "svctype.h"

#define CONTAIN_PATH_FILE_MAX_BYTES (4u << 20) /* /proc/self/mountinfo: a few MB at most */
#define CONTAIN_PATH_FIELD_BYTES 4096
#define CONTAIN_PATH_FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define CONTAIN_PATH_FNV_PRIME UINT64_C(0x100000001b3)

/* Copies the next blank-separated field of *p into out, decoding the
 * kernel's octal escapes (\040 for a space); advances *p. 0 or -1. */
static int contain_path_field(const char **p, char *out, size_t size)
{
	const char *s = *p + strspn(*p, " ");
	size_t n = 0;

	if (*s == '\0' || *s == '\n')
		return -1;
	while (*s != '\0' && *s != ' ' && *s != '\n') {
		char c = *s++;
		if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
			s += 3;
		}
		if (n + 1 < size)
			out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

/* Whether path is prefix itself or below it (at a component boundary). */
static bool contain_path_below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strcmp(prefix, "/") == 0)
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int contain_path_mountinfo(const char *text, const char *cgroup, char *mount,
			   size_t mount_size, char *root, size_t root_size)
{
	char f_root[CONTAIN_PATH_FIELD_BYTES], f_mnt[CONTAIN_PATH_FIELD_BYTES];
	char f_type[64], skip[CONTAIN_PATH_FIELD_BYTES];
	bool found = false;

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *p = line, *nl = strchr(line, '\n');
		const char *sep = strstr(line, " - ");
		line = nl != NULL ? nl + 1 : NULL;
		if (sep == NULL || (nl != NULL && sep > nl))
			continue;
		/* id, parent, major:minor, root, mount point */
		if (contain_path_field(&p, skip, sizeof(skip)) < 0 ||
		    contain_path_field(&p, skip, sizeof(skip)) < 0 ||
		    contain_path_field(&p, skip, sizeof(skip)) < 0 ||
		    contain_path_field(&p, f_root, sizeof(f_root)) < 0 ||
		    contain_path_field(&p, f_mnt, sizeof(f_mnt)) < 0)
			continue;
		p = sep + 3;
		if (contain_path_field(&p, f_type, sizeof(f_type)) < 0 ||
		    strcmp(f_type, "cgroup2") != 0)
			continue;
		bool shows = cgroup != NULL && cgroup[0] == '/' && contain_path_below(cgroup, f_root);
		/* The first one, unless a later one shows the master's cgroup. */
		if (!found || shows) {
			snprintf(mount, mount_size, "%s", f_mnt);
			snprintf(root, root_size, "%s", f_root);
			found = true;
		}
		if (shows)
			return 0;
	}
	return found ? 0 : -1;
}

int contain_path_own_cgroup(const char *text, char *out, size_t size)
{
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len >= 3 && strncmp(line, "0::", 3) == 0 && len - 3 < size) {
			memcpy(out, line + 3, len - 3);
			out[len - 3] = '\0';
			return out[0] == '/' ? 0 : -1;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return -1;
}

int contain_path_on_mount(const char *mount, const char *root, const char *cgroup,
			  char *out, size_t size)
{
	if (mount[0] != '/' || cgroup[0] != '/' || !contain_path_below(cgroup, root))
		return -1;
	const char *rest = strcmp(root, "/") == 0 ? cgroup : cgroup + strlen(root);
	/* "/" below "/sys/fs/cgroup" is the mount point itself. */
	if (strcmp(rest, "/") == 0)
		rest = "";
	int n = snprintf(out, size, "%s%s", strcmp(mount, "/") == 0 && rest[0] ? "" : mount, rest);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

void contain_path_instance(const char *pid_file, char *out, size_t size)
{
	uint64_t h = CONTAIN_PATH_FNV_OFFSET;

	for (const unsigned char *p = (const unsigned char *)pid_file; *p; p++)
		h = (h ^ *p) * CONTAIN_PATH_FNV_PRIME;
	snprintf(out, size, "master.%016llx", (unsigned long long)h);
}

/* dir's parent ("/a/b" -> "/a"); false for "/" or a relative path. */
static bool contain_path_parent(const char *dir, char *out, size_t size)
{
	const char *slash = strrchr(dir, '/');

	if (slash == NULL || slash == dir)
		return false;
	snprintf(out, size, "%.*s", (int)(slash - dir), dir);
	return true;
}

/* dir (below the mount) as a path in the hierarchy; "" if not below it. */
static void contain_path_relative(const struct contain_path_host *host, const char *dir,
				  char *out, size_t size)
{
	const char *root = host->mount_root[0] ? host->mount_root : "/";
	size_t n = strlen(host->mount);

	out[0] = '\0';
	if (n == 0 || !contain_path_below(dir, host->mount))
		return;
	const char *rest = strcmp(host->mount, "/") == 0 ? dir : dir + n;
	int k = snprintf(out, size, "%s%s", strcmp(root, "/") == 0 && rest[0] ? "" : root, rest);
	if (k < 0 || (size_t)k >= size)
		out[0] = '\0';
}

int contain_path_choose(const char *cgroup_parent, const char *pid_file,
			const struct contain_path_host *host, struct contain_path_choice *out)
{
	char name[64], up[CONTAIN_PATH_BYTES];
	const char *own = host->own_dir;
	const char *last = strrchr(own, '/');

	out->base[0] = out->supervisor[0] = out->why[0] = '\0';
	out->own = false;
	if (strcmp(cgroup_parent, CONTAIN_PATH_AUTO) != 0) {
		if (cgroup_parent[0] != '/') {
			snprintf(out->why, sizeof(out->why),
				 "cgroup_parent \"%s\": not \"auto\" nor an absolute path", cgroup_parent);
			return -1;
		}
		snprintf(out->base, sizeof(out->base), "%s", cgroup_parent);
		snprintf(out->why, sizeof(out->why), "cgroup_parent");
	} else if (host->mount[0] == '\0') {
		snprintf(out->why, sizeof(out->why), "no cgroup2 file system is mounted");
		return -1;
	} else if (own[0] != '\0' && host->own_delegated) {
		snprintf(out->base, sizeof(out->base), "%s", own);
		snprintf(out->why, sizeof(out->why), "the master's own cgroup, delegated to it");
	} else if (last != NULL && strcmp(last + 1, CONTAIN_PATH_SUPERVISOR) == 0 &&
		   host->parent_delegated && contain_path_parent(own, up, sizeof(up))) {
		snprintf(out->base, sizeof(out->base), "%s", up);
		snprintf(out->why, sizeof(out->why), "the master's own cgroup, delegated to it");
	} else {
		contain_path_instance(pid_file, name, sizeof(name));
		int n = snprintf(out->base, sizeof(out->base), "%s/%s",
				 strcmp(host->mount, "/") == 0 ? "" : host->mount, name);
		if (n < 0 || (size_t)n >= sizeof(out->base))
			out->base[0] = '\0';
		out->own = true;
		snprintf(out->why, sizeof(out->why), "a cgroup of its own (the master's cgroup "
			 "%.512s is not delegated to it)", host->own[0] ? host->own : "is unknown and");
	}
	if (own[0] != '\0' && strcmp(own, out->base) == 0) {
		int n = snprintf(out->supervisor, sizeof(out->supervisor), "%s/%s", out->base,
				 CONTAIN_PATH_SUPERVISOR);
		if (n < 0 || (size_t)n >= sizeof(out->supervisor))
			out->base[0] = '\0';
	}
	if (out->base[0] == '\0') {
		snprintf(out->why, sizeof(out->why), "the cgroup path is too long");
		return -1;
	}
	contain_path_relative(host, out->base, out->base_rel, sizeof(out->base_rel));
	return 0;
}

void contain_path_service_name(const char *tag, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s-", tag);

	for (const char *p = name; *p != '\0' && (size_t)n + 1 < size; p++)
		out[n++] = (strchr("._:-", *p) != NULL || (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
	out[n] = '\0';
}

bool contain_path_is_service(const char *name)
{
	return svctype_has_tag_prefix(name);
}

bool contain_path_is_leaf(const char *name)
{
	return name[0] == 'w' && name[1] != '\0' && name[1 + strspn(name + 1, "0123456789")] == '\0';
}

int contain_path_populated(const char *events)
{
	for (const char *p = events; (p = strstr(p, "populated ")) != NULL; p++)
		if (p == events || p[-1] == '\n')
			return p[10] == '1' ? 1 : p[10] == '0' ? 0 : -1;
	return -1;
}

/* The whole of a /proc file, NUL-terminated, or NULL (missing, or out of
 * memory: the caller then knows less, which is not fatal). */
static char *contain_path_slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	size_t cap = 8192, len = 0;
	char *buf = fp != NULL ? malloc(cap) : NULL;

	while (buf != NULL) {
		len += fread(buf + len, 1, cap - 1 - len, fp);
		if (len < cap - 1 || cap >= CONTAIN_PATH_FILE_MAX_BYTES)
			break;
		char *more = realloc(buf, cap * 2);
		if (more == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = more;
		cap *= 2;
	}
	if (buf != NULL)
		buf[len] = '\0';
	if (fp != NULL)
		fclose(fp);
	return buf;
}

/* systemd marks a delegated cgroup with trusted.delegate=1 (user.delegate
 * for a user manager). */
static bool contain_path_delegated(const char *dir)
{
	static const char *const names[] = { "trusted.delegate", "user.delegate" };
	char v[8];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ssize_t n = getxattr(dir, names[i], v, sizeof(v));
		if (n == 1 && v[0] == '1')
			return true;
	}
	return false;
}

void contain_path_discover(struct contain_path_host *host)
{
	char up[CONTAIN_PATH_BYTES];
	char *cg = contain_path_slurp("/proc/self/cgroup");
	char *mi = contain_path_slurp("/proc/self/mountinfo");

	memset(host, 0, sizeof(*host));
	if (cg == NULL || contain_path_own_cgroup(cg, host->own, sizeof(host->own)) < 0)
		host->own[0] = '\0';
	if (mi == NULL || contain_path_mountinfo(mi, host->own, host->mount, sizeof(host->mount),
						 host->mount_root, sizeof(host->mount_root)) < 0)
		host->mount[0] = host->mount_root[0] = '\0';
	if (host->mount[0] != '\0' && host->own[0] != '\0' &&
	    contain_path_on_mount(host->mount, host->mount_root, host->own, host->own_dir,
				  sizeof(host->own_dir)) == 0) {
		host->own_delegated = contain_path_delegated(host->own_dir);
		host->parent_delegated = contain_path_parent(host->own_dir, up, sizeof(up)) &&
					 contain_path_delegated(up);
	} else {
		host->own_dir[0] = '\0';
	}
	free(cg);
	free(mi);
}

int contain_path_resolve(const struct master_settings *m, struct contain_path_choice *out)
{
	struct contain_path_host *host = malloc(sizeof(*host));

	if (host == NULL) {
		memset(out, 0, sizeof(*out));
		snprintf(out->why, sizeof(out->why), "out of memory");
		return -1;
	}
	contain_path_discover(host);
	int rc = contain_path_choose(m->cgroup_parent, m->pid_file, host, out);
	free(host);
	return rc;
}
