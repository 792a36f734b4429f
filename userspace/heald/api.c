// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a Unix stream socket speaking JSON lines.  Each
 * request is one object {"cmd": ...}; each reply one object with "ok".
 * Who may do what comes from the kernel (SO_PEERCRED, SO_PEERGROUPS),
 * never from the request: reads for root and the configured group,
 * actions for root.  A bad request gets an error reply and the
 * connection stays; one longer than the buffer gets an error and is
 * closed (there is no telling where the next request would start).
 *
 * Fair share, so that no local user can lock root out:
 *  - a uid neither root nor in the group holds at most
 *    max_clients_per_user connections, and all such users together half
 *    the table; group members at most CLIENTS_PER_READER each; root always
 *    finds a slot (CLIENTS_ROOT are kept for it);
 *  - each client gets at most CLIENT_REQS_PER_TURN requests served per
 *    loop turn (one outside the group: it can only be told no), and none
 *    while CLIENT_OUT_PAUSE of its replies are unread:
 *    a flood costs the flooder, not the others;
 *  - a connection of such a user that sends no request for
 *    client_idle_timeout seconds is closed.
 * A reply always goes out whole, whatever its size (it is bounded by the
 * journal in memory); events are what a subscriber may fall behind on, up
 * to CLIENT_OUT_MAX, then it is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <json-c/json.h>
#include "../lib/schema.h"
#include "heald.h"
#include "request.h"

#define CLIENT_OUT_MAX (1 << 20)	/* a subscriber this far behind is dropped */
#define CLIENT_OUT_PAUSE (64 << 10)	/* no request is read while this much is unsent */
#define CLIENT_REQS_PER_TURN 8
#define CLIENT_REQS_PER_TURN_OTHER 1	/* who may read nothing has nothing to hurry */
#define CLIENTS_PER_READER 32
#define CLIENTS_ROOT 32			/* never taken by anyone but root */
#define CLIENTS_OTHERS (HEALD_MAX_CLIENTS / 2)	/* users outside the group, together */

/*
 * One heald at a time: an exclusive flock on heald.lock next to the socket,
 * held for life (the kernel lets go when heald dies, even by kill -9).  A
 * second heald stops here, before it touches the journal or the socket,
 * and names the first one's pid (written into the file).
 */
int api_lock(struct heald *h)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 16], pid[32], *slash;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s", h->cfg.socket);
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "heald.lock");
	} else {
		snprintf(path, sizeof(path), "%sheald.lock", slash ? "/" : "");
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0) {
		hlog(LOG_ERR, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		n = err == EWOULDBLOCK ? pread(fd, pid, sizeof(pid) - 1, 0) : -1;
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			hlog(LOG_ERR, "another heald runs (pid %s, lock %s): not starting a second one",
			     pid[0] ? pid : "unknown", path);
		else
			hlog(LOG_ERR, "%s: flock: %s", path, strerror(err));
		close(fd);
		return -EEXIST;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		hlog(LOG_WARNING, "%s: cannot write the pid: %s", path, strerror(errno));
	h->lock_fd = fd;
	return 0;
}

int api_open(struct heald *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *g = getgrnam(h->cfg.group);
	char dir[sizeof(sa.sun_path)], *slash;
	struct stat st;
	mode_t mask;
	int fd, ret;

	h->pub_tail = &h->pub_head;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h->cfg.socket);
	snprintf(dir, sizeof(dir), "%s", h->cfg.socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	/*
	 * What is there is removed only if it is a socket (an earlier run's):
	 * a file or a symlink at a misconfigured or planted path is left
	 * alone, and heald stops saying so.
	 */
	if (lstat(sa.sun_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		hlog(LOG_ERR, "%s: not a socket: refusing to remove it (a file or symlink is there)",
		     sa.sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		hlog(LOG_ERR, "socket: %s", strerror(errno));
		return -errno;
	}
	unlink(sa.sun_path);
	/*
	 * Everyone may connect; the credentials decide what they may do.  The
	 * mode comes from the umask at bind(): a chmod() by path after it
	 * would follow a symlink put there in between.
	 */
	mask = umask(0111);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (ret < 0 || listen(fd, 128) < 0) {
		hlog(LOG_ERR, "%s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -errno;
	}
	if (!g)
		hlog(LOG_INFO, "group '%s' does not exist: reads are for root only", h->cfg.group);
	h->listen_fd = fd;
	h->w_listen = (struct watch){ TAG_LISTEN, fd };
	return loop_add(h, &h->w_listen);
}

/* Mark @c to be closed; the loop frees it after the batch (api_sweep). */
static void client_drop(struct heald *h, struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	h->client_dead = true;
	if (c->subscribed)
		h->subscribers--;
	c->subscribed = false;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
}

static void client_free(struct client *c)
{
	close(c->fd);
	free(c->out);
	free(c);
}

void api_sweep(struct heald *h)
{
	int i;

	if (!h->client_dead)
		return;
	h->client_dead = false;
	for (i = 0; i < HEALD_MAX_CLIENTS; i++)
		if (h->clients[i] && h->clients[i]->dead) {
			client_free(h->clients[i]);
			h->clients[i] = NULL;
		}
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

/* NULL when a client of @uid may connect now, else why not (in @buf). */
static const char *admit(struct heald *h, uid_t uid, bool reader, char *buf, size_t len)
{
	int i, same = 0, others = 0, nonroot = 0;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
		const struct client *c = h->clients[i];

		if (!c || c->dead)
			continue;
		same += c->uid == uid;
		others += !c->may_read;
		nonroot += c->uid != 0;
	}
	if (uid == 0)
		return NULL;
	if (nonroot >= HEALD_MAX_CLIENTS - CLIENTS_ROOT) {
		snprintf(buf, len, "too many clients");
		return buf;
	}
	if (reader && same >= CLIENTS_PER_READER) {
		snprintf(buf, len, "too many connections from uid %u (at most %d)", uid,
			 CLIENTS_PER_READER);
		return buf;
	}
	if (!reader && same >= (int)h->cfg.max_clients_per_user) {
		snprintf(buf, len, "too many connections from uid %u (at most %u)", uid,
			 h->cfg.max_clients_per_user);
		return buf;
	}
	if (!reader && others >= CLIENTS_OTHERS) {
		snprintf(buf, len, "too many clients");
		return buf;
	}
	return NULL;
}

static void refuse(struct heald *h, int fd, const char *why)
{
	char line[200];
	int n = snprintf(line, sizeof(line), "{\"schema\":%d,\"ok\":false,\"error\":\"%s\"}\n",
			 HEAL_SCHEMA, why);

	h->api_errors++;
	if (write(fd, line, (size_t)n) < 0)
		h->api_errors++;
	close(fd);
}

void api_accept(struct heald *h)
{
	struct group *g = getgrnam(h->cfg.group);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	const char *why;
	char buf[128];
	bool reader;
	int fd, i;

	while ((fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			refuse(h, fd, "no credentials");
			continue;
		}
		reader = cred.uid == 0 || (g && in_group(fd, g->gr_gid, cred.gid));
		why = admit(h, cred.uid, reader, buf, sizeof(buf));
		for (i = 0; !why && i < HEALD_MAX_CLIENTS && h->clients[i]; i++)
			;
		if (!why && i == HEALD_MAX_CLIENTS)
			why = "too many clients";
		if (!why && !(c = calloc(1, sizeof(*c))))
			why = "out of memory";
		if (why) {
			refuse(h, fd, why);
			continue;
		}
		c->w = (struct watch){ TAG_CLIENT, fd };
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->may_act = cred.uid == 0;
		c->may_read = reader;
		c->events = EPOLLIN;
		c->last_request = now_mono();
		h->clients[i] = c;
		if (loop_add(h, &c->w)) {
			h->clients[i] = NULL;
			client_free(c);
		}
	}
}

/* Watch for what @c can take: requests while there is room, writability while output waits. */
static void client_watch(struct heald *h, struct client *c)
{
	struct epoll_event e = { .data.ptr = &c->w };

	if (c->dead)
		return;
	e.events = (!c->rd_eof && c->inlen < sizeof(c->in) - 1 && c->outlen < CLIENT_OUT_PAUSE ?
		    EPOLLIN : 0) |
		   (c->outlen ? EPOLLOUT : 0);
	if (e.events != c->events && epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = e.events;
}

static void client_flush(struct heald *h, struct client *c)
{
	size_t off = 0;

	while (off < c->outlen) {
		ssize_t n = write(c->fd, c->out + off, c->outlen - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_drop(h, c);	/* gone */
			break;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->outlen - off);
	c->outlen -= off;
	c->reply_end = c->reply_end > off ? c->reply_end - off : 0;
	client_watch(h, c);
}

/* Queue @len bytes for @c; false when it would pass @max or memory is short. */
static bool client_put(struct client *c, const char *s, size_t len, size_t max)
{
	if (c->outlen + len > max)
		return false;
	if (c->outlen + len > c->outcap) {
		size_t cap = (c->outlen + len) * 2;
		char *p = realloc(c->out, cap);

		if (!p)
			return false;
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, len);
	c->outlen += len;
	return true;
}

/* A reply: always whole (a client that does not read gets no more requests served). */
static void client_reply(struct heald *h, struct client *c, struct json_object *o)
{
	const char *s;

	json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (!client_put(c, s, strlen(s), SIZE_MAX) || !client_put(c, "\n", 1, SIZE_MAX)) {
		hlog(LOG_WARNING, "client pid %d: out of memory for a reply: dropped", c->pid);
		client_drop(h, c);
		return;
	}
	c->reply_end = c->outlen;
	client_flush(h, c);
}

static struct json_object *error_reply(const char *fmt, const char *arg)
{
	struct json_object *o = json_object_new_object();
	char msg[300];

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
	json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
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

void api_queue_line(struct heald *h, const char *line, size_t len)
{
	struct pub *p;

	if (!h->subscribers)
		return;
	p = malloc(sizeof(*p) + len + 1);
	if (!p) {
		hlog(LOG_WARNING, "out of memory: an event for subscribers is lost");
		return;
	}
	p->next = NULL;
	p->len = len + 1;
	memcpy(p->line, line, len);
	p->line[len] = '\n';
	*h->pub_tail = p;
	h->pub_tail = &p->next;
}

void api_broadcast(struct heald *h, struct json_object *o)
{
	const char *s;

	if (!h->subscribers)
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	api_queue_line(h, s, strlen(s));
}

void api_deliver(struct heald *h)
{
	struct pub *p;
	int i;

	while ((p = h->pub_head)) {
		h->pub_head = p->next;
		for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
			struct client *c = h->clients[i];

			if (!c || c->dead || !c->subscribed)
				continue;
			/* Behind on events, not on a big reply it asked for. */
			if (!client_put(c, p->line, p->len, CLIENT_OUT_MAX + c->reply_end)) {
				hlog(LOG_WARNING, "client pid %d is too slow for events: dropped", c->pid);
				client_drop(h, c);
				continue;
			}
			client_flush(h, c);
		}
		free(p);
	}
	h->pub_tail = &h->pub_head;
}

static struct json_object *act_reply(struct heald *h, uint64_t id)
{
	struct json_object *r;

	if (!id)
		return error_reply("journal: %s: nothing done", strerror(errno));
	r = journal_why(&h->journal, id, h->published_upto);
	if (!r)
		return error_reply("journal: the decision is not in memory%s", "");
	json_object_object_add(r, "ok", json_object_new_boolean(true));
	return r;
}

static struct json_object *do_act(struct heald *h, struct client *c, const struct request *rq)
{
	struct json_object *ev, *e;
	struct dev_track *d;
	char why[256] = "", reason[200];
	uint64_t id;
	int ret;

	if (rq->action == RA_REROUTE) {
		id = net_act_reroute(h, rq->has_uplink ? rq->uplink : NULL, c->uid, why, sizeof(why));
		if (!id)
			return error_reply("act reroute: %s", why);
		return act_reply(h, id);
	}
	if (rq->action == RA_DRAIN || rq->action == RA_UNDRAIN) {
		id = wl_act_drain(h, rq->all ? NULL : rq->workload, rq->all, rq->action == RA_DRAIN,
				  c->uid, c->pid, why, sizeof(why));
		if (!id) {
			char msg[300];

			snprintf(msg, sizeof(msg), "act %s: %.256s", rq->action_name, why);
			return error_reply("%s", msg);
		}
		return act_reply(h, id);
	}
	d = dev_find(h, rq->dev);
	if (!d)
		return error_reply("act: no such healblk device%s", "");
	if ((rq->action == RA_FAIL_LEG || rq->action == RA_REBUILD) && rq->leg >= d->info.nr_legs)
		return error_reply("act %s: the device has no such leg", rq->action_name);
	ev = json_object_new_object();
	json_object_object_add(ev, "source", json_object_new_string("control socket"));
	json_object_object_add(ev, "uid", json_object_new_int((int)c->uid));
	json_object_object_add(ev, "pid", json_object_new_int((int)c->pid));
	snprintf(reason, sizeof(reason), "asked by uid %u (pid %d)", c->uid, c->pid);
	if (rq->action == RA_FAIL_LEG || rq->action == RA_REBUILD) {
		/* The operator may fail any leg but the last good copy (the kernel refuses that). */
		return act_reply(h, act_run(h, d, (int)rq->leg,
					    rq->action == RA_FAIL_LEG ? ACT_FAIL_LEG : ACT_REBUILD,
					    "operator", ev, reason, h->cfg.dry_run));
	}
	if (rq->action == RA_ADD_SPARE)
		json_object_object_add(ev, "disk", json_object_new_string(rq->disk));
	e = decision_entry(h, d->info.name, rq->action_name, "operator", reason, ev, true);
	json_object_object_add(e, "dev", json_object_new_int((int)d->info.index));
	id = jappend(h, e);
	if (!id)
		return act_reply(h, 0);
	e = outcome_entry(id, NULL, NULL, true);
	if (h->cfg.dry_run) {
		json_object_object_add(e, "outcome", json_object_new_string("not taken: dry run"));
	} else {
		ret = rq->action == RA_ADD_SPARE ?
			act_add_spare(h, d->info.index, rq->disk, why, sizeof(why)) :
			act_scrub(h, d->info.index, why, sizeof(why));
		json_object_object_add(e, "outcome", json_object_new_string(ret ? "failed" : "done"));
		if (ret)
			json_object_object_add(e, "detail", json_object_new_string(why));
		src_healblk_refresh(h);
	}
	jappend(h, e);
	return act_reply(h, id);
}

/* One request line (@len bytes, no newline): its reply. */
static struct json_object *handle(struct heald *h, struct client *c, const char *line, size_t len)
{
	struct request rq;
	struct json_object *r;
	char err[300];
	int ret = request_parse(line, len, &rq, err, sizeof(err));

	/* Permission first: who may not read learns nothing of the arguments. */
	if ((rq.cmd == REQ_ACT || rq.cmd == REQ_RECEIVE) && !c->may_act)
		return error_reply("permission denied: actions are for root%s", "");
	if (rq.cmd != REQ_NONE && rq.cmd != REQ_ACT && rq.cmd != REQ_RECEIVE && !c->may_read)
		return error_reply("permission denied: reads are for root and the '%s' group",
				   h->cfg.group);
	if (ret)
		return error_reply("%s", err);
	switch (rq.cmd) {
	case REQ_STATUS:
		r = health_status(h);
		json_object_object_add(r, "ok", json_object_new_boolean(true));
		return r;
	case REQ_JOURNAL: {
		uint64_t oldest, omitted;

		r = ok_reply();
		/* What subscribers were told, no more: never a line not yet on disk. */
		json_object_object_add(r, "entries", journal_query(&h->journal, rq.after,
								   h->published_upto, (uint32_t)rq.limit,
								   &oldest, &omitted));
		json_object_object_add(r, "oldest", json_object_new_int64((int64_t)oldest));
		json_object_object_add(r, "omitted", json_object_new_int64((int64_t)omitted));
		return r;
	}
	case REQ_WHY:
		r = journal_why(&h->journal, rq.id, h->published_upto);
		if (!r)
			return error_reply("why: no journal entry with that id in memory%s", "");
		json_object_object_add(r, "ok", json_object_new_boolean(true));
		return r;
	case REQ_EVENTS:
		if (!c->subscribed)
			h->subscribers++;
		c->subscribed = true;
		return ok_reply();
	case REQ_ACT:
		return do_act(h, c, &rq);
	case REQ_RECEIVE:
		return peer_receive(h, rq.begin ? "begin" : "end", rq.workload, rq.from, rq.pid,
				    rq.domain, rq.failed);
	default:
		return error_reply("malformed request%s", "");
	}
}

/* Serve at most CLIENT_REQS_PER_TURN of @c's buffered requests. */
static void client_serve(struct heald *h, struct client *c)
{
	int n = 0;
	char *nl;

	c->served_turn = h->turn;
	while (!c->dead && n < (c->may_read ? CLIENT_REQS_PER_TURN : CLIENT_REQS_PER_TURN_OTHER) && c->outlen < CLIENT_OUT_PAUSE &&
	       (nl = memchr(c->in, '\n', c->inlen))) {
		struct json_object *r = handle(h, c, c->in, (size_t)(nl - c->in));

		if (json_object_object_get_ex(r, "ok", NULL) &&
		    !json_object_get_boolean(json_object_object_get(r, "ok")))
			h->api_errors++;
		client_reply(h, c, r);
		json_object_put(r);
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
		c->last_request = now_mono();
		n++;
	}
	if (c->dead)
		return;
	if (c->inlen == sizeof(c->in) - 1 && !memchr(c->in, '\n', c->inlen)) {
		struct json_object *r = error_reply("request longer than %s bytes: closing", "4095");

		h->api_errors++;
		client_reply(h, c, r);
		json_object_put(r);
		client_drop(h, c);
		return;
	}
	/* Sent everything and shut its side: closed once every answer is out. */
	if (c->rd_eof && !memchr(c->in, '\n', c->inlen) && !c->outlen) {
		client_drop(h, c);
		return;
	}
	client_watch(h, c);
}

void api_client_ready(struct heald *h, struct client *c, uint32_t events)
{
	ssize_t n;

	if (c->dead)	/* dropped earlier in this batch: freed after it */
		return;
	if (events & EPOLLERR) {
		client_drop(h, c);
		return;
	}
	if (events & EPOLLOUT)
		client_flush(h, c);
	if (c->dead)
		return;
	if ((events & (EPOLLIN | EPOLLHUP)) && !c->rd_eof && c->inlen < sizeof(c->in) - 1) {
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->rd_eof = true;
			if (n < 0 || (events & EPOLLHUP)) {
				client_drop(h, c);	/* nobody to answer */
				return;
			}
		} else if (n > 0) {
			c->inlen += (size_t)n;
		}
	}
	client_serve(h, c);
}

/* Complete requests left over from a turn: the loop must not sleep. */
bool api_backlog(struct heald *h)
{
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
		const struct client *c = h->clients[i];

		if (c && !c->dead && c->outlen < CLIENT_OUT_PAUSE && memchr(c->in, '\n', c->inlen))
			return true;
	}
	return false;
}

void api_serve_backlog(struct heald *h)
{
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
		struct client *c = h->clients[i];

		if (c && !c->dead && c->served_turn != h->turn && c->outlen < CLIENT_OUT_PAUSE &&
		    memchr(c->in, '\n', c->inlen)) {
			client_serve(h, c);
			api_deliver(h);
		}
	}
}

/* Users outside the group that hold a connection without using it lose it. */
void api_idle(struct heald *h)
{
	double now = now_mono();
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++) {
		struct client *c = h->clients[i];
		struct json_object *r;

		if (!c || c->dead || c->may_read || now - c->last_request < h->cfg.client_idle_timeout)
			continue;
		r = error_reply("idle for %s: closing", "too long");
		client_reply(h, c, r);
		json_object_put(r);
		client_drop(h, c);
	}
}

void api_close(struct heald *h)
{
	struct pub *p;
	int i;

	for (i = 0; i < HEALD_MAX_CLIENTS; i++)
		if (h->clients[i]) {
			client_drop(h, h->clients[i]);
			client_free(h->clients[i]);
			h->clients[i] = NULL;
		}
	while ((p = h->pub_head)) {
		h->pub_head = p->next;
		free(p);
	}
	if (h->listen_fd > 0) {
		close(h->listen_fd);
		unlink(h->cfg.socket);
	}
}
