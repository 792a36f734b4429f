// SPDX-License-Identifier: GPL-2.0
/*
 * The Events & actions log: heald's journal (alarms, decisions and their
 * outcomes) and its event stream (kernel, disks, links, processes) as this
 * healtop has seen them, newest first, narrowed by the filter.  Enter on a
 * decision or an outcome asks heald why (input.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include "healtop.h"

static const char *const sorts[] = { "newest first", "oldest first", NULL };

/* Case-insensitive substring: the filter matches the kind or the text. */
static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n)
		return true;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] &&
		     tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]); i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

bool log_visible(const struct log_entry *e, const struct ui *u)
{
	if (u->paused && e->seq >= u->pause_seq)
		return false;
	return contains(e->kind, u->filter) || contains(e->text, u->filter);
}

static void build(struct panel *p, const struct model *m, const struct ui *u)
{
	uint64_t first = m->log_seq > LOG_MAX ? m->log_seq - LOG_MAX : 0, k;

	p->nrows = 0;
	for (k = m->log_seq; k-- > first;) {
		const struct log_entry *e = log_at(m, p->sort ? first + (m->log_seq - 1 - k) : k);
		int r;

		if (!e || !log_visible(e, u))
			continue;
		/* No key text: up to LOG_MAX rows a few times a second; row_key() makes it. */
		r = row_add(p, ROW_LOG, NULL, "");
		if (r < 0)
			return;
		p->rows[r].le = e;
		p->rows[r].sev = e->sev;
	}
	if (!p->nrows && u->filter[0]) {
		int r = row_add(p, ROW_NOTE, NULL, "note");

		if (r >= 0)
			p->rows[r].sev = SEV_INFO;
	}
}

static void draw(const struct panel *p, const struct row *r, const struct model *m,
		 const struct ui *u, int y, int x, int w, bool sel)
{
	int xmax = x + w, base = sel ? A_REVERSE : 0;
	const struct log_entry *e = r->le;

	(void)p;
	(void)m;
	if (r->kind == ROW_NOTE) {
		put(y, x, xmax, base | A_DIM, "nothing matches the filter \"%s\"", u->filter);
		return;
	}
	x = put(y, x, xmax, base, "%s ", e->when);
	x = put(y, x, xmax, base | attr_sev(u, e->sev), "%-8.8s", e->kind);
	x = put(y, x, xmax, base, "%s", e->why_id ? "*" : " ");
	put(y, x, xmax, base, "%s", e->text);
}

void panel_log_init(struct panel *p)
{
	p->title = "Events & actions (* Enter: why)";
	p->build = build;
	p->draw = draw;
	p->sorts = sorts;
}
