/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heald's journal: append-only, one JSON object a line, each with an id
 * and a time.  An entry is on disk (fdatasync) before append returns, so
 * a decision is journaled before its action starts (journal_write()
 * without sync is the exception, for reroutes: see heald.8).  Bounded by
 * rotation: past max_bytes the file becomes FILE.1 (FILE.1 -> FILE.2 ...,
 * `keep` old files).  Opening replays every file, oldest first; a torn
 * last line (a crash mid-write) is cut off and counted, never parsed.
 * Any other line that is not an entry (a JSON object with a positive
 * whole "id" and a "type" string) is reported with its file and line
 * number and skipped; an id seen on it is still never given again.
 * The journal's own file is never opened through a symlink.
 * The last `JOURNAL_RECENT` lines stay in memory for queries.
 */
#ifndef HEALD_JOURNAL_H
#define HEALD_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "../lib/schema.h"

struct json_object;

#define JOURNAL_RECENT HEAL_JOURNAL_RECENT
#define JOURNAL_LINE_MAX 8192

struct journal {
	int fd;
	char path[256];
	uint64_t max_bytes;
	int keep;
	off_t size;
	uint64_t next_id;
	uint64_t torn;		/* torn lines cut off at open */
	uint64_t bad;		/* complete lines that were not valid entries */
	char *recent[JOURNAL_RECENT];	/* ring of the newest lines */
	uint64_t nrecent;	/* lines ever put in the ring */
	bool unsynced;		/* lines written since the last fdatasync (or its request) */
	/* The background syncer (journal_sync_async()): fdatasync off the caller's thread. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t syncer;
	bool syncer_on, quit;
	uint64_t asked, done;	/* async syncs asked for, done */
	int async_err;		/* an async sync's errno, until reported */
	/*
	 * Ids up to durable are on disk (or their sync was tried and its
	 * error reported): synced in place, or by the syncer, which syncs
	 * up to want and then writes efd (an eventfd the caller's loop may
	 * watch: journal_durable() has moved).
	 */
	uint64_t durable, want, durable_async;
	int efd;
};

/* Where replay reports a skipped line (heald: its log); NULL: stderr. */
extern void (*journal_log)(const char *msg);

/* Called for each valid entry found at open, oldest first. */
typedef void (*journal_replay_cb)(struct json_object *entry, void *ctx);

int journal_open(struct journal *j, const char *path, uint64_t max_bytes, int keep,
		 journal_replay_cb cb, void *ctx, char *err, size_t errlen);
void journal_close(struct journal *j);
/*
 * Give @entry (taken over) an "id" and "time", write and sync it.
 * Returns the id, or 0 with errno set.
 */
uint64_t journal_append(struct journal *j, struct json_object *entry);
/*
 * The same, synced only if @sync: without, the line is written in order
 * with its id (a crash of heald keeps it; of the machine, not) and is
 * durable at the next journal_sync() or synced append, which cover every
 * line before them.  For what must not wait for the disk (a reroute).
 */
uint64_t journal_write(struct journal *j, struct json_object *entry, bool sync);
/* fdatasync what was written unsynced: 0, or -1 with errno set. */
int journal_sync(struct journal *j);
/*
 * The same without waiting: a thread of the journal's syncs it.  Returns
 * 0, or -1 with errno set to what an earlier async sync failed with (it
 * is reported once).  journal_close() waits for a sync still running.
 */
int journal_sync_async(struct journal *j);
/* The newest id on disk (see durable above); read efd first when it is watched. */
uint64_t journal_durable(struct journal *j);
/*
 * Entries with @after < id <= @upto, the newest @limit of them (0: all in
 * memory), in order; @oldest: the oldest id in memory (0: none),
 * @omitted: how many after @after @limit left out.  Ids from @after + 1 to
 * @oldest - 1 are only in the journal's files.  @upto: what the caller
 * may show (heald: what it has published, never a line not yet durable).
 */
struct json_object *journal_query(const struct journal *j, uint64_t after, uint64_t upto,
				  uint32_t limit, uint64_t *oldest, uint64_t *omitted);
/* The entry @id and the entries that refer to it ("ref": id), ids up to @upto; NULL if not in memory. */
struct json_object *journal_why(const struct journal *j, uint64_t id, uint64_t upto);

#endif
