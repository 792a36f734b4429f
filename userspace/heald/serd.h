/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SERD engines (Soft Error Rate Discrimination, as in illumos FMA and
 * ZFS's ZED): an engine fires when N events fall within T seconds, and
 * its alarm clears by itself once no event has come for a quiet period
 * (hysteresis: a single stray error after the storm does not re-arm it).
 * Pure: time comes from the caller, so unit tests drive it directly.
 */
#ifndef HEALD_SERD_H
#define HEALD_SERD_H

#include <stdbool.h>
#include <stdint.h>

#define SERD_MAX_N 64

struct serd {
	uint32_t n;		/* events ... */
	double t;		/* ... within this many seconds fire it */
	double quiet;		/* seconds without an event that clear it */
	double times[SERD_MAX_N];	/* ring of the last n event times */
	uint32_t count, head;	/* events in the ring, next slot */
	uint64_t total;		/* events ever recorded */
	bool fired;
	double fired_at, last;
};

/* n is clamped to 1..SERD_MAX_N; quiet 0 means "t". */
void serd_init(struct serd *s, uint32_t n, double t, double quiet);
/* Record one event at time @now; true when this event made it fire. */
bool serd_record(struct serd *s, double now);
/* Events within the window ending at @now. */
uint32_t serd_in_window(const struct serd *s, double now);
/* Clear a fired engine whose quiet period has passed; true when it did. */
bool serd_tick(struct serd *s, double now);
void serd_reset(struct serd *s);

#endif
