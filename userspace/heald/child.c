// SPDX-License-Identifier: GPL-2.0
/* Children run asynchronously with a deadline: see child.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "heald.h"
#include "child.h"

extern char **environ;

/* Reads of one pipe per wakeup: a child that writes without end still lets the loop turn. */
#define CHILD_READS 16

struct child_w {
	struct watch w;		/* first: epoll's pointer */
	struct child *c;
};

struct child_buf {
	char *p;
	size_t len, cap, max;
	bool cut;		/* more came than is kept */
};

struct child {
	struct child_w pidw, inw, outw, errw;	/* fd -1 once closed */
	pid_t pid;
	char *in;
	size_t inlen, inoff;
	struct child_buf out, err;
	char what[200];
	double started, deadline;	/* monotonic */
	bool killed;		/* at its deadline, or by child_cancel() */
	bool reap;		/* run through heald --reap (child_spec.reap) */
	bool term_at_exit;	/* child_spec.term_at_exit */
	double kill_at;		/* reap: its group's SIGKILL, should SIGTERM not do */
	bool timed_out;		/* killed at its deadline */
	/*
	 * Ended and reported: freed by the loop after the epoll batch
	 * (child_sweep), so that an event of the same batch for one of its
	 * pipes never points at freed memory.
	 */
	bool dead;
	int status;		/* waitpid()'s */
	child_done_fn done;
	void *ctx;
	struct child *next;
};

static void buf_add(struct child_buf *b, const char *data, size_t n, bool keep_tail)
{
	if (keep_tail && b->len + n > b->max) {
		/* stderr: the newest bytes say why it failed. */
		size_t drop = b->len + n - b->max;

		if (drop >= b->len) {
			data += drop - b->len;
			n -= drop - b->len;
			b->len = 0;
		} else {
			memmove(b->p, b->p + drop, b->len - drop);
			b->len -= drop;
		}
		b->cut = true;
	} else if (!keep_tail && b->len + n > b->max) {
		n = b->max - b->len;
		b->cut = true;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p;

		if (cap > b->max + 1)
			cap = b->max + 1;
		p = realloc(b->p, cap);
		if (!p) {
			b->cut = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void close_w(struct heald *h, struct child_w *cw)
{
	if (cw->w.fd < 0)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, cw->w.fd, NULL);
	close(cw->w.fd);
	cw->w.fd = -1;
}

static int watch_fd(struct heald *h, struct child_w *cw, struct child *c, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = &cw->w };

	cw->w = (struct watch){ TAG_CHILD, fd };
	cw->c = c;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		cw->w.fd = -1;
		return -errno;
	}
	return 0;
}

static void child_free(struct heald *h, struct child *c)
{
	close_w(h, &c->pidw);
	close_w(h, &c->inw);
	close_w(h, &c->outw);
	close_w(h, &c->errw);
	free(c->in);
	free(c->out.p);
	free(c->err.p);
	free(c);
	h->nchildren--;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * heald's environment without systemd's messages to heald itself: a
 * child that ran systemd-notify would otherwise speak for heald (ready,
 * watchdog) on its socket.
 */
static char **heald_env(void)
{
	static const char *const drop[] = { "NOTIFY_SOCKET=", "WATCHDOG_PID=", "WATCHDOG_USEC=",
					    "LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=" };
	static char *env[256];
	size_t i, k, n = 0;

	for (i = 0; environ[i] && n < sizeof(env) / sizeof(env[0]) - 1; i++) {
		for (k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
			if (!strncmp(environ[i], drop[k], strlen(drop[k])))
				break;
		if (k == sizeof(drop) / sizeof(drop[0]))
			env[n++] = environ[i];
	}
	env[n] = NULL;
	return env;
}

/* The pipes a spec asks for, their child's ends in the file actions. */
static int pipes_open(const struct child_spec *s, int inp[2], int outp[2], int errp[2],
		      posix_spawn_file_actions_t *fa)
{
	if ((s->in && pipe2(inp, O_CLOEXEC) < 0) || (s->outmax && pipe2(outp, O_CLOEXEC) < 0) ||
	    (s->errmax && pipe2(errp, O_CLOEXEC) < 0))
		return -errno;
	posix_spawn_file_actions_init(fa);
	if (s->in)
		posix_spawn_file_actions_adddup2(fa, inp[0], 0);
	else
		posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	if (s->outmax)
		posix_spawn_file_actions_adddup2(fa, outp[1], 1);
	else
		posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
	/* Without errmax, stderr stays heald's: under systemd, the journal. */
	if (s->errmax)
		posix_spawn_file_actions_adddup2(fa, errp[1], 2);
	return 0;
}

static void fds_close(int *fd, int n)
{
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0) {
			close(fd[i]);
			fd[i] = -1;
		}
}

int child_spawn(struct heald *h, const struct child_spec *s, struct child **cp, char *err,
		size_t errlen)
{
	static char *const path_only[] = { CHILD_PATH, NULL };
	char *reap_argv[CHILD_ARGS_MAX + 3];
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, ret, pidfd;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct child *c;
	sigset_t none, dfl;

	if (cp)
		*cp = NULL;
	if (h->nchildren >= CHILD_MAX) {
		snprintf(err, errlen, "%s: %d programs run already", s->what, CHILD_MAX);
		return -EBUSY;
	}
	c = calloc(1, sizeof(*c));
	if (!c || (s->in && !(c->in = malloc(s->inlen ?: 1)))) {
		free(c);
		snprintf(err, errlen, "%s: out of memory", s->what);
		return -ENOMEM;
	}
	c->pidw.w.fd = c->inw.w.fd = c->outw.w.fd = c->errw.w.fd = -1;
	if (s->in) {
		memcpy(c->in, s->in, s->inlen);
		c->inlen = s->inlen;
	}
	c->out.max = s->outmax < CHILD_OUT_MAX ? s->outmax : CHILD_OUT_MAX;
	c->err.max = s->errmax < CHILD_ERR_MAX ? s->errmax : CHILD_ERR_MAX;
	c->done = s->done;
	c->ctx = s->ctx;
	snprintf(c->what, sizeof(c->what), "%s", s->what);
	ret = pipes_open(s, inp, outp, errp, &fa);
	if (ret) {
		snprintf(err, errlen, "%s: pipe: %s", s->what, strerror(-ret));
		goto fail;
	}
	posix_spawnattr_init(&at);
	/*
	 * heald blocks its signals (signalfd) and ignores SIGPIPE; both
	 * would be inherited.  A session of its own: a deadline kills the
	 * whole session's group, grandchildren too, and no terminal heald
	 * was started from is theirs to prompt on.
	 */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	c->reap = s->reap;
	c->term_at_exit = s->term_at_exit;
	if (s->reap) {
		int i;

		/* heald's own binary as the subreaper (reap.c), the program its argument. */
		reap_argv[0] = "heald";
		reap_argv[1] = "--reap";
		for (i = 0; i < CHILD_ARGS_MAX && s->argv[i]; i++)
			reap_argv[i + 2] = s->argv[i];
		reap_argv[i + 2] = NULL;
		ret = -posix_spawn(&c->pid, "/proc/self/exe", &fa, &at, reap_argv,
				   s->heald_env ? heald_env() : s->env ? s->env : path_only);
	} else if (strchr(s->path, '/'))
		ret = -posix_spawn(&c->pid, s->path, &fa, &at, s->argv,
				   s->heald_env ? heald_env() : s->env ? s->env : path_only);
	else
		ret = -posix_spawnp(&c->pid, s->path, &fa, &at, s->argv,
				    s->heald_env ? heald_env() : s->env ? s->env : path_only);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	/* The child's ends: its own now. */
	fds_close(&inp[0], 1);
	fds_close(&outp[1], 1);
	fds_close(&errp[1], 1);
	if (ret) {
		snprintf(err, errlen, "%s: cannot run %s: %s", s->what, s->path, strerror(-ret));
		goto fail;
	}
	c->started = now_mono();
	c->deadline = c->started + s->timeout;
	pidfd = pidfd_open_(c->pid);
	if (pidfd < 0 || watch_fd(h, &c->pidw, c, pidfd, EPOLLIN)) {
		/* Cannot watch it: it must not run unwatched. */
		ret = -errno;
		snprintf(err, errlen, "%s: pidfd: %s", s->what, strerror(errno));
		if (pidfd >= 0)
			close(pidfd);
		kill(-c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		goto fail;
	}
	/* A pipe that cannot be watched is closed: the child sees EOF or EPIPE, never a hang. */
	if (s->in) {
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
		if (watch_fd(h, &c->inw, c, inp[1], EPOLLOUT))
			close(inp[1]);
		inp[1] = -1;
	}
	if (s->outmax) {
		fcntl(outp[0], F_SETFL, O_NONBLOCK);
		if (watch_fd(h, &c->outw, c, outp[0], EPOLLIN))
			close(outp[0]);
		outp[0] = -1;
	}
	if (s->errmax) {
		fcntl(errp[0], F_SETFL, O_NONBLOCK);
		if (watch_fd(h, &c->errw, c, errp[0], EPOLLIN))
			close(errp[0]);
		errp[0] = -1;
	}
	c->next = h->children;
	h->children = c;
	h->nchildren++;
	if (cp)
		*cp = c;
	return 0;
fail:
	fds_close(inp, 2);
	fds_close(outp, 2);
	fds_close(errp, 2);
	free(c->in);
	free(c);
	return ret ? ret : -EIO;
}

static void feed(struct heald *h, struct child *c)
{
	while (c->inoff < c->inlen) {
		ssize_t n = write(c->inw.w.fd, c->in + c->inoff, c->inlen - c->inoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;		/* EPOLLOUT again */
		if (n < 0)
			break;		/* EPIPE: it does not read its input; its business */
		c->inoff += (size_t)n;
	}
	close_w(h, &c->inw);	/* end of input */
}

/* Read what is there (a bounded share of this turn); at EOF the pipe is closed. */
static void drain(struct heald *h, struct child *c, struct child_w *cw)
{
	struct child_buf *b = cw == &c->errw ? &c->err : &c->out;
	char buf[8192];
	int reads;

	for (reads = 0; cw->w.fd >= 0 && reads < CHILD_READS; reads++) {
		ssize_t n = read(cw->w.fd, buf, sizeof(buf));

		if (n > 0) {
			buf_add(b, buf, (size_t)n, b == &c->err);	/* past max: dropped */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close_w(h, cw);		/* end of output */
	}
}

static void reap(struct heald *h, struct child *c)
{
	pid_t r;

	do
		r = waitpid(c->pid, &c->status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;		/* not yet (a spurious wakeup) */
	/* What it wrote before it ended; a grandchild holding a pipe is not waited for. */
	drain(h, c, &c->outw);
	drain(h, c, &c->errw);
	close_w(h, &c->pidw);
	close_w(h, &c->inw);
	close_w(h, &c->outw);
	close_w(h, &c->errw);
	c->dead = true;
	h->child_dead = true;
	if (c->done)
		c->done(h, c, c->ctx);
}

void child_ready(struct heald *h, struct watch *w, uint32_t events)
{
	struct child_w *cw = (struct child_w *)w;
	struct child *c = cw->c;

	(void)events;
	if (c->dead)	/* ended earlier in this batch: freed after it */
		return;
	if (cw == &c->inw)
		feed(h, c);
	else if (cw == &c->outw || cw == &c->errw)
		drain(h, c, cw);
	else
		reap(h, c);
}

/*
 * After the epoll batch: a later event of the batch may still point at a
 * child reaped earlier in it, so it is only marked dead until here.
 */
void child_sweep(struct heald *h)
{
	struct child **pp = &h->children, *c;

	if (!h->child_dead)
		return;
	h->child_dead = false;
	while ((c = *pp)) {
		if (c->dead) {
			*pp = c->next;
			child_free(h, c);
		} else {
			pp = &c->next;
		}
	}
}

int child_running(const struct heald *h)
{
	const struct child *c;
	int n = 0;

	for (c = h->children; c; c = c->next)
		n += !c->dead;
	return n;
}

void child_cancel(struct child *c)
{
	if (c->dead || c->killed)
		return;
	c->killed = true;
	/* The subreaper kills all below it, whatever session they made; its group goes if it does not. */
	if (c->reap) {
		kill(c->pid, SIGTERM);
		c->kill_at = now_mono() + CHILD_REAP_GRACE;
		return;
	}
	/* Not reaped yet, so its pid (the session's and group's id) cannot be anyone else's. */
	kill(-c->pid, SIGKILL);
}

void child_tick(struct heald *h)
{
	double now = now_mono();
	struct child *c;

	for (c = h->children; c; c = c->next) {
		if (!c->dead && !c->killed && now >= c->deadline) {
			hlog(LOG_WARNING, "%s (pid %d): still running at its deadline (%.0f s): killed",
			     c->what, (int)c->pid, c->deadline - c->started);
			child_cancel(c);
			c->timed_out = true;
		}
		if (!c->dead && c->kill_at && now >= c->kill_at) {
			kill(-c->pid, SIGKILL);
			c->kill_at = 0;
		}
	}
}

void child_close_all(struct heald *h)
{
	double until = now_mono() + CHILD_REAP_GRACE;
	struct child *c;
	bool left;

	/* Signals first, to all: a subreaper kills what is below it, the rest go with their group. */
	for (c = h->children; c; c = c->next)
		if (!c->dead) {
			if (c->reap || c->term_at_exit)
				kill(c->pid, SIGTERM);
			else
				kill(-c->pid, SIGKILL);
			/* Left to end by itself: neither waited for nor killed below. */
			c->dead |= c->term_at_exit;
		}
	/*
	 * Then a bounded wait for all together: a child stuck in the kernel
	 * (smartctl on a disk that does not answer) must not hold heald's
	 * stop; it is left to init.
	 */
	do {
		left = false;
		for (c = h->children; c; c = c->next)
			if (!c->dead) {
				if (waitpid(c->pid, NULL, WNOHANG) == c->pid)
					c->dead = true;
				else
					left = true;
			}
		if (left)
			usleep(10000);
	} while (left && now_mono() < until);
	while ((c = h->children)) {
		h->children = c->next;
		/* Not reaped, so its pid is still its own: a subreaper that did not finish goes with its group. */
		if (!c->dead && !c->term_at_exit)
			kill(-c->pid, SIGKILL);
		child_free(h, c);
	}
	h->child_dead = false;
}

bool child_ok(const struct child *c)
{
	return !c->killed && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

bool child_timed_out(const struct child *c)
{
	return c->timed_out;
}

int child_status(const struct child *c)
{
	return c->status;
}

const char *child_out(const struct child *c, size_t *len)
{
	if (len)
		*len = c->out.len;
	return c->out.p ? c->out.p : "";
}

const char *child_last_err(const struct child *c, char *buf, size_t len)
{
	const char *s = c->err.p ? c->err.p : "", *e = s + c->err.len, *b, *b2 = NULL;

	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		e--;
	for (b = e; b > s && b[-1] != '\n'; b--)
		;
	/*
	 * rsync's last line says only "see previous errors": the one before
	 * it is said too, when there is one.
	 */
	if (b > s && strstr(b, "see previous errors")) {
		const char *pe = b - 1;

		while (pe > s && (pe[-1] == '\n' || pe[-1] == '\r'))
			pe--;
		for (b2 = pe; b2 > s && b2[-1] != '\n'; b2--)
			;
		snprintf(buf, len, "%.*s / %.*s", (int)(pe - b2), b2, (int)(e - b), b);
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)(e - b), b);
	return buf;
}

const char *child_result(const struct child *c, char *buf, size_t len)
{
	char last[256];

	child_last_err(c, last, sizeof(last));
	if (c->timed_out)
		snprintf(buf, len, "killed at its deadline (%.0f s)%s%s", c->deadline - c->started,
			 *last ? ": " : "", last);
	else if (WIFEXITED(c->status))
		snprintf(buf, len, "exit %d%s%s", WEXITSTATUS(c->status), *last ? ": " : "", last);
	else if (WIFSIGNALED(c->status))
		snprintf(buf, len, "killed by signal %d%s%s", WTERMSIG(c->status), *last ? ": " : "",
			 last);
	else
		snprintf(buf, len, "ended (status %#x)", c->status);
	return buf;
}
