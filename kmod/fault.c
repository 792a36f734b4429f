// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection, healblk's own (Debian's kernels have no
 * CONFIG_FAULT_INJECTION): per leg, one rule failing reads and/or writes
 * over a range of data sectors with a probability, at most a count of
 * times, and adding latency.  Rules can only be set when the module was
 * loaded with fault_injection=1.  Modelled on null_blk's fault attributes
 * and dm-flakey's deterministic modes.  A rule sees every I/O healblk sends
 * to the leg: the clones of the device's bios, the copies of rebuild,
 * resync and scrub (READ, WRITE over the range), the cache flushes
 * (FLUSH) and the metadata (META: superblock, bitmap, bad-block and remap
 * tables, whatever the range).
 */
#include <linux/delay.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include "healblk.h"

static u32 hb_bio_op(struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_READ)
		return HEALBLK_OP_READ;
	if (!bio_sectors(bio))
		return HEALBLK_OP_FLUSH;
	return HEALBLK_OP_WRITE;
}

static void hb_fault_delayed_submit(struct work_struct *work)
{
	struct hb_clone *c = container_of(to_delayed_work(work), struct hb_clone,
					  delay);

	submit_bio_noacct(&c->bio);
}

/*
 * Does @leg's rule take an I/O of @op over data sectors [@start, @end)
 * (any range for FLUSH and META)?  True to fail it; *@delay_us: the
 * latency to add otherwise.  Any context.
 */
static bool hb_fault_hit(struct hb_leg *leg, u32 op, sector_t start, sector_t end,
			 u32 *delay_us)
{
	struct hb_dev *dev = leg->dev;
	struct hb_fault *f = &leg->fault;
	bool fail = false;
	unsigned long flags;

	*delay_us = 0;
	if (!READ_ONCE(f->armed))
		return false;
	spin_lock_irqsave(&dev->lock, flags);
	if (f->armed && (f->ops & op) &&
	    (op == HEALBLK_OP_FLUSH || op == HEALBLK_OP_META ||
	     (end > f->start && (!f->sectors || start < f->start + f->sectors)))) {
		if (f->percent && get_random_u32_below(100) < f->percent)
			fail = !f->count || atomic_dec_if_positive(&f->left) >= 0;
		*delay_us = f->delay_us;
	}
	spin_unlock_irqrestore(&dev->lock, flags);
	if (fail)
		atomic64_inc(&f->injected);
	return fail;
}

/*
 * Called for every clone about to go to its leg.  Returns true when the
 * rule took the clone: completed with an error, or queued to be submitted
 * later.  Must not block.
 */
bool hb_fault_inject(struct hb_clone *c)
{
	struct hb_leg *leg = c->leg;
	struct hb_dev *dev = leg->dev;
	struct bio *bio = &c->bio;
	sector_t start = bio->bi_iter.bi_sector - dev->data_offset;
	u32 delay_us;

	if (hb_fault_hit(leg, hb_bio_op(bio), start, start + bio_sectors(bio), &delay_us)) {
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
		return true;
	}
	if (delay_us) {
		INIT_DELAYED_WORK(&c->delay, hb_fault_delayed_submit);
		queue_delayed_work(dev->wq, &c->delay, usecs_to_jiffies(delay_us));
		return true;
	}
	return false;
}

/*
 * The same for healblk's own I/O to @leg, about to be sent and waited
 * for (process context): -EIO to fail it, after the rule's latency
 * otherwise.  @op: one HEALBLK_OP_*; @start, @sectors: data sectors.
 */
int hb_fault_sync(struct hb_leg *leg, u32 op, sector_t start, unsigned int sectors)
{
	u32 delay_us;

	if (hb_fault_hit(leg, op, start, start + sectors, &delay_us))
		return -EIO;
	if (delay_us)
		fsleep(delay_us);
	return 0;
}

int hb_fault_set(struct hb_leg *leg, const struct hb_fault *rule,
		 struct netlink_ext_ack *extack)
{
	struct hb_dev *dev = leg->dev;
	struct hb_fault *f = &leg->fault;

	if (!g_fault_injection) {
		NL_SET_ERR_MSG(extack, "fault injection is off: load with fault_injection=1");
		return -EPERM;
	}
	if (rule->start >= dev->sectors ||
	    rule->sectors > dev->sectors - rule->start) {
		NL_SET_ERR_MSG(extack, "the fault range lies beyond the device's end");
		return -ERANGE;
	}
	if (!rule->percent && !rule->delay_us) {
		NL_SET_ERR_MSG(extack, "a fault needs an error percentage or a delay");
		return -EINVAL;
	}

	spin_lock_irq(&dev->lock);
	f->ops = rule->ops;
	f->start = rule->start;
	f->sectors = rule->sectors;
	f->percent = rule->percent;
	f->count = rule->count;
	f->delay_us = rule->delay_us;
	atomic_set(&f->left, rule->count);
	atomic64_set(&f->injected, 0);
	WRITE_ONCE(f->armed, true);
	spin_unlock_irq(&dev->lock);
	return 0;
}

void hb_fault_clear(struct hb_leg *leg)
{
	spin_lock_irq(&leg->dev->lock);
	WRITE_ONCE(leg->fault.armed, false);
	spin_unlock_irq(&leg->dev->lock);
}
