/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A healblk leg's superblock as userspace sees it (healctl examine and
 * assemble): both copies read, the valid one (magic, version 1, crc32c)
 * with the higher event counter taken, as the kernel's reader does
 * (kmod/meta.c).  The kernel checks every field again before it uses one:
 * this only tells which disks belong together and who is missing.
 */
#ifndef HB_SB_H
#define HB_SB_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <linux/healblk.h>

/* crc32c (Castagnoli), seed ~0, inverted: every healblk structure's checksum. */
uint32_t hb_crc32c(const void *buf, size_t len);
/* @sb (one 4 KiB copy) has the magic, version 1 and a good crc. */
bool hb_sb_valid(const struct healblk_sb *sb);
/*
 * The newest valid copy on @path into @sb: 0, -ENODATA when neither copy
 * is a healblk superblock, or -errno when the disk cannot be read.
 */
int hb_sb_read(const char *path, struct healblk_sb *sb);
/* A UUID as 36 characters with dashes, or 32 hex digits: 0 or -EINVAL. */
int hb_uuid_parse(const char *s, uint8_t *uuid);

#endif
