// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of what heald takes from outside: control-socket
 * request lines (request.c), journal lines at replay (journal.c's checks,
 * replay.c's pending decisions).  heald itself is tested by tests/heald/,
 * these inputs fuzzed by tests/fuzz/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "journal.h"
#include "replay.h"
#include "request.h"

const char *hb_prog = "test";

static int parse(const char *line, struct request *rq, char *err)
{
	return request_parse(line, strlen(line), rq, err, 300);
}

TEST(request_reads_and_acts)
{
	struct request rq;
	char err[300];

	ASSERT_EQ(0, parse("{\"cmd\":\"status\"}", &rq, err));
	EXPECT_EQ(REQ_STATUS, rq.cmd);
	ASSERT_EQ(0, parse("{\"cmd\":\"journal\",\"after\":3,\"limit\":1024}", &rq, err));
	EXPECT_EQ(3, rq.after);
	EXPECT_EQ(1024, rq.limit);
	ASSERT_EQ(0, parse("{\"cmd\":\"journal\"}", &rq, err));
	EXPECT_EQ(100, rq.limit);	/* healctl's default */
	ASSERT_EQ(0, parse("{\"cmd\":\"act\",\"action\":\"fail-leg\",\"dev\":\"/dev/healblk2\",\"leg\":3}", &rq, err));
	EXPECT_EQ(RA_FAIL_LEG, rq.action);
	EXPECT_EQ(2, rq.dev);
	EXPECT_EQ(3, rq.leg);
	ASSERT_EQ(0, parse("{\"cmd\":\"act\",\"action\":\"add-spare\",\"dev\":0,\"disk\":\"/dev/sdd\"}", &rq, err));
	EXPECT_STREQ("/dev/sdd", rq.disk);
	ASSERT_EQ(0, parse("{\"cmd\":\"act\",\"action\":\"reroute\"}", &rq, err));
	EXPECT_FALSE(rq.has_uplink);
}

TEST(request_errors_say_what_is_wrong)
{
	struct request rq;
	char err[300];

	EXPECT_EQ(-1, request_parse("{\"cmd\":\"status\"}\0x", 18, &rq, err, sizeof(err)));
	EXPECT_STREQ("malformed request: NUL byte", err);
	EXPECT_EQ(-1, parse("{\"cmd\":\"status\"} {}", &rq, err));
	EXPECT_STREQ("malformed request: not one JSON object", err);
	EXPECT_EQ(REQ_NONE, rq.cmd);
	EXPECT_EQ(-1, parse("{\"cmd\":7}", &rq, err));
	EXPECT_STREQ("malformed request: no \"cmd\" string", err);
	EXPECT_EQ(-1, parse("{\"cmd\":\"frob\"}", &rq, err));
	EXPECT_STREQ("unknown command 'frob' (status, journal, why, events, act, receive)", err);
	EXPECT_EQ(REQ_OTHER, rq.cmd);
	EXPECT_EQ(-1, parse("{\"cmd\":\"journal\",\"limit\":1025}", &rq, err));
	EXPECT_EQ(REQ_JOURNAL, rq.cmd);	/* known: permission is answered first */
	EXPECT_EQ(-1, parse("{\"cmd\":\"why\"}", &rq, err));
	EXPECT_STREQ("why: \"id\" (a journal entry id) is missing", err);
	EXPECT_EQ(-1, parse("{\"cmd\":\"act\",\"action\":\"rebuild\",\"dev\":0,\"leg\":4}", &rq, err));
	EXPECT_STREQ("act rebuild: \"leg\" must be 0..3", err);
	EXPECT_EQ(REQ_ACT, rq.cmd);
	EXPECT_EQ(-1, parse("{\"cmd\":\"act\",\"action\":\"scrub\",\"dev\":-1}", &rq, err));
	EXPECT_STREQ("act: \"dev\" is missing or not a device name", err);
	EXPECT_EQ(-1, parse("{\"cmd\":\"act\",\"action\":\"explode\",\"dev\":0}", &rq, err));
	EXPECT_STREQ("act: unknown action 'explode' (fail-leg, add-spare, rebuild, scrub, reroute, drain, undrain)", err);
	EXPECT_EQ(-1, parse("{\"cmd\":\"act\",\"action\":\"reroute\",\"uplink\":1}", &rq, err));
	EXPECT_STREQ("act reroute: \"uplink\" must be an uplink's name", err);
}

static struct json_object *jp(const char *s)
{
	return json_tokener_parse(s);
}

TEST(replay_keeps_decisions_until_their_final_outcome)
{
	static const char *const lines[] = {
		"{\"id\":2,\"type\":\"decision\",\"action\":\"replace-leg\",\"dev\":0,\"leg\":1}",
		"{\"id\":3,\"type\":\"decision\",\"action\":\"rebuild\",\"dev\":1,\"taken\":false}",
		"{\"id\":4,\"type\":\"decision\",\"action\":null,\"dev\":0}",
		"{\"id\":5,\"type\":\"decision\",\"action\":\"x\",\"dev\":\"0\"}",
		"{\"id\":6,\"type\":\"decision\",\"action\":\"x\",\"dev\":0,\"leg\":-1}",
		"{\"id\":7,\"type\":\"outcome\",\"ref\":\"2\",\"final\":true}",
		"{\"id\":8,\"type\":\"outcome\",\"ref\":2,\"final\":false}",
		"{\"id\":9,\"type\":null}",
	};
	struct pending p[2];
	struct json_object *o;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		o = jp(lines[i]);
		replay_entry(p, &n, 2, o);
		json_object_put(o);
	}
	/* Only 2 is a decision that was taken and well formed; 8 started it. */
	ASSERT_EQ(1, n);
	EXPECT_EQ(2, p[0].id);
	EXPECT_EQ(1, p[0].leg);
	EXPECT_STREQ("replace-leg", p[0].action);
	EXPECT_TRUE(p[0].started);
	o = jp("{\"id\":10,\"type\":\"outcome\",\"ref\":2,\"final\":true}");
	replay_entry(p, &n, 2, o);
	json_object_put(o);
	EXPECT_EQ(0, n);
}

TEST(replay_workload_moves_and_drains)
{
	static const char *const lines[] = {
		"{\"id\":2,\"type\":\"decision\",\"resource\":\"workload:db\",\"action\":\"drain\",\"taken\":true,"
		"\"evidence\":{\"workloads\":[\"db\"]}}",
		"{\"id\":3,\"type\":\"outcome\",\"ref\":2,\"final\":true}",
		"{\"id\":4,\"type\":\"decision\",\"resource\":\"workload:db\",\"action\":\"move\",\"taken\":true}",
		"{\"id\":5,\"type\":\"decision\",\"resource\":\"workload:web\",\"action\":\"move\",\"taken\":false}",
		"{\"id\":6,\"type\":\"decision\",\"resource\":\"workloads\",\"action\":\"drain\",\"taken\":true,"
		"\"evidence\":{\"workloads\":[\"web\",\"db\",7,\"x\"]}}",
		"{\"id\":7,\"type\":\"decision\",\"resource\":\"workload:x\",\"action\":\"undrain\",\"taken\":true,"
		"\"evidence\":{\"workloads\":[\"x\"]}}",
		"{\"id\":8,\"type\":\"decision\",\"resource\":\"workload:web\",\"action\":\"hand-off\",\"taken\":true}",
		"{\"id\":9,\"type\":\"outcome\",\"ref\":8,\"final\":true}",
	};
	char names[4][REPLAY_NAME];
	struct pending p[4];
	struct json_object *o;
	int n = 0, nn = 0;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		o = jp(lines[i]);
		replay_entry(p, &n, 4, o);
		replay_drain(names, &nn, 4, o);
		json_object_put(o);
	}
	/* The move of db has no outcome; web's dry-run one changed nothing, its hand-off ended. */
	ASSERT_EQ(1, n);
	EXPECT_EQ(4, p[0].id);
	EXPECT_STREQ("db", p[0].workload);
	/* db and web drained, x drained then undrained, 7 is no name. */
	ASSERT_EQ(2, nn);
	EXPECT_STREQ("db", names[0]);
	EXPECT_STREQ("web", names[1]);
}

static char last_log[400];
static void keep_log(const char *msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

TEST(journal_bad_lines_are_skipped_and_ids_never_reused)
{
	char dir[] = "/tmp/heald-unit.XXXXXX", path[64], err[256];
	struct journal j;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/j", dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("{\"id\":1,\"type\":\"start\"}\n{\"id\":5,\"type\":null}\n{\"id\":-1,\"type\":\"start\"}\n"
	      "{\"id\":9223372036854775807,\"type\":\"start\"}\n", f);
	fclose(f);
	journal_log = keep_log;
	ASSERT_EQ(0, journal_open(&j, path, 1 << 20, 0, NULL, NULL, err, sizeof(err)));
	journal_log = NULL;
	EXPECT_EQ(3, j.bad);
	EXPECT_EQ(6, j.next_id);	/* past 5, skipped but seen */
	EXPECT_NE(NULL, strstr(last_log, "/j:4: no \"id\" that is a whole number from 1"));
	journal_close(&j);
	unlink(path);
	rmdir(dir);
}

TEST(request_drain_and_receive)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "{\"cmd\":\"act\",\"action\":\"drain\"}",
		  "act drain: give \"workload\" (a workload's name) or \"all\": true" },
		{ "{\"cmd\":\"act\",\"action\":\"drain\",\"workload\":\"a b\"}", "act drain: give" },
		{ "{\"cmd\":\"act\",\"action\":\"undrain\",\"workload\":\"-x\"}", "act undrain: give" },
		{ "{\"cmd\":\"act\",\"action\":\"drain\",\"all\":false}", "act drain: give" },
		{ "{\"cmd\":\"act\",\"action\":\"drain\",\"all\":true,\"workload\":\"a\"}", "act drain: give" },
		{ "{\"cmd\":\"receive\",\"phase\":\"middle\",\"workload\":\"a\",\"from\":\"n\"}",
		  "receive: \"phase\" must be \"begin\" or \"end\"" },
		{ "{\"cmd\":\"receive\",\"phase\":\"begin\",\"workload\":\"a\"}",
		  "receive: \"workload\" and \"from\" must be names" },
		{ "{\"cmd\":\"receive\",\"phase\":\"begin\",\"workload\":\"a\",\"from\":\"n;reboot\"}",
		  "must be names" },
		{ "{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"a\",\"from\":\"n\"}",
		  "receive end: give the restored \"pid\", the \"domain\" or \"failed\": true" },
		{ "{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"a\",\"from\":\"n\",\"domain\":\"d;x\"}",
		  "receive end: \"domain\" must be a name" },
		{ "{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"a\",\"from\":\"n\",\"pid\":-3}",
		  "receive end: \"pid\" must be a process id" },
		{ "{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"a\",\"from\":\"n\",\"failed\":1}",
		  "receive end: \"failed\" must be true or false" },
	};
	struct request rq;
	char err[300];
	size_t i;

	ASSERT_EQ(0, parse("{\"cmd\":\"act\",\"action\":\"drain\",\"workload\":\"db-1.main\"}", &rq, err));
	EXPECT_EQ(RA_DRAIN, rq.action);
	EXPECT_STREQ("db-1.main", rq.workload);
	EXPECT_FALSE(rq.all);
	ASSERT_EQ(0, parse("{\"cmd\":\"act\",\"action\":\"undrain\",\"all\":true}", &rq, err));
	EXPECT_EQ(RA_UNDRAIN, rq.action);
	EXPECT_TRUE(rq.all);
	ASSERT_EQ(0, parse("{\"cmd\":\"receive\",\"phase\":\"begin\",\"workload\":\"db\",\"from\":\"farm-7\"}",
			   &rq, err));
	EXPECT_EQ(REQ_RECEIVE, rq.cmd);
	EXPECT_TRUE(rq.begin);
	EXPECT_STREQ("farm-7", rq.from);
	ASSERT_EQ(0, parse("{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"db\",\"from\":\"f\",\"pid\":4242}",
			   &rq, err));
	EXPECT_FALSE(rq.begin);
	EXPECT_EQ(4242, rq.pid);
	ASSERT_EQ(0, parse("{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"db\",\"from\":\"f\",\"failed\":true}",
			   &rq, err));
	EXPECT_TRUE(rq.failed);
	ASSERT_EQ(0, parse("{\"cmd\":\"receive\",\"phase\":\"end\",\"workload\":\"vm\",\"from\":\"f\","
			   "\"domain\":\"guest-1\"}", &rq, err));
	EXPECT_STREQ("guest-1", rq.domain);
	EXPECT_EQ(0, rq.pid);
	EXPECT_FALSE(rq.failed);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ(-1, parse(bad[i].line, &rq, err));
		EXPECT_NE(NULL, strstr(err, bad[i].want)) {
			TH_LOG("%s: got '%s'", bad[i].line, err);
		}
	}
}

TEST_HARNESS_MAIN
