/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scheduled scrub (issue 12): every array is scrubbed every
 * scrub_interval days (0: never), at a time of its own: the slots of an
 * array are offset + k * interval on the wall clock, the offset taken
 * from its device UUID, so that a fleet of nodes (and the arrays of one
 * node) spread their scrubs over the interval instead of all starting at
 * once, and the same array keeps its slot across restarts and reboots.
 * An array is scrubbed at the first slot after its last scrub started or
 * ended (the first slot after heald first saw it, when never); a due scrub
 * waits while the array is degraded or syncing (journaled once), and
 * starts when that passes.  The history comes back from the journal at
 * start: scheduled decisions and "scrub" entries (every scrub seen ending,
 * whoever started it), keyed by UUID.
 */
#ifndef HEALD_SCRUB_H
#define HEALD_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heald;
struct hb_event;
struct json_object;

/* Pure (scrub_sched.c) */

/* The array's offset in [0, @interval) seconds, from its UUID (FNV-1a). */
double scrub_offset(const uint8_t uuid[16], double interval);
/* The first slot after @ref (seconds since the epoch). */
double scrub_next(double ref, double interval, double offset);

enum scrub_verdict { SCRUB_OFF, SCRUB_WAIT, SCRUB_GO, SCRUB_PAUSE };

struct scrub_in {
	double now, interval, offset;	/* wall clock, seconds */
	double last;			/* last scrub started or ended; 0: never */
	double seen;			/* first seen (when never scrubbed) */
	bool degraded, syncing;
	int others;			/* other arrays of the node scrubbing now */
};

/* What to do now; @due is the slot it is for (0 with SCRUB_OFF), @why says it. */
enum scrub_verdict scrub_decide(const struct scrub_in *in, double *due, char *why, size_t len);

/* What the journal says of one array. */
struct scrub_hist {
	char uuid[37];
	double last_start;	/* a scheduled scrub decided */
	double last_done;	/* a scrub ended */
	char result[16];	/* how it ended: done, aborted, failed, stopped */
	uint64_t mismatches, repaired, unreadable;
	uint64_t open;		/* a scheduled decision with no "scrub" end yet */
};

/* Take journal entry @entry into @hs (@*n of at most @max). */
void scrub_replay(struct scrub_hist *hs, int *n, int max, struct json_object *entry);

/* heald (scrub.c) */
void scrub_replay_entry(struct json_object *entry);
void scrub_tick(struct heald *h);
/* A healblk sync event (after diagnosis saw it). */
void scrub_sync_event(struct heald *h, const struct hb_event *ev);
void scrub_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b);
/* The array's schedule for status: NULL when it has none. */
struct json_object *scrub_status(struct heald *h, const uint8_t uuid[16]);

#endif
