/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Slow-disk detection against each disk's own baseline.  Every interval
 * the caller hands in that interval's p99 latency and I/O count; the
 * baseline is an EWMA of the p99 of normal intervals.  An interval whose
 * p99 is above factor x baseline (and above an absolute floor, so a
 * 30 us disk going to 200 us is not called slow) is an outlier; `raise`
 * outliers in a row raise the alarm, `clear` normal intervals in a row
 * clear it.  Outliers never feed the baseline, so a disk that turns slow
 * cannot teach itself that slow is normal.  Pure.
 */
#ifndef HEALD_SLOW_H
#define HEALD_SLOW_H

#include <stdbool.h>
#include <stdint.h>

struct slow_params {
	double factor;		/* outlier: p99 > factor x baseline */
	double floor_us;	/* ... and p99 > floor_us */
	uint32_t min_ios;	/* intervals with fewer I/Os say nothing */
	uint32_t learn;		/* intervals before the baseline is trusted */
	uint32_t raise, clear;	/* consecutive intervals to raise / clear */
	double alpha;		/* EWMA weight of a new normal interval */
};

struct slow {
	double baseline_us;
	uint32_t learned, outliers, normals;
	bool alarm;
	double last_p99;
};

enum slow_change { SLOW_SAME, SLOW_RAISED, SLOW_CLEARED };

void slow_params_default(struct slow_params *p);
enum slow_change slow_update(struct slow *s, const struct slow_params *p,
			     double p99_us, uint64_t ios);

#endif
