// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "policy.h"

const char *policy_action_name(enum policy_action a)
{
	switch (a) {
	case ACT_NONE: return "none";
	case ACT_FAIL_LEG: return "fail-leg";
	case ACT_REPLACE_LEG: return "replace-leg";
	case ACT_REBUILD: return "rebuild";
	case ACT_REPORT: return "report";
	case ACT_KEEP: return "keep";
	case ACT_COPY_TO_SPARE: return "copy-to-spare";
	}
	return "?";
}

uint32_t policy_redundancy(const struct policy_dev *d, int leg)
{
	uint32_t i, n = 0;

	for (i = 0; i < d->nr_legs && i < HEALBLK_MAX_LEGS; i++)
		if ((int)i != leg && d->leg_state[i] == HEALBLK_LEG_IN_SYNC)
			n++;
	return n;
}

int policy_failed_leg(const struct policy_dev *d)
{
	uint32_t i;

	for (i = 0; i < d->nr_legs && i < HEALBLK_MAX_LEGS; i++)
		if (d->leg_state[i] == HEALBLK_LEG_FAILED ||
		    d->leg_state[i] == HEALBLK_LEG_MISSING)
			return (int)i;
	return -1;
}

void policy_decide(const struct policy_in *in, const struct policy_limits *lim,
		   struct policy_out *out)
{
	const struct policy_dev *d = &in->dev;
	uint32_t others;

	out->action = ACT_NONE;
	out->suppressed = false;
	out->reason[0] = '\0';

	if (in->leg < 0) {
		/*
		 * A leg failed (by the kernel's own threshold or by hand) and
		 * nothing rebuilds it: put a spare in.  With the kernel's
		 * auto_spare on it does that itself, and a second rebuild
		 * request would only race it.
		 */
		if (policy_failed_leg(d) < 0 || d->sync_running || !d->nr_spares)
			return;
		if (d->kernel_auto_spare) {
			snprintf(out->reason, sizeof(out->reason),
				 "leg %d failed; the kernel's auto_spare rebuilds it", policy_failed_leg(d));
			return;
		}
		out->action = ACT_REBUILD;
		snprintf(out->reason, sizeof(out->reason),
			 "leg %d failed and a spare stands by: rebuild onto it", policy_failed_leg(d));
	} else {
		if (in->leg >= (int)d->nr_legs || d->leg_state[in->leg] != HEALBLK_LEG_IN_SYNC) {
			snprintf(out->reason, sizeof(out->reason),
				 "leg %d is not in sync: nothing to take out", in->leg);
			return;
		}
		others = policy_redundancy(d, in->leg);
		if (!others) {
			/* Failing the last good copy loses the data: never. */
			out->action = ACT_REPORT;
			snprintf(out->reason, sizeof(out->reason),
				 "leg %d is failing and no other leg is in sync: kept, workloads flagged",
				 in->leg);
			return;
		}
		/*
		 * A disk that only predicts its failure still holds a good
		 * copy: failing it with nothing to rebuild onto would lose
		 * that copy sooner.  It is replaced when a spare can take its
		 * place, and kept until then.
		 */
		if (in->predictive && !(d->nr_spares && !d->sync_running)) {
			out->action = ACT_KEEP;
			snprintf(out->reason, sizeof(out->reason),
				 "leg %d's disk predicts its failure; %s: kept in the mirror until a spare can take its place",
				 in->leg, d->sync_running ? "a sync runs" : "no spare stands by");
			return;
		}
		/*
		 * It still serves: copied to the spare while it does (md's
		 * want_replacement), the mirror never a copy short.  A disk
		 * that is failing (errors) is failed first, as md's policy
		 * would: its errors slow every I/O that meets it.
		 */
		out->action = d->nr_spares && !d->sync_running ? ACT_REPLACE_LEG : ACT_FAIL_LEG;
		if (out->action == ACT_REPLACE_LEG && in->predictive && d->can_copy)
			out->action = ACT_COPY_TO_SPARE;
		snprintf(out->reason, sizeof(out->reason),
			 "leg %d %s; %u other leg%s in sync%s", in->leg,
			 in->predictive ? "predicts its failure" : "is failing", others,
			 others == 1 ? "" : "s",
			 out->action == ACT_COPY_TO_SPARE ?
			 ", a spare stands by: copy it there while it serves, then swap" :
			 out->action == ACT_REPLACE_LEG ? ", a spare stands by: fail it and rebuild" :
			 d->sync_running ? ", a sync runs: fail it, rebuild later" :
			 ", no spare: fail it");
	}

	if (lim->dry_run) {
		out->suppressed = true;
		return;
	}
	if (in->last_action > 0 && in->now - in->last_action < lim->cooldown) {
		out->suppressed = true;
		snprintf(out->reason + strlen(out->reason), sizeof(out->reason) - strlen(out->reason),
			 " (cooldown: %.0f s left)", lim->cooldown - (in->now - in->last_action));
		return;
	}
	if (lim->max_per_hour && in->actions_last_hour >= lim->max_per_hour) {
		out->suppressed = true;
		snprintf(out->reason + strlen(out->reason), sizeof(out->reason) - strlen(out->reason),
			 " (rate limit: %u actions in the last hour)", in->actions_last_hour);
	}
}
