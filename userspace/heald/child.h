/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Programs heald runs without waiting for them: hooks, smartctl, and a
 * workload move's ssh, rsync, criu and hook.  Each is spawned with
 * posix_spawn (a vfork underneath: heald's memory is not copied) in a
 * session of its own, with default signal dispositions and an empty mask
 * (heald blocks its signals for signalfd and ignores SIGPIPE).  Its input
 * is written and its output read as the loop finds the pipes ready, its
 * end is seen on a pidfd in the epoll set, and past its deadline the
 * whole session (ssh's or rsync's own children too) is killed with
 * SIGKILL on the next timer tick.  Nothing here blocks the loop.
 *
 * At most CHILD_MAX run at once, all callers together; each caller has
 * its own smaller bound (HOOKS_RUNNING, SMART_RUNNING, one ask per peer,
 * max_moves), so the cap is only reached when something is wrong.
 *
 * The caller's done() runs from the loop once the child has ended and
 * been reaped (or was killed): what it said is read with child_out(),
 * child_result() and child_last_err() from there.  The child is freed
 * after the epoll batch (child_sweep), never under a caller.
 */
#ifndef HEALD_CHILD_H
#define HEALD_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct heald;
struct watch;
struct child;

/*
 * Running at once, all callers together: hooks (one per program, 32) +
 * smartctl (2, and 4 more stuck on dead disks) + one ask per peer (8) +
 * max_moves (16) + what a move ending starts without waiting (ssh receive
 * end, systemctl stop: one each per move) + one libvirt inventory per
 * kind = libvirt workload (16) = 110.
 */
#define CHILD_MAX 112
#define CHILD_OUT_MAX (1 << 20)	/* the most of a child's stdout kept */
#define CHILD_ERR_MAX 4096	/* stderr: its last bytes say why it failed */
#define CHILD_ARGS_MAX 32	/* argv of a child run through heald --reap */
#define CHILD_REAP_GRACE 2.0	/* seconds a subreaper has to kill what is below it */
/* The environment of a child given none: this PATH only. */
#define CHILD_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The child ended (or was killed and reaped); it is freed after this returns. */
typedef void (*child_done_fn)(struct heald *h, struct child *c, void *ctx);

struct child_spec {
	const char *path;	/* a program: a path, or a name looked up on heald's PATH */
	char *const *argv;
	/*
	 * Its environment: NULL for CHILD_PATH only.  heald_env: heald's own
	 * instead, without systemd's variables for heald (NOTIFY_SOCKET,
	 * WATCHDOG_*, LISTEN_*): the tools heald drives (ssh, rsync, criu)
	 * take their settings from it (SSH_AUTH_SOCK, CRIU_CONFIG_FILE).
	 * Programs the operator drops in (hooks) get only what @env says.
	 */
	char *const *env;
	bool heald_env;
	const char *in;		/* written to stdin as it reads, then closed (NULL: /dev/null) */
	size_t inlen;
	size_t outmax;		/* stdout kept up to this (at most CHILD_OUT_MAX); 0: /dev/null */
	/* stderr's last @errmax bytes kept (at most CHILD_ERR_MAX); 0: heald's stderr (the journal) */
	size_t errmax;
	double timeout;		/* seconds */
	/*
	 * Run through `heald --reap` (reap.c), a child subreaper: at the
	 * deadline every process it started goes, even one that left its
	 * session (setsid, a double fork), and its end is when they all
	 * have ended.  For programs that must leave nothing behind (hooks);
	 * not for criu, whose restored tree must outlive it.
	 */
	bool reap;
	/*
	 * When heald exits: SIGTERM to it alone, and it is left to end by
	 * itself (init reaps it), not killed with its group.  For
	 * heal-vmmove, which then aborts libvirt's migration so that the
	 * guest runs on where it was: killed, it would leave libvirtd
	 * migrating on.  Its deadline still kills it while heald runs.
	 */
	bool term_at_exit;
	const char *what;	/* for logs: "hook /etc/heal/hooks.d/10-mail" */
	child_done_fn done;	/* may be NULL: nobody waits for it */
	void *ctx;
};

/*
 * Start it: 0 (@cp, when given, points to the child until its done()
 * returns), or -errno with @err set and nothing started: -EBUSY when
 * CHILD_MAX run already (try again later).
 */
int child_spawn(struct heald *h, const struct child_spec *s, struct child **cp, char *err,
		size_t errlen);
/* The loop: one of a child's fds is ready (TAG_CHILD). */
void child_ready(struct heald *h, struct watch *w, uint32_t events);
/* The timer: kill the children past their deadline. */
void child_tick(struct heald *h);
/* The loop, after each epoll batch: free the children that ended in it. */
void child_sweep(struct heald *h);
/* Children running now. */
int child_running(const struct heald *h);
/* Kill @c now (its done() still runs, from the loop). */
void child_cancel(struct child *c);
/* At exit: kill and reap every child; no done() runs. */
void child_close_all(struct heald *h);

/* How it ended: done() only. */
bool child_ok(const struct child *c);		/* exit 0, not killed */
bool child_timed_out(const struct child *c);	/* killed at its deadline */
int child_status(const struct child *c);	/* waitpid()'s */
/* Its stdout (NUL-terminated, "" if none kept), its length in @len if given. */
const char *child_out(const struct child *c, size_t *len);
/*
 * For the journal: "exit 0", "exit 3: <its last stderr line>", "killed at
 * its deadline (10 s)", "killed by signal 9".
 */
const char *child_result(const struct child *c, char *buf, size_t len);
/* The last non-empty line of its stderr (@buf), "" if none; rsync's last two. */
const char *child_last_err(const struct child *c, char *buf, size_t len);

#endif
