/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Notification hooks, as ZFS's zedlets and mdadm's PROGRAM: every program
 * in hooks_dir gets each journal entry as one JSON line on its stdin, run
 * asynchronously (child.c) with a deadline (hook_timeout).  Entries wait
 * in a queue of at most HOOKS_QUEUE entries; when it is full the oldest is
 * dropped for the hooks still behind it (counted and logged), so a flood
 * of entries costs heald bounded memory and never blocks it, and one slow
 * hook costs the others nothing.
 *
 * Hooks run as root, so only files root controls run (as systemd and zed
 * check): the directory and each program must be owned by root and not
 * writable by group or others; a program must be a regular file that its
 * owner may execute, its name letters, digits, '_', '-' and '.', not
 * starting with '.' nor ending in '~' or a package manager's suffix.  A
 * link is followed, and every directory above its target and above
 * hooks_dir must be root's too (sticky ones like /tmp aside).  Anything
 * else is skipped and logged once.
 *
 * Each hook gets the entries in journal order, one run at a time (a
 * notifier never sends "up" before the "down" it is still sending); a
 * hook added to the directory gets the entries from then on.
 */
#ifndef HEALD_HOOKS_H
#define HEALD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct heald;

#define HOOKS_MAX 32		/* programs in the directory */
/* Each hook runs one at a time, so at most one run per program: no hook waits for another's. */
#define HOOKS_RUNNING HOOKS_MAX
#define HOOKS_QUEUE 128		/* entries waiting for their hooks */
#define HOOKS_QUEUE_BYTES (1 << 20)

struct hooks_stats {
	uint64_t runs, failed, timeouts, dropped;
	uint32_t queued, programs;
};

/* Pure: why a program's name or stat (@st, not followed through a link's) forbids it, or NULL. */
const char *hook_name_bad(const char *name);
const char *hook_stat_bad(const struct stat *st);
/* Pure: why the directory's stat forbids every hook in it, or NULL. */
const char *hooks_dir_bad(const struct stat *st);
/* Pure: why a directory above hooks_dir or above a linked program forbids it (sticky ones may be shared). */
const char *hook_dir_stat_bad(const struct stat *st);
/*
 * Why a directory above @real (a resolved path) forbids what is in it,
 * or NULL; @at (@atlen) gets the directory.  Every one from @real's up to
 * "/" must be root's and not writable by others.
 */
const char *hook_dirs_bad(const char *real, char *at, size_t atlen);

/* Publish: queue journal line @line (@len bytes, no newline) of entry @id for the hooks. */
void hooks_queue(struct heald *h, uint64_t id, const char *line, size_t len);
/* The loop, after each dispatch: start what may start. */
void hooks_dispatch(struct heald *h);
void hooks_get_stats(struct hooks_stats *st);
void hooks_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b);
void hooks_close(void);

#endif
