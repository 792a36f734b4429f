// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "hb_time.h"

struct timespec hb_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

int64_t hb_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

const char *hb_rfc3339(char *buf, size_t len, const struct timespec *ts, int digits)
{
	static const long div[] = { 1000000000, 1000000, 1000, 1 };
	struct tm tm;
	int n, k = digits >= 9 ? 3 : digits >= 6 ? 2 : digits >= 3 ? 1 : 0;

	gmtime_r(&ts->tv_sec, &tm);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (k)
		snprintf(buf + n, len - (size_t)n, ".%0*ldZ", k * 3, ts->tv_nsec / div[k]);
	else
		snprintf(buf + n, len - (size_t)n, "Z");
	return buf;
}

double hb_rfc3339_parse(const char *s)
{
	struct tm tm;
	double frac = 0, scale = 0.1;
	const char *p;
	time_t t;
	int used = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 19)
		return -1;
	p = s + used;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (strcmp(p, "Z") || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return t < 0 ? -1 : (double)t + frac;
}
