// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hb_parse.h"

int hb_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int hb_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int ret = hb_parse_u64(s, &v);

	if (ret)
		return ret;
	if (v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int hb_parse_dev_index(const char *s, uint32_t *index)
{
	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (!strncmp(s, "healblk", 7))
		s += 7;
	return hb_parse_u32(s, UINT32_MAX, index) ? -EINVAL : 0;
}

/* @s without its leading and trailing white space (cut in place). */
char *hb_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}
