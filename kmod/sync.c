// SPDX-License-Identifier: GPL-2.0
/*
 * The background copy: spares, rebuild and scrub.
 *
 * One work item per device (sync_work on its ordered sync_wq) does one
 * thing at a time: put a spare in the place of a failed leg, rebuild a
 * leg chunk by chunk from the legs in sync, or scrub every leg.  Like md's
 * resync it runs at sync_max_kbs while the device is idle and drops to
 * sync_min_kbs while foreground I/O flows.
 *
 * A chunk is copied inside a window [win_lo, win_hi): writes that overlap
 * it wait until it moves on, and the copy starts only once writes already
 * in flight there have ended (write tracking, io.c).  A rebuilding leg
 * takes every write, so what it has copied stays current; it serves reads
 * below sync_pos only.  The rebuild position is checkpointed in the
 * superblocks, so a stopped device resumes where it was.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "healblk.h"

#define HB_SYNC_CHUNK		2048	/* sectors: 1 MiB */
#define HB_SYNC_PAGES		(HB_SYNC_CHUNK >> (PAGE_SHIFT - SECTOR_SHIFT))
#define HB_BLOCK_SECTORS	8	/* scrub and error fallback work in 4 KiB blocks */
#define HB_SYNC_EVENT_MS	1000	/* progress events */
#define HB_SYNC_CHECKPOINT_MS	5000	/* rebuild position into the superblocks */

/* Why a replacement's copy stopped, when it was asked to (hb_replace_drop()). */
static const char hb_replace_aborted[] = "replacement aborted by request";

/* 1 MiB of pages for one leg's copy of a chunk. */
struct hb_buf {
	struct page *pages[HB_SYNC_PAGES];
};

static void hb_buf_free(struct hb_buf *buf)
{
	unsigned int i;

	if (!buf)
		return;
	for (i = 0; i < HB_SYNC_PAGES; i++)
		if (buf->pages[i])
			__free_page(buf->pages[i]);
	kfree(buf);
}

static struct hb_buf *hb_buf_alloc(void)
{
	struct hb_buf *buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	unsigned int i;

	if (!buf)
		return NULL;
	for (i = 0; i < HB_SYNC_PAGES; i++) {
		buf->pages[i] = alloc_page(GFP_KERNEL);
		if (!buf->pages[i]) {
			hb_buf_free(buf);
			return NULL;
		}
	}
	return buf;
}

/* Sectors [@off, +@len) of the buffer, @off and @len in 4 KiB blocks' multiples. */
static int hb_buf_rw(struct hb_leg *leg, sector_t sector, struct hb_buf *buf,
		     unsigned int off, unsigned int len, blk_opf_t opf)
{
	unsigned int first = off >> (PAGE_SHIFT - SECTOR_SHIFT);
	unsigned int n = len >> (PAGE_SHIFT - SECTOR_SHIFT), i;
	struct bio *bio;
	int ret;

	if (unlikely(g_fault_injection)) {
		ret = hb_fault_sync(leg, op_is_write(opf) ? HEALBLK_OP_WRITE : HEALBLK_OP_READ,
				    sector + off, len);
		if (ret)
			return ret;
	}
	bio = bio_alloc(leg->bdev, n, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = leg->dev->data_offset + sector + off;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, buf->pages[first + i], PAGE_SIZE, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static bool hb_buf_same(struct hb_buf *a, struct hb_buf *b, unsigned int block)
{
	unsigned int page = block * HB_BLOCK_SECTORS >> (PAGE_SHIFT - SECTOR_SHIFT);

	return !memcmp(page_address(a->pages[page]), page_address(b->pages[page]), PAGE_SIZE);
}

/* The window */

static bool hb_range_overlaps(sector_t lo, sector_t hi, sector_t sector, unsigned int sectors)
{
	return lo < hi && sectors && sector < hi && sector + sectors > lo;
}

/* Does a write to [@sector, +@sectors) meet the copy's or a repair's window? */
static bool hb_win_overlaps(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	bool overlap;

	spin_lock_irq(&dev->lock);
	overlap = hb_range_overlaps(dev->win_lo, dev->win_hi, sector, sectors) ||
		  hb_range_overlaps(dev->rwin_lo, dev->rwin_hi, sector, sectors);
	spin_unlock_irq(&dev->lock);
	return overlap;
}

/*
 * From hb_write(), with the write already counted in write tracking: if
 * it overlaps a window, step out of write tracking, wait for the window
 * to move on, and count it again.
 */
void hb_write_wait_window(struct hb_dev *dev, struct hb_io *io)
{
	while (hb_win_overlaps(dev, io->sector, io->sectors)) {
		hb_wtrack_end(io);
		wait_event(dev->win_wait, !hb_win_overlaps(dev, io->sector, io->sectors));
		hb_wtrack_start(io);
		/* Counted before the window is looked at again: see hb_win_take(). */
		smp_mb__after_atomic();
	}
}

static bool hb_wtrack_quiet(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	bool quiet;

	hb_wtrack_snap(dev, sector, sectors, &quiet);
	return quiet;
}

/*
 * Own [@sector, +@sectors): no write there in flight, none starts until
 * released.  Writes that start from now on see the window (and step out
 * if they overlap it); the ones already counted are waited for by epoch,
 * not by their buckets going quiet, which writes to an aliasing region
 * could put off for ever.  A write counts itself under the epoch's low
 * bit, so the epoch before the last flip shares the current count: flip
 * and drain twice.  Only the sync work flips, one window at a time.
 */
static void hb_win_take(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	unsigned int old, i;

	spin_lock_irq(&dev->lock);
	dev->win_lo = sector;
	dev->win_hi = sector + sectors;
	spin_unlock_irq(&dev->lock);
	for (i = 0; i < 2; i++) {
		old = dev->wt_epoch;
		WRITE_ONCE(dev->wt_epoch, old + 1);
		/* Pairs with the barrier in hb_write(): see hb_wtrack_start(). */
		smp_mb();
		wait_event(dev->wtrack_wait, hb_wtrack_drained(dev, old, sector, sectors));
	}
}

static void hb_win_release(struct hb_dev *dev)
{
	spin_lock_irq(&dev->lock);
	dev->win_lo = 0;
	dev->win_hi = 0;
	spin_unlock_irq(&dev->lock);
	wake_up_all(&dev->win_wait);
}

/*
 * A repair owns [@sector, +@sectors) the same way, in a window of its own
 * (one repair at a time per device): writes that overlap it wait until
 * it is released.  It never
 * waits itself: it runs in dev->wq before its read completes, and writes
 * in flight may need dev->wq to end.  Returns false (nothing taken) while
 * another repair runs or a write is in flight there: the repair is
 * dropped, the range left as it is, and a later read retries it.  With the
 * window taken and no write in flight, the good data the read got is still
 * current when it lands, and no write's verify can trust the leg again
 * while the repair's old data is on its way (io.c hb_read_repair()).
 */
bool hb_repair_take(struct hb_dev *dev, sector_t sector, unsigned int sectors)
{
	if (!mutex_trylock(&dev->repair_mutex))
		return false;
	spin_lock_irq(&dev->lock);
	dev->rwin_lo = sector;
	dev->rwin_hi = sector + sectors;
	spin_unlock_irq(&dev->lock);
	WRITE_ONCE(dev->repair_active, true);
	/* Pairs with the barrier in hb_write(): see hb_win_take(). */
	smp_mb();
	if (hb_wtrack_quiet(dev, sector, sectors))
		return true;
	hb_repair_release(dev);
	return false;
}

void hb_repair_release(struct hb_dev *dev)
{
	spin_lock_irq(&dev->lock);
	dev->rwin_lo = 0;
	dev->rwin_hi = 0;
	spin_unlock_irq(&dev->lock);
	WRITE_ONCE(dev->repair_active, false);
	mutex_unlock(&dev->repair_mutex);
	wake_up_all(&dev->win_wait);
}

/* Progress and throttle */

struct hb_sync_run {
	struct hb_dev *dev;
	ktime_t start, ev_last, cp_last, win_start;
	sector_t start_pos, win_sectors;
	u64 fg_last;
	ktime_t fg_time;	/* when other I/O was last seen */
	u32 limit;		/* KiB/s the window is kept at; 0: none */
};

/* Upper-layer bios sent to the legs so far: the copy's own I/O is not counted. */
static u64 hb_fg_ios(struct hb_dev *dev)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		n += hb_leg_io_stat(dev->legs[i], offsetof(struct hb_leg_io_stats, reads)) +
		     hb_leg_io_stat(dev->legs[i], offsetof(struct hb_leg_io_stats, writes));
	return n;
}

static bool hb_sync_stopping(struct hb_dev *dev)
{
	return READ_ONCE(dev->sync_stop) || READ_ONCE(dev->sync_abort);
}

/* A run over @sectors in all (the running event says so from the start). */
static void hb_sync_begin(struct hb_sync_run *run, struct hb_dev *dev,
			  enum healblk_sync_kind kind, unsigned int leg, sector_t pos,
			  sector_t sectors)
{
	run->dev = dev;
	run->start = ktime_get();
	run->ev_last = run->start;
	run->cp_last = run->start;
	run->win_start = run->start;
	run->start_pos = pos;
	run->win_sectors = 0;
	run->fg_last = hb_fg_ios(dev);
	run->fg_time = 0;
	run->limit = 0;

	spin_lock_irq(&dev->lock);
	memset(&dev->sync, 0, sizeof(dev->sync));
	dev->sync.kind = kind;
	dev->sync.status = HEALBLK_SYNC_RUNNING;
	dev->sync.leg = leg;
	dev->sync.pos = pos;
	dev->sync.sectors = sectors;
	spin_unlock_irq(&dev->lock);
	WRITE_ONCE(dev->sync_active, true);
	/* Pairs with the barrier in hb_write(): see hb_win_take(). */
	smp_mb();
	hb_ev_sync(dev);
}

static void hb_sync_end(struct hb_dev *dev, enum healblk_sync_status status)
{
	WRITE_ONCE(dev->sync_abort, false);
	WRITE_ONCE(dev->sync_active, false);
	spin_lock_irq(&dev->lock);
	dev->sync.status = status;
	dev->sync.eta = 0;
	spin_unlock_irq(&dev->lock);
	hb_ev_sync(dev);
}

/*
 * @pos sectors done: update the status, send a progress event each second,
 * and sleep as long as the rate allows: sync_min_kbs while foreground I/O
 * went on since the last chunk, sync_max_kbs (0: no limit) otherwise.
 */
static void hb_sync_progress(struct hb_sync_run *run, sector_t pos, unsigned int done)
{
	struct hb_dev *dev = run->dev;
	ktime_t now = ktime_get();
	s64 ms = ktime_ms_delta(now, run->start);
	u64 fg = hb_fg_ios(dev), rate = 0, need_ms, win_ms;
	u32 limit;

	if (ms > 0)
		rate = div64_u64((u64)(pos - run->start_pos) * 1000, (u64)ms * 2);
	spin_lock_irq(&dev->lock);
	dev->sync.pos = pos;
	dev->sync.rate_kbs = min_t(u64, rate, U32_MAX);
	dev->sync.eta = rate ? min_t(u64, div64_u64((dev->sync.sectors - pos) / 2, rate),
				     U32_MAX) : 0;
	spin_unlock_irq(&dev->lock);
	if (ktime_ms_delta(now, run->ev_last) >= HB_SYNC_EVENT_MS) {
		run->ev_last = now;
		hb_ev_sync(dev);
	}

	/* Busy: other I/O came within the last half second (md's is_mddev_idle()). */
	if (fg != run->fg_last) {
		run->fg_last = fg;
		run->fg_time = now;
	}
	limit = ktime_ms_delta(now, run->fg_time) < 500 ? READ_ONCE(dev->sync_min_kbs) :
							 READ_ONCE(dev->sync_max_kbs);
	if (limit != run->limit) {
		/* What went at the old rate is not charged at the new one. */
		run->limit = limit;
		run->win_start = now;
		run->win_sectors = 0;
	}
	run->win_sectors += done;
	win_ms = ktime_ms_delta(now, run->win_start);
	if (limit) {
		need_ms = div_u64((u64)run->win_sectors * 1000, (u64)limit * 2);
		if (need_ms > win_ms)
			wait_event_timeout(dev->sync_wait, hb_sync_stopping(dev),
					   msecs_to_jiffies(need_ms - win_ms));
	}
	/* The rate is kept over a window of about a second. */
	if (win_ms >= 1000) {
		run->win_start = ktime_get();
		run->win_sectors = 0;
	}
}

/* Rebuild */

#define HB_CHUNK_BLOCKS		(HB_SYNC_CHUNK / HB_BLOCK_SECTORS)

/*
 * Read [@sector, +@len) from a leg in sync, trying each; where no leg can
 * read a 4 KiB block, record it bad on @target (if any), set it in
 * @lost and count it.  *@from: the leg the whole chunk came from, or -1
 * when it came block by block from several.  Returns the lost blocks:
 * their part of @buf holds nothing that may be written anywhere.
 */
static unsigned int hb_sync_read_good(struct hb_dev *dev, struct hb_leg *target,
				      sector_t sector, unsigned int len, struct hb_buf *buf,
				      unsigned long *lost, int *from, int prefer)
{
	unsigned int i, n, off, nlost = 0;

	bitmap_zero(lost, HB_CHUNK_BLOCKS);
	/*
	 * Whole, from any leg; or with @prefer (the leg reads are served
	 * from), whole from it alone: else block by block, it first, so that
	 * no block it serves is replaced by another leg's version.
	 */
	for (n = 0; n < (prefer < 0 ? dev->nr_legs : 1); n++) {
		struct hb_leg *leg;

		i = prefer < 0 ? n : prefer;
		leg = dev->legs[i];

		if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC ||
		    hb_leg_is_bad(leg, sector, len))
			continue;
		if (!hb_buf_rw(leg, sector, buf, 0, len, REQ_OP_READ)) {
			*from = i;
			return 0;
		}
		atomic64_inc(&leg->read_errors);
	}
	*from = -1;
	/* Block by block: one bad block must not cost the whole chunk. */
	for (off = 0; off < len; off += HB_BLOCK_SECTORS) {
		for (n = 0; n < dev->nr_legs; n++) {
			struct hb_leg *leg;

			i = prefer < 0 ? n : (prefer + n) % dev->nr_legs;
			leg = dev->legs[i];
			if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC ||
			    hb_leg_is_bad(leg, sector + off, HB_BLOCK_SECTORS))
				continue;
			if (!hb_buf_rw(leg, sector, buf, off, HB_BLOCK_SECTORS, REQ_OP_READ))
				break;
		}
		if (n == dev->nr_legs) {
			nlost++;
			__set_bit(off / HB_BLOCK_SECTORS, lost);
			if (target && !hb_leg_record_bad(target, sector + off, HB_BLOCK_SECTORS))
				hb_leg_fail(target, "bad-block table full", NULL);
		}
	}
	return nlost;
}

/*
 * Write the chunk in @buf to @leg but for the @lost blocks: runs of good
 * blocks, each one write.
 */
static int hb_buf_write_good(struct hb_leg *leg, sector_t sector, struct hb_buf *buf,
			     unsigned int len, const unsigned long *lost, unsigned int nlost)
{
	unsigned int blocks = len / HB_BLOCK_SECTORS, b = 0, e;
	int ret;

	if (!nlost)
		return hb_buf_rw(leg, sector, buf, 0, len, REQ_OP_WRITE);
	while ((b = find_next_zero_bit(lost, blocks, b)) < blocks) {
		e = find_next_bit(lost, blocks, b);
		ret = hb_buf_rw(leg, sector, buf, b * HB_BLOCK_SECTORS,
				(e - b) * HB_BLOCK_SECTORS, REQ_OP_WRITE);
		if (ret)
			return ret;
		b = e;
	}
	return 0;
}

/*
 * Publish what the run has copied, unless a new run overtook it (the leg
 * failed and was started again from 0 meanwhile): that one's position is
 * not this one's to move.
 */
static void hb_rebuild_publish(struct hb_dev *dev, struct hb_leg *leg, unsigned int gen,
			       sector_t pos)
{
	spin_lock_irq(&dev->lock);
	if (leg->rebuild_gen == gen) {
		/* Pairs with hb_leg_readable()'s acquire: the data is on the leg. */
		smp_store_release(&leg->sync_pos, pos);
	}
	spin_unlock_irq(&dev->lock);
}

static void hb_rebuild(struct hb_dev *dev, struct hb_leg *leg, struct hb_buf *buf)
{
	enum healblk_sync_status status = HEALBLK_SYNC_DONE;
	DECLARE_BITMAP(lost_map, HB_CHUNK_BLOCKS);
	unsigned int gen = READ_ONCE(leg->rebuild_gen);
	sector_t pos = leg->sync_pos;
	struct hb_sync_run run;
	enum healblk_leg_state old;
	int from;

	/*
	 * The leg takes every write already (REBUILDING): the regions it
	 * missed are the bits set now.  Without memory for them it copies
	 * everything.
	 */
	if (leg->catchup_ok && hb_bm_catchup_start(leg) == -ENOMEM)
		pr_warn("%s: no memory for leg %u's catch-up: copying everything\n",
			dev->disk->disk_name, leg->index);
	if (leg->catchup_bits)
		pr_info("%s: catching up leg %u (%pg) from sector %llu: %u of %lu regions from the bitmap\n",
			dev->disk->disk_name, leg->index, leg->bdev, (unsigned long long)pos,
			bitmap_weight(leg->catchup_bits, dev->bm_nbits), dev->bm_nbits);
	else
		pr_info("%s: rebuilding leg %u (%pg) from sector %llu of %llu\n",
			dev->disk->disk_name, leg->index, leg->bdev,
			(unsigned long long)pos, (unsigned long long)dev->sectors);
	hb_sync_begin(&run, dev, HEALBLK_SYNC_REBUILD, leg->index, pos, dev->sectors);
	while (pos < dev->sectors) {
		unsigned int len = min_t(sector_t, HB_SYNC_CHUNK, dev->sectors - pos);
		unsigned int lost;
		int err;


		if (READ_ONCE(dev->sync_stop)) {
			status = HEALBLK_SYNC_STOPPED;
			break;
		}
		if (READ_ONCE(dev->sync_abort)) {
			status = HEALBLK_SYNC_ABORTED;
			break;
		}
		/*
		 * Failed, or failed and started again by request meanwhile
		 * (a new run from 0, with its own snapshot of the bits): this
		 * run is over either way.
		 */
		if (READ_ONCE(leg->state) != HEALBLK_LEG_REBUILDING ||
		    READ_ONCE(leg->rebuild_gen) != gen || !hb_legs_in_sync(dev)) {
			status = HEALBLK_SYNC_FAILED;
			break;
		}
		/*
		 * Caught up from the bitmap: a chunk of clean regions holds
		 * current data on the leg already, and may be read there.
		 */
		if (hb_bm_catchup_skips(leg, pos, len)) {
			hb_rebuild_publish(dev, leg, gen, pos + len);
			pos += len;
			hb_sync_progress(&run, pos, 0);
			cond_resched();	/* millions of chunks on a big, clean disk */
			continue;
		}
		hb_win_take(dev, pos, len);
		/* The lost blocks are marked bad on the leg: what it holds there is never read. */
		lost = hb_sync_read_good(dev, leg, pos, len, buf, lost_map, &from, -1);
		err = hb_buf_rw(leg, pos, buf, 0, len, REQ_OP_WRITE);
		/* On the leg before reads may come to it: hb_leg_readable(). */
		if (!err)
			hb_rebuild_publish(dev, leg, gen, pos + len);
		hb_win_release(dev);
		if (err) {
			atomic64_inc(&leg->write_errors);
			hb_leg_fail(leg, "write error while rebuilding", NULL);
			status = HEALBLK_SYNC_FAILED;
			break;
		}
		spin_lock_irq(&dev->lock);
		dev->sync.unreadable += lost;
		dev->sync.copied += len;
		spin_unlock_irq(&dev->lock);
		pos += len;
		if (ktime_ms_delta(ktime_get(), run.cp_last) >= HB_SYNC_CHECKPOINT_MS) {
			run.cp_last = ktime_get();
			hb_meta_write(dev);
		}
		hb_sync_progress(&run, pos, len);
	}

	if (status == HEALBLK_SYNC_DONE) {
		spin_lock_irq(&dev->lock);
		old = leg->state;
		/*
		 * Still this run's: a leg failed in its last chunk and started
		 * again by request is the next run's.
		 */
		if (old == HEALBLK_LEG_REBUILDING && leg->rebuild_gen != gen)
			old = HEALBLK_LEG_FAILED;
		if (old == HEALBLK_LEG_REBUILDING) {
			WRITE_ONCE(leg->state, HEALBLK_LEG_IN_SYNC);
			leg->reason = NULL;
			leg->err_next = 0;
			leg->catchup_ok = true;
		}
		spin_unlock_irq(&dev->lock);
		if (old == HEALBLK_LEG_REBUILDING) {
			pr_info("%s: leg %u (%pg) rebuilt, in sync\n", dev->disk->disk_name,
				leg->index, leg->bdev);
			hb_meta_write(dev);
			hb_ev_leg_state(leg, old, "rebuilt");
		} else {
			status = HEALBLK_SYNC_FAILED;
		}
	} else if (status == HEALBLK_SYNC_ABORTED) {
		spin_lock_irq(&dev->lock);
		old = leg->state;
		if (old == HEALBLK_LEG_REBUILDING)
			hb_leg_out_locked(leg, leg->replaces ? hb_replace_aborted :
						"rebuild aborted by request");
		spin_unlock_irq(&dev->lock);
		hb_meta_write(dev);
		if (old == HEALBLK_LEG_REBUILDING) {
			hb_leg_out_done(dev);
			hb_ev_leg_state(leg, old, leg->reason);
		}
	} else {
		/* Stopped: the checkpoint is where it resumes. */
		hb_meta_write(dev);
	}
	hb_bm_catchup_end(leg);
	hb_sync_end(dev, status);
}

/* Resync after a crash */

static bool hb_resync_wanted(struct hb_dev *dev)
{
	return dev->resync_bits && !bitmap_empty(dev->resync_bits, dev->bm_nbits);
}

/* Blocks of a chunk no leg could read: bad on every leg, so none serves them. */
static void hb_resync_lost(struct hb_dev *dev, sector_t pos, unsigned int len,
			   const unsigned long *lost_map, unsigned int lost)
{
	unsigned long legs = hb_legs_writable(dev);
	unsigned int b, i;

	for_each_set_bit(b, lost_map, len / HB_BLOCK_SECTORS) {
		for_each_set_bit(i, &legs, dev->nr_legs) {
			if (!hb_leg_record_bad(dev->legs[i], pos + b * HB_BLOCK_SECTORS,
					       HB_BLOCK_SECTORS))
				hb_leg_fail(dev->legs[i], "bad-block table full", NULL);
		}
	}
	spin_lock_irq(&dev->lock);
	dev->sync.unreadable += lost;
	spin_unlock_irq(&dev->lock);
}

/*
 * Copy every region the bitmap had dirty at assembly from one leg in sync
 * to the others.  Until a region is done, reads of it are served by the
 * resync source alone (from the first bio: hb_dev_start()), so no two
 * reads can see different data.  A chunk the source cannot read comes
 * from another leg and is written to every leg but that one, the source
 * too; a block no leg can read is written nowhere and marked bad on every
 * leg: it reads as an error, never as two different things.  A leg that
 * cannot take a resync write leaves the mirror at once.
 */
static void hb_resync(struct hb_dev *dev, struct hb_buf *buf)
{
	enum healblk_sync_status status = HEALBLK_SYNC_DONE;
	unsigned long r, total = bitmap_weight(dev->resync_bits, dev->bm_nbits);
	unsigned long in_sync = hb_legs_in_sync(dev);
	sector_t region = 1ULL << dev->bm_shift, done = 0;
	DECLARE_BITMAP(lost_map, HB_CHUNK_BLOCKS);
	struct hb_sync_run run;
	unsigned int i;
	int from;

	if (!in_sync)
		return;
	if (!(in_sync & BIT(READ_ONCE(dev->resync_src)))) {
		WRITE_ONCE(dev->resync_src, __ffs(in_sync));
		/* The source is set before reads are steered to it. */
		smp_wmb();
	}
	WRITE_ONCE(dev->resync_active, true);
	pr_info("%s: resyncing %lu dirty regions of %llu sectors from leg %u\n",
		dev->disk->disk_name, total, (unsigned long long)region, dev->resync_src);
	hb_sync_begin(&run, dev, HEALBLK_SYNC_RESYNC, dev->resync_src, 0,
		      min_t(sector_t, total * region, dev->sectors));

	for_each_set_bit(r, dev->resync_bits, dev->bm_nbits) {
		sector_t start = (sector_t)r << dev->bm_shift, pos;
		sector_t end = min_t(sector_t, start + region, dev->sectors);

		if (hb_sync_stopping(dev)) {
			status = READ_ONCE(dev->sync_stop) ? HEALBLK_SYNC_STOPPED :
							     HEALBLK_SYNC_ABORTED;
			break;
		}
		for (pos = start; pos < end; pos += HB_SYNC_CHUNK) {
			unsigned int len = min_t(sector_t, HB_SYNC_CHUNK, end - pos);
			unsigned long legs, bad = 0;
			unsigned int lost;

			hb_win_take(dev, pos, len);
			/* Block by block, what the source can serve comes from it. */
			lost = hb_sync_read_good(dev, NULL, pos, len, buf, lost_map, &from,
						 READ_ONCE(dev->resync_src));
			legs = hb_legs_writable(dev);
			if (from >= 0)
				legs &= ~BIT(from);
			for_each_set_bit(i, &legs, dev->nr_legs) {
				if (hb_buf_write_good(dev->legs[i], pos, buf, len, lost_map, lost)) {
					atomic64_inc(&dev->legs[i]->write_errors);
					bad |= BIT(i);
				}
			}
			/*
			 * Inside the window: a write to the chunk after it must
			 * find the legs failed and the lost blocks marked, not
			 * be overtaken by them.
			 */
			for_each_set_bit(i, &bad, dev->nr_legs)
				hb_leg_fail(dev->legs[i], "write error while resyncing", NULL);
			if (lost)
				hb_resync_lost(dev, pos, len, lost_map, lost);
			hb_win_release(dev);
		}
		clear_bit(r, dev->resync_bits);
		done += end - start;
		spin_lock_irq(&dev->lock);
		dev->sync.copied += end - start;
		spin_unlock_irq(&dev->lock);
		hb_sync_progress(&run, done, end - start);
	}
	if (status == HEALBLK_SYNC_DONE)
		WRITE_ONCE(dev->resync_active, false);
	pr_info("%s: resync %s: %llu sectors\n", dev->disk->disk_name,
		status == HEALBLK_SYNC_DONE ? "done" : "stopped", (unsigned long long)done);
	hb_sync_end(dev, status);
}

/* Scrub */

/*
 * Compare the in-sync legs' copies of a chunk 4 KiB by 4 KiB.  A block
 * that a leg cannot read, or holds in its bad-block table, or where it
 * differs from the reference copy, is rewritten from the reference: the
 * copy most legs agree on, ties going to the lowest leg (with two legs,
 * leg 0 is the reference, as in md's repair).  A check (@check) only
 * counts such blocks, as md's check does: it writes nothing.
 */
static void hb_scrub_chunk(struct hb_dev *dev, sector_t pos, unsigned int len,
			   struct hb_buf **bufs, bool check)
{
	unsigned long legs = hb_legs_in_sync(dev), readable = 0;
	u64 mismatches = 0, repaired = 0, unreadable = 0;
	unsigned int i, j, off;

	for_each_set_bit(i, &legs, dev->nr_legs)
		if (!hb_buf_rw(dev->legs[i], pos, bufs[i], 0, len, REQ_OP_READ))
			readable |= BIT(i);

	for (off = 0; off < len; off += HB_BLOCK_SECTORS) {
		unsigned int block = off / HB_BLOCK_SECTORS, votes, best_votes = 0;
		unsigned long ok = 0, fix = 0;
		int ref = -1;

		for_each_set_bit(i, &legs, dev->nr_legs) {
			struct hb_leg *leg = dev->legs[i];

			if (!(readable & BIT(i)) &&
			    hb_buf_rw(leg, pos, bufs[i], off, HB_BLOCK_SECTORS, REQ_OP_READ)) {
				atomic64_inc(&leg->read_errors);
				continue;
			}
			if (hb_leg_is_bad(leg, pos + off, HB_BLOCK_SECTORS))
				continue;
			ok |= BIT(i);
		}
		for_each_set_bit(i, &ok, dev->nr_legs) {
			votes = 0;
			for_each_set_bit(j, &ok, dev->nr_legs)
				if (hb_buf_same(bufs[i], bufs[j], block))
					votes++;
			if (votes > best_votes) {
				best_votes = votes;
				ref = i;
			}
		}
		if (ref < 0) {
			unreadable++;
			continue;
		}
		for_each_set_bit(i, &legs, dev->nr_legs)
			if (!(ok & BIT(i)) || !hb_buf_same(bufs[i], bufs[ref], block))
				fix |= BIT(i);
		if (!fix)
			continue;
		mismatches++;
		if (check)
			continue;
		hb_bm_mark(dev, pos + off, HB_BLOCK_SECTORS);
		for_each_set_bit(i, &fix, dev->nr_legs) {
			struct hb_leg *leg = dev->legs[i];

			if (hb_buf_rw(leg, pos, bufs[ref], off, HB_BLOCK_SECTORS,
				      REQ_OP_WRITE | REQ_SYNC)) {
				atomic64_inc(&leg->write_errors);
				hb_ev_repair(leg, pos + off, HB_BLOCK_SECTORS, -EIO);
				continue;
			}
			/* A range known bad is trusted again once it reads back right. */
			if (hb_leg_is_bad(leg, pos + off, HB_BLOCK_SECTORS) &&
			    !hb_buf_rw(leg, pos, bufs[i], off, HB_BLOCK_SECTORS, REQ_OP_READ) &&
			    hb_buf_same(bufs[i], bufs[ref], block))
				hb_leg_forget_bad(leg, pos + off, HB_BLOCK_SECTORS);
			atomic64_inc(&leg->repairs);
			hb_ev_repair(leg, pos + off, HB_BLOCK_SECTORS, 0);
			repaired++;
		}
	}
	spin_lock_irq(&dev->lock);
	dev->sync.mismatches += mismatches;
	dev->sync.repaired += repaired;
	dev->sync.unreadable += unreadable;
	spin_unlock_irq(&dev->lock);
}

static void hb_scrub(struct hb_dev *dev, bool check)
{
	enum healblk_sync_status status = HEALBLK_SYNC_DONE;
	struct hb_buf *bufs[HEALBLK_MAX_LEGS] = { NULL };
	const char *what = check ? "check" : "scrub";
	/* What it finds counts as mismatch_cnt with two legs to compare. */
	bool counts = hweight_long(hb_legs_in_sync(dev)) >= 2;
	struct hb_sync_run run;
	sector_t pos = 0;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++) {
		bufs[i] = hb_buf_alloc();
		if (!bufs[i])
			goto out;
	}
	hb_sync_begin(&run, dev, check ? HEALBLK_SYNC_CHECK : HEALBLK_SYNC_SCRUB, 0, 0,
		      dev->sectors);
	while (pos < dev->sectors) {
		unsigned int len = min_t(sector_t, HB_SYNC_CHUNK, dev->sectors - pos);

		if (hb_sync_stopping(dev)) {
			status = READ_ONCE(dev->sync_stop) ? HEALBLK_SYNC_STOPPED :
							     HEALBLK_SYNC_ABORTED;
			break;
		}
		hb_win_take(dev, pos, len);
		hb_scrub_chunk(dev, pos, len, bufs, check);
		hb_win_release(dev);
		pos += len;
		hb_sync_progress(&run, pos, len);
	}
	pr_info("%s: %s %s: %llu blocks mismatched, %llu repaired, %llu unreadable\n",
		dev->disk->disk_name, what, status == HEALBLK_SYNC_DONE ? "done" : "stopped",
		dev->sync.mismatches, dev->sync.repaired, dev->sync.unreadable);
	/* md's mismatch_cnt, kept across restarts: what the last whole pass found. */
	if (status == HEALBLK_SYNC_DONE && counts) {
		WRITE_ONCE(dev->mismatch_cnt, dev->sync.mismatches);
		hb_meta_write(dev);
	}
	hb_sync_end(dev, status);
out:
	for (i = 0; i < dev->nr_legs; i++)
		hb_buf_free(bufs[i]);
}

/* Spares */

/*
 * Everything that walks dev->legs[] or dev->spares[] outside the I/O path
 * does so under one of the metadata mutexes: superblocks (meta_mutex),
 * bitmap blocks (bm_mutex), the bad-block table (bbt_mutex).  A leg or
 * spare is swapped or dropped with all three held, in this order.  None
 * of them is ever held while waiting for upper-layer I/O: the I/O error
 * path takes each of them (hb_leg_fail -> hb_meta_write, hb_bm_mark,
 * hb_leg_record_bad), so hb_dev_suspend() must be called with none held.
 */
static void hb_members_lock(struct hb_dev *dev)
{
	mutex_lock(&dev->meta_mutex);
	mutex_lock(&dev->bm_mutex);
	mutex_lock(&dev->bbt_mutex);
}

static void hb_members_unlock(struct hb_dev *dev)
{
	mutex_unlock(&dev->bbt_mutex);
	mutex_unlock(&dev->bm_mutex);
	mutex_unlock(&dev->meta_mutex);
}

/* Under hb_members_lock(). */
static void hb_spares_drop(struct hb_dev *dev, unsigned int index)
{
	unsigned int i;

	for (i = index; i + 1 < dev->nr_spares; i++) {
		dev->spares[i] = dev->spares[i + 1];
		dev->spares[i]->index = i;
	}
	dev->spares[--dev->nr_spares] = NULL;
}

/*
 * The spare for slot @slot: that slot's own leg coming back (re-added),
 * else the first spare that is no other slot's leg; -1 if none.
 */
static int hb_spare_for(struct hb_dev *dev, unsigned int slot)
{
	int i, first = -1;

	for (i = 0; i < dev->nr_spares; i++) {
		if (dev->spares[i]->readd_slot == slot + 1)
			return i;
		if (!dev->spares[i]->readd_slot && first < 0)
			first = i;
	}
	return first;
}

/*
 * Put a spare in the place of leg @slot (failed or missing) and start
 * rebuilding it: the slot's own disk if it was re-added (caught up from
 * the bitmap when it was in sync as it left), else the first free spare.  The device is suspended for the swap: no bio in
 * flight refers to the old leg when it is closed.  The suspension comes
 * first and with no mutex held: a bio it waits for may be failing on
 * another leg right now, and its error handling writes the superblocks.
 */
static int hb_spare_activate(struct hb_dev *dev, unsigned int slot)
{
	struct hb_leg *old = dev->legs[slot], *spare;

	int which;

	lockdep_assert_held(&healblk_mutex);
	which = hb_spare_for(dev, slot);
	if (which < 0)
		return -ENOENT;

	hb_dev_suspend(dev);
	hb_members_lock(dev);
	spare = dev->spares[which];
	hb_spares_drop(dev, which);
	spare->index = slot;
	spare->sync_pos = 0;
	/*
	 * A spare holds nothing of the mirror's.  A re-added leg that was in
	 * sync holds all but what the bitmap names, and its known-bad ranges,
	 * which the slot kept while it was out (the old leg's): with any, it
	 * is rebuilt whole.
	 */
	if (spare->readd_slot != slot + 1 || old->bb.count ||
	    spare->readd_cleared != READ_ONCE(dev->events_cleared))
		spare->catchup_ok = false;
	spare->reason = spare->catchup_ok ? "re-added: caught up from the bitmap" :
			spare->readd_slot == slot + 1 ? "re-added: rebuilt from the mirror" :
							"rebuilding from the mirror";
	spare->readd_slot = 0;
	spare->state = HEALBLK_LEG_REBUILDING;
	dev->legs[slot] = spare;
	hb_members_unlock(dev);
	hb_dev_resume(dev);

	pr_info("%s: spare %pg replaces leg %u (%pg)\n", dev->disk->disk_name,
		spare->bdev, slot, old->bdev);
	kobject_del(&old->kobj);
	if (kobject_add(&spare->kobj, &dev->kobj, "leg%u", slot))
		pr_warn("%s: no sysfs directory for leg %u\n", dev->disk->disk_name, slot);
	if (old->bdev)
		bd_unlink_disk_holder(old->bdev, dev->disk);
	hb_leg_put(dev, old);
	hb_meta_write(dev);
	hb_bm_write_all(dev);
	hb_bbt_save(dev);	/* the old leg's ranges are gone with it */
	hb_ev_leg_state(spare, HEALBLK_LEG_SPARE, spare->reason);
	return 0;
}

/*
 * Replacement (md's want_replacement): a leg still in sync is copied to a
 * spare while it keeps serving.  The spare joins as one more slot, the
 * last, rebuilding like any leg (it takes every write, serves reads below
 * its sync_pos); the superblocks name the slot it is for (replaces).
 * Once it is in sync the old leg leaves (hb_replace_finish()) and the copy
 * takes its slot; the device never has one copy fewer than before.  A
 * replacement that fails, or whose copy is aborted, leaves again, the
 * latter back among the spares.  Slots, as everything else that changes
 * legs[], change in the sync work only, under healblk_mutex.
 */
static struct hb_leg *hb_rebuild_target(struct hb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		if (READ_ONCE(dev->legs[i]->state) == HEALBLK_LEG_REBUILDING)
			return dev->legs[i];
	return NULL;
}

/* The replacement in progress, or NULL: only ever the last slot. */
struct hb_leg *hb_replacement(struct hb_dev *dev)
{
	struct hb_leg *leg = dev->legs[dev->nr_legs - 1];

	return READ_ONCE(leg->replaces) ? leg : NULL;
}

/*
 * A replacement asked for ends without a copy (not started, or cancelled):
 * said as a rebuild of the slot that ended, so a waiting requester hears.
 */
static void hb_replace_unrequested(struct hb_dev *dev, unsigned int slot,
				   enum healblk_sync_status status)
{
	spin_lock_irq(&dev->lock);
	memset(&dev->sync, 0, sizeof(dev->sync));
	dev->sync.kind = HEALBLK_SYNC_REBUILD;
	dev->sync.status = status;
	dev->sync.leg = slot;
	dev->sync.sectors = dev->sectors;
	spin_unlock_irq(&dev->lock);
	hb_ev_sync(dev);
}

/* A spare for a replacement: not a re-added leg, which keeps its slot's identity. */
static int hb_spare_free(struct hb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_spares; i++)
		if (!dev->spares[i]->readd_slot)
			return i;
	return -1;
}

/*
 * Add a spare as slot nr_legs, copying for slot @slot, if that slot still
 * holds the leg the request named (by identity: a spare may have taken
 * the slot meanwhile).  healblk_mutex held.
 */
static void hb_replace_begin(struct hb_dev *dev, unsigned int slot)
{
	struct hb_leg *old = dev->legs[slot], *spare;
	unsigned int k = dev->nr_legs;
	int which = hb_spare_free(dev);

	lockdep_assert_held(&healblk_mutex);
	if (READ_ONCE(old->state) != HEALBLK_LEG_IN_SYNC || k == HEALBLK_MAX_LEGS ||
	    memcmp(old->uuid, dev->replace_uuid, sizeof(old->uuid)) ||
	    hb_replacement(dev) || hb_rebuild_target(dev) || which < 0) {
		pr_info("%s: the replacement of leg %u no longer fits: not started\n",
			dev->disk->disk_name, slot);
		hb_replace_unrequested(dev, slot, HEALBLK_SYNC_FAILED);
		return;
	}
	hb_dev_suspend(dev);
	hb_members_lock(dev);
	spare = dev->spares[which];
	hb_spares_drop(dev, which);
	spare->index = k;
	spare->replaces = slot + 1;
	spare->sync_pos = 0;
	spare->catchup_ok = false;
	spare->reason = "replacing a leg that still serves";
	spare->state = HEALBLK_LEG_REBUILDING;
	spin_lock_irq(&dev->lock);
	dev->legs[k] = spare;
	dev->nr_legs = k + 1;
	spin_unlock_irq(&dev->lock);
	hb_members_unlock(dev);
	hb_dev_resume(dev);

	pr_info("%s: spare %pg joins as leg %u to replace leg %u (%pg)\n",
		dev->disk->disk_name, spare->bdev, k, slot, old->bdev);
	if (kobject_add(&spare->kobj, &dev->kobj, "leg%u", k))
		pr_warn("%s: no sysfs directory for leg %u\n", dev->disk->disk_name, k);
	hb_meta_write(dev);
	hb_bm_write_all(dev);
	hb_ev_leg_state(spare, HEALBLK_LEG_SPARE, spare->reason);
}

/* Close a leg that left the device for good (its slot is gone or taken). */
static void hb_leg_retire(struct hb_dev *dev, struct hb_leg *leg)
{
	kobject_del(&leg->kobj);
	if (leg->bdev)
		bd_unlink_disk_holder(leg->bdev, dev->disk);
	hb_leg_put(dev, leg);
}

/*
 * Swap @a into slot @slot and @b (or nothing) into slot @k, the last, or
 * the slot goes.  Under hb_members_lock(), the device suspended; dev->lock
 * too: hb_dev_state() walks the slots under it alone.
 */
static void hb_slots_set(struct hb_dev *dev, unsigned int slot, struct hb_leg *a,
			 unsigned int k, struct hb_leg *b)
{
	spin_lock_irq(&dev->lock);
	a->index = slot;
	dev->legs[slot] = a;
	dev->legs[k] = b;
	if (b)
		b->index = k;
	dev->nr_legs = b ? k + 1 : k;
	spin_unlock_irq(&dev->lock);
}

/*
 * The replacement @repl is in sync: it takes the slot of the leg it
 * replaces, which leaves.  All of it with the device suspended: no write
 * is acknowledged until the superblocks list @repl in that slot, so the
 * old leg, which took every write until then, misses nothing if the swap
 * is undone (the copy could not record it) or a crash comes first.  The
 * bad-block table written before the swap lists @repl's ranges under
 * both slots (the old leg's too under its own): whichever superblock a
 * crash leaves, each leg finds at least its own ranges.  The swap's
 * superblock does not move events_cleared: a leg a crash leaves one
 * behind it is still current.  Returns false if @repl keeps its slot (it
 * failed, or its superblock or table could not be written: the sync work
 * comes back).  healblk_mutex held.
 */
static bool hb_replace_finish(struct hb_dev *dev, struct hb_leg *repl)
{
	unsigned int slot = repl->replaces - 1, k = repl->index;
	struct hb_leg *old = dev->legs[slot];
	enum healblk_leg_state was = HEALBLK_LEG_IN_SYNC;
	char name[16];
	bool ok;

	lockdep_assert_held(&healblk_mutex);
	hb_dev_suspend(dev);
	ok = READ_ONCE(repl->state) == HEALBLK_LEG_IN_SYNC && !hb_bbt_save(dev);
	if (ok) {
		hb_members_lock(dev);
		ok = READ_ONCE(repl->state) == HEALBLK_LEG_IN_SYNC;
		if (ok) {
			WRITE_ONCE(repl->replaces, 0);
			hb_slots_set(dev, slot, repl, k, NULL);
			/* What the copy's bitmap writes missed is the slot's now. */
			if (dev->bm_failed & BIT(k))
				dev->bm_failed |= BIT(slot);
			else
				dev->bm_failed &= ~BIT(slot);
			dev->bm_failed &= ~BIT(k);
			clear_bit(k, &dev->spare_requested);
			clear_bit(slot, &dev->spare_requested);
		}
		hb_members_unlock(dev);
	}
	if (ok && (__hb_meta_write(dev, false) ||
		   READ_ONCE(repl->state) != HEALBLK_LEG_IN_SYNC)) {
		/* Not on record: the old leg, which missed nothing, has its slot back. */
		hb_members_lock(dev);
		WRITE_ONCE(repl->replaces, slot + 1);
		hb_slots_set(dev, slot, old, k, repl);
		hb_members_unlock(dev);
		__hb_meta_write(dev, false);
		ok = false;
	}
	if (ok) {
		spin_lock_irq(&dev->lock);
		was = old->state;
		old->state = HEALBLK_LEG_FAILED;
		old->reason = "replaced: out of the mirror";
		if (dev->sync.leg == k)
			dev->sync.leg = slot;	/* the copy's leg is that slot's now */
		spin_unlock_irq(&dev->lock);
	}
	hb_dev_resume(dev);
	if (!ok) {
		pr_warn_ratelimited("%s: leg %u's replacement %pg could not take its slot: leg %u stays\n",
				    dev->disk->disk_name, slot, repl->bdev, slot);
		return false;
	}

	pr_info("%s: leg %u (%pg) replaced by %pg\n", dev->disk->disk_name, slot,
		old->bdev, repl->bdev);
	hb_ev_leg_state(old, was, old->reason);
	/* The old leg's directory first: the copy's takes its name. */
	hb_leg_retire(dev, old);
	snprintf(name, sizeof(name), "leg%u", slot);
	if (kobject_rename(&repl->kobj, name))
		pr_warn("%s: leg %u's sysfs directory keeps its name\n", dev->disk->disk_name, slot);
	hb_bbt_save(dev);	/* the old leg's ranges are gone with it */
	hb_bm_write_all(dev);
	hb_ev_leg_state(repl, HEALBLK_LEG_IN_SYNC, "took the place of the leg it replaced");
	return true;
}

/*
 * The replacement @repl failed, or its copy was aborted: it leaves, and
 * the device is as it was (the leg it was for is still there).  Aborted,
 * its disk did nothing wrong and goes back among the spares, with nothing
 * of the copy's (bad ranges, a fault rule).  The bad-block table goes
 * without its ranges before the superblocks without its slot.
 * healblk_mutex held.
 */
static void hb_replace_drop(struct hb_dev *dev, struct hb_leg *repl)
{
	bool spare = repl->reason == hb_replace_aborted && repl->bdev &&
		     dev->nr_spares < HEALBLK_MAX_SPARES;
	unsigned int k = repl->index, slot = repl->replaces - 1;
	enum healblk_leg_state was = READ_ONCE(repl->state);

	lockdep_assert_held(&healblk_mutex);
	hb_dev_suspend(dev);
	hb_members_lock(dev);
	WRITE_ONCE(repl->replaces, 0);
	hb_slots_set(dev, slot, dev->legs[slot], k, NULL);
	dev->bm_failed &= ~BIT(k);
	clear_bit(k, &dev->spare_requested);
	if (spare) {
		repl->state = HEALBLK_LEG_SPARE;
		repl->index = dev->nr_spares;
		repl->reason = NULL;
		dev->spares[dev->nr_spares++] = repl;
	}
	hb_members_unlock(dev);
	hb_dev_resume(dev);

	pr_info("%s: the replacement %pg leaves: %s\n", dev->disk->disk_name,
		repl->bdev, spare ? "back among the spares" : "failed");
	if (spare) {
		kobject_del(&repl->kobj);
		hb_leg_clear_bad(repl, 0, dev->sectors);
		hb_fault_clear(repl);
		hb_ev_leg_state(repl, was, "replacement aborted: back among the spares");
	} else {
		hb_leg_retire(dev, repl);
	}
	hb_bbt_save(dev);
	hb_meta_write(dev);
	hb_bm_write_all(dev);
}

/*
 * A leg out of the mirror that a spare is to replace, by itself
 * (auto_spare) or on request: its slot, or -1.  Without healblk_mutex
 * (@locked false) a hint only: the spares may change, and are not looked at.
 */
static int hb_spare_wanted(struct hb_dev *dev, bool locked)
{
	unsigned long want = READ_ONCE(dev->spare_requested);
	struct hb_leg *repl = hb_replacement(dev);
	unsigned int i;

	if (!dev->nr_spares)
		return -1;
	for (i = 0; i < dev->nr_legs; i++) {
		enum healblk_leg_state state = READ_ONCE(dev->legs[i]->state);

		/* A replacement's own slot, and the slot it is copied for, have theirs. */
		if (repl && (dev->legs[i] == repl || repl->replaces == i + 1))
			continue;
		if ((state == HEALBLK_LEG_FAILED || state == HEALBLK_LEG_MISSING) &&
		    (READ_ONCE(dev->auto_spare) || (want & BIT(i))) &&
		    (!locked || hb_spare_for(dev, i) >= 0))
			return i;
	}
	return -1;
}

static void hb_sync_work(struct work_struct *work)
{
	struct hb_dev *dev = container_of(to_delayed_work(work), struct hb_dev, sync_work);
	struct hb_buf *buf = NULL;
	struct hb_leg *leg;
	int slot;

	while (!READ_ONCE(dev->sync_stop)) {
		/* First bring the legs in step after a crash: the others copy from them. */
		if (hb_resync_wanted(dev) && hb_legs_in_sync(dev)) {
			if (!buf)
				buf = hb_buf_alloc();
			if (!buf) {
				queue_delayed_work(dev->sync_wq, &dev->sync_work, HZ);
				break;
			}
			hb_resync(dev, buf);
			if (hb_resync_wanted(dev))
				break;	/* stopped or aborted */
			continue;
		}
		/* A replacement in sync takes its slot; a failed one leaves. */
		leg = hb_replacement(dev);
		if (leg && READ_ONCE(leg->state) != HEALBLK_LEG_REBUILDING) {
			if (!mutex_trylock(&healblk_mutex)) {
				queue_delayed_work(dev->sync_wq, &dev->sync_work, HZ / 20);
				break;
			}
			if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC) {
				hb_replace_drop(dev, leg);
			} else if (!hb_replace_finish(dev, leg) &&
				   READ_ONCE(leg->state) == HEALBLK_LEG_IN_SYNC) {
				/* Its superblock or table could not be written: later. */
				mutex_unlock(&healblk_mutex);
				queue_delayed_work(dev->sync_wq, &dev->sync_work, 5 * HZ);
				break;
			}
			mutex_unlock(&healblk_mutex);
			continue;
		}
		if (hb_spare_wanted(dev, false) >= 0) {
			/*
			 * The swap needs the device list's mutex, which
			 * destroy holds while it waits for this work: try,
			 * and come back rather than deadlock.
			 */
			if (!mutex_trylock(&healblk_mutex)) {
				queue_delayed_work(dev->sync_wq, &dev->sync_work, HZ / 20);
				break;
			}
			slot = hb_spare_wanted(dev, true);
			if (slot >= 0) {
				clear_bit(slot, &dev->spare_requested);
				hb_spare_activate(dev, slot);
			}
			mutex_unlock(&healblk_mutex);
			/* None fits (a re-added leg waits for its own slot): go on. */
			if (slot >= 0)
				continue;
		}
		leg = hb_rebuild_target(dev);
		if (leg) {
			if (!buf)
				buf = hb_buf_alloc();
			if (!buf) {
				queue_delayed_work(dev->sync_wq, &dev->sync_work, HZ);
				break;
			}
			hb_rebuild(dev, leg, buf);
			/* Failed or aborted: do not start it again by itself. */
			if (READ_ONCE(leg->state) == HEALBLK_LEG_REBUILDING)
				break;
			continue;
		}
		slot = READ_ONCE(dev->replace_requested);
		if (slot) {
			if (!mutex_trylock(&healblk_mutex)) {
				queue_delayed_work(dev->sync_wq, &dev->sync_work, HZ / 20);
				break;
			}
			WRITE_ONCE(dev->replace_requested, 0);
			hb_replace_begin(dev, slot - 1);
			mutex_unlock(&healblk_mutex);
			continue;
		}
		/* Pairs with hb_scrub_start(): scrub_check is the request's. */
		if (smp_load_acquire(&dev->scrub_requested)) {
			bool check = READ_ONCE(dev->scrub_check);

			WRITE_ONCE(dev->scrub_requested, false);
			hb_scrub(dev, check);
			continue;
		}
		break;
	}
	hb_buf_free(buf);
}

void hb_sync_kick(struct hb_dev *dev)
{
	/* Before the start, hb_dev_start() kicks once it is up. */
	if (READ_ONCE(dev->started) && !READ_ONCE(dev->sync_stop))
		mod_delayed_work(dev->sync_wq, &dev->sync_work, 0);
}

int hb_sync_init(struct hb_dev *dev)
{
	init_waitqueue_head(&dev->win_wait);
	init_waitqueue_head(&dev->sync_wait);
	mutex_init(&dev->repair_mutex);
	INIT_DELAYED_WORK(&dev->sync_work, hb_sync_work);
	dev->sync_wq = alloc_ordered_workqueue("healblk%d-sync", WQ_MEM_RECLAIM, dev->index);
	return dev->sync_wq ? 0 : -ENOMEM;
}

/* Device going away: a rebuild checkpoints; nothing runs after this. */
void hb_sync_stop(struct hb_dev *dev)
{
	WRITE_ONCE(dev->sync_stop, true);
	wake_up_all(&dev->sync_wait);
	cancel_delayed_work_sync(&dev->sync_work);
}

/* Requests (healblk_mutex held) */

/*
 * A disk given back with SPARE_READD: its superblock must say it is the
 * leg of a slot of this device that is out now (failed or missing), with
 * the same data area, and not ahead of the device (that would be a split
 * brain: two histories).  Its slot, or a negative errno with the reason.
 */
static int hb_readd_slot(struct hb_dev *dev, struct hb_leg *leg, bool *was_in_sync,
			 struct netlink_ext_ack *extack)
{
	struct healblk_sb *sb = kmalloc(sizeof(*sb), GFP_KERNEL);
	enum healblk_leg_state state;
	const char *why;
	u32 slot, j;
	int ret;

	if (!sb)
		return -ENOMEM;
	ret = hb_meta_read(leg->bdev, sb, &why);
	if (ret) {
		hb_set_err(extack, why);
		goto out;
	}
	ret = -EINVAL;
	slot = le32_to_cpu(sb->slot);
	if (memcmp(sb->dev_uuid, dev->uuid, sizeof(dev->uuid))) {
		NL_SET_ERR_MSG(extack, "the disk is not a leg of this device");
	} else if (le32_to_cpu(sb->role) != HEALBLK_SB_ROLE_MEMBER || slot >= dev->nr_legs ||
		   memcmp(sb->leg_uuid, dev->legs[slot]->uuid, sizeof(sb->leg_uuid))) {
		NL_SET_ERR_MSG(extack, "the disk is no longer a leg of this device: add it as a spare");
	} else if (le64_to_cpu(sb->data_offset) != dev->data_offset ||
		   le64_to_cpu(sb->data_sectors) != dev->sectors) {
		NL_SET_ERR_MSG(extack, "the disk's data area is not the device's");
	} else if (le64_to_cpu(sb->events) > dev->events) {
		NL_SET_ERR_MSG(extack, "the disk is ahead of the device: it ran apart (split brain)");
	} else {
		state = READ_ONCE(dev->legs[slot]->state);
		if (state != HEALBLK_LEG_FAILED && state != HEALBLK_LEG_MISSING) {
			NL_SET_ERR_MSG(extack, "the disk's slot is not out of the mirror");
			ret = -EBUSY;
			goto out;
		}
		/*
		 * Split brain, as assembly judges it: the disk ran with a
		 * leg out that the device has in sync under the same
		 * identity (each side saw the other out).
		 */
		for (j = 0; j < le32_to_cpu(sb->nr_slots) && j < dev->nr_legs; j++) {
			u32 seen = le32_to_cpu(sb->members[j].state);

			if (j == slot || READ_ONCE(dev->legs[j]->state) != HEALBLK_LEG_IN_SYNC ||
			    memcmp(sb->members[j].uuid, dev->legs[j]->uuid, 16) ||
			    seen == HEALBLK_LEG_IN_SYNC || seen == HEALBLK_LEG_REBUILDING)
				continue;
			NL_SET_ERR_MSG(extack, "the disk ran without a leg the device has in sync (split brain): assemble them with --force, or add it as a spare");
			goto out;
		}
		/* In sync when it left, and not an older copy (hb_rebuild_start()). */
		*was_in_sync = slot < le32_to_cpu(sb->nr_slots) &&
			       le32_to_cpu(sb->members[slot].state) == HEALBLK_LEG_IN_SYNC &&
			       le64_to_cpu(sb->events) >= READ_ONCE(dev->events_cleared);
		ret = slot;
	}
out:
	kfree(sb);
	return ret;
}

int hb_spare_add(struct hb_dev *dev, dev_t devt, u32 flags, struct netlink_ext_ack *extack)
{
	struct hb_leg *spare;
	bool in_sync = false;
	unsigned int i;
	int ret, slot = -1;

	lockdep_assert_held(&healblk_mutex);
	/* The disk of a failed leg, still attached: caught up in place. */
	for (i = 0; (flags & HEALBLK_SPARE_READD) && i < dev->nr_legs; i++)
		if (dev->legs[i]->bdev && dev->legs[i]->bdev->bd_dev == devt &&
		    READ_ONCE(dev->legs[i]->state) == HEALBLK_LEG_FAILED)
			return hb_rebuild_start(dev->legs[i], HEALBLK_REBUILD_CATCHUP, extack);
	if (dev->nr_spares == HEALBLK_MAX_SPARES) {
		NL_SET_ERR_MSG(extack, "the device has 4 spares already");
		return -ENOSPC;
	}
	for (i = 0; i < dev->nr_legs; i++)
		if (dev->legs[i]->bdev && dev->legs[i]->bdev->bd_dev == devt)
			goto dup;
	for (i = 0; i < dev->nr_spares; i++)
		if (dev->spares[i]->bdev->bd_dev == devt)
			goto dup;

	spare = hb_leg_open_new(dev, dev->nr_spares, devt, HEALBLK_LEG_SPARE, extack);
	if (IS_ERR(spare))
		return PTR_ERR(spare);
	/* The queue's limits were set from the legs: a spare must take any bio they take. */
	if (bdev_logical_block_size(spare->bdev) > queue_logical_block_size(dev->disk->queue)) {
		NL_SET_ERR_MSG(extack, "the spare's logical block size is larger than the device's");
		hb_leg_put(dev, spare);
		return -EINVAL;
	}
	if (flags & HEALBLK_SPARE_READD) {
		for (i = 0; i < dev->nr_spares; i++)
			if (dev->spares[i]->readd_slot)
				break;
		slot = i < dev->nr_spares ? -EBUSY : hb_readd_slot(dev, spare, &in_sync, extack);
		if (slot == -EBUSY && i < dev->nr_spares)
			NL_SET_ERR_MSG(extack, "a leg re-added before is still waiting for its slot");
		if (slot < 0) {
			hb_leg_put(dev, spare);
			return slot;
		}
	}
	ret = bd_link_disk_holder(spare->bdev, dev->disk);
	if (ret) {
		hb_leg_put(dev, spare);
		return ret;
	}
	if (slot >= 0) {
		/* The slot's own leg: its identity, and the bitmap's catch-up if it was in sync. */
		memcpy(spare->uuid, dev->legs[slot]->uuid, sizeof(spare->uuid));
		spare->readd_slot = slot + 1;
		spare->readd_cleared = READ_ONCE(dev->events_cleared);
		spare->catchup_ok = in_sync;
	} else {
		get_random_bytes(spare->uuid, sizeof(spare->uuid));
	}
	hb_members_lock(dev);
	dev->spares[dev->nr_spares++] = spare;
	hb_members_unlock(dev);
	if (slot >= 0) {
		/* The sync work swaps it in (it alone swaps legs). */
		set_bit(slot, &dev->spare_requested);
		pr_info("%s: leg %u (%pg) re-added%s\n", dev->disk->disk_name, slot, spare->bdev,
			in_sync ? ": caught up from the bitmap" : "");
		hb_sync_kick(dev);
		return 0;
	}
	if (hb_meta_write(dev))
		NL_SET_ERR_MSG(extack, "spare added, but a leg's superblock could not be written");
	pr_info("%s: spare %pg added\n", dev->disk->disk_name, spare->bdev);
	hb_sync_kick(dev);
	return 0;
dup:
	NL_SET_ERR_MSG(extack, "the disk is already a leg or spare of this device");
	return -EEXIST;
}

int hb_spare_remove(struct hb_dev *dev, unsigned int index, struct netlink_ext_ack *extack)
{
	struct hb_leg *spare;

	lockdep_assert_held(&healblk_mutex);
	if (index >= dev->nr_spares) {
		NL_SET_ERR_MSG(extack, "the device has no spare with that index");
		return -EINVAL;
	}
	hb_members_lock(dev);
	spare = dev->spares[index];
	hb_spares_drop(dev, index);
	hb_members_unlock(dev);
	pr_info("%s: spare %pg removed\n", dev->disk->disk_name, spare->bdev);
	bd_unlink_disk_holder(spare->bdev, dev->disk);
	hb_leg_put(dev, spare);
	hb_meta_write(dev);
	return 0;
}

/*
 * Copy leg @leg, in sync, to a spare while it serves, then retire it
 * (HEALBLK_REBUILD_REPLACE).  The sync work adds the spare: it alone
 * changes the slots.
 */
static int hb_replace_start(struct hb_leg *leg, u32 flags, struct netlink_ext_ack *extack)
{
	struct hb_dev *dev = leg->dev;

	if (flags & HEALBLK_REBUILD_CATCHUP) {
		NL_SET_ERR_MSG(extack, "a replacement is copied whole: no catch-up");
		return -EINVAL;
	}
	if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC || leg->replaces) {
		NL_SET_ERR_MSG(extack, "only a leg in sync is replaced (rebuild a failed one)");
		return -EINVAL;
	}
	if (hb_replacement(dev)) {
		NL_SET_ERR_MSG(extack, "a replacement is already running on this device");
		return -EBUSY;
	}
	if (dev->nr_legs == HEALBLK_MAX_LEGS) {
		NL_SET_ERR_MSG(extack, "the device has 4 legs: no slot for a replacement");
		return -ENOSPC;
	}
	if (dev->rm_blocks) {
		NL_SET_ERR_MSG(extack, "a one-leg device with a spare area cannot be replaced");
		return -EOPNOTSUPP;
	}
	if (hb_spare_free(dev) < 0) {
		NL_SET_ERR_MSG(extack, "the device has no spare to copy the leg to");
		return -ENOENT;
	}
	memcpy(dev->replace_uuid, leg->uuid, sizeof(dev->replace_uuid));
	WRITE_ONCE(dev->replace_requested, leg->index + 1);
	pr_info("%s: leg %u (%pg) to be replaced by a spare\n", dev->disk->disk_name,
		leg->index, leg->bdev);
	hb_sync_kick(dev);
	return 0;
}

/*
 * Rebuild a failed leg: onto a spare if there is one (the disk that
 * failed is not trusted again), else in place (a transient fault went
 * away, or the farmer put a new disk at the same place).
 */
int hb_rebuild_start(struct hb_leg *leg, u32 flags, struct netlink_ext_ack *extack)
{
	bool catchup = flags & HEALBLK_REBUILD_CATCHUP;
	struct hb_dev *dev = leg->dev;
	enum healblk_leg_state old;
	struct hb_leg *repl;

	lockdep_assert_held(&healblk_mutex);
	if (hb_rebuild_target(dev) || READ_ONCE(dev->replace_requested)) {
		NL_SET_ERR_MSG(extack, "a rebuild is already running on this device");
		return -EBUSY;
	}
	if (flags & HEALBLK_REBUILD_REPLACE)
		return hb_replace_start(leg, flags, extack);
	if (leg->replaces) {
		NL_SET_ERR_MSG(extack, "a replacement that failed leaves by itself: replace again");
		return -EINVAL;
	}
	repl = hb_replacement(dev);
	if (repl && repl->replaces == leg->index + 1) {
		NL_SET_ERR_MSG(extack, "the leg is being replaced: its copy takes its slot");
		return -EBUSY;
	}
	old = READ_ONCE(leg->state);
	if (old != HEALBLK_LEG_FAILED && old != HEALBLK_LEG_MISSING) {
		NL_SET_ERR_MSG(extack, "only a failed or missing leg is rebuilt");
		return -EINVAL;
	}
	if (!hb_legs_in_sync(dev)) {
		NL_SET_ERR_MSG(extack, "no leg in sync to rebuild from");
		return -EIO;
	}
	if (catchup && !leg->bdev) {
		NL_SET_ERR_MSG(extack, "the leg's disk is missing: re-add it");
		return -ENOENT;
	}
	/* A re-added leg waiting for another slot is no spare for this one. */
	if (!catchup && (!leg->bdev || hb_spare_for(dev, leg->index) >= 0)) {
		/* Onto a spare: the sync work swaps it in (it alone swaps legs). */
		if (hb_spare_for(dev, leg->index) < 0) {
			NL_SET_ERR_MSG(extack, "the leg's disk is missing and there is no spare");
			return -ENOENT;
		}
		set_bit(leg->index, &dev->spare_requested);
		hb_sync_kick(dev);
		return 0;
	}

	/* Everything, unless asked to catch it up (a re-add of its disk). */
	if (!catchup)
		leg->catchup_ok = false;
	/*
	 * Caught up only if the disk behind the leg is still the one that
	 * left (a multipath or iSCSI path may now lead to another): its own
	 * superblock names this slot's leg, in sync, not ahead of the device,
	 * and not older than the last superblock written before bits could
	 * go clean (an older copy of the leg misses writes no bit names).
	 */
	if (leg->catchup_ok) {
		struct healblk_sb *sb = kmalloc(sizeof(*sb), GFP_KERNEL);
		const char *why;
		u32 slot;

		leg->catchup_ok = sb && !hb_meta_read(leg->bdev, sb, &why);
		slot = sb ? le32_to_cpu(sb->slot) : 0;
		if (leg->catchup_ok &&
		    (memcmp(sb->dev_uuid, dev->uuid, 16) || memcmp(sb->leg_uuid, leg->uuid, 16) ||
		     le32_to_cpu(sb->role) != HEALBLK_SB_ROLE_MEMBER || slot != leg->index ||
		     slot >= le32_to_cpu(sb->nr_slots) ||
		     le32_to_cpu(sb->members[slot].state) != HEALBLK_LEG_IN_SYNC ||
		     le64_to_cpu(sb->events) > dev->events ||
		     le64_to_cpu(sb->events) < READ_ONCE(dev->events_cleared)))
			leg->catchup_ok = false;
		kfree(sb);
	}
	/*
	 * Caught up, it keeps its bad ranges: what it holds outside the
	 * regions copied is not rewritten.  Rebuilt whole, everything is,
	 * and old bad ranges no longer apply.
	 */
	if (!leg->catchup_ok || !dev->bm_bits) {
		leg->catchup_ok = false;
		hb_leg_clear_bad(leg, 0, dev->sectors);
		hb_bbt_save(dev);
	}
	spin_lock_irq(&dev->lock);
	leg->sync_pos = 0;
	leg->err_next = 0;
	leg->rebuild_gen++;
	leg->reason = leg->catchup_ok ? "catching up from the bitmap" : "rebuilding from the mirror";
	WRITE_ONCE(leg->state, HEALBLK_LEG_REBUILDING);
	spin_unlock_irq(&dev->lock);
	hb_meta_write(dev);
	hb_bm_write_all(dev);
	hb_ev_leg_state(leg, old, leg->reason);
	hb_sync_kick(dev);
	return 0;
}

int hb_scrub_start(struct hb_dev *dev, u32 flags, struct netlink_ext_ack *extack)
{
	bool check = flags & HEALBLK_SCRUB_CHECK;

	lockdep_assert_held(&healblk_mutex);
	if (READ_ONCE(dev->sync_active) || READ_ONCE(dev->scrub_requested)) {
		NL_SET_ERR_MSG(extack, "a rebuild or scrub is already running on this device");
		return -EBUSY;
	}
	/* Running from now on, for whoever asks: it starts within a moment. */
	spin_lock_irq(&dev->lock);
	memset(&dev->sync, 0, sizeof(dev->sync));
	dev->sync.kind = check ? HEALBLK_SYNC_CHECK : HEALBLK_SYNC_SCRUB;
	dev->sync.status = HEALBLK_SYNC_RUNNING;
	dev->sync.sectors = dev->sectors;
	spin_unlock_irq(&dev->lock);
	WRITE_ONCE(dev->scrub_check, check);
	/* Pairs with hb_sync_work()'s acquire: the work sees this request's kind. */
	smp_store_release(&dev->scrub_requested, true);
	hb_sync_kick(dev);
	return 0;
}

int hb_sync_abort(struct hb_dev *dev, struct netlink_ext_ack *extack)
{
	/* A replacement asked for and not begun: it never will. */
	unsigned int cancelled = xchg(&dev->replace_requested, 0);

	lockdep_assert_held(&healblk_mutex);
	if (cancelled)
		hb_replace_unrequested(dev, cancelled - 1, HEALBLK_SYNC_ABORTED);
	if (!READ_ONCE(dev->sync_active) && !READ_ONCE(dev->scrub_requested) &&
	    !hb_rebuild_target(dev)) {
		if (cancelled)
			return 0;
		NL_SET_ERR_MSG(extack, "no rebuild or scrub is running on this device");
		return -ENOENT;
	}
	if (READ_ONCE(dev->scrub_requested) && !READ_ONCE(dev->sync_active)) {
		/* Not begun yet: it never will. */
		WRITE_ONCE(dev->scrub_requested, false);
		spin_lock_irq(&dev->lock);
		dev->sync.status = HEALBLK_SYNC_ABORTED;
		spin_unlock_irq(&dev->lock);
		hb_ev_sync(dev);
		return 0;
	}
	WRITE_ONCE(dev->sync_abort, true);
	wake_up_all(&dev->sync_wait);
	return 0;
}
