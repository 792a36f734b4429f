// SPDX-License-Identifier: GPL-2.0
/*
 * `heald --reap PROGRAM`: what heald runs a hook through (child.h,
 * child_spec.reap).  A process group is not a fence: a hook that calls
 * setsid(), or double-forks a daemon, leaves it, and a kill of the group
 * at the deadline missed what it left running as root.  This process is a
 * child subreaper (PR_SET_CHILD_SUBREAPER, as systemd and tini are): every
 * process the hook starts stays below it, whatever session or group it
 * makes, and an orphan comes back to it instead of init.
 *
 * It runs PROGRAM with its own stdin, stdout, stderr and environment and
 * keeps none of them, then waits: when PROGRAM and everything it started
 * have ended it ends the same way (exit code, or the same signal, without
 * a core of its own).  On SIGTERM from heald (its deadline, or heald
 * stopping; heald's death sends it too) it kills every process below it
 * with SIGKILL until none is left, and ends killed.  heald kills its group
 * after a grace period should it not.  Every other signal is blocked: the
 * hook's `kill 0`, a stray SIGHUP or systemd's SIGTERM to the cgroup
 * neither ends it early (which would let what is below it escape) nor
 * counts as the deadline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "heald.h"

extern char **environ;

/* SIGKILL to each child of ours (/proc/self/task/TID/children): how many there were. */
static int kill_children(void)
{
	char path[64], buf[4096];
	int n = 0, fd;
	ssize_t len;
	char *p, *end;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A list longer than a read: killed a part at a time, the rest the next round. */
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* A full read may end inside a pid (pages over 4 KiB): that one waits for the next round. */
	if (len == (ssize_t)sizeof(buf) - 1 && buf[len - 1] != ' ') {
		p = strrchr(buf, ' ');
		if (!p)
			return 0;
		*p = '\0';
	}
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 1) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
	}
	return n;
}

/* Everything below us, killed and reaped; an orphan of a killed one comes back to us and goes next. */
static void kill_all(void)
{
	int n;

	while ((n = kill_children()) != 0) {
		if (n < 0) {
			/* No /proc: what is in the hook's group at least. */
			kill(0, SIGKILL);
			return;
		}
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* End the way the hook did. */
static int end_as(int status)
{
	if (WIFSIGNALED(status)) {
		struct rlimit none = { 0, 0 };
		sigset_t s;

		/* The hook's core is the hook's: none written in heald's name. */
		setrlimit(RLIMIT_CORE, &none);
		signal(WTERMSIG(status), SIG_DFL);
		sigemptyset(&s);
		sigaddset(&s, WTERMSIG(status));
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int reap_main(char *const *argv)
{
	int status, hook_status = 0, fd, sig;
	sigset_t all, wait_for, old;
	posix_spawnattr_t at;
	bool hook_ended = false;
	pid_t hook, p, heald = getppid();
	siginfo_t si;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		fprintf(stderr, "heald --reap: prctl: %s\n", strerror(errno));
		return 127;
	}
	/* heald died before PDEATHSIG was set: nobody is waiting. */
	if (getppid() != heald)
		return 127;
	sigemptyset(&wait_for);
	sigaddset(&wait_for, SIGCHLD);
	sigaddset(&wait_for, SIGTERM);
	/* The hook gets the mask and dispositions heald gave us. */
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &old);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	errno = posix_spawn(&hook, argv[0], NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (errno) {
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		return 127;
	}
	/* Its pipes are the hook's alone: heald sees their end when the hook's side closes. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	for (;;) {
		sig = sigwaitinfo(&wait_for, &si);
		/* Only heald's (its deadline, its stop, or its death): the hook's own kill 0 is not one. */
		if (sig == SIGTERM && si.si_pid == heald) {
			kill_all();
			raise(SIGKILL);
			return 137;
		}
		if (sig != SIGCHLD)
			continue;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == hook) {
				hook_ended = true;
				hook_status = status;
			}
		/* The hook and everything it started have ended. */
		if (p < 0 && errno == ECHILD && hook_ended)
			return end_as(hook_status);
	}
}
