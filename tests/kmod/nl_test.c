// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad netlink request to healblk gets the right errno and an extack
 * message, and changes nothing.  Runs in the VM as root with healblk loaded
 * (tests/kmod/run.sh); loop devices are made over files in /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "kselftest_harness.h"

/*
 * The harness's 30 s a test is far more than these take on Debian's
 * kernels (under a second), but not enough for the fixture's six loop
 * devices and udev's probe in make check-debug's kernel (KASAN, lockdep,
 * TCG): every test timed out there.  A hang still ends, at 300 s.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#include "../../userspace/lib/hb_nl.h"

#define NLOOPS 6

/* Loop device over a fresh file of @mib MiB; its path into @path. */
static int make_loop(const char *file, int mib, char *path, size_t size)
{
	char cmd[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "truncate -s %dM %s && losetup -f --show %s", mib, file, file);
	p = popen(cmd, "r");
	if (!p || !fgets(path, size, p)) {
		if (p)
			pclose(p);
		return -1;
	}
	path[strcspn(path, "\n")] = 0;
	return pclose(p) ? -1 : 0;
}

static int devt_of(const char *path, uint32_t *major_out, uint32_t *minor_out)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return -1;
	*major_out = major(st.st_rdev);
	*minor_out = minor(st.st_rdev);
	return 0;
}

static void put_leg(struct nl_msg *msg, uint32_t maj, uint32_t min)
{
	struct nlattr *leg = nla_nest_start(msg, HEALBLK_A_LEG);

	nla_put_u32(msg, HEALBLK_A_LEG_MAJOR, maj);
	nla_put_u32(msg, HEALBLK_A_LEG_MINOR, min);
	nla_nest_end(msg, leg);
}

static void on_dev(const struct hb_dev_info *dev, void *arg)
{
	*(int *)arg = (int)dev->index;
}

FIXTURE(healblk) {
	struct hb_nl nl;
	char loop[NLOOPS][64];
	char file[NLOOPS][64];
	int index;	/* a 2-leg device over loop[0] and loop[1] */
};

FIXTURE_SETUP(healblk)
{
	struct nlattr *legs;
	struct nl_msg *msg;
	uint32_t ma, mi;
	int i;

	ASSERT_EQ(0, hb_nl_open(&self->nl));
	for (i = 0; i < NLOOPS; i++) {
		snprintf(self->file[i], sizeof(self->file[i]), "/tmp/nl_test.%d.%d", getpid(), i);
		/* loop[5] is too small for the metadata area */
		ASSERT_EQ(0, make_loop(self->file[i], i == 5 ? 1 : 32, self->loop[i],
				       sizeof(self->loop[i])));
	}
	msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);
	legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, devt_of(self->loop[i], &ma, &mi));
		put_leg(msg, ma, mi);
	}
	nla_nest_end(msg, legs);
	self->index = -1;
	ASSERT_EQ(0, hb_nl_call(&self->nl, msg, on_dev, &self->index));
	ASSERT_LE(0, self->index);
	/* udev probes the new disk: let it close it before a test destroys it. */
	ASSERT_EQ(0, system("udevadm settle"));
}

FIXTURE_TEARDOWN(healblk)
{
	struct nl_msg *msg;
	char cmd[128];
	int i;

	if (self->index >= 0) {
		msg = hb_nl_msg(&self->nl, HEALBLK_CMD_DESTROY, 0);
		nla_put_u32(msg, HEALBLK_A_DEV_INDEX, self->index);
		EXPECT_EQ(0, hb_nl_call(&self->nl, msg, NULL, NULL));
	}
	for (i = 0; i < NLOOPS; i++) {
		if (self->loop[i][0]) {
			snprintf(cmd, sizeof(cmd), "losetup -d %s", self->loop[i]);
			EXPECT_EQ(0, system(cmd));
		}
		unlink(self->file[i]);
	}
	hb_nl_close(&self->nl);
}

/* Send @msg, expect -@err and a reason from the kernel. */
#define EXPECT_NL_ERR(nl, msg, err) do {					\
	int __ret = hb_nl_call(nl, msg, NULL, NULL);				\
	EXPECT_EQ(-(err), __ret);						\
	EXPECT_NE(0, (int)strlen((nl)->reason));				\
	TH_LOG("%s: %s", strerror(-__ret), (nl)->reason);			\
} while (0)

static struct nl_msg *dev_msg(struct hb_nl *nl, uint8_t cmd, uint32_t index)
{
	struct nl_msg *msg = hb_nl_msg(nl, cmd, 0);

	nla_put_u32(msg, HEALBLK_A_DEV_INDEX, index);
	return msg;
}

static struct nl_msg *create_msg(struct hb_nl *nl, char (*paths)[64], int n)
{
	struct nl_msg *msg = hb_nl_msg(nl, HEALBLK_CMD_CREATE, 0);
	struct nlattr *legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	uint32_t ma, mi;
	int i;

	for (i = 0; i < n; i++) {
		if (devt_of(paths[i], &ma, &mi))
			ma = mi = 0;
		put_leg(msg, ma, mi);
	}
	nla_nest_end(msg, legs);
	return msg;
}

TEST_F(healblk, unknown_device)
{
	uint8_t cmds[] = { HEALBLK_CMD_GET, HEALBLK_CMD_DESTROY };
	size_t i;

	for (i = 0; i < sizeof(cmds); i++)
		EXPECT_NL_ERR(&self->nl, dev_msg(&self->nl, cmds[i], 12345), ENODEV);
}

TEST_F(healblk, create_without_legs)
{
	struct nl_msg *msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);

	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
	msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);
	nla_nest_end(msg, nla_nest_start(msg, HEALBLK_A_DEV_LEGS));
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

TEST_F(healblk, too_many_legs)
{
	char paths[5][64];
	int i;

	for (i = 0; i < 5; i++)
		strcpy(paths[i], self->loop[i < 4 ? i + 2 : 2]);
	strcpy(paths[3], self->loop[4]);
	strcpy(paths[4], self->loop[3]);
	EXPECT_NL_ERR(&self->nl, create_msg(&self->nl, paths, 5), EINVAL);
}

TEST_F(healblk, same_leg_twice)
{
	char paths[2][64];

	strcpy(paths[0], self->loop[2]);
	strcpy(paths[1], self->loop[2]);
	EXPECT_NL_ERR(&self->nl, create_msg(&self->nl, paths, 2), EINVAL);
}

TEST_F(healblk, leg_in_use)
{
	char paths[2][64];

	strcpy(paths[0], self->loop[2]);
	strcpy(paths[1], self->loop[1]);	/* a leg of the fixture's device */
	EXPECT_NL_ERR(&self->nl, create_msg(&self->nl, paths, 2), EBUSY);
}

TEST_F(healblk, leg_too_small)
{
	EXPECT_NL_ERR(&self->nl, create_msg(&self->nl, &self->loop[5], 1), EINVAL);
}

TEST_F(healblk, no_such_block_device)
{
	struct nl_msg *msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);
	struct nlattr *legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	int ret;

	put_leg(msg, 259, 999999);	/* blkext: no such minor, and no probe makes one */
	nla_nest_end(msg, legs);
	ret = hb_nl_call(&self->nl, msg, NULL, NULL);
	EXPECT_TRUE(ret == -ENXIO || ret == -ENODEV);
	EXPECT_NE(0, (int)strlen(self->nl.reason));

	msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);
	legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	put_leg(msg, 259, 1u << 20);	/* beyond MINORBITS */
	nla_nest_end(msg, legs);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

TEST_F(healblk, leg_without_minor)
{
	struct nl_msg *msg = hb_nl_msg(&self->nl, HEALBLK_CMD_CREATE, 0);
	struct nlattr *legs = nla_nest_start(msg, HEALBLK_A_DEV_LEGS);
	struct nlattr *leg = nla_nest_start(msg, HEALBLK_A_LEG);

	nla_put_u32(msg, HEALBLK_A_LEG_MAJOR, 7);
	nla_nest_end(msg, leg);
	nla_nest_end(msg, legs);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

TEST_F(healblk, wrong_attribute_sizes)
{
	struct nl_msg *msg;
	uint8_t u8 = 0;
	uint64_t u64 = self->index;

	msg = hb_nl_msg(&self->nl, HEALBLK_CMD_GET, 0);
	nla_put(msg, HEALBLK_A_DEV_INDEX, sizeof(u8), &u8);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
	msg = hb_nl_msg(&self->nl, HEALBLK_CMD_GET, 0);
	nla_put(msg, HEALBLK_A_DEV_INDEX, sizeof(u64), &u64);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

TEST_F(healblk, unknown_and_foreign_attributes)
{
	struct nl_msg *msg;

	msg = dev_msg(&self->nl, HEALBLK_CMD_GET, self->index);
	nla_put_u32(msg, HEALBLK_A_MAX + 1, 0);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
	/* an attribute that exists, but not for this op */
	msg = dev_msg(&self->nl, HEALBLK_CMD_DESTROY, self->index);
	nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, 5);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

static struct nl_msg *fault_msg(struct hb_nl *nl, uint32_t index, uint32_t leg)
{
	struct nl_msg *msg = dev_msg(nl, HEALBLK_CMD_FAULT_SET, index);

	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, leg);
	return msg;
}

TEST_F(healblk, fault_out_of_range)
{
	struct nl_msg *msg;

	msg = fault_msg(&self->nl, self->index, 0);
	nla_put_u64(msg, HEALBLK_A_FAULT_START, 1ULL << 40);
	nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, 50);
	EXPECT_NL_ERR(&self->nl, msg, ERANGE);

	msg = fault_msg(&self->nl, self->index, 0);
	nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, 101);
	EXPECT_NL_ERR(&self->nl, msg, ERANGE);	/* the policy's range check */

	msg = fault_msg(&self->nl, self->index, 0);
	nla_put_u32(msg, HEALBLK_A_FAULT_OPS, 1u << 7);
	nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, 1);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);

	msg = fault_msg(&self->nl, self->index, 0);
	nla_put_u32(msg, HEALBLK_A_FAULT_DELAY_US, 20000000);
	EXPECT_NL_ERR(&self->nl, msg, ERANGE);

	msg = fault_msg(&self->nl, self->index, 0);	/* no effect at all */
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);

	msg = fault_msg(&self->nl, self->index, 2);	/* no leg 2 */
	nla_put_u32(msg, HEALBLK_A_FAULT_PERCENT, 1);
	EXPECT_NL_ERR(&self->nl, msg, EINVAL);
}

TEST_F(healblk, fail_last_leg)
{
	struct nl_msg *msg;

	msg = dev_msg(&self->nl, HEALBLK_CMD_FAIL_LEG, self->index);
	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, 0);
	ASSERT_EQ(0, hb_nl_call(&self->nl, msg, NULL, NULL));
	msg = dev_msg(&self->nl, HEALBLK_CMD_FAIL_LEG, self->index);
	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, 1);
	EXPECT_NL_ERR(&self->nl, msg, EBUSY);
	msg = dev_msg(&self->nl, HEALBLK_CMD_FAIL_LEG, self->index);
	nla_put_u32(msg, HEALBLK_A_LEG_INDEX, 0);
	EXPECT_NL_ERR(&self->nl, msg, EALREADY);
}

TEST_F(healblk, destroy_open_device)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/healblk%d", self->index);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_NL_ERR(&self->nl, dev_msg(&self->nl, HEALBLK_CMD_DESTROY, self->index), EBUSY);
	close(fd);
}

TEST_F(healblk, unprivileged)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct hb_nl nl;
		int ok = 1;

		if (setgid(65534) || setuid(65534) || hb_nl_open(&nl))
			_exit(2);
		/* Reads are for everyone, changes for CAP_NET_ADMIN only. */
		ok &= hb_nl_call(&nl, dev_msg(&nl, HEALBLK_CMD_GET, self->index), NULL, NULL) == 0;
		ok &= hb_nl_call(&nl, dev_msg(&nl, HEALBLK_CMD_DESTROY, self->index),
				 NULL, NULL) == -EPERM;
		ok &= hb_nl_call(&nl, create_msg(&nl, &self->loop[2], 1), NULL, NULL) == -EPERM;
		hb_nl_close(&nl);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
