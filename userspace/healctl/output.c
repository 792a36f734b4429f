// SPDX-License-Identifier: GPL-2.0
/* What healctl prints: text for people, JSON (json-c) for scripts. */
#include <inttypes.h>
#include <stdio.h>
#include <json-c/json.h>
#include "../lib/hb_names.h"
#include "../lib/hb_text.h"
#include "healctl.h"

/* The kernel's names and reasons for a terminal (healblk copies leg paths as given). */
#define SAFE(buf, s) hb_term_safe(buf, sizeof(buf), s)

static void print_leg_text(const struct hb_leg_info *l, const char *what)
{
	char name[4 * sizeof(l->name)], why[4 * sizeof(l->reason)];

	printf("  %s %u %-10s %-10s reads %" PRIu64 " writes %" PRIu64
	       " read_errors %" PRIu64 " write_errors %" PRIu64
	       " retried %" PRIu64 " repairs %" PRIu64 " bad_ranges %u\n",
	       what, l->index, SAFE(name, l->name), hb_leg_state_name(l->state), l->reads,
	       l->writes, l->read_errors, l->write_errors, l->retried_reads,
	       l->repairs, l->bad_ranges);
	if (l->reason[0])
		printf("    why: %s\n", SAFE(why, l->reason));
	if (l->state == HEALBLK_LEG_REBUILDING)
		printf("    copied: %" PRIu64 " sectors\n", l->sync_pos);
	if (l->replaces >= 0)
		printf("    replaces: leg %d, which leaves once this one is in sync\n",
		       l->replaces);
	if (l->fault.armed)
		printf("    fault: ops %#x start %" PRIu64 " sectors %" PRIu64
		       " percent %u count %u delay_us %u injected %" PRIu64 "\n",
		       l->fault.ops, l->fault.start, l->fault.sectors,
		       l->fault.percent, l->fault.count, l->fault.delay_us,
		       l->fault.injected);
}

/* "rebuild of leg 1 running: 41.2% (...), 51200 KiB/s, ETA 12 s" */
void print_sync_text(const char *prefix, const struct hb_sync_info *s)
{
	printf("%s%s", prefix, hb_sync_kind_name(s->kind));
	if (s->kind == HEALBLK_SYNC_REBUILD)
		printf(" of leg %u", s->leg);
	else if (s->kind == HEALBLK_SYNC_RESYNC)
		printf(" from leg %u", s->leg);
	printf(" %s: %.1f%% (%" PRIu64 " of %" PRIu64 " sectors), %u KiB/s",
	       hb_sync_status_name(s->status),
	       s->sectors ? 100.0 * (double)s->pos / (double)s->sectors : 0.0,
	       s->pos, s->sectors, s->rate_kbs);
	if (s->status == HEALBLK_SYNC_RUNNING)
		printf(", ETA %u s", s->eta);
	if (hb_sync_reads_all(s->kind) || s->unreadable)
		printf(", mismatches %" PRIu64 " repaired %" PRIu64 " unreadable %" PRIu64,
		       s->mismatches, s->repaired, s->unreadable);
	if (!hb_sync_reads_all(s->kind))
		printf(", %" PRIu64 " sectors copied", s->copied);
	printf("\n");
}

void print_dev_text(const struct hb_dev_info *dev)
{
	char uuid[37], name[4 * sizeof(dev->name)];
	uint32_t i;

	hb_uuid_str(dev->uuid, uuid);
	printf("%s: %s, %" PRIu64 " sectors (%.1f MiB), %u legs, data offset %" PRIu64
	       ", %u open\n  uuid %s, event %" PRIu64 ", a leg fails at %u errors in %u s%s\n",
	       SAFE(name, dev->name), hb_dev_state_name(dev->state), dev->sectors, dev->sectors / 2048.0,
	       dev->nr_legs, dev->data_offset, dev->openers, uuid, dev->events,
	       dev->fail_errors, dev->fail_window, dev->fail_errors ? "" : " (never)");
	printf("  spares step in by themselves: %s; rebuild/scrub rate %u KiB/s busy, ",
	       dev->auto_spare ? "yes" : "no", dev->sync_min_kbs);
	if (dev->sync_max_kbs)
		printf("%u KiB/s idle\n", dev->sync_max_kbs);
	else
		printf("unlimited idle\n");
	printf("  write-intent bitmap: %u dirty regions of %u sectors\n", dev->bitmap_dirty,
	       dev->bitmap_sectors);
	if (dev->remap_blocks)
		printf("  spare area: %u of %u blocks (4 KiB) remapped\n", dev->remap_used,
		       dev->remap_blocks);
	if (dev->mismatch_cnt)
		printf("  last whole scrub or check: %" PRIu64 " blocks (4 KiB) differed between legs\n",
		       dev->mismatch_cnt);
	if (dev->sync.kind != HEALBLK_SYNC_NONE)
		print_sync_text("  ", &dev->sync);
	for (i = 0; i < dev->nr_legs; i++)
		print_leg_text(&dev->legs[i], "leg");
	for (i = 0; i < dev->nr_spares; i++)
		print_leg_text(&dev->spares[i], "spare");
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static struct json_object *ops_to_json(uint32_t ops)
{
	struct json_object *a = json_object_new_array();
	uint32_t bit;

	for (bit = HEALBLK_OP_READ; bit <= HEALBLK_OP_META; bit <<= 1)
		if (ops & bit)
			json_object_array_add(a, json_object_new_string(hb_op_name(bit)));
	return a;
}

static struct json_object *fault_to_json(const struct hb_fault_info *f)
{
	struct json_object *o;

	if (!f->armed)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "ops", ops_to_json(f->ops));
	add_u64(o, "start", f->start);
	add_u64(o, "sectors", f->sectors);
	add_u64(o, "percent", f->percent);
	add_u64(o, "count", f->count);
	add_u64(o, "delay_us", f->delay_us);
	add_u64(o, "injected", f->injected);
	return o;
}

static struct json_object *leg_to_json(const struct hb_leg_info *l)
{
	struct json_object *lo = json_object_new_object();
	char uuid[37];

	add_u64(lo, "index", l->index);
	add_str(lo, "name", l->name);
	add_u64(lo, "major", l->major);
	add_u64(lo, "minor", l->minor);
	add_str(lo, "state", hb_leg_state_name(l->state));
	hb_uuid_str(l->uuid, uuid);
	add_str(lo, "uuid", uuid);
	if (l->reason[0])
		add_str(lo, "reason", l->reason);
	if (l->state == HEALBLK_LEG_REBUILDING)
		add_u64(lo, "sync_pos", l->sync_pos);
	if (l->replaces >= 0)
		add_u64(lo, "replaces", l->replaces);
	add_u64(lo, "sectors", l->sectors);
	add_u64(lo, "reads", l->reads);
	add_u64(lo, "writes", l->writes);
	add_u64(lo, "read_bytes", l->read_bytes);
	add_u64(lo, "write_bytes", l->write_bytes);
	add_u64(lo, "read_errors", l->read_errors);
	add_u64(lo, "write_errors", l->write_errors);
	add_u64(lo, "retried_reads", l->retried_reads);
	add_u64(lo, "repairs", l->repairs);
	add_u64(lo, "bad_ranges", l->bad_ranges);
	json_object_object_add(lo, "fault", fault_to_json(&l->fault));
	return lo;
}

struct json_object *sync_to_json(const struct hb_sync_info *s)
{
	struct json_object *o;

	if (s->kind == HEALBLK_SYNC_NONE)
		return NULL;
	o = json_object_new_object();
	add_str(o, "kind", hb_sync_kind_name(s->kind));
	add_str(o, "status", hb_sync_status_name(s->status));
	if (!hb_sync_reads_all(s->kind))
		add_u64(o, "leg", s->leg);
	add_u64(o, "pos", s->pos);
	add_u64(o, "sectors", s->sectors);
	add_u64(o, "rate_kbs", s->rate_kbs);
	add_u64(o, "eta", s->eta);
	add_u64(o, "mismatches", s->mismatches);
	add_u64(o, "repaired", s->repaired);
	add_u64(o, "unreadable", s->unreadable);
	if (!hb_sync_reads_all(s->kind))
		add_u64(o, "copied", s->copied);
	return o;
}

struct json_object *dev_to_json(const struct hb_dev_info *dev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *legs = json_object_new_array();
	struct json_object *spares = json_object_new_array();
	char uuid[37];
	uint32_t i;

	hb_uuid_str(dev->uuid, uuid);
	add_u64(o, "index", dev->index);
	add_str(o, "name", dev->name);
	add_str(o, "uuid", uuid);
	add_u64(o, "events", dev->events);
	add_u64(o, "fail_errors", dev->fail_errors);
	add_u64(o, "fail_window", dev->fail_window);
	add_u64(o, "sectors", dev->sectors);
	add_str(o, "state", hb_dev_state_name(dev->state));
	add_u64(o, "data_offset", dev->data_offset);
	add_u64(o, "openers", dev->openers);
	json_object_object_add(o, "auto_spare", json_object_new_boolean(dev->auto_spare));
	add_u64(o, "sync_min_kbs", dev->sync_min_kbs);
	add_u64(o, "sync_max_kbs", dev->sync_max_kbs);
	add_u64(o, "bitmap_sectors", dev->bitmap_sectors);
	add_u64(o, "bitmap_dirty", dev->bitmap_dirty);
	add_u64(o, "remap_blocks", dev->remap_blocks);
	add_u64(o, "remap_used", dev->remap_used);
	add_u64(o, "mismatch_cnt", dev->mismatch_cnt);
	json_object_object_add(o, "sync", sync_to_json(&dev->sync));
	for (i = 0; i < dev->nr_legs; i++)
		json_object_array_add(legs, leg_to_json(&dev->legs[i]));
	json_object_object_add(o, "legs", legs);
	for (i = 0; i < dev->nr_spares; i++)
		json_object_array_add(spares, leg_to_json(&dev->spares[i]));
	json_object_object_add(o, "spares", spares);
	return o;
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case HEALBLK_CMD_EVENT_IO_ERROR:
		return "io_error";
	case HEALBLK_CMD_EVENT_RETRY:
		return "retry";
	case HEALBLK_CMD_EVENT_REPAIR:
		return "repair";
	case HEALBLK_CMD_EVENT_LEG_STATE:
		return "leg_state";
	case HEALBLK_CMD_EVENT_SYNC:
		return "sync";
	case HEALBLK_CMD_EVENT_REMAP:
		return "remap";
	}
	return "unknown";
}

void print_event_text(const struct hb_event *ev)
{
	const struct hb_sync_info *s = &ev->sync;
	char why[4 * sizeof(ev->reason)];

	if (ev->cmd == HEALBLK_CMD_EVENT_SYNC) {
		printf("sync dev=%u kind=%s status=%s leg=%u pos=%" PRIu64 " sectors=%" PRIu64
		       " rate_kbs=%u eta=%u mismatches=%" PRIu64 " repaired=%" PRIu64
		       " unreadable=%" PRIu64 " copied=%" PRIu64 "\n", ev->dev,
		       hb_sync_kind_name(s->kind), hb_sync_status_name(s->status), s->leg, s->pos,
		       s->sectors, s->rate_kbs, s->eta, s->mismatches, s->repaired, s->unreadable,
		       s->copied);
		fflush(stdout);
		return;
	}
	printf("%s dev=%u leg=%u", event_name(ev->cmd), ev->dev, ev->leg);
	switch (ev->cmd) {
	case HEALBLK_CMD_EVENT_IO_ERROR:
		printf(" op=%s sector=%" PRIu64 " sectors=%u errno=%u recovered=%d",
		       hb_op_name(ev->op), ev->sector, ev->sectors, ev->err, ev->recovered);
		break;
	case HEALBLK_CMD_EVENT_RETRY:
		printf(" to_leg=%u op=%s sector=%" PRIu64 " sectors=%u", ev->to_leg,
		       hb_op_name(ev->op), ev->sector, ev->sectors);
		break;
	case HEALBLK_CMD_EVENT_REPAIR:
		printf(" sector=%" PRIu64 " sectors=%u errno=%u", ev->sector,
		       ev->sectors, ev->err);
		break;
	case HEALBLK_CMD_EVENT_LEG_STATE:
		printf(" state=%s old_state=%s reason=%s", hb_leg_state_name(ev->state),
		       hb_leg_state_name(ev->old_state), SAFE(why, ev->reason));
		break;
	case HEALBLK_CMD_EVENT_REMAP:
		printf(" sector=%" PRIu64 " sectors=%u errno=%u used=%u blocks=%u", ev->sector,
		       ev->sectors, ev->err, ev->remap_used, ev->remap_blocks);
		break;
	}
	printf("\n");
	fflush(stdout);
}

struct json_object *event_to_json(const struct hb_event *ev)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "event", event_name(ev->cmd));
	add_u64(o, "dev", ev->dev);
	if (ev->cmd == HEALBLK_CMD_EVENT_SYNC) {
		json_object_object_add(o, "sync", sync_to_json(&ev->sync));
		return o;
	}
	add_u64(o, "leg", ev->leg);
	switch (ev->cmd) {
	case HEALBLK_CMD_EVENT_IO_ERROR:
		add_str(o, "op", hb_op_name(ev->op));
		add_u64(o, "sector", ev->sector);
		add_u64(o, "sectors", ev->sectors);
		add_u64(o, "errno", ev->err);
		json_object_object_add(o, "recovered", json_object_new_boolean(ev->recovered));
		break;
	case HEALBLK_CMD_EVENT_RETRY:
		add_u64(o, "to_leg", ev->to_leg);
		add_str(o, "op", hb_op_name(ev->op));
		add_u64(o, "sector", ev->sector);
		add_u64(o, "sectors", ev->sectors);
		break;
	case HEALBLK_CMD_EVENT_REPAIR:
		add_u64(o, "sector", ev->sector);
		add_u64(o, "sectors", ev->sectors);
		add_u64(o, "errno", ev->err);
		break;
	case HEALBLK_CMD_EVENT_LEG_STATE:
		add_str(o, "state", hb_leg_state_name(ev->state));
		add_str(o, "old_state", hb_leg_state_name(ev->old_state));
		add_str(o, "reason", ev->reason);
		break;
	case HEALBLK_CMD_EVENT_REMAP:
		add_u64(o, "sector", ev->sector);
		add_u64(o, "sectors", ev->sectors);
		add_u64(o, "errno", ev->err);
		add_u64(o, "remap_used", ev->remap_used);
		add_u64(o, "remap_blocks", ev->remap_blocks);
		break;
	}
	return o;
}
