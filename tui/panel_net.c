// SPDX-License-Identifier: GPL-2.0
/*
 * The Network panel: links as heald's rtnetlink source sees them, their
 * TCP retransmits and packet drops (netmon) as totals and per second over
 * the last refresh, then the uplinks (gateways) when heald reports them:
 * network healing adds "uplinks" to the status, and this panel shows each
 * by its name and state and any other plain field it has.
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

/* An uplink's other plain fields as "key value", for what this healtop predates. */
static int draw_fields(struct json_object *o, int y, int x, int xmax, int attr)
{
	json_object_object_foreach(o, key, val) {
		enum json_type t = json_object_get_type(val);

		if (!strcmp(key, "name") || !strcmp(key, "state") || t == json_type_object ||
		    t == json_type_array || t == json_type_null)
			continue;
		x = put(y, x, xmax, attr, " %s %s", key, json_object_get_string(val));
	}
	return x;
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0, a = base | attr_sev(u, r->sev);
	struct json_object *o = r->obj;

	(void)p;
	if (r->kind == ROW_LINK) {
		const struct link_rate *lr = link_rate_find(m, jstr(o, "name"));

		x = put(y, x, xmax, base, "%-17.17s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s", !jbool(o, "up") ? "down" :
			jbool(o, "carrier") ? "up" : "no carrier");
		put(y, x, xmax, base, " %12.0f %8.1f/s %12.0f %8.1f/s", jnum(o, "retransmits"),
		    lr ? lr->retrans_s : 0, jnum(o, "drops"), lr ? lr->drops_s : 0);
	} else if (r->kind == ROW_UPLINK) {
		x = put(y, x, xmax, base, "uplink %-10.10s", jstr(o, "name"));
		x = put(y, x, xmax, a, "%-10.10s", jstr(o, "state"));
		draw_fields(o, y, x, xmax, base);
	}
}

void panel_net_init(struct panel *p)
{
	p->title = "Network          state       retransmits" "       rate" "        drops" "       rate";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
