// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "../lib/schema.h"
#include "journal.h"

static void remember(struct journal *j, const char *line, size_t len)
{
	char **slot = &j->recent[j->nrecent % JOURNAL_RECENT];

	free(*slot);
	*slot = strndup(line, len);
	if (*slot)
		j->nrecent++;
}

void (*journal_log)(const char *msg);

/* The id of entry @o: a whole number 1..INT64_MAX, else 0. */
static uint64_t entry_id(struct json_object *o)
{
	struct json_object *v;
	int64_t id;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_int))
		return 0;
	id = json_object_get_int64(v);
	return id > 0 && id < INT64_MAX ? (uint64_t)id : 0;
}

/* Why @o is not an entry, or NULL: an object with an id and a "type" string. */
static const char *entry_invalid(struct json_object *o)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return "not a JSON object";
	if (!entry_id(o))
		return "no \"id\" that is a whole number from 1";
	if (!json_object_object_get_ex(o, "type", &v) || !json_object_is_type(v, json_type_string))
		return "no \"type\" string";
	return NULL;
}

static void bad_line(struct journal *j, const char *path, uint64_t lineno, const char *why)
{
	char msg[400];

	j->bad++;
	snprintf(msg, sizeof(msg), "journal %s:%llu: %s: line skipped", path,
		 (unsigned long long)lineno, why);
	if (journal_log)
		journal_log(msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/*
 * Replay one file.  For the current file (@cut) a last line without its
 * newline is torn: it is cut off so the next entry starts clean.
 */
static int replay_file(struct journal *j, const char *path, int cut,
		       journal_replay_cb cb, void *ctx)
{
	char *buf = NULL, *p, *nl;
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd, ret = 0;

	uint64_t lineno = 0;

	/* Never through a symlink: root would read (and append to) whatever it names. */
	fd = open(path, (cut ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		ret = -errno;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, (size_t)st.st_size - off);
		if (got <= 0) {
			ret = got < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)got;
	}
	buf[off] = '\0';
	for (p = buf; p < buf + off; p = nl + 1) {
		struct json_object *o;
		const char *why;
		uint64_t id;

		nl = memchr(p, '\n', (size_t)(buf + off - p));
		if (!nl) {
			j->torn++;
			if (cut && ftruncate(fd, p - buf) < 0)
				ret = -errno;
			break;
		}
		*nl = '\0';
		lineno++;
		o = json_tokener_parse(p);
		/* An id seen is never given again, even on a line that is skipped. */
		id = entry_id(o);
		if (id >= j->next_id)
			j->next_id = id + 1;
		why = o ? entry_invalid(o) : "not JSON";
		if (why) {
			bad_line(j, path, lineno, why);
		} else {
			remember(j, p, (size_t)(nl - p));
			if (cb)
				cb(o, ctx);
		}
		json_object_put(o);
	}
out:
	free(buf);
	close(fd);
	return ret;
}

/*
 * The syncer: fdatasync for each batch of requests, on its own copy of the
 * descriptor (rotation may replace j->fd meanwhile: it syncs the old file
 * itself before it does).
 */
static void *syncer(void *arg)
{
	struct journal *j = arg;

	pthread_mutex_lock(&j->mu);
	while (!j->quit || j->asked != j->done) {
		uint64_t upto, want, one = 1;
		int fd, err = 0;

		if (j->asked == j->done) {
			pthread_cond_wait(&j->cv, &j->mu);
			continue;
		}
		upto = j->asked;
		want = j->want;
		/* Close-on-exec: a child started meanwhile gets no way to write heald's journal. */
		fd = fcntl(j->fd, F_DUPFD_CLOEXEC, 0);
		pthread_mutex_unlock(&j->mu);
		if (fd < 0 || fdatasync(fd) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&j->mu);
		j->done = upto;
		/* A failed sync makes nothing durable: its lines wait for one that works. */
		if (!err && want > j->durable_async)
			j->durable_async = want;
		if (err)
			j->async_err = err;
		/* The loop publishes what is durable now (journal_durable()). */
		if (j->efd >= 0 && write(j->efd, &one, sizeof(one)) < 0)
			err = errno;
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

int journal_open(struct journal *j, const char *path, uint64_t max_bytes, int keep,
		 journal_replay_cb cb, void *ctx, char *err, size_t errlen)
{
	char old[300];
	struct stat st;
	int k, ret;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->efd = -1;
	j->next_id = 1;
	j->max_bytes = max_bytes;
	j->keep = keep < 0 ? 0 : keep;
	if (snprintf(j->path, sizeof(j->path), "%s", path) >= (int)sizeof(j->path)) {
		snprintf(err, errlen, "journal path too long: %s", path);
		return -ENAMETOOLONG;
	}
	for (k = j->keep; k >= 0; k--) {
		if (k)
			snprintf(old, sizeof(old), "%s.%d", path, k);
		ret = replay_file(j, k ? old : path, !k, cb, ctx);
		if (ret) {
			snprintf(err, errlen, "journal %s: %s", k ? old : path,
				 ret == -ELOOP ? "is a symbolic link (refused: give the real path)" :
				 strerror(-ret));
			return ret;
		}
	}
	j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "journal %s: %s", path,
			 errno == ELOOP ? "is a symbolic link (refused: give the real path)" : strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "journal %s: not a regular file", path);
		close(j->fd);
		j->fd = -1;
		return -EINVAL;
	}
	j->size = st.st_size;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->durable = j->next_id - 1;	/* what replay found is on disk */
	/* Without the thread (or its eventfd), journal_sync_async() syncs in place. */
	j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	j->syncer_on = j->efd >= 0 && !pthread_create(&j->syncer, NULL, syncer, j);
	return 0;
}

void journal_close(struct journal *j)
{
	uint64_t i;

	if (j->syncer_on) {
		pthread_mutex_lock(&j->mu);
		j->quit = true;		/* after the syncs asked for */
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_join(j->syncer, NULL);
		j->syncer_on = false;
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->efd >= 0)
		close(j->efd);
	j->efd = -1;
	for (i = 0; i < JOURNAL_RECENT; i++) {
		free(j->recent[i]);
		j->recent[i] = NULL;
	}
}

static int sync_dir(const char *path)
{
	char copy[256];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int rotate(struct journal *j)
{
	char from[300], to[300];
	int k, fd;

	if (fdatasync(j->fd) < 0)
		return -errno;
	j->durable = j->next_id - 1;
	for (k = j->keep; k >= 1; k--) {
		snprintf(to, sizeof(to), "%s.%d", j->path, k);
		if (k > 1)
			snprintf(from, sizeof(from), "%s.%d", j->path, k - 1);
		else
			snprintf(from, sizeof(from), "%s", j->path);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	if (!j->keep && unlink(j->path) < 0)
		return -errno;
	fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	if (j->syncer_on)
		pthread_mutex_lock(&j->mu);
	close(j->fd);
	j->fd = fd;
	if (j->syncer_on)
		pthread_mutex_unlock(&j->mu);
	j->size = 0;
	return sync_dir(j->path);
}

uint64_t journal_write(struct journal *j, struct json_object *entry, bool sync)
{
	char stamp[80];
	struct timespec ts;
	struct tm tm;
	const char *s;
	size_t len;
	char *line;
	uint64_t id;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
	id = j->next_id;
	/* id and time first, so a line reads well in `less`. */
	{
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64((int64_t)id));
		json_object_object_add(o, "time", json_object_new_string(stamp));
		json_object_object_add(o, "schema", json_object_new_int(HEAL_SCHEMA));
		json_object_object_foreach(entry, key, val) {
			if (strcmp(key, "id") && strcmp(key, "time") && strcmp(key, "schema"))
				json_object_object_add(o, key, json_object_get(val));
		}
		json_object_put(entry);
		entry = o;
	}
	s = json_object_to_json_string_ext(entry, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	line = malloc(len + 2);
	if (!line) {
		json_object_put(entry);
		errno = ENOMEM;
		return 0;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	json_object_put(entry);

	if (j->max_bytes && j->size > 0 && (uint64_t)j->size + len + 1 > j->max_bytes) {
		ret = rotate(j);
		if (ret) {
			free(line);
			errno = -ret;
			return 0;
		}
	}
	{
		size_t off = 0;

		while (off < len + 1) {
			ssize_t n = write(j->fd, line + off, len + 1 - off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				ret = errno;
				/* Cut what went out so the file stays whole lines. */
				if (ftruncate(j->fd, j->size) < 0)
					ret = errno;
				free(line);
				errno = ret;
				return 0;
			}
			off += (size_t)n;
		}
	}
	j->size += (off_t)len + 1;
	j->next_id++;
	j->unsynced = true;
	remember(j, line, len);
	free(line);
	/*
	 * The line is written (in the page cache: it survives heald, not the
	 * machine); a sync error leaves it there, reported, for the next sync.
	 */
	if (sync && journal_sync(j) < 0)
		return 0;
	return id;
}

uint64_t journal_append(struct journal *j, struct json_object *entry)
{
	return journal_write(j, entry, true);
}

int journal_sync(struct journal *j)
{
	/* Nothing written since the last sync, and none still running. */
	if (!j->unsynced && journal_durable(j) == j->next_id - 1)
		return 0;
	if (fdatasync(j->fd) < 0)
		return -1;
	j->unsynced = false;
	j->durable = j->next_id - 1;
	return 0;
}

uint64_t journal_durable(struct journal *j)
{
	uint64_t d;

	if (!j->syncer_on)
		return j->durable;
	pthread_mutex_lock(&j->mu);
	d = j->durable_async;
	pthread_mutex_unlock(&j->mu);
	return d > j->durable ? d : j->durable;
}

int journal_sync_async(struct journal *j)
{
	int err;

	if (!j->syncer_on)
		return journal_sync(j);
	pthread_mutex_lock(&j->mu);
	if (j->unsynced) {
		j->asked++;
		j->want = j->next_id - 1;
		pthread_cond_signal(&j->cv);
		j->unsynced = false;
	}
	err = j->async_err;
	j->async_err = 0;
	pthread_mutex_unlock(&j->mu);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static struct json_object *recent_at(const struct journal *j, uint64_t k)
{
	const char *line = j->recent[k % JOURNAL_RECENT];

	return line ? json_tokener_parse(line) : NULL;
}

struct json_object *journal_query(const struct journal *j, uint64_t after, uint64_t upto,
				  uint32_t limit, uint64_t *oldest, uint64_t *omitted)
{
	struct json_object *arr = json_object_new_array();
	uint64_t k, first = j->nrecent > JOURNAL_RECENT ? j->nrecent - JOURNAL_RECENT : 0;
	size_t n;

	*oldest = 0;
	*omitted = 0;
	for (k = first; k < j->nrecent; k++) {
		struct json_object *o = recent_at(j, k);

		if (o && !*oldest)
			*oldest = entry_id(o);
		if (o && entry_id(o) > after && entry_id(o) <= upto)
			json_object_array_add(arr, o);
		else
			json_object_put(o);
	}
	/* The newest @limit: the older ones after @after are counted, for the reader to know. */
	n = json_object_array_length(arr);
	if (limit && n > limit) {
		json_object_array_del_idx(arr, 0, n - limit);
		*omitted = n - limit;
	}
	return arr;
}

struct json_object *journal_why(const struct journal *j, uint64_t id, uint64_t upto)
{
	uint64_t k, first = j->nrecent > JOURNAL_RECENT ? j->nrecent - JOURNAL_RECENT : 0;
	struct json_object *entry = NULL, *related = json_object_new_array(), *v, *out;

	for (k = first; k < j->nrecent; k++) {
		struct json_object *o = recent_at(j, k);

		if (!o)
			continue;
		if (entry_id(o) > upto) {
			json_object_put(o);
			continue;
		}
		if (entry_id(o) == id && !entry) {
			entry = o;
			continue;
		}
		if (json_object_object_get_ex(o, "ref", &v) &&
		    (uint64_t)json_object_get_int64(v) == id)
			json_object_array_add(related, o);
		else
			json_object_put(o);
	}
	if (!entry) {
		json_object_put(related);
		return NULL;
	}
	out = json_object_new_object();
	json_object_object_add(out, "entry", entry);
	json_object_object_add(out, "outcomes", related);
	return out;
}
