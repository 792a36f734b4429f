// SPDX-License-Identifier: GPL-2.0
/*
 * What heald says to heal-vmmove and reads back from it, apart from the
 * children that run it (libvirt.c): pure, unit-tested in
 * tests/unit/test_migrate.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "libvirt.h"

#define VM_DEFAULT_URI "qemu:///system"

const char *vm_uri(const struct workload_conf *c)
{
	return c->uri[0] ? c->uri : VM_DEFAULT_URI;
}

void vm_peer_uri(const struct peer_conf *p, char *buf, size_t len)
{
	size_t o;

	if (p->libvirt_uri[0]) {
		snprintf(buf, len, "%s", p->libvirt_uri);
		return;
	}
	o = (size_t)snprintf(buf, len, strchr(p->address, ':') ? "qemu+libssh://%s@[%s]" :
			     "qemu+libssh://%s@%s", p->user, p->address);
	if (p->port && o < len)
		o += (size_t)snprintf(buf + o, len - o, ":%u", p->port);
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "/system?known_hosts_verify=normal");
	/* config.c allows nothing in these paths a URI would need escaped. */
	if (p->identity[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, "&sshauth=privkey&keyfile=%s", p->identity);
	if (p->known_hosts[0] && o < len)
		snprintf(buf + o, len - o, "&known_hosts=%s", p->known_hosts);
}

void vm_outcome_fields(struct json_object *vm, struct json_object *e)
{
	static const char *const keep[] = { "outcome", "error", "aborted", "source_state", "dest_state",
					    "flags", "job_left" };
	struct json_object *st = NULL, *v, *lv = json_object_new_object();
	size_t i;

	/* The guest's downtime as libvirt measured it (the pause at the switch-over). */
	if (json_object_object_get_ex(vm, "stats", &st) && st &&
	    json_object_object_get_ex(st, "downtime_ms", &v))
		json_object_object_add(e, "downtime_s", json_object_new_double(json_object_get_int64(v) / 1e3));
	if (st && json_object_object_get_ex(st, "data_processed", &v))
		json_object_object_add(e, "bytes", json_object_new_int64(json_object_get_int64(v)));
	/* The disks' size, which the mirror copied (libvirt 9.0's completed job counts memory only). */
	if (json_object_object_get_ex(vm, "disk_bytes", &v))
		json_object_object_add(e, "disk_bytes", json_object_new_int64(json_object_get_int64(v)));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_object_get_ex(vm, keep[i], &v))
			json_object_object_add(lv, keep[i], json_object_get(v));
	if (json_object_object_get_ex(vm, "total_s", &v))
		json_object_object_add(lv, "migrate_s", json_object_get(v));
	if (st)
		json_object_object_add(lv, "job", json_object_get(st));
	if (json_object_object_get_ex(vm, "last_progress", &v))
		json_object_object_add(lv, "last_progress", json_object_get(v));
	json_object_object_add(e, "libvirt", lv);
}

/*
 * heal-vmmove's outcome says the domain runs here, and libvirt's job is
 * over.  With the job left to libvirtd (job_left: its abort hung), a
 * domain "running" here may still be switched over to the peer: that is
 * what a live migration looks like from its source until the end.
 */
bool vm_said_running_here(struct json_object *vm)
{
	struct json_object *v;

	return vm && json_object_object_get_ex(vm, "event", &v) &&
	       !strcmp(json_object_get_string(v), "outcome") &&
	       json_object_object_get_ex(vm, "source_state", &v) &&
	       !strcmp(json_object_get_string(v), "running") &&
	       !(json_object_object_get_ex(vm, "job_left", &v) && json_object_get_boolean(v));
}

/* heal-vmmove's outcome says it left libvirt's job open (its abort hung). */
bool vm_job_left(struct json_object *vm)
{
	struct json_object *v;

	return vm && json_object_object_get_ex(vm, "job_left", &v) && json_object_get_boolean(v);
}

struct json_object *vm_last_line(const char *out)
{
	const char *end = out + strlen(out), *b;
	struct json_object *o;
	char *line;

	/* Read while it runs: a line not yet ended is not there yet. */
	while (end > out && end[-1] != '\n')
		end--;
	while (end > out && end[-1] == '\n')
		end--;
	for (b = end; b > out && b[-1] != '\n'; b--)
		;
	if (b == end || !(line = strndup(b, (size_t)(end - b))))
		return NULL;
	o = json_tokener_parse(line);
	free(line);
	return o;
}
