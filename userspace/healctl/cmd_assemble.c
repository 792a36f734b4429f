// SPDX-License-Identifier: GPL-2.0
/*
 * assemble: bring devices back from their disks' superblocks after a
 * reboot or a module reload.  The kernel checks every superblock itself
 * and decides (kmod/assemble.c); this only finds the disks.
 *   assemble [--run] [--force] DISK...   these disks
 *   assemble --scan [--uuid UUID] [--run] [--force]
 *            every device whose legs are found (or the one with UUID)
 *   assemble --incremental [--config FILE] DISK
 *            at boot, from udev, as each disk appears (mdadm --incremental):
 *            a device heald.conf expects is assembled once every leg its
 *            newest superblock lists in sync is present; until then it
 *            waits, and healblk-last-resort@UUID.timer starts it degraded
 *            (assemble --scan --uuid UUID --run) if they never come.
 * --run starts a device with a leg missing; --force keeps the newest
 * history when two legs ran apart.  What --incremental and the last resort
 * do goes to syslog too: they run where nobody reads stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <endian.h>
#include <sys/file.h>
#include <netlink/msg.h>
#include "../lib/hb_arrays.h"
#include "../lib/log.h"
#include "healctl.h"

/* Serializes udev's workers: two legs of one device appear at once. */
#define INCREMENTAL_LOCK "/run/healblk-assemble.lock"

static bool to_syslog;

/* stderr, and syslog where nobody reads stderr (udev, a systemd unit). */
static void say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (to_syslog) {
		va_list aq;

		va_copy(aq, ap);
		vsyslog(prio, fmt, aq);
		va_end(aq);
	}
	fprintf(stderr, "%s: ", hb_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Not a possible leg: a loop device with no file (size 0), an optical drive
 * or a floppy (an empty drive fails every read, and the sr driver reports a
 * size even then): reading them would only fill the kernel's log with I/O
 * errors, which heald would count against them.
 */
static bool empty(const char *name)
{
	char path[300], buf[32] = "";
	FILE *f;

	if (!strncmp(name, "sr", 2) || !strncmp(name, "fd", 2))
		return true;
	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 10) == 0;
}

/* Held by a driver (a running healblk, md, dm): not ours to take. */
static bool held(const char *name)
{
	char path[300];
	struct dirent *d;
	DIR *dir;
	bool any = false;

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", name);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			any = true;
	closedir(dir);
	return any;
}

int legs_scan(struct scanned **out)
{
	static struct scanned found[SCAN_MAX];
	struct dirent *d;
	DIR *dir = opendir("/sys/class/block");
	int n = 0;

	*out = found;
	if (!dir) {
		hb_err("/sys/class/block: %s", strerror(errno));
		return -errno;
	}
	while ((d = readdir(dir)) && n < SCAN_MAX) {
		if (d->d_name[0] == '.' || !strncmp(d->d_name, "healblk", 7) || empty(d->d_name) ||
		    held(d->d_name))
			continue;
		snprintf(found[n].path, sizeof(found[n].path), "/dev/%s", d->d_name);
		if (!hb_sb_read(found[n].path, &found[n].sb))
			n++;
	}
	closedir(dir);
	return n;
}

struct find_uuid {
	const uint8_t *uuid;
	struct hb_dev_info *info;
	bool found;
};

static void match_uuid(const struct hb_dev_info *dev, void *arg)
{
	struct find_uuid *f = arg;

	if (!f->found && !memcmp(dev->uuid, f->uuid, 16)) {
		*f->info = *dev;
		f->found = true;
	}
}

int running_uuid(struct healctl *ctl, const uint8_t *uuid, struct hb_dev_info *info)
{
	struct find_uuid f = { .uuid = uuid, .info = info };
	struct nl_msg *msg = ctl_msg(ctl, HEALBLK_CMD_GET, NLM_F_DUMP);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = hb_nl_call(&ctl->nl, msg, match_uuid, &f);
	if (ret)
		return ret;
	return f.found ? 1 : 0;
}

/* "data" for a device heald.conf lists as [array data], else its UUID. */
static const char *array_label(const struct hb_arrays *as, const uint8_t *uuid, char *buf)
{
	const struct hb_array *a = hb_array_find(as, uuid);

	if (a)
		return a->name;
	hb_uuid_str(uuid, buf);
	return buf;
}

/*
 * Slots the newest superblock among @legs lists in sync or rebuilding
 * whose disk is not among them: their count, their numbers in @which.
 */
static int missing_slots(const struct scanned *legs, int n, char *which, size_t len)
{
	const struct healblk_sb *auth = &legs[0].sb;
	uint32_t slot, nr;
	int i, missing = 0;
	size_t at = 0;

	for (i = 1; i < n; i++)
		if (le64toh(legs[i].sb.events) > le64toh(auth->events))
			auth = &legs[i].sb;
	which[0] = '\0';
	nr = le32toh(auth->nr_slots);
	for (slot = 0; slot < nr && slot < HEALBLK_MAX_LEGS; slot++) {
		uint32_t st = le32toh(auth->members[slot].state);
		bool here = false;

		if (st != HEALBLK_LEG_IN_SYNC && st != HEALBLK_LEG_REBUILDING)
			continue;
		for (i = 0; i < n && !here; i++)
			here = !memcmp(legs[i].sb.leg_uuid, auth->members[slot].uuid, 16);
		if (here)
			continue;
		missing++;
		if (at < len)
			at += (size_t)snprintf(which + at, len - at, "%s%u", at ? ", " : "", slot);
	}
	return missing;
}

/* The found disks of device @uuid (legs and spares) into @group: their number. */
static int group_of(struct scanned *found, int n, const uint8_t *uuid, struct scanned *group)
{
	int i, k = 0;

	for (i = 0; i < n && k < HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES; i++)
		if (!memcmp(found[i].sb.dev_uuid, uuid, 16))
			group[k++] = found[i];
	return k;
}

static int assemble_group(struct healctl *ctl, struct scanned *group, int k, uint32_t flags)
{
	char *paths[HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES];
	int i;

	for (i = 0; i < k; i++)
		paths[i] = group[i].path;
	return legs_request(ctl, HEALBLK_CMD_ASSEMBLE, "assemble", k, paths, flags);
}

/* After a start with --run: say so loudly if a leg is missing. */
static void report_degraded(struct healctl *ctl, const uint8_t *uuid, const char *label)
{
	struct hb_dev_info info;
	uint32_t l, in_sync = 0;

	if (running_uuid(ctl, uuid, &info) != 1)
		return;
	for (l = 0; l < info.nr_legs && l < HEALBLK_MAX_LEGS; l++)
		in_sync += info.legs[l].state == HEALBLK_LEG_IN_SYNC;
	if (in_sync < info.nr_legs)
		say(in_sync > 1 ? LOG_WARNING : LOG_CRIT,
		    "%s (%s): started degraded: %u of %u legs in sync%s", label, info.name, in_sync,
		    info.nr_legs, in_sync > 1 ? "" : ": no redundancy until a leg is rebuilt");
}

static int scan(struct healctl *ctl, uint32_t flags, const uint8_t *only, const char *config)
{
	static struct scanned group[HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES];
	struct scanned *found;
	struct hb_arrays as;
	struct hb_dev_info info;
	char label_buf[37], err[300];
	int n = legs_scan(&found), i, k, failed = 0, groups = 0;

	if (n < 0)
		return 1;
	if (hb_arrays_load(&as, config, err, sizeof(err)))
		hb_err("%s (names not shown)", err);	/* names only: assemble anyway */
	/* Its legs are held by the running device, so the scan cannot see them. */
	if (only && running_uuid(ctl, only, &info) == 1) {
		printf("%s\n", info.name);
		say(LOG_INFO, "%s: already running as %s", array_label(&as, only, label_buf), info.name);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *label;

		if (!found[i].path[0] || (only && memcmp(found[i].sb.dev_uuid, only, 16)))
			continue;
		k = group_of(found + i, n - i, found[i].sb.dev_uuid, group);
		/* Each disk in one group only: the rest of this group is done. */
		for (int j = i + 1; j < n; j++)
			if (!memcmp(found[j].sb.dev_uuid, found[i].sb.dev_uuid, 16))
				found[j].path[0] = '\0';
		groups++;
		label = array_label(&as, found[i].sb.dev_uuid, label_buf);
		if (assemble_group(ctl, group, k, flags)) {
			failed++;
			if (to_syslog)
				syslog(LOG_ERR, "%s: not assembled: %s", label,
				       ctl->nl.reason[0] ? ctl->nl.reason : "see healctl assemble");
			continue;
		}
		if (flags & HEALBLK_ASSEMBLE_RUN)
			report_degraded(ctl, found[i].sb.dev_uuid, label);
	}
	if (!groups) {
		if (only)
			say(LOG_ERR, "assemble --scan: no disk of %s found",
			    array_label(&as, only, label_buf));
		else
			hb_err("assemble --scan: no healblk legs found");
		return 1;
	}
	return failed ? 1 : 0;
}

/*
 * A disk of a running device: when its superblock names a slot the device
 * has missing (it came after the degraded start, a disk late at boot) and
 * that slot's leg is this disk's, it goes back in, caught up from the
 * bitmap (re-add).  A failed slot is left to the operator or heald: it
 * failed for a reason.  So is a loop or nbd device: one a desktop user
 * may set up (udisks) with a copy of a superblock, whose UUIDs are no
 * secret, would otherwise be put into a running mirror unasked.
 */
static int late_leg(struct healctl *ctl, const char *disk, const struct healblk_sb *sb,
		    const struct hb_dev_info *info, const char *label)
{
	uint32_t slot = le32toh(sb->slot);
	char dev[16], *real, *base;
	bool unasked;
	int ret;

	if (le32toh(sb->role) != HEALBLK_SB_ROLE_MEMBER || slot >= info->nr_legs ||
	    info->legs[slot].state != HEALBLK_LEG_MISSING ||
	    memcmp(info->legs[slot].uuid, sb->leg_uuid, sizeof(sb->leg_uuid)))
		return 0;
	real = realpath(disk, NULL);
	base = real ? strrchr(real, '/') : NULL;
	base = base ? base + 1 : real;
	unasked = !base || !strncmp(base, "loop", 4) || !strncmp(base, "nbd", 3);
	free(real);
	if (unasked) {
		say(LOG_NOTICE, "%s: names the missing leg in slot %u of %s (%s), but a loop or "
		    "nbd device is not put back by itself: healctl re-add %s %s", disk, slot,
		    info->name, label, info->name, disk);
		return 0;
	}
	snprintf(dev, sizeof(dev), "%u", info->index);
	say(LOG_NOTICE, "%s: the leg in slot %u of %s (%s), which started without it: re-added",
	    disk, slot, info->name, label);
	ret = cmd_readd(ctl, 2, (char *[]){ dev, (char *)disk, NULL });
	if (ret)
		say(LOG_ERR, "%s: re-adding it to %s failed: healctl re-add %s %s", disk,
		    info->name, info->name, disk);
	return ret;
}

static int incremental(struct healctl *ctl, const char *disk, const char *config)
{
	static struct scanned group[HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES], self;
	struct scanned *found;
	struct hb_arrays as;
	struct hb_dev_info info;
	char u[37], label_buf[37], err[300], which[64];
	const char *label;
	int lock, n, k, missing, ret;

	ret = hb_sb_read(disk, &self.sb);
	if (ret == -ENODATA)
		return 0;	/* not a leg: nothing to do */
	if (ret) {
		say(LOG_ERR, "assemble --incremental: %s: %s", disk, strerror(-ret));
		return 1;
	}
	if (hb_arrays_load(&as, config, err, sizeof(err))) {
		say(LOG_ERR, "%s: nothing is assembled at boot until it is fixed", err);
		return 1;
	}
	hb_uuid_str(self.sb.dev_uuid, u);
	label = array_label(&as, self.sb.dev_uuid, label_buf);
	if (!hb_array_expected(&as, self.sb.dev_uuid)) {
		say(LOG_NOTICE, "%s: a leg of %s, which %s does not expect (auto_assemble = %s): "
		    "left alone; healctl assemble --scan --uuid %s starts it", disk, label, config,
		    hb_auto_name(as.autoasm), u);
		return 0;
	}
	lock = open(INCREMENTAL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		say(LOG_ERR, "%s: %s", INCREMENTAL_LOCK, strerror(errno));
		if (lock >= 0)
			close(lock);
		return 1;
	}
	ret = running_uuid(ctl, self.sb.dev_uuid, &info);
	if (ret == 1) {
		/* A leg seen again, or one that came after a degraded start. */
		ret = late_leg(ctl, disk, &self.sb, &info, label);
		close(lock);
		return ret;
	}
	if (ret < 0) {
		close(lock);
		return kernel_error(ctl, "assemble --incremental", ret);
	}
	n = legs_scan(&found);
	k = n < 0 ? 0 : group_of(found, n, self.sb.dev_uuid, group);
	missing = missing_slots(group, k, which, sizeof(which));
	if (missing) {
		say(LOG_INFO, "%s: %d disk%s found, waiting for the leg%s in slot %s "
		    "(healblk-last-resort@%s.timer starts it degraded if they do not come)",
		    label, k, k == 1 ? "" : "s", missing == 1 ? "" : "s", which, u);
		close(lock);
		return 0;
	}
	ret = assemble_group(ctl, group, k, 0);
	if (ret)
		say(LOG_ERR, "%s: not assembled: %s", label,
		    ctl->nl.reason[0] ? ctl->nl.reason : "the kernel refused");
	else if (running_uuid(ctl, self.sb.dev_uuid, &info) == 1)
		say(LOG_INFO, "%s: assembled as %s from %d disk%s", label, info.name, k,
		    k == 1 ? "" : "s");
	close(lock);
	return ret ? 1 : 0;
}

int cmd_assemble(struct healctl *ctl, int argc, char **argv)
{
	const char *config = HEAL_CONFIG_DEFAULT;
	uint8_t uuid[16];
	uint32_t flags = 0;
	bool scanning = false, incr = false, only = false;
	int i, n = 0;

	/* Options anywhere; what is left are the disks. */
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--run"))
			flags |= HEALBLK_ASSEMBLE_RUN;
		else if (!strcmp(argv[i], "--force"))
			flags |= HEALBLK_ASSEMBLE_FORCE;
		else if (!strcmp(argv[i], "--scan"))
			scanning = true;
		else if (!strcmp(argv[i], "--incremental"))
			incr = true;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--uuid") && i + 1 < argc) {
			if (hb_uuid_parse(argv[++i], uuid)) {
				hb_err("assemble: '%s' is not a UUID", argv[i]);
				return EXIT_USAGE;
			}
			only = true;
		} else if (argv[i][0] == '-')
			return usage();
		else
			argv[n++] = argv[i];
	}
	if (incr) {
		if (n != 1 || scanning || only || flags)
			return usage();
		to_syslog = true;
		openlog("healctl", LOG_PID, LOG_DAEMON);
		return incremental(ctl, argv[0], config);
	}
	if (scanning) {
		if (n)
			return usage();
		if (only) {	/* healblk-last-resort@.service */
			to_syslog = true;
			openlog("healctl", LOG_PID, LOG_DAEMON);
		}
		return scan(ctl, flags, only ? uuid : NULL, config);
	}
	if (only)
		return usage();
	return legs_request(ctl, HEALBLK_CMD_ASSEMBLE, "assemble", n, argv, flags);
}
