// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration parser: the input is a heald.conf.  config_parse()
 * either accepts it, and every value is then within the range its key
 * allows, or rejects it with a message naming the file and line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[512], *text = malloc(size + 1);
	int i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* config_load() reads a file into a string the same way */
	config_default(&c);
	memset(err, 0, sizeof(err));
	if (config_parse(&c, "fuzz.conf", text, err, sizeof(err))) {
		if (strncmp(err, "fuzz.conf", 9))
			abort();	/* a message without its file */
	} else {
		if (c.poll_ms < 50 || c.poll_ms > 60000 || c.journal_keep < 0 || c.journal_keep > 100 ||
		    c.ndev < 0 || c.ndev > CONFIG_MAX_DEVICES || c.nuplink < 0 ||
		    c.nuplink > CONFIG_MAX_UPLINKS || c.max_clients_per_user < 1 ||
		    !memchr(c.socket, '\0', sizeof(c.socket)) || !memchr(c.group, '\0', sizeof(c.group)))
			abort();
		if (c.nworkload < 0 || c.nworkload > CONFIG_MAX_WORKLOADS || c.npeer < 0 ||
		    c.npeer > CONFIG_MAX_PEERS || c.max_moves < 1)
			abort();
		/*
		 * Every workload one cgroup or unit, or (libvirt) one domain and
		 * neither; a hook when it needs one; every peer an address.
		 */
		for (i = 0; i < c.nworkload; i++) {
			const struct workload_conf *w = &c.workload[i];

			if (w->kind == WL_KIND_LIBVIRT ?
			    !w->domain[0] || w->cgroup[0] || w->unit[0] :
			    w->domain[0] || !w->cgroup[0] == !w->unit[0])
				abort();
			if (w->kind == WL_KIND_HOOK && w->hook[0] != '/')
				abort();
		}
		for (i = 0; i < c.npeer; i++)
			if (!c.peer[i].address[0] || c.peer[i].address[0] == '-')
				abort();
		for (i = -1; i < c.ndev; i++) {
			const struct disk_conf *d = i < 0 ? &c.disk : &c.dev[i].disk;

			if (d->serd_n < 1 || d->serd_n > 64 || !(d->serd_t >= 0.1))
				abort();
		}
	}
	free(text);
	return 0;
}
