// SPDX-License-Identifier: GPL-2.0
/*
 * The Workloads panel: heald's [workload] inventory (state, health and
 * why, drained, processes, memory, the disks under it, the move under way
 * and the last one), its peers (health, what each receives, what we sent
 * it, how old its last answer is), and what this node receives.  The
 * words are migration.c's, the same as --once prints.  With no [workload]
 * or [peer] section the panel takes no room until `w` asks for it, and
 * then says why it is empty (screen.c).
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

static const char *const sorts[] = { "name", "health", NULL };
enum { S_NAME, S_HEALTH };

static int add(struct panel *p, enum row_kind kind, struct json_object *o, const char *key,
	       enum sev sev)
{
	int r = row_add(p, kind, o, key);

	if (r >= 0) {
		p->rows[r].sev = sev;
		/* Worst first; SEV_INFO (unknown, malformed) with the degraded. */
		p->rows[r].sortval = sev == SEV_INFO ? SEV_DEGRADED : sev;
	}
	return r;
}

static void build(struct panel *p, const struct model *m, const struct ui *u)
{
	struct json_object *mg = mig_get(m->st), *a;
	char key[64];
	size_t i;

	(void)u;
	p->nrows = 0;
	if (mig_empty(m->st))
		return;
	a = jget(mg, "workloads");
	for (i = 0; i < jlen(a); i++) {
		snprintf(key, sizeof(key), "wl:%s", jstr(jidx(a, i), "name"));
		if (add(p, ROW_WORKLOAD, jidx(a, i), key, wl_sev(jidx(a, i))) < 0)
			return;
	}
	if (p->sort == S_HEALTH)
		rows_sort(p, 0, p->nrows, true);
	a = jget(mg, "peers");
	for (i = 0; i < jlen(a); i++) {
		snprintf(key, sizeof(key), "peer:%s", jstr(jidx(a, i), "name"));
		if (add(p, ROW_PEER, jidx(a, i), key, peer_sev(jidx(a, i))) < 0)
			return;
	}
	if (add(p, ROW_NODE, mg, "node", SEV_INFO) < 0)
		return;
	a = jget(mg, "receiving");
	for (i = 0; i < jlen(a); i++) {
		snprintf(key, sizeof(key), "recv:%zu", i);
		if (add(p, ROW_RECV, jidx(a, i), key, SEV_DEGRADED) < 0)
			return;
	}
	a = jget(mg, "hosted");
	for (i = 0; i < jlen(a); i++) {
		snprintf(key, sizeof(key), "hosted:%zu", i);
		if (add(p, ROW_HOSTED, jidx(a, i), key, SEV_OK) < 0)
			return;
	}
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0, a = base | attr_sev(u, r->sev);
	char text[1024];

	(void)p;
	(void)m;
	switch (r->kind) {
	case ROW_WORKLOAD:
		x = put(y, x, xmax, base | A_BOLD, "%-14.14s ", wl_name(r->obj));
		x = put(y, x, xmax, base, "%-8.8s ", wl_state_of(r->obj));
		x = put(y, x, xmax, a, "%-9.9s", wl_health_of(r->obj));
		wl_text(text, sizeof(text), r->obj);
		break;
	case ROW_PEER:
		x = put(y, x, xmax, base, "peer %-9.9s ", jtxt(r->obj, "name"));
		x = put(y, x, xmax, base, "%-8.8s ", "");
		x = put(y, x, xmax, a, "%-9.9s", jtxt(r->obj, "health"));
		peer_text(text, sizeof(text), r->obj);
		break;
	case ROW_NODE:
		x = put(y, x, xmax, base, "this node");
		mig_node_text(text, sizeof(text), r->obj);
		break;
	case ROW_RECV:
	case ROW_HOSTED:
		/* Under "this node", coloured: a move in is under way, or done. */
		x = put(y, x, xmax, base, "%-9s", "");
		mig_recv_text(text, sizeof(text), r->obj, r->kind == ROW_HOSTED);
		put(y, x, xmax, a, " %s", text);
		return;
	default:
		return;
	}
	put(y, x, xmax, base, " %s", text);
}

void panel_wl_init(struct panel *p)
{
	p->title = "Workloads     state    health    kind, drained, move, processes, memory, disks (w)";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
