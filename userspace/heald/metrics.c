// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus metrics on metrics_address:metrics_port/metrics (libmicrohttpd in
 * its external-epoll mode, so it runs inside heald's loop: one thread,
 * no locks).  Names follow Prometheus' conventions: heal_ prefix, base
 * units (seconds, bytes), _total for counters.
 *
 * Held connections must not block the scrapes: every connection comes
 * from 127.0.0.1, so a limit per IP would limit Prometheus with the rest;
 * instead the kernel says which uid owns the client's socket (sock_diag),
 * and a uid but root holds at most METRICS_PER_UID connections, refused
 * at accept beyond that.  An idle connection is closed after
 * METRICS_TIMEOUT seconds (a scrape takes milliseconds).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "../lib/hb_text.h"
#include "bpfmon.h"
#include "heald.h"
#include "hooks.h"
#include "scrub.h"
#include "smart.h"
#include "prom.h"

#define METRICS_CONNECTIONS 64
#define METRICS_PER_UID 4
#define METRICS_TIMEOUT 3
#define METRICS_RETRY 10	/* seconds between tries to listen, while it fails */
#define UID_UNKNOWN ((uid_t)-1)

struct metrics {
	struct MHD_Daemon *d;
	uint16_t port;
	in_addr_t addr4;	/* the IPv4 address listened on; INADDR_ANY: none or IPv6 */
	struct {
		uid_t uid;
		unsigned int n;
	} owners[METRICS_CONNECTIONS];	/* open connections by uid */
	uint64_t refused;
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

/*
 * Label values are names heald did not choose (interfaces, cgroups, disks):
 * each is escaped into its own slot of a small ring, so that one put() can
 * take several.  A slot holds any name heald keeps (160 bytes, x3 at worst).
 */
#define ESC_SLOTS 4
static const char *esc(const char *s)
{
	static char ring[ESC_SLOTS][3 * 160 + 1];
	static unsigned int next;

	return hb_prom_label(ring[next++ % ESC_SLOTS], sizeof(ring[0]), s);
}

/* Every value a state can take: its series are always there, 0 or 1. */
static const char *const leg_states[] = { "in_sync", "failed", "missing", "rebuilding", "spare" };
static const char *const sync_kinds[] = { "none", "rebuild", "scrub", "resync" };
static const char *const sync_statuses[] = { "none", "running", "done", "aborted", "failed", "stopped" };
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void render_heald(struct heald *h, struct buf *b, double now)
{
	help(b, "heald_build_info", "gauge", "heald's version and the git commit it was built from");
	put(b, "heald_build_info{version=\"%s\",commit=\"%s\"} 1\n", esc(HEAL_VERSION),
	    esc(HEAL_COMMIT));
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
	help(b, "heald_rtnetlink_resyncs_total", "counter",
	     "Times rtnetlink events were lost and the link and route tables read again");
	put(b, "heald_rtnetlink_resyncs_total %llu\n", (unsigned long long)h->rtnl_resyncs);
}

static void render_devs(struct heald *h, struct buf *b)
{
	char lb[3 * 160 + 64];
	int i;
	uint32_t l;

#define DEVS(i) for (i = 0; i < HEALD_MAX_DEVS; i++) if (h->devs[i].present)
#define LEGS(i, l) DEVS(i) for (l = 0; l < h->devs[i].info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
	help(b, "heal_device_health", "gauge", "healblk device health: 0 ok, 1 degraded, 2 failing, 3 failed");
	DEVS(i)
		put(b, "heal_device_health{device=\"%s\"} %d\n", esc(h->devs[i].info.name),
		    dev_health(&h->devs[i]));
	help(b, "heal_leg_health", "gauge", "healblk leg health: 0 ok, 1 degraded, 2 failing, 3 failed");
	LEGS(i, l)
		put(b, "heal_leg_health{device=\"%s\",leg=\"%u\"} %d\n", esc(h->devs[i].info.name), l,
		    leg_health(&h->devs[i], l));
	help(b, "heal_leg_info", "gauge", "The disk of a healblk leg (always 1)");
	LEGS(i, l)
		put(b, "heal_leg_info{device=\"%s\",leg=\"%u\",disk=\"%s\"} 1\n",
		    esc(h->devs[i].info.name), l, esc(h->devs[i].info.legs[l].name));
	help(b, "heal_leg_state", "gauge", "healblk leg state: 1 for the leg's state, 0 for the others");
	LEGS(i, l) {
		snprintf(lb, sizeof(lb), "device=\"%s\",leg=\"%u\"", esc(h->devs[i].info.name), l);
		prom_state_set(put_any, b, "heal_leg_state", lb, "state", leg_states,
			       NELEM(leg_states), (int)h->devs[i].info.legs[l].state - 1);
	}
	help(b, "heal_leg_io_errors_total", "counter", "I/O errors of a leg (healblk's counters)");
	LEGS(i, l)
		put(b, "heal_leg_io_errors_total{device=\"%s\",leg=\"%u\"} %llu\n",
		    esc(h->devs[i].info.name), l,
		    (unsigned long long)(h->devs[i].info.legs[l].read_errors +
					 h->devs[i].info.legs[l].write_errors));
	help(b, "heal_sync_progress_ratio", "gauge", "Progress of the device's rebuild, resync or scrub, 0..1 (0: none)");
	DEVS(i) {
		const struct hb_sync_info *s = &h->devs[i].info.sync;

		put(b, "heal_sync_progress_ratio{device=\"%s\"} %.4f\n", esc(h->devs[i].info.name),
		    s->kind != HEALBLK_SYNC_NONE && s->sectors ? (double)s->pos / (double)s->sectors : 0);
	}
	help(b, "heal_sync_kind", "gauge", "The device's current or last sync: 1 for its kind, 0 for the others");
	DEVS(i) {
		snprintf(lb, sizeof(lb), "device=\"%s\"", esc(h->devs[i].info.name));
		prom_state_set(put_any, b, "heal_sync_kind", lb, "kind", sync_kinds, NELEM(sync_kinds),
			       (int)h->devs[i].info.sync.kind);
	}
	help(b, "heal_sync_status", "gauge", "Status of that sync: 1 for its status, 0 for the others");
	DEVS(i) {
		const struct hb_sync_info *s = &h->devs[i].info.sync;

		snprintf(lb, sizeof(lb), "device=\"%s\"", esc(h->devs[i].info.name));
		prom_state_set(put_any, b, "heal_sync_status", lb, "status", sync_statuses,
			       NELEM(sync_statuses), s->kind == HEALBLK_SYNC_NONE ? 0 : (int)s->status);
	}
	help(b, "heal_spares", "gauge", "Spares standing by");
	DEVS(i)
		put(b, "heal_spares{device=\"%s\"} %u\n", esc(h->devs[i].info.name),
		    h->devs[i].info.nr_spares);
#undef LEGS
#undef DEVS
}

static const char *const wl_states[] = { "absent", "running", "moving", "moved" };
static const char *const peer_healths[] = { "ok", "degraded", "failing", "failed", "unknown" };

static void render_workloads(struct heald *h, struct buf *b)
{
	char lb[3 * 160 + 64];
	int i, k;

	help(b, "heal_workload_info", "gauge", "A workload heald knows (always 1): its kind and cgroup");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_info{workload=\"%s\",kind=\"%s\",cgroup=\"%s\"} 1\n",
		    esc(h->wl[i].conf->name), wl_kind_name(h->wl[i].conf->kind), esc(h->wl[i].cgroup));
	help(b, "heal_workload_health", "gauge", "Workload health: 0 ok, 1 degraded, 2 failing, 3 failed");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_health{workload=\"%s\"} %d\n", esc(h->wl[i].conf->name),
		    h->wl[i].health);
	help(b, "heal_workload_state", "gauge", "Where a workload is: 1 for its state, 0 for the others");
	for (i = 0; i < h->nwl; i++) {
		snprintf(lb, sizeof(lb), "workload=\"%s\"", esc(h->wl[i].conf->name));
		prom_state_set(put_any, b, "heal_workload_state", lb, "state", wl_states,
			       NELEM(wl_states), (int)h->wl[i].state);
	}
	help(b, "heal_workload_processes", "gauge", "Processes in the workload's cgroup here");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_processes{workload=\"%s\"} %u\n", esc(h->wl[i].conf->name),
		    h->wl[i].nprocs);
	help(b, "heal_workload_memory_bytes", "gauge", "The workload cgroup's memory.current");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_memory_bytes{workload=\"%s\"} %llu\n", esc(h->wl[i].conf->name),
		    (unsigned long long)h->wl[i].mem_bytes);
	help(b, "heal_workload_device_info", "gauge",
	     "A block device under the workload's files, down to the disks (always 1)");
	for (i = 0; i < h->nwl; i++)
		for (k = 0; k < h->wl[i].ndevs; k++)
			put(b, "heal_workload_device_info{workload=\"%s\",device=\"%s\"} 1\n",
			    esc(h->wl[i].conf->name), esc(h->wl[i].devs[k]));
	help(b, "heal_workload_drained", "gauge", "1 while the operator has the workload drained");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_drained{workload=\"%s\"} %d\n", esc(h->wl[i].conf->name),
		    h->wl[i].drain);
	help(b, "heal_workload_moves_total", "counter", "Moves of the workload to a peer that succeeded");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_moves_total{workload=\"%s\"} %llu\n", esc(h->wl[i].conf->name),
		    (unsigned long long)h->wl[i].moves);
	help(b, "heal_workload_moves_failed_total", "counter",
	     "Moves of the workload that failed (it kept running here)");
	for (i = 0; i < h->nwl; i++)
		put(b, "heal_workload_moves_failed_total{workload=\"%s\"} %llu\n",
		    esc(h->wl[i].conf->name), (unsigned long long)h->wl[i].moves_failed);
	help(b, "heal_workload_moves_in_progress", "gauge", "Moves under way from this node");
	put(b, "heal_workload_moves_in_progress %u\n", h->moving);
	help(b, "heal_workloads_received", "gauge", "Workloads this node took in from its peers, running");
	put(b, "heal_workloads_received %d\n", h->nhosted);
	help(b, "heal_peer_health", "gauge",
	     "What a peer's heald last said of itself: 1 for that state, 0 for the others (unknown: no answer)");
	for (i = 0; i < h->npeers; i++) {
		snprintf(lb, sizeof(lb), "peer=\"%s\"", esc(h->peers[i].conf->name));
		prom_state_set(put_any, b, "heal_peer_health", lb, "health", peer_healths,
			       NELEM(peer_healths), h->peers[i].answered ? h->peers[i].health & 3 : 4);
	}
	help(b, "heal_peer_receiving", "gauge", "Moves a peer said it is receiving");
	for (i = 0; i < h->npeers; i++)
		put(b, "heal_peer_receiving{peer=\"%s\"} %u\n", esc(h->peers[i].conf->name),
		    h->peers[i].receiving);
	help(b, "heal_peer_workloads_sent", "gauge", "Workloads of this node moved to the peer");
	for (i = 0; i < h->npeers; i++)
		put(b, "heal_peer_workloads_sent{peer=\"%s\"} %u\n", esc(h->peers[i].conf->name),
		    h->peers[i].sent);
}

static void render(struct heald *h, struct buf *b)
{
	char lb[3 * 160 + 16];
	int i;

	render_heald(h, b, now_mono());
	hooks_metrics(h, put_any, b);
	render_devs(h, b);
	scrub_metrics(h, put_any, b);
	smart_metrics(h, put_any, b);
	render_workloads(h, b);
	help(b, "heal_disk_ios_total", "counter", "Block requests completed (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_ios_total{disk=\"%s\"} %llu\n", esc(h->disks[i].name),
		    (unsigned long long)h->disks[i].ios);
	help(b, "heal_disk_io_errors_total", "counter", "Block requests that failed (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_io_errors_total{disk=\"%s\"} %llu\n", esc(h->disks[i].name),
		    (unsigned long long)h->disks[i].errors);
	help(b, "heal_disk_io_bytes_total", "counter", "Bytes of completed block requests (iomon)");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_io_bytes_total{disk=\"%s\"} %llu\n", esc(h->disks[i].name),
		    (unsigned long long)h->disks[i].bytes);
	/* A histogram, not p50/p99 gauges: buckets add up across disks and nodes. */
	help(b, "heal_disk_latency_seconds", "histogram",
	     "Request latency (iomon's log2 slots; _sum estimated from the slots)");
	for (i = 0; i < h->ndisks; i++) {
		snprintf(lb, sizeof(lb), "disk=\"%s\"", esc(h->disks[i].name));
		prom_histogram_log2us(put_any, b, "heal_disk_latency_seconds", lb, h->disks[i].hist,
				      BPFMON_HIST_SLOTS);
	}
	help(b, "heal_disk_alarm", "gauge", "1 while a disk's error or latency alarm is raised");
	for (i = 0; i < h->ndisks; i++)
		put(b, "heal_disk_alarm{disk=\"%s\"} %d\n", esc(h->disks[i].name), h->disks[i].alarm);

	net_metrics(h, put_any, b);
	help(b, "heal_link_up", "gauge", "1 when the link is up with carrier");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_link_up{link=\"%s\"} %d\n", esc(h->links[i].name),
		    h->links[i].up && h->links[i].carrier);
	help(b, "heal_tcp_retransmits_total", "counter", "TCP retransmits by interface (netmon)");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_tcp_retransmits_total{link=\"%s\"} %llu\n", esc(h->links[i].name),
		    (unsigned long long)h->links[i].retrans);
	help(b, "heal_skb_drops_total", "counter", "Packets dropped by interface (netmon)");
	for (i = 0; i < h->nlinks; i++)
		put(b, "heal_skb_drops_total{link=\"%s\"} %llu\n", esc(h->links[i].name),
		    (unsigned long long)h->links[i].drops);
	help(b, "heal_oom_kills_total", "counter", "Processes killed by the OOM killer, by cgroup (procmon)");
	for (i = 0; i < h->ncgroups; i++)
		put(b, "heal_oom_kills_total{cgroup=\"%s\"} %llu\n", esc(h->cgroups[i].path),
		    (unsigned long long)h->cgroups[i].oom_kills);
	help(b, "heal_crashes_total", "counter", "Processes killed by SIGSEGV, SIGBUS, SIGILL, SIGABRT or SIGFPE (procmon)");
	for (i = 0; i < h->ncgroups; i++)
		put(b, "heal_crashes_total{cgroup=\"%s\"} %llu\n", esc(h->cgroups[i].path),
		    (unsigned long long)h->cgroups[i].crashes);
}

char *metrics_text(struct heald *h, size_t *len)
{
	struct buf b = { 0 };

	render(h, &b);
	*len = b.len;
	return b.p;
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

/*
 * The uid owning the TCP socket at @peer connected to our address and
 * port; UID_UNKNOWN for a remote peer, or when listening on IPv6 or on
 * every address (those all share one limit).
 */
static uid_t peer_uid(const struct sockaddr *peer, socklen_t len, const struct metrics *m)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0U },
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} rep;
	uid_t uid = UID_UNKNOWN;
	ssize_t n;
	int fd;

	if (len < (socklen_t)sizeof(*sin) || sin->sin_family != AF_INET ||
	    m->addr4 == htonl(INADDR_ANY))
		return UID_UNKNOWN;
	/* The client's socket, exactly: its address and port to ours. */
	req.r.id.idiag_sport = sin->sin_port;
	req.r.id.idiag_dport = htons(m->port);
	req.r.id.idiag_src[0] = sin->sin_addr.s_addr;
	req.r.id.idiag_dst[0] = m->addr4;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return UID_UNKNOWN;
	if (send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req) &&
	    (n = recv(fd, &rep, sizeof(rep), 0)) >= (ssize_t)NLMSG_LENGTH(sizeof(struct inet_diag_msg)) &&
	    rep.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY)
		uid = ((struct inet_diag_msg *)NLMSG_DATA(&rep.nlh))->idiag_uid;
	close(fd);
	return uid;
}

static unsigned int *owner_count(struct metrics *m, uid_t uid, bool add)
{
	int i, free_slot = -1;

	for (i = 0; i < METRICS_CONNECTIONS; i++) {
		if (m->owners[i].n && m->owners[i].uid == uid)
			return &m->owners[i].n;
		if (!m->owners[i].n && free_slot < 0)
			free_slot = i;
	}
	if (!add || free_slot < 0)
		return NULL;
	m->owners[free_slot].uid = uid;
	return &m->owners[free_slot].n;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct metrics *m = cls;
	uid_t uid = peer_uid(addr, len, m);
	unsigned int *n = owner_count(m, uid, false);

	if (uid != 0 && n && *n >= METRICS_PER_UID) {
		if (!m->refused++ || !(m->refused % 1000))
			hlog(LOG_WARNING, "metrics: uid %d holds %d connections: refused (%llu so far)",
			     (int)uid, METRICS_PER_UID, (unsigned long long)m->refused);
		return MHD_NO;
	}
	return MHD_YES;
}

/* Count a connection under its owner's uid for its life. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct metrics *m = cls;
	unsigned int *n;
	uid_t uid;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		uid = ci ? peer_uid(ci->client_addr, sizeof(struct sockaddr_in), m) : UID_UNKNOWN;
		n = owner_count(m, uid, true);
		if (n)
			(*n)++;
		*ctx = (void *)((uintptr_t)uid + 1);	/* not NULL for uid 0 */
		return;
	}
	if (!*ctx)
		return;
	uid = (uid_t)((uintptr_t)*ctx - 1);
	n = owner_count(m, uid, false);
	if (n && *n)
		(*n)--;
	*ctx = NULL;
}

int metrics_open(struct heald *h)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL;
	struct metrics *m;
	char where[80];

	/* config.c checked it; "127.0.0.1" when the file says nothing. */
	if (inet_pton(AF_INET, h->cfg.metrics_address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(h->cfg.metrics_port);
		snprintf(where, sizeof(where), "%s:%u", h->cfg.metrics_address, h->cfg.metrics_port);
	} else if (inet_pton(AF_INET6, h->cfg.metrics_address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(h->cfg.metrics_port);
		flags |= MHD_USE_IPv6;
		snprintf(where, sizeof(where), "[%s]:%u", h->cfg.metrics_address, h->cfg.metrics_port);
	} else {
		hlog(LOG_ERR, "metrics: '%s' is not an IP address", h->cfg.metrics_address);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->port = h->cfg.metrics_port;
	/* Only a socket to one IPv4 address can be looked up by its exact pair. */
	m->addr4 = ss.ss_family == AF_INET ? sin->sin_addr.s_addr : htonl(INADDR_ANY);
	m->d = MHD_start_daemon(flags, h->cfg.metrics_port, on_accept, m, on_request, h,
				MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				MHD_OPTION_END);
	if (!m->d) {
		/*
		 * Metrics are optional: heald heals without them.  Said once;
		 * metrics_retry() tries again every METRICS_RETRY seconds.
		 */
		if (!h->metrics_tries++)
			hlog(LOG_WARNING, "metrics: cannot listen on %s (in use, or no such address?): "
			     "running without metrics, trying again every %d s", where, METRICS_RETRY);
		h->metrics_retry_at = now_mono() + METRICS_RETRY;
		free(m);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->metrics = m;
	h->w_metrics = (struct watch){ TAG_METRICS, info->epoll_fd };
	if (h->metrics_tries)
		hlog(LOG_NOTICE, "metrics on http://%s/metrics (after %u failed tries)", where,
		     h->metrics_tries);
	else
		hlog(LOG_INFO, "metrics on http://%s/metrics", where);
	h->metrics_tries = 0;
	if (loop_add(h, &h->w_metrics)) {
		metrics_close(h);
		return -EIO;
	}
	return 0;
}

/* From the timer: listen at last, if the port or address was not to be had. */
void metrics_retry(struct heald *h)
{
	if (!h->metrics && h->cfg.metrics_port && now_mono() >= h->metrics_retry_at)
		metrics_open(h);
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
