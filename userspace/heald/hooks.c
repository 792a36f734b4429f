// SPDX-License-Identifier: GPL-2.0
/* Notification hooks: see hooks.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "../lib/schema.h"
#include "heald.h"
#include "child.h"
#include "hooks.h"

#define HOOKS_RESCAN 30	/* seconds: a chmod changes no directory time */
#define HOOKS_RESCAN_BAD 1	/* ... while a program is refused: it may be being made */

struct entry {
	struct entry *next;
	uint64_t id;
	size_t len;
	char line[];		/* JSON and '\n' */
};

/*
 * Each hook sees the entries in journal order, one run at a time: its
 * cursor is the id it gets next.  Entries go once every hook is past them.
 */
struct hook {
	char name[256];
	char bad[320];		/* why it may not run (logged once), or "" */
	uint64_t next_id;	/* the first entry it has not had */
	bool running;
};

struct run {
	char what[480];
	char name[256];		/* the hook's, found again by name: a rescan reorders */
	uint64_t id;
	double started;
};

static struct {
	struct entry *head, **tail;
	uint32_t n;
	size_t bytes;
	struct hook hooks[HOOKS_MAX];
	int nhooks, nok;
	char dir_bad[320];
	struct stat dir_st;
	bool dir_seen;
	double scanned;
	int running;
	uint64_t last_id;	/* the last entry queued (or not, with no hook) */
	struct hooks_stats st;
	uint64_t drops_burst;
} hk = { .tail = &hk.head };

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hook *)a)->name, ((const struct hook *)b)->name);
}

/*
 * The hooks running now, by name: apart from the scan's list, which a
 * missing or refused directory empties while runs go on.
 */
static char running_name[HOOKS_RUNNING][256];

static bool is_running(const char *name)
{
	for (int i = 0; i < HOOKS_RUNNING; i++)
		if (running_name[i][0] && !strcmp(running_name[i], name))
			return true;
	return false;
}

static void set_running(const char *name, bool on)
{
	for (int i = 0; i < HOOKS_RUNNING; i++)
		if (on ? !running_name[i][0] : !strcmp(running_name[i], name)) {
			snprintf(running_name[i], sizeof(running_name[i]), "%s", on ? name : "");
			return;
		}
}

static struct hook *find(struct hook *hooks, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(hooks[i].name, name))
			return &hooks[i];
	return NULL;
}

/*
 * Why program @name of @dir may not run, into @why (@len), or NULL; @real
 * (PATH_MAX) gets the program with every link resolved, which is what
 * runs.  A link to a zedlet-like program elsewhere is followed: its
 * target must be root's, and so must every directory above it (and
 * above @dir), or whoever may write one of them may put their own program
 * in its place.  Running the resolved path, not the links, leaves nobody
 * but root a way to change what runs between this check and the exec.
 */
static const char *program_bad(const char *dir, const char *name, char *why, size_t len,
			       char *real)
{
	char path[PATH_MAX], at[PATH_MAX];
	const char *bad = hook_name_bad(name);
	struct stat st;

	if (!bad) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!realpath(path, real))
			bad = errno == ENOENT ? "a link that does not resolve" : strerror(errno);
		else if (stat(real, &st) < 0)
			bad = strerror(errno);
		else
			bad = hook_stat_bad(&st);
	}
	if (!bad && (bad = hook_dirs_bad(real, at, sizeof(at)))) {
		snprintf(why, len, "%s %.240s, which is %s",
			 !lstat(path, &st) && S_ISLNK(st.st_mode) ? "a link into" : "in", at, bad);
		return why;
	}
	if (bad)
		snprintf(why, len, "%s", bad);
	return bad ? why : NULL;
}

/* The programs of hooks_dir, in name order (as run-parts), read again when it may have changed. */
static void scan(struct heald *h)
{
	struct hook old[HOOKS_MAX];
	const char *dir = h->cfg.hooks_dir, *bad;
	char real[PATH_MAX], at[PATH_MAX], why[sizeof(hk.dir_bad)], prog[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int nold = hk.nhooks;
	double now = now_mono();
	DIR *d;

	if (stat(dir, &st) < 0) {
		if (hk.dir_seen || !hk.scanned)
			hlog(LOG_INFO, "hooks: %s: %s: no hooks run", dir, strerror(errno));
		hk.dir_seen = false;
		hk.nhooks = hk.nok = 0;
		hk.scanned = now;
		return;
	}
	if (hk.dir_seen && st.st_ino == hk.dir_st.st_ino && st.st_dev == hk.dir_st.st_dev &&
	    st.st_mtim.tv_sec == hk.dir_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == hk.dir_st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == hk.dir_st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == hk.dir_st.st_ctim.tv_nsec &&
	    now - hk.scanned < (hk.nok < hk.nhooks ? HOOKS_RESCAN_BAD : HOOKS_RESCAN))
		return;
	hk.dir_st = st;
	hk.dir_seen = true;
	hk.scanned = now;
	/* The directory, and every one above it: whoever may write one may replace what is below. */
	bad = hooks_dir_bad(&st);
	if (!bad && !realpath(dir, real))
		bad = strerror(errno);
	if (!bad && (bad = hook_dirs_bad(real, at, sizeof(at)))) {
		snprintf(why, sizeof(why), "in %.240s, which is %s", at, bad);
		bad = why;
	}
	if (bad && strcmp(bad, hk.dir_bad))
		hlog(LOG_ERR, "hooks: %s is %s: none of its programs run (they would run as root)",
		     dir, bad);
	snprintf(hk.dir_bad, sizeof(hk.dir_bad), "%s", bad ? bad : "");
	memcpy(old, hk.hooks, sizeof(old));
	hk.nhooks = hk.nok = 0;
	if (bad)
		return;
	d = opendir(dir);
	if (!d) {
		hlog(LOG_WARNING, "hooks: %s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) && hk.nhooks < HOOKS_MAX) {
		struct hook *k = &hk.hooks[hk.nhooks];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(k->name, sizeof(k->name), "%s", de->d_name);
		k->running = is_running(de->d_name);
		k->next_id = hk.last_id + 1;	/* new: the entries from now on */
		if (!program_bad(dir, de->d_name, k->bad, sizeof(k->bad), prog))
			k->bad[0] = '\0';
		hk.nhooks++;
	}
	closedir(d);
	qsort(hk.hooks, (size_t)hk.nhooks, sizeof(hk.hooks[0]), by_name);
	for (int i = 0; i < hk.nhooks; i++) {
		struct hook *k = &hk.hooks[i], *o = find(old, nold, k->name);

		/* Known: its cursor and run go on; what was refused is said again only when that changes. */
		if (o)
			k->next_id = o->next_id;
		if (k->bad[0] && (!o || strcmp(o->bad, k->bad)))
			hlog(LOG_WARNING, "hooks: %s/%s is %s: not run", dir, k->name, k->bad);
		hk.nok += !k->bad[0];
	}
	hk.st.programs = (uint32_t)hk.nok;
}

void hooks_queue(struct heald *h, uint64_t id, const char *line, size_t len)
{
	struct entry *e;

	scan(h);
	hk.last_id = id;
	if (!hk.nok)
		return;
	/*
	 * Full: the oldest entry goes, for the hooks still behind it (the
	 * others are past it), so that one slow hook costs the others nothing
	 * and every hook gets the newest state.
	 */
	while (hk.head && (hk.n >= HOOKS_QUEUE || hk.bytes + len > HOOKS_QUEUE_BYTES)) {
		struct entry *old = hk.head;
		char behind[160] = "";

		for (int i = 0; i < hk.nhooks; i++) {
			struct hook *k = &hk.hooks[i];

			if (k->bad[0] || k->next_id > old->id)
				continue;
			k->next_id = old->id + 1;
			if (strlen(behind) + strlen(k->name) + 3 < sizeof(behind))
				snprintf(behind + strlen(behind), sizeof(behind) - strlen(behind), "%s%s",
					 behind[0] ? ", " : "", k->name);
		}
		hk.st.dropped++;
		if (!hk.drops_burst++ || !(hk.st.dropped % 100))
			hlog(LOG_WARNING, "hooks: %u entries wait (the most kept): entry %llu dropped for the hooks behind it (%s; %llu so far)",
			     hk.n, (unsigned long long)old->id, behind[0] ? behind : "none",
			     (unsigned long long)hk.st.dropped);
		hk.head = old->next;
		if (!hk.head)
			hk.tail = &hk.head;
		hk.n--;
		hk.bytes -= old->len - 1;
		free(old);
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e) {
		hk.st.dropped++;
		hlog(LOG_WARNING, "hooks: out of memory: entry %llu dropped for the hooks",
		     (unsigned long long)id);
		return;
	}
	e->next = NULL;
	e->id = id;
	e->len = len + 1;
	memcpy(e->line, line, len);
	e->line[len] = '\n';
	*hk.tail = e;
	hk.tail = &e->next;
	hk.n++;
	hk.bytes += len;
}

/*
 * A hook's stderr is kept apart (its last line comes with a failure):
 * on heald's own stream a chatty hook would use up the unit's log rate
 * limit, and heald's CRIT and ALERT lines with it.
 */
static void hook_done(struct heald *h, struct child *c, void *ctx)
{
	struct run *r = ctx;
	struct hook *k = find(hk.hooks, hk.nhooks, r->name);
	char res[320];

	(void)h;
	hk.running--;
	set_running(r->name, false);
	if (k)
		k->running = false;
	if (!child_ok(c)) {
		hk.st.failed++;
		if (child_timed_out(c))
			hk.st.timeouts++;
		hlog(LOG_WARNING, "%s: %s on entry %llu", r->what, child_result(c, res, sizeof(res)),
		     (unsigned long long)r->id);
	}
	free(r);
}

/* The entry's "type", for the hook's environment. */
static void entry_type(const struct entry *e, char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = tok ? json_tokener_parse_ex(tok, e->line, (int)e->len - 1) : NULL, *v;

	snprintf(buf, len, "%s", o && json_object_object_get_ex(o, "type", &v) &&
		 json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
}

/* Start hook @k on @e: 0, -EBUSY (no room now: later), or another error (counted). */
static int start(struct heald *h, struct entry *e, const struct hook *k)
{
	char path[sizeof(h->cfg.hooks_dir) + 260], env_id[48], env_type[64], env_schema[32], err[256];
	char why[320], real[PATH_MAX];
	char *argv[] = { real, NULL };
	char *env[] = { CHILD_PATH, env_id, env_type, env_schema, NULL };
	struct child_spec s = { 0 };
	const char *bad;
	struct run *r;
	char type[40];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", h->cfg.hooks_dir, k->name);
	/* Checked again now: it may have changed since the directory was read. */
	bad = program_bad(h->cfg.hooks_dir, k->name, why, sizeof(why), real);
	if (bad) {
		hlog(LOG_WARNING, "hooks: %s is %s: not run on entry %llu", path, bad,
		     (unsigned long long)e->id);
		hk.dir_seen = false;	/* read the directory again */
		return -EPERM;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	entry_type(e, type, sizeof(type));
	snprintf(env_id, sizeof(env_id), "HEAL_ENTRY_ID=%llu", (unsigned long long)e->id);
	snprintf(env_type, sizeof(env_type), "HEAL_ENTRY_TYPE=%s", type);
	snprintf(env_schema, sizeof(env_schema), "HEAL_SCHEMA=%d", HEAL_SCHEMA);
	snprintf(r->what, sizeof(r->what), "hook %s", path);
	snprintf(r->name, sizeof(r->name), "%s", k->name);
	r->id = e->id;
	s.path = real;
	s.argv = argv;
	s.env = env;
	s.in = e->line;
	s.inlen = e->len;
	s.timeout = h->cfg.hook_timeout;
	s.reap = true;
	s.errmax = CHILD_ERR_MAX;
	s.what = r->what;
	s.done = hook_done;
	s.ctx = r;
	ret = child_spawn(h, &s, NULL, err, sizeof(err));
	if (ret) {
		if (ret != -EBUSY)
			hlog(LOG_WARNING, "hooks: %s: not started on entry %llu", err,
			     (unsigned long long)e->id);
		free(r);
		return ret;
	}
	hk.running++;
	set_running(k->name, true);
	hk.st.runs++;
	return 0;
}

/* The first entry queued for @k, or NULL. */
static struct entry *next_for(const struct hook *k)
{
	struct entry *e;

	for (e = hk.head; e && e->id < k->next_id; e = e->next)
		;
	return e;
}

void hooks_dispatch(struct heald *h)
{
	uint64_t low = UINT64_MAX;
	struct entry *e;
	int i;

	if (!hk.head)
		return;
	scan(h);
	for (i = 0; i < hk.nhooks; i++)
		if (hk.hooks[i].bad[0])
			hk.hooks[i].next_id = hk.last_id + 1;	/* never holds an entry back */
	/* The hook furthest behind starts first: none starves behind the others. */
	while (hk.running < HOOKS_RUNNING) {
		struct hook *k = NULL;
		int ret;

		for (i = 0; i < hk.nhooks; i++) {
			struct hook *c = &hk.hooks[i];

			if (!c->bad[0] && !c->running && (!k || c->next_id < k->next_id) && next_for(c))
				k = c;
		}
		if (!k)
			break;
		e = next_for(k);
		ret = start(h, e, k);
		if (ret == -EBUSY)
			break;		/* every child slot taken: when one ends */
		if (ret)
			hk.st.failed++;
		else
			k->running = true;
		k->next_id = e->id + 1;
	}
	/* What every hook is past goes. */
	for (i = 0; i < hk.nhooks; i++)
		if (!hk.hooks[i].bad[0] && hk.hooks[i].next_id < low)
			low = hk.hooks[i].next_id;
	while ((e = hk.head) && e->id < low) {
		hk.head = e->next;
		if (!hk.head)
			hk.tail = &hk.head;
		hk.n--;
		hk.bytes -= e->len - 1;
		free(e);
	}
	if (!hk.head)
		hk.drops_burst = 0;
}

void hooks_get_stats(struct hooks_stats *st)
{
	*st = hk.st;
	st->queued = hk.n;
}

void hooks_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	(void)h;
	put(b, "# HELP heald_hook_programs Programs in hooks_dir that may run\n"
	       "# TYPE heald_hook_programs gauge\nheald_hook_programs %u\n", hk.st.programs);
	put(b, "# HELP heald_hook_runs_total Hook programs started\n"
	       "# TYPE heald_hook_runs_total counter\nheald_hook_runs_total %llu\n",
	    (unsigned long long)hk.st.runs);
	put(b, "# HELP heald_hook_failures_total Hook runs that exited non-zero, were killed or did not start\n"
	       "# TYPE heald_hook_failures_total counter\nheald_hook_failures_total %llu\n",
	    (unsigned long long)hk.st.failed);
	put(b, "# HELP heald_hook_timeouts_total Hook runs killed at their deadline\n"
	       "# TYPE heald_hook_timeouts_total counter\nheald_hook_timeouts_total %llu\n",
	    (unsigned long long)hk.st.timeouts);
	put(b, "# HELP heald_hook_dropped_total Journal entries no hook got: the queue was full\n"
	       "# TYPE heald_hook_dropped_total counter\nheald_hook_dropped_total %llu\n",
	    (unsigned long long)hk.st.dropped);
	put(b, "# HELP heald_hook_queued Journal entries waiting for their hooks\n"
	       "# TYPE heald_hook_queued gauge\nheald_hook_queued %u\n", hk.n);
}

void hooks_close(void)
{
	struct entry *e;

	while ((e = hk.head)) {
		hk.head = e->next;
		free(e);
	}
	hk.tail = &hk.head;
	hk.n = 0;
	hk.bytes = 0;
}
