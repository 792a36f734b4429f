// SPDX-License-Identifier: GPL-2.0
/*
 * The workload inventory: for each [workload], its cgroup's processes,
 * and the block devices under the files they use, down to the disks (a
 * libvirt domain's disks are found by libvirt.c, and mapped here too).
 *
 * A process depends on the file systems of its root, its working
 * directory, its open files and its mapped files: each has a st_dev, which
 * /proc/PID/mountinfo turns into a mount point, and /sys/dev/block/M:m
 * into a block device; that device's holders chain (/sys/block/X/slaves,
 * what dm and healblk register) leads down to the disks.  A file system
 * on no block device (tmpfs, proc; overlay and btrfs show an anonymous
 * st_dev too) depends on no disk here.  Measured on the test host: 3
 * workloads of 2 processes each are looked at in under 1 ms.
 *
 * A workload is failing when a healblk device under it is failing with no
 * redundancy and no spare left (the migration policy then moves it),
 * degraded when a device under it is degraded, when it was killed lately
 * (crash or OOM, from procmon) or when an uplink it uses is down.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include "heald.h"
#include "migrate_policy.h"

#define INVENTORY_INTERVAL 2.0	/* seconds between looks, unless forced */
#define WL_DEV_PIDS 64		/* processes whose files are looked at */
#define WL_MAX_STDEV 64

const char *wl_state_name(enum wl_state s)
{
	switch (s) {
	case WL_ABSENT: return "absent";
	case WL_HERE: return "running";
	case WL_MOVING: return "moving";
	case WL_MOVED: return "moved";
	}
	return "?";
}

void wl_open(struct heald *h)
{
	int i;

	h->nwl = h->cfg.nworkload;
	for (i = 0; i < h->nwl; i++) {
		struct wl_track *w = &h->wl[i];

		memset(w, 0, sizeof(*w));
		w->conf = &h->cfg.workload[i];
		serd_init(&w->kills, h->cfg.move_on_kills ?: 1, h->cfg.kill_window, h->cfg.kill_window);
	}
	/* Drains the journal remembers outlive a restart. */
	for (i = 0; i < h->ndrained; i++) {
		struct wl_track *w = wl_find(h, h->drained[i]);

		if (w && !w->conf->opt_out) {
			w->drain = true;
			hlog(LOG_INFO, "%s: still drained (the journal says so)", w->conf->name);
		}
	}
	if (h->cfg.node_name[0])
		snprintf(h->node_name, sizeof(h->node_name), "%s", h->cfg.node_name);
	else if (gethostname(h->node_name, sizeof(h->node_name) - 1) || !h->node_name[0])
		snprintf(h->node_name, sizeof(h->node_name), "unnamed");
}

struct wl_track *wl_find(struct heald *h, const char *name)
{
	int i;

	for (i = 0; i < h->nwl; i++)
		if (!strcmp(h->wl[i].conf->name, name))
			return &h->wl[i];
	return NULL;
}

/* The first directory named @name under @dir (depth-first, at most @depth down). */
static bool find_dir(const char *dir, const char *name, int depth, char *out, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (depth < 0 || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];

		struct stat st;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		/*
		 * Not root's: a subtree systemd delegated to a user (user@UID.service
		 * and what the user makes in it), where any user may name a
		 * directory after a system unit.  Never searched, never taken.
		 */
		if (stat(sub, &st) || st.st_uid != 0)
			continue;
		if (!strcmp(de->d_name, name)) {
			snprintf(out, len, "%s", sub);
			found = true;
		} else {
			found = find_dir(sub, name, depth - 1, out, len);
		}
	}
	closedir(d);
	return found;
}

bool wl_cgroup_dir(const struct wl_track *w, char *buf, size_t len)
{
	const char *root = cgroup_mount();

	if (!root[0] || !w->cgroup[0])
		return false;
	return snprintf(buf, len, "%s%s", root, w->cgroup) < (int)len;
}

/* The workload's cgroup: as configured, or its unit's, found by name (systemd names them so). */
static void resolve_cgroup(struct wl_track *w)
{
	const char *root = cgroup_mount();
	char dir[PATH_MAX], found[PATH_MAX];
	struct stat st;

	if (!root[0]) {
		w->cgroup[0] = '\0';
		return;
	}
	if (w->conf->cgroup[0]) {
		snprintf(w->cgroup, sizeof(w->cgroup), "%s", w->conf->cgroup);
		return;
	}
	if (wl_cgroup_dir(w, dir, sizeof(dir)) && stat(dir, &st) == 0)
		return;
	w->cgroup[0] = '\0';
	if (find_dir(root, w->conf->unit, 8, found, sizeof(found)) &&
	    strlen(found + strlen(root)) < sizeof(w->cgroup))
		snprintf(w->cgroup, sizeof(w->cgroup), "%s", found + strlen(root));
}

static int read_procs(const char *dir, pid_t *pids, int n, int max, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int pid;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return n;
	f = fopen(path, "re");
	while (f && n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	if (f)
		fclose(f);
	if (depth <= 0 || !(d = opendir(dir)))
		return n;
	while (n < max && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		n = read_procs(path, pids, n, max, depth - 1);
	}
	closedir(d);
	return n;
}

int wl_pids(const struct wl_track *w, pid_t *pids, int max)
{
	char dir[PATH_MAX];

	if (!wl_cgroup_dir(w, dir, sizeof(dir)))
		return 0;
	return read_procs(dir, pids, 0, max, 16);
}

/*
 * The fields of /proc/PID/stat after comm (state, ppid, ...) into @buf,
 * or NULL if gone.  comm may hold anything, ')' too: they start after the
 * last one.
 */
static const char *stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

/* The state letter of /proc/PID/stat ('R', 'S', 'T' ...), 0 if gone. */
static char state_of(pid_t pid)
{
	char buf[512];
	const char *f = stat_fields(pid, buf, sizeof(buf));

	return f ? f[0] : 0;
}

int wl_resume_stopped(const struct wl_track *w)
{
	static pid_t pids[WL_MAX_PIDS];
	int i, n = wl_pids(w, pids, WL_MAX_PIDS), done = 0;

	for (i = 0; i < n; i++)
		if (state_of(pids[i]) == 'T' && kill(pids[i], SIGCONT) == 0)
			done++;
	return done;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static pid_t parent_of(pid_t pid)
{
	char buf[512];
	const char *f = stat_fields(pid, buf, sizeof(buf));
	int ppid = 0;

	if (!f || sscanf(f, "%*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* How many process trees (a root: its parent is not in the cgroup), and the first root. */
static uint32_t trees(pid_t *pids, int n, pid_t *root)
{
	uint32_t count = 0;
	int i;

	qsort(pids, (size_t)n, sizeof(*pids), cmp_pid);
	*root = 0;
	for (i = 0; i < n; i++) {
		pid_t pp = parent_of(pids[i]);

		if (pp && bsearch(&pp, pids, (size_t)n, sizeof(*pids), cmp_pid))
			continue;
		if (!count++)
			*root = pids[i];
	}
	return count;
}

static void add_dev(dev_t *devs, int *n, dev_t d)
{
	int i;

	if (!major(d) || *n >= WL_MAX_STDEV)	/* major 0: no block device (tmpfs, proc, ...) */
		return;
	for (i = 0; i < *n; i++)
		if (devs[i] == d)
			return;
	devs[(*n)++] = d;
}

/* The devices of @pid's root, cwd, open files and mapped files. */
static void pid_devs(pid_t pid, dev_t *devs, int *n)
{
	char path[96], line[512];
	struct dirent *de;
	struct stat st;
	int nfd = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if (stat(path, &st) == 0)
		add_dev(devs, n, st.st_dev);
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	if (stat(path, &st) == 0)
		add_dev(devs, n, st.st_dev);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && nfd++ < 1024 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", (int)pid, de->d_name);
		if (stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			add_dev(devs, n, st.st_dev);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int ma, mi;
		unsigned long ino;

		/* start-end perms offset MAJ:MIN inode path (hex major and minor) */
		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &ma, &mi, &ino) == 3 && ino)
			add_dev(devs, n, makedev(ma, mi));
	}
	if (f)
		fclose(f);
}

static void add_name(struct wl_track *w, const char *name)
{
	int i;

	for (i = 0; i < w->ndevs; i++)
		if (!strcmp(w->devs[i], name))
			return;
	if (w->ndevs < WL_MAX_DEVS)
		snprintf(w->devs[w->ndevs++], sizeof(w->devs[0]), "%s", name);
}

/* @name and what it stacks on (its slaves: dm's, healblk's legs), depth first. */
static void add_stack(struct wl_track *w, const char *name, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	add_name(w, name);
	if (depth <= 0)
		return;
	snprintf(path, sizeof(path), "/sys/block/%s/slaves", name);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			add_stack(w, de->d_name, depth - 1);
	if (d)
		closedir(d);
}

/* A block device number to its disk's name: a partition counts as its disk. */
static bool block_name(dev_t dev, char *name, size_t len, char *part, size_t plen)
{
	char path[96], real[PATH_MAX], *base, *slash;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(path, real))
		return false;
	base = strrchr(real, '/');
	if (!base)
		return false;
	snprintf(part, plen, "%s", base + 1);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
	if (access(path, F_OK) == 0) {
		*base = '\0';
		slash = strrchr(real, '/');
		if (!slash)
			return false;
		base = slash;
	}
	snprintf(name, len, "%s", base + 1);
	return true;
}

static void mount_of(pid_t pid, dev_t dev, char *mnt, size_t len)
{
	char path[64], line[1024], where[512];
	unsigned int ma, mi;
	size_t best = SIZE_MAX;
	FILE *f;

	mnt[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* id parent MAJ:MIN root mount-point ...; the shortest mount point of that device. */
		if (sscanf(line, "%*d %*d %u:%u %*s %511s", &ma, &mi, where) == 3 &&
		    ma == major(dev) && mi == minor(dev) && strlen(where) < best) {
			best = strlen(where);
			snprintf(mnt, len, "%s", where);
		}
	}
	if (f)
		fclose(f);
}

void wl_dev_add(struct wl_track *w, dev_t dev, pid_t pid, bool mounted)
{
	char name[64], part[64], mnt[512];
	int i;

	if (!block_name(dev, name, sizeof(name), part, sizeof(part)))
		return;
	if (strcmp(part, name))
		add_name(w, part);
	add_stack(w, name, 8);
	if (!mounted)
		return;
	mount_of(pid, dev, mnt, sizeof(mnt));
	for (i = 0; i < w->nmounts && strcmp(w->mounts[i], mnt); i++)
		;
	if (mnt[0] && i == w->nmounts && w->nmounts < WL_MAX_MOUNTS)
		snprintf(w->mounts[w->nmounts++], sizeof(w->mounts[0]), "%.63s", mnt);
}

static void wl_devices(struct heald *h, struct wl_track *w, const pid_t *pids, int n)
{
	dev_t devs[WL_MAX_STDEV];
	int ndev = 0, i;

	(void)h;
	w->ndevs = 0;
	w->nmounts = 0;
	for (i = 0; i < n && i < WL_DEV_PIDS; i++)
		pid_devs(pids[i], devs, &ndev);
	for (i = 0; i < ndev; i++)
		wl_dev_add(w, devs[i], w->root ? w->root : pids[0], true);
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char path[PATH_MAX];
	unsigned long long v = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/*
 * move_on_kills or kill_window changed by a reload: the engine sized anew,
 * the kills it holds kept (oldest first), so that a bigger move_on_kills
 * can be reached without a restart.
 */
static void wl_kills_conf(const struct heald *h, struct wl_track *w)
{
	uint32_t n = h->cfg.move_on_kills ? h->cfg.move_on_kills : 1, first, i;
	struct serd old = w->kills, want;

	serd_init(&want, n, h->cfg.kill_window, h->cfg.kill_window);
	if (want.n == old.n && want.t == old.t)
		return;
	w->kills = want;
	first = old.count < old.n ? 0 : old.head;
	for (i = 0; i < old.count; i++)
		serd_record(&w->kills, old.times[(first + i) % old.n]);
}

bool wl_cgroup_holds(const struct wl_track *w, const char *path)
{
	size_t len = strlen(w->cgroup);

	return len && !strncmp(path, w->cgroup, len) && (!path[len] || path[len] == '/');
}

/* Crashes and OOM kills procmon saw in the workload's cgroups, into its SERD engine. */
static void wl_kills(struct heald *h, struct wl_track *w, double now)
{
	size_t len = strlen(w->cgroup);
	uint64_t total = 0, k;
	int i;

	wl_kills_conf(h, w);

	for (i = 0; i < h->ncgroups; i++)
		if (wl_cgroup_holds(w, h->cgroups[i].path))
			total += h->cgroups[i].oom_kills + h->cgroups[i].crashes;
	/*
	 * procmon counts from heald's start (its maps are heald's own): at the
	 * first look every kill is news, the first one too.  A cgroup's
	 * counts only grow (a workload's tracked cgroups stay while they
	 * exist, src_bpf.c; a unit restarted at the same path adds a new
	 * one), so a unit stopped for a while (no cgroup)
	 * keeps its count and is not charged again when it comes back.  Its
	 * cgroup at another path: that one's past is not this workload's news.
	 */
	if (!len) {
		serd_tick(&w->kills, now);
		return;
	}
	if (w->kills_for[0] && strcmp(w->kills_for, w->cgroup))
		w->kills_seen = total;
	_Static_assert(sizeof(w->kills_for) == sizeof(w->cgroup), "kills_for holds a cgroup");
	memcpy(w->kills_for, w->cgroup, sizeof(w->kills_for));
	if (total > w->kills_seen)
		for (k = 0; k < total - w->kills_seen && k < SERD_MAX_N; k++)
			serd_record(&w->kills, now);
	w->kills_seen = total;
	serd_tick(&w->kills, now);
}

static void wl_health(struct heald *h, struct wl_track *w, double now)
{
	char copy[sizeof(w->conf->uplinks)], *u, *save = NULL;
	int i, j;

	w->at_risk = false;
	w->health = H_OK;
	w->why[0] = '\0';
	for (i = 0; i < w->ndevs; i++)
		for (j = 0; j < HEALD_MAX_DEVS; j++) {
			const struct dev_track *d = &h->devs[j];
			bool alarm[HEALBLK_MAX_LEGS];
			struct policy_dev pd;
			char risk[128], msg[sizeof(w->why)];
			uint32_t l;

			if (!d->present || strcmp(d->info.name, w->devs[i]))
				continue;
			dev_policy_view(d, &pd);
			for (l = 0; l < HEALBLK_MAX_LEGS; l++)
				alarm[l] = d->legs[l].alarm;
			if (mp_dev_at_risk(&pd, alarm, risk, sizeof(risk))) {
				if (w->at_risk)
					continue;
				w->at_risk = true;
				w->health = H_FAILING;
				/* Composed apart: w and d are both in *h (GCC's -Wrestrict). */
				snprintf(msg, sizeof(msg), "on %s: %s", d->info.name, risk);
				memcpy(w->risk, msg, sizeof(w->risk));
			} else if (dev_health(d) != H_OK && w->health == H_OK) {
				w->health = H_DEGRADED;
				snprintf(msg, sizeof(msg), "on %s, which is %s", d->info.name,
					 health_name(dev_health(d)));
			} else {
				continue;
			}
			memcpy(w->why, msg, sizeof(w->why));
		}
	if (w->health == H_OK && serd_in_window(&w->kills, now)) {
		w->health = H_DEGRADED;
		snprintf(w->why, sizeof(w->why), "%u crash%s or OOM kill%s in the last %.0f s",
			 serd_in_window(&w->kills, now), serd_in_window(&w->kills, now) == 1 ? "" : "es",
			 serd_in_window(&w->kills, now) == 1 ? "" : "s", h->cfg.kill_window);
	}
	snprintf(copy, sizeof(copy), "%s", w->conf->uplinks);
	for (u = strtok_r(copy, " \t", &save); u && w->health == H_OK; u = strtok_r(NULL, " \t", &save))
		if (net_uplink_up(h, u) == 0) {
			w->health = H_DEGRADED;
			snprintf(w->why, sizeof(w->why), "its uplink %s is down", u);
		}
}

void wl_inventory(struct heald *h, bool force)
{
	static pid_t pids[WL_MAX_PIDS];
	double now = now_mono();
	int i, n;

	if (!force && now - h->last_inventory < INVENTORY_INTERVAL)
		return;
	h->last_inventory = now;
	for (i = 0; i < h->nwl; i++) {
		struct wl_track *w = &h->wl[i];
		char dir[PATH_MAX];

		/* A domain is asked of libvirt by a child (libvirt.c): its last answer counts. */
		if (w->conf->kind == WL_KIND_LIBVIRT) {
			vm_inventory(h, w);
			wl_health(h, w, now);
			continue;
		}
		resolve_cgroup(w);
		n = wl_pids(w, pids, WL_MAX_PIDS);
		w->nprocs = (uint32_t)n;
		w->ntrees = n ? trees(pids, n, &w->root) : 0;
		if (!n)
			w->root = 0;
		w->mem_bytes = wl_cgroup_dir(w, dir, sizeof(dir)) ? read_u64(dir, "memory.current") : 0;
		if (n) {
			wl_devices(h, w, pids, n);
		} else {
			w->ndevs = 0;
			w->nmounts = 0;
		}
		/* Moved: processes seen again after the originals' kill are a new start here. */
		if (w->state == WL_MOVED)
			w->state = n && now >= w->gone_by ? WL_HERE : WL_MOVED;
		else if (w->state != WL_MOVING)
			w->state = n ? WL_HERE : WL_ABSENT;
		wl_kills(h, w, now);
		wl_health(h, w, now);
	}
}

static struct json_object *last_move_json(const struct wl_track *w, double now)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "decision", json_object_new_int64((int64_t)w->last_id));
	json_object_object_add(o, "outcome", json_object_new_string(w->last_outcome));
	json_object_object_add(o, "detail", json_object_new_string(w->last_detail));
	json_object_object_add(o, "age_s", json_object_new_double(now - w->last_at));
	return o;
}

struct json_object *wl_status(struct heald *h)
{
	struct json_object *arr = json_object_new_array();
	double now = now_mono();
	int i, k;

	for (i = 0; i < h->nwl; i++) {
		const struct wl_track *w = &h->wl[i];
		struct json_object *o = json_object_new_object(), *a;
		char copy[sizeof(w->conf->uplinks)], *u, *save = NULL;

		json_object_object_add(o, "name", json_object_new_string(w->conf->name));
		json_object_object_add(o, "kind", json_object_new_string(wl_kind_name(w->conf->kind)));
		json_object_object_add(o, "cgroup", json_object_new_string(w->cgroup));
		if (w->conf->kind == WL_KIND_LIBVIRT)
			vm_status(w, o);
		if (w->conf->unit[0])
			json_object_object_add(o, "unit", json_object_new_string(w->conf->unit));
		json_object_object_add(o, "state", json_object_new_string(wl_state_name(w->state)));
		json_object_object_add(o, "health", json_object_new_string(health_name(w->health)));
		if (w->why[0])
			json_object_object_add(o, "reason", json_object_new_string(w->why));
		json_object_object_add(o, "priority", json_object_new_int((int)w->conf->priority));
		json_object_object_add(o, "opt_out", json_object_new_boolean(w->conf->opt_out));
		json_object_object_add(o, "drain", json_object_new_boolean(w->drain));
		json_object_object_add(o, "processes", json_object_new_int((int)w->nprocs));
		json_object_object_add(o, "trees", json_object_new_int((int)w->ntrees));
		json_object_object_add(o, "root_pid", json_object_new_int((int)w->root));
		json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t)w->mem_bytes));
		a = json_object_new_array();
		for (k = 0; k < w->ndevs; k++)
			json_object_array_add(a, json_object_new_string(w->devs[k]));
		json_object_object_add(o, "devices", a);
		a = json_object_new_array();
		for (k = 0; k < w->nmounts; k++)
			json_object_array_add(a, json_object_new_string(w->mounts[k]));
		json_object_object_add(o, "mounts", a);
		a = json_object_new_array();
		snprintf(copy, sizeof(copy), "%s", w->conf->uplinks);
		for (u = strtok_r(copy, " \t", &save); u; u = strtok_r(NULL, " \t", &save)) {
			struct json_object *uj = json_object_new_object();
			int up = net_uplink_up(h, u);

			json_object_object_add(uj, "name", json_object_new_string(u));
			json_object_object_add(uj, "state", json_object_new_string(
				up < 0 ? "unknown" : up ? "up" : "down"));
			json_object_array_add(a, uj);
		}
		json_object_object_add(o, "uplinks", a);
		json_object_object_add(o, "kills_in_window",
				       json_object_new_int((int)serd_in_window(&w->kills, now)));
		if (w->peer[0])
			json_object_object_add(o, "peer", json_object_new_string(w->peer));
		json_object_object_add(o, "moves", json_object_new_int64((int64_t)w->moves));
		json_object_object_add(o, "moves_failed", json_object_new_int64((int64_t)w->moves_failed));
		if (w->move)
			move_json(w->move, o);
		if (w->last_id)
			json_object_object_add(o, "last_move", last_move_json(w, now));
		json_object_array_add(arr, o);
	}
	return arr;
}
