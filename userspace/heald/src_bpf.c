// SPDX-License-Identifier: GPL-2.0
/*
 * The eBPF monitors as a source: ring-buffer events (I/O errors, kills)
 * as they come, and the per-disk/per-link/per-cgroup maps each tick.
 * The tick turns cumulative histograms into this interval's p50/p99 and
 * IOPS, which feed each disk's slow-disk engine.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "bpfmon.h"
#include "heald.h"

static void status_cb(void *ctx, const char *prog, int attached, const char *why)
{
	struct heald *h = ctx;
	size_t len = strlen(h->bpf_status);

	if (attached)
		return;
	snprintf(h->bpf_status + len, sizeof(h->bpf_status) - len, "%s%s: %s",
		 len ? "; " : "", prog, why);
	hlog(LOG_WARNING, "eBPF: %s did not attach: %s", prog, why);
}

int src_bpf_open(struct heald *h)
{
	char err[256];

	h->bpf = bpfmon_open(err, sizeof(err));
	if (!h->bpf) {
		snprintf(h->bpf_status, sizeof(h->bpf_status), "not loaded: %s", err);
		hlog(LOG_WARNING, "eBPF monitors not loaded: %s", err);
		return -EIO;
	}
	h->bpf_status[0] = '\0';
	if (!bpfmon_status(h->bpf, status_cb, h))
		snprintf(h->bpf_status, sizeof(h->bpf_status), "all attached");
	h->w_bpf = (struct watch){ TAG_BPF, bpfmon_fd(h->bpf) };
	return loop_add(h, &h->w_bpf);
}

static struct disk_track *disk_get(struct heald *h, unsigned int major, unsigned int minor)
{
	struct disk_track *t;
	char path[64], link[PATH_MAX];
	ssize_t n;
	int i;

	for (i = 0; i < h->ndisks; i++)
		if (h->disks[i].major == major && h->disks[i].minor == minor)
			return &h->disks[i];
	if (h->ndisks == HEALD_MAX_DISKS)
		return NULL;
	t = &h->disks[h->ndisks++];
	memset(t, 0, sizeof(*t));
	t->major = major;
	t->minor = minor;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(t->name, sizeof(t->name), "%.31s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	} else {
		snprintf(t->name, sizeof(t->name), "%u:%u", major, minor);
	}
	serd_init(&t->serd, h->cfg.disk.serd_n, h->cfg.disk.serd_t, h->cfg.disk.serd_quiet);
	return t;
}

static void on_io_error(void *ctx, const struct bpfmon_io_error *e)
{
	struct heald *h = ctx;
	struct disk_track *t = disk_get(h, e->major, e->minor);
	struct json_object *o = api_event(h, "io_error");

	if (o) {
		json_object_object_add(o, "disk", json_object_new_string(t ? t->name : "?"));
		json_object_object_add(o, "sector", json_object_new_int64((int64_t)e->sector));
		json_object_object_add(o, "sectors", json_object_new_int((int)e->nr_sectors));
		json_object_object_add(o, "op", json_object_new_string(bpfmon_op_name(e->op)));
		json_object_object_add(o, "errno", json_object_new_int(e->err));
		api_publish(h, o);
	}
	if (t)
		diag_disk_error(h, t);
}

/* A workload's cgroup is @path or holds it: its kills are that workload's. */
static bool workload_holds(const struct heald *h, const char *path)
{
	int i;

	for (i = 0; i < h->nwl; i++)
		if (wl_cgroup_holds(&h->wl[i], path))
			return true;
	return false;
}

/*
 * The table full: the slot of a cgroup that is gone (it kills nothing
 * more), else of the one killed least lately that no workload holds.  A
 * user making cgroups that crash cannot take the workloads' slots, nor
 * keep a new cgroup of a workload (a unit restarted) from being counted.
 */
static struct cgroup_track *cgroup_evict(struct heald *h)
{
	const char *root = cgroup_mount();
	struct cgroup_track *old = NULL;
	char dir[PATH_MAX];
	struct stat st;
	int i;

	for (i = 0; i < h->ncgroups; i++) {
		struct cgroup_track *c = &h->cgroups[i];

		if (c->path[0] == '/' && root[0] &&
		    snprintf(dir, sizeof(dir), "%s%s", root, c->path) < (int)sizeof(dir) &&
		    stat(dir, &st) < 0 && errno == ENOENT)
			return c;
		if (!workload_holds(h, c->path) && (!old || c->last < old->last))
			old = c;
	}
	return old;
}

static struct cgroup_track *cgroup_get(struct heald *h, uint64_t id)
{
	struct cgroup_track *t;
	int i;

	for (i = 0; i < h->ncgroups; i++)
		if (h->cgroups[i].id == id)
			return &h->cgroups[i];
	if (h->ncgroups < HEALD_MAX_CGROUPS)
		t = &h->cgroups[h->ncgroups++];
	else if (!(t = cgroup_evict(h)))
		return NULL;
	memset(t, 0, sizeof(*t));
	t->id = id;
	cgroup_path(id, t->path, sizeof(t->path));
	return t;
}

static void on_kill(void *ctx, const struct bpfmon_kill *k)
{
	struct heald *h = ctx;
	struct cgroup_track *c = cgroup_get(h, k->cgroup_id);
	double now = now_mono();
	struct json_object *o;
	uint32_t more = 0;
	char also[64] = "";

	/*
	 * A crash loop: one line and one event a second per cgroup, the next
	 * says how many went unsaid (the counts, from the map, have them all).
	 */
	if (c) {
		c->last = now;
		if (c->logged_at && now - c->logged_at < 1.0) {
			c->unlogged++;
			return;
		}
		c->logged_at = now;
		more = c->unlogged;
		c->unlogged = 0;
	}
	o = api_event(h, k->oom ? "oom_kill" : "crash");
	if (o) {
		json_object_object_add(o, "pid", json_object_new_int(k->pid));
		json_object_object_add(o, "comm", json_object_new_string(k->comm));
		json_object_object_add(o, "signal", json_object_new_int(k->sig));
		json_object_object_add(o, "cgroup", json_object_new_string(c ? c->path : "?"));
		if (more)
			json_object_object_add(o, "unlogged", json_object_new_int64(more));
		api_publish(h, o);
	}
	if (more)
		snprintf(also, sizeof(also), " (and %u more there in the last second)", more);
	hlog(LOG_NOTICE, "%s: pid %d (%s) in %s, signal %d%s", k->oom ? "OOM kill" : "crash",
	     k->pid, k->comm, c ? c->path : "?", k->sig, also);
}

void src_bpf_ready(struct heald *h)
{
	static const struct bpfmon_handlers handlers = {
		.io_error = on_io_error,
		.kill = on_kill,
	};
	int ret = bpfmon_consume(h->bpf, &handlers, h);

	if (ret < 0)
		hlog(LOG_WARNING, "eBPF ring buffers: %s", strerror(-ret));
}

/* Map polls: sum each disk's ops (flushes have no data: left out). */
static void disk_cb(void *ctx, const struct bpfmon_disk *d)
{
	struct heald *h = ctx;
	struct disk_track *t;
	int i;

	if (d->op == BPFMON_OP_FLUSH)
		return;
	t = disk_get(h, d->major, d->minor);
	if (!t)
		return;
	if (!t->seen) {
		t->seen = true;
		t->ios = t->errors = t->bytes = 0;
		memset(t->hist, 0, sizeof(t->hist));
	}
	t->ios += d->count;
	t->errors += d->errors;
	t->bytes += d->bytes;
	for (i = 0; i < BPFMON_HIST_SLOTS && i < 32; i++)
		t->hist[i] += d->hist[i];
}

static uint32_t netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;
}

static struct link_track *link_of(struct heald *h, uint32_t netns, int ifindex)
{
	static uint32_t mine;
	int i;

	if (!mine)
		mine = netns_ino();
	if (netns != mine)
		return NULL;	/* another namespace's interface: not ours to route */
	for (i = 0; i < h->nlinks; i++)
		if (h->links[i].ifindex == ifindex)
			return &h->links[i];
	return NULL;
}

static void retrans_cb(void *ctx, const struct bpfmon_retrans *r)
{
	struct link_track *l = link_of(ctx, r->netns, r->ifindex);

	if (l)
		l->retrans += r->count;
}

static void drop_cb(void *ctx, const struct bpfmon_drop *d)
{
	struct link_track *l = link_of(ctx, d->netns, d->ifindex);

	if (l)
		l->drops += d->count;
}

static void cgroup_cb(void *ctx, const struct bpfmon_cgroup *c)
{
	struct cgroup_track *t = cgroup_get(ctx, c->cgroup_id);
	int s;

	uint64_t crashes = 0;

	if (!t)
		return;
	for (s = 0; s < BPFMON_NSIG; s++)
		crashes += c->crashes[s];
	/* Less than last read: the LRU map evicted the entry and made it anew. */
	if (c->oom_kills < t->oom_map || crashes < t->crash_map)
		t->oom_map = t->crash_map = 0;
	t->oom_kills += c->oom_kills - t->oom_map;
	t->crashes += crashes - t->crash_map;
	t->oom_map = c->oom_kills;
	t->crash_map = crashes;
}

/* A crash loop's kills not logged: said once its second is over, if no kill since said them. */
static void kills_unlogged(struct heald *h, double now)
{
	int i;

	for (i = 0; i < h->ncgroups; i++) {
		struct cgroup_track *c = &h->cgroups[i];

		if (!c->unlogged || now - c->logged_at < 1.0)
			continue;
		hlog(LOG_NOTICE, "%u more crashes or OOM kills in %s in the last second", c->unlogged, c->path);
		c->unlogged = 0;
		c->logged_at = now;
	}
}

void src_bpf_poll(struct heald *h, double interval)
{
	uint64_t delta[32];
	int i, k;

	kills_unlogged(h, now_mono());

	for (i = 0; i < h->ndisks; i++)
		h->disks[i].seen = false;
	if (bpfmon_disks(h->bpf, disk_cb, h) < 0)
		return;
	for (i = 0; i < h->ndisks; i++) {
		struct disk_track *t = &h->disks[i];
		uint64_t dios = t->ios - t->ios_prev;

		if (!t->seen)
			continue;
		for (k = 0; k < 32; k++)
			delta[k] = t->hist[k] - t->hist_prev[k];
		t->iops = interval > 0 ? dios / interval : 0;
		t->p50_us = dios ? bpfmon_hist_pct(delta, BPFMON_HIST_SLOTS, 50) : 0;
		t->p99_us = dios ? bpfmon_hist_pct(delta, BPFMON_HIST_SLOTS, 99) : 0;
		memcpy(t->hist_prev, t->hist, sizeof(t->hist));
		t->ios_prev = t->ios;
		diag_disk_latency(h, t, dios);
	}
	for (i = 0; i < h->nlinks; i++)
		h->links[i].retrans = h->links[i].drops = 0;
	bpfmon_net(h->bpf, retrans_cb, drop_cb, h);
	bpfmon_procs(h->bpf, cgroup_cb, h);
}
