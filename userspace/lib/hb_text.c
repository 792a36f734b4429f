// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "hb_text.h"

size_t hb_utf8_seq(const unsigned char *s, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	/* A NUL ends the string before any continuation byte can be missed. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Append @n bytes of @p if they fit whole with the NUL: false when full. */
static int add(char *dst, size_t len, size_t *o, const char *p, size_t n)
{
	if (*o + n >= len)
		return 0;
	memcpy(dst + *o, p, n);
	*o += n;
	return 1;
}

char *hb_term_safe(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n;
	uint32_t cp;
	char hex[8];

	if (!len)
		return dst;
	while (*s) {
		n = hb_utf8_seq(s, &cp);
		if (!n || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			/* A C1 control arrives as two bytes: both shown. */
			size_t k, m = n ? n : 1;
			int ok = 1;

			for (k = 0; k < m && ok; k++) {
				snprintf(hex, sizeof(hex), "\\x%02x", s[k]);
				ok = add(dst, len, &o, hex, 4);
			}
			if (!ok)
				break;
			s += m;
			continue;
		}
		if (!add(dst, len, &o, (const char *)s, n))
			break;
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

char *hb_prom_label(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n;
	uint32_t cp;
	int ok;

	if (!len)
		return dst;
	for (ok = 1; *s && ok; s += n ? n : 1) {
		n = hb_utf8_seq(s, &cp);
		if (!n)
			ok = add(dst, len, &o, "\xef\xbf\xbd", 3);
		else if (*s == '\\')
			ok = add(dst, len, &o, "\\\\", 2);
		else if (*s == '"')
			ok = add(dst, len, &o, "\\\"", 2);
		else if (*s == '\n')
			ok = add(dst, len, &o, "\\n", 2);
		else
			ok = add(dst, len, &o, (const char *)s, n);
	}
	dst[o] = '\0';
	return dst;
}
