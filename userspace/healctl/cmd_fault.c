// SPDX-License-Identifier: GPL-2.0
/* fault set | clear: healblk's own fault injection on one leg. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "../lib/hb_names.h"
#include "../lib/hb_parse.h"
#include "../lib/log.h"
#include "healctl.h"

struct fault_args {
	uint32_t dev, leg, ops, percent, count, delay_us;
	uint64_t start, sectors;
	bool have_leg, have_percent;
};

static int bad_value(const char *opt, const char *val)
{
	hb_err("fault: bad value '%s' for --%s", val, opt);
	return -EINVAL;
}

static int parse_fault_args(int argc, char **argv, struct fault_args *a)
{
	static const struct option opts[] = {
		{ "leg", required_argument, NULL, 'l' },
		{ "op", required_argument, NULL, 'o' },
		{ "start", required_argument, NULL, 's' },
		{ "sectors", required_argument, NULL, 'n' },
		{ "percent", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "delay-us", required_argument, NULL, 'd' },
		{ 0 },
	};
	int c;

	a->ops = HEALBLK_OP_READ;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (hb_parse_u32(optarg, HEALBLK_MAX_LEGS - 1, &a->leg))
				return bad_value("leg", optarg);
			a->have_leg = true;
			break;
		case 'o':
			a->ops = hb_op_mask_parse(optarg);
			if (!a->ops)
				return bad_value("op", optarg);
			break;
		case 's':
			if (hb_parse_u64(optarg, &a->start))
				return bad_value("start", optarg);
			break;
		case 'n':
			if (hb_parse_u64(optarg, &a->sectors))
				return bad_value("sectors", optarg);
			break;
		case 'p':
			if (hb_parse_u32(optarg, 100, &a->percent))
				return bad_value("percent", optarg);
			a->have_percent = true;
			break;
		case 'c':
			if (hb_parse_u32(optarg, UINT32_MAX, &a->count))
				return bad_value("count", optarg);
			break;
		case 'd':
			if (hb_parse_u32(optarg, UINT32_MAX, &a->delay_us))
				return bad_value("delay-us", optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || hb_parse_dev_index(argv[optind], &a->dev)) {
		hb_err("fault: name one device (healblkN)");
		return -EINVAL;
	}
	if (!a->have_leg) {
		hb_err("fault: --leg N is required");
		return -EINVAL;
	}
	/* Errors every time unless told otherwise; a delay alone adds no errors. */
	if (!a->have_percent && !a->delay_us)
		a->percent = 100;
	return 0;
}

int cmd_fault(struct healctl *ctl, int argc, char **argv)
{
	struct fault_args a = { 0 };
	struct nl_msg *msg;
	bool set;
	int ret;

	if (argc < 1 || (strcmp(argv[0], "set") && strcmp(argv[0], "clear")))
		return usage();
	set = !strcmp(argv[0], "set");
	/* getopt_long permutes from argv[1]: hand it "fault" as argv[0]. */
	if (parse_fault_args(argc, argv, &a))
		return EXIT_USAGE;

	msg = ctl_msg(ctl, set ? HEALBLK_CMD_FAULT_SET : HEALBLK_CMD_FAULT_CLEAR, 0);
	if (!msg)
		return kernel_error(ctl, "fault", -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, a.dev);
	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, a.leg);
	if (set) {
		nla_put_u32(msg, HEALBLK_A_FAULT_OPS, a.ops);
		nla_put_u64(msg, HEALBLK_A_FAULT_START, a.start);
		nla_put_u64(msg, HEALBLK_A_FAULT_SECTORS, a.sectors);
		nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, a.percent);
		nla_put_u32(msg, HEALBLK_A_FAULT_COUNT, a.count);
		nla_put_u32(msg, HEALBLK_A_FAULT_DELAY_US, a.delay_us);
	}
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	return ret ? kernel_error(ctl, set ? "fault set" : "fault clear", ret) : 0;
}
