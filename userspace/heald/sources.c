// SPDX-License-Identifier: GPL-2.0
/*
 * Sources: healblk's events group and device dumps, and rtnetlink links
 * (libnl-route's cache manager keeps the link table current).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/if.h>
#include <json-c/json.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include "../healctl/healctl.h"
#include "../lib/hb_time.h"
#include "heald.h"
#include "scrub.h"
#include "smart.h"

static int on_event(struct nl_msg *msg, void *arg)
{
	struct heald *h = arg;
	/* When heald received it: the kernel's events carry no time of their own. */
	struct timespec rx = hb_wall_now();
	struct json_object *o;
	struct hb_event ev;
	char stamp[48];

	if (hb_parse_event(msg, &ev))
		return NL_SKIP;
	h->events_total++;
	switch (ev.cmd) {
	case HEALBLK_CMD_EVENT_IO_ERROR:
		diag_io_error(h, &ev);
		break;
	case HEALBLK_CMD_EVENT_LEG_STATE:
		diag_leg_state(h, &ev);
		break;
	case HEALBLK_CMD_EVENT_SYNC:
		diag_sync(h, &ev);
		scrub_sync_event(h, &ev);
		break;
	default:
		break;
	}
	o = api_event(h, "kernel");
	if (o) {
		json_object_object_add(o, "received", json_object_new_string(
			hb_rfc3339(stamp, sizeof(stamp), &rx, 9)));
		json_object_object_add(o, "received_ns", json_object_new_int64(hb_ts_ns(&rx)));
		json_object_object_add(o, "event", event_to_json(&ev));
		if (ev.cmd != HEALBLK_CMD_EVENT_SYNC && dev_find(h, ev.dev) && ev.leg < HEALBLK_MAX_LEGS &&
		    ev.leg < dev_find(h, ev.dev)->info.nr_legs) {
			const char *name = dev_find(h, ev.dev)->info.legs[ev.leg].name, *serial, *wwn;

			smart_ids(h, name, &serial, &wwn, NULL);
			json_object_object_add(o, "disk", json_object_new_string(name));
			json_object_object_add(o, "serial", json_object_new_string(serial));
			json_object_object_add(o, "wwn", json_object_new_string(wwn));
		}
		api_publish(h, o);
	}
	return NL_OK;
}

int src_healblk_open(struct heald *h)
{
	int ret;

	ret = hb_nl_open(&h->nl);
	if (ret)
		return ret;
	ret = hb_nl_open(&h->ev);
	if (ret) {
		hb_nl_close(&h->nl);
		return ret;
	}
	ret = hb_nl_subscribe(&h->ev);
	if (ret)
		goto fail;
	nl_socket_set_nonblocking(h->ev.sk);
	/* A burst of errors must not overrun us: 4 MiB of socket buffer. */
	nl_socket_set_buffer_size(h->ev.sk, 4 << 20, 0);
	nl_socket_modify_cb(h->ev.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, h);
	h->w_healblk = (struct watch){ TAG_HEALBLK, nl_socket_get_fd(h->ev.sk) };
	ret = loop_add(h, &h->w_healblk);
	if (ret)
		goto fail;
	h->have_healblk = true;
	src_healblk_refresh(h);
	return 0;
fail:
	hb_nl_close(&h->nl);
	hb_nl_close(&h->ev);
	return ret;
}

void src_healblk_ready(struct heald *h)
{
	int ret = nl_recvmsgs_default(h->ev.sk);

	if (ret < 0 && ret != -NLE_AGAIN) {
		/* ENOBUFS: events were lost; the next dump shows the state. */
		hlog(LOG_WARNING, "healblk events: %s: some events may be lost", nl_geterror(ret));
		src_healblk_refresh(h);
	}
}

struct dump_ctx {
	struct heald *h;
	bool seen[HEALD_MAX_DEVS];
};

static struct dev_track *dev_slot(struct heald *h, uint32_t index, const uint8_t *uuid, bool make)
{
	struct dev_track *free_slot = NULL;
	int i;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		if (h->devs[i].present && h->devs[i].info.index == index) {
			/* The same number on another device (destroyed, made anew): start over. */
			if (make && uuid && memcmp(h->devs[i].info.uuid, uuid, 16)) {
				h->devs[i].present = false;
				free_slot = &h->devs[i];
				break;
			}
			return &h->devs[i];
		}
		if (!h->devs[i].present && !free_slot)
			free_slot = &h->devs[i];
	}
	if (!make || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	return free_slot;
}

struct dev_track *dev_find(struct heald *h, uint32_t index)
{
	return dev_slot(h, index, NULL, false);
}

static void on_dev(const struct hb_dev_info *info, void *arg)
{
	struct dump_ctx *x = arg;
	struct heald *h = x->h;
	struct dev_track *d = dev_slot(h, info->index, info->uuid, true);
	const struct disk_conf *dc;
	uint32_t i;
	char why[160];

	if (!d) {
		hlog(LOG_WARNING, "%s: more than %d devices: not watched", info->name, HEALD_MAX_DEVS);
		return;
	}
	x->seen[d - h->devs] = true;
	if (!d->present) {
		d->present = true;
		dc = config_disk(&h->cfg, info->name);
		for (i = 0; i < HEALBLK_MAX_LEGS; i++)
			serd_init(&d->legs[i].serd, dc->serd_n, dc->serd_t, dc->serd_quiet);
		hlog(LOG_INFO, "%s: watching (%u legs, %u spares)", info->name, info->nr_legs,
		     info->nr_spares);
	}
	d->info = *info;
	/*
	 * With manage_spares heald decides when a spare steps in (and
	 * journals why); it hands auto_spare back when it stops.
	 */
	if (h->cfg.manage_spares && !h->cfg.dry_run && info->auto_spare) {
		if (act_auto_spare(h, info->index, false, why, sizeof(why)))
			hlog(LOG_WARNING, "%s: cannot take over spares: %s", info->name, why);
		else
			d->took_auto_spare = true;
		d->info.auto_spare = false;
	}
}

/*
 * One device only: the re-check just before an action, where a dump of
 * every device would cost time between the threshold and the action.
 */
int src_healblk_get(struct heald *h, uint32_t index)
{
	struct dump_ctx x = { .h = h };
	struct nl_msg *msg;
	int ret;

	msg = hb_nl_msg(&h->nl, HEALBLK_CMD_GET, 0);
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	ret = hb_nl_call(&h->nl, msg, on_dev, &x);
	if (ret == -ENODEV || ret == -ENOENT) {
		struct dev_track *d = dev_find(h, index);

		if (d)
			d->present = false;
	}
	return ret;
}

int src_healblk_refresh(struct heald *h)
{
	struct dump_ctx x = { .h = h };
	struct nl_msg *msg;
	int i, ret;

	h->last_refresh = now_mono();
	msg = hb_nl_msg(&h->nl, HEALBLK_CMD_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	ret = hb_nl_call(&h->nl, msg, on_dev, &x);
	if (ret) {
		if (ret == -ENOENT || ret == -EOPNOTSUPP) {
			hlog(LOG_WARNING, "healblk went away (%s)", strerror(-ret));
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->w_healblk.fd, NULL);
			hb_nl_close(&h->nl);
			hb_nl_close(&h->ev);
			h->have_healblk = false;
			for (i = 0; i < HEALD_MAX_DEVS; i++)
				h->devs[i].present = false;
		} else {
			hlog(LOG_WARNING, "healblk dump: %s", strerror(-ret));
		}
		return ret;
	}
	for (i = 0; i < HEALD_MAX_DEVS; i++)
		if (h->devs[i].present && !x.seen[i]) {
			hlog(LOG_INFO, "%s: gone", h->devs[i].info.name);
			h->devs[i].present = false;
		}
	return 0;
}

/* rtnetlink: the link table, kept by libnl's cache manager. */
static void link_update(struct heald *h, struct rtnl_link *l)
{
	struct link_track *t = NULL;
	int i, ifindex = rtnl_link_get_ifindex(l);
	bool up, carrier;

	for (i = 0; i < h->nlinks; i++)
		if (h->links[i].ifindex == ifindex)
			t = &h->links[i];
	if (!t) {
		if (h->nlinks == HEALD_MAX_LINKS)
			return;
		t = &h->links[h->nlinks++];
		memset(t, 0, sizeof(*t));
		t->ifindex = ifindex;
		t->up = t->carrier = true;	/* so a first "down" is logged */
	}
	snprintf(t->name, sizeof(t->name), "%s", rtnl_link_get_name(l) ?: "?");
	up = rtnl_link_get_flags(l) & IFF_UP;
	carrier = rtnl_link_get_carrier(l);
	if (t->up && t->carrier && !(up && carrier))
		hlog(LOG_NOTICE, "link %s: %s", t->name, up ? "no carrier" : "down");
	t->up = up;
	t->carrier = carrier;
	net_link(h, ifindex, up, carrier);
}

static void on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct heald *h = arg;
	struct json_object *o;
	struct link_track *t;
	int i, ifindex;

	(void)cache;
	ifindex = rtnl_link_get_ifindex((struct rtnl_link *)obj);
	if (action == NL_ACT_DEL) {
		net_link_gone(h, ifindex);
		for (i = 0; i < h->nlinks; i++)
			if (h->links[i].ifindex == ifindex) {
				h->links[i] = h->links[--h->nlinks];
				break;
			}
		return;
	}
	link_update(h, (struct rtnl_link *)obj);
	for (i = 0; i < h->nlinks; i++) {
		t = &h->links[i];
		if (t->ifindex != ifindex)
			continue;
		o = api_event(h, "link");
		if (!o)
			break;
		json_object_object_add(o, "link", json_object_new_string(t->name));
		json_object_object_add(o, "up", json_object_new_boolean(t->up));
		json_object_object_add(o, "carrier", json_object_new_boolean(t->carrier));
		api_publish(h, o);
	}
}

static void on_route_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	(void)cache;
	if (action != NL_ACT_DEL)
		net_route_seen(arg, (struct rtnl_route *)obj);
}

/*
 * The kernel drops rtnetlink events once a listener's receive buffer is
 * full (ENOBUFS, which libnl reports as NLE_NOMEM): a link storm while
 * heald is busy or stopped.  A larger buffer makes that rarer; when it
 * happens anyway the tables are read again (rtnl_resync()).
 */
#define RTNL_RCVBUF	(4 << 20)

int src_rtnl_open(struct heald *h)
{
	struct nl_object *obj;
	int ret, size = RTNL_RCVBUF;

	ret = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &h->rtnl);
	if (ret < 0)
		return -EIO;
	ret = nl_cache_mngr_add(h->rtnl, "route/link", on_link_change, h, &h->link_cache);
	if (ret < 0) {
		hlog(LOG_WARNING, "rtnetlink: %s", nl_geterror(ret));
		nl_cache_mngr_free(h->rtnl);
		h->rtnl = NULL;
		return -EIO;
	}
	for (obj = nl_cache_get_first(h->link_cache); obj; obj = nl_cache_get_next(obj))
		link_update(h, (struct rtnl_link *)obj);
	/* Routes: the ones heald manages may be changed by someone else. */
	if (h->cfg.nuplink) {
		ret = nl_cache_mngr_add(h->rtnl, "route/route", on_route_change, h, &h->route_cache);
		if (ret < 0)
			hlog(LOG_WARNING, "rtnetlink routes: %s", nl_geterror(ret));
	}
	/* Past rmem_max as root (FORCE); else what rmem_max allows. */
	if (setsockopt(nl_cache_mngr_get_fd(h->rtnl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) &&
	    setsockopt(nl_cache_mngr_get_fd(h->rtnl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		hlog(LOG_WARNING, "rtnetlink: receive buffer: %s", strerror(errno));
	/* Its own socket for the dumps of a resync: the manager's carries events. */
	h->rtnl_sync = nl_socket_alloc();
	if (!h->rtnl_sync || nl_connect(h->rtnl_sync, NETLINK_ROUTE) < 0) {
		hlog(LOG_WARNING, "rtnetlink: no socket to resync with after lost events");
		nl_socket_free(h->rtnl_sync);
		h->rtnl_sync = NULL;
	}
	h->w_rtnl = (struct watch){ TAG_RTNL, nl_cache_mngr_get_fd(h->rtnl) };
	return loop_add(h, &h->w_rtnl);
}

/*
 * Events were lost: read the link and route tables again.  libnl calls the
 * same handlers for every difference, deletions included, so heald's view
 * (uplinks, tracked links, managed routes) catches up with the kernel's.
 */
static void rtnl_resync(struct heald *h)
{
	int ret;

	h->rtnl_resyncs++;
	if (!h->rtnl_sync) {
		hlog(LOG_ERR, "rtnetlink: events lost and no socket to read the tables again");
		return;
	}
	hlog(LOG_WARNING, "rtnetlink: events lost (receive buffer overflowed): reading links and routes again");
	ret = nl_cache_resync(h->rtnl_sync, h->link_cache, on_link_change, h);
	if (ret < 0)
		hlog(LOG_ERR, "rtnetlink: links: %s", nl_geterror(ret));
	if (h->route_cache) {
		ret = nl_cache_resync(h->rtnl_sync, h->route_cache, on_route_change, h);
		if (ret < 0)
			hlog(LOG_ERR, "rtnetlink: routes: %s", nl_geterror(ret));
	}
}

/*
 * The kernel reports the overflow before the events still queued, which
 * are older than the loss: those are read first, then the tables, so
 * that nothing stale is applied after the resync.
 */
void src_rtnl_ready(struct heald *h)
{
	bool lost = false;
	int ret, i;

	for (i = 0; i < 64; i++) {
		ret = nl_cache_mngr_data_ready(h->rtnl);
		if (ret != -NLE_NOMEM)
			break;
		lost = true;
	}
	if (ret < 0 && ret != -NLE_NOMEM)
		hlog(LOG_WARNING, "rtnetlink: %s", nl_geterror(ret));
	if (lost)
		rtnl_resync(h);
}
