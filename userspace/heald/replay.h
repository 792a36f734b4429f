/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replaying the journal at start: which decisions have no final outcome
 * yet (diag_resume() then finishes or resumes them).  Pure: the entries
 * come from disk and may be anything, so every field is checked.
 */
#ifndef HEALD_REPLAY_H
#define HEALD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* A decision found in the journal at start that has no final outcome. */
struct pending {
	uint64_t id;
	uint32_t dev, leg;
	char action[24];
	bool started;		/* an outcome said the rebuild started */
	char workload[32];	/* a workload's move ("workload:NAME"), "": a device's */
};

#define REPLAY_NAME 32

/*
 * Drains the operator asked for and did not take back: each taken
 * "drain" decision adds its evidence's workloads to @names (@*n of at
 * most @max), each "undrain" takes them out.  Other entries are ignored.
 */
void replay_drain(char (*names)[REPLAY_NAME], int *n, int max, struct json_object *entry);

/*
 * Take journal entry @entry into @p (@*np of at most @max; the oldest
 * goes when full).  An entry without the fields it needs is ignored.
 */
void replay_entry(struct pending *p, int *np, int max, struct json_object *entry);

#endif
