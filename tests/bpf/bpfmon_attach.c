// SPDX-License-Identifier: GPL-2.0
/*
 * bpfmon-attach: attach heal's eBPF monitors and keep them attached until
 * SIGINT/SIGTERM (or -t seconds), printing kills and I/O errors as they come
 * and the counters at the end.  For the benchmark (scripts/bench/bpf.sh) and
 * for looking at a node by hand.
 *   bpfmon-attach [-p io,net,proc] [-t seconds] [-q]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "bpfmon.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void status_cb(void *ctx, const char *prog, int attached, const char *why)
{
	(void)ctx;
	printf("prog %s %s%s%s\n", prog, attached ? "attached" : "FAILED",
	       attached ? "" : ": ", why);
}

static void io_error_cb(void *ctx, const struct bpfmon_io_error *e)
{
	(void)ctx;
	printf("io_error %u:%u %s sector %llu +%u errno %d (%s) blk_status %d\n",
	       e->major, e->minor, bpfmon_op_name(e->op), (unsigned long long)e->sector,
	       e->nr_sectors, e->err, strerror(e->err), e->blk_status);
}

static void kill_cb(void *ctx, const struct bpfmon_kill *k)
{
	(void)ctx;
	printf("kill %s pid %d comm %s cgroup %llu sig %d%s\n", k->oom ? "oom" : "crash",
	       (int)k->pid, k->comm, (unsigned long long)k->cgroup_id, k->sig,
	       k->core_dumped ? " core" : "");
}

static void disk_cb(void *ctx, const struct bpfmon_disk *d)
{
	(void)ctx;
	printf("disk %u:%u %s count %llu bytes %llu errors %llu p50 %.0fus p99 %.0fus\n",
	       d->major, d->minor, bpfmon_op_name(d->op), (unsigned long long)d->count,
	       (unsigned long long)d->bytes, (unsigned long long)d->errors,
	       bpfmon_hist_pct(d->hist, BPFMON_HIST_SLOTS, 50),
	       bpfmon_hist_pct(d->hist, BPFMON_HIST_SLOTS, 99));
}

static void retrans_cb(void *ctx, const struct bpfmon_retrans *r)
{
	char addr[INET6_ADDRSTRLEN];

	(void)ctx;
	inet_ntop(r->family, r->addr, addr, sizeof(addr));
	printf("retrans netns %u ifindex %d peer %s count %llu\n", r->netns, r->ifindex,
	       addr, (unsigned long long)r->count);
}

static void drop_cb(void *ctx, const struct bpfmon_drop *d)
{
	(void)ctx;
	printf("drop netns %u ifindex %d reason %s count %llu\n", d->netns, d->ifindex,
	       d->reason_name, (unsigned long long)d->count);
}

static void cgroup_cb(void *ctx, const struct bpfmon_cgroup *c)
{
	(void)ctx;
	printf("cgroup %llu oom %llu", (unsigned long long)c->cgroup_id,
	       (unsigned long long)c->oom_kills);
	for (int s = 0; s < BPFMON_NSIG; s++)
		if (c->crashes[s])
			printf(" sig%d %llu", s, (unsigned long long)c->crashes[s]);
	printf("\n");
}

static unsigned int parse_parts(const char *s)
{
	unsigned int parts = 0;

	if (strstr(s, "io"))
		parts |= BPFMON_IO;
	if (strstr(s, "net"))
		parts |= BPFMON_NET;
	if (strstr(s, "proc"))
		parts |= BPFMON_PROC;
	return parts;
}

int main(int argc, char **argv)
{
	const struct bpfmon_handlers h = { .io_error = io_error_cb, .kill = kill_cb };
	unsigned int parts = BPFMON_ALL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec start, now;
	int opt, quiet = 0, secs = 0;
	struct bpfmon *m;
	char err[512];

	while ((opt = getopt(argc, argv, "p:t:q")) != -1) {
		switch (opt) {
		case 'p':
			parts = parse_parts(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-p io,net,proc] [-t seconds] [-q]\n", argv[0]);
			return 2;
		}
	}
	if (!parts) {
		fprintf(stderr, "-p: none of io, net, proc\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	m = bpfmon_open_only(parts, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "bpfmon: %s\n", err);
		return 1;
	}
	bpfmon_status(m, status_cb, NULL);
	printf("ready\n");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop) {
		struct pollfd pfd = { .fd = bpfmon_fd(m), .events = POLLIN };

		if (pfd.fd >= 0 ? poll(&pfd, 1, 200) > 0 : usleep(200000) == 0)
			bpfmon_consume(m, quiet ? NULL : &h, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (secs && now.tv_sec - start.tv_sec >= secs)
			break;
		fflush(stdout);
	}
	bpfmon_consume(m, quiet ? NULL : &h, NULL);
	if (!quiet) {
		bpfmon_disks(m, disk_cb, NULL);
		bpfmon_net(m, retrans_cb, drop_cb, NULL);
		bpfmon_procs(m, cgroup_cb, NULL);
	}
	bpfmon_close(m);
	return 0;
}
