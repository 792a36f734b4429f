// SPDX-License-Identifier: GPL-2.0
/* Decisions without a final outcome, from the journal: see replay.h. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "replay.h"

/* Member @key of type @type, else NULL. */
static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* A whole number 0..@max in member @key: 0, else -1. */
static int member_uint(struct json_object *o, const char *key, int64_t max, uint64_t *val)
{
	struct json_object *v = member(o, key, json_type_int);

	if (!v || json_object_get_int64(v) < 0 || json_object_get_int64(v) > max)
		return -1;
	*val = (uint64_t)json_object_get_int64(v);
	return 0;
}

/* "workload:NAME" of a move or hand-off: NAME into @name. */
static bool workload_move(struct json_object *entry, struct json_object *act, char *name, size_t len)
{
	struct json_object *res = member(entry, "resource", json_type_string);
	const char *r = res ? json_object_get_string(res) : "";

	if (strncmp(r, "workload:", 9) || !r[9] || strlen(r + 9) >= len ||
	    (strcmp(json_object_get_string(act), "move") && strcmp(json_object_get_string(act), "hand-off")))
		return false;
	snprintf(name, len, "%s", r + 9);
	return true;
}

void replay_entry(struct pending *p, int *np, int max, struct json_object *entry)
{
	struct json_object *type = member(entry, "type", json_type_string), *act, *v;
	uint64_t id, ref, dev = 0, leg = 0;
	char workload[sizeof(p->workload)] = "";
	int i;

	if (!type || member_uint(entry, "id", INT64_MAX, &id) || max <= 0)
		return;
	if (!strcmp(json_object_get_string(type), "decision")) {
		act = member(entry, "action", json_type_string);
		/* Dry run ("taken": false) changed nothing: nothing to finish. */
		v = member(entry, "taken", json_type_boolean);
		if (act && workload_move(entry, act, workload, sizeof(workload))) {
			if (!v || !json_object_get_boolean(v))
				return;
		} else if (!act || member_uint(entry, "dev", UINT32_MAX, &dev) ||
		    (json_object_object_get_ex(entry, "leg", NULL) &&
		     member_uint(entry, "leg", UINT32_MAX, &leg)) ||
		    (v && !json_object_get_boolean(v)))
			return;
		if (*np >= max) {
			memmove(p, p + 1, sizeof(*p) * (size_t)(max - 1));
			*np = max - 1;
		}
		p[*np].id = id;
		p[*np].dev = (uint32_t)dev;
		p[*np].leg = (uint32_t)leg;
		snprintf(p[*np].action, sizeof(p[*np].action), "%s", json_object_get_string(act));
		p[*np].started = false;
		snprintf(p[*np].workload, sizeof(p[*np].workload), "%s", workload);
		(*np)++;
		return;
	}
	if (strcmp(json_object_get_string(type), "outcome") || member_uint(entry, "ref", INT64_MAX, &ref))
		return;
	for (i = 0; i < *np; i++) {
		if (p[i].id != ref)
			continue;
		v = member(entry, "final", json_type_boolean);
		if (v && json_object_get_boolean(v))
			p[i] = p[--*np];
		else
			p[i].started = true;
		return;
	}
}

void replay_drain(char (*names)[REPLAY_NAME], int *n, int max, struct json_object *entry)
{
	struct json_object *type = member(entry, "type", json_type_string), *act, *v, *ev, *wls;
	bool drain;
	size_t i;
	int k;

	if (!type || strcmp(json_object_get_string(type), "decision") ||
	    !(act = member(entry, "action", json_type_string)) ||
	    !(v = member(entry, "taken", json_type_boolean)) || !json_object_get_boolean(v) ||
	    !(ev = member(entry, "evidence", json_type_object)) ||
	    !(wls = member(ev, "workloads", json_type_array)))
		return;
	if (!strcmp(json_object_get_string(act), "drain"))
		drain = true;
	else if (!strcmp(json_object_get_string(act), "undrain"))
		drain = false;
	else
		return;
	for (i = 0; i < json_object_array_length(wls); i++) {
		struct json_object *w = json_object_array_get_idx(wls, i);
		const char *name = json_object_is_type(w, json_type_string) ? json_object_get_string(w) : "";

		if (!*name || strlen(name) >= REPLAY_NAME)
			continue;
		for (k = 0; k < *n && strcmp(names[k], name); k++)
			;
		if (drain && k == *n && *n < max)
			snprintf(names[(*n)++], REPLAY_NAME, "%s", name);
		else if (!drain && k < *n)
			memcpy(names[k], names[--*n], REPLAY_NAME);
	}
}
