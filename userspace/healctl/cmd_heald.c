// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that talk to heald over its control socket: journal, why,
 * act, and heald's part of status.  Exit codes: 0 done, 1 heald said no
 * (the reason on stderr), 2 usage, 3 heald is not running.
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
#include "../lib/heald_client.h"
#include "../lib/log.h"
#include "healctl.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null) ?
	       json_object_get_string(v) : "";
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

int cmd_journal(struct healctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ 0 },
	};
	struct json_object *req = request("journal"), *r, *entries;
	uint64_t after = 0, limit = 50;
	size_t i;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		if ((c == 'a' && !hb_parse_u64(optarg, &after)) ||
		    (c == 'l' && !hb_parse_u64(optarg, &limit) && limit <= 1024))
			continue;
		json_object_put(req);
		hb_err("journal: --after ID, --limit N (at most 1024)");
		return usage();
	}
	if (optind != argc + 1) {
		json_object_put(req);
		return usage();
	}
	json_object_object_add(req, "after", json_object_new_int64((int64_t)after));
	json_object_object_add(req, "limit", json_object_new_int64((int64_t)limit));
	r = ask(req, &rc);
	if (!r)
		return rc;
	json_object_object_get_ex(r, "entries", &entries);
	if (ctl->json) {
		printf("%s\n", json_object_to_json_string_ext(entries, JSON_C_TO_STRING_PRETTY));
	} else {
		for (i = 0; i < json_object_array_length(entries); i++)
			print_entry(json_object_array_get_idx(entries, i));
	}
	json_object_put(r);
	return 0;
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

int cmd_act(struct healctl *ctl, int argc, char **argv)
{
	struct json_object *req, *r, *out, *v;
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
	if (!r)
		return rc;
	json_object_object_get_ex(r, "outcomes", &out);
	v = out && json_object_array_length(out) ? json_object_array_get_idx(out, 0) : NULL;
	if (ctl->json) {
		json_object_object_del(r, "ok");
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY));
	} else {
		struct json_object *e;

		json_object_object_get_ex(r, "entry", &e);
		printf("decision %s: %s %s: %s%s%s\n", str(e, "id"), str(e, "action"),
		       str(e, "resource"), v ? str(v, "outcome") : "no outcome",
		       v && *str(v, "detail") ? ": " : "", v ? str(v, "detail") : "");
	}
	rc = v && (!strcmp(str(v, "outcome"), "failed") || !strcmp(str(v, "outcome"), "skipped"));
	json_object_put(r);
	return rc;
}

/* status: heald's view after the kernel's; nothing when heald is not running. */
struct json_object *heald_status(void)
{
	struct json_object *r;
	char err[256];
	int fd = hd_connect(hd_socket_path(), err, sizeof(err));

	if (fd < 0)
		return NULL;
	r = hd_call(fd, request("status"), err, sizeof(err));
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
	{
		struct json_object *ups;

		json_object_object_get_ex(st, "uplinks", &ups);
		for (i = 0; ups && i < json_object_array_length(ups); i++) {
			struct json_object *u = json_object_array_get_idx(ups, i);

			printf("  uplink %-10s %-5s via %s on %s: rtt %.2f ms, loss %.0f%%%s\n", str(u, "name"),
			       str(u, "state"), str(u, "gateway"), str(u, "interface"),
			       json_object_get_double(json_object_object_get(u, "rtt_ms")),
			       json_object_get_double(json_object_object_get(u, "loss_pct")),
			       !strcmp(str(u, "active"), "true") ? ", carries the routes" : "");
		}
	}
}
