/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HEALCTL_H
#define HEALCTL_H

#include <stdbool.h>
#include "../lib/hb_nl.h"

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
int cmd_set(struct healctl *ctl, int argc, char **argv);
int cmd_spare(struct healctl *ctl, int argc, char **argv);
int cmd_rebuild(struct healctl *ctl, int argc, char **argv);
int cmd_scrub(struct healctl *ctl, int argc, char **argv);
int cmd_abort(struct healctl *ctl, int argc, char **argv);
int cmd_journal(struct healctl *ctl, int argc, char **argv);
int cmd_why(struct healctl *ctl, int argc, char **argv);
int cmd_act(struct healctl *ctl, int argc, char **argv);
struct json_object *heald_status(void);	/* NULL: heald is not running */
void print_heald_text(struct json_object *st);
int parse_dev(const char *s, uint32_t *index);
int dev_request(struct healctl *ctl, const char *what, uint8_t cmd,
		const char *dev, int leg);
int legs_request(struct healctl *ctl, uint8_t cmd, const char *what, int n,
		 char **paths);

/* main.c */
int usage(void);
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
