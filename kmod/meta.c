// SPDX-License-Identifier: GPL-2.0
/*
 * On-disk metadata, format v1 (Documentation/healblk-format.md): the
 * superblock at the start of every leg, written twice so that a torn write
 * loses at most one copy, and read back at assembly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "healblk.h"

static_assert(sizeof(struct healblk_sb) == HEALBLK_SB_SIZE);

/*
 * crc32c with the built-in __crc32c_le(): crc32c() would pull in the
 * libcrc32c module, which insmod does not load by itself.
 */
static u32 hb_sb_crc(const struct healblk_sb *sb)
{
	return ~__crc32c_le(~0U, (const u8 *)sb, offsetof(struct healblk_sb, crc));
}

/*
 * Synchronous I/O of one 4 KiB block of metadata at sector @sector of
 * @bdev: superblocks, bitmap blocks, bad-block and remap tables.
 */
int hb_meta_rw(struct block_device *bdev, sector_t sector, struct page *page,
	       blk_opf_t opf)
{
	struct bio bio;
	struct bio_vec bvec;
	int ret;

	bio_init(&bio, bdev, &bvec, 1, opf);
	bio.bi_iter.bi_sector = sector;
	__bio_add_page(&bio, page, HEALBLK_SB_SIZE, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

void hb_meta_new(struct hb_dev *dev)
{
	unsigned int i;

	get_random_bytes(dev->uuid, sizeof(dev->uuid));
	for (i = 0; i < dev->nr_legs; i++)
		get_random_bytes(dev->legs[i]->uuid, sizeof(dev->legs[i]->uuid));
	dev->ctime = ktime_get_real_seconds();
	dev->events = 0;
}

static void hb_sb_fill(struct hb_dev *dev, struct hb_leg *leg, u32 role,
		       struct healblk_sb *sb)
{
	unsigned int i;

	memset(sb, 0, sizeof(*sb));
	memcpy(sb->magic, HEALBLK_SB_MAGIC, sizeof(sb->magic));
	sb->version = cpu_to_le32(HEALBLK_SB_VERSION);
	memcpy(sb->dev_uuid, dev->uuid, sizeof(sb->dev_uuid));
	memcpy(sb->leg_uuid, leg->uuid, sizeof(sb->leg_uuid));
	sb->events = cpu_to_le64(dev->events);
	sb->ctime = cpu_to_le64(dev->ctime);
	sb->utime = cpu_to_le64(ktime_get_real_seconds());
	sb->data_offset = cpu_to_le64(dev->data_offset);
	sb->data_sectors = cpu_to_le64(dev->sectors);
	sb->slot = cpu_to_le32(leg->index);
	sb->nr_slots = cpu_to_le32(dev->nr_legs);
	sb->fail_errors = cpu_to_le32(dev->fail_errors);
	sb->fail_window = cpu_to_le32(dev->fail_window);
	sb->role = cpu_to_le32(role);
	sb->no_auto_spare = cpu_to_le32(!dev->auto_spare);
	sb->sync_min_kbs = cpu_to_le32(dev->sync_min_kbs);
	sb->sync_max_kbs = cpu_to_le32(dev->sync_max_kbs);
	sb->bitmap_shift = cpu_to_le32(dev->bm_shift);
	sb->remap_blocks = cpu_to_le32(dev->rm_blocks);
	for (i = 0; i < dev->nr_legs; i++) {
		struct hb_leg *l = dev->legs[i];
		enum healblk_leg_state state = READ_ONCE(l->state);

		memcpy(sb->members[i].uuid, l->uuid, sizeof(sb->members[i].uuid));
		sb->members[i].state = cpu_to_le32(state);
		if (state == HEALBLK_LEG_REBUILDING)
			sb->members[i].sync_pos = cpu_to_le64(READ_ONCE(l->sync_pos));
	}
	sb->nr_spares = cpu_to_le32(dev->nr_spares);
	for (i = 0; i < dev->nr_spares; i++) {
		memcpy(sb->spares[i].uuid, dev->spares[i]->uuid, sizeof(sb->spares[i].uuid));
		sb->spares[i].state = cpu_to_le32(HEALBLK_LEG_SPARE);
	}
	sb->crc = cpu_to_le32(hb_sb_crc(sb));
}

static int hb_sb_write(struct hb_dev *dev, struct hb_leg *leg, u32 role)
{
	hb_sb_fill(dev, leg, role, page_address(dev->sb_page));
	/* Copy A, then B: each durable before the next is touched. */
	if (hb_meta_rw(leg->bdev, 0, dev->sb_page,
		       REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA) ||
	    hb_meta_rw(leg->bdev, HEALBLK_SB_COPY_SECTORS, dev->sb_page,
		       REQ_OP_WRITE | REQ_SYNC | REQ_FUA)) {
		pr_err_ratelimited("%s: cannot write the superblock to %s %u (%pg)\n",
				   dev->disk ? dev->disk->disk_name : "healblk",
				   role == HEALBLK_SB_ROLE_SPARE ? "spare" : "leg",
				   leg->index, leg->bdev);
		return -EIO;
	}
	return 0;
}

/*
 * Record the device's membership and states on every leg in sync or
 * rebuilding, and on every spare, with a new event counter: a leg left
 * out from now on is stale.  Process context; serialized by
 * dev->meta_mutex.  Returns the number of in-sync legs that could not be
 * written.
 */
int hb_meta_write(struct hb_dev *dev)
{
	unsigned int i, failed = 0;

	mutex_lock(&dev->meta_mutex);
	dev->events++;
	for (i = 0; i < dev->nr_legs; i++) {
		struct hb_leg *leg = dev->legs[i];
		enum healblk_leg_state state = READ_ONCE(leg->state);

		if (state != HEALBLK_LEG_IN_SYNC && state != HEALBLK_LEG_REBUILDING)
			continue;
		if (hb_sb_write(dev, leg, HEALBLK_SB_ROLE_MEMBER) &&
		    state == HEALBLK_LEG_IN_SYNC)
			failed++;
	}
	for (i = 0; i < dev->nr_spares; i++)
		hb_sb_write(dev, dev->spares[i], HEALBLK_SB_ROLE_SPARE);
	mutex_unlock(&dev->meta_mutex);
	return failed;
}

/*
 * Read a leg's superblock into @out: the valid copy with the higher event
 * counter.  On failure, *@why says why in words for extack.
 */
int hb_meta_read(struct block_device *bdev, struct healblk_sb *out, const char **why)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct healblk_sb *sb;
	bool magic = false, found = false;
	int copy, ret = 0;

	if (!page)
		return -ENOMEM;
	sb = page_address(page);
	*why = "no healblk superblock on a leg";
	for (copy = 0; copy < 2; copy++) {
		if (hb_meta_rw(bdev, copy * HEALBLK_SB_COPY_SECTORS, page, REQ_OP_READ))
			continue;
		if (memcmp(sb->magic, HEALBLK_SB_MAGIC, sizeof(sb->magic)))
			continue;
		magic = true;
		if (le32_to_cpu(sb->crc) != hb_sb_crc(sb))
			continue;
		if (le32_to_cpu(sb->version) > HEALBLK_SB_VERSION) {
			*why = "a leg has a newer format version than this healblk knows";
			ret = -EPROTONOSUPPORT;
			goto out;
		}
		if (!found || le64_to_cpu(sb->events) > le64_to_cpu(out->events))
			memcpy(out, sb, sizeof(*out));
		found = true;
	}
	if (!found) {
		if (magic)
			*why = "checksum mismatch in both superblock copies of a leg";
		ret = -EINVAL;
	}
out:
	__free_page(page);
	return ret;
}
