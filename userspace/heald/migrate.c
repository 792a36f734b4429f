// SPDX-License-Identifier: GPL-2.0
/*
 * The migration policy's decisions, each tick: the view of the node's
 * workloads and of its peers (asked again when their answers are stale),
 * the pure policy (migrate_policy.c), and the journal: a move is written
 * with its evidence (every peer's state and objection) before
 * act_workload.c starts it; a decision to wait or keep is written when it
 * is news.  And the operator's drain and undrain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "heald.h"
#include "migrate_policy.h"

static struct json_object *peer_evidence(struct heald *h, const struct mp_in *in,
					 const struct mp_limits *lim, int wi)
{
	struct json_object *arr = json_object_new_array();
	char why[160];
	int k;

	for (k = 0; k < in->np; k++) {
		const struct mp_peer *p = &in->p[k];
		struct json_object *o = json_object_new_object();
		const char *unfit = mp_peer_unfit(p, k, &in->w[wi], lim, why, sizeof(why));

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "answered", json_object_new_boolean(p->answered));
		if (p->answered) {
			json_object_object_add(o, "age_s", json_object_new_double(p->age));
			json_object_object_add(o, "health", json_object_new_string(health_name(p->health & 3)));
			json_object_object_add(o, "receiving", json_object_new_int((int)p->receiving));
			json_object_object_add(o, "hosted", json_object_new_int((int)p->hosted));
			json_object_object_add(o, "receive_max", json_object_new_int((int)p->receive_max));
			json_object_object_add(o, "mem_available_bytes",
					       json_object_new_int64((int64_t)p->mem_available));
		} else if (h->peers[k].error[0]) {
			json_object_object_add(o, "error", json_object_new_string(h->peers[k].error));
		}
		json_object_object_add(o, "sent", json_object_new_int((int)p->sent));
		json_object_object_add(o, "capacity", json_object_new_int((int)p->capacity));
		json_object_object_add(o, "fit", json_object_new_boolean(!unfit));
		if (unfit)
			json_object_object_add(o, "unfit", json_object_new_string(unfit));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *evidence_of(struct heald *h, const struct mp_in *in,
				       const struct mp_limits *lim, const struct mp_out *o)
{
	const struct wl_track *w = &h->wl[o->workload];
	struct json_object *ev = json_object_new_object(), *a = json_object_new_array();
	int k;

	json_object_object_add(ev, "trigger", json_object_new_string(mp_trigger_name(o->trigger)));
	json_object_object_add(ev, "kind", json_object_new_string(wl_kind_name(w->conf->kind)));
	json_object_object_add(ev, "priority", json_object_new_int((int)w->conf->priority));
	json_object_object_add(ev, "cgroup", json_object_new_string(w->cgroup));
	if (w->conf->kind == WL_KIND_LIBVIRT) {
		json_object_object_add(ev, "domain", json_object_new_string(w->conf->domain));
		json_object_object_add(ev, "domain_state", json_object_new_string(w->vm_state));
	}
	json_object_object_add(ev, "processes", json_object_new_int((int)w->nprocs));
	json_object_object_add(ev, "memory_bytes", json_object_new_int64((int64_t)w->mem_bytes));
	for (k = 0; k < w->ndevs; k++)
		json_object_array_add(a, json_object_new_string(w->devs[k]));
	json_object_object_add(ev, "devices", a);
	if (w->at_risk)
		json_object_object_add(ev, "disk", json_object_new_string(w->risk));
	json_object_object_add(ev, "kills_in_window", json_object_new_int((int)in->w[o->workload].kills));
	if (w->drain)
		json_object_object_add(ev, "drain", json_object_new_int64((int64_t)w->drain_id));
	json_object_object_add(ev, "moves_under_way", json_object_new_int((int)in->moving));
	json_object_object_add(ev, "peers", peer_evidence(h, in, lim, o->workload));
	if (o->peer >= 0)
		json_object_object_add(ev, "chosen", json_object_new_string(in->p[o->peer].name));
	return ev;
}

/* The reason without its numbers: the same objection counting down is not news. */
static void reason_key(const char *reason, char *key, size_t len)
{
	size_t o = 0;

	for (; *reason && o + 1 < len; reason++)
		if (*reason < '0' || *reason > '9')
			key[o++] = *reason;
	key[o] = '\0';
}

/* A decision not to move now (wait, keep, dry run): journaled when it is news. */
static void note(struct heald *h, const struct mp_in *in, const struct mp_limits *lim,
		 const struct mp_out *o)
{
	struct wl_track *w = &h->wl[o->workload];
	const char *outcome = o->verdict == MP_KEEP ? "kept" : o->verdict == MP_WAIT ? "waiting" :
			      "not taken: dry run";
	char key[sizeof(w->noted)], res[48];
	struct json_object *e;
	uint64_t id;

	reason_key(o->reason, key, sizeof(key));
	snprintf(key + strlen(key), sizeof(key) - strlen(key), "|%s", outcome);
	if (!strcmp(key, w->noted) && now_mono() - w->noted_at < h->cfg.move_cooldown)
		return;
	snprintf(w->noted, sizeof(w->noted), "%s", key);
	w->noted_at = now_mono();
	snprintf(res, sizeof(res), "workload:%.31s", w->conf->name);
	e = decision_entry(h, res, w->conf->kind == WL_KIND_HOOK ? "hand-off" : "move",
			   o->trigger == MP_DRAIN ? "operator" : "policy", o->reason,
			   evidence_of(h, in, lim, o), false);
	id = jappend(h, e);
	if (id)
		jappend(h, outcome_entry(id, outcome, o->reason, true));
	hlog(LOG_NOTICE, "decision %llu: %s (%s)", (unsigned long long)id, o->reason, outcome);
}

static void decide_move(struct heald *h, const struct mp_in *in, const struct mp_limits *lim,
			const struct mp_out *o)
{
	struct wl_track *w = &h->wl[o->workload];
	struct json_object *e, *ev;
	char res[48];
	uint64_t id;

	snprintf(res, sizeof(res), "workload:%.31s", w->conf->name);
	ev = evidence_of(h, in, lim, o);
	e = decision_entry(h, res, w->conf->kind == WL_KIND_HOOK ? "hand-off" : "move",
			   o->trigger == MP_DRAIN ? "operator" : "policy", o->reason, json_object_get(ev),
			   true);
	if (o->peer >= 0)
		json_object_object_add(e, "peer", json_object_new_string(in->p[o->peer].name));
	/* On disk before anything moves. */
	id = jappend(h, e);
	if (!id) {
		json_object_put(ev);
		return;
	}
	hlog(LOG_NOTICE, "decision %llu: %s", (unsigned long long)id, o->reason);
	w->noted[0] = '\0';
	move_begin(h, w, o->peer, id, o->reason, ev);
}

/* The policy's view of the node: its workloads and what the peers said. */
static void policy_view(struct heald *h, struct mp_workload *mw, struct mp_peer *mp, double now)
{
	int i;

	for (i = 0; i < h->nwl; i++) {
		const struct wl_track *w = &h->wl[i];

		mw[i] = (struct mp_workload){
			.name = w->conf->name, .kind = w->conf->kind, .priority = w->conf->priority,
			.opt_out = w->conf->opt_out, .present = w->nprocs > 0 && w->state != WL_MOVED,
			.moving = w->move != NULL,
			.drain = w->drain, .disk_at_risk = w->at_risk,
			.kills = serd_in_window(&w->kills, now), .last_failed = w->last_failed,
			.failed_peers = w->failed_peers, .mem_bytes = w->mem_bytes,
		};
	}
	for (i = 0; i < h->npeers; i++) {
		const struct peer_track *p = &h->peers[i];

		mp[i] = (struct mp_peer){
			.name = p->conf->name, .answered = p->answered,
			.age = p->answered_at ? now - p->answered_at : 1e9, .health = p->health,
			.accepting = p->accepting, .receiving = p->receiving, .hosted = p->hosted,
			.receive_max = p->receive_max, .mem_available = p->mem_available,
			.capacity = p->conf->capacity, .sent = p->sent, .inflight = p->inflight,
		};
	}
}

void wl_tick(struct heald *h)
{
	struct mp_workload mw[MP_MAX_WORKLOADS];
	struct mp_peer mp[MP_MAX_PEERS];
	struct mp_out out[MP_MAX_WORKLOADS];
	struct mp_limits lim = {
		.max_moves = h->cfg.max_moves, .move_on_kills = h->cfg.move_on_kills,
		.cooldown = h->cfg.move_cooldown, .peer_max_age = h->cfg.peer_max_age,
		.dry_run = h->cfg.dry_run,
	};
	struct mp_in in = { mw, h->nwl, mp, h->npeers, h->moving, now_mono() };
	bool asking = false, wanted = false;
	int i, n;

	/* A node with no workloads of its own still receives, and asks its peers. */
	peer_tick(h);
	if (!h->nwl)
		return;
	wl_inventory(h, false);
	policy_view(h, mw, mp, in.now);
	for (i = 0; i < h->nwl; i++)
		wanted |= mw[i].present && !mw[i].moving && !mw[i].opt_out &&
			  mw[i].kind != WL_KIND_NONE && mp_trigger_of(&mw[i], &lim) != MP_NONE;
	/* Before choosing a peer: what each says of itself now, not a minute ago. */
	for (i = 0; wanted && i < h->npeers; i++) {
		struct peer_track *p = &h->peers[i];

		if (mp[i].age <= h->cfg.peer_max_age)
			continue;	/* fresh enough; an ask under way may refresh it */
		if (!p->asking && in.now - p->asked_at > h->cfg.peer_max_age)
			peer_ask(h, p);
		asking |= p->asking;
	}
	if (asking)
		return;		/* decided when the answers are in */
	n = mp_decide(&in, &lim, out, MP_MAX_WORKLOADS);
	for (i = 0; i < n; i++) {
		if (out[i].verdict == MP_MOVE && !out[i].suppressed)
			decide_move(h, &in, &lim, &out[i]);
		else
			note(h, &in, &lim, &out[i]);
		in.moving = h->moving;
		policy_view(h, mw, mp, in.now);
	}
}

uint64_t wl_act_drain(struct heald *h, const char *name, bool all, bool drain, uid_t uid, pid_t pid,
		      char *err, size_t errlen)
{
	struct json_object *e, *ev, *names = json_object_new_array();
	char reason[200], res[48];
	uint64_t id;
	int i, n = 0;

	if (!all && !wl_find(h, name)) {
		snprintf(err, errlen, "no workload '%s' (healctl status lists them)", name);
		json_object_put(names);
		return 0;
	}
	if (!all && drain && wl_find(h, name)->conf->opt_out) {
		snprintf(err, errlen, "workload '%s' opted out of moves (opt_out = yes)", name);
		json_object_put(names);
		return 0;
	}
	for (i = 0; i < h->nwl; i++)
		if (all ? !h->wl[i].conf->opt_out || !drain : !strcmp(h->wl[i].conf->name, name)) {
			json_object_array_add(names, json_object_new_string(h->wl[i].conf->name));
			n++;
		}
	snprintf(res, sizeof(res), all ? "workloads" : "workload:%.31s", name);
	snprintf(reason, sizeof(reason), "asked by uid %u (pid %d)", uid, (int)pid);
	ev = json_object_new_object();
	json_object_object_add(ev, "source", json_object_new_string("control socket"));
	json_object_object_add(ev, "uid", json_object_new_int((int)uid));
	json_object_object_add(ev, "pid", json_object_new_int((int)pid));
	json_object_object_add(ev, "workloads", names);
	e = decision_entry(h, res, drain ? "drain" : "undrain", "operator", reason, ev, true);
	id = jappend(h, e);
	if (!id) {
		snprintf(err, errlen, "journal: %s: nothing done", strerror(errno));
		return 0;
	}
	for (i = 0; i < h->nwl; i++)
		if (all ? !h->wl[i].conf->opt_out || !drain : !strcmp(h->wl[i].conf->name, name)) {
			h->wl[i].drain = drain;
			h->wl[i].drain_id = drain ? id : 0;
			h->wl[i].noted[0] = '\0';
		}
	snprintf(reason, sizeof(reason), drain ?
		 "%d workload%s marked to leave: each moves when a peer can take it (healctl why shows the moves)" :
		 "%d workload%s stay%s here; moves under way finish", n, n == 1 ? "" : "s",
		 drain ? "" : n == 1 ? "s" : "");
	jappend(h, outcome_entry(id, drain ? "drained" : "undrained", reason, true));
	hlog(LOG_NOTICE, "decision %llu: %s %s: %s", (unsigned long long)id, drain ? "drain" : "undrain",
	     all ? "all" : name, reason);
	wl_inventory(h, true);
	return id;
}

