// SPDX-License-Identifier: GPL-2.0
/*
 * healtop's Workloads panel, its JSON half (tui/migration.c): what it says
 * of heald's "migration" status as heald writes it, and of the same status
 * missing, mistyped, out of range or hostile: clear text ("?" or nothing),
 * never a crash, a wrong number or a control character on the terminal.
 * The model (jget, jtxt...) and migration.c are included whole, as
 * tests/fuzz/fuzz_tui_model.c does; neither uses curses.
 */
#include <string.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "../../tui/model.c"
#include "../../tui/migration.c"

const char *hb_prog = "test";

/* A workload as heald's wl_status writes it, moving. */
static const char *const web =
	"{\"name\":\"web\",\"kind\":\"criu\",\"cgroup\":\"/w\",\"state\":\"moving\",\"health\":\"degraded\","
	"\"reason\":\"sda has no redundancy left\",\"opt_out\":false,\"drain\":true,\"processes\":3,"
	"\"memory_bytes\":1572864,\"devices\":[\"sda\",\"healblk0\"],\"peer\":\"b\","
	"\"move\":{\"decision\":41,\"step\":\"checkpoint\",\"for_s\":12.4,\"peer\":\"b\"},"
	"\"last_move\":{\"decision\":30,\"outcome\":\"failed\",\"age_s\":187,\"detail\":\"copy: exit 12\"}}";

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	if (!o)
		abort();
	return o;
}

TEST(workload_as_heald_writes_it)
{
	struct json_object *w = parse(web);
	char buf[512];

	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("criu, drained, moving to b: checkpoint for 12s (#41), 3 processes, 1.5 MiB, "
		     "on sda,healblk0: sda has no redundancy left; "
		     "last move failed 3m07s ago (#30): copy: exit 12", buf);
	EXPECT_STREQ("web", wl_name(w));
	EXPECT_STREQ("moving", wl_state_of(w));
	EXPECT_STREQ("degraded", wl_health_of(w));
	EXPECT_EQ(SEV_DEGRADED, wl_sev(w));
	EXPECT_EQ(41, wl_decision(w));			/* the move under way first */
	json_object_object_del(w, "move");
	EXPECT_EQ(30, wl_decision(w));
	json_object_put(w);
}

TEST(workload_plain)
{
	struct json_object *w = parse("{\"name\":\"b\",\"kind\":\"none\",\"state\":\"running\","
				      "\"health\":\"ok\",\"drain\":false,\"processes\":1,"
				      "\"memory_bytes\":0,\"devices\":[]}");
	char buf[256];

	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("none, 1 process, 0 B, no disk", buf);
	EXPECT_EQ(0, wl_decision(w));
	EXPECT_EQ(SEV_OK, wl_sev(w));
	json_object_put(w);
}

/* Every field of the wrong type, out of range, or not heald's word: "?". */
TEST(workload_malformed)
{
	struct json_object *w = parse(
		"{\"name\":7,\"kind\":[1],\"state\":\"exploded\",\"health\":{},\"drain\":\"yes\","
		"\"processes\":-4,\"memory_bytes\":\"lots\",\"devices\":{\"a\":1},"
		"\"move\":{\"decision\":-1,\"step\":3,\"for_s\":1e300},\"last_move\":[]}");
	char buf[512];

	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("?, drained ?, moving: ? for ?, ? processes, ? memory, on ?; last move: ?", buf);
	EXPECT_STREQ("?", wl_name(w));
	EXPECT_STREQ("?", wl_state_of(w));
	EXPECT_STREQ("?", wl_health_of(w));
	EXPECT_EQ(SEV_INFO, wl_sev(w));
	EXPECT_EQ(0, wl_decision(w));
	json_object_put(w);

	/* Numbers JSON can spell but no count is. */
	w = parse("{\"processes\":1e999,\"memory_bytes\":-1,\"devices\":[5,\"sda\"]}");
	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("?, ? processes, ? memory, on ?,sda", buf);
	json_object_put(w);

	/* Not an object at all, and nothing. */
	w = parse("[1,2]");
	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("malformed: heald sent no object for this workload", buf);
	json_object_put(w);
	wl_text(buf, sizeof(buf), NULL);
	EXPECT_STREQ("malformed: heald sent no object for this workload", buf);
	EXPECT_STREQ("?", wl_name(NULL));
	EXPECT_STREQ("?", wl_state_of(NULL));
}

/* A name and a reason with escape sequences: shown, never obeyed. */
TEST(workload_hostile_strings)
{
	struct json_object *w = parse("{\"name\":\"a\\u001b[2Jb\",\"kind\":\"hook\",\"processes\":0,"
				      "\"memory_bytes\":0,\"reason\":\"x\\u009by\\ny\"}");
	char buf[256];

	EXPECT_STREQ("a\\x1b[2Jb", wl_name(w));
	wl_text(buf, sizeof(buf), w);
	EXPECT_STREQ("hook, 0 processes, 0 B: x\\xc2\\x9by\\x0ay", buf);
	json_object_put(w);
}

/* The text never runs past the buffer, however long heald's fields are. */
TEST(workload_cut)
{
	struct json_object *w = parse(web);
	char buf[24];

	memset(buf, 'Z', sizeof(buf));
	wl_text(buf, sizeof(buf), w);
	EXPECT_EQ(sizeof(buf) - 1, strlen(buf));
	EXPECT_STREQ("criu, drained, moving t", buf);
	wl_text(buf, 0, w);				/* nothing written */
	json_object_put(w);
}

TEST(peers)
{
	struct json_object *p = parse("{\"name\":\"b\",\"address\":\"10.0.0.2\",\"answered\":true,"
				      "\"age_s\":2.2,\"health\":\"ok\",\"receiving\":1,\"hosted\":2,"
				      "\"receive_max\":4,\"sent\":3}");
	char buf[256];

	peer_text(buf, sizeof(buf), p);
	EXPECT_STREQ("10.0.0.2: receiving 1, holds 2 of 4, sent 3 of ours, answered 2s ago", buf);
	EXPECT_EQ(SEV_OK, peer_sev(p));
	json_object_put(p);

	p = parse("{\"name\":\"c\",\"address\":\"c.example\",\"answered\":false,\"health\":\"unknown\","
		  "\"receiving\":0,\"hosted\":0,\"receive_max\":0,\"sent\":0,\"error\":\"ssh: exit 255\"}");
	peer_text(buf, sizeof(buf), p);
	EXPECT_STREQ("c.example: receiving 0, holds 0 of 0, sent 0 of ours, never answered: ssh: exit 255",
		     buf);
	EXPECT_EQ(SEV_INFO, peer_sev(p));
	json_object_put(p);

	p = parse("{\"receiving\":\"2\",\"hosted\":null,\"sent\":-3,\"age_s\":\"old\"}");
	peer_text(buf, sizeof(buf), p);
	EXPECT_STREQ("?: receiving ?, holds ? of ?, sent ? of ours, answered ? ago", buf);
	json_object_put(p);
	peer_text(buf, sizeof(buf), NULL);
	EXPECT_STREQ("malformed: heald sent no object for this peer", buf);
}

TEST(this_node)
{
	struct json_object *mg = parse(
		"{\"node\":\"a\",\"receive_max\":1,\"moving\":2,"
		"\"receiving\":[{\"workload\":\"w\",\"from\":\"x\",\"for_s\":5}],"
		"\"hosted\":[{\"workload\":\"v\",\"from\":\"y\",\"pid\":123},7]}");
	char buf[256];

	mig_node_text(buf, sizeof(buf), mg);
	EXPECT_STREQ("a: takes up to 1 workload, receiving 1, holds 2; 2 moves out under way", buf);
	mig_recv_text(buf, sizeof(buf), jidx(jget(mg, "receiving"), 0), false);
	EXPECT_STREQ("receiving w from x for 5s", buf);
	mig_recv_text(buf, sizeof(buf), jidx(jget(mg, "hosted"), 0), true);
	EXPECT_STREQ("holds v from y as pid 123", buf);
	mig_recv_text(buf, sizeof(buf), jidx(jget(mg, "hosted"), 1), true);
	EXPECT_STREQ("malformed: heald sent no object for this move in", buf);
	json_object_put(mg);

	mg = parse("{\"receive_max\":0,\"receiving\":\"none\"}");
	mig_node_text(buf, sizeof(buf), mg);
	EXPECT_STREQ("this node: takes no workload, receiving 0, holds 0", buf);
	json_object_put(mg);
}

/* The one line the panel (and --once) says instead of rows. */
TEST(empty)
{
	struct json_object *st;

	EXPECT_STREQ("waiting for heald...", mig_empty(NULL));
	st = parse("{\"health\":\"ok\"}");
	EXPECT_STREQ("heald reports no workloads (it predates workload migration)", mig_empty(st));
	json_object_put(st);
	st = parse("{\"migration\":[1]}");
	EXPECT_NULL(mig_get(st));
	EXPECT_STREQ("heald's workload state is malformed (\"migration\" is not an object)",
		     mig_empty(st));
	json_object_put(st);
	st = parse("{\"migration\":{\"workloads\":[],\"peers\":[],\"receiving\":[],\"hosted\":[]}}");
	EXPECT_STREQ("no [workload] or [peer] section in heald's configuration", mig_empty(st));
	json_object_put(st);
	/* Something received is something to show, with no section of its own. */
	st = parse("{\"migration\":{\"workloads\":[],\"peers\":[],\"hosted\":[{}]}}");
	EXPECT_NULL(mig_empty(st));
	json_object_put(st);
	st = parse("{\"migration\":{\"workloads\":{\"web\":1}}}");
	EXPECT_STREQ("no [workload] or [peer] section in heald's configuration", mig_empty(st));
	json_object_put(st);
}

TEST_HARNESS_MAIN
