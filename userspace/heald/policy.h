/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The disk-healing policy: pure decisions from a snapshot of one healblk
 * device and the alarm on one of its legs.  Nothing here does I/O; the
 * caller re-checks the device just before acting (the world may have
 * moved since the snapshot) and journals the decision first.
 */
#ifndef HEALD_POLICY_H
#define HEALD_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/healblk.h>

enum policy_action {
	ACT_NONE,
	ACT_FAIL_LEG,		/* take the failing leg out: redundancy remains */
	ACT_REPLACE_LEG,	/* fail it, and rebuild onto a spare */
	ACT_REBUILD,		/* a leg already failed: rebuild it onto a spare */
	ACT_REPORT,		/* no redundancy: never fail it, flag its workloads */
	ACT_KEEP,		/* predicted to fail, no spare: keep it in until one comes */
	ACT_COPY_TO_SPARE,	/* predicted to fail: copied to a spare while it serves, then swapped */
};

/* What the policy needs to know of the device (from a healblk dump). */
struct policy_dev {
	uint32_t nr_legs, nr_spares;
	uint32_t leg_state[HEALBLK_MAX_LEGS];
	bool sync_running;	/* a rebuild, resync or scrub in progress */
	bool kernel_auto_spare;	/* the kernel activates spares by itself */
	bool can_copy;		/* a slot is free for a copy while the leg serves (HEALBLK_REBUILD_REPLACE) */
};

struct policy_limits {
	double cooldown;	/* seconds between two actions on one device */
	uint32_t max_per_hour;	/* actions on the node in the last hour */
	bool dry_run;
};

struct policy_in {
	struct policy_dev dev;
	int leg;		/* the leg with the alarm, or -1: a failed leg seen */
	bool predictive;	/* the alarm is its disk's own prediction (SMART), not errors */
	double now, last_action;	/* last_action 0: never */
	uint32_t actions_last_hour;
};

struct policy_out {
	enum policy_action action;
	bool suppressed;	/* would act, but cooldown/rate limit/dry run */
	char reason[192];
};

/* The first failed or missing leg, or -1. */
int policy_failed_leg(const struct policy_dev *d);
/* In-sync legs other than @leg. */
uint32_t policy_redundancy(const struct policy_dev *d, int leg);
void policy_decide(const struct policy_in *in, const struct policy_limits *lim,
		   struct policy_out *out);
const char *policy_action_name(enum policy_action a);

#endif
