/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kind = libvirt workloads: the pure parts (libvirt_text.c) of what heald
 * hands to heal-vmmove and reads back; the rest is in heald.h (libvirt.c).
 */
#ifndef HEALD_LIBVIRT_H
#define HEALD_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

struct json_object;

/* @c's local libvirt: its uri, or qemu:///system. */
const char *vm_uri(const struct workload_conf *c);
/* @p's libvirt as the source's libvirtd reaches it: libvirt_uri, or one built from its ssh keys. */
void vm_peer_uri(const struct peer_conf *p, char *buf, size_t len);
/*
 * heal-vmmove's outcome line @vm into outcome entry @e: downtime_s,
 * bytes (memory), disk_bytes, and libvirt's own figures.
 */
void vm_outcome_fields(struct json_object *vm, struct json_object *e);
/*
 * heal-vmmove's last line @vm is its outcome and says the domain runs
 * here: false when it ended without one (killed at heald's deadline).
 */
bool vm_said_running_here(struct json_object *vm);
bool vm_job_left(struct json_object *vm);
/* The last complete line of JSON heal-vmmove printed (@out), parsed: NULL if none. */
struct json_object *vm_last_line(const char *out);

#endif
