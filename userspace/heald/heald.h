/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heald: the healer daemon.  Sense (sources: healblk events, eBPF maps and
 * rings, rtnetlink), decide (diagnose: SERD and slow-disk engines; policy),
 * act (act_disk), and say what it did (journal, api, metrics).  One thread,
 * one epoll loop: nothing here needs a lock.
 */
#ifndef HEALD_H
#define HEALD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <sys/types.h>
#include "../lib/hb_nl.h"
#include "config.h"
#include "journal.h"
#include "serd.h"
#include "slow.h"
#include "policy.h"

#define HEALD_MAX_DEVS 16
#define HEALD_MAX_CLIENTS 64
#define HEALD_MAX_DISKS 64
#define HEALD_MAX_LINKS 32
#define HEALD_MAX_CGROUPS 64

extern int heald_log_stderr;
/* One log macro: syslog (the journal under systemd), and stderr in the foreground. */
#define hlog(prio, fmt, ...) heald_log(prio, fmt, ##__VA_ARGS__)
void heald_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum health { H_OK, H_DEGRADED, H_FAILING, H_FAILED };
const char *health_name(enum health h);

struct leg_track {
	struct serd serd;	/* healblk io_error events on this leg */
	bool alarm;		/* SERD fired or slow: the leg is failing */
	char why[160];
	uint64_t alarm_entry;	/* journal id of the alarm */
	struct {		/* the newest errors: the alarm's evidence */
		double t;
		uint64_t sector;
		uint32_t sectors, op, err;
	} recent[8];
	uint32_t nrecent;
};

struct dev_track {
	bool present;
	struct hb_dev_info info;
	struct leg_track legs[HEALBLK_MAX_LEGS];
	double last_action;
	uint64_t pending;	/* journal id of an action whose rebuild is running */
	bool took_auto_spare;	/* heald turned the kernel's auto_spare off */
	double last_dry;	/* dry run: when a decision was last journaled */
	bool flagged;		/* failing without redundancy: its workloads are at risk */
};

/* Decisions found in the journal at start that have no final outcome. */
struct pending {
	uint64_t id;
	uint32_t dev, leg;
	char action[24];
	bool started;		/* an outcome said the rebuild started */
};

/* A block device iomon sees (per disk, all ops summed but flush). */
struct disk_track {
	uint32_t major, minor;
	char name[32];
	uint64_t ios, errors, bytes;		/* totals */
	uint64_t hist[32];			/* totals, log2 us */
	double iops, p50_us, p99_us;		/* last interval */
	uint64_t hist_prev[32], ios_prev;
	struct slow slow;
	struct serd serd;			/* errors of a disk that is not a leg */
	bool alarm;
	char why[160];
	bool seen;
};

struct link_track {
	int ifindex;
	char name[32];
	bool up, carrier;
	uint64_t retrans, drops;
};

struct cgroup_track {
	uint64_t id;
	char path[160];
	uint64_t oom_kills, crashes;
	double last;
};

/* What an epoll event points at. */
struct watch {
	int tag;	/* TAG_* */
	int fd;
};

struct client {
	struct watch w;	/* first: epoll's pointer is the client's */
	int fd;
	uid_t uid;
	pid_t pid;
	bool may_read, may_act, subscribed;
	char in[4096];
	size_t inlen;
	char *out;
	size_t outlen, outcap;
};

struct bpfmon;
struct metrics;
struct net;
struct nl_cache_mngr;
struct nl_cache;

struct heald {
	struct config cfg;
	const char *config_path;
	int epfd, sigfd, timerfd, listen_fd;
	bool stop;
	double started;		/* monotonic */
	double last_action_wall;	/* realtime of the last action, 0: none */
	struct hb_nl nl;	/* requests */
	struct hb_nl ev;	/* the events group */
	bool have_healblk;
	struct journal journal;
	struct dev_track devs[HEALD_MAX_DEVS];
	struct disk_track disks[HEALD_MAX_DISKS];
	int ndisks;
	struct link_track links[HEALD_MAX_LINKS];
	int nlinks;
	struct cgroup_track cgroups[HEALD_MAX_CGROUPS];
	int ncgroups;
	struct client *clients[HEALD_MAX_CLIENTS];
	double last_refresh;	/* last healblk dump */
	double trigger;		/* when the event that met a threshold came in, 0: none */
	struct pending pending[HEALD_MAX_DEVS];
	int npending;
	double action_times[64];	/* for max_actions_per_hour */
	uint32_t naction_times;
	uint64_t actions_total, actions_failed, alarms_total, events_total;
	uint64_t api_errors;
	int subscribers;		/* clients following events */
	struct bpfmon *bpf;
	char bpf_status[512];
	struct metrics *metrics;
	struct net *net;	/* uplinks and routes: NULL without [uplink] sections */
	struct nl_cache_mngr *rtnl;
	struct nl_cache *link_cache;
	struct nl_cache *route_cache;
	struct watch w_sig, w_timer, w_healblk, w_rtnl, w_bpf, w_listen, w_metrics;
	bool watchdog;
	uint64_t watchdog_usec;
};

double now_mono(void);
double now_wall(void);

/* sources.c: healblk and rtnetlink */
int src_healblk_open(struct heald *h);
void src_healblk_ready(struct heald *h);
int src_healblk_refresh(struct heald *h);
int src_healblk_get(struct heald *h, uint32_t index);
int src_rtnl_open(struct heald *h);
void src_rtnl_ready(struct heald *h);
/* src_bpf.c */
int src_bpf_open(struct heald *h);
void src_bpf_ready(struct heald *h);
void src_bpf_poll(struct heald *h, double interval);

/* diagnose.c */
void diag_io_error(struct heald *h, const struct hb_event *ev);
void diag_leg_state(struct heald *h, const struct hb_event *ev);
void diag_sync(struct heald *h, const struct hb_event *ev);
void diag_tick(struct heald *h);
void diag_replay(struct json_object *entry, void *ctx);
void diag_resume(struct heald *h);
struct dev_track *dev_find(struct heald *h, uint32_t index);
/* What the policy sees of a device: its legs, spares and sync, from the last dump. */
void dev_policy_view(const struct dev_track *d, struct policy_dev *pd);
void diag_disk_error(struct heald *h, struct disk_track *t);
void diag_disk_latency(struct heald *h, struct disk_track *t, uint64_t ios);
/* The path of cgroup v2 @id under /sys/fs/cgroup ("/" for the root), or "id:N". */
void cgroup_path(uint64_t id, char *buf, size_t len);

/* act_disk.c */
int act_fail_leg(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen);
int act_rebuild(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen);
int act_scrub(struct heald *h, uint32_t dev, char *why, size_t wlen);
int act_add_spare(struct heald *h, uint32_t dev, const char *disk, char *why, size_t wlen);
int act_auto_spare(struct heald *h, uint32_t dev, bool on, char *why, size_t wlen);
/* Journal a decision, act, journal the outcome; the id of the decision. */
uint64_t act_run(struct heald *h, struct dev_track *d, int leg, enum policy_action a,
		 const char *who, struct json_object *evidence, const char *reason,
		 bool dry_run);
uint32_t act_count_last_hour(struct heald *h);
/* A "decision" entry (taken is false in dry run), and an "outcome" of entry @ref. */
struct json_object *decision_entry(struct heald *h, const char *resource, const char *action,
				   const char *by, const char *reason, struct json_object *evidence,
				   bool taken);
struct json_object *outcome_entry(uint64_t ref, const char *outcome, const char *detail, bool final);
/* Append to the journal (taking @entry) and tell subscribers; the id or 0. */
uint64_t jappend(struct heald *h, struct json_object *entry);

/* api.c */
int api_open(struct heald *h);
void api_accept(struct heald *h);
void api_client_ready(struct heald *h, struct client *c, uint32_t events);
/* Send @o (kept by the caller) to every subscriber.  Callers build @o only when
 * h->subscribers: the event loop does no JSON work for nobody. */
void api_broadcast(struct heald *h, struct json_object *o);
/* An event for subscribers, {"type", "time"}: NULL when nobody follows. */
struct json_object *api_event(struct heald *h, const char *type);
/* Broadcast and free what api_event() made (NULL: nothing). */
void api_publish(struct heald *h, struct json_object *o);
void api_close(struct heald *h);

/* health.c */
struct json_object *health_status(struct heald *h);
enum health leg_health(const struct dev_track *d, uint32_t i);
enum health dev_health(const struct dev_track *d);

/* metrics.c */
int metrics_open(struct heald *h);
void metrics_ready(struct heald *h);
void metrics_close(struct heald *h);

/* net.c: uplinks, probes, reroute */
int net_open(struct heald *h, char *err, size_t errlen);
void net_ready(struct heald *h, struct watch *w);
void net_link(struct heald *h, int ifindex, bool up, bool carrier);
void net_tick(struct heald *h);
struct rtnl_route;
/* rtnetlink: a route was added or changed, by heald or anyone. */
void net_route_seen(struct heald *h, struct rtnl_route *r);
struct json_object *net_status(struct heald *h);
/* The journal id of the reroute decision, or 0 with @err set. */
uint64_t net_act_reroute(struct heald *h, const char *name, uid_t uid, char *err, size_t errlen);
void net_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b);
void net_close(struct heald *h);

/* main.c: epoll */
enum { TAG_SIG = 1, TAG_TIMER, TAG_HEALBLK, TAG_RTNL, TAG_BPF, TAG_LISTEN, TAG_METRICS, TAG_CLIENT,
       TAG_NET_TIMER, TAG_NET_SOCK };
int loop_add(struct heald *h, struct watch *w);

#endif
