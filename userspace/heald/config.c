// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "../lib/hb_parse.h"

void config_default(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "/run/heald/heald.sock");
	snprintf(c->journal, sizeof(c->journal), "/var/lib/heald/journal.jsonl");
	c->journal_max_bytes = 4 << 20;
	c->journal_keep = 4;
	snprintf(c->group, sizeof(c->group), "heal");
	c->max_clients_per_user = 8;
	c->client_idle_timeout = 10;
	c->metrics_port = 9577;
	snprintf(c->metrics_address, sizeof(c->metrics_address), "127.0.0.1");
	c->poll_ms = 1000;
	c->cooldown = 300;
	c->max_actions_per_hour = 6;
	c->manage_spares = true;
	c->bpf = true;
	snprintf(c->hooks_dir, sizeof(c->hooks_dir), "/etc/heal/hooks.d");
	c->hook_timeout = 10;
	snprintf(c->smartctl, sizeof(c->smartctl), "/usr/sbin/smartctl");
	c->smart_interval = 3600;
	c->smart_timeout = 60;
	/* ZED's io SERD: 10 errors in 10 minutes. */
	c->disk.serd_n = 10;
	c->disk.serd_t = 600;
	c->disk.serd_quiet = 600;
	slow_params_default(&c->disk.slow);
	c->disk.slow_acts = false;
	/* Monthly, as Debian's mdadm checkarray and zfsutils' scrub. */
	c->disk.scrub_interval = 30;
	c->probe_interval_ms = 100;
	c->probe_multiplier = 3;
	c->target_interval_ms = 200;
	c->target_multiplier = 3;
	c->target_table = 4200;
	c->target_rule_priority = 4200;
	c->hold_down = 10;
	c->hold_down_max = 300;
	snprintf(c->routes, sizeof(c->routes), "default");
	c->route_metric = 0;
	c->route_table = 254;	/* main */
	c->ecmp = false;
	snprintf(c->migrate_dir, sizeof(c->migrate_dir), "/var/lib/heald/migrate");
	c->max_moves = 1;
	c->move_deadline = 600;
	c->move_cooldown = 600;
	c->peer_interval = 60;
	c->peer_max_age = 15;
	c->peer_timeout = 10;
	c->move_on_kills = 0;
	c->kill_window = 600;
	c->receive_max = 4;
}

const char *wl_kind_name(enum wl_kind k)
{
	switch (k) {
	case WL_KIND_NONE: return "none";
	case WL_KIND_CRIU: return "criu";
	case WL_KIND_HOOK: return "hook";
	case WL_KIND_LIBVIRT: return "libvirt";
	}
	return "?";
}

enum kind { K_BOOL, K_U32, K_U16, K_U64, K_INT, K_DOUBLE, K_STR, K_TEXT, K_ADDR, K_NAME };

struct key {
	const char *name;
	enum kind kind;
	size_t off;		/* in struct config, or struct disk_conf when disk */
	bool disk;
	size_t size;		/* K_STR: buffer size */
	double min, max;
};

#define G(n, k, f, lo, hi) { n, k, offsetof(struct config, f), false, sizeof(((struct config *)0)->f), lo, hi }
#define D(n, k, f, lo, hi) { n, k, offsetof(struct disk_conf, f), true, 0, lo, hi }

static const struct key keys[] = {
	G("dry_run", K_BOOL, dry_run, 0, 1),
	G("socket", K_STR, socket, 0, 0),
	G("journal", K_STR, journal, 0, 0),
	G("journal_max_bytes", K_U64, journal_max_bytes, 4096, 1e12),
	G("journal_keep", K_INT, journal_keep, 0, 100),
	G("group", K_STR, group, 0, 0),
	G("max_clients_per_user", K_U32, max_clients_per_user, 1, 128),
	G("client_idle_timeout", K_DOUBLE, client_idle_timeout, 0.1, 86400),
	G("metrics_port", K_U16, metrics_port, 0, 65535),
	G("metrics_address", K_ADDR, metrics_address, 0, 0),
	G("poll_ms", K_U32, poll_ms, 50, 60000),
	G("cooldown", K_DOUBLE, cooldown, 0, 86400),
	G("max_actions_per_hour", K_U32, max_actions_per_hour, 0, 10000),
	G("manage_spares", K_BOOL, manage_spares, 0, 1),
	G("bpf", K_BOOL, bpf, 0, 1),
	G("hooks_dir", K_STR, hooks_dir, 0, 0),
	G("hook_timeout", K_DOUBLE, hook_timeout, 0.1, 3600),
	G("smartctl", K_STR, smartctl, 0, 0),
	G("smart_interval", K_DOUBLE, smart_interval, 0, 86400 * 7),
	G("smart_timeout", K_DOUBLE, smart_timeout, 1, 600),
	G("probe_interval_ms", K_U32, probe_interval_ms, 10, 10000),
	G("probe_multiplier", K_U32, probe_multiplier, 1, 100),
	G("target_interval_ms", K_U32, target_interval_ms, 10, 60000),
	G("target_multiplier", K_U32, target_multiplier, 1, 100),
	G("target_table", K_U32, target_table, 1, 4294967295.0 - CONFIG_MAX_UPLINKS),
	G("target_rule_priority", K_U32, target_rule_priority, 1, 32765),
	G("hold_down", K_DOUBLE, hold_down, 0, 86400),
	G("hold_down_max", K_DOUBLE, hold_down_max, 0, 86400),
	G("routes", K_TEXT, routes, 0, 0),
	G("route_metric", K_U32, route_metric, 0, 65535),
	G("route_table", K_U32, route_table, 1, 4294967295.0),
	G("ecmp", K_BOOL, ecmp, 0, 1),
	G("node_name", K_NAME, node_name, 0, 0),
	G("migrate_dir", K_STR, migrate_dir, 0, 0),
	G("max_moves", K_U32, max_moves, 1, 16),
	G("move_deadline", K_DOUBLE, move_deadline, 1, 86400),
	G("move_cooldown", K_DOUBLE, move_cooldown, 0, 86400),
	G("peer_interval", K_DOUBLE, peer_interval, 1, 86400),
	G("peer_max_age", K_DOUBLE, peer_max_age, 1, 86400),
	G("peer_timeout", K_DOUBLE, peer_timeout, 1, 600),
	G("move_on_kills", K_U32, move_on_kills, 0, 64),
	G("kill_window", K_DOUBLE, kill_window, 1, 86400 * 7),
	G("receive_max", K_U32, receive_max, 0, 64),
	D("serd_n", K_U32, serd_n, 1, 64),
	D("serd_t", K_DOUBLE, serd_t, 0.1, 86400 * 7),
	D("serd_quiet", K_DOUBLE, serd_quiet, 0.1, 86400 * 7),
	D("slow_factor", K_DOUBLE, slow.factor, 1.5, 1000),
	D("slow_floor_us", K_DOUBLE, slow.floor_us, 0, 60e6),
	D("slow_min_ios", K_U32, slow.min_ios, 1, 1000000),
	D("slow_learn", K_U32, slow.learn, 1, 100000),
	D("slow_raise", K_U32, slow.raise, 1, 1000),
	D("slow_clear", K_U32, slow.clear, 1, 1000),
	D("slow_acts", K_BOOL, slow_acts, 0, 1),
	D("scrub_interval", K_DOUBLE, scrub_interval, 0, 3650),
};

/* Letters, digits, _ . - and not starting with '-' (it may end up as an argument). */
static bool is_name(const char *v)
{
	return *v && *v != '-' && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789_.-") == strlen(v);
}

/*
 * An absolute path heald may hand to ssh, rsync or a peer's shell (always
 * quoted): no whitespace, quotes, or characters a shell would act on, and
 * no ".." component.
 */
static bool is_safe_path(const char *v)
{
	return v[0] == '/' && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789_./@+,:-") == strlen(v) &&
	       !strstr(v, "/../") && (strlen(v) < 3 || strcmp(v + strlen(v) - 3, "/.."));
}

/*
 * A libvirt URI heald hands to heal-vmmove (as one argument, never to a
 * shell): a qemu driver's ("qemu:///system", "qemu+libssh://root@h/system?
 * keyfile=..."), no whitespace, quotes or backslashes.
 */
static bool is_libvirt_uri(const char *v)
{
	return !strncmp(v, "qemu", 4) && strstr(v, "://") && strcspn(v, "://") <= 16 &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_./@+,:-?&=%[]~") == strlen(v);
}

static int set_value(const struct key *k, void *base, const char *v, char *why, size_t wlen)
{
	void *p = (char *)base + k->off;
	char *end;
	double d;

	switch (k->kind) {
	case K_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(bool *)p = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
			*(bool *)p = false;
		else
			return snprintf(why, wlen, "'%s' is not yes or no", v), -1;
		return 0;
	case K_TEXT:
		if (!*v || strlen(v) >= k->size)
			return snprintf(why, wlen, "needs 1 to %zu characters", k->size - 1), -1;
		strcpy(p, v);
		return 0;
	case K_ADDR: {
		unsigned char a[16];

		if (strlen(v) >= k->size || (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1))
			return snprintf(why, wlen, "'%s' is not an IPv4 or IPv6 address", v), -1;
		strcpy(p, v);
		return 0;
	}
	case K_NAME:
		if (!is_name(v) || strlen(v) >= k->size)
			return snprintf(why, wlen, "'%s' is not a name of 1 to %zu letters, digits, _ . -",
					v, k->size - 1), -1;
		strcpy(p, v);
		return 0;
	case K_STR:
		if (!*v || strlen(v) >= k->size)
			return snprintf(why, wlen, "needs 1 to %zu characters", k->size - 1), -1;
		if (v[0] != '/' && strcmp(k->name, "group"))
			return snprintf(why, wlen, "'%s' is not an absolute path", v), -1;
		strcpy(p, v);
		return 0;
	default:
		break;
	}
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d != d)
		return snprintf(why, wlen, "'%s' is not a number", v), -1;
	/* Range first: converting a double past int64's range is undefined (fuzz_config). */
	if (d < k->min || d > k->max)
		return snprintf(why, wlen, "%s is out of range %g..%g", v, k->min, k->max), -1;
	if (k->kind != K_DOUBLE && d != (double)(int64_t)d)
		return snprintf(why, wlen, "'%s' is not a whole number", v), -1;
	switch (k->kind) {
	case K_U32: *(uint32_t *)p = (uint32_t)d; break;
	case K_U16: *(uint16_t *)p = (uint16_t)d; break;
	case K_U64: *(uint64_t *)p = (uint64_t)d; break;
	case K_INT: *(int *)p = (int)d; break;
	default: *(double *)p = d; break;
	}
	return 0;
}

/*
 * "[KIND NAME]" (@s, trimmed): NAME into @name.  Its line must be the only
 * section of that kind and name: @names (stride @stride, @n of them)
 * holds the names so far, @lines where each started.
 */
static int section_name(const char *file, int lineno, const char *s, const char *kind,
			char *name, const char *names, size_t stride, const int *lines, size_t lstride,
			int n, int max, char *err, size_t errlen)
{
	size_t k = strlen(kind), len;
	const char *p = s + 1 + k;
	int i;

	len = strspn(p, " \t");
	p += len;
	if (!len || strncmp(s + 1, kind, k))
		goto bad;
	len = strcspn(p, " \t]");
	if (!len || len > 31)
		goto bad;
	memcpy(name, p, len);
	name[len] = '\0';
	p += len;
	p += strspn(p, " \t");
	if (strcmp(p, "]") || !is_name(name))
		goto bad;
	for (i = 0; i < n; i++)
		if (!strcmp(names + (size_t)i * stride, name)) {
			snprintf(err, errlen, "%s:%d: %s '%s' given twice (first at line %d)", file,
				 lineno, kind, name, *(const int *)((const char *)lines + (size_t)i * lstride));
			return -1;
		}
	if (n == max) {
		snprintf(err, errlen, "%s:%d: more than %d %ss", file, lineno, max, kind);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: bad section '%s': expected [%s NAME] (letters, digits, _ . -)",
		 file, lineno, s, kind);
	return -1;
}

static int parse_uplink_section(struct config *c, const char *file, int lineno, const char *s,
				char *err, size_t errlen)
{
	struct uplink_conf *u;
	char name[32];

	if (section_name(file, lineno, s, "uplink", name, c->uplink[0].name, sizeof(c->uplink[0]),
			 &c->uplink[0].line, sizeof(c->uplink[0]), c->nuplink, CONFIG_MAX_UPLINKS,
			 err, errlen))
		return -1;
	u = &c->uplink[c->nuplink++];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->priority = (uint32_t)c->nuplink;
	u->line = lineno;
	return 0;
}

/*
 * targets = ADDR...: hosts beyond the gateway, any one answering keeps the
 * uplink up; "default" is three public anycast resolvers run by three
 * different operators (Quad9, Cloudflare, Google), so that one of them
 * failing or filtering ICMP does not take an uplink down.
 */
static int uplink_targets(struct uplink_conf *u, const char *val, char *why, size_t wlen)
{
	char tok[64];
	struct in_addr a;
	struct in6_addr a6;
	const char *p;
	int n, i;

	u->ntargets = 0;
	/* Filled in once the gateway's family is known (check_uplinks()). */
	u->targets_default = !strcmp(val, "default");
	if (u->targets_default)
		return 0;
	for (p = val; sscanf(p, "%63s%n", tok, &n) == 1; p += n) {
		if (inet_pton(AF_INET, tok, &a) == 1) {
			if (!a.s_addr || IN_MULTICAST(ntohl(a.s_addr)) || a.s_addr == INADDR_BROADCAST)
				return snprintf(why, wlen, "targets: '%s' is not a unicast IPv4 address", tok), -1;
			/* Never answered through the uplink: the node itself, or no host. */
			if ((ntohl(a.s_addr) >> 24) == 127 || (ntohl(a.s_addr) >> 24) == 0)
				return snprintf(why, wlen, "targets: %s is not a host beyond a gateway", tok), -1;
			inet_ntop(AF_INET, &a, tok, sizeof(tok));
		} else if (inet_pton(AF_INET6, tok, &a6) == 1) {
			if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_MULTICAST(&a6) ||
			    IN6_IS_ADDR_LINKLOCAL(&a6) || IN6_IS_ADDR_V4MAPPED(&a6))
				return snprintf(why, wlen, "targets: %s is not a host beyond a gateway", tok), -1;
			inet_ntop(AF_INET6, &a6, tok, sizeof(tok));
		} else {
			return snprintf(why, wlen, "targets: '%s' is not a unicast IPv4 or IPv6 address", tok), -1;
		}
		for (i = 0; i < u->ntargets; i++)
			if (!strcmp(u->targets[i], tok))
				return snprintf(why, wlen, "targets: %s twice", tok), -1;
		if (u->ntargets == CONFIG_MAX_TARGETS)
			return snprintf(why, wlen, "targets: more than %d", CONFIG_MAX_TARGETS), -1;
		snprintf(u->targets[u->ntargets++], sizeof(u->targets[0]), "%.45s", tok);
	}
	if (!u->ntargets)
		return snprintf(why, wlen, "targets: none given (addresses, or default)"), -1;
	return 0;
}

static int uplink_key(struct uplink_conf *u, const char *key, const char *val, char *why, size_t wlen)
{
	struct in_addr a;
	char *end;
	unsigned long v;

	if (!strcmp(key, "interface")) {
		if (!*val || strlen(val) >= sizeof(u->ifname) || strpbrk(val, " /"))
			return snprintf(why, wlen, "interface: '%s' is not an interface name", val), -1;
		snprintf(u->ifname, sizeof(u->ifname), "%s", val);
	} else if (!strcmp(key, "gateway")) {
		struct in6_addr a6;

		/* Written as inet_ntop() writes it: FE80::1 and fe80::1 are one gateway. */
		if (inet_pton(AF_INET, val, &a) == 1) {
			u->family = AF_INET;
			inet_ntop(AF_INET, &a, u->gateway, sizeof(u->gateway));
		} else if (inet_pton(AF_INET6, val, &a6) == 1 && !IN6_IS_ADDR_MULTICAST(&a6) &&
			   !IN6_IS_ADDR_UNSPECIFIED(&a6) && !IN6_IS_ADDR_LOOPBACK(&a6)) {
			u->family = AF_INET6;
			inet_ntop(AF_INET6, &a6, u->gateway, sizeof(u->gateway));
		} else {
			return snprintf(why, wlen, "gateway: '%s' is not an IPv4 or IPv6 address", val), -1;
		}
	} else if (!strcmp(key, "priority")) {
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || !*val || *end || v > 1000)
			return snprintf(why, wlen, "priority: '%s' is not 0..1000", val), -1;
		u->priority = (uint32_t)v;
	} else if (!strcmp(key, "targets")) {
		return uplink_targets(u, val, why, wlen);
	} else {
		return snprintf(why, wlen, "unknown key '%s' (interface, gateway, priority, targets)", key), -1;
	}
	return 0;
}

/* A whole number 0..@max: 0, or -1. */
static int whole(const char *v, unsigned long max, uint32_t *out)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || !isdigit((unsigned char)*v) || *end || n > max)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int yes_no(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* Up to @max words of @v, each accepted by @ok, into @dst: 0, or -1. */
static int words(const char *v, bool (*ok)(const char *), int max, char *dst, size_t size)
{
	char copy[512], *w, *save = NULL;
	int n = 0;

	if (strlen(v) >= size || strlen(v) >= sizeof(copy))
		return -1;
	snprintf(copy, sizeof(copy), "%s", v);
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (!ok(w) || ++n > max)
			return -1;
	if (!n)
		return -1;
	snprintf(dst, size, "%s", v);
	return 0;
}

static int parse_workload_section(struct config *c, const char *file, int lineno, const char *s,
				  char *err, size_t errlen)
{
	struct workload_conf *w;
	char name[32];

	if (section_name(file, lineno, s, "workload", name, c->workload[0].name,
			 sizeof(c->workload[0]), &c->workload[0].line, sizeof(c->workload[0]),
			 c->nworkload, CONFIG_MAX_WORKLOADS, err, errlen))
		return -1;
	w = &c->workload[c->nworkload++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->kind = WL_KIND_NONE;
	/*
	 * On unless said otherwise: QEMU throttles the guest only when it
	 * dirties memory faster than the link copies it, and without it such a
	 * guest never leaves (pre-copy does not converge).
	 */
	w->auto_converge = true;
	w->line = lineno;
	return 0;
}

static int workload_key(struct workload_conf *w, const char *key, const char *val, char *why,
			size_t wlen)
{
	if (!strcmp(key, "cgroup")) {
		/* systemd escapes '-' in slice names as \x2d: a backslash is allowed here. */
		/*
		 * One spelling per cgroup: no "//" or trailing '/' (a kill in /a/b
		 * would never match "/a/b/"), and not the root: every process.
		 */
		if (val[0] != '/' || strlen(val) >= sizeof(w->cgroup) || strstr(val, "..") ||
		    strpbrk(val, " \t\"'$`;&|<>*?") || strstr(val, "//") || val[strlen(val) - 1] == '/')
			return snprintf(why, wlen, "cgroup: '%s' is not a cgroup path (\"/a/b\", under the cgroup2 mount)", val), -1;
		snprintf(w->cgroup, sizeof(w->cgroup), "%s", val);
	} else if (!strcmp(key, "unit")) {
		if (!*val || *val == '-' || strlen(val) >= sizeof(w->unit) || !strchr(val, '.') ||
		    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@\\-") != strlen(val))
			return snprintf(why, wlen, "unit: '%s' is not a systemd unit name (\"name.service\")", val), -1;
		snprintf(w->unit, sizeof(w->unit), "%s", val);
	} else if (!strcmp(key, "kind")) {
		if (!strcmp(val, "criu"))
			w->kind = WL_KIND_CRIU;
		else if (!strcmp(val, "hook"))
			w->kind = WL_KIND_HOOK;
		else if (!strcmp(val, "libvirt"))
			w->kind = WL_KIND_LIBVIRT;
		else if (!strcmp(val, "none"))
			w->kind = WL_KIND_NONE;
		else
			return snprintf(why, wlen, "kind: '%s' is not criu, libvirt, hook or none", val), -1;
	} else if (!strcmp(key, "domain")) {
		/* libvirt allows more; heald's names are what it passes around safely. */
		if (!is_name(val) || strlen(val) >= sizeof(w->domain))
			return snprintf(why, wlen, "domain: '%s' is not a domain name of 1 to %zu letters, digits, _ . -",
					val, sizeof(w->domain) - 1), -1;
		snprintf(w->domain, sizeof(w->domain), "%s", val);
	} else if (!strcmp(key, "uri")) {
		if (!is_libvirt_uri(val) || strlen(val) >= sizeof(w->uri))
			return snprintf(why, wlen, "uri: '%s' is not a libvirt URI of the QEMU driver (\"qemu:///system\")",
					val), -1;
		snprintf(w->uri, sizeof(w->uri), "%s", val);
	} else if (!strcmp(key, "auto_converge")) {
		if (yes_no(val, &w->auto_converge))
			return snprintf(why, wlen, "auto_converge: '%s' is not yes or no", val), -1;
		w->auto_converge_set = true;
	} else if (!strcmp(key, "priority")) {
		if (whole(val, 1000, &w->priority))
			return snprintf(why, wlen, "priority: '%s' is not 0..1000", val), -1;
	} else if (!strcmp(key, "opt_out") || !strcmp(key, "tcp_established")) {
		if (yes_no(val, !strcmp(key, "opt_out") ? &w->opt_out : &w->tcp_established))
			return snprintf(why, wlen, "%s: '%s' is not yes or no", key, val), -1;
	} else if (!strcmp(key, "hook")) {
		if (!is_safe_path(val) || strlen(val) >= sizeof(w->hook))
			return snprintf(why, wlen, "hook: '%s' is not an absolute path to a program", val), -1;
		snprintf(w->hook, sizeof(w->hook), "%s", val);
	} else if (!strcmp(key, "data")) {
		if (words(val, is_safe_path, 8, w->data, sizeof(w->data)))
			return snprintf(why, wlen, "data: '%s' is not up to 8 absolute paths", val), -1;
	} else if (!strcmp(key, "uplinks")) {
		if (words(val, is_name, CONFIG_MAX_UPLINKS, w->uplinks, sizeof(w->uplinks)))
			return snprintf(why, wlen, "uplinks: '%s' is not a list of uplink names", val), -1;
	} else if (!strcmp(key, "deadline")) {
		char *end;
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (errno || end == val || *end || !(d >= 1 && d <= 86400))
			return snprintf(why, wlen, "deadline: '%s' is not 1..86400 seconds", val), -1;
		w->deadline = d;
	} else {
		return snprintf(why, wlen, "unknown key '%s' (cgroup, unit, kind, priority, opt_out, hook, "
				"data, uplinks, tcp_established, deadline, domain, uri, auto_converge)", key), -1;
	}
	return 0;
}

static int parse_peer_section(struct config *c, const char *file, int lineno, const char *s,
			      char *err, size_t errlen)
{
	struct peer_conf *p;
	char name[32];

	if (section_name(file, lineno, s, "peer", name, c->peer[0].name, sizeof(c->peer[0]),
			 &c->peer[0].line, sizeof(c->peer[0]), c->npeer, CONFIG_MAX_PEERS, err, errlen))
		return -1;
	p = &c->peer[c->npeer++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->user, sizeof(p->user), "root");
	snprintf(p->healctl, sizeof(p->healctl), "healctl");
	p->capacity = 4;
	p->line = lineno;
	return 0;
}

static int peer_key(struct peer_conf *p, const char *key, const char *val, char *why, size_t wlen)
{
	uint32_t n;

	if (!strcmp(key, "address")) {
		/* A host name or an IPv4/IPv6 address: never an ssh option. */
		if (!*val || *val == '-' || strlen(val) >= sizeof(p->address) ||
		    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:-") != strlen(val))
			return snprintf(why, wlen, "address: '%s' is not a host name or address", val), -1;
		snprintf(p->address, sizeof(p->address), "%s", val);
	} else if (!strcmp(key, "user")) {
		if (!*val || strlen(val) >= sizeof(p->user) || !(islower((unsigned char)*val) || *val == '_') ||
		    strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(val))
			return snprintf(why, wlen, "user: '%s' is not a user name", val), -1;
		snprintf(p->user, sizeof(p->user), "%s", val);
	} else if (!strcmp(key, "port")) {
		if (whole(val, 65535, &n) || !n)
			return snprintf(why, wlen, "port: '%s' is not 1..65535", val), -1;
		p->port = (uint16_t)n;
	} else if (!strcmp(key, "identity") || !strcmp(key, "known_hosts")) {
		char *dst = !strcmp(key, "identity") ? p->identity : p->known_hosts;

		if (!is_safe_path(val) || strlen(val) >= sizeof(p->identity))
			return snprintf(why, wlen, "%s: '%s' is not an absolute path", key, val), -1;
		snprintf(dst, sizeof(p->identity), "%s", val);
	} else if (!strcmp(key, "healctl")) {
		if ((!is_safe_path(val) && !is_name(val)) || strlen(val) >= sizeof(p->healctl))
			return snprintf(why, wlen, "healctl: '%s' is not a program name or absolute path", val), -1;
		snprintf(p->healctl, sizeof(p->healctl), "%s", val);
	} else if (!strcmp(key, "socket")) {
		if (!is_safe_path(val) || strlen(val) >= sizeof(p->socket))
			return snprintf(why, wlen, "socket: '%s' is not an absolute path", val), -1;
		snprintf(p->socket, sizeof(p->socket), "%s", val);
	} else if (!strcmp(key, "capacity")) {
		if (whole(val, 64, &p->capacity))
			return snprintf(why, wlen, "capacity: '%s' is not 0..64", val), -1;
	} else if (!strcmp(key, "bwlimit")) {
		if (whole(val, 10000000, &p->bwlimit))
			return snprintf(why, wlen, "bwlimit: '%s' is not 0..10000000 KiB/s", val), -1;
	} else if (!strcmp(key, "libvirt_uri")) {
		/* The source's libvirtd opens it (peer to peer): it must reach the peer by itself. */
		if (!is_libvirt_uri(val) || strlen(val) >= sizeof(p->libvirt_uri) || !strncmp(val, "qemu:", 5))
			return snprintf(why, wlen, "libvirt_uri: '%s' is not a remote libvirt URI of the QEMU driver "
					"(\"qemu+libssh://root@HOST/system?keyfile=...\")", val), -1;
		snprintf(p->libvirt_uri, sizeof(p->libvirt_uri), "%s", val);
	} else {
		return snprintf(why, wlen, "unknown key '%s' (address, user, port, identity, known_hosts, "
				"healctl, socket, capacity, bwlimit, libvirt_uri)", key), -1;
	}
	return 0;
}

/* Each workload names one cgroup or unit, a hook when it needs one, uplinks that exist. */
static int check_workloads(const struct config *c, const char *file, char *err, size_t errlen)
{
	char copy[sizeof(c->workload[0].uplinks)], *u, *save;
	int i, j;

	for (i = 0; i < c->nworkload; i++) {
		const struct workload_conf *w = &c->workload[i];

		if (w->kind == WL_KIND_LIBVIRT) {
			if (!w->domain[0] || w->cgroup[0] || w->unit[0] || w->data[0]) {
				snprintf(err, errlen, "%s:%d: [workload %s] kind = libvirt needs a domain, "
					 "and no cgroup, unit or data (libvirt copies its disks)", file, w->line, w->name);
				return -EINVAL;
			}
		} else if (w->domain[0] || w->uri[0] || (w->auto_converge_set && w->auto_converge)) {
			snprintf(err, errlen, "%s:%d: [workload %s] domain, uri and auto_converge are for kind = libvirt",
				 file, w->line, w->name);
			return -EINVAL;
		} else if (!w->cgroup[0] == !w->unit[0]) {
			snprintf(err, errlen, "%s:%d: [workload %s] needs a cgroup or a unit (one of them)",
				 file, w->line, w->name);
			return -EINVAL;
		}
		if (w->kind == WL_KIND_HOOK && !w->hook[0]) {
			snprintf(err, errlen, "%s:%d: [workload %s] kind = hook needs a hook program",
				 file, w->line, w->name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if ((w->cgroup[0] && !strcmp(w->cgroup, c->workload[j].cgroup)) ||
			    (w->unit[0] && !strcmp(w->unit, c->workload[j].unit)) ||
			    (w->domain[0] && !strcmp(w->domain, c->workload[j].domain) &&
			     !strcmp(w->uri, c->workload[j].uri))) {
				snprintf(err, errlen, "%s:%d: [workload %s] is workload %s already", file,
					 w->line, w->name, c->workload[j].name);
				return -EINVAL;
			}
		/* One inside another: a kill in the inner would count for both, and both would move. */
		for (j = 0; j < c->nworkload && w->cgroup[0]; j++) {
			const char *o = c->workload[j].cgroup;
			size_t n = strlen(o);

			if (j != i && n && !strncmp(w->cgroup, o, n) && w->cgroup[n] == '/') {
				snprintf(err, errlen, "%s:%d: [workload %s] cgroup %s is inside workload %s's (%s)",
					 file, w->line, w->name, w->cgroup, c->workload[j].name, o);
				return -EINVAL;
			}
		}
		snprintf(copy, sizeof(copy), "%s", w->uplinks);
		save = NULL;
		for (u = strtok_r(copy, " \t", &save); u; u = strtok_r(NULL, " \t", &save)) {
			for (j = 0; j < c->nuplink && strcmp(c->uplink[j].name, u); j++)
				;
			if (j == c->nuplink) {
				snprintf(err, errlen, "%s:%d: [workload %s] uplink '%s' has no [uplink] section",
					 file, w->line, w->name, u);
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < c->npeer; i++)
		if (!c->peer[i].address[0]) {
			snprintf(err, errlen, "%s:%d: [peer %s] needs an address", file, c->peer[i].line,
				 c->peer[i].name);
			return -EINVAL;
		}
	return 0;
}

static bool link_local(const char *addr)
{
	struct in6_addr a6;

	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LINKLOCAL(&a6);
}

/* What the file alone can tell: each uplink complete, no interface or gateway twice. */
static int check_uplinks(struct config *c, const char *file, char *err, size_t errlen)
{
	static const char *const defaults[2] = {
		"9.9.9.9 1.1.1.1 8.8.8.8",
		"2620:fe::fe 2606:4700:4700::1111 2001:4860:4860::8888",
	};
	char why[200];
	int i, j;

	for (i = 0; i < c->nuplink; i++) {
		struct uplink_conf *u = &c->uplink[i];
		uint32_t t = c->target_table + (uint32_t)i;

		if (!u->ifname[0] || !u->gateway[0]) {
			snprintf(err, errlen, "%s:%d: [uplink %s] needs an interface and a gateway", file,
				 u->line, u->name);
			return -EINVAL;
		}
		if (u->targets_default && uplink_targets(u, defaults[u->family == AF_INET6], why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: [uplink %s] %s", file, u->line, u->name, why);
			return -EINVAL;
		}
		/* Its own table: not the routes' one, nor local, main or default. */
		if (u->ntargets && (t == c->route_table || (t >= 253 && t <= 255))) {
			snprintf(err, errlen, "%s:%d: [uplink %s] its targets would be routed by table %u "
				 "(target_table + %d), which is %s: choose another target_table", file,
				 u->line, u->name, t, i, t == c->route_table ? "route_table" : "a kernel table");
			return -EINVAL;
		}
		/* The gateway as a target would keep a gateway that forwards nothing up. */
		for (j = 0; j < u->ntargets; j++) {
			if ((strchr(u->targets[j], ':') != NULL) != (u->family == AF_INET6)) {
				snprintf(err, errlen, "%s:%d: [uplink %s] targets: %s is not of its gateway's family "
					 "(%s)", file, u->line, u->name, u->targets[j],
					 u->family == AF_INET6 ? "IPv6" : "IPv4");
				return -EINVAL;
			}
			if (!strcmp(u->targets[j], u->gateway)) {
				snprintf(err, errlen, "%s:%d: [uplink %s] targets: %s is its gateway: "
					 "targets are hosts beyond it", file, u->line, u->name, u->gateway);
				return -EINVAL;
			}
		}
		for (j = 0; j < i; j++) {
			/* One interface may carry an IPv4 and an IPv6 uplink: one of each. */
			if (!strcmp(c->uplink[j].ifname, u->ifname) && c->uplink[j].family == u->family) {
				snprintf(err, errlen, "%s:%d: [uplink %s] interface %s is uplink %s's already",
					 file, u->line, u->name, u->ifname, c->uplink[j].name);
				return -EINVAL;
			}
			/* A link-local gateway (fe80::1) is one per link: the same on two links is two. */
			if (!strcmp(c->uplink[j].gateway, u->gateway) &&
			    (!link_local(u->gateway) || !strcmp(c->uplink[j].ifname, u->ifname))) {
				snprintf(err, errlen, "%s:%d: [uplink %s] gateway %s is uplink %s's already",
					 file, u->line, u->name, u->gateway, c->uplink[j].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int config_parse(struct config *c, const char *file, const char *text, char *err, size_t errlen)
{
	struct device_conf *dev = NULL;
	struct uplink_conf *up = NULL;
	struct workload_conf *wl = NULL;
	struct peer_conf *peer = NULL;
	char line[512], why[256];
	const char *p = text, *nl;
	int lineno = 0;
	size_t i;
	bool arr = false;	/* in an [array NAME] section */

	while (*p) {
		char *s, *eq, *key, *val, *hash;
		size_t len;

		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu characters", file, lineno,
				 sizeof(line) - 1);
			return -EINVAL;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = hb_trim(line);
		if (!*s)
			continue;
		/* Any section ends an [array] one; keys below go to the array only while in it. */
		if (*s == '[')
			arr = false;
		if (!strncmp(s, "[array", 6) && isspace((unsigned char)s[6])) {
			if (hb_array_section(&c->arrays, s, lineno, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: %s", file, lineno, why);
				return -EINVAL;
			}
			arr = true;
			up = NULL;
			dev = NULL;
			wl = NULL;
			peer = NULL;
			continue;
		}
		if (!strncmp(s, "[uplink", 7)) {
			if (parse_uplink_section(c, file, lineno, s, err, errlen))
				return -EINVAL;
			up = &c->uplink[c->nuplink - 1];
			dev = NULL;
			wl = NULL;
			peer = NULL;
			continue;
		}
		if (!strncmp(s, "[workload", 9)) {
			if (parse_workload_section(c, file, lineno, s, err, errlen))
				return -EINVAL;
			wl = &c->workload[c->nworkload - 1];
			dev = NULL;
			up = NULL;
			peer = NULL;
			continue;
		}
		if (!strncmp(s, "[peer", 5)) {
			if (parse_peer_section(c, file, lineno, s, err, errlen))
				return -EINVAL;
			peer = &c->peer[c->npeer - 1];
			dev = NULL;
			up = NULL;
			wl = NULL;
			continue;
		}
		if (*s == '[') {
			char name[32];
			char extra;

			if (sscanf(s, "[device %31[^] \t] %c", name, &extra) != 2 || extra != ']' ||
			    strncmp(name, "healblk", 7) || !name[7] ||
			    strspn(name + 7, "0123456789") != strlen(name + 7)) {
				snprintf(err, errlen, "%s:%d: bad section '%s': expected [device healblkN], [array NAME], "
					 "[uplink NAME], [workload NAME] or [peer NAME]",
					 file, lineno, s);
				return -EINVAL;
			}
			for (i = 0; i < (size_t)c->ndev; i++)
				if (!strcmp(c->dev[i].name, name)) {
					snprintf(err, errlen, "%s:%d: section [device %s] given twice",
						 file, lineno, name);
					return -EINVAL;
				}
			if (c->ndev == CONFIG_MAX_DEVICES) {
				snprintf(err, errlen, "%s:%d: more than %d device sections", file,
					 lineno, CONFIG_MAX_DEVICES);
				return -EINVAL;
			}
			up = NULL;
			wl = NULL;
			peer = NULL;
			dev = &c->dev[c->ndev++];
			snprintf(dev->name, sizeof(dev->name), "%s", name);
			dev->disk = c->disk;	/* what was set above the section */
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value', got '%s'", file, lineno, s);
			return -EINVAL;
		}
		*eq = '\0';
		key = hb_trim(s);
		val = hb_trim(eq + 1);
		if (arr || !strcmp(key, "auto_assemble")) {
			if (!arr && (dev || up || wl || peer)) {
				snprintf(err, errlen, "%s:%d: '%s' is a global key: put it above the first section",
					 file, lineno, key);
				return -EINVAL;
			}
			if (arr ? hb_array_key(&c->arrays, key, val, why, sizeof(why)) :
				  hb_auto_parse(val, &c->arrays.autoasm, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: %s%s%s", file, lineno, arr ? "" : key,
					 arr ? "" : ": ", why);
				return -EINVAL;
			}
			continue;
		}
		if (up) {
			if (uplink_key(up, key, val, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: [uplink %s] %s", file, lineno, up->name, why);
				return -EINVAL;
			}
			continue;
		}
		if (wl || peer) {
			if (wl ? workload_key(wl, key, val, why, sizeof(why)) :
			    peer_key(peer, key, val, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: [%s %s] %s", file, lineno, wl ? "workload" : "peer",
					 wl ? wl->name : peer->name, why);
				return -EINVAL;
			}
			continue;
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].name, key))
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", file, lineno, key);
			return -EINVAL;
		}
		if (dev && !keys[i].disk) {
			snprintf(err, errlen, "%s:%d: '%s' is a global key: put it above the first section",
				 file, lineno, key);
			return -EINVAL;
		}
		if (set_value(&keys[i], keys[i].disk ? (void *)(dev ? &dev->disk : &c->disk) : (void *)c,
			      val, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s: %s", file, lineno, key, why);
			return -EINVAL;
		}
	}
	if (hb_arrays_check(&c->arrays, file, err, errlen))
		return -EINVAL;
	if (check_uplinks(c, file, err, errlen))
		return -EINVAL;
	return check_workloads(c, file, err, errlen);
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	FILE *f;
	long n;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot read", path);
		fclose(f);
		return -EIO;
	}
	if (n > 1 << 20) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		fclose(f);
		return -EFBIG;
	}
	text = calloc(1, (size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: cannot read", path);
		free(text);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (strlen(text) != (size_t)n) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	ret = config_parse(c, path, text, err, errlen);
	free(text);
	return ret;
}

const struct disk_conf *config_disk(const struct config *c, const char *name)
{
	int i;

	for (i = 0; i < c->ndev; i++)
		if (!strcmp(c->dev[i].name, name))
			return &c->dev[i].disk;
	return &c->disk;
}
