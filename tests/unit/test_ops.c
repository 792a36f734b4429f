// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pure parts of heald's operator loop (issue 12):
 * which hook programs may run, heal's RFC 3339 times, the scrub schedule,
 * smartctl's JSON read and judged, and the policy for a predicted failure.
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include "kselftest_harness.h"
#include <json-c/json.h>
#include "hooks.h"
#include "scrub.h"
#include "smart.h"
#include "policy.h"
#include "config.h"
#include "../lib/hb_time.h"

const char *hb_prog = "test";

static struct stat file(uid_t uid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_mode = mode;
	return st;
}

TEST(hook_only_what_root_controls_runs)
{
	struct stat st;

	st = file(0, S_IFREG | 0755);
	EXPECT_EQ(NULL, hook_stat_bad(&st));
	st = file(0, S_IFREG | 0700);
	EXPECT_EQ(NULL, hook_stat_bad(&st));
	st = file(1000, S_IFREG | 0755);
	EXPECT_STREQ("not owned by root", hook_stat_bad(&st));
	st = file(0, S_IFREG | 0775);
	EXPECT_STREQ("writable by group or others", hook_stat_bad(&st));
	st = file(0, S_IFREG | 0757);
	EXPECT_STREQ("writable by group or others", hook_stat_bad(&st));
	st = file(0, S_IFREG | 0644);
	EXPECT_STREQ("not executable", hook_stat_bad(&st));
	st = file(0, S_IFDIR | 0755);
	EXPECT_STREQ("not a regular file", hook_stat_bad(&st));
	st = file(0, S_IFDIR | 0755);
	EXPECT_EQ(NULL, hooks_dir_bad(&st));
	st = file(0, S_IFDIR | 01777);
	EXPECT_STREQ("writable by group or others", hooks_dir_bad(&st));
	st = file(1000, S_IFDIR | 0755);
	EXPECT_STREQ("not owned by root", hooks_dir_bad(&st));
	/* Above hooks_dir or a linked program: a sticky shared directory is root's to replace in. */
	st = file(0, S_IFDIR | 01777);
	EXPECT_EQ(NULL, hook_dir_stat_bad(&st));
	st = file(0, S_IFDIR | 0777);
	EXPECT_STREQ("writable by group or others", hook_dir_stat_bad(&st));
	st = file(1000, S_IFDIR | 0755);
	EXPECT_STREQ("not owned by root", hook_dir_stat_bad(&st));
}

TEST(hook_dirs_walked_up_to_root)
{
	char at[PATH_MAX];

	EXPECT_EQ(NULL, hook_dirs_bad("/usr/bin/true", at, sizeof(at)));
	EXPECT_EQ(NULL, hook_dirs_bad("/", at, sizeof(at)));
	EXPECT_STREQ("not an absolute path", hook_dirs_bad("usr/bin/true", at, sizeof(at)));
	EXPECT_NE(NULL, hook_dirs_bad("/nonexistent-heal/x/prog", at, sizeof(at)));
	EXPECT_STREQ("/nonexistent-heal/x", at);
}

TEST(hook_names_as_run_parts)
{
	EXPECT_EQ(NULL, hook_name_bad("10-mail"));
	EXPECT_EQ(NULL, hook_name_bad("all-syslog.sh"));
	EXPECT_NE(NULL, hook_name_bad(".hidden"));
	EXPECT_NE(NULL, hook_name_bad("10-mail~"));
	EXPECT_NE(NULL, hook_name_bad("10-mail.dpkg-old"));
	EXPECT_NE(NULL, hook_name_bad("10-mail.rpmnew"));
	EXPECT_NE(NULL, hook_name_bad("with space"));
	EXPECT_NE(NULL, hook_name_bad(""));
}

TEST(rfc3339_round_trip)
{
	struct timespec ts = { 1795000000, 123456789 };
	char buf[48];

	EXPECT_STREQ("2026-11-18T11:06:40.123456789Z", hb_rfc3339(buf, sizeof(buf), &ts, 9));
	EXPECT_STREQ("2026-11-18T11:06:40.123Z", hb_rfc3339(buf, sizeof(buf), &ts, 3));
	EXPECT_STREQ("2026-11-18T11:06:40Z", hb_rfc3339(buf, sizeof(buf), &ts, 0));
	EXPECT_EQ(1795000000, (long)hb_rfc3339_parse("2026-11-18T11:06:40Z"));
	EXPECT_TRUE(hb_rfc3339_parse("2026-11-18T11:06:40.5Z") - 1795000000.5 < 1e-6);
	EXPECT_EQ(-1, hb_rfc3339_parse("2026-11-18 09:06:40Z"));
	EXPECT_EQ(-1, hb_rfc3339_parse("2026-13-18T09:06:40Z"));
	EXPECT_EQ(-1, hb_rfc3339_parse("t"));
	EXPECT_EQ(-1, hb_rfc3339_parse(NULL));
	EXPECT_EQ(1795000000123456789LL, hb_ts_ns(&ts));
}

#define DAY 86400.0

TEST(scrub_slots_are_the_arrays_own_and_spread)
{
	uint8_t u[16] = { 0x12, 0x34 };
	double a = scrub_offset(u, 30 * DAY), counts[10] = { 0 };
	int i, k;

	EXPECT_EQ(a, scrub_offset(u, 30 * DAY));	/* the same UUID, the same slot */
	EXPECT_TRUE(a >= 0 && a < 30 * DAY);
	u[15] = 1;
	EXPECT_NE(a, scrub_offset(u, 30 * DAY));
	/* 1000 arrays over 30 days: each tenth of the interval gets 100 +- 40. */
	for (i = 0; i < 1000; i++) {
		uint8_t v[16] = { 0 };

		v[0] = (uint8_t)i;
		v[1] = (uint8_t)(i >> 8);
		v[9] = 0x80;	/* a version 4 UUID's variant bits */
		counts[(int)(scrub_offset(v, 30 * DAY) / (3 * DAY))]++;
	}
	for (k = 0; k < 10; k++)
		EXPECT_TRUE(counts[k] > 60 && counts[k] < 140);
}

TEST(scrub_next_slot)
{
	EXPECT_EQ(5 + 30 * DAY, scrub_next(5, 30 * DAY, 5));	/* on a slot: the next one */
	EXPECT_EQ(5 + 30 * DAY, scrub_next(6, 30 * DAY, 5));
	EXPECT_EQ(5, scrub_next(4, 30 * DAY, 5));
	EXPECT_EQ(5 + 60 * DAY, scrub_next(5 + 45 * DAY, 30 * DAY, 5));
}

TEST(scrub_decide_waits_goes_pauses)
{
	struct scrub_in in = { .now = 1000 * DAY, .interval = 30 * DAY, .offset = 3 * DAY };
	char why[200];
	double due;

	in.seen = in.now;	/* never scrubbed: the first slot after heald saw it */
	EXPECT_EQ(SCRUB_WAIT, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_EQ(1023 * DAY, due);
	in.now = 1023 * DAY;
	EXPECT_EQ(SCRUB_GO, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "its first slot"));
	/* Scrubbed at its slot: nothing until the next one. */
	in.last = 1023 * DAY + 60;
	EXPECT_EQ(SCRUB_WAIT, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_EQ(1053 * DAY, due);
	/* Long ago (heald was off): at the next slot, not at once. */
	in.last = 900 * DAY;
	in.now = 1024 * DAY;
	EXPECT_EQ(SCRUB_GO, scrub_decide(&in, &due, why, sizeof(why)));
	in.degraded = true;
	EXPECT_EQ(SCRUB_PAUSE, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "degraded"));
	in.degraded = false;
	in.syncing = true;
	EXPECT_EQ(SCRUB_PAUSE, scrub_decide(&in, &due, why, sizeof(why)));
	in.interval = 0;
	EXPECT_EQ(SCRUB_OFF, scrub_decide(&in, &due, why, sizeof(why)));
}

/*
 * After heald or the node was off past the interval, every array is due:
 * one scheduled scrub at a time on a node (arrays may share disks).  A
 * last scrub stamped in the future (the clock was ahead, then corrected)
 * counts as now, not as years of no scrub.
 */
TEST(scrub_decide_one_at_a_time_and_clock_jumps)
{
	struct scrub_in in = { .now = 1024 * DAY, .interval = 30 * DAY, .offset = 3 * DAY,
			       .last = 900 * DAY };
	char why[200];
	double due;

	in.others = 1;		/* another array's scrub runs */
	EXPECT_EQ(SCRUB_PAUSE, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "another array"));
	in.others = 0;
	EXPECT_EQ(SCRUB_GO, scrub_decide(&in, &due, why, sizeof(why)));
	in.last = 5000 * DAY;	/* a year and more ahead of now */
	EXPECT_EQ(SCRUB_WAIT, scrub_decide(&in, &due, why, sizeof(why)));
	EXPECT_GE(1024 * DAY + 30 * DAY, due);
	EXPECT_LT(1024 * DAY, due);
}

static void replay_line(struct scrub_hist *hs, int *n, const char *line)
{
	struct json_object *o = json_tokener_parse(line);

	scrub_replay(hs, n, 4, o);
	json_object_put(o);
}

TEST(scrub_history_from_the_journal)
{
	static const char u[] = "11111111-2222-3333-4444-555555555555";
	struct scrub_hist hs[4];
	char line[400];
	int n = 0;

	snprintf(line, sizeof(line), "{\"id\":7,\"time\":\"2026-11-18T11:06:40.000Z\",\"type\":\"decision\","
		 "\"action\":\"scrub\",\"by\":\"schedule\",\"dev\":0,\"uuid\":\"%s\"}", u);
	replay_line(hs, &n, line);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1795000000, (long)hs[0].last_start);
	EXPECT_EQ(7, hs[0].open);
	snprintf(line, sizeof(line), "{\"id\":9,\"time\":\"2026-11-18T11:06:50Z\",\"type\":\"scrub\","
		 "\"result\":\"paused\",\"uuid\":\"%s\"}", u);
	replay_line(hs, &n, line);
	EXPECT_EQ(0, (long)hs[0].last_done);	/* a wait is no scrub */
	snprintf(line, sizeof(line), "{\"id\":12,\"time\":\"2026-11-18T12:06:40Z\",\"type\":\"scrub\","
		 "\"result\":\"done\",\"ref\":7,\"mismatches\":3,\"repaired\":3,\"uuid\":\"%s\"}", u);
	replay_line(hs, &n, line);
	EXPECT_EQ(1795003600, (long)hs[0].last_done);
	EXPECT_STREQ("done", hs[0].result);
	EXPECT_EQ(3, hs[0].repaired);
	EXPECT_EQ(0, hs[0].open);
	/* Odd lines change nothing. */
	replay_line(hs, &n, "{\"id\":13,\"type\":\"scrub\",\"result\":\"done\",\"uuid\":\"x\"}");
	replay_line(hs, &n, "{\"id\":14,\"time\":\"t\",\"type\":\"scrub\",\"result\":\"done\","
			    "\"uuid\":\"11111111-2222-3333-4444-555555555555\"}");
	replay_line(hs, &n, "[1]");
	EXPECT_EQ(1, n);
	EXPECT_EQ(1795003600, (long)hs[0].last_done);
}

/* As smartctl 7.3 writes them (trimmed): an NVMe drive (QEMU's), an ATA and a SCSI disk. */
static const char nvme_json[] =
	"{\"json_format_version\":[1,0],\"smartctl\":{\"version\":[7,3],\"exit_status\":8},"
	"\"device\":{\"name\":\"/dev/nvme0n1\",\"type\":\"nvme\",\"protocol\":\"NVMe\"},"
	"\"model_name\":\"QEMU NVMe Ctrl\",\"serial_number\":\"HEALNVME01\","
	"\"nvme_namespaces\":[{\"id\":1,\"eui64\":{\"oui\":5395456,\"ext_id\":1}}],"
	"\"smart_status\":{\"passed\":false,\"nvme\":{\"value\":4}},"
	"\"nvme_smart_health_information_log\":{\"critical_warning\":4,\"temperature\":50,"
	"\"available_spare\":0,\"available_spare_threshold\":0,\"percentage_used\":0,"
	"\"media_errors\":0,\"power_on_hours\":12},\"temperature\":{\"current\":50}}";
static const char ata_json[] =
	"{\"smartctl\":{\"exit_status\":0},\"device\":{\"name\":\"/dev/sda\",\"protocol\":\"ATA\"},"
	"\"model_name\":\"WDC WD40EFRX\",\"serial_number\":\"WD-WCC7K1234567\","
	"\"wwn\":{\"naa\":5,\"oui\":5358,\"id\":12345678901},\"smart_status\":{\"passed\":true},"
	"\"ata_smart_attributes\":{\"table\":[{\"id\":5,\"raw\":{\"value\":3}},"
	"{\"id\":197,\"raw\":{\"value\":2}},{\"id\":198,\"raw\":{\"value\":0}},"
	"{\"id\":194,\"raw\":{\"value\":36}}]},\"temperature\":{\"current\":36},"
	"\"power_on_time\":{\"hours\":21000}}";
static const char scsi_json[] =
	"{\"smartctl\":{\"exit_status\":0},\"device\":{\"protocol\":\"SCSI\"},"
	"\"scsi_model_name\":\"SEAGATE ST4000NM\",\"serial_number\":\"Z1Z0ABCD\","
	"\"logical_unit_id\":\"0x5000c500a1b2c3d4\",\"smart_status\":{\"passed\":true},"
	"\"scsi_grown_defect_list\":150,\"scsi_error_counter_log\":{\"read\":"
	"{\"total_uncorrected_errors\":1}}}";

TEST(smart_reads_nvme_ata_scsi)
{
	struct smart_health h;
	char err[160], why[256];

	ASSERT_EQ(0, smart_parse(nvme_json, sizeof(nvme_json) - 1, &h, err, sizeof(err)));
	EXPECT_STREQ("NVMe", h.protocol);
	EXPECT_STREQ("HEALNVME01", h.serial);
	EXPECT_STREQ("eui.5254000000000001", h.wwn);
	EXPECT_EQ(4, h.critical_warning);
	EXPECT_EQ(50, h.temperature);
	EXPECT_EQ(0, h.passed);
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	EXPECT_STREQ("NVMe critical warning 0x04 (reliability degraded)", why);

	ASSERT_EQ(0, smart_parse(ata_json, sizeof(ata_json) - 1, &h, err, sizeof(err)));
	EXPECT_STREQ("WD-WCC7K1234567", h.serial);
	EXPECT_STREQ("naa.50014ee2dfdc1c35", h.wwn);
	EXPECT_EQ(3, h.reallocated);
	EXPECT_EQ(2, h.pending);
	EXPECT_EQ(21000, h.power_on_hours);
	EXPECT_EQ(SMART_WARN, smart_assess(&h, why, sizeof(why)));
	EXPECT_STREQ("3 reallocated sectors; 2 pending and 0 offline uncorrectable sectors", why);

	ASSERT_EQ(0, smart_parse(scsi_json, sizeof(scsi_json) - 1, &h, err, sizeof(err)));
	EXPECT_STREQ("SEAGATE ST4000NM", h.model);
	EXPECT_STREQ("0x5000c500a1b2c3d4", h.wwn);
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "150 grown defects"));
}

/*
 * smartctl's exit status (smartctl(8)): bits 0-2 mean it could not read
 * the disk (bad command line; open failed or the disk sleeps; a SMART
 * command failed): whatever it printed is no verdict, and must not clear
 * an alarm.  Bit 3 is "DISK FAILING", bit 4 prefail attributes at or below
 * their thresholds.  Under a unit without CAP_SYS_RAWIO an ATA disk reads
 * as device.protocol and nothing else, exit status 2.
 */
TEST(smart_exit_status)
{
	static const char noread[] =
		"{\"smartctl\":{\"exit_status\":2},\"device\":{\"name\":\"/dev/sda\","
		"\"protocol\":\"ATA\"}}";
	struct smart_health h;
	char err[160], why[256];

	ASSERT_EQ(0, smart_parse(noread, sizeof(noread) - 1, &h, err, sizeof(err)));
	EXPECT_EQ(SMART_UNKNOWN, smart_assess(&h, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "could not read"));
	ASSERT_EQ(0, smart_parse(ata_json, sizeof(ata_json) - 1, &h, err, sizeof(err)));
	h.reallocated = h.pending = 0;
	EXPECT_EQ(SMART_OK, smart_assess(&h, why, sizeof(why)));
	h.exit_status = 4;		/* a SMART command failed: no verdict */
	EXPECT_EQ(SMART_UNKNOWN, smart_assess(&h, why, sizeof(why)));
	h.exit_status = 8;		/* DISK FAILING, with passed unknown */
	h.passed = -1;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	h.exit_status = 16;		/* prefail attributes at their thresholds */
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "threshold"));
	h.exit_status = 64;		/* errors in the error log alone: no verdict change */
	EXPECT_EQ(SMART_OK, smart_assess(&h, why, sizeof(why)));
}

TEST(smart_judges_by_threshold)
{
	struct smart_health h;
	char err[160], why[256];

	ASSERT_EQ(0, smart_parse(nvme_json, sizeof(nvme_json) - 1, &h, err, sizeof(err)));
	h.critical_warning = 0;
	h.passed = 1;
	h.exit_status = 0;	/* smartctl's bit 3 went with the warning */
	EXPECT_EQ(SMART_OK, smart_assess(&h, why, sizeof(why)));
	EXPECT_STREQ("", why);
	h.critical_warning = 2;		/* too hot: a warning, not a replacement */
	EXPECT_EQ(SMART_WARN, smart_assess(&h, why, sizeof(why)));
	h.critical_warning = 0;
	h.available_spare = 5;
	h.spare_threshold = 10;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	h.available_spare = 100;
	h.percentage_used = 95;
	EXPECT_EQ(SMART_WARN, smart_assess(&h, why, sizeof(why)));
	ASSERT_EQ(0, smart_parse(ata_json, sizeof(ata_json) - 1, &h, err, sizeof(err)));
	h.pending = 6;
	h.offline_uncorrectable = 4;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	h.pending = h.offline_uncorrectable = 0;
	h.reallocated = SMART_REALLOC_FAILING;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	h.reallocated = 0;
	h.passed = 0;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
}

/*
 * Counters are whatever smartctl's JSON says, up to INT64_MAX: their sum
 * must not overflow (found by fuzz_smart: UBSan, signed overflow).
 */
TEST(smart_huge_counters)
{
	struct smart_health h;
	char err[160], why[256];

	ASSERT_EQ(0, smart_parse(ata_json, sizeof(ata_json) - 1, &h, err, sizeof(err)));
	h.reallocated = 0;
	h.pending = INT64_MAX;
	h.offline_uncorrectable = 2;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "9223372036854775807 pending"));
	h.pending = h.offline_uncorrectable = INT64_MAX;
	EXPECT_EQ(SMART_FAILING, smart_assess(&h, why, sizeof(why)));
}

TEST(smart_bad_output_is_an_error)
{
	static const char nodev[] = "{\"smartctl\":{\"exit_status\":2,\"messages\":[{\"string\":"
				    "\"/dev/sdz: No such device\",\"severity\":\"error\"}]}}";
	struct smart_health h;
	char err[160];

	EXPECT_EQ(-1, smart_parse("", 0, &h, err, sizeof(err)));
	EXPECT_EQ(-1, smart_parse("[1,2]", 5, &h, err, sizeof(err)));
	EXPECT_EQ(-1, smart_parse("{\"device\":{\"protocol\":", 22, &h, err, sizeof(err)));
	EXPECT_EQ(-1, smart_parse(nodev, sizeof(nodev) - 1, &h, err, sizeof(err)));
	EXPECT_STREQ("/dev/sdz: No such device", err);
	/* Wrong types are unknown, not misread. */
	static const char odd[] = "{\"device\":{\"protocol\":\"NVMe\"},\"serial_number\":7,"
				  "\"nvme_smart_health_information_log\":{\"critical_warning\":\"4\"}}";

	ASSERT_EQ(0, smart_parse(odd, sizeof(odd) - 1, &h, err, sizeof(err)));
	EXPECT_STREQ("", h.serial);
	EXPECT_EQ(-1, h.critical_warning);
}

/* smartctl 7.3's own output for QEMU 7.2's disks (test_heald_07 kept it). */
static size_t corpus(const char *name, char *buf, size_t len)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%.*s/../fuzz/corpus/smart/%s",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

TEST(smart_reads_qemus_disks)
{
	static char buf[65536];
	struct smart_health h;
	char err[160], why[256];
	size_t n;

	n = corpus("qemu-nvme.json", buf, sizeof(buf));
	ASSERT_NE(0, n);
	ASSERT_EQ(0, smart_parse(buf, n, &h, err, sizeof(err)));
	EXPECT_STREQ("NVMe", h.protocol);
	EXPECT_STREQ("HEALNVME01", h.serial);
	EXPECT_STREQ("QEMU NVMe Ctrl", h.model);
	EXPECT_EQ(0, h.critical_warning);
	EXPECT_EQ(50, h.temperature);
	EXPECT_EQ(SMART_OK, smart_assess(&h, why, sizeof(why)));
	n = corpus("qemu-ata.json", buf, sizeof(buf));
	ASSERT_NE(0, n);
	ASSERT_EQ(0, smart_parse(buf, n, &h, err, sizeof(err)));
	EXPECT_STREQ("ATA", h.protocol);
	EXPECT_STREQ("HEALATA01", h.serial);
	EXPECT_STREQ("naa.5000c50012345678", h.wwn);
	EXPECT_EQ(0, h.reallocated);
	EXPECT_EQ(1, h.passed);
	EXPECT_EQ(SMART_OK, smart_assess(&h, why, sizeof(why)));
}

static void mirror(struct policy_in *in, uint32_t spares)
{
	memset(in, 0, sizeof(*in));
	in->dev.nr_legs = 2;
	in->dev.nr_spares = spares;
	in->dev.leg_state[0] = HEALBLK_LEG_IN_SYNC;
	in->dev.leg_state[1] = HEALBLK_LEG_IN_SYNC;
	in->leg = 1;
	in->now = 1000;
	in->predictive = true;
}

TEST(policy_predicted_failure_replaced_only_onto_a_spare)
{
	struct policy_limits lim = { .cooldown = 300, .max_per_hour = 6 };
	struct policy_in in;
	struct policy_out out;

	mirror(&in, 1);
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	EXPECT_STREQ("leg 1 predicts its failure; 1 other leg in sync, a spare stands by: fail it and rebuild",
		     out.reason);
	/* No spare: failing it would only lose a good copy sooner. */
	mirror(&in, 0);
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_KEEP, out.action);
	EXPECT_STREQ("keep", policy_action_name(out.action));
	mirror(&in, 1);
	in.dev.sync_running = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_KEEP, out.action);
	/* The last good copy: reported, as any failing leg. */
	mirror(&in, 1);
	in.dev.leg_state[0] = HEALBLK_LEG_FAILED;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPORT, out.action);
	/* Errors, not a prediction: as before, fail it without a spare. */
	mirror(&in, 0);
	in.predictive = false;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_FAIL_LEG, out.action);
}

/* md's want_replacement: a disk that still serves is copied, never failed first. */
TEST(policy_predicted_failure_copied_while_it_serves)
{
	struct policy_limits lim = { .cooldown = 300, .max_per_hour = 6 };
	struct policy_in in;
	struct policy_out out;

	mirror(&in, 1);
	in.dev.can_copy = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_COPY_TO_SPARE, out.action);
	EXPECT_STREQ("copy-to-spare", policy_action_name(out.action));
	EXPECT_STREQ("leg 1 predicts its failure; 1 other leg in sync, a spare stands by: copy it there while it serves, then swap",
		     out.reason);
	/* Held back like any action. */
	in.last_action = in.now - 10;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_COPY_TO_SPARE, out.action);
	EXPECT_TRUE(out.suppressed);
	/* No slot free (four legs, or a copy running): failed and rebuilt as before. */
	mirror(&in, 1);
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	/* A disk failing with errors is failed first even with a slot free. */
	mirror(&in, 1);
	in.dev.can_copy = true;
	in.predictive = false;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	/* No spare: kept, as before. */
	mirror(&in, 0);
	in.dev.can_copy = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_KEEP, out.action);
}

TEST(config_ops_keys)
{
	struct config c, d;
	char err[256] = "";

	config_default(&d);
	EXPECT_STREQ("/etc/heal/hooks.d", d.hooks_dir);
	EXPECT_EQ(30, d.disk.scrub_interval);
	config_default(&c);
	ASSERT_EQ(0, config_load(&c, HEALD_CONF_EXAMPLE, err, sizeof(err)));
	EXPECT_STREQ(d.hooks_dir, c.hooks_dir);
	EXPECT_EQ(d.hook_timeout, c.hook_timeout);
	EXPECT_STREQ(d.smartctl, c.smartctl);
	EXPECT_EQ(d.smart_interval, c.smart_interval);
	EXPECT_EQ(d.smart_timeout, c.smart_timeout);
	EXPECT_EQ(d.disk.scrub_interval, c.disk.scrub_interval);
	config_default(&c);
	EXPECT_EQ(0, config_parse(&c, "t", "scrub_interval = 7\n[device healblk1]\nscrub_interval = 0\n",
				  err, sizeof(err)));
	EXPECT_EQ(0, config_disk(&c, "healblk1")->scrub_interval);
	EXPECT_EQ(7, config_disk(&c, "healblk0")->scrub_interval);
	EXPECT_EQ(-EINVAL, config_parse(&c, "t", "hooks_dir = hooks.d\n", err, sizeof(err)));
	EXPECT_STREQ("t:1: hooks_dir: 'hooks.d' is not an absolute path", err);
	EXPECT_EQ(-EINVAL, config_parse(&c, "t", "hook_timeout = 0\n", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, config_parse(&c, "t", "scrub_interval = -1\n", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, config_parse(&c, "t", "[device healblk0]\nsmart_interval = 5\n", err, sizeof(err)));
}

TEST_HARNESS_MAIN
