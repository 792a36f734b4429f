/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workload-migration policy: pure decisions from a snapshot of the
 * node's workloads and of what its peers last said about themselves.
 * Which workload leaves, why, and onto which peer.  Nothing here does I/O;
 * the caller asks the peers first (their answers come in @age seconds
 * old), journals every decision with its evidence before it acts, and the
 * peer itself refuses at the last moment if it became busy meanwhile.
 *
 * Rules:
 *  - a workload leaves when the operator drains it, when a device under
 *    it is failing with no redundancy and no spare left, or when it was
 *    killed (crash or OOM) move_on_kills times within the window;
 *  - kind none and opt-out workloads are reported, never moved;
 *  - highest priority first; at most max_moves moves at once; a workload
 *    whose move failed waits out the cooldown;
 *  - never onto a peer that did not answer lately, is degraded (or worse),
 *    is full (its own limit, our capacity for it, its free memory), or is
 *    already receiving; a peer that failed this workload's last move only
 *    when no other fits;
 *  - spread: the fitting peer that holds the fewest of ours, then the one
 *    with the most free memory; each peer takes one move at a time;
 *  - kind hook without peers configured moves without one (the hook's
 *    cluster manager places it).
 */
#ifndef HEALD_MIGRATE_POLICY_H
#define HEALD_MIGRATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "policy.h"

#define MP_MAX_WORKLOADS CONFIG_MAX_WORKLOADS
#define MP_MAX_PEERS CONFIG_MAX_PEERS

enum mp_trigger { MP_NONE, MP_DRAIN, MP_DISK, MP_KILLS };

enum mp_verdict {
	MP_MOVE,	/* move it now (onto .peer, or -1: the hook places it) */
	MP_WAIT,	/* it should leave, but not now: asked again later */
	MP_KEEP,	/* it should leave, but heald never moves it: reported */
};

struct mp_workload {
	const char *name;
	enum wl_kind kind;
	uint32_t priority;
	bool opt_out;
	bool present;		/* it has processes on this node */
	bool moving;		/* a move of it is under way */
	bool drain;		/* the operator asked it off the node */
	bool disk_at_risk;	/* a device under it fails with no redundancy or spare */
	uint32_t kills;		/* crashes and OOM kills within the window */
	double last_failed;	/* when its last move failed (monotonic), 0: never */
	uint32_t failed_peers;	/* bit i: peer i failed its last move */
	uint64_t mem_bytes;	/* what it needs on the peer */
};

/* Peer health as its heald reports it: health.c's ok / degraded / failing / failed. */
struct mp_peer {
	const char *name;
	bool answered;		/* its heald answered the last ask */
	double age;		/* seconds since that answer */
	int health;		/* 0 ok, 1 degraded, 2 failing, 3 failed */
	bool accepting;		/* it takes workloads at all (receive_max > 0) */
	uint32_t receiving;	/* moves it is receiving now, from anyone */
	uint32_t hosted, receive_max;	/* workloads it took in, and its limit */
	uint64_t mem_available;	/* bytes */
	uint32_t capacity;	/* what this node's config lets it take from us */
	uint32_t sent;		/* workloads of ours it holds */
	bool inflight;		/* a move of ours is going to it */
};

struct mp_limits {
	uint32_t max_moves;
	uint32_t move_on_kills;	/* 0: kills never move a workload */
	double cooldown;	/* after a failed move */
	double peer_max_age;	/* older answers do not count */
	bool dry_run;
};

struct mp_in {
	const struct mp_workload *w;
	int nw;
	const struct mp_peer *p;
	int np;
	uint32_t moving;	/* moves under way now */
	double now;
};

struct mp_out {
	int workload;		/* index into mp_in.w */
	enum mp_trigger trigger;
	enum mp_verdict verdict;
	int peer;		/* MP_MOVE: index into mp_in.p, or -1 */
	bool suppressed;	/* MP_MOVE, but dry run: journaled, not taken */
	char reason[320];
};

/* What makes @w leave, by urgency: a device at risk, kills, the operator. */
enum mp_trigger mp_trigger_of(const struct mp_workload *w, const struct mp_limits *lim);
/*
 * Decide for every workload that should leave, highest priority first:
 * the number of decisions written to @out (at most @max).
 */
int mp_decide(const struct mp_in *in, const struct mp_limits *lim, struct mp_out *out, int max);
/* Why peer @p cannot take @w now (@buf), or NULL when it can. */
const char *mp_peer_unfit(const struct mp_peer *p, int index, const struct mp_workload *w,
			  const struct mp_limits *lim, char *buf, size_t len);
/*
 * A device whose workloads must leave: no in-sync leg, or its last
 * in-sync leg failing (@leg_alarm[i]: leg i has an alarm), with no spare
 * standing by and no rebuild running.  @why says so.
 */
bool mp_dev_at_risk(const struct policy_dev *d, const bool *leg_alarm, char *why, size_t len);
const char *mp_trigger_name(enum mp_trigger t);
const char *mp_verdict_name(enum mp_verdict v);

#endif
