// SPDX-License-Identifier: GPL-2.0
/*
 * Assembly: bring a device back from its disks' superblocks after a reboot
 * or a module reload, with mdadm's rules (Assemble.c):
 *
 * - The superblock with the highest event counter speaks for the device
 *   (the authority).  Its member table says which disk holds each slot
 *   and in what state.  A disk it no longer lists (a replaced leg, a
 *   removed spare) is ignored, not an error: it is closed and left out.
 * - Every member's superblock is also its view of its peers.  Two members
 *   that each recorded the other as out of the mirror ran apart (split
 *   brain): their histories conflict and assembly is refused unless
 *   forced (HEALBLK_ASSEMBLE_FORCE), when the authority's history wins.
 * - A leg is current when the authority lists it in sync and its own
 *   counter is at most one behind: a crash between two legs' superblock
 *   writes leaves exactly that (hb_meta_write() writes them in turn).  A
 *   leg further behind, or listed missing, is stale and rebuilt.
 * - A slot the authority lists in sync or rebuilding whose disk is not
 *   given would start the device degraded: refused unless asked for
 *   (HEALBLK_ASSEMBLE_RUN), as a disk given alone may be the stale one.
 * - A device whose UUID is already running is refused.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "healblk.h"

/* One disk given to assemble. */
struct hb_given {
	struct hb_leg *leg;
	struct healblk_sb sb;
	bool ignored;		/* superseded: not part of the device any more */
	bool activated;		/* a spare the members had put in a slot */
	bool moved;		/* a replacement that took another slot since it wrote its own */
	u32 own_slot;		/* the slot its own superblock gives */
};

struct hb_assembly {
	struct hb_dev *dev;
	struct hb_given *g;
	unsigned int n;
	const struct healblk_sb *a;	/* the authority */
	u32 flags;
	unsigned int *bad;
	struct netlink_ext_ack *extack;
};

/* Why disk @i of the request is refused: logged with its name, and in extack. */
static int hb_refuse(struct hb_assembly *as, unsigned int i, const char *why, int err)
{
	pr_info("assemble: refusing %pg: %s\n", as->g[i].leg->bdev, why);
	hb_set_err(as->extack, why);
	*as->bad = i;
	return err;
}

static bool hb_role_member(const struct healblk_sb *sb)
{
	return le32_to_cpu(sb->role) == HEALBLK_SB_ROLE_MEMBER;
}

static bool hb_state_active(u32 state)
{
	return state == HEALBLK_LEG_IN_SYNC || state == HEALBLK_LEG_REBUILDING;
}

/*
 * An all-zero disk UUID names nobody: an earlier healblk wrote one for
 * every spare it had assembled, so an old removed spare would otherwise
 * match the slot a later spare took.
 */
static bool hb_uuid_nil(const u8 *uuid)
{
	return !memchr_inv(uuid, 0, 16);
}

/* Does the authority list @sb's disk among its spares? */
static bool hb_spare_listed(const struct healblk_sb *a, const struct healblk_sb *sb)
{
	u32 j;

	if (hb_uuid_nil(sb->leg_uuid))
		return false;
	for (j = 0; j < le32_to_cpu(a->nr_spares); j++)
		if (!memcmp(sb->leg_uuid, a->spares[j].uuid, sizeof(sb->leg_uuid)))
			return true;
	return false;
}

/* Is disk @i listed by the authority: in its slot, or among its spares? */
static bool hb_listed(const struct healblk_sb *a, const struct healblk_sb *sb)
{
	u32 slot = le32_to_cpu(sb->slot);

	if (hb_uuid_nil(sb->leg_uuid))
		return false;
	if (hb_role_member(sb))
		return slot < le32_to_cpu(a->nr_slots) &&
		       !memcmp(sb->leg_uuid, a->members[slot].uuid, sizeof(sb->leg_uuid));
	return hb_spare_listed(a, sb);
}

/*
 * Does member @x's own view have member @y out of the mirror: failed,
 * missing, or replaced (another disk in its slot)?
 */
static bool hb_sees_out(const struct healblk_sb *x, const struct healblk_sb *y)
{
	u32 slot = le32_to_cpu(y->slot);

	return slot >= le32_to_cpu(x->nr_slots) ||
	       memcmp(x->members[slot].uuid, y->leg_uuid, sizeof(y->leg_uuid)) ||
	       !hb_state_active(le32_to_cpu(x->members[slot].state));
}

/* Slots a member table lists out of the mirror: the tie-break between equal counters. */
static unsigned int hb_out_count(const struct healblk_sb *sb)
{
	unsigned int i, n = 0;

	for (i = 0; i < le32_to_cpu(sb->nr_slots); i++)
		n += !hb_state_active(le32_to_cpu(sb->members[i].state));
	return n;
}

/*
 * The slot of the authority's member table that holds @sb's disk, or -1.
 * A spare's superblock may list it as a spare still while the members'
 * already put it in a slot: a crash between the two during its activation.
 */
static int hb_member_slot(const struct healblk_sb *a, const struct healblk_sb *sb)
{
	u32 i;

	if (hb_uuid_nil(sb->leg_uuid))
		return -1;
	for (i = 0; i < le32_to_cpu(a->nr_slots); i++)
		if (!memcmp(sb->leg_uuid, a->members[i].uuid, sizeof(sb->leg_uuid)))
			return i;
	return -1;
}

/* Read, check and choose: the authority, the disks it ignores, conflicts. */
static int hb_assemble_check(struct hb_assembly *as)
{
	unsigned int i, j;

	for (i = 0; i < as->n; i++) {
		if (memcmp(as->g[i].sb.dev_uuid, as->g[0].sb.dev_uuid, 16))
			return hb_refuse(as, i, "a leg belongs to another healblk device", -EINVAL);
		u64 ev = le64_to_cpu(as->g[i].sb.events);

		/* On a tie (a crash mid-write) the more cautious table: more legs out. */
		if (!as->a || ev > le64_to_cpu(as->a->events) ||
		    (ev == le64_to_cpu(as->a->events) &&
		     hb_out_count(&as->g[i].sb) > hb_out_count(as->a)))
			as->a = &as->g[i].sb;
	}
	if (hb_dev_find_uuid(as->a->dev_uuid)) {
		hb_set_err(as->extack, "this healblk device is already running");
		return -EEXIST;
	}
	for (i = 0; i < as->n; i++) {
		struct healblk_sb *sb = &as->g[i].sb;
		int k;

		if (hb_role_member(sb))
			continue;
		k = hb_member_slot(as->a, sb);
		if (k < 0)
			continue;
		pr_info("assemble: %pg was being activated into slot %d: it is rebuilt there\n",
			as->g[i].leg->bdev, k);
		sb->role = cpu_to_le32(HEALBLK_SB_ROLE_MEMBER);
		sb->slot = cpu_to_le32(k);
		as->g[i].activated = true;
	}
	for (i = 0; i < as->n; i++) {
		struct healblk_sb *sb = &as->g[i].sb;
		int k;

		if (hb_listed(as->a, sb))
			continue;
		/*
		 * A replacement that took the slot of the leg it replaced
		 * (hb_replace_finish()): a crash before its own superblock
		 * was written again leaves it naming the slot it was copied
		 * in.  Its identity says where it is now.
		 */
		k = hb_role_member(sb) ? hb_member_slot(as->a, sb) : -1;
		if (k >= 0) {
			pr_info("assemble: %pg took slot %d as a replacement\n",
				as->g[i].leg->bdev, k);
			sb->slot = cpu_to_le32(k);
			as->g[i].moved = true;
			continue;
		}
		/* An aborted replacement the others put back among the spares. */
		if (hb_role_member(sb) && hb_spare_listed(as->a, sb)) {
			pr_info("assemble: %pg is a spare again\n", as->g[i].leg->bdev);
			sb->role = cpu_to_le32(HEALBLK_SB_ROLE_SPARE);
			continue;
		}
		as->g[i].ignored = true;
		pr_info("assemble: ignoring %pg: the device no longer lists it (replaced or removed)\n",
			as->g[i].leg->bdev);
	}
	/* Split brain: two members that each ran without the other. */
	for (i = 0; i < as->n; i++) {
		const struct healblk_sb *x = &as->g[i].sb;

		if (as->g[i].ignored || !hb_role_member(x))
			continue;
		for (j = i + 1; j < as->n; j++) {
			const struct healblk_sb *y = &as->g[j].sb;

			if (as->g[j].ignored || !hb_role_member(y) ||
			    !hb_sees_out(x, y) || !hb_sees_out(y, x))
				continue;
			pr_warn("assemble: %pg (event %llu) and %pg (event %llu) each ran without the other\n",
				as->g[i].leg->bdev, le64_to_cpu(x->events),
				as->g[j].leg->bdev, le64_to_cpu(y->events));
			if (!(as->flags & HEALBLK_ASSEMBLE_FORCE))
				return hb_refuse(as, j,
						 "two legs each ran without the other (split brain): force to keep the newest",
						 -EUCLEAN);
		}
	}
	return 0;
}

/* Put every disk used in its slot or among the spares; close the ignored ones. */
static int hb_assemble_slots(struct hb_assembly *as)
{
	const struct healblk_sb *a = as->a;
	struct hb_dev *dev = as->dev;
	struct hb_leg *slots[HEALBLK_MAX_LEGS] = { NULL };
	unsigned int spares[HEALBLK_MAX_SPARES];	/* indexes into as->g */
	u32 nr_slots = le32_to_cpu(a->nr_slots);
	u64 need = le64_to_cpu(a->data_offset) + le64_to_cpu(a->data_sectors) +
		   (u64)le32_to_cpu(a->remap_blocks) * 8;
	unsigned int i, nsp = 0;

	for (i = 0; i < as->n; i++) {
		const struct healblk_sb *sb = &as->g[i].sb;
		struct hb_leg *leg = as->g[i].leg;

		if (as->g[i].ignored)
			continue;
		if (leg->sectors < need)
			return hb_refuse(as, i, "a leg is smaller than the device", -EINVAL);
		if (!hb_role_member(sb)) {
			if (nsp == HEALBLK_MAX_SPARES)
				return hb_refuse(as, i, "more spares than a device has", -EINVAL);
			spares[nsp++] = i;
			continue;
		}
		if (slots[le32_to_cpu(sb->slot)])
			return hb_refuse(as, i, "two legs claim the same slot", -EINVAL);
		slots[le32_to_cpu(sb->slot)] = leg;
	}
	for (i = 0; i < nr_slots; i++) {
		if (slots[i])
			continue;
		slots[i] = hb_leg_missing(dev, i);
		if (!slots[i])
			goto err_missing;
	}
	/*
	 * From here on the device owns them: hb_dev_discard() puts them.
	 * Each disk keeps its identity; one without (hb_uuid_nil()) gets a
	 * new one, recorded by the first superblock write.
	 */
	for (i = 0; i < nsp; i++) {
		struct hb_leg *spare = as->g[spares[i]].leg;

		spare->index = i;
		spare->state = HEALBLK_LEG_SPARE;
		spare->catchup_ok = false;
		memcpy(spare->uuid, as->g[spares[i]].sb.leg_uuid, sizeof(spare->uuid));
		dev->spares[i] = spare;
	}
	dev->nr_spares = nsp;
	for (i = 0; i < as->n; i++) {
		if (as->g[i].ignored)
			hb_leg_put(dev, as->g[i].leg);
		as->g[i].leg = NULL;
	}
	for (i = 0; i < nr_slots; i++) {
		slots[i]->index = i;
		slots[i]->replaces = le32_to_cpu(a->members[i].replaces);
		memcpy(slots[i]->uuid, a->members[i].uuid, sizeof(slots[i]->uuid));
		dev->legs[i] = slots[i];
	}
	dev->nr_legs = nr_slots;
	for (i = 0; i < nr_slots + nsp; i++) {
		struct hb_leg *leg = i < nr_slots ? dev->legs[i] : dev->spares[i - nr_slots];

		if (hb_uuid_nil(leg->uuid))
			get_random_bytes(leg->uuid, sizeof(leg->uuid));
	}
	return 0;

err_missing:
	/* Only the legs made here: the given ones are still in as->g. */
	for (i = 0; i < nr_slots; i++)
		if (slots[i] && !slots[i]->bdev)
			hb_leg_put(dev, slots[i]);
	return -ENOMEM;
}

/*
 * Each slot's state, from the authority's table and the leg's own
 * counter.  Returns -ENODATA when a slot the authority has active has no
 * disk (a degraded start) and that was not asked for.
 */
static int hb_assemble_states(struct hb_assembly *as)
{
	const struct healblk_sb *a = as->a;
	struct hb_dev *dev = as->dev;
	u64 events = le64_to_cpu(a->events);
	bool degraded = false;
	unsigned int i;

	for (i = 0; i < as->n; i++) {
		const struct healblk_sb *sb = &as->g[i].sb;
		u32 slot = le32_to_cpu(sb->slot), own_slot = as->g[i].own_slot, member, self;
		u64 own = le64_to_cpu(sb->events);
		struct hb_leg *leg;

		if (as->g[i].ignored || !hb_role_member(sb))
			continue;
		leg = dev->legs[slot];
		member = le32_to_cpu(a->members[slot].state);
		/* What the leg's own superblock said of itself (in its own slot, if it moved). */
		if (!as->g[i].moved)
			own_slot = slot;
		self = own_slot < le32_to_cpu(sb->nr_slots) ?
		       le32_to_cpu(sb->members[own_slot].state) : 0;
		/*
		 * Caught up from the bitmap when it comes back only if it
		 * was in sync when it left (its own view) and is not older
		 * than the last bit cleared (an older copy of it, a
		 * snapshot, may miss writes no bit names now): the bits
		 * held since name all it missed.  Otherwise rebuilt whole.
		 */
		leg->catchup_ok = self == HEALBLK_LEG_IN_SYNC &&
				  own >= le64_to_cpu(a->events_cleared);
		if (member == HEALBLK_LEG_FAILED) {
			leg->state = HEALBLK_LEG_FAILED;
			leg->reason = "it had failed before the device was stopped";
		} else if (as->g[i].activated) {
			leg->state = HEALBLK_LEG_REBUILDING;
			leg->sync_pos = 0;
			leg->catchup_ok = false;
			leg->reason = "a spare whose activation a crash cut short: rebuilt";
		} else if (member == HEALBLK_LEG_REBUILDING && own + 1 >= events &&
			   self == HEALBLK_LEG_REBUILDING) {
			/*
			 * Resumes from a checkpoint, the lower of the
			 * authority's and its own: its data was flushed before
			 * its own superblock was written, not before another's.
			 */
			u64 pos = min(le64_to_cpu(a->members[slot].sync_pos),
				      le64_to_cpu(sb->members[own_slot].sync_pos));

			leg->state = HEALBLK_LEG_REBUILDING;
			leg->sync_pos = min_t(u64, pos, le64_to_cpu(a->data_sectors));
			leg->catchup_ok = false;	/* beyond the checkpoint: anything */
			leg->reason = "rebuilding from the mirror";
		} else if (member == HEALBLK_LEG_IN_SYNC && self == HEALBLK_LEG_IN_SYNC &&
			   own + 1 >= events && own >= le64_to_cpu(a->events_cleared)) {
			/*
			 * Current, or one behind from a crash between two
			 * legs' superblock writes; both views have it in sync
			 * (a leg that had just finished its rebuild is only in
			 * sync once its own superblock says so).  Not one
			 * behind a superblock after which bits may have gone
			 * clean: an older copy of the leg would look the same,
			 * and it is rebuilt whole (below); so is the leg, when
			 * a crash cut such a superblock's writes short.
			 */
			leg->state = HEALBLK_LEG_IN_SYNC;
		} else {
			/*
			 * Its disk is fine but behind: rebuilt in place from
			 * the others, only where the bitmap says it missed
			 * writes if the others recorded it missing (a late
			 * disk, a degraded start) while it was in sync.
			 */
			leg->state = HEALBLK_LEG_REBUILDING;
			leg->sync_pos = 0;
			leg->catchup_ok = leg->catchup_ok && member == HEALBLK_LEG_MISSING;
			leg->reason = leg->catchup_ok ?
				      "stale: it missed writes while it was away; caught up from the bitmap" :
				      "stale: it missed changes while it was away; resyncing";
		}
	}
	for (i = 0; i < dev->nr_legs; i++) {
		/* A replacement is a copy more: without its disk it just leaves. */
		if (dev->legs[i]->bdev || le32_to_cpu(a->members[i].replaces) ||
		    !hb_state_active(le32_to_cpu(a->members[i].state)))
			continue;
		pr_info("assemble: leg %u of the device is not given\n", i);
		degraded = true;
	}
	if (degraded && !(as->flags & HEALBLK_ASSEMBLE_RUN)) {
		hb_set_err(as->extack,
			   "a leg of the device is missing: give every leg, or run it degraded");
		return -ENODATA;
	}
	if (!hb_legs_in_sync(dev) && (as->flags & HEALBLK_ASSEMBLE_FORCE)) {
		/* mdadm --force: the newest given leg is taken as current. */
		struct hb_leg *best = NULL;
		u64 best_events = 0;

		for (i = 0; i < as->n; i++) {
			const struct healblk_sb *sb = &as->g[i].sb;
			struct hb_leg *leg;

			if (as->g[i].ignored || !hb_role_member(sb))
				continue;
			leg = dev->legs[le32_to_cpu(sb->slot)];
			if (!best || le64_to_cpu(sb->events) > best_events) {
				best = leg;
				best_events = le64_to_cpu(sb->events);
			}
		}
		if (best) {
			pr_warn("assemble: forcing leg %u (%pg) in sync: it holds the newest data given\n",
				best->index, best->bdev);
			best->state = HEALBLK_LEG_IN_SYNC;
			best->reason = NULL;
		}
	}
	if (!hb_legs_in_sync(dev)) {
		hb_set_err(as->extack, "no given leg holds current data");
		return -EINVAL;
	}
	return 0;
}

/* The device's settings from the authority; each already checked (meta.c). */
static void hb_assemble_settings(struct hb_dev *dev, const struct healblk_sb *a)
{
	memcpy(dev->uuid, a->dev_uuid, sizeof(dev->uuid));
	dev->events = le64_to_cpu(a->events);
	dev->events_cleared = le64_to_cpu(a->events_cleared);
	dev->ctime = le64_to_cpu(a->ctime);
	dev->sectors = le64_to_cpu(a->data_sectors);
	/* A count, not a layout: one past the blocks there are is only clamped. */
	dev->mismatch_cnt = min_t(u64, le64_to_cpu(a->mismatch_cnt), dev->sectors / 8);
	dev->fail_errors = le32_to_cpu(a->fail_errors);
	if (le32_to_cpu(a->fail_window))
		dev->fail_window = le32_to_cpu(a->fail_window);
	dev->auto_spare = !le32_to_cpu(a->no_auto_spare);
	if (le32_to_cpu(a->sync_min_kbs))
		dev->sync_min_kbs = le32_to_cpu(a->sync_min_kbs);
	dev->sync_max_kbs = le32_to_cpu(a->sync_max_kbs);
	/* 0: written before bitmaps existed: every region resyncs. */
	dev->bm_shift = le32_to_cpu(a->bitmap_shift);
	dev->assembled = true;
	if (le32_to_cpu(a->remap_blocks) == HEALBLK_RM_MAX && dev->nr_legs == 1)
		dev->rm_blocks = HEALBLK_RM_MAX;
}

int hb_dev_assemble(const dev_t *devs, unsigned int n, u32 flags, struct hb_dev **out,
		    unsigned int *bad, struct netlink_ext_ack *extack)
{
	struct hb_assembly as = { .n = n, .flags = flags, .bad = bad, .extack = extack };
	unsigned int i;
	const char *why;
	int ret;

	lockdep_assert_held(&healblk_mutex);
	ret = hb_dev_check_legs(devs, n, HB_ASSEMBLE_MAX, extack);
	if (ret)
		return ret;
	as.g = kcalloc(n, sizeof(*as.g), GFP_KERNEL);
	if (!as.g)
		return -ENOMEM;
	as.dev = hb_dev_alloc(extack);
	if (IS_ERR(as.dev)) {
		kfree(as.g);
		return PTR_ERR(as.dev);
	}
	for (i = 0; i < n; i++) {
		as.g[i].leg = hb_leg_open_new(as.dev, i, devs[i], HEALBLK_LEG_IN_SYNC, extack);
		if (IS_ERR(as.g[i].leg)) {
			ret = PTR_ERR(as.g[i].leg);
			as.g[i].leg = NULL;
			*bad = i;
			goto err;
		}
		ret = hb_meta_read(as.g[i].leg->bdev, &as.g[i].sb, &why);
		if (ret) {
			ret = hb_refuse(&as, i, why, ret);
			goto err;
		}
		as.g[i].own_slot = le32_to_cpu(as.g[i].sb.slot);
	}
	ret = hb_assemble_check(&as);
	if (ret)
		goto err;
	ret = hb_assemble_slots(&as);
	if (ret)
		goto err;
	ret = hb_assemble_states(&as);
	if (ret)
		goto err_dev;
	hb_assemble_settings(as.dev, as.a);
	ret = hb_dev_start(as.dev, extack);
	if (ret)
		goto err_dev;
	kfree(as.g);
	*out = as.dev;
	return 0;
err:
	for (i = 0; i < n; i++)
		if (as.g[i].leg)
			hb_leg_put(as.dev, as.g[i].leg);
err_dev:
	kfree(as.g);
	hb_dev_discard(as.dev);
	return ret;
}
