// SPDX-License-Identifier: GPL-2.0
/*
 * iomon: block I/O latency, counts, bytes and errors per disk and operation.
 *
 * issue -> complete latency keyed by the request pointer, as bcc
 * libbpf-tools biolatency.  The hot path only updates maps: a ring-buffer
 * record per I/O measured ~8 us against ~0.4 us for a per-CPU map update, so
 * only failed requests (rare) go through the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "iomon.h"

#define MAX_INFLIGHT	10240	/* requests between issue and complete */
#define MAX_DISK_KEYS	1024	/* (disk, op) pairs */
#define REQ_OP_MASK	0xff	/* (1 << REQ_OP_BITS) - 1, REQ_OP_BITS = 8 since v4.10 */

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, u64);	/* struct request * */
	__type(value, u64);	/* issue time, ns */
} iomon_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_DISK_KEYS);
	__type(key, struct iomon_key);
	__type(value, struct iomon_val);
} iomon_disks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOMON_STAT_NR);
	__type(key, u32);
	__type(value, u64);
} iomon_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} iomon_errors SEC(".maps");

/*
 * commit d152c682f03c ("block: add an explicit ->disk backpointer to the
 * request_queue", v5.15) and commit f3fa33acca9f ("block: remove the
 * ->rq_disk field in struct request", v5.17) moved the gendisk from the
 * request to its queue; these flavours let one object read either, as
 * libbpf-tools core_fixes.bpf.h get_disk().
 */
struct request_queue___x {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request___x {
	struct request_queue___x *q;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *rq_disk(void *request)
{
	struct request___x *r = request;

	if (bpf_core_field_exists(r->rq_disk))
		return BPF_CORE_READ(r, rq_disk);
	return BPF_CORE_READ(r, q, disk);
}

static __always_inline void stat_inc(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&iomon_stats, &idx);

	if (v)
		(*v)++;	/* per CPU: no other writer */
}

static __always_inline u32 op_of(u32 cmd_flags)
{
	/* REQ_OP_* numbers are fixed ABI-like values since v4.10. */
	switch (cmd_flags & REQ_OP_MASK) {
	case 0:	/* REQ_OP_READ */
		return IOMON_OP_READ;
	case 1:	/* REQ_OP_WRITE */
		return IOMON_OP_WRITE;
	case 2:	/* REQ_OP_FLUSH */
		return IOMON_OP_FLUSH;
	case 3:	/* REQ_OP_DISCARD */
		return IOMON_OP_DISCARD;
	default:
		return IOMON_OP_OTHER;
	}
}

/* floor(log2(v)) for v > 0, without loops (the verifier likes it flat). */
static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0, s;

	s = (v > 0xFFFFFFFFULL) << 5; v >>= s; r |= s;
	s = (v > 0xFFFF) << 4; v >>= s; r |= s;
	s = (v > 0xFF) << 3; v >>= s; r |= s;
	s = (v > 0xF) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(iomon_issue, struct request *rq)
{
	u64 key = (u64)rq;
	u64 ts = bpf_ktime_get_ns();

	/*
	 * A requeued request is issued again: overwrite, so its latency is
	 * that of the last attempt.
	 */
	if (bpf_map_update_elem(&iomon_start, &key, &ts, BPF_ANY))
		stat_inc(IOMON_STAT_INFLIGHT_FULL);
	return 0;
}

/*
 * The error argument: upstream v6.1 passed blk_status_to_errno(error), an
 * int (0 or a negative errno); later kernels pass the blk_status_t itself
 * (a u8, 0 or positive), and stable kernels got that change too (Debian's
 * 6.1.0-57 and 6.12 headers both say blk_status_t).  The raw tracepoint
 * widens each argument to u64 by its own type, so reading the slot as a
 * signed int tells the two apart by sign alone, on any kernel; the loader
 * converts to errno.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(iomon_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct iomon_key key = {};
	struct iomon_val *val, zero = {};
	struct gendisk *disk;
	u64 rqkey = (u64)rq;
	u64 *tsp, delta_us = 0;
	u32 cmd_flags, slot;
	bool first;

	disk = rq_disk(rq);
	if (!disk)
		return 0;
	cmd_flags = BPF_CORE_READ(rq, cmd_flags);
	key.major = BPF_CORE_READ(disk, major);
	key.minor = BPF_CORE_READ(disk, first_minor);
	key.op = op_of(cmd_flags);

	/*
	 * A request completes in parts when a driver ends it piecewise; it
	 * counts once (at its first completion after an issue we saw) and its
	 * bytes count in every part.
	 */
	tsp = bpf_map_lookup_elem(&iomon_start, &rqkey);
	first = tsp != NULL;
	if (tsp) {
		u64 now = bpf_ktime_get_ns();

		if (now > *tsp)
			delta_us = (now - *tsp) / 1000;
		bpf_map_delete_elem(&iomon_start, &rqkey);
	}

	val = bpf_map_lookup_elem(&iomon_disks, &key);
	if (!val) {
		bpf_map_update_elem(&iomon_disks, &key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&iomon_disks, &key);
		if (!val)
			return 0;
	}
	/* Per-CPU values: plain increments, no atomics needed. */
	val->bytes += nr_bytes;
	if (first) {
		val->count++;
		slot = delta_us ? log2_u64(delta_us) : 0;
		if (slot >= IOMON_HIST_SLOTS)
			slot = IOMON_HIST_SLOTS - 1;
		val->hist[slot]++;
	}
	if (!error)
		return 0;
	val->errors++;

	struct iomon_error_event *e;

	e = bpf_ringbuf_reserve(&iomon_errors, sizeof(*e), 0);
	if (!e) {
		stat_inc(IOMON_STAT_RINGBUF_FULL);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->sector = BPF_CORE_READ(rq, __sector);
	e->major = key.major;
	e->minor = key.minor;
	e->nr_sectors = nr_bytes >> 9;
	e->op = key.op;
	e->cmd_flags = cmd_flags;
	e->status = error;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
