// SPDX-License-Identifier: GPL-2.0
/*
 * heald's metrics as a scrape gets them (metrics_text()), from a heald
 * filled in here with the states the host cannot show (no healblk on it):
 * a mirror with a failed leg and a rebuild, hostile names everywhere.
 * Checked line by line, for the same series whatever the states, and by
 * `promtool check metrics` when it is installed.  The stubs below stand
 * for the rest of heald.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "heald.h"

const char *hb_prog = "test";

double now_mono(void) { return 100; }
void heald_log(int prio, const char *fmt, ...) { (void)prio; (void)fmt; }
int loop_add(struct heald *h, struct watch *w) { (void)h; (void)w; return 0; }
enum health dev_health(const struct dev_track *d) { (void)d; return H_DEGRADED; }
enum health leg_health(const struct dev_track *d, uint32_t i)
{
	return d->info.legs[i].state == HEALBLK_LEG_IN_SYNC ? H_OK : H_FAILED;
}
void net_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	(void)h; (void)put; (void)b;
}
void hooks_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	(void)h; (void)put; (void)b;
}
void scrub_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	(void)h; (void)put; (void)b;
}
void smart_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	(void)h; (void)put; (void)b;
}

static struct heald *node(void)
{
	struct heald *h = calloc(1, sizeof(*h));
	struct hb_dev_info *d = &h->devs[0].info;

	h->journal.next_id = 1;
	h->devs[0].present = true;
	snprintf(d->name, sizeof(d->name), "healblk\"0\\");
	d->nr_legs = 2;
	snprintf(d->legs[0].name, sizeof(d->legs[0].name), "/dev/sda");
	d->legs[0].state = HEALBLK_LEG_IN_SYNC;
	snprintf(d->legs[1].name, sizeof(d->legs[1].name), "/dev/s\"db");
	d->legs[1].state = HEALBLK_LEG_FAILED;
	d->legs[1].read_errors = 3;
	d->sync = (struct hb_sync_info){ .kind = HEALBLK_SYNC_REBUILD, .status = HEALBLK_SYNC_RUNNING,
					 .leg = 1, .pos = 50, .sectors = 100 };
	d->nr_spares = 1;
	h->ndisks = 1;
	snprintf(h->disks[0].name, sizeof(h->disks[0].name), "sd\\a");
	h->disks[0].hist[3] = 5;
	h->disks[0].hist[26] = 1;
	h->nlinks = 1;
	snprintf(h->links[0].name, sizeof(h->links[0].name), "e\"th");
	h->ncgroups = 1;
	snprintf(h->cgroups[0].path, sizeof(h->cgroups[0].path), "/system.slice/system-systemd\\x2dfsck.slice\n");
	/* A workload on that mirror being moved, a peer that never answered. */
	h->cfg.nworkload = h->nwl = 1;
	snprintf(h->cfg.workload[0].name, sizeof(h->cfg.workload[0].name), "d\"b");
	h->cfg.workload[0].kind = WL_KIND_CRIU;
	h->wl[0].conf = &h->cfg.workload[0];
	snprintf(h->wl[0].cgroup, sizeof(h->wl[0].cgroup), "/heal\\x2d.slice/d\"b");
	h->wl[0].ndevs = 2;
	snprintf(h->wl[0].devs[0], sizeof(h->wl[0].devs[0]), "dm-0");
	snprintf(h->wl[0].devs[1], sizeof(h->wl[0].devs[1]), "healblk\"0\\");
	h->wl[0].state = WL_MOVING;
	h->wl[0].health = H_FAILING;
	h->wl[0].nprocs = 2;
	h->wl[0].drain = true;
	h->moving = 1;
	h->cfg.npeer = h->npeers = 1;
	snprintf(h->cfg.peer[0].name, sizeof(h->cfg.peer[0].name), "p\\1");
	h->peers[0].conf = &h->cfg.peer[0];
	return h;
}

#define HAS(text, line) EXPECT_NE(NULL, strstr(text, line "\n")) { TH_LOG("no line: %s", line); }

TEST(devices_legs_sync_escaped)
{
	struct heald *h = node();
	size_t len;
	char *t = metrics_text(h, &len);

	ASSERT_NE(NULL, t);
	HAS(t, "heal_device_health{device=\"healblk\\\"0\\\\\"} 1");
	HAS(t, "heal_leg_health{device=\"healblk\\\"0\\\\\",leg=\"1\"} 3");
	HAS(t, "heal_leg_info{device=\"healblk\\\"0\\\\\",leg=\"1\",disk=\"/dev/s\\\"db\"} 1");
	HAS(t, "heal_leg_state{device=\"healblk\\\"0\\\\\",leg=\"1\",state=\"failed\"} 1");
	HAS(t, "heal_leg_state{device=\"healblk\\\"0\\\\\",leg=\"1\",state=\"in_sync\"} 0");
	HAS(t, "heal_leg_state{device=\"healblk\\\"0\\\\\",leg=\"0\",state=\"in_sync\"} 1");
	HAS(t, "heal_sync_progress_ratio{device=\"healblk\\\"0\\\\\"} 0.5000");
	HAS(t, "heal_sync_kind{device=\"healblk\\\"0\\\\\",kind=\"rebuild\"} 1");
	HAS(t, "heal_sync_status{device=\"healblk\\\"0\\\\\",status=\"running\"} 1");
	HAS(t, "heal_sync_status{device=\"healblk\\\"0\\\\\",status=\"none\"} 0");
	HAS(t, "heal_disk_latency_seconds_bucket{disk=\"sd\\\\a\",le=\"1.6e-05\"} 5");
	HAS(t, "heal_disk_latency_seconds_bucket{disk=\"sd\\\\a\",le=\"+Inf\"} 6");
	HAS(t, "heal_disk_latency_seconds_count{disk=\"sd\\\\a\"} 6");
	HAS(t, "heal_link_up{link=\"e\\\"th\"} 0");
	HAS(t, "heal_crashes_total{cgroup=\"/system.slice/system-systemd\\\\x2dfsck.slice\\n\"} 0");
	HAS(t, "heald_build_info{version=\"" HEAL_VERSION "\",commit=\"" HEAL_COMMIT "\"} 1");
	HAS(t, "heal_workload_info{workload=\"d\\\"b\",kind=\"criu\",cgroup=\"/heal\\\\x2d.slice/d\\\"b\"} 1");
	HAS(t, "heal_workload_health{workload=\"d\\\"b\"} 2");
	HAS(t, "heal_workload_state{workload=\"d\\\"b\",state=\"moving\"} 1");
	HAS(t, "heal_workload_state{workload=\"d\\\"b\",state=\"running\"} 0");
	HAS(t, "heal_workload_processes{workload=\"d\\\"b\"} 2");
	HAS(t, "heal_workload_device_info{workload=\"d\\\"b\",device=\"healblk\\\"0\\\\\"} 1");
	HAS(t, "heal_workload_drained{workload=\"d\\\"b\"} 1");
	HAS(t, "heal_workload_moves_in_progress 1");
	HAS(t, "heal_peer_health{peer=\"p\\\\1\",health=\"unknown\"} 1");
	HAS(t, "heal_peer_health{peer=\"p\\\\1\",health=\"ok\"} 0");
	EXPECT_EQ(NULL, strstr(t, "quantile"));
	free(t);
	free(h);
}

/* The series of a scrape: every sample line without its value. */
static char *series(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;
	const char *p = text, *nl, *sp;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (*p == '#')
			continue;
		sp = nl;
		while (sp > p && sp[-1] != ' ')
			sp--;
		memcpy(o, p, (size_t)(sp - p));
		o += sp - p;
		*o++ = '\n';
	}
	return out;
}

/* A leg failing, a rebuild ending: values change, no series comes or goes. */
TEST(no_series_churn_on_state_changes)
{
	struct heald *h = node();
	size_t len;
	char *a = metrics_text(h, &len), *b, *sa, *sb;

	h->devs[0].info.legs[1].state = HEALBLK_LEG_REBUILDING;
	h->wl[0].state = WL_MOVED;
	h->peers[0].answered = true;
	h->devs[0].info.sync.status = HEALBLK_SYNC_DONE;
	h->devs[0].info.sync.kind = HEALBLK_SYNC_SCRUB;
	b = metrics_text(h, &len);
	sa = series(a);
	sb = series(b);
	EXPECT_STRNE(a, b);
	EXPECT_STREQ(sa, sb);
	h->devs[0].info.sync.kind = HEALBLK_SYNC_NONE;
	free(b);
	free(sb);
	b = metrics_text(h, &len);
	sb = series(b);
	EXPECT_STREQ(sa, sb);
	free(a);
	free(b);
	free(sa);
	free(sb);
	free(h);
}

TEST(promtool_accepts_it)
{
	char path[] = "/tmp/heal-metrics.XXXXXX", cmd[128];
	struct heald *h = node();
	size_t len;
	char *t = metrics_text(h, &len);
	int fd = mkstemp(path), rc;

	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, t, len));
	close(fd);
	free(t);
	free(h);
	if (system("command -v promtool > /dev/null")) {
		unlink(path);
		SKIP(return, "no promtool (apt-get install prometheus)");
	}
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	unlink(path);
	EXPECT_EQ(0, rc);
}

TEST_HARNESS_MAIN
