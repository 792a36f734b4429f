// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of heald's pure parts: SERD, the slow-disk baseline,
 * the disk policy, the journal (write, replay, torn line, rotation) and
 * the configuration parser.  The real daemon is tested on the host by
 * tests/heald/ and over a real healblk in the VM by tests/kmod/test_heald_*.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "serd.h"
#include "slow.h"
#include "policy.h"
#include "journal.h"
#include "config.h"

const char *hb_prog = "test";

TEST(serd_fires_at_n_within_t)
{
	struct serd s;

	serd_init(&s, 3, 10, 30);
	EXPECT_FALSE(serd_record(&s, 100));
	EXPECT_FALSE(serd_record(&s, 105));
	EXPECT_TRUE(serd_record(&s, 109.9));	/* 3 within 9.9 s */
	EXPECT_TRUE(s.fired);
	EXPECT_FALSE(serd_record(&s, 110));	/* fires once */
	EXPECT_EQ(4, s.total);
}

TEST(serd_spread_events_never_fire)
{
	struct serd s;
	int i;

	serd_init(&s, 3, 10, 0);
	/* One every 6 s: never 3 within 10 s, however many. */
	for (i = 0; i < 100; i++)
		EXPECT_FALSE(serd_record(&s, i * 6.0));
	EXPECT_EQ(2, serd_in_window(&s, 99 * 6.0));
	EXPECT_EQ(10, s.quiet);		/* 0: the window */
}

TEST(serd_clears_after_quiet_with_hysteresis)
{
	struct serd s;

	serd_init(&s, 2, 10, 60);
	serd_record(&s, 0);
	ASSERT_TRUE(serd_record(&s, 1));
	EXPECT_FALSE(serd_tick(&s, 30));	/* not quiet long enough */
	serd_record(&s, 50);			/* a straggler restarts the quiet period */
	EXPECT_FALSE(serd_tick(&s, 100));
	EXPECT_TRUE(serd_tick(&s, 110.5));
	EXPECT_FALSE(s.fired);
	/* Cleared means empty: one new error does not re-fire it. */
	EXPECT_FALSE(serd_record(&s, 111));
	EXPECT_TRUE(serd_record(&s, 112));
}

TEST(serd_clamps_n)
{
	struct serd s;

	serd_init(&s, 0, 1, 1);
	EXPECT_EQ(1, s.n);
	EXPECT_TRUE(serd_record(&s, 5));
	serd_init(&s, 1000, 1, 1);
	EXPECT_EQ(SERD_MAX_N, s.n);
}

TEST(slow_learns_then_raises_and_clears)
{
	struct slow_params p;
	struct slow s = { 0 };
	int i;

	slow_params_default(&p);
	for (i = 0; i < (int)p.learn; i++)
		EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 1000, 100));
	EXPECT_EQ(1000, (int)s.baseline_us);
	/* Too few I/Os say nothing. */
	EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 900000, p.min_ios - 1));
	/* 3 intervals 50x slower: raised on the third. */
	EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 50000, 100));
	EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 50000, 100));
	EXPECT_EQ(SLOW_RAISED, slow_update(&s, &p, 50000, 100));
	EXPECT_TRUE(s.alarm);
	/* Outliers never teach the baseline. */
	EXPECT_EQ(1000, (int)s.baseline_us);
	for (i = 0; i < (int)p.clear - 1; i++)
		EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 1100, 100));
	EXPECT_EQ(SLOW_CLEARED, slow_update(&s, &p, 1100, 100));
	EXPECT_FALSE(s.alarm);
}

TEST(slow_floor_keeps_fast_disks_quiet)
{
	struct slow_params p;
	struct slow s = { 0 };
	int i;

	slow_params_default(&p);
	for (i = 0; i < (int)p.learn; i++)
		slow_update(&s, &p, 30, 100);
	/* 30 us to 1 ms is 33x, but under the 20 ms floor. */
	for (i = 0; i < 10; i++)
		EXPECT_EQ(SLOW_SAME, slow_update(&s, &p, 1000, 100));
	EXPECT_FALSE(s.alarm);
}

static void two_legs(struct policy_in *in, uint32_t spares)
{
	memset(in, 0, sizeof(*in));
	in->dev.nr_legs = 2;
	in->dev.nr_spares = spares;
	in->dev.leg_state[0] = HEALBLK_LEG_IN_SYNC;
	in->dev.leg_state[1] = HEALBLK_LEG_IN_SYNC;
	in->leg = 1;
	in->now = 1000;
}

TEST(policy_replaces_with_spare_and_redundancy)
{
	struct policy_limits lim = { .cooldown = 60, .max_per_hour = 6 };
	struct policy_in in;
	struct policy_out out;

	two_legs(&in, 1);
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	EXPECT_FALSE(out.suppressed);
	EXPECT_NE(NULL, strstr(out.reason, "spare"));
	two_legs(&in, 0);
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_FAIL_LEG, out.action);
}

TEST(policy_never_fails_the_last_good_copy)
{
	struct policy_limits lim = { .cooldown = 60, .max_per_hour = 6 };
	struct policy_in in;
	struct policy_out out;

	two_legs(&in, 1);
	in.dev.leg_state[0] = HEALBLK_LEG_FAILED;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPORT, out.action);
	/* One leg only, too. */
	two_legs(&in, 0);
	in.dev.nr_legs = 1;
	in.leg = 0;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPORT, out.action);
	/* Reported even in dry run and cooldown: it changes nothing. */
	lim.dry_run = true;
	in.last_action = in.now - 1;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPORT, out.action);
	EXPECT_FALSE(out.suppressed);
}

TEST(policy_cooldown_rate_limit_dry_run)
{
	struct policy_limits lim = { .cooldown = 60, .max_per_hour = 2 };
	struct policy_in in;
	struct policy_out out;

	two_legs(&in, 1);
	in.last_action = in.now - 30;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	EXPECT_TRUE(out.suppressed);
	EXPECT_NE(NULL, strstr(out.reason, "cooldown"));
	in.last_action = in.now - 61;
	in.actions_last_hour = 2;
	policy_decide(&in, &lim, &out);
	EXPECT_TRUE(out.suppressed);
	EXPECT_NE(NULL, strstr(out.reason, "rate limit"));
	in.actions_last_hour = 0;
	lim.dry_run = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REPLACE_LEG, out.action);
	EXPECT_TRUE(out.suppressed);
}

TEST(policy_failed_leg_gets_a_spare_unless_the_kernel_does_it)
{
	struct policy_limits lim = { .cooldown = 60, .max_per_hour = 6 };
	struct policy_in in;
	struct policy_out out;

	two_legs(&in, 1);
	in.leg = -1;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_NONE, out.action);	/* nothing failed */
	in.dev.leg_state[1] = HEALBLK_LEG_FAILED;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_REBUILD, out.action);
	in.dev.kernel_auto_spare = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_NONE, out.action);
	in.dev.kernel_auto_spare = false;
	in.dev.sync_running = true;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_NONE, out.action);
	in.dev.sync_running = false;
	in.dev.nr_spares = 0;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_NONE, out.action);
	/* A leg not in sync is not failed again. */
	two_legs(&in, 1);
	in.dev.leg_state[1] = HEALBLK_LEG_REBUILDING;
	policy_decide(&in, &lim, &out);
	EXPECT_EQ(ACT_NONE, out.action);
}

FIXTURE(jdir) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(jdir)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/heald-unit.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/journal.jsonl", self->dir);
}

FIXTURE_TEARDOWN(jdir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cleanup of %s failed", self->dir);
}

struct seen {
	int n;
	uint64_t ids[64];
};

static void collect(struct json_object *e, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 64)
		s->ids[s->n++] = (uint64_t)json_object_get_int64(json_object_object_get(e, "id"));
}

static struct json_object *entry(const char *type, int n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "n", json_object_new_int(n));
	return o;
}

TEST_F(jdir, journal_append_replay_why)
{
	struct journal j;
	struct seen s = { 0 };
	struct json_object *o, *why;
	char err[256];
	uint64_t id, oldest, omitted;
	int i;

	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, NULL, NULL, err, sizeof(err)));
	for (i = 1; i <= 5; i++)
		EXPECT_EQ((uint64_t)i, journal_append(&j, entry("decision", i)));
	o = entry("outcome", 6);
	json_object_object_add(o, "ref", json_object_new_int64(3));
	EXPECT_EQ(6, journal_append(&j, o));
	why = journal_why(&j, 3, UINT64_MAX);
	ASSERT_NE(NULL, why);
	EXPECT_EQ(3, json_object_get_int(json_object_object_get(json_object_object_get(why, "entry"), "n")));
	EXPECT_EQ(1, json_object_array_length(json_object_object_get(why, "outcomes")));
	json_object_put(why);
	EXPECT_EQ(NULL, journal_why(&j, 99, UINT64_MAX));
	o = journal_query(&j, 2, UINT64_MAX, 2, &oldest, &omitted);	/* the newest two after 2 */
	ASSERT_EQ(2, json_object_array_length(o));
	EXPECT_EQ(5, json_object_get_int(json_object_object_get(json_object_array_get_idx(o, 0), "id")));
	EXPECT_EQ(1, oldest);
	EXPECT_EQ(2, omitted);	/* 3 and 4, of 3 to 6 */
	json_object_put(o);
	journal_close(&j);

	/* Replay: every entry, in order, and ids go on from there. */
	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, collect, &s, err, sizeof(err)));
	EXPECT_EQ(6, s.n);
	for (i = 0; i < s.n; i++)
		EXPECT_EQ((uint64_t)i + 1, s.ids[i]);
	id = journal_append(&j, entry("decision", 7));
	EXPECT_EQ(7, id);
	EXPECT_EQ(0, j.torn);
	journal_close(&j);
}

/* Unsynced writes (a reroute's record): in order, ids in order, marked until synced. */
TEST_F(jdir, journal_write_unsynced_then_sync)
{
	struct journal j;
	struct seen s = { 0 };
	char err[256];
	int i;

	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, NULL, NULL, err, sizeof(err)));
	EXPECT_FALSE(j.unsynced);
	EXPECT_EQ(1, journal_write(&j, entry("alarm", 1), false));
	EXPECT_TRUE(j.unsynced);
	EXPECT_EQ(2, journal_write(&j, entry("decision", 2), false));
	EXPECT_EQ(3, journal_append(&j, entry("outcome", 3)));	/* syncs all three */
	EXPECT_FALSE(j.unsynced);
	EXPECT_EQ(4, journal_write(&j, entry("alarm", 4), false));
	EXPECT_EQ(0, journal_sync(&j));
	EXPECT_FALSE(j.unsynced);
	EXPECT_EQ(0, journal_sync(&j));	/* nothing to do */
	/* Synced by the journal's thread; close waits for it. */
	EXPECT_EQ(5, journal_write(&j, entry("clear", 5), false));
	EXPECT_EQ(0, journal_sync_async(&j));
	EXPECT_FALSE(j.unsynced);
	EXPECT_EQ(1, j.asked);
	EXPECT_EQ(0, journal_sync_async(&j));	/* nothing new: nothing asked */
	EXPECT_EQ(1, j.asked);
	/* Not synced: heald killed here (close, no sync) still leaves the line. */
	EXPECT_EQ(6, journal_write(&j, entry("decision", 6), false));
	journal_close(&j);
	EXPECT_EQ(1, j.done);	/* the thread's sync was done before close returned */
	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, collect, &s, err, sizeof(err)));
	EXPECT_EQ(6, s.n);
	for (i = 0; i < s.n; i++)
		EXPECT_EQ((uint64_t)i + 1, s.ids[i]);
	EXPECT_EQ(7, journal_append(&j, entry("outcome", 7)));
	journal_close(&j);
}

/* What is durable moves only with a sync that covered it (published only up to there: review F3). */
TEST_F(jdir, journal_durable_follows_syncs)
{
	struct pollfd pfd;
	struct journal j;
	struct json_object *o;
	uint64_t oldest, omitted, n;
	char err[256];

	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, NULL, NULL, err, sizeof(err)));
	EXPECT_EQ(0, journal_durable(&j));
	EXPECT_EQ(1, journal_append(&j, entry("decision", 1)));
	EXPECT_EQ(1, journal_durable(&j));
	EXPECT_EQ(2, journal_write(&j, entry("alarm", 2), false));
	EXPECT_EQ(3, journal_write(&j, entry("decision", 3), false));
	EXPECT_EQ(1, journal_durable(&j));	/* written, not synced */
	/* Readers given what may be shown see up to there, no further. */
	o = journal_query(&j, 0, journal_durable(&j), 0, &oldest, &omitted);
	EXPECT_EQ(1, json_object_array_length(o));
	json_object_put(o);
	EXPECT_EQ(NULL, journal_why(&j, 3, journal_durable(&j)));
	/* The syncer's eventfd says when its sync is done. */
	ASSERT_TRUE(j.syncer_on);
	EXPECT_EQ(0, journal_sync_async(&j));
	pfd = (struct pollfd){ .fd = j.efd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(sizeof(n), read(j.efd, &n, sizeof(n)));
	EXPECT_EQ(3, journal_durable(&j));
	o = journal_why(&j, 3, journal_durable(&j));
	EXPECT_NE(NULL, o);
	json_object_put(o);
	/* A synced line covers the unsynced ones before it. */
	EXPECT_EQ(4, journal_write(&j, entry("alarm", 4), false));
	EXPECT_EQ(5, journal_append(&j, entry("decision", 5)));
	EXPECT_EQ(5, journal_durable(&j));
	journal_close(&j);
	/* Reopened: what was read back is on disk. */
	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, NULL, NULL, err, sizeof(err)));
	EXPECT_EQ(5, journal_durable(&j));
	journal_close(&j);
}

TEST_F(jdir, journal_torn_last_line_is_cut)
{
	struct journal j;
	struct seen s = { 0 };
	struct stat st;
	char err[256], buf[4096];
	int fd;
	ssize_t n;

	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, NULL, NULL, err, sizeof(err)));
	EXPECT_EQ(1, journal_append(&j, entry("decision", 1)));
	EXPECT_EQ(2, journal_append(&j, entry("decision", 2)));
	journal_close(&j);
	ASSERT_EQ(0, stat(self->path, &st));
	/* A crash mid-write: half a line, no newline; and a garbage line before it. */
	fd = open(self->path, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(9, write(fd, "garbage!\n", 9));
	ASSERT_EQ(20, write(fd, "{\"id\":3,\"type\":\"deci", 20));
	close(fd);

	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, collect, &s, err, sizeof(err)));
	EXPECT_EQ(2, s.n);
	EXPECT_EQ(1, j.torn);
	EXPECT_EQ(1, j.bad);
	EXPECT_EQ(3, journal_append(&j, entry("decision", 3)));
	journal_close(&j);
	/* The file is whole lines again, and the new entry parses. */
	fd = open(self->path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_EQ('\n', buf[n - 1]);
	EXPECT_EQ(NULL, strstr(buf, "\"deci{"));
	s.n = 0;
	ASSERT_EQ(0, journal_open(&j, self->path, 1 << 20, 2, collect, &s, err, sizeof(err)));
	EXPECT_EQ(3, s.n);
	EXPECT_EQ(0, j.torn);
	journal_close(&j);
}

TEST_F(jdir, journal_rotates_and_replays_all_files)
{
	struct journal j;
	struct seen s = { 0 };
	char err[256], old[160];
	struct stat st;
	int i;

	ASSERT_EQ(0, journal_open(&j, self->path, 4096, 2, NULL, NULL, err, sizeof(err)));
	for (i = 1; i <= 60; i++)
		ASSERT_EQ((uint64_t)i, journal_append(&j, entry("decision", i)));
	journal_close(&j);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_GE(4096, st.st_size);
	snprintf(old, sizeof(old), "%s.1", self->path);
	EXPECT_EQ(0, stat(old, &st));
	snprintf(old, sizeof(old), "%s.3", self->path);
	EXPECT_EQ(-1, stat(old, &st));	/* keep = 2: no third file */
	ASSERT_EQ(0, journal_open(&j, self->path, 4096, 2, collect, &s, err, sizeof(err)));
	/* The oldest rotated away; what is left is in order and ends at 60. */
	ASSERT_LT(0, s.n);
	EXPECT_EQ(60, s.ids[s.n - 1]);
	for (i = 1; i < s.n; i++)
		EXPECT_EQ(s.ids[i - 1] + 1, s.ids[i]);
	EXPECT_EQ(61, j.next_id);
	journal_close(&j);
}

TEST_F(jdir, journal_unwritable_is_a_clear_error)
{
	struct journal j;
	char err[256], path[200];

	snprintf(path, sizeof(path), "%s/no/such/dir/journal", self->dir);
	EXPECT_EQ(-ENOENT, journal_open(&j, path, 4096, 2, NULL, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no/such/dir"));
	journal_close(&j);
}

static int parse(struct config *c, const char *text, char *err)
{
	config_default(c);
	return config_parse(c, "heald.conf", text, err, 256);
}

TEST(config_defaults_and_overrides)
{
	struct config c;
	char err[256] = "";
	const struct disk_conf *d;

	ASSERT_EQ(0, parse(&c, "# comment\n\ndry_run = yes\nserd_n = 5   # inline\n"
			       "cooldown=12.5\n[device healblk3]\nserd_n = 2\nserd_t = 30\n", err));
	EXPECT_TRUE(c.dry_run);
	EXPECT_EQ(12.5, c.cooldown);
	EXPECT_EQ(5, c.disk.serd_n);
	d = config_disk(&c, "healblk3");
	EXPECT_EQ(2, d->serd_n);
	EXPECT_EQ(30, d->serd_t);
	EXPECT_EQ(600, config_disk(&c, "healblk0")->serd_t);
	/* The section starts from the defaults as set above it. */
	EXPECT_EQ(5.0, d->slow.factor);
}

TEST(config_bad_lines_name_the_line)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "serd_n = 5\nbogus = 1\n", "heald.conf:2: unknown key 'bogus'" },
		{ "serd_n\n", "heald.conf:1: expected 'key = value'" },
		{ "serd_n = 0\n", "heald.conf:1: serd_n: 0 is out of range" },
		{ "serd_n = 65\n", "out of range" },
		{ "serd_n = 2.5\n", "not a whole number" },
		{ "serd_t = fast\n", "'fast' is not a number" },
		{ "serd_t = nan\n", "is not a number" },
		{ "dry_run = maybe\n", "'maybe' is not yes or no" },
		{ "socket = relative/path\n", "not an absolute path" },
		{ "metrics_port = 70000\n", "out of range" },
		/* Beyond any integer: refused, not converted (undefined behaviour). */
		{ "poll_ms = 1e300\n", "out of range" },
		{ "journal_keep = -1e300\n", "out of range" },
		{ "metrics_address = localhost\n", "not an IPv4 or IPv6 address" },
		{ "metrics_address = 127.0.0.300\n", "not an IPv4 or IPv6 address" },
		{ "[device sda]\n", "bad section" },
		{ "[device healblk1]\n[device healblk1]\n", "given twice" },
		{ "[device healblk1]\ndry_run = yes\n", "global key" },
		{ "\n\n\n[disk]\n", "heald.conf:4:" },
	};
	struct config c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, parse(&c, bad[i].text, err));
		EXPECT_NE(NULL, strstr(err, bad[i].want)) {
			TH_LOG("'%s': got '%s'", bad[i].text, err);
		}
	}
}

TEST(config_uplinks)
{
	struct config c;
	char err[256] = "";

	ASSERT_EQ(0, parse(&c, "routes = default 10.0.0.0/8\n[uplink wan]\ninterface = eth0\n"
			       "gateway = 192.0.2.1\n[uplink lte]\ninterface = wwan0\n"
			       "gateway = 198.51.100.1\npriority = 0\n", err)) {
		TH_LOG("%s", err);
	}
	ASSERT_EQ(2, c.nuplink);
	EXPECT_STREQ("eth0", c.uplink[0].ifname);
	EXPECT_EQ(1, c.uplink[0].priority);	/* order of the sections */
	EXPECT_EQ(0, c.uplink[1].priority);
	EXPECT_STREQ("default 10.0.0.0/8", c.routes);
	EXPECT_EQ(-EINVAL, parse(&c, "[uplink a]\ninterface = eth0\ngateway = 192.0.2.1\n"
				 "[uplink b]\ninterface = eth1\ngateway = 192.0.2.1\n", err));
	EXPECT_NE(NULL, strstr(err, "heald.conf:4: [uplink b] gateway 192.0.2.1 is uplink a's already"));
	EXPECT_EQ(-EINVAL, parse(&c, "[uplink a]\ninterface = eth0\ngateway = 192.0.2.1\nserd_n = 3\n", err));
	EXPECT_NE(NULL, strstr(err, "unknown key 'serd_n'"));
	EXPECT_EQ(-EINVAL, parse(&c, "[uplink a]\ninterface = eth0\npriority = -1\n", err));
	EXPECT_NE(NULL, strstr(err, "priority: '-1' is not 0..1000"));
}

TEST(config_workloads_and_peers)
{
	struct config c;
	char err[256] = "";

	ASSERT_EQ(0, parse(&c, "max_moves = 2\nnode_name = farm-7\n"
			       "[uplink wan]\ninterface = eth0\ngateway = 192.0.2.1\n"
			       "[workload db]\ncgroup = /system.slice/system-db\\x2dmain.slice\n"
			       "kind = criu\npriority = 10\ndata = /srv/db /var/lib/db\nuplinks = wan\n"
			       "tcp_established = yes\n"
			       "[workload web]\nunit = web@1.service\nkind = hook\nhook = /etc/heal/drain\n"
			       "opt_out = yes\ndeadline = 30\n"
			       "[workload vm]\nkind = libvirt\ndomain = guest-1.a\nauto_converge = yes\n"
			       "uri = qemu:///system?socket=/run/x/libvirt-sock\n"
			       "[peer b]\naddress = 10.0.0.2\nport = 2222\nidentity = /etc/heal/id_ed25519\n"
			       "capacity = 2\nbwlimit = 1000\n[peer c]\naddress = node-c.example\nuser = heal\n"
			       "libvirt_uri = qemu+ssh://heal@node-c/system?keyfile=/etc/heal/id&no_verify=0\n",
			       err)) {
		TH_LOG("%s", err);
	}
	EXPECT_EQ(2, c.max_moves);
	EXPECT_STREQ("farm-7", c.node_name);
	ASSERT_EQ(3, c.nworkload);
	EXPECT_EQ(WL_KIND_LIBVIRT, c.workload[2].kind);
	EXPECT_STREQ("guest-1.a", c.workload[2].domain);
	EXPECT_STREQ("qemu:///system?socket=/run/x/libvirt-sock", c.workload[2].uri);
	EXPECT_TRUE(c.workload[2].auto_converge);
	EXPECT_STREQ("libvirt", wl_kind_name(c.workload[2].kind));
	EXPECT_STREQ("/system.slice/system-db\\x2dmain.slice", c.workload[0].cgroup);
	EXPECT_EQ(WL_KIND_CRIU, c.workload[0].kind);
	EXPECT_EQ(10, c.workload[0].priority);
	EXPECT_STREQ("/srv/db /var/lib/db", c.workload[0].data);
	EXPECT_TRUE(c.workload[0].tcp_established);
	EXPECT_FALSE(c.workload[0].opt_out);
	EXPECT_STREQ("web@1.service", c.workload[1].unit);
	EXPECT_EQ(WL_KIND_HOOK, c.workload[1].kind);
	EXPECT_TRUE(c.workload[1].opt_out);
	EXPECT_EQ(30, c.workload[1].deadline);
	ASSERT_EQ(2, c.npeer);
	EXPECT_EQ(2222, c.peer[0].port);
	EXPECT_STREQ("root", c.peer[0].user);
	EXPECT_STREQ("healctl", c.peer[0].healctl);
	EXPECT_EQ(2, c.peer[0].capacity);
	EXPECT_EQ(1000, c.peer[0].bwlimit);
	EXPECT_STREQ("heal", c.peer[1].user);
	EXPECT_STREQ("", c.peer[0].libvirt_uri);	/* built from its ssh keys (libvirt.c) */
	EXPECT_STREQ("qemu+ssh://heal@node-c/system?keyfile=/etc/heal/id&no_verify=0", c.peer[1].libvirt_uri);
	EXPECT_EQ(4, c.peer[1].capacity);	/* the default */
	/* On unless said: without it a guest that dirties faster than the link never leaves. */
	ASSERT_EQ(0, parse(&c, "[workload a]\nkind = libvirt\ndomain = a\n"
			       "[workload b]\nkind = libvirt\ndomain = b\nauto_converge = no\n", err));
	EXPECT_TRUE(c.workload[0].auto_converge);
	EXPECT_FALSE(c.workload[1].auto_converge);
	/* "no" for another kind: meaningless, accepted (a file that said it before it was the default). */
	ASSERT_EQ(0, parse(&c, "[workload a]\ncgroup = /a\nauto_converge = no\n", err));
}

TEST(config_bad_workloads_and_peers_name_the_line)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[workload]\n", "heald.conf:1: bad section '[workload]': expected [workload NAME]" },
		{ "[workload a b]\n", "bad section" },
		{ "[workload -x]\n", "bad section" },
		{ "[workload a]\ncgroup = /a\n[workload a]\n", "heald.conf:3: workload 'a' given twice (first at line 1)" },
		{ "[workload a]\nkind = criu\n", "heald.conf:1: [workload a] needs a cgroup or a unit" },
		{ "[workload a]\ncgroup = /a\nunit = a.service\n", "needs a cgroup or a unit (one of them)" },
		{ "[workload a]\ncgroup = relative\n", "heald.conf:2: [workload a] cgroup: 'relative' is not a cgroup path" },
		{ "[workload a]\ncgroup = /a/../b\n", "is not a cgroup path" },
		{ "[workload a]\ncgroup = /a/b/\n", "is not a cgroup path" },
		{ "[workload a]\ncgroup = /a//b\n", "is not a cgroup path" },
		{ "[workload a]\ncgroup = /\n", "is not a cgroup path" },
		{ "[workload a]\ncgroup = /a/b/c\n[workload b]\ncgroup = /a/b\n",
		  "heald.conf:1: [workload a] cgroup /a/b/c is inside workload b's (/a/b)" },
		{ "[workload a]\ncgroup = /a\n[workload b]\ncgroup = /a/b\n",
		  "heald.conf:3: [workload b] cgroup /a/b is inside workload a's (/a)" },
		{ "[workload a]\ncgroup = /a;rm\n", "is not a cgroup path" },
		{ "[workload a]\nunit = -x.service\n", "not a systemd unit name" },
		{ "[workload a]\ncgroup = /a\nkind = vm\n", "heald.conf:3: [workload a] kind: 'vm' is not criu, libvirt, hook or none" },
		{ "[workload a]\nkind = libvirt\n", "heald.conf:1: [workload a] kind = libvirt needs a domain" },
		{ "[workload a]\nkind = libvirt\ndomain = d\ncgroup = /a\n", "and no cgroup, unit or data" },
		{ "[workload a]\ncgroup = /a\ndomain = d\n", "domain, uri and auto_converge are for kind = libvirt" },
		{ "[workload a]\ncgroup = /a\nauto_converge = yes\n", "domain, uri and auto_converge are for kind = libvirt" },
		{ "[workload a]\nkind = libvirt\ndomain = d;reboot\n", "domain: 'd;reboot' is not a domain name" },
		{ "[workload a]\nkind = libvirt\ndomain = d\nuri = xen:///system\n", "uri: 'xen:///system' is not a libvirt URI" },
		{ "[workload a]\nkind = libvirt\ndomain = d\nuri = qemu:///system x\n", "is not a libvirt URI" },
		{ "[workload a]\nkind = libvirt\ndomain = d\nuri = qemu:///$(reboot)\n", "is not a libvirt URI" },
		{ "[workload a]\nkind = libvirt\ndomain = d\nauto_converge = fast\n", "auto_converge: 'fast' is not yes or no" },
		{ "[workload a]\nkind = libvirt\ndomain = d\n[workload b]\nkind = libvirt\ndomain = d\n",
		  "[workload b] is workload a already" },
		{ "[peer p]\naddress = h\nlibvirt_uri = qemu:///system\n", "libvirt_uri: 'qemu:///system' is not a remote libvirt URI" },
		{ "[peer p]\naddress = h\nlibvirt_uri = qemu+ssh://h/system?x='y'\n", "is not a remote libvirt URI" },
		{ "[workload a]\ncgroup = /a\nkind = hook\n", "heald.conf:1: [workload a] kind = hook needs a hook program" },
		{ "[workload a]\ncgroup = /a\npriority = 1001\n", "priority: '1001' is not 0..1000" },
		{ "[workload a]\ncgroup = /a\npriority = -1\n", "priority: '-1' is not 0..1000" },
		{ "[workload a]\ncgroup = /a\nopt_out = perhaps\n", "opt_out: 'perhaps' is not yes or no" },
		{ "[workload a]\ncgroup = /a\nhook = drain.sh\n", "hook: 'drain.sh' is not an absolute path" },
		{ "[workload a]\ncgroup = /a\ndata = /srv/x y\n", "data: '/srv/x y' is not up to 8 absolute paths" },
		{ "[workload a]\ncgroup = /a\ndata = /srv/$(reboot)\n", "is not up to 8 absolute paths" },
		{ "[workload a]\ncgroup = /a\nuplinks = lte\n", "[workload a] uplink 'lte' has no [uplink] section" },
		{ "[workload a]\ncgroup = /a\ndeadline = 0\n", "deadline: '0' is not 1..86400 seconds" },
		{ "[workload a]\ncgroup = /a\nserd_n = 3\n", "[workload a] unknown key 'serd_n'" },
		{ "[workload a]\ncgroup = /a\n[workload b]\ncgroup = /a\n", "[workload b] is workload a already" },
		{ "[peer p]\nport = 22\n", "heald.conf:1: [peer p] needs an address" },
		{ "[peer p]\naddress = -oProxyCommand=x\n", "heald.conf:2: [peer p] address: '-oProxyCommand=x' is not a host name" },
		{ "[peer p]\naddress = a b\n", "is not a host name or address" },
		{ "[peer p]\naddress = h\nuser = Root\n", "user: 'Root' is not a user name" },
		{ "[peer p]\naddress = h\nport = 0\n", "port: '0' is not 1..65535" },
		{ "[peer p]\naddress = h\nidentity = id_rsa\n", "identity: 'id_rsa' is not an absolute path" },
		{ "[peer p]\naddress = h\nhealctl = ./healctl\n", "healctl: './healctl' is not a program name" },
		{ "[peer p]\naddress = h\ncapacity = 65\n", "capacity: '65' is not 0..64" },
		{ "[peer p]\naddress = h\ncooldown = 3\n", "[peer p] unknown key 'cooldown'" },
		{ "max_moves = 0\n", "max_moves: 0 is out of range" },
		{ "node_name = a/b\n", "node_name: 'a/b' is not a name" },
		{ "migrate_dir = var\n", "not an absolute path" },
		{ "[peers p]\n", "bad section" },
	};
	struct config c;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, parse(&c, bad[i].text, err));
		EXPECT_NE(NULL, strstr(err, bad[i].want)) {
			TH_LOG("'%s': got '%s'", bad[i].text, err);
		}
	}
}

TEST(config_example_is_valid_and_says_every_default)
{
	struct config c, d;
	char err[256] = "";

	config_default(&d);
	/* The example sets every key to its default: parsing it changes nothing. */
	config_default(&c);
	ASSERT_EQ(0, config_load(&c, HEALD_CONF_EXAMPLE, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	EXPECT_EQ(0, memcmp(&c.disk, &d.disk, sizeof(c.disk)));
	EXPECT_EQ(d.cooldown, c.cooldown);
	EXPECT_EQ(d.metrics_port, c.metrics_port);
	EXPECT_EQ(0, strcmp(d.journal, c.journal));
	EXPECT_EQ(d.probe_interval_ms, c.probe_interval_ms);
	EXPECT_EQ(d.hold_down, c.hold_down);
	EXPECT_EQ(0, strcmp(d.routes, c.routes));
	EXPECT_EQ(0, c.nuplink);	/* its uplinks are commented out */
	EXPECT_EQ(0, strcmp(d.migrate_dir, c.migrate_dir));
	EXPECT_EQ(d.max_moves, c.max_moves);
	EXPECT_EQ(d.move_deadline, c.move_deadline);
	EXPECT_EQ(d.move_cooldown, c.move_cooldown);
	EXPECT_EQ(d.peer_interval, c.peer_interval);
	EXPECT_EQ(d.peer_max_age, c.peer_max_age);
	EXPECT_EQ(d.peer_timeout, c.peer_timeout);
	EXPECT_EQ(d.move_on_kills, c.move_on_kills);
	EXPECT_EQ(d.kill_window, c.kill_window);
	EXPECT_EQ(d.receive_max, c.receive_max);
	EXPECT_EQ(0, c.nworkload);	/* commented out too */
	EXPECT_EQ(0, c.npeer);
}

TEST_HARNESS_MAIN
