// SPDX-License-Identifier: GPL-2.0
/*
 * heald's disks by identity (smart.c) in a sysfs tree of the test's: a
 * disk pulled and another put in under the same kernel name (sdb) is
 * another disk, by its diskseq.  Nothing may name it by the old disk's
 * serial (an RMA ticket for the wrong disk), nor judge the old disk by a
 * read of the new one.  The host has no disk it may swap under a leg
 * (tests/kmod/test_heald_08.sh says why), so smart.c is built in here
 * with the rest of heald stubbed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kselftest_harness.h"
#include <json-c/json.h>
#include "heald.h"
#include "child.h"
#include "smart.h"

#include "smart.c"

const char *hb_prog = "test";

/* heald as smart.c sees it: the journal kept here, no child ever starts. */
static struct json_object *journaled[16];
static int njournaled, predicted, cleared;
static const char *smartctl_out;

void heald_log(int prio, const char *fmt, ...) { (void)prio; (void)fmt; }
double now_mono(void) { return 1000; }
double now_wall(void) { return 1.7e9; }
uint64_t jappend(struct heald *h, struct json_object *entry)
{
	(void)h;
	if (njournaled == 16) {
		json_object_put(entry);
		return 0;
	}
	journaled[njournaled++] = entry;
	return (uint64_t)njournaled;
}
void diag_leg_predict(struct heald *h, struct dev_track *d, uint32_t leg, const char *why,
		      struct json_object *evidence)
{
	(void)h; (void)d; (void)leg; (void)why;
	json_object_put(evidence);
	predicted++;
}
void diag_leg_predict_clear(struct heald *h, struct dev_track *d, uint32_t leg, const char *why)
{
	(void)h; (void)d; (void)leg; (void)why;
	cleared++;
}
int child_spawn(struct heald *h, const struct child_spec *s, struct child **cp, char *err,
		size_t errlen)
{
	(void)h; (void)s; (void)cp; (void)err; (void)errlen;
	return -EBUSY;
}
bool child_timed_out(const struct child *c) { (void)c; return false; }
const char *child_out(const struct child *c, size_t *len)
{
	(void)c;
	*len = strlen(smartctl_out);
	return smartctl_out;
}

/* smartctl on an ATA disk that says it is failing, and on one that is well. */
#define ATA(serial, passed) \
	"{\"smartctl\":{\"exit_status\":" passed "},\"device\":{\"name\":\"/dev/sdb\",\"protocol\":\"ATA\"}," \
	"\"model_name\":\"M\",\"serial_number\":\"" serial "\",\"smart_status\":{\"passed\":" \
	"%s}}"
static char failing_old[512], well_new[512];

static char tree[64];

static void put(const char *rel, const char *value)
{
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = dir + strlen(tree) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "%s\n", value);
	fclose(f);
}

/* Disk sdb as the kernel shows it: @serial, @wwn, @seq (its diskseq). */
static void disk(const char *serial, const char *wwn, const char *seq)
{
	put("sdb/device/serial", serial);
	put("sdb/device/model", "M");
	put("sdb/wwid", wwn);
	put("sdb/diskseq", seq);
}

/* A mirror whose leg 0 is on sdb. */
static struct heald *node(void)
{
	static struct heald h;
	int i;

	memset(&h, 0, sizeof(h));
	h.devs[0].present = true;
	h.devs[0].info.nr_legs = 1;
	snprintf(h.devs[0].info.legs[0].name, sizeof(h.devs[0].info.legs[0].name), "/dev/sdb");
	h.cfg.smart_interval = 3600;
	snprintf(h.cfg.smartctl, sizeof(h.cfg.smartctl), "/bin/true");
	h.cfg.smart_timeout = 60;
	for (i = 0; i < njournaled; i++)
		json_object_put(journaled[i]);
	njournaled = predicted = cleared = 0;
	memset(disks, 0, sizeof(disks));
	snprintf(tree, sizeof(tree), "/tmp/heal-sysfs.XXXXXX");
	if (!mkdtemp(tree))
		abort();
	sysfs_block = tree;
	snprintf(failing_old, sizeof(failing_old), ATA("OLD1", "8"), "false");
	snprintf(well_new, sizeof(well_new), ATA("NEW3", "0"), "true");
	return &h;
}

static void done(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	if (system(cmd))
		perror(cmd);
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/*
 * Disk OLD1 taken on by the loop, then read failing: an alarm on it and
 * on its leg (the first journal entry).  NULL if it was not taken on.
 */
static struct sdisk *old_disk_failing(struct heald *h)
{
	struct sdisk *s;

	disk("OLD1", "naa.old", "5");
	smart_tick(h);
	s = disk_of("/dev/sdb", false);
	if (s) {
		s->reading = true;
		smartctl_out = failing_old;
		read_done(h, NULL, s);
	}
	return s;
}

/* Between two ticks of heald's loop (up to poll_ms, 60 s at most) the new disk is named as itself. */
TEST(swapped_disk_named_as_itself_at_once)
{
	struct heald *h = node();
	const char *serial, *wwn, *model;
	struct json_object *st;

	disk("OLD1", "naa.old", "5");
	smart_tick(h);
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);
	ASSERT_STREQ("OLD1", serial);
	/* Pulled; another disk gets the name sdb (udev: remove, add). */
	disk("NEW2", "naa.new", "9");
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);
	EXPECT_STREQ("NEW2", serial);
	EXPECT_STREQ("naa.new", wwn);
	/* Status names the new disk, with none of the old one's readings. */
	st = smart_status(h, "/dev/sdb");
	ASSERT_NE(NULL, st);
	EXPECT_STREQ("NEW2", field(st, "serial"));
	EXPECT_STREQ("unknown", field(st, "level"));
	json_object_put(st);
	/* The loop's next turn takes it on, as itself. */
	smart_tick(h);
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);
	EXPECT_STREQ("NEW2", serial);
	done();
}

/*
 * The old disk's alarm is closed under the old disk's serial (a lookup
 * in between changes nothing of it), and a read that straddled the swap
 * judges neither disk: the new one is read afresh.
 */
TEST(old_alarm_closed_as_old_disk_and_straddling_read_dropped)
{
	struct heald *h = node();
	const char *serial, *wwn, *model;
	struct sdisk *s;

	s = old_disk_failing(h);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(1, njournaled);
	EXPECT_STREQ("alarm", field(journaled[0], "type"));
	EXPECT_STREQ("OLD1", field(journaled[0], "serial"));
	EXPECT_EQ(1, predicted);

	disk("NEW2", "naa.new", "9");
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);	/* a status, an event */
	smart_tick(h);
	ASSERT_EQ(2, njournaled);
	EXPECT_STREQ("clear", field(journaled[1], "type"));
	EXPECT_STREQ("OLD1", field(journaled[1], "serial"));
	EXPECT_EQ(1, cleared);

	/* A read under way while sdb changes disk again: its answer is nobody's. */
	s->reading = true;
	disk("NEW3", "naa.new3", "12");
	smartctl_out = failing_old;
	read_done(h, NULL, s);
	EXPECT_EQ(2, njournaled);
	EXPECT_EQ(1, predicted);
	EXPECT_EQ(0, s->have);
	EXPECT_EQ(1000, s->next);	/* read again at once, as the disk it is now */
	smart_tick(h);
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);
	EXPECT_STREQ("NEW3", serial);
	/* The new disk's own read counts. */
	s->reading = true;
	smartctl_out = well_new;
	read_done(h, NULL, s);
	EXPECT_EQ(1, s->have);
	done();
}

/*
 * A diskseq that cannot be read (sysfs unreadable for a moment, heald out
 * of file descriptors) is no evidence of another disk: the alarm stays
 * open, and the disk keeps its name and serial.
 */
TEST(unreadable_diskseq_is_no_swap)
{
	struct heald *h = node();
	const char *serial, *wwn, *model;
	char path[PATH_MAX];
	struct sdisk *s;

	s = old_disk_failing(h);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(1, njournaled);
	snprintf(path, sizeof(path), "%s/sdb/diskseq", tree);
	ASSERT_EQ(0, unlink(path));
	smart_ids(h, "/dev/sdb", &serial, &wwn, &model);
	EXPECT_STREQ("OLD1", serial);
	smart_tick(h);
	EXPECT_EQ(1, njournaled);	/* no "clear" */
	EXPECT_EQ(0, cleared);
	EXPECT_EQ(1, predicted);
	done();
}

TEST_HARNESS_MAIN
