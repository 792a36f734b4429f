// SPDX-License-Identifier: GPL-2.0
/*
 * heald: SIGHUP (`systemctl reload heald`) reads the configuration again,
 * and STATUS= tells systemd what heald sees (`systemctl status heald`).
 *
 * A file that does not parse changes nothing: the old configuration stays
 * and the log says why, with the file and line, as --check-config would.
 * What heald bound at start keeps its old value until a restart, with a
 * warning naming the key: the socket, the journal's path, the eBPF
 * monitors, manage_spares (it took the kernel's auto_spare at start), the
 * uplinks and their routes (target_table and target_rule_priority too), and the [workload] and [peer] sections with
 * node_name and migrate_dir (workloads and peers are tracked by index from
 * the start, and moves under way hold them).  The rest takes effect at
 * once: dry run, cooldown and rate limit, the socket's group and limits,
 * the poll interval, the journal's rotation, the metrics address and port
 * (listened on anew), the disk diagnosis settings, hooks, SMART, and the
 * migration policy's global keys (max_moves, move_deadline, peer_interval,
 * receive_max, ...: read where they are used); a SERD engine whose
 * parameters changed starts again empty (old errors are not judged by new
 * rules).  A reload is journaled ("type": "reload", with "dry_run" and
 * the keys left for a restart in "at_restart"), so `healctl journal` shows
 * when dry run was switched on or off.  --dry-run and --no-bpf given
 * on the command line still hold after a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <json-c/json.h>
#include "heald.h"

/* Keys heald cannot change while it runs: the new value waits for a restart. */
static void keep_bound(struct heald *h, struct config *n, struct json_object *later)
{
	const struct config *o = &h->cfg;

#define KEEP(field, key)							\
	do {									\
		if (memcmp(&o->field, &n->field, sizeof(o->field))) {		\
			hlog(LOG_WARNING, "reload: %s changed: takes effect at the next restart", key); \
			json_object_array_add(later, json_object_new_string(key)); \
			memcpy(&n->field, &o->field, sizeof(o->field));	\
		}								\
	} while (0)
	KEEP(socket, "socket");
	KEEP(journal, "journal");
	KEEP(bpf, "bpf");
	KEEP(manage_spares, "manage_spares");
	KEEP(probe_interval_ms, "probe_interval_ms");
	KEEP(probe_multiplier, "probe_multiplier");
	KEEP(hold_down, "hold_down");
	KEEP(hold_down_max, "hold_down_max");
	KEEP(routes, "routes");
	KEEP(route_metric, "route_metric");
	KEEP(route_table, "route_table");
	KEEP(ecmp, "ecmp");
	KEEP(target_table, "target_table");
	KEEP(target_rule_priority, "target_rule_priority");
	KEEP(node_name, "node_name");
	KEEP(migrate_dir, "migrate_dir");
#define KEEP_SECTIONS(arr, count, key)						\
	do {									\
		if (o->count != n->count || memcmp(o->arr, n->arr, sizeof(o->arr))) { \
			hlog(LOG_WARNING, "reload: [" key "] sections changed: take effect at the next restart"); \
			json_object_array_add(later, json_object_new_string(key)); \
			memcpy(n->arr, o->arr, sizeof(o->arr));			\
			n->count = o->count;					\
		}								\
	} while (0)
	KEEP_SECTIONS(uplink, nuplink, "uplink");
	/*
	 * Workloads and peers are tracked by their index from the start
	 * (workload.c, peer.c): a move under way holds its workload and its
	 * peer, a workload remembers the peers that failed it by index.
	 */
	KEEP_SECTIONS(workload, nworkload, "workload");
	KEEP_SECTIONS(peer, npeer, "peer");
#undef KEEP_SECTIONS
#undef KEEP
}

static bool serd_differs(const struct serd *s, const struct disk_conf *dc)
{
	return s->n != dc->serd_n || s->t != dc->serd_t || s->quiet != dc->serd_quiet;
}

/* Engines whose parameters changed start again, empty. */
static void rearm_serds(struct heald *h)
{
	const struct disk_conf *dc;
	int i, l;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		dc = config_disk(&h->cfg, d->info.name);
		for (l = 0; l < HEALBLK_MAX_LEGS; l++) {
			if (!serd_differs(&d->legs[l].serd, dc))
				continue;
			serd_init(&d->legs[l].serd, dc->serd_n, dc->serd_t, dc->serd_quiet);
			if (l < (int)d->info.nr_legs)
				hlog(LOG_INFO, "reload: %s/leg%d: SERD %u in %g s, counting afresh",
				     d->info.name, l, dc->serd_n, dc->serd_t);
		}
	}
	dc = &h->cfg.disk;
	for (i = 0; i < h->ndisks; i++)
		if (serd_differs(&h->disks[i].serd, dc))
			serd_init(&h->disks[i].serd, dc->serd_n, dc->serd_t, dc->serd_quiet);
}

static void set_timer(struct heald *h)
{
	struct itimerspec its = { 0 };

	its.it_interval.tv_sec = h->cfg.poll_ms / 1000;
	its.it_interval.tv_nsec = (long)(h->cfg.poll_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(h->timerfd, 0, &its, NULL) < 0)
		hlog(LOG_ERR, "reload: poll timer: %s", strerror(errno));
}

int heald_reload(struct heald *h)
{
	static struct config n;	/* big: not on the stack */
	struct json_object *e, *later;
	char err[512];
	bool metrics_moved, poll_changed;

	sd_notify(0, "RELOADING=1");
	config_default(&n);
	if ((h->config_given || access(h->config_path, F_OK) == 0) &&
	    config_load(&n, h->config_path, err, sizeof(err))) {
		hlog(LOG_ERR, "reload: %s: keeping the configuration heald runs with", err);
		sd_notify(0, "READY=1");
		return -EINVAL;
	}
	if (h->cli_dry_run)
		n.dry_run = true;
	if (h->cli_no_bpf)
		n.bpf = false;
	later = json_object_new_array();
	keep_bound(h, &n, later);
	metrics_moved = n.metrics_port != h->cfg.metrics_port ||
			strcmp(n.metrics_address, h->cfg.metrics_address);
	poll_changed = n.poll_ms != h->cfg.poll_ms;
	if (n.dry_run != h->cfg.dry_run)
		hlog(LOG_NOTICE, "reload: dry run %s", n.dry_run ? "on: nothing will be changed" : "off");
	h->cfg = n;
	h->journal.max_bytes = n.journal_max_bytes;
	h->journal.keep = n.journal_keep;
	if (poll_changed)
		set_timer(h);
	if (metrics_moved) {
		metrics_close(h);
		h->metrics_tries = 0;
		h->metrics_retry_at = 0;
		if (h->cfg.metrics_port)
			metrics_open(h);	/* a failure retries, as at start */
	}
	rearm_serds(h);

	snprintf(err, sizeof(err), "%s read again%s%s%s", h->config_path,
		 h->cfg.dry_run ? "; dry run" : "",
		 json_object_array_length(later) ? "; at the next restart: " : "",
		 json_object_array_length(later) ? json_object_to_json_string_ext(later, JSON_C_TO_STRING_PLAIN) : "");
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("reload"));
	json_object_object_add(e, "reason", json_object_new_string(err));
	json_object_object_add(e, "config", json_object_new_string(h->config_path));
	json_object_object_add(e, "dry_run", json_object_new_boolean(h->cfg.dry_run));
	json_object_object_add(e, "at_restart", later);
	jappend(h, e);
	hlog(LOG_INFO, "reload: %s read", h->config_path);
	sd_notify(0, "READY=1");
	status_notify(h, true);
	return 0;
}

/* STATUS= for `systemctl status heald`: sent when it changes, or @force. */
void status_notify(struct heald *h, bool force)
{
	static char last[256];
	char now[256];
	int i, l, devs = 0, degraded = 0, alarms = 0;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		const struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		devs++;
		if (dev_health(d) != H_OK)
			degraded++;
		for (l = 0; l < HEALBLK_MAX_LEGS; l++)
			alarms += d->legs[l].alarm;
	}
	for (i = 0; i < h->ndisks; i++)
		alarms += h->disks[i].alarm;
	snprintf(now, sizeof(now), "%s%d healblk device%s (%d not ok), %d alarm%s, %u action%s in the last hour%s%s",
		 h->cfg.dry_run ? "dry run: " : "", devs, devs == 1 ? "" : "s", degraded, alarms,
		 alarms == 1 ? "" : "s", act_count_last_hour(h),
		 act_count_last_hour(h) == 1 ? "" : "s",
		 h->have_healblk ? "" : "; healblk not loaded",
		 h->cfg.metrics_port && !h->metrics ? "; metrics not listening" : "");
	if (!force && !strcmp(now, last))
		return;
	snprintf(last, sizeof(last), "%s", now);
	sd_notifyf(0, "STATUS=%s", now);
}
