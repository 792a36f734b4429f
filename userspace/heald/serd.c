// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "serd.h"

void serd_init(struct serd *s, uint32_t n, double t, double quiet)
{
	memset(s, 0, sizeof(*s));
	s->n = n < 1 ? 1 : n > SERD_MAX_N ? SERD_MAX_N : n;
	s->t = t > 0 ? t : 1;
	s->quiet = quiet > 0 ? quiet : s->t;
}

void serd_reset(struct serd *s)
{
	serd_init(s, s->n, s->t, s->quiet);
}

uint32_t serd_in_window(const struct serd *s, double now)
{
	uint32_t i, in = 0;

	for (i = 0; i < s->count; i++)
		if (now - s->times[i] <= s->t)
			in++;
	return in;
}

bool serd_record(struct serd *s, double now)
{
	s->times[s->head] = now;
	s->head = (s->head + 1) % s->n;
	if (s->count < s->n)
		s->count++;
	s->total++;
	s->last = now;
	if (s->fired)
		return false;
	/* The ring holds the last n events: the oldest decides. */
	if (s->count == s->n && serd_in_window(s, now) == s->n) {
		s->fired = true;
		s->fired_at = now;
		return true;
	}
	return false;
}

bool serd_tick(struct serd *s, double now)
{
	if (!s->fired || now - s->last < s->quiet)
		return false;
	s->fired = false;
	s->count = 0;
	s->head = 0;
	return true;
}
