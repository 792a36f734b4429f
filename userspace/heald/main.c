// SPDX-License-Identifier: GPL-2.0
/*
 * heald: main loop.  Everything heald senses arrives on one epoll set;
 * a 1 s timer (poll_ms) drives the map polls, alarm expiry and the
 * systemd watchdog.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <json-c/json.h>
#include "heald.h"
#include "child.h"
#include "hooks.h"
#include "scrub.h"
#include "smart.h"

const char *hb_prog = "heald";
int heald_log_stderr = 1;

void heald_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (heald_log_stderr) {
		va_list aq;

		va_copy(aq, ap);
		fprintf(stderr, "heald: ");
		vfprintf(stderr, fmt, aq);
		fputc('\n', stderr);
		va_end(aq);
	}
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int loop_add(struct heald *h, struct watch *w)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, w->fd, &e) < 0) {
		hlog(LOG_ERR, "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Replay's reports of skipped journal lines go to heald's log. */
static void journal_hlog(const char *msg)
{
	hlog(LOG_WARNING, "%s", msg);
}

static int usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: heald [-c FILE] [--check-config] [--dry-run] [--no-bpf] [-q] | --version\n"
		"  -c, --config FILE   configuration (default /etc/heal/heald.conf; missing: defaults)\n"
		"  --check-config      parse the configuration, print it, and exit (0: valid, 1: not)\n"
		"  --dry-run           decide and journal, but change nothing\n"
		"  --no-bpf            do not load the eBPF monitors\n"
		"  -q, --quiet         log to syslog only, not to stderr\n"
		"  --version           print the version and the commit built from\n");
	return code;
}

static void print_config(const struct config *c)
{
	char uri[512];
	int i;

	printf("dry_run = %s\nsocket = %s\njournal = %s\njournal_max_bytes = %llu\n"
	       "journal_keep = %d\ngroup = %s\nmax_clients_per_user = %u\nclient_idle_timeout = %g\n"
	       "metrics_port = %u\npoll_ms = %u\ncooldown = %g\n"
	       "max_actions_per_hour = %u\nmanage_spares = %s\nbpf = %s\n",
	       c->dry_run ? "yes" : "no", c->socket, c->journal,
	       (unsigned long long)c->journal_max_bytes, c->journal_keep, c->group,
	       c->max_clients_per_user, c->client_idle_timeout,
	       c->metrics_port, c->poll_ms, c->cooldown, c->max_actions_per_hour,
	       c->manage_spares ? "yes" : "no", c->bpf ? "yes" : "no");
	printf("metrics_address = %s\n", c->metrics_address);
	printf("hooks_dir = %s\nhook_timeout = %g\n", c->hooks_dir, c->hook_timeout);
	printf("smartctl = %s\nsmart_interval = %g\nsmart_timeout = %g\n", c->smartctl,
	       c->smart_interval, c->smart_timeout);
	printf("probe_interval_ms = %u\nprobe_multiplier = %u\nhold_down = %g\nhold_down_max = %g\n"
	       "routes = %s\nroute_metric = %u\nroute_table = %u\necmp = %s\n",
	       c->probe_interval_ms, c->probe_multiplier, c->hold_down, c->hold_down_max, c->routes,
	       c->route_metric, c->route_table, c->ecmp ? "yes" : "no");
	for (i = 0; i < c->nuplink; i++)
		printf("[uplink %s]\ninterface = %s\ngateway = %s\npriority = %u\n", c->uplink[i].name,
		       c->uplink[i].ifname, c->uplink[i].gateway, c->uplink[i].priority);
	printf("node_name = %s\nmigrate_dir = %s\nmax_moves = %u\nmove_deadline = %g\n"
	       "move_cooldown = %g\npeer_interval = %g\npeer_max_age = %g\npeer_timeout = %g\n"
	       "move_on_kills = %u\nkill_window = %g\nreceive_max = %u\n",
	       c->node_name[0] ? c->node_name : "(the host name)", c->migrate_dir, c->max_moves,
	       c->move_deadline, c->move_cooldown, c->peer_interval, c->peer_max_age, c->peer_timeout,
	       c->move_on_kills, c->kill_window, c->receive_max);
	for (i = 0; i < c->nworkload; i++) {
		const struct workload_conf *w = &c->workload[i];

		printf("[workload %s]\n%s = %s\nkind = %s\npriority = %u\nopt_out = %s\n"
		       "tcp_established = %s\n", w->name,
		       w->domain[0] ? "domain" : w->cgroup[0] ? "cgroup" : "unit",
		       w->domain[0] ? w->domain : w->cgroup[0] ? w->cgroup : w->unit, wl_kind_name(w->kind),
		       w->priority, w->opt_out ? "yes" : "no", w->tcp_established ? "yes" : "no");
		if (w->kind == WL_KIND_LIBVIRT)
			printf("uri = %s\nauto_converge = %s\n", vm_uri(w), w->auto_converge ? "yes" : "no");
		if (w->hook[0])
			printf("hook = %s\n", w->hook);
		if (w->data[0])
			printf("data = %s\n", w->data);
		if (w->uplinks[0])
			printf("uplinks = %s\n", w->uplinks);
		printf("deadline = %g\n", w->deadline ? w->deadline : c->move_deadline);
	}
	for (i = 0; i < c->npeer; i++) {
		const struct peer_conf *p = &c->peer[i];

		printf("[peer %s]\naddress = %s\nuser = %s\n", p->name, p->address, p->user);
		if (p->port)
			printf("port = %u\n", p->port);
		if (p->identity[0])
			printf("identity = %s\n", p->identity);
		if (p->known_hosts[0])
			printf("known_hosts = %s\n", p->known_hosts);
		printf("healctl = %s\n", p->healctl);
		if (p->socket[0])
			printf("socket = %s\n", p->socket);
		printf("capacity = %u\nbwlimit = %u\n", p->capacity, p->bwlimit);
		vm_peer_uri(p, uri, sizeof(uri));
		printf("libvirt_uri = %s\n", uri);
	}
	for (i = -1; i < c->ndev; i++) {
		const struct disk_conf *d = i < 0 ? &c->disk : &c->dev[i].disk;

		if (i >= 0)
			printf("[device %s]\n", c->dev[i].name);
		printf("serd_n = %u\nserd_t = %g\nserd_quiet = %g\nslow_factor = %g\n"
		       "slow_floor_us = %g\nslow_min_ios = %u\nslow_learn = %u\nslow_raise = %u\n"
		       "slow_clear = %u\nslow_acts = %s\nscrub_interval = %g\n",
		       d->serd_n, d->serd_t, d->serd_quiet, d->slow.factor, d->slow.floor_us,
		       d->slow.min_ios, d->slow.learn, d->slow.raise, d->slow.clear,
		       d->slow_acts ? "yes" : "no", d->scrub_interval);
	}
	printf("auto_assemble = %s\n", hb_auto_name(c->arrays.autoasm));
	for (i = 0; i < c->arrays.n; i++) {
		char u[37];

		hb_uuid_str(c->arrays.a[i].uuid, u);
		printf("[array %s]\nuuid = %s\n", c->arrays.a[i].name, u);
	}
}

static int open_loop(struct heald *h)
{
	struct itimerspec its = { 0 };
	sigset_t mask;

	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	h->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->epfd < 0 || h->sigfd < 0 || h->timerfd < 0) {
		hlog(LOG_ERR, "epoll/signalfd/timerfd: %s", strerror(errno));
		return -errno;
	}
	its.it_interval.tv_sec = h->cfg.poll_ms / 1000;
	its.it_interval.tv_nsec = (long)(h->cfg.poll_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	timerfd_settime(h->timerfd, 0, &its, NULL);
	h->w_sig = (struct watch){ TAG_SIG, h->sigfd };
	h->w_timer = (struct watch){ TAG_TIMER, h->timerfd };
	if (loop_add(h, &h->w_sig) || loop_add(h, &h->w_timer))
		return -EIO;
	return 0;
}

static void on_timer(struct heald *h)
{
	static double last;
	uint64_t ticks;
	double now = now_mono();

	if (read(h->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		hlog(LOG_WARNING, "timerfd: %s", strerror(errno));
	if (h->have_healblk)
		src_healblk_refresh(h);
	else if (!src_healblk_open(h))
		hlog(LOG_INFO, "healblk is loaded now: watching its devices");
	if (h->bpf)
		src_bpf_poll(h, last ? now - last : h->cfg.poll_ms / 1000.0);
	last = now;
	diag_tick(h);
	scrub_tick(h);
	smart_tick(h);
	net_tick(h);
	child_tick(h);
	wl_tick(h);
	api_idle(h);
	if (h->metrics)
		metrics_ready(h);	/* its connection timeouts */
	else
		metrics_retry(h);	/* the port was taken, the address absent */
	status_notify(h, false);
	if (h->watchdog)
		sd_notify(0, "WATCHDOG=1");
}

static void on_signal(struct heald *h)
{
	struct signalfd_siginfo si;

	while (read(h->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			heald_reload(h);
			continue;
		}
		hlog(LOG_INFO, "signal %u: stopping", si.ssi_signo);
		h->stop = true;
	}
}

static void shutdown_heald(struct heald *h)
{
	int i;
	char why[128];

	sd_notify(0, "STOPPING=1");
	/* Moves under way end here: their workloads run on where they are. */
	wl_close(h);
	/* Hand spares back to the kernel: without heald it heals by itself. */
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		if (h->devs[i].present && h->devs[i].took_auto_spare &&
		    !act_auto_spare(h, h->devs[i].info.index, true, why, sizeof(why)))
			hlog(LOG_INFO, "%s: auto_spare handed back to the kernel", h->devs[i].info.name);
	api_close(h);
	child_close_all(h);
	hooks_close();
	net_close(h);
	metrics_close(h);
	journal_close(&h->journal);
	jpublish_drop(h);
	if (h->have_healblk) {
		hb_nl_close(&h->nl);
		hb_nl_close(&h->ev);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static struct heald heald;	/* big: not on the stack */
	struct heald *h = &heald;
	const char *path = "/etc/heal/heald.conf";
	bool check = false, dry = false, nobpf = false, given = false;
	char err[512];
	int c, ret;

	/* A hook's subreaper (reap.c), started by heald itself: nothing else of heald runs. */
	if (argc >= 3 && !strcmp(argv[1], "--reap"))
		return reap_main(argv + 2);
	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; given = true; break;
		case 'C': check = true; break;
		case 'n': dry = true; break;
		case 'B': nobpf = true; break;
		case 'q': heald_log_stderr = 0; break;
		case 'h': return usage(0);
		case 'V': printf("heald %s (commit %s)\n", HEAL_VERSION, HEAL_COMMIT); return 0;
		default: return usage(2);
		}
	}
	if (optind != argc)
		return usage(2);
	openlog("heald", LOG_PID, LOG_DAEMON);
	config_default(&h->cfg);
	if ((given || access(path, F_OK) == 0) &&
	    config_load(&h->cfg, path, err, sizeof(err))) {
		fprintf(stderr, "heald: %s\n", err);
		return 1;
	}
	h->config_path = path;
	h->config_given = given;
	h->cli_dry_run = dry;
	h->cli_no_bpf = nobpf;
	if (dry)
		h->cfg.dry_run = true;
	if (nobpf)
		h->cfg.bpf = false;
	if (check) {
		print_config(&h->cfg);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "heald: must run as root (netlink admin, eBPF)\n");
		return 1;
	}

	h->started = now_mono();
	journal_log = journal_hlog;
	if (api_lock(h))
		return 1;
	if (open_loop(h))
		return 1;
	{
		char dir[200], *slash;

		snprintf(dir, sizeof(dir), "%.199s", h->cfg.journal);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0750);
		}
	}
	ret = journal_open(&h->journal, h->cfg.journal, h->cfg.journal_max_bytes,
			   h->cfg.journal_keep, diag_replay, h, err, sizeof(err));
	if (ret) {
		hlog(LOG_ERR, "%s", err);
		return 1;
	}
	if (h->journal.bad)
		hlog(LOG_WARNING, "journal: skipped %llu line(s) that were not entries (above)",
		     (unsigned long long)h->journal.bad);
	if (h->journal.torn)
		hlog(LOG_WARNING, "journal: cut %llu torn line(s) (a crash mid-write)",
		     (unsigned long long)h->journal.torn);
	h->published_upto = h->journal.next_id - 1;	/* what replay found is on disk */
	/* The syncer's word that lines are durable: they are published then. */
	h->w_journal = (struct watch){ TAG_JOURNAL, h->journal.efd };
	if (h->journal.syncer_on && loop_add(h, &h->w_journal))
		hlog(LOG_WARNING, "journal: eventfd not watched: unsynced lines are published at the next sync");
	if (api_open(h))
		return 1;
	if (h->cfg.metrics_port)
		metrics_open(h);	/* optional: on failure heald runs, and tries again */
	if (src_healblk_open(h))
		hlog(LOG_WARNING, "healblk is not loaded: watching for it every %u ms", h->cfg.poll_ms);
	if (src_rtnl_open(h))
		hlog(LOG_WARNING, "rtnetlink: links are not watched");
	if (net_open(h, err, sizeof(err))) {
		hlog(LOG_ERR, "%s", err);
		net_close(h);	/* the rules and routes of the uplinks before the one that failed */
		return 1;
	}
	if (h->cfg.bpf)
		src_bpf_open(h);
	/* procmon is what sees crashes and OOM kills: without it that trigger never fires. */
	if (h->cfg.move_on_kills && h->cfg.nworkload && (!h->bpf || strstr(h->bpf_status, "procmon")))
		hlog(LOG_WARNING, "move_on_kills = %u, but eBPF's procmon is %s: no crash or OOM kill is seen, "
		     "that trigger is off", h->cfg.move_on_kills,
		     !h->cfg.bpf ? "off (bpf = no)" : !h->bpf ? "not loaded" : "not attached");
	wl_open(h);
	peer_open(h);
	wl_inventory(h, true);
	/*
	 * Loading the monitors parses the kernel's BTF (measured: peak RSS
	 * 25 MiB, 15 MiB after); give the freed heap back to the kernel.
	 */
	malloc_trim(0);
	diag_resume(h);
	{
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "type", json_object_new_string("start"));
		json_object_object_add(e, "pid", json_object_new_int(getpid()));
		json_object_object_add(e, "dry_run", json_object_new_boolean(h->cfg.dry_run));
		json_object_object_add(e, "bpf", json_object_new_string(h->bpf_status));
		uint64_t id = journal_append(&h->journal, e);

		if (!id)
			hlog(LOG_ERR, "journal: %s", strerror(errno));
		/* On disk with what start-up wrote before it: readers see it (no hook runs for it). */
		jsync(h);
		if (id > h->published_upto)
			h->published_upto = id;
	}
	h->watchdog = sd_watchdog_enabled(0, &h->watchdog_usec) > 0;
	sd_notify(0, "READY=1");
	status_notify(h, true);
	hlog(LOG_INFO, "ready%s: socket %s, journal %s (next id %llu)",
	     h->cfg.dry_run ? " (dry run: nothing will be changed)" : "", h->cfg.socket,
	     h->cfg.journal, (unsigned long long)h->journal.next_id);

	while (!h->stop) {
		struct epoll_event evs[32];
		/* Requests left over from the last turn: look for more, do not sleep. */
		int i, n = epoll_wait(h->epfd, evs, 32, api_backlog(h) ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			hlog(LOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		h->turn++;
		for (i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			switch (w->tag) {
			case TAG_SIG: on_signal(h); break;
			case TAG_TIMER: on_timer(h); break;
			case TAG_HEALBLK: src_healblk_ready(h); break;
			case TAG_RTNL: src_rtnl_ready(h); break;
			case TAG_BPF: src_bpf_ready(h); break;
			case TAG_LISTEN: api_accept(h); break;
			case TAG_METRICS: metrics_ready(h); break;
			case TAG_NET_TIMER:
			case TAG_NET_SOCK:
				net_ready(h, w);
				break;
			case TAG_JOURNAL: jpublish_durable(h); break;
			case TAG_CHILD:
				child_ready(h, w, evs[i].events);
				break;
			case TAG_CLIENT:
				/* A client dropped earlier in this batch is only marked: still here. */
				api_client_ready(h, (struct client *)w, evs[i].events);
				break;
			}
			/* What that dispatch published, after it: no client changes under it. */
			api_deliver(h);
			hooks_dispatch(h);
		}
		api_serve_backlog(h);
		hooks_dispatch(h);
		api_sweep(h);
		child_sweep(h);
	}
	shutdown_heald(h);
	return 0;
}
