/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names heald did not choose (interface names, cgroup paths, disk names,
 * reasons from the kernel) on their way out: to a terminal, where an escape
 * sequence would be obeyed, and into Prometheus' text format, where a quote
 * or a backslash would end or break a label value.
 */
#ifndef HB_TEXT_H
#define HB_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at @s (1 to 4, its code point in
 * *@cp), or 0 for a byte that starts none (stray, overlong, surrogate,
 * past U+10FFFF, cut short).
 */
size_t hb_utf8_seq(const unsigned char *s, uint32_t *cp);

/*
 * @src for a terminal: C0 controls, DEL, C1 controls and bytes of no valid
 * UTF-8 sequence become "\xNN" (so ESC is "\x1b", shown, not obeyed);
 * backslash stays as it is.  Cut at @len - 1 bytes, never inside an escape
 * or a character.  Returns @dst.
 */
char *hb_term_safe(char *dst, size_t len, const char *src);

/*
 * @src as a Prometheus label value (text format 0.0.4): \ " and newline
 * escaped as \\ \" \n, and bytes of no valid UTF-8 sequence (which the
 * format has no escape for) replaced by U+FFFD.  Cut as hb_term_safe.
 * A buffer of 3 * strlen(src) + 1 bytes always holds the whole of it.
 */
char *hb_prom_label(char *dst, size_t len, const char *src);

#endif
