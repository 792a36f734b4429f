/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsing of command-line values: pure functions, unit-tested. */
#ifndef HB_PARSE_H
#define HB_PARSE_H

#include <stdint.h>

/* A decimal number with nothing after it: 0, or -EINVAL / -ERANGE. */
int hb_parse_u64(const char *s, uint64_t *out);
int hb_parse_u32(const char *s, uint32_t max, uint32_t *out);
/* "healblkN", "/dev/healblkN" or "N": 0, or -EINVAL. */
int hb_parse_dev_index(const char *s, uint32_t *index);

/* @s without its leading and trailing white space (cut in place). */
char *hb_trim(char *s);

#endif
