// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "hb_sb.h"

uint32_t hb_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0U;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (crc & 1 ? 0x82f63b78U : 0);
	}
	return ~crc;
}

bool hb_sb_valid(const struct healblk_sb *sb)
{
	return !memcmp(sb->magic, HEALBLK_SB_MAGIC, sizeof(sb->magic)) &&
	       le32toh(sb->version) == 1 &&
	       le32toh(sb->crc) == hb_crc32c(sb, offsetof(struct healblk_sb, crc));
}

int hb_sb_read(const char *path, struct healblk_sb *sb)
{
	static struct healblk_sb copy;	/* 4 KiB: not on the stack */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), i, err;
	bool found = false;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		ssize_t n = pread(fd, &copy, sizeof(copy), (off_t)i * HEALBLK_SB_COPY_SECTORS * 512);

		if (n < 0) {
			err = -errno;
			close(fd);
			return found ? 0 : err;
		}
		if (n != (ssize_t)sizeof(copy) || !hb_sb_valid(&copy))
			continue;
		if (!found || le64toh(copy.events) > le64toh(sb->events))
			*sb = copy;
		found = true;
	}
	close(fd);
	return found ? 0 : -ENODATA;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int hb_uuid_parse(const char *s, uint8_t *uuid)
{
	size_t len = strlen(s), i;
	int n = 0;

	if (len != 32 && len != 36)
		return -EINVAL;
	for (i = 0; i < len; i += 2) {
		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -EINVAL;
			i--;	/* the pair starts after the dash */
			continue;
		}
		if (n == 16 || hexval(s[i]) < 0 || i + 1 >= len || hexval(s[i + 1]) < 0)
			return -EINVAL;
		uuid[n++] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
	}
	return n == 16 ? 0 : -EINVAL;
}
