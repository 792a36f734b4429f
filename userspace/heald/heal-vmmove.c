// SPDX-License-Identifier: GPL-2.0
/*
 * heal-vmmove: what heald runs (a child of its loop, child.c) for
 * everything it asks libvirt, so that no libvirt call, which may wait on
 * a daemon or a network, ever runs in heald's loop.
 *
 *   heal-vmmove inventory --uri URI --domain NAME
 *	one line of JSON: the domain's state, memory and disk sources
 *	(virDomainGetInfo, virDomainGetXMLDesc's <disk><source file|dev>)
 *   heal-vmmove move --uri URI --domain NAME --dest DESTURI
 *		[--migrate-uri tcp://HOST] [--auto-converge] [--bandwidth MIB/S]
 *		[--deadline SECONDS]
 *	live migration, peer to peer, with its disks copied:
 *	virDomainMigrateToURI3 with LIVE | PEER2PEER | PERSIST_DEST |
 *	UNDEFINE_SOURCE | NON_SHARED_DISK (libvirt 9.0 copies the disks over
 *	NBD: the peer must have each disk's file, or a storage pool holding
 *	its directory for libvirt to make it in), as `virsh migrate --live
 *	--p2p --persistent --undefinesource --copy-storage-all` does.
 *
 * A move prints a line of JSON per second from a second thread on its own
 * connection (virDomainGetJobStats: what was copied, what is left), and a
 * last one with the outcome: "moved" (exit 0) with the total time, the
 * guest's downtime and the bytes copied, from the completed job's
 * statistics on the destination; or "failed" (exit 1) with libvirt's
 * error, once the domain runs on here again: libvirt resumes it on the
 * source when a migration fails, and this checks (exit 2 if it does not
 * run here, nor on the destination).  On SIGTERM or SIGINT, or at its
 * --deadline, the job is aborted (virDomainAbortJob): the guest goes on
 * running here.  heald gives it a deadline shorter than its own, so that
 * the abort, not heald's SIGKILL, ends a move that takes too long: killed,
 * this program would leave libvirtd migrating on without it.  When heald
 * exits it sends SIGTERM and leaves this to end by itself (child.h,
 * term_at_exit): the job is aborted even with nobody reading its output.
 * An abort that does not end libvirt's call within ABORT_WAIT seconds (the
 * link to the destination gone: libvirtd waits on a peer that cannot
 * answer, until TCP gives up) is left to libvirtd: the outcome line says
 * so with the domain's state here as libvirt sees it (exit 1 if it runs
 * here, 2 if not), before heald's backstop kill, which would leave it
 * unsaid.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#define PROGRESS_INTERVAL 1	/* seconds between progress lines */
#define ABORT_WAIT 30		/* seconds the aborted migration has to end */

enum { EXIT_MOVED, EXIT_FAILED, EXIT_LOST, EXIT_USAGE };

struct opts {
	const char *uri, *domain, *dest, *migrate_uri;
	bool auto_converge;
	unsigned long bandwidth;	/* MiB/s, 0: libvirt's default */
	double deadline;		/* seconds, 0: none */
};

/* What the watcher thread shares with the migrating one. */
struct watch {
	const struct opts *o;
	sigset_t sigs;
	double started;
	pthread_mutex_t lock;
	bool done;		/* the migration call returned */
	char aborted[96];	/* why it was aborted, "" if not */
	double aborted_at;
	struct json_object *last;	/* the last progress sample */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
}

/* libvirt's last error of this thread, "unknown error" if none. */
static const char *lv_error(void)
{
	const virError *e = virGetLastError();

	return e && e->message ? e->message : "unknown error";
}

/* Keep libvirt from printing its errors on stderr by itself: they go into the JSON. */
static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static const char *state_name(int s)
{
	switch (s) {
	case VIR_DOMAIN_RUNNING: return "running";
	case VIR_DOMAIN_BLOCKED: return "blocked";
	case VIR_DOMAIN_PAUSED: return "paused";
	case VIR_DOMAIN_SHUTDOWN: return "shutting-down";
	case VIR_DOMAIN_SHUTOFF: return "shut-off";
	case VIR_DOMAIN_CRASHED: return "crashed";
	case VIR_DOMAIN_PMSUSPENDED: return "suspended";
	}
	return "unknown";
}

static void fail_line(const char *what, const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("outcome"));
	json_object_object_add(o, "outcome", json_object_new_string("failed"));
	json_object_object_add(o, "error", json_object_new_string(why));
	json_object_object_add(o, "step", json_object_new_string(what));
	emit(o);
	json_object_put(o);
	fprintf(stderr, "%s: %s\n", what, why);
}

/* The <source file=> or <source dev=> of each <disk> of the domain's XML, into @arr. */
static int disk_sources(const char *xml, struct json_object *arr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr r = ctx ? xmlXPathEvalExpression(
		(const xmlChar *)"/domain/devices/disk/source/@file | /domain/devices/disk/source/@dev",
		ctx) : NULL;
	int i, n = -1;

	if (r && r->nodesetval) {
		for (i = 0, n = 0; i < r->nodesetval->nodeNr; i++, n++) {
			xmlChar *v = xmlNodeGetContent(r->nodesetval->nodeTab[i]);

			json_object_array_add(arr, json_object_new_string((const char *)v));
			xmlFree(v);
		}
	} else if (r) {
		n = 0;
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return n;
}

static int inventory(const struct opts *o)
{
	struct json_object *out, *disks;
	virConnectPtr conn;
	virDomainPtr dom;
	virDomainInfo info;
	char *xml;

	conn = virConnectOpen(o->uri);
	if (!conn)
		return fail_line("connect", lv_error()), EXIT_FAILED;
	dom = virDomainLookupByName(conn, o->domain);
	out = json_object_new_object();
	json_object_object_add(out, "domain", json_object_new_string(o->domain));
	if (!dom) {
		/* Not defined here: moved away, or never was. */
		json_object_object_add(out, "defined", json_object_new_boolean(false));
		emit(out);
		json_object_put(out);
		virConnectClose(conn);
		return EXIT_MOVED;
	}
	json_object_object_add(out, "defined", json_object_new_boolean(true));
	if (virDomainGetInfo(dom, &info) == 0) {
		json_object_object_add(out, "state", json_object_new_string(state_name(info.state)));
		json_object_object_add(out, "memory_bytes", json_object_new_int64((int64_t)info.memory * 1024));
		json_object_object_add(out, "vcpus", json_object_new_int(info.nrVirtCpu));
	}
	json_object_object_add(out, "active", json_object_new_boolean(virDomainIsActive(dom) == 1));
	disks = json_object_new_array();
	xml = virDomainGetXMLDesc(dom, 0);
	if (!xml || disk_sources(xml, disks) < 0)
		json_object_object_add(out, "error", json_object_new_string(xml ? "its XML does not parse" :
									  lv_error()));
	free(xml);
	json_object_object_add(out, "disks", disks);
	emit(out);
	json_object_put(out);
	virDomainFree(dom);
	virConnectClose(conn);
	return EXIT_MOVED;
}

/*
 * A job statistics field, if there.  Most are unsigned long long; the
 * auto-converge throttle is an int (a percentage).
 */
static bool stat_ull(virTypedParameterPtr p, int n, const char *name, unsigned long long *v)
{
	int i;

	if (virTypedParamsGetULLong(p, n, name, v) == 1)
		return true;
	if (virTypedParamsGetInt(p, n, name, &i) == 1 && i >= 0) {
		*v = (unsigned long long)i;
		return true;
	}
	return false;
}

/* The job's statistics as JSON (bytes and milliseconds as libvirt gives them). */
static struct json_object *job_json(virTypedParameterPtr p, int n)
{
	static const struct { const char *lv, *key; } f[] = {
		{ VIR_DOMAIN_JOB_TIME_ELAPSED, "elapsed_ms" },
		{ VIR_DOMAIN_JOB_DATA_TOTAL, "data_total" },
		{ VIR_DOMAIN_JOB_DATA_PROCESSED, "data_processed" },
		{ VIR_DOMAIN_JOB_DATA_REMAINING, "data_remaining" },
		{ VIR_DOMAIN_JOB_MEMORY_PROCESSED, "memory_processed" },
		{ VIR_DOMAIN_JOB_MEMORY_REMAINING, "memory_remaining" },
		{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, "memory_dirty_rate" },
		{ VIR_DOMAIN_JOB_MEMORY_ITERATION, "memory_iteration" },
		{ VIR_DOMAIN_JOB_MEMORY_BPS, "memory_bps" },
		{ VIR_DOMAIN_JOB_DISK_TOTAL, "disk_total" },
		{ VIR_DOMAIN_JOB_DISK_PROCESSED, "disk_processed" },
		{ VIR_DOMAIN_JOB_DISK_REMAINING, "disk_remaining" },
		{ VIR_DOMAIN_JOB_DOWNTIME, "downtime_ms" },
		{ VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE, "throttle_pct" },
		{ VIR_DOMAIN_JOB_MEMORY_TOTAL, "memory_total" },
	};
	struct json_object *o = json_object_new_object();
	unsigned long long v;
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (stat_ull(p, n, f[i].lv, &v))
			json_object_object_add(o, f[i].key, json_object_new_int64((int64_t)v));
	return o;
}

/* Abort the job (once), saying why. */
static void abort_job(struct watch *w, virDomainPtr dom, const char *why)
{
	if (w->aborted[0])
		return;
	snprintf(w->aborted, sizeof(w->aborted), "%s", why);
	w->aborted_at = now_mono();
	fprintf(stderr, "aborting the migration: %s\n", why);
	if (virDomainAbortJob(dom) < 0)
		fprintf(stderr, "virDomainAbortJob: %s\n", lv_error());
}

/*
 * The abort did not end libvirt's call within ABORT_WAIT s: the outcome
 * now, with the domain's state (a query, which the migration's job does
 * not hold up), and out; libvirtd ends the job when its peer's connection
 * fails.  Under the lock: the call returning meanwhile says it instead.
 */
static void give_up(struct watch *w, virDomainPtr dom)
{
	struct json_object *out;
	int state = -1, reason;

	pthread_mutex_lock(&w->lock);
	if (w->done) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		state = -1;
	out = json_object_new_object();
	json_object_object_add(out, "event", json_object_new_string("outcome"));
	json_object_object_add(out, "outcome", json_object_new_string("failed"));
	json_object_object_add(out, "error", json_object_new_string(
		"libvirt's job did not end after the abort; left to libvirtd"));
	json_object_object_add(out, "total_s", json_object_new_double(now_mono() - w->started));
	json_object_object_add(out, "source_state", json_object_new_string(state_name(state)));
	json_object_object_add(out, "aborted", json_object_new_string(w->aborted));
	json_object_object_add(out, "job_left", json_object_new_boolean(true));
	if (w->last)
		json_object_object_add(out, "last_progress", json_object_get(w->last));
	emit(out);
	json_object_put(out);
	fprintf(stderr, "aborted (%s): libvirt's job did not end %d s after the abort "
		"(its peer unreachable?): left to libvirtd%s%s%s\n", w->aborted, ABORT_WAIT,
		state == VIR_DOMAIN_RUNNING ? "" : "; the domain is ",
		state == VIR_DOMAIN_RUNNING ? "" : state_name(state),
		state == VIR_DOMAIN_RUNNING ? "" : " here");
	fflush(stderr);
	_exit(state == VIR_DOMAIN_RUNNING ? EXIT_FAILED : EXIT_LOST);
}

/*
 * The watcher: its own connection (a call on the migrating one waits
 * behind the migration), a progress line each second, and the abort on a
 * signal or the deadline.  The signals are blocked in every thread and
 * taken here with sigtimedwait, which is also the tick.
 */
static void *watcher(void *arg)
{
	struct watch *w = arg;
	const struct timespec tick = { PROGRESS_INTERVAL, 0 };
	virConnectPtr conn = virConnectOpen(w->o->uri);
	virDomainPtr dom = conn ? virDomainLookupByName(conn, w->o->domain) : NULL;

	if (!dom)
		fprintf(stderr, "progress: %s (no progress, no abort)\n", lv_error());
	for (;;) {
		int sig = sigtimedwait(&w->sigs, NULL, &tick);
		virTypedParameterPtr p = NULL;
		int type, n = 0;
		bool done;

		pthread_mutex_lock(&w->lock);
		done = w->done;
		pthread_mutex_unlock(&w->lock);
		if (done)
			break;
		if (!dom)
			continue;
		if (sig > 0)
			abort_job(w, dom, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		else if (w->o->deadline && now_mono() - w->started >= w->o->deadline)
			abort_job(w, dom, "its deadline passed");
		if (w->aborted[0] && now_mono() - w->aborted_at >= ABORT_WAIT)
			give_up(w, dom);
		if (virDomainGetJobStats(dom, &type, &p, &n, 0) == 0 && type != VIR_DOMAIN_JOB_NONE) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "event", json_object_new_string("progress"));
			json_object_object_add(o, "for_s", json_object_new_double(now_mono() - w->started));
			json_object_object_add(o, "job", job_json(p, n));
			emit(o);
			pthread_mutex_lock(&w->lock);
			json_object_put(w->last);
			w->last = json_object_get(json_object_object_get(o, "job"));
			pthread_mutex_unlock(&w->lock);
			json_object_put(o);
		}
		virTypedParamsFree(p, n);
	}
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	return NULL;
}

static int migrate_params(const struct opts *o, virTypedParameterPtr *p, int *n, unsigned int *flags)
{
	int max = 0;

	*flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
		 VIR_MIGRATE_UNDEFINE_SOURCE | VIR_MIGRATE_NON_SHARED_DISK;
	if (o->auto_converge)
		*flags |= VIR_MIGRATE_AUTO_CONVERGE;
	*p = NULL;
	*n = 0;
	/* Where the guest's memory and disks go: the address heald reaches the peer at. */
	if (o->migrate_uri &&
	    (virTypedParamsAddString(p, n, &max, VIR_MIGRATE_PARAM_URI, o->migrate_uri) < 0 ||
	     virTypedParamsAddString(p, n, &max, VIR_MIGRATE_PARAM_DISKS_URI, o->migrate_uri) < 0))
		return -1;
	if (o->bandwidth &&
	    virTypedParamsAddULLong(p, n, &max, VIR_MIGRATE_PARAM_BANDWIDTH, o->bandwidth) < 0)
		return -1;
	return 0;
}

/* After a failure: the domain must run here again (libvirt resumes it; a paused one is resumed). */
static const char *source_after(virConnectPtr conn, const char *name, bool *runs)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	int state = -1, reason;

	*runs = false;
	if (!dom)
		return "not defined here";
	if (virDomainGetState(dom, &state, &reason, 0) == 0 && state == VIR_DOMAIN_PAUSED &&
	    virDomainResume(dom) == 0)
		virDomainGetState(dom, &state, &reason, 0);
	virDomainFree(dom);
	*runs = state == VIR_DOMAIN_RUNNING;
	return state_name(state);
}

/* After success: the domain runs there, and the completed job's statistics (downtime). */
static struct json_object *dest_after(const char *uri, const char *name, const char **state)
{
	virConnectPtr conn = virConnectOpen(uri);
	virDomainPtr dom = conn ? virDomainLookupByName(conn, name) : NULL;
	virTypedParameterPtr p = NULL;
	struct json_object *o = NULL;
	int type, n = 0, s = -1, reason;

	*state = "unknown";
	if (dom && virDomainGetState(dom, &s, &reason, 0) == 0)
		*state = state_name(s);
	if (dom && virDomainGetJobStats(dom, &type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
	    type == VIR_DOMAIN_JOB_COMPLETED)
		o = job_json(p, n);
	virTypedParamsFree(p, n);
	if (!dom)
		fprintf(stderr, "destination: %s\n", lv_error());
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	return o;
}

/*
 * The size of the disks the migration copies (virDomainGetBlockInfo's
 * capacity of each source): libvirt 9.0's completed job has no disk
 * figures, and its samples only while the mirror runs.
 */
static unsigned long long disk_bytes(virDomainPtr dom)
{
	struct json_object *disks = json_object_new_array();
	unsigned long long sum = 0;
	char *xml = virDomainGetXMLDesc(dom, 0);
	size_t i;

	if (xml && disk_sources(xml, disks) > 0)
		for (i = 0; i < json_object_array_length(disks); i++) {
			virDomainBlockInfo bi;

			if (virDomainGetBlockInfo(dom, json_object_get_string(json_object_array_get_idx(disks, i)),
						  &bi, 0) == 0)
				sum += bi.capacity;
		}
	free(xml);
	json_object_put(disks);
	return sum;
}

static int move(const struct opts *o)
{
	struct watch w = { .o = o, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct json_object *out, *stats = NULL;
	virTypedParameterPtr p = NULL;
	virConnectPtr conn;
	virDomainPtr dom;
	unsigned int flags;
	const char *state;
	pthread_t th;
	char err[512] = "";
	int n = 0, ret, code;
	unsigned long long disks;
	bool runs;

	sigemptyset(&w.sigs);
	sigaddset(&w.sigs, SIGTERM);
	sigaddset(&w.sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &w.sigs, NULL);
	w.started = now_mono();
	conn = virConnectOpen(o->uri);
	if (!conn)
		return fail_line("connect", lv_error()), EXIT_FAILED;
	dom = virDomainLookupByName(conn, o->domain);
	if (!dom || virDomainIsActive(dom) != 1) {
		fail_line("lookup", dom ? "the domain does not run here" : lv_error());
		return EXIT_FAILED;
	}
	if (migrate_params(o, &p, &n, &flags) < 0)
		return fail_line("parameters", lv_error()), EXIT_FAILED;
	disks = disk_bytes(dom);
	out = json_object_new_object();
	json_object_object_add(out, "event", json_object_new_string("start"));
	json_object_object_add(out, "domain", json_object_new_string(o->domain));
	json_object_object_add(out, "flags", json_object_new_int64(flags));
	json_object_object_add(out, "disk_bytes", json_object_new_int64((int64_t)disks));
	emit(out);
	json_object_put(out);
	if (pthread_create(&th, NULL, watcher, &w))
		return fail_line("thread", strerror(errno)), EXIT_FAILED;
	ret = virDomainMigrateToURI3(dom, o->dest, p, (unsigned int)n, flags);
	out = json_object_new_object();
	json_object_object_add(out, "event", json_object_new_string("outcome"));
	/* Said now: the calls below reset this thread's last error. */
	if (ret < 0) {
		snprintf(err, sizeof(err), "%s", lv_error());
		json_object_object_add(out, "error", json_object_new_string(err));
	}
	pthread_mutex_lock(&w.lock);
	w.done = true;
	pthread_mutex_unlock(&w.lock);
	pthread_kill(th, SIGINT);	/* wakes its sigtimedwait: done, so no abort */
	pthread_join(th, NULL);
	json_object_object_add(out, "total_s", json_object_new_double(now_mono() - w.started));
	json_object_object_add(out, "disk_bytes", json_object_new_int64((int64_t)disks));
	json_object_object_add(out, "flags", json_object_new_int64(flags));
	if (ret == 0) {
		stats = dest_after(o->dest, o->domain, &state);
		json_object_object_add(out, "outcome", json_object_new_string("moved"));
		json_object_object_add(out, "dest_state", json_object_new_string(state));
		code = EXIT_MOVED;
	} else {
		state = source_after(conn, o->domain, &runs);
		json_object_object_add(out, "outcome", json_object_new_string("failed"));
		json_object_object_add(out, "source_state", json_object_new_string(state));
		if (w.aborted[0])
			json_object_object_add(out, "aborted", json_object_new_string(w.aborted));
		code = runs ? EXIT_FAILED : EXIT_LOST;
		fprintf(stderr, "%s%s%s%s%s%s%s\n", w.aborted[0] ? "aborted (" : "", w.aborted,
			w.aborted[0] ? "): " : "", err, runs ? "" : "; the domain is ", runs ? "" : state,
			runs ? "" : " here");
	}
	/*
	 * The completed job's figures (the destination keeps them: the
	 * downtime); the source's last sample too, whose disk figures the
	 * completed job of libvirt 9.0 leaves at 0.
	 */
	json_object_object_add(out, "stats", stats ? stats : w.last ? json_object_get(w.last) : NULL);
	if (w.last)
		json_object_object_add(out, "last_progress", json_object_get(w.last));
	emit(out);
	json_object_put(out);
	json_object_put(w.last);
	virTypedParamsFree(p, n);
	virDomainFree(dom);
	virConnectClose(conn);
	return code;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: heal-vmmove inventory --uri URI --domain NAME\n"
		"       heal-vmmove move --uri URI --domain NAME --dest DESTURI [--migrate-uri URI]\n"
		"                   [--auto-converge] [--bandwidth MIB_S] [--deadline SECONDS]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "uri", required_argument, NULL, 'u' },
		{ "domain", required_argument, NULL, 'd' },
		{ "dest", required_argument, NULL, 't' },
		{ "migrate-uri", required_argument, NULL, 'm' },
		{ "auto-converge", no_argument, NULL, 'a' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "deadline", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	const char *cmd;
	char *end;
	int c;

	if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o.uri = optarg; break;
		case 'd': o.domain = optarg; break;
		case 't': o.dest = optarg; break;
		case 'm': o.migrate_uri = optarg; break;
		case 'a': o.auto_converge = true; break;
		case 'b':
			o.bandwidth = strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				return usage(), EXIT_USAGE;
			break;
		case 'D':
			o.deadline = strtod(optarg, &end);
			if (*end || !*optarg || !(o.deadline > 0))
				return usage(), EXIT_USAGE;
			break;
		default:
			return usage(), EXIT_USAGE;
		}
	}
	if (!o.uri || !o.domain || optind != argc) {
		usage();
		return EXIT_USAGE;
	}
	/* heald gone (it exited and closed our stdout): the abort must still happen. */
	signal(SIGPIPE, SIG_IGN);
	virSetErrorFunc(NULL, quiet);
	if (virInitialize() < 0) {
		fail_line("libvirt", "virInitialize failed");
		return EXIT_FAILED;
	}
	if (!strcmp(cmd, "inventory"))
		return inventory(&o);
	if (!strcmp(cmd, "move") && o.dest)
		return move(&o);
	usage();
	return EXIT_USAGE;
}
