// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of what boot-time assembly reads (issue 14): a leg's
 * superblock as userspace sees it (lib/hb_sb.c: crc32c, the newest valid
 * copy), UUIDs, and the expected arrays of heald.conf (lib/hb_arrays.c,
 * as healctl reads them and as heald's config parser checks them).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "../../userspace/lib/hb_arrays.h"
#include "../../userspace/lib/hb_sb.h"
#include "config.h"

const char *hb_prog = "test";

static const uint8_t U1[16] = { 0x3f, 0x2a, 0x7c, 0x10, 0x5b, 0x1e, 0x4c, 0x7d,
				0x9a, 0x33, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d };

TEST(crc32c_check_value)
{
	/* The check value of CRC-32C (iSCSI, ext4): crc of "123456789". */
	EXPECT_EQ(0xe3069283U, hb_crc32c("123456789", 9));
}

TEST(uuid_parse_both_forms)
{
	uint8_t u[16];

	ASSERT_EQ(0, hb_uuid_parse("3f2a7c10-5b1e-4c7d-9A33-0e1f2a3b4c5d", u));
	EXPECT_EQ(0, memcmp(u, U1, 16));
	ASSERT_EQ(0, hb_uuid_parse("3f2a7c105b1e4c7d9a330e1f2a3b4c5d", u));
	EXPECT_EQ(0, memcmp(u, U1, 16));
	EXPECT_EQ(-EINVAL, hb_uuid_parse("3f2a7c10-5b1e-4c7d-9a33-0e1f2a3b4c5", u));
	EXPECT_EQ(-EINVAL, hb_uuid_parse("3f2a7c10x5b1e-4c7d-9a33-0e1f2a3b4c5d", u));
	EXPECT_EQ(-EINVAL, hb_uuid_parse("3f2a7c10-5b1e-4c7d-9a33-0e1f2a3b4c5g", u));
	EXPECT_EQ(-EINVAL, hb_uuid_parse("", u));
}

static void seal(struct healblk_sb *sb, uint64_t events)
{
	memcpy(sb->magic, HEALBLK_SB_MAGIC, sizeof(sb->magic));
	sb->version = htole32(1);
	memcpy(sb->dev_uuid, U1, 16);
	sb->events = htole64(events);
	sb->crc = htole32(hb_crc32c(sb, offsetof(struct healblk_sb, crc)));
}

FIXTURE(disk) {
	char path[64];
	int fd;
};

FIXTURE_SETUP(disk)
{
	snprintf(self->path, sizeof(self->path), "/tmp/heal-test-sb.XXXXXX");
	self->fd = mkstemp(self->path);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, 1 << 20));
}

FIXTURE_TEARDOWN(disk)
{
	close(self->fd);
	unlink(self->path);
}

static bool put(int fd, const struct healblk_sb *sb, int copy)
{
	return pwrite(fd, sb, sizeof(*sb), (off_t)copy * HEALBLK_SB_COPY_SECTORS * 512) ==
	       (ssize_t)sizeof(*sb);
}

TEST_F(disk, sb_read_takes_the_newest_valid_copy)
{
	static struct healblk_sb a, b, got;

	EXPECT_EQ(-ENODATA, hb_sb_read(self->path, &got));	/* zeros: no superblock */
	seal(&a, 7);
	seal(&b, 9);
	ASSERT_TRUE(put(self->fd, &a, 0));
	ASSERT_TRUE(put(self->fd, &b, 1));
	ASSERT_EQ(0, hb_sb_read(self->path, &got));
	EXPECT_EQ(9, le64toh(got.events));
	/* A torn copy B (its crc no longer matches): copy A stands. */
	b.slot = htole32(3);
	ASSERT_TRUE(put(self->fd, &b, 1));
	EXPECT_FALSE(hb_sb_valid(&b));
	ASSERT_EQ(0, hb_sb_read(self->path, &got));
	EXPECT_EQ(7, le64toh(got.events));
	/* A newer format version is not ours to read. */
	a.version = htole32(2);
	a.crc = htole32(hb_crc32c(&a, offsetof(struct healblk_sb, crc)));
	ASSERT_TRUE(put(self->fd, &a, 0));
	EXPECT_EQ(-ENODATA, hb_sb_read(self->path, &got));
	EXPECT_EQ(-ENOENT, hb_sb_read("/nonexistent/disk", &got));
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

TEST(arrays_load_reads_only_its_lines)
{
	char path[] = "/tmp/heal-test-conf.XXXXXX", err[300] = "";
	struct hb_arrays as;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	close(fd);
	/* heald's keys, even bad ones, are heald's to check: healctl skips them. */
	ASSERT_EQ(0, write_file(path, "serd_n = 3\nwhatever = 1\n[uplink x]\nuuid = nope\n"
				"[array data]\nuuid = 3f2a7c10-5b1e-4c7d-9a33-0e1f2a3b4c5d  # ours\n"
				"[device healblk0]\nserd_n = 2\n"));
	ASSERT_EQ(0, hb_arrays_load(&as, path, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	ASSERT_EQ(1, as.n);
	EXPECT_STREQ("data", as.a[0].name);
	EXPECT_EQ(HB_AUTO_LISTED, as.autoasm);
	EXPECT_TRUE(hb_array_expected(&as, U1));
	EXPECT_EQ(&as.a[0], hb_array_find(&as, U1));

	ASSERT_EQ(0, write_file(path, "auto_assemble = none\n[array data]\nuuid = 3f2a7c105b1e4c7d9a330e1f2a3b4c5d\n"));
	ASSERT_EQ(0, hb_arrays_load(&as, path, err, sizeof(err)));
	EXPECT_FALSE(hb_array_expected(&as, U1));	/* none: even a listed one */

	ASSERT_EQ(0, write_file(path, "auto_assemble = all\n"));
	ASSERT_EQ(0, hb_arrays_load(&as, path, err, sizeof(err)));
	EXPECT_TRUE(hb_array_expected(&as, U1));
	EXPECT_EQ(NULL, hb_array_find(&as, U1));

	ASSERT_EQ(0, write_file(path, "\n[array data]\nuuid = 3f2a7c10\n"));
	EXPECT_EQ(-EINVAL, hb_arrays_load(&as, path, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":3: [array data] uuid: '3f2a7c10' is not a UUID"));
	unlink(path);

	/* No file: nothing listed, nothing assembled but with auto_assemble = all. */
	ASSERT_EQ(0, hb_arrays_load(&as, path, err, sizeof(err)));
	EXPECT_EQ(0, as.n);
	EXPECT_FALSE(hb_array_expected(&as, U1));
}

static int parse(struct config *c, const char *text, char *err)
{
	config_default(c);
	return config_parse(c, "heald.conf", text, err, 256);
}

TEST(config_arrays)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[array data]\n", "heald.conf:1: [array data] needs a uuid" },
		{ "[array data]\nuuid = 3f2a7c105b1e4c7d9a330e1f2a3b4c5d\n[array copy]\n"
		  "uuid = 3f2a7c10-5b1e-4c7d-9a33-0e1f2a3b4c5d\n", "[array copy] has the uuid of array data" },
		{ "[array data]\n[array data]\n", "heald.conf:2: array 'data' given twice (first at line 1)" },
		{ "[array -x]\n", "bad section '[array -x]'" },
		{ "[array a/b]\n", "bad section" },
		{ "[array data]\nname = x\n", "heald.conf:2: [array data] unknown key 'name' (uuid)" },
		{ "[array data]\nserd_n = 3\n", "unknown key 'serd_n'" },
		{ "auto_assemble = some\n", "heald.conf:1: auto_assemble: 'some' is not listed, all or none" },
		{ "[device healblk0]\nauto_assemble = all\n", "'auto_assemble' is a global key" },
	};
	struct config c;
	char err[256] = "";
	size_t i;

	ASSERT_EQ(0, parse(&c, "auto_assemble = all\n[device healblk0]\nserd_n = 2\n[array data]\n"
			       "uuid = 3f2a7c10-5b1e-4c7d-9a33-0e1f2a3b4c5d\n[uplink u]\ninterface = eth0\n"
			       "gateway = 192.0.2.1\n", err)) {
		TH_LOG("%s", err);
	}
	EXPECT_EQ(HB_AUTO_ALL, c.arrays.autoasm);
	ASSERT_EQ(1, c.arrays.n);
	EXPECT_EQ(0, memcmp(c.arrays.a[0].uuid, U1, 16));
	EXPECT_EQ(1, c.nuplink);	/* a section after [array] is its own */
	EXPECT_EQ(2, config_disk(&c, "healblk0")->serd_n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ(-EINVAL, parse(&c, bad[i].text, err));
		EXPECT_NE(NULL, strstr(err, bad[i].want)) {
			TH_LOG("'%s': got '%s'", bad[i].text, err);
		}
	}
}

TEST_HARNESS_MAIN
