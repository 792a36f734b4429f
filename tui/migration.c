// SPDX-License-Identifier: GPL-2.0
/*
 * heald's workload migration as text: the "migration" object of its
 * status (workloads, peers, what this node receives) in the words the
 * Workloads panel and --once both print.  No curses here, so that a unit
 * test (tests/unit/test_healtop_migration.c) feeds it any JSON.
 *
 * heald writes every field below, but a healtop may meet an older or a
 * newer heald, or a stand-in: a field that is missing prints as nothing,
 * one of the wrong type, out of range or not in the vocabulary as "?".
 * Nothing is trusted to be a string, a number or an array, and every
 * string goes through hb_term_safe (a workload's name and its reason are
 * the operator's and the kernel's words, not heald's).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "../userspace/lib/hb_text.h"
#include "healtop.h"

#define COUNT_MAX 1e15		/* above any count heald keeps (uint64 as a double) */

/* Append to @buf (never past @len, always terminated). */
static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t o = strnlen(buf, len);
	va_list ap;

	if (o + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + o, len - o, fmt, ap);
	va_end(ap);
}

/* A string field, safe for a terminal: "" when missing, "?" when not a string. */
static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v)
		return "";
	if (!json_object_is_type(v, json_type_string))
		return "?";
	return jtxt(o, key);
}

/* A number field in [@lo, @hi]: false when missing, not a number, NaN or out of range. */
static bool num(struct json_object *o, const char *key, double lo, double hi, double *out)
{
	struct json_object *v = jget(o, key);
	double d;

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	d = json_object_get_double(v);
	if (isnan(d) || d < lo || d > hi)
		return false;
	*out = d;
	return true;
}

/* A true/false field: -1 when missing or not a boolean. */
static int flag(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

/* @s if it is one of @words (NULL-terminated), else "?". */
static const char *one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return s;
	return "?";
}

/* "12s ago"-style durations; "?" for a number out of range. */
static void cat_dur(char *buf, size_t len, struct json_object *o, const char *key)
{
	char d[16];
	double s;

	if (!num(o, key, 0, 1e10, &s)) {
		cat(buf, len, "?");
		return;
	}
	fmt_dur(d, sizeof(d), s);
	cat(buf, len, "%s", d);
}

/* A count: "3", or "?" when heald's number is no count. */
static void cat_count(char *buf, size_t len, struct json_object *o, const char *key)
{
	double n;

	if (num(o, key, 0, COUNT_MAX, &n))
		cat(buf, len, "%.0f", n);
	else
		cat(buf, len, "?");
}

struct json_object *mig_get(struct json_object *st)
{
	struct json_object *mg = jget(st, "migration");

	return mg && json_object_is_type(mg, json_type_object) ? mg : NULL;
}

const char *mig_empty(struct json_object *st)
{
	struct json_object *mg = mig_get(st);

	if (!st)
		return "waiting for heald...";
	if (!jget(st, "migration"))
		return "heald reports no workloads (it predates workload migration)";
	if (!mg)
		return "heald's workload state is malformed (\"migration\" is not an object)";
	if (!jlen(jget(mg, "workloads")) && !jlen(jget(mg, "peers")) &&
	    !jlen(jget(mg, "receiving")) && !jlen(jget(mg, "hosted")))
		return "no [workload] or [peer] section in heald's configuration";
	return NULL;
}

const char *wl_state_of(struct json_object *w)
{
	static const char *const states[] = { "absent", "running", "moving", "moved", NULL };

	return one_of(jstr(w, "state"), states);
}

const char *wl_health_of(struct json_object *w)
{
	static const char *const healths[] = { "ok", "degraded", "failing", NULL };

	return one_of(jstr(w, "health"), healths);
}

enum sev wl_sev(struct json_object *w)
{
	const char *h = wl_health_of(w);

	return !strcmp(h, "?") ? SEV_INFO : sev_of(h);
}

enum sev peer_sev(struct json_object *p)
{
	return sev_of(jstr(p, "health"));	/* "unknown" and anything else: SEV_INFO */
}

const char *wl_name(struct json_object *w)
{
	const char *n = str(w, "name");

	return *n ? n : "?";
}

uint64_t wl_decision(struct json_object *w)
{
	double id;

	if (num(jget(w, "move"), "decision", 1, COUNT_MAX, &id) ||
	    num(jget(w, "last_move"), "decision", 1, COUNT_MAX, &id))
		return (uint64_t)id;
	return 0;
}

/* "1.5 MiB": a workload's memory.current. */
static void cat_bytes(char *buf, size_t len, struct json_object *o, const char *key)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double b;
	int u = 0;

	if (!num(o, key, 0, 1e19, &b)) {
		cat(buf, len, "? memory");
		return;
	}
	while (b >= 1024 && u < 5) {
		b /= 1024;
		u++;
	}
	cat(buf, len, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

/* "on sda,vdb", "no disk", or "?" when heald's list is no list of names. */
static void cat_devices(char *buf, size_t len, struct json_object *w)
{
	struct json_object *a = jget(w, "devices");
	size_t i;

	if (!a)
		return;
	if (!json_object_is_type(a, json_type_array)) {
		cat(buf, len, ", on ?");
		return;
	}
	if (!jlen(a)) {
		cat(buf, len, ", no disk");
		return;
	}
	cat(buf, len, ", on ");
	for (i = 0; i < jlen(a); i++) {
		struct json_object *d = jidx(a, i);
		char safe[96];

		cat(buf, len, "%s%s", i ? "," : "", json_object_is_type(d, json_type_string) ?
		    hb_term_safe(safe, sizeof(safe), json_object_get_string(d)) : "?");
	}
}

/* The move under way: "moving to b: checkpoint for 12s (#41)". */
static void cat_move(char *buf, size_t len, struct json_object *mv)
{
	double id;

	if (!mv)
		return;
	if (!json_object_is_type(mv, json_type_object)) {
		cat(buf, len, ", moving: ?");
		return;
	}
	cat(buf, len, ", moving");
	if (*str(mv, "peer"))
		cat(buf, len, " to %s", str(mv, "peer"));
	cat(buf, len, ": %s for ", *str(mv, "step") ? str(mv, "step") : "?");
	cat_dur(buf, len, mv, "for_s");
	if (num(mv, "decision", 1, COUNT_MAX, &id))
		cat(buf, len, " (#%.0f)", id);
}

/* The last move's outcome: "last move failed 3m07s ago (#41): checkpoint: ...". */
static void cat_last(char *buf, size_t len, struct json_object *lm)
{
	double id;

	if (!lm)
		return;
	if (!json_object_is_type(lm, json_type_object)) {
		cat(buf, len, "; last move: ?");
		return;
	}
	cat(buf, len, "; last move %s ", *str(lm, "outcome") ? str(lm, "outcome") : "?");
	cat_dur(buf, len, lm, "age_s");
	cat(buf, len, " ago");
	if (num(lm, "decision", 1, COUNT_MAX, &id))
		cat(buf, len, " (#%.0f)", id);
	if (*str(lm, "detail"))
		cat(buf, len, ": %s", str(lm, "detail"));
}

void wl_text(char *buf, size_t len, struct json_object *w)
{
	double n;

	if (!len)
		return;
	buf[0] = '\0';
	if (!json_object_is_type(w, json_type_object)) {
		cat(buf, len, "malformed: heald sent no object for this workload");
		return;
	}
	/* What the operator asked and what happens first: 80 columns cut the rest. */
	cat(buf, len, "%s", *str(w, "kind") ? str(w, "kind") : "?");
	if (flag(w, "drain") == 1)
		cat(buf, len, ", drained");
	else if (flag(w, "drain") < 0 && jget(w, "drain"))
		cat(buf, len, ", drained ?");
	if (flag(w, "opt_out") == 1)
		cat(buf, len, ", opted out");
	cat_move(buf, len, jget(w, "move"));
	if (num(w, "processes", 0, COUNT_MAX, &n))
		cat(buf, len, ", %.0f process%s, ", n, n == 1 ? "" : "es");
	else
		cat(buf, len, ", ? processes, ");
	cat_bytes(buf, len, w, "memory_bytes");
	cat_devices(buf, len, w);
	if (*str(w, "peer") && !jget(w, "move"))
		cat(buf, len, ", peer %s", str(w, "peer"));
	if (*str(w, "reason"))
		cat(buf, len, ": %s", str(w, "reason"));
	cat_last(buf, len, jget(w, "last_move"));
}

void peer_text(char *buf, size_t len, struct json_object *p)
{
	if (!len)
		return;
	buf[0] = '\0';
	if (!json_object_is_type(p, json_type_object)) {
		cat(buf, len, "malformed: heald sent no object for this peer");
		return;
	}
	cat(buf, len, "%s: receiving ", *str(p, "address") ? str(p, "address") : "?");
	cat_count(buf, len, p, "receiving");
	cat(buf, len, ", holds ");
	cat_count(buf, len, p, "hosted");
	cat(buf, len, " of ");
	cat_count(buf, len, p, "receive_max");
	cat(buf, len, ", sent ");
	cat_count(buf, len, p, "sent");
	cat(buf, len, " of ours, ");
	if (jget(p, "age_s")) {
		cat(buf, len, "answered ");
		cat_dur(buf, len, p, "age_s");
		cat(buf, len, " ago");
	} else {
		cat(buf, len, "never answered");
	}
	if (flag(p, "answered") == 0 && jget(p, "age_s"))
		cat(buf, len, ", not the last time");
	if (*str(p, "error"))
		cat(buf, len, ": %s", str(p, "error"));
}

void mig_node_text(char *buf, size_t len, struct json_object *mg)
{
	double max, moving;

	if (!len)
		return;
	buf[0] = '\0';
	cat(buf, len, "%s: ", *str(mg, "node") ? str(mg, "node") : "this node");
	if (!num(mg, "receive_max", 0, COUNT_MAX, &max))
		cat(buf, len, "takes ? workloads");
	else if (max > 0)
		cat(buf, len, "takes up to %.0f workload%s", max, max == 1 ? "" : "s");
	else
		cat(buf, len, "takes no workload");
	cat(buf, len, ", receiving %zu, holds %zu", jlen(jget(mg, "receiving")), jlen(jget(mg, "hosted")));
	if (num(mg, "moving", 0, COUNT_MAX, &moving) && moving > 0)
		cat(buf, len, "; %.0f move%s out under way", moving, moving == 1 ? "" : "s");
}

void mig_recv_text(char *buf, size_t len, struct json_object *r, bool hosted)
{
	double pid;

	if (!len)
		return;
	buf[0] = '\0';
	if (!json_object_is_type(r, json_type_object)) {
		cat(buf, len, "malformed: heald sent no object for this move in");
		return;
	}
	cat(buf, len, "%s %s from %s", hosted ? "holds" : "receiving",
	    *str(r, "workload") ? str(r, "workload") : "?", *str(r, "from") ? str(r, "from") : "?");
	if (hosted) {
		if (num(r, "pid", 1, 1e9, &pid))
			cat(buf, len, " as pid %.0f", pid);
		return;
	}
	cat(buf, len, " for ");
	cat_dur(buf, len, r, "for_s");
}
