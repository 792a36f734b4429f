// SPDX-License-Identifier: GPL-2.0
/* Scheduled scrub, the pure part: see scrub.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "../lib/hb_time.h"
#include "scrub.h"

double scrub_offset(const uint8_t uuid[16], double interval)
{
	uint64_t hash = 14695981039346656037ULL;	/* FNV-1a, 64 bits */
	int i;

	for (i = 0; i < 16; i++) {
		hash ^= uuid[i];
		hash *= 1099511628211ULL;
	}
	if (interval <= 0)
		return 0;
	/* 2^53 steps of the interval: a double holds each exactly. */
	return (double)(hash >> 11) / 9007199254740992.0 * interval;
}

double scrub_next(double ref, double interval, double offset)
{
	double k = floor((ref - offset) / interval) + 1;

	return offset + k * interval;
}

static void stamp(char *buf, size_t len, double t)
{
	struct timespec ts = { (time_t)t, 0 };

	hb_rfc3339(buf, len, &ts, 0);
}

enum scrub_verdict scrub_decide(const struct scrub_in *in, double *due, char *why, size_t len)
{
	double ref = in->last > 0 ? in->last : in->seen;
	char when[48];

	/* Stamped ahead of now (the clock was, then was set back): now. */
	if (ref > in->now)
		ref = in->now;

	*due = 0;
	if (in->interval <= 0) {
		snprintf(why, len, "scheduled scrub is off");
		return SCRUB_OFF;
	}
	*due = scrub_next(ref, in->interval, in->offset);
	stamp(when, sizeof(when), *due);
	if (in->now < *due) {
		snprintf(why, len, "next scrub at %s", when);
		return SCRUB_WAIT;
	}
	if (in->degraded || in->syncing) {
		snprintf(why, len, "scrub due since %s waits: the array is %s", when,
			 in->degraded ? "degraded" : "syncing");
		return SCRUB_PAUSE;
	}
	/* One at a time on a node: its arrays may share disks, and all come due after an outage. */
	if (in->others > 0) {
		snprintf(why, len, "scrub due since %s waits: another array of the node scrubs", when);
		return SCRUB_PAUSE;
	}
	snprintf(why, len, "scheduled scrub, every %g days, due at %s (%s)", in->interval / 86400,
		 when, in->last > 0 ? "its slot after the last scrub" : "its first slot");
	return SCRUB_GO;
}

static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static uint64_t member_u64(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_int);

	return v && json_object_get_int64(v) > 0 ? (uint64_t)json_object_get_int64(v) : 0;
}

void scrub_replay(struct scrub_hist *hs, int *n, int max, struct json_object *entry)
{
	struct json_object *type = member(entry, "type", json_type_string);
	struct json_object *uuid = member(entry, "uuid", json_type_string), *v;
	struct json_object *tm = member(entry, "time", json_type_string);
	struct scrub_hist *s = NULL;
	double t;
	int i;

	if (!type || !uuid || !tm || json_object_get_string_len(uuid) != 36 ||
	    (t = hb_rfc3339_parse(json_object_get_string(tm))) < 0)
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp(hs[i].uuid, json_object_get_string(uuid)))
			s = &hs[i];
	if (!s) {
		if (*n >= max)
			return;
		s = &hs[(*n)++];
		memset(s, 0, sizeof(*s));
		snprintf(s->uuid, sizeof(s->uuid), "%s", json_object_get_string(uuid));
	}
	if (!strcmp(json_object_get_string(type), "decision")) {
		v = member(entry, "action", json_type_string);
		if (v && !strcmp(json_object_get_string(v), "scrub") && (v = member(entry, "by", json_type_string)) &&
		    !strcmp(json_object_get_string(v), "schedule")) {
			s->last_start = t;
			s->open = member_u64(entry, "id");
		}
		return;
	}
	if (strcmp(json_object_get_string(type), "scrub"))
		return;
	v = member(entry, "result", json_type_string);
	if (!v || !strcmp(json_object_get_string(v), "paused"))
		return;
	s->last_done = t;
	snprintf(s->result, sizeof(s->result), "%s", json_object_get_string(v));
	s->mismatches = member_u64(entry, "mismatches");
	s->repaired = member_u64(entry, "repaired");
	s->unreadable = member_u64(entry, "unreadable");
	if (s->open && member_u64(entry, "ref") == s->open)
		s->open = 0;
}
