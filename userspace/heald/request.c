// SPDX-License-Identifier: GPL-2.0
/* The control socket's request parser: pure, see request.h. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "../lib/hb_parse.h"
#include "../lib/schema.h"
#include "../../include/uapi/linux/healblk.h"
#include "request.h"

#define JOURNAL_QUERY_MAX HEAL_JOURNAL_RECENT	/* what is in memory */

/* 1: absent, 0: @val set, -1: not a whole number in 0..@max. */
static int get_uint(struct json_object *req, const char *key, uint64_t max, uint64_t *val)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 1;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
	    (uint64_t)json_object_get_int64(v) > max)
		return -1;
	*val = (uint64_t)json_object_get_int64(v);
	return 0;
}

/* A string member that fits @size: 1 absent, 0 copied, -1 wrong type or too long. */
static int get_str(struct json_object *req, const char *key, char *buf, size_t size)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 1;
	if (!json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= size ||
	    memchr(json_object_get_string(v), '\0', (size_t)json_object_get_string_len(v)))
		return -1;
	memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

static int get_dev(struct json_object *req, uint32_t *index)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, "dev", &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0 || json_object_get_int64(v) > 1 << 20)
			return -1;
		*index = (uint32_t)json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    hb_parse_dev_index(json_object_get_string(v), index))
		return -1;
	return 0;
}

/* A name as config.c allows one (letters, digits, _ . -, not starting with -): 0 or -1. */
static int get_name(struct json_object *req, const char *key, char *buf, size_t size)
{
	if (get_str(req, key, buf, size) || !buf[0] || buf[0] == '-' ||
	    strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(buf))
		return -1;
	return 0;
}

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static int parse_act(struct json_object *req, struct request *rq, char *err, size_t errlen)
{
	static const struct { const char *name; enum req_action a; } acts[] = {
		{ "fail-leg", RA_FAIL_LEG }, { "rebuild", RA_REBUILD }, { "scrub", RA_SCRUB },
		{ "add-spare", RA_ADD_SPARE }, { "reroute", RA_REROUTE }, { "drain", RA_DRAIN },
		{ "undrain", RA_UNDRAIN },
	};
	uint64_t leg = 0;
	size_t i;

	if (get_str(req, "action", rq->action_name, sizeof(rq->action_name)))
		return fail(err, errlen, "act: \"action\" (fail-leg, add-spare, rebuild, scrub, reroute, drain, undrain) is missing");
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(rq->action_name, acts[i].name))
			rq->action = acts[i].a;
	if (rq->action == RA_REROUTE) {
		int r = get_str(req, "uplink", rq->uplink, sizeof(rq->uplink));

		if (r < 0)
			return fail(err, errlen, "act reroute: \"uplink\" must be an uplink's name");
		rq->has_uplink = r == 0;
		return 0;
	}
	if (rq->action == RA_DRAIN || rq->action == RA_UNDRAIN) {
		struct json_object *v;

		if (json_object_object_get_ex(req, "all", &v)) {
			if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v) ||
			    json_object_object_get_ex(req, "workload", NULL))
				goto drain_usage;
			rq->all = true;
			return 0;
		}
		if (!get_name(req, "workload", rq->workload, sizeof(rq->workload)))
			return 0;
drain_usage:
		snprintf(err, errlen, "act %s: give \"workload\" (a workload's name) or \"all\": true",
			 rq->action_name);
		return -1;
	}
	if (get_dev(req, &rq->dev))
		return fail(err, errlen, "act: \"dev\" is missing or not a device name");
	rq->has_dev = true;
	switch (rq->action) {
	case RA_FAIL_LEG:
	case RA_REBUILD:
		if (get_uint(req, "leg", HEALBLK_MAX_LEGS - 1, &leg)) {
			snprintf(err, errlen, "act %s: \"leg\" must be 0..3", rq->action_name);
			return -1;
		}
		rq->leg = (uint32_t)leg;
		return 0;
	case RA_ADD_SPARE:
		if (get_str(req, "disk", rq->disk, sizeof(rq->disk)) || !rq->disk[0])
			return fail(err, errlen, "act add-spare: \"disk\" (a block device path) is missing");
		return 0;
	case RA_SCRUB:
		return 0;
	default:
		snprintf(err, errlen, "act: unknown action '%s' (fail-leg, add-spare, rebuild, scrub, reroute, drain, undrain)",
			 rq->action_name);
		return -1;
	}
}

/* A peer's heald announcing (begin) or ending (end) a move to this node. */
static int parse_receive(struct json_object *req, struct request *rq, char *err, size_t errlen)
{
	char phase[8];
	uint64_t pid = 0;
	struct json_object *v;

	if (get_str(req, "phase", phase, sizeof(phase)) || (strcmp(phase, "begin") && strcmp(phase, "end")))
		return fail(err, errlen, "receive: \"phase\" must be \"begin\" or \"end\"");
	rq->begin = !strcmp(phase, "begin");
	if (get_name(req, "workload", rq->workload, sizeof(rq->workload)) ||
	    get_name(req, "from", rq->from, sizeof(rq->from)))
		return fail(err, errlen, "receive: \"workload\" and \"from\" must be names (letters, digits, _ . -)");
	if (rq->begin)
		return 0;
	if (get_uint(req, "pid", INT32_MAX, &pid) < 0)
		return fail(err, errlen, "receive end: \"pid\" must be a process id");
	rq->pid = (int32_t)pid;
	if (json_object_object_get_ex(req, "failed", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, errlen, "receive end: \"failed\" must be true or false");
		rq->failed = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(req, "domain", &v) &&
	    get_name(req, "domain", rq->domain, sizeof(rq->domain)))
		return fail(err, errlen, "receive end: \"domain\" must be a name (letters, digits, _ . -)");
	if (!rq->failed && !rq->pid && !rq->domain[0])
		return fail(err, errlen, "receive end: give the restored \"pid\", the \"domain\" or \"failed\": true");
	return 0;
}

int request_parse(const char *line, size_t len, struct request *rq, char *err, size_t errlen)
{
	static const struct { const char *name; enum req_cmd cmd; } cmds[] = {
		{ "status", REQ_STATUS }, { "journal", REQ_JOURNAL }, { "why", REQ_WHY },
		{ "events", REQ_EVENTS }, { "act", REQ_ACT }, { "receive", REQ_RECEIVE },
	};
	struct json_tokener *tok;
	struct json_object *req, *v;
	int ret = 0;
	size_t i;

	memset(rq, 0, sizeof(*rq));
	rq->limit = 100;
	if (memchr(line, '\0', len))
		return fail(err, errlen, "malformed request: NUL byte");
	if (len > (size_t)INT32_MAX)
		return fail(err, errlen, "malformed request: too long");
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, "out of memory");
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(req);
		json_tokener_free(tok);
		return fail(err, errlen, "malformed request: not one JSON object");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(req);
		return fail(err, errlen, "malformed request: no \"cmd\" string");
	}
	snprintf(rq->name, sizeof(rq->name), "%s", json_object_get_string(v));
	rq->cmd = REQ_OTHER;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(json_object_get_string(v), cmds[i].name))
			rq->cmd = cmds[i].cmd;
	switch (rq->cmd) {
	case REQ_JOURNAL:
		if (get_uint(req, "after", UINT64_MAX >> 1, &rq->after) < 0 ||
		    get_uint(req, "limit", JOURNAL_QUERY_MAX, &rq->limit) < 0)
			ret = fail(err, errlen, "journal: \"after\" and \"limit\" must be whole numbers (limit <= 1024)");
		break;
	case REQ_WHY:
		if (get_uint(req, "id", UINT64_MAX >> 1, &rq->id))
			ret = fail(err, errlen, "why: \"id\" (a journal entry id) is missing");
		break;
	case REQ_ACT:
		ret = parse_act(req, rq, err, errlen);
		break;
	case REQ_RECEIVE:
		ret = parse_receive(req, rq, err, errlen);
		break;
	case REQ_OTHER:
		snprintf(err, errlen, "unknown command '%.32s' (status, journal, why, events, act, receive)",
			 json_object_get_string(v));
		ret = -1;
		break;
	default:
		break;
	}
	json_object_put(req);
	return ret;
}
