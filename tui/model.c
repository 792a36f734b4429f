// SPDX-License-Identifier: GPL-2.0
/*
 * The model: heald's last status snapshot, fetched once a refresh over one
 * connection (request, reply), and heald's event stream over a second one,
 * subscribed, read without blocking into the log.  Two connections because
 * heald_client's hd_recv blocks for a whole line and keeps one buffer for
 * one fd: right for a request and its reply, wrong for a stream that must
 * share a poll() with the keyboard.  Everything here is heald's; healtop
 * keeps only short histories (sparklines, rates) and the log it has seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "../userspace/lib/hb_text.h"
#include "../userspace/lib/heald_client.h"
#include "healtop.h"

#define EV_LINE_MAX	(4 << 20)	/* as heald_client: longer is not heald */
#define REPLY_TIMEOUT_MS 3000		/* a heald this slow counts as gone */
#define JOURNAL_BACKLOG	200		/* entries fetched on (re)connecting */

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : "";
}

const char *jtxt(struct json_object *o, const char *key)
{
	static char ring[JTXT_SLOTS][1024];
	static unsigned int next;

	return hb_term_safe(ring[next++ % JTXT_SLOTS], sizeof(ring[0]), jstr(o, key));
}

double jnum(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_double(v) : 0;
}

bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_get_boolean(v);
}

size_t jlen(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

struct json_object *jidx(struct json_object *arr, size_t i)
{
	return i < jlen(arr) ? json_object_array_get_idx(arr, i) : NULL;
}

enum sev sev_of(const char *h)
{
	if (!strcmp(h, "ok") || !strcmp(h, "in_sync") || !strcmp(h, "optimal") ||
	    !strcmp(h, "up") || !strcmp(h, "healthy"))
		return SEV_OK;
	if (!strcmp(h, "degraded") || !strcmp(h, "rebuilding") || !strcmp(h, "spare"))
		return SEV_DEGRADED;
	if (!strcmp(h, "failing"))
		return SEV_FAILING;
	if (!strcmp(h, "failed") || !strcmp(h, "missing") || !strcmp(h, "down"))
		return SEV_FAILED;
	return SEV_INFO;
}

const char *resource_state(struct json_object *st, const char *name)
{
	struct json_object *res = jget(st, "resources");
	size_t i;

	for (i = 0; i < jlen(res); i++)
		if (!strcmp(jstr(jidx(res, i), "name"), name))
			return jstr(jidx(res, i), "state");
	return "";
}

int model_init(struct model *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->req_fd = m->ev_fd = -1;
	m->log = calloc(LOG_MAX, sizeof(*m->log));
	if (!m->log)
		return -ENOMEM;
	snprintf(m->err, sizeof(m->err), "connecting to heald at %s", path);
	return 0;
}

void model_disconnect(struct model *m, const char *why)
{
	if (m->req_fd >= 0)
		close(m->req_fd);
	if (m->ev_fd >= 0)
		close(m->ev_fd);
	m->req_fd = m->ev_fd = -1;
	m->ev.len = 0;
	if (m->connected)
		log_add(m, SEV_FAILED, "heald", 0, "disconnected: %s", why);
	m->connected = false;
	snprintf(m->err, sizeof(m->err), "%s", why);
}

void model_free(struct model *m)
{
	model_disconnect(m, "quit");
	json_object_put(m->st);
	free(m->ev.buf);
	free(m->log);
}

static struct json_object *request(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

struct json_object *model_call(struct model *m, struct json_object *req)
{
	struct json_object *r;
	char err[256];
	int ret;

	if (!m->connected) {
		json_object_put(req);
		return NULL;
	}
	ret = hd_send(m->req_fd, req);
	json_object_put(req);
	if (ret) {
		snprintf(err, sizeof(err), "send to heald: %s", strerror(-ret));
		model_disconnect(m, err);
		return NULL;
	}
	r = hd_recv(m->req_fd, REPLY_TIMEOUT_MS, err, sizeof(err));
	if (!r)
		model_disconnect(m, err);
	return r;
}

const struct log_entry *log_at(const struct model *m, uint64_t seq)
{
	if (seq >= m->log_seq || m->log_seq - seq > LOG_MAX)
		return NULL;
	return &m->log[seq % LOG_MAX];
}

static void clock_of(char *buf, size_t len, double epoch)
{
	time_t t = (time_t)num_clamp(epoch, 0, 1e11);
	struct tm tm;

	if (!epoch)
		t = time(NULL);
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static struct log_entry *log_new(struct model *m, enum sev sev, const char *kind, uint64_t why_id)
{
	struct log_entry *e = &m->log[m->log_seq % LOG_MAX];

	memset(e, 0, sizeof(*e));
	e->seq = m->log_seq++;
	e->sev = sev;
	e->why_id = why_id;
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	clock_of(e->when, sizeof(e->when), 0);
	return e;
}

void log_add(struct model *m, enum sev sev, const char *kind, uint64_t why_id, const char *fmt, ...)
{
	struct log_entry *e = log_new(m, sev, kind, why_id);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/* One journal entry, worded as `healctl journal` words it. */
static void log_journal(struct model *m, struct json_object *e)
{
	const char *type = jstr(e, "type"), *t = jstr(e, "time");
	uint64_t id = (uint64_t)num_clamp(jnum(e, "id"), 0, 1e18);
	struct log_entry *l;
	enum sev sev = SEV_INFO;
	char text[240];

	if (id && id <= m->last_jid)
		return;		/* already fetched with the backlog */
	if (id)
		m->last_jid = id;
	if (!strcmp(type, "decision")) {
		bool taken = jbool(e, "taken") || !strcmp(jstr(e, "action"), "report");

		snprintf(text, sizeof(text), "#%" PRIu64 " %s %s%s by %s: %s", id, jstr(e, "action"),
			 jstr(e, "resource"), taken ? "" : " (not taken)", jstr(e, "by"),
			 jstr(e, "reason"));
		sev = SEV_DEGRADED;
	} else if (!strcmp(type, "outcome")) {
		const char *o = jstr(e, "outcome");

		snprintf(text, sizeof(text), "#%" PRIu64 " for #%s: %s%s%s", id, jstr(e, "ref"), o,
			 *jstr(e, "detail") ? ": " : "", jstr(e, "detail"));
		sev = !strcmp(o, "failed") ? SEV_FAILED : !strncmp(o, "not taken", 9) ||
		      !strcmp(o, "skipped") ? SEV_DEGRADED : SEV_OK;
	} else if (!strcmp(type, "alarm")) {
		snprintf(text, sizeof(text), "#%" PRIu64 " alarm %s: %s", id, jstr(e, "resource"),
			 jstr(e, "reason"));
		sev = SEV_FAILING;
	} else if (!strcmp(type, "clear")) {
		snprintf(text, sizeof(text), "#%" PRIu64 " cleared %s: %s", id, jstr(e, "resource"),
			 jstr(e, "reason"));
		sev = SEV_OK;
	} else if (!strcmp(type, "start")) {
		snprintf(text, sizeof(text), "#%" PRIu64 " heald started (pid %s%s)", id,
			 jstr(e, "pid"), jbool(e, "dry_run") ? ", dry run" : "");
	} else if (!strcmp(type, "resume")) {
		snprintf(text, sizeof(text), "#%" PRIu64 " resume #%s: %s", id, jstr(e, "ref"),
			 jstr(e, "detail"));
	} else {
		snprintf(text, sizeof(text), "#%" PRIu64 " %s %s %s", id, type, jstr(e, "resource"),
			 jstr(e, "reason"));
	}
	l = log_new(m, sev, !strcmp(type, "decision") || !strcmp(type, "outcome") ? "action" : type,
		    !strcmp(type, "decision") ? id : !strcmp(type, "outcome") ?
		    (uint64_t)num_clamp(jnum(e, "ref"), 0, 1e18) : 0);
	snprintf(l->text, sizeof(l->text), "%s", text);
	/* The journal's own clock: "2026-11-30T16:01:30.123Z" -> 16:01:30. */
	if (strlen(t) >= 19)
		snprintf(l->when, sizeof(l->when), "%.8s", t + 11);
}

static void log_kernel(struct model *m, struct json_object *ev, double t)
{
	const char *what = jstr(ev, "event");
	int dev = (int)num_clamp(jnum(ev, "dev"), -1, 1e9), leg = (int)num_clamp(jnum(ev, "leg"), -1, 1e9);
	enum sev sev = SEV_INFO;
	struct log_entry *l;
	char text[240];

	if (!strcmp(what, "io_error")) {
		snprintf(text, sizeof(text), "healblk%d leg%d %s error at %.0f+%.0f errno %.0f%s", dev,
			 leg, jstr(ev, "op"), jnum(ev, "sector"), jnum(ev, "sectors"),
			 jnum(ev, "errno"), jbool(ev, "recovered") ? ", recovered" : "");
		sev = jbool(ev, "recovered") ? SEV_DEGRADED : SEV_FAILING;
	} else if (!strcmp(what, "leg_state")) {
		snprintf(text, sizeof(text), "healblk%d leg%d %s -> %s%s%s", dev, leg,
			 jstr(ev, "old_state"), jstr(ev, "state"), *jstr(ev, "reason") ? ": " : "",
			 jstr(ev, "reason"));
		sev = sev_of(jstr(ev, "state"));
	} else if (!strcmp(what, "sync")) {
		struct json_object *s = jget(ev, "sync");
		const char *status = jstr(s, "status");

		/* Progress comes every few seconds; the rebuild's bar shows it. */
		if (!strcmp(status, "running") && jnum(s, "pos") > 0)
			return;
		snprintf(text, sizeof(text), "healblk%d %s %s", dev, jstr(s, "kind"), status);
		sev = !strcmp(status, "failed") ? SEV_FAILED : !strcmp(status, "done") ? SEV_OK :
		      SEV_DEGRADED;
	} else if (!strcmp(what, "retry") || !strcmp(what, "repair") || !strcmp(what, "remap")) {
		snprintf(text, sizeof(text), "healblk%d leg%d %s at %.0f+%.0f", dev, leg, what,
			 jnum(ev, "sector"), jnum(ev, "sectors"));
		sev = SEV_DEGRADED;
	} else {
		snprintf(text, sizeof(text), "healblk%d %s", dev, what);
	}
	l = log_new(m, sev, "kernel", 0);
	snprintf(l->text, sizeof(l->text), "%s", text);
	clock_of(l->when, sizeof(l->when), t);
}

/* One line of the stream: a reply to "events", or an event. */
static void on_event(struct model *m, struct json_object *o)
{
	const char *type = jstr(o, "type");
	double t = jnum(o, "time");
	struct log_entry *l = NULL;

	if (jget(o, "ok")) {
		if (!jbool(o, "ok"))
			log_add(m, SEV_FAILED, "heald", 0, "events: %s", jstr(o, "error"));
		return;
	}
	if (!strcmp(type, "journal")) {
		log_journal(m, jget(o, "entry"));
		return;
	}
	if (!strcmp(type, "kernel")) {
		log_kernel(m, jget(o, "event"), t);
		return;
	}
	if (!strcmp(type, "link")) {
		l = log_new(m, jbool(o, "up") && jbool(o, "carrier") ? SEV_OK : SEV_FAILED, "link", 0);
		snprintf(l->text, sizeof(l->text), "%s %s%s", jstr(o, "link"),
			 jbool(o, "up") ? "up" : "down", jbool(o, "up") && !jbool(o, "carrier") ?
			 ", no carrier" : "");
	} else if (!strcmp(type, "io_error")) {
		l = log_new(m, SEV_FAILING, "disk", 0);
		snprintf(l->text, sizeof(l->text), "%s %s error at %.0f+%.0f errno %.0f",
			 jstr(o, "disk"), jstr(o, "op"), jnum(o, "sector"), jnum(o, "sectors"),
			 jnum(o, "errno"));
	} else if (!strcmp(type, "oom_kill") || !strcmp(type, "crash")) {
		l = log_new(m, SEV_FAILING, "process", 0);
		snprintf(l->text, sizeof(l->text), "%s: pid %s (%s) in %s, signal %s", type,
			 jstr(o, "pid"), jstr(o, "comm"), jstr(o, "cgroup"), jstr(o, "signal"));
	} else {
		/* A kind of event this healtop does not know yet: shown as heald sent it. */
		l = log_new(m, SEV_INFO, *type ? type : "event", 0);
		snprintf(l->text, sizeof(l->text), "%s",
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	}
	if (t)
		clock_of(l->when, sizeof(l->when), t);
}

bool model_events(struct model *m)
{
	struct linebuf *b = &m->ev;

	if (!m->connected || m->ev_fd < 0)
		return false;
	for (;;) {
		ssize_t n;

		if (b->cap - b->len < 65536) {
			size_t cap = b->cap ? b->cap * 2 : 131072;
			char *p;

			if (cap > EV_LINE_MAX) {
				model_disconnect(m, "heald sent an event line too long");
				return false;
			}
			p = realloc(b->buf, cap);
			if (!p) {
				model_disconnect(m, "out of memory");
				return false;
			}
			b->buf = p;
			b->cap = cap;
		}
		n = read(m->ev_fd, b->buf + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			model_disconnect(m, n ? strerror(errno) : "heald closed the connection");
			return false;
		}
		b->len += (size_t)n;
	}
	model_lines(m);
	return true;
}

void model_lines(struct model *m)
{
	struct linebuf *b = &m->ev;
	char *nl;

	while ((nl = memchr(b->buf, '\n', b->len))) {
		size_t part = (size_t)(nl - b->buf);
		struct json_object *o;

		*nl = '\0';
		o = json_tokener_parse(b->buf);
		if (o)
			on_event(m, o);
		json_object_put(o);
		b->len -= part + 1;
		memmove(b->buf, nl + 1, b->len);
	}
}

/* The journal since the last entry seen: what happened while away. */
static void fetch_journal(struct model *m)
{
	struct json_object *req = request("journal"), *r;
	size_t i;

	json_object_object_add(req, "after", json_object_new_int64((int64_t)m->last_jid));
	json_object_object_add(req, "limit", json_object_new_int(JOURNAL_BACKLOG));
	r = model_call(m, req);
	if (r && jbool(r, "ok"))
		for (i = 0; i < jlen(jget(r, "entries")); i++)
			log_journal(m, jidx(jget(r, "entries"), i));
	else if (r)
		log_add(m, SEV_FAILED, "heald", 0, "journal: %s", jstr(r, "error"));
	json_object_put(r);
}

static int fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static int connect_both(struct model *m)
{
	struct json_object *req;
	char err[256];
	int fd, ret;

	fd = hd_connect(m->path, err, sizeof(err));
	if (fd < 0) {
		snprintf(m->err, sizeof(m->err), "%s", err);
		return -1;
	}
	m->ev_fd = fd;
	fd = hd_connect(m->path, err, sizeof(err));
	if (fd < 0) {
		close(m->ev_fd);
		m->ev_fd = -1;
		snprintf(m->err, sizeof(m->err), "%s", err);
		return -1;
	}
	m->req_fd = fd;
	req = request("events");
	ret = hd_send(m->ev_fd, req);
	json_object_put(req);
	/* Non-blocking from here: the stream is read when poll() says so. */
	if (ret || fcntl_nonblock(m->ev_fd)) {
		m->connected = true;
		model_disconnect(m, "cannot subscribe to heald's events");
		return -1;
	}
	m->connected = true;
	m->ev.len = 0;
	m->err[0] = '\0';
	return 0;
}

static void track(struct model *m, struct json_object *st)
{
	struct json_object *arr = jget(st, "disks");
	double t = now_mono();
	size_t i;
	int k;

	for (i = 0; i < jlen(arr); i++) {
		struct json_object *d = jidx(arr, i);
		const char *name = jstr(d, "name");
		struct disk_hist *h = NULL;

		for (k = 0; k < m->ndisks && !h; k++)
			if (!strcmp(m->disks[k].name, name))
				h = &m->disks[k];
		if (!h && m->ndisks < MAX_TRACKED) {
			h = &m->disks[m->ndisks++];
			memset(h, 0, sizeof(*h));
			snprintf(h->name, sizeof(h->name), "%s", name);
		}
		if (!h)
			continue;
		hist_push(&h->p50, jnum(d, "p50_us"));
		hist_push(&h->p99, jnum(d, "p99_us"));
		hist_push(&h->iops, jnum(d, "iops"));
		h->seen = m->snapshots;
	}
	for (i = 0; i < jlen(jget(st, "links")) + jlen(jget(st, "uplinks")); i++) {
		bool up = i >= jlen(jget(st, "links"));
		struct json_object *l = up ? jidx(jget(st, "uplinks"), i - jlen(jget(st, "links"))) :
				       jidx(jget(st, "links"), i);
		char name[48];
		struct link_rate *r = NULL;
		double rt = jnum(l, up ? "tcp_retransmits" : "retransmits"), dr = jnum(l, "drops");

		/* Rows are keyed as the Network panel keys them. */
		snprintf(name, sizeof(name), "%s%s", up ? "uplink:" : "", jstr(l, "name"));

		for (k = 0; k < m->nlinks && !r; k++)
			if (!strcmp(m->links[k].name, name))
				r = &m->links[k];
		if (!r && m->nlinks < MAX_TRACKED) {
			r = &m->links[m->nlinks++];
			memset(r, 0, sizeof(*r));
			snprintf(r->name, sizeof(r->name), "%s", name);
		} else if (r && t > r->t && rt >= r->retrans && dr >= r->drops) {
			/* Counters that went back: heald restarted; wait a sample. */
			r->retrans_s = (rt - r->retrans) / (t - r->t);
			r->drops_s = (dr - r->drops) / (t - r->t);
		}
		if (!r)
			continue;
		r->retrans = rt;
		r->drops = dr;
		r->t = t;
		r->seen = m->snapshots;
	}
}

int model_refresh(struct model *m)
{
	struct json_object *r;
	bool fresh = false;

	if (!m->connected) {
		if (connect_both(m))
			return -1;
		fresh = true;
	}
	r = model_call(m, request("status"));
	if (!r)
		return -1;
	m->refused = false;
	if (!jbool(r, "ok")) {
		/* Connected but refused (reads are for root and heald's group). */
		char why[256];

		snprintf(why, sizeof(why), "heald: %s", jstr(r, "error"));
		json_object_put(r);
		m->refused = true;
		model_disconnect(m, why);
		return -1;
	}
	if (fresh) {
		int pid = (int)num_clamp(jnum(jget(r, "heald"), "pid"), 0, 1e9);

		/* A journal that starts again below what we saw is a new one. */
		if (jnum(jget(r, "heald"), "journal_next_id") <= (double)m->last_jid)
			m->last_jid = 0;
		/* The backlog first: the log reads newest first by arrival. */
		fetch_journal(m);
		if (!m->ever_connected)
			log_add(m, SEV_OK, "heald", 0, "connected to heald (pid %d) at %s", pid, m->path);
		else
			log_add(m, SEV_OK, "heald", 0, "reconnected to heald (pid %d%s)", pid,
				pid != m->heald_pid ? ", restarted" : "");
		m->heald_pid = pid;
		m->ever_connected = true;
		if (!m->connected) {
			json_object_put(r);
			return -1;
		}
	}
	model_take(m, r);
	return 0;
}

void model_take(struct model *m, struct json_object *st)
{
	json_object_put(m->st);
	m->st = st;
	m->st_time = now_mono();
	m->snapshots++;
	track(m, st);
}

const struct disk_hist *disk_hist_find(const struct model *m, const char *name)
{
	int k;

	for (k = 0; k < m->ndisks; k++)
		if (!strcmp(m->disks[k].name, name))
			return &m->disks[k];
	return NULL;
}

const struct link_rate *link_rate_find(const struct model *m, const char *name)
{
	int k;

	for (k = 0; k < m->nlinks; k++)
		if (!strcmp(m->links[k].name, name))
			return &m->links[k];
	return NULL;
}
