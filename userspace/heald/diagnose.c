// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnosis: healblk's I/O errors feed one SERD engine per leg; when one
 * fires the leg is failing, the alarm is journaled with its evidence and
 * the policy decides.  Alarms clear by themselves after a quiet period.
 * A failed leg that nothing rebuilds gets a spare.  At start the journal
 * is replayed: decisions without a final outcome are resumed.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "../lib/hb_names.h"
#include "../lib/hb_time.h"
#include "heald.h"
#include "scrub.h"
#include "smart.h"

static struct json_object *leg_evidence(const struct dev_track *d, uint32_t leg,
					const struct disk_conf *dc, double now)
{
	const struct leg_track *lt = &d->legs[leg];
	struct json_object *ev = json_object_new_object(), *arr = json_object_new_array();
	uint32_t i, n = lt->nrecent < 8 ? lt->nrecent : 8;

	json_object_object_add(ev, "source", json_object_new_string("healblk io_error events"));
	json_object_object_add(ev, "disk", json_object_new_string(d->info.legs[leg].name));
	{
		const char *serial, *wwn;

		/* For the RMA ticket: which disk, by what its maker printed on it. */
		smart_ids(NULL, d->info.legs[leg].name, &serial, &wwn, NULL);
		json_object_object_add(ev, "serial", json_object_new_string(serial));
		json_object_object_add(ev, "wwn", json_object_new_string(wwn));
	}
	json_object_object_add(ev, "serd", json_object_new_string("n errors within t seconds"));
	json_object_object_add(ev, "n", json_object_new_int((int)dc->serd_n));
	json_object_object_add(ev, "t", json_object_new_double(dc->serd_t));
	json_object_object_add(ev, "errors_in_window",
			       json_object_new_int((int)serd_in_window(&lt->serd, now)));
	json_object_object_add(ev, "errors_total", json_object_new_int64((int64_t)lt->serd.total));
	for (i = 0; i < n; i++) {
		uint32_t k = (lt->nrecent - 1 - i) % 8;
		struct json_object *e = json_object_new_object();

		struct timespec ts = { (time_t)lt->recent[k].wall,
				       (long)((lt->recent[k].wall - (double)(time_t)lt->recent[k].wall) * 1e9) };
		char stamp[48];

		json_object_object_add(e, "time", json_object_new_string(hb_rfc3339(stamp, sizeof(stamp), &ts, 6)));
		json_object_object_add(e, "age_s", json_object_new_double(now - lt->recent[k].t));
		json_object_object_add(e, "sector", json_object_new_int64((int64_t)lt->recent[k].sector));
		json_object_object_add(e, "sectors", json_object_new_int((int)lt->recent[k].sectors));
		json_object_object_add(e, "op", json_object_new_string(hb_op_name(lt->recent[k].op)));
		json_object_object_add(e, "errno", json_object_new_int((int)lt->recent[k].err));
		json_object_array_add(arr, e);
	}
	json_object_object_add(ev, "newest_errors", arr);
	return ev;
}

void dev_policy_view(const struct dev_track *d, struct policy_dev *pd)
{
	uint32_t i;

	memset(pd, 0, sizeof(*pd));
	pd->nr_legs = d->info.nr_legs;
	pd->nr_spares = d->info.nr_spares;
	/* A slot free and no spare area: what the kernel's replacement needs. */
	pd->can_copy = d->info.nr_legs < HEALBLK_MAX_LEGS && !d->info.remap_blocks;
	for (i = 0; i < d->info.nr_legs && i < HEALBLK_MAX_LEGS; i++) {
		pd->leg_state[i] = d->info.legs[i].state;
		/*
		 * A replacement that failed or was aborted leaves by itself:
		 * no failed leg to rebuild.  One copying makes no slot free.
		 */
		if (d->info.legs[i].replaces >= 0) {
			pd->leg_state[i] = HEALBLK_LEG_REBUILDING;
			pd->can_copy = false;
		}
	}
	pd->sync_running = d->info.sync.status == HEALBLK_SYNC_RUNNING;
	pd->kernel_auto_spare = d->info.auto_spare;
}

/* Decide for a leg with an alarm (leg >= 0) or for a failed leg (-1). */
static void policy_run(struct heald *h, struct dev_track *d, int leg, uint64_t alarm,
		       struct json_object *evidence)
{
	struct policy_limits lim = {
		.cooldown = h->cfg.cooldown,
		.max_per_hour = h->cfg.max_actions_per_hour,
		.dry_run = h->cfg.dry_run,
	};
	struct policy_in in = { .leg = leg };
	struct policy_out out;
	double now = now_mono();

	dev_policy_view(d, &in.dev);
	in.predictive = leg >= 0 && d->legs[leg].predicted && !d->legs[leg].serd.fired;
	in.now = now;
	in.last_action = d->last_action;
	in.actions_last_hour = act_count_last_hour(h);
	policy_decide(&in, &lim, &out);
	if (out.action == ACT_NONE) {
		json_object_put(evidence);
		return;
	}
	if (h->cfg.dry_run) {
		/* Say once per cooldown what would be done, not every tick. */
		if (leg < 0 && d->last_dry && now - d->last_dry < h->cfg.cooldown) {
			json_object_put(evidence);
			return;
		}
		d->last_dry = now;
	} else if (out.suppressed && leg < 0) {
		json_object_put(evidence);	/* the tick asks again later */
		return;
	}
	if (alarm) {
		if (!evidence)
			evidence = json_object_new_object();
		json_object_object_add(evidence, "alarm", json_object_new_int64((int64_t)alarm));
	}
	act_run(h, d, leg < 0 ? -1 : leg, out.action, "policy", evidence, out.reason,
		out.suppressed);
}

/* Takes @evidence: the alarm entry and the decision share it. */
static void leg_alarm(struct heald *h, struct dev_track *d, uint32_t leg, const char *why,
		      struct json_object *evidence)
{
	struct leg_track *lt = &d->legs[leg];
	struct json_object *e = json_object_new_object();
	char res[48];

	lt->alarm = true;
	snprintf(lt->why, sizeof(lt->why), "%s", why);
	h->alarms_total++;
	snprintf(res, sizeof(res), "%s/leg%u", d->info.name, leg);
	json_object_object_add(e, "type", json_object_new_string("alarm"));
	json_object_object_add(e, "resource", json_object_new_string(res));
	json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
	json_object_object_add(e, "leg", json_object_new_int((int)leg));
	json_object_object_add(e, "state", json_object_new_string("failing"));
	json_object_object_add(e, "reason", json_object_new_string(why));
	json_object_object_add(e, "evidence", json_object_get(evidence));
	lt->alarm_entry = jappend(h, e);
	hlogj(LOG_WARNING, d->info.name, (int)leg, 0, lt->alarm_entry, "%s: failing: %s", res, why);
	policy_run(h, d, (int)leg, lt->alarm_entry, evidence);
}

/*
 * An error that no other leg could recover went up to the file system:
 * data is being lost.  At most one line per device every 10 s in a storm
 * (the events and the journal keep the count).
 */
static void lost_io(struct heald *h, const struct dev_track *d, const struct hb_event *ev,
		    double now)
{
	static double last[HEALD_MAX_DEVS];
	int i = (int)(d - h->devs);

	if (i < 0 || i >= HEALD_MAX_DEVS || (last[i] && now - last[i] < 10))
		return;
	last[i] = now;
	hlogj(LOG_ALERT, d->info.name, (int)ev->leg, 0, 0,
	      "%s: %s error at sector %llu (+%u) on leg %u reached the file system: no leg had a good copy",
	      d->info.name, hb_op_name(ev->op), (unsigned long long)ev->sector, ev->sectors, ev->leg);
}

void diag_io_error(struct heald *h, const struct hb_event *ev)
{
	struct dev_track *d = dev_find(h, ev->dev);
	const struct disk_conf *dc;
	struct leg_track *lt;
	double now = now_mono();
	char why[160];

	if (!d) {
		src_healblk_refresh(h);
		d = dev_find(h, ev->dev);
	}
	if (!d || ev->leg >= HEALBLK_MAX_LEGS || !ev->err)
		return;
	if (!ev->recovered)
		lost_io(h, d, ev, now);
	/*
	 * An alarmed leg: is it still the same device?  One destroyed and
	 * made anew under the same number starts afresh (the dump compares
	 * UUIDs); at most one dump per 100 ms in an error storm.
	 */
	if (d->legs[ev->leg].alarm && now - h->last_refresh > 0.1) {
		src_healblk_refresh(h);
		d = dev_find(h, ev->dev);
		if (!d)
			return;
	}
	lt = &d->legs[ev->leg];
	lt->recent[lt->nrecent % 8].t = now;
	lt->recent[lt->nrecent % 8].wall = now_wall();
	lt->recent[lt->nrecent % 8].sector = ev->sector;
	lt->recent[lt->nrecent % 8].sectors = ev->sectors;
	lt->recent[lt->nrecent % 8].op = ev->op;
	lt->recent[lt->nrecent % 8].err = ev->err;
	lt->nrecent++;
	smart_poke(h, d->info.legs[ev->leg].name);	/* what does the disk say of itself? */
	if (!serd_record(&lt->serd, now) || lt->alarm)
		return;
	dc = config_disk(&h->cfg, d->info.name);
	snprintf(why, sizeof(why), "%u I/O errors within %g s (SERD %u/%g s)",
		 serd_in_window(&lt->serd, now), dc->serd_t, dc->serd_n, dc->serd_t);
	h->trigger = now;
	leg_alarm(h, d, ev->leg, why, leg_evidence(d, ev->leg, dc, now));
	h->trigger = 0;
}

void diag_leg_predict(struct heald *h, struct dev_track *d, uint32_t leg, const char *why,
		      struct json_object *evidence)
{
	if (leg >= d->info.nr_legs || leg >= HEALBLK_MAX_LEGS || d->legs[leg].alarm ||
	    d->info.legs[leg].state != HEALBLK_LEG_IN_SYNC) {
		json_object_put(evidence);
		return;
	}
	d->legs[leg].predicted = true;
	h->trigger = now_mono();
	leg_alarm(h, d, leg, why, evidence);
	h->trigger = 0;
}

void diag_leg_predict_clear(struct heald *h, struct dev_track *d, uint32_t leg, const char *why)
{
	struct leg_track *lt = &d->legs[leg];
	struct json_object *e;
	char res[48];

	/* An alarm of its errors (SERD) clears by its own quiet period. */
	if (!lt->alarm || !lt->predicted || lt->serd.fired)
		return;
	lt->alarm = false;
	lt->predicted = false;
	d->flagged = false;
	snprintf(res, sizeof(res), "%s/leg%u", d->info.name, leg);
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("clear"));
	json_object_object_add(e, "ref", json_object_new_int64((int64_t)lt->alarm_entry));
	json_object_object_add(e, "resource", json_object_new_string(res));
	json_object_object_add(e, "reason", json_object_new_string(why));
	jappend(h, e);
	hlog(LOG_INFO, "%s: alarm cleared: %s", res, why);
}

void diag_leg_state(struct heald *h, const struct hb_event *ev)
{
	struct dev_track *d = dev_find(h, ev->dev);

	if (d && ev->leg < HEALBLK_MAX_LEGS && ev->leg < d->info.nr_legs)
		d->info.legs[ev->leg].state = ev->state;
	/* The dump brings spares, sync and reasons; the tick then decides. */
	src_healblk_refresh(h);
}

static void outcome(struct heald *h, uint64_t ref, const char *what, const char *detail)
{
	jappend(h, outcome_entry(ref, what, detail, true));
}

void diag_sync(struct heald *h, const struct hb_event *ev)
{
	struct dev_track *d = dev_find(h, ev->dev);
	char detail[160];

	if (!d)
		return;
	d->info.sync = ev->sync;
	if (!d->pending || ev->sync.kind != HEALBLK_SYNC_REBUILD ||
	    ev->sync.status == HEALBLK_SYNC_RUNNING)
		return;
	snprintf(detail, sizeof(detail), "rebuild of leg %u %s at %llu of %llu sectors",
		 ev->sync.leg, hb_sync_status_name(ev->sync.status),
		 (unsigned long long)ev->sync.pos, (unsigned long long)ev->sync.sectors);
	outcome(h, d->pending, ev->sync.status == HEALBLK_SYNC_DONE ? "rebuild done" :
		"rebuild ended early", detail);
	hlog(LOG_NOTICE, "%s: %s", d->info.name, detail);
	d->pending = 0;
	src_healblk_refresh(h);
}

/*
 * A device of two or more legs down to one in sync: one more failure
 * loses data (LOG_CRIT, once, and once more when it has its redundancy
 * back).  After a degraded start at boot this is the line that says so.
 */
static void redundancy_check(struct dev_track *d)
{
	uint32_t l, in_sync = 0;
	bool risk;

	for (l = 0; l < d->info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
		in_sync += d->info.legs[l].state == HEALBLK_LEG_IN_SYNC;
	risk = d->info.nr_legs >= 2 && in_sync <= 1;
	if (risk == d->at_risk)
		return;
	d->at_risk = risk;
	if (risk)
		hlogj(in_sync ? LOG_CRIT : LOG_ALERT, d->info.name, -1, 0, 0,
		      "%s: %u of %u legs in sync: %s", d->info.name, in_sync, d->info.nr_legs,
		      in_sync ? "no redundancy left, one more failure loses data" : "no good copy left");
	else
		hlogj(LOG_NOTICE, d->info.name, -1, 0, 0, "%s: %u of %u legs in sync again",
		      d->info.name, in_sync, d->info.nr_legs);
}

void diag_tick(struct heald *h)
{
	double now = now_mono();
	int i;
	uint32_t l;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		for (l = 0; l < HEALBLK_MAX_LEGS; l++) {
			struct leg_track *lt = &d->legs[l];
			bool gone = l >= d->info.nr_legs ||
				    d->info.legs[l].state != HEALBLK_LEG_IN_SYNC;
			struct json_object *e;
			char res[48];

			if (!lt->alarm || !(serd_tick(&lt->serd, now) || gone))
				continue;
			lt->alarm = false;
			lt->predicted = false;
			d->flagged = false;
			if (gone)
				serd_reset(&lt->serd);
			snprintf(res, sizeof(res), "%s/leg%u", d->info.name, l);
			e = json_object_new_object();
			json_object_object_add(e, "type", json_object_new_string("clear"));
			json_object_object_add(e, "ref", json_object_new_int64((int64_t)lt->alarm_entry));
			json_object_object_add(e, "resource", json_object_new_string(res));
			json_object_object_add(e, "reason", json_object_new_string(
				gone ? "the leg left the mirror" : "no I/O error for the quiet period"));
			jappend(h, e);
			hlog(LOG_INFO, "%s: alarm cleared", res);
		}
		redundancy_check(d);
		if (!d->pending && d->info.sync.status != HEALBLK_SYNC_RUNNING)
			policy_run(h, d, -1, 0, NULL);
	}
}

/* Replay: remember decisions that wait for an outcome (replay.c, pure). */
void diag_replay(struct json_object *entry, void *ctx)
{
	struct heald *h = ctx;

	replay_entry(h->pending, &h->npending, HEALD_MAX_DEVS, entry);
	scrub_replay_entry(entry);
	replay_drain(h->drained, &h->ndrained, CONFIG_MAX_WORKLOADS, entry);
	net_replay(h, entry);
}

/*
 * After the first dump: a rebuild heald started before it was stopped
 * is tracked to its end; one that ended meanwhile gets its outcome now.
 */
void diag_resume(struct heald *h)
{
	char detail[200];
	int i;

	for (i = 0; i < h->npending; i++) {
		struct pending *p = &h->pending[i];
		struct dev_track *d = dev_find(h, p->dev);
		struct json_object *e;

		if (p->workload[0]) {
			wl_resume(h, p);
			continue;
		}
		if (!p->started) {
			outcome(h, p->id, "interrupted",
				"heald stopped between the decision and the action; the policy decides again");
			continue;
		}
		if (d && d->info.sync.kind == HEALBLK_SYNC_REBUILD &&
		    d->info.sync.status == HEALBLK_SYNC_RUNNING) {
			d->pending = p->id;
			d->last_action = now_mono();
			snprintf(detail, sizeof(detail), "rebuild of leg %u in progress: %llu of %llu sectors",
				 d->info.sync.leg, (unsigned long long)d->info.sync.pos,
				 (unsigned long long)d->info.sync.sectors);
			e = json_object_new_object();
			json_object_object_add(e, "type", json_object_new_string("resume"));
			json_object_object_add(e, "ref", json_object_new_int64((int64_t)p->id));
			json_object_object_add(e, "detail", json_object_new_string(detail));
			jappend(h, e);
			hlog(LOG_NOTICE, "resumed decision %llu: %s", (unsigned long long)p->id, detail);
			continue;
		}
		if (!d) {
			outcome(h, p->id, "device gone", "the device is not there any more");
			continue;
		}
		snprintf(detail, sizeof(detail), "rebuild of leg %u %s while heald was not running",
			 d->info.sync.leg, hb_sync_status_name(d->info.sync.status));
		outcome(h, p->id, d->info.sync.status == HEALBLK_SYNC_DONE ? "rebuild done" :
			"rebuild ended early", detail);
	}
	h->npending = 0;
}

/* The healblk leg on disk major:minor, if any. */
static struct dev_track *leg_of(struct heald *h, const struct disk_track *t, uint32_t *leg)
{
	int i;
	uint32_t l;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		for (l = 0; l < d->info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
			if (d->info.legs[l].major == t->major && d->info.legs[l].minor == t->minor) {
				*leg = l;
				return d;
			}
	}
	return NULL;
}

static void disk_journal(struct heald *h, struct disk_track *t, const char *type,
			 const char *why, struct json_object *evidence)
{
	struct json_object *e = json_object_new_object();
	char res[48];

	snprintf(res, sizeof(res), "disk:%s", t->name);
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "resource", json_object_new_string(res));
	json_object_object_add(e, "reason", json_object_new_string(why));
	if (evidence)
		json_object_object_add(e, "evidence", evidence);
	jappend(h, e);
	hlog(!strcmp(type, "clear") ? LOG_INFO : LOG_WARNING, "%s: %s", res, why);
}

/*
 * An I/O error iomon saw.  Errors on a healblk leg are counted from
 * healblk's own events (which say whether another leg recovered them);
 * a plain disk has no redundancy here: an alarm is reported, never acted on.
 */
void diag_disk_error(struct heald *h, struct disk_track *t)
{
	double now = now_mono();
	uint32_t leg;
	char why[160];

	if (leg_of(h, t, &leg))
		return;
	if (!serd_record(&t->serd, now) || t->alarm)
		return;
	t->alarm = true;
	h->alarms_total++;
	snprintf(why, sizeof(why), "%u I/O errors within %g s on a disk without redundancy: reported",
		 serd_in_window(&t->serd, now), h->cfg.disk.serd_t);
	snprintf(t->why, sizeof(t->why), "%s", why);
	disk_journal(h, t, "alarm", why, NULL);
}

void diag_disk_latency(struct heald *h, struct disk_track *t, uint64_t ios)
{
	const struct disk_conf *dc = &h->cfg.disk;
	struct dev_track *d;
	struct json_object *ev;
	enum slow_change ch;
	uint32_t leg = 0;
	char why[160];

	d = leg_of(h, t, &leg);
	if (d)
		dc = config_disk(&h->cfg, d->info.name);
	ch = slow_update(&t->slow, &dc->slow, t->p99_us, ios);
	if (serd_tick(&t->serd, now_mono()) && t->alarm && !t->slow.alarm) {
		t->alarm = false;
		disk_journal(h, t, "clear", "no I/O error for the quiet period", NULL);
	}
	if (ch == SLOW_SAME)
		return;
	if (ch == SLOW_CLEARED) {
		t->alarm = false;
		disk_journal(h, t, "clear", "latency back within its baseline", NULL);
		return;
	}
	snprintf(why, sizeof(why), "slow: p99 %.0f us against a baseline of %.0f us (x%.1f) for %u intervals",
		 t->p99_us, t->slow.baseline_us, t->p99_us / (t->slow.baseline_us ?: 1),
		 dc->slow.raise);
	t->alarm = true;
	snprintf(t->why, sizeof(t->why), "%s", why);
	h->alarms_total++;
	ev = json_object_new_object();
	json_object_object_add(ev, "source", json_object_new_string("iomon latency histogram"));
	json_object_object_add(ev, "p99_us", json_object_new_double(t->p99_us));
	json_object_object_add(ev, "baseline_us", json_object_new_double(t->slow.baseline_us));
	json_object_object_add(ev, "factor", json_object_new_double(dc->slow.factor));
	json_object_object_add(ev, "floor_us", json_object_new_double(dc->slow.floor_us));
	json_object_object_add(ev, "intervals", json_object_new_int((int)dc->slow.raise));
	json_object_object_add(ev, "iops", json_object_new_double(t->iops));
	if (d && dc->slow_acts && !d->legs[leg].alarm) {
		leg_alarm(h, d, leg, why, ev);	/* takes @ev */
		return;
	}
	disk_journal(h, t, "alarm", why, ev);
}

static uint64_t want_ino;
static char *found;
static size_t found_len;

static char cg_root[200];

static int ino_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && st->st_ino == want_ino) {
		const char *rel = path + strlen(cg_root);

		snprintf(found, found_len, "%s", *rel ? rel : "/");
		return 1;
	}
	return 0;
}

const char *cgroup_mount(void)
{
	/* /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems. */
	if (!cg_root[0]) {
		FILE *f = fopen("/proc/self/mounts", "re");
		char dev[64], dir[200], type[32];

		while (f && fscanf(f, "%63s %199s %31s %*[^\n]", dev, dir, type) == 3)
			if (!strcmp(type, "cgroup2")) {
				snprintf(cg_root, sizeof(cg_root), "%s", dir);
				break;
			}
		if (f)
			fclose(f);
	}
	return cg_root;
}

void cgroup_path(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "id:%llu", (unsigned long long)id);
	want_ino = id;
	found = buf;
	found_len = len;
	/* cgroup v2's id is its directory's inode number. */
	if (!cgroup_mount()[0])
		return;
	nftw(cg_root, ino_cb, 16, FTW_PHYS | FTW_MOUNT);
}
