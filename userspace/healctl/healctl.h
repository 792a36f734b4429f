/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HEALCTL_H
#define HEALCTL_H

#include <stdbool.h>
#include "../lib/hb_nl.h"
#include "../lib/hb_sb.h"

#define EXIT_USAGE 2
#define EXIT_NO_HEALD 3	/* heald's commands: heald is not running */

struct json_object;

struct healctl {
	struct hb_nl nl;
	bool json;
	struct json_object *collected;	/* status --json: the devices */
};

/* Each returns the process exit code: 0, 1 (failed) or EXIT_USAGE. */
int cmd_create(struct healctl *ctl, int argc, char **argv);
int cmd_destroy(struct healctl *ctl, int argc, char **argv);
int cmd_status(struct healctl *ctl, int argc, char **argv);
int cmd_fail_leg(struct healctl *ctl, int argc, char **argv);
int cmd_fault(struct healctl *ctl, int argc, char **argv);
int cmd_events(struct healctl *ctl, int argc, char **argv);
int cmd_assemble(struct healctl *ctl, int argc, char **argv);
int cmd_examine(struct healctl *ctl, int argc, char **argv);
int cmd_set(struct healctl *ctl, int argc, char **argv);
int cmd_spare(struct healctl *ctl, int argc, char **argv);
int cmd_replace(struct healctl *ctl, int argc, char **argv);
int cmd_rebuild(struct healctl *ctl, int argc, char **argv);
int cmd_readd(struct healctl *ctl, int argc, char **argv);
int cmd_scrub(struct healctl *ctl, int argc, char **argv);
int cmd_abort(struct healctl *ctl, int argc, char **argv);
int cmd_journal(struct healctl *ctl, int argc, char **argv);
int cmd_why(struct healctl *ctl, int argc, char **argv);
int cmd_act(struct healctl *ctl, int argc, char **argv);
int cmd_drain(struct healctl *ctl, int argc, char **argv);
int cmd_undrain(struct healctl *ctl, int argc, char **argv);
int cmd_receive(struct healctl *ctl, int argc, char **argv);
struct json_object *heald_status(void);	/* NULL: heald is not running */
void print_heald_text(struct json_object *st);
int parse_dev(const char *s, uint32_t *index);
int dev_request(struct healctl *ctl, const char *what, uint8_t cmd,
		const char *dev, int leg);
int legs_request(struct healctl *ctl, uint8_t cmd, const char *what, int n,
		 char **paths, uint32_t flags);

/* cmd_assemble.c: the disks with a healblk superblock, not held by a driver */
#define SCAN_MAX 64
struct scanned {
	char path[300];
	struct healblk_sb sb;
};
/* Their number (into a static array at *@out), or -errno. */
int legs_scan(struct scanned **out);
/* 1 with @info when device @uuid runs, 0 when not, or -errno. */
int running_uuid(struct healctl *ctl, const uint8_t *uuid, struct hb_dev_info *info);

/* main.c */
int usage(void);
/* The healblk family, opened on first use: 0 or -errno, the error printed
 * unless @quiet (then -ENOENT only says the module is not loaded). */
int ctl_open(struct healctl *ctl, bool quiet);
/* A request to healblk, the family opened first (exit 1 when it cannot be). */
struct nl_msg *ctl_msg(struct healctl *ctl, uint8_t cmd, int flags);
int kernel_error(struct healctl *ctl, const char *what, int err);

/* output.c */
void print_dev_text(const struct hb_dev_info *dev);
void print_event_text(const struct hb_event *ev);
/* JSON: the caller frees with json_object_put(). */
struct json_object *dev_to_json(const struct hb_dev_info *dev);
struct json_object *event_to_json(const struct hb_event *ev);
struct json_object *sync_to_json(const struct hb_sync_info *s);	/* NULL for none */
void print_sync_text(const char *prefix, const struct hb_sync_info *s);

#endif
