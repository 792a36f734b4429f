// SPDX-License-Identifier: GPL-2.0
/*
 * The Network panel: links as heald's rtnetlink source sees them, their
 * TCP retransmits and packet drops (netmon) as totals and per second over
 * the last refresh, then the uplinks heald probes (gateway, RTT, loss, the
 * active one, hold-down) when its status has them: an older heald has no
 * "uplinks" and the panel shows links alone.
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

static const char *const sorts[] = { "name", "retransmits", "drops", NULL };
enum { S_NAME, S_RETRANS, S_DROPS };

static void build(struct panel *p, const struct model *m, const struct ui *u)
{
	struct json_object *links = jget(m->st, "links"), *up = jget(m->st, "uplinks");
	size_t i;
	int r;

	(void)u;
	p->nrows = 0;
	for (i = 0; i < jlen(links); i++) {
		struct json_object *l = jidx(links, i);
		const struct link_rate *lr = link_rate_find(m, jstr(l, "name"));

		r = row_add(p, ROW_LINK, l, jstr(l, "name"));
		if (r < 0)
			return;
		p->rows[r].sev = !jbool(l, "up") ? SEV_INFO : jbool(l, "carrier") ? SEV_OK : SEV_FAILED;
		p->rows[r].sortval = !lr ? 0 : p->sort == S_RETRANS ? lr->retrans_s :
				     p->sort == S_DROPS ? lr->drops_s : 0;
	}
	if (p->sort != S_NAME)
		rows_sort(p, 0, p->nrows, true);
	for (i = 0; i < jlen(up); i++) {
		struct json_object *g = jidx(up, i);
		char key[64];

		snprintf(key, sizeof(key), "uplink:%s", jstr(g, "name"));
		r = row_add(p, ROW_UPLINK, g, key);
		if (r < 0)
			return;
		p->rows[r].sev = sev_of(jstr(g, "state"));
	}
}

/* "rtt 1.2ms loss 0% ACTIVE via 10.0.0.1 on eth0 prio 10 hold-down 30s ..." */
static int draw_uplink(const struct model *m, const struct row *r, int y, int x, int xmax,
		       int attr)
{
	struct json_object *o = r->obj;
	const struct link_rate *lr = link_rate_find(m, r->key);
	char rtt[16], hold[16];

	fmt_us(rtt, sizeof(rtt), jnum(o, "rtt_ms") * 1000);
	x = put(y, x, xmax, attr, " rtt %6s loss %3.0f%%", strcmp(jstr(o, "state"), "up") ? "-" : rtt,
		jnum(o, "loss_pct"));
	x = put(y, x, xmax, attr | A_BOLD, "%s", jbool(o, "active") ? " ACTIVE" : "");
	if (*jstr(o, "gateway"))
		x = put(y, x, xmax, attr, " via %s on %s", jstr(o, "gateway"), jstr(o, "interface"));
	if (jget(o, "targets"))
		x = put(y, x, xmax, attr, " beyond %s", jstr(jget(o, "targets"), "state"));
	if (jget(o, "priority"))
		x = put(y, x, xmax, attr, " prio %.0f", jnum(o, "priority"));
	if (jnum(o, "hold_down_s") > 0) {
		fmt_dur(hold, sizeof(hold), jnum(o, "hold_down_s"));
		x = put(y, x, xmax, attr, " hold-down %s", hold);
	}
	/* netmon's counters are on the link's own row too: last here. */
	if (jget(o, "tcp_retransmits") && lr)
		x = put(y, x, xmax, attr, "  retransmits %.1f/s drops %.1f/s", lr->retrans_s, lr->drops_s);
	return x;
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0, a = base | attr_sev(u, r->sev);
	struct json_object *o = r->obj;
	const struct link_rate *lr = link_rate_find(m, r->key);

	(void)p;
	if (r->kind == ROW_LINK) {
		x = put(y, x, xmax, base, "%-17.17s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s", !jbool(o, "up") ? "down" :
			jbool(o, "carrier") ? "up" : "no carrier");
		put(y, x, xmax, base, " %12.0f %8.1f/s %12.0f %8.1f/s", jnum(o, "retransmits"),
		    lr ? lr->retrans_s : 0, jnum(o, "drops"), lr ? lr->drops_s : 0);
	} else if (r->kind == ROW_UPLINK) {
		x = put(y, x, xmax, base, "uplink %-10.10s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s", jstr(o, "state"));
		draw_uplink(m, r, y, x, xmax, base);
	}
}

void panel_net_init(struct panel *p)
{
	p->title = "Network          state       retransmits" "       rate" "        drops" "       rate";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
