/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the bpfmon tests (test_*.c).  Everything a test makes
 * is named heal-bpft*, so that tests/bpf/run.sh can sweep what a test killed
 * by the harness's timeout (no teardown then) left behind.
 */
#ifndef HEAL_BPFT_COMMON_H
#define HEAL_BPFT_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "bpfmon.h"

#define MAX_EVENTS	64

/* Runs a shell command; returns its exit status (-1: could not run it). */
__attribute__((format(printf, 1, 2)))
static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Events gathered by bpfmon_consume(). */
struct events {
	struct bpfmon_io_error io[MAX_EVENTS];
	int nio;
	struct bpfmon_kill kill[MAX_EVENTS];
	int nkill;
};

static inline void on_io_error(void *ctx, const struct bpfmon_io_error *e)
{
	struct events *ev = ctx;

	if (ev->nio < MAX_EVENTS)
		ev->io[ev->nio++] = *e;
}

static inline void on_kill(void *ctx, const struct bpfmon_kill *k)
{
	struct events *ev = ctx;

	if (ev->nkill < MAX_EVENTS)
		ev->kill[ev->nkill++] = *k;
}

static const struct bpfmon_handlers handlers __attribute__((unused)) = {
	.io_error = on_io_error,
	.kill = on_kill,
};

#endif /* HEAL_BPFT_COMMON_H */
