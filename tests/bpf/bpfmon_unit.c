// SPDX-License-Identifier: GPL-2.0
/* bpfmon's pure helpers: no root, no BPF.  Built with ASan and UBSan. */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "bpfmon.h"

TEST(hist_pct_empty)
{
	uint64_t h[BPFMON_HIST_SLOTS] = { 0 };

	EXPECT_EQ(0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 50));
	EXPECT_EQ(0, bpfmon_hist_pct(NULL, BPFMON_HIST_SLOTS, 50));
	EXPECT_EQ(0, bpfmon_hist_pct(h, 0, 50));
}

TEST(hist_pct_one_slot)
{
	uint64_t h[BPFMON_HIST_SLOTS] = { 0 };

	/* 100 requests of [64, 128) us: p50 halfway through the slot. */
	h[6] = 100;
	EXPECT_EQ(96.0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 50));
	EXPECT_EQ(128.0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 100));
	EXPECT_EQ(64.64, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 1));
}

TEST(hist_pct_two_slots)
{
	uint64_t h[BPFMON_HIST_SLOTS] = { 0 };

	/* 90 fast ([0, 2) us) and 10 slow ([1024, 2048) us). */
	h[0] = 90;
	h[10] = 10;
	EXPECT_EQ(1.0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 45));
	EXPECT_EQ(2.0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 90));
	EXPECT_EQ(1024.0 + 1024.0 * 0.9, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 99));
	/* Out of range percentages clamp. */
	EXPECT_EQ(2048.0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 150));
	EXPECT_EQ(0, bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 0));
}

TEST(hist_pct_last_slot)
{
	uint64_t h[BPFMON_HIST_SLOTS] = { 0 };

	h[BPFMON_HIST_SLOTS - 1] = 1;
	EXPECT_EQ((double)(2ULL << (BPFMON_HIST_SLOTS - 1)),
		  bpfmon_hist_pct(h, BPFMON_HIST_SLOTS, 100));
}

TEST(blk_status_errno)
{
	EXPECT_EQ(0, bpfmon_blk_status_errno(0, 0));
	EXPECT_EQ(EIO, bpfmon_blk_status_errno(10, 0));		/* BLK_STS_IOERR */
	EXPECT_EQ(EIO, bpfmon_blk_status_errno(10, 1));
	EXPECT_EQ(ENOSPC, bpfmon_blk_status_errno(3, 0));
	EXPECT_EQ(ETIMEDOUT, bpfmon_blk_status_errno(2, 0));
	EXPECT_EQ(ENODATA, bpfmon_blk_status_errno(7, 0));	/* BLK_STS_MEDIUM */
	EXPECT_EQ(EBUSY, bpfmon_blk_status_errno(13, 0));
	/* Renumbered in v6.5: 16 is OFFLINE after, ZONE_ACTIVE_RESOURCE before. */
	EXPECT_EQ(ENODEV, bpfmon_blk_status_errno(16, 0));
	EXPECT_EQ(EOVERFLOW, bpfmon_blk_status_errno(16, 1));
	EXPECT_EQ(ENODEV, bpfmon_blk_status_errno(17, 1));
	EXPECT_EQ(ETIME, bpfmon_blk_status_errno(17, 0));
	EXPECT_EQ(EINVAL, bpfmon_blk_status_errno(19, 0));
	EXPECT_EQ(EIO, bpfmon_blk_status_errno(200, 0));	/* unknown */
}

TEST(op_names)
{
	EXPECT_STREQ("read", bpfmon_op_name(BPFMON_OP_READ));
	EXPECT_STREQ("discard", bpfmon_op_name(BPFMON_OP_DISCARD));
	EXPECT_STREQ("?", bpfmon_op_name((enum bpfmon_op)99));
}

TEST_HARNESS_MAIN
