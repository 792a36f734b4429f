/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfmon: heald's view of the eBPF monitors (bpf/iomon, netmon, procmon).
 *
 * bpfmon_open() loads and attaches what the running kernel allows; a
 * program it refuses is recorded with libbpf's reason (bpfmon_status()) and
 * the others keep working.  Counters are cumulative since open: callers take
 * differences between two reads.  Kills and I/O errors arrive as events on
 * bpfmon_fd(), an epoll-able fd, and are delivered by bpfmon_consume().
 *
 * Needs CAP_BPF and CAP_PERFMON (or root).  Not thread-safe: one thread uses
 * one instance; independent instances share nothing.
 */
#ifndef HEAL_BPFMON_H
#define HEAL_BPFMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BPFMON_HIST_SLOTS	27	/* == IOMON_HIST_SLOTS */
#define BPFMON_NSIG		32	/* == PROCMON_NSIG */

struct bpfmon;

/* Monitors, for bpfmon_open_only(). */
enum bpfmon_part {
	BPFMON_IO = 1 << 0,
	BPFMON_NET = 1 << 1,
	BPFMON_PROC = 1 << 2,
	BPFMON_ALL = BPFMON_IO | BPFMON_NET | BPFMON_PROC,
};

enum bpfmon_op {
	BPFMON_OP_READ,
	BPFMON_OP_WRITE,
	BPFMON_OP_FLUSH,
	BPFMON_OP_DISCARD,
	BPFMON_OP_OTHER,
	BPFMON_OP_NR,
};

/* One failed block request (an event). */
struct bpfmon_io_error {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	unsigned int major, minor;	/* the whole disk */
	uint64_t sector;
	uint32_t nr_sectors;
	enum bpfmon_op op;
	int err;			/* positive errno (EIO, ENOSPC, ...) */
	int blk_status;			/* BLK_STS_*, or -1 on kernels that pass errno */
};

/* One process killed: by the OOM killer, or by a crash signal (an event). */
struct bpfmon_kill {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	uint64_t cgroup_id;		/* cgroup v2 id: inode of its directory */
	pid_t pid;
	int oom;			/* 1: OOM victim (sig is SIGKILL) */
	int sig;			/* SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE */
	int core_dumped;
	/* OOM on old kernels: comm/cgroup are the OOM-invoking task's. */
	int invoker;
	uid_t uid;			/* OOM on newer kernels, else (uid_t)-1 */
	char comm[16];
};

struct bpfmon_handlers {
	void (*io_error)(void *ctx, const struct bpfmon_io_error *e);
	void (*kill)(void *ctx, const struct bpfmon_kill *k);
};

/* Counters of one (disk, op), summed over CPUs. */
struct bpfmon_disk {
	unsigned int major, minor;
	enum bpfmon_op op;
	uint64_t count;			/* requests completed */
	uint64_t bytes;
	uint64_t errors;
	/* hist[i]: requests of [2^i, 2^(i+1)) us, issue to completion */
	uint64_t hist[BPFMON_HIST_SLOTS];
};

struct bpfmon_retrans {
	uint32_t netns;			/* inode of /proc/PID/ns/net */
	int ifindex;			/* in that namespace; 0: unknown */
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* peer, network order; IPv4: first 4 */
	uint64_t count;
};

struct bpfmon_drop {
	uint32_t netns;
	int ifindex;
	unsigned int reason;		/* the running kernel's skb_drop_reason */
	const char *reason_name;	/* "NETFILTER_DROP", ...; valid during the callback */
	uint64_t count;
};

struct bpfmon_cgroup {
	uint64_t cgroup_id;
	uint64_t oom_kills;
	uint64_t crashes[BPFMON_NSIG];	/* by signal number */
};

/* What the programs had to drop (maps or ring buffers full). */
struct bpfmon_lost {
	uint64_t io_untimed;		/* requests counted, not timed (slot taken) */
	uint64_t io_errors_lost;	/* error events lost (counters have them) */
	uint64_t kills_lost;		/* kill events lost (counters have them) */
};

/*
 * Load and attach all monitors (bpfmon_open) or some (bpfmon_open_only, a
 * mask of enum bpfmon_part).  NULL, with a message in err, only when not a
 * single program could be attached.
 */
struct bpfmon *bpfmon_open(char *err, size_t errlen);
struct bpfmon *bpfmon_open_only(unsigned int parts, char *err, size_t errlen);
void bpfmon_close(struct bpfmon *m);

/* cb once per program: attached or not and, if not, why.  Returns #failed. */
int bpfmon_status(struct bpfmon *m,
		  void (*cb)(void *ctx, const char *prog, int attached, const char *why),
		  void *ctx);

/* One fd for every ring buffer; readable (EPOLLIN) when events wait. */
int bpfmon_fd(struct bpfmon *m);

/* Deliver every waiting event; returns how many, or -errno. */
int bpfmon_consume(struct bpfmon *m, const struct bpfmon_handlers *h, void *ctx);

/* Snapshots of the counters; each returns the number of callbacks or -errno. */
int bpfmon_disks(struct bpfmon *m,
		 void (*cb)(void *ctx, const struct bpfmon_disk *d), void *ctx);
int bpfmon_net(struct bpfmon *m,
	       void (*retrans)(void *ctx, const struct bpfmon_retrans *r),
	       void (*drop)(void *ctx, const struct bpfmon_drop *d), void *ctx);
int bpfmon_procs(struct bpfmon *m,
		 void (*cb)(void *ctx, const struct bpfmon_cgroup *c), void *ctx);
int bpfmon_lost(struct bpfmon *m, struct bpfmon_lost *out);

/*
 * Pure helpers (no BPF), for heald's diagnosis and unit tests.
 *
 * bpfmon_hist_pct: the pct-th percentile (0 < pct <= 100) of a histogram of
 * n log2 slots as struct bpfmon_disk's, in microseconds, interpolated
 * linearly inside the slot it falls in; 0 for an empty histogram.
 */
double bpfmon_hist_pct(const uint64_t *hist, int n, double pct);
/*
 * errno for a blk_status_t (BLK_STS_IOERR -> EIO, ...), as the kernel's
 * blk_status_to_errno().  Statuses 14-17 were renumbered when
 * BLK_STS_ZONE_RESOURCE was removed (v6.5): zone_resource says the running
 * kernel still has it (bpfmon_open() decides from the kernel release).
 */
int bpfmon_blk_status_errno(int status, int zone_resource);
const char *bpfmon_op_name(enum bpfmon_op op);

#endif /* HEAL_BPFMON_H */
