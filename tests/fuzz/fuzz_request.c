// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's request path: the input is what a client writes,
 * cut into lines as api.c does (at '\n', at most 4095 bytes buffered), and
 * each line goes through request_parse(), the code heald runs on it.  What
 * it returns must be consistent: a parsed request names a known command,
 * an error is a terminated message that fits a reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "request.h"

#define CLIENT_IN 4096	/* api.c's struct client in[] */

static void check(const char *line, size_t len)
{
	struct request rq;
	char err[300];
	int ret;

	memset(err, 0xa5, sizeof(err));
	ret = request_parse(line, len, &rq, err, sizeof(err));
	if (ret) {
		struct json_object *o;

		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		/* The reply heald would send: it must serialize. */
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string(err));
		if (!json_object_to_json_string(o))
			abort();
		json_object_put(o);
		return;
	}
	if (rq.cmd == REQ_NONE || rq.cmd == REQ_OTHER)
		abort();
	if (rq.cmd == REQ_JOURNAL && rq.limit > 1024)
		abort();
	if (rq.cmd == REQ_RECEIVE && (!rq.workload[0] || !rq.from[0] || rq.workload[0] == '-' ||
				      strpbrk(rq.from, " ;'\"$`|&<>/") || rq.pid < 0 ||
				      (!rq.begin && !rq.pid && !rq.failed)))
		abort();
	if (rq.cmd == REQ_ACT) {
		if (rq.action == RA_NONE || !memchr(rq.action_name, '\0', sizeof(rq.action_name)))
			abort();
		if (rq.action != RA_REROUTE && rq.action != RA_DRAIN && rq.action != RA_UNDRAIN && !rq.has_dev)
			abort();
		/* A workload's name, or all: never both, never a name a shell would act on. */
		if ((rq.action == RA_DRAIN || rq.action == RA_UNDRAIN) &&
		    (!rq.all == !rq.workload[0] || strpbrk(rq.workload, " ;'\"$`|&<>/")))
			abort();
		if ((rq.action == RA_FAIL_LEG || rq.action == RA_REBUILD) && rq.leg > 3)
			abort();
		if (rq.action == RA_ADD_SPARE && (!rq.disk[0] || !memchr(rq.disk, '\0', sizeof(rq.disk))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;	/* an unfinished request: heald waits for the rest */
		if (nl - p < CLIENT_IN)
			check(p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}
