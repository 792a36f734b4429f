// SPDX-License-Identifier: GPL-2.0
/*
 * procmon through heald's loader: children put in a cgroup of their own die
 * of SIGSEGV (one single-threaded, one from a non-leader thread of a
 * multi-threaded process) and of SIGABRT; others exit normally or by
 * SIGTERM.  Exactly the crashes count for that cgroup, once per process.
 * Then a child in a memory cgroup of 16 MiB allocates until the OOM killer
 * takes it: one OOM kill for its cgroup, with its pid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "bpfmon.h"
#include "common.h"

#define MEM_LIMIT	(16 << 20)
#define MEM_CAP		(512 << 20)	/* the allocating child stops here regardless */

/* Mount point of the first mount of fstype (with option opt, if given). */
static int find_mount(const char *fstype, const char *opt, char *out, size_t len)
{
	char dev[64], dir[256], type[64], opts[512];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%63s %255s %63s %511s %*d %*d", dev, dir, type, opts) == 4) {
		if (strcmp(type, fstype))
			continue;
		if (opt && !strstr(opts, opt))
			continue;
		snprintf(out, len, "%s", dir);
		found = 1;
	}
	fclose(f);
	return found;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int file_has(const char *path, const char *word)
{
	char buf[512] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, word) != NULL;
}

static void rmdir_retry(const char *dir)
{
	/* A memcg whose last task just died can stay busy for a moment. */
	for (int i = 0; i < 50 && rmdir(dir) && errno == EBUSY; i++)
		usleep(100000);
}

FIXTURE(proc) {
	struct bpfmon *m;
	char cg[300];		/* cgroup v2 directory: its id is its inode */
	char memcg[300];	/* memory cgroup (v2: same as cg; v1: its own) */
	int memcg_v1;
	uint64_t cgid;
};

FIXTURE_SETUP(proc)
{
	char root[256], err[512];
	struct stat st;

	if (!find_mount("cgroup2", NULL, root, sizeof(root)))
		SKIP(return, "no cgroup v2 mount: procmon counts per cgroup v2 id");
	snprintf(self->cg, sizeof(self->cg), "%s/heal-bpft-%d", root, getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755)) TH_LOG("mkdir %s: %s", self->cg, strerror(errno));
	ASSERT_EQ(0, stat(self->cg, &st));
	self->cgid = st.st_ino;
	self->m = bpfmon_open_only(BPFMON_PROC, err, sizeof(err));
	ASSERT_NE(NULL, self->m) TH_LOG("bpfmon: %s", err);
}

FIXTURE_TEARDOWN(proc)
{
	bpfmon_close(self->m);
	if (self->memcg_v1)
		rmdir_retry(self->memcg);
	if (self->cg[0])
		rmdir_retry(self->cg);
}

/* Child body: joins the cgroups, no core files, then fn(). */
static pid_t spawn(FIXTURE_DATA(proc) *self, int memcg, void (*fn)(void))
{
	char path[320];
	pid_t pid = fork();

	if (pid)
		return pid;
	struct rlimit nocore = { 0, 0 };

	setrlimit(RLIMIT_CORE, &nocore);
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->cg);
	if (write_file(path, "0"))
		_exit(100);
	if (memcg && self->memcg_v1) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", self->memcg);
		if (write_file(path, "0"))
			_exit(101);
	}
	alarm(30);
	fn();
	_exit(0);
}

static void do_segv(void)
{
	*(volatile int *)NULL = 1;
}

static void do_abort(void)
{
	abort();
}

static void do_exit3(void)
{
	_exit(3);
}

static void do_term(void)
{
	raise(SIGTERM);
}

static void *sleeper(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void *crasher(void *arg)
{
	(void)arg;
	usleep(20000);
	do_segv();
	return NULL;
}

/* Four threads; a non-leader faults, the whole process dies. */
static void do_thread_segv(void)
{
	pthread_t t;

	for (int i = 0; i < 2; i++)
		pthread_create(&t, NULL, sleeper, NULL);
	pthread_create(&t, NULL, crasher, NULL);
	pause();
}

static void do_alloc(void)
{
	for (size_t total = 0; total < MEM_CAP; total += 1 << 20) {
		char *p = malloc(1 << 20);

		if (!p)
			_exit(2);
		memset(p, 0x5a, 1 << 20);	/* touch: charge the memcg */
	}
	_exit(1);	/* never killed: the limit did not hold */
}

struct cg_ctx {
	uint64_t id;
	struct bpfmon_cgroup c;
	int seen;
};

static void on_cgroup(void *ctx, const struct bpfmon_cgroup *c)
{
	struct cg_ctx *x = ctx;

	if (c->cgroup_id == x->id) {
		x->c = *c;
		x->seen = 1;
	}
}

static int wait_sig(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 1000 + WEXITSTATUS(st);
}

TEST_F(proc, crashes_per_cgroup)
{
	struct events ev = { 0 };
	struct cg_ctx x = { .id = self->cgid };
	pid_t segv, tsegv, abrt;
	uint64_t others = 0;
	int n;

	segv = spawn(self, 0, do_segv);
	EXPECT_EQ(SIGSEGV, wait_sig(segv));
	tsegv = spawn(self, 0, do_thread_segv);
	EXPECT_EQ(SIGSEGV, wait_sig(tsegv));
	abrt = spawn(self, 0, do_abort);
	EXPECT_EQ(SIGABRT, wait_sig(abrt));
	EXPECT_EQ(1003, wait_sig(spawn(self, 0, do_exit3)));
	EXPECT_EQ(SIGTERM, wait_sig(spawn(self, 0, do_term)));

	bpfmon_consume(self->m, &handlers, &ev);
	ASSERT_LE(0, bpfmon_procs(self->m, on_cgroup, &x));
	ASSERT_TRUE(x.seen) TH_LOG("cgroup %llu not in procmon's map",
				   (unsigned long long)self->cgid);
	EXPECT_EQ(2, x.c.crashes[SIGSEGV]);
	EXPECT_EQ(1, x.c.crashes[SIGABRT]);
	for (int s = 0; s < BPFMON_NSIG; s++)
		if (s != SIGSEGV && s != SIGABRT)
			others += x.c.crashes[s];
	EXPECT_EQ(0, others);
	EXPECT_EQ(0, x.c.oom_kills);

	n = 0;
	for (int i = 0; i < ev.nkill; i++) {
		const struct bpfmon_kill *k = &ev.kill[i];

		if (k->cgroup_id != self->cgid)
			continue;
		n++;
		EXPECT_EQ(0, k->oom);
		if (k->pid == segv || k->pid == tsegv) {
			EXPECT_EQ(SIGSEGV, k->sig);
		} else {
			EXPECT_EQ(abrt, k->pid);
			EXPECT_EQ(SIGABRT, k->sig);
		}
		EXPECT_EQ(0, k->core_dumped);	/* RLIMIT_CORE 0 */
		TH_LOG("kill event: pid %d comm %s sig %d", (int)k->pid, k->comm, k->sig);
	}
	EXPECT_EQ(3, n);
}

TEST_F_TIMEOUT(proc, oom_kill_in_memcg, 60)
{
	char root[256], path[400], val[32];
	struct events ev = { 0 };
	struct cg_ctx x = { .id = self->cgid };
	pid_t pid;
	int n = 0;

	/* A memory limit: cgroup v2 memory.max, or the v1 memory controller. */
	/* Our cgroup v2 directory is a child of the mount's root. */
	ASSERT_TRUE(find_mount("cgroup2", NULL, root, sizeof(root)));
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	snprintf(val, sizeof(val), "%d", MEM_LIMIT);
	if (file_has(path, "memory")) {
		snprintf(self->memcg, sizeof(self->memcg), "%s", self->cg);
		snprintf(path, sizeof(path), "%s/memory.max", self->memcg);
		ASSERT_EQ(0, write_file(path, val));
		snprintf(path, sizeof(path), "%s/memory.swap.max", self->memcg);
		write_file(path, "0");	/* absent without swap accounting */
	} else if (find_mount("cgroup", "memory", root, sizeof(root))) {
		snprintf(self->memcg, sizeof(self->memcg), "%s/heal-bpft-%d", root, getpid());
		ASSERT_EQ(0, mkdir(self->memcg, 0755));
		self->memcg_v1 = 1;
		snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", self->memcg);
		ASSERT_EQ(0, write_file(path, val));
	} else {
		SKIP(return, "no memory controller (cgroup v2 or v1) to confine an OOM");
	}
	TH_LOG("memory cgroup %s (%s), limit %d MiB", self->memcg,
	       self->memcg_v1 ? "v1" : "v2", MEM_LIMIT >> 20);

	pid = spawn(self, 1, do_alloc);
	ASSERT_EQ(SIGKILL, wait_sig(pid));

	bpfmon_consume(self->m, &handlers, &ev);
	ASSERT_LE(0, bpfmon_procs(self->m, on_cgroup, &x));
	ASSERT_TRUE(x.seen);
	EXPECT_EQ(1, x.c.oom_kills);
	for (int i = 0; i < ev.nkill; i++) {
		const struct bpfmon_kill *k = &ev.kill[i];

		if (!k->oom || k->pid != pid)
			continue;
		n++;
		EXPECT_EQ(self->cgid, k->cgroup_id);
		EXPECT_EQ(SIGKILL, k->sig);
		TH_LOG("oom event: pid %d comm %s uid %d", (int)k->pid, k->comm, (int)k->uid);
	}
	EXPECT_EQ(1, n);
}

TEST_HARNESS_MAIN
