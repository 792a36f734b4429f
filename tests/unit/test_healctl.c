// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of libheal's pure parts and healctl's JSON output. */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "../../userspace/lib/hb_names.h"
#include "../../userspace/lib/hb_parse.h"
#include "../../userspace/healctl/healctl.h"

const char *hb_prog = "test";

TEST(parse_u64)
{
	uint64_t v;

	EXPECT_EQ(0, hb_parse_u64("0", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, hb_parse_u64("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_EQ(-ERANGE, hb_parse_u64("18446744073709551616", &v));
	EXPECT_EQ(-EINVAL, hb_parse_u64("", &v));
	EXPECT_EQ(-EINVAL, hb_parse_u64("-1", &v));
	EXPECT_EQ(-EINVAL, hb_parse_u64(" 1", &v));
	EXPECT_EQ(-EINVAL, hb_parse_u64("12k", &v));
	EXPECT_EQ(-EINVAL, hb_parse_u64(NULL, &v));
}

TEST(parse_u32_limits)
{
	uint32_t v = 7;

	EXPECT_EQ(0, hb_parse_u32("100", 100, &v));
	EXPECT_EQ(100, v);
	EXPECT_EQ(-ERANGE, hb_parse_u32("101", 100, &v));
	EXPECT_EQ(100, v);	/* untouched on error */
	EXPECT_EQ(-ERANGE, hb_parse_u32("4294967296", UINT32_MAX, &v));
}

TEST(parse_dev_index)
{
	uint32_t i;

	EXPECT_EQ(0, hb_parse_dev_index("healblk3", &i));
	EXPECT_EQ(3, i);
	EXPECT_EQ(0, hb_parse_dev_index("/dev/healblk12", &i));
	EXPECT_EQ(12, i);
	EXPECT_EQ(0, hb_parse_dev_index("7", &i));
	EXPECT_EQ(7, i);
	EXPECT_EQ(-EINVAL, hb_parse_dev_index("healblk", &i));
	EXPECT_EQ(-EINVAL, hb_parse_dev_index("sda", &i));
	EXPECT_EQ(-EINVAL, hb_parse_dev_index("/dev/healblk1p1", &i));
}

TEST(op_masks)
{
	EXPECT_EQ(HEALBLK_OP_READ, hb_op_mask_parse("read"));
	EXPECT_EQ(HEALBLK_OP_READ | HEALBLK_OP_WRITE, hb_op_mask_parse("rw"));
	EXPECT_EQ(HEALBLK_OP_WRITE | HEALBLK_OP_FLUSH, hb_op_mask_parse("write,flush"));
	EXPECT_EQ(0, hb_op_mask_parse("reads"));
	EXPECT_EQ(0, hb_op_mask_parse("read,bogus"));
	EXPECT_STREQ("in_sync", hb_leg_state_name(HEALBLK_LEG_IN_SYNC));
	EXPECT_STREQ("failed", hb_leg_state_name(HEALBLK_LEG_FAILED));
	EXPECT_STREQ("unknown", hb_leg_state_name(0));
	EXPECT_STREQ("degraded", hb_dev_state_name(HEALBLK_DEV_DEGRADED));
}

TEST(device_json)
{
	struct hb_dev_info dev = {
		.index = 2, .state = HEALBLK_DEV_DEGRADED, .nr_legs = 2,
		.sectors = 129024, .data_offset = HEALBLK_META_SECTORS, .name = "healblk2",
	};
	struct json_object *built, *o, *legs, *leg, *v;

	dev.legs[0] = (struct hb_leg_info){ .index = 0, .state = HEALBLK_LEG_IN_SYNC,
					    .name = "loop0", .reads = 5 };
	dev.legs[1] = (struct hb_leg_info){ .index = 1, .state = HEALBLK_LEG_FAILED,
					    .name = "loop\"1", .read_errors = 3 };
	dev.legs[1].fault = (struct hb_fault_info){ .armed = true,
		.ops = HEALBLK_OP_READ | HEALBLK_OP_WRITE, .percent = 20, .injected = 9 };

	built = dev_to_json(&dev);
	/* Round trip through text: what a script would parse. */
	o = json_tokener_parse(json_object_to_json_string(built));
	json_object_put(built);
	ASSERT_NE(NULL, o);
	ASSERT_TRUE(json_object_object_get_ex(o, "state", &v));
	EXPECT_STREQ("degraded", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "legs", &legs));
	ASSERT_EQ(2, (int)json_object_array_length(legs));
	leg = json_object_array_get_idx(legs, 1);
	ASSERT_TRUE(json_object_object_get_ex(leg, "name", &v));
	EXPECT_STREQ("loop\"1", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(leg, "read_errors", &v));
	EXPECT_EQ(3, json_object_get_int64(v));
	ASSERT_TRUE(json_object_object_get_ex(leg, "fault", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "injected", &v));
	EXPECT_EQ(9, json_object_get_int64(v));
	leg = json_object_array_get_idx(legs, 0);
	ASSERT_TRUE(json_object_object_get_ex(leg, "fault", &v));
	EXPECT_TRUE(v == NULL);	/* null when no rule is armed */
	json_object_put(o);
}

TEST_HARNESS_MAIN
