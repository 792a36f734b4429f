// SPDX-License-Identifier: GPL-2.0
/*
 * Workload moves, once migrate.c has journaled the decision: every step
 * of a move is a child of the loop (ssh, rsync, criu, the hook) with what
 * is left of the move's deadline, so the loop never waits on one.
 *
 * kind = criu, after P.Haul's and Incus' flow:
 *   receive begin  the peer's heald takes the move (or refuses: busy,
 *                  full, not ok), over SSH
 *   copy data      its data paths to the same paths on the peer, while
 *                  it still runs (only the changes are left for later)
 *   checkpoint     criu dump --leave-stopped: its tree is stopped, here
 *   copy           the images and the data's last changes (rsync -R)
 *   restore        criu restore --restore-detached on the peer
 *   confirm        receive end: the peer's heald sees the restored pid
 * and only then are the originals killed.  Any step failing (the peer
 * refuses, dies mid-copy, the restore fails, the deadline passes) resumes
 * the stopped originals here (SIGCONT), tells the peer, and journals why;
 * the workload waits move_cooldown and is not sent to that peer again.
 * kind = libvirt: receive begin, then libvirt's live migration with the
 * disks copied (heal-vmmove move, libvirt.c), then receive end: libvirt
 * keeps the guest running here until the copy is done and resumes it
 * here if anything fails; heal-vmmove aborts the job at the move's
 * deadline and checks that the domain runs here again.
 * kind = hook: the operator's program gets the decision as JSON on stdin
 * and moves it (a cluster manager's drain) within the deadline.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "child.h"
#include "heald.h"
#include "hooks.h"

enum move_step { MS_BEGIN, MS_PRESYNC, MS_DUMP, MS_SYNC, MS_RESTORE, MS_CONFIRM, MS_HOOK, MS_MIGRATE };

static const char *const step_names[] = {
	[MS_BEGIN] = "receive begin", [MS_PRESYNC] = "copy data", [MS_DUMP] = "checkpoint",
	[MS_SYNC] = "copy", [MS_RESTORE] = "restore", [MS_CONFIRM] = "confirm", [MS_HOOK] = "hook",
	[MS_MIGRATE] = "migrate",
};

/*
 * Seconds heal-vmmove has, past the move's deadline where it aborts the
 * migration, before heald kills it: libvirt ends an aborted job in
 * seconds (the guest resumed here); killed, heal-vmmove would leave
 * libvirtd migrating on.
 */
#define VM_ABORT_GRACE 60.0

struct move {
	struct wl_track *w;
	struct peer_track *p;	/* NULL: a hook places it */
	int peer_index;
	uint64_t id;		/* the decision */
	enum move_step step;
	double started, deadline, step_started, frozen_at, restored_at;	/* monotonic */
	struct child *child;
	bool begun;		/* the peer took the move */
	bool dumped;		/* the originals are stopped here */
	bool shell_job;
	pid_t root, restored;
	char images[256];	/* migrate_dir (199) / name (31) /images */
	uint64_t image_bytes;
	char input[8192];	/* the hook's stdin */
	struct json_object *steps;
	struct json_object *vm;	/* kind = libvirt: heal-vmmove's outcome line */
	bool migrated;		/* libvirt moved it: the domain runs on the peer */
	bool vm_lost;		/* the migration failed and the domain does not run here */
};

static void step_run(struct heald *h, struct move *m);

/* Remove @path and everything under it (the images of an earlier try). */
static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdirs(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

static uint64_t dir_bytes(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path) &&
		    de->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
	return sum;
}

/*
 * CRIU's own words: its log's "Error" lines (@buf), the first two (the
 * cause) and the last (what gave up), without its "exited, status=1"
 * reports of the helpers it ran.
 */
static const char *criu_error(const char *dir, const char *log, char *buf, size_t len)
{
	char path[PATH_MAX], line[512], last[512] = "";
	size_t o = 0;
	int n = 0;
	FILE *f;

	buf[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, log) >= (int)sizeof(path))
		return buf;
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, "Error (");

		if (!e || strstr(e, "exited, status="))
			continue;
		e[strcspn(e, "\n")] = '\0';
		if (n++ < 2 && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%.160s", o ? "; " : "", e);
		else
			snprintf(last, sizeof(last), "%s", e);
	}
	if (f)
		fclose(f);
	if (last[0] && o < len)
		snprintf(buf + o, len - o, "%s%.160s", n > 3 ? "; ...; " : "; ", last);
	return buf;
}

/* Signal every process of @w's cgroup; how many. */
static int wl_signal(const struct wl_track *w, int sig)
{
	static pid_t pids[WL_MAX_PIDS];
	int i, n = wl_pids(w, pids, WL_MAX_PIDS), done = 0;

	for (i = 0; i < n; i++)
		done += kill(pids[i], sig) == 0;
	return done;
}

/* The originals go: the whole cgroup at once (cgroup.kill, 5.14), else each process. */
static int wl_kill(const struct wl_track *w)
{
	char path[PATH_MAX];
	int fd, n = (int)w->nprocs;

	if (wl_cgroup_dir(w, path, sizeof(path)) &&
	    strlen(path) + sizeof("/cgroup.kill") < sizeof(path)) {
		strcat(path, "/cgroup.kill");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			bool ok = write(fd, "1", 1) == 1;

			close(fd);
			if (ok)
				return n;
		}
	}
	return wl_signal(w, SIGKILL);
}

static void step_record(struct move *m, const char *result, bool ok)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "step", json_object_new_string(step_names[m->step]));
	json_object_object_add(s, "seconds", json_object_new_double(now_mono() - m->step_started));
	json_object_object_add(s, "ok", json_object_new_boolean(ok));
	if (result && *result)
		json_object_object_add(s, "result", json_object_new_string(result));
	json_object_array_add(m->steps, s);
}

static void move_free(struct heald *h, struct move *m)
{
	m->w->move = NULL;
	if (m->p) {
		m->p->inflight = false;
		/* Its last answer counted our move among what it receives: not any more. */
		if (m->p->counted_ours && m->p->receiving)
			m->p->receiving--;
		m->p->counted_ours = false;
	}
	h->moving--;
	json_object_put(m->steps);
	json_object_put(m->vm);
	free(m);
}

/* Tell the peer its move is off (nobody waits for the answer). */
static void peer_forget(struct heald *h, struct move *m)
{
	struct argv_buf a;
	char cmd[600], args[256], err[128];

	/* Stopping: the peer drops the move at its own deadline. */
	if (!m->p || !m->begun || h->stop)
		return;
	snprintf(args, sizeof(args), "receive end %s --from %s --failed", m->w->conf->name, h->node_name);
	peer_ssh_argv(h, m->p->conf, &a);
	peer_healctl(m->p->conf, args, cmd, sizeof(cmd));
	argv_add(&a, "%s", cmd);
	if (!peer_run(h, "ssh receive end --failed", a.argv, h->cfg.peer_timeout + 5, NULL, NULL,
		      err, sizeof(err)))
		hlog(LOG_WARNING, "%s", err);
}

/* What status shows of @w's last move, as journaled in full under @id. */
static void wl_last_move(struct wl_track *w, uint64_t id, const char *outcome, const char *detail)
{
	w->last_id = id;
	snprintf(w->last_outcome, sizeof(w->last_outcome), "%s", outcome);
	/* Cut to its field: the whole of it is in the outcome's journal entry. */
	snprintf(w->last_detail, sizeof(w->last_detail), "%.*s", (int)sizeof(w->last_detail) - 1, detail);
	w->last_at = now_mono();
}

static void move_outcome(struct heald *h, struct move *m, const char *outcome, const char *detail)
{
	struct json_object *e = outcome_entry(m->id, outcome, detail, true);

	wl_last_move(m->w, m->id, outcome, detail);

	json_object_object_add(e, "total_s", json_object_new_double(now_mono() - m->started));
	/* Stopped here from the checkpoint on; running nowhere until the restore. */
	if (m->frozen_at)
		json_object_object_add(e, "frozen_s", json_object_new_double(now_mono() - m->frozen_at));
	if (m->frozen_at && m->restored_at)
		json_object_object_add(e, "downtime_s", json_object_new_double(m->restored_at - m->frozen_at));
	if (m->image_bytes)
		json_object_object_add(e, "image_bytes", json_object_new_int64((int64_t)m->image_bytes));
	if (m->restored)
		json_object_object_add(e, "peer_pid", json_object_new_int((int)m->restored));
	if (m->vm)
		vm_outcome_fields(m->vm, e);
	json_object_object_add(e, "steps", json_object_get(m->steps));
	jappend(h, e);
}

/* Anything failed: the originals run on here, the peer is told, the workload waits. */
static void move_fail(struct heald *h, struct move *m, const char *what)
{
	struct wl_track *w = m->w;
	char detail[700];
	int n = 0;

	if (m->dumped)
		n = wl_signal(w, SIGCONT);
	snprintf(detail, sizeof(detail), "%s: %s; %s", step_names[m->step], what,
		 m->dumped ? (n ? "the originals were resumed here" : "no original process was left to resume") :
		 m->vm_lost ? "the domain runs neither here nor, by libvirt's account, there: check it" :
		 m->step == MS_MIGRATE && vm_said_running_here(m->vm) ?
		 "the domain kept running here (libvirt says so)" :
		 m->step == MS_MIGRATE && vm_job_left(m->vm) ?
		 "the domain runs here for now, but libvirtd's job was left open (its abort did not end): "
		 "it may still finish the move; check it" :
		 m->step == MS_MIGRATE ? "heal-vmmove ended without libvirt's word on the domain: "
		 "libvirtd may still be migrating it; check it" :
		 "the workload kept running here");
	if (m->dumped)
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " (%d process%s)", n,
			 n == 1 ? "" : "es");
	/* criu restore said it ran: unless the peer's heald denies it, a copy may run there. */
	if (m->restored)
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
			 "; the peer restored it as pid %d: check %s", (int)m->restored, m->p->conf->name);
	peer_forget(h, m);
	move_outcome(h, m, "failed", detail);
	hlog(LOG_WARNING, "move of %s to %s failed: %s", w->conf->name, m->p ? m->p->conf->name : "(hook)",
	     detail);
	h->actions_failed++;
	w->moves_failed++;
	w->last_failed = now_mono();
	if (m->p && m->peer_index < 32)
		w->failed_peers |= 1u << m->peer_index;
	w->state = w->nprocs ? WL_HERE : WL_ABSENT;
	w->peer[0] = '\0';
	move_free(h, m);
	wl_inventory(h, true);
}

static void move_done(struct heald *h, struct move *m)
{
	struct wl_track *w = m->w;
	char detail[400], err[128];
	int n = 0;

	if (m->step == MS_HOOK) {
		snprintf(detail, sizeof(detail), "the hook moved it%s%s", m->p ? " to " : "",
			 m->p ? m->p->conf->name : "");
		/*
		 * Moved, by the hook's word: what still runs here for a moment
		 * is its manager's to stop, not a workload to move again (the
		 * drain stands: it would be handed off twice).  Seen running
		 * after that, it is a new start here.
		 */
		w->state = WL_MOVED;
		w->gone_by = now_mono() + 10;
	} else if (w->conf->kind == WL_KIND_LIBVIRT) {
		/* libvirt undefined it here (UNDEFINE_SOURCE): nothing is left to stop. */
		snprintf(detail, sizeof(detail), "domain %s runs on %s%s", w->conf->domain, m->p->conf->name,
			 m->step == MS_CONFIRM ? "" : " (its heald did not confirm it)");
		w->state = WL_MOVED;
		w->gone_by = now_mono();
		w->nprocs = 0;
	} else {
		n = wl_kill(w);
		snprintf(detail, sizeof(detail), "runs on %s as pid %d; the %d original process%s here killed",
			 m->p->conf->name, (int)m->restored, n, n == 1 ? "" : "es");
		w->state = WL_MOVED;
		/* cgroup.kill is asynchronous: what is still there for a moment is not back. */
		w->gone_by = now_mono() + 10;
		/* systemd would start a unit whose processes died again: stop it. */
		if (w->conf->unit[0]) {
			char *argv[] = { "systemctl", "stop", (char *)w->conf->unit, NULL };

			if (!peer_run(h, "systemctl stop", argv, 30, NULL, NULL, err, sizeof(err)))
				hlog(LOG_WARNING, "%s", err);
		}
		rm_tree(m->images);
	}
	if (m->p) {
		m->p->sent++;
		snprintf(w->peer, sizeof(w->peer), "%s", m->p->conf->name);
	}
	w->moves++;
	w->last_failed = 0;
	w->failed_peers = 0;
	move_outcome(h, m, "moved", detail);
	hlog(LOG_NOTICE, "moved %s: %s (%.1f s)", w->conf->name, detail, now_mono() - m->started);
	move_free(h, m);
	wl_inventory(h, true);
}

static void step_done(struct heald *h, struct child *c, void *ctx)
{
	struct move *m = ctx;
	char res[600], why[400];

	m->child = NULL;
	child_result(c, res, sizeof(res));
	if (m->step == MS_MIGRATE) {
		m->vm = vm_last_line(child_out(c, NULL));
		m->migrated = child_ok(c);
		/* heal-vmmove's 2: failed, and the domain does not run here. */
		m->vm_lost = WIFEXITED(child_status(c)) && WEXITSTATUS(child_status(c)) == 2;
	}
	/* The VM runs on the peer already: its heald not taking note changes nothing of that. */
	if (!child_ok(c) && m->step == MS_CONFIRM && m->migrated) {
		step_record(m, res, false);
		m->step = MS_MIGRATE;
		move_done(h, m);
		return;
	}
	if (!child_ok(c)) {
		if (m->step == MS_DUMP && criu_error(m->images, "dump.log", why, sizeof(why))[0])
			snprintf(res + strlen(res), sizeof(res) - strlen(res), " (%s)", why);
		step_record(m, res, false);
		move_fail(h, m, res);
		return;
	}
	step_record(m, "", true);
	switch (m->step) {
	case MS_BEGIN:
		m->begun = true;
		m->step = m->w->conf->kind == WL_KIND_LIBVIRT ? MS_MIGRATE :
			  m->w->conf->data[0] ? MS_PRESYNC : MS_DUMP;
		break;
	case MS_MIGRATE:
		m->step = MS_CONFIRM;
		break;
	case MS_PRESYNC:
		m->step = MS_DUMP;
		break;
	case MS_DUMP:
		m->dumped = true;
		m->image_bytes = dir_bytes(m->images);
		m->step = MS_SYNC;
		break;
	case MS_SYNC:
		m->step = MS_RESTORE;
		break;
	case MS_RESTORE:
		m->restored = (pid_t)atoi(child_out(c, NULL));
		m->restored_at = now_mono();
		if (m->restored <= 0) {
			move_fail(h, m, "the peer gave no restored pid");
			return;
		}
		m->step = MS_CONFIRM;
		break;
	case MS_CONFIRM: {
		char detail[200];

		if (m->migrated) {
			move_done(h, m);
			return;
		}
		/*
		 * On disk before the originals go: a heald that dies between
		 * the two kills them at start (wl_resume), never resumes them.
		 */
		snprintf(detail, sizeof(detail), "the peer's heald sees it run on %s as pid %d",
			 m->p->conf->name, (int)m->restored);
		jappend(h, outcome_entry(m->id, "restored", detail, false));
		move_done(h, m);
		return;
	}
	case MS_HOOK:
		move_done(h, m);
		return;
	}
	step_run(h, m);
}

/*
 * kind = hook: the operator's program runs as root, so it is held to the
 * journal hooks' rules (hooks.h), checked now: a regular file owned by
 * root, not writable by group or others.  As theirs, its environment is
 * CHILD_PATH only; the decision is on its stdin, its stderr's last line
 * goes into the outcome.
 */
static struct child *hook_run(struct heald *h, struct move *m, const char *what, double left,
			      char *err, size_t errlen)
{
	const char *path = m->w->conf->hook, *bad;
	char *argv[] = { (char *)path, NULL };
	struct child_spec s = {
		.path = path, .argv = argv, .in = m->input, .inlen = strlen(m->input),
		.errmax = CHILD_ERR_MAX, .timeout = left, .what = what, .done = step_done, .ctx = m,
	};
	struct child *c;
	struct stat st;

	bad = stat(path, &st) < 0 ? strerror(errno) : hook_stat_bad(&st);
	if (bad) {
		snprintf(err, errlen, "%s is %s: not run (it would run as root)", path, bad);
		return NULL;
	}
	return child_spawn(h, &s, &c, err, errlen) ? NULL : c;
}

static void step_run(struct heald *h, struct move *m)
{
	const struct workload_conf *wc = m->w->conf;
	char cmd[2048], args[400], q1[300], err[400], what[64];
	double left = m->deadline - now_mono();
	struct argv_buf a = { 0 };

	m->step_started = now_mono();
	if (left <= 0) {
		move_fail(h, m, "the move's deadline passed");
		return;
	}
	switch (m->step) {
	case MS_BEGIN:
	case MS_RESTORE:
	case MS_CONFIRM:
		peer_ssh_argv(h, m->p->conf, &a);
		if (m->step == MS_BEGIN) {
			snprintf(args, sizeof(args), "receive begin %s --from %s", wc->name, h->node_name);
			peer_healctl(m->p->conf, args, cmd, sizeof(cmd));
			if (left > h->cfg.peer_timeout + 5)
				left = h->cfg.peer_timeout + 5;
		} else if (m->step == MS_RESTORE) {
			shell_quote(m->images, q1, sizeof(q1));
			/* The images go once the tree runs; CRIU's errors come back on stderr. */
			snprintf(cmd, sizeof(cmd),
				 "cd %s && criu restore --images-dir . --restore-detached --pidfile restored.pid "
				 "--log-file restore.log -v2%s%s && cat restored.pid && rm -f ./*.img || "
				 "{ s=$?; grep -a 'Error (' restore.log | tail -n 2 >&2; exit $s; }",
				 q1, m->shell_job ? " --shell-job" : "", wc->tcp_established ? " --tcp-established" : "");
		} else if (m->migrated) {
			snprintf(args, sizeof(args), "receive end %s --from %s --domain %s", wc->name,
				 h->node_name, wc->domain);
			peer_healctl(m->p->conf, args, cmd, sizeof(cmd));
		} else {
			snprintf(args, sizeof(args), "receive end %s --from %s --pid %d", wc->name,
				 h->node_name, (int)m->restored);
			peer_healctl(m->p->conf, args, cmd, sizeof(cmd));
		}
		argv_add(&a, "%s", cmd);
		break;
	case MS_PRESYNC:
	case MS_SYNC: {
		char copy[sizeof(wc->data)], *d, *save = NULL;

		peer_ssh_cmdline(h, m->p->conf, cmd, sizeof(cmd));
		argv_add(&a, "rsync");
		/* -R: each path lands at the same path on the peer. */
		argv_add(&a, "-aR");
		argv_add(&a, "--delete");
		argv_add(&a, "--timeout=%.0f", h->cfg.peer_timeout + 20);
		if (m->p->conf->bwlimit)
			argv_add(&a, "--bwlimit=%u", m->p->conf->bwlimit);
		argv_add(&a, "-e");
		argv_add(&a, "%s", cmd);
		if (m->step == MS_SYNC)
			argv_add(&a, "%s", m->images);
		snprintf(copy, sizeof(copy), "%s", wc->data);
		for (d = strtok_r(copy, " \t", &save); d; d = strtok_r(NULL, " \t", &save))
			argv_add(&a, "%s", d);
		argv_add(&a, strchr(m->p->conf->address, ':') ? "[%s]:/" : "%s:/", m->p->conf->address);
		break;
	}
	case MS_DUMP:
		if (m->w->ntrees != 1 || !m->w->root) {
			snprintf(err, sizeof(err), "its cgroup holds %u process trees: CRIU moves exactly one",
				 m->w->ntrees);
			move_fail(h, m, err);
			return;
		}
		m->root = m->w->root;
		/* A session or group led from outside the tree: CRIU must be told (--shell-job). */
		m->shell_job = getsid(m->root) != m->root || getpgid(m->root) != m->root;
		rm_tree(m->images);
		if (mkdirs(m->images)) {
			snprintf(err, sizeof(err), "%s: %s", m->images, strerror(errno));
			move_fail(h, m, err);
			return;
		}
		m->frozen_at = now_mono();
		argv_add(&a, "criu");
		argv_add(&a, "dump");
		argv_add(&a, "--tree");
		argv_add(&a, "%d", (int)m->root);
		argv_add(&a, "--images-dir");
		argv_add(&a, "%s", m->images);
		argv_add(&a, "--leave-stopped");
		argv_add(&a, "--log-file");
		argv_add(&a, "dump.log");
		argv_add(&a, "-v2");
		if (m->shell_job)
			argv_add(&a, "--shell-job");
		if (wc->tcp_established)
			argv_add(&a, "--tcp-established");
		break;
	case MS_HOOK:
		snprintf(what, sizeof(what), "%s: %s", wc->name, step_names[m->step]);
		m->child = hook_run(h, m, what, left, err, sizeof(err));
		if (!m->child)
			move_fail(h, m, err);
		return;
	case MS_MIGRATE: {
		/* It aborts the job at the deadline itself; heald's kill is the backstop. */
		struct child_spec s = {
			.argv = a.argv, .heald_env = true, .outmax = CHILD_OUT_MAX, .errmax = CHILD_ERR_MAX,
			.timeout = left + VM_ABORT_GRACE, .term_at_exit = true, .what = what,
			.done = step_done, .ctx = m,
		};

		vm_move_argv(m->w, m->p->conf, left, &a);
		s.path = a.argv[0];
		snprintf(what, sizeof(what), "%s: %s", wc->name, step_names[m->step]);
		if (child_spawn(h, &s, &m->child, err, sizeof(err)))
			move_fail(h, m, err);
		return;
	}
	}
	snprintf(what, sizeof(what), "%s: %s", wc->name, step_names[m->step]);
	m->child = peer_run(h, what, a.argv, left, step_done, m, err, sizeof(err));
	if (!m->child)
		move_fail(h, m, err);
}

void move_begin(struct heald *h, struct wl_track *w, int peer, uint64_t id, const char *reason,
		struct json_object *evidence)
{
	struct move *m = calloc(1, sizeof(*m));

	if (!m) {
		hlog(LOG_ERR, "out of memory: %s is not moved", w->conf->name);
		jappend(h, outcome_entry(id, "failed", "out of memory", true));
		wl_last_move(w, id, "failed", "out of memory");
		json_object_put(evidence);
		return;
	}
	m->id = id;
	m->w = w;
	m->peer_index = peer;
	m->p = peer >= 0 ? &h->peers[peer] : NULL;
	m->started = now_mono();
	m->deadline = m->started + (w->conf->deadline ? w->conf->deadline : h->cfg.move_deadline);
	m->steps = json_object_new_array();
	snprintf(m->images, sizeof(m->images), "%s/%s/images", h->cfg.migrate_dir, w->conf->name);
	if (m->p) {
		m->p->inflight = true;
		snprintf(w->peer, sizeof(w->peer), "%s", m->p->conf->name);
	}
	w->move = m;
	w->move_starts++;	/* an inventory asked before this says nothing of after it */
	w->state = WL_MOVING;
	h->moving++;
	h->actions_total++;
	h->last_action_wall = now_wall();
	if (w->conf->kind == WL_KIND_HOOK) {
		struct json_object *in_j = json_object_new_object(), *pids = json_object_new_array();
		static pid_t pl[WL_MAX_PIDS];
		int i, n = wl_pids(w, pl, WL_MAX_PIDS);

		json_object_object_add(in_j, "decision", json_object_new_int64((int64_t)m->id));
		json_object_object_add(in_j, "node", json_object_new_string(h->node_name));
		json_object_object_add(in_j, "workload", json_object_new_string(w->conf->name));
		if (w->conf->unit[0])
			json_object_object_add(in_j, "unit", json_object_new_string(w->conf->unit));
		json_object_object_add(in_j, "reason", json_object_new_string(reason));
		for (i = 0; i < n && i < 256; i++)
			json_object_array_add(pids, json_object_new_int((int)pl[i]));
		json_object_object_add(in_j, "pids", pids);
		if (m->p) {
			struct json_object *pj = json_object_new_object();

			json_object_object_add(pj, "name", json_object_new_string(m->p->conf->name));
			json_object_object_add(pj, "address", json_object_new_string(m->p->conf->address));
			json_object_object_add(in_j, "peer", pj);
		} else {
			json_object_object_add(in_j, "peer", NULL);
		}
		json_object_object_add(in_j, "evidence", evidence);
		snprintf(m->input, sizeof(m->input), "%s\n",
			 json_object_to_json_string_ext(in_j, JSON_C_TO_STRING_PLAIN));
		json_object_put(in_j);
		m->step = MS_HOOK;
	} else {
		json_object_put(evidence);
		m->step = MS_BEGIN;
	}
	step_run(h, m);
}

void move_json(const struct move *m, struct json_object *o)
{
	struct json_object *mv = json_object_new_object();

	json_object_object_add(mv, "decision", json_object_new_int64((int64_t)m->id));
	json_object_object_add(mv, "step", json_object_new_string(step_names[m->step]));
	json_object_object_add(mv, "for_s", json_object_new_double(now_mono() - m->started));
	json_object_object_add(mv, "deadline_in_s", json_object_new_double(m->deadline - now_mono()));
	if (m->p)
		json_object_object_add(mv, "peer", json_object_new_string(m->p->conf->name));
	json_object_object_add(mv, "stopped_here", json_object_new_boolean(m->dumped));
	/* heal-vmmove's last progress line (libvirt's job statistics). */
	if (m->step == MS_MIGRATE && m->child)
		json_object_object_add(mv, "progress", vm_last_line(child_out(m->child, NULL)));
	json_object_object_add(o, "move", mv);
}

void wl_resume(struct heald *h, const struct pending *p)
{
	struct wl_track *w = wl_find(h, p->workload);
	char detail[300];
	int n;

	if (!w) {
		jappend(h, outcome_entry(p->id, "interrupted",
					 "heald stopped mid-move; the workload is no longer configured", true));
		return;
	}
	/*
	 * A VM: heal-vmmove died with heald, and libvirtd finished or failed
	 * the migration by itself (the guest resumed here then); the inventory
	 * says where it runs.
	 */
	if (w->conf->kind == WL_KIND_LIBVIRT) {
		snprintf(detail, sizeof(detail), "heald stopped mid-move; libvirtd ended the migration of "
			 "domain %s by itself: healctl status shows whether it runs here", w->conf->domain);
		jappend(h, outcome_entry(p->id, "interrupted", detail, true));
		hlog(LOG_WARNING, "%s: %s", w->conf->name, detail);
		w->last_failed = now_mono();
		return;
	}
	if (p->started) {
		/* Restored and confirmed on the peer before heald stopped: the originals go. */
		n = wl_kill(w);
		snprintf(detail, sizeof(detail),
			 "heald stopped after the peer confirmed the restore; %d original process%s here killed",
			 n, n == 1 ? "" : "es");
		jappend(h, outcome_entry(p->id, "moved", detail, true));
		wl_last_move(w, p->id, "moved", detail);
		hlog(LOG_WARNING, "%s: %s", w->conf->name, detail);
		w->state = WL_MOVED;
		w->gone_by = now_mono() + 10;
		return;
	}
	/* Stopped by a checkpoint that never finished: they run on here. */
	n = wl_resume_stopped(w);
	snprintf(detail, sizeof(detail),
		 "heald stopped mid-move; %d stopped process%s resumed here, %u running here now%s",
		 n, n == 1 ? "" : "es", w->nprocs,
		 w->nprocs ? "" : " (if it was restored on the peer, it runs there)");
	jappend(h, outcome_entry(p->id, "interrupted", detail, true));
	wl_last_move(w, p->id, "interrupted", detail);
	hlog(LOG_WARNING, "%s: %s", w->conf->name, detail);
	w->last_failed = now_mono();
}

void wl_close(struct heald *h)
{
	int i;

	for (i = 0; i < h->nwl; i++) {
		struct move *m = h->wl[i].move;

		if (!m)
			continue;
		/*
		 * heal-vmmove gets SIGTERM as heald exits (child_close_all) and
		 * aborts the migration by itself: where the guest ends up is for
		 * the next start's inventory to see.
		 */
		if (m->step == MS_MIGRATE && m->child) {
			m->child = NULL;
			step_record(m, "heald stopped", false);
			move_outcome(h, m, "interrupted", "heald stopped mid-migration; heal-vmmove aborts it "
				     "(the guest runs on here unless libvirt had finished): healctl status shows "
				     "where it runs");
			h->actions_failed++;
			m->w->last_failed = now_mono();
			move_free(h, m);
			continue;
		}
		if (m->child)
			child_cancel(m->child);
		/* Its child is killed with the others and never reports: nothing else runs for it. */
		m->child = NULL;
		step_record(m, "heald stopped", false);
		move_fail(h, m, "heald stopped mid-move");
	}
}
