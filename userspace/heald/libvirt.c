// SPDX-License-Identifier: GPL-2.0
/*
 * kind = libvirt workloads: a libvirt domain (QEMU driver) and the disks
 * under it.  heald never calls libvirt itself: a call waits on libvirtd,
 * or on a peer's over the network, and the loop must not.  Everything
 * goes through heal-vmmove (heal-vmmove.c, installed beside heald), a
 * child of the loop (child.c) like ssh and criu:
 *
 *   inventory  every 5 s, `heal-vmmove inventory`: the domain's state,
 *              memory and disk sources; each source's block device (a
 *              file's st_dev, a device's st_rdev) goes down the same
 *              holder chain as a cgroup workload's files (workload.c), so
 *              the policy's "failing with no redundancy" applies to VMs;
 *   move       `heal-vmmove move`: libvirt's live migration, peer to peer,
 *              disks copied; act_workload.c runs it between the peer
 *              heald's receive begin and end, as a CRIU move's restore.
 *
 * The peer's libvirt is reached by the source's libvirtd (peer to peer):
 * libvirt_uri, or qemu+libssh with the peer's ssh user, key and known
 * hosts (libvirt's ssh transport takes no known_hosts file; libssh's
 * does).  The guest's memory and disks go to tcp://ADDRESS, the address
 * heald reaches the peer at.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "child.h"
#include "heald.h"
#include "libvirt.h"

#define VM_INVENTORY_TIMEOUT 20.0	/* seconds an inventory may take */
/*
 * Seconds between asks: each is a process and a connection to libvirtd,
 * and a domain's disks rarely change; its devices' health is looked at
 * every tick all the same (workload.c).
 */
#define VM_INVENTORY_INTERVAL 5.0

/* heal-vmmove beside heald's own binary (make install and the .deb put them together). */
static const char *vmmove_path(void)
{
	static char path[PATH_MAX];
	char *slash;
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("/heal-vmmove"));
	if (n <= 0 || !(slash = memrchr(path, '/', (size_t)n))) {
		snprintf(path, sizeof(path), "heal-vmmove");
		return path;
	}
	strcpy(slash, "/heal-vmmove");
	return path;
}

/* What libvirt said of the domain: state, memory, and its disks mapped to block devices. */
static void vm_take(struct wl_track *w, struct json_object *o)
{
	struct json_object *v, *disks;
	size_t i;

	w->vm_error[0] = '\0';
	w->vm_state[0] = '\0';
	w->nvm_disks = 0;
	w->ndevs = 0;
	w->nmounts = 0;
	w->mem_bytes = 0;
	if (json_object_object_get_ex(o, "error", &v))
		snprintf(w->vm_error, sizeof(w->vm_error), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "state", &v))
		snprintf(w->vm_state, sizeof(w->vm_state), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "memory_bytes", &v))
		w->mem_bytes = (uint64_t)json_object_get_int64(v);
	/* qemu is its one process here: the policy moves what is present. */
	w->nprocs = json_object_object_get_ex(o, "active", &v) && json_object_get_boolean(v);
	w->ntrees = w->nprocs;
	if (!json_object_object_get_ex(o, "disks", &disks) || !json_object_is_type(disks, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(disks) && w->nvm_disks < WL_MAX_DEVS; i++) {
		const char *path = json_object_get_string(json_object_array_get_idx(disks, i));
		struct stat st;

		if (!path)
			continue;
		snprintf(w->vm_disks[w->nvm_disks++], sizeof(w->vm_disks[0]), "%s", path);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISBLK(st.st_mode))
			wl_dev_add(w, st.st_rdev, 0, false);
		else
			wl_dev_add(w, st.st_dev, getpid(), true);
	}
}

static void vm_inventoried(struct heald *h, struct child *c, void *ctx)
{
	struct wl_track *w = ctx;
	struct json_object *o = vm_last_line(child_out(c, NULL));
	char res[256];

	(void)h;
	w->vm_asking = false;
	/*
	 * A move began meanwhile (under way, or already over: it may end
	 * before an inventory does): what it finds counts, not this.  Else a
	 * domain seen running here before it left would be "here again".
	 */
	if (w->move || w->vm_asked_gen != w->move_starts) {
		json_object_put(o);
		return;
	}
	if (!child_ok(c) || !o) {
		child_result(c, res, sizeof(res));
		snprintf(w->vm_error, sizeof(w->vm_error), "heal-vmmove inventory: %.130s", res);
		json_object_put(o);
		return;
	}
	vm_take(w, o);
	json_object_put(o);
	/* Moved: a domain running here again is a new start here. */
	if (w->state == WL_MOVED)
		w->state = w->nprocs ? WL_HERE : WL_MOVED;
	else if (w->state != WL_MOVING)
		w->state = w->nprocs ? WL_HERE : WL_ABSENT;
}

void vm_inventory(struct heald *h, struct wl_track *w)
{
	char *argv[] = { "heal-vmmove", "inventory", "--uri", (char *)vm_uri(w->conf), "--domain",
			 (char *)w->conf->domain, NULL };
	char what[64], err[256];

	if (w->vm_asking || w->move ||
	    (w->vm_asked_at && now_mono() - w->vm_asked_at < VM_INVENTORY_INTERVAL))
		return;
	snprintf(what, sizeof(what), "%s: inventory", w->conf->name);
	argv[0] = (char *)vmmove_path();
	w->vm_asked_at = now_mono();
	w->vm_asked_gen = w->move_starts;
	/* A node without VMs has no libvirt: heal-vmmove is a package of its own. */
	if (access(argv[0], X_OK)) {
		snprintf(w->vm_error, sizeof(w->vm_error),
			 "%.80s: %s (Debian: the heal-libvirt package)", argv[0], strerror(errno));
		return;
	}
	if (!peer_run(h, what, argv, VM_INVENTORY_TIMEOUT, vm_inventoried, w, err, sizeof(err))) {
		snprintf(w->vm_error, sizeof(w->vm_error), "%.159s", err);
		return;
	}
	w->vm_asking = true;
}

void vm_status(const struct wl_track *w, struct json_object *o)
{
	struct json_object *a = json_object_new_array();
	int i;

	json_object_object_add(o, "domain", json_object_new_string(w->conf->domain));
	json_object_object_add(o, "uri", json_object_new_string(vm_uri(w->conf)));
	json_object_object_add(o, "domain_state", json_object_new_string(
		w->vm_state[0] ? w->vm_state : "not defined here"));
	for (i = 0; i < w->nvm_disks; i++)
		json_object_array_add(a, json_object_new_string(w->vm_disks[i]));
	json_object_object_add(o, "disks", a);
	if (w->vm_error[0])
		json_object_object_add(o, "libvirt_error", json_object_new_string(w->vm_error));
}

void vm_move_argv(const struct wl_track *w, const struct peer_conf *p, double deadline,
		  struct argv_buf *a)
{
	char dest[512];

	vm_peer_uri(p, dest, sizeof(dest));
	memset(a, 0, sizeof(*a));
	argv_add(a, "%s", vmmove_path());
	argv_add(a, "move");
	argv_add(a, "--uri");
	argv_add(a, "%s", vm_uri(w->conf));
	argv_add(a, "--domain");
	argv_add(a, "%s", w->conf->domain);
	argv_add(a, "--dest");
	argv_add(a, "%s", dest);
	argv_add(a, "--migrate-uri");
	argv_add(a, strchr(p->address, ':') ? "tcp://[%s]" : "tcp://%s", p->address);
	argv_add(a, "--deadline");
	argv_add(a, "%.0f", deadline < 1 ? 1 : deadline);
	if (w->conf->auto_converge)
		argv_add(a, "--auto-converge");
	/* bwlimit is KiB/s (rsync's); libvirt's bandwidth is MiB/s, rounded up. */
	if (p->bwlimit) {
		argv_add(a, "--bandwidth");
		argv_add(a, "%u", (p->bwlimit + 1023) / 1024);
	}
}

