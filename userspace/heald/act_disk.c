// SPDX-License-Identifier: GPL-2.0
/*
 * Disk actions through healblk's netlink family, and the one path every
 * action takes: journal the decision (synced), re-check the device, act,
 * journal the outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include <netlink/attr.h>
#include "../lib/schema.h"
#include "heald.h"
#include "hooks.h"

static int request(struct heald *h, uint8_t cmd, uint32_t dev, int leg,
		   struct nl_msg **keep, char *why, size_t wlen)
{
	struct nl_msg *msg;
	int ret;

	if (!h->have_healblk) {
		snprintf(why, wlen, "healblk is not loaded");
		return -ENOENT;
	}
	msg = hb_nl_msg(&h->nl, cmd, 0);
	if (!msg) {
		snprintf(why, wlen, "out of memory");
		return -ENOMEM;
	}
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, dev);
	if (leg >= 0)
		nla_put_u32(msg, HEALBLK_A_LEG_INDEX, (uint32_t)leg);
	if (keep) {
		*keep = msg;
		return 0;
	}
	ret = hb_nl_call(&h->nl, msg, NULL, NULL);
	if (ret)
		snprintf(why, wlen, "%s%s%s", strerror(-ret), h->nl.reason[0] ? ": " : "",
			 h->nl.reason);
	return ret;
}

static int call(struct heald *h, struct nl_msg *msg, char *why, size_t wlen)
{
	int ret = hb_nl_call(&h->nl, msg, NULL, NULL);

	if (ret)
		snprintf(why, wlen, "%s%s%s", strerror(-ret), h->nl.reason[0] ? ": " : "",
			 h->nl.reason);
	return ret;
}

int act_fail_leg(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen)
{
	return request(h, HEALBLK_CMD_FAIL_LEG, dev, (int)leg, NULL, why, wlen);
}

int act_rebuild(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen)
{
	return request(h, HEALBLK_CMD_REBUILD, dev, (int)leg, NULL, why, wlen);
}

/* Copy in-sync @leg to a spare while it serves; the kernel swaps them at the end. */
int act_replace(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen)
{
	struct nl_msg *msg;
	int ret;

	ret = request(h, HEALBLK_CMD_REBUILD, dev, (int)leg, &msg, why, wlen);
	if (ret)
		return ret;
	nla_put_u32(msg, HEALBLK_A_DEV_FLAGS, HEALBLK_REBUILD_REPLACE);
	return call(h, msg, why, wlen);
}

int act_scrub(struct heald *h, uint32_t dev, char *why, size_t wlen)
{
	return request(h, HEALBLK_CMD_SCRUB, dev, -1, NULL, why, wlen);
}

int act_add_spare(struct heald *h, uint32_t dev, const char *disk, char *why, size_t wlen)
{
	struct nl_msg *msg;
	struct stat st;
	int ret;

	if (stat(disk, &st) < 0) {
		snprintf(why, wlen, "%s: %s", disk, strerror(errno));
		return -errno;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(why, wlen, "%s is not a block device", disk);
		return -ENOTBLK;
	}
	ret = request(h, HEALBLK_CMD_SPARE_ADD, dev, -1, &msg, why, wlen);
	if (ret)
		return ret;
	nla_put_u32(msg, HEALBLK_A_LEG_MAJOR, major(st.st_rdev));
	nla_put_u32(msg, HEALBLK_A_LEG_MINOR, minor(st.st_rdev));
	return call(h, msg, why, wlen);
}

int act_auto_spare(struct heald *h, uint32_t dev, bool on, char *why, size_t wlen)
{
	struct nl_msg *msg;
	int ret;

	ret = request(h, HEALBLK_CMD_SET, dev, -1, &msg, why, wlen);
	if (ret)
		return ret;
	nla_put_u8(msg, HEALBLK_A_DEV_AUTO_SPARE, on);
	return call(h, msg, why, wlen);
}

uint32_t act_count_last_hour(struct heald *h)
{
	double now = now_mono();
	uint32_t i, n = 0;

	for (i = 0; i < h->naction_times && i < 64; i++)
		if (now - h->action_times[i] < 3600)
			n++;
	return n;
}

struct json_object *decision_entry(struct heald *h, const char *resource, const char *action,
				   const char *by, const char *reason, struct json_object *evidence,
				   bool taken)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string("decision"));
	json_object_object_add(e, "resource", json_object_new_string(resource));
	json_object_object_add(e, "action", json_object_new_string(action));
	json_object_object_add(e, "by", json_object_new_string(by));
	json_object_object_add(e, "reason", json_object_new_string(reason));
	json_object_object_add(e, "evidence", evidence ? evidence : json_object_new_object());
	json_object_object_add(e, "dry_run", json_object_new_boolean(h->cfg.dry_run));
	json_object_object_add(e, "taken", json_object_new_boolean(taken && !h->cfg.dry_run));
	return e;
}

struct json_object *outcome_entry(uint64_t ref, const char *outcome, const char *detail, bool final)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string("outcome"));
	json_object_object_add(e, "ref", json_object_new_int64((int64_t)ref));
	if (outcome)
		json_object_object_add(e, "outcome", json_object_new_string(outcome));
	if (detail)
		json_object_object_add(e, "detail", json_object_new_string(detail));
	json_object_object_add(e, "final", json_object_new_boolean(final));
	return e;
}

/* Tell subscribers and hooks about a line of the journal (queued: the loop delivers). */
static void publish_line(struct heald *h, uint64_t id, const char *line)
{
	size_t len;
	char *ev;

	if (id > h->published_upto)
		h->published_upto = id;
	/* Queued for the hooks too: the loop starts them (hooks_dispatch). */
	hooks_queue(h, id, line, strlen(line));
	if (!h->subscribers)
		return;
	/*
	 * Queued for subscribers, never sent from here: the loop delivers
	 * it after the dispatch that is running (see api.c).  The line is
	 * wrapped as it was written, not parsed back.
	 */
	len = strlen(line) + 64;
	ev = malloc(len);
	if (ev) {
		int n = snprintf(ev, len, "{\"schema\":%d,\"type\":\"journal\",\"entry\":%s}",
				 HEAL_SCHEMA, line);

		api_queue_line(h, ev, (size_t)n);
		free(ev);
	}
}

/* Publish the held lines up to id @upto, oldest first. */
static void publish_held(struct heald *h, uint64_t upto)
{
	int i, k = 0;

	for (i = 0; i < h->nunpublished; i++) {
		if (h->unpublished[i].id > upto) {
			h->unpublished[k++] = h->unpublished[i];
			continue;
		}
		publish_line(h, h->unpublished[i].id, h->unpublished[i].line);
		free(h->unpublished[i].line);
	}
	h->nunpublished = k;
}

void jpublish_durable(struct heald *h)
{
	uint64_t n;

	if (h->journal.efd >= 0 && read(h->journal.efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		hlog(LOG_WARNING, "journal: eventfd: %s", strerror(errno));
	publish_held(h, journal_durable(&h->journal));
	/*
	 * Lines still held: their sync failed.  Said now (jsync_async()
	 * reports it); they wait for the next sync that works, which the
	 * next line written asks for.
	 */
	if (h->nunpublished)
		jsync_async(h);
}

void jpublish_drop(struct heald *h)
{
	int i;

	for (i = 0; i < h->nunpublished; i++)
		free(h->unpublished[i].line);
	h->nunpublished = 0;
}

/*
 * Write @entry; with @sync, return its id only once it is on disk: the
 * callers of jappend() act on a decision only when it is (write-ahead).
 * A line written but not synced is counted (its id is never given again)
 * and published as the file holds it, but jappend() returns 0 for it.
 * Without @sync the line is published once the journal's syncer has it on
 * disk (jpublish_durable()), or with the next synced line, after the lines
 * before it: subscribers and hooks see the journal in order, and only what
 * a crash cannot take back.
 */
static uint64_t jwrite(struct heald *h, struct json_object *entry, bool sync)
{
	uint64_t next = h->journal.next_id, id = journal_write(&h->journal, entry, sync);
	bool unsynced = false;
	const char *line;

	if (!id && h->journal.next_id > next) {
		hlog(LOG_ERR, "journal: sync: %s: entry %llu may not be on disk: not acted on",
		     strerror(errno), (unsigned long long)next);
		id = next;
		unsynced = true;
	} else if (!id) {
		hlog(LOG_ERR, "journal: %s: the entry is lost", strerror(errno));
		return 0;
	}
	line = h->journal.recent[(h->journal.nrecent - 1) % JOURNAL_RECENT];
	if (!line)
		return unsynced ? 0 : id;
	if (sync && !unsynced) {
		/* On disk, and every line before it with it. */
		publish_held(h, id);
		publish_line(h, id, line);
		h->held_full = false;
		return id;
	}
	/* Unsynced, or its sync failed: held until a sync succeeds. */
	if (h->nunpublished == HELD_LINES) {
		/*
		 * The disk has not finished a sync for HELD_LINES lines: the
		 * oldest goes out before it is known durable rather than the
		 * loop waiting for that disk (a failover must not).
		 */
		if (!h->held_full)
			hlog(LOG_ERR, "journal: %d lines wait for a sync that does not come: "
			     "publishing the oldest before they are known to be on disk", HELD_LINES);
		h->held_full = true;
		publish_held(h, h->unpublished[0].id);
	}
	h->unpublished[h->nunpublished].line = strdup(line);
	if (h->unpublished[h->nunpublished].line) {
		h->unpublished[h->nunpublished++].id = id;
	} else {
		/* No memory to hold it: synced here, then out in order. */
		jsync(h);
		publish_line(h, id, line);
	}
	if (unsynced)
		jsync_async(h);	/* try again, off the loop */
	return unsynced ? 0 : id;
}

uint64_t jappend(struct heald *h, struct json_object *entry)
{
	return jwrite(h, entry, true);
}

uint64_t jappend_nosync(struct heald *h, struct json_object *entry)
{
	return jwrite(h, entry, false);
}

void jsync(struct heald *h)
{
	if (journal_sync(&h->journal) < 0)
		hlog(LOG_ERR, "journal: sync: %s: the newest entries may not be on disk", strerror(errno));
	publish_held(h, journal_durable(&h->journal));
}

void jsync_async(struct heald *h)
{
	if (journal_sync_async(&h->journal) < 0)
		hlog(LOG_ERR, "journal: sync: %s: entries written before may not be on disk", strerror(errno));
	/* Without the syncer it synced in place: publish now, nothing else will. */
	if (!h->journal.syncer_on)
		publish_held(h, journal_durable(&h->journal));
}

/* The leg is still what the decision was about: in sync, or failed for a rebuild. */
static bool still_needed(struct heald *h, struct dev_track *d, int leg, enum policy_action a,
			 char *why, size_t wlen)
{
	uint32_t state;

	src_healblk_get(h, d->info.index);
	if (!d->present) {
		snprintf(why, wlen, "the device is gone");
		return false;
	}
	if (a == ACT_REBUILD)
		return true;
	if (leg < 0 || (uint32_t)leg >= d->info.nr_legs) {
		snprintf(why, wlen, "leg %d is not there", leg);
		return false;
	}
	state = d->info.legs[leg].state;
	if (state != HEALBLK_LEG_IN_SYNC) {
		snprintf(why, wlen, "leg %d is no longer in sync", leg);
		return false;
	}
	if (a == ACT_FAIL_LEG || a == ACT_REPLACE_LEG) {
		struct policy_dev pd;

		dev_policy_view(d, &pd);
		if (!policy_redundancy(&pd, leg)) {
			snprintf(why, wlen, "no other leg is in sync any more");
			return false;
		}
	}
	return true;
}

uint64_t act_run(struct heald *h, struct dev_track *d, int leg, enum policy_action a,
		 const char *who, struct json_object *evidence, const char *reason,
		 bool not_taken)
{
	struct json_object *e, *steps;
	char res[48], why[256] = "";
	bool final = true, ok = true;
	double first_step = 0, decided;
	uint64_t id;
	int ret = 0;

	if (a == ACT_REBUILD && leg < 0) {
		struct policy_dev pd;

		dev_policy_view(d, &pd);
		leg = policy_failed_leg(&pd);
	}
	if (leg >= 0)
		snprintf(res, sizeof(res), "%s/leg%d", d->info.name, leg);
	else
		snprintf(res, sizeof(res), "%s", d->info.name);
	e = decision_entry(h, res, policy_action_name(a), who, reason, evidence,
			   !not_taken && a != ACT_REPORT && a != ACT_KEEP);
	json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
	if (leg >= 0)
		json_object_object_add(e, "leg", json_object_new_int(leg));
	/* On disk before anything changes. */
	id = jappend(h, e);
	if (!id)
		return 0;
	decided = now_mono();
	/* A failing leg with no other copy: data is at risk and heald cannot act. */
	hlogj(a == ACT_REPORT ? LOG_ALERT : LOG_NOTICE, d->info.name, leg, id, id,
	      "decision %llu: %s %s: %s%s", (unsigned long long)id,
	      policy_action_name(a), res, reason, not_taken ? " (not taken)" : "");

	e = outcome_entry(id, NULL, NULL, true);
	steps = json_object_new_array();
	if (a == ACT_REPORT) {
		d->flagged = true;
		json_object_object_add(e, "outcome", json_object_new_string("reported"));
		json_object_object_add(e, "detail", json_object_new_string(
			"no redundancy: the leg is kept and the device's workloads are flagged failing"));
		goto out;
	}
	if (a == ACT_KEEP) {
		json_object_object_add(e, "outcome", json_object_new_string("kept"));
		json_object_object_add(e, "detail", json_object_new_string(
			"the disk still holds a good copy: it stays until a spare can take its place"));
		goto out;
	}
	if (not_taken) {
		json_object_object_add(e, "outcome", json_object_new_string(
			h->cfg.dry_run ? "not taken: dry run" : "not taken: held back"));
		goto out;
	}
	if (!still_needed(h, d, leg, a, why, sizeof(why))) {
		json_object_object_add(e, "outcome", json_object_new_string("skipped"));
		json_object_object_add(e, "detail", json_object_new_string(why));
		goto out;
	}
	d->last_action = now_mono();
	h->action_times[h->naction_times++ % 64] = d->last_action;
	h->last_action_wall = now_wall();
	h->actions_total++;
	if (a == ACT_FAIL_LEG || a == ACT_REPLACE_LEG) {
		ret = act_fail_leg(h, d->info.index, (uint32_t)leg, why, sizeof(why));
		if (h->trigger)
			first_step = now_mono();
		json_object_array_add(steps, json_object_new_string(ret ? "fail-leg: failed" : "fail-leg: done"));
	}
	if (a == ACT_COPY_TO_SPARE) {
		ret = act_replace(h, d->info.index, (uint32_t)leg, why, sizeof(why));
		if (h->trigger)
			first_step = now_mono();
		json_object_array_add(steps, json_object_new_string(ret ? "copy: failed" : "copy: started"));
		if (!ret) {
			d->pending = id;
			final = false;
		}
	}
	if (!ret && (a == ACT_REPLACE_LEG || a == ACT_REBUILD)) {
		ret = act_rebuild(h, d->info.index, (uint32_t)leg, why, sizeof(why));
		json_object_array_add(steps, json_object_new_string(ret ? "rebuild: failed" : "rebuild: started"));
		if (!ret) {
			d->pending = id;
			final = false;
		}
	}
	ok = !ret;
	if (!ok)
		h->actions_failed++;
	/*
	 * Detection to action: from the event that met the threshold to the
	 * kernel's acknowledgement of the first step (journal sync included).
	 */
	if (h->trigger)
		json_object_object_add(e, "detect_to_journaled_ms",
				       json_object_new_double((decided - h->trigger) * 1e3));
	if (h->trigger)
		json_object_object_add(e, "detect_to_act_ms",
				       json_object_new_double(((first_step ?: now_mono()) - h->trigger) * 1e3));
	json_object_object_add(e, "outcome", json_object_new_string(
		!ok ? "failed" : final ? "done" :
		a == ACT_COPY_TO_SPARE ? "copy started" : "rebuild started"));
	if (!ok)
		json_object_object_add(e, "detail", json_object_new_string(why));
	src_healblk_refresh(h);
out:
	json_object_object_add(e, "steps", steps);
	json_object_object_add(e, "final", json_object_new_boolean(final));	/* replaces true */
	jappend(h, e);
	return id;
}
