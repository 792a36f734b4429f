// SPDX-License-Identifier: GPL-2.0
/*
 * Disk health in heald: which physical disks lie under the healblk legs
 * and spares, their names from sysfs, smartctl run on each (child.c), and
 * what its readings change: journaled alarms and clears, and a predictive
 * alarm on the leg of a disk that says it is failing (see smart.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "../lib/hb_text.h"
#include "../lib/hb_time.h"
#include "heald.h"
#include "child.h"
#include "smart.h"

#define SMART_DISKS 32
#define SMART_OUT_MAX (1 << 20)	/* smartctl -a --json: 10-60 KiB */
#define SMART_POKE_GAP 60	/* seconds between reads an I/O error asks for */
#define SMART_CLEAR_READS 2	/* healthy reads in a row that clear an alarm */
#define SMART_RUNNING 2		/* smartctl runs at once: a node's disks are read in turn */
/*
 * Reads killed at their deadline but stuck in the kernel that do not hold
 * a SMART_RUNNING place: past these, a hung controller (every disk behind
 * it stuck) stops new reads instead of filling CHILD_MAX.
 */
#define SMART_STUCK_MAX 4
/* Seconds a disk is under no array before it is forgotten: not a device list being refreshed. */
#define SMART_FORGET_AFTER 10

/* Who a disk is: what its maker printed on it, and which attach of a disk to its name. */
struct disk_id {
	char serial[64], wwn[40], model[64];
	uint64_t diskseq;	/* the kernel's number for this attach: a new disk, a new one */
};

struct sdisk {
	bool used;
	char name[32];		/* the physical disk: sda, nvme0n1 */
	struct disk_id id;	/* the disk that the readings, level and alarm below are of */
	/*
	 * Another disk found under the name (its diskseq) before the loop's
	 * next turn takes it on: what lookups name meanwhile.  Only read,
	 * never judged: the turn closes the old disk's alarm as the old disk.
	 */
	struct disk_id other;
	bool have_other;
	struct smart_health last;
	bool have;		/* a read succeeded */
	double read_wall;	/* when */
	enum smart_level level;
	char why[256];
	double next, poked;	/* monotonic */
	double unseen_since;	/* monotonic: under no array since, 0: under one */
	bool reading;
	struct child *child;	/* the smartctl reading it, while reading */
	bool stuck_said;
	uint64_t reads, failures;
	char error[160];	/* the last failed read's reason */
	uint64_t alarm;		/* journal id of its alarm, 0: none */
	int ok_reads;
};

static struct sdisk disks[SMART_DISKS];
/* Where the block devices are: a unit test puts a tree of its own there. */
static const char *sysfs_block = "/sys/class/block";
static uint64_t read_failures;
static bool no_smartctl_said;

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	while (*s == ' ')
		memmove(s, s + 1, n--);
}

static void sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t i;

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	trim(buf);
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
}

/*
 * The physical disk under block device @name: a partition's disk, a dm or
 * md device's first slave (down to 4 layers), a disk with a device behind
 * it.  Loop, ram and null_blk disks have none: no SMART there.
 */
static bool phys_disk(const char *name, char *out, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], cur[64];
	int depth;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	snprintf(cur, sizeof(cur), "%s", name);
	for (depth = 0; depth < 4; depth++) {
		struct dirent *de;
		DIR *d;

		if (strchr(cur, '/') || !cur[0])
			return false;
		snprintf(path, sizeof(path), "%s/%s/partition", sysfs_block, cur);
		if (access(path, F_OK) == 0) {
			snprintf(path, sizeof(path), "%s/%s/..", sysfs_block, cur);
			if (!realpath(path, real) || !strrchr(real, '/'))
				return false;
			snprintf(cur, sizeof(cur), "%s", strrchr(real, '/') + 1);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/slaves", sysfs_block, cur);
		d = opendir(path);
		if (d) {
			bool found = false;

			while ((de = readdir(d)))
				if (de->d_name[0] != '.' && strlen(de->d_name) < sizeof(cur)) {
					memcpy(cur, de->d_name, strlen(de->d_name) + 1);
					found = true;
					break;
				}
			closedir(d);
			if (found)
				continue;
		}
		snprintf(path, sizeof(path), "%s/%s/device", sysfs_block, cur);
		if (access(path, F_OK))
			return false;
		if (strlen(cur) >= len)
			return false;
		memcpy(out, cur, strlen(cur) + 1);
		return true;
	}
	return false;
}

/* The disk's sequence number (Linux 5.15+): another disk under the same name has another. */
static uint64_t diskseq_of(const char *name)
{
	char path[PATH_MAX], v[32];

	snprintf(path, sizeof(path), "%s/%s/diskseq", sysfs_block, name);
	v[0] = '\0';
	sysfs_read(path, v, sizeof(v));
	return strtoull(v, NULL, 10);
}

/* Serial, WWN and model of disk @name as the kernel knows them (NVMe, SCSI and ATA through SCSI). */
static void sysfs_ids(const char *name, struct disk_id *id)
{
	char path[PATH_MAX];

	id->diskseq = diskseq_of(name);
	snprintf(path, sizeof(path), "%s/%s/device/serial", sysfs_block, name);
	sysfs_read(path, id->serial, sizeof(id->serial));
	snprintf(path, sizeof(path), "%s/%s/wwid", sysfs_block, name);
	sysfs_read(path, id->wwn, sizeof(id->wwn));
	if (!id->wwn[0]) {
		snprintf(path, sizeof(path), "%s/%s/device/wwid", sysfs_block, name);
		sysfs_read(path, id->wwn, sizeof(id->wwn));
	}
	snprintf(path, sizeof(path), "%s/%s/device/model", sysfs_block, name);
	sysfs_read(path, id->model, sizeof(id->model));
}

static void disk_init(struct sdisk *s, const char *phys)
{
	char name[sizeof(s->name)];

	snprintf(name, sizeof(name), "%s", phys);	/* @phys may be s->name */
	memset(s, 0, sizeof(*s));
	s->used = true;
	memcpy(s->name, name, sizeof(name));
	sysfs_ids(s->name, &s->id);
	s->next = now_mono();
}

/*
 * Whether @s is still the disk under its name.  A disk pulled and another
 * plugged in that gets the same name (udev's remove and add; sdb again)
 * has another diskseq: until the loop's next turn takes it on
 * (smart_tick), s->other names it, read from sysfs now, so that no status,
 * event or alarm names the new disk by the old one's serial.
 */
static bool same_disk(struct sdisk *s)
{
	uint64_t seq = diskseq_of(s->name);

	/*
	 * 0: not known (a kernel before 5.15, sysfs unreadable for a moment,
	 * heald out of file descriptors): no evidence of another disk, and
	 * an alarm is never closed on none.
	 */
	if (seq == s->id.diskseq || !seq || !s->id.diskseq)
		return true;
	if (!s->have_other || s->other.diskseq != seq) {
		sysfs_ids(s->name, &s->other);
		s->have_other = true;
	}
	return false;
}

static struct sdisk *disk_of(const char *name, bool make)
{
	char phys[32];
	int i, free_i = -1;

	if (!phys_disk(name, phys, sizeof(phys)))
		return NULL;
	for (i = 0; i < SMART_DISKS; i++) {
		if (disks[i].used && !strcmp(disks[i].name, phys))
			return &disks[i];
		if (!disks[i].used && free_i < 0)
			free_i = i;
	}
	if (!make || free_i < 0)
		return NULL;
	disk_init(&disks[free_i], phys);
	return &disks[free_i];
}

void smart_ids(struct heald *h, const char *name, const char **serial, const char **wwn,
	       const char **model)
{
	struct sdisk *s = disk_of(name, false);
	const struct disk_id *id = !s ? NULL : same_disk(s) ? &s->id : &s->other;

	(void)h;
	*serial = id ? id->serial : "";
	*wwn = id ? id->wwn : "";
	if (model)
		*model = id ? id->model : "";
}

/* The in-sync legs on disk @s, told to the diagnosis (raise, or clear). */
static void legs_on(struct heald *h, struct sdisk *s, bool raise, const char *why,
		    struct json_object *evidence)
{
	int i;
	uint32_t l;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		for (l = 0; l < d->info.nr_legs && l < HEALBLK_MAX_LEGS; l++) {
			struct sdisk *on = disk_of(d->info.legs[l].name, false);

			if (on != s)
				continue;
			if (raise)
				diag_leg_predict(h, d, l, why, json_object_get(evidence));
			else
				diag_leg_predict_clear(h, d, l, why);
		}
	}
}

static void judge(struct heald *h, struct sdisk *s)
{
	char why[256], reason[512], res[48];
	enum smart_level lv = smart_assess(&s->last, why, sizeof(why));
	struct json_object *e, *ev;

	snprintf(res, sizeof(res), "disk:%s", s->name);
	if (lv == SMART_OK && s->level >= SMART_WARN) {
		if (++s->ok_reads < SMART_CLEAR_READS)
			return;
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string("clear"));
		if (s->alarm)
			json_object_object_add(e, "ref", json_object_new_int64((int64_t)s->alarm));
		json_object_object_add(e, "resource", json_object_new_string(res));
		json_object_object_add(e, "serial", json_object_new_string(s->id.serial));
		json_object_object_add(e, "reason", json_object_new_string("SMART healthy again"));
		json_object_object_add(e, "evidence", smart_evidence(s->name, &s->last));
		jappend(h, e);
		hlog(LOG_INFO, "%s (serial %s): SMART healthy again", res, s->id.serial);
		legs_on(h, s, false, "its disk's SMART is healthy again", NULL);
		s->alarm = 0;
		s->ok_reads = 0;
		s->level = SMART_OK;
		s->why[0] = '\0';
		return;
	}
	s->ok_reads = 0;
	if (lv != s->level && lv >= SMART_WARN) {
		snprintf(reason, sizeof(reason), "disk %s (serial %s%s%s): %s", s->name,
			 s->id.serial[0] ? s->id.serial : "unknown", s->id.wwn[0] ? ", WWN " : "", s->id.wwn, why);
		ev = smart_evidence(s->name, &s->last);
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string("alarm"));
		json_object_object_add(e, "resource", json_object_new_string(res));
		json_object_object_add(e, "serial", json_object_new_string(s->id.serial));
		json_object_object_add(e, "wwn", json_object_new_string(s->id.wwn));
		json_object_object_add(e, "state", json_object_new_string(
			lv == SMART_FAILING ? "failing" : "warning"));
		json_object_object_add(e, "reason", json_object_new_string(reason));
		json_object_object_add(e, "evidence", json_object_get(ev));
		s->alarm = jappend(h, e);
		h->alarms_total++;
		hlog(LOG_WARNING, "%s", reason);
		if (lv == SMART_FAILING) {
			json_object_object_add(ev, "alarm", json_object_new_int64((int64_t)s->alarm));
			legs_on(h, s, true, reason, ev);
		}
		json_object_put(ev);
	}
	if (lv == SMART_OK && s->level >= SMART_WARN)
		return;		/* healthy once: the alarm holds until the next read says so too */
	s->level = lv;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void read_done(struct heald *h, struct child *c, void *ctx)
{
	struct sdisk *s = ctx;
	struct smart_health sh;
	bool killed = child_timed_out(c);
	size_t outlen;
	const char *out = child_out(c, &outlen);
	char err[160];

	s->reading = false;
	s->child = NULL;
	s->stuck_said = false;
	s->next = now_mono() + h->cfg.smart_interval;
	/*
	 * Another disk under the name by now: which one smartctl read is not
	 * known, so its answer judges neither.  The loop's next turn takes
	 * the new disk on and reads it at once.
	 */
	if (!same_disk(s)) {
		s->next = now_mono();
		hlog(LOG_INFO, "disk %s: another disk took the name during a SMART read: read again",
		     s->name);
		return;
	}
	if (killed || smart_parse(out, outlen, &sh, err, sizeof(err))) {
		if (killed)
			snprintf(err, sizeof(err), "smartctl did not finish in %g s", h->cfg.smart_timeout);
		s->failures++;
		read_failures++;
		if (strcmp(err, s->error))
			hlog(LOG_WARNING, "disk %s: SMART not read: %s", s->name, err);
		snprintf(s->error, sizeof(s->error), "%s", err);
		return;
	}
	s->error[0] = '\0';
	s->last = sh;
	s->have = true;
	s->reads++;
	s->read_wall = now_wall();
	/* smartctl asks the disk itself: its names win over sysfs's. */
	if (sh.serial[0])
		snprintf(s->id.serial, sizeof(s->id.serial), "%s", sh.serial);
	if (sh.wwn[0])
		snprintf(s->id.wwn, sizeof(s->id.wwn), "%s", sh.wwn);
	if (sh.model[0])
		snprintf(s->id.model, sizeof(s->id.model), "%s", sh.model);
	judge(h, s);
}

static void start_read(struct heald *h, struct sdisk *s)
{
	char dev[48], what[64], err[200];
	char *argv[] = { h->cfg.smartctl, "--json=c", "-a", "-n", "standby", dev, NULL };
	struct child_spec c = {
		.path = h->cfg.smartctl, .argv = argv, .outmax = SMART_OUT_MAX,
		.timeout = h->cfg.smart_timeout, .what = what, .done = read_done, .ctx = s,
	};
	int ret;

	snprintf(dev, sizeof(dev), "/dev/%s", s->name);
	snprintf(what, sizeof(what), "smartctl %s", dev);
	ret = child_spawn(h, &c, &s->child, err, sizeof(err));
	if (ret == -EBUSY)
		return;		/* every child slot taken: the next tick */
	if (ret) {
		s->next = now_mono() + h->cfg.smart_interval;
		s->failures++;
		read_failures++;
		hlog(LOG_WARNING, "disk %s: SMART not read: %s", s->name, err);
		return;
	}
	s->reading = true;
}

/* The disk's open alarm, closed in the journal as it leaves heald's watch (@why). */
static void alarm_close(struct heald *h, struct sdisk *s, const char *why)
{
	struct json_object *e;
	char res[48];

	if (s->level < SMART_WARN)
		return;
	snprintf(res, sizeof(res), "disk:%s", s->name);
	e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string("clear"));
	if (s->alarm)
		json_object_object_add(e, "ref", json_object_new_int64((int64_t)s->alarm));
	json_object_object_add(e, "resource", json_object_new_string(res));
	json_object_object_add(e, "serial", json_object_new_string(s->id.serial));
	json_object_object_add(e, "reason", json_object_new_string(why));
	jappend(h, e);
	hlog(LOG_INFO, "%s (serial %s): %s", res, s->id.serial, why);
	legs_on(h, s, false, why, NULL);
}

void smart_tick(struct heald *h)
{
	double now = now_mono();
	bool seen[SMART_DISKS] = { false };
	int i, k, running, stuck = 0;
	uint32_t l;

	for (i = 0; i < HEALD_MAX_DEVS; i++) {
		struct dev_track *d = &h->devs[i];

		if (!d->present)
			continue;
		for (l = 0; l < d->info.nr_legs + d->info.nr_spares &&
			    l < HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES; l++) {
			const char *name = l < d->info.nr_legs ? d->info.legs[l].name :
					   d->info.spares[l - d->info.nr_legs].name;
			struct sdisk *s = disk_of(name, true);

			if (s)
				seen[s - disks] = true;
		}
	}
	for (k = 0; k < SMART_DISKS; k++) {
		struct sdisk *s = &disks[k];

		if (!s->used || s->reading)
			continue;
		/*
		 * No longer under any array (for a while, not a list being
		 * refreshed): forgotten.  A disk with an open alarm stays (its
		 * metrics say which disk to pull) until it is gone from the node.
		 */
		if (!seen[k]) {
			bool gone = diskseq_of(s->name) != s->id.diskseq;

			if (!s->unseen_since) {
				s->unseen_since = now;
			} else if (now - s->unseen_since >= SMART_FORGET_AFTER &&
				   (gone || s->level < SMART_WARN)) {
				alarm_close(h, s, "the disk is gone from the node");
				s->used = false;
			}
			continue;
		}
		s->unseen_since = 0;
		/* Another disk under the same name (a disk swapped in): it is read afresh. */
		if (!same_disk(s)) {
			char was[64];

			snprintf(was, sizeof(was), "%s", s->id.serial);
			alarm_close(h, s, "another disk took its name");
			disk_init(s, s->name);
			hlog(LOG_NOTICE, "disk %s is another disk now (serial %s, was %s): its health is read afresh",
			     s->name, s->id.serial[0] ? s->id.serial : "unknown", was[0] ? was : "unknown");
		}
	}
	if (h->cfg.smart_interval <= 0)
		return;
	if (access(h->cfg.smartctl, X_OK)) {
		if (!no_smartctl_said)
			hlog(LOG_WARNING, "%s: %s: disks are named from sysfs, their health is not read "
			     "(apt-get install smartmontools)", h->cfg.smartctl, strerror(errno));
		no_smartctl_said = true;
		return;
	}
	no_smartctl_said = false;
	running = 0;
	for (k = 0; k < SMART_DISKS; k++) {
		struct sdisk *s = &disks[k];

		if (!s->reading)
			continue;
		/*
		 * Killed at its deadline but not ended: stuck in the kernel on a
		 * disk that does not answer.  It keeps its disk from another read,
		 * not the other disks from theirs.
		 */
		if (s->child && child_timed_out(s->child) && ++stuck <= SMART_STUCK_MAX) {
			if (!s->stuck_said) {
				snprintf(s->error, sizeof(s->error),
					 "smartctl killed at its deadline (%g s) and still not ended: the disk does not answer",
					 h->cfg.smart_timeout);
				hlog(LOG_WARNING, "disk %s: %s", s->name, s->error);
				s->stuck_said = true;
			}
			continue;
		}
		running++;
	}
	for (k = 0; k < SMART_DISKS && running < SMART_RUNNING; k++)
		if (seen[k] && !disks[k].reading && now >= disks[k].next) {
			start_read(h, &disks[k]);
			running += disks[k].reading;
		}
}

void smart_poke(struct heald *h, const char *name)
{
	struct sdisk *s = disk_of(name, false);
	double now = now_mono();

	(void)h;
	if (!s || (s->poked && now - s->poked < SMART_POKE_GAP))
		return;
	s->poked = now;
	s->next = now;
}

struct json_object *smart_status(struct heald *h, const char *name)
{
	struct sdisk *s = disk_of(name, false);
	struct json_object *o;
	struct timespec ts = { 0, 0 };
	char stamp[48];

	(void)h;
	if (!s)
		return NULL;
	if (!same_disk(s)) {	/* not taken on yet: named, not read */
		o = json_object_new_object();
		json_object_object_add(o, "disk", json_object_new_string(s->name));
		json_object_object_add(o, "serial", json_object_new_string(s->other.serial));
		json_object_object_add(o, "wwn", json_object_new_string(s->other.wwn));
		json_object_object_add(o, "model", json_object_new_string(s->other.model));
		json_object_object_add(o, "level", json_object_new_string(smart_level_name(SMART_UNKNOWN)));
		json_object_object_add(o, "read", NULL);
		return o;
	}
	o = s->have ? smart_evidence(s->name, &s->last) : json_object_new_object();
	json_object_object_del(o, "source");
	json_object_object_add(o, "disk", json_object_new_string(s->name));
	json_object_object_add(o, "serial", json_object_new_string(s->id.serial));
	json_object_object_add(o, "wwn", json_object_new_string(s->id.wwn));
	json_object_object_add(o, "model", json_object_new_string(s->id.model));
	json_object_object_add(o, "level", json_object_new_string(smart_level_name(s->level)));
	if (s->why[0])
		json_object_object_add(o, "reason", json_object_new_string(s->why));
	ts.tv_sec = (time_t)s->read_wall;
	json_object_object_add(o, "read", s->have ? json_object_new_string(
		hb_rfc3339(stamp, sizeof(stamp), &ts, 0)) : NULL);
	if (s->error[0])
		json_object_object_add(o, "error", json_object_new_string(s->error));
	return o;
}

void smart_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b)
{
	char n[3 * 32 + 1], se[3 * 64 + 1], w[3 * 40 + 1], mo[3 * 64 + 1];
	int k;

	(void)h;
#define EACH(k) for (k = 0; k < SMART_DISKS; k++) if (disks[k].used && hb_prom_label(n, sizeof(n), disks[k].name))
#define READ(k) EACH(k) if (disks[k].have)
	put(b, "# HELP heal_disk_info A disk under a healblk leg or spare, by serial number and WWN (always 1)\n"
	       "# TYPE heal_disk_info gauge\n");
	EACH(k)
		put(b, "heal_disk_info{disk=\"%s\",serial=\"%s\",wwn=\"%s\",model=\"%s\"} 1\n", n,
		    hb_prom_label(se, sizeof(se), disks[k].id.serial), hb_prom_label(w, sizeof(w), disks[k].id.wwn),
		    hb_prom_label(mo, sizeof(mo), disks[k].id.model));
	put(b, "# HELP heal_disk_predicted_failure 1 while the disk's SMART says it is failing\n"
	       "# TYPE heal_disk_predicted_failure gauge\n");
	READ(k)
		put(b, "heal_disk_predicted_failure{disk=\"%s\"} %d\n", n, disks[k].level == SMART_FAILING);
	put(b, "# HELP heal_disk_smart_warning 1 while the disk's SMART has a warning (or is failing)\n"
	       "# TYPE heal_disk_smart_warning gauge\n");
	READ(k)
		put(b, "heal_disk_smart_warning{disk=\"%s\"} %d\n", n, disks[k].level >= SMART_WARN);
	put(b, "# HELP heal_disk_smart_read_timestamp_seconds When SMART was last read from the disk\n"
	       "# TYPE heal_disk_smart_read_timestamp_seconds gauge\n");
	READ(k)
		put(b, "heal_disk_smart_read_timestamp_seconds{disk=\"%s\"} %.0f\n", n, disks[k].read_wall);
#define VALUE(metric, type, help, field, scale) \
	put(b, "# HELP " metric " " help "\n# TYPE " metric " " type "\n"); \
	READ(k) if (disks[k].last.field >= 0) \
		put(b, metric "{disk=\"%s\"} %g\n", n, (double)disks[k].last.field * (scale))
	VALUE("heal_disk_temperature_celsius", "gauge", "The disk's temperature", temperature, 1);
	VALUE("heal_disk_nvme_critical_warning", "gauge", "The NVMe health log's critical warning bits",
	      critical_warning, 1);
	VALUE("heal_disk_wear_ratio", "gauge", "Share of its rated endurance used (NVMe percentage used / 100)",
	      percentage_used, 0.01);
	VALUE("heal_disk_media_errors_total", "counter", "Unrecovered data integrity errors (NVMe)",
	      media_errors, 1);
	VALUE("heal_disk_reallocated_sectors", "gauge", "Reallocated sectors (ATA attribute 5)", reallocated, 1);
	VALUE("heal_disk_pending_sectors", "gauge", "Sectors waiting to be remapped (ATA attribute 197)",
	      pending, 1);
	VALUE("heal_disk_grown_defects", "gauge", "Grown defect list (SCSI)", grown_defects, 1);
#undef VALUE
#undef READ
#undef EACH
	put(b, "# HELP heald_smart_read_failures_total smartctl runs that read nothing\n"
	       "# TYPE heald_smart_read_failures_total counter\nheald_smart_read_failures_total %llu\n",
	    (unsigned long long)read_failures);
}
