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

#define START_BITS	14	/* 16384 slots for requests in flight */
#define MAX_DISK_KEYS	1024	/* (disk, op) pairs */
#define REQ_OP_MASK	0xff	/* (1 << REQ_OP_BITS) - 1, REQ_OP_BITS = 8 since v4.10 */

char LICENSE[] SEC("license") = "GPL";

/*
 * Issue times, in a direct-mapped table indexed by a hash of the request
 * pointer, not a hash map: a hash-map update, lookup and delete per I/O
 * (biolatency's way) measured ~700 ns per request and cost 29% of the IOPS
 * of a memory-backed loop device on 2 CPUs; array slots take no lock.  Two
 * requests in flight on the same slot: the later one wins, the earlier is
 * counted but not timed (IOMON_STAT_UNTIMED).
 */
struct start {
	u64 rq;			/* struct request *, 0: free */
	u64 ts;			/* issue time, ns */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << START_BITS);
	__type(key, u32);
	__type(value, struct start);
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

/*
 * tp_btf arguments are typed pointers: plain dereferences are checked by the
 * verifier, relocated by CO-RE (preserve_access_index), and cost a load each
 * where BPF_CORE_READ() costs a bpf_probe_read_kernel() call per hop (that
 * took ~150 ns of iomon_complete's ~310).
 */
static __always_inline struct gendisk *rq_disk(void *request)
{
	struct request___x *r = request;

	if (bpf_core_field_exists(r->rq_disk))
		return r->rq_disk;
	return r->q->disk;
}

static __always_inline void stat_inc(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&iomon_stats, &idx);

	if (v)
		(*v)++;	/* per CPU: no other writer */
}

/*
 * The request pointer as a plain number: the verifier refuses arithmetic on
 * a typed (BTF) pointer, so copy the raw tracepoint argument out.
 */
static __always_inline u64 rq_addr(unsigned long long *ctx)
{
	u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ctx[0]);
	return v;
}

static __always_inline u32 start_slot(u64 rq)
{
	/* Requests are a few hundred bytes apart: drop low bits, then Fibonacci hashing. */
	return (u32)(((rq >> 6) * 0x9E3779B97F4A7C15ULL) >> (64 - START_BITS));
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
	u64 addr = rq_addr(ctx);
	u32 slot = start_slot(addr);
	struct start *st = bpf_map_lookup_elem(&iomon_start, &slot);

	if (!st)
		return 0;
	/* A requeued request is issued again: its latency is the last attempt's. */
	if (st->rq && st->rq != addr)
		stat_inc(IOMON_STAT_UNTIMED);
	st->rq = addr;
	st->ts = bpf_ktime_get_ns();
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
	struct start *st;
	u32 cmd_flags, slot;

	disk = rq_disk(rq);
	if (!disk)
		return 0;
	cmd_flags = rq->cmd_flags;
	key.major = disk->major;
	key.minor = disk->first_minor;
	key.op = op_of(cmd_flags);

	val = bpf_map_lookup_elem(&iomon_disks, &key);
	if (!val) {
		bpf_map_update_elem(&iomon_disks, &key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&iomon_disks, &key);
		if (!val)
			return 0;
	}
	/* Per-CPU values: plain increments, no atomics needed. */
	val->bytes += nr_bytes;

	/*
	 * A driver may end a request in parts (blk_update_request() with
	 * fewer bytes than are left); the request counts once, at the part
	 * that finishes it, and its bytes count in every part.
	 */
	if (nr_bytes >= rq->__data_len) {
		val->count++;
		u64 addr = rq_addr(ctx);

		slot = start_slot(addr);
		st = bpf_map_lookup_elem(&iomon_start, &slot);
		if (st && st->rq == addr) {
			u64 now = bpf_ktime_get_ns(), delta_us = 0;
			/*
			 * u64, not u32: 6.1's verifier loses the bound
			 * below across the 32-bit zero extension clang
			 * emits ("R1 unbounded memory access").
			 */
			u64 hslot;

			if (now > st->ts)
				delta_us = (now - st->ts) / 1000;
			st->rq = 0;
			hslot = delta_us ? log2_u64(delta_us) : 0;
			if (hslot >= IOMON_HIST_SLOTS)
				hslot = IOMON_HIST_SLOTS - 1;
			val->hist[hslot]++;
		}
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
	e->sector = rq->__sector;
	e->major = key.major;
	e->minor = key.minor;
	e->nr_sectors = nr_bytes >> 9;
	e->op = key.op;
	e->cmd_flags = cmd_flags;
	e->status = error;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
