// SPDX-License-Identifier: GPL-2.0
/*
 * Assembly: bring a device back from its legs' superblocks after a reboot
 * or a module reload.  The leg with the highest event counter speaks for
 * the device; a leg that missed changes is stale and serves nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include <linux/slab.h>
#include "healblk.h"

/* Why leg @i of the request is refused: logged with its name, and in extack. */
static int hb_refuse(struct hb_dev *dev, unsigned int i, unsigned int *bad,
		     const char *why, int err, struct netlink_ext_ack *extack)
{
	pr_info("assemble: refusing leg %pg: %s\n", dev->legs[i]->bdev, why);
	hb_set_err(extack, why);
	*bad = i;
	return err;
}

/* Check every given leg against the authority @a; put each in its slot. */
static int hb_assemble_slots(struct hb_dev *dev, const struct healblk_sb *sbs,
			     const struct healblk_sb *a, unsigned int *bad,
			     struct netlink_ext_ack *extack)
{
	struct hb_leg *slots[HEALBLK_MAX_LEGS] = { NULL };
	u32 nr_slots = le32_to_cpu(a->nr_slots);
	u64 need = le64_to_cpu(a->data_offset) + le64_to_cpu(a->data_sectors) +
		   (u64)le32_to_cpu(a->remap_blocks) * 8;
	unsigned int i;

	struct hb_leg *spares[HEALBLK_MAX_SPARES];
	u32 nr_spares = min_t(u32, le32_to_cpu(a->nr_spares), HEALBLK_MAX_SPARES);
	unsigned int j, given = dev->nr_legs, nsp = 0;

	for (i = 0; i < given; i++) {
		const struct healblk_sb *sb = &sbs[i];
		u32 slot = le32_to_cpu(sb->slot);

		if (memcmp(sb->dev_uuid, a->dev_uuid, sizeof(sb->dev_uuid)))
			return hb_refuse(dev, i, bad, "a leg belongs to another healblk device",
					 -EINVAL, extack);
		if (le32_to_cpu(sb->role) == HEALBLK_SB_ROLE_SPARE) {
			for (j = 0; j < nr_spares; j++)
				if (!memcmp(sb->leg_uuid, a->spares[j].uuid, sizeof(sb->leg_uuid)))
					break;
			if (j == nr_spares)
				return hb_refuse(dev, i, bad,
						 "a spare is no longer part of the device",
						 -EINVAL, extack);
			if (dev->legs[i]->sectors < need)
				return hb_refuse(dev, i, bad, "a spare is smaller than the device",
						 -EINVAL, extack);
			spares[nsp++] = dev->legs[i];
			continue;
		}
		if (le32_to_cpu(sb->role) != HEALBLK_SB_ROLE_MEMBER)
			return hb_refuse(dev, i, bad, "a superblock describes an impossible layout",
					 -EINVAL, extack);
		if (slot >= nr_slots)
			return hb_refuse(dev, i, bad, "a leg's slot is outside the device",
					 -EINVAL, extack);
		if (slots[slot])
			return hb_refuse(dev, i, bad, "two legs claim the same slot",
					 -EINVAL, extack);
		if (memcmp(sb->leg_uuid, a->members[slot].uuid, sizeof(sb->leg_uuid)))
			return hb_refuse(dev, i, bad,
					 "a leg was replaced in the device and is no longer a member",
					 -EINVAL, extack);
		if (dev->legs[i]->sectors < need)
			return hb_refuse(dev, i, bad, "a leg is smaller than the device",
					 -EINVAL, extack);
		slots[slot] = dev->legs[i];
	}

	for (i = 0; i < nr_slots; i++) {
		if (slots[i])
			continue;
		slots[i] = hb_leg_missing(dev, i);
		if (!slots[i])
			goto err_missing;
	}
	for (i = 0; i < nr_slots; i++) {
		slots[i]->index = i;
		memcpy(slots[i]->uuid, a->members[i].uuid, sizeof(slots[i]->uuid));
		dev->legs[i] = slots[i];
	}
	for (i = nr_slots; i < HEALBLK_MAX_LEGS; i++)
		dev->legs[i] = NULL;
	dev->nr_legs = nr_slots;
	for (j = 0; j < nsp; j++) {
		spares[j]->index = j;
		spares[j]->state = HEALBLK_LEG_SPARE;
		dev->spares[j] = spares[j];
	}
	dev->nr_spares = nsp;
	return 0;

err_missing:
	/* Only the legs made here: the given ones are still in dev->legs. */
	for (i = 0; i < nr_slots; i++) {
		if (slots[i] && !slots[i]->bdev) {
			badblocks_exit(&slots[i]->bb);
			kobject_put(&slots[i]->kobj);
		}
	}
	return -ENOMEM;
}

/*
 * In sync only where the authority says so and the leg saw every change;
 * a leg that missed changes (stale) is resynced in full; one the authority
 * lists as failed stays failed.
 */
static void hb_assemble_states(struct hb_dev *dev, const struct healblk_sb *sbs,
			       unsigned int given, const struct healblk_sb *a)
{
	unsigned int i;

	for (i = 0; i < given; i++) {
		u32 slot = le32_to_cpu(sbs[i].slot);
		struct hb_leg *leg;
		u32 member;

		if (le32_to_cpu(sbs[i].role) == HEALBLK_SB_ROLE_SPARE)
			continue;
		leg = dev->legs[slot];
		member = le32_to_cpu(a->members[slot].state);
		if (member == HEALBLK_LEG_FAILED) {
			leg->state = HEALBLK_LEG_FAILED;
			leg->reason = "it had failed before the device was stopped";
		} else if (member == HEALBLK_LEG_REBUILDING &&
			   le64_to_cpu(sbs[i].events) == le64_to_cpu(a->events)) {
			/* Resumes from its checkpoint: what lies below it was copied. */
			leg->state = HEALBLK_LEG_REBUILDING;
			leg->sync_pos = min_t(u64, le64_to_cpu(a->members[slot].sync_pos),
					      le64_to_cpu(a->data_sectors));
			leg->reason = "rebuilding from the mirror";
		} else if (member != HEALBLK_LEG_IN_SYNC ||
			   le64_to_cpu(sbs[i].events) < le64_to_cpu(a->events)) {
			/* Its disk is fine but behind: rebuilt in place from the others. */
			leg->state = HEALBLK_LEG_REBUILDING;
			leg->sync_pos = 0;
			leg->reason = "stale: it missed changes while it was away; resyncing";
		} else {
			leg->state = HEALBLK_LEG_IN_SYNC;
		}
	}
}

int hb_dev_assemble(const dev_t *legs, unsigned int nr_legs, struct hb_dev **out,
		    unsigned int *bad, struct netlink_ext_ack *extack)
{
	struct healblk_sb *sbs, *a = NULL;
	struct hb_dev *dev;
	unsigned int i;
	const char *why;
	int ret;

	lockdep_assert_held(&healblk_mutex);
	sbs = kcalloc(nr_legs, sizeof(*sbs), GFP_KERNEL);
	if (!sbs)
		return -ENOMEM;
	dev = hb_dev_alloc(extack);
	if (IS_ERR(dev)) {
		kfree(sbs);
		return PTR_ERR(dev);
	}
	ret = hb_dev_open_legs(dev, legs, nr_legs, bad, extack);
	if (ret)
		goto err;

	for (i = 0; i < nr_legs; i++) {
		ret = hb_meta_read(dev->legs[i]->bdev, &sbs[i], &why);
		if (ret) {
			ret = hb_refuse(dev, i, bad, why, ret, extack);
			goto err;
		}
		if (!a || le64_to_cpu(sbs[i].events) > le64_to_cpu(a->events))
			a = &sbs[i];
	}
	if (le32_to_cpu(a->nr_slots) < 1 || le32_to_cpu(a->nr_slots) > HEALBLK_MAX_LEGS ||
	    le64_to_cpu(a->data_offset) != HEALBLK_META_SECTORS || !a->data_sectors) {
		ret = hb_refuse(dev, a - sbs, bad, "a superblock describes an impossible layout",
				-EINVAL, extack);
		goto err;
	}

	ret = hb_assemble_slots(dev, sbs, a, bad, extack);
	if (ret)
		goto err;
	hb_assemble_states(dev, sbs, nr_legs, a);
	memcpy(dev->uuid, a->dev_uuid, sizeof(dev->uuid));
	dev->events = le64_to_cpu(a->events);
	dev->ctime = le64_to_cpu(a->ctime);
	dev->sectors = le64_to_cpu(a->data_sectors);
	/* Out of range only if written by something else: keep the defaults. */
	if (le32_to_cpu(a->fail_errors) <= HEALBLK_FAIL_ERRORS_MAX &&
	    le32_to_cpu(a->fail_window) && le32_to_cpu(a->fail_window) <= HEALBLK_FAIL_WINDOW_MAX) {
		dev->fail_errors = le32_to_cpu(a->fail_errors);
		dev->fail_window = le32_to_cpu(a->fail_window);
	}
	dev->auto_spare = !le32_to_cpu(a->no_auto_spare);
	if (le32_to_cpu(a->sync_min_kbs))
		dev->sync_min_kbs = le32_to_cpu(a->sync_min_kbs);
	dev->sync_max_kbs = le32_to_cpu(a->sync_max_kbs);
	/* Written before bitmaps existed (0), or nonsense: every region resyncs. */
	dev->bm_shift = le32_to_cpu(a->bitmap_shift);
	if (dev->bm_shift < HB_WTRACK_SHIFT || dev->bm_shift > 40)
		dev->bm_shift = 0;
	dev->assembled = true;
	/* A spare area only on a device of one leg, of the one size this healblk makes. */
	if (le32_to_cpu(a->remap_blocks) == HEALBLK_RM_MAX && dev->nr_legs == 1)
		dev->rm_blocks = HEALBLK_RM_MAX;
	if (!hb_legs_in_sync(dev)) {
		NL_SET_ERR_MSG(extack, "no given leg holds current data");
		ret = -EINVAL;
		goto err;
	}

	ret = hb_dev_start(dev, extack);
	if (ret)
		goto err;
	kfree(sbs);
	*out = dev;
	return 0;
err:
	kfree(sbs);
	hb_dev_discard(dev);
	return ret;
}
