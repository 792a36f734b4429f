/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A control-socket request line, parsed and checked without any of heald's
 * state: what api.c executes, and what tests/fuzz/fuzz_request.c fuzzes.
 * Who may do what is not decided here (that needs the peer's credentials).
 */
#ifndef HEALD_REQUEST_H
#define HEALD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum req_cmd { REQ_NONE, REQ_STATUS, REQ_JOURNAL, REQ_WHY, REQ_EVENTS, REQ_ACT, REQ_RECEIVE,
	       REQ_OTHER };
enum req_action { RA_NONE, RA_FAIL_LEG, RA_REBUILD, RA_SCRUB, RA_ADD_SPARE, RA_REROUTE, RA_DRAIN,
		  RA_UNDRAIN };

struct request {
	enum req_cmd cmd;	/* REQ_NONE: the line is not a request at all */
	char name[32];		/* the "cmd" as sent (for REQ_OTHER's message) */
	uint64_t after, limit, id;	/* journal, why */
	enum req_action action;
	char action_name[32];
	bool has_dev;		/* act: "dev": "healblk0" | "/dev/healblk0" | 0 */
	uint32_t dev;
	uint32_t leg;		/* fail-leg, rebuild: 0..3 */
	char disk[256];		/* add-spare */
	bool has_uplink;	/* reroute: optional */
	char uplink[32];
	char workload[32];	/* drain, undrain, receive: a [workload] name */
	bool all;		/* drain, undrain: every workload */
	bool begin;		/* receive: "phase": "begin" or "end" */
	char from[64];		/* receive: the source node's name */
	int32_t pid;		/* receive end: the restored pid, 0: none */
	char domain[64];	/* receive end: or the libvirt domain that runs there now */
	bool failed;		/* receive end: the move failed at its source */
};

/*
 * Parse @line (@len bytes, no newline; it may hold NUL bytes: an error).
 * 0: @rq is complete.  -1: @err says what is wrong, in the words healctl
 * shows; @rq->cmd is still set once the command is known, so that the
 * caller can answer "permission denied" before argument errors.
 */
int request_parse(const char *line, size_t len, struct request *rq, char *err, size_t errlen);

#endif
