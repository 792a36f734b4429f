// SPDX-License-Identifier: GPL-2.0
/*
 * The Disks panel: each healblk device, its legs and spares, then the
 * plain disks iomon watches.  A leg is a disk too: its I/O rate, latency
 * and history come from iomon's row of the same name (loop0, dm-1...).
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

static const char *const sorts[] = { "name", "health", "p99", "errors", NULL };
enum { S_NAME, S_HEALTH, S_P99, S_ERRORS };

static struct json_object *disk_named(struct json_object *st, const char *name)
{
	struct json_object *disks = jget(st, "disks");
	size_t i;

	for (i = 0; i < jlen(disks); i++)
		if (!strcmp(jstr(jidx(disks, i), "name"), name))
			return jidx(disks, i);
	return NULL;
}

/* Is disk @name a leg or spare of some healblk device (shown under it)? */
static bool is_leg(struct json_object *st, const char *name)
{
	struct json_object *devs = jget(st, "devices");
	size_t i, l;

	for (i = 0; i < jlen(devs); i++) {
		struct json_object *d = jidx(devs, i);

		if (!strcmp(jstr(d, "name"), name))
			return true;
		for (l = 0; l < jlen(jget(d, "legs")); l++)
			if (!strcmp(jstr(jidx(jget(d, "legs"), l), "name"), name))
				return true;
		for (l = 0; l < jlen(jget(d, "spares")); l++)
			if (!strcmp(jstr(jidx(jget(d, "spares"), l), "name"), name))
				return true;
	}
	return false;
}

static double errors_of(struct json_object *o)
{
	return jget(o, "errors") ? jnum(o, "errors") : jnum(o, "read_errors") + jnum(o, "write_errors");
}

static void build(struct panel *p, const struct model *m, const struct ui *u)
{
	struct json_object *devs = jget(m->st, "devices"), *disks = jget(m->st, "disks");
	bool desc = p->sort != S_NAME;
	size_t i, l;
	int first;

	(void)u;
	p->nrows = 0;
	size_t order[64], n = 0, k;

	/* Devices first, each followed by its legs, so a device sorts as a block. */
	for (i = 0; i < jlen(devs) && n < 64; i++) {
		enum sev s = sev_of(jstr(jidx(devs, i), "health"));

		for (k = n; k > 0 && p->sort != S_NAME &&
		     sev_of(jstr(jidx(devs, order[k - 1]), "health")) < s; k--)
			order[k] = order[k - 1];
		order[k] = i;
		n++;
	}
	for (k = 0; k < n; k++) {
		struct json_object *d = jidx(devs, order[k]);
		const char *name = jstr(d, "name");
		int r = row_add(p, ROW_DEV, d, name);

		if (r < 0)
			return;
		p->rows[r].sev = sev_of(jstr(d, "health"));
		for (l = 0; l < jlen(jget(d, "legs")); l++) {
			struct json_object *leg = jidx(jget(d, "legs"), l);
			char key[64];

			snprintf(key, sizeof(key), "%s/leg%zu", name, l);
			r = row_add(p, ROW_LEG, leg, key);
			if (r < 0)
				return;
			p->rows[r].dev = d;
			p->rows[r].leg = (int)l;
			p->rows[r].sev = sev_of(*jstr(leg, "health") ? jstr(leg, "health") :
						jstr(leg, "state"));
		}
		for (l = 0; l < jlen(jget(d, "spares")); l++) {
			struct json_object *sp = jidx(jget(d, "spares"), l);
			char key[64];

			snprintf(key, sizeof(key), "%s/spare%zu", name, l);
			r = row_add(p, ROW_SPARE, sp, key);
			if (r < 0)
				return;
			p->rows[r].dev = d;
			p->rows[r].leg = (int)l;
			p->rows[r].sev = SEV_INFO;
		}
	}
	first = p->nrows;
	for (i = 0; i < jlen(disks); i++) {
		struct json_object *d = jidx(disks, i);
		const struct disk_hist *h;
		int r;

		if (is_leg(m->st, jstr(d, "name")))
			continue;
		r = row_add(p, ROW_DISK, d, jstr(d, "name"));
		if (r < 0)
			return;
		h = disk_hist_find(m, jstr(d, "name"));
		p->rows[r].sev = jbool(d, "alarm") ? SEV_FAILING : SEV_OK;
		p->rows[r].sortval = p->sort == S_HEALTH ? p->rows[r].sev :
				     p->sort == S_P99 ? (h ? hist_max(&h->p99, 10) : 0) :
				     p->sort == S_ERRORS ? errors_of(d) : 0;
	}
	if (p->sort != S_NAME)
		rows_sort(p, first, p->nrows, desc);
}

/* io/s in 5 columns: 999, 12.3k, 123k, 1.2M. */
static void fmt_rate(char *buf, size_t len, double v)
{
	if (v < 1000)
		snprintf(buf, len, "%.0f", v);
	else if (v < 100000)
		snprintf(buf, len, "%.1fk", v / 1000);
	else if (v < 1e6)
		snprintf(buf, len, "%.0fk", v / 1000);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
}

/* The columns every disk-like row shares: io/s, p50, p99, errors, history. */
static void draw_io(const struct model *m, const struct ui *u, const char *name, double errs,
		    int y, int x, int xmax, int attr)
{
	struct json_object *d = disk_named(m->st, name);
	const struct disk_hist *h = disk_hist_find(m, name);
	char a[16], b[16], c[16];

	if (!d) {
		put(y, x, xmax, attr, "%5s %6s %6s %5.0f", "-", "-", "-", errs);
		return;
	}
	fmt_rate(a, sizeof(a), jnum(d, "iops"));
	fmt_us(b, sizeof(b), jnum(d, "p50_us"));
	fmt_us(c, sizeof(c), jnum(d, "p99_us"));
	x = put(y, x, xmax, attr, "%5s %6s %6s %5.0f ", a, b, c, errs);
	if (h)
		put_spark(y, x, xmax, u, &h->p99, attr);
}

static void draw_sync(struct json_object *s, int y, int x, int xmax, int attr)
{
	double pos = jnum(s, "pos"), total = jnum(s, "sectors");
	char bar[48], eta[16];
	/* "rebuild leg1 [" "] 100% 12.3MB/s ETA 1m20s": 38 columns around the bar. */
	int w = xmax - x - 38;

	if (w > 30)
		w = 30;
	if (w < 4)
		w = 4;
	progress_bar(bar, sizeof(bar), pos, total, w);
	fmt_dur(eta, sizeof(eta), jnum(s, "eta"));
	x = put(y, x, xmax, attr, "%s", jstr(s, "kind"));
	if (jget(s, "leg"))
		x = put(y, x, xmax, attr, " leg%.0f", jnum(s, "leg"));
	if (strcmp(jstr(s, "status"), "running")) {
		put(y, x, xmax, attr, " %s", jstr(s, "status"));
		return;
	}
	put(y, x, xmax, attr, " %s %3.0f%% %.1fMB/s ETA %s", bar, total > 0 ? 100 * pos / total : 0,
	    jnum(s, "rate_kbs") / 1024, eta);
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0, a = base | attr_sev(u, r->sev);
	struct json_object *o = r->obj;

	(void)p;
	switch (r->kind) {
	case ROW_DEV: {
		struct json_object *s = jget(o, "sync");

		x = put(y, x, xmax, base | A_BOLD, "%-17.17s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s %-9.9s", jstr(o, "state"), jstr(o, "health"));
		/* A running sync has the room (the legs are on the rows below). */
		if (s && !strcmp(jstr(s, "status"), "running")) {
			draw_sync(s, y, x, xmax, base | attr_sev(u, SEV_DEGRADED));
			break;
		}
		x = put(y, x, xmax, base, "%zu legs, %zu spare%s ", jlen(jget(o, "legs")),
			jlen(jget(o, "spares")), jlen(jget(o, "spares")) == 1 ? "" : "s");
		if (s && json_object_is_type(s, json_type_object))
			draw_sync(s, y, x, xmax, base);
		break;
	}
	case ROW_LEG:
	case ROW_SPARE:
		if (r->kind == ROW_LEG)
			x = put(y, x, xmax, base, "  leg%d ", r->leg);
		else
			x = put(y, x, xmax, base, "  spr%d ", r->leg);
		x = put(y, x, xmax, base, "%-10.10s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s %-9.9s", jstr(o, "state"),
			r->kind == ROW_SPARE ? "standby" : jstr(o, "health"));
		/*
		 * Wide enough: the disk's serial number (for the RMA ticket)
		 * and what its SMART says, at the right end.
		 */
		if (w >= 110 && *jstr(o, "serial")) {
			struct json_object *sm = jget(o, "smart");
			const char *lv = sm ? jstr(sm, "level") : "";

			draw_io(m, u, jstr(o, "name"), errors_of(o), y, x, xmax - 30, base);
			put(y, xmax - 29, xmax, base | attr_sev(u, !strcmp(lv, "failing") ? SEV_FAILING :
							    !strcmp(lv, "warning") ? SEV_DEGRADED : SEV_OK),
			    "%-20.20s %-8.8s", jstr(o, "serial"), *lv ? lv : "-");
			break;
		}
		draw_io(m, u, jstr(o, "name"), errors_of(o), y, x, xmax, base);
		break;
	case ROW_DISK:
		x = put(y, x, xmax, base, "  %-15.15s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s %-9.9s", "disk", jbool(o, "alarm") ? "slow" : "ok");
		draw_io(m, u, jstr(o, "name"), errors_of(o), y, x, xmax, base);
		break;
	default:
		break;
	}
}

void panel_disks_init(struct panel *p)
{
	p->title = "Disks            state      health    io/s    p50    p99  errs p99 history";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
