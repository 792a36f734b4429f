// SPDX-License-Identifier: GPL-2.0
#include "slow.h"

void slow_params_default(struct slow_params *p)
{
	/*
	 * A healthy disk's p99 moves by 2-3x with load; a dying one that
	 * retries internally goes 10x and more.  5x over 3 intervals of 1 s
	 * keeps a busy-but-fine disk quiet.
	 */
	p->factor = 5.0;
	p->floor_us = 20000;
	p->min_ios = 8;
	p->learn = 10;
	p->raise = 3;
	p->clear = 5;
	p->alpha = 0.1;
}

enum slow_change slow_update(struct slow *s, const struct slow_params *p,
			     double p99_us, uint64_t ios)
{
	bool outlier;

	if (ios < p->min_ios)
		return SLOW_SAME;
	s->last_p99 = p99_us;
	if (s->learned < p->learn) {
		/* Plain mean while learning, then the EWMA takes over. */
		s->baseline_us = (s->baseline_us * s->learned + p99_us) / (s->learned + 1);
		s->learned++;
		return SLOW_SAME;
	}
	outlier = p99_us > p->factor * s->baseline_us && p99_us > p->floor_us;
	if (outlier) {
		s->normals = 0;
		s->outliers++;
		if (!s->alarm && s->outliers >= p->raise) {
			s->alarm = true;
			return SLOW_RAISED;
		}
		return SLOW_SAME;
	}
	s->outliers = 0;
	s->baseline_us += p->alpha * (p99_us - s->baseline_us);
	if (s->alarm && ++s->normals >= p->clear) {
		s->alarm = false;
		s->normals = 0;
		return SLOW_CLEARED;
	}
	return SLOW_SAME;
}
