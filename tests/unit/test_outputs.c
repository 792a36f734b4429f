// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of what heal writes for others to read: label values in
 * Prometheus' text format, text for a terminal (lib/hb_text.c), and
 * heald's histograms and state sets (heald/prom.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "../../userspace/lib/hb_text.h"
#include "prom.h"

const char *hb_prog = "test";

TEST(prom_label_escapes)
{
	char buf[64];

	EXPECT_STREQ("plain-name_0.9", hb_prom_label(buf, sizeof(buf), "plain-name_0.9"));
	EXPECT_STREQ("q\\\"x\\\\y", hb_prom_label(buf, sizeof(buf), "q\"x\\y"));
	EXPECT_STREQ("system-systemd\\\\x2dfsck.slice",
		     hb_prom_label(buf, sizeof(buf), "system-systemd\\x2dfsck.slice"));
	EXPECT_STREQ("a\\nb", hb_prom_label(buf, sizeof(buf), "a\nb"));
	/* UTF-8 passes; a stray byte has no escape in the format: U+FFFD. */
	EXPECT_STREQ("d\xc3\xa9j\xc3\xa0", hb_prom_label(buf, sizeof(buf), "d\xc3\xa9j\xc3\xa0"));
	EXPECT_STREQ("a\xef\xbf\xbd" "b", hb_prom_label(buf, sizeof(buf), "a\xff" "b"));
	/* An overlong "/": two bytes of no character, two replacements. */
	EXPECT_STREQ("\xef\xbf\xbd\xef\xbf\xbd", hb_prom_label(buf, sizeof(buf), "\xc0\xaf"));
	/* Cut whole: never half an escape, which would eat the closing quote. */
	EXPECT_STREQ("ab", hb_prom_label(buf, 4, "ab\"c"));
	EXPECT_STREQ("ab\\\"", hb_prom_label(buf, 5, "ab\"c"));
	EXPECT_STREQ("", hb_prom_label(buf, 1, "\\"));
}

TEST(prom_label_worst_case_fits)
{
	char src[161], dst[3 * 160 + 1];
	size_t i;

	for (i = 0; i < 160; i++)
		src[i] = i % 2 ? '"' : '\xff';
	src[160] = '\0';
	hb_prom_label(dst, sizeof(dst), src);
	EXPECT_EQ(80 * 3 + 80 * 2, strlen(dst));
}

TEST(term_safe)
{
	char buf[64];

	EXPECT_STREQ("eth0", hb_term_safe(buf, sizeof(buf), "eth0"));
	EXPECT_STREQ("t\\x1b[31mX", hb_term_safe(buf, sizeof(buf), "t\e[31mX"));
	EXPECT_STREQ("a\\x0ab\\x07\\x7f", hb_term_safe(buf, sizeof(buf), "a\nb\a\x7f"));
	/* C1 controls (CSI is U+009B) and bytes of no character. */
	EXPECT_STREQ("\\xc2\\x9b" "2J", hb_term_safe(buf, sizeof(buf), "\xc2\x9b" "2J"));
	EXPECT_STREQ("\\x9b" "2J", hb_term_safe(buf, sizeof(buf), "\x9b" "2J"));
	EXPECT_STREQ("\\xe2\\x82", hb_term_safe(buf, sizeof(buf), "\xe2\x82"));	/* cut short */
	EXPECT_STREQ("\xe2\x82\xac \xf0\x9f\x92\xbe \\", hb_term_safe(buf, sizeof(buf),
		     "\xe2\x82\xac \xf0\x9f\x92\xbe \\"));
	EXPECT_STREQ("ab", hb_term_safe(buf, 5, "ab\ec"));	/* "\x1b" does not fit whole */
	EXPECT_STREQ("a", hb_term_safe(buf, 4, "a\xe2\x82\xac"));
}

TEST(utf8_seq)
{
	uint32_t cp;

	EXPECT_EQ(1, hb_utf8_seq((const unsigned char *)"A", &cp));
	EXPECT_EQ(2, hb_utf8_seq((const unsigned char *)"\xc3\xa9", &cp));
	EXPECT_EQ(0xe9, cp);
	EXPECT_EQ(0, hb_utf8_seq((const unsigned char *)"\xed\xa0\x80", &cp));	/* surrogate */
	EXPECT_EQ(0, hb_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", &cp)); /* > 10FFFF */
	EXPECT_EQ(0, hb_utf8_seq((const unsigned char *)"\x80", &cp));
}

static void put_mem(void *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(b, fmt, ap);
	va_end(ap);
}

TEST(histogram_log2us)
{
	uint64_t slots[5] = { 1, 0, 2, 0, 3 };	/* 0-2 us, 4-8 us, above 16 us */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ASSERT_NE(NULL, f);
	prom_histogram_log2us(put_mem, f, "lat_seconds", "disk=\"sda\"", slots, 5);
	fclose(f);
	EXPECT_STREQ("lat_seconds_bucket{disk=\"sda\",le=\"2e-06\"} 1\n"
		     "lat_seconds_bucket{disk=\"sda\",le=\"4e-06\"} 1\n"
		     "lat_seconds_bucket{disk=\"sda\",le=\"8e-06\"} 3\n"
		     "lat_seconds_bucket{disk=\"sda\",le=\"1.6e-05\"} 3\n"
		     "lat_seconds_bucket{disk=\"sda\",le=\"+Inf\"} 6\n"
		     /* 1 x 1 us + 2 x 6 us + 3 x 24 us */
		     "lat_seconds_sum{disk=\"sda\"} 0.000085\n"
		     "lat_seconds_count{disk=\"sda\"} 6\n", text);
	free(text);
}

TEST(state_set_has_every_value)
{
	static const char *const v[] = { "in_sync", "failed", "missing" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ASSERT_NE(NULL, f);
	prom_state_set(put_mem, f, "leg_state", "device=\"d\",leg=\"1\"", "state", v, 3, 1);
	/* A state out of range (a newer kernel's): every series 0, none missing. */
	prom_state_set(put_mem, f, "leg_state", "device=\"d\",leg=\"2\"", "state", v, 3, 7);
	fclose(f);
	EXPECT_STREQ("leg_state{device=\"d\",leg=\"1\",state=\"in_sync\"} 0\n"
		     "leg_state{device=\"d\",leg=\"1\",state=\"failed\"} 1\n"
		     "leg_state{device=\"d\",leg=\"1\",state=\"missing\"} 0\n"
		     "leg_state{device=\"d\",leg=\"2\",state=\"in_sync\"} 0\n"
		     "leg_state{device=\"d\",leg=\"2\",state=\"failed\"} 0\n"
		     "leg_state{device=\"d\",leg=\"2\",state=\"missing\"} 0\n", text);
	free(text);
}

TEST_HARNESS_MAIN
