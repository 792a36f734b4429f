// SPDX-License-Identifier: GPL-2.0
/*
 * healtop --once: the same facts as the screen, as plain text for scripts
 * and bug reports.  Every string heald sends goes through jtxt(): a name
 * is anyone's (an interface, a cgroup), and this text goes to a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "../userspace/lib/hb_text.h"
#include "healtop.h"

#define EXIT_REFUSED	1
#define EXIT_NO_HEALD	3

/* A leg's or spare's disk by what its maker printed on it (the RMA ticket), and its SMART. */
static void once_disk_id(struct json_object *g)
{
	struct json_object *sm = jget(g, "smart");

	if (*jstr(g, "serial"))
		printf(", serial %s", jtxt(g, "serial"));
	if (*jstr(g, "wwn"))
		printf(", WWN %s", jtxt(g, "wwn"));
	if (sm && *jstr(sm, "level"))
		printf(", SMART %s", jtxt(sm, "level"));
}

static void once_devices(struct model *m)
{
	struct json_object *devs = jget(m->st, "devices"), *disks = jget(m->st, "disks");
	size_t i, l;

	printf("Disks:\n");
	for (i = 0; i < jlen(devs); i++) {
		struct json_object *d = jidx(devs, i), *s = jget(d, "sync");

		printf("  %s  state %s  health %s  %zu legs, %zu spares", jtxt(d, "name"),
		       jtxt(d, "state"), jtxt(d, "health"), jlen(jget(d, "legs")),
		       jlen(jget(d, "spares")));
		if (s && json_object_is_type(s, json_type_object)) {
			char eta[16];

			fmt_dur(eta, sizeof(eta), jnum(s, "eta"));
			printf("  %s %s %.0f%% ETA %s", jtxt(s, "kind"), jtxt(s, "status"),
			       jnum(s, "sectors") > 0 ? 100 * jnum(s, "pos") / jnum(s, "sectors") : 0, eta);
		}
		printf("\n");
		for (l = 0; l < jlen(jget(d, "legs")); l++) {
			struct json_object *g = jidx(jget(d, "legs"), l);

			printf("    leg%zu %-10s %-10s %-9s read errors %.0f, write errors %.0f, seen by heald %.0f%s",
			       l, jtxt(g, "name"), jtxt(g, "state"), jtxt(g, "health"),
			       jnum(g, "read_errors"), jnum(g, "write_errors"), jnum(g, "errors_seen"),
			       jbool(g, "alarm") ? ", ALARM" : "");
			once_disk_id(g);
			printf("\n");
		}
		for (l = 0; l < jlen(jget(d, "spares")); l++) {
			struct json_object *g = jidx(jget(d, "spares"), l);

			printf("    spare%zu %s %s", l, jtxt(g, "name"), jtxt(g, "state"));
			once_disk_id(g);
			printf("\n");
		}
	}
	for (i = 0; i < jlen(disks); i++) {
		struct json_object *d = jidx(disks, i);
		char a[16], b[16];

		fmt_us(a, sizeof(a), jnum(d, "p50_us"));
		fmt_us(b, sizeof(b), jnum(d, "p99_us"));
		printf("  disk %-12s io/s %.0f p50 %s p99 %s errors %.0f%s\n", jtxt(d, "name"),
		       jnum(d, "iops"), a, b, jnum(d, "errors"), jbool(d, "alarm") ? " SLOW" : "");
	}
	if (!jlen(devs) && !jlen(disks))
		printf("  (none)\n");
}

/* The Workloads panel's rows, in its words (migration.c). */
static void once_migration(struct model *m)
{
	struct json_object *mg = mig_get(m->st), *a;
	const char *empty = mig_empty(m->st);
	char text[1024];
	size_t i;

	printf("Workloads:\n");
	if (empty) {
		printf("  (%s)\n", empty);
		return;
	}
	a = jget(mg, "workloads");
	for (i = 0; i < jlen(a); i++) {
		wl_text(text, sizeof(text), jidx(a, i));
		printf("  workload %-14s %-8s %-9s %s\n", wl_name(jidx(a, i)), wl_state_of(jidx(a, i)),
		       wl_health_of(jidx(a, i)), text);
	}
	a = jget(mg, "peers");
	for (i = 0; i < jlen(a); i++) {
		peer_text(text, sizeof(text), jidx(a, i));
		printf("  peer %-18s %-9s %s\n", jtxt(jidx(a, i), "name"), jtxt(jidx(a, i), "health"), text);
	}
	mig_node_text(text, sizeof(text), mg);
	printf("  this node %s\n", text);
	for (i = 0; i < jlen(jget(mg, "receiving")); i++) {
		mig_recv_text(text, sizeof(text), jidx(jget(mg, "receiving"), i), false);
		printf("    %s\n", text);
	}
	for (i = 0; i < jlen(jget(mg, "hosted")); i++) {
		mig_recv_text(text, sizeof(text), jidx(jget(mg, "hosted"), i), true);
		printf("    %s\n", text);
	}
}

static void once_rest(struct model *m, int nlog)
{
	struct json_object *links = jget(m->st, "links"), *up = jget(m->st, "uplinks");
	struct json_object *cgs = jget(m->st, "workloads"), *res = jget(m->st, "resources");
	uint64_t k;
	size_t i;
	int n = 0;

	printf("Network:\n");
	for (i = 0; i < jlen(links); i++) {
		struct json_object *l = jidx(links, i);

		printf("  %-16s %-10s retransmits %.0f drops %.0f\n", jtxt(l, "name"),
		       !jbool(l, "up") ? "down" : jbool(l, "carrier") ? "up" : "no carrier",
		       jnum(l, "retransmits"), jnum(l, "drops"));
	}
	for (i = 0; i < jlen(up); i++) {
		struct json_object *g = jidx(up, i);

		printf("  uplink %-9s %-10s rtt %.1f ms loss %.0f%% via %s on %s%s%s%s\n", jtxt(g, "name"),
		       jtxt(g, "state"), jnum(g, "rtt_ms"), jnum(g, "loss_pct"), jtxt(g, "gateway"),
		       jtxt(g, "interface"), jget(g, "targets") ? " beyond " : "",
		       jget(g, "targets") ? jtxt(jget(g, "targets"), "state") : "",
		       jbool(g, "active") ? " ACTIVE" : "");
	}
	printf("Processes:\n");
	for (i = 0; i < jlen(cgs); i++)
		printf("  %s oom kills %.0f crashes %.0f\n", jtxt(jidx(cgs, i), "cgroup"),
		       jnum(jidx(cgs, i), "oom_kills"), jnum(jidx(cgs, i), "crashes"));
	once_migration(m);
	printf("Not ok:\n");
	for (i = 0; i < jlen(res); i++) {
		struct json_object *r = jidx(res, i);

		if (strcmp(jtxt(r, "state"), "ok") && ++n)
			printf("  %-24s %-9s %s\n", jtxt(r, "name"), jtxt(r, "state"), jtxt(r, "reason"));
	}
	if (!n)
		printf("  (nothing)\n");
	printf("Log (newest first):\n");
	for (k = m->log_seq; k-- > 0 && nlog-- > 0;) {
		const struct log_entry *e = log_at(m, k);

		char kind[4 * sizeof(e->kind)], text[4 * sizeof(e->text)];

		if (e)
			printf("  %s %-8s %s\n", e->when, hb_term_safe(kind, sizeof(kind), e->kind),
			       hb_term_safe(text, sizeof(text), e->text));
	}
}

void print_model(struct model *m, int nlog)
{
	struct json_object *hd;
	char up[16], when[32] = "none";
	time_t now = time(NULL);
	struct tm tm;

	hd = jget(m->st, "heald");
	fmt_dur(up, sizeof(up), jnum(hd, "uptime_s"));
	if (jnum(hd, "last_action") > 0) {
		time_t t = (time_t)num_clamp(jnum(hd, "last_action"), 0, 1e11);

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	gmtime_r(&now, &tm);
	printf("healtop %04d-%02d-%02dT%02d:%02d:%02dZ heald pid %d at %s; bpf %s; healblk %s\n",
	       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	       m->heald_pid, m->path, jtxt(hd, "bpf"), jbool(hd, "healblk") ? "loaded" : "not loaded");
	printf("node %s (ok %.0f, degraded %.0f, failing %.0f, failed %.0f); up %s; %.0f actions, last %s%s\n",
	       jtxt(m->st, "health"), jnum(jget(m->st, "counts"), "ok"),
	       jnum(jget(m->st, "counts"), "degraded"), jnum(jget(m->st, "counts"), "failing"),
	       jnum(jget(m->st, "counts"), "failed"), up, jnum(hd, "actions"), when,
	       jbool(hd, "dry_run") ? "; DRY RUN" : "");
	once_devices(m);
	once_rest(m, nlog);
}

int print_once(struct model *m, int nlog)
{
	if (model_refresh(m)) {
		fprintf(stderr, "healtop: %s\n", m->err);
		return m->refused ? EXIT_REFUSED : EXIT_NO_HEALD;
	}
	print_model(m, nlog);
	return 0;
}

