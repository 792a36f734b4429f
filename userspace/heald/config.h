/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heald's configuration: "key = value" lines, '#' comments, and
 * "[device healblkN]" sections whose keys override the disk defaults for
 * that device; "[uplink NAME]", "[workload NAME]" and "[peer NAME]"
 * sections describe what heald watches and where workloads may go.
 * Every key and its default is in heald.conf.example.
 * A bad line is an error naming the file and line; nothing is guessed.
 */
#ifndef HEALD_CONFIG_H
#define HEALD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "slow.h"
#include "../lib/hb_arrays.h"

#define CONFIG_MAX_DEVICES 16

/* What may differ per device. */
struct disk_conf {
	uint32_t serd_n;	/* I/O errors ... */
	double serd_t;		/* ... within this many seconds: the leg is failing */
	double serd_quiet;	/* seconds without errors that clear the alarm */
	struct slow_params slow;
	bool slow_acts;		/* a slow leg is failed like an erroring one */
	double scrub_interval;	/* days between scheduled scrubs; 0: none (scrub.h) */
};

struct device_conf {
	char name[32];		/* "healblk0" */
	struct disk_conf disk;
};

#define CONFIG_MAX_UPLINKS 4
#define CONFIG_MAX_ROUTES 8
#define CONFIG_MAX_TARGETS 4

/* An uplink: a gateway reached through an interface, probed by ICMP echo. */
struct uplink_conf {
	char name[32];
	char ifname[16];	/* IFNAMSIZ */
	char gateway[46];	/* IPv4, or IPv6 (a link-local one too: fe80::1) */
	int family;		/* the gateway's: AF_INET or AF_INET6 (0: none given) */
	uint32_t priority;	/* lower is preferred; default: order in the file */
	/* Hosts beyond the gateway probed through this uplink (net.c): any one answering will do. */
	char targets[CONFIG_MAX_TARGETS][46];
	int ntargets;
	bool targets_default;	/* "targets = default": filled in for the gateway's family */
	int line;		/* where its section starts, for messages */
};

#define CONFIG_MAX_WORKLOADS 16
#define CONFIG_MAX_PEERS 8

/* How a workload leaves the node. */
enum wl_kind {
	WL_KIND_NONE,	/* inventory only: heald reports, never moves it */
	WL_KIND_CRIU,	/* its process tree checkpointed, copied, restored on a peer */
	WL_KIND_HOOK,	/* an operator's program moves it (a cluster manager's drain) */
	WL_KIND_LIBVIRT,	/* a libvirt domain: live migration with its disks (heal-vmmove) */
};

/*
 * A workload: the processes of one cgroup (v2), named directly or by its
 * systemd unit; or (kind = libvirt) a libvirt domain.
 */
struct workload_conf {
	char name[32];
	char cgroup[160];	/* under the cgroup2 mount, "/system.slice/x.service" */
	char unit[96];		/* or a systemd unit; its cgroup is found by name */
	enum wl_kind kind;
	uint32_t priority;	/* 0..1000: higher moves first */
	bool opt_out;		/* never moved (reported only) */
	char hook[200];		/* kind = hook: the program, the decision as JSON on stdin */
	char data[400];		/* absolute paths copied with it, space-separated */
	char uplinks[160];	/* the [uplink] sections it uses, space-separated */
	bool tcp_established;	/* CRIU: checkpoint established TCP connections */
	double deadline;	/* seconds a move may take; 0: move_deadline */
	char domain[64];	/* kind = libvirt: the domain's name */
	char uri[256];		/* kind = libvirt: the local libvirt, default qemu:///system */
	bool auto_converge;	/* kind = libvirt: throttle a guest that dirties memory faster than the link (yes) */
	bool auto_converge_set;	/* said in the file ("yes" refused for the other kinds) */
	int line;
};

/* A peer node: reached over SSH with the operator's key, asked for its health first. */
struct peer_conf {
	char name[32];
	char address[128];	/* host name or address */
	char user[32];		/* default root */
	uint16_t port;		/* 0: ssh's own default */
	char identity[200];	/* private key (ssh -i) */
	char known_hosts[200];	/* its host key (UserKnownHostsFile); empty: ssh's default */
	char healctl[200];	/* healctl on the peer; default "healctl" on its PATH */
	char socket[108];	/* the peer's heald socket; empty: healctl's default */
	uint32_t capacity;	/* workloads it may take from this node */
	uint32_t bwlimit;	/* KiB/s for copies to it (rsync --bwlimit, libvirt's in MiB/s); 0: no limit */
	char libvirt_uri[400];	/* its libvirt as this node's libvirtd reaches it; empty: from the ssh keys */
	int line;
};

struct config {
	bool dry_run;
	char socket[108];
	char journal[200];
	uint64_t journal_max_bytes;
	int journal_keep;
	char group[32];		/* readers: root and this group */
	uint32_t max_clients_per_user;	/* control-socket connections of one uid outside group */
	double client_idle_timeout;	/* seconds an unprivileged connection may stay silent */
	uint16_t metrics_port;	/* 0: no metrics */
	char metrics_address[46];	/* IPv4 or IPv6 address it listens on */
	uint32_t poll_ms;	/* BPF maps and healblk status */
	double cooldown;
	uint32_t max_actions_per_hour;
	bool manage_spares;	/* heald, not the kernel, activates spares */
	bool bpf;		/* load the eBPF monitors */
	char hooks_dir[200];	/* programs that get each journal entry (hooks.c) */
	double hook_timeout;	/* seconds a hook may run */
	char smartctl[200];	/* disk health (smart.c) */
	double smart_interval;	/* seconds between reads of a disk; 0: none */
	double smart_timeout;	/* seconds one smartctl may run */
	struct disk_conf disk;	/* defaults for every device */
	struct device_conf dev[CONFIG_MAX_DEVICES];
	int ndev;
	struct hb_arrays arrays;	/* [array NAME] and auto_assemble: what udev assembles at boot */
	/* Network healing (net.c) */
	struct uplink_conf uplink[CONFIG_MAX_UPLINKS];
	int nuplink;
	uint32_t probe_interval_ms;	/* ICMP echo to each gateway this often ... */
	uint32_t probe_multiplier;	/* ... and it is down after this many missed (BFD's 100 ms x 3) */
	uint32_t target_interval_ms;	/* each uplink's targets probed this often ... */
	uint32_t target_multiplier;	/* ... and it is down after this many rounds unanswered */
	uint32_t target_table;		/* uplink i's targets are routed by table and fwmark target_table + i */
	uint32_t target_rule_priority;	/* the priority of those fwmark rules */
	double hold_down;		/* healthy this long before traffic returns to a preferred uplink */
	double hold_down_max;		/* flaps double the hold-down up to this */
	char routes[200];		/* prefixes routed via the active uplink: "default 10.0.0.0/8" */
	uint32_t route_metric;		/* the metric of the routes heald replaces */
	uint32_t route_table;
	bool ecmp;			/* one multipath route over every healthy uplink */
	/* Workload migration (workload.c, act_workload.c) */
	struct workload_conf workload[CONFIG_MAX_WORKLOADS];
	int nworkload;
	struct peer_conf peer[CONFIG_MAX_PEERS];
	int npeer;
	char node_name[64];		/* how this node names itself to peers; empty: host name */
	char migrate_dir[200];		/* checkpoint images, here and on the peer */
	uint32_t max_moves;		/* moves under way at once */
	double move_deadline;		/* seconds a move may take before it is abandoned */
	double move_cooldown;		/* seconds before a workload whose move failed is tried again */
	double peer_interval;		/* seconds between asks of each peer's health */
	double peer_max_age;		/* a peer's answer older than this is asked again before a move */
	double peer_timeout;		/* seconds an ask may take */
	uint32_t move_on_kills;		/* crashes + OOM kills of a workload within kill_window that move it; 0: never */
	double kill_window;
	uint32_t receive_max;		/* workloads this node takes from peers; 0: none */
};

void config_default(struct config *c);
/* Parse @text (named @file in messages) over @c.  0, or -EINVAL with @err set. */
int config_parse(struct config *c, const char *file, const char *text, char *err, size_t errlen);
int config_load(struct config *c, const char *path, char *err, size_t errlen);
const char *wl_kind_name(enum wl_kind k);
/* The settings for device @name: its section's, else the defaults. */
const struct disk_conf *config_disk(const struct config *c, const char *name);

#endif
