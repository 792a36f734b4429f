/* SPDX-License-Identifier: GPL-2.0 */
/*
 * healtop: the live health console, a client of heald's control socket.
 * It owns no state of the node: the model is heald's last status snapshot,
 * plus what only a client can keep (short histories for sparklines and
 * rates, and the log of events it has seen).  The split follows htop:
 * model.c talks to heald, panel_*.c turn a snapshot into rows (Panel),
 * screen.c lays out and draws (ScreenManager, Meters in the header) and
 * input.c maps keys to actions (Action).
 */
#ifndef HEALTOP_H
#define HEALTOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "meter.h"

struct json_object;

#define MAX_TRACKED	128	/* disks / links with a history */
#define LOG_MAX		1000	/* log lines kept; older ones drop off */

enum sev { SEV_OK, SEV_DEGRADED, SEV_FAILING, SEV_FAILED, SEV_INFO };

/* History of one disk (iomon's view), for sparklines. */
struct disk_hist {
	char name[40];
	struct hist p50, p99, iops;
	uint64_t seen;		/* snapshot number it was last in */
};

/* Counters of one link, for per-second rates. */
struct link_rate {
	char name[48];		/* a link's name, or "uplink:" and the uplink's */
	double retrans, drops, t;
	double retrans_s, drops_s;
	uint64_t seen;
};

struct log_entry {
	uint64_t seq;		/* order of arrival: newest first on screen */
	char when[16];		/* HH:MM:SS, UTC as heald's journal */
	char kind[12];
	char text[240];
	enum sev sev;
	uint64_t why_id;	/* the journal decision Enter explains, 0: none */
};

/* A line reader for the event stream: it never blocks the screen. */
struct linebuf {
	char *buf;
	size_t len, cap;
};

struct model {
	const char *path;
	int req_fd;		/* requests and replies (heald_client's hd_call) */
	int ev_fd;		/* the subscription: a stream read by linebuf */
	struct linebuf ev;
	bool connected;
	bool ever_connected;
	bool refused;		/* heald answered, but no (permission) */
	char err[256];		/* why not connected, or heald's last error */
	struct json_object *st;	/* the last status snapshot, or NULL */
	uint64_t snapshots;
	double st_time;		/* monotonic seconds of st */
	int heald_pid;
	uint64_t last_jid;	/* newest journal id in the log */
	struct disk_hist disks[MAX_TRACKED];
	int ndisks;
	struct link_rate links[MAX_TRACKED];
	int nlinks;
	struct log_entry *log;	/* ring of LOG_MAX */
	uint64_t log_seq;	/* entries ever added; the newest is log_seq - 1 */
};

/* model.c */
double now_mono(void);
int model_init(struct model *m, const char *path);
void model_free(struct model *m);
/* Connect if needed, then a fresh snapshot. 0, or -1 with m->err set. */
int model_refresh(struct model *m);
/* Read what the event stream has; false when the connection went. */
bool model_events(struct model *m);
/* The parsing half of both, no socket (the fuzzer's way in): every whole
 * line in m->ev as an event, and @st (taken) as the new snapshot. */
void model_lines(struct model *m);
void model_take(struct model *m, struct json_object *st);
void model_disconnect(struct model *m, const char *why);
/* A request and its reply (NULL when heald is gone, m->err says why). */
struct json_object *model_call(struct model *m, struct json_object *req);
const struct log_entry *log_at(const struct model *m, uint64_t seq);
void log_add(struct model *m, enum sev sev, const char *kind, uint64_t why_id,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const struct disk_hist *disk_hist_find(const struct model *m, const char *name);
const struct link_rate *link_rate_find(const struct model *m, const char *name);

/* JSON access that tolerates missing keys (heald's schema grows). */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key);
/* jstr made safe for a terminal (hb_term_safe), in one of JTXT_SLOTS buffers
 * used in turn: valid until that many more calls, enough for one printf. */
#define JTXT_SLOTS 12
const char *jtxt(struct json_object *o, const char *key);
double jnum(struct json_object *o, const char *key);
bool jbool(struct json_object *o, const char *key);
size_t jlen(struct json_object *arr);
struct json_object *jidx(struct json_object *arr, size_t i);
enum sev sev_of(const char *health);
/* The state heald gives the resource @name, or "" when it lists none. */
const char *resource_state(struct json_object *st, const char *name);

/*
 * migration.c: heald's "migration" status as text (the Workloads panel and
 * --once say the same).  Any JSON is safe here: a missing field prints as
 * nothing, a malformed one as "?", every string made safe for a terminal.
 */
struct json_object *mig_get(struct json_object *st);	/* NULL: none, or not an object */
/* Why the panel has nothing to show (one line), or NULL when it has. */
const char *mig_empty(struct json_object *st);
const char *wl_name(struct json_object *w);
const char *wl_state_of(struct json_object *w);	/* absent running moving moved, or "?" */
const char *wl_health_of(struct json_object *w);	/* ok degraded failing, or "?" */
enum sev wl_sev(struct json_object *w);
enum sev peer_sev(struct json_object *p);
/* The decision of its move under way, else of its last move; 0: none. */
uint64_t wl_decision(struct json_object *w);
/* "criu, drained, moving to b: copy for 12s (#41), 2 processes, 1.5 MiB, on sda: reason; last move ..." */
void wl_text(char *buf, size_t len, struct json_object *w);
/* "10.0.0.2: receiving 0, holds 1 of 4, sent 1 of ours, answered 2s ago" */
void peer_text(char *buf, size_t len, struct json_object *p);
/* What this node takes: "node-a: takes up to 2 workloads, receiving 0, holds 1" */
void mig_node_text(char *buf, size_t len, struct json_object *mg);
/* One move into this node: under way (@hosted false) or done and held. */
void mig_recv_text(char *buf, size_t len, struct json_object *r, bool hosted);

/* Panels: rows built from the snapshot on every draw. */
enum row_kind { ROW_DEV, ROW_LEG, ROW_SPARE, ROW_DISK, ROW_LINK, ROW_UPLINK, ROW_CGROUP,
		ROW_WORKLOAD, ROW_PEER, ROW_NODE, ROW_RECV, ROW_HOSTED, ROW_LOG, ROW_NOTE };

struct row {
	enum row_kind kind;
	struct json_object *obj;	/* the device, leg, disk, link... */
	struct json_object *dev;	/* for legs and spares: their device */
	int leg;
	enum sev sev;
	const struct log_entry *le;
	char key[64];			/* keeps the selection across snapshots */
	double sortval;
};

struct ui;
struct panel {
	const char *title;
	void (*build)(struct panel *p, const struct model *m, const struct ui *u);
	/* One row of @w columns at (@y, @x); @sel: the highlighted row. */
	void (*draw)(const struct panel *p, const struct row *r, const struct model *m,
		     const struct ui *u, int y, int x, int w, bool sel);
	const char *const *sorts;	/* sort names, NULL-terminated */
	int sort;
	struct row *rows;
	int nrows, cap;
	int sel, top;
	char selkey[64];
	int y, h;			/* where the layout put it; h 0: hidden */
};

/* The log is last: the layout gives it what the others leave. */
enum panel_id { P_DISKS, P_NET, P_PROCS, P_WL, P_LOG, NPANELS };
enum mode { M_NORMAL, M_CONFIRM, M_FILTER, M_SPARE_PATH, M_POPUP, M_HELP };

struct ui {
	struct panel panels[NPANELS];
	int focus;
	bool color;
	bool utf8;
	bool paused;
	bool wl_shown;			/* w: the Workloads panel even with nothing in it */
	uint64_t pause_seq;		/* the log as it was when paused */
	double refresh_s;
	enum mode mode;
	char filter[64];
	char input[256];		/* the line being typed (filter, spare path) */
	char msg[256];			/* one-line answer to the last key */
	enum sev msg_sev;
	struct json_object *pending;	/* the act request awaiting y/n */
	char question[160];
	char **popup;			/* lines of the details / why / help view */
	int npopup, popup_top;
	char popup_title[96];
	bool refresh_now;		/* after an action: show its effect at once */
	bool quit;
};

/* panel_*.c */
void panel_disks_init(struct panel *p);
void panel_net_init(struct panel *p);
void panel_procs_init(struct panel *p);
void panel_wl_init(struct panel *p);
void panel_log_init(struct panel *p);
int row_add(struct panel *p, enum row_kind kind, struct json_object *obj, const char *key);
void rows_sort(struct panel *p, int from, int to, bool descending);
/* The key that keeps a row selected across rebuilds (log rows make theirs here). */
const char *row_key(const struct row *r, char *buf, size_t len);
bool log_visible(const struct log_entry *e, const struct ui *u);

/* screen.c */
void screen_init(struct ui *u, bool color);
void screen_end(void);
/*
 * Rows point into the snapshot and the log: rebuild them whenever the
 * model changes, before any key can act on a row (a replaced snapshot
 * has been freed).  @log_only: only the log changed (events).
 */
void screen_build(struct ui *u, struct model *m, bool log_only);
void screen_draw(struct ui *u, struct model *m);
int attr_sev(const struct ui *u, enum sev s);
int put(int y, int x, int xmax, int attr, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int put_spark(int y, int x, int xmax, const struct ui *u, const struct hist *h, int attr);
void popup_set(struct ui *u, const char *title, const char *text);
void popup_free(struct ui *u);
void ui_msg(struct ui *u, enum sev s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* input.c */
void input_key(struct ui *u, struct model *m, int key);
const char *help_text(void);
/* The footer's key hints, in order of importance; actions only where they apply. */
struct hint {
	const char *key, *what;
	int panel;	/* -1: every panel */
};
extern const struct hint footer_hints[];

/* once.c: --once; print_model() prints what the model holds (no heald needed). */
int print_once(struct model *m, int nlog);
void print_model(struct model *m, int nlog);

#endif
