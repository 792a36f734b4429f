// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: each [peer]'s heald is asked for its health over SSH with the
 * operator's key (`ssh PEER healctl status --json`, a child of the loop,
 * never waited on), every peer_interval seconds and again before a move
 * when its last answer is older than peer_max_age.  ssh never prompts
 * (BatchMode) and never accepts a host key it does not know.
 *
 * This node as a peer: a source's heald announces a move with
 * `healctl receive begin` (refused while this node is not ok, full, or
 * already receiving: one move in at a time, so two sources that chose
 * this node at once cannot both send), and ends it with `healctl receive
 * end` (the restored pid, or --failed).  A move whose source goes quiet
 * is dropped at move_deadline.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "child.h"
#include "heald.h"

static const char *const health_names[] = { "ok", "degraded", "failing", "failed" };

void argv_add(struct argv_buf *a, const char *fmt, ...)
{
	size_t room = sizeof(a->store) - a->used;
	va_list ap;
	int n;

	if (a->argc >= (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->store + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return;		/* config.c bounds every piece: never reached */
	a->argv[a->argc++] = a->store + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
}

const char *shell_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* ssh's options: never a prompt, never an unknown host key, a dead peer seen within 15 s. */
static void ssh_options(struct heald *h, const struct peer_conf *p, struct argv_buf *a)
{
	argv_add(a, "-o");
	argv_add(a, "BatchMode=yes");
	argv_add(a, "-o");
	argv_add(a, "StrictHostKeyChecking=yes");
	argv_add(a, "-o");
	argv_add(a, "ConnectTimeout=%.0f", h->cfg.peer_timeout);
	argv_add(a, "-o");
	argv_add(a, "ServerAliveInterval=5");
	argv_add(a, "-o");
	argv_add(a, "ServerAliveCountMax=3");
	argv_add(a, "-o");
	argv_add(a, "LogLevel=ERROR");
	/*
	 * One connection to the peer for all the steps of a move: each new
	 * one is a key exchange (measured in the TCG VM test: 15-25 s each
	 * on a loaded host); the master closes after 60 idle seconds.
	 */
	argv_add(a, "-o");
	argv_add(a, "ControlMaster=auto");
	argv_add(a, "-o");
	argv_add(a, "ControlPath=%s/.ssh-%%C", h->cfg.migrate_dir);
	argv_add(a, "-o");
	argv_add(a, "ControlPersist=60");
	if (p->identity[0]) {
		argv_add(a, "-i");
		argv_add(a, "%s", p->identity);
		argv_add(a, "-o");
		argv_add(a, "IdentitiesOnly=yes");
	}
	if (p->known_hosts[0]) {
		argv_add(a, "-o");
		argv_add(a, "UserKnownHostsFile=%s", p->known_hosts);
	}
	if (p->port) {
		argv_add(a, "-p");
		argv_add(a, "%u", p->port);
	}
	argv_add(a, "-l");
	argv_add(a, "%s", p->user);
}

struct child *peer_run(struct heald *h, const char *what, char *const argv[], double timeout,
		       void (*done)(struct heald *h, struct child *c, void *ctx), void *ctx, char *err,
		       size_t errlen)
{
	const struct child_spec s = {
		.path = argv[0], .argv = argv, .heald_env = true,
		.outmax = CHILD_OUT_MAX, .errmax = CHILD_ERR_MAX,
		.timeout = timeout, .what = what, .done = done, .ctx = ctx,
	};
	struct child *c;

	return child_spawn(h, &s, &c, err, errlen) ? NULL : c;
}

void peer_ssh_argv(struct heald *h, const struct peer_conf *p, struct argv_buf *a)
{
	memset(a, 0, sizeof(*a));
	argv_add(a, "ssh");
	ssh_options(h, p, a);
	argv_add(a, "%s", p->address);
	argv_add(a, "--");
}

/* The ssh command as one string, for rsync -e (config.c allows no spaces in its pieces). */
void peer_ssh_cmdline(struct heald *h, const struct peer_conf *p, char *buf, size_t len)
{
	struct argv_buf a = { 0 };
	size_t o = 0;
	int i;

	argv_add(&a, "ssh");
	ssh_options(h, p, &a);
	buf[0] = '\0';
	for (i = 0; i < a.argc && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", a.argv[i]);
}

/* "[env HEAL_SOCKET='S'] 'healctl' ARGS" for the peer's shell. */
void peer_healctl(const struct peer_conf *p, const char *args, char *buf, size_t len)
{
	char q1[256], q2[256];

	if (p->socket[0])
		snprintf(buf, len, "env HEAL_SOCKET=%s %s %s", shell_quote(p->socket, q1, sizeof(q1)),
			 shell_quote(p->healctl, q2, sizeof(q2)), args);
	else
		snprintf(buf, len, "%s %s", shell_quote(p->healctl, q2, sizeof(q2)), args);
}

void peer_open(struct heald *h)
{
	char dir[sizeof(h->cfg.migrate_dir)], *s;
	int i;

	/* ssh's control sockets live there (0700): made before the first ask. */
	snprintf(dir, sizeof(dir), "%s", h->cfg.migrate_dir);
	for (s = dir + 1; h->cfg.npeer && *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(dir, 0700);
			*s = '/';
		}
	if (h->cfg.npeer && mkdir(dir, 0700) < 0 && errno != EEXIST)
		hlog(LOG_WARNING, "%s: %s: ssh connections to peers are not shared", dir, strerror(errno));

	h->npeers = h->cfg.npeer;
	for (i = 0; i < h->npeers; i++) {
		memset(&h->peers[i], 0, sizeof(h->peers[i]));
		h->peers[i].conf = &h->cfg.peer[i];
	}
}

static int health_of(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (s && !strcmp(s, health_names[i]))
			return i;
	return 3;	/* anything else: not fit to receive */
}

static void asked(struct heald *h, struct child *c, void *ctx)
{
	struct peer_track *p = ctx;
	struct json_object *o = NULL, *hd, *mg, *v;
	char res[256];

	(void)h;
	p->asking = false;
	p->answered = false;
	if (!child_ok(c)) {
		snprintf(p->error, sizeof(p->error), "%.199s", child_result(c, res, sizeof(res)));
		hlog(LOG_INFO, "peer %s: no health: %s", p->conf->name, p->error);
		return;
	}
	o = json_tokener_parse(child_out(c, NULL));
	if (!o || !json_object_object_get_ex(o, "heald", &hd) ||
	    !json_object_object_get_ex(hd, "health", &v)) {
		snprintf(p->error, sizeof(p->error), "its heald's status is not what heald expects");
		json_object_put(o);
		return;
	}
	p->health = health_of(json_object_get_string(v));
	p->accepting = false;
	p->receiving = p->hosted = p->receive_max = 0;
	p->mem_available = 0;
	p->node[0] = '\0';
	if (json_object_object_get_ex(hd, "migration", &mg)) {
		if (json_object_object_get_ex(mg, "node", &v))
			snprintf(p->node, sizeof(p->node), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(mg, "accepting", &v))
			p->accepting = json_object_get_boolean(v);
		if (json_object_object_get_ex(mg, "receive_max", &v))
			p->receive_max = (uint32_t)json_object_get_int(v);
		if (json_object_object_get_ex(mg, "receiving", &v) && json_object_is_type(v, json_type_array))
			p->receiving = (uint32_t)json_object_array_length(v);
		if (json_object_object_get_ex(mg, "hosted", &v) && json_object_is_type(v, json_type_array))
			p->hosted = (uint32_t)json_object_array_length(v);
		if (json_object_object_get_ex(mg, "mem_available_bytes", &v))
			p->mem_available = (uint64_t)json_object_get_int64(v);
	} else {
		snprintf(p->error, sizeof(p->error), "its heald does not receive workloads (too old?)");
	}
	p->answered = true;
	p->answered_at = now_mono();
	p->counted_ours = p->inflight && p->receiving;
	if (p->accepting)
		p->error[0] = '\0';
	json_object_put(o);
}

bool peer_ask(struct heald *h, struct peer_track *p)
{
	struct argv_buf a;
	char cmd[512], err[256], what[64];

	if (p->asking)
		return true;
	peer_ssh_argv(h, p->conf, &a);
	peer_healctl(p->conf, "status --json", cmd, sizeof(cmd));
	argv_add(&a, "%s", cmd);
	snprintf(what, sizeof(what), "ssh %s status", p->conf->name);
	p->asked_at = now_mono();
	if (!peer_run(h, what, a.argv, h->cfg.peer_timeout + 5, asked, p, err, sizeof(err))) {
		snprintf(p->error, sizeof(p->error), "%.199s", err);
		p->answered = false;
		return false;
	}
	p->asking = true;
	return true;
}

static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

static void receive_outcome(struct heald *h, uint64_t ref, const char *outcome, const char *detail)
{
	jappend(h, outcome_entry(ref, outcome, detail, true));
}

void peer_tick(struct heald *h)
{
	double now = now_mono();
	char detail[200];
	int i;

	for (i = 0; i < h->npeers; i++) {
		struct peer_track *p = &h->peers[i];

		if (!p->asking && (!p->asked_at || now - p->asked_at >= h->cfg.peer_interval))
			peer_ask(h, p);
	}
	for (i = 0; i < h->nincoming; i++) {
		struct incoming *in = &h->incoming[i];

		if (now < in->deadline)
			continue;
		snprintf(detail, sizeof(detail), "no word from %s about %s within %.0f s: dropped",
			 in->from, in->workload, h->cfg.move_deadline);
		hlog(LOG_WARNING, "receive: %s", detail);
		receive_outcome(h, in->entry, "abandoned", detail);
		h->incoming[i--] = h->incoming[--h->nincoming];
	}
	for (i = 0; i < h->nhosted; i++)
		if (h->hosted[i].pid && !alive(h->hosted[i].pid))
			h->hosted[i--] = h->hosted[--h->nhosted];
}

static const char *not_ok_reason(struct json_object *st)
{
	struct json_object *res, *v;
	size_t i;

	if (!json_object_object_get_ex(st, "resources", &res))
		return "";
	for (i = 0; i < json_object_array_length(res); i++) {
		struct json_object *r = json_object_array_get_idx(res, i);

		if (json_object_object_get_ex(r, "state", &v) && strcmp(json_object_get_string(v), "ok") &&
		    json_object_object_get_ex(r, "name", &v))
			return json_object_get_string(v);
	}
	return "";
}

static struct json_object *reply(bool ok, const char *error)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	if (error)
		json_object_object_add(r, "error", json_object_new_string(error));
	return r;
}

struct json_object *peer_receive(struct heald *h, const char *phase, const char *workload,
				 const char *from, int pid, const char *domain, bool failed)
{
	char msg[300], res[48];
	struct json_object *e, *st, *v;
	int i;

	if (!strcmp(phase, "begin")) {
		const char *health;

		if (!h->cfg.receive_max)
			return reply(false, "this node takes no workloads (receive_max = 0)");
		if (h->nincoming) {
			snprintf(msg, sizeof(msg), "busy: receiving %s from %s", h->incoming[0].workload,
				 h->incoming[0].from);
			return reply(false, msg);
		}
		if ((uint32_t)h->nhosted >= h->cfg.receive_max) {
			snprintf(msg, sizeof(msg), "full: it holds %d workloads (receive_max %u)", h->nhosted,
				 h->cfg.receive_max);
			return reply(false, msg);
		}
		st = health_status(h);
		health = json_object_object_get_ex(st, "health", &v) ? json_object_get_string(v) : "?";
		if (strcmp(health, "ok")) {
			snprintf(msg, sizeof(msg), "this node is %s (%s)", health, not_ok_reason(st));
			json_object_put(st);
			return reply(false, msg);
		}
		json_object_put(st);
		snprintf(res, sizeof(res), "workload:%.31s", workload);
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string("receive"));
		json_object_object_add(e, "resource", json_object_new_string(res));
		json_object_object_add(e, "from", json_object_new_string(from));
		snprintf(msg, sizeof(msg), "receiving %s from %s", workload, from);
		json_object_object_add(e, "reason", json_object_new_string(msg));
		h->incoming[0].entry = jappend(h, e);
		if (!h->incoming[0].entry)
			return reply(false, "journal: the receive could not be written");
		snprintf(h->incoming[0].workload, sizeof(h->incoming[0].workload), "%s", workload);
		snprintf(h->incoming[0].from, sizeof(h->incoming[0].from), "%s", from);
		h->incoming[0].since = now_mono();
		h->incoming[0].deadline = h->incoming[0].since + h->cfg.move_deadline;
		h->nincoming = 1;
		hlog(LOG_NOTICE, "%s", msg);
		return reply(true, NULL);
	}
	for (i = 0; i < h->nincoming; i++)
		if (!strcmp(h->incoming[i].workload, workload) && !strcmp(h->incoming[i].from, from))
			break;
	if (i == h->nincoming) {
		snprintf(msg, sizeof(msg), "no move of %s from %s is under way here", workload, from);
		return reply(false, msg);
	}
	{
		struct incoming in = h->incoming[i];

		h->incoming[i] = h->incoming[--h->nincoming];
		if (failed) {
			snprintf(msg, sizeof(msg), "the move of %s from %s failed at its source", workload, from);
			receive_outcome(h, in.entry, "failed", msg);
			hlog(LOG_NOTICE, "%s", msg);
			return reply(true, NULL);
		}
		/* A VM's source saw it run here through libvirt: its qemu's pid is libvirtd's business. */
		if (domain && domain[0]) {
			snprintf(msg, sizeof(msg), "%s from %s runs here as libvirt domain %s", workload, from,
				 domain);
		} else if (!alive(pid)) {
			snprintf(msg, sizeof(msg), "%s from %s: pid %d is not running here", workload, from, pid);
			receive_outcome(h, in.entry, "failed", msg);
			return reply(false, msg);
		} else {
			snprintf(msg, sizeof(msg), "%s from %s runs here as pid %d", workload, from, pid);
		}
		receive_outcome(h, in.entry, "received", msg);
		hlog(LOG_NOTICE, "%s", msg);
		if (h->nhosted < HEALD_MAX_HOSTED) {
			struct hosted *ho = &h->hosted[h->nhosted++];

			snprintf(ho->workload, sizeof(ho->workload), "%s", workload);
			snprintf(ho->from, sizeof(ho->from), "%s", from);
			ho->pid = domain && domain[0] ? 0 : pid;
			snprintf(ho->domain, sizeof(ho->domain), "%s", domain ? domain : "");
			ho->since = now_wall();
		}
	}
	return reply(true, NULL);
}

struct json_object *peer_status(struct heald *h)
{
	struct json_object *o = json_object_new_object(), *a;
	double now = now_mono();
	int i;

	json_object_object_add(o, "node", json_object_new_string(h->node_name));
	json_object_object_add(o, "accepting", json_object_new_boolean(h->cfg.receive_max > 0));
	json_object_object_add(o, "receive_max", json_object_new_int((int)h->cfg.receive_max));
	json_object_object_add(o, "mem_available_bytes", json_object_new_int64((int64_t)mem_available()));
	json_object_object_add(o, "moving", json_object_new_int((int)h->moving));
	a = json_object_new_array();
	for (i = 0; i < h->nincoming; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "workload", json_object_new_string(h->incoming[i].workload));
		json_object_object_add(r, "from", json_object_new_string(h->incoming[i].from));
		json_object_object_add(r, "for_s", json_object_new_double(now - h->incoming[i].since));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "receiving", a);
	a = json_object_new_array();
	for (i = 0; i < h->nhosted; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "workload", json_object_new_string(h->hosted[i].workload));
		json_object_object_add(r, "from", json_object_new_string(h->hosted[i].from));
		json_object_object_add(r, "pid", json_object_new_int((int)h->hosted[i].pid));
		if (h->hosted[i].domain[0])
			json_object_object_add(r, "domain", json_object_new_string(h->hosted[i].domain));
		json_object_object_add(r, "since", json_object_new_double(h->hosted[i].since));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "hosted", a);
	a = json_object_new_array();
	for (i = 0; i < h->npeers; i++) {
		const struct peer_track *p = &h->peers[i];
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "name", json_object_new_string(p->conf->name));
		json_object_object_add(r, "address", json_object_new_string(p->conf->address));
		json_object_object_add(r, "answered", json_object_new_boolean(p->answered));
		if (p->answered_at)
			json_object_object_add(r, "age_s", json_object_new_double(now - p->answered_at));
		json_object_object_add(r, "health", json_object_new_string(
			p->answered ? health_names[p->health & 3] : "unknown"));
		if (p->node[0])
			json_object_object_add(r, "node", json_object_new_string(p->node));
		json_object_object_add(r, "accepting", json_object_new_boolean(p->accepting));
		json_object_object_add(r, "receiving", json_object_new_int((int)p->receiving));
		json_object_object_add(r, "hosted", json_object_new_int((int)p->hosted));
		json_object_object_add(r, "receive_max", json_object_new_int((int)p->receive_max));
		json_object_object_add(r, "mem_available_bytes",
				       json_object_new_int64((int64_t)p->mem_available));
		json_object_object_add(r, "capacity", json_object_new_int((int)p->conf->capacity));
		json_object_object_add(r, "sent", json_object_new_int((int)p->sent));
		json_object_object_add(r, "inflight", json_object_new_boolean(p->inflight));
		if (p->error[0])
			json_object_object_add(r, "error", json_object_new_string(p->error));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "peers", a);
	return o;
}
