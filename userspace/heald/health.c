// SPDX-License-Identifier: GPL-2.0
/*
 * The health model: every resource heald watches with one of ok,
 * degraded, failing, failed, and why.  Built on request from what the
 * sources last said; it holds no state of its own.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <json-c/json.h>
#include "../healctl/healctl.h"
#include "heald.h"
#include "scrub.h"
#include "smart.h"

const char *health_name(enum health s)
{
	static const char *const names[] = { "ok", "degraded", "failing", "failed" };

	return s <= H_FAILED ? names[s] : "?";
}

enum health leg_health(const struct dev_track *d, uint32_t i)
{
	switch (d->info.legs[i].state) {
	case HEALBLK_LEG_FAILED:
	case HEALBLK_LEG_MISSING:
		return H_FAILED;
	case HEALBLK_LEG_REBUILDING:
		return H_DEGRADED;
	default:
		return d->legs[i].alarm ? H_FAILING : H_OK;
	}
}

enum health dev_health(const struct dev_track *d)
{
	enum health worst = H_OK;
	uint32_t i, in_sync = 0;

	for (i = 0; i < d->info.nr_legs && i < HEALBLK_MAX_LEGS; i++) {
		enum health l = leg_health(d, i);

		if (d->info.legs[i].state == HEALBLK_LEG_IN_SYNC)
			in_sync++;
		if (l == H_FAILING)
			worst = H_FAILING;
		else if (l != H_OK && worst < H_DEGRADED)
			worst = H_DEGRADED;
	}
	if (!in_sync)
		return H_FAILED;
	if (d->info.state == HEALBLK_DEV_FAILING)
		return H_FAILING;
	/* One good copy left and it is failing: the data is at risk. */
	return worst;
}

static void resource(struct json_object *arr, int *counts, const char *name, const char *kind,
		     enum health s, const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "state", json_object_new_string(health_name(s)));
	if (why && *why)
		json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_array_add(arr, o);
	counts[s]++;
}

/*
 * A device failing without redundancy flags its workloads: whatever is
 * mounted from it (mountinfo's third field is the device number).
 */
static void flag_mounts(struct json_object *arr, int *counts, const struct dev_track *d)
{
	char path[64], line[1024], why[96];
	unsigned int ma, mi;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/dev/%s", d->info.name);
	if (stat(path, &st) < 0 || !(f = fopen("/proc/self/mountinfo", "re")))
		return;
	snprintf(why, sizeof(why), "on %s, which is failing without redundancy", d->info.name);
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], name[540];

		if (sscanf(line, "%*d %*d %u:%u %*s %511s", &ma, &mi, mnt) != 3 ||
		    ma != major(st.st_rdev) || mi != minor(st.st_rdev))
			continue;
		snprintf(name, sizeof(name), "mount:%s", mnt);
		resource(arr, counts, name, "workload", H_FAILING, why);
	}
	fclose(f);
}

/* A leg's or spare's disk by serial number and WWN, and its SMART readings. */
static void disk_names(struct heald *h, struct json_object *o, const char *name)
{
	const char *serial, *wwn, *model;

	smart_ids(h, name, &serial, &wwn, &model);
	json_object_object_add(o, "serial", json_object_new_string(serial));
	json_object_object_add(o, "wwn", json_object_new_string(wwn));
	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "smart", smart_status(h, name));
}

struct json_object *health_status(struct heald *h)
{
	struct json_object *o = json_object_new_object(), *res = json_object_new_array();
	struct json_object *devs = json_object_new_array(), *disks = json_object_new_array();
	struct json_object *links = json_object_new_array(), *cgs = json_object_new_array();
	struct json_object *hd = json_object_new_object(), *cnt = json_object_new_object();
	int counts[4] = { 0 }, i, worst = 0;
	double now = now_mono();
	uint32_t l;
	char name[64];

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];
		struct json_object *dj;

		if (!d->present)
			continue;
		resource(res, counts, d->info.name, "device", dev_health(d),
			 d->info.state == HEALBLK_DEV_OPTIMAL ? "" :
			 d->info.state == HEALBLK_DEV_DEGRADED ? "a leg is out of the mirror" :
			 "spare area used up");
		for (l = 0; l < d->info.nr_legs && l < HEALBLK_MAX_LEGS; l++) {
			enum health s = leg_health(d, l);

			snprintf(name, sizeof(name), "%s/leg%u", d->info.name, l);
			resource(res, counts, name, "leg", s, d->legs[l].alarm ? d->legs[l].why :
				 d->info.legs[l].reason);
		}
		dj = dev_to_json(&d->info);
		json_object_object_add(dj, "health", json_object_new_string(health_name(dev_health(d))));
		{
			struct json_object *legs;

			if (json_object_object_get_ex(dj, "legs", &legs))
				for (l = 0; l < json_object_array_length(legs) && l < HEALBLK_MAX_LEGS; l++) {
					struct json_object *lj = json_object_array_get_idx(legs, l);

					json_object_object_add(lj, "health",
						json_object_new_string(health_name(leg_health(d, l))));
					json_object_object_add(lj, "alarm",
						json_object_new_boolean(d->legs[l].alarm));
					json_object_object_add(lj, "errors_seen",
						json_object_new_int64((int64_t)d->legs[l].serd.total));
					disk_names(h, lj, d->info.legs[l].name);
				}
		}
		json_object_object_add(dj, "scrub", scrub_status(h, d->info.uuid));
		{
			struct json_object *sp;

			if (json_object_object_get_ex(dj, "spares", &sp))
				for (l = 0; l < json_object_array_length(sp) && l < d->info.nr_spares &&
					    l < HEALBLK_MAX_SPARES; l++)
					disk_names(h, json_object_array_get_idx(sp, l), d->info.spares[l].name);
		}
		if (d->flagged)
			flag_mounts(res, counts, d);
		json_object_object_add(dj, "workloads_flagged", json_object_new_boolean(d->flagged));
		if (d->pending)
			json_object_object_add(dj, "pending_decision",
					       json_object_new_int64((int64_t)d->pending));
		json_object_array_add(devs, dj);
	}
	for (i = 0; i < h->ndisks; i++) {
		struct disk_track *t = &h->disks[i];
		struct json_object *dj = json_object_new_object();

		snprintf(name, sizeof(name), "disk:%s", t->name);
		if (t->alarm)
			resource(res, counts, name, "disk", H_FAILING, t->why);
		json_object_object_add(dj, "name", json_object_new_string(t->name));
		json_object_object_add(dj, "major", json_object_new_int((int)t->major));
		json_object_object_add(dj, "minor", json_object_new_int((int)t->minor));
		json_object_object_add(dj, "ios", json_object_new_int64((int64_t)t->ios));
		json_object_object_add(dj, "errors", json_object_new_int64((int64_t)t->errors));
		json_object_object_add(dj, "bytes", json_object_new_int64((int64_t)t->bytes));
		json_object_object_add(dj, "iops", json_object_new_double(t->iops));
		json_object_object_add(dj, "p50_us", json_object_new_double(t->p50_us));
		json_object_object_add(dj, "p99_us", json_object_new_double(t->p99_us));
		json_object_object_add(dj, "baseline_p99_us", json_object_new_double(t->slow.baseline_us));
		/* Intervals the baseline learned from so far (slow_learn: done). */
		json_object_object_add(dj, "baseline_intervals", json_object_new_int64(t->slow.learned));
		json_object_object_add(dj, "alarm", json_object_new_boolean(t->alarm));
		json_object_array_add(disks, dj);
	}
	for (i = 0; i < h->nlinks; i++) {
		struct link_track *t = &h->links[i];
		struct json_object *lj = json_object_new_object();

		if (!strcmp(t->name, "lo"))
			continue;
		/* Down by the admin's choice is not a fault; up without carrier is. */
		snprintf(name, sizeof(name), "link:%s", t->name);
		if (t->up)
			resource(res, counts, name, "link", t->carrier ? H_OK : H_FAILED,
				 t->carrier ? "" : "no carrier");
		json_object_object_add(lj, "name", json_object_new_string(t->name));
		json_object_object_add(lj, "ifindex", json_object_new_int(t->ifindex));
		json_object_object_add(lj, "up", json_object_new_boolean(t->up));
		json_object_object_add(lj, "carrier", json_object_new_boolean(t->carrier));
		json_object_object_add(lj, "retransmits", json_object_new_int64((int64_t)t->retrans));
		json_object_object_add(lj, "drops", json_object_new_int64((int64_t)t->drops));
		json_object_array_add(links, lj);
	}
	for (i = 0; i < h->ncgroups; i++) {
		struct cgroup_track *c = &h->cgroups[i];
		struct json_object *cj = json_object_new_object();
		/* A kill in the last 10 minutes: the workload is degraded. */
		bool recent = c->last && now - c->last < 600;

		snprintf(name, sizeof(name), "cgroup:%s", c->path);
		resource(res, counts, name, "workload", recent ? H_DEGRADED : H_OK,
			 recent ? "a process was killed in the last 10 minutes" : "");
		json_object_object_add(cj, "cgroup", json_object_new_string(c->path));
		json_object_object_add(cj, "oom_kills", json_object_new_int64((int64_t)c->oom_kills));
		json_object_object_add(cj, "crashes", json_object_new_int64((int64_t)c->crashes));
		json_object_array_add(cgs, cj);
	}
	for (i = 0; i < h->nwl; i++) {
		const struct wl_track *w = &h->wl[i];

		snprintf(name, sizeof(name), "workload:%s", w->conf->name);
		resource(res, counts, name, "workload", w->health, w->why);
	}
	{
		struct json_object *mg = peer_status(h);

		json_object_object_add(mg, "workloads", wl_status(h));
		json_object_object_add(o, "migration", mg);
	}
	{
		struct json_object *ups = net_status(h);

		for (l = 0; l < json_object_array_length(ups); l++) {
			struct json_object *u = json_object_array_get_idx(ups, l);
			const char *st = json_object_get_string(json_object_object_get(u, "state"));

			snprintf(name, sizeof(name), "uplink:%s",
				 json_object_get_string(json_object_object_get(u, "name")));
			resource(res, counts, name, "uplink", !strcmp(st, "down") ? H_FAILED : H_OK,
				 !strcmp(st, "down") ? "its gateway does not answer" : "");
		}
		json_object_object_add(o, "uplinks", ups);
	}
	for (i = 0; i < 4; i++)
		if (counts[i])
			worst = i;
	json_object_object_add(hd, "pid", json_object_new_int(getpid()));
	json_object_object_add(hd, "uptime_s", json_object_new_double(now - h->started));
	json_object_object_add(hd, "dry_run", json_object_new_boolean(h->cfg.dry_run));
	json_object_object_add(hd, "last_action", h->last_action_wall ?
			       json_object_new_double(h->last_action_wall) : NULL);
	json_object_object_add(hd, "actions", json_object_new_int64((int64_t)h->actions_total));
	json_object_object_add(hd, "journal_next_id", json_object_new_int64((int64_t)h->journal.next_id));
	json_object_object_add(hd, "healblk", json_object_new_boolean(h->have_healblk));
	json_object_object_add(hd, "bpf", json_object_new_string(h->bpf ? h->bpf_status : "off"));
	for (i = 0; i < 4; i++)
		json_object_object_add(cnt, health_name(i), json_object_new_int(counts[i]));
	json_object_object_add(o, "heald", hd);
	json_object_object_add(o, "health", json_object_new_string(health_name(worst)));
	json_object_object_add(o, "counts", cnt);
	json_object_object_add(o, "resources", res);
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "disks", disks);
	json_object_object_add(o, "links", links);
	json_object_object_add(o, "workloads", cgs);
	return o;
}
