// SPDX-License-Identifier: GPL-2.0
/* spare add/remove, rebuild, scrub, abort */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "../lib/hb_names.h"
#include "../lib/hb_parse.h"
#include "../lib/log.h"
#include "../lib/schema.h"
#include "healctl.h"

/* SPARE_ADD, or with HEALBLK_SPARE_READD a leg of the device back into its slot. */
static int spare_add(struct healctl *ctl, const char *what, const char *dev, const char *path,
		     uint32_t flags)
{
	struct nl_msg *msg;
	struct stat st;
	uint32_t index;
	int ret;

	if (parse_dev(dev, &index))
		return EXIT_USAGE;
	if (stat(path, &st)) {
		hb_err("%s: %s: %s", what, path, strerror(errno));
		return 1;
	}
	if (!S_ISBLK(st.st_mode)) {
		hb_err("%s: %s is not a block device", what, path);
		return 1;
	}
	msg = ctl_msg(ctl, HEALBLK_CMD_SPARE_ADD, 0);
	if (!msg)
		return kernel_error(ctl, what, -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	nla_put_u32(msg, HEALBLK_A_LEG_MAJOR, major(st.st_rdev));
	nla_put_u32(msg, HEALBLK_A_LEG_MINOR, minor(st.st_rdev));
	if (flags)
		nla_put_u32(msg, HEALBLK_A_DEV_FLAGS, flags);
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	return ret ? kernel_error(ctl, what, ret) : 0;
}

int cmd_spare(struct healctl *ctl, int argc, char **argv)
{
	uint32_t n;

	if (argc == 3 && !strcmp(argv[0], "add"))
		return spare_add(ctl, "spare add", argv[1], argv[2], 0);
	if (argc == 3 && !strcmp(argv[0], "remove")) {
		if (hb_parse_u32(argv[2], HEALBLK_MAX_SPARES - 1, &n)) {
			hb_err("spare remove: '%s' is not a spare index (0 to %d)", argv[2],
			       HEALBLK_MAX_SPARES - 1);
			return EXIT_USAGE;
		}
		return dev_request(ctl, "spare remove", HEALBLK_CMD_SPARE_REMOVE, argv[1], (int)n);
	}
	return usage();
}

/*
 * re-add DEV DISK: a leg of DEV that left (failed, or missing since a
 * degraded start) is back, as DISK: into its slot, caught up from the
 * bitmap if it was in sync when it left (mdadm --re-add).  DISK may be
 * the failed leg's own disk, still attached: caught up in place.
 */
int cmd_readd(struct healctl *ctl, int argc, char **argv)
{
	if (argc != 2)
		return usage();
	return spare_add(ctl, "re-add", argv[0], argv[1], HEALBLK_SPARE_READD);
}

int cmd_rebuild(struct healctl *ctl, int argc, char **argv)
{
	uint32_t leg;

	if (argc != 2)
		return usage();
	if (hb_parse_u32(argv[1], HEALBLK_MAX_LEGS - 1, &leg)) {
		hb_err("rebuild: '%s' is not a leg index (0 to %d)", argv[1], HEALBLK_MAX_LEGS - 1);
		return EXIT_USAGE;
	}
	return dev_request(ctl, "rebuild", HEALBLK_CMD_REBUILD, argv[0], (int)leg);
}

/*
 * replace DEV LEG: copy leg LEG, in sync, to a spare while it keeps
 * serving; once the copy is in sync the leg leaves and the spare takes
 * its slot (md's want_replacement).  A disk that is wearing out is
 * replaced without the mirror ever having one copy fewer.
 */
int cmd_replace(struct healctl *ctl, int argc, char **argv)
{
	struct nl_msg *msg;
	uint32_t index, leg;
	int ret;

	if (argc != 2)
		return usage();
	if (parse_dev(argv[0], &index))
		return EXIT_USAGE;
	if (hb_parse_u32(argv[1], HEALBLK_MAX_LEGS - 1, &leg)) {
		hb_err("replace: '%s' is not a leg index (0 to %d)", argv[1], HEALBLK_MAX_LEGS - 1);
		return EXIT_USAGE;
	}
	msg = ctl_msg(ctl, HEALBLK_CMD_REBUILD, 0);
	if (!msg)
		return kernel_error(ctl, "replace", -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, leg);
	nla_put_u32(msg, HEALBLK_A_DEV_FLAGS, HEALBLK_REBUILD_REPLACE);
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	return ret ? kernel_error(ctl, "replace", ret) : 0;
}

int cmd_abort(struct healctl *ctl, int argc, char **argv)
{
	if (argc != 1)
		return usage();
	return dev_request(ctl, "abort", HEALBLK_CMD_SYNC_ABORT, argv[0], -1);
}

static void keep_dev(const struct hb_dev_info *dev, void *arg)
{
	*(struct hb_dev_info *)arg = *dev;
}

static int get_dev(struct healctl *ctl, uint32_t index, struct hb_dev_info *dev)
{
	struct nl_msg *msg = ctl_msg(ctl, HEALBLK_CMD_GET, 0);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	return hb_nl_call(&ctl->nl, msg, keep_dev, dev);
}

/*
 * scrub DEV [--check] [--wait]: start it (with --check, md's check: count
 * mismatches, repair nothing); with --wait, follow it to its end and
 * print the counts.  Exit 1 if it did not finish or found blocks that no
 * leg could read, and after a check that found mismatches.
 */
int cmd_scrub(struct healctl *ctl, int argc, char **argv)
{
	bool check = false, wait = false;
	const char *name = NULL;
	struct hb_dev_info dev;
	struct json_object *o;
	struct nl_msg *msg;
	uint32_t index;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "--wait"))
			wait = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return usage();
	}
	if (!name)
		return usage();
	if (parse_dev(name, &index))
		return EXIT_USAGE;
	msg = ctl_msg(ctl, HEALBLK_CMD_SCRUB, 0);
	if (!msg)
		return kernel_error(ctl, "scrub", -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	if (check)
		nla_put_u32(msg, HEALBLK_A_DEV_FLAGS, HEALBLK_SCRUB_CHECK);
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	if (ret)
		return kernel_error(ctl, "scrub", ret);
	if (!wait)
		return 0;
	for (;;) {
		ret = get_dev(ctl, index, &dev);
		if (ret)
			return kernel_error(ctl, "scrub", ret);
		/* The kernel says running from the request on. */
		if (!hb_sync_reads_all(dev.sync.kind) || dev.sync.status != HEALBLK_SYNC_RUNNING)
			break;
		usleep(100 * 1000);
	}
	if (ctl->json) {
		o = sync_to_json(&dev.sync);
		if (o)
			json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		print_sync_text("", &dev.sync);
	}
	return dev.sync.status == HEALBLK_SYNC_DONE && !dev.sync.unreadable &&
	       !(check && dev.sync.mismatches) ? 0 : 1;
}
