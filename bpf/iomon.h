/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by iomon.bpf.c and its loader (userspace/heald/bpfmon.c). */
#ifndef __HEAL_IOMON_H
#define __HEAL_IOMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Latency histogram: slot i counts completions that took [2^i, 2^(i+1))
 * microseconds, slot 0 also takes 0-1 us and the last slot everything above
 * 2^26 us (67 s), as biolatency's log2 slots.
 */
#define IOMON_HIST_SLOTS	27

enum iomon_op {
	IOMON_OP_READ,
	IOMON_OP_WRITE,
	IOMON_OP_FLUSH,
	IOMON_OP_DISCARD,
	IOMON_OP_OTHER,
	IOMON_OP_NR,
};

/* One disk (whole gendisk, not a partition) and one kind of operation. */
struct iomon_key {
	__u32 major;
	__u32 minor;
	__u32 op;		/* enum iomon_op */
};

/* Per CPU; the loader sums over CPUs. */
struct iomon_val {
	__u64 count;		/* requests completed (their last part) */
	__u64 bytes;		/* bytes completed, partial completions too */
	__u64 errors;		/* completions with an error status */
	__u64 hist[IOMON_HIST_SLOTS];
};

/* Index into the per-CPU "iomon_stats" array: what the programs had to drop. */
enum iomon_stat {
	IOMON_STAT_UNTIMED,		/* issue not timed: its start slot was taken */
	IOMON_STAT_RINGBUF_FULL,	/* error event lost: ring buffer full */
	IOMON_STAT_NR,
};

/* One failed request, through the "iomon_errors" ring buffer. */
struct iomon_error_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 sector;		/* first sector of the failed completion */
	__u32 major;
	__u32 minor;
	__u32 nr_sectors;
	__u32 op;		/* enum iomon_op */
	__u32 cmd_flags;	/* the request's raw REQ_OP | REQ_* flags */
	/*
	 * The tracepoint's error argument as the kernel passed it: a
	 * blk_status_t (> 0) on newer kernels, a negative errno on older
	 * ones (see iomon_complete()); the loader converts either to errno.
	 */
	__s32 status;
};

#endif /* __HEAL_IOMON_H */
