/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arrays a node expects: "[array NAME]" sections of heald.conf, each
 * with the device's "uuid = ...", and the global "auto_assemble" key.
 * At boot, udev assembles a healblk device as its legs appear only if it
 * is listed (auto_assemble = listed, the default), so that a disk moved in
 * from another node is not started by surprise; "all" assembles every
 * device found, "none" leaves assembly to the operator.  NAME is the
 * device's stable name, /dev/heal/NAME.
 *
 * heald checks these lines with the rest of its configuration (config.c);
 * healctl reads only them (hb_arrays_load), at boot from udev.
 */
#ifndef HB_ARRAYS_H
#define HB_ARRAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HB_MAX_ARRAYS 16
#define HEAL_CONFIG_DEFAULT "/etc/heal/heald.conf"

struct hb_array {
	char name[32];
	uint8_t uuid[16];
	bool has_uuid;
	int line;	/* where its section starts, for messages */
};

enum hb_auto { HB_AUTO_LISTED, HB_AUTO_ALL, HB_AUTO_NONE };

struct hb_arrays {
	struct hb_array a[HB_MAX_ARRAYS];
	int n;
	enum hb_auto autoasm;
};

/* "[array NAME]" (trimmed): a new section, 0; or -1 with @why. */
int hb_array_section(struct hb_arrays *as, const char *s, int line, char *why, size_t wlen);
/* A key of the last section: 0, or -1 with @why. */
int hb_array_key(struct hb_arrays *as, const char *key, const char *val, char *why, size_t wlen);
/* The value of auto_assemble: 0, or -1 with @why. */
int hb_auto_parse(const char *val, enum hb_auto *out, char *why, size_t wlen);
const char *hb_auto_name(enum hb_auto a);
/* Once the file is read: every section has a UUID, none twice.  0, or -1 with @why. */
int hb_arrays_check(const struct hb_arrays *as, const char *file, char *why, size_t wlen);
/*
 * healctl: the [array] sections and auto_assemble of @path, nothing else
 * (heald --check-config checks the rest).  A missing file: none listed,
 * auto_assemble = listed.  0, or -errno with @err (file and line).
 */
int hb_arrays_load(struct hb_arrays *as, const char *path, char *err, size_t errlen);
/* The section listing @uuid, or NULL. */
const struct hb_array *hb_array_find(const struct hb_arrays *as, const uint8_t *uuid);
/* May udev assemble the device @uuid at boot? */
bool hb_array_expected(const struct hb_arrays *as, const uint8_t *uuid);

#endif
