// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus metrics on 127.0.0.1:metrics_port/metrics (libmicrohttpd in
 * its external-epoll mode, so it runs inside heald's loop: one thread,
 * no locks).  Names follow Prometheus' conventions: heal_ prefix, base
 * units (seconds, bytes), _total for counters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include "../lib/hb_names.h"
#include "heald.h"

struct metrics {
	struct MHD_Daemon *d;
};

struct buf {
	char *p;
	size_t len, cap;
};

static void vput(struct buf *b, const char *fmt, va_list args)
{
	va_list ap;
	int n;

	for (;;) {
		va_copy(ap, args);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			return;
	}
}

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(b, fmt, ap);
	va_end(ap);
}

/* For net_metrics(), which knows nothing of struct buf. */
static void put_any(void *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_any(void *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(b, fmt, ap);
	va_end(ap);
}

static void help(struct buf *b, const char *name, const char *type, const char *text)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void render(struct heald *h, struct buf *b)
{
	double now = now_mono();
	int i;
	uint32_t l;

	help(b, "heald_up", "gauge", "1 while heald runs");
	put(b, "heald_up 1\n");
	help(b, "heald_uptime_seconds", "gauge", "Seconds since heald started");
	put(b, "heald_uptime_seconds %.3f\n", now - h->started);
	help(b, "heald_dry_run", "gauge", "1 when heald only journals what it would do");
	put(b, "heald_dry_run %d\n", h->cfg.dry_run);
	help(b, "heald_actions_total", "counter", "Actions heald took");
	put(b, "heald_actions_total %llu\n", (unsigned long long)h->actions_total);
	help(b, "heald_actions_failed_total", "counter", "Actions that failed");
	put(b, "heald_actions_failed_total %llu\n", (unsigned long long)h->actions_failed);
	help(b, "heald_alarms_total", "counter", "Alarms raised");
	put(b, "heald_alarms_total %llu\n", (unsigned long long)h->alarms_total);
	help(b, "heald_kernel_events_total", "counter", "healblk events received");
	put(b, "heald_kernel_events_total %llu\n", (unsigned long long)h->events_total);
	help(b, "heald_journal_entries", "gauge", "Id of the next journal entry, less one");
	put(b, "heald_journal_entries %llu\n", (unsigned long long)h->journal.next_id - 1);
	help(b, "heald_api_errors_total", "counter", "Control socket requests answered with an error");
	put(b, "heald_api_errors_total %llu\n", (unsigned long long)h->api_errors);

	help(b, "heal_device_health", "gauge", "healblk device health: 0 ok, 1 degraded, 2 failing, 3 failed");
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		if (h->devs[i].present)
			put(b, "heal_device_health{device=\"%s\"} %d\n", h->devs[i].info.name,
			    dev_health(&h->devs[i]));
	help(b, "heal_leg_health", "gauge", "healblk leg health: 0 ok, 1 degraded, 2 failing, 3 failed");
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		for (l = 0; h->devs[i].present && l < h->devs[i].info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
			put(b, "heal_leg_health{device=\"%s\",leg=\"%u\",disk=\"%s\",state=\"%s\"} %d\n",
			    h->devs[i].info.name, l, h->devs[i].info.legs[l].name,
			    hb_leg_state_name(h->devs[i].info.legs[l].state), leg_health(&h->devs[i], l));
	help(b, "heal_leg_io_errors_total", "counter", "I/O errors of a leg (healblk's counters)");
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		for (l = 0; h->devs[i].present && l < h->devs[i].info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
			put(b, "heal_leg_io_errors_total{device=\"%s\",leg=\"%u\"} %llu\n",
			    h->devs[i].info.name, l,
			    (unsigned long long)(h->devs[i].info.legs[l].read_errors +
						 h->devs[i].info.legs[l].write_errors));
	help(b, "heal_sync_progress_ratio", "gauge", "Rebuild, resync or scrub progress, 0..1");
	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		const struct hb_sync_info *s = &h->devs[i].info.sync;

		if (h->devs[i].present && s->kind != HEALBLK_SYNC_NONE && s->sectors)
			put(b, "heal_sync_progress_ratio{device=\"%s\",kind=\"%s\",status=\"%s\"} %.4f\n",
			    h->devs[i].info.name, hb_sync_kind_name(s->kind),
			    hb_sync_status_name(s->status), (double)s->pos / (double)s->sectors);
	}
	help(b, "heal_spares", "gauge", "Spares standing by");
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		if (h->devs[i].present)
			put(b, "heal_spares{device=\"%s\"} %u\n", h->devs[i].info.name,
			    h->devs[i].info.nr_spares);

	help(b, "heal_disk_ios_total", "counter", "Block requests completed (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_ios_total{disk=\"%s\"} %llu\n", h->disks[i].name,
		    (unsigned long long)h->disks[i].ios);
	help(b, "heal_disk_io_errors_total", "counter", "Block requests that failed (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_io_errors_total{disk=\"%s\"} %llu\n", h->disks[i].name,
		    (unsigned long long)h->disks[i].errors);
	help(b, "heal_disk_io_bytes_total", "counter", "Bytes of completed block requests (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_io_bytes_total{disk=\"%s\"} %llu\n", h->disks[i].name,
		    (unsigned long long)h->disks[i].bytes);
	help(b, "heal_disk_latency_seconds", "gauge", "Request latency over the last interval (iomon)");
	for (i = 0; i < h->ndisks; i++) {
		put(b, "heal_disk_latency_seconds{disk=\"%s\",quantile=\"0.5\"} %.6f\n",
		    h->disks[i].name, h->disks[i].p50_us / 1e6);
		put(b, "heal_disk_latency_seconds{disk=\"%s\",quantile=\"0.99\"} %.6f\n",
		    h->disks[i].name, h->disks[i].p99_us / 1e6);
	}
	help(b, "heal_disk_alarm", "gauge", "1 while a disk's error or latency alarm is raised");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_alarm{disk=\"%s\"} %d\n", h->disks[i].name, h->disks[i].alarm);

	net_metrics(h, put_any, b);
	help(b, "heal_link_up", "gauge", "1 when the link is up with carrier");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_link_up{link=\"%s\"} %d\n", h->links[i].name,
		    h->links[i].up && h->links[i].carrier);
	help(b, "heal_tcp_retransmits_total", "counter", "TCP retransmits by interface (netmon)");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_tcp_retransmits_total{link=\"%s\"} %llu\n", h->links[i].name,
		    (unsigned long long)h->links[i].retrans);
	help(b, "heal_skb_drops_total", "counter", "Packets dropped by interface (netmon)");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_skb_drops_total{link=\"%s\"} %llu\n", h->links[i].name,
		    (unsigned long long)h->links[i].drops);
	help(b, "heal_oom_kills_total", "counter", "Processes killed by the OOM killer, by cgroup (procmon)");
	for (i = 0; i < h->ncgroups; i++)
		put(b, "heal_oom_kills_total{cgroup=\"%s\"} %llu\n", h->cgroups[i].path,
		    (unsigned long long)h->cgroups[i].oom_kills);
	help(b, "heal_crashes_total", "counter", "Processes killed by SIGSEGV, SIGBUS, SIGILL, SIGABRT or SIGFPE (procmon)");
	for (i = 0; i < h->ncgroups; i++)
		put(b, "heal_crashes_total{cgroup=\"%s\"} %llu\n", h->cgroups[i].path,
		    (unsigned long long)h->cgroups[i].crashes);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct heald *h = cls;
	struct MHD_Response *r;
	struct buf b = { 0 };
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		put(&b, "only GET\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics")) {
		put(&b, "heald: metrics are at /metrics\n");
		code = MHD_HTTP_NOT_FOUND;
	} else {
		render(h, &b);
	}
	if (!b.p)
		return MHD_NO;
	r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(b.p);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", code == MHD_HTTP_OK ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

int metrics_open(struct heald *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(h->cfg.metrics_port) };
	const union MHD_DaemonInfo *info;
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m->d = MHD_start_daemon(MHD_USE_EPOLL, h->cfg.metrics_port, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_END);
	if (!m->d) {
		hlog(LOG_ERR, "metrics: cannot listen on 127.0.0.1:%u (in use?)", h->cfg.metrics_port);
		free(m);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->metrics = m;
	h->w_metrics = (struct watch){ TAG_METRICS, info->epoll_fd };
	hlog(LOG_INFO, "metrics on http://127.0.0.1:%u/metrics", h->cfg.metrics_port);
	return loop_add(h, &h->w_metrics);
}

void metrics_ready(struct heald *h)
{
	MHD_run(h->metrics->d);
}

void metrics_close(struct heald *h)
{
	if (!h->metrics)
		return;
	MHD_stop_daemon(h->metrics->d);
	free(h->metrics);
	h->metrics = NULL;
}
