// SPDX-License-Identifier: GPL-2.0
/*
 * iomon through heald's loader (bpfmon.c): every program attaches, and real
 * loop-device I/O and I/O errors are counted exactly.  Root only;
 * tests/bpf/run.sh runs it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "bpfmon.h"
#include "common.h"

#define BLK		4096

/* ---- load and attach ---------------------------------------------------- */

struct status {
	int attached[16];
	char name[16][64];
	int n;
};

static void on_status(void *ctx, const char *prog, int attached, const char *why)
{
	struct status *s = ctx;

	printf("# %-20s %s%s%s\n", prog, attached ? "attached" : "NOT attached",
	       attached ? "" : ": ", why);
	fflush(stdout);	/* the harness's child ends with _exit() */
	if (s->n < 16) {
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", prog);
		s->attached[s->n++] = attached;
	}
}

static int status_of(const struct status *s, const char *prog)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], prog))
			return s->attached[i];
	return -1;
}

TEST(load_attach)
{
	static const char *const required[] = {
		"iomon_issue", "iomon_complete", "netmon_retransmit", "netmon_kfree_skb",
		"procmon_exit",
	};
	struct status s = { 0 };
	struct bpfmon *m;
	char err[512];

	m = bpfmon_open(err, sizeof(err));
	ASSERT_NE(NULL, m) TH_LOG("bpfmon_open: %s", err);
	bpfmon_status(m, on_status, &s);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		EXPECT_EQ(1, status_of(&s, required[i])) TH_LOG("%s", required[i]);
	}
	/* One of the two mark_victim flavours, whichever this kernel has. */
	EXPECT_EQ(1, status_of(&s, "procmon_oom_task") == 1 ||
		     status_of(&s, "procmon_oom_pid") == 1);
	EXPECT_LE(0, bpfmon_fd(m));
	bpfmon_close(m);
}

/* ---- block I/O over a loop device --------------------------------------- */

FIXTURE(loop) {
	struct bpfmon *m;
	char file[64];
	char dev[64];
	unsigned int major, minor;
	int fd;
	int immutable;
};

FIXTURE_SETUP(loop)
{
	char err[512], cmd[160];
	struct stat st;
	FILE *p;
	int f;

	self->fd = -1;
	/* /var/tmp: loop's direct I/O needs a filesystem with O_DIRECT (not tmpfs). */
	snprintf(self->file, sizeof(self->file), "/var/tmp/heal-bpft.XXXXXX");
	f = mkstemp(self->file);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, ftruncate(f, 16 << 20));
	close(f);
	snprintf(cmd, sizeof(cmd), "losetup -f --show --direct-io=on %s", self->file);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	if (!fgets(self->dev, sizeof(self->dev), p))
		self->dev[0] = '\0';
	pclose(p);
	self->dev[strcspn(self->dev, "\n")] = '\0';
	ASSERT_NE(0, self->dev[0]) TH_LOG("losetup over %s failed", self->file);
	ASSERT_EQ(0, stat(self->dev, &st));
	self->major = major(st.st_rdev);
	self->minor = minor(st.st_rdev);
	/* udev and blkid probe a new disk: let them finish before counting. */
	sh("udevadm settle -t 10 >/dev/null 2>&1");
	self->fd = open(self->dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, self->fd);
	self->m = bpfmon_open_only(BPFMON_IO, err, sizeof(err));
	ASSERT_NE(NULL, self->m) TH_LOG("bpfmon: %s", err);
	TH_LOG("%s (%u:%u) over %s", self->dev, self->major, self->minor, self->file);
}

FIXTURE_TEARDOWN(loop)
{
	bpfmon_close(self->m);
	if (self->fd >= 0)
		close(self->fd);
	if (self->immutable)
		sh("chattr -i %s", self->file);
	if (self->dev[0])
		sh("losetup -d %s", self->dev);
	unlink(self->file);
}

struct disk_ctx {
	unsigned int major, minor;
	struct bpfmon_disk op[BPFMON_OP_NR];
};

static void on_disk(void *ctx, const struct bpfmon_disk *d)
{
	struct disk_ctx *c = ctx;

	if (d->major == c->major && d->minor == c->minor && d->op < BPFMON_OP_NR)
		c->op[d->op] = *d;
}

static void disk_snap(struct bpfmon *m, unsigned int major, unsigned int minor,
		      struct disk_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->major = major;
	c->minor = minor;
	bpfmon_disks(m, on_disk, c);
}

static uint64_t hist_sum(const struct bpfmon_disk *d)
{
	uint64_t s = 0;

	for (int i = 0; i < BPFMON_HIST_SLOTS; i++)
		s += d->hist[i];
	return s;
}

static void *aligned_buf(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, BLK, len))
		return NULL;
	memset(p, 0x5a, len);
	return p;
}

TEST_F(loop, counts_exact)
{
	const int nreads = 37, nwrites = 23, wlen = 2 * BLK;
	struct disk_ctx a, b;
	char *buf = aligned_buf(wlen);

	ASSERT_NE(NULL, buf);
	disk_snap(self->m, self->major, self->minor, &a);
	for (int i = 0; i < nreads; i++)
		ASSERT_EQ(BLK, pread(self->fd, buf, BLK, (off_t)i * 3 * BLK));
	for (int i = 0; i < nwrites; i++)
		ASSERT_EQ(wlen, pwrite(self->fd, buf, wlen, (off_t)(1024 + i * 4) * BLK));
	disk_snap(self->m, self->major, self->minor, &b);

	EXPECT_EQ(nreads, b.op[BPFMON_OP_READ].count - a.op[BPFMON_OP_READ].count);
	EXPECT_EQ((uint64_t)nreads * BLK,
		  b.op[BPFMON_OP_READ].bytes - a.op[BPFMON_OP_READ].bytes);
	EXPECT_EQ(nwrites, b.op[BPFMON_OP_WRITE].count - a.op[BPFMON_OP_WRITE].count);
	EXPECT_EQ((uint64_t)nwrites * wlen,
		  b.op[BPFMON_OP_WRITE].bytes - a.op[BPFMON_OP_WRITE].bytes);
	EXPECT_EQ(0, b.op[BPFMON_OP_READ].errors - a.op[BPFMON_OP_READ].errors);
	EXPECT_EQ(0, b.op[BPFMON_OP_WRITE].errors - a.op[BPFMON_OP_WRITE].errors);
	/* Every counted request is in the latency histogram once. */
	EXPECT_EQ(b.op[BPFMON_OP_READ].count, hist_sum(&b.op[BPFMON_OP_READ]));
	EXPECT_EQ(b.op[BPFMON_OP_WRITE].count, hist_sum(&b.op[BPFMON_OP_WRITE]));
	TH_LOG("reads %llu p50 %.1f us p99 %.1f us; writes %llu p50 %.1f us",
	       (unsigned long long)b.op[BPFMON_OP_READ].count,
	       bpfmon_hist_pct(b.op[BPFMON_OP_READ].hist, BPFMON_HIST_SLOTS, 50),
	       bpfmon_hist_pct(b.op[BPFMON_OP_READ].hist, BPFMON_HIST_SLOTS, 99),
	       (unsigned long long)b.op[BPFMON_OP_WRITE].count,
	       bpfmon_hist_pct(b.op[BPFMON_OP_WRITE].hist, BPFMON_HIST_SLOTS, 50));
	free(buf);
}

/*
 * Reads past the end of a backing file cut short after losetup: loop ends
 * a direct-I/O read that got no data with BLK_STS_IOERR.
 */
TEST_F(loop, read_errors_exact)
{
	const int nerr = 5;
	const off_t base = 8 << 20;	/* past the new 4 MiB end */
	struct events ev = { 0 };
	struct disk_ctx a, b;
	char *buf = aligned_buf(BLK);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, truncate(self->file, 4 << 20));
	bpfmon_consume(self->m, &handlers, &ev);
	ev.nio = 0;
	disk_snap(self->m, self->major, self->minor, &a);
	for (int i = 0; i < nerr; i++) {
		errno = 0;
		EXPECT_EQ(-1, pread(self->fd, buf, BLK, base + (off_t)i * BLK));
		EXPECT_EQ(EIO, errno);
	}
	disk_snap(self->m, self->major, self->minor, &b);
	bpfmon_consume(self->m, &handlers, &ev);

	EXPECT_EQ(nerr, b.op[BPFMON_OP_READ].errors - a.op[BPFMON_OP_READ].errors);
	EXPECT_EQ(nerr, b.op[BPFMON_OP_READ].count - a.op[BPFMON_OP_READ].count);
	ASSERT_EQ(nerr, ev.nio);
	for (int i = 0; i < ev.nio; i++) {
		EXPECT_EQ(self->major, ev.io[i].major);
		EXPECT_EQ(self->minor, ev.io[i].minor);
		EXPECT_EQ(BPFMON_OP_READ, ev.io[i].op);
		EXPECT_EQ(EIO, ev.io[i].err);
		EXPECT_EQ((uint64_t)(base + (off_t)i * BLK) >> 9, ev.io[i].sector);
		EXPECT_EQ(BLK >> 9, ev.io[i].nr_sectors);
	}
	free(buf);
}

/*
 * Writes to a backing file made immutable after losetup: ext4 refuses them
 * (EPERM from ext4_write_checks()), which loop reports as BLK_STS_IOERR, so
 * the disk's error is EIO, as any block-layer consumer sees it.
 */
TEST_F(loop, write_errors_exact)
{
	const int nerr = 3;
	struct events ev = { 0 };
	struct disk_ctx a, b;
	char *buf = aligned_buf(BLK);

	ASSERT_NE(NULL, buf);
	if (sh("chattr +i %s 2>/dev/null", self->file) != 0)
		SKIP(return, "chattr +i is refused on %s's filesystem", self->file);
	self->immutable = 1;
	bpfmon_consume(self->m, &handlers, &ev);
	ev.nio = 0;
	disk_snap(self->m, self->major, self->minor, &a);
	for (int i = 0; i < nerr; i++) {
		errno = 0;
		EXPECT_EQ(-1, pwrite(self->fd, buf, BLK, (off_t)(100 + i) * BLK));
		EXPECT_EQ(EIO, errno);
	}
	disk_snap(self->m, self->major, self->minor, &b);
	bpfmon_consume(self->m, &handlers, &ev);

	EXPECT_EQ(nerr, b.op[BPFMON_OP_WRITE].errors - a.op[BPFMON_OP_WRITE].errors);
	ASSERT_EQ(nerr, ev.nio);
	for (int i = 0; i < ev.nio; i++) {
		EXPECT_EQ(self->minor, ev.io[i].minor);
		EXPECT_EQ(BPFMON_OP_WRITE, ev.io[i].op);
		EXPECT_EQ(EIO, ev.io[i].err);
		EXPECT_EQ((uint64_t)(100 + i) * BLK >> 9, ev.io[i].sector);
	}
	free(buf);
}

TEST_HARNESS_MAIN
