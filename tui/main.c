// SPDX-License-Identifier: GPL-2.0
/*
 * healtop: options, the main loop, and --once.
 *   healtop [-d SECONDS] [--no-color] [--once]
 * The loop sleeps in poll() on the keyboard and heald's event stream: a
 * snapshot and a redraw every refresh, events read as they come and shown
 * with the next redraw, keys at once (redraws at most every 250 ms).  Exit codes: 0, 1 heald refused (permission), 2
 * usage, 3 heald is not reachable (--once).
 */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>
#include <json-c/json.h>
#include "../userspace/lib/heald_client.h"
#include "healtop.h"

#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_NO_HEALD	3
#define REDRAW_MIN_S	0.25
#define EVENT_BATCH_S	0.25

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: healtop [-d SECONDS] [--no-color] [--once]\n"
		"  -d, --delay SECONDS  refresh every SECONDS (default 1)\n"
		"  --no-color           no colours (also: NO_COLOR in the environment)\n"
		"  --once               print one plain-text snapshot and exit\n"
		"heald's socket: $HEAL_SOCKET, else %s\n", HEALD_SOCKET_DEFAULT);
}

/* --once: the same facts as the screen, as plain text for scripts and bug reports. */
static void once_devices(struct model *m)
{
	struct json_object *devs = jget(m->st, "devices"), *disks = jget(m->st, "disks");
	size_t i, l;

	printf("Disks:\n");
	for (i = 0; i < jlen(devs); i++) {
		struct json_object *d = jidx(devs, i), *s = jget(d, "sync");

		printf("  %s  state %s  health %s  %zu legs, %zu spares", jstr(d, "name"),
		       jstr(d, "state"), jstr(d, "health"), jlen(jget(d, "legs")),
		       jlen(jget(d, "spares")));
		if (s && json_object_is_type(s, json_type_object)) {
			char eta[16];

			fmt_dur(eta, sizeof(eta), jnum(s, "eta"));
			printf("  %s %s %.0f%% ETA %s", jstr(s, "kind"), jstr(s, "status"),
			       jnum(s, "sectors") > 0 ? 100 * jnum(s, "pos") / jnum(s, "sectors") : 0, eta);
		}
		printf("\n");
		for (l = 0; l < jlen(jget(d, "legs")); l++) {
			struct json_object *g = jidx(jget(d, "legs"), l);

			printf("    leg%zu %-10s %-10s %-9s read errors %.0f, write errors %.0f, seen by heald %.0f%s\n",
			       l, jstr(g, "name"), jstr(g, "state"), jstr(g, "health"),
			       jnum(g, "read_errors"), jnum(g, "write_errors"), jnum(g, "errors_seen"),
			       jbool(g, "alarm") ? ", ALARM" : "");
		}
		for (l = 0; l < jlen(jget(d, "spares")); l++)
			printf("    spare%zu %s %s\n", l, jstr(jidx(jget(d, "spares"), l), "name"),
			       jstr(jidx(jget(d, "spares"), l), "state"));
	}
	for (i = 0; i < jlen(disks); i++) {
		struct json_object *d = jidx(disks, i);
		char a[16], b[16];

		fmt_us(a, sizeof(a), jnum(d, "p50_us"));
		fmt_us(b, sizeof(b), jnum(d, "p99_us"));
		printf("  disk %-12s io/s %.0f p50 %s p99 %s errors %.0f%s\n", jstr(d, "name"),
		       jnum(d, "iops"), a, b, jnum(d, "errors"), jbool(d, "alarm") ? " SLOW" : "");
	}
	if (!jlen(devs) && !jlen(disks))
		printf("  (none)\n");
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

		printf("  %-16s %-10s retransmits %.0f drops %.0f\n", jstr(l, "name"),
		       !jbool(l, "up") ? "down" : jbool(l, "carrier") ? "up" : "no carrier",
		       jnum(l, "retransmits"), jnum(l, "drops"));
	}
	for (i = 0; i < jlen(up); i++) {
		struct json_object *g = jidx(up, i);

		printf("  uplink %-9s %-10s rtt %.1f ms loss %.0f%% via %s on %s%s\n", jstr(g, "name"),
		       jstr(g, "state"), jnum(g, "rtt_ms"), jnum(g, "loss_pct"), jstr(g, "gateway"),
		       jstr(g, "interface"), jbool(g, "active") ? " ACTIVE" : "");
	}
	printf("Processes:\n");
	for (i = 0; i < jlen(cgs); i++)
		printf("  %s oom kills %.0f crashes %.0f\n", jstr(jidx(cgs, i), "cgroup"),
		       jnum(jidx(cgs, i), "oom_kills"), jnum(jidx(cgs, i), "crashes"));
	printf("Not ok:\n");
	for (i = 0; i < jlen(res); i++) {
		struct json_object *r = jidx(res, i);

		if (strcmp(jstr(r, "state"), "ok") && ++n)
			printf("  %-24s %-9s %s\n", jstr(r, "name"), jstr(r, "state"), jstr(r, "reason"));
	}
	if (!n)
		printf("  (nothing)\n");
	printf("Log (newest first):\n");
	for (k = m->log_seq; k-- > 0 && nlog-- > 0;) {
		const struct log_entry *e = log_at(m, k);

		if (e)
			printf("  %s %-8s %s\n", e->when, e->kind, e->text);
	}
}

int print_once(struct model *m, int nlog)
{
	struct json_object *hd;
	char up[16], when[32] = "none";
	time_t now = time(NULL);
	struct tm tm;

	if (model_refresh(m)) {
		fprintf(stderr, "healtop: %s\n", m->err);
		return m->refused ? EXIT_REFUSED : EXIT_NO_HEALD;
	}
	hd = jget(m->st, "heald");
	fmt_dur(up, sizeof(up), jnum(hd, "uptime_s"));
	if (jnum(hd, "last_action") > 0) {
		time_t t = (time_t)jnum(hd, "last_action");

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	gmtime_r(&now, &tm);
	printf("healtop %04d-%02d-%02dT%02d:%02d:%02dZ heald pid %d at %s; bpf %s; healblk %s\n",
	       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	       m->heald_pid, m->path, jstr(hd, "bpf"), jbool(hd, "healblk") ? "loaded" : "not loaded");
	printf("node %s (ok %.0f, degraded %.0f, failing %.0f, failed %.0f); up %s; %.0f actions, last %s%s\n",
	       jstr(m->st, "health"), jnum(jget(m->st, "counts"), "ok"),
	       jnum(jget(m->st, "counts"), "degraded"), jnum(jget(m->st, "counts"), "failing"),
	       jnum(jget(m->st, "counts"), "failed"), up, jnum(hd, "actions"), when,
	       jbool(hd, "dry_run") ? "; DRY RUN" : "");
	once_devices(m);
	once_rest(m, nlog);
	return 0;
}

static void run(struct ui *u, struct model *m)
{
	double next = 0, drawn = 0, ev_next = 0;
	bool dirty = true, watch_ev;

	while (!u->quit && !stop) {
		double now = now_mono();
		struct pollfd pfd[2] = { { .fd = 0, .events = POLLIN },
					 { .fd = m->ev_fd, .events = POLLIN } };
		int timeout, ch;

		/* Paused: no new snapshot, but a lost heald is still looked for. */
		if (now >= next || u->refresh_now) {
			if (!u->paused || !m->connected || u->refresh_now)
				model_refresh(m);
			screen_build(u, m, false);
			u->refresh_now = false;
			next = now + u->refresh_s;
			dirty = true;
		}
		if (dirty && now - drawn >= REDRAW_MIN_S) {
			screen_draw(u, m);
			drawn = now;
			dirty = false;
		}
		/*
		 * Events are read in batches, at most every EVENT_BATCH_S: they
		 * go into the log and onto the screen with the next refresh, so
		 * a storm of events costs a few wake-ups a second, not one per
		 * event (measured: 200 events/s took 1.5% of a core one by one).
		 * 250 ms of events fit the socket's buffer many times over.
		 * Only heald going away is drawn at once.
		 */
		watch_ev = m->connected && now >= ev_next;
		timeout = (int)((next - now) * 1000) + 1;
		if (!watch_ev && m->connected && timeout > (int)((ev_next - now) * 1000) + 1)
			timeout = (int)((ev_next - now) * 1000) + 1;
		if (dirty && timeout > (int)(REDRAW_MIN_S * 1000))
			timeout = (int)(REDRAW_MIN_S * 1000);
		pfd[1].fd = watch_ev ? m->ev_fd : -1;
		poll(pfd, 2, timeout < 0 ? 0 : timeout);
		if (pfd[1].revents) {
			uint64_t seq = m->log_seq;

			if (!model_events(m))
				dirty = true;
			if (m->log_seq != seq)
				screen_build(u, m, true);
			ev_next = now_mono() + EVENT_BATCH_S;
		}
		/* Keys (and KEY_RESIZE after SIGWINCH interrupted poll) at once. */
		while ((ch = getch()) != ERR) {
			input_key(u, m, ch);
			drawn = 0;
			dirty = true;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "no-colour", no_argument, NULL, 'C' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *nc = getenv("NO_COLOR");
	bool color = !(nc && *nc), once = false;
	struct sigaction sa = { .sa_handler = on_stop };
	static struct ui u;
	struct model m;
	double delay = 1;
	int c, i, rc = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delay = strtod(optarg, &end);
			if (*end || end == optarg || delay < 0.1 || delay > 3600) {
				fprintf(stderr, "healtop: -d wants seconds, 0.1 to 3600: '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			color = false;
			break;
		case 'o':
			once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	setlocale(LC_ALL, "");
	if (model_init(&m, hd_socket_path())) {
		fprintf(stderr, "healtop: out of memory\n");
		return 1;
	}
	if (once) {
		rc = print_once(&m, 20);
		model_free(&m);
		return rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	u.refresh_s = delay;
	u.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	panel_disks_init(&u.panels[P_DISKS]);
	panel_net_init(&u.panels[P_NET]);
	panel_procs_init(&u.panels[P_PROCS]);
	panel_log_init(&u.panels[P_LOG]);
	screen_init(&u, color);
	nodelay(stdscr, TRUE);
	run(&u, &m);
	screen_end();
	for (i = 0; i < NPANELS; i++)
		free(u.panels[i].rows);
	popup_free(&u);
	json_object_put(u.pending);
	model_free(&m);
	return 0;
}
