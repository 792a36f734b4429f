// SPDX-License-Identifier: GPL-2.0
/* What healctl prints: text for people, JSON (json-c) for scripts. */
#include <inttypes.h>
#include <stdio.h>
#include <json-c/json.h>
#include "../lib/hb_names.h"
#include "healctl.h"

void print_dev_text(const struct hb_dev_info *dev)
{
	char uuid[37];
	uint32_t i;

	hb_uuid_str(dev->uuid, uuid);
	printf("%s: %s, %" PRIu64 " sectors (%.1f MiB), %u legs, data offset %" PRIu64
	       ", %u open\n  uuid %s, event %" PRIu64 ", a leg fails at %u errors in %u s%s\n",
	       dev->name, hb_dev_state_name(dev->state), dev->sectors, dev->sectors / 2048.0,
	       dev->nr_legs, dev->data_offset, dev->openers, uuid, dev->events,
	       dev->fail_errors, dev->fail_window, dev->fail_errors ? "" : " (never)");
	for (i = 0; i < dev->nr_legs; i++) {
		const struct hb_leg_info *l = &dev->legs[i];

		printf("  leg %u %-10s %-8s reads %" PRIu64 " writes %" PRIu64
		       " read_errors %" PRIu64 " write_errors %" PRIu64
		       " retried %" PRIu64 " repairs %" PRIu64 " bad_ranges %u\n",
		       l->index, l->name, hb_leg_state_name(l->state), l->reads,
		       l->writes, l->read_errors, l->write_errors, l->retried_reads,
		       l->repairs, l->bad_ranges);
		if (l->reason[0])
			printf("    why: %s\n", l->reason);
		if (l->fault.armed)
			printf("    fault: ops %#x start %" PRIu64 " sectors %" PRIu64
			       " percent %u count %u delay_us %u injected %" PRIu64 "\n",
			       l->fault.ops, l->fault.start, l->fault.sectors,
			       l->fault.percent, l->fault.count, l->fault.delay_us,
			       l->fault.injected);
	}
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

	for (bit = HEALBLK_OP_READ; bit <= HEALBLK_OP_FLUSH; bit <<= 1)
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

struct json_object *dev_to_json(const struct hb_dev_info *dev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *legs = json_object_new_array();
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
	for (i = 0; i < dev->nr_legs; i++) {
		const struct hb_leg_info *l = &dev->legs[i];
		struct json_object *lo = json_object_new_object();

		add_u64(lo, "index", l->index);
		add_str(lo, "name", l->name);
		add_u64(lo, "major", l->major);
		add_u64(lo, "minor", l->minor);
		add_str(lo, "state", hb_leg_state_name(l->state));
		hb_uuid_str(l->uuid, uuid);
		add_str(lo, "uuid", uuid);
		if (l->reason[0])
			add_str(lo, "reason", l->reason);
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
		json_object_array_add(legs, lo);
	}
	json_object_object_add(o, "legs", legs);
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
	}
	return "unknown";
}

void print_event_text(const struct hb_event *ev)
{
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
		       hb_leg_state_name(ev->old_state), ev->reason);
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
	}
	return o;
}
