// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that talk to heald over its control socket: journal, why,
 * act, and heald's part of status.  Exit codes: 0 done, 1 heald said no
 * (the reason on stderr) or journal entries asked for were skipped, 2
 * usage, 3 heald is not running.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "../lib/hb_parse.h"
#include "../lib/hb_text.h"
#include "../lib/heald_client.h"
#include "../lib/log.h"
#include "../lib/schema.h"
#include "healctl.h"

/*
 * A string of heald's reply, for a terminal: names in it are anyone's (an
 * interface, a cgroup) and an escape sequence must be shown, not obeyed.
 * In one of STR_SLOTS buffers used in turn: enough for one printf.
 */
#define STR_SLOTS 12
static const char *str(struct json_object *o, const char *key)
{
	static char ring[STR_SLOTS][1024];
	static unsigned int next;
	struct json_object *v;

	return hb_term_safe(ring[next++ % STR_SLOTS], sizeof(ring[0]),
			    json_object_object_get_ex(o, key, &v) &&
			    !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : "");
}

/* One request, one reply with "ok": the reply, or NULL with the exit code in *rc. */
static struct json_object *ask(struct json_object *req, int *rc)
{
	struct json_object *r, *v;
	char err[256];
	int fd = hd_connect(hd_socket_path(), err, sizeof(err));

	if (fd < 0) {
		json_object_put(req);
		hb_err("%s", err);
		*rc = EXIT_NO_HEALD;
		return NULL;
	}
	r = hd_call(fd, req, err, sizeof(err));
	json_object_put(req);
	close(fd);
	if (!r) {
		hb_err("%s", err);
		*rc = 1;
		return NULL;
	}
	if (!json_object_object_get_ex(r, "ok", &v) || !json_object_get_boolean(v)) {
		hb_err("heald: %s", str(r, "error"));
		json_object_put(r);
		*rc = 1;
		return NULL;
	}
	*rc = 0;
	return r;
}

static struct json_object *request(const char *cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static void print_entry(struct json_object *e)
{
	const char *type = str(e, "type");

	printf("%6s  %s  %-8s %-18s ", str(e, "id"), str(e, "time"), type, str(e, "resource"));
	if (!strcmp(type, "decision"))
		printf("%s%s: %s", str(e, "action"),
		       !strcmp(str(e, "taken"), "true") || !strcmp(str(e, "action"), "report") ? "" :
		       " (not taken)", str(e, "reason"));
	else if (!strcmp(type, "outcome"))
		printf("#%s %s%s%s", str(e, "ref"), str(e, "outcome"),
		       *str(e, "detail") ? ": " : "", str(e, "detail"));
	else if (!strcmp(type, "resume"))
		printf("#%s %s", str(e, "ref"), str(e, "detail"));
	else if (!strcmp(type, "start"))
		printf("heald started (pid %s%s)", str(e, "pid"),
		       !strcmp(str(e, "dry_run"), "true") ? ", dry run" : "");
	else
		printf("%s", str(e, "reason"));
	printf("\n");
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One entry as --follow prints it: a line of JSON, or of text. */
static void follow_print(struct healctl *ctl, struct json_object *e)
{
	if (ctl->json)
		printf("%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
	else
		print_entry(e);
	fflush(stdout);
}

static uint64_t entry_id(struct json_object *e)
{
	struct json_object *v;

	return json_object_object_get_ex(e, "id", &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static uint64_t num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_int64(v) > 0 ?
	       (uint64_t)json_object_get_int64(v) : 0;
}

/* Following with --json: a gap in the stream is a line of the stream, where it is. */
static void gap_print(uint64_t after, uint64_t first, uint64_t last, const char *reason)
{
	struct json_object *g = json_object_new_object();

	json_object_object_add(g, "schema", json_object_new_int(HEAL_SCHEMA));
	json_object_object_add(g, "type", json_object_new_string("gap"));
	json_object_object_add(g, "after", json_object_new_int64((int64_t)after));
	json_object_object_add(g, "first", json_object_new_int64((int64_t)first));
	json_object_object_add(g, "last", json_object_new_int64((int64_t)last));
	json_object_object_add(g, "reason", json_object_new_string(reason));
	printf("%s\n", json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(g);
}

/*
 * Entry @id follows @last while following: ids grow by one, so a larger
 * step is entries heald could not send us (it ran out of memory for this
 * subscriber): said, as the reply's gaps are.  True when there is a gap.
 */
static bool follow_gap(struct healctl *ctl, uint64_t last, uint64_t id)
{
	if (!last || id <= last + 1)
		return false;
	hb_err("journal --follow: entries %llu to %llu did not reach us: they are in heald's journal",
	       (unsigned long long)last + 1, (unsigned long long)id - 1);
	if (ctl->json)
		gap_print(last, last + 1, id - 1, "not delivered while following: in heald's journal");
	return true;
}

/*
 * What a journal reply for --after @after did not hold: said on stderr,
 * and with @marker (--follow --json) as {"type":"gap"} lines before the
 * entries, never a silent gap.  True when entries asked for were skipped
 * (no longer in heald's memory): healctl then exits 1.  What --limit
 * left out was asked for: said, not a failure.
 */
static bool journal_gaps(struct json_object *r, uint64_t after, bool marker)
{
	uint64_t oldest = num(r, "oldest"), omitted = num(r, "omitted"), first = after + 1, last;
	struct json_object *entries;
	bool lost = false;

	if (oldest > after + 1) {
		hb_err("journal: entries %llu to %llu are no longer in heald's memory (it keeps the newest %d): they are in its journal files, unless rotated away",
		       (unsigned long long)after + 1, (unsigned long long)oldest - 1,
		       HEAL_JOURNAL_RECENT);
		if (marker)
			gap_print(after, after + 1, oldest - 1,
				  "no longer in heald's memory: in its journal files, unless rotated away");
		first = oldest;
		lost = true;
	}
	if (omitted) {
		hb_err("journal: %llu newer entries after %llu left out by --limit (the newest printed)",
		       (unsigned long long)omitted, (unsigned long long)after);
		last = first + omitted - 1;
		if (json_object_object_get_ex(r, "entries", &entries) &&
		    json_object_array_length(entries))
			last = entry_id(json_object_array_get_idx(entries, 0)) - 1;
		if (marker)
			gap_print(after, first, last, "left out by --limit");
	}
	return lost;
}

/*
 * journal --follow: on one connection, follow heald's events first, then
 * ask for the newest entries, so that nothing written in between is
 * missed; an entry seen both ways is printed once (ids only grow).
 * Ends after --count entries, at --timeout, or when heald goes (exit 1).
 */
static int journal_follow(struct healctl *ctl, struct json_object *req, bool after_given,
			  uint64_t after, uint64_t count, uint64_t timeout)
{
	struct json_object *sub = request("events"), *early = json_object_new_array(), *o, *v;
	double deadline = timeout ? mono() + (double)timeout : 0;
	uint64_t last = 0, seen = 0;
	bool have_reply = false, lost = false;
	char err[256];
	size_t i;
	int fd = hd_connect(hd_socket_path(), err, sizeof(err)), rc = 0;

	if (fd < 0) {
		json_object_put(req);
		json_object_put(sub);
		json_object_put(early);
		hb_err("%s", err);
		return EXIT_NO_HEALD;
	}
	if (hd_send(fd, sub) || hd_send(fd, req)) {
		hb_err("journal: cannot send to heald");
		rc = 1;
		goto out;
	}
	while (!count || seen < count) {
		int wait = -1;

		if (deadline) {
			double left = deadline - mono();

			if (left <= 0)
				break;
			wait = (int)(left * 1000) + 1;
		}
		o = hd_recv(fd, wait, err, sizeof(err));
		if (!o) {
			if (deadline && mono() >= deadline)
				break;
			hb_err("journal --follow: %s", err);
			rc = 1;
			goto out;
		}
		if (json_object_object_get_ex(o, "ok", &v) && !json_object_get_boolean(v)) {
			hb_err("heald: %s", str(o, "error"));
			json_object_put(o);
			rc = 1;
			goto out;
		}
		if (json_object_object_get_ex(o, "entries", &v)) {
			if (after_given)
				lost = journal_gaps(o, after, ctl->json);
			/* The newest entries, then what came while they were asked for. */
			for (i = 0; i < json_object_array_length(v) && (!count || seen < count); i++) {
				struct json_object *e = json_object_array_get_idx(v, i);

				follow_print(ctl, e);
				last = entry_id(e) > last ? entry_id(e) : last;
				seen++;
			}
			for (i = 0; i < json_object_array_length(early) && (!count || seen < count); i++) {
				struct json_object *e = json_object_array_get_idx(early, i);

				if (entry_id(e) > last) {
					lost |= follow_gap(ctl, last, entry_id(e));
					follow_print(ctl, e);
					last = entry_id(e);
					seen++;
				}
			}
			have_reply = true;
		} else if (!strcmp(str(o, "type"), "journal") &&
			   json_object_object_get_ex(o, "entry", &v)) {
			if (!have_reply) {
				json_object_array_add(early, json_object_get(v));
			} else if (entry_id(v) > last) {
				lost |= follow_gap(ctl, last, entry_id(v));
				follow_print(ctl, v);
				last = entry_id(v);
				seen++;
			}
		}
		json_object_put(o);
	}
	/* Entries were skipped: the exit says it too, whatever ended the follow. */
	if (lost)
		rc = 1;
out:
	json_object_put(early);
	close(fd);
	return rc;
}

int cmd_journal(struct healctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 },
	};
	struct json_object *req = request("journal"), *r, *entries;
	uint64_t after = 0, limit = 50, count = 0, timeout = 0;
	bool follow = false, limit_given = false, after_given = false;
	size_t i;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "f", opts, NULL)) != -1) {
		if (c == 'l')
			limit_given = true;
		if (c == 'a')
			after_given = true;
		if ((c == 'a' && !hb_parse_u64(optarg, &after)) ||
		    (c == 'l' && !hb_parse_u64(optarg, &limit) && limit <= 1024) ||
		    (c == 'c' && !hb_parse_u64(optarg, &count)) ||
		    (c == 't' && !hb_parse_u64(optarg, &timeout)))
			continue;
		if (c == 'f') {
			follow = true;
			continue;
		}
		json_object_put(req);
		hb_err("journal: --after ID, --limit N (at most 1024), --follow [--count N] [--timeout SEC]");
		return usage();
	}
	if (optind != argc + 1 || (!follow && (count || timeout))) {
		json_object_put(req);
		if (optind == argc + 1)
			hb_err("journal: --count and --timeout go with --follow");
		return usage();
	}
	/* As tail -f: the last 10 first, unless --after or --limit say otherwise. */
	if (follow && !limit_given)
		limit = after_given ? HEAL_JOURNAL_RECENT : 10;
	json_object_object_add(req, "after", json_object_new_int64((int64_t)after));
	json_object_object_add(req, "limit", json_object_new_int64((int64_t)limit));
	if (follow)
		return journal_follow(ctl, req, after_given, after, count, timeout);
	r = ask(req, &rc);
	if (!r)
		return rc;
	/* Entries skipped: printed what there is, exit 1. */
	if (after_given && journal_gaps(r, after, false))
		rc = 1;
	json_object_object_get_ex(r, "entries", &entries);
	if (ctl->json) {
		printf("%s\n", json_object_to_json_string_ext(entries, JSON_C_TO_STRING_PRETTY));
	} else {
		for (i = 0; i < json_object_array_length(entries); i++)
			print_entry(json_object_array_get_idx(entries, i));
	}
	json_object_put(r);
	return rc;
}

int cmd_why(struct healctl *ctl, int argc, char **argv)
{
	struct json_object *req, *r, *entry, *outs, *v;
	uint64_t id;
	size_t i;
	int rc;

	if (argc != 1 || hb_parse_u64(argv[0], &id) || !id) {
		hb_err("why: give the id of a journal entry (healctl journal lists them)");
		return usage();
	}
	req = request("why");
	json_object_object_add(req, "id", json_object_new_int64((int64_t)id));
	r = ask(req, &rc);
	if (!r)
		return rc;
	if (ctl->json) {
		json_object_object_del(r, "ok");
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY));
		json_object_put(r);
		return 0;
	}
	json_object_object_get_ex(r, "entry", &entry);
	json_object_object_get_ex(r, "outcomes", &outs);
	printf("entry %s at %s: %s %s\n", str(entry, "id"), str(entry, "time"), str(entry, "type"),
	       str(entry, "resource"));
	if (*str(entry, "action"))
		printf("  decision: %s, by %s%s\n", str(entry, "action"), str(entry, "by"),
		       !strcmp(str(entry, "dry_run"), "true") ? " (dry run: not taken)" : "");
	printf("  because:  %s\n", str(entry, "reason"));
	if (json_object_object_get_ex(entry, "evidence", &v))
		printf("  evidence: %s\n", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	for (i = 0; outs && i < json_object_array_length(outs); i++) {
		struct json_object *o = json_object_array_get_idx(outs, i);

		printf("  %s at %s: %s%s%s\n", str(o, "type"), str(o, "time"),
		       *str(o, "outcome") ? str(o, "outcome") : str(o, "reason"),
		       *str(o, "detail") ? ": " : "", str(o, "detail"));
	}
	if (!outs || !json_object_array_length(outs))
		printf("  no outcome recorded yet\n");
	json_object_put(r);
	return 0;
}

/* A decision and its first outcome, as act prints them; exit 1 when it failed. */
static int print_decision(struct healctl *ctl, struct json_object *r)
{
	struct json_object *out, *v, *e;
	int rc;

	json_object_object_get_ex(r, "outcomes", &out);
	v = out && json_object_array_length(out) ? json_object_array_get_idx(out, 0) : NULL;
	if (ctl->json) {
		json_object_object_del(r, "ok");
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY));
	} else {
		json_object_object_get_ex(r, "entry", &e);
		printf("decision %s: %s %s: %s%s%s\n", str(e, "id"), str(e, "action"),
		       str(e, "resource"), v ? str(v, "outcome") : "no outcome",
		       v && *str(v, "detail") ? ": " : "", v ? str(v, "detail") : "");
	}
	rc = v && (!strcmp(str(v, "outcome"), "failed") || !strcmp(str(v, "outcome"), "skipped"));
	json_object_put(r);
	return rc;
}

int cmd_act(struct healctl *ctl, int argc, char **argv)
{
	struct json_object *req, *r;
	uint32_t dev, leg;
	int rc;

	if (argc >= 1 && !strcmp(argv[0], "reroute") && argc <= 2) {
		req = request("act");
		json_object_object_add(req, "action", json_object_new_string("reroute"));
		if (argc == 2)
			json_object_object_add(req, "uplink", json_object_new_string(argv[1]));
		goto send;
	}
	if (argc < 2)
		return usage();
	if (parse_dev(argv[1], &dev))
		return EXIT_USAGE;
	req = request("act");
	json_object_object_add(req, "action", json_object_new_string(argv[0]));
	json_object_object_add(req, "dev", json_object_new_int((int)dev));
	if ((!strcmp(argv[0], "fail-leg") || !strcmp(argv[0], "rebuild")) && argc == 3) {
		if (hb_parse_u32(argv[2], HEALBLK_MAX_LEGS - 1, &leg)) {
			json_object_put(req);
			hb_err("act %s: bad leg '%s' (0..%d)", argv[0], argv[2], HEALBLK_MAX_LEGS - 1);
			return EXIT_USAGE;
		}
		json_object_object_add(req, "leg", json_object_new_int((int)leg));
	} else if (!strcmp(argv[0], "add-spare") && argc == 3) {
		json_object_object_add(req, "disk", json_object_new_string(argv[2]));
	} else if (!(!strcmp(argv[0], "scrub") && argc == 2)) {
		json_object_put(req);
		hb_err("act: fail-leg DEV LEG | rebuild DEV LEG | add-spare DEV DISK | scrub DEV | reroute [UPLINK]");
		return usage();
	}
send:
	r = ask(req, &rc);
	return r ? print_decision(ctl, r) : rc;
}

/* drain WORKLOAD | --all, and undrain: the workloads leave (stay) when they can. */
static int drain_request(struct healctl *ctl, const char *action, int argc, char **argv)
{
	struct json_object *req, *r;
	int rc;

	if (argc != 1) {
		hb_err("%s: give a workload's name or --all", action);
		return usage();
	}
	req = request("act");
	json_object_object_add(req, "action", json_object_new_string(action));
	if (!strcmp(argv[0], "--all"))
		json_object_object_add(req, "all", json_object_new_boolean(true));
	else
		json_object_object_add(req, "workload", json_object_new_string(argv[0]));
	r = ask(req, &rc);
	return r ? print_decision(ctl, r) : rc;
}

int cmd_drain(struct healctl *ctl, int argc, char **argv)
{
	return drain_request(ctl, "drain", argc, argv);
}

int cmd_undrain(struct healctl *ctl, int argc, char **argv)
{
	return drain_request(ctl, "undrain", argc, argv);
}

/*
 * receive begin WORKLOAD --from NODE | receive end WORKLOAD --from NODE
 * (--pid PID | --domain NAME | --failed): what a source's heald asks of
 * this node's heald over SSH around a move (--domain: a libvirt domain
 * the source saw run here).  Exit 1 with heald's reason when it refuses.
 */
int cmd_receive(struct healctl *ctl, int argc, char **argv)
{
	struct json_object *req, *r;
	const char *from = NULL, *domain = NULL;
	bool failed = false;
	uint32_t pid = 0;
	int i, rc;

	(void)ctl;
	if (argc < 2 || (strcmp(argv[0], "begin") && strcmp(argv[0], "end")))
		return usage();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i];
		else if (!strcmp(argv[i], "--pid") && i + 1 < argc && !strcmp(argv[0], "end") &&
			 !hb_parse_u32(argv[i + 1], INT32_MAX, &pid) && pid)
			i++;
		else if (!strcmp(argv[i], "--domain") && i + 1 < argc && !strcmp(argv[0], "end"))
			domain = argv[++i];
		else if (!strcmp(argv[i], "--failed") && !strcmp(argv[0], "end"))
			failed = true;
		else
			return usage();
	}
	if (!from || (!strcmp(argv[0], "end") && (!!pid + !!domain + failed) != 1)) {
		hb_err("receive: begin WORKLOAD --from NODE | end WORKLOAD --from NODE "
		       "(--pid PID | --domain NAME | --failed)");
		return usage();
	}
	req = request("receive");
	json_object_object_add(req, "phase", json_object_new_string(argv[0]));
	json_object_object_add(req, "workload", json_object_new_string(argv[1]));
	json_object_object_add(req, "from", json_object_new_string(from));
	if (pid)
		json_object_object_add(req, "pid", json_object_new_int((int)pid));
	if (domain)
		json_object_object_add(req, "domain", json_object_new_string(domain));
	if (failed)
		json_object_object_add(req, "failed", json_object_new_boolean(true));
	r = ask(req, &rc);
	if (!r)
		return rc;
	json_object_put(r);
	return 0;
}

/* status: heald's view after the kernel's; nothing when heald is not running. */
struct json_object *heald_status(void)
{
	struct json_object *r, *req;
	char err[256];
	int fd = hd_connect(hd_socket_path(), err, sizeof(err));

	if (fd < 0)
		return NULL;
	req = request("status");
	r = hd_call(fd, req, err, sizeof(err));
	json_object_put(req);
	close(fd);
	if (r && !json_object_get_boolean(json_object_object_get(r, "ok"))) {
		hb_err("heald: %s", str(r, "error"));
		json_object_put(r);
		return NULL;
	}
	if (r)
		json_object_object_del(r, "ok");
	return r;
}

/* One line a workload (what runs on what), a peer, and what this node received. */
static void print_migration_text(struct json_object *st)
{
	struct json_object *mg, *a, *v;
	size_t i, k;
	char devs[256];

	if (!json_object_object_get_ex(st, "migration", &mg))
		return;
	json_object_object_get_ex(mg, "workloads", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *w = json_object_array_get_idx(a, i), *mv;
		size_t o = 0;

		devs[0] = '\0';
		json_object_object_get_ex(w, "devices", &v);
		for (k = 0; v && k < json_object_array_length(v) && o < sizeof(devs); k++)
			o += (size_t)snprintf(devs + o, sizeof(devs) - o, "%s%s", k ? "," : "",
					      json_object_get_string(json_object_array_get_idx(v, k)));
		if (!strcmp(str(w, "kind"), "libvirt"))
			printf("  workload %-10s %-8s %-8s libvirt, domain %s (%s), on %s",
			       str(w, "name"), str(w, "state"), str(w, "health"), str(w, "domain"),
			       str(w, "domain_state"), *devs ? devs : "no disk");
		else
			printf("  workload %-10s %-8s %-8s %s, %s process%s, cgroup %s, on %s",
			       str(w, "name"), str(w, "state"), str(w, "health"), str(w, "kind"),
			       str(w, "processes"), !strcmp(str(w, "processes"), "1") ? "" : "es",
			       *str(w, "cgroup") ? str(w, "cgroup") : "(not found)", *devs ? devs : "no disk");
		printf("%s%s%s%s\n", !strcmp(str(w, "drain"), "true") ? ", drained" : "",
		       *str(w, "peer") ? ", peer " : "", str(w, "peer"), *str(w, "reason") ? ": " : "");
		if (*str(w, "reason"))
			printf("      %s\n", str(w, "reason"));
		if (json_object_object_get_ex(w, "move", &mv))
			printf("      moving to %s: %s for %.0f s (decision %s)\n", str(mv, "peer"),
			       str(mv, "step"), json_object_get_double(json_object_object_get(mv, "for_s")),
			       str(mv, "decision"));
	}
	json_object_object_get_ex(mg, "peers", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		printf("  peer %-14s %-8s %s: receiving %s, holds %s of %s, %s of ours (capacity %s)%s%s\n",
		       str(p, "name"), str(p, "health"), str(p, "address"), str(p, "receiving"),
		       str(p, "hosted"), str(p, "receive_max"), str(p, "sent"), str(p, "capacity"),
		       *str(p, "error") ? ": " : "", str(p, "error"));
	}
	json_object_object_get_ex(mg, "hosted", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (*str(o, "domain"))
			printf("  received %s from %s: domain %s\n", str(o, "workload"), str(o, "from"),
			       str(o, "domain"));
		else
			printf("  received %s from %s: pid %s\n", str(o, "workload"), str(o, "from"),
			       str(o, "pid"));
	}
	json_object_object_get_ex(mg, "receiving", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		printf("  receiving %s from %s\n", str(o, "workload"), str(o, "from"));
	}
}

void print_heald_text(struct json_object *st)
{
	struct json_object *hd, *res, *cnt;
	size_t i;

	json_object_object_get_ex(st, "heald", &hd);
	json_object_object_get_ex(st, "resources", &res);
	json_object_object_get_ex(st, "counts", &cnt);
	printf("heald: node %s (ok %s, degraded %s, failing %s, failed %s); up %.0f s; %s actions%s\n",
	       str(st, "health"), str(cnt, "ok"), str(cnt, "degraded"), str(cnt, "failing"),
	       str(cnt, "failed"), json_object_get_double(json_object_object_get(hd, "uptime_s")),
	       str(hd, "actions"), !strcmp(str(hd, "dry_run"), "true") ? "; DRY RUN" : "");
	for (i = 0; res && i < json_object_array_length(res); i++) {
		struct json_object *o = json_object_array_get_idx(res, i);

		if (strcmp(str(o, "state"), "ok"))
			printf("  %-24s %-9s %s\n", str(o, "name"), str(o, "state"), str(o, "reason"));
	}
	print_migration_text(st);
	{
		struct json_object *ups;

		json_object_object_get_ex(st, "uplinks", &ups);
		for (i = 0; ups && i < json_object_array_length(ups); i++) {
			struct json_object *u = json_object_array_get_idx(ups, i), *t;
			char beyond[128] = "";

			/* The targets beyond the gateway, when it has some. */
			if (json_object_object_get_ex(u, "targets", &t))
				snprintf(beyond, sizeof(beyond), ", beyond the gateway %s (rtt %.2f ms)",
					 str(t, "state"), json_object_get_double(json_object_object_get(t, "rtt_ms")));
			printf("  uplink %-10s %-5s via %s on %s: rtt %.2f ms, loss %.0f%%%s%s\n", str(u, "name"),
			       str(u, "state"), str(u, "gateway"), str(u, "interface"),
			       json_object_get_double(json_object_object_get(u, "rtt_ms")),
			       json_object_get_double(json_object_object_get(u, "loss_pct")), beyond,
			       !strcmp(str(u, "active"), "true") ? ", carries the routes" : "");
		}
	}
}
