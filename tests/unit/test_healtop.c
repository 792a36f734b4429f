// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of healtop's pure helpers (tui/meter.h): history rings,
 * sparkline levels, progress bars, durations, and the split of the screen
 * between panels that keeps every panel inside an 80x24 terminal.
 */
#include <string.h>
#include "kselftest_harness.h"
#include "../../tui/meter.h"

const char *hb_prog = "test";

TEST(hist_ring)
{
	struct hist h = { 0 };
	int i;

	EXPECT_EQ(0, hist_get(&h, 0));
	for (i = 1; i <= HIST_LEN + 5; i++)
		hist_push(&h, i);
	EXPECT_EQ(HIST_LEN, h.n);
	EXPECT_EQ(HIST_LEN + 5, hist_get(&h, 0));	/* newest */
	EXPECT_EQ(HIST_LEN + 4, hist_get(&h, 1));
	EXPECT_EQ(6, hist_get(&h, HIST_LEN - 1));	/* oldest kept */
	EXPECT_EQ(0, hist_get(&h, HIST_LEN));		/* past what is held */
	EXPECT_EQ(0, hist_get(&h, -1));
	EXPECT_EQ(HIST_LEN + 5, hist_max(&h, 10));
	EXPECT_EQ(HIST_LEN + 5, hist_max(&h, 1000));
}

TEST(spark_levels)
{
	EXPECT_EQ(0, spark_level(0, 100, 9));
	EXPECT_EQ(0, spark_level(5, 0, 9));		/* no scale: flat */
	EXPECT_EQ(8, spark_level(100, 100, 9));
	EXPECT_EQ(8, spark_level(150, 100, 9));
	EXPECT_EQ(4, spark_level(50, 100, 9));
	/* One slow I/O in a quiet minute still shows. */
	EXPECT_EQ(1, spark_level(0.1, 100, 9));
	EXPECT_EQ(0, spark_level(-3, 100, 9));
}

TEST(progress)
{
	char buf[32];

	progress_bar(buf, sizeof(buf), 45, 100, 10);
	EXPECT_STREQ("[####......]", buf);
	progress_bar(buf, sizeof(buf), 0, 0, 4);
	EXPECT_STREQ("[....]", buf);
	progress_bar(buf, sizeof(buf), 200, 100, 4);
	EXPECT_STREQ("[####]", buf);
	progress_bar(buf, 5, 1, 2, 10);			/* does not fit: empty */
	EXPECT_STREQ("", buf);
}

/* heald's numbers are JSON doubles: no value of them is undefined behaviour here. */
TEST(numbers_out_of_range)
{
	char buf[32];

	progress_bar(buf, sizeof(buf), 1e300, 1e-300, 4);
	EXPECT_STREQ("[####]", buf);
	progress_bar(buf, sizeof(buf), 0.0 / 0.0, 1, 4);
	EXPECT_STREQ("[....]", buf);
	EXPECT_EQ(0, spark_level(0.0 / 0.0, 100, 9));
	EXPECT_EQ(0, spark_level(1, 0.0 / 0.0, 9));
	EXPECT_EQ(0, num_clamp(0.0 / 0.0, 0, 10));
	EXPECT_EQ(10, num_clamp(1e300, 0, 10));
	EXPECT_EQ(0, num_clamp(-1e300, 0, 10));
}

TEST(durations)
{
	char buf[16];

	fmt_dur(buf, sizeof(buf), 45);
	EXPECT_STREQ("45s", buf);
	fmt_dur(buf, sizeof(buf), 187);
	EXPECT_STREQ("3m07s", buf);
	fmt_dur(buf, sizeof(buf), 7500);
	EXPECT_STREQ("2h05m", buf);
	fmt_dur(buf, sizeof(buf), 3 * 86400 + 4 * 3600);
	EXPECT_STREQ("3d04h", buf);
	fmt_dur(buf, sizeof(buf), -1);
	EXPECT_STREQ("0s", buf);
	fmt_dur(buf, sizeof(buf), 1e12);		/* capped, never overflows */
	EXPECT_STREQ("9999d23h", buf);
	fmt_us(buf, sizeof(buf), 850);
	EXPECT_STREQ("850us", buf);
	fmt_us(buf, sizeof(buf), 12345);
	EXPECT_STREQ("12.3ms", buf);
	fmt_us(buf, sizeof(buf), 1200000);
	EXPECT_STREQ("1.20s", buf);
}

/* 80x24: 21 rows between the header (2) and the footer (1). */
TEST(layout_80x24)
{
	int want[4] = { 50, 3, 2, 7 }, min[4] = { 2, 2, 2, 3 }, out[4];

	EXPECT_EQ(21, layout_split(21, 4, want, min, out));
	EXPECT_EQ(3, out[1]);			/* small panels get all they want */
	EXPECT_EQ(2, out[2]);
	EXPECT_EQ(7, out[3]);
	EXPECT_EQ(9, out[0]);			/* the long one the rest */
}

TEST(layout_short_lists)
{
	int want[4] = { 4, 2, 2, 7 }, min[4] = { 2, 2, 2, 3 }, out[4];

	EXPECT_EQ(40, layout_split(40, 4, want, min, out));
	EXPECT_EQ(4, out[0]);
	EXPECT_EQ(32, out[3]);			/* what is left: the last panel */
}

TEST(layout_too_small)
{
	int want[4] = { 10, 3, 2, 7 }, min[4] = { 2, 2, 2, 3 }, out[4];

	/* 5 rows: the first two panels fit, the others are hidden, none overflows. */
	EXPECT_EQ(5, layout_split(5, 4, want, min, out));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(2, out[1]);
	EXPECT_EQ(0, out[2]);
	EXPECT_EQ(0, out[3]);
	EXPECT_EQ(0, layout_split(0, 4, want, min, out));
}

/* A panel with nothing to show (Workloads without [workload]/[peer]): min 0, no room. */
TEST(layout_hidden_panel)
{
	int want[5] = { 50, 3, 2, 0, 7 }, min[5] = { 2, 2, 2, 0, 3 }, out[5];

	EXPECT_EQ(21, layout_split(21, 5, want, min, out));
	EXPECT_EQ(0, out[3]);
	EXPECT_EQ(3, out[1]);
	EXPECT_EQ(7, out[4]);
	EXPECT_EQ(9, out[0]);			/* as with four panels */
	/* Shown (w, or workloads to list): its rows come off the longest panels. */
	want[3] = 4;
	min[3] = 2;
	EXPECT_EQ(21, layout_split(21, 5, want, min, out));
	EXPECT_EQ(4, out[3]);
	EXPECT_EQ(6, out[0]);
	EXPECT_EQ(6, out[4]);
}

TEST(scrolling)
{
	EXPECT_EQ(0, scroll_top(0, 3, 5, 20));
	EXPECT_EQ(6, scroll_top(0, 10, 5, 20));	/* selection at the bottom row */
	EXPECT_EQ(2, scroll_top(6, 2, 5, 20));	/* moved above: to the top row */
	EXPECT_EQ(15, scroll_top(18, 19, 5, 20));
	EXPECT_EQ(0, scroll_top(4, 1, 5, 3));	/* fewer rows than room */
	EXPECT_EQ(0, scroll_top(3, 0, 0, 10));
}

TEST_HARNESS_MAIN
