// SPDX-License-Identifier: GPL-2.0
/*
 * The persistent bad-block table (format: Documentation/healblk-format.md):
 * each leg's known-bad ranges (leg->bb, the kernel's badblocks) written
 * to every leg in sync or rebuilding whenever one changes, before anything
 * relies on the change, and loaded at assembly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include "healblk.h"

static_assert(sizeof(struct healblk_bb_table) == 4096);

/* Copy A or B of the table */
#define HB_BBT_SECTOR(copy)	(HEALBLK_BB_SECTOR + (copy) * (PAGE_SIZE >> SECTOR_SHIFT))

static u32 hb_bbt_crc(const struct healblk_bb_table *t)
{
	return ~__crc32c_le(~0U, (const u8 *)t, offsetof(struct healblk_bb_table, crc));
}

static bool hb_leg_writable(struct hb_leg *leg)
{
	enum healblk_leg_state state = READ_ONCE(leg->state);

	return state == HEALBLK_LEG_IN_SYNC || state == HEALBLK_LEG_REBUILDING;
}

/* Copy the in-memory tables of the legs that take writes; false if they do not fit. */
static bool hb_bbt_fill(struct hb_dev *dev, struct healblk_bb_table *t)
{
	unsigned int i, n = 0, seq;
	int j;

	memset(t, 0, sizeof(*t));
	memcpy(t->magic, HEALBLK_BB_MAGIC, sizeof(t->magic));
	t->version = cpu_to_le32(1);
	memcpy(t->dev_uuid, dev->uuid, sizeof(t->dev_uuid));
	t->seq = cpu_to_le64(++dev->bbt_seq);
	for (i = 0; i < dev->nr_legs; i++) {
		struct hb_leg *leg = dev->legs[i];
		struct badblocks *bb = &leg->bb;
		unsigned int start = n;

		if (!hb_leg_writable(leg))
			continue;
		do {
			n = start;
			seq = read_seqbegin(&bb->lock);
			for (j = 0; j < bb->count; j++) {
				u64 e = bb->page[j];

				if (n == HEALBLK_BB_MAX)
					return false;
				t->entries[n].sector = cpu_to_le64(BB_OFFSET(e));
				t->entries[n].sectors = cpu_to_le32(BB_LEN(e));
				t->entries[n].slot = i;
				n++;
				/*
				 * A replacement in sync takes its slot next: its
				 * ranges are that slot's too (hb_replace_finish()).
				 */
				if (leg->replaces && leg->state == HEALBLK_LEG_IN_SYNC) {
					if (n == HEALBLK_BB_MAX)
						return false;
					t->entries[n] = t->entries[n - 1];
					t->entries[n].slot = leg->replaces - 1;
					n++;
				}
			}
		} while (read_seqretry(&bb->lock, seq));
	}
	t->count = cpu_to_le32(n);
	t->crc = cpu_to_le32(hb_bbt_crc(t));
	return true;
}

/*
 * Write the table to every leg taking writes, copy A then copy B.
 * Returns -ENOSPC when the ranges do not fit (the caller decides which
 * leg to give up), else 0; a leg that cannot take it is failed.
 */
int hb_bbt_save(struct hb_dev *dev)
{
	struct healblk_bb_table *t = page_address(dev->bbt_page);
	unsigned long bad = 0;
	unsigned int i, copy;
	int ret = 0;

	mutex_lock(&dev->bbt_mutex);
	if (!hb_bbt_fill(dev, t)) {
		ret = -ENOSPC;
		goto out;
	}
	for (i = 0; i < dev->nr_legs; i++) {
		struct hb_leg *leg = dev->legs[i];

		if (!hb_leg_writable(leg))
			continue;
		for (copy = 0; copy < 2; copy++)
			if (hb_leg_meta_rw(leg, HB_BBT_SECTOR(copy), dev->bbt_page,
					   REQ_OP_WRITE | REQ_SYNC | REQ_FUA))
				bad |= BIT(i);
	}
out:
	mutex_unlock(&dev->bbt_mutex);
	for_each_set_bit(i, &bad, dev->nr_legs) {
		atomic64_inc(&dev->legs[i]->write_errors);
		hb_leg_fail(dev->legs[i], "cannot write the bad-block table", NULL);
	}
	return ret;
}

/*
 * A range of @leg's data can no longer be trusted: in memory, then on
 * disk, before the caller goes on.  False if it cannot be recorded: then
 * the leg must not serve reads at all.
 */
bool hb_leg_record_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	if (!hb_leg_mark_bad(leg, sector, sectors))
		return false;
	if (hb_bbt_save(leg->dev) == -ENOSPC) {
		hb_leg_clear_bad(leg, sector, sectors);
		return false;
	}
	return true;
}

/* A range of @leg's data was written and read back: trust it again. */
void hb_leg_forget_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	struct hb_dev *dev = leg->dev;
	unsigned long failed;
	unsigned int i;

	/*
	 * The entry goes away only once the data it covered is on stable
	 * media on every leg: a flush of each first.  A leg whose flush
	 * fails keeps its entries and is failed.
	 */
	mutex_lock(&dev->bbt_mutex);
	failed = hb_legs_flush(dev);
	mutex_unlock(&dev->bbt_mutex);
	if (failed) {
		for_each_set_bit(i, &failed, dev->nr_legs)
			hb_leg_fail(dev->legs[i], "a cache flush failed", NULL);
		return;
	}
	hb_leg_clear_bad(leg, sector, sectors);
	hb_bbt_save(dev);
}

/*
 * A copy read from disk, checked entry by entry before any of it is used:
 * one range out of the device or of a slot it does not have means the
 * block is not what healblk wrote, whatever its checksum says.
 */
static bool hb_bbt_valid(struct hb_dev *dev, const struct healblk_bb_table *t)
{
	unsigned int i, n = le32_to_cpu(t->count);

	if (memcmp(t->magic, HEALBLK_BB_MAGIC, sizeof(t->magic)) ||
	    le32_to_cpu(t->version) != 1 ||
	    memcmp(t->dev_uuid, dev->uuid, sizeof(t->dev_uuid)) ||
	    le32_to_cpu(t->crc) != hb_bbt_crc(t) || n > HEALBLK_BB_MAX)
		return false;
	for (i = 0; i < n; i++) {
		const struct healblk_bb_entry *e = &t->entries[i];
		u64 sector = le64_to_cpu(e->sector);
		u32 sectors = le32_to_cpu(e->sectors);

		/*
		 * badblocks takes an int of sectors.  A slot the device no
		 * longer has (a replacement's, written before its hand-over)
		 * is skipped at load, not a sign of corruption.
		 */
		if (e->slot >= HEALBLK_MAX_LEGS || !sectors || sectors > INT_MAX ||
		    sector >= dev->sectors || sectors > dev->sectors - sector)
			return false;
	}
	return true;
}

/* Assembly: the newest valid table among @legs, into their badblocks. */
int hb_bbt_load(struct hb_dev *dev, unsigned long legs)
{
	struct healblk_bb_table *t = page_address(dev->bbt_page), *best;
	unsigned int i, copy, n;
	int ret = 0;

	best = kzalloc(sizeof(*best), GFP_KERNEL);
	if (!best)
		return -ENOMEM;
	for_each_set_bit(i, &legs, dev->nr_legs) {
		for (copy = 0; copy < 2; copy++) {
			if (hb_meta_rw(dev->legs[i]->bdev, HB_BBT_SECTOR(copy), dev->bbt_page,
				       REQ_OP_READ))
				continue;
			if (!hb_bbt_valid(dev, t)) {
				if (!memcmp(t->magic, HEALBLK_BB_MAGIC, sizeof(t->magic)))
					pr_warn("leg %u (%pg): bad-block table copy %u is invalid: ignored\n",
						i, dev->legs[i]->bdev, copy);
				continue;
			}
			if (le64_to_cpu(t->seq) > le64_to_cpu(best->seq))
				memcpy(best, t, sizeof(*best));
		}
	}
	dev->bbt_seq = le64_to_cpu(best->seq);
	n = le32_to_cpu(best->count);
	for (i = 0; i < n; i++) {
		const struct healblk_bb_entry *e = &best->entries[i];
		u64 sector = le64_to_cpu(e->sector);
		u32 sectors = le32_to_cpu(e->sectors);

		if (!(legs & BIT(e->slot)))
			continue;
		if (!hb_leg_mark_bad(dev->legs[e->slot], sector, sectors)) {
			/* Cannot hold what it knew: the leg cannot be read safely. */
			dev->legs[e->slot]->state = HEALBLK_LEG_FAILED;
			dev->legs[e->slot]->reason = "its bad-block table does not fit in memory";
			ret = -ENOSPC;
		}
	}
	if (n)
		pr_info("healblk%d: %u bad ranges from the bad-block table\n", dev->index, n);
	kfree(best);
	return ret;
}

/*
 * Read [@sector, +@sectors) back from @leg and compare it with the data
 * of @src, a bio over the same range: true only if every byte matches.
 */
bool hb_leg_verify(struct hb_leg *leg, struct bio *src, sector_t sector,
		   unsigned int sectors)
{
	unsigned int bytes = sectors << SECTOR_SHIFT, npages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	unsigned int i, off = 0, done;
	struct page **pages;
	struct bvec_iter iter;
	struct bio_vec bv;
	bool same = false;

	pages = kcalloc(npages, sizeof(*pages), GFP_NOIO);
	if (!pages)
		return false;
	for (i = 0; i < npages; i++) {
		pages[i] = alloc_page(GFP_NOIO);
		if (!pages[i])
			goto out;
	}
	for (i = 0; i < npages; i += BIO_MAX_VECS) {
		unsigned int n = min_t(unsigned int, npages - i, BIO_MAX_VECS), j;
		struct bio *bio = bio_alloc(leg->bdev, n, REQ_OP_READ, GFP_NOIO);
		int err;

		bio->bi_iter.bi_sector = leg->dev->data_offset + sector +
					 ((sector_t)i << (PAGE_SHIFT - SECTOR_SHIFT));
		for (j = 0; j < n; j++)
			__bio_add_page(bio, pages[i + j],
				       min_t(unsigned int, PAGE_SIZE,
					     bytes - (i + j) * PAGE_SIZE), 0);
		err = submit_bio_wait(bio);
		bio_put(bio);
		if (err)
			goto out;
	}
	bio_for_each_segment(bv, src, iter) {
		for (done = 0; done < bv.bv_len; ) {
			unsigned int po = off % PAGE_SIZE;
			unsigned int n = min(bv.bv_len - done, (unsigned int)PAGE_SIZE - po);
			void *a = kmap_local_page(bv.bv_page);
			int diff = memcmp(a + bv.bv_offset + done,
					  page_address(pages[off / PAGE_SIZE]) + po, n);

			kunmap_local(a);
			if (diff)
				goto out;
			done += n;
			off += n;
		}
	}
	same = off == bytes;
out:
	for (i = 0; i < npages; i++)
		if (pages[i])
			__free_page(pages[i]);
	kfree(pages);
	return same;
}
