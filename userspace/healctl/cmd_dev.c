// SPDX-License-Identifier: GPL-2.0
/* create, destroy, status, fail-leg */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "../lib/hb_parse.h"
#include "../lib/schema.h"
#include "../lib/log.h"
#include "healctl.h"

int parse_dev(const char *s, uint32_t *index)
{
	if (hb_parse_dev_index(s, index)) {
		hb_err("'%s' is not a healblk device (healblkN, /dev/healblkN or N)", s);
		return -EINVAL;
	}
	return 0;
}

static void print_created(const struct hb_dev_info *dev, void *arg)
{
	struct healctl *ctl = arg;
	struct json_object *o;

	if (!ctl->json) {
		printf("%s\n", dev->name);
		return;
	}
	o = dev_to_json(dev);
	json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/*
 * create and assemble: send the legs, print the device.  When the kernel
 * blames one leg (extack's attribute offset), name it.
 */
int legs_request(struct healctl *ctl, uint8_t cmd, const char *what, int n,
		 char **paths, uint32_t flags)
{
	int offsets[HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES];
	int max = cmd == HEALBLK_CMD_ASSEMBLE ? HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES :
						 HEALBLK_MAX_LEGS;
	struct nlattr *legs, *leg;
	struct nl_msg *msg;
	struct stat st;
	int i, ret;

	if (n < 1)
		return usage();
	if (n > max) {
		if (cmd == HEALBLK_CMD_ASSEMBLE)
			hb_err("%s: takes 1 to %d disks (legs and spares), not %d", what, max, n);
		else
			hb_err("%s: a device has 1 to %d legs, not %d", what, max, n);
		return EXIT_USAGE;
	}
	msg = ctl_msg(ctl, cmd, 0);
	if (!msg)
		return kernel_error(ctl, what, -ENOMEM);
	if (flags)
		nla_put_u32(msg, HEALBLK_A_DEV_FLAGS, flags);
	legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	for (i = 0; i < n; i++) {
		if (stat(paths[i], &st)) {
			hb_err("%s: %s: %s", what, paths[i], strerror(errno));
			nlmsg_free(msg);
			return 1;
		}
		if (!S_ISBLK(st.st_mode)) {
			hb_err("%s: %s is not a block device", what, paths[i]);
			nlmsg_free(msg);
			return 1;
		}
		leg = nla_nest_start(msg, HEALBLK_A_LEG);
		offsets[i] = (int)((char *)leg - (char *)nlmsg_hdr(msg));
		nla_put_u32(msg, HEALBLK_A_LEG_MAJOR, major(st.st_rdev));
		nla_put_u32(msg, HEALBLK_A_LEG_MINOR, minor(st.st_rdev));
		nla_nest_end(msg, leg);
	}
	nla_nest_end(msg, legs);
	ret = hb_nl_call(&ctl->nl, msg, print_created, ctl);
	if (!ret)
		return 0;
	for (i = 0; i < n; i++) {
		if (ctl->nl.bad_offset == offsets[i]) {
			char blamed[512];

			snprintf(blamed, sizeof(blamed), "%s: leg %s", what, paths[i]);
			return kernel_error(ctl, blamed, ret);
		}
	}
	return kernel_error(ctl, what, ret);
}

int cmd_create(struct healctl *ctl, int argc, char **argv)
{
	uint32_t flags = 0;
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--assume-clean"))
			flags |= HEALBLK_CREATE_ASSUME_CLEAN;
		else if (argv[i][0] == '-')
			return usage();
		else
			argv[n++] = argv[i];
	}
	return legs_request(ctl, HEALBLK_CMD_CREATE, "create", n, argv, flags);
}

int dev_request(struct healctl *ctl, const char *what, uint8_t cmd,
		const char *dev, int leg)
{
	struct nl_msg *msg;
	uint32_t index;
	int ret;

	if (parse_dev(dev, &index))
		return EXIT_USAGE;
	msg = ctl_msg(ctl, cmd, 0);
	if (!msg)
		return kernel_error(ctl, what, -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	if (leg >= 0)
		nla_put_u32(msg, HEALBLK_A_LEG_INDEX, leg);
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	return ret ? kernel_error(ctl, what, ret) : 0;
}

int cmd_destroy(struct healctl *ctl, int argc, char **argv)
{
	struct nl_msg *msg;
	uint32_t index;
	int i, ret;

	if (argc != 1)
		return usage();
	if (parse_dev(argv[0], &index))
		return EXIT_USAGE;
	/*
	 * udev opens every new disk to probe it: an EBUSY within a second
	 * of create is that, not a user.  Ask again for up to 2 s, as
	 * dmsetup remove --retry does.
	 */
	for (i = 0;; i++) {
		msg = ctl_msg(ctl, HEALBLK_CMD_DESTROY, 0);
		if (!msg)
			return kernel_error(ctl, "destroy", -ENOMEM);
		nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
		ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
		if (ret != -EBUSY || i == 20)
			break;
		usleep(100 * 1000);
	}
	return ret ? kernel_error(ctl, "destroy", ret) : 0;
}

int cmd_fail_leg(struct healctl *ctl, int argc, char **argv)
{
	uint32_t leg;

	if (argc != 2)
		return usage();
	if (hb_parse_u32(argv[1], HEALBLK_MAX_LEGS - 1, &leg)) {
		hb_err("fail-leg: '%s' is not a leg index (0 to %d)", argv[1],
		       HEALBLK_MAX_LEGS - 1);
		return EXIT_USAGE;
	}
	return dev_request(ctl, "fail-leg", HEALBLK_CMD_FAIL_LEG, argv[0], (int)leg);
}

int cmd_set(struct healctl *ctl, int argc, char **argv)
{
	struct nl_msg *msg;
	uint32_t index, v;
	int i, ret;

	if (argc < 3 || argc % 2 != 1)
		return usage();
	if (parse_dev(argv[0], &index))
		return EXIT_USAGE;
	msg = ctl_msg(ctl, HEALBLK_CMD_SET, 0);
	if (!msg)
		return kernel_error(ctl, "set", -ENOMEM);
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	for (i = 1; i < argc; i += 2) {
		int attr = !strcmp(argv[i], "--fail-errors") ? HEALBLK_A_DEV_FAIL_ERRORS :
			   !strcmp(argv[i], "--fail-window") ? HEALBLK_A_DEV_FAIL_WINDOW :
			   !strcmp(argv[i], "--sync-min") ? HEALBLK_A_DEV_SYNC_MIN_KBS :
			   !strcmp(argv[i], "--sync-max") ? HEALBLK_A_DEV_SYNC_MAX_KBS :
			   !strcmp(argv[i], "--auto-spare") ? HEALBLK_A_DEV_AUTO_SPARE : -1;

		if (attr == HEALBLK_A_DEV_AUTO_SPARE &&
		    (!strcmp(argv[i + 1], "on") || !strcmp(argv[i + 1], "off"))) {
			nla_put_u8(msg, attr, !strcmp(argv[i + 1], "on"));
			continue;
		}
		if (attr < 0 || attr == HEALBLK_A_DEV_AUTO_SPARE ||
		    hb_parse_u32(argv[i + 1], UINT32_MAX, &v)) {
			hb_err("set: bad option or value: %s %s", argv[i], argv[i + 1]);
			nlmsg_free(msg);
			return EXIT_USAGE;
		}
		nla_put_u32(msg, attr, v);
	}
	ret = hb_nl_call(&ctl->nl, msg, NULL, NULL);
	return ret ? kernel_error(ctl, "set", ret) : 0;
}

static void collect_dev(const struct hb_dev_info *dev, void *arg)
{
	struct healctl *ctl = arg;

	if (ctl->json)
		json_object_array_add(ctl->collected, dev_to_json(dev));
	else
		print_dev_text(dev);
}

/*
 * status --test: the node's health as the exit code, as `mdadm --detail
 * --test` and a Nagios plugin: 0 ok, 1 degraded (a warning), 2 failing or
 * failed (critical), 3 unknown: heald, which judges it, is not running.
 * The worst of heald's resources (cgroups aside), but a leg counts
 * through its device: a mirror that lost a leg still serves (degraded: 1,
 * as mdadm says), one that lost its last copy or whose leg is failing is
 * critical.
 */
static int health_code(struct json_object *hd)
{
	struct json_object *res, *v;
	int code = 0;
	size_t i;

	if (!hd || !json_object_object_get_ex(hd, "resources", &res))
		return EXIT_NO_HEALD;
	for (i = 0; i < json_object_array_length(res); i++) {
		struct json_object *r = json_object_array_get_idx(res, i);
		const char *s;
		int c;

		if (json_object_object_get_ex(r, "kind", &v) && !strcmp(json_object_get_string(v), "leg"))
			continue;
		/*
		 * A process that crashed or was OOM-killed in some cgroup: any
		 * local user can make one, so it is shown, never node health.
		 * Configured workloads ("workload:NAME") count.
		 */
		if (json_object_object_get_ex(r, "name", &v) &&
		    !strncmp(json_object_get_string(v), "cgroup:", 7))
			continue;
		s = json_object_object_get_ex(r, "state", &v) ? json_object_get_string(v) : "";
		c = !strcmp(s, "ok") ? 0 : !strcmp(s, "degraded") ? 1 : 2;
		code = c > code ? c : code;
	}
	return code;
}

/* No healblk module: heald's view alone (exit 1, or 3 with --test, if heald is not running either). */
static int status_heald_only(struct healctl *ctl, bool test)
{
	struct json_object *hd = heald_status(), *out;
	int code = health_code(hd);

	if (!hd) {
		hb_err("the healblk module is not loaded and heald is not running");
		return test ? EXIT_NO_HEALD : 1;
	}
	if (ctl->json) {
		out = json_object_new_object();
		json_object_object_add(out, "schema", json_object_new_int(HEAL_SCHEMA));
		json_object_object_add(out, "devices", json_object_new_array());
		json_object_object_add(out, "heald", hd);
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
		json_object_put(out);
	} else {
		printf("the healblk module is not loaded\n");
		print_heald_text(hd);
		json_object_put(hd);
	}
	return test ? code : 0;
}

int cmd_status(struct healctl *ctl, int argc, char **argv)
{
	struct json_object *out, *hd;
	struct nl_msg *msg;
	uint32_t index;
	bool test = false;
	int ret, i, n = 0, code;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--test"))
			test = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	if (argc > 1 || (argc == 1 && test)) {
		if (test)
			hb_err("status --test: the node's health as a whole: no DEV");
		return usage();
	}
	if (argc == 1 && parse_dev(argv[0], &index))
		return EXIT_USAGE;
	ret = ctl_open(ctl, true);
	if (ret == -ENOENT)
		return status_heald_only(ctl, test);	/* heald may run without healblk */
	if (ret)
		return test ? EXIT_NO_HEALD : 1;
	msg = ctl_msg(ctl, HEALBLK_CMD_GET, argc ? 0 : NLM_F_DUMP);
	if (!msg)
		return kernel_error(ctl, "status", -ENOMEM);
	if (argc)
		nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	ctl->collected = json_object_new_array();
	ret = hb_nl_call(&ctl->nl, msg, collect_dev, ctl);
	if (ret) {
		json_object_put(ctl->collected);
		kernel_error(ctl, "status", ret);
		return test ? EXIT_NO_HEALD : 1;
	}
	hd = argc ? NULL : heald_status();
	code = health_code(hd);
	if (ctl->json) {
		out = json_object_new_object();
		json_object_object_add(out, "schema", json_object_new_int(HEAL_SCHEMA));
		json_object_object_add(out, "devices", ctl->collected);
		if (hd)
			json_object_object_add(out, "heald", hd);
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
		json_object_put(out);
	} else {
		if (!json_object_array_length(ctl->collected) && !argc)
			printf("no healblk devices\n");
		json_object_put(ctl->collected);
		if (hd) {
			print_heald_text(hd);
			json_object_put(hd);
		} else if (test) {
			printf("heald is not running: the node's health is unknown\n");
		}
	}
	return test ? code : 0;
}
