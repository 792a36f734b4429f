/* SPDX-License-Identifier: GPL-2.0 */
/* Wall-clock time as heal writes it: RFC 3339 in UTC, and nanoseconds. */
#ifndef HB_TIME_H
#define HB_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME now. */
struct timespec hb_wall_now(void);
/* Nanoseconds since the epoch. */
int64_t hb_ts_ns(const struct timespec *ts);
/*
 * "2026-12-02T03:59:01.123Z" with @digits (0, 3, 6 or 9) of the second's
 * fraction, into @buf of at least 40 bytes.  Returns @buf.
 */
const char *hb_rfc3339(char *buf, size_t len, const struct timespec *ts, int digits);
/* The seconds since the epoch of such a string (any number of digits), or -1. */
double hb_rfc3339_parse(const char *s);

#endif
