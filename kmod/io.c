// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O path: reads balanced over in-sync legs and retried on another leg
 * before an error is returned; writes to every in-sync leg; repair of a
 * failed read range with the good data.
 *
 * bi_end_io handlers only count, record bits and complete or queue work:
 * everything that may sleep or talk to userspace (retry choice after an
 * error, bad-block recording, repair, events) runs in dev->wq.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "healblk.h"

/* Write tracking: see HB_WTRACK_* in healblk.h. */

/*
 * The buckets covering [@sector, +@sectors): *@first and the count, each
 * bucket once even for a discard of the whole device; 0 for a flush.
 */
static unsigned int hb_wtrack_range(sector_t sector, unsigned int sectors,
				    sector_t *first)
{
	sector_t last;

	if (!sectors)
		return 0;
	*first = sector >> HB_WTRACK_SHIFT;
	last = (sector + sectors - 1) >> HB_WTRACK_SHIFT;
	return min_t(sector_t, last - *first + 1, HB_WTRACK_BUCKETS);
}

static atomic64_t *hb_wtrack_bucket(struct hb_dev *dev, sector_t region)
{
	return &dev->wtrack[region & (HB_WTRACK_BUCKETS - 1)];
}

void hb_wtrack_start(struct hb_io *io)
{
	struct hb_dev *dev = io->dev;
	sector_t first, b;
	unsigned int i, n = hb_wtrack_range(io->sector, io->sectors, &first);

	/*
	 * Which epoch does not matter for safety: hb_win_take() drains both
	 * counts, each after a full barrier, and a count it misses is one
	 * whose write then sees its window (the barrier after this in
	 * hb_write() and hb_write_wait_window(): store buffering).  The epoch
	 * only makes the copy's waits end while new writes come.
	 */
	io->wt_epoch = READ_ONCE(dev->wt_epoch) & 1;
	for (i = 0; i < n; i++) {
		b = (first + i) & (HB_WTRACK_BUCKETS - 1);
		atomic64_add(HB_WTRACK_STARTED + 1, &dev->wtrack[b]);
		atomic_inc(&dev->wt_epoch_cnt[io->wt_epoch][b]);
	}
}

void hb_wtrack_end(struct hb_io *io)
{
	struct hb_dev *dev = io->dev;
	sector_t first, b;
	unsigned int i, n = hb_wtrack_range(io->sector, io->sectors, &first);
	bool drained = false;

	for (i = 0; i < n; i++) {
		b = (first + i) & (HB_WTRACK_BUCKETS - 1);
		atomic64_dec(&dev->wtrack[b]);
		if (atomic_dec_and_test(&dev->wt_epoch_cnt[io->wt_epoch][b]))
			drained = true;
	}
	if (drained && wq_has_sleeper(&dev->wtrack_wait))
		wake_up_all(&dev->wtrack_wait);
}

/* No write counted under @epoch is in flight in the buckets of the range. */
bool hb_wtrack_drained(struct hb_dev *dev, unsigned int epoch, sector_t sector,
		       unsigned int sectors)
{
	sector_t first, b;
	unsigned int i, n = hb_wtrack_range(sector, sectors, &first);

	for (i = 0; i < n; i++) {
		b = (first + i) & (HB_WTRACK_BUCKETS - 1);
		if (atomic_read(&dev->wt_epoch_cnt[epoch & 1][b]))
			return false;
	}
	return true;
}

/* A value that changes whenever a write to the range starts. */
u64 hb_wtrack_snap(struct hb_dev *dev, sector_t sector, unsigned int sectors,
		   bool *quiet)
{
	sector_t first;
	unsigned int i, n = hb_wtrack_range(sector, sectors, &first);
	u64 v, sum = 0;

	*quiet = true;
	for (i = 0; i < n; i++) {
		v = atomic64_read(hb_wtrack_bucket(dev, first + i));
		if (v & HB_WTRACK_INFLIGHT)
			*quiet = false;
		sum += v;
	}
	return sum;
}

/* Upper-layer bios */

static void hb_io_setup(struct hb_io *io, struct hb_dev *dev, struct bio *bio)
{
	io->dev = dev;
	io->bio = bio;
	io->sector = bio->bi_iter.bi_sector;
	io->sectors = bio_sectors(bio);
	io->failed = 0;
	io->done = 0;
	io->error = BLK_STS_OK;
	atomic_set(&io->pending, 1);
	/* Accounting costs; queue/iostats turns it off, as for dm. */
	io->start_time = blk_queue_io_stat(bio->bi_bdev->bd_disk->queue) ?
			 bio_start_io_acct(bio) : 0;
}

static void hb_io_acct_end(struct bio *bio, unsigned long start_time)
{
	if (start_time)
		bio_end_io_acct(bio, start_time);
}

/* Writes: the hb_io comes from the pool. */
static struct hb_io *hb_io_alloc(struct hb_dev *dev, struct bio *bio)
{
	struct hb_io *io = mempool_alloc(&dev->io_pool, GFP_NOIO);

	hb_io_setup(io, dev, bio);
	return io;
}

static void hb_io_complete(struct hb_io *io, blk_status_t status)
{
	struct hb_dev *dev = io->dev;
	struct bio *bio = io->bio;
	unsigned long start_time = io->start_time;

	mempool_free(io, &dev->io_pool);
	hb_io_acct_end(bio, start_time);
	percpu_ref_put(&dev->active);
	bio->bi_status = status;
	bio_endio(bio);
}

static u32 hb_io_op(struct hb_io *io)
{
	if (bio_op(io->bio) == REQ_OP_READ)
		return HEALBLK_OP_READ;
	return io->sectors ? HEALBLK_OP_WRITE : HEALBLK_OP_FLUSH;
}

static struct hb_clone *hb_clone_of(struct hb_dev *dev, struct bio *src,
				    struct hb_leg *leg, bio_end_io_t *end_io)
{
	struct bio *bio = bio_alloc_clone(leg->bdev, src, GFP_NOIO, &dev->clone_bs);
	struct hb_clone *c = container_of(bio, struct hb_clone, bio);

	c->leg = leg;
	bio->bi_iter.bi_sector = src->bi_iter.bi_sector + dev->data_offset;
	bio->bi_end_io = end_io;
	return c;
}

static struct hb_clone *hb_clone_alloc(struct hb_io *io, struct hb_leg *leg,
				       bio_end_io_t *end_io)
{
	struct hb_clone *c = hb_clone_of(io->dev, io->bio, leg, end_io);

	c->io = io;
	return c;
}

static void hb_leg_submit(struct hb_clone *c)
{
	if (unlikely(g_fault_injection) && hb_fault_inject(c))
		return;
	if (unlikely(READ_ONCE(c->leg->dev->rm_active)))
		hb_remap_submit(c->leg->dev, &c->bio);
	else
		submit_bio_noacct(&c->bio);
}

static void hb_sync_endio(struct bio *bio)
{
	complete(bio->bi_private);
}

/* Process context: submit one clone and wait for it. */
static int hb_leg_submit_wait(struct hb_clone *c)
{
	DECLARE_COMPLETION_ONSTACK(done);

	c->bio.bi_private = &done;
	hb_leg_submit(c);
	wait_for_completion_io(&done);
	return blk_status_to_errno(c->bio.bi_status);
}

/* Reads */

static void hb_read_endio(struct bio *clone);

/* The clone a read's hb_io lives in; put only when the read completes. */
static struct hb_clone *hb_read_owner(struct hb_io *io)
{
	return container_of(io, struct hb_clone, rio);
}

static void hb_read_complete(struct hb_io *io, blk_status_t status)
{
	struct hb_dev *dev = io->dev;
	struct bio *bio = io->bio;
	unsigned long start_time = io->start_time;

	bio_put(&hb_read_owner(io)->bio);	/* frees io */
	hb_io_acct_end(bio, start_time);
	percpu_ref_put(&dev->active);
	bio->bi_status = status;
	bio_endio(bio);
}

static void hb_read_submit(struct hb_io *io, struct hb_clone *c)
{
	struct hb_leg *leg = c->leg;

	io->leg = leg->index;
	atomic_inc(&leg->inflight);
	WRITE_ONCE(leg->next_sector, io->sector + io->sectors);
	hb_leg_stat_add(leg, reads, 1);
	hb_leg_stat_add(leg, read_bytes, c->bio.bi_iter.bi_size);
	hb_leg_submit(c);
}

/* A retry: a new clone of the upper layer's bio for another leg. */
static void hb_read_issue(struct hb_io *io, unsigned int index)
{
	hb_read_submit(io, hb_clone_alloc(io, io->dev->legs[index], hb_read_endio));
}

/*
 * Write the good data just read back over a range that failed on @leg.
 * The repair owns the range meanwhile (hb_repair_take(), which never
 * waits): no write to it is in flight or starts until it is done.  The data in io->bio is
 * current only if no write to the range started since the read was
 * submitted: else that write rewrites the range anyway and the repair
 * is dropped.  The range is marked bad on the leg during the write, so no
 * read trusts it half-written, and stays marked if the write fails.
 */
static void hb_read_repair(struct hb_io *io, struct hb_leg *leg)
{
	struct hb_dev *dev = io->dev;
	struct hb_clone *c;
	bool quiet;
	int err;

	if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC)
		return;	/* a rebuilding leg gets the range from the rebuild */
	if (!io->wtrack_quiet)
		return;	/* a write was in flight at the read: it rewrites the range */
	if (!hb_repair_take(dev, io->sector, io->sectors))
		return;	/* busy: a later read of the range tries again */
	if (hb_wtrack_snap(dev, io->sector, io->sectors, &quiet) != io->wtrack_snap)
		goto out;	/* a write started since the read: the data is old */
	/* Recorded on disk first: a repair torn by a crash stays untrusted. */
	if (!hb_leg_record_bad(leg, io->sector, io->sectors))
		goto out;	/* table full: leave the range to fail and retry again */

	c = hb_clone_alloc(io, leg, hb_sync_endio);
	c->bio.bi_opf = REQ_OP_WRITE | REQ_SYNC;
	hb_leg_stat_add(leg, writes, 1);
	hb_leg_stat_add(leg, write_bytes, c->bio.bi_iter.bi_size);
	err = hb_leg_submit_wait(c);
	bio_put(&c->bio);

	if (err) {
		atomic64_inc(&leg->write_errors);
	} else {
		atomic64_inc(&leg->repairs);
		/* Trusted again once read back intact: no write can have raced. */
		if (hb_leg_verify(leg, io->bio, io->sector, io->sectors))
			hb_leg_forget_bad(leg, io->sector, io->sectors);
	}
	hb_repair_release(dev);
	hb_ev_repair(leg, io->sector, io->sectors, err);
	return;
out:
	hb_repair_release(dev);
}

static void hb_read_work(struct work_struct *work)
{
	struct hb_io *io = container_of(work, struct hb_io, work);
	struct hb_dev *dev = io->dev;
	unsigned int i, clean;
	int next;

	if (io->done) {
		/* Served by leg io->leg after failing on every leg in io->failed. */
		for_each_set_bit(i, &io->failed, dev->nr_legs) {
			hb_ev_io_error(dev->legs[i], HEALBLK_OP_READ, io->sector,
				       io->sectors, -blk_status_to_errno(io->error),
				       true);
			hb_read_repair(io, dev->legs[i]);
			hb_leg_error(dev->legs[i]);
		}
		hb_read_complete(io, BLK_STS_OK);
		return;
	}

	next = hb_leg_choose_read(dev, io->failed, io->sector, io->sectors, &clean);
	if (next >= 0 && clean == io->sectors) {
		atomic64_inc(&dev->legs[io->leg]->retried_reads);
		hb_ev_retry(dev->legs[io->leg], dev->legs[next], io->sector,
			    io->sectors);
		hb_read_issue(io, next);
		return;
	}

	/* No good copy left. */
	pr_err_ratelimited("%s: read of %u sectors at %llu failed on every leg\n",
			   dev->disk->disk_name, io->sectors,
			   (unsigned long long)io->sector);
	for_each_set_bit(i, &io->failed, dev->nr_legs) {
		hb_ev_io_error(dev->legs[i], HEALBLK_OP_READ, io->sector,
			       io->sectors, -blk_status_to_errno(io->error), false);
		hb_leg_error(dev->legs[i]);
	}
	hb_read_complete(io, io->error);
}

static void hb_read_endio(struct bio *clone)
{
	struct hb_clone *c = container_of(clone, struct hb_clone, bio);
	struct hb_io *io = c->io;
	struct hb_leg *leg = c->leg;
	blk_status_t status = clone->bi_status;

	atomic_dec(&leg->inflight);
	if (likely(!status && !io->failed)) {
		hb_read_complete(io, BLK_STS_OK);	/* puts this clone */
		return;
	}
	if (c != hb_read_owner(io))
		bio_put(clone);
	if (status) {
		atomic64_inc(&leg->read_errors);
		__set_bit(leg->index, &io->failed);
		io->error = status;
	} else {
		__set_bit(leg->index, &io->done);
	}
	INIT_WORK(&io->work, hb_read_work);
	queue_work(io->dev->wq, &io->work);
}

static void hb_read(struct hb_dev *dev, struct bio *bio)
{
	unsigned int clean, sectors = bio_sectors(bio);
	struct hb_clone *c;
	struct hb_io *io;
	int leg;

	leg = -EIO;
	/*
	 * Until resynced after a crash, a dirty region is read from one leg
	 * only: the resync source, or when it cannot serve (failed, or bad
	 * there), the lowest leg that can, never by turns.
	 */
	if (unlikely(READ_ONCE(dev->resync_active)) &&
	    hb_bm_resyncing(dev, bio->bi_iter.bi_sector, sectors)) {
		unsigned int i = READ_ONCE(dev->resync_src);

		leg = hb_leg_choose_read(dev, ~BIT(i), bio->bi_iter.bi_sector, sectors, &clean);
		for (i = 0; leg < 0 && i < dev->nr_legs; i++)
			leg = hb_leg_choose_read(dev, ~BIT(i), bio->bi_iter.bi_sector, sectors,
						 &clean);
	}
	if (leg < 0)
		leg = hb_leg_choose_read(dev, 0, bio->bi_iter.bi_sector, sectors, &clean);
	if (leg < 0) {
		pr_err_ratelimited("%s: no leg holds good data for sector %llu\n",
				   dev->disk->disk_name,
				   (unsigned long long)bio->bi_iter.bi_sector);
		percpu_ref_put(&dev->active);
		bio_io_error(bio);
		return;
	}
	if (clean < sectors) {
		/* Read the clean prefix from this leg; the rest comes back here. */
		struct bio *split = bio_split(bio, clean, GFP_NOIO, &dev->split_bs);

		bio_chain(split, bio);
		submit_bio_noacct(bio);
		bio = split;
	}

	c = hb_clone_of(dev, bio, dev->legs[leg], hb_read_endio);
	io = &c->rio;
	hb_io_setup(io, dev, bio);
	c->io = io;
	io->wtrack_snap = hb_wtrack_snap(dev, io->sector, io->sectors,
					 &io->wtrack_quiet);
	hb_read_submit(io, c);
}

/* Writes, write-zeroes, discards and flushes */

static void hb_write_work(struct work_struct *work)
{
	struct hb_io *io = container_of(work, struct hb_io, work);
	struct hb_dev *dev = io->dev;
	/* Only a leg in sync holds the data for the upper layer. */
	bool recovered = (io->done & io->full) != 0;
	u32 op = hb_io_op(io);
	unsigned int i;

	/*
	 * A discard only says the data is no longer wanted: a leg that fails
	 * one loses nothing and keeps its health (md's raid1 does the same).
	 */
	if (bio_op(io->bio) == REQ_OP_DISCARD) {
		for_each_set_bit(i, &io->failed, dev->nr_legs)
			hb_ev_io_error(dev->legs[i], op, io->sector, io->sectors,
				       -blk_status_to_errno(io->error), true);
		io->error = BLK_STS_OK;
		recovered = true;
		goto out;
	}
	/*
	 * Write-zeroes that no leg supports after all (loop over a file
	 * system without it): not a disk error; the block layer falls back
	 * to writing zeroes.
	 */
	if (!recovered && io->error == BLK_STS_NOTSUPP)
		goto out;
	/* One leg, no other copy: its failed blocks go to the spare area. */
	if (!recovered && dev->rm_blocks && !hb_remap_write(io)) {
		atomic64_inc(&dev->legs[0]->write_errors);
		hb_ev_io_error(dev->legs[0], op, io->sector, io->sectors,
			       -blk_status_to_errno(io->error), true);
		hb_leg_error(dev->legs[0]);
		io->error = BLK_STS_OK;
		goto out;
	}

	/*
	 * Failed on every leg: the caller is told, but each leg may hold
	 * part of it now, each a different part.  Reads must still agree:
	 * the range stays readable on the first leg in sync alone and is
	 * marked bad on the others, until a write over it succeeds.
	 */
	if (!recovered && io->sectors && io->full) {
		unsigned long others = hb_legs_writable(dev) & ~BIT(__ffs(io->full));

		for_each_set_bit(i, &others, dev->nr_legs)
			if (!hb_leg_record_bad(dev->legs[i], io->sector, io->sectors))
				hb_leg_fail(dev->legs[i], "bad-block table full", NULL);
	}

	for_each_set_bit(i, &io->failed, dev->nr_legs) {
		struct hb_leg *leg = dev->legs[i];

		atomic64_inc(&leg->write_errors);
		if (READ_ONCE(leg->state) == HEALBLK_LEG_REBUILDING) {
			/* It cannot become a copy: the rebuild stops. */
			hb_ev_io_error(leg, op, io->sector, io->sectors,
				       -blk_status_to_errno(io->error), recovered);
			hb_leg_fail(leg, "write error while rebuilding", NULL);
			continue;
		}
		/*
		 * Where another leg took the write, this one holds old data
		 * over the range now: no read may be served from it there.
		 * If that cannot be recorded, the leg cannot be trusted at
		 * all.  Where no leg took it, the upper layer is told the
		 * write failed (and the legs were made to agree, above).
		 */
		if (recovered && io->sectors &&
		    !hb_leg_record_bad(leg, io->sector, io->sectors))
			hb_leg_fail(leg, "bad-block table full", NULL);
		hb_ev_io_error(leg, op, io->sector, io->sectors,
			       -blk_status_to_errno(io->error), recovered);
		/*
		 * A cache flush that failed, empty or in front of data (a
		 * journal commit): what the leg acknowledged before may be
		 * gone.  It cannot be trusted while another leg flushed.
		 */
		if (recovered && (!io->sectors || (io->bio->bi_opf & REQ_PREFLUSH)))
			hb_leg_fail(leg, "a cache flush failed", NULL);
		else
			hb_leg_error(leg);
	}
out:
	hb_wtrack_end(io);
	hb_io_complete(io, recovered ? BLK_STS_OK : io->error);
}

/*
 * A write that went through over ranges known bad on some legs: read it
 * back from them, and where it reads back intact (and no other write
 * raced), the range is good again.
 */
static void hb_write_verify_work(struct work_struct *work)
{
	struct hb_io *io = container_of(work, struct hb_io, work);
	struct hb_dev *dev = io->dev;
	unsigned int i;
	bool quiet;

	for_each_set_bit(i, &io->bad_legs, dev->nr_legs) {
		struct hb_leg *leg = dev->legs[i];

		if (READ_ONCE(leg->state) != HEALBLK_LEG_IN_SYNC ||
		    !hb_leg_verify(leg, io->bio, io->sector, io->sectors))
			continue;
		if (hb_wtrack_snap(dev, io->sector, io->sectors, &quiet) == io->wsnap)
			hb_leg_forget_bad(leg, io->sector, io->sectors);
	}
	hb_wtrack_end(io);
	hb_io_complete(io, BLK_STS_OK);
}

static void hb_write_put(struct hb_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		return;
	if (unlikely(io->bad_legs) && !io->failed) {
		INIT_WORK(&io->work, hb_write_verify_work);
		queue_work(io->dev->wq, &io->work);
		return;
	}
	if (likely(!io->failed)) {
		hb_wtrack_end(io);
		hb_io_complete(io, BLK_STS_OK);
		return;
	}
	INIT_WORK(&io->work, hb_write_work);
	queue_work(io->dev->wq, &io->work);
}

static void hb_write_endio(struct bio *clone)
{
	struct hb_clone *c = container_of(clone, struct hb_clone, bio);
	struct hb_io *io = c->io;
	struct hb_leg *leg = c->leg;

	if (clone->bi_status) {
		io->error = clone->bi_status;
		set_bit(leg->index, &io->failed);
	} else {
		set_bit(leg->index, &io->done);
	}
	bio_put(clone);
	hb_write_put(io);
}

/* A write that found a leg out but not yet recorded: it waits for the superblocks. */
static void hb_write_meta_work(struct work_struct *work)
{
	struct hb_io *io = container_of(work, struct hb_io, work);
	struct hb_dev *dev = io->dev;

	wait_event(dev->meta_wait, !READ_ONCE(dev->meta_pending));
	hb_write_issue(io);
}

/* Send a write to its legs: from hb_write(), or once its bitmap bits are on disk. */
void hb_write_issue(struct hb_io *io)
{
	struct hb_dev *dev = io->dev;
	unsigned long legs;
	unsigned int i;

	/* A rebuilding leg takes every write: what it has copied stays current. */
	io->full = hb_legs_in_sync(dev);
	legs = hb_legs_writable(dev);
	/* Pairs with smp_wmb() in hb_leg_out_locked(). */
	smp_rmb();
	if (unlikely(READ_ONCE(dev->meta_pending))) {
		INIT_WORK(&io->work, hb_write_meta_work);
		queue_work(dev->wq, &io->work);
		return;
	}
	io->bad_legs = 0;
	if (bio_op(io->bio) == REQ_OP_WRITE) {
		for_each_set_bit(i, &io->full, dev->nr_legs)
			if (unlikely(hb_leg_is_bad(dev->legs[i], io->sector, io->sectors)))
				io->bad_legs |= BIT(i);
		if (unlikely(io->bad_legs)) {
			bool quiet;

			io->wsnap = hb_wtrack_snap(dev, io->sector, io->sectors, &quiet);
		}
	}
	if (unlikely(!io->full)) {
		hb_wtrack_end(io);
		hb_io_complete(io, BLK_STS_IOERR);
		return;
	}
	for_each_set_bit(i, &legs, dev->nr_legs) {
		struct hb_leg *leg = dev->legs[i];
		struct hb_clone *c = hb_clone_alloc(io, leg, hb_write_endio);

		atomic_inc(&io->pending);
		hb_leg_stat_add(leg, writes, 1);
		hb_leg_stat_add(leg, write_bytes, c->bio.bi_iter.bi_size);
		hb_leg_submit(c);
	}
	hb_write_put(io);
}

static void hb_write(struct hb_dev *dev, struct bio *bio)
{
	struct hb_io *io = hb_io_alloc(dev, bio);

	hb_wtrack_start(io);
	/*
	 * Counted before the window and the bitmap are looked at: pairs with
	 * the barriers in hb_win_take() and hb_bm_sweep().
	 */
	smp_mb__after_atomic();
	if (unlikely(READ_ONCE(dev->sync_active) || READ_ONCE(dev->repair_active)))
		hb_write_wait_window(dev, io);
	if (unlikely(!hb_bm_covered(dev, io->sector, io->sectors))) {
		hb_bm_defer(io);
		return;
	}
	/* The bit seen set before the legs' states are read: hb_bm_catchup_start(). */
	smp_rmb();
	hb_write_issue(io);
}

void hb_submit_bio(struct bio *bio)
{
	struct hb_dev *dev = bio->bi_bdev->bd_disk->private_data;

	/* Held until the bio completes; refused while a leg is swapped. */
	while (unlikely(!percpu_ref_tryget_live(&dev->active))) {
		if (bio->bi_opf & REQ_NOWAIT) {
			bio_wouldblock_error(bio);
			return;
		}
		wait_event(dev->suspend_wait, !READ_ONCE(dev->suspended));
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		hb_read(dev, bio);
		break;
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
	case REQ_OP_SECURE_ERASE:
		hb_write(dev, bio);
		break;
	default:
		percpu_ref_put(&dev->active);
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
	}
}

static void hb_active_release(struct percpu_ref *ref)
{
	struct hb_dev *dev = container_of(ref, struct hb_dev, active);

	wake_up_all(&dev->suspend_wait);
}

/* Wait until no upper-layer bio is in flight; new ones wait for resume. */
void hb_dev_suspend(struct hb_dev *dev)
{
	/* The error handling of a bio waited for here takes these. */
	lockdep_assert_not_held(&dev->meta_mutex);
	lockdep_assert_not_held(&dev->bm_mutex);
	lockdep_assert_not_held(&dev->bbt_mutex);
	WRITE_ONCE(dev->suspended, true);
	percpu_ref_kill(&dev->active);
	wait_event(dev->suspend_wait, percpu_ref_is_zero(&dev->active));
}

void hb_dev_resume(struct hb_dev *dev)
{
	percpu_ref_resurrect(&dev->active);
	WRITE_ONCE(dev->suspended, false);
	wake_up_all(&dev->suspend_wait);
}

int hb_io_init(struct hb_dev *dev)
{
	/* Enough reserve for one upper-layer bio and a clone for every leg. */
	unsigned int pool = 4 * HEALBLK_MAX_LEGS;
	int ret;

	ret = bioset_init(&dev->clone_bs, pool, offsetof(struct hb_clone, bio), 0);
	if (ret)
		return ret;
	ret = bioset_init(&dev->split_bs, pool, 0, 0);
	if (ret)
		goto err_clone;
	ret = mempool_init_kmalloc_pool(&dev->io_pool, pool, sizeof(struct hb_io));
	if (ret)
		goto err_split;
	init_waitqueue_head(&dev->suspend_wait);
	ret = percpu_ref_init(&dev->active, hb_active_release,
			      PERCPU_REF_ALLOW_REINIT, GFP_KERNEL);
	if (ret)
		goto err_pool;
	dev->wq = alloc_workqueue("healblk%d", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				  dev->index);
	if (!dev->wq) {
		ret = -ENOMEM;
		goto err_ref;
	}
	ret = hb_sync_init(dev);
	if (ret)
		goto err_wq;
	return 0;

err_wq:
	destroy_workqueue(dev->wq);
err_ref:
	percpu_ref_exit(&dev->active);
err_pool:
	mempool_exit(&dev->io_pool);
err_split:
	bioset_exit(&dev->split_bs);
err_clone:
	bioset_exit(&dev->clone_bs);
	return ret;
}

void hb_io_exit(struct hb_dev *dev)
{
	destroy_workqueue(dev->sync_wq);
	destroy_workqueue(dev->wq);
	percpu_ref_exit(&dev->active);
	mempool_exit(&dev->io_pool);
	bioset_exit(&dev->split_bs);
	bioset_exit(&dev->clone_bs);
}
