// SPDX-License-Identifier: GPL-2.0
/*
 * The screen manager: lays the header, the five panels and the footer out
 * on whatever the terminal is (80x24 up), draws them from the model, and
 * the overlays (details, why, help).  Everything is redrawn from the model
 * on each call; ncurses sends only what changed, which keeps a 1 s refresh
 * cheap.  Every write goes through put(), which clips at the panel's right
 * edge: nothing wraps, whatever the width.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

#define SPARK_FLOOR 100	/* us: sparklines are of p99 latency */

enum { C_OK = 1, C_DEGRADED, C_FAILING, C_FAILED, C_TITLE, C_FOCUS, C_KEY };

void screen_init(struct ui *u, bool color)
{
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	/* Esc alone is a key here (closes a view): no long wait for a sequence. */
	set_escdelay(25);
	u->color = color && has_colors();
	if (u->color) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_DEGRADED, COLOR_YELLOW, -1);
		init_pair(C_FAILING, COLOR_RED, -1);
		init_pair(C_FAILED, COLOR_WHITE, COLOR_RED);
		init_pair(C_TITLE, COLOR_BLACK, COLOR_CYAN);
		init_pair(C_FOCUS, COLOR_BLACK, COLOR_GREEN);
		init_pair(C_KEY, COLOR_BLACK, COLOR_CYAN);
	}
}

void screen_end(void)
{
	endwin();
}

/* Without colour, states still differ: underline, bold, both. */
int attr_sev(const struct ui *u, enum sev s)
{
	switch (s) {
	case SEV_OK:
		return u->color ? (int)COLOR_PAIR(C_OK) : 0;
	case SEV_DEGRADED:
		return u->color ? (int)(COLOR_PAIR(C_DEGRADED) | A_BOLD) : A_UNDERLINE;
	case SEV_FAILING:
		return u->color ? (int)(COLOR_PAIR(C_FAILING) | A_BOLD) : A_BOLD;
	case SEV_FAILED:
		return u->color ? (int)(COLOR_PAIR(C_FAILED) | A_BOLD) : A_BOLD | A_UNDERLINE;
	default:
		return 0;
	}
}

int put(int y, int x, int xmax, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (x >= xmax || y < 0 || y >= LINES)
		return x;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return x;
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (n > xmax - x)
		n = xmax - x;
	/* Control characters from a name would move the cursor: blank them. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = ' ';
	attrset(attr);
	mvaddnstr(y, x, buf, n);
	attrset(A_NORMAL);
	return x + n;
}

int put_spark(int y, int x, int xmax, const struct ui *u, const struct hist *h, int attr)
{
	static const char *const bars[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
					    "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	int n = xmax - x, c;
	double max;

	if (n <= 0)
		return x;
	if (n > HIST_LEN)
		n = HIST_LEN;
	/*
	 * A floor under the scale: a quiet disk's few microseconds of jitter
	 * stay at the bottom instead of filling the line.
	 */
	max = hist_max(h, n);
	if (max < SPARK_FLOOR)
		max = SPARK_FLOOR;
	attrset(attr);
	/* The newest sample at the right, as a chart reads. */
	for (c = 0; c < n; c++) {
		int i = n - 1 - c, lv = i < h->n ? spark_level(hist_get(h, i), max, 9) : 0;

		if (u->utf8)
			mvaddstr(y, x + c, bars[lv]);
		else
			mvaddch(y, x + c, (chtype)ascii[lv]);
	}
	attrset(A_NORMAL);
	return x + n;
}

void ui_msg(struct ui *u, enum sev s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_sev = s;
}

void popup_free(struct ui *u)
{
	int i;

	for (i = 0; i < u->npopup; i++)
		free(u->popup[i]);
	free(u->popup);
	u->popup = NULL;
	u->npopup = u->popup_top = 0;
}

/* The view's text, wrapped to the popup's width as the screen is now. */
void popup_set(struct ui *u, const char *title, const char *text)
{
	int width = COLS - 6 > 100 ? 100 : COLS - 6;
	const char *p = text;

	popup_free(u);
	if (width < 20)
		width = 20;
	snprintf(u->popup_title, sizeof(u->popup_title), "%s", title);
	while (*p) {
		size_t len = strcspn(p, "\n"), take = len > (size_t)width ? (size_t)width : len;
		char **lines = realloc(u->popup, sizeof(*lines) * (size_t)(u->npopup + 1));

		if (!lines)
			break;
		u->popup = lines;
		u->popup[u->npopup] = strndup(p, take);
		if (!u->popup[u->npopup])
			break;
		u->npopup++;
		p += take;
		if (take == len && *p == '\n')
			p++;
	}
}

int row_add(struct panel *p, enum row_kind kind, struct json_object *obj, const char *key)
{
	struct row *r;

	if (p->nrows == p->cap) {
		int cap = p->cap ? p->cap * 2 : 64;

		r = realloc(p->rows, sizeof(*r) * (size_t)cap);
		if (!r)
			return -1;
		p->rows = r;
		p->cap = cap;
	}
	r = &p->rows[p->nrows];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->obj = obj;
	if (*key)
		snprintf(r->key, sizeof(r->key), "%s", key);
	return p->nrows++;
}

const char *row_key(const struct row *r, char *buf, size_t len)
{
	if (r->kind != ROW_LOG || !r->le)
		return r->key;
	snprintf(buf, len, "log:%llu", (unsigned long long)r->le->seq);
	return buf;
}

static int by_val_desc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->sortval != y->sortval)
		return x->sortval < y->sortval ? 1 : -1;
	return strcmp(x->key, y->key);	/* ties by name: rows do not jump about */
}

static int by_val_asc(const void *a, const void *b)
{
	return -by_val_desc(a, b);
}

void rows_sort(struct panel *p, int from, int to, bool descending)
{
	if (to - from > 1)
		qsort(p->rows + from, (size_t)(to - from), sizeof(*p->rows),
		      descending ? by_val_desc : by_val_asc);
}

static void header(const struct ui *u, const struct model *m)
{
	struct json_object *st = m->st, *hd = jget(st, "heald"), *cnt = jget(st, "counts");
	const char *health = jstr(st, "health");
	char up[16], buf[64];
	int x = 0, w = COLS;

	/* 80 columns hold the node's state, the counts, up time and last action. */
	if (w >= 100)
		x = put(0, x, w, A_BOLD, "healtop ");
	if (st) {
		char node[16];
		int i;

		for (i = 0; i < 15 && health[i]; i++)
			node[i] = (char)(health[i] >= 'a' && health[i] <= 'z' ? health[i] - 32 : health[i]);
		node[i] = '\0';
		x = put(0, x, w, 0, "node ");
		x = put(0, x, w, attr_sev(u, sev_of(health)) | A_BOLD, "%s", node);
		x = put(0, x, w, 0, "  ok %.0f", jnum(cnt, "ok"));
		x = put(0, x, w, jnum(cnt, "degraded") ? attr_sev(u, SEV_DEGRADED) : 0,
			" degraded %.0f", jnum(cnt, "degraded"));
		x = put(0, x, w, jnum(cnt, "failing") ? attr_sev(u, SEV_FAILING) : 0,
			" failing %.0f", jnum(cnt, "failing"));
		x = put(0, x, w, jnum(cnt, "failed") ? attr_sev(u, SEV_FAILED) : 0,
			" failed %.0f", jnum(cnt, "failed"));
		if (jbool(hd, "dry_run"))
			x = put(0, x, w, A_BOLD | A_REVERSE, " DRY RUN ");
		fmt_dur(up, sizeof(up), jnum(hd, "uptime_s"));
		x = put(0, x, w, 0, "  up %s", up);
		if (jget(hd, "last_action") && jnum(hd, "last_action") > 0) {
			time_t t = (time_t)num_clamp(jnum(hd, "last_action"), 0, 1e11);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
			x = put(0, x, w, 0, "  last action %s", buf);
			if (w >= 100)
				x = put(0, x, w, 0, " (%.0f in all)", jnum(hd, "actions"));
		} else {
			x = put(0, x, w, 0, "  no action");
		}
	}
	if (u->paused)
		put(0, x, w, A_BOLD | A_REVERSE, " PAUSED ");

	/* Row 1: the connection, or the answer to the last key. */
	if (!m->connected) {
		/* Refused (not root, not in heald's group) is not heald being down. */
		put(1, 0, w, attr_sev(u, SEV_FAILED), "%s: %s; retrying every %.0f s",
		    m->refused ? "REFUSED" : "DISCONNECTED", m->err, u->refresh_s < 1 ? 1 : u->refresh_s);
	} else if (u->msg[0]) {
		put(1, 0, w, attr_sev(u, u->msg_sev), "%s", u->msg);
	} else {
		put(1, 0, w, A_DIM, "heald pid %d at %s; bpf %s; healblk %s; refresh %gs", m->heald_pid,
		    m->path, jstr(hd, "bpf"), jbool(hd, "healblk") ? "loaded" : "not loaded",
		    u->refresh_s);
	}
}

const struct hint footer_hints[] = {
	{ "?", "help", -1 }, { "q", "quit", -1 }, { "Enter", "why", -1 }, { "/", "filter", -1 },
	{ "s", "sort", -1 }, { "p", "pause", -1 },
	{ "f", "fail-leg", P_DISKS }, { "r", "rebuild", P_DISKS }, { "a", "add-spare", P_DISKS },
	{ "c", "scrub", P_DISKS }, { "u", "reroute", P_NET },
	{ "Tab", "panel", -1 }, { "w", "workloads", -1 },
	{ NULL, NULL, 0 },
};

static void footer(const struct ui *u)
{
	int y = LINES - 1, w = COLS - 1, x = 0, i;	/* never the bottom-right cell */

	move(y, 0);
	clrtoeol();
	switch (u->mode) {
	case M_CONFIRM:
		put(y, 0, w, A_BOLD | attr_sev(u, SEV_DEGRADED), "%s (y/n)", u->question);
		return;
	case M_FILTER:
		put(y, 0, w, A_BOLD, "Filter the log: %s_   (Enter: apply, Esc: clear)", u->input);
		return;
	case M_SPARE_PATH:
		put(y, 0, w, A_BOLD, "%s%s_   (Enter: next, Esc: cancel)", u->question, u->input);
		return;
	case M_POPUP:
	case M_HELP:
		put(y, 0, w, A_BOLD, "Up/Down PgUp/PgDn: scroll   any other key: close");
		return;
	default:
		break;
	}
	for (i = 0; footer_hints[i].key; i++) {
		if (footer_hints[i].panel >= 0 && footer_hints[i].panel != u->focus)
			continue;
		int need = (int)(strlen(footer_hints[i].key) + strlen(footer_hints[i].what)) + 1;

		if (x + need > w)
			break;	/* narrow: the rest is in the help (?) */
		x = put(y, x, w, u->color ? (int)COLOR_PAIR(C_KEY) : A_REVERSE, "%s", footer_hints[i].key);
		x = put(y, x, w, 0, "%s ", footer_hints[i].what);
	}
	if (u->filter[0])
		put(y, x, w, A_BOLD, "[filter: %s]", u->filter);
}

static void draw_panel(struct ui *u, struct model *m, int id)
{
	struct panel *p = &u->panels[id];
	bool focus = u->focus == id;
	int rows = p->h - 1, i, attr;
	char right[96];

	if (p->h <= 0)
		return;
	attr = focus ? (u->color ? (int)(COLOR_PAIR(C_FOCUS) | A_BOLD) : A_REVERSE | A_BOLD) :
	       (u->color ? (int)COLOR_PAIR(C_TITLE) : A_REVERSE);
	snprintf(right, sizeof(right), " sort: %s  %d/%d ", p->sorts[p->sort],
		 p->nrows ? p->sel + 1 : 0, p->nrows);
	move(p->y, 0);
	attrset(attr);
	hline(' ', COLS);
	attrset(A_NORMAL);
	put(p->y, 0, COLS, attr, "%s%s", focus ? ">" : " ", p->title);
	if ((int)strlen(right) + (int)strlen(p->title) + 2 < COLS)
		put(p->y, COLS - (int)strlen(right), COLS, attr, "%s", right);
	if (!p->nrows) {
		put(p->y + 1, 1, COLS, A_DIM, "%s", !m->st ? "waiting for heald..." :
		    id == P_DISKS ? "no healblk device and no disk seen" :
		    id == P_NET ? "no link" : id == P_PROCS ? "no process has died yet" :
		    id == P_WL && mig_empty(m->st) ? mig_empty(m->st) : "nothing yet");
		return;
	}
	p->top = scroll_top(p->top, p->sel, rows, p->nrows);
	for (i = 0; i < rows && p->top + i < p->nrows; i++)
		p->draw(p, &p->rows[p->top + i], m, u, p->y + 1 + i, 0, COLS,
			focus && p->top + i == p->sel);
}

/* Rebuild the rows from the snapshot, keeping the selected row by its key. */
static void build_panel(struct ui *u, struct model *m, int id)
{
	struct panel *p = &u->panels[id];
	bool follow = id == P_LOG && p->sel == 0;	/* at the top: follow the newest */
	char buf[32];
	int i;

	p->nrows = 0;
	if (m->st || id == P_LOG)
		p->build(p, m, u);
	if (!follow && id == P_LOG && !strncmp(p->selkey, "log:", 4)) {
		/* Log rows by their sequence number: no text made per row. */
		unsigned long long seq = strtoull(p->selkey + 4, NULL, 10);

		for (i = 0; i < p->nrows; i++)
			if (p->rows[i].le && p->rows[i].le->seq == seq) {
				p->sel = i;
				break;
			}
	} else if (!follow && p->selkey[0]) {
		for (i = 0; i < p->nrows; i++)
			if (!strcmp(p->rows[i].key, p->selkey)) {
				p->sel = i;
				break;
			}
	}
	if (p->sel >= p->nrows)
		p->sel = p->nrows ? p->nrows - 1 : 0;
	if (p->sel < 0)
		p->sel = 0;
	snprintf(p->selkey, sizeof(p->selkey), "%s",
		 p->nrows ? row_key(&p->rows[p->sel], buf, sizeof(buf)) : "");
}

static void draw_popup(struct ui *u)
{
	int w = COLS - 4 > 104 ? 104 : COLS - 4, h = LINES - 4, y0, x0, i;
	const char *title = u->popup_title;

	if (w < 10 || h < 3)
		return;
	if (h > u->npopup + 2)
		h = u->npopup + 2;
	y0 = (LINES - h) / 2;
	x0 = (COLS - w) / 2;
	if (u->popup_top > u->npopup - (h - 2))
		u->popup_top = u->npopup - (h - 2);
	if (u->popup_top < 0)
		u->popup_top = 0;
	for (i = 0; i < h; i++) {
		move(y0 + i, x0);
		attrset(i == 0 ? (u->color ? (int)(COLOR_PAIR(C_TITLE) | A_BOLD) : A_REVERSE) : 0);
		hline(' ', w);
		attrset(A_NORMAL);
	}
	put(y0, x0 + 1, x0 + w - 1, u->color ? (int)(COLOR_PAIR(C_TITLE) | A_BOLD) : A_REVERSE,
	    "%s  (%d/%d)", title, u->npopup ? u->popup_top + 1 : 0, u->npopup);
	for (i = 0; i < h - 2 && u->popup_top + i < u->npopup; i++)
		put(y0 + 1 + i, x0 + 1, x0 + w - 1, 0, "%s", u->popup[u->popup_top + i]);
	move(y0 + h - 1, x0);
	attrset(A_DIM);
	hline('-', w);
	attrset(A_NORMAL);
}

void screen_build(struct ui *u, struct model *m, bool log_only)
{
	int i;

	for (i = log_only ? P_LOG : 0; i < NPANELS; i++)
		build_panel(u, m, i);
}

void screen_draw(struct ui *u, struct model *m)
{
	int want[NPANELS], min[NPANELS], out[NPANELS], i, y = 2, total = LINES - 3;

	erase();
	screen_build(u, m, false);
	for (i = 0; i < NPANELS; i++) {
		want[i] = (u->panels[i].nrows ? u->panels[i].nrows : 1) + 1;
		min[i] = 2;
	}
	/* A node without [workload] or [peer]: no room for an empty panel, unless asked (w). */
	if (!u->panels[P_WL].nrows && !u->wl_shown)
		want[P_WL] = min[P_WL] = 0;
	/*
	 * The log grows to a third of the screen in turn with the others, then
	 * takes whatever they leave: the disks, the reason to run healtop,
	 * get the most rows a busy node can give them.
	 */
	min[P_LOG] = 3;
	want[P_LOG] = total / 3 > 3 ? total / 3 : 3;
	layout_split(total > 0 ? total : 0, NPANELS, want, min, out);
	for (i = 0; i < NPANELS; i++) {
		u->panels[i].y = y;
		u->panels[i].h = out[i];
		y += out[i];
	}
	header(u, m);
	for (i = 0; i < NPANELS; i++)
		draw_panel(u, m, i);
	if (u->mode == M_POPUP || u->mode == M_HELP)
		draw_popup(u);
	footer(u);
	refresh();
}
