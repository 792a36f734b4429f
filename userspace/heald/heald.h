/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heald: the healer daemon.  Sense (sources: healblk events, eBPF maps and
 * rings, rtnetlink), decide (diagnose: SERD and slow-disk engines; policy),
 * act (act_disk), and say what it did (journal, api, metrics).  One thread,
 * one epoll loop: nothing here needs a lock.
 *
 * Data flows one way: sources (and operators' requests) -> diagnosis ->
 * pure policy -> actions -> journal -> publish.  Nothing downstream calls
 * back up: an action may re-read a source (a healblk dump) but never
 * diagnoses, and publishing only queues a line that the loop delivers
 * after the dispatch that made it (api_deliver).  A client is only ever
 * marked to be dropped, and freed by the loop after the epoll batch
 * (api_sweep), so no caller and no later event of the batch can hold a
 * freed one.
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
#include "replay.h"
#include "workload.h"
#include "libvirt.h"

#define HEALD_MAX_DEVS 16
/* Root always finds a slot: others together hold at most CLIENTS_OTHERS. */
#define HEALD_MAX_CLIENTS 256
#define HEALD_MAX_DISKS 64
#define HEALD_MAX_LINKS 32
#define HEALD_MAX_CGROUPS 64

extern int heald_log_stderr;
/* One log macro: syslog (the journal under systemd), and stderr in the foreground. */
#define hlog(prio, fmt, ...) heald_log(prio, fmt, ##__VA_ARGS__)
void heald_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * log_journal.c: a line about a device, leg or decision, with journal
 * fields DEVICE=, LEG=, DECISION_ID=, ENTRY_ID= (NULL, -1, 0: none).
 */
void heald_logj(int prio, const char *dev, int leg, uint64_t decision, uint64_t entry,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define hlogj(prio, dev, leg, decision, entry, fmt, ...) \
	heald_logj(prio, dev, leg, decision, entry, fmt, ##__VA_ARGS__)

enum health { H_OK, H_DEGRADED, H_FAILING, H_FAILED };
const char *health_name(enum health h);

struct leg_track {
	struct serd serd;	/* healblk io_error events on this leg */
	bool alarm;		/* SERD fired or slow: the leg is failing */
	bool predicted;		/* the alarm came from its disk's SMART (smart.c) */
	char why[160];
	uint64_t alarm_entry;	/* journal id of the alarm */
	struct {		/* the newest errors: the alarm's evidence */
		double t;
		double wall;	/* CLOCK_REALTIME when heald received it */
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
	bool at_risk;		/* down to one leg in sync: said once at LOG_CRIT */
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
	uint64_t oom_kills, crashes;	/* since heald started */
	uint64_t oom_map, crash_map;	/* the BPF map entry's, last read (it may be evicted and made anew) */
	double last;			/* monotonic, its last kill */
	double logged_at;		/* its last kill logged and published */
	uint32_t unlogged;		/* kills since then not logged (a crash loop) */
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
	/*
	 * To be closed: set by whatever finds it gone or too slow, freed by
	 * the loop after the epoll batch, so no pointer to it (an event of
	 * the same batch, a caller up the stack) ever dangles.
	 */
	bool dead;
	uint32_t events;	/* what epoll watches now (EPOLLIN, EPOLLOUT) */
	uint64_t served_turn;	/* the loop turn its requests were last served in */
	double last_request;	/* monotonic: accepted or last complete request */
	char in[4096];
	size_t inlen;
	char *out;
	size_t outlen, outcap;
	size_t reply_end;	/* out holds replies up to here: events are limited after it */
	bool rd_eof;		/* the client sent all it will: close once answered */
};

/* An event for subscribers, queued until the loop delivers it (api_deliver). */
struct pub {
	struct pub *next;
	size_t len;
	char line[];	/* JSON and '\n' */
};

struct bpfmon;
struct child;
struct metrics;
struct net;
struct nl_cache_mngr;
struct nl_sock;
struct nl_cache;

#define HELD_LINES 128

struct heald {
	struct config cfg;
	const char *config_path;
	bool config_given, cli_dry_run, cli_no_bpf;	/* what start-up had: reload keeps them */
	int epfd, sigfd, timerfd, listen_fd;
	int lock_fd;		/* heald.lock, held for life: one heald at a time */
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
	uint64_t turn;			/* epoll batches so far */
	struct pub *pub_head, **pub_tail;	/* events not yet delivered */
	bool client_dead;		/* a client waits to be freed */
	double last_refresh;	/* last healblk dump */
	double trigger;		/* when the event that met a threshold came in, 0: none */
	struct pending pending[HEALD_MAX_DEVS];
	int npending;
	char drained[CONFIG_MAX_WORKLOADS][REPLAY_NAME];	/* drains replayed from the journal */
	int ndrained;
	double action_times[64];	/* for max_actions_per_hour */
	uint32_t naction_times;
	uint64_t actions_total, actions_failed, alarms_total, events_total;
	uint64_t api_errors;
	int subscribers;		/* clients following events */
	/*
	 * Lines written unsynced (jappend_nosync), told to subscribers and
	 * hooks only once on disk (jpublish_durable): nobody acts on an entry
	 * that a crash of the machine could take back.
	 */
	struct held_line { uint64_t id; char *line; } unpublished[HELD_LINES];
	int nunpublished;
	uint64_t published_upto;	/* every id up to this one published (the journal's readers see these) */
	bool held_full;			/* said that held lines went out before their sync */
	struct bpfmon *bpf;
	char bpf_status[512];
	struct metrics *metrics;
	double metrics_retry_at;	/* metrics not listening (port taken): next try, monotonic */
	uint32_t metrics_tries;		/* failed tries in a row */
	struct net *nets[2];	/* uplinks and routes, IPv4 and IPv6: NULL without [uplink] sections of that family */
	/* Replay, per family (IPv4, IPv6): the uplinks the journal last had the routes through, */
	char net_journaled_via[2][128];
	uint64_t net_unfinished[2];	/* and a reroute decision without its outcome */
	struct nl_cache_mngr *rtnl;
	struct nl_sock *rtnl_sync;	/* dumps after lost events */
	uint64_t rtnl_resyncs;
	struct nl_cache *link_cache;
	struct nl_cache *route_cache;
	/* Workloads and peers (workload.c, peer.c, act_workload.c) */
	struct wl_track wl[CONFIG_MAX_WORKLOADS];
	int nwl;
	struct peer_track peers[CONFIG_MAX_PEERS];
	int npeers;
	struct incoming incoming[HEALD_MAX_INCOMING];
	int nincoming;
	struct hosted hosted[HEALD_MAX_HOSTED];
	int nhosted;
	uint32_t moving;		/* moves under way */
	double last_inventory;		/* monotonic */
	char node_name[64];		/* node_name, or the host name */
	struct child *children;		/* hooks, smartctl, ssh, rsync, criu (child.c) */
	int nchildren;			/* in that list: at most CHILD_MAX */
	bool child_dead;		/* a child waits to be freed */
	struct watch w_sig, w_timer, w_healblk, w_rtnl, w_bpf, w_listen, w_metrics, w_journal;
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
/* The disk under @leg predicts its failure (SMART): an alarm, the policy decides.  Takes @evidence. */
void diag_leg_predict(struct heald *h, struct dev_track *d, uint32_t leg, const char *why,
		      struct json_object *evidence);
/* ... and is healthy again: a predicted alarm clears. */
void diag_leg_predict_clear(struct heald *h, struct dev_track *d, uint32_t leg, const char *why);
void diag_disk_latency(struct heald *h, struct disk_track *t, uint64_t ios);
/* The path of cgroup v2 @id under /sys/fs/cgroup ("/" for the root), or "id:N". */
void cgroup_path(uint64_t id, char *buf, size_t len);
/* Where cgroup v2 is mounted ("/sys/fs/cgroup"), "" if nowhere. */
const char *cgroup_mount(void);

/* act_disk.c */
int act_fail_leg(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen);
int act_rebuild(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen);
int act_replace(struct heald *h, uint32_t dev, uint32_t leg, char *why, size_t wlen);
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
/*
 * Written in order with its id, not yet synced: durable with the next
 * jappend() or jsync().  Only where the action must not wait for the
 * disk and is safe to take before its record is durable (reroutes).
 */
uint64_t jappend_nosync(struct heald *h, struct json_object *entry);
void jsync(struct heald *h);
/* The same, synced by the journal's thread: the loop does not wait for the disk. */
void jsync_async(struct heald *h);
/* The journal's syncer is done: tell subscribers and hooks what is durable now. */
void jpublish_durable(struct heald *h);
/* At exit: what was never told (its sync still running) is dropped. */
void jpublish_drop(struct heald *h);

/*
 * api.c: the control socket.  Data flows one way: sources -> diagnosis ->
 * policy -> actions -> journal -> publish.  Publishing only queues; the
 * loop delivers the queue after each dispatch (api_deliver) and frees the
 * clients that were dropped after each batch (api_sweep).  Nothing called
 * from a source, an action or a request ever writes to a client but its
 * own reply, or frees one.
 */
int api_lock(struct heald *h);
int api_open(struct heald *h);
void api_accept(struct heald *h);
void api_client_ready(struct heald *h, struct client *c, uint32_t events);
/* Queue @o (kept by the caller) for every subscriber. */
void api_broadcast(struct heald *h, struct json_object *o);
/* Queue a line of JSON (@len bytes, no newline) for every subscriber. */
void api_queue_line(struct heald *h, const char *line, size_t len);
/* An event for subscribers, {"type", "time"}: NULL when nobody follows. */
struct json_object *api_event(struct heald *h, const char *type);
/* Queue and free what api_event() made (NULL: nothing). */
void api_publish(struct heald *h, struct json_object *o);
/* The loop: deliver queued events; serve requests left over from a turn. */
void api_deliver(struct heald *h);
bool api_backlog(struct heald *h);
void api_serve_backlog(struct heald *h);
/* The loop, after a batch: free dropped clients.  The timer: idle ones. */
void api_sweep(struct heald *h);
void api_idle(struct heald *h);
void api_close(struct heald *h);

/* reload.c: SIGHUP reads the configuration again; STATUS= for systemd */
int heald_reload(struct heald *h);
void status_notify(struct heald *h, bool force);

/* health.c */
struct json_object *health_status(struct heald *h);
enum health leg_health(const struct dev_track *d, uint32_t i);
enum health dev_health(const struct dev_track *d);

/* metrics.c */
int metrics_open(struct heald *h);
void metrics_ready(struct heald *h);
void metrics_retry(struct heald *h);
void metrics_close(struct heald *h);
/* What a scrape gets, malloc()ed (NULL: out of memory). */
char *metrics_text(struct heald *h, size_t *len);

/* net.c: uplinks, probes, reroute */
int net_open(struct heald *h, char *err, size_t errlen);
void net_ready(struct heald *h, struct watch *w);
void net_link(struct heald *h, int ifindex, bool up, bool carrier);
void net_link_gone(struct heald *h, int ifindex);
void net_tick(struct heald *h);
struct rtnl_route;
/* rtnetlink: a route was added or changed, by heald or anyone. */
void net_route_seen(struct heald *h, struct rtnl_route *r);
/* Journal replay at start: where the journal last had the routes. */
void net_replay(struct heald *h, struct json_object *entry);
struct json_object *net_status(struct heald *h);
/* The journal id of the reroute decision, or 0 with @err set. */
uint64_t net_act_reroute(struct heald *h, const char *name, uid_t uid, char *err, size_t errlen);
void net_metrics(struct heald *h, void (*put)(void *b, const char *fmt, ...), void *b);
void net_close(struct heald *h);

/* net.c: 1 up, 0 down, -1 no such uplink or not known yet */
int net_uplink_up(struct heald *h, const char *name);

/* workload.c: the inventory */
void wl_open(struct heald *h);
/* Look at every workload's processes and devices again (at most every 2 s unless @force). */
void wl_inventory(struct heald *h, bool force);
struct wl_track *wl_find(struct heald *h, const char *name);
struct json_object *wl_status(struct heald *h);
/* SIGCONT its processes that are stopped (a checkpoint left them so): how many. */
int wl_resume_stopped(const struct wl_track *w);
/* Its processes (pids into @pids, at most @max): the count. */
int wl_pids(const struct wl_track *w, pid_t *pids, int max);
/* The directory of @w's cgroup under the cgroup2 mount (@buf): false if unknown. */
bool wl_cgroup_dir(const struct wl_track *w, char *buf, size_t len);
/* @path (under the cgroup2 mount) is the workload's cgroup or under it. */
bool wl_cgroup_holds(const struct wl_track *w, const char *path);
/*
 * Block device @dev (a partition counts as its disk) and what it stacks
 * on into @w's devices; with @mounted, its mount point as @pid sees it.
 */
void wl_dev_add(struct wl_track *w, dev_t dev, pid_t pid, bool mounted);

/* libvirt.c: kind = libvirt workloads, through heal-vmmove (never libvirt in the loop) */
struct argv_buf;
/* Ask libvirt for @w's domain again, in a child, unless an ask or a move runs. */
void vm_inventory(struct heald *h, struct wl_track *w);
/* Its domain's state and disks into its status. */
void vm_status(const struct wl_track *w, struct json_object *o);
/*
 * The migration of @w's domain to @p, ending by @deadline seconds, into
 * @a (heal-vmmove move ...).
 */
void vm_move_argv(const struct wl_track *w, const struct peer_conf *p, double deadline,
		  struct argv_buf *a);

/* peer.c: asking peers over SSH, and receiving from them */
void peer_open(struct heald *h);
/* Ask @p's heald for its health (asynchronous); false if it could not start. */
bool peer_ask(struct heald *h, struct peer_track *p);
/* Build argv for "ssh PEER -- COMMAND" into @store; the number of arguments. */
struct argv_buf {
	char *argv[48];
	int argc;
	char store[4096];
	size_t used;
};
void argv_add(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Run a tool of a move or an ask (ssh, rsync, criu, systemctl) from the
 * loop (child.c): heald's environment, its stdout and stderr kept.  NULL
 * with @err set when it did not start.
 */
struct child *peer_run(struct heald *h, const char *what, char *const argv[], double timeout,
		       void (*done)(struct heald *h, struct child *c, void *ctx), void *ctx, char *err,
		       size_t errlen);
void peer_ssh_argv(struct heald *h, const struct peer_conf *p, struct argv_buf *a);
/* The same ssh command (no destination) as one string, for rsync -e. */
void peer_ssh_cmdline(struct heald *h, const struct peer_conf *p, char *buf, size_t len);
/* "[env HEAL_SOCKET=...] 'healctl' @args" for the peer's shell. */
void peer_healctl(const struct peer_conf *p, const char *args, char *buf, size_t len);
/* "'...'" with every ' of @s made safe for a POSIX shell (@buf). */
const char *shell_quote(const char *s, char *buf, size_t len);
void peer_tick(struct heald *h);
struct json_object *peer_status(struct heald *h);
/* A control-socket "receive" request (this node as the peer); the reply. */
struct json_object *peer_receive(struct heald *h, const char *phase, const char *workload,
				 const char *from, int pid, const char *domain, bool failed);

/* migrate.c: the migration policy's decisions */
void wl_tick(struct heald *h);
/* healctl drain / undrain: NULL name with @all; the journal id, or 0 with @err set. */
uint64_t wl_act_drain(struct heald *h, const char *name, bool all, bool drain, uid_t uid, pid_t pid,
		      char *err, size_t errlen);

/* act_workload.c: the moves */
/* Start the move of decision @id onto peer @peer (-1: the hook places it); takes @evidence. */
void move_begin(struct heald *h, struct wl_track *w, int peer, uint64_t id, const char *reason,
		struct json_object *evidence);
/* A move under way, into the workload's status. */
void move_json(const struct move *m, struct json_object *o);
/* At start: a move heald left without an outcome (it stopped or crashed mid-move). */
void wl_resume(struct heald *h, const struct pending *p);
/* heald stops: moves under way are abandoned, their workloads resumed here. */
void wl_close(struct heald *h);

/* main.c: epoll */
enum { TAG_SIG = 1, TAG_TIMER, TAG_HEALBLK, TAG_RTNL, TAG_BPF, TAG_LISTEN, TAG_METRICS, TAG_CLIENT,
       TAG_NET_TIMER, TAG_NET_SOCK, TAG_JOURNAL,
       TAG_CHILD };
int loop_add(struct heald *h, struct watch *w);

/* reap.c: `heald --reap PROGRAM [ARG...]`, a hook's subreaper; its exit code. */
int reap_main(char *const *argv);

#endif
