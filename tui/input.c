// SPDX-License-Identifier: GPL-2.0
/*
 * Keys to actions.  Navigation and views act at once; the actions that
 * change the node (fail a leg, rebuild, add a spare, scrub, reroute)
 * only build heald's "act" request and ask y/n: heald decides, journals
 * and answers, and its answer (or its refusal: actions are for root) is
 * what the log and the message line show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include <json-c/json.h>
#include "healtop.h"

#define KEY_ESC 27
#define CTRL(c) ((c) & 0x1f)

static struct panel *focused(struct ui *u)
{
	return &u->panels[u->focus];
}

static const struct row *selected(struct ui *u)
{
	struct panel *p = focused(u);

	return p->nrows && p->sel < p->nrows ? &p->rows[p->sel] : NULL;
}

static void focus_move(struct ui *u, int dir)
{
	int i;

	/* Skip the panels the layout had no room for. */
	for (i = 0; i < NPANELS; i++) {
		u->focus = (u->focus + dir + NPANELS) % NPANELS;
		if (u->panels[u->focus].h > 0)
			return;
	}
}

static void row_move(struct ui *u, int delta)
{
	struct panel *p = focused(u);
	char buf[32];

	p->sel += delta;
	if (p->sel >= p->nrows)
		p->sel = p->nrows - 1;
	if (p->sel < 0)
		p->sel = 0;
	snprintf(p->selkey, sizeof(p->selkey), "%s",
		 p->nrows ? row_key(&p->rows[p->sel], buf, sizeof(buf)) : "");
}

static void show_why(struct ui *u, struct model *m, uint64_t id)
{
	struct json_object *req = json_object_new_object(), *r, *e, *outs, *v;
	char *text = NULL, title[64];
	size_t len = 0, i;
	FILE *f;

	json_object_object_add(req, "cmd", json_object_new_string("why"));
	json_object_object_add(req, "id", json_object_new_int64((int64_t)id));
	r = model_call(m, req);
	if (!r || !jbool(r, "ok")) {
		ui_msg(u, SEV_FAILED, "why %llu: %s", (unsigned long long)id,
		       r ? jstr(r, "error") : m->err);
		json_object_put(r);
		return;
	}
	e = jget(r, "entry");
	outs = jget(r, "outcomes");
	f = open_memstream(&text, &len);
	if (!f) {
		json_object_put(r);
		return;
	}
	/* As `healctl why` words it: one way to explain a decision. */
	fprintf(f, "entry %s at %s: %s %s\n", jstr(e, "id"), jstr(e, "time"), jstr(e, "type"),
		jstr(e, "resource"));
	if (*jstr(e, "action"))
		fprintf(f, "decision: %s, by %s%s\n", jstr(e, "action"), jstr(e, "by"),
			jbool(e, "dry_run") ? " (dry run: not taken)" : "");
	fprintf(f, "because:  %s\n", jstr(e, "reason"));
	v = jget(e, "evidence");
	if (v)
		fprintf(f, "evidence: %s\n", json_object_to_json_string_ext(v,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	for (i = 0; i < jlen(outs); i++) {
		struct json_object *o = jidx(outs, i);

		fprintf(f, "%s at %s: %s%s%s\n", jstr(o, "type"), jstr(o, "time"),
			*jstr(o, "outcome") ? jstr(o, "outcome") : jstr(o, "reason"),
			*jstr(o, "detail") ? ": " : "", jstr(o, "detail"));
	}
	if (!jlen(outs))
		fprintf(f, "no outcome recorded yet\n");
	fclose(f);
	snprintf(title, sizeof(title), "why #%llu", (unsigned long long)id);
	popup_set(u, title, text ? text : "");
	free(text);
	u->mode = M_POPUP;
	json_object_put(r);
}

static void details(struct ui *u, struct model *m)
{
	const struct row *r = selected(u);
	char title[96];

	if (!r)
		return;
	if (r->kind == ROW_LOG) {
		if (r->le->why_id) {
			show_why(u, m, r->le->why_id);
			return;
		}
		snprintf(title, sizeof(title), "%s at %s", r->le->kind, r->le->when);
		popup_set(u, title, r->le->text);
	} else if (r->kind == ROW_WORKLOAD && wl_decision(r->obj)) {
		/* Its move under way, or its last one: why heald decided it. */
		show_why(u, m, wl_decision(r->obj));
		return;
	} else if (r->obj) {
		snprintf(title, sizeof(title), "%s", r->key);
		popup_set(u, title, json_object_to_json_string_ext(r->obj,
			  JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		return;
	}
	u->mode = M_POPUP;
}

/* The device of the selected Disks row (a device, a leg or a spare). */
static struct json_object *sel_dev(struct ui *u)
{
	const struct row *r = u->focus == P_DISKS ? selected(u) : NULL;

	if (!r)
		return NULL;
	return r->kind == ROW_DEV ? r->obj : r->dev;
}

static void ask(struct ui *u, const char *action, struct json_object *dev, int leg, const char *disk)
{
	struct json_object *req = json_object_new_object();

	json_object_put(u->pending);
	json_object_object_add(req, "cmd", json_object_new_string("act"));
	json_object_object_add(req, "action", json_object_new_string(action));
	json_object_object_add(req, "dev", json_object_new_string(jstr(dev, "name")));
	if (leg >= 0)
		json_object_object_add(req, "leg", json_object_new_int(leg));
	if (disk)
		json_object_object_add(req, "disk", json_object_new_string(disk));
	u->pending = req;
	if (leg >= 0)
		snprintf(u->question, sizeof(u->question), "%s leg %d (%s) of %s?", action, leg,
			 jstr(jidx(jget(dev, "legs"), (size_t)leg), "name"), jstr(dev, "name"));
	else if (disk)
		snprintf(u->question, sizeof(u->question), "add %s as a spare of %s?", disk,
			 jstr(dev, "name"));
	else
		snprintf(u->question, sizeof(u->question), "%s %s?", action, jstr(dev, "name"));
	u->mode = M_CONFIRM;
}

static void act_leg(struct ui *u, const char *action)
{
	const struct row *r = u->focus == P_DISKS ? selected(u) : NULL;

	if (!r || r->kind != ROW_LEG) {
		ui_msg(u, SEV_DEGRADED, "%s: select a leg in the Disks panel first", action);
		return;
	}
	ask(u, action, r->dev, r->leg, NULL);
}

static void act_dev(struct ui *u, const char *action)
{
	struct json_object *dev = sel_dev(u);

	if (!dev) {
		ui_msg(u, SEV_DEGRADED, "%s: select a healblk device in the Disks panel first", action);
		return;
	}
	if (!strcmp(action, "add-spare")) {
		snprintf(u->question, sizeof(u->question), "Spare disk for %s: ", jstr(dev, "name"));
		u->input[0] = '\0';
		u->mode = M_SPARE_PATH;
		return;
	}
	ask(u, action, dev, -1, NULL);
}

/* u: move the routes onto the selected uplink (heald's reroute). */
static void act_reroute(struct ui *u)
{
	const struct row *r = u->focus == P_NET ? selected(u) : NULL;
	struct json_object *req;

	if (!r || r->kind != ROW_UPLINK) {
		ui_msg(u, SEV_DEGRADED, "reroute: select an uplink in the Network panel first");
		return;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("act"));
	json_object_object_add(req, "action", json_object_new_string("reroute"));
	json_object_object_add(req, "uplink", json_object_new_string(jstr(r->obj, "name")));
	json_object_put(u->pending);
	u->pending = req;
	snprintf(u->question, sizeof(u->question), "reroute onto uplink %s (gateway %s)?",
		 jstr(r->obj, "name"), jstr(r->obj, "gateway"));
	u->mode = M_CONFIRM;
}

/* y: send the pending action; heald's answer goes to the log. */
static void confirm(struct ui *u, struct model *m)
{
	struct json_object *req = u->pending, *r, *e, *o;
	char what[160];

	u->pending = NULL;
	u->mode = M_NORMAL;
	snprintf(what, sizeof(what), "%s", u->question);
	what[strcspn(what, "?")] = '\0';
	r = model_call(m, req);
	if (!r) {
		ui_msg(u, SEV_FAILED, "%s: heald is not reachable: %s", what, m->err);
		return;
	}
	if (!jbool(r, "ok")) {
		ui_msg(u, SEV_FAILED, "%s: refused: %s", what, jstr(r, "error"));
		log_add(m, SEV_FAILED, "action", 0, "%s: refused by heald: %s", what, jstr(r, "error"));
		json_object_put(r);
		return;
	}
	e = jget(r, "entry");
	o = jidx(jget(r, "outcomes"), 0);
	ui_msg(u, o && !strcmp(jstr(o, "outcome"), "failed") ? SEV_FAILED : SEV_OK,
	       "%s: decision #%s, %s%s%s", what, e ? jstr(e, "id") : "?",
	       o ? jstr(o, "outcome") : "no outcome yet", o && *jstr(o, "detail") ? ": " : "",
	       o ? jstr(o, "detail") : "");
	u->refresh_now = true;
	json_object_put(r);
}

/* A line editor for the filter and the spare's path: printable, Backspace. */
static bool edit(char *buf, size_t len, int key)
{
	size_t n = strlen(buf);

	if ((key == KEY_BACKSPACE || key == 127 || key == CTRL('h')) && n) {
		buf[n - 1] = '\0';
		return true;
	}
	if (key >= 0x20 && key < 0x7f && n + 1 < len) {
		buf[n] = (char)key;
		buf[n + 1] = '\0';
		return true;
	}
	return false;
}

static void key_modal(struct ui *u, struct model *m, int key)
{
	bool enter = key == '\n' || key == '\r' || key == KEY_ENTER;

	switch (u->mode) {
	case M_CONFIRM:
		if (key == 'y' || key == 'Y') {
			confirm(u, m);
		} else if (key == 'n' || key == 'N' || key == KEY_ESC || key == 'q') {
			ui_msg(u, SEV_INFO, "cancelled: %.*s", (int)strcspn(u->question, "?"), u->question);
			json_object_put(u->pending);
			u->pending = NULL;
			u->mode = M_NORMAL;
		}
		break;
	case M_FILTER:
		if (enter) {
			snprintf(u->filter, sizeof(u->filter), "%.*s", (int)sizeof(u->filter) - 1, u->input);
			u->panels[P_LOG].sel = 0;
			u->mode = M_NORMAL;
		} else if (key == KEY_ESC) {
			u->filter[0] = '\0';
			u->mode = M_NORMAL;
		} else {
			edit(u->input, sizeof(u->filter), key);
		}
		break;
	case M_SPARE_PATH:
		if (enter && u->input[0]) {
			struct json_object *dev = sel_dev(u);

			u->mode = M_NORMAL;
			if (dev)
				ask(u, "add-spare", dev, -1, u->input);
		} else if (key == KEY_ESC) {
			u->mode = M_NORMAL;
		} else {
			edit(u->input, sizeof(u->input), key);
		}
		break;
	case M_POPUP:
	case M_HELP:
		if (key == KEY_UP || key == 'k')
			u->popup_top--;
		else if (key == KEY_DOWN || key == 'j')
			u->popup_top++;
		else if (key == KEY_PPAGE)
			u->popup_top -= LINES - 6;
		else if (key == KEY_NPAGE || key == ' ')
			u->popup_top += LINES - 6;
		else if (key != KEY_RESIZE && key != ERR) {
			popup_free(u);
			u->mode = M_NORMAL;
		}
		break;
	default:
		break;
	}
}

static void k_quit(struct ui *u, struct model *m)
{
	(void)m;
	u->quit = true;
}

static void k_help(struct ui *u, struct model *m)
{
	(void)m;
	popup_set(u, "healtop help", help_text());
	u->mode = M_HELP;
}

static void k_next(struct ui *u, struct model *m)
{
	(void)m;
	focus_move(u, 1);
}

static void k_prev(struct ui *u, struct model *m)
{
	(void)m;
	focus_move(u, -1);
}

static int page_of(struct ui *u)
{
	return focused(u)->h > 2 ? focused(u)->h - 2 : 1;
}

static void k_up(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, -1);
}

static void k_down(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, 1);
}

static void k_pgup(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, -page_of(u));
}

static void k_pgdn(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, page_of(u));
}

static void k_home(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, -focused(u)->nrows);
}

static void k_end(struct ui *u, struct model *m)
{
	(void)m;
	row_move(u, focused(u)->nrows);
}

static void k_filter(struct ui *u, struct model *m)
{
	(void)m;
	snprintf(u->input, sizeof(u->input), "%s", u->filter);
	u->mode = M_FILTER;
}

static void k_sort(struct ui *u, struct model *m)
{
	struct panel *p = focused(u);

	(void)m;
	p->sort = p->sorts[p->sort + 1] ? p->sort + 1 : 0;
	ui_msg(u, SEV_INFO, "sorted by %s", p->sorts[p->sort]);
}

static void k_pause(struct ui *u, struct model *m)
{
	u->paused = !u->paused;
	u->pause_seq = m->log_seq;
	ui_msg(u, SEV_INFO, u->paused ? "paused: p to resume" : "resumed");
	u->refresh_now = !u->paused;
}

static void k_fail(struct ui *u, struct model *m)
{
	(void)m;
	act_leg(u, "fail-leg");
}

static void k_rebuild(struct ui *u, struct model *m)
{
	(void)m;
	act_leg(u, "rebuild");
}

static void k_spare(struct ui *u, struct model *m)
{
	(void)m;
	act_dev(u, "add-spare");
}

static void k_scrub(struct ui *u, struct model *m)
{
	(void)m;
	act_dev(u, "scrub");
}

static void k_reroute(struct ui *u, struct model *m)
{
	(void)m;
	act_reroute(u);
}

/* w: the Workloads panel, focused; shown even when heald has nothing for it. */
static void k_workloads(struct ui *u, struct model *m)
{
	const char *empty = mig_empty(m->st);

	u->wl_shown = true;
	u->focus = P_WL;
	if (empty)
		ui_msg(u, SEV_INFO, "Workloads: %s", empty);
}

static void k_redraw(struct ui *u, struct model *m)
{
	(void)u;
	(void)m;
	clearok(stdscr, TRUE);
}

/* The key -> action table (htop's Action): help_text() says the same. */
static const struct action {
	int key;
	void (*run)(struct ui *u, struct model *m);
} actions[] = {
	{ 'q', k_quit }, { 'Q', k_quit }, { '?', k_help }, { 'h', k_help }, { KEY_F(1), k_help },
	{ '\t', k_next }, { KEY_RIGHT, k_next }, { KEY_BTAB, k_prev }, { KEY_LEFT, k_prev },
	{ KEY_UP, k_up }, { 'k', k_up }, { KEY_DOWN, k_down }, { 'j', k_down },
	{ KEY_PPAGE, k_pgup }, { KEY_NPAGE, k_pgdn }, { KEY_HOME, k_home }, { 'g', k_home },
	{ KEY_END, k_end }, { 'G', k_end },
	{ '\n', details }, { '\r', details }, { KEY_ENTER, details },
	{ '/', k_filter }, { 's', k_sort }, { 'p', k_pause }, { 'P', k_pause },
	{ 'f', k_fail }, { 'r', k_rebuild }, { 'a', k_spare }, { 'c', k_scrub }, { 'u', k_reroute },
	{ 'w', k_workloads },
	{ CTRL('l'), k_redraw },
};

void input_key(struct ui *u, struct model *m, int key)
{
	size_t i;

	if (u->mode != M_NORMAL) {
		key_modal(u, m, key);
		return;
	}
	if (key != KEY_RESIZE && key != ERR)
		u->msg[0] = '\0';
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].key == key) {
			actions[i].run(u, m);
			return;
		}
}

const char *help_text(void)
{
	return "healtop: heald's live view of this node (it renders what heald says;\n"
	       "it keeps nothing but short histories).\n"
	       "\n"
	       "Tab, Right / Shift-Tab, Left   next / previous panel\n"
	       "w        the Workloads panel: workloads, peers, moves (shown even\n"
	       "         when heald has no [workload] or [peer] section)\n"
	       "Up, Down, PgUp, PgDn, Home, End   move in the panel (also j, k, g, G)\n"
	       "Enter    details: on a log line marked *, why heald decided it\n"
	       "         (evidence and reasoning); on a workload, why its move (under\n"
	       "         way, or the last); on a disk, leg, link or peer, all of it\n"
	       "/        filter the log (Enter applies, Esc clears)\n"
	       "s        sort the focused panel by its next key\n"
	       "p        pause: the screen holds still while heald carries on\n"
	       "?        this help          q  quit        Ctrl-L  redraw\n"
	       "\n"
	       "Actions (heald acts and journals them; each asks y/n first; root only):\n"
	       "f        fail the selected leg\n"
	       "r        rebuild the selected leg (onto a spare if there is one)\n"
	       "a        add a spare disk to the selected device (asks for its path)\n"
	       "c        scrub the selected device (compare every leg, repair)\n"
	       "u        move the routes onto the selected uplink (Network panel)\n"
	       "\n"
	       "Colours: green ok, yellow degraded, red failing, white on red failed\n"
	       "(--no-color or NO_COLOR: underline, bold, bold underline).\n"
	       "Sparklines: each disk's p99 latency, newest at the right, one\n"
	       "sample a refresh.  Options: -d SECONDS, --no-color, --once.\n";
}
