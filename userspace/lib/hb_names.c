// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <linux/healblk.h>
#include "hb_names.h"

const char *hb_dev_state_name(uint32_t state)
{
	switch (state) {
	case HEALBLK_DEV_OPTIMAL:
		return "optimal";
	case HEALBLK_DEV_DEGRADED:
		return "degraded";
	case HEALBLK_DEV_FAILING:
		return "failing";
	}
	return "unknown";
}

const char *hb_leg_state_name(uint32_t state)
{
	switch (state) {
	case HEALBLK_LEG_IN_SYNC:
		return "in_sync";
	case HEALBLK_LEG_FAILED:
		return "failed";
	case HEALBLK_LEG_MISSING:
		return "missing";
	case HEALBLK_LEG_REBUILDING:
		return "rebuilding";
	case HEALBLK_LEG_SPARE:
		return "spare";
	}
	return "unknown";
}

const char *hb_sync_kind_name(uint32_t kind)
{
	switch (kind) {
	case HEALBLK_SYNC_NONE:
		return "none";
	case HEALBLK_SYNC_REBUILD:
		return "rebuild";
	case HEALBLK_SYNC_SCRUB:
		return "scrub";
	case HEALBLK_SYNC_RESYNC:
		return "resync";
	case HEALBLK_SYNC_CHECK:
		return "check";
	}
	return "unknown";
}

bool hb_sync_reads_all(uint32_t kind)
{
	return kind == HEALBLK_SYNC_SCRUB || kind == HEALBLK_SYNC_CHECK;
}

const char *hb_sync_status_name(uint32_t status)
{
	switch (status) {
	case HEALBLK_SYNC_RUNNING:
		return "running";
	case HEALBLK_SYNC_DONE:
		return "done";
	case HEALBLK_SYNC_ABORTED:
		return "aborted";
	case HEALBLK_SYNC_FAILED:
		return "failed";
	case HEALBLK_SYNC_STOPPED:
		return "stopped";
	}
	return "unknown";
}

const char *hb_op_name(uint32_t op)
{
	switch (op) {
	case HEALBLK_OP_READ:
		return "read";
	case HEALBLK_OP_WRITE:
		return "write";
	case HEALBLK_OP_FLUSH:
		return "flush";
	case HEALBLK_OP_META:
		return "meta";
	}
	return "unknown";
}

uint32_t hb_op_mask_parse(const char *s)
{
	static const struct {
		const char *name;
		uint32_t mask;
	} ops[] = {
		{ "read", HEALBLK_OP_READ },
		{ "write", HEALBLK_OP_WRITE },
		{ "flush", HEALBLK_OP_FLUSH },
		{ "meta", HEALBLK_OP_META },
		{ "rw", HEALBLK_OP_READ | HEALBLK_OP_WRITE },
	};
	uint32_t mask = 0;
	size_t i, len;

	while (*s) {
		len = strcspn(s, ",");
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strlen(ops[i].name) == len && !strncmp(s, ops[i].name, len))
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			return 0;
		mask |= ops[i].mask;
		s += len;
		if (*s == ',')
			s++;
	}
	return mask;
}
