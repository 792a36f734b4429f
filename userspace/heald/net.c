// SPDX-License-Identifier: GPL-2.0
/*
 * Network healing: each configured uplink's gateway is probed with ICMP
 * echo (ICMPv6 for an IPv6 gateway, a link-local one too) from the
 * uplink's own interface (and, IPv4, address); IPv4 and IPv6 uplinks are
 * two independent groups (struct net), each with its own routes ("routes"
 * and "routes6" in the journal); the routes heald
 * manages go through the preferred healthy uplink, replaced atomically
 * (RTM_NEWROUTE with NLM_F_REPLACE: the node is never without the route).
 *
 * Detection.  A probe goes out every probe_interval_ms; one not answered
 * within its timeout (4 x the smoothed RTT, at least 10 ms, at most the
 * interval) is a miss, and a miss sends the next probe at once instead of
 * waiting for the interval: probe_multiplier misses in a row mark the
 * uplink down.  With the defaults (100 ms x 3) a dead gateway is seen
 * 10-130 ms after it stops answering, not the 300 ms that waiting out
 * three intervals would take (BFD's default is 900 ms).  Losing carrier
 * marks it down at once, and no probe is sent until carrier returns: one
 * sent without it would only wait in the neighbour queue.  Round-trip
 * samples come only from probes sent while the uplink was up, newest
 * first: a probe sent while it was down may have waited up to a second in
 * that queue, and would stretch the smoothed RTT and with it the next
 * detection; a late reply while it is up is a slower path, and must.
 *
 * Beyond the gateway.  A gateway that answers but forwards nothing (a
 * consumer router whose ISP side died) is seen through an uplink's targets:
 * hosts beyond it, probed in rounds (one probe to each, the same sequence
 * number) every target_interval_ms, the same way (4 x the smoothed RTT, at
 * least 50 ms; a missed round re-sent at once).  Any target answering
 * answers the round, so one target that goes silent changes nothing;
 * target_multiplier rounds unanswered while the gateway answers mark the
 * uplink down.  The probes carry fwmark T (target_table + the uplink's
 * index), a rule sends them to table T, and table T holds one route, all
 * through that uplink's gateway: they leave through their uplink whatever
 * the main table says, so a standby uplink is known good or bad before the
 * routes need it, and a down one is seen coming back while the routes go
 * elsewhere.  An uplink is up while its gateway answers and, with targets,
 * one of them does; the targets are not probed while the gateway is known
 * dead, and after it (or the carrier) comes back they are asked again
 * before the uplink is up.
 *
 * Failover.  Once the routes have left a down uplink, its gateway's
 * neighbour entry is deleted: what the node had sent that way and that still
 * waits for the gateway's address would otherwise leave through the dead
 * path a second later, when the link is back (RTM_DELNEIGH drops the queue).
 *
 * Decision.  Traffic leaves a down uplink for the best healthy one at
 * once.  It returns to a preferred uplink only after that uplink has been
 * up for its hold-down (hold_down, doubled for each flap in the last
 * hold_down_max seconds, up to hold_down_max), so a flapping gateway moves
 * the routes once, not at every flap.  All uplinks down: the routes stay as
 * they are and an alarm is raised.  With ecmp the route is one multipath
 * route over every healthy uplink.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/rule.h>
#include <linux/fib_rules.h>
#include "heald.h"

#define PROBE_RING 32
#define LOSS_WINDOW 20

/*
 * One stream of ICMP echo probes: to the uplink's gateway, or in rounds to
 * its targets beyond it (one probe to each, the same sequence number: any
 * reply answers the round).
 */
struct prober {
	int sock;
	struct watch w;
	uint16_t ident, seq;
	uint16_t base;			/* replies to probes up to this one (sent before a reset) are ignored */
	uint8_t cookie[8];		/* random, in every probe's payload: a reply must echo it */
	double sent_at[PROBE_RING];
	bool answered[PROBE_RING];
	bool timed[PROBE_RING];		/* sent while the path was up: its reply is an RTT sample */
	uint16_t sampled;		/* the newest probe whose reply was a sample */
	double next_send, deadline;	/* deadline 0: no probe outstanding */
	uint32_t misses;
	double srtt_ms, rtt_ms;
	uint64_t sent, received;
	bool loss[LOSS_WINDOW];		/* the last probes: lost? */
	uint32_t nloss;
	bool ok, known;			/* what its probes concluded; !known: not yet, or not since carrier came back */
};

struct uplink {
	const struct uplink_conf *conf;
	struct net *nt;			/* its family's */
	int ifindex;
	struct in_addr gw, src;		/* IPv4 */
	struct in6_addr gw6;		/* IPv6 (no source: the kernel picks one) */
	struct prober gwp;		/* the gateway: fast local detection */
	struct prober tgp;		/* the targets beyond it, through its own table (ntgt > 0) */
	struct in_addr tgt[CONFIG_MAX_TARGETS];
	struct in6_addr tgt6[CONFIG_MAX_TARGETS];
	int ntgt;
	bool up, known, carrier;	/* up: the gateway answers and (with targets) the path beyond it */
	double up_since, down_at;
	double flaps[16];
	uint32_t nflaps;
	uint64_t alarm;
	bool attached;		/* its interface is there, the probe sockets open */
	bool readdress;		/* a probe could not leave from its address: attach again */
	bool table_warned;	/* said that its table's route could not be added (said once) */
	char detached_why[256];	/* why not, as last said */
};

/*
 * The uplinks of one address family and the routes of that family they
 * carry: IPv4 and IPv6 fail over each on their own (a dual-stack uplink
 * is two sections, one per family, on one interface).
 */
struct net {
	int fi;			/* 0: IPv4, 1: IPv6 (h->nets[fi]) */
	int family;		/* AF_INET, AF_INET6 */
	const char *resource;	/* in the journal: "routes", "routes6" */
	struct uplink up[CONFIG_MAX_UPLINKS];
	int n;
	int timerfd;
	struct watch w_timer;
	struct nl_sock *rt;
	struct nl_addr *dst[CONFIG_MAX_ROUTES];
	int ndst;
	int active;		/* index of the uplink the routes go through, -1: unknown */
	uint32_t active_set;	/* ecmp: bitmask of the nexthops */
	uint64_t changes;
	uint64_t all_down_alarm;
	double started;
	/*
	 * An uplink's alarm or clear not yet journaled: written after the
	 * route change it leads to (reroute()), or at the end of set_state().
	 */
	struct json_object *held;
	uint64_t *held_id;	/* where its id goes, or NULL */
};

static bool v6(const struct net *nt)
{
	return nt->family == AF_INET6;
}

/* The gateway's address as bytes of the family's length (alen()). */
static const void *gw_of(const struct uplink *u)
{
	return v6(u->nt) ? (const void *)&u->gw6 : (const void *)&u->gw;
}

static unsigned int alen(const struct net *nt)
{
	return v6(nt) ? 16 : 4;
}

/* The metric the kernel gives heald's routes: an IPv6 route of metric 0 is stored as 1024. */
static uint32_t metric_of(const struct heald *h, const struct net *nt)
{
	return v6(nt) && !h->cfg.route_metric ? 1024 : h->cfg.route_metric;
}

/*
 * The held entry, written now; @sync: and everything written so far
 * synced by the journal's thread (the loop goes on: heald's own disk is
 * never between an uplink's state and the routes).
 */
static void held_flush(struct heald *h, struct net *nt, bool sync)
{
	uint64_t id;

	if (nt->held) {
		id = jappend_nosync(h, nt->held);
		if (nt->held_id)
			*nt->held_id = id;
		nt->held = NULL;
		nt->held_id = NULL;
	}
	if (sync)
		jsync_async(h);
}

/* The names of the uplinks in @set, space-separated. */
static void set_names(const struct net *nt, uint32_t set, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < nt->n; i++)
		if ((set >> i) & 1 && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", nt->up[i].conf->name);
}

/* Is @name one of the space-separated names in @list? */
static bool in_names(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static void wall_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

static double hold_of(const struct heald *h, const struct uplink *u, double now)
{
	uint32_t i, recent = 0;
	double hold;

	for (i = 0; i < u->nflaps && i < 16; i++)
		if (now - u->flaps[i] < h->cfg.hold_down_max)
			recent++;
	hold = h->cfg.hold_down * pow(2, recent > 1 ? recent - 1 : 0);
	return hold < h->cfg.hold_down_max ? hold : h->cfg.hold_down_max;
}

/* Whether the routes go through uplink @i now (one of the nexthops, with ecmp). */
static bool carries_routes(const struct heald *h, struct net *nt, int i)
{
	return h->cfg.ecmp ? (nt->active_set >> i) & 1 : nt->active == i;
}

static bool is_gwp(const struct uplink *u, const struct prober *p)
{
	return p == &u->gwp;
}

static double interval_of(const struct heald *h, const struct uplink *u, const struct prober *p)
{
	return (is_gwp(u, p) ? h->cfg.probe_interval_ms : h->cfg.target_interval_ms) / 1e3;
}

/*
 * A probe's miss timeout: 4 x the smoothed RTT, at least 10 ms to the
 * gateway (scheduling) and 50 ms beyond it (the jitter of a path through
 * an ISP); at most an interval to the gateway, on the same link, and 3 s
 * beyond it, where a slow but working path (LTE carrying the traffic after
 * a failover, a satellite) may take longer than an interval: the next
 * round then waits for the timeout.  Before the first sample: 50 ms to the
 * gateway, 1 s beyond it.
 */
static double probe_timeout(const struct heald *h, const struct uplink *u, const struct prober *p)
{
	bool gw = is_gwp(u, p);
	double cap = gw ? interval_of(h, u, p) : 3.0, floor = gw ? 0.010 : 0.050;
	double timeout = p->srtt_ms ? 4 * p->srtt_ms / 1e3 : gw ? 0.05 : 1.0;

	if (timeout < floor)
		timeout = floor;
	return timeout < cap ? timeout : cap;
}

static double loss_pct(const struct prober *p)
{
	uint32_t i, lost = 0, n = p->nloss < LOSS_WINDOW ? p->nloss : LOSS_WINDOW;

	for (i = 0; i < n; i++)
		lost += p->loss[i];
	return n ? 100.0 * lost / n : 0;
}

static const char *state_of(bool known, bool ok)
{
	return !known ? "unknown" : ok ? "up" : "down";
}

/* What @p measures, into @o: round trip, smoothed, its miss timeout, recent loss. */
static void prober_json(struct heald *h, const struct uplink *u, const struct prober *p, struct json_object *o)
{
	json_object_object_add(o, "rtt_ms", json_object_new_double(p->rtt_ms));
	json_object_object_add(o, "srtt_ms", json_object_new_double(p->srtt_ms));
	json_object_object_add(o, "timeout_ms", json_object_new_double(probe_timeout(h, u, p) * 1e3));
	json_object_object_add(o, "loss_pct", json_object_new_double(loss_pct(p)));
}

static struct json_object *uplink_json(struct heald *h, const struct uplink *u, double now)
{
	struct net *nt = u->nt;
	struct json_object *o = json_object_new_object();
	int i, idx = (int)(u - nt->up);
	char gw[INET6_ADDRSTRLEN];

	inet_ntop(nt->family, gw_of(u), gw, sizeof(gw));
	json_object_object_add(o, "name", json_object_new_string(u->conf->name));
	json_object_object_add(o, "interface", json_object_new_string(u->conf->ifname));
	json_object_object_add(o, "gateway", json_object_new_string(gw));
	json_object_object_add(o, "priority", json_object_new_int((int)u->conf->priority));
	json_object_object_add(o, "state", json_object_new_string(!u->known ? "unknown" : u->up ? "up" : "down"));
	json_object_object_add(o, "carrier", json_object_new_boolean(u->carrier));
	prober_json(h, u, &u->gwp, o);
	json_object_object_add(o, "probes_sent", json_object_new_int64((int64_t)u->gwp.sent));
	json_object_object_add(o, "probes_answered", json_object_new_int64((int64_t)u->gwp.received));
	json_object_object_add(o, "gateway_state", json_object_new_string(state_of(u->gwp.known, u->gwp.ok)));
	if (u->ntgt) {
		struct json_object *t = json_object_new_object(), *a = json_object_new_array();

		for (i = 0; i < u->ntgt; i++)
			json_object_array_add(a, json_object_new_string(u->conf->targets[i]));
		json_object_object_add(t, "addresses", a);
		json_object_object_add(t, "state", json_object_new_string(state_of(u->tgp.known, u->tgp.ok)));
		prober_json(h, u, &u->tgp, t);
		json_object_object_add(t, "rounds_sent", json_object_new_int64((int64_t)u->tgp.sent));
		json_object_object_add(t, "rounds_answered", json_object_new_int64((int64_t)u->tgp.received));
		json_object_object_add(o, "targets", t);
	}
	json_object_object_add(o, "active", json_object_new_boolean(carries_routes(h, nt, idx)));
	json_object_object_add(o, "hold_down_s", json_object_new_double(hold_of(h, u, now)));
	if (u->up)
		json_object_object_add(o, "up_for_s", json_object_new_double(now - u->up_since));
	/* netmon's view of the same interface: TCP retransmits and drops so far. */
	for (i = 0; i < h->nlinks; i++)
		if (h->links[i].ifindex == u->ifindex) {
			json_object_object_add(o, "tcp_retransmits",
					       json_object_new_int64((int64_t)h->links[i].retrans));
			json_object_object_add(o, "drops", json_object_new_int64((int64_t)h->links[i].drops));
		}
	return o;
}

static void arm(struct net *nt)
{
	struct itimerspec its = { 0 };
	double next = 0, now = now_mono(), d;
	int i;

	for (i = 0; i < nt->n; i++) {
		struct uplink *u = &nt->up[i];
		double t = u->gwp.deadline ? u->gwp.deadline : u->gwp.next_send;

		/* What probe_timer() will act on, nothing else: no carrier, no probes. */
		if (!u->attached || !u->carrier)
			continue;
		if (!next || t < next)
			next = t;
		t = u->tgp.deadline ? u->tgp.deadline : u->tgp.next_send;
		if (u->ntgt && !(u->gwp.known && !u->gwp.ok) && t < next)
			next = t;
	}
	if (!next) {
		timerfd_settime(nt->timerfd, 0, &its, NULL);	/* none attached: disarmed */
		return;
	}
	d = next - now;
	if (d < 0.0005)
		d = 0.0005;
	its.it_value.tv_sec = (time_t)d;
	its.it_value.tv_nsec = (long)((d - (double)(time_t)d) * 1e9);
	timerfd_settime(nt->timerfd, 0, &its, NULL);
}

static uint16_t csum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

/*
 * One probe, or one round to every target.  Its reply is an RTT sample if
 * the path was up when it left (or, before any sample, not known down):
 * one sent while it was down may have waited in a neighbour queue.
 */
static void probe_send(struct heald *h, struct uplink *u, struct prober *p, double now)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = u->gw };
	/* A link-local gateway is reached through the uplink's interface. */
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_addr = u->gw6,
				    .sin6_scope_id = (uint32_t)u->ifindex };
	struct { struct icmphdr h; uint8_t cookie[8]; } icmp = { .h.type = ICMP_ECHO };
	/* ICMPv6: the kernel fills in the checksum (RFC 3542). */
	struct { struct icmp6_hdr h; uint8_t cookie[8]; } icmp6 = { .h.icmp6_type = ICMP6_ECHO_REQUEST };
	int i, n = is_gwp(u, p) ? 1 : u->ntgt;
	const void *pkt = v6(u->nt) ? (const void *)&icmp6 : (const void *)&icmp;
	const struct sockaddr *dst = v6(u->nt) ? (const struct sockaddr *)&to6 : (const struct sockaddr *)&to;
	socklen_t dlen = v6(u->nt) ? sizeof(to6) : sizeof(to);

	p->seq++;
	if ((uint16_t)(p->seq - p->base) > PROBE_RING)
		p->base = (uint16_t)(p->seq - PROBE_RING);	/* older ones fall out of the ring anyway */
	icmp.h.un.echo.id = htons(p->ident);
	icmp.h.un.echo.sequence = htons(p->seq);
	memcpy(icmp.cookie, p->cookie, sizeof(icmp.cookie));
	icmp.h.checksum = csum(&icmp, sizeof(icmp));
	icmp6.h.icmp6_id = htons(p->ident);
	icmp6.h.icmp6_seq = htons(p->seq);
	memcpy(icmp6.cookie, p->cookie, sizeof(icmp6.cookie));
	p->sent_at[p->seq % PROBE_RING] = now;
	p->answered[p->seq % PROBE_RING] = false;
	p->timed[p->seq % PROBE_RING] = u->carrier && (p->known ? p->ok : !p->srtt_ms);
	/* An untimed probe is the newest "sample" taken: no wrap after a long outage. */
	if (!p->timed[p->seq % PROBE_RING])
		p->sampled = p->seq;
	p->sent++;
	p->deadline = now + probe_timeout(h, u, p);
	if (now >= p->next_send)
		p->next_send = now + interval_of(h, u, p);
	for (i = 0; i < n; i++) {
		if (!is_gwp(u, p)) {
			to.sin_addr = u->tgt[i];
			to6.sin6_addr = u->tgt6[i];
			to6.sin6_scope_id = 0;
		}
		if (sendto(p->sock, pkt, sizeof(icmp), 0, dst, dlen) >= 0 ||
		    errno == ENETUNREACH || errno == EHOSTUNREACH || errno == ENETDOWN)
			continue;
		/*
		 * IPv4: its address went (an LTE reconnect, a new DHCP lease): find
		 * it again.  IPv6 picks a source each time: none yet (duplicate
		 * address detection running) is a miss like any other.
		 */
		if (!v6(u->nt) && (errno == EINVAL || errno == EADDRNOTAVAIL))
			u->readdress = true;
		hlog(u->readdress ? LOG_NOTICE : LOG_DEBUG, "uplink %s: probe: %s", u->conf->name,
		     strerror(errno));
	}
}

/*
 * Forget what @p concluded: the carrier or the gateway went, it starts
 * again, and a late reply to a probe sent before now says nothing.
 */
static void prober_reset(struct prober *p)
{
	p->known = false;
	p->ok = false;
	p->misses = 0;
	p->deadline = 0;
	p->base = p->seq;
}

static void net_evaluate(struct heald *h, struct net *nt, const char *why);

/*
 * @u is down and the routes have left it: delete its gateway's neighbour
 * entry if it is still resolving (NUD_INCOMPLETE), and with it the packets
 * queued for the gateway's address (it holds them until the link is back,
 * then sends them the dead way).  Only such an entry holds a queue; any
 * other is left as it is: a PERMANENT one an operator pinned against ARP
 * spoofing above all.  Only the gateway's: the hosts on the uplink's own
 * subnet may still be there.
 */
static void neigh_flush(struct uplink *u)
{
	struct net *nt = u->nt;
	struct nl_addr *gw = nl_addr_build(u->nt->family, gw_of(u), alen(u->nt));
	struct nl_cache *cache = NULL;
	struct rtnl_neigh *n = NULL;
	int ret = -NLE_NOMEM;

	if (gw && !(ret = rtnl_neigh_alloc_cache(nt->rt, &cache)) &&
	    (n = rtnl_neigh_get(cache, u->ifindex, gw)) &&
	    (rtnl_neigh_get_state(n) & NUD_INCOMPLETE))
		ret = rtnl_neigh_delete(nt->rt, n, 0);
	/* No entry (the kernel flushed it with the carrier) is the usual case. */
	if (ret < 0 && ret != -NLE_OBJ_NOTFOUND)
		hlog(LOG_DEBUG, "uplink %s: neighbour %s: %s", u->conf->name, u->conf->gateway,
		     nl_geterror(ret));
	if (n)
		rtnl_neigh_put(n);
	if (cache)
		nl_cache_free(cache);
	nl_addr_put(gw);
}

static void set_state(struct heald *h, struct uplink *u, bool up, double now, const char *why)
{
	struct net *nt = u->nt;
	struct json_object *e;

	if (u->known && u->up == up)
		return;
	if (!up && u->known) {
		u->flaps[u->nflaps++ % 16] = now;
		u->down_at = now;
	}
	if (up)
		u->up_since = now;
	u->up = up;
	u->known = true;
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string(up ? "clear" : "alarm"));
	json_object_object_add(e, "resource", json_object_new_string(u->conf->name));
	json_object_object_add(e, "state", json_object_new_string(up ? "up" : "down"));
	json_object_object_add(e, "reason", json_object_new_string(why));
	if (!up) {
		json_object_object_add(e, "evidence", uplink_json(h, u, now));
		h->alarms_total++;
	} else if (u->alarm) {
		json_object_object_add(e, "ref", json_object_new_int64((int64_t)u->alarm));
	}
	/*
	 * Journaled after the route change this may lead to, not before: a
	 * dead uplink is routed around first (reroute() writes this entry
	 * ahead of its decision, ids in order, then syncs both).
	 */
	held_flush(h, nt, false);
	nt->held = e;
	nt->held_id = up ? NULL : &u->alarm;
	hlog(up ? LOG_INFO : LOG_WARNING, "uplink %s: %s (%s)", u->conf->name, up ? "up" : "down", why);
	net_evaluate(h, nt, why);
	held_flush(h, nt, true);
	/* Not in a dry run, nor when the routes stayed (every uplink down). */
	if (!up && u->attached && !h->cfg.dry_run && !carries_routes(h, nt, (int)(u - nt->up)))
		neigh_flush(u);
}

/* The targets' addresses, space-separated, for messages. */
static const char *target_names(const struct uplink *u, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < u->ntgt && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", u->conf->targets[i]);
	return buf;
}

/*
 * What the uplink's probers say, as its state: up while the gateway
 * answers and, with targets, one of them answers through it too.  Not
 * concluded while the targets are unknown behind a gateway that answers.
 */
static void uplink_update(struct heald *h, struct uplink *u, double now, const char *why)
{
	bool known = u->gwp.known && (!u->gwp.ok || !u->ntgt || u->tgp.known);

	if (u->carrier && known)
		set_state(h, u, u->gwp.ok && (!u->ntgt || u->tgp.ok), now, why);
}

/* A probe of @p unanswered in its time. */
static void probe_missed(struct heald *h, struct uplink *u, struct prober *p, double now)
{
	uint32_t mult = is_gwp(u, p) ? h->cfg.probe_multiplier : h->cfg.target_multiplier;
	char why[200], names[CONFIG_MAX_TARGETS * 16];

	p->deadline = 0;
	p->loss[p->nloss++ % LOSS_WINDOW] = true;
	p->misses++;
	if (p->misses >= mult && (p->ok || !p->known)) {
		p->known = true;
		p->ok = false;
		if (is_gwp(u, p)) {
			snprintf(why, sizeof(why), "%u probes of %s unanswered", p->misses, u->conf->gateway);
			prober_reset(&u->tgp);	/* nothing to learn beyond a dead gateway */
		} else {
			snprintf(why, sizeof(why), "%u rounds to %s unanswered, the gateway answers: "
				 "the path beyond it is broken", p->misses,
				 target_names(u, names, sizeof(names)));
		}
		uplink_update(h, u, now, why);
	}
	/* A miss is confirmed at once, not an interval later. */
	if (p->misses < mult)
		probe_send(h, u, p, now);
}

static void uplink_detach(struct heald *h, struct uplink *u, const char *why);
static void uplinks_attach(struct heald *h, struct net *nt);

/* A probe could not leave from @u's address: down, and attached again with the one it has now. */
static void readdress(struct heald *h, struct uplink *u)
{
	struct net *nt = u->nt;
	char why[96];

	u->readdress = false;
	inet_ntop(AF_INET, &u->src, why, sizeof(why));
	snprintf(why + strlen(why), sizeof(why) - strlen(why), " is no longer %s's address", u->conf->ifname);
	hlog(LOG_NOTICE, "uplink %s: %s: probing from the address it has now", u->conf->name, why);
	uplink_detach(h, u, why);
	uplinks_attach(h, nt);
}

static void probe_reply(struct heald *h, struct uplink *u, struct prober *p);

static void probe_timer(struct heald *h, struct net *nt)
{
	double now = now_mono();
	uint64_t ticks;
	int i;

	if (read(nt->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		hlog(LOG_WARNING, "probe timer: %s", strerror(errno));
	for (i = 0; i < nt->n; i++) {
		struct uplink *u = &nt->up[i];

		if (!u->attached || !u->carrier)
			continue;
		/*
		 * A reply already in the socket is no miss: the timer may be
		 * handled before the socket in one batch, or heald run late on a
		 * loaded node (a run of such "misses" took an uplink down).
		 */
		if (u->gwp.deadline && now >= u->gwp.deadline)
			probe_reply(h, u, &u->gwp);
		if (u->gwp.deadline && now >= u->gwp.deadline)
			probe_missed(h, u, &u->gwp, now);
		if (!u->gwp.deadline && now >= u->gwp.next_send)
			probe_send(h, u, &u->gwp, now);
		/* The targets while the gateway is not known dead. */
		if (!u->ntgt || (u->gwp.known && !u->gwp.ok))
			continue;
		if (u->tgp.deadline && now >= u->tgp.deadline)
			probe_reply(h, u, &u->tgp);
		if (u->tgp.deadline && now >= u->tgp.deadline)
			probe_missed(h, u, &u->tgp, now);
		if (!u->tgp.deadline && now >= u->tgp.next_send)
			probe_send(h, u, &u->tgp, now);
	}
	for (i = 0; i < nt->n; i++)
		if (nt->up[i].readdress)
			readdress(h, &nt->up[i]);
	arm(nt);
}

/* Is @from the gateway (gateway prober) or one of the targets? */
static bool probed_from(const struct uplink *u, const struct prober *p, const struct sockaddr_storage *from)
{
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)from)->sin6_addr;
	struct in_addr a = ((const struct sockaddr_in *)from)->sin_addr;
	int i;

	if (from->ss_family != u->nt->family)
		return false;
	if (is_gwp(u, p))
		return v6(u->nt) ? IN6_ARE_ADDR_EQUAL(a6, &u->gw6) : a.s_addr == u->gw.s_addr;
	for (i = 0; i < u->ntgt; i++)
		if (v6(u->nt) ? IN6_ARE_ADDR_EQUAL(a6, &u->tgt6[i]) : a.s_addr == u->tgt[i].s_addr)
			return true;
	return false;
}

/*
 * @buf (@n bytes from @from): an echo reply to one of @p's probes, with
 * its cookie?  Its sequence number in @seq.  An IPv4 raw socket gives the
 * IP header first; an ICMPv6 one the ICMPv6 message alone.
 */
static bool echo_reply(const struct uplink *u, const struct prober *p, const uint8_t *buf, size_t n,
		       const struct sockaddr_storage *from, uint16_t *seq)
{
	size_t hl = 0;

	if (!probed_from(u, p, from))
		return false;
	if (v6(u->nt)) {
		const struct icmp6_hdr *i6 = (const struct icmp6_hdr *)buf;

		if (n < sizeof(*i6) + sizeof(p->cookie) || i6->icmp6_type != ICMP6_ECHO_REPLY ||
		    ntohs(i6->icmp6_id) != p->ident || memcmp(buf + sizeof(*i6), p->cookie, sizeof(p->cookie)))
			return false;
		*seq = ntohs(i6->icmp6_seq);
		return true;
	}
	if (n >= sizeof(struct iphdr))
		hl = (size_t)((const struct iphdr *)buf)->ihl * 4;
	if (!hl || n < hl + sizeof(struct icmphdr) + sizeof(p->cookie))
		return false;
	{
		const struct icmphdr *icmp = (const struct icmphdr *)(buf + hl);

		if (icmp->type != ICMP_ECHOREPLY || ntohs(icmp->un.echo.id) != p->ident ||
		    memcmp(buf + hl + sizeof(*icmp), p->cookie, sizeof(p->cookie)))
			return false;
		*seq = ntohs(icmp->un.echo.sequence);
	}
	return true;
}

static void probe_reply(struct heald *h, struct uplink *u, struct prober *p)
{
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	double now = now_mono();
	ssize_t n;
	int budget = 64;	/* then the other uplinks' turn: epoll comes back for the rest */

	while (budget-- > 0 &&
	       (n = recvfrom(p->sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
		uint16_t seq;

		fl = sizeof(from);
		if (!echo_reply(u, p, buf, (size_t)n, &from, &seq))
			continue;
		/* Not in the ring, answered already, or sent before the last reset. */
		if ((uint16_t)(p->seq - seq) >= PROBE_RING || p->answered[seq % PROBE_RING] ||
		    (int16_t)(seq - p->base) <= 0)
			continue;
		/* The targets say nothing while the gateway is known dead. */
		if (!is_gwp(u, p) && u->gwp.known && !u->gwp.ok)
			continue;
		p->answered[seq % PROBE_RING] = true;
		p->received++;
		/*
		 * A sample: a reply to a probe sent while the path was up, newer
		 * than the last sample (a late one too: an RTT that grew must
		 * stretch the timeout, or every probe misses).  Not one sent while
		 * it was down: that may have waited in the gateway's neighbour
		 * queue until the link came back.
		 */
		if (p->timed[seq % PROBE_RING] && (int16_t)(seq - p->sampled) > 0) {
			p->sampled = seq;
			p->rtt_ms = (now - p->sent_at[seq % PROBE_RING]) * 1e3;
			p->srtt_ms = p->srtt_ms ? 0.875 * p->srtt_ms + 0.125 * p->rtt_ms : p->rtt_ms;
		}
		if (seq == p->seq) {
			p->deadline = 0;
			p->loss[p->nloss++ % LOSS_WINDOW] = false;
		}
		p->misses = 0;
		if (!u->carrier || (p->known && p->ok))
			continue;
		p->known = true;
		p->ok = true;
		if (is_gwp(u, p)) {
			/* The targets now, not an interval later. */
			if (u->ntgt && !u->tgp.deadline)
				u->tgp.next_send = now;
			uplink_update(h, u, now, "the gateway answers");
		} else {
			uplink_update(h, u, now, "a target beyond the gateway answers");
		}
	}
}

static int route_replace(struct heald *h, struct net *nt, uint32_t set, char *why, size_t wlen)
{
	int i, k, ret = 0;

	for (k = 0; k < nt->ndst && !ret; k++) {
		struct rtnl_route *r = rtnl_route_alloc();

		rtnl_route_set_family(r, nt->family);
		rtnl_route_set_dst(r, nt->dst[k]);
		rtnl_route_set_table(r, h->cfg.route_table);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_set_priority(r, metric_of(h, nt));
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
		rtnl_route_set_type(r, RTN_UNICAST);
		for (i = 0; i < nt->n; i++) {
			struct rtnl_nexthop *nh;
			struct nl_addr *gw;

			if (!((set >> i) & 1))
				continue;
			nh = rtnl_route_nh_alloc();
			gw = nl_addr_build(nt->family, gw_of(&nt->up[i]), alen(nt));
			rtnl_route_nh_set_ifindex(nh, nt->up[i].ifindex);
			rtnl_route_nh_set_gateway(nh, gw);
			nl_addr_put(gw);
			rtnl_route_add_nexthop(r, nh);
		}
		/* NLM_F_CREATE | NLM_F_REPLACE: one message, no moment without the route. */
		ret = rtnl_route_add(nt->rt, r, NLM_F_REPLACE);
		if (ret < 0) {
			char p[64];

			snprintf(why, wlen, "route %s: %s", nl_addr2str(nt->dst[k], p, sizeof(p)),
				 nl_geterror(ret));
		}
		rtnl_route_put(r);
	}
	return ret < 0 ? -EIO : 0;
}

/*
 * Move the routes, then journal why: the alarm that led here (held by
 * set_state()), the decision (taken, and when the routes changed) and its
 * outcome, in that order, synced once after the route change by the
 * journal's thread (the loop does not wait for it).  Unlike a
 * disk action this is not write-ahead: a route change is idempotent and
 * seen in the kernel's table, and a failover must not wait for heald's
 * own disk.  Should heald die between the change and the sync, the lines
 * are written already (the page cache keeps them); should it die before
 * they are written, or the machine with them (and with the routes, which
 * do not survive it), the next start compares the routes with the journal
 * and journals what it finds (net_open()).  The decision's id, 0 if
 * unjournaled (the routes may have moved all the same).
 */
static uint64_t reroute(struct heald *h, struct net *nt, uint32_t set, const char *by, const char *reason)
{
	struct json_object *e, *o, *ev = json_object_new_object(), *ups = json_object_new_array();
	char why[200] = "", via[128], changed[64] = "";
	double decided = now_mono(), routed = 0;
	uint64_t id;
	int i, ret = 0;

	for (i = 0; i < nt->n; i++)
		json_object_array_add(ups, uplink_json(h, &nt->up[i], decided));
	json_object_object_add(ev, "uplinks", ups);
	json_object_object_add(ev, "routes", json_object_new_string(h->cfg.routes));
	set_names(nt, set, via, sizeof(via));
	o = outcome_entry(0, NULL, NULL, true);
	if (h->cfg.dry_run) {
		json_object_object_add(o, "outcome", json_object_new_string("not taken: dry run"));
		nt->active_set = set;	/* do not decide it again every probe */
	} else {
		ret = route_replace(h, nt, set, why, sizeof(why));
		routed = now_mono();
		wall_stamp(changed, sizeof(changed));
		json_object_object_add(o, "outcome", json_object_new_string(ret ? "failed" : "done"));
		if (ret) {
			json_object_object_add(o, "detail", json_object_new_string(why));
			h->actions_failed++;
		} else {
			nt->active_set = set;
			nt->changes++;
			h->actions_total++;
			h->last_action_wall = now_wall();
		}
	}
	for (i = 0; i < nt->n; i++)
		if ((nt->active_set >> i) & 1)
			break;
	nt->active = i < nt->n ? i : -1;
	/* The routes are where they go: now the record, in order. */
	held_flush(h, nt, false);
	e = decision_entry(h, nt->resource, "reroute", by, reason, ev, true);
	json_object_object_add(e, "via", json_object_new_string(via));
	if (!h->cfg.dry_run && !ret) {
		json_object_object_add(e, "route_changed", json_object_new_string(changed));
		json_object_object_add(e, "decision_to_route_ms",
				       json_object_new_double((routed - decided) * 1e3));
	}
	id = jappend_nosync(h, e);
	if (id) {
		json_object_object_add(o, "ref", json_object_new_int64((int64_t)id));
		jappend_nosync(h, o);
	} else {
		json_object_put(o);
	}
	jsync_async(h);	/* the three durable together, off the loop */
	hlog(LOG_NOTICE, "reroute (%s): %s%s%s", by, reason, why[0] ? ": " : "", why);
	return id;
}

static bool eligible(struct heald *h, const struct uplink *u, double now)
{
	return u->known && u->up && u->carrier && now - u->up_since >= hold_of(h, u, now);
}

/* Journals with jappend_nosync(): each caller syncs (jsync_async()) after it. */
static void net_evaluate(struct heald *h, struct net *nt, const char *why)
{
	double now = now_mono();
	struct uplink *act = nt->active >= 0 ? &nt->up[nt->active] : NULL;
	int i, best = -1, healthy = 0;
	uint32_t set = 0;
	char reason[200];

	for (i = 0; i < nt->n; i++) {
		if (!nt->up[i].known)
			return;	/* the first probes have not all concluded */
		if (nt->up[i].up && nt->up[i].carrier)
			healthy++;
	}
	if (!healthy) {
		if (!nt->all_down_alarm) {
			struct json_object *e = json_object_new_object();

			held_flush(h, nt, false);	/* the uplink's alarm first */

			json_object_object_add(e, "type", json_object_new_string("alarm"));
			json_object_object_add(e, "resource", json_object_new_string(nt->resource));
			json_object_object_add(e, "reason", json_object_new_string(
				"every uplink is down: the routes are left as they were"));
			nt->all_down_alarm = jappend_nosync(h, e);	/* synced by the caller's jsync_async() */
			h->alarms_total++;
			hlog(LOG_ERR, "every uplink is down: routes left as they were");
		}
		return;
	}
	if (nt->all_down_alarm) {
		struct json_object *e = json_object_new_object();

		held_flush(h, nt, false);

		json_object_object_add(e, "type", json_object_new_string("clear"));
		json_object_object_add(e, "resource", json_object_new_string(nt->resource));
		json_object_object_add(e, "ref", json_object_new_int64((int64_t)nt->all_down_alarm));
		json_object_object_add(e, "reason", json_object_new_string("an uplink is up again"));
		jappend_nosync(h, e);
		nt->all_down_alarm = 0;
	}
	if (h->cfg.ecmp) {
		/* Every healthy uplink past its hold-down; a down one leaves at once. */
		for (i = 0; i < nt->n; i++)
			if (eligible(h, &nt->up[i], now) ||
			    ((nt->active_set >> i) & 1 && nt->up[i].up && nt->up[i].carrier))
				set |= 1u << i;
		if (!set)
			for (i = 0; i < nt->n; i++)
				if (nt->up[i].up && nt->up[i].carrier)
					set |= 1u << i;
		if (set != nt->active_set) {
			snprintf(reason, sizeof(reason), "multipath over %u healthy uplink%s (%s)",
				 (unsigned int)__builtin_popcount(set), __builtin_popcount(set) == 1 ? "" : "s", why);
			reroute(h, nt, set, "policy", reason);
		}
		return;
	}
	/* The best uplink: preferred ones must have served their hold-down. */
	for (i = 0; i < nt->n; i++) {
		struct uplink *u = &nt->up[i];

		if (!eligible(h, u, now) && !(u == act && u->up && u->carrier))
			continue;
		if (best < 0 || u->conf->priority < nt->up[best].conf->priority)
			best = i;
	}
	if (best < 0) {
		/* The active one is down and no other has served its hold-down: take any healthy one now. */
		for (i = 0; i < nt->n; i++)
			if (nt->up[i].up && nt->up[i].carrier &&
			    (best < 0 || nt->up[i].conf->priority < nt->up[best].conf->priority))
				best = i;
	}
	if (best < 0 || best == nt->active)
		return;
	if (act && act->up && act->carrier)
		snprintf(reason, sizeof(reason), "uplink %s is preferred and has been up for %.1f s (hold-down %.0f s)",
			 nt->up[best].conf->name, now - nt->up[best].up_since, hold_of(h, &nt->up[best], now));
	else
		snprintf(reason, sizeof(reason), "%s%s%s: routes move to uplink %s",
			 act ? "uplink " : "no uplink carries the routes yet",
			 act ? act->conf->name : "", act ? " is down" : "", nt->up[best].conf->name);
	reroute(h, nt, 1u << best, "policy", reason);
}

/* The uplink's IPv4 address on the gateway's subnet; -1 when there is none. */
static int source_for(const struct uplink_conf *c, struct in_addr gw, struct in_addr *src,
		      char *have, size_t hlen)
{
	struct ifaddrs *ifa, *i;
	size_t off = 0;
	int ret = -1;

	have[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next) {
		struct in_addr a, m;
		char s[INET_ADDRSTRLEN];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, c->ifname))
			continue;
		a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		m = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
		inet_ntop(AF_INET, &a, s, sizeof(s));
		off += (size_t)snprintf(have + off, off < hlen ? hlen - off : 0, "%s%s/%d", off ? " " : "",
					s, __builtin_popcount(m.s_addr));
		if (ret < 0 && (a.s_addr & m.s_addr) == (gw.s_addr & m.s_addr) && a.s_addr != gw.s_addr) {
			*src = a;
			ret = 0;
		}
	}
	freeifaddrs(ifa);
	return ret;
}

/* Is @r one of the routes heald manages (its family, table, metric, prefix)?  The prefix's index, or -1. */
static int managed_prefix(struct heald *h, struct net *nt, struct rtnl_route *r)
{
	int k;

	if (rtnl_route_get_family(r) != nt->family || rtnl_route_get_table(r) != h->cfg.route_table ||
	    rtnl_route_get_priority(r) != metric_of(h, nt))
		return -1;
	for (k = 0; k < nt->ndst; k++)
		if (!nl_addr_cmp_prefix(rtnl_route_get_dst(r), nt->dst[k]) &&
		    nl_addr_get_prefixlen(rtnl_route_get_dst(r)) == nl_addr_get_prefixlen(nt->dst[k]))
			return k;
	return -1;
}

/* The uplinks (bitmask) @r's nexthops go through: gateway and interface (fe80::1 is on every link). */
static uint32_t nexthop_set(struct net *nt, struct rtnl_route *r)
{
	int i, k, n = rtnl_route_get_nnexthops(r);
	uint32_t set = 0;

	for (k = 0; k < n; k++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, k);
		struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);

		for (i = 0; gw && i < nt->n; i++)
			if (nl_addr_get_len(gw) == alen(nt) &&
			    !memcmp(nl_addr_get_binary_addr(gw), gw_of(&nt->up[i]), alen(nt)) &&
			    (!nt->up[i].ifindex || rtnl_route_nh_get_ifindex(nh) == nt->up[i].ifindex))
				set |= 1u << i;
	}
	return set;
}

/*
 * The uplinks managed prefix @k goes through, as the kernel has it now (a
 * fresh dump), or -1 when it has no such route.  Not from a cached IPv6
 * route: libnl's cache adds each IPv6 route it is told of to the cached
 * one as one more nexthop, a replace too, so it would still show the
 * uplink the route just left.
 */
static int kernel_route_set(struct heald *h, struct net *nt, int k)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int set = -1;

	if (rtnl_route_alloc_cache(nt->rt, nt->family, 0, &cache) < 0)
		return -1;
	for (o = nl_cache_get_first(cache); o && set < 0; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (managed_prefix(h, nt, r) == k)
			set = (int)nexthop_set(nt, r);
	}
	nl_cache_free(cache);
	return set;
}

/*
 * The uplinks (bitmask) a managed route goes through now, if @r is one;
 * -1 if not.  IPv4: as @r, the kernel's message, says; IPv6: read again
 * (kernel_route_set()).
 */
static int managed_route_set(struct heald *h, struct net *nt, struct rtnl_route *r)
{
	int k = managed_prefix(h, nt, r);

	if (k < 0)
		return -1;
	return v6(nt) ? kernel_route_set(h, nt, k) : (int)nexthop_set(nt, r);
}

/*
 * Someone else moved a route heald manages (a DHCP client, an admin):
 * journal it and take it as the state; the next evaluation puts the
 * route where the policy wants it, with its own journaled reason.
 */
void net_route_seen(struct heald *h, struct rtnl_route *r)
{
	struct net *nt = h->nets[rtnl_route_get_family(r) == AF_INET6];
	struct json_object *e;
	char why[160], names[128];
	int set, i;

	if (!nt || (set = managed_route_set(h, nt, r)) < 0 || (uint32_t)set == nt->active_set)
		return;
	for (i = 0; i < nt->n && !((set >> i) & 1); i++)
		;
	snprintf(why, sizeof(why), "a managed route was changed outside heald: now through %s",
		 i < nt->n ? nt->up[i].conf->name : "no uplink of heald's");
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("observed"));
	json_object_object_add(e, "resource", json_object_new_string(nt->resource));
	json_object_object_add(e, "reason", json_object_new_string(why));
	set_names(nt, (uint32_t)set, names, sizeof(names));
	json_object_object_add(e, "via", json_object_new_string(names));
	jappend_nosync(h, e);
	hlog(LOG_NOTICE, "%s", why);
	nt->active_set = (uint32_t)set;
	nt->active = i < nt->n ? i : -1;
	net_evaluate(h, nt, why);
	jsync_async(h);
}

/* The uplink the first managed route goes through now (the first of them, multipath), or -1. */
static int current_uplink(struct heald *h, struct net *nt)
{
	int i, set = kernel_route_set(h, nt, 0);

	for (i = 0; set > 0 && i < nt->n; i++)
		if ((set >> i) & 1)
			return i;
	return -1;
}

/* A string member of @o, or "". */
static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : "";
}

/*
 * Replay: where the journal last had the routes (a taken reroute's "via",
 * unless its outcome says it failed; an "observed" entry's), and a taken
 * reroute decision whose outcome is missing.
 */
void net_replay(struct heald *h, struct json_object *entry)
{
	static char before[2][sizeof(h->net_journaled_via[0])];
	static const char *const resource[2] = { "routes", "routes6" };
	struct json_object *v;
	const char *type = str_of(entry, "type");
	int fi;

	for (fi = 0; fi < 2; fi++) {
		char *jvia = h->net_journaled_via[fi];
		uint64_t *unfinished = &h->net_unfinished[fi];

		if (strcmp(str_of(entry, "resource"), resource[fi]) && strcmp(type, "outcome"))
			continue;
		if (!strcmp(type, "decision") && !strcmp(str_of(entry, "action"), "reroute") &&
		    json_object_object_get_ex(entry, "taken", &v) && json_object_get_boolean(v) &&
		    json_object_object_get_ex(entry, "via", &v) && json_object_object_get_ex(entry, "id", &v)) {
			snprintf(before[fi], sizeof(before[fi]), "%s", jvia);
			snprintf(jvia, sizeof(before[fi]), "%s", str_of(entry, "via"));
			*unfinished = (uint64_t)json_object_get_int64(v);
		} else if (!strcmp(type, "observed") && json_object_object_get_ex(entry, "via", &v)) {
			snprintf(jvia, sizeof(before[fi]), "%s", str_of(entry, "via"));
		} else if (!strcmp(type, "outcome") && *unfinished &&
			   json_object_object_get_ex(entry, "ref", &v) &&
			   (uint64_t)json_object_get_int64(v) == *unfinished) {
			if (strcmp(str_of(entry, "outcome"), "done"))
				snprintf(jvia, sizeof(before[fi]), "%.127s", before[fi]);
			*unfinished = 0;
		}
	}
}

/*
 * At start: the routes compared with the journal's last word on them.  A
 * reroute decision without its outcome gets one now; routes that are not
 * where the journal had them (heald stopped after a route change and
 * before its record was written, or someone moved them meanwhile) are
 * journaled as observed, so the journal explains where they are.
 */
static void net_reconcile(struct heald *h, struct net *nt)
{
	const char *now_via = nt->active >= 0 ? nt->up[nt->active].conf->name : "";
	struct json_object *e;
	char why[512];

	char *jvia = h->net_journaled_via[nt->fi];
	uint64_t unfinished = h->net_unfinished[nt->fi];

	if (unfinished) {
		bool there = *now_via && in_names(jvia, now_via);

		snprintf(why, sizeof(why), "heald stopped before it journaled the outcome; at start the routes go through %s%s",
			 *now_via ? "uplink " : "", *now_via ? now_via : "none of its uplinks");
		jappend(h, outcome_entry(unfinished, there ? "done" : "not done", why, true));
		hlog(LOG_NOTICE, "reroute %llu: %s", (unsigned long long)unfinished, why);
		if (there)
			return;
	} else if (!jvia[0] || (*now_via && in_names(jvia, now_via))) {
		return;
	}
	snprintf(why, sizeof(why), "at start the routes go through %s%s, not %s as last journaled: "
		 "heald stopped between a route change and its record, or they were moved meanwhile",
		 *now_via ? "uplink " : "", *now_via ? now_via : "none of its uplinks", jvia);
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("observed"));
	json_object_object_add(e, "resource", json_object_new_string(nt->resource));
	json_object_object_add(e, "reason", json_object_new_string(why));
	json_object_object_add(e, "via", json_object_new_string(now_via));
	jappend(h, e);
	hlog(LOG_NOTICE, "%s", why);
}

/* @msg without its "uplink NAME: " prefix, for set_state()'s reason. */
static const char *bare(const struct uplink *u, const char *msg)
{
	size_t n = strlen(u->conf->name);

	if (!strncmp(msg, "uplink ", 7) && !strncmp(msg + 7, u->conf->name, n) && !strncmp(msg + 7 + n, ": ", 2))
		return msg + 7 + n + 2;
	return msg;
}

/* @u's index among the [uplink] sections: its table's number goes by it. */
static int conf_index(const struct heald *h, const struct uplink *u)
{
	return (int)(u->conf - h->cfg.uplink);
}

/* Uplink @i's table and fwmark: its targets' probes are routed by them, not by the main table. */
static uint32_t table_of(const struct heald *h, int i)
{
	return h->cfg.target_table + (uint32_t)i;
}

/*
 * The route of @u's own table: everything through its gateway (onlink:
 * the gateway is on the interface's subnet, checked at attach).  The
 * targets' probes carry the table's number as their mark, and the rule
 * rule_set() adds sends them here whatever the main table says: a standby
 * uplink's path beyond its gateway is known before the routes need it.
 */
static int table_route(struct heald *h, struct uplink *u, bool add)
{
	struct net *nt = u->nt;
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *gw = nl_addr_build(nt->family, gw_of(u), alen(nt));
	struct nl_addr *src = nl_addr_build(AF_INET, &u->src, 4);
	int ret = -NLE_NOMEM;

	if (r && nh && gw && src && !nl_addr_parse(v6(nt) ? "::/0" : "0.0.0.0/0", nt->family, &dst)) {
		rtnl_route_set_family(r, nt->family);
		rtnl_route_set_dst(r, dst);
		rtnl_route_set_table(r, table_of(h, conf_index(h, u)));
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
		rtnl_route_set_type(r, RTN_UNICAST);
		/*
		 * On-link: the gateway is on the interface's link, whether or not
		 * a prefix route says so yet (IPv6 before the router's
		 * advertisement); a link-local one is anyway.  IPv4: the
		 * uplink's address as source; IPv6: the kernel picks one.
		 */
		if (!v6(nt))
			rtnl_route_set_pref_src(r, src);
		if (!v6(nt) || !IN6_IS_ADDR_LINKLOCAL(&u->gw6))
			rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		rtnl_route_nh_set_ifindex(nh, u->ifindex);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;
		ret = add ? rtnl_route_add(nt->rt, r, NLM_F_REPLACE) : rtnl_route_delete(nt->rt, r, 0);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	if (r)
		rtnl_route_put(r);
	nl_addr_put(dst);
	nl_addr_put(gw);
	nl_addr_put(src);
	return ret;
}

/* The rule "fwmark T lookup T" of uplink @i (table T = table_of()), as an object; NULL: no memory. */
static struct rtnl_rule *rule_of(struct heald *h, int family, int i)
{
	struct rtnl_rule *r = rtnl_rule_alloc();

	if (!r)
		return NULL;
	rtnl_rule_set_family(r, family);
	rtnl_rule_set_prio(r, h->cfg.target_rule_priority);
	rtnl_rule_set_mark(r, table_of(h, i));
	rtnl_rule_set_mask(r, 0xffffffff);
	rtnl_rule_set_table(r, table_of(h, i));
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	return r;
}

/*
 * Uplink @i's rule: @add it, or not.  Any copy left by a heald that did not
 * stop cleanly is removed first, so that there is one.
 */
static int rule_set(struct heald *h, struct net *nt, int i, bool add)
{
	struct rtnl_rule *r = rule_of(h, nt->family, i);
	int ret, k;

	if (!r)
		return -NLE_NOMEM;
	for (k = 0; k < 64 && !rtnl_rule_delete(nt->rt, r, 0); k++)
		;
	ret = add ? rtnl_rule_add(nt->rt, r, NLM_F_EXCL) : 0;
	rtnl_rule_put(r);
	return ret;
}

/* Uplink @i's rule, added if it is not there (-NLE_EXIST if it is). */
static int rule_ensure(struct heald *h, struct net *nt, int i)
{
	struct rtnl_rule *r = rule_of(h, nt->family, i);
	int ret;

	if (!r)
		return -NLE_NOMEM;
	ret = rtnl_rule_add(nt->rt, r, NLM_F_EXCL);
	rtnl_rule_put(r);
	return ret;
}

/* Strict reverse-path filtering on @ifname drops the targets' replies while the routes go elsewhere. */
static void rp_filter_warn(const struct uplink_conf *c)
{
	char path[96];
	int all = 0, one = 0;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/conf/all/rp_filter", "re");
	if (f && fscanf(f, "%d", &all) != 1)
		all = 0;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", c->ifname);
	f = fopen(path, "re");
	if (f && fscanf(f, "%d", &one) != 1)
		one = 0;
	if (f)
		fclose(f);
	if ((all > one ? all : one) == 1)
		hlog(LOG_WARNING, "uplink %s: rp_filter is strict (1) on %s: the replies of its targets are "
		     "dropped while the routes go through another uplink, and it looks down; set "
		     "net.ipv4.conf.%s.rp_filter = 2 (loose)", c->name, c->ifname, c->ifname);
}

/* A raw ICMP socket for @p: echo replies only, bound to @u's interface and address, marked @mark. */
static int prober_open(struct heald *h, struct uplink *u, struct prober *p, uint32_t mark)
{
	struct icmp_filter filt = { .data = ~(1u << ICMP_ECHOREPLY) };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = u->src };
	const char *ifname = u->conf->ifname;
	struct icmp6_filter filt6;

	if (v6(u->nt)) {
		ICMP6_FILTER_SETBLOCKALL(&filt6);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt6);
		p->sock = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	} else {
		p->sock = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	}
	if (p->sock < 0 ||
	    setsockopt(p->sock, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) ||
	    (mark && setsockopt(p->sock, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))))
		return -errno;
	/* IPv4: echo replies only, from the uplink's address; IPv6: the kernel picks the source. */
	if (v6(u->nt) ? setsockopt(p->sock, IPPROTO_ICMPV6, ICMP6_FILTER, &filt6, sizeof(filt6)) :
	    setsockopt(p->sock, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt)) ||
	    bind(p->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	p->w = (struct watch){ TAG_NET_SOCK, p->sock };
	return loop_add(h, &p->w) ? -EIO : 0;
}

static void prober_close(struct prober *p)
{
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	prober_reset(p);
}

/*
 * Find @u's interface and address, open its probe sockets and route its
 * targets.  -ENODEV: the interface is not there, or has no IPv4 address
 * yet (an LTE dongle not plugged in, its DHCP not done): the uplink waits
 * for it, down.  Another error is a configuration mistake (at start) or a
 * transient failure.
 */
static int uplink_attach(struct heald *h, struct uplink *u, char *err, size_t errlen)
{
	struct net *nt = u->nt;
	const struct uplink_conf *c = u->conf;
	char have[200];
	int ret;

	u->ifindex = (int)if_nametoindex(c->ifname);
	if (!u->ifindex) {
		snprintf(err, errlen, "uplink %s: interface %s does not exist (yet)", c->name, c->ifname);
		return -ENODEV;
	}
	/* IPv6: any address the kernel gives the interface will do (a link-local one at least). */
	if (!v6(nt) && source_for(c, u->gw, &u->src, have, sizeof(have))) {
		snprintf(err, errlen, "uplink %s: gateway %s is not on %s's subnet (%s has %s)",
			 c->name, c->gateway, c->ifname, c->ifname, have[0] ? have : "no IPv4 address");
		u->ifindex = 0;
		return have[0] ? -EINVAL : -ENODEV;
	}
	ret = prober_open(h, u, &u->gwp, 0);
	if (ret) {
		snprintf(err, errlen, "uplink %s: probe socket: %s", c->name, strerror(-ret));
		goto fail;
	}
	if (u->ntgt) {
		ret = prober_open(h, u, &u->tgp, table_of(h, conf_index(h, u)));
		if (ret) {
			snprintf(err, errlen, "uplink %s: targets' probe socket: %s", c->name, strerror(-ret));
			goto fail;
		}
		/* Not fatal: its targets miss until a tick puts it there (targets_routed()). */
		ret = table_route(h, u, true);
		if (ret < 0)
			hlog(LOG_WARNING, "uplink %s: route of table %u: %s: its targets are asked again each tick",
			     c->name, table_of(h, conf_index(h, u)), nl_geterror(ret));
		u->table_warned = ret < 0;
		if (!v6(nt))
			rp_filter_warn(c);
	}
	u->attached = true;
	u->carrier = true;
	prober_reset(&u->gwp);
	prober_reset(&u->tgp);
	u->detached_why[0] = '\0';
	return 0;
fail:
	prober_close(&u->gwp);
	prober_close(&u->tgp);
	u->ifindex = 0;
	return ret;
}

/* Uplinks still without their interface: try again (timer, link events). */
static void uplinks_attach(struct heald *h, struct net *nt)
{
	char err[sizeof(nt->up[0].detached_why)];
	bool any = false;
	int i;

	for (i = 0; i < nt->n; i++) {
		struct uplink *u = &nt->up[i];

		if (u->attached)
			continue;
		if (uplink_attach(h, u, err, sizeof(err))) {
			/* Said once per reason, not every tick. */
			if (strcmp(err, u->detached_why)) {
				snprintf(u->detached_why, sizeof(u->detached_why), "%s", err);
				hlog(LOG_NOTICE, "%s: still down", err);
			}
			continue;
		}
		hlog(LOG_NOTICE, "uplink %s: interface %s is there: probing %s", u->conf->name,
		     u->conf->ifname, u->conf->gateway);
		u->gwp.next_send = now_mono();
		u->tgp.next_send = now_mono();
		any = true;
	}
	if (any)
		arm(nt);
}

/* @u's interface went away: down, and waiting for it again (its table's route went with it). */
static void uplink_detach(struct heald *h, struct uplink *u, const char *why)
{
	struct net *nt = u->nt;
	prober_close(&u->gwp);
	prober_close(&u->tgp);
	u->attached = false;
	u->ifindex = 0;
	u->carrier = false;
	snprintf(u->detached_why, sizeof(u->detached_why), "uplink %s: %s", u->conf->name, why);
	set_state(h, u, false, now_mono(), why);
	arm(nt);
}

/* The prefixes of "routes" of @nt's family ("default": its default route); -EINVAL with @err. */
static int routes_of(struct heald *h, struct net *nt, char *err, size_t errlen)
{
	char tok[64];
	const char *p;
	int n;

	for (p = h->cfg.routes; sscanf(p, "%63s%n", tok, &n) == 1; p += n) {
		struct nl_addr *a;

		if (!strcmp(tok, "default"))
			snprintf(tok, sizeof(tok), "%s", v6(nt) ? "::/0" : "0.0.0.0/0");
		if (!strchr(tok, '/') || nl_addr_parse(tok, AF_UNSPEC, &a) < 0) {
			snprintf(err, errlen, "routes: '%s' is not a prefix (a.b.c.d/len, x:y::/len or default)", tok);
			return -EINVAL;
		}
		if (nl_addr_get_family(a) != nt->family) {
			nl_addr_put(a);
			continue;
		}
		if (nt->ndst == CONFIG_MAX_ROUTES) {
			nl_addr_put(a);
			snprintf(err, errlen, "routes: more than %d prefixes", CONFIG_MAX_ROUTES);
			return -EINVAL;
		}
		nt->dst[nt->ndst++] = a;
	}
	return 0;
}

/* The uplinks of one family, @fi: 0 IPv4, 1 IPv6 (none: nothing to do). */
static int net_open_family(struct heald *h, int fi, char *err, size_t errlen)
{
	int family = fi ? AF_INET6 : AF_INET;
	struct net *nt;
	int i;

	for (i = 0; i < h->cfg.nuplink && h->cfg.uplink[i].family != family; i++)
		;
	if (i == h->cfg.nuplink)
		return 0;
	nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	h->nets[fi] = nt;
	nt->fi = fi;
	nt->family = family;
	nt->resource = fi ? "routes6" : "routes";
	nt->timerfd = -1;
	nt->active = -1;
	nt->started = now_mono();
	if (routes_of(h, nt, err, errlen))
		return -EINVAL;
	if (!nt->ndst) {
		snprintf(err, errlen, "routes: no %s prefix for the %s uplinks (add default or one)",
			 fi ? "IPv6" : "IPv4", fi ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	nt->rt = nl_socket_alloc();
	if (!nt->rt || nl_connect(nt->rt, NETLINK_ROUTE) < 0) {
		snprintf(err, errlen, "rtnetlink: cannot connect");
		return -EIO;
	}
	for (i = 0; i < h->cfg.nuplink; i++) {
		struct uplink *u = &nt->up[nt->n];
		int k, ret;

		if (h->cfg.uplink[i].family != family)
			continue;
		u->conf = &h->cfg.uplink[i];
		u->nt = nt;
		u->gwp.sock = -1;
		u->tgp.sock = -1;
		/* Random idents and cookies: a reply cannot be forged by guessing them. */
		if (getrandom(&u->gwp.ident, sizeof(u->gwp.ident), 0) != sizeof(u->gwp.ident) ||
		    getrandom(&u->tgp.ident, sizeof(u->tgp.ident), 0) != sizeof(u->tgp.ident) ||
		    getrandom(u->gwp.cookie, sizeof(u->gwp.cookie), 0) != sizeof(u->gwp.cookie) ||
		    getrandom(u->tgp.cookie, sizeof(u->tgp.cookie), 0) != sizeof(u->tgp.cookie)) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return -EIO;
		}
		inet_pton(family, u->conf->gateway, fi ? (void *)&u->gw6 : (void *)&u->gw);
		u->ntgt = u->conf->ntargets;
		for (k = 0; k < u->ntgt; k++)
			inet_pton(family, u->conf->targets[k], fi ? (void *)&u->tgt6[k] : (void *)&u->tgt[k]);
		nt->n++;
		if (u->ntgt) {
			ret = rule_set(h, nt, i, true);
			if (ret < 0) {
				snprintf(err, errlen, "uplink %s: rule fwmark %u lookup %u: %s", u->conf->name,
					 table_of(h, i), table_of(h, i), nl_geterror(ret));
				return -EIO;
			}
		}
		ret = uplink_attach(h, u, err, errlen);
		/* Not there yet (an LTE dongle): down until it is; anything else is a mistake. */
		if (ret && ret != -ENODEV)
			return ret;
		if (ret)
			snprintf(u->detached_why, sizeof(u->detached_why), "%s", err);
		u->gwp.next_send = now_mono() + 0.001 * i;
		u->tgp.next_send = u->gwp.next_send;
	}
	err[0] = '\0';
	nt->active = current_uplink(h, nt);
	if (nt->active >= 0)
		nt->active_set = 1u << nt->active;
	net_reconcile(h, nt);
	nt->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	nt->w_timer = (struct watch){ TAG_NET_TIMER, nt->timerfd };
	if (nt->timerfd < 0 || loop_add(h, &nt->w_timer))
		return -EIO;
	arm(nt);
	for (i = 0; i < nt->n; i++)
		if (!nt->up[i].attached) {
			nt->up[i].carrier = false;
			set_state(h, &nt->up[i], false, now_mono(), bare(&nt->up[i], nt->up[i].detached_why));
		}
	hlog(LOG_INFO, "network: %d %s uplinks, routes '%s' now through %s", nt->n, fi ? "IPv6" : "IPv4",
	     h->cfg.routes, nt->active >= 0 ? nt->up[nt->active].conf->name : "none of them");
	return 0;
}

int net_open(struct heald *h, char *err, size_t errlen)
{
	char tok[64];
	const char *p;
	int fi, n, ret;

	if (!h->cfg.nuplink)
		return 0;
	/* A prefix of a family without uplinks would never be routed. */
	for (p = h->cfg.routes; sscanf(p, "%63s%n", tok, &n) == 1; p += n) {
		struct nl_addr *a;
		int i, fam;

		if (!strcmp(tok, "default"))
			continue;
		if (!strchr(tok, '/') || nl_addr_parse(tok, AF_UNSPEC, &a) < 0) {
			snprintf(err, errlen, "routes: '%s' is not a prefix (a.b.c.d/len, x:y::/len or default)", tok);
			return -EINVAL;
		}
		fam = nl_addr_get_family(a);
		nl_addr_put(a);
		for (i = 0; i < h->cfg.nuplink && h->cfg.uplink[i].family != fam; i++)
			;
		if (i == h->cfg.nuplink) {
			snprintf(err, errlen, "routes: %s is %s, and no uplink has an %s gateway", tok,
				 fam == AF_INET6 ? "IPv6" : "IPv4", fam == AF_INET6 ? "IPv6" : "IPv4");
			return -EINVAL;
		}
	}
	for (fi = 0; fi < 2; fi++) {
		ret = net_open_family(h, fi, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

#define FOR_NETS(h, nt, fi) \
	for ((fi) = 0; (fi) < 2; (fi)++) \
		if (((nt) = (h)->nets[(fi)]))

void net_ready(struct heald *h, struct watch *w)
{
	struct net *nt;
	int fi, i;

	FOR_NETS(h, nt, fi) {
		if (w == &nt->w_timer) {
			probe_timer(h, nt);
			return;
		}
		for (i = 0; i < nt->n; i++) {
			struct prober *p = &nt->up[i].gwp.w == w ? &nt->up[i].gwp :
					   &nt->up[i].tgp.w == w ? &nt->up[i].tgp : NULL;

			if (!p)
				continue;
			probe_reply(h, &nt->up[i], p);
			arm(nt);	/* after the replies (probe_timer() arms for its own) */
			return;
		}
	}
}

/* rtnetlink: carrier or admin state of an uplink's interface changed. */
void net_link(struct heald *h, int ifindex, bool up, bool carrier)
{
	double now = now_mono();
	struct net *nt;
	int fi, i;

	FOR_NETS(h, nt, fi) {
		uplinks_attach(h, nt);	/* a new interface may be one that was missing */
		for (i = 0; i < nt->n; i++) {
			struct uplink *u = &nt->up[i];

			if (!u->attached || u->ifindex != ifindex || u->carrier == (up && carrier))
				continue;
			u->carrier = up && carrier;
			/* Up again only when the gateway answers (and a target, with targets). */
			prober_reset(&u->gwp);
			prober_reset(&u->tgp);
			if (!u->carrier) {
				set_state(h, u, false, now, up ? "lost carrier" : "interface down");
				continue;
			}
			/* An admin down took the targets' route with it. */
			if (u->ntgt && table_route(h, u, true) < 0)
				hlog(LOG_WARNING, "uplink %s: route of table %u not restored", u->conf->name,
				     table_of(h, conf_index(h, u)));
			u->gwp.next_send = now;
			u->tgp.next_send = now;
			arm(nt);
		}
	}
}

/* rtnetlink: an interface was removed; an uplink on it waits for it to come back. */
void net_link_gone(struct heald *h, int ifindex)
{
	struct net *nt;
	char why[96];
	int fi, i;

	FOR_NETS(h, nt, fi)
		for (i = 0; i < nt->n; i++) {
			struct uplink *u = &nt->up[i];

			if (!u->attached || u->ifindex != ifindex)
				continue;
			snprintf(why, sizeof(why), "interface %s is gone", u->conf->ifname);
			uplink_detach(h, u, why);
		}
}

/*
 * The targets' rule and route again, where someone removed them: the
 * kernel drops the route with the link's admin state or its source
 * address, a network manager may flush what it did not make.  Both
 * requests are idempotent (NLM_F_REPLACE; NLM_F_EXCL finding it there).
 */
static void targets_routed(struct heald *h, struct net *nt)
{
	int i, ret;

	for (i = 0; i < nt->n; i++) {
		struct uplink *u = &nt->up[i];
		uint32_t t = table_of(h, conf_index(h, u));

		if (!u->ntgt)
			continue;
		ret = rule_ensure(h, nt, conf_index(h, u));
		if (ret < 0 && ret != -NLE_EXIST)
			hlog(LOG_WARNING, "uplink %s: rule fwmark %u lookup %u: %s", u->conf->name, t, t,
			     nl_geterror(ret));
		if (!u->attached || !u->carrier)
			continue;
		ret = table_route(h, u, true);
		if (ret < 0 && !u->table_warned)
			hlog(LOG_WARNING, "uplink %s: route of table %u: %s", u->conf->name, t, nl_geterror(ret));
		u->table_warned = ret < 0;
	}
}

/* The hold-down of a preferred uplink may end between events; a missing interface may appear. */
void net_tick(struct heald *h)
{
	struct in_addr src;
	struct net *nt;
	char have[200];
	int fi, i;

	FOR_NETS(h, nt, fi) {
		/* An address that went (a new DHCP lease, an LTE reconnect): the IPv4 probes are bound to it. */
		for (i = 0; i < nt->n; i++) {
			struct uplink *u = &nt->up[i];

			if (u->attached && !v6(nt) && (source_for(u->conf, u->gw, &src, have, sizeof(have)) ||
							src.s_addr != u->src.s_addr))
				u->readdress = true;
			if (u->readdress)
				readdress(h, u);
		}
		uplinks_attach(h, nt);
		targets_routed(h, nt);
		net_evaluate(h, nt, "hold-down passed");
	}
	jsync_async(h);
}

/* The uplink named @name, or NULL. */
static struct uplink *uplink_named(struct heald *h, const char *name)
{
	struct net *nt;
	int fi, i;

	FOR_NETS(h, nt, fi)
		for (i = 0; i < nt->n; i++)
			if (!strcmp(nt->up[i].conf->name, name))
				return &nt->up[i];
	return NULL;
}

int net_uplink_up(struct heald *h, const char *name)
{
	struct uplink *u = uplink_named(h, name);

	return u && u->known ? u->up : -1;
}

struct json_object *net_status(struct heald *h)
{
	struct json_object *arr = json_object_new_array();
	double now = now_mono();
	struct net *nt;
	int fi, i;

	FOR_NETS(h, nt, fi)
		for (i = 0; i < nt->n; i++)
			json_object_array_add(arr, uplink_json(h, &nt->up[i], now));
	return arr;
}

uint64_t net_act_reroute(struct heald *h, const char *name, uid_t uid, char *err, size_t errlen)
{
	struct uplink *named = name ? uplink_named(h, name) : NULL;
	struct net *nt = named ? named->nt : h->nets[0] ? h->nets[0] : h->nets[1];
	char reason[128];
	uint64_t id;
	int i, to = -1;

	if (!nt) {
		snprintf(err, errlen, "no uplinks are configured");
		return 0;
	}
	if (named)
		to = (int)(named - nt->up);
	/* No name: the best healthy uplink other than the active one (IPv4's, or IPv6's without). */
	for (i = 0; !name && i < nt->n; i++)
		if (i != nt->active && nt->up[i].up &&
		    (to < 0 || nt->up[i].conf->priority < nt->up[to].conf->priority))
			to = i;
	if (to < 0) {
		snprintf(err, errlen, name ? "no uplink named '%s'" : "no other healthy uplink%s",
			 name ? name : "");
		return 0;
	}
	if (!nt->up[to].up) {
		snprintf(err, errlen, "uplink %s is down: not moving the routes onto it", nt->up[to].conf->name);
		return 0;
	}
	snprintf(reason, sizeof(reason), "asked by uid %u: routes through uplink %s", uid,
		 nt->up[to].conf->name);
	/* A forced switch counts as a flap of the one left: it does not come straight back. */
	if (nt->active >= 0 && nt->active != to)
		nt->up[nt->active].up_since = now_mono();
	id = reroute(h, nt, 1u << to, "operator", reason);
	/* The operator waits for the record (the route has moved already): on disk, then answered. */
	if (id)
		jsync(h);
	if (!id)
		snprintf(err, errlen, "journal: %s: the routes %s, unrecorded", strerror(errno),
			 nt->active == to ? "moved" : "did not move");
	return id;
}

/* Each uplink of each family as @what: one metric line each. */
#define PUT_UPLINKS(h, nt, fi, i, cond, fmt, ...)					\
	FOR_NETS(h, nt, fi)								\
		for ((i) = 0; (i) < (nt)->n; (i)++)					\
			if (cond)							\
				put(b, fmt, (nt)->up[(i)].conf->name, __VA_ARGS__)

void net_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	unsigned long long changes = 0;
	struct net *nt;
	int fi, i;

	if (!h->nets[0] && !h->nets[1])
		return;
	put(b, "# HELP heal_uplink_up 1 while the uplink's gateway answers\n# TYPE heal_uplink_up gauge\n");
	PUT_UPLINKS(h, nt, fi, i, true, "heal_uplink_up{uplink=\"%s\"} %d\n", nt->up[i].up);
	put(b, "# HELP heal_uplink_active 1 for the uplink the routes go through\n# TYPE heal_uplink_active gauge\n");
	PUT_UPLINKS(h, nt, fi, i, true, "heal_uplink_active{uplink=\"%s\"} %d\n", carries_routes(h, nt, i));
	put(b, "# HELP heal_uplink_rtt_seconds Last probe round trip\n# TYPE heal_uplink_rtt_seconds gauge\n");
	PUT_UPLINKS(h, nt, fi, i, true, "heal_uplink_rtt_seconds{uplink=\"%s\"} %.6f\n",
		    nt->up[i].gwp.rtt_ms / 1e3);
	put(b, "# HELP heal_uplink_targets_up 1 while a target beyond the uplink's gateway answers through it\n"
	    "# TYPE heal_uplink_targets_up gauge\n");
	PUT_UPLINKS(h, nt, fi, i, nt->up[i].ntgt, "heal_uplink_targets_up{uplink=\"%s\"} %d\n",
		    nt->up[i].tgp.known && nt->up[i].tgp.ok);
	put(b, "# HELP heal_uplink_targets_rtt_seconds Last round trip to the uplink's targets\n"
	    "# TYPE heal_uplink_targets_rtt_seconds gauge\n");
	PUT_UPLINKS(h, nt, fi, i, nt->up[i].ntgt, "heal_uplink_targets_rtt_seconds{uplink=\"%s\"} %.6f\n",
		    nt->up[i].tgp.rtt_ms / 1e3);
	put(b, "# HELP heal_uplink_probes_total Probes sent\n# TYPE heal_uplink_probes_total counter\n");
	PUT_UPLINKS(h, nt, fi, i, true, "heal_uplink_probes_total{uplink=\"%s\"} %llu\n",
		    (unsigned long long)nt->up[i].gwp.sent);
	put(b, "# HELP heal_uplink_probes_answered_total Probes answered\n# TYPE heal_uplink_probes_answered_total counter\n");
	PUT_UPLINKS(h, nt, fi, i, true, "heal_uplink_probes_answered_total{uplink=\"%s\"} %llu\n",
		    (unsigned long long)nt->up[i].gwp.received);
	FOR_NETS(h, nt, fi)
		changes += nt->changes;
	put(b, "# HELP heal_route_changes_total Times heald moved the routes\n# TYPE heal_route_changes_total counter\n");
	put(b, "heal_route_changes_total %llu\n", changes);
}

void net_close(struct heald *h)
{
	struct net *nt;
	int fi, i;

	FOR_NETS(h, nt, fi) {
		for (i = 0; i < nt->n; i++) {
			struct uplink *u = &nt->up[i];

			prober_close(&u->gwp);
			prober_close(&u->tgp);
			/* heald's own table and rule go with it: nothing else uses them. */
			if (u->ntgt && nt->rt) {
				if (u->ifindex)
					table_route(h, u, false);
				rule_set(h, nt, conf_index(h, u), false);
			}
		}
		for (i = 0; i < nt->ndst; i++)
			nl_addr_put(nt->dst[i]);
		if (nt->rt)
			nl_socket_free(nt->rt);
		if (nt->timerfd >= 0)
			close(nt->timerfd);
		free(nt);
		h->nets[fi] = NULL;
	}
}
