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

/* hb_meta_rw() on a leg of a device, seen by its fault rule (META). */
int hb_leg_meta_rw(struct hb_leg *leg, sector_t sector, struct page *page, blk_opf_t opf)
{
	if (unlikely(g_fault_injection) &&
	    hb_fault_sync(leg, HEALBLK_OP_META, 0, 0))
		return -EIO;
	return hb_meta_rw(leg->bdev, sector, page, opf);
}

/*
 * Make what every leg in sync or rebuilding has completed durable: an
 * empty PREFLUSH to each.  md's rule: before a bitmap bit or a bad-block
 * entry goes clean on any leg, the data it covers is on stable media on
 * every leg.  The caller holds one of the metadata mutexes (legs[] is
 * stable).  Returns the legs whose flush failed.
 */
unsigned long hb_legs_flush(struct hb_dev *dev)
{
	unsigned long failed = 0;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++) {
		struct hb_leg *leg = dev->legs[i];
		enum healblk_leg_state state = READ_ONCE(leg->state);

		if (state != HEALBLK_LEG_IN_SYNC && state != HEALBLK_LEG_REBUILDING)
			continue;
		if ((unlikely(g_fault_injection) &&
		     hb_fault_sync(leg, HEALBLK_OP_FLUSH, 0, 0)) ||
		    blkdev_issue_flush(leg->bdev)) {
			atomic64_inc(&leg->write_errors);
			failed |= BIT(i);
		}
	}
	return failed;
}

void hb_meta_new(struct hb_dev *dev)
{
	unsigned int i;

	get_random_bytes(dev->uuid, sizeof(dev->uuid));
	for (i = 0; i < dev->nr_legs; i++)
		get_random_bytes(dev->legs[i]->uuid, sizeof(dev->legs[i]->uuid));
	dev->ctime = ktime_get_real_seconds();
	dev->events = 0;
	dev->events_cleared = 0;
}

/* Every leg's state and rebuild position, taken once for all the superblocks of a write. */
struct hb_states {
	enum healblk_leg_state state[HEALBLK_MAX_LEGS];
	sector_t sync_pos[HEALBLK_MAX_LEGS];
};

static void hb_sb_fill(struct hb_dev *dev, struct hb_leg *leg, u32 role,
		       const struct hb_states *st, struct healblk_sb *sb)
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
	sb->events_cleared = cpu_to_le64(dev->events_cleared);
	sb->mismatch_cnt = cpu_to_le64(READ_ONCE(dev->mismatch_cnt));
	for (i = 0; i < dev->nr_legs; i++) {
		memcpy(sb->members[i].uuid, dev->legs[i]->uuid, sizeof(sb->members[i].uuid));
		sb->members[i].state = cpu_to_le32(st->state[i]);
		sb->members[i].replaces = cpu_to_le32(dev->legs[i]->replaces);
		if (st->state[i] == HEALBLK_LEG_REBUILDING)
			sb->members[i].sync_pos = cpu_to_le64(st->sync_pos[i]);
	}
	sb->nr_spares = cpu_to_le32(dev->nr_spares);
	for (i = 0; i < dev->nr_spares; i++) {
		memcpy(sb->spares[i].uuid, dev->spares[i]->uuid, sizeof(sb->spares[i].uuid));
		sb->spares[i].state = cpu_to_le32(HEALBLK_LEG_SPARE);
	}
	sb->crc = cpu_to_le32(hb_sb_crc(sb));
}

static int hb_sb_write(struct hb_dev *dev, struct hb_leg *leg, u32 role,
		       const struct hb_states *st)
{
	hb_sb_fill(dev, leg, role, st, page_address(dev->sb_page));
	/* Copy A, then B: each durable before the next is touched. */
	if (hb_leg_meta_rw(leg, 0, dev->sb_page,
			   REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA) ||
	    hb_leg_meta_rw(leg, HEALBLK_SB_COPY_SECTORS, dev->sb_page,
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
 * written or flushed (each is failed unless it is the last).  Without
 * @may_clear events_cleared stays where it is even with every leg in
 * sync: a leg a crash leaves one behind this superblock is still current
 * (a replacement's hand-over, hb_replace_finish()).
 */
int __hb_meta_write(struct hb_dev *dev, bool may_clear)
{
	unsigned long flush_failed, sb_failed = 0, in_sync = 0;
	u64 cleared;
	struct hb_states st;
	unsigned int i, failed = 0;
	bool all_in_sync = true;

	mutex_lock(&dev->meta_mutex);
	/*
	 * One view for every superblock of this write: two legs with the
	 * same event counter then always hold the same member table.
	 */
	spin_lock_irq(&dev->lock);
	for (i = 0; i < dev->nr_legs; i++) {
		st.state[i] = dev->legs[i]->state;
		st.sync_pos[i] = READ_ONCE(dev->legs[i]->sync_pos);
		all_in_sync &= st.state[i] == HEALBLK_LEG_IN_SYNC;
	}
	spin_unlock_irq(&dev->lock);
	/*
	 * What the legs acknowledged goes to stable media before any
	 * superblock says where it is: a leg listed in sync, or a rebuild
	 * checkpoint, is never ahead of the data under it.
	 */
	flush_failed = hb_legs_flush(dev);
	WRITE_ONCE(dev->events, dev->events + 1);
	/*
	 * With every leg in sync the sweep may clear bits from now on: a
	 * copy of a leg older than this superblock may then miss writes that
	 * no bit names (hb_bm_sweep() writes one before each clear).
	 */
	cleared = dev->events_cleared;
	if (all_in_sync && may_clear)
		WRITE_ONCE(dev->events_cleared, dev->events);
	for (i = 0; i < dev->nr_legs; i++) {
		if (st.state[i] != HEALBLK_LEG_IN_SYNC && st.state[i] != HEALBLK_LEG_REBUILDING)
			continue;
		if (hb_sb_write(dev, dev->legs[i], HEALBLK_SB_ROLE_MEMBER, &st))
			sb_failed |= BIT(i);
		if (st.state[i] == HEALBLK_LEG_IN_SYNC)
			in_sync |= BIT(i);
	}
	for (i = 0; i < dev->nr_spares; i++)
		hb_sb_write(dev, dev->spares[i], HEALBLK_SB_ROLE_SPARE, &st);
	/*
	 * A leg in sync that missed this superblock, or whose cache may have
	 * lost what it took, is no current copy: events_cleared stays where
	 * it was (and the sweep clears nothing), else that leg, below it,
	 * would be rebuilt whole though the bits name all it lacks.
	 */
	failed = hweight_long((sb_failed | flush_failed) & in_sync);
	if (failed)
		WRITE_ONCE(dev->events_cleared, cleared);
	mutex_unlock(&dev->meta_mutex);
	/* A leg that cannot flush may have lost what it acknowledged. */
	for_each_set_bit(i, &flush_failed, dev->nr_legs)
		hb_leg_fail(dev->legs[i], "a cache flush failed", NULL);
	/*
	 * One whose superblock cannot be written cannot record what it
	 * holds: failed, as md fails a member whose superblock write fails
	 * (not while the device is being made: that fails as a whole).
	 */
	if (READ_ONCE(dev->started))
		for_each_set_bit(i, &sb_failed, dev->nr_legs)
			if (!(flush_failed & BIT(i)))
				hb_leg_fail(dev->legs[i], "its superblock could not be written",
					    NULL);
	return failed;
}

/*
 * Everything read from disk is checked before use (md's super_1_load):
 * a copy must describe the layout this healblk would have written on a
 * leg of @leg_sectors, else it is refused with the reason in *@why.  The
 * checksum guards against torn writes, not against a crafted or
 * corrupted-then-resealed block: each field is checked on its own.
 */
static bool hb_sb_valid(const struct healblk_sb *sb, sector_t leg_sectors, const char **why)
{
	u64 data = le64_to_cpu(sb->data_sectors), need;
	u32 nr_slots = le32_to_cpu(sb->nr_slots), nr_spares = le32_to_cpu(sb->nr_spares);
	u32 role = le32_to_cpu(sb->role), slot = le32_to_cpu(sb->slot);
	u32 shift = le32_to_cpu(sb->bitmap_shift), rm = le32_to_cpu(sb->remap_blocks);
	unsigned int i;

	*why = "a superblock describes an impossible layout";
	if (le32_to_cpu(sb->version) < 1)
		return false;
	if (le32_to_cpu(sb->features)) {
		*why = "a leg uses format features this healblk does not know";
		return false;
	}
	/* Whole 4 KiB blocks: what hb_dev_start() makes. */
	if (le64_to_cpu(sb->data_offset) != HEALBLK_META_SECTORS || !data || data % 8)
		return false;
	if (nr_slots < 1 || nr_slots > HEALBLK_MAX_LEGS || nr_spares > HEALBLK_MAX_SPARES)
		return false;
	if (role == HEALBLK_SB_ROLE_MEMBER ? slot >= nr_slots :
	    role != HEALBLK_SB_ROLE_SPARE || slot >= HEALBLK_MAX_SPARES)
		return false;
	/* Only the one-leg spare area healblk makes; the size without wrapping. */
	if (rm && (rm != HEALBLK_RM_MAX || nr_slots != 1))
		return false;
	/* data first: bounded by the leg, the sum below cannot wrap. */
	need = HEALBLK_META_SECTORS + data + (u64)rm * 8;
	if (data > (u64)leg_sectors || need > (u64)leg_sectors) {
		*why = "a leg is smaller than the device its superblock describes";
		return false;
	}
	/* The bitmap's geometry follows from the size: anything else overruns it. */
	if (shift && shift != hb_bm_shift_for(data))
		return false;
	for (i = 0; i < HEALBLK_MAX_LEGS; i++) {
		u32 state = le32_to_cpu(sb->members[i].state);
		u32 replaces = le32_to_cpu(sb->members[i].replaces);

		if (i >= nr_slots)
			continue;
		if (state < HEALBLK_LEG_IN_SYNC || state > HEALBLK_LEG_REBUILDING ||
		    le64_to_cpu(sb->members[i].sync_pos) > data)
			return false;
		/* A replacement is the last slot, for another one (hb_replace_begin()). */
		if (replaces && (i != nr_slots - 1 || replaces > nr_slots - 1))
			return false;
	}
	if (le64_to_cpu(sb->events_cleared) > le64_to_cpu(sb->events) || sb->pad)
		return false;
	if (le32_to_cpu(sb->fail_errors) > HEALBLK_FAIL_ERRORS_MAX ||
	    le32_to_cpu(sb->fail_window) > HEALBLK_FAIL_WINDOW_MAX)
		return false;
	return true;
}

/*
 * Read a leg's superblock into @out: the valid copy with the higher event
 * counter.  On failure, *@why says why in words for extack.
 */
int hb_meta_read(struct block_device *bdev, struct healblk_sb *out, const char **why)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct healblk_sb *sb;
	bool magic = false, found = false, invalid = false;
	const char *bad_why = NULL;
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
		if (!hb_sb_valid(sb, bdev_nr_sectors(bdev), &bad_why)) {
			invalid = true;
			continue;
		}
		if (!found || le64_to_cpu(sb->events) > le64_to_cpu(out->events))
			memcpy(out, sb, sizeof(*out));
		found = true;
	}
	if (!found) {
		if (invalid)
			*why = bad_why;
		else if (magic)
			*why = "checksum mismatch in both superblock copies of a leg";
		ret = -EINVAL;
	}
out:
	__free_page(page);
	return ret;
}
