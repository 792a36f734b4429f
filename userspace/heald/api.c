// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a Unix stream socket speaking JSON lines.  Each
 * request is one object {"cmd": ...}; each reply one object with "ok".
 * Who may do what comes from the kernel (SO_PEERCRED, SO_PEERGROUPS),
 * never from the request: reads for root and the configured group,
 * actions for root.  A bad request gets an error reply and the
 * connection stays; one longer than the buffer gets an error and is
 * closed (there is no telling where the next request would start).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <json-c/json.h>
#include "../lib/hb_parse.h"
#include "heald.h"

#define CLIENT_OUT_MAX (1 << 20)	/* a subscriber this far behind is dropped */

int api_open(struct heald *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *g = getgrnam(h->cfg.group);
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h->cfg.socket);
	snprintf(dir, sizeof(dir), "%s", h->cfg.socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		hlog(LOG_ERR, "socket: %s", strerror(errno));
		return -errno;
	}
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		hlog(LOG_ERR, "%s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -errno;
	}
	/* Everyone may connect; the credentials decide what they may do. */
	chmod(sa.sun_path, 0666);
	if (!g)
		hlog(LOG_INFO, "group '%s' does not exist: reads are for root only", h->cfg.group);
	h->listen_fd = fd;
	h->w_listen = (struct watch){ TAG_LISTEN, fd };
	return loop_add(h, &h->w_listen);
}

static void client_free(struct heald *h, struct client *c)
{
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++)
		if (h->clients[i] == c)
			h->clients[i] = NULL;
	if (c->subscribed)
		h->subscribers--;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

static bool in_group(int fd, gid_t gid, gid_t primary)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (primary == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

void api_accept(struct heald *h)
{
	struct group *g = getgrnam(h->cfg.group);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd, i;

	while ((fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HEALD_MAX_CLIENTS && h->clients[i]; i++)
			;
		if (i == HEALD_MAX_CLIENTS || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    !(c = calloc(1, sizeof(*c)))) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";

			if (write(fd, busy, sizeof(busy) - 1) < 0)
				h->api_errors++;
			close(fd);
			continue;
		}
		c->w = (struct watch){ TAG_CLIENT, fd };
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->may_act = cred.uid == 0;
		c->may_read = cred.uid == 0 || (g && in_group(fd, g->gr_gid, cred.gid));
		h->clients[i] = c;
		if (loop_add(h, &c->w))
			client_free(h, c);
	}
}

static void client_flush(struct heald *h, struct client *c)
{
	struct epoll_event e = { .data.ptr = &c->w };

	while (c->outlen) {
		ssize_t n = write(c->fd, c->out, c->outlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->outlen = 0;	/* gone: the read side notices */
			break;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	e.events = EPOLLIN | (c->outlen ? EPOLLOUT : 0);
	epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &e);
}

/* Queue one line; false when the client is too far behind. */
static bool client_send(struct heald *h, struct client *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);

	if (c->outlen + len + 1 > CLIENT_OUT_MAX)
		return false;
	if (c->outlen + len + 1 > c->outcap) {
		size_t cap = (c->outlen + len + 1) * 2;
		char *p = realloc(c->out, cap);

		if (!p)
			return false;
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	client_flush(h, c);
	return true;
}

static struct json_object *error_reply(const char *fmt, const char *arg)
{
	struct json_object *o = json_object_new_object();
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *ok_reply(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	return o;
}

struct json_object *api_event(struct heald *h, const char *type)
{
	struct json_object *o;

	if (!h->subscribers)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "time", json_object_new_double(now_wall()));
	return o;
}

void api_publish(struct heald *h, struct json_object *o)
{
	if (!o)
		return;
	api_broadcast(h, o);
	json_object_put(o);
}

void api_broadcast(struct heald *h, struct json_object *o)
{
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
		struct client *c = h->clients[i];

		if (c && c->subscribed && !client_send(h, c, o)) {
			hlog(LOG_WARNING, "client pid %d is too slow for events: dropped", c->pid);
			client_free(h, c);
		}
	}
}

/* "dev": "healblk0" | "/dev/healblk0" | 0 */
static int get_dev(struct heald *h, struct json_object *req, struct dev_track **d)
{
	struct json_object *v;
	uint32_t index;

	if (!json_object_object_get_ex(req, "dev", &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0 || json_object_get_int64(v) > 1 << 20)
			return -1;
		index = (uint32_t)json_object_get_int64(v);
	} else if (!json_object_is_type(v, json_type_string) ||
		   hb_parse_dev_index(json_object_get_string(v), &index)) {
		return -1;
	}
	*d = dev_find(h, index);
	return *d ? 0 : -2;
}

static int get_uint(struct json_object *req, const char *key, uint64_t max, uint64_t *val)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v))
		return 1;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
	    (uint64_t)json_object_get_int64(v) > max)
		return -1;
	*val = (uint64_t)json_object_get_int64(v);
	return 0;
}

static struct json_object *do_act(struct heald *h, struct client *c, struct json_object *req)
{
	struct json_object *v, *ev, *r;
	const char *action;
	struct dev_track *d;
	uint64_t leg = 0, id;
	char why[256] = "", reason[200];
	int ret;

	if (!c->may_act)
		return error_reply("permission denied: actions are for root%s", "");
	if (!json_object_object_get_ex(req, "action", &v) || !json_object_is_type(v, json_type_string))
		return error_reply("act: \"action\" (fail-leg, add-spare, rebuild, scrub, reroute) is missing%s", "");
	action = json_object_get_string(v);
	if (!strcmp(action, "reroute")) {
		const char *to = NULL;

		if (json_object_object_get_ex(req, "uplink", &v)) {
			if (!json_object_is_type(v, json_type_string))
				return error_reply("act reroute: \"uplink\" must be an uplink's name%s", "");
			to = json_object_get_string(v);
		}
		id = net_act_reroute(h, to, c->uid, why, sizeof(why));
		if (!id)
			return error_reply("act reroute: %s", why);
		r = journal_why(&h->journal, id);
		if (!r)
			return error_reply("journal: the decision is not in memory%s", "");
		json_object_object_add(r, "ok", json_object_new_boolean(true));
		return r;
	}
	ret = get_dev(h, req, &d);
	if (ret)
		return error_reply(ret == -2 ? "act: no such healblk device%s" :
				   "act: \"dev\" is missing or not a device name%s", "");
	ev = json_object_new_object();
	json_object_object_add(ev, "source", json_object_new_string("control socket"));
	json_object_object_add(ev, "uid", json_object_new_int((int)c->uid));
	json_object_object_add(ev, "pid", json_object_new_int((int)c->pid));

	if (!strcmp(action, "fail-leg") || !strcmp(action, "rebuild")) {
		bool fail = !strcmp(action, "fail-leg");

		if (get_uint(req, "leg", HEALBLK_MAX_LEGS - 1, &leg)) {
			json_object_put(ev);
			return error_reply("act %s: \"leg\" must be 0..3", action);
		}
		if (leg >= d->info.nr_legs) {
			json_object_put(ev);
			return error_reply("act %s: the device has no such leg", action);
		}
		snprintf(reason, sizeof(reason), "asked by uid %u (pid %d)", c->uid, c->pid);
		if (fail) {
			/* The operator may fail any leg but the last good copy (the kernel refuses that). */
			id = act_run(h, d, (int)leg, ACT_FAIL_LEG, "operator", ev, reason, h->cfg.dry_run);
		} else {
			id = act_run(h, d, (int)leg, ACT_REBUILD, "operator", ev, reason, h->cfg.dry_run);
		}
	} else if (!strcmp(action, "scrub") || !strcmp(action, "add-spare")) {
		struct json_object *e;
		const char *disk = NULL;

		if (!strcmp(action, "add-spare")) {
			if (!json_object_object_get_ex(req, "disk", &v) ||
			    !json_object_is_type(v, json_type_string)) {
				json_object_put(ev);
				return error_reply("act add-spare: \"disk\" (a block device path) is missing%s", "");
			}
			disk = json_object_get_string(v);
			json_object_object_add(ev, "disk", json_object_new_string(disk));
		}
		snprintf(reason, sizeof(reason), "asked by uid %u (pid %d)", c->uid, c->pid);
		e = decision_entry(h, d->info.name, action, "operator", reason, ev, true);
		json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
		id = jappend(h, e);
		if (!id)
			return error_reply("journal: %s: nothing done", strerror(errno));
		e = outcome_entry(id, NULL, NULL, true);
		if (h->cfg.dry_run) {
			json_object_object_add(e, "outcome", json_object_new_string("not taken: dry run"));
		} else {
			ret = disk ? act_add_spare(h, d->info.index, disk, why, sizeof(why)) :
				     act_scrub(h, d->info.index, why, sizeof(why));
			json_object_object_add(e, "outcome", json_object_new_string(ret ? "failed" : "done"));
			if (ret)
				json_object_object_add(e, "detail", json_object_new_string(why));
			src_healblk_refresh(h);
		}
		jappend(h, e);
	} else {
		json_object_put(ev);
		return error_reply("act: unknown action '%s' (fail-leg, add-spare, rebuild, scrub, reroute)", action);
	}
	if (!id)
		return error_reply("journal: %s: nothing done", strerror(errno));
	r = journal_why(&h->journal, id);
	if (!r)
		return error_reply("journal: the decision is not in memory%s", "");
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	return r;
}

static struct json_object *handle(struct heald *h, struct client *c, const char *line)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *v, *r;
	const char *cmd;
	uint64_t n = 0, limit = 100;

	req = json_tokener_parse_ex(tok, line, (int)strlen(line));
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)strlen(line)) {
		r = error_reply("malformed request: not one JSON object%s", "");
		json_object_put(req);
		json_tokener_free(tok);
		return r;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(req);
		return error_reply("malformed request: no \"cmd\" string%s", "");
	}
	cmd = json_object_get_string(v);
	if (!c->may_read && strcmp(cmd, "act")) {
		r = error_reply("permission denied: reads are for root and the '%s' group", h->cfg.group);
	} else if (!strcmp(cmd, "status")) {
		r = health_status(h);
		json_object_object_add(r, "ok", json_object_new_boolean(true));
	} else if (!strcmp(cmd, "journal")) {
		if (get_uint(req, "after", UINT64_MAX >> 1, &n) < 0 ||
		    get_uint(req, "limit", JOURNAL_RECENT, &limit) < 0) {
			r = error_reply("journal: \"after\" and \"limit\" must be whole numbers (limit <= 1024)%s", "");
		} else {
			r = ok_reply();
			json_object_object_add(r, "entries", journal_query(&h->journal, n, (uint32_t)limit));
		}
	} else if (!strcmp(cmd, "why")) {
		if (get_uint(req, "id", UINT64_MAX >> 1, &n)) {
			r = error_reply("why: \"id\" (a journal entry id) is missing%s", "");
		} else if (!(r = journal_why(&h->journal, n))) {
			r = error_reply("why: no journal entry with that id in memory%s", "");
		} else {
			json_object_object_add(r, "ok", json_object_new_boolean(true));
		}
	} else if (!strcmp(cmd, "events")) {
		if (!c->subscribed)
			h->subscribers++;
		c->subscribed = true;
		r = ok_reply();
	} else if (!strcmp(cmd, "act")) {
		r = do_act(h, c, req);
	} else {
		r = error_reply("unknown command '%s' (status, journal, why, events, act)", cmd);
	}
	json_object_put(req);
	return r;
}

void api_client_ready(struct heald *h, struct client *c, uint32_t events)
{
	char *nl;
	ssize_t n;

	if (events & EPOLLOUT)
		client_flush(h, c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_free(h, c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		struct json_object *r;
		bool ok;

		*nl = '\0';
		if (memchr(c->in, '\0', (size_t)(nl - c->in)) != NULL)
			r = error_reply("malformed request: NUL byte%s", "");
		else
			r = handle(h, c, c->in);
		if (json_object_object_get_ex(r, "ok", NULL) && !json_object_get_boolean(
			json_object_object_get(r, "ok")))
			h->api_errors++;
		ok = client_send(h, c, r);
		json_object_put(r);
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
		if (!ok) {
			client_free(h, c);
			return;
		}
	}
	if (c->inlen == sizeof(c->in) - 1) {
		struct json_object *r = error_reply("request longer than %s bytes: closing", "4095");

		h->api_errors++;
		client_send(h, c, r);
		json_object_put(r);
		client_free(h, c);
	}
}

void api_close(struct heald *h)
{
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++)
		if (h->clients[i])
			client_free(h, h->clients[i]);
	if (h->listen_fd > 0) {
		close(h->listen_fd);
		unlink(h->cfg.socket);
	}
}
