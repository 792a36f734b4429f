// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the workload-migration policy (migrate_policy.c):
 * which workload leaves, when, and onto which peer; and what heald says
 * to heal-vmmove and reads back from it (libvirt_text.c).  The moves themselves
 * are tested for real by tests/heald/test_migrate_*.sh (host) and
 * tests/kmod/test_migrate_*.sh (CRIU in the 6.1 VM).
 */
#include <string.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "libvirt.h"
#include "migrate_policy.h"

const char *hb_prog = "test";

static const struct mp_limits lim = {
	.max_moves = 1, .move_on_kills = 3, .cooldown = 600, .peer_max_age = 15,
};

static struct mp_workload wl(const char *name, uint32_t prio)
{
	return (struct mp_workload){ .name = name, .kind = WL_KIND_CRIU, .priority = prio,
				     .present = true, .mem_bytes = 100 << 20 };
}

static struct mp_peer peer(const char *name)
{
	return (struct mp_peer){ .name = name, .answered = true, .age = 1, .accepting = true,
				 .receive_max = 4, .capacity = 4, .mem_available = 4ull << 30 };
}

TEST(nothing_to_do_without_a_trigger)
{
	struct mp_workload w[] = { wl("a", 0), wl("b", 5) };
	struct mp_peer p[] = { peer("p") };
	struct mp_in in = { w, 2, p, 1, 0, 100 };
	struct mp_out out[4];

	EXPECT_EQ(0, mp_decide(&in, &lim, out, 4));
	w[0].kills = 2;		/* below move_on_kills */
	EXPECT_EQ(0, mp_decide(&in, &lim, out, 4));
	w[0].kills = 3;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(MP_KILLS, out[0].trigger);
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(0, out[0].peer);
}

TEST(kills_never_move_when_move_on_kills_is_0)
{
	struct mp_limits l = lim;
	struct mp_workload w[] = { wl("a", 0) };
	struct mp_peer p[] = { peer("p") };
	struct mp_in in = { w, 1, p, 1, 0, 100 };
	struct mp_out out[2];

	l.move_on_kills = 0;
	w[0].kills = 1000;
	EXPECT_EQ(0, mp_decide(&in, &l, out, 2));
}

TEST(highest_priority_first_and_max_moves)
{
	struct mp_workload w[] = { wl("low", 1), wl("high", 9), wl("mid", 5) };
	struct mp_peer p[] = { peer("p"), peer("q"), peer("r") };
	struct mp_in in = { w, 3, p, 3, 0, 100 };
	struct mp_out out[4];
	int i;

	for (i = 0; i < 3; i++)
		w[i].drain = true;
	ASSERT_EQ(3, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(1, out[0].workload);
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	/* max_moves 1: the others wait, and say why. */
	EXPECT_EQ(2, out[1].workload);
	EXPECT_EQ(MP_WAIT, out[1].verdict);
	EXPECT_NE(NULL, strstr(out[1].reason, "1 move under way (max_moves 1)"));
	EXPECT_EQ(0, out[2].workload);
	/* A move already under way counts too. */
	in.moving = 1;
	ASSERT_EQ(3, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(MP_WAIT, out[0].verdict);
	/* One being moved is not decided again. */
	w[1].moving = true;
	EXPECT_EQ(2, mp_decide(&in, &lim, out, 4));
}

TEST(a_disk_at_risk_goes_before_a_drain_of_the_same_priority)
{
	struct mp_workload w[] = { wl("drained", 3), wl("atrisk", 3) };
	struct mp_peer p[] = { peer("p") };
	struct mp_in in = { w, 2, p, 1, 0, 100 };
	struct mp_out out[4];

	w[0].drain = true;
	w[1].disk_at_risk = true;
	ASSERT_EQ(2, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(1, out[0].workload);
	EXPECT_EQ(MP_DISK, out[0].trigger);
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(MP_DRAIN, out[1].trigger);
}

TEST(spread_over_peers_one_move_each)
{
	struct mp_limits l = lim;
	struct mp_workload w[] = { wl("a", 3), wl("b", 2), wl("c", 1) };
	struct mp_peer p[] = { peer("p"), peer("q") };
	struct mp_in in = { w, 3, p, 2, 0, 100 };
	struct mp_out out[4];
	int i;

	l.max_moves = 8;
	for (i = 0; i < 3; i++)
		w[i].drain = true;
	p[0].sent = 1;	/* p holds one of ours already: q first */
	ASSERT_EQ(3, mp_decide(&in, &l, out, 4));
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(1, out[0].peer);
	EXPECT_EQ(MP_MOVE, out[1].verdict);
	EXPECT_EQ(0, out[1].peer);
	/* Both peers are receiving now: the third waits. */
	EXPECT_EQ(MP_WAIT, out[2].verdict);
	EXPECT_NE(NULL, strstr(out[2].reason, "p is already receiving; q is already receiving")) {
		TH_LOG("%s", out[2].reason);
	}
}

TEST(never_onto_a_degraded_full_busy_or_silent_peer)
{
	struct mp_workload w[] = { wl("a", 0) };
	struct mp_peer p[7];
	struct mp_in in = { w, 1, p, 7, 0, 100 };
	struct mp_out out[2];
	int i;

	for (i = 0; i < 7; i++)
		p[i] = peer("x");
	p[0].name = "silent";
	p[0].answered = false;
	p[1].name = "stale";
	p[1].age = 60;
	p[2].name = "degraded";
	p[2].health = 1;
	p[3].name = "busy";
	p[3].receiving = 1;
	p[4].name = "fullpeer";
	p[4].hosted = 4;
	p[5].name = "ours";
	p[5].sent = 4;
	p[6].name = "small";
	p[6].mem_available = 110 << 20;	/* 100 MiB + a quarter does not fit */
	w[0].drain = true;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_WAIT, out[0].verdict);
	EXPECT_EQ(-1, out[0].peer);
	EXPECT_NE(NULL, strstr(out[0].reason, "a: no peer can take it: silent did not answer; "
			       "stale last answered 60 s ago; degraded is degraded; busy is already receiving; "
			       "fullpeer is full (it takes 4, holds 4); ours is full (capacity 4 for this node); "
			       "small is full (110 MiB free, 125 MiB needed")) {
		TH_LOG("%s", out[0].reason);
	}
	/* Any one of them well again takes it. */
	p[2].health = 0;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(2, out[0].peer);
}

TEST(a_failed_move_waits_the_cooldown_then_tries_another_peer_first)
{
	struct mp_workload w[] = { wl("a", 0) };
	struct mp_peer p[] = { peer("p"), peer("q") };
	struct mp_in in = { w, 1, p, 2, 0, 1000 };
	struct mp_out out[2];

	w[0].drain = true;
	w[0].last_failed = 900;
	w[0].failed_peers = 1;	/* p failed it */
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_WAIT, out[0].verdict);
	EXPECT_NE(NULL, strstr(out[0].reason, "tried again in 500 s (cooldown)"));
	in.now = 1501;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(1, out[0].peer);
	/* q cannot take it either: p, which failed it, is tried again. */
	p[1].health = 3;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_EQ(0, out[0].peer);
	p[0].receiving = 1;
	ASSERT_EQ(1, mp_decide(&in, &lim, out, 2));
	EXPECT_EQ(MP_WAIT, out[0].verdict);
	EXPECT_NE(NULL, strstr(out[0].reason, "p is already receiving; q is failed")) {
		TH_LOG("%s", out[0].reason);
	}
}

TEST(opt_out_and_kind_none_are_kept_hooks_need_no_peer)
{
	struct mp_workload w[] = { wl("opted", 0), wl("plain", 0), wl("hooked", 0), wl("gone", 0) };
	struct mp_in in = { w, 4, NULL, 0, 0, 100 };
	struct mp_out out[4];
	int i;

	for (i = 0; i < 4; i++)
		w[i].drain = true;
	w[0].opt_out = true;
	w[1].kind = WL_KIND_NONE;
	w[2].kind = WL_KIND_HOOK;
	w[3].present = false;	/* nothing of it runs here: nothing to decide */
	ASSERT_EQ(3, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(MP_KEEP, out[0].verdict);
	EXPECT_NE(NULL, strstr(out[0].reason, "opted out"));
	EXPECT_EQ(MP_KEEP, out[1].verdict);
	EXPECT_NE(NULL, strstr(out[1].reason, "kind = none"));
	EXPECT_EQ(MP_MOVE, out[2].verdict);
	EXPECT_EQ(-1, out[2].peer);
	/* A criu workload without peers: nowhere to go. */
	w[2].kind = WL_KIND_CRIU;
	ASSERT_EQ(3, mp_decide(&in, &lim, out, 4));
	EXPECT_EQ(MP_WAIT, out[2].verdict);
	EXPECT_NE(NULL, strstr(out[2].reason, "no [peer] configured"));
}

TEST(dry_run_decides_but_takes_nothing)
{
	struct mp_limits l = lim;
	struct mp_workload w[] = { wl("a", 1), wl("b", 0) };
	struct mp_peer p[] = { peer("p"), peer("q") };
	struct mp_in in = { w, 2, p, 2, 0, 100 };
	struct mp_out out[2];

	l.dry_run = true;
	w[0].drain = w[1].drain = true;
	ASSERT_EQ(2, mp_decide(&in, &l, out, 2));
	EXPECT_EQ(MP_MOVE, out[0].verdict);
	EXPECT_TRUE(out[0].suppressed);
	/* Nothing is under way in a dry run: the second is decided too, elsewhere. */
	EXPECT_EQ(MP_MOVE, out[1].verdict);
	EXPECT_TRUE(out[1].suppressed);
	EXPECT_NE(out[0].peer, out[1].peer);
}

TEST(out_is_bounded)
{
	struct mp_workload w[] = { wl("a", 0), wl("b", 0), wl("c", 0) };
	struct mp_in in = { w, 3, NULL, 0, 0, 100 };
	struct mp_out out[1];

	w[0].drain = w[1].drain = w[2].drain = true;
	EXPECT_EQ(1, mp_decide(&in, &lim, out, 1));
}

TEST(dev_at_risk_only_without_redundancy_and_spare)
{
	struct policy_dev d = { .nr_legs = 2,
				.leg_state = { HEALBLK_LEG_IN_SYNC, HEALBLK_LEG_IN_SYNC } };
	bool alarm[HEALBLK_MAX_LEGS] = { true, false };
	char why[128] = "";

	/* A failing leg beside a good one: the disk policy fails it, nothing moves. */
	EXPECT_FALSE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	d.leg_state[1] = HEALBLK_LEG_FAILED;
	EXPECT_TRUE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	EXPECT_STREQ("its last in-sync leg is failing, no redundancy and no spare left", why);
	/* A spare stands by, or a rebuild runs: not yet. */
	d.nr_spares = 1;
	EXPECT_FALSE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	d.nr_spares = 0;
	d.sync_running = true;
	EXPECT_FALSE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	d.sync_running = false;
	/* The last leg is well: one copy, but nothing fails. */
	alarm[0] = false;
	EXPECT_FALSE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	d.leg_state[0] = HEALBLK_LEG_MISSING;
	EXPECT_TRUE(mp_dev_at_risk(&d, alarm, why, sizeof(why)));
	EXPECT_STREQ("no leg is in sync and no spare stands by", why);
}

TEST(vm_peer_uri_from_ssh_keys_or_as_given)
{
	struct peer_conf p = { .address = "10.0.0.2", .user = "root" };
	struct workload_conf w = { .domain = "vm" };
	char uri[512];

	vm_peer_uri(&p, uri, sizeof(uri));
	EXPECT_STREQ("qemu+libssh://root@10.0.0.2/system?known_hosts_verify=normal", uri);
	snprintf(p.identity, sizeof(p.identity), "/etc/heal/id");
	snprintf(p.known_hosts, sizeof(p.known_hosts), "/etc/heal/known_hosts");
	p.port = 2222;
	vm_peer_uri(&p, uri, sizeof(uri));
	EXPECT_STREQ("qemu+libssh://root@10.0.0.2:2222/system?known_hosts_verify=normal"
		     "&sshauth=privkey&keyfile=/etc/heal/id&known_hosts=/etc/heal/known_hosts", uri);
	/* An IPv6 address goes in brackets, or the port would be read into it. */
	snprintf(p.address, sizeof(p.address), "fd00::2");
	p.port = 0;
	p.identity[0] = p.known_hosts[0] = '\0';
	vm_peer_uri(&p, uri, sizeof(uri));
	EXPECT_STREQ("qemu+libssh://root@[fd00::2]/system?known_hosts_verify=normal", uri);
	snprintf(p.libvirt_uri, sizeof(p.libvirt_uri), "qemu+tls://b/system");
	vm_peer_uri(&p, uri, sizeof(uri));
	EXPECT_STREQ("qemu+tls://b/system", uri);
	EXPECT_STREQ("qemu:///system", vm_uri(&w));
	snprintf(w.uri, sizeof(w.uri), "qemu:///session");
	EXPECT_STREQ("qemu:///session", vm_uri(&w));
}

TEST(vm_last_line_is_the_last_complete_one)
{
	struct json_object *o;

	EXPECT_EQ(NULL, vm_last_line(""));
	/* Read while it runs: a line not yet ended does not count. */
	EXPECT_EQ(NULL, vm_last_line("{\"event\":\"start\""));
	o = vm_last_line("{\"event\":\"start\"}\n{\"event\":\"progress\",\"for_s\":1}\n{\"event\":\"pro");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("progress", json_object_get_string(json_object_object_get(o, "event")));
	json_object_put(o);
	o = vm_last_line("{\"event\":\"start\"}\n{\"event\":\"outcome\"}\n\n");
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("outcome", json_object_get_string(json_object_object_get(o, "event")));
	json_object_put(o);
	EXPECT_EQ(NULL, vm_last_line("not json\n"));
}

/* The journal says "libvirt says so" of the domain running here only on heal-vmmove's word. */
TEST(vm_said_running_here_only_from_an_outcome)
{
	struct json_object *o;

	EXPECT_FALSE(vm_said_running_here(NULL));
	/* Killed mid-migration: its last line a progress sample. */
	o = json_tokener_parse("{\"event\":\"progress\",\"for_s\":89,\"job\":{}}");
	EXPECT_FALSE(vm_said_running_here(o));
	json_object_put(o);
	o = json_tokener_parse("{\"event\":\"outcome\",\"outcome\":\"failed\",\"source_state\":\"paused\"}");
	EXPECT_FALSE(vm_said_running_here(o));
	json_object_put(o);
	/* libvirt failed the job itself, the domain running here: its word. */
	o = json_tokener_parse("{\"event\":\"outcome\",\"outcome\":\"failed\",\"source_state\":\"running\"}");
	EXPECT_TRUE(vm_said_running_here(o));
	EXPECT_FALSE(vm_job_left(o));
	json_object_put(o);
	/* Its abort left to libvirtd: running here for now, the job may still switch it over. */
	o = json_tokener_parse("{\"event\":\"outcome\",\"outcome\":\"failed\",\"source_state\":\"running\","
			       "\"job_left\":true}");
	EXPECT_FALSE(vm_said_running_here(o));
	EXPECT_TRUE(vm_job_left(o));
	{
		struct json_object *e = json_object_new_object();

		vm_outcome_fields(o, e);
		EXPECT_TRUE(json_object_get_boolean(json_object_object_get(
			json_object_object_get(e, "libvirt"), "job_left")));
		json_object_put(e);
	}
	json_object_put(o);
}

TEST(vm_outcome_fields_say_downtime_and_bytes)
{
	struct json_object *vm = json_tokener_parse(
		"{\"event\":\"outcome\",\"outcome\":\"moved\",\"total_s\":2.5,\"disk_bytes\":33554432,"
		"\"dest_state\":\"running\",\"stats\":{\"downtime_ms\":75,\"data_processed\":71237961},"
		"\"last_progress\":{\"disk_total\":33554432}}");
	struct json_object *e = json_object_new_object(), *lv;

	ASSERT_NE(NULL, vm);
	vm_outcome_fields(vm, e);
	EXPECT_EQ(0.075, json_object_get_double(json_object_object_get(e, "downtime_s")));
	EXPECT_EQ(71237961, json_object_get_int64(json_object_object_get(e, "bytes")));
	EXPECT_EQ(33554432, json_object_get_int64(json_object_object_get(e, "disk_bytes")));
	lv = json_object_object_get(e, "libvirt");
	ASSERT_NE(NULL, lv);
	EXPECT_EQ(2.5, json_object_get_double(json_object_object_get(lv, "migrate_s")));
	EXPECT_STREQ("running", json_object_get_string(json_object_object_get(lv, "dest_state")));
	EXPECT_NE(NULL, json_object_object_get(lv, "job"));
	json_object_put(e);
	json_object_put(vm);
	/* A failure: no downtime, libvirt's error and the state here kept. */
	vm = json_tokener_parse("{\"outcome\":\"failed\",\"error\":\"canceled by client\","
				"\"aborted\":\"its deadline passed\",\"source_state\":\"running\",\"stats\":null}");
	e = json_object_new_object();
	vm_outcome_fields(vm, e);
	EXPECT_EQ(NULL, json_object_object_get(e, "downtime_s"));
	lv = json_object_object_get(e, "libvirt");
	EXPECT_STREQ("its deadline passed", json_object_get_string(json_object_object_get(lv, "aborted")));
	EXPECT_STREQ("running", json_object_get_string(json_object_object_get(lv, "source_state")));
	json_object_put(e);
	json_object_put(vm);
}

TEST_HARNESS_MAIN
