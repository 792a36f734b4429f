/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heald's configuration: "key = value" lines, '#' comments, and
 * "[device healblkN]" sections whose keys override the disk defaults for
 * that device.  Every key and its default is in heald.conf.example.
 * A bad line is an error naming the file and line; nothing is guessed.
 */
#ifndef HEALD_CONFIG_H
#define HEALD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "slow.h"

#define CONFIG_MAX_DEVICES 16

/* What may differ per device. */
struct disk_conf {
	uint32_t serd_n;	/* I/O errors ... */
	double serd_t;		/* ... within this many seconds: the leg is failing */
	double serd_quiet;	/* seconds without errors that clear the alarm */
	struct slow_params slow;
	bool slow_acts;		/* a slow leg is failed like an erroring one */
};

struct device_conf {
	char name[32];		/* "healblk0" */
	struct disk_conf disk;
};

#define CONFIG_MAX_UPLINKS 4
#define CONFIG_MAX_ROUTES 8

/* An uplink: a gateway reached through an interface, probed by ICMP echo. */
struct uplink_conf {
	char name[32];
	char ifname[16];	/* IFNAMSIZ */
	char gateway[46];	/* IPv4 dotted quad */
	uint32_t priority;	/* lower is preferred; default: order in the file */
	int line;		/* where its section starts, for messages */
};

struct config {
	bool dry_run;
	char socket[108];
	char journal[200];
	uint64_t journal_max_bytes;
	int journal_keep;
	char group[32];		/* readers: root and this group */
	uint16_t metrics_port;	/* on 127.0.0.1; 0: no metrics */
	uint32_t poll_ms;	/* BPF maps and healblk status */
	double cooldown;
	uint32_t max_actions_per_hour;
	bool manage_spares;	/* heald, not the kernel, activates spares */
	bool bpf;		/* load the eBPF monitors */
	struct disk_conf disk;	/* defaults for every device */
	struct device_conf dev[CONFIG_MAX_DEVICES];
	int ndev;
	/* Network healing (net.c) */
	struct uplink_conf uplink[CONFIG_MAX_UPLINKS];
	int nuplink;
	uint32_t probe_interval_ms;	/* ICMP echo to each gateway this often ... */
	uint32_t probe_multiplier;	/* ... and it is down after this many missed (BFD's 100 ms x 3) */
	double hold_down;		/* healthy this long before traffic returns to a preferred uplink */
	double hold_down_max;		/* flaps double the hold-down up to this */
	char routes[200];		/* prefixes routed via the active uplink: "default 10.0.0.0/8" */
	uint32_t route_metric;		/* the metric of the routes heald replaces */
	uint32_t route_table;
	bool ecmp;			/* one multipath route over every healthy uplink */
};

void config_default(struct config *c);
/* Parse @text (named @file in messages) over @c.  0, or -EINVAL with @err set. */
int config_parse(struct config *c, const char *file, const char *text, char *err, size_t errlen);
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* The settings for device @name: its section's, else the defaults. */
const struct disk_conf *config_disk(const struct config *c, const char *name);

#endif
