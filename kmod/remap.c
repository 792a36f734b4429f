// SPDX-License-Identifier: GPL-2.0
/*
 * Remap for a device of one leg, where no other copy can take a failed
 * write: the 4 KiB blocks it failed on are given blocks of a spare area
 * reserved at the end of the leg, as a disk's firmware reallocates
 * sectors.  The remap table (format: Documentation/healblk-format.md) is
 * on disk before the write is reported done.  When the spare area is used
 * up the device says so (event, state) and the write fails as before.
 *
 * The table is a per-device xarray from data block to spare block; a clone
 * sent to the leg over a remapped block is split around it (leg.c calls
 * hb_remap_submit() only while some block is remapped).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/slab.h>
#include "healblk.h"

#define HB_BLOCK_SHIFT	3	/* sectors in a 4 KiB block: 1 << 3 */

static_assert(sizeof(struct healblk_rm_table) == 4096);

/* Copy A or B of the table */
#define HB_RM_SECTOR(copy)	(HEALBLK_RM_SECTOR + (copy) * (PAGE_SIZE >> SECTOR_SHIFT))

static u32 hb_rm_crc(const struct healblk_rm_table *t)
{
	return ~__crc32c_le(~0U, (const u8 *)t, offsetof(struct healblk_rm_table, crc));
}

/* Where the spare area starts on a leg, in the leg's sectors. */
static sector_t hb_remap_area(struct hb_dev *dev)
{
	return dev->data_offset + dev->sectors;
}

/* Write the table (both copies) to the leg; called with remap_mutex held. */
static int hb_remap_save(struct hb_dev *dev, const struct healblk_rm_entry *extra,
			 unsigned int n_extra)
{
	struct healblk_rm_table *t = page_address(dev->rm_page);
	struct hb_leg *leg = dev->legs[0];
	unsigned long index;
	unsigned int n = 0, copy;
	void *entry;

	memset(t, 0, sizeof(*t));
	memcpy(t->magic, HEALBLK_RM_MAGIC, sizeof(t->magic));
	t->version = cpu_to_le32(1);
	memcpy(t->dev_uuid, dev->uuid, sizeof(t->dev_uuid));
	t->seq = cpu_to_le64(++dev->rm_seq);
	xa_for_each(&dev->remap, index, entry) {
		t->entries[n].from = cpu_to_le32(index);
		t->entries[n].to = cpu_to_le32(xa_to_value(entry));
		n++;
	}
	memcpy(&t->entries[n], extra, n_extra * sizeof(*extra));
	n += n_extra;
	t->count = cpu_to_le32(n);
	t->crc = cpu_to_le32(hb_rm_crc(t));
	for (copy = 0; copy < 2; copy++)
		if (hb_leg_meta_rw(leg, HB_RM_SECTOR(copy), dev->rm_page,
				   REQ_OP_WRITE | REQ_SYNC | REQ_FUA))
			return -EIO;
	return 0;
}

/* A new device of one leg: its (empty) table. */
int hb_remap_init(struct hb_dev *dev)
{
	int ret;

	if (!dev->rm_blocks)
		return 0;
	mutex_lock(&dev->remap_mutex);
	ret = hb_remap_save(dev, NULL, 0);
	mutex_unlock(&dev->remap_mutex);
	return ret;
}

/*
 * A copy read from disk, checked before use: every entry inside the device
 * and the spare area, no data block and no spare block twice (two blocks
 * sharing one spare block would read each other's data).
 */
static bool hb_remap_valid(struct hb_dev *dev, const struct healblk_rm_table *t)
{
	DECLARE_BITMAP(used, HEALBLK_RM_MAX);
	unsigned int i, j, n = le32_to_cpu(t->count);

	if (memcmp(t->magic, HEALBLK_RM_MAGIC, sizeof(t->magic)) ||
	    le32_to_cpu(t->version) != 1 ||
	    memcmp(t->dev_uuid, dev->uuid, sizeof(t->dev_uuid)) ||
	    le32_to_cpu(t->crc) != hb_rm_crc(t) || n > dev->rm_blocks)
		return false;
	bitmap_zero(used, HEALBLK_RM_MAX);
	for (i = 0; i < n; i++) {
		u32 from = le32_to_cpu(t->entries[i].from);
		u32 to = le32_to_cpu(t->entries[i].to);

		if (((sector_t)from << HB_BLOCK_SHIFT) >= dev->sectors || to >= dev->rm_blocks ||
		    __test_and_set_bit(to, used))
			return false;
		for (j = 0; j < i; j++)
			if (le32_to_cpu(t->entries[j].from) == from)
				return false;
	}
	return true;
}

/* Assembly: the newer valid copy of the leg's table. */
int hb_remap_load(struct hb_dev *dev)
{
	struct healblk_rm_table *t = page_address(dev->rm_page), *best;
	unsigned int copy, i, n;
	int ret = 0;

	if (!dev->rm_blocks || !dev->legs[0]->bdev)
		return 0;
	best = kzalloc(sizeof(*best), GFP_KERNEL);
	if (!best)
		return -ENOMEM;
	for (copy = 0; copy < 2; copy++) {
		if (hb_meta_rw(dev->legs[0]->bdev, HB_RM_SECTOR(copy), dev->rm_page,
			       REQ_OP_READ))
			continue;
		if (!hb_remap_valid(dev, t)) {
			if (!memcmp(t->magic, HEALBLK_RM_MAGIC, sizeof(t->magic)))
				pr_warn("%pg: remap table copy %u is invalid: ignored\n",
					dev->legs[0]->bdev, copy);
			continue;
		}
		if (le64_to_cpu(t->seq) > le64_to_cpu(best->seq))
			memcpy(best, t, sizeof(*best));
	}
	dev->rm_seq = le64_to_cpu(best->seq);
	n = le32_to_cpu(best->count);
	for (i = 0; i < n; i++) {
		u32 from = le32_to_cpu(best->entries[i].from);
		u32 to = le32_to_cpu(best->entries[i].to);

		ret = xa_err(xa_store(&dev->remap, from, xa_mk_value(to), GFP_KERNEL));
		if (ret)
			break;
		dev->rm_used = max(dev->rm_used, to + 1);
	}
	if (n)
		pr_info("healblk%d: %u blocks remapped into the spare area (%u of %u used)\n",
			dev->index, n, dev->rm_used, dev->rm_blocks);
	kfree(best);
	return ret;
}

/*
 * Send a clone of the leg's I/O, splitting it around remapped blocks:
 * their pieces go to the spare area.  Only for devices with remapped
 * blocks; from submit_bio or the workqueue.
 */
void hb_remap_submit(struct hb_dev *dev, struct bio *bio)
{
	for (;;) {
		sector_t ds = bio->bi_iter.bi_sector - dev->data_offset;
		unsigned int len = bio_sectors(bio), piece;
		sector_t b, first = ds >> HB_BLOCK_SHIFT, last;
		struct bio *split;
		void *to = NULL;

		if (!len || ds >= dev->sectors) {
			submit_bio_noacct(bio);
			return;
		}
		last = (ds + len - 1) >> HB_BLOCK_SHIFT;
		for (b = first; b <= last; b++) {
			to = xa_load(&dev->remap, b);
			if (to)
				break;
		}
		if (!to) {
			submit_bio_noacct(bio);
			return;
		}
		if (b > first) {
			/* The part before the remapped block goes where it is. */
			piece = (b << HB_BLOCK_SHIFT) - ds;
		} else {
			/* The part within the remapped block goes to the spare area. */
			piece = min_t(sector_t, len, ((b + 1) << HB_BLOCK_SHIFT) - ds);
		}
		if (piece < len) {
			split = bio_split(bio, piece, GFP_NOIO, &dev->split_bs);
			bio_chain(split, bio);
		} else {
			split = bio;
		}
		if (b == first)
			split->bi_iter.bi_sector = hb_remap_area(dev) +
				((sector_t)xa_to_value(to) << HB_BLOCK_SHIFT) +
				(ds - (b << HB_BLOCK_SHIFT));
		submit_bio_noacct(split);
		if (split == bio)
			return;
	}
}

/*
 * A write of @io failed on the device's only leg: give its blocks spare
 * blocks, write the data there, record them, and only then make them
 * visible.  Returns 0 when the write is now done, or the errno to report.
 */
int hb_remap_write(struct hb_io *io)
{
	struct hb_dev *dev = io->dev;
	struct hb_leg *leg = dev->legs[0];
	struct healblk_rm_entry *e = NULL;
	sector_t first = io->sector >> HB_BLOCK_SHIFT;
	unsigned int n = io->sectors >> HB_BLOCK_SHIFT, i, start;
	struct bio *clone;
	int ret;

	if (!dev->rm_blocks || bio_op(io->bio) != REQ_OP_WRITE)
		return -EIO;
	/* Whole blocks only: the rest of a block could not be read back from a failing place. */
	if ((io->sector | io->sectors) & ((1 << HB_BLOCK_SHIFT) - 1) || !n)
		return -EIO;

	mutex_lock(&dev->remap_mutex);
	for (i = 0; i < n; i++) {
		if (xa_load(&dev->remap, first + i)) {
			/* Its spare block failed too: nothing left to try. */
			ret = -EIO;
			goto out;
		}
	}
	if (dev->rm_used + n > dev->rm_blocks) {
		ret = -ENOSPC;
		goto out;
	}
	start = dev->rm_used;
	e = kcalloc(n, sizeof(*e), GFP_NOIO);
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}

	clone = bio_alloc_clone(leg->bdev, io->bio, GFP_NOIO, &dev->split_bs);
	clone->bi_iter.bi_sector = hb_remap_area(dev) + ((sector_t)start << HB_BLOCK_SHIFT);
	clone->bi_opf = REQ_OP_WRITE | REQ_SYNC | REQ_FUA;
	ret = submit_bio_wait(clone);
	bio_put(clone);
	if (ret)
		goto out;

	for (i = 0; i < n; i++) {
		e[i].from = cpu_to_le32(first + i);
		e[i].to = cpu_to_le32(start + i);
	}
	ret = hb_remap_save(dev, e, n);
	if (ret)
		goto out;
	for (i = 0; i < n; i++) {
		ret = xa_err(xa_store(&dev->remap, first + i, xa_mk_value(start + i), GFP_NOIO));
		if (ret)
			goto out;
	}
	dev->rm_used += n;
	WRITE_ONCE(dev->rm_active, true);
out:
	if (ret == -ENOSPC)
		WRITE_ONCE(dev->rm_full, true);
	mutex_unlock(&dev->remap_mutex);
	kfree(e);
	if (ret == -ENOSPC)
		pr_warn_ratelimited("%s: spare area full (%u blocks): write at %llu+%u fails\n",
				    dev->disk->disk_name, dev->rm_blocks,
				    (unsigned long long)io->sector, io->sectors);
	else if (!ret)
		pr_info_ratelimited("%s: %u blocks at %llu remapped into the spare area (%u of %u used)\n",
				    dev->disk->disk_name, n, (unsigned long long)io->sector,
				    dev->rm_used, dev->rm_blocks);
	hb_ev_remap(dev, io->sector, io->sectors, ret);
	return ret;
}
