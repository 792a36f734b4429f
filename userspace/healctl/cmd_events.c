// SPDX-License-Identifier: GPL-2.0
/* events --follow: one line per healblk event, flushed at once. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include "../lib/hb_parse.h"
#include "../lib/hb_time.h"
#include "../lib/schema.h"
#include "../lib/log.h"
#include "healctl.h"

struct follow {
	struct healctl *ctl;
	uint64_t seen, count;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct follow *f = arg;
	struct json_object *o;
	struct hb_event ev;

	if (hb_parse_event(msg, &ev))
		return NL_SKIP;
	if (f->ctl->json) {
		struct timespec rx = hb_wall_now();
		char stamp[48];

		o = event_to_json(&ev);
		json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
		/* When healctl received it: the kernel's events carry no time. */
		json_object_object_add(o, "received", json_object_new_string(
			hb_rfc3339(stamp, sizeof(stamp), &rx, 9)));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
		json_object_put(o);
	} else {
		print_event_text(&ev);
	}
	f->seen++;
	return NL_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_events(struct healctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 },
	};
	struct follow f = { .ctl = ctl };
	uint64_t timeout = 0;
	bool follow = false;
	double deadline;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'c':
			if (hb_parse_u64(optarg, &f.count)) {
				hb_err("events: bad --count '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (hb_parse_u64(optarg, &timeout)) {
				hb_err("events: bad --timeout '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return usage();
		}
	}
	if (!follow || optind != argc + 1) {
		hb_err("events: only --follow is supported: events are not stored");
		return usage();
	}

	if (ctl_open(ctl, false))
		return 1;
	ret = hb_nl_subscribe(&ctl->nl);
	if (ret)
		return kernel_error(ctl, "events", ret);
	nl_socket_modify_cb(ctl->nl.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &f);
	deadline = timeout ? now() + (double)timeout : 0;

	while (!f.count || f.seen < f.count) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(ctl->nl.sk), .events = POLLIN };
		int wait_ms = -1;

		if (deadline) {
			double left = deadline - now();

			if (left <= 0)
				break;
			wait_ms = (int)(left * 1000) + 1;
		}
		ret = poll(&pfd, 1, wait_ms);
		if (ret < 0 && errno != EINTR)
			return kernel_error(ctl, "events", -errno);
		if (ret > 0 && nl_recvmsgs_default(ctl->nl.sk) < 0) {
			/* An overrun loses events but the stream goes on: say so. */
			hb_err("events: receive failed; some events may be lost");
		}
	}
	return 0;
}
