// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

void config_default(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "/run/heald/heald.sock");
	snprintf(c->journal, sizeof(c->journal), "/var/lib/heald/journal.jsonl");
	c->journal_max_bytes = 4 << 20;
	c->journal_keep = 4;
	snprintf(c->group, sizeof(c->group), "heal");
	c->metrics_port = 9577;
	c->poll_ms = 1000;
	c->cooldown = 300;
	c->max_actions_per_hour = 6;
	c->manage_spares = true;
	c->bpf = true;
	/* ZED's io SERD: 10 errors in 10 minutes. */
	c->disk.serd_n = 10;
	c->disk.serd_t = 600;
	c->disk.serd_quiet = 600;
	slow_params_default(&c->disk.slow);
	c->disk.slow_acts = false;
	c->probe_interval_ms = 100;
	c->probe_multiplier = 3;
	c->hold_down = 10;
	c->hold_down_max = 300;
	snprintf(c->routes, sizeof(c->routes), "default");
	c->route_metric = 0;
	c->route_table = 254;	/* main */
	c->ecmp = false;
}

enum kind { K_BOOL, K_U32, K_U16, K_U64, K_INT, K_DOUBLE, K_STR, K_TEXT };

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
	G("metrics_port", K_U16, metrics_port, 0, 65535),
	G("poll_ms", K_U32, poll_ms, 50, 60000),
	G("cooldown", K_DOUBLE, cooldown, 0, 86400),
	G("max_actions_per_hour", K_U32, max_actions_per_hour, 0, 10000),
	G("manage_spares", K_BOOL, manage_spares, 0, 1),
	G("bpf", K_BOOL, bpf, 0, 1),
	G("probe_interval_ms", K_U32, probe_interval_ms, 10, 10000),
	G("probe_multiplier", K_U32, probe_multiplier, 1, 100),
	G("hold_down", K_DOUBLE, hold_down, 0, 86400),
	G("hold_down_max", K_DOUBLE, hold_down_max, 0, 86400),
	G("routes", K_TEXT, routes, 0, 0),
	G("route_metric", K_U32, route_metric, 0, 65535),
	G("route_table", K_U32, route_table, 1, 4294967295.0),
	G("ecmp", K_BOOL, ecmp, 0, 1),
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
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
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
	if (k->kind != K_DOUBLE && d != (double)(int64_t)d)
		return snprintf(why, wlen, "'%s' is not a whole number", v), -1;
	if (d < k->min || d > k->max)
		return snprintf(why, wlen, "%s is out of range %g..%g", v, k->min, k->max), -1;
	switch (k->kind) {
	case K_U32: *(uint32_t *)p = (uint32_t)d; break;
	case K_U16: *(uint16_t *)p = (uint16_t)d; break;
	case K_U64: *(uint64_t *)p = (uint64_t)d; break;
	case K_INT: *(int *)p = (int)d; break;
	default: *(double *)p = d; break;
	}
	return 0;
}

static int parse_uplink_section(struct config *c, const char *file, int lineno, const char *s,
				char *err, size_t errlen)
{
	struct uplink_conf *u;
	char name[32], extra;
	int i;

	if (sscanf(s, "[uplink %31[A-Za-z0-9_.-] %c", name, &extra) != 2 || extra != ']') {
		snprintf(err, errlen, "%s:%d: bad section '%s': expected [uplink NAME] (letters, digits, _ . -)",
			 file, lineno, s);
		return -1;
	}
	for (i = 0; i < c->nuplink; i++)
		if (!strcmp(c->uplink[i].name, name)) {
			snprintf(err, errlen, "%s:%d: uplink '%s' given twice (first at line %d)", file,
				 lineno, name, c->uplink[i].line);
			return -1;
		}
	if (c->nuplink == CONFIG_MAX_UPLINKS) {
		snprintf(err, errlen, "%s:%d: more than %d uplinks", file, lineno, CONFIG_MAX_UPLINKS);
		return -1;
	}
	u = &c->uplink[c->nuplink++];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->priority = (uint32_t)c->nuplink;
	u->line = lineno;
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
		if (inet_pton(AF_INET, val, &a) != 1)
			return snprintf(why, wlen, "gateway: '%s' is not an IPv4 address", val), -1;
		snprintf(u->gateway, sizeof(u->gateway), "%s", val);
	} else if (!strcmp(key, "priority")) {
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || !*val || *end || v > 1000)
			return snprintf(why, wlen, "priority: '%s' is not 0..1000", val), -1;
		u->priority = (uint32_t)v;
	} else {
		return snprintf(why, wlen, "unknown key '%s' (interface, gateway, priority)", key), -1;
	}
	return 0;
}

/* What the file alone can tell: each uplink complete, no interface or gateway twice. */
static int check_uplinks(const struct config *c, const char *file, char *err, size_t errlen)
{
	int i, j;

	for (i = 0; i < c->nuplink; i++) {
		const struct uplink_conf *u = &c->uplink[i];

		if (!u->ifname[0] || !u->gateway[0]) {
			snprintf(err, errlen, "%s:%d: [uplink %s] needs an interface and a gateway", file,
				 u->line, u->name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(c->uplink[j].ifname, u->ifname)) {
				snprintf(err, errlen, "%s:%d: [uplink %s] interface %s is uplink %s's already",
					 file, u->line, u->name, u->ifname, c->uplink[j].name);
				return -EINVAL;
			}
			if (!strcmp(c->uplink[j].gateway, u->gateway)) {
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
	char line[512], why[160];
	const char *p = text, *nl;
	int lineno = 0;
	size_t i;

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
		s = trim(line);
		if (!*s)
			continue;
		if (!strncmp(s, "[uplink", 7)) {
			if (parse_uplink_section(c, file, lineno, s, err, errlen))
				return -EINVAL;
			up = &c->uplink[c->nuplink - 1];
			dev = NULL;
			continue;
		}
		if (*s == '[') {
			char name[32];
			char extra;

			if (sscanf(s, "[device %31[^] \t] %c", name, &extra) != 2 || extra != ']' ||
			    strncmp(name, "healblk", 7) || !name[7] ||
			    strspn(name + 7, "0123456789") != strlen(name + 7)) {
				snprintf(err, errlen, "%s:%d: bad section '%s': expected [device healblkN]",
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
		key = trim(s);
		val = trim(eq + 1);
		if (up) {
			if (uplink_key(up, key, val, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: [uplink %s] %s", file, lineno, up->name, why);
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
	return check_uplinks(c, file, err, errlen);
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
