/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Predictive disk health (issue 12): SMART of ATA and SCSI disks and the
 * NVMe health log, read with `smartctl --json` (smartmontools).  Why
 * smartctl and not libnvme: one tool for the three protocols (libnvme
 * knows NVMe only), its JSON is a documented, versioned interface, and it
 * runs as a child (child.c) with a deadline, so a disk that hangs on an
 * admin command hangs smartctl, never heald's loop (libnvme's ioctls
 * would block it for the driver's timeout, 60 s).
 *
 * Each physical disk under a healblk leg or spare (found through sysfs:
 * partitions and dm/md layers are followed down) is read at start, every
 * smart_interval seconds, and soon after an I/O error on it.  Its serial
 * number, WWN and model (sysfs first, then smartctl's) name it in status,
 * events, metrics and the journal.  The readings are judged here (pure);
 * a disk that predicts its own failure raises an alarm on its leg, and
 * the policy replaces the leg while a spare stands by and another leg is
 * in sync (policy.h, "predictive").
 */
#ifndef HEALD_SMART_H
#define HEALD_SMART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heald;
struct json_object;

/* What one read says; -1: not reported by this disk. */
struct smart_health {
	char protocol[8];		/* "ATA", "SCSI", "NVMe" */
	char model[64], serial[64], wwn[40];
	int exit_status;		/* smartctl's bit mask */
	int passed;			/* the overall health self-assessment: 1, 0, -1 */
	int64_t temperature;		/* Celsius */
	int64_t critical_warning;	/* NVMe: bit mask */
	int64_t available_spare, spare_threshold, percentage_used, media_errors;
	int64_t reallocated, pending, offline_uncorrectable;	/* ATA 5, 197, 198 */
	int64_t grown_defects, uncorrected;	/* SCSI */
	int64_t power_on_hours;
};

enum smart_level { SMART_UNKNOWN, SMART_OK, SMART_WARN, SMART_FAILING };

/*
 * Thresholds, with why.  A disk that says it is failing (ATA/SCSI overall
 * assessment FAILED) or whose NVMe critical warning has a bit other than
 * temperature (spare below threshold, reliability degraded, read-only,
 * backup failed) is failing: its maker's own judgement.  Backblaze's
 * fleet data (2016-2023) ties reallocated (5), pending (197) and offline
 * uncorrectable (198) sectors to failure; a few pending sectors are common
 * and often remapped by the next write, so those warn, and many fail.
 */
#define SMART_REALLOC_FAILING 100
#define SMART_PENDING_FAILING 10	/* pending + offline uncorrectable */
#define SMART_DEFECTS_FAILING 100	/* SCSI grown defect list */
#define SMART_WEAR_WARN 90		/* NVMe percentage used */
#define NVME_CW_TEMPERATURE 0x02

/* Parse smartctl's --json output.  0, or -1 with @err set (then @h says nothing). */
int smart_parse(const char *json, size_t len, struct smart_health *h, char *err, size_t errlen);
/* Judge one read: its level and, past OK, why in @why. */
enum smart_level smart_assess(const struct smart_health *h, char *why, size_t len);
const char *smart_level_name(enum smart_level l);
/* The evidence of a read for the journal (a new object). */
struct json_object *smart_evidence(const char *disk, const struct smart_health *h);

/* heald (smart.c) */
void smart_tick(struct heald *h);
/* An I/O error on block device @name (a leg): read its disk soon. */
void smart_poke(struct heald *h, const char *name);
/* The serial number and WWN of the disk under block device @name ("" unknown). */
void smart_ids(struct heald *h, const char *name, const char **serial, const char **wwn,
	       const char **model);
/* The disk's readings for status: NULL when none. */
struct json_object *smart_status(struct heald *h, const char *name);
void smart_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b);

#endif
