/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of heald's Prometheus output that are more than one line: the
 * latency histograms and the state sets.  Pure (no I/O): metrics.c feeds
 * them its buffer, the unit tests a memory stream.
 */
#ifndef HEALD_PROM_H
#define HEALD_PROM_H

#include <stdint.h>

typedef void (*prom_put_fn)(void *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * iomon's log2 slots as a histogram in seconds: slot i counts [2^i, 2^(i+1))
 * us (slot 0 from 0, the last slot everything above), so bucket le is
 * 2^(i+1) us and the last slot is only in +Inf.  @labels ("disk=\"sda\"",
 * escaped already) go before le.  _sum is an estimate (1.5 x each slot's
 * lower bound, 1 us for slot 0): iomon keeps no exact sum.
 */
void prom_histogram_log2us(prom_put_fn put, void *b, const char *name, const char *labels,
			   const uint64_t *slots, int nslots);

/*
 * One series per value in @values (every one, always, so that no series
 * comes and goes when a state changes): @name{@labels,@label="value"} 1
 * for values[@cur], 0 for the others.
 */
void prom_state_set(prom_put_fn put, void *b, const char *name, const char *labels,
		    const char *label, const char *const *values, int n, int cur);

#endif
