// SPDX-License-Identifier: GPL-2.0
/*
 * Journal replay: the input is a journal file as heald finds it at start.
 * journal_open() replays it into the pending decisions (replay_entry(),
 * what heald's diag_replay runs), then queries and an append run as they
 * would next.  No line may crash it, and an id once seen is never given
 * again.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "journal.h"
#include "replay.h"

#define MAX_PENDING 16

static char path[64];
static struct pending pending[MAX_PENDING];
static int npending;

static void quiet(const char *msg)
{
	(void)msg;
}

static void replay(struct json_object *entry, void *ctx)
{
	uint64_t *max_id = ctx;
	struct json_object *v;

	if (json_object_object_get_ex(entry, "id", &v) && (uint64_t)json_object_get_int64(v) > *max_id)
		*max_id = (uint64_t)json_object_get_int64(v);
	replay_entry(pending, &npending, MAX_PENDING, entry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal j;
	struct json_object *o;
	uint64_t max_id = 0, id, oldest, omitted;
	char err[400];
	int fd;

	if (!path[0]) {
		/* tmpfs when there is one: each run appends and syncs. */
		snprintf(path, sizeof(path), "%s/fuzz_journal.%d",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (int)getpid());
		journal_log = quiet;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	npending = 0;
	if (journal_open(&j, path, 1 << 20, 0, replay, &max_id, err, sizeof(err)))
		abort();
	if (npending < 0 || npending > MAX_PENDING || j.next_id <= max_id || !j.next_id)
		abort();
	json_object_put(journal_query(&j, 0, UINT64_MAX, 0, &oldest, &omitted));
	json_object_put(journal_query(&j, max_id / 2, max_id, 10, &oldest, &omitted));
	json_object_put(journal_why(&j, max_id, max_id));
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("start"));
	id = journal_append(&j, o);
	if (id && id <= max_id)
		abort();	/* an id reused */
	journal_close(&j);
	unlink(path);
	return 0;
}
