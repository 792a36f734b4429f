/* SPDX-License-Identifier: GPL-2.0 */
/*
 * healtop's pure helpers: history rings, sparkline levels, progress bars,
 * durations and the split of the screen between panels.  No ncurses and no
 * I/O here, and everything is static inline, so that tests/unit/test_healtop.c
 * includes this header alone (userspace/Makefile links no tui/ source into
 * unit tests).
 */
#ifndef HEALTOP_METER_H
#define HEALTOP_METER_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Three minutes at the default 1 s refresh: as wide as a 200-column sparkline wants. */
#define HIST_LEN 180

struct hist {
	double v[HIST_LEN];
	int head;	/* next slot to write */
	int n;		/* samples held, <= HIST_LEN */
};

static inline void hist_push(struct hist *h, double v)
{
	h->v[h->head] = v;
	h->head = (h->head + 1) % HIST_LEN;
	if (h->n < HIST_LEN)
		h->n++;
}

/* The @i-th newest sample (0: the last pushed); 0 past what is held. */
static inline double hist_get(const struct hist *h, int i)
{
	if (i < 0 || i >= h->n)
		return 0;
	return h->v[(h->head - 1 - i + HIST_LEN) % HIST_LEN];
}

/* The largest of the newest @n samples. */
static inline double hist_max(const struct hist *h, int n)
{
	double m = 0;
	int i;

	for (i = 0; i < n && i < h->n; i++)
		if (hist_get(h, i) > m)
			m = hist_get(h, i);
	return m;
}

/*
 * The sparkline level 0..@levels-1 of @v on a scale from 0 to @max.  Any
 * sample above zero shows at least level 1: a single slow I/O in a quiet
 * minute is what an operator looks for, and must not round away.
 */
static inline int spark_level(double v, double max, int levels)
{
	int l;

	if (levels < 2 || !(v > 0) || !(max > 0))
		return 0;
	if (v >= max)
		return levels - 1;
	l = (int)(v / max * (levels - 1) + 0.5);
	return l < 1 ? 1 : l;
}

/*
 * @v within [@lo, @hi], NaN as @lo: heald's numbers arrive as JSON doubles,
 * and converting one outside the target type's range is undefined.
 */
static inline double num_clamp(double v, double lo, double hi)
{
	return v >= lo ? (v <= hi ? v : hi) : lo;
}

/*
 * A progress bar of @width cells (plus the brackets) for @pos of @total:
 * "[#####.....]".  @buf gets at most @width + 3 bytes.
 */
static inline void progress_bar(char *buf, size_t len, double pos, double total, int width)
{
	int fill, i;
	size_t o = 0;

	if (!len)
		return;
	if (width < 1 || len < (size_t)width + 3) {
		buf[0] = '\0';
		return;
	}
	fill = total > 0 ? (int)num_clamp(pos / total * width, 0, width) : 0;
	buf[o++] = '[';
	for (i = 0; i < width; i++)
		buf[o++] = i < fill ? '#' : '.';
	buf[o++] = ']';
	buf[o] = '\0';
}

/* "850us", "12.3ms", "1.20s": latencies in at most 6 characters. */
static inline void fmt_us(char *buf, size_t len, double us)
{
	if (us < 0)
		us = 0;
	if (us < 1000)
		snprintf(buf, len, "%.0fus", us);
	else if (us < 100000)
		snprintf(buf, len, "%.1fms", us / 1000);
	else if (us < 1000000)
		snprintf(buf, len, "%.0fms", us / 1000);
	else
		snprintf(buf, len, "%.2fs", us / 1e6);
}

/* "45s", "3m07s", "2h05m", "3d04h": durations and ETAs, up to 9999 days. */
static inline void fmt_dur(char *buf, size_t len, double s)
{
	unsigned long t = s > 0 ? (s < 863999999 ? (unsigned long)(s + 0.5) : 863999999) : 0;

	if (t < 60)
		snprintf(buf, len, "%us", (unsigned int)(t % 60));
	else if (t < 3600)
		snprintf(buf, len, "%um%02us", (unsigned int)(t / 60 % 60), (unsigned int)(t % 60));
	else if (t < 86400)
		snprintf(buf, len, "%uh%02um", (unsigned int)(t / 3600 % 24), (unsigned int)(t % 3600 / 60));
	else
		snprintf(buf, len, "%ud%02uh", (unsigned int)(t / 86400 % 10000),
			 (unsigned int)(t % 86400 / 3600));
}

/*
 * Split @total rows between @n stacked panels.  Each gets at least min[i]
 * (its title and a row) while they fit; then each grows towards want[i]
 * in turn, one row at a time, so that a long panel cannot starve the
 * others; what is left goes to the last panel (the log, which is never too
 * long).  Returns the rows used, which is @total unless the screen is too
 * small for every minimum, when the panels that do not fit get 0.
 */
static inline int layout_split(int total, int n, const int *want, const int *min, int *out)
{
	int used = 0, i, grew;

	for (i = 0; i < n; i++) {
		out[i] = used + min[i] <= total ? min[i] : 0;
		used += out[i];
	}
	do {
		grew = 0;
		for (i = 0; i < n && used < total; i++) {
			if (out[i] && out[i] < want[i]) {
				out[i]++;
				used++;
				grew = 1;
			}
		}
	} while (grew && used < total);
	if (n && out[n - 1] && used < total) {
		out[n - 1] += total - used;
		used = total;
	}
	return used;
}

/* The first row to show so that @sel is visible in @rows rows after @top. */
static inline int scroll_top(int top, int sel, int rows, int count)
{
	if (rows < 1)
		return 0;
	if (sel < top)
		top = sel;
	if (sel >= top + rows)
		top = sel - rows + 1;
	if (top > count - rows)
		top = count - rows;
	return top < 0 ? 0 : top;
}

#endif
