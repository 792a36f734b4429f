// SPDX-License-Identifier: GPL-2.0
/*
 * Write-intent bitmap (format: Documentation/healblk-format.md).
 *
 * A region's bit is on every leg's disk before a write to it is sent to
 * any leg, so after a crash only regions with their bit set can differ
 * between legs: assembly resyncs those, not the whole device.  A bit is
 * cleared lazily, as md's bitmap daemon does: a sweep every
 * HB_BM_SWEEP_MS clears the bits of regions that saw no write since the
 * sweep before, with none in flight.
 *
 * The fast path is a test_bit: a write to a region whose bit is set goes
 * on at once.  Otherwise it is handed to dev->wq, which sets the bit,
 * writes the bitmap block to every leg (FUA) and then sends the write: a
 * block's write must not wait inside submit_bio, where bios submitted
 * are only queued.
 *
 * Who may see a write and a clear race: the write counts itself in write
 * tracking, then tests the bit; the sweep clears the bit, then looks at
 * write tracking and sets the bit back if a write came.  Full barriers on
 * both sides: one of the two sees the other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "healblk.h"

#define HB_BM_SWEEP_MS	5000

static_assert(sizeof(struct healblk_bm_block) == 4096);

#define HB_BM_BLOCK_SECTOR(index) (HEALBLK_BM_SECTOR + (index) * (PAGE_SIZE >> SECTOR_SHIFT))

static u32 hb_bm_crc(const struct healblk_bm_block *b)
{
	return ~__crc32c_le(~0U, (const u8 *)b, offsetof(struct healblk_bm_block, crc));
}

/* Smallest region, from 1 MiB up, whose bits fit in the blocks. */
unsigned int hb_bm_shift_for(sector_t sectors)
{
	unsigned int shift = HB_WTRACK_SHIFT;

	while (DIV_ROUND_UP_ULL(sectors, 1ULL << shift) >
	       (u64)HEALBLK_BM_BLOCKS_MAX * HEALBLK_BM_BITS)
		shift++;
	return shift;
}

/* Bits of regions [@first, @last] for [@sector, +@sectors); false for none. */
static bool hb_bm_range(struct hb_dev *dev, sector_t sector, unsigned int sectors,
			unsigned long *first, unsigned long *last)
{
	if (!sectors)
		return false;
	*first = sector >> dev->bm_shift;
	*last = (sector + sectors - 1) >> dev->bm_shift;
	return true;
}

/*
 * I/O path: is every region of the write marked on disk already?  A bit
 * set in memory whose block is still being written does not count
 * (bm_ondisk): a write let through then could reach a leg before its bit
 * reaches the disk, and a crash would leave the legs different there with
 * the bit clear.
 */
bool hb_bm_covered(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	unsigned long r, first, last;

	if (!hb_bm_range(dev, sector, sectors, &first, &last))
		return true;
	for (r = first; r <= last; r++)
		if (!test_bit(r, dev->bm_ondisk))
			return false;
	return true;
}

/*
 * Claim region @r's block for writing unless the bit is on disk already.
 * A bit another writer set but whose block is not written yet is claimed
 * again: whoever holds bm_mutex after this writes it, or filled it after
 * the bit was set (hb_bm_flush()).
 */
static void hb_bm_set(struct hb_dev *dev, unsigned long r)
{
	if (test_bit(r, dev->bm_ondisk))
		return;
	set_bit(r, dev->bm_bits);
	/* The bit is in memory before the block is claimed for writing. */
	smp_mb__after_atomic();
	set_bit(r / HEALBLK_BM_BITS, &dev->bm_dirty);
}

/* Bits into bm_ondisk once their block is on every leg: those @b holds. */
static void hb_bm_block_written(struct hb_dev *dev, unsigned int index,
				const struct healblk_bm_block *b)
{
	unsigned long first = (unsigned long)index * HEALBLK_BM_BITS, r;

	for (r = first; r < min_t(unsigned long, first + HEALBLK_BM_BITS, dev->bm_nbits); r++)
		if (b->bits[(r - first) / 8] & (1 << ((r - first) % 8)))
			set_bit(r, dev->bm_ondisk);
}

static void hb_bm_fill_block(struct hb_dev *dev, unsigned int index,
			     struct healblk_bm_block *b)
{
	unsigned long first = (unsigned long)index * HEALBLK_BM_BITS, r;

	memset(b, 0, sizeof(*b));
	memcpy(b->magic, HEALBLK_BM_MAGIC, sizeof(b->magic));
	b->index = cpu_to_le32(index);
	memcpy(b->dev_uuid, dev->uuid, sizeof(b->dev_uuid));
	for (r = first; r < min_t(unsigned long, first + HEALBLK_BM_BITS, dev->bm_nbits); r++)
		if (test_bit(r, dev->bm_bits))
			b->bits[(r - first) / 8] |= 1 << ((r - first) % 8);
	b->crc = cpu_to_le32(hb_bm_crc(b));
}

/* hb_bm_flush() with bm_mutex held. */
static void hb_bm_flush_locked(struct hb_dev *dev)
{
	struct healblk_bm_block *b = page_address(dev->bm_page);
	unsigned int index, i;

	lockdep_assert_held(&dev->bm_mutex);
	while (dev->bm_dirty) {
		index = __ffs(dev->bm_dirty);
		if (!test_and_clear_bit(index, &dev->bm_dirty))
			continue;
		hb_bm_fill_block(dev, index, b);
		for (i = 0; i < dev->nr_legs; i++) {
			struct hb_leg *leg = dev->legs[i];
			enum healblk_leg_state state = READ_ONCE(leg->state);

			if (state != HEALBLK_LEG_IN_SYNC && state != HEALBLK_LEG_REBUILDING)
				continue;
			if (hb_leg_meta_rw(leg, HB_BM_BLOCK_SECTOR(index), dev->bm_page,
					   REQ_OP_WRITE | REQ_SYNC | REQ_FUA)) {
				atomic64_inc(&leg->write_errors);
				dev->bm_failed |= BIT(i);
			}
		}
		/*
		 * On every leg that took it; one that did not is failed
		 * (hb_bm_fail_legs()) before the writes waiting here go on.
		 */
		hb_bm_block_written(dev, index, b);
	}
}

/*
 * Write every block claimed dirty to every leg in sync or rebuilding.
 * Returns once what was marked before the call is on disk: a caller that
 * finds its block already taken waits here for the writer.  A leg that
 * cannot take it cannot be trusted after a crash: it is failed.
 */
void hb_bm_flush(struct hb_dev *dev)
{
	mutex_lock(&dev->bm_mutex);
	hb_bm_flush_locked(dev);
	mutex_unlock(&dev->bm_mutex);
}

/* Fail the legs a bitmap write did not reach: from process context, no lock held. */
static void hb_bm_fail_legs(struct hb_dev *dev)
{
	unsigned long failed = xchg(&dev->bm_failed, 0);
	unsigned int i;

	for_each_set_bit(i, &failed, dev->nr_legs)
		hb_leg_fail(dev->legs[i], "cannot write the write-intent bitmap", NULL);
}

/* Mark [@sector, +@sectors) dirty on disk: process context. */
void hb_bm_mark(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	unsigned long r, first, last;

	if (!dev->bm_bits || !hb_bm_range(dev, sector, sectors, &first, &last))
		return;
	for (r = first; r <= last; r++)
		hb_bm_set(dev, r);
	hb_bm_flush(dev);
	if (unlikely(dev->bm_failed))
		hb_bm_fail_legs(dev);
}

/* All blocks to every leg: a new device, or a leg that joins. */
void hb_bm_write_all(struct hb_dev *dev)
{
	if (!dev->bm_bits)
		return;
	dev->bm_dirty = GENMASK(dev->bm_nblocks - 1, 0);
	hb_bm_flush(dev);
	if (unlikely(dev->bm_failed))
		hb_bm_fail_legs(dev);
}

/* Are all the write-tracking buckets of region @r idle and unchanged since the last sweep? */
static bool hb_bm_region_quiet(struct hb_dev *dev, unsigned long r)
{
	unsigned long n = 1UL << (dev->bm_shift - HB_WTRACK_SHIFT), i;
	unsigned long first = r << (dev->bm_shift - HB_WTRACK_SHIFT);
	u64 v;

	for (i = 0; i < min_t(unsigned long, n, HB_WTRACK_BUCKETS); i++) {
		unsigned long b = (first + i) & (HB_WTRACK_BUCKETS - 1);

		v = atomic64_read(&dev->wtrack[b]);
		if ((v & HB_WTRACK_INFLIGHT) || v != dev->bm_seen[b])
			return false;
	}
	return true;
}

/*
 * While a leg is out of sync (failed, missing, rebuilding), no bit goes
 * clean, in memory or on disk: the bits then name every region the leg
 * may have missed since it left, and a leg that comes back is caught up
 * from them (md keeps its bits while degraded, for --re-add).  A write
 * that fails on a leg that is failed for it keeps its region busy in
 * write tracking until the leg is out (hb_write_work()).  One that fails
 * on a leg that stays in sync leaves a bad range there instead, and a
 * region with a bad range on any leg keeps its bit (hb_bm_region_bad()):
 * else a leg that left later would be caught up without that region once
 * its ranges are dropped (the table keeps those of legs in the mirror).
 */
bool hb_bm_held(struct hb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		if (READ_ONCE(dev->legs[i]->state) != HEALBLK_LEG_IN_SYNC)
			return true;
	return false;
}

/* Does any leg hold a known-bad range in region @r? */
static bool hb_bm_region_bad(struct hb_dev *dev, unsigned long r)
{
	sector_t start = (sector_t)r << dev->bm_shift;
	unsigned int i, len;

	if (start >= dev->sectors)
		return false;
	len = min_t(sector_t, 1ULL << dev->bm_shift, dev->sectors - start);
	for (i = 0; i < dev->nr_legs; i++)
		if (hb_leg_is_bad(dev->legs[i], start, len))
			return true;
	return false;
}

/* Set the bits of every region with a bad range on some leg: stop, assembly. */
static void hb_bm_set_bad_regions(struct hb_dev *dev)
{
	unsigned long r;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		if (dev->legs[i]->bb.count)
			break;
	if (i == dev->nr_legs)
		return;
	for (r = 0; r < dev->bm_nbits; r++)
		if (hb_bm_region_bad(dev, r))
			set_bit(r, dev->bm_bits);
}

/* May region @r's bit go clean now?  Under bm_mutex. */
static bool hb_bm_region_clearable(struct hb_dev *dev, unsigned long r)
{
	/* Not in step yet: only the resync clears it. */
	if (dev->resync_bits && test_bit(r, dev->resync_bits))
		return false;
	return hb_bm_region_quiet(dev, r) && !hb_bm_region_bad(dev, r);
}

/*
 * Is the current superblock one written with every leg in sync
 * (events_cleared, meta.c)?  Then a copy of a leg older than it is told
 * from the leg by its counter, and bits may go clean.
 */
static bool hb_bm_sb_cleared(struct hb_dev *dev)
{
	return READ_ONCE(dev->events_cleared) == READ_ONCE(dev->events);
}

/*
 * Clear the bits of regions quiet since the last sweep.  A region is
 * quiet when its buckets are idle and unchanged since the last sweep:
 * its writes completed before that sweep ended.  When some bit may go
 * clean, a superblock is written first (hb_meta_write()): its flush of
 * every leg puts what those writes left in a volatile cache on stable
 * media (a bit goes clean on disk only once the data it covered is
 * durable everywhere: md-bitmap's rule), and its new event counter, with
 * every leg in sync, becomes events_cleared: a copy of a leg taken
 * before it (a snapshot, a clone) may miss writes whose bits clear now,
 * and is rebuilt whole if it comes back, not caught up (md's
 * events_cleared; the leg as it left is not older).  A leg whose flush
 * failed is failed, and nothing is cleared this round.  The superblock is
 * written outside bm_mutex (meta_mutex comes first); from then on under
 * bm_mutex throughout: a bit cleared for a moment and set back (a write
 * came) is never filled into a block, so never reaches a disk clear.  The
 * sweep holds an active reference: no leg is swapped under it.
 */
static void hb_bm_sweep(struct work_struct *work)
{
	struct hb_dev *dev = container_of(to_delayed_work(work), struct hb_dev, bm_sweep);
	bool clearable = false;
	unsigned long r;
	unsigned int b;

	if (!percpu_ref_tryget_live(&dev->active))
		goto again;	/* a leg is being swapped: next time */
	mutex_lock(&dev->bm_mutex);
	if (hb_bm_held(dev))
		goto seen;
	/* A superblock only when some bit may go clean: a hot region's stays set. */
	for_each_set_bit(r, dev->bm_bits, dev->bm_nbits) {
		clearable = hb_bm_region_clearable(dev, r);
		if (clearable)
			break;
	}
	if (!clearable)
		goto seen;
	mutex_unlock(&dev->bm_mutex);
	clearable = !hb_meta_write(dev);
	mutex_lock(&dev->bm_mutex);
	/*
	 * Not if an in-sync leg's superblock could not be written, a leg
	 * left (before the flush, it kept its cache), or a superblock was
	 * written since with a leg out of sync.
	 */
	if (!clearable || hb_bm_held(dev) || !hb_bm_sb_cleared(dev))
		goto seen;
	for_each_set_bit(r, dev->bm_bits, dev->bm_nbits) {
		if (dev->bm_failed)
			break;
		if (!hb_bm_region_clearable(dev, r))
			continue;
		/* Off disk first: the fast path reads bm_ondisk. */
		clear_bit(r, dev->bm_ondisk);
		clear_bit(r, dev->bm_bits);
		/* Pairs with hb_write()'s barrier: a write that missed the clear shows here. */
		smp_mb__after_atomic();
		if (!hb_bm_region_quiet(dev, r)) {
			/* Its block is not rewritten before: the bit is still on disk. */
			set_bit(r, dev->bm_bits);
			set_bit(r, dev->bm_ondisk);
		} else {
			set_bit(r / HEALBLK_BM_BITS, &dev->bm_dirty);
		}
	}
seen:
	for (b = 0; b < HB_WTRACK_BUCKETS; b++)
		dev->bm_seen[b] = atomic64_read(&dev->wtrack[b]);
	hb_bm_flush_locked(dev);
	mutex_unlock(&dev->bm_mutex);
	if (unlikely(dev->bm_failed))
		hb_bm_fail_legs(dev);
	percpu_ref_put(&dev->active);
again:
	if (!READ_ONCE(dev->sync_stop))
		queue_delayed_work(dev->wq, &dev->bm_sweep, msecs_to_jiffies(HB_BM_SWEEP_MS));
}

unsigned long hb_bm_dirty_regions(struct hb_dev *dev)
{
	return dev->bm_bits ? bitmap_weight(dev->bm_bits, dev->bm_nbits) : 0;
}

/* A write deferred from hb_write(): mark its regions, then send it. */
static void hb_bm_write_work(struct work_struct *work)
{
	struct hb_io *io = container_of(work, struct hb_io, work);

	hb_bm_mark(io->dev, io->sector, io->sectors);
	/* The bits before the legs are chosen: see hb_bm_catchup_start(). */
	smp_mb();
	hb_write_issue(io);
}

void hb_bm_defer(struct hb_io *io)
{
	INIT_WORK(&io->work, hb_bm_write_work);
	queue_work(io->dev->wq, &io->work);
}

/* Before the device starts: memory for @dev->sectors, all clean. */
int hb_bm_init(struct hb_dev *dev)
{
	if (!dev->bm_shift)
		dev->bm_shift = hb_bm_shift_for(dev->sectors);
	dev->bm_nbits = DIV_ROUND_UP_ULL(dev->sectors, 1ULL << dev->bm_shift);
	dev->bm_nblocks = DIV_ROUND_UP(dev->bm_nbits, HEALBLK_BM_BITS);
	mutex_init(&dev->bm_mutex);
	INIT_DELAYED_WORK(&dev->bm_sweep, hb_bm_sweep);
	dev->bm_page = alloc_page(GFP_KERNEL);
	dev->bm_bits = kvcalloc(BITS_TO_LONGS(dev->bm_nbits), sizeof(long), GFP_KERNEL);
	dev->bm_ondisk = kvcalloc(BITS_TO_LONGS(dev->bm_nbits), sizeof(long), GFP_KERNEL);
	dev->bm_seen = kvcalloc(HB_WTRACK_BUCKETS, sizeof(*dev->bm_seen), GFP_KERNEL);
	if (!dev->bm_page || !dev->bm_bits || !dev->bm_ondisk || !dev->bm_seen) {
		hb_bm_exit(dev);
		return -ENOMEM;
	}
	return 0;
}

void hb_bm_exit(struct hb_dev *dev)
{
	if (dev->bm_page)
		__free_page(dev->bm_page);
	kvfree(dev->bm_bits);
	kvfree(dev->bm_ondisk);
	kvfree(dev->resync_bits);
	kvfree(dev->bm_seen);
	dev->bm_page = NULL;
	dev->bm_bits = NULL;
	dev->bm_ondisk = NULL;
	dev->resync_bits = NULL;
	dev->bm_seen = NULL;
}

void hb_bm_start(struct hb_dev *dev)
{
	queue_delayed_work(dev->wq, &dev->bm_sweep, msecs_to_jiffies(HB_BM_SWEEP_MS));
}

/*
 * The device stops with nothing open, so no write is in flight: every
 * region is in step on every leg but those still to resync.  Written
 * clean, a clean stop resyncs nothing at assembly.
 */
void hb_bm_stop(struct hb_dev *dev)
{
	bool sb_failed = false;

	cancel_delayed_work_sync(&dev->bm_sweep);
	if (!dev->bm_bits)
		return;
	/* Before bits go clean, a superblock with every leg in sync, as in hb_bm_sweep(). */
	if (!hb_bm_held(dev))
		sb_failed = hb_meta_write(dev);
	/* What the last writes left in a volatile cache goes down before the bits clear. */
	mutex_lock(&dev->bm_mutex);
	dev->bm_failed |= hb_legs_flush(dev);
	mutex_unlock(&dev->bm_mutex);
	if (dev->bm_failed) {
		/* A leg may have lost writes: the bits stay, and it is failed. */
		hb_bm_fail_legs(dev);
		return;
	}
	/*
	 * A leg out keeps every bit: it is caught up from them at its return.
	 * Else what is still to resync, and the regions with bad ranges.
	 */
	if (!hb_bm_held(dev) && !sb_failed && hb_bm_sb_cleared(dev)) {
		/* What is written next is what is on disk: refilled by the flush. */
		bitmap_zero(dev->bm_ondisk, dev->bm_nbits);
		if (dev->resync_bits)
			bitmap_copy(dev->bm_bits, dev->resync_bits, dev->bm_nbits);
		else
			bitmap_zero(dev->bm_bits, dev->bm_nbits);
		hb_bm_set_bad_regions(dev);
	}
	hb_bm_write_all(dev);
}

/*
 * A leg that may be caught up (catchup_ok) starts its rebuild: the regions
 * to copy are the bits set now.  Called once the leg takes writes (state
 * REBUILDING): a write that chose its legs before saw the bit it had set
 * first, and every later one reaches this leg too.  -ENOMEM, -ENOENT (no
 * bitmap): the rebuild copies everything.
 */
int hb_bm_catchup_start(struct hb_leg *leg)
{
	struct hb_dev *dev = leg->dev;
	unsigned long *bits;

	if (!dev->bm_bits || !leg->catchup_ok)
		return -ENOENT;
	bits = kvcalloc(BITS_TO_LONGS(dev->bm_nbits), sizeof(long), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	/* Pairs with the barrier in hb_bm_write_work(): the state, then the bits. */
	smp_mb();
	mutex_lock(&dev->bm_mutex);
	bitmap_copy(bits, dev->bm_bits, dev->bm_nbits);
	mutex_unlock(&dev->bm_mutex);
	kvfree(leg->catchup_bits);
	leg->catchup_bits = bits;
	return 0;
}

/* May the rebuild pass over [@sector, +@sectors): no region of it to copy? */
bool hb_bm_catchup_skips(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	struct hb_dev *dev = leg->dev;
	unsigned long r, first, last;

	if (!leg->catchup_bits || !hb_bm_range(dev, sector, sectors, &first, &last))
		return false;
	for (r = first; r <= last; r++)
		if (test_bit(r, leg->catchup_bits))
			return false;
	return true;
}

void hb_bm_catchup_end(struct hb_leg *leg)
{
	kvfree(leg->catchup_bits);
	leg->catchup_bits = NULL;
}

/*
 * Assembly: the union of the bitmaps of @legs (bitmask of dev->legs): a
 * region dirty on any leg is resynced.  A block that cannot be read or
 * fails its checks counts as all dirty.  *@dirty: the regions to resync.
 * Returns -ENOMEM when they cannot be tracked: the device must not start
 * then, for its legs may differ in those regions.
 */
int hb_bm_load(struct hb_dev *dev, unsigned long legs, unsigned long *dirty)
{
	struct healblk_bm_block *b = page_address(dev->bm_page);
	unsigned long first, r, n;
	unsigned int index, i;

	for (index = 0; index < dev->bm_nblocks; index++) {
		first = (unsigned long)index * HEALBLK_BM_BITS;
		n = min_t(unsigned long, HEALBLK_BM_BITS, dev->bm_nbits - first);
		for_each_set_bit(i, &legs, dev->nr_legs) {
			bool ok = !hb_meta_rw(dev->legs[i]->bdev, HB_BM_BLOCK_SECTOR(index),
						 dev->bm_page,
					   REQ_OP_READ) &&
				  !memcmp(b->magic, HEALBLK_BM_MAGIC, sizeof(b->magic)) &&
				  le32_to_cpu(b->index) == index &&
				  !memcmp(b->dev_uuid, dev->uuid, sizeof(b->dev_uuid)) &&
				  le32_to_cpu(b->crc) == hb_bm_crc(b);

			if (!ok) {
				pr_warn("leg %u (%pg): bitmap block %u unusable: all its regions resync\n",
					i, dev->legs[i]->bdev, index);
				bitmap_set(dev->bm_bits, first, n);
				continue;
			}
			for (r = 0; r < n; r++)
				if (b->bits[r / 8] & (1 << (r % 8)))
					set_bit(first + r, dev->bm_bits);
		}
	}
	/* Regions with bad ranges (loaded before) keep their bits: hb_bm_held(). */
	hb_bm_set_bad_regions(dev);
	*dirty = bitmap_weight(dev->bm_bits, dev->bm_nbits);
	if (*dirty) {
		dev->resync_bits = kvcalloc(BITS_TO_LONGS(dev->bm_nbits), sizeof(long),
					    GFP_KERNEL);
		if (!dev->resync_bits)
			return -ENOMEM;
		bitmap_copy(dev->resync_bits, dev->bm_bits, dev->bm_nbits);
	}
	return 0;
}

/* A new device's initial sync: every region dirty and to resync. */
int hb_bm_dirty_all(struct hb_dev *dev)
{
	dev->resync_bits = kvcalloc(BITS_TO_LONGS(dev->bm_nbits), sizeof(long), GFP_KERNEL);
	if (!dev->resync_bits)
		return -ENOMEM;
	bitmap_set(dev->resync_bits, 0, dev->bm_nbits);
	bitmap_set(dev->bm_bits, 0, dev->bm_nbits);
	return 0;
}

/* Read path: does [@sector, +@sectors) touch a region still to resync? */
bool hb_bm_resyncing(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	unsigned long r, first, last;
	unsigned long *bits = dev->resync_bits;

	if (!bits || !hb_bm_range(dev, sector, sectors, &first, &last))
		return false;
	for (r = first; r <= last; r++)
		if (test_bit(r, bits))
			return true;
	return false;
}
