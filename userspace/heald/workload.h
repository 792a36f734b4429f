/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workloads and peers: what heald tracks of each [workload] (its
 * processes, the block devices and mounts under the files they use, its
 * health) and of each [peer] (what its heald last said of itself), and
 * what this node receives from its own peers.  Filled by workload.c
 * (inventory) and peer.c (asks, receiving); moved by act_workload.c.
 */
#ifndef HEALD_WORKLOAD_H
#define HEALD_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "config.h"
#include "serd.h"

#define WL_MAX_DEVS 8		/* block devices under a workload, top to bottom */
#define WL_MAX_MOUNTS 8
#define WL_MAX_PIDS 4096	/* a cgroup's processes looked at */
#define HEALD_MAX_INCOMING 4
#define HEALD_MAX_HOSTED 64

enum wl_state {
	WL_ABSENT,	/* no process of it runs here */
	WL_HERE,	/* it runs here */
	WL_MOVING,	/* a move is under way */
	WL_MOVED,	/* heald moved it to a peer */
};

struct move;

struct wl_track {
	const struct workload_conf *conf;
	char cgroup[160];	/* under the cgroup2 mount; "" while not found */
	uint32_t nprocs;
	uint32_t ntrees;	/* process trees (CRIU moves one) */
	pid_t root;		/* the root of its (first) tree */
	uint64_t mem_bytes;	/* memory.current */
	char devs[WL_MAX_DEVS][32];	/* block devices under its files */
	int ndevs;
	char mounts[WL_MAX_MOUNTS][64];	/* where they are mounted */
	int nmounts;
	int health;		/* enum health */
	char why[200];
	bool at_risk;		/* a device under it fails with no redundancy or spare */
	char risk[200];
	struct serd kills;	/* crashes and OOM kills of its cgroups */
	uint64_t kills_seen;	/* procmon's count when last looked */
	char kills_for[160];	/* the cgroup that count is of ("": none looked at yet) */
	bool drain;		/* the operator asked it off the node, until undrain */
	uint64_t drain_id;	/* the journal entry of that */
	enum wl_state state;
	char peer[32];		/* where it went, or goes */
	struct move *move;	/* under way */
	double last_failed;	/* monotonic, 0: its last move did not fail */
	double gone_by;		/* moved: its originals are gone by then (monotonic) */
	uint32_t failed_peers;	/* bit i: peer i failed it */
	uint64_t moves, moves_failed;
	/* The last move's final outcome (the journal has them all; status shows this one). */
	uint64_t last_id;	/* its decision, 0: no move since heald started */
	char last_outcome[16];	/* moved, failed, interrupted */
	char last_detail[256];
	double last_at;		/* monotonic */
	char noted[320];	/* the last wait/keep reason journaled */
	double noted_at;
	/* kind = libvirt (libvirt.c): what heal-vmmove inventory said last */
	bool vm_asking;		/* an inventory runs */
	double vm_asked_at;	/* monotonic */
	uint32_t move_starts;	/* moves begun since heald started */
	uint32_t vm_asked_gen;	/* move_starts when the inventory running was asked */
	char vm_state[16];	/* libvirt's: running, paused, shut-off ...; "" if not defined here */
	char vm_error[160];	/* why libvirt gave no answer */
	char vm_disks[WL_MAX_DEVS][128];	/* its disk sources */
	int nvm_disks;
};

struct peer_track {
	const struct peer_conf *conf;
	bool asking;		/* an ask is under way */
	double asked_at, answered_at;	/* monotonic, 0: never */
	bool answered;		/* the last ask was answered */
	char error[200];	/* why not */
	char node[64];		/* its name for itself */
	int health;		/* enum health, as it says */
	bool accepting;
	uint32_t receiving, hosted, receive_max;
	uint64_t mem_available;
	uint32_t sent;		/* workloads of ours it took */
	bool inflight;		/* a move of ours goes to it */
	bool counted_ours;	/* its last answer came while ours was under way */
};

/* This node as a peer: a move coming in, and what came. */
struct incoming {
	char workload[32], from[64];
	double since, deadline;	/* monotonic */
	uint64_t entry;		/* journal id of "receive" */
};

struct hosted {
	char workload[32], from[64];
	pid_t pid;		/* 0: a libvirt domain, */
	char domain[64];	/* this one (its source saw it run here) */
	double since;		/* realtime */
};

const char *wl_state_name(enum wl_state s);

#endif
