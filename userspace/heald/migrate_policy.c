// SPDX-License-Identifier: GPL-2.0
/* The workload-migration policy: pure, see migrate_policy.h. */
#include <stdio.h>
#include <string.h>
#include "migrate_policy.h"

const char *mp_trigger_name(enum mp_trigger t)
{
	switch (t) {
	case MP_NONE: return "none";
	case MP_DRAIN: return "drain";
	case MP_DISK: return "disk";
	case MP_KILLS: return "kills";
	}
	return "?";
}

const char *mp_verdict_name(enum mp_verdict v)
{
	switch (v) {
	case MP_MOVE: return "move";
	case MP_WAIT: return "wait";
	case MP_KEEP: return "keep";
	}
	return "?";
}

bool mp_dev_at_risk(const struct policy_dev *d, const bool *leg_alarm, char *why, size_t len)
{
	uint32_t i, in_sync = 0, healthy = 0;

	for (i = 0; i < d->nr_legs && i < HEALBLK_MAX_LEGS; i++) {
		if (d->leg_state[i] != HEALBLK_LEG_IN_SYNC)
			continue;
		in_sync++;
		healthy += !leg_alarm[i];
	}
	if (healthy)
		return false;
	/* A spare or a rebuild under way may still save it: the disk policy's turn. */
	if (d->nr_spares || d->sync_running)
		return false;
	if (!in_sync)
		snprintf(why, len, "no leg is in sync and no spare stands by");
	else
		snprintf(why, len, "its last in-sync leg%s failing, no redundancy and no spare left",
			 in_sync == 1 ? " is" : "s are");
	return true;
}

enum mp_trigger mp_trigger_of(const struct mp_workload *w, const struct mp_limits *lim)
{
	if (w->disk_at_risk)
		return MP_DISK;
	if (lim->move_on_kills && w->kills >= lim->move_on_kills)
		return MP_KILLS;
	if (w->drain)
		return MP_DRAIN;
	return MP_NONE;
}

const char *mp_peer_unfit(const struct mp_peer *p, int index, const struct mp_workload *w,
			  const struct mp_limits *lim, char *buf, size_t len)
{
	static const char *const health[] = { "ok", "degraded", "failing", "failed" };

	if (!p->answered)
		snprintf(buf, len, "%s did not answer", p->name);
	else if (p->age > lim->peer_max_age)
		snprintf(buf, len, "%s last answered %.0f s ago", p->name, p->age);
	else if (p->health != 0)
		snprintf(buf, len, "%s is %s", p->name,
			 p->health > 0 && p->health < 4 ? health[p->health] : "in an unknown state");
	else if (p->inflight || p->receiving)
		snprintf(buf, len, "%s is already receiving", p->name);
	else if (!p->accepting || p->hosted >= p->receive_max)
		snprintf(buf, len, "%s is full (it takes %u, holds %u)", p->name, p->receive_max,
			 p->hosted);
	else if (p->sent >= p->capacity)
		snprintf(buf, len, "%s is full (capacity %u for this node)", p->name, p->capacity);
	else if (w->mem_bytes && p->mem_available < w->mem_bytes + w->mem_bytes / 4)
		snprintf(buf, len, "%s is full (%llu MiB free, %llu MiB needed with a quarter spare)",
			 p->name, (unsigned long long)(p->mem_available >> 20),
			 (unsigned long long)((w->mem_bytes + w->mem_bytes / 4) >> 20));
	else if (index < 32 && (w->failed_peers >> index) & 1)
		snprintf(buf, len, "%s failed its last move", p->name);
	else
		return NULL;
	return buf;
}

/* Priority, then urgency, then the order of the configuration. */
static int before(const struct mp_in *in, const struct mp_limits *lim, int a, int b)
{
	const struct mp_workload *x = &in->w[a], *y = &in->w[b];
	enum mp_trigger tx = mp_trigger_of(x, lim), ty = mp_trigger_of(y, lim);
	static const int urgency[] = { [MP_NONE] = 0, [MP_DRAIN] = 1, [MP_KILLS] = 2, [MP_DISK] = 3 };

	if (x->priority != y->priority)
		return x->priority > y->priority;
	if (urgency[tx] != urgency[ty])
		return urgency[tx] > urgency[ty];
	return a < b;
}

/* The fitting peer holding the fewest of ours, then with the most memory; -1: none (@why). */
static int pick_peer(const struct mp_in *in, const struct mp_limits *lim, const struct mp_workload *w,
		     const bool *taken, uint32_t failed, char (*why)[96])
{
	struct mp_workload x = *w;
	int best = -1, k;

	x.failed_peers = failed;
	for (k = 0; k < in->np && k < MP_MAX_PEERS; k++) {
		struct mp_peer p = in->p[k];

		p.inflight |= taken[k];
		if (mp_peer_unfit(&p, k, &x, lim, why[k], sizeof(why[k])))
			continue;
		why[k][0] = '\0';
		if (best < 0 || p.sent < in->p[best].sent ||
		    (p.sent == in->p[best].sent && p.mem_available > in->p[best].mem_available))
			best = k;
	}
	return best;
}

int mp_decide(const struct mp_in *in, const struct mp_limits *lim, struct mp_out *out, int max)
{
	int idx[MP_MAX_WORKLOADS], n = 0, nout = 0, i, j;
	bool taken[MP_MAX_PEERS] = { false };
	uint32_t moving = in->moving;

	for (i = 0; i < in->nw && n < MP_MAX_WORKLOADS; i++) {
		const struct mp_workload *w = &in->w[i];

		if (w->present && !w->moving && mp_trigger_of(w, lim) != MP_NONE)
			idx[n++] = i;
	}
	/* Insertion sort: a handful of workloads. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && before(in, lim, idx[j], idx[j - 1]); j--) {
			int t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}

	for (i = 0; i < n && nout < max; i++) {
		const struct mp_workload *w = &in->w[idx[i]];
		struct mp_out *o = &out[nout++];
		char why[MP_MAX_PEERS][96];
		int best, k;
		size_t off;

		memset(o, 0, sizeof(*o));
		o->workload = idx[i];
		o->trigger = mp_trigger_of(w, lim);
		o->peer = -1;
		if (w->kind == WL_KIND_NONE || w->opt_out) {
			o->verdict = MP_KEEP;
			snprintf(o->reason, sizeof(o->reason), "%s: kept here, %s", w->name,
				 w->opt_out ? "it opted out of moves (opt_out = yes)" :
				 "heald does not move it (kind = none)");
			continue;
		}
		o->verdict = MP_WAIT;
		if (w->last_failed > 0 && in->now - w->last_failed < lim->cooldown) {
			snprintf(o->reason, sizeof(o->reason),
				 "%s: its last move failed; tried again in %.0f s (cooldown)", w->name,
				 lim->cooldown - (in->now - w->last_failed));
			continue;
		}
		if (moving >= lim->max_moves) {
			snprintf(o->reason, sizeof(o->reason), "%s: %u move%s under way (max_moves %u)",
				 w->name, moving, moving == 1 ? "" : "s", lim->max_moves);
			continue;
		}
		best = pick_peer(in, lim, w, taken, w->failed_peers, why);
		/* Another peer first; with none, the one that failed it, past the cooldown. */
		if (best < 0 && w->failed_peers)
			best = pick_peer(in, lim, w, taken, 0, why);
		if (best < 0 && !(w->kind == WL_KIND_HOOK && !in->np)) {
			off = (size_t)snprintf(o->reason, sizeof(o->reason), "%s: no peer can take it%s",
					       w->name, in->np ? ":" : " (no [peer] configured)");
			for (k = 0; k < in->np && k < MP_MAX_PEERS && off < sizeof(o->reason); k++)
				off += (size_t)snprintf(o->reason + off, sizeof(o->reason) - off, "%s %s",
							k ? ";" : "", why[k]);
			continue;
		}
		o->verdict = MP_MOVE;
		o->peer = best;
		o->suppressed = lim->dry_run;
		if (best >= 0) {
			taken[best] = true;
			snprintf(o->reason, sizeof(o->reason), "%s: move to %s (%s)", w->name,
				 in->p[best].name, o->trigger == MP_DRAIN ? "drained by the operator" :
				 o->trigger == MP_DISK ? "a device under it is failing without redundancy" :
				 "it keeps being killed here");
		} else {
			snprintf(o->reason, sizeof(o->reason), "%s: hand it to its hook (%s)", w->name,
				 o->trigger == MP_DRAIN ? "drained by the operator" :
				 o->trigger == MP_DISK ? "a device under it is failing without redundancy" :
				 "it keeps being killed here");
		}
		if (!lim->dry_run)
			moving++;
	}
	return nout;
}
