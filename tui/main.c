// SPDX-License-Identifier: GPL-2.0
/*
 * healtop: options and the main loop (--once: once.c).
 *   healtop [-d SECONDS] [--no-color] [--once] | --version
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
	fprintf(f, "usage: healtop [-d SECONDS] [--no-color] [--once] | --version\n"
		"  -d, --delay SECONDS  refresh every SECONDS (default 1)\n"
		"  --no-color           no colours (also: NO_COLOR in the environment)\n"
		"  --once               print one plain-text snapshot and exit\n"
		"  --version            print the version and the commit built from\n"
		"heald's socket: $HEAL_SOCKET, else %s\n", HEALD_SOCKET_DEFAULT);
}

static void run(struct ui *u, struct model *m)
{
	double next = 0, drawn = 0, ev_next = 0;
	bool dirty = true, watch_ev;
	int keys, empty = 0;

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
		keys = 0;
		while ((ch = getch()) != ERR) {
			input_key(u, m, ch);
			drawn = 0;
			dirty = true;
			keys++;
		}
		/*
		 * The terminal is gone (hung up: POLLHUP), or the input is at
		 * its end: readable, yet no key in it, again and again (a
		 * partial escape sequence is read by curses, and not readable
		 * twice).  Staying would spin on poll() for ever: a dropped SSH
		 * session whose SIGHUP never reached us, or < /dev/null.
		 */
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;
		empty = (pfd[0].revents & POLLIN) && !keys ? empty + 1 : 0;
		if (empty >= 3)
			break;
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
		{ "version", no_argument, NULL, 'V' },
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
		case 'V':
			printf("healtop %s (commit %s)\n", HEAL_VERSION, HEAL_COMMIT);
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
	panel_wl_init(&u.panels[P_WL]);
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
