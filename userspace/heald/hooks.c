// SPDX-License-Identifier: GPL-2.0
/* Notification hooks: see hooks.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

struct entry {
	struct entry *next;
	uint64_t id;
	int next_hook;		/* the hook to start next for it */
	size_t len;
	char line[];		/* JSON and '\n' */
};

struct hook {
	char name[256];
	const char *bad;	/* why it may not run (logged once), or NULL */
};

struct run {
	char what[480];
	uint64_t id;
	double started;
};

static struct {
	struct entry *head, **tail;
	uint32_t n;
	size_t bytes;
	struct hook hooks[HOOKS_MAX];
	int nhooks, nok;
	const char *dir_bad;
	struct stat dir_st;
	bool dir_seen;
	double scanned;
	int running;
	struct hooks_stats st;
	uint64_t drops_burst;
} hk = { .tail = &hk.head };

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hook *)a)->name, ((const struct hook *)b)->name);
}

/* What was refused last time: said again only when that changes. */
static const char *was_bad(const struct hook *old, int nold, const char *name)
{
	int i;

	for (i = 0; i < nold; i++)
		if (!strcmp(old[i].name, name))
			return old[i].bad ? old[i].bad : "";
	return NULL;
}

/* The programs of hooks_dir, in name order (as run-parts), read again when it may have changed. */
static void scan(struct heald *h)
{
	struct hook old[HOOKS_MAX];
	const char *dir = h->cfg.hooks_dir, *bad;
	struct dirent *de;
	struct stat st;
	int nold = hk.nhooks, dfd;
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
	    st.st_ctim.tv_nsec == hk.dir_st.st_ctim.tv_nsec && now - hk.scanned < HOOKS_RESCAN)
		return;
	hk.dir_st = st;
	hk.dir_seen = true;
	hk.scanned = now;
	bad = hooks_dir_bad(&st);
	if (bad != hk.dir_bad && bad)
		hlog(LOG_ERR, "hooks: %s is %s: none of its programs run (they would run as root)",
		     dir, bad);
	hk.dir_bad = bad;
	memcpy(old, hk.hooks, sizeof(old));
	hk.nhooks = hk.nok = 0;
	if (bad)
		return;
	d = opendir(dir);
	if (!d) {
		hlog(LOG_WARNING, "hooks: %s: %s", dir, strerror(errno));
		return;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) && hk.nhooks < HOOKS_MAX) {
		struct hook *k = &hk.hooks[hk.nhooks];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(k->name, sizeof(k->name), "%s", de->d_name);
		k->bad = hook_name_bad(de->d_name);
		/* A link to a zedlet-like program elsewhere is followed: its target must be root's. */
		if (!k->bad)
			k->bad = fstatat(dfd, de->d_name, &st, 0) < 0 ? "unreadable" : hook_stat_bad(&st);
		hk.nhooks++;
	}
	closedir(d);
	qsort(hk.hooks, (size_t)hk.nhooks, sizeof(hk.hooks[0]), by_name);
	for (int i = 0; i < hk.nhooks; i++) {
		const char *prev = was_bad(old, nold, hk.hooks[i].name);

		if (hk.hooks[i].bad && (!prev || strcmp(prev, hk.hooks[i].bad)))
			hlog(LOG_WARNING, "hooks: %s/%s is %s: not run", dir, hk.hooks[i].name,
			     hk.hooks[i].bad);
		hk.nok += !hk.hooks[i].bad;
	}
	hk.st.programs = (uint32_t)hk.nok;
}

void hooks_queue(struct heald *h, uint64_t id, const char *line, size_t len)
{
	struct entry *e;

	scan(h);
	if (!hk.nok)
		return;
	if (hk.n >= HOOKS_QUEUE || hk.bytes + len > HOOKS_QUEUE_BYTES ||
	    !(e = malloc(sizeof(*e) + len + 1))) {
		hk.st.dropped++;
		if (!hk.drops_burst++ || !(hk.st.dropped % 100))
			hlog(LOG_WARNING, "hooks: %u entries wait (the most kept): entry %llu dropped for the hooks (%llu so far)",
			     hk.n, (unsigned long long)id, (unsigned long long)hk.st.dropped);
		return;
	}
	e->next = NULL;
	e->id = id;
	e->next_hook = 0;
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
	char res[320];

	(void)h;
	hk.running--;
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
	char *argv[] = { path, NULL };
	char *env[] = { CHILD_PATH, env_id, env_type, env_schema, NULL };
	struct child_spec s = { 0 };
	const char *bad;
	struct stat st;
	struct run *r;
	char type[40];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", h->cfg.hooks_dir, k->name);
	/* Checked again now: it may have changed since the directory was read. */
	bad = stat(path, &st) < 0 ? strerror(errno) : hook_stat_bad(&st);
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
	r->id = e->id;
	s.path = path;
	s.argv = argv;
	s.env = env;
	s.in = e->line;
	s.inlen = e->len;
	s.timeout = h->cfg.hook_timeout;
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
	hk.st.runs++;
	return 0;
}

void hooks_dispatch(struct heald *h)
{
	struct entry *e;

	if (!hk.head)
		return;
	scan(h);
	while ((e = hk.head) && hk.running < HOOKS_RUNNING) {
		if (e->next_hook < hk.nhooks) {
			const struct hook *k = &hk.hooks[e->next_hook];
			int ret = k->bad ? -EPERM : start(h, e, k);

			if (ret == -EBUSY)
				return;		/* every child slot taken: when one ends */
			if (ret && !k->bad)
				hk.st.failed++;
			e->next_hook++;
			continue;
		}
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
