// SPDX-License-Identifier: GPL-2.0
/*
 * The Processes panel: the cgroups procmon has seen a process die in, with
 * their OOM kills and crashes, coloured by heald's health for them (a kill
 * in the last ten minutes: degraded).
 */
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

static const char *const sorts[] = { "name", "oom kills", "crashes", NULL };
enum { S_NAME, S_OOM, S_CRASH };

static void build(struct panel *p, const struct model *m, const struct ui *u)
{
	struct json_object *cgs = jget(m->st, "workloads");
	size_t i;

	(void)u;
	p->nrows = 0;
	for (i = 0; i < jlen(cgs); i++) {
		struct json_object *c = jidx(cgs, i);
		char name[300];
		int r = row_add(p, ROW_CGROUP, c, jstr(c, "cgroup"));

		if (r < 0)
			return;
		snprintf(name, sizeof(name), "cgroup:%s", jstr(c, "cgroup"));
		p->rows[r].sev = sev_of(resource_state(m->st, name));
		if (p->rows[r].sev == SEV_INFO)
			p->rows[r].sev = SEV_OK;
		p->rows[r].sortval = p->sort == S_OOM ? jnum(c, "oom_kills") :
				     p->sort == S_CRASH ? jnum(c, "crashes") : 0;
	}
	if (p->sort != S_NAME)
		rows_sort(p, 0, p->nrows, true);
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0, room;
	const char *path = jstr(r->obj, "cgroup");
	size_t len = strlen(path);

	(void)p;
	(void)m;
	x = put(y, x, xmax, base, "%10s%5.0f %7.0f  ", "", jnum(r->obj, "oom_kills"), jnum(r->obj, "crashes"));
	x = put(y, x, xmax, base | attr_sev(u, r->sev), "%-9.9s ",
		r->sev == SEV_OK ? "ok" : r->sev == SEV_DEGRADED ? "degraded" : "failing");
	room = xmax - x;
	/* The end of a cgroup path names the workload: cut from the left. */
	if (room > 3 && len > (size_t)room)
		put(y, x, xmax, base, "...%s", path + len - (size_t)(room - 3));
	else
		put(y, x, xmax, base, "%s", path);
}

void panel_procs_init(struct panel *p)
{
	p->title = "Processes   OOM crashes  state     cgroup";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
