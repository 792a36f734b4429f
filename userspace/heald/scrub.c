// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduled scrub in heald: the schedule of every array (scrub_sched.c
 * decides), the scrubs it starts and every scrub's end, journaled.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "../lib/hb_names.h"
#include "../lib/hb_text.h"
#include "../lib/hb_time.h"
#include "heald.h"
#include "scrub.h"

#define SCRUB_TRACKS (HEALD_MAX_DEVS * 2)
#define SCRUB_REPLAYED 64

struct track {
	bool used;
	uint8_t uuid[16];
	char uuid_s[37];
	struct scrub_hist hist;
	double seen;		/* wall clock: first seen in this run */
	double next;		/* the slot waited for (status, metrics) */
	double paused_due;	/* the slot whose wait was journaled */
	bool paused;
	uint64_t watching;	/* a scheduled scrub runs: its decision */
};

static struct track tracks[SCRUB_TRACKS];
static struct scrub_hist replayed[SCRUB_REPLAYED];
static int nreplayed;

void scrub_replay_entry(struct json_object *entry)
{
	scrub_replay(replayed, &nreplayed, SCRUB_REPLAYED, entry);
}

static struct track *track_of(const uint8_t uuid[16], bool make)
{
	struct track *t, *free_t = NULL;
	int i;

	for (i = 0; i < SCRUB_TRACKS; i++) {
		t = &tracks[i];
		if (t->used && !memcmp(t->uuid, uuid, 16))
			return t;
		if (!t->used && !free_t)
			free_t = t;
	}
	if (!make || !free_t)
		return NULL;
	t = free_t;
	memset(t, 0, sizeof(*t));
	t->used = true;
	memcpy(t->uuid, uuid, 16);
	hb_uuid_str(uuid, t->uuid_s);
	snprintf(t->hist.uuid, sizeof(t->hist.uuid), "%s", t->uuid_s);
	t->seen = now_wall();
	for (i = 0; i < nreplayed; i++)
		if (!strcmp(replayed[i].uuid, t->uuid_s)) {
			t->hist = replayed[i];
			t->watching = t->hist.open;
		}
	return t;
}

static struct json_object *scrub_entry(struct dev_track *d, struct track *t, const char *result)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string("scrub"));
	json_object_object_add(e, "resource", json_object_new_string(d->info.name));
	json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
	json_object_object_add(e, "uuid", json_object_new_string(t->uuid_s));
	json_object_object_add(e, "result", json_object_new_string(result));
	return e;
}

/* A scrub of @d ended (@s): journaled, with the decision it answers if heald started it. */
static void scrub_end(struct heald *h, struct dev_track *d, struct track *t,
		      const struct hb_sync_info *s)
{
	const char *result = s->kind == HEALBLK_SYNC_SCRUB ? hb_sync_status_name(s->status) : "unknown";
	struct json_object *e = scrub_entry(d, t, result);

	if (s->kind == HEALBLK_SYNC_SCRUB) {
		json_object_object_add(e, "mismatches", json_object_new_int64((int64_t)s->mismatches));
		json_object_object_add(e, "repaired", json_object_new_int64((int64_t)s->repaired));
		json_object_object_add(e, "unreadable", json_object_new_int64((int64_t)s->unreadable));
		t->hist.mismatches = s->mismatches;
		t->hist.repaired = s->repaired;
		t->hist.unreadable = s->unreadable;
	} else {
		json_object_object_add(e, "reason", json_object_new_string(
			"heald was not running when the scrub ended, and another sync followed it"));
	}
	if (t->watching)
		json_object_object_add(e, "ref", json_object_new_int64((int64_t)t->watching));
	jappend(h, e);
	hlog(LOG_INFO, "%s: scrub %s: %llu mismatches, %llu repaired, %llu unreadable", d->info.name,
	     result, (unsigned long long)s->mismatches, (unsigned long long)s->repaired,
	     (unsigned long long)s->unreadable);
	t->hist.last_done = now_wall();
	snprintf(t->hist.result, sizeof(t->hist.result), "%s", result);
	t->watching = 0;
}

void scrub_sync_event(struct heald *h, const struct hb_event *ev)
{
	struct dev_track *d = dev_find(h, ev->dev);
	struct track *t;

	if (!d || ev->sync.kind != HEALBLK_SYNC_SCRUB || ev->sync.status == HEALBLK_SYNC_RUNNING)
		return;
	t = track_of(d->info.uuid, true);
	if (t)
		scrub_end(h, d, t, &ev->sync);
}

static bool degraded(const struct dev_track *d)
{
	uint32_t i;

	for (i = 0; i < d->info.nr_legs && i < HEALBLK_MAX_LEGS; i++)
		if (d->info.legs[i].state != HEALBLK_LEG_IN_SYNC)
			return true;
	return d->info.state != HEALBLK_DEV_OPTIMAL;
}

static void scrub_start(struct heald *h, struct dev_track *d, struct track *t, double due,
			const char *why, double interval)
{
	struct json_object *e, *ev = json_object_new_object();
	char stamp[48], detail[256] = "";
	struct timespec ts = { (time_t)due, 0 };
	uint64_t id;
	int ret;

	json_object_object_add(ev, "source", json_object_new_string("schedule"));
	json_object_object_add(ev, "interval_days", json_object_new_double(interval / 86400));
	json_object_object_add(ev, "offset_s", json_object_new_double(
		scrub_offset(t->uuid, interval)));
	json_object_object_add(ev, "due", json_object_new_string(hb_rfc3339(stamp, sizeof(stamp), &ts, 0)));
	ts.tv_sec = (time_t)(t->hist.last_done > t->hist.last_start ? t->hist.last_done :
			     t->hist.last_start);
	json_object_object_add(ev, "last", ts.tv_sec ? json_object_new_string(
		hb_rfc3339(stamp, sizeof(stamp), &ts, 0)) : NULL);
	e = decision_entry(h, d->info.name, "scrub", "schedule", why, ev, true);
	json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
	json_object_object_add(e, "uuid", json_object_new_string(t->uuid_s));
	id = jappend(h, e);
	t->hist.last_start = now_wall();	/* once per slot, whatever follows */
	if (!id)
		return;
	hlog(LOG_NOTICE, "decision %llu: scrub %s: %s", (unsigned long long)id, d->info.name, why);
	if (h->cfg.dry_run) {
		jappend(h, outcome_entry(id, "not taken: dry run", NULL, true));
		return;
	}
	ret = act_scrub(h, d->info.index, detail, sizeof(detail));
	if (ret)
		hlog(LOG_WARNING, "%s: scheduled scrub: %s", d->info.name, detail);
	else
		t->watching = id;
	jappend(h, outcome_entry(id, ret ? "failed" : "scrub started", ret ? detail : NULL, true));
	src_healblk_refresh(h);
}

void scrub_tick(struct heald *h)
{
	double now = now_wall();
	int i, scrubbing = 0;

	for (i = 0; i < HEALD_MAX_DEVS; i++)
		if (h->devs[i].present && h->devs[i].info.sync.kind == HEALBLK_SYNC_SCRUB &&
		    h->devs[i].info.sync.status == HEALBLK_SYNC_RUNNING)
			scrubbing++;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];
		struct scrub_in in = { .now = now };
		enum scrub_verdict v;
		struct track *t;
		char why[200];
		double due;

		if (!d->present || !(t = track_of(d->info.uuid, true)))
			continue;
		/* One heald started and has not seen end (a restart, a lost event). */
		if (t->watching && !(d->info.sync.kind == HEALBLK_SYNC_SCRUB &&
				     d->info.sync.status == HEALBLK_SYNC_RUNNING))
			scrub_end(h, d, t, &d->info.sync);
		in.interval = config_disk(&h->cfg, d->info.name)->scrub_interval * 86400;
		in.offset = scrub_offset(t->uuid, in.interval);
		in.last = t->hist.last_done > t->hist.last_start ? t->hist.last_done : t->hist.last_start;
		in.seen = t->seen;
		in.degraded = degraded(d);
		in.syncing = d->info.sync.status == HEALBLK_SYNC_RUNNING;
		in.others = scrubbing;
		v = scrub_decide(&in, &due, why, sizeof(why));
		t->next = due;
		t->paused = v == SCRUB_PAUSE;
		if (v == SCRUB_GO) {
			scrub_start(h, d, t, due, why, in.interval);
			scrubbing++;	/* started or not: the next array waits a tick */
		} else if (v == SCRUB_PAUSE && t->paused_due != due) {
			struct json_object *e = scrub_entry(d, t, "paused");

			json_object_object_add(e, "reason", json_object_new_string(why));
			jappend(h, e);
			hlog(LOG_NOTICE, "%s: %s", d->info.name, why);
			t->paused_due = due;
		}
	}
}

struct json_object *scrub_status(struct heald *h, const uint8_t uuid[16])
{
	struct track *t = track_of(uuid, false);
	struct json_object *o;
	struct timespec ts = { 0, 0 };
	char stamp[48];

	(void)h;
	if (!t)
		return NULL;
	o = json_object_new_object();
	ts.tv_sec = (time_t)t->next;
	json_object_object_add(o, "next", t->next > 0 ? json_object_new_string(
		hb_rfc3339(stamp, sizeof(stamp), &ts, 0)) : NULL);
	json_object_object_add(o, "waiting", json_object_new_boolean(t->paused));
	ts.tv_sec = (time_t)t->hist.last_done;
	json_object_object_add(o, "last_end", t->hist.last_done > 0 ? json_object_new_string(
		hb_rfc3339(stamp, sizeof(stamp), &ts, 0)) : NULL);
	json_object_object_add(o, "last_result", t->hist.result[0] ?
			       json_object_new_string(t->hist.result) : NULL);
	json_object_object_add(o, "last_mismatches", json_object_new_int64((int64_t)t->hist.mismatches));
	json_object_object_add(o, "last_repaired", json_object_new_int64((int64_t)t->hist.repaired));
	json_object_object_add(o, "running_decision", t->watching ?
			       json_object_new_int64((int64_t)t->watching) : NULL);
	return o;
}

void scrub_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	static const char *const results[] = { "none", "done", "aborted", "failed", "stopped", "unknown" };
	char name[3 * 32 + 1];
	int i, k;

#define EACH(i, t) for (i = 0; i < HEALD_MAX_DEVS; i++) \
	if (h->devs[i].present && (t = track_of(h->devs[i].info.uuid, false)) && \
	    hb_prom_label(name, sizeof(name), h->devs[i].info.name))
	struct track *t;

	put(b, "# HELP heal_scrub_last_end_timestamp_seconds When the array's last scrub ended (0: none known)\n"
	       "# TYPE heal_scrub_last_end_timestamp_seconds gauge\n");
	EACH(i, t)
		put(b, "heal_scrub_last_end_timestamp_seconds{device=\"%s\"} %.0f\n", name, t->hist.last_done);
	put(b, "# HELP heal_scrub_next_timestamp_seconds The array's next scheduled scrub (0: none scheduled)\n"
	       "# TYPE heal_scrub_next_timestamp_seconds gauge\n");
	EACH(i, t)
		put(b, "heal_scrub_next_timestamp_seconds{device=\"%s\"} %.0f\n", name, t->next);
	put(b, "# HELP heal_scrub_waiting 1 while a due scrub waits for the array to be whole and idle\n"
	       "# TYPE heal_scrub_waiting gauge\n");
	EACH(i, t)
		put(b, "heal_scrub_waiting{device=\"%s\"} %d\n", name, t->paused);
	put(b, "# HELP heal_scrub_last_result How the last scrub ended: 1 for its result, 0 for the others\n"
	       "# TYPE heal_scrub_last_result gauge\n");
	EACH(i, t) {
		int cur = 0;

		for (k = 1; k < (int)(sizeof(results) / sizeof(results[0])); k++)
			if (!strcmp(t->hist.result, results[k]))
				cur = k;
		for (k = 0; k < (int)(sizeof(results) / sizeof(results[0])); k++)
			put(b, "heal_scrub_last_result{device=\"%s\",result=\"%s\"} %d\n", name,
			    results[k], k == cur);
	}
	put(b, "# HELP heal_scrub_last_mismatches Blocks the last scrub found different between legs\n"
	       "# TYPE heal_scrub_last_mismatches gauge\n");
	EACH(i, t)
		put(b, "heal_scrub_last_mismatches{device=\"%s\"} %llu\n", name,
		    (unsigned long long)t->hist.mismatches);
	put(b, "# HELP heal_scrub_last_unreadable Blocks the last scrub could read from no leg\n"
	       "# TYPE heal_scrub_last_unreadable gauge\n");
	EACH(i, t)
		put(b, "heal_scrub_last_unreadable{device=\"%s\"} %llu\n", name,
		    (unsigned long long)t->hist.unreadable);
#undef EACH
}
