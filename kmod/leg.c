// SPDX-License-Identifier: GPL-2.0
/*
 * Leg state: which legs serve reads, failing a leg, known-bad ranges.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include "healblk.h"

const char *hb_leg_state_name(enum healblk_leg_state state)
{
	switch (state) {
	case HEALBLK_LEG_IN_SYNC:
		return "in_sync";
	case HEALBLK_LEG_FAILED:
		return "failed";
	case HEALBLK_LEG_MISSING:
		return "missing";
	case HEALBLK_LEG_REBUILDING:
		return "rebuilding";
	case HEALBLK_LEG_SPARE:
		return "spare";
	}
	return "unknown";
}

u64 hb_leg_io_stat(struct hb_leg *leg, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((void *)per_cpu_ptr(leg->io_stats, cpu) + offset);
	return sum;
}

unsigned long hb_legs_in_sync(struct hb_dev *dev)
{
	unsigned long mask = 0;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		if (READ_ONCE(dev->legs[i]->state) == HEALBLK_LEG_IN_SYNC)
			mask |= BIT(i);
	return mask;
}

/* Legs that take writes: in sync, and rebuilding ones (every write). */
unsigned long hb_legs_writable(struct hb_dev *dev)
{
	unsigned long mask = 0;
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++) {
		enum healblk_leg_state state = READ_ONCE(dev->legs[i]->state);

		if (state == HEALBLK_LEG_IN_SYNC || state == HEALBLK_LEG_REBUILDING)
			mask |= BIT(i);
	}
	return mask;
}

/* May @leg serve a read of [@sector, +@sectors)? */
static bool hb_leg_readable(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	switch (READ_ONCE(leg->state)) {
	case HEALBLK_LEG_IN_SYNC:
		return true;
	case HEALBLK_LEG_REBUILDING:
		/* Only what the rebuild has copied: sync.c publishes it with a release. */
		return sector + sectors <= smp_load_acquire(&leg->sync_pos);
	default:
		return false;
	}
}

/* How many sectors from @sector on this leg holds good data: 0 to @sectors. */
static unsigned int hb_leg_clean_sectors(struct hb_leg *leg, sector_t sector,
					 unsigned int sectors)
{
	sector_t first_bad;
	int bad_sectors;

	/* The common case, without the table's seqlock. */
	if (!READ_ONCE(leg->bb.count))
		return sectors;
	if (!badblocks_check(&leg->bb, sector, sectors, &first_bad, &bad_sectors))
		return sectors;
	return first_bad > sector ? first_bad - sector : 0;
}

bool hb_leg_is_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	return hb_leg_clean_sectors(leg, sector, sectors) < sectors;
}

/*
 * Record a range whose data on this leg cannot be trusted.  Returns false
 * when the table is full: then the leg can no longer be read safely.
 */
bool hb_leg_mark_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors)
{
	/*
	 * In pieces of at most BB_MAX_LEN (512) sectors, in ascending order:
	 * 6.1's badblocks_set() splits a longer range itself, back to front,
	 * and badblocks_check() then misses part or all of it (a 1 MiB write
	 * recorded bad but read from that leg: found by the torture test,
	 * seed 2026).  The rewritten badblocks of later kernels (6.12 here)
	 * takes the pieces as well.
	 */
	while (sectors) {
		unsigned int n = min_t(unsigned int, sectors, BB_MAX_LEN);

		if (badblocks_set(&leg->bb, sector, n, 1))
			return false;
		sector += n;
		sectors -= n;
	}
	return true;
}

/* badblocks takes an int of sectors: a range past 1 TiB goes in pieces. */
void hb_leg_clear_bad(struct hb_leg *leg, sector_t sector, sector_t sectors)
{
	while (sectors) {
		int n = min_t(sector_t, sectors, SZ_1G);

		badblocks_clear(&leg->bb, sector, n);
		sector += n;
		sectors -= n;
	}
}

/*
 * Pick the leg to read [@sector, +@sectors) from: in sync, not in @tried,
 * and with no known-bad sector in the range.  A leg that just
 * served the preceding sectors keeps a sequential stream; otherwise the
 * leg with the fewest reads in flight wins, ties going round robin.
 *
 * When no leg is clean over the whole range, the leg that is clean for the
 * longest prefix is returned with that prefix in *@clean, so the caller can
 * split.  Returns -EIO when no leg can serve even the first sector.
 * Must not block: called from submit_bio.
 */
int hb_leg_choose_read(struct hb_dev *dev, unsigned long tried, sector_t sector,
		       unsigned int sectors, unsigned int *clean)
{
	unsigned int i, n, start, best_clean = 0, best_load = UINT_MAX;
	int best = -EIO;

	/* Ties go to legs in turn by 64 KiB chunk, with no shared state to bounce. */
	start = sector >> 7;
	for (n = 0; n < dev->nr_legs; n++) {
		struct hb_leg *leg;
		unsigned int ok, load;

		i = (start + n) % dev->nr_legs;
		leg = dev->legs[i];
		if ((tried & BIT(i)) || !hb_leg_readable(leg, sector, sectors))
			continue;
		ok = hb_leg_clean_sectors(leg, sector, sectors);
		if (!ok || ok < best_clean)
			continue;
		if (ok == sectors && READ_ONCE(leg->next_sector) == sector) {
			best = i;
			best_clean = ok;
			break;
		}
		load = atomic_read(&leg->inflight);
		if (ok > best_clean || load < best_load) {
			best = i;
			best_clean = ok;
			best_load = load;
		}
	}
	if (best >= 0)
		*clean = best_clean;
	return best;
}

/*
 * Count an I/O error against a leg, from process context.  At
 * dev->fail_errors errors within dev->fail_window seconds the disk is
 * failing, not hiccuping: take it out while another leg is in sync.
 */
void hb_leg_error(struct hb_leg *leg)
{
	struct hb_dev *dev = leg->dev;
	unsigned long oldest, now = jiffies;
	unsigned int n;
	bool trip;

	spin_lock_irq(&dev->lock);
	n = dev->fail_errors;
	if (!n || leg->state != HEALBLK_LEG_IN_SYNC) {
		spin_unlock_irq(&dev->lock);
		return;
	}
	/* err_times holds the last n errors: the slot about to be reused is the oldest. */
	leg->err_times[leg->err_next % n] = now;
	leg->err_next++;
	oldest = leg->err_times[leg->err_next % n];
	trip = leg->err_next >= n &&
	       time_before_eq(now, oldest + (unsigned long)dev->fail_window * HZ);
	spin_unlock_irq(&dev->lock);

	if (trip && hb_legs_in_sync(dev) != BIT(leg->index))
		hb_leg_fail(leg, "too many I/O errors within the failure window", NULL);
}

/*
 * Take @leg out of the set of legs that take writes, under dev->lock.
 * Until the superblocks record it (hb_leg_out_done() after
 * hb_meta_write()), new writes wait in hb_write_issue(): acknowledged on
 * the other legs alone, then lost in a crash if the superblocks still had
 * this leg in sync and a resync copied it over them.
 */
void hb_leg_out_locked(struct hb_leg *leg, const char *reason)
{
	lockdep_assert_held(&leg->dev->lock);
	leg->dev->meta_pending++;
	/* Pairs with smp_rmb() in hb_write_issue(): seen out, seen pending. */
	smp_wmb();
	WRITE_ONCE(leg->state, HEALBLK_LEG_FAILED);
	leg->reason = reason;
}

void hb_leg_out_done(struct hb_dev *dev)
{
	spin_lock_irq(&dev->lock);
	dev->meta_pending--;
	spin_unlock_irq(&dev->lock);
	wake_up_all(&dev->meta_wait);
}

/*
 * Take a leg out of the mirror.  Never fails the last in-sync leg: a
 * degraded device still serves, a device with no leg serves nothing.
 * Process context: writes the superblocks.  @reason: a string constant.
 */
int hb_leg_fail(struct hb_leg *leg, const char *reason,
		struct netlink_ext_ack *extack)
{
	struct hb_dev *dev = leg->dev;
	enum healblk_leg_state old;

	spin_lock_irq(&dev->lock);
	old = leg->state;
	if (old != HEALBLK_LEG_IN_SYNC && old != HEALBLK_LEG_REBUILDING) {
		spin_unlock_irq(&dev->lock);
		NL_SET_ERR_MSG(extack, "the leg is already out of the mirror");
		return -EALREADY;
	}
	if (old == HEALBLK_LEG_IN_SYNC && hb_legs_in_sync(dev) == BIT(leg->index)) {
		spin_unlock_irq(&dev->lock);
		NL_SET_ERR_MSG(extack, "refusing to fail the last in-sync leg");
		return -EBUSY;
	}
	hb_leg_out_locked(leg, reason);
	leg->err_next = 0;
	spin_unlock_irq(&dev->lock);

	pr_warn("%s: leg %u (%pg) failed: %s\n", dev->disk->disk_name,
		leg->index, leg->bdev, reason);
	/* Persist it: after a restart this leg must not be trusted again. */
	hb_meta_write(dev);
	hb_leg_out_done(dev);
	hb_ev_leg_state(leg, old, reason);
	/* A spare may take its place. */
	hb_sync_kick(dev);
	return 0;
}
