// SPDX-License-Identifier: GPL-2.0
/*
 * examine: what a disk's healblk superblock says (mdadm --examine), or
 * which device a running /dev/healblkN is.
 *   examine [--json] [--config FILE] DISK|DEV
 *   examine --export [--config FILE] DISK|DEV
 *            KEY=VALUE lines for udev's IMPORT{program} (system/6?-healblk*):
 *            HEALBLK_UUID, HEALBLK_NAME (its [array NAME] in heald.conf),
 *            HEALBLK_EXPECTED (1: udev assembles it at boot), and for a
 *            leg HEALBLK_LEG_UUID, HEALBLK_ROLE, HEALBLK_SLOT, HEALBLK_EVENTS,
 *            for a running device HEALBLK_DEVICE.  Nothing, and exit 0,
 *            for a disk without a superblock: udev asks about every disk.
 *   examine --scan
 *            an [array NAME] section for every device found on the disks
 *            or running, to review and add to heald.conf.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <netlink/msg.h>
#include "../lib/hb_arrays.h"
#include "../lib/hb_names.h"
#include "../lib/hb_parse.h"
#include "../lib/log.h"
#include "healctl.h"

static void export_ids(const struct hb_arrays *as, const uint8_t *uuid)
{
	const struct hb_array *a = hb_array_find(as, uuid);
	char u[37];

	hb_uuid_str(uuid, u);
	printf("HEALBLK_UUID=%s\n", u);
	if (a)
		printf("HEALBLK_NAME=%s\n", a->name);
	printf("HEALBLK_EXPECTED=%d\n", hb_array_expected(as, uuid));
}

static void dev_copy(const struct hb_dev_info *dev, void *arg)
{
	*(struct hb_dev_info *)arg = *dev;
}

static int examine_running(struct healctl *ctl, const struct hb_arrays *as, uint32_t index,
			   bool export)
{
	struct hb_dev_info info;
	struct nl_msg *msg;
	const struct hb_array *a;
	char u[37];
	int ret, tries;

	if (ctl_open(ctl, export))
		return export ? 0 : 1;
	/*
	 * udev asks as soon as the disk appears (add_disk), a moment before
	 * healblk lists the device: found by tests/boot, where /dev/heal/NAME
	 * then never came.  --export asks again for up to 5 s.
	 */
	for (tries = 0;; tries++) {
		msg = ctl_msg(ctl, HEALBLK_CMD_GET, 0);
		if (!msg)
			return 1;
		nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
		memset(&info, 0, sizeof(info));
		ret = hb_nl_call(&ctl->nl, msg, dev_copy, &info);
		if (ret != -ENODEV || !export || tries == 50)
			break;
		usleep(100 * 1000);
	}
	if (ret)
		return export ? 0 : kernel_error(ctl, "examine", ret);
	if (export) {
		printf("HEALBLK_DEVICE=%s\n", info.name);
		export_ids(as, info.uuid);
		return 0;
	}
	hb_uuid_str(info.uuid, u);
	a = hb_array_find(as, info.uuid);
	if (ctl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(info.name));
		json_object_object_add(o, "uuid", json_object_new_string(u));
		json_object_object_add(o, "name", a ? json_object_new_string(a->name) : NULL);
		json_object_object_add(o, "expected", json_object_new_boolean(hb_array_expected(as, info.uuid)));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return 0;
	}
	printf("%s: running healblk device\n  uuid      %s\n  name      %s\n", info.name, u,
	       a ? a->name : "(no [array] section in heald.conf)");
	return 0;
}

static const char *member_state(uint32_t st)
{
	return st ? hb_leg_state_name(st) : "empty";
}

static int examine_disk(struct healctl *ctl, const struct hb_arrays *as, const char *path,
			bool export)
{
	static struct healblk_sb sb;
	const struct hb_array *a;
	char u[37], created[32];
	bool spare;
	uint32_t i, nr;
	time_t t;
	int ret = hb_sb_read(path, &sb);

	if (ret) {
		if (export)
			return 0;
		hb_err("examine: %s: %s", path, ret == -ENODATA ? "no healblk superblock" : strerror(-ret));
		return 1;
	}
	spare = le32toh(sb.role) == HEALBLK_SB_ROLE_SPARE;
	if (export) {
		export_ids(as, sb.dev_uuid);
		hb_uuid_str(sb.leg_uuid, u);
		printf("HEALBLK_LEG_UUID=%s\nHEALBLK_ROLE=%s\nHEALBLK_SLOT=%u\nHEALBLK_EVENTS=%llu\n", u,
		       spare ? "spare" : "leg", le32toh(sb.slot),
		       (unsigned long long)le64toh(sb.events));
		return 0;
	}
	a = hb_array_find(as, sb.dev_uuid);
	nr = le32toh(sb.nr_slots);
	if (ctl->json) {
		struct json_object *o = json_object_new_object(), *m = json_object_new_array();

		json_object_object_add(o, "disk", json_object_new_string(path));
		hb_uuid_str(sb.dev_uuid, u);
		json_object_object_add(o, "uuid", json_object_new_string(u));
		json_object_object_add(o, "name", a ? json_object_new_string(a->name) : NULL);
		json_object_object_add(o, "expected", json_object_new_boolean(hb_array_expected(as, sb.dev_uuid)));
		hb_uuid_str(sb.leg_uuid, u);
		json_object_object_add(o, "leg_uuid", json_object_new_string(u));
		json_object_object_add(o, "role", json_object_new_string(spare ? "spare" : "leg"));
		json_object_object_add(o, "slot", json_object_new_int((int)le32toh(sb.slot)));
		json_object_object_add(o, "events", json_object_new_int64((int64_t)le64toh(sb.events)));
		json_object_object_add(o, "events_cleared",
				       json_object_new_int64((int64_t)le64toh(sb.events_cleared)));
		json_object_object_add(o, "mismatch_cnt",
				       json_object_new_int64((int64_t)le64toh(sb.mismatch_cnt)));
		json_object_object_add(o, "ctime", json_object_new_int64((int64_t)le64toh(sb.ctime)));
		json_object_object_add(o, "sectors", json_object_new_int64((int64_t)le64toh(sb.data_sectors)));
		for (i = 0; i < nr && i < HEALBLK_MAX_LEGS; i++) {
			struct json_object *s = json_object_new_object();

			hb_uuid_str(sb.members[i].uuid, u);
			json_object_object_add(s, "uuid", json_object_new_string(u));
			json_object_object_add(s, "state", json_object_new_string(
				member_state(le32toh(sb.members[i].state))));
			json_object_array_add(m, s);
		}
		json_object_object_add(o, "members", m);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return 0;
	}
	t = (time_t)le64toh(sb.ctime);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", localtime(&t));
	hb_uuid_str(sb.dev_uuid, u);
	printf("%s: healblk %s\n  uuid      %s\n  name      %s\n", path, spare ? "spare" : "leg", u,
	       a ? a->name : "(no [array] section in heald.conf)");
	printf("  at boot   %s\n", hb_array_expected(as, sb.dev_uuid) ?
	       "assembled as its legs appear" : "left alone (not expected: auto_assemble, [array])");
	hb_uuid_str(sb.leg_uuid, u);
	printf("  this      %s %u, uuid %s\n  events    %llu (bits cleared since %llu)\n"
	       "  created   %s\n  size      %llu sectors\n",
	       spare ? "spare" : "slot", le32toh(sb.slot), u, (unsigned long long)le64toh(sb.events),
	       (unsigned long long)le64toh(sb.events_cleared), created,
	       (unsigned long long)le64toh(sb.data_sectors));
	for (i = 0; i < nr && i < HEALBLK_MAX_LEGS; i++) {
		hb_uuid_str(sb.members[i].uuid, u);
		printf("  slot %u    %-10s %s\n", i, member_state(le32toh(sb.members[i].state)), u);
	}
	return 0;
}

/* One [array] section per device found on disks or running. */
static void scan_one(const struct hb_arrays *as, const uint8_t *uuid, const char *where,
		     uint8_t (*seen)[16], int *nseen)
{
	const struct hb_array *a = hb_array_find(as, uuid);
	char u[37];
	int i;

	for (i = 0; i < *nseen; i++)
		if (!memcmp(seen[i], uuid, 16))
			return;
	if (*nseen < SCAN_MAX)
		memcpy(seen[(*nseen)++], uuid, 16);
	hb_uuid_str(uuid, u);
	printf("# %s%s\n[array %s]\nuuid = %s\n", where, a ? ", listed already" : "",
	       a ? a->name : "NAME", u);
}

struct collect {
	struct hb_dev_info devs[16];
	int n;
};

static void collect(const struct hb_dev_info *dev, void *arg)
{
	struct collect *c = arg;

	if (c->n < 16)
		c->devs[c->n++] = *dev;
}

static int examine_scan(struct healctl *ctl, const struct hb_arrays *as)
{
	static uint8_t seen[SCAN_MAX][16];
	static struct collect running;
	struct scanned *found;
	char where[400];
	int n, i, nseen = 0;

	if (!ctl_open(ctl, true)) {
		struct nl_msg *msg = ctl_msg(ctl, HEALBLK_CMD_GET, NLM_F_DUMP);

		if (msg && !hb_nl_call(&ctl->nl, msg, collect, &running))
			for (i = 0; i < running.n; i++) {
				snprintf(where, sizeof(where), "running as %s", running.devs[i].name);
				scan_one(as, running.devs[i].uuid, where, seen, &nseen);
			}
	}
	n = legs_scan(&found);
	for (i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "on %s and maybe others", found[i].path);
		scan_one(as, found[i].sb.dev_uuid, where, seen, &nseen);
	}
	if (!nseen)
		hb_err("examine --scan: no healblk device running or on a disk");
	return nseen ? 0 : 1;
}

int cmd_examine(struct healctl *ctl, int argc, char **argv)
{
	const char *config = HEAL_CONFIG_DEFAULT, *what = NULL, *base;
	struct hb_arrays as;
	bool export = false, scanning = false;
	uint32_t index;
	char err[300];
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--export"))
			export = true;
		else if (!strcmp(argv[i], "--scan"))
			scanning = true;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (argv[i][0] == '-' || what)
			return usage();
		else
			what = argv[i];
	}
	if (scanning ? what || export : !what)
		return usage();
	if (hb_arrays_load(&as, config, err, sizeof(err))) {
		/* udev still gets the UUID: its names and boot assembly wait for a good file. */
		hb_err("%s", err);
		memset(&as, 0, sizeof(as));
		as.autoasm = HB_AUTO_NONE;
	}
	if (scanning)
		return examine_scan(ctl, &as);
	base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
	if (!strncmp(base, "healblk", 7) && !hb_parse_dev_index(base, &index))
		return examine_running(ctl, &as, index, export);
	return examine_disk(ctl, &as, what, export);
}
