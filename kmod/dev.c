// SPDX-License-Identifier: GPL-2.0
/*
 * healblk devices: the gendisk, opening the legs, create and destroy.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include "healblk.h"

#define HB_PART_SHIFT	4	/* 16 minors a device: partitions allowed */
#define HB_MAX_DEVICES	1024
/* A leg must hold its metadata area and at least 4 KiB of data. */
#define HB_MIN_DATA_SECTORS	8

/* The device list, create and destroy, and every netlink request. */
DEFINE_MUTEX(healblk_mutex);
static LIST_HEAD(healblk_devices);
static DEFINE_IDA(hb_ida);
static int hb_major;

struct hb_dev *hb_dev_find(int index)
{
	struct hb_dev *dev;

	lockdep_assert_held(&healblk_mutex);
	list_for_each_entry(dev, &healblk_devices, node)
		if (dev->index == index)
			return dev;
	return NULL;
}

/* The running device with this UUID, if any. */
struct hb_dev *hb_dev_find_uuid(const u8 *uuid)
{
	struct hb_dev *dev;

	lockdep_assert_held(&healblk_mutex);
	list_for_each_entry(dev, &healblk_devices, node)
		if (!memcmp(dev->uuid, uuid, sizeof(dev->uuid)))
			return dev;
	return NULL;
}

struct hb_dev *hb_dev_next(int index)
{
	struct hb_dev *dev, *best = NULL;

	lockdep_assert_held(&healblk_mutex);
	list_for_each_entry(dev, &healblk_devices, node)
		if (dev->index >= index && (!best || dev->index < best->index))
			best = dev;
	return best;
}

/*
 * The slots must hold still: healblk_mutex or dev->lock held (sync.c
 * changes them under both).
 */
enum healblk_dev_state hb_dev_state(struct hb_dev *dev)
{
	struct hb_leg *repl = hb_replacement(dev);
	unsigned int legs = dev->nr_legs;

	if (READ_ONCE(dev->rm_full))
		return HEALBLK_DEV_FAILING;
	/* A replacement still copying is a copy more, not one missing. */
	if (repl && READ_ONCE(repl->state) == HEALBLK_LEG_REBUILDING)
		legs--;
	return hweight_long(hb_legs_in_sync(dev)) >= legs ?
		HEALBLK_DEV_OPTIMAL : HEALBLK_DEV_DEGRADED;
}

unsigned int hb_dev_openers(struct hb_dev *dev)
{
	return disk_openers(dev->disk);
}

static int hb_open(HB_FOPS_OPEN_ARGS)
{
	struct hb_dev *dev = HB_FOPS_OPEN_DISK->private_data;

	/* Called with disk->open_mutex held, which destroy takes too. */
	return READ_ONCE(dev->dying) ? -ENXIO : 0;
}

static const struct block_device_operations hb_fops = {
	.owner		= THIS_MODULE,
	.open		= hb_open,
	.submit_bio	= hb_submit_bio,
};

/* A leg with no disk yet; its kobject's release frees it. */
static struct hb_leg *hb_leg_alloc(struct hb_dev *dev, unsigned int index,
				   enum healblk_leg_state state)
{
	struct hb_leg *leg = kzalloc(sizeof(*leg), GFP_KERNEL);

	if (!leg)
		return NULL;
	kobject_init(&leg->kobj, &hb_leg_ktype);
	leg->dev = dev;
	leg->index = index;
	leg->state = state;
	/* A leg in sync holds the mirror's data: after it leaves, the bitmap's bits name what it missed. */
	leg->catchup_ok = state == HEALBLK_LEG_IN_SYNC;
	leg->io_stats = alloc_percpu(struct hb_leg_io_stats);
	if (!leg->io_stats || badblocks_init(&leg->bb, 1)) {
		kobject_put(&leg->kobj);
		return NULL;
	}
	return leg;
}

/*
 * Open the disk @devt exclusively as a leg (or spare) of @dev, not yet
 * placed anywhere.  Its size must hold the metadata area and, once the
 * device has a size, the device's data.
 */
struct hb_leg *hb_leg_open_new(struct hb_dev *dev, unsigned int index, dev_t devt,
			       enum healblk_leg_state state,
			       struct netlink_ext_ack *extack)
{
	struct block_device *bdev;
	struct hb_leg *leg;
	int ret;

	leg = hb_leg_alloc(dev, index, state);
	if (!leg)
		return ERR_PTR(-ENOMEM);
	bdev = hb_bdev_open(devt, dev, &leg->handle);
	if (IS_ERR(bdev)) {
		ret = PTR_ERR(bdev);
		if (ret == -EBUSY)
			NL_SET_ERR_MSG(extack, "a leg is in use (mounted, or held by a driver)");
		else if (ret == -ENXIO || ret == -ENODEV)
			NL_SET_ERR_MSG(extack, "no block device has a leg's major:minor");
		else
			NL_SET_ERR_MSG(extack, "cannot open a leg");
		pr_info("cannot open leg %u:%u: %d\n", MAJOR(devt), MINOR(devt), ret);
		goto err_bb;
	}
	leg->bdev = bdev;
	leg->sectors = bdev_nr_sectors(bdev);
	/* A healblk device (this one, or another that may sit on it): no stacking. */
	if (bdev->bd_disk->fops == &hb_fops) {
		NL_SET_ERR_MSG(extack, "a healblk device cannot be a leg or spare");
		ret = -EINVAL;
		goto err_close;
	}
	if (leg->sectors < dev->data_offset + max_t(sector_t, dev->sectors, HB_MIN_DATA_SECTORS)) {
		hb_set_err(extack, dev->sectors ?
			   "the disk is smaller than the device's legs" :
			   "a leg is too small to hold the metadata area and data");
		ret = -EINVAL;
		goto err_close;
	}
	return leg;

err_close:
	hb_bdev_close(&leg->handle, dev);
err_bb:
	badblocks_exit(&leg->bb);
	kobject_put(&leg->kobj);
	return ERR_PTR(ret);
}

/* Close a leg or spare that serves no I/O and is in no array any more. */
void hb_leg_put(struct hb_dev *dev, struct hb_leg *leg)
{
	if (leg->bdev)
		hb_bdev_close(&leg->handle, dev);
	badblocks_exit(&leg->bb);
	kobject_put(&leg->kobj);
}

static int hb_leg_open(struct hb_dev *dev, unsigned int index, dev_t devt,
		       struct netlink_ext_ack *extack)
{
	struct hb_leg *leg = hb_leg_open_new(dev, index, devt, HEALBLK_LEG_IN_SYNC, extack);

	if (IS_ERR(leg))
		return PTR_ERR(leg);
	dev->legs[index] = leg;
	return 0;
}

static void hb_leg_close(struct hb_dev *dev, unsigned int index)
{
	hb_leg_put(dev, dev->legs[index]);
	dev->legs[index] = NULL;
}

int hb_dev_check_legs(const dev_t *legs, unsigned int nr_legs, unsigned int max,
		      struct netlink_ext_ack *extack)
{
	unsigned int i, j;

	if (nr_legs < 1 || nr_legs > max) {
		hb_set_err(extack, max == HEALBLK_MAX_LEGS ? "a device has 1 to 4 legs" :
				   "assemble takes 1 to 8 disks: legs and spares");
		return -EINVAL;
	}
	for (i = 0; i < nr_legs; i++)
		for (j = i + 1; j < nr_legs; j++)
			if (legs[i] == legs[j]) {
				NL_SET_ERR_MSG(extack, "the same leg is listed twice");
				return -EINVAL;
			}
	return 0;
}

/* A device with no legs yet: freed with hb_dev_discard() until started. */
struct hb_dev *hb_dev_alloc(struct netlink_ext_ack *extack)
{
	struct hb_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return ERR_PTR(-ENOMEM);
	kobject_init(&dev->kobj, &hb_dev_ktype);
	spin_lock_init(&dev->lock);
	mutex_init(&dev->meta_mutex);
	mutex_init(&dev->bbt_mutex);
	mutex_init(&dev->remap_mutex);
	xa_init(&dev->remap);
	init_waitqueue_head(&dev->wtrack_wait);
	init_waitqueue_head(&dev->meta_wait);
	dev->data_offset = HEALBLK_META_SECTORS;
	dev->fail_errors = g_fail_errors;
	dev->fail_window = g_fail_window;
	dev->auto_spare = g_auto_spare;
	dev->sync_min_kbs = g_sync_min_kbs;
	dev->sync_max_kbs = g_sync_max_kbs;
	dev->index = -1;
	dev->sb_page = alloc_page(GFP_KERNEL);
	dev->bbt_page = alloc_page(GFP_KERNEL);
	dev->rm_page = alloc_page(GFP_KERNEL);
	dev->wt_epoch_cnt = kvcalloc(2, sizeof(*dev->wt_epoch_cnt), GFP_KERNEL);
	if (!dev->sb_page || !dev->bbt_page || !dev->rm_page || !dev->wt_epoch_cnt) {
		kobject_put(&dev->kobj);
		return ERR_PTR(-ENOMEM);
	}
	dev->index = ida_alloc_max(&hb_ida, HB_MAX_DEVICES - 1, GFP_KERNEL);
	if (dev->index < 0) {
		NL_SET_ERR_MSG(extack, "no free healblk device number");
		hb_dev_discard(dev);
		return ERR_PTR(-ENOSPC);
	}
	return dev;
}

/* Undo hb_dev_alloc() and hb_dev_open_legs() of a device never started. */
void hb_dev_discard(struct hb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		if (dev->legs[i])
			hb_leg_close(dev, i);
	for (i = 0; i < dev->nr_spares; i++)
		hb_leg_put(dev, dev->spares[i]);
	hb_bm_exit(dev);
	xa_destroy(&dev->remap);
	if (dev->index >= 0)
		ida_free(&hb_ida, dev->index);
	kobject_put(&dev->kobj);
}

/* Open @legs as slots 0..@nr_legs-1; *@bad is the one that failed. */
int hb_dev_open_legs(struct hb_dev *dev, const dev_t *legs, unsigned int nr_legs,
		     unsigned int *bad, struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret;

	ret = hb_dev_check_legs(legs, nr_legs, HEALBLK_MAX_LEGS, extack);
	if (ret)
		return ret;
	for (i = 0; i < nr_legs; i++) {
		ret = hb_leg_open(dev, i, legs[i], extack);
		if (ret) {
			*bad = i;
			return ret;
		}
		dev->nr_legs = i + 1;
	}
	return 0;
}

/* Slots whose disk was not given to assemble hold a leg with no bdev. */
struct hb_leg *hb_leg_missing(struct hb_dev *dev, unsigned int index)
{
	struct hb_leg *leg = hb_leg_alloc(dev, index, HEALBLK_LEG_MISSING);

	if (leg)
		leg->reason = "its disk was not found at assembly";
	return leg;
}

static void hb_dev_limits(struct hb_dev *dev, struct queue_limits *lim)
{
	bool no_discard = false, no_secure_erase = false;
	unsigned int i;

	hb_limits_init(lim);
	for (i = 0; i < dev->nr_legs; i++) {
		struct block_device *bdev = dev->legs[i]->bdev;

		if (!bdev)
			continue;
		hb_limits_stack(lim, bdev, dev->data_offset);
		/*
		 * Discard and secure erase only where every leg has them:
		 * stacking keeps the smallest non-zero limit, so a leg
		 * without them would not clear them.
		 */
		if (!bdev_max_discard_sectors(bdev))
			no_discard = true;
		if (!bdev_max_secure_erase_sectors(bdev))
			no_secure_erase = true;
	}
	if (no_discard) {
		lim->max_discard_sectors = 0;
		lim->max_hw_discard_sectors = 0;
		lim->discard_granularity = 0;
	}
	if (no_secure_erase)
		lim->max_secure_erase_sectors = 0;
}

/*
 * Bring up the gendisk of a device whose legs are open and whose size
 * (dev->sectors, data area) is set: write the superblocks, add the disk.
 * On failure the caller discards the device.
 */
int hb_dev_start(struct hb_dev *dev, struct netlink_ext_ack *extack)
{
	struct queue_limits lim;
	struct gendisk *disk;
	unsigned int i, j = 0, lbs;
	int ret;

	lockdep_assert_held(&healblk_mutex);
	hb_dev_limits(dev, &lim);
	/*
	 * The data area ends on a logical block of every leg, and on a 4 KiB
	 * block: rebuild, resync and scrub copy whole 4 KiB blocks, and would
	 * leave a shorter tail uncopied (or read past the end).
	 */
	lbs = max_t(unsigned int, lim.logical_block_size >> SECTOR_SHIFT, 8);
	dev->sectors = round_down(dev->sectors, lbs);
	if (!dev->sectors) {
		NL_SET_ERR_MSG(extack, "a leg is too small to hold the metadata area and data");
		return -EINVAL;
	}

	ret = hb_io_init(dev);
	if (ret)
		return ret;
	disk = hb_alloc_disk(&lim);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_io;
	}
	dev->disk = disk;
	disk->major = hb_major;
	disk->first_minor = dev->index << HB_PART_SHIFT;
	disk->minors = 1 << HB_PART_SHIFT;
	disk->fops = &hb_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, "healblk%d", dev->index);
	set_capacity(disk, dev->sectors);

	ret = hb_bm_init(dev);
	if (ret)
		goto err_disk;
	if (dev->assembled) {
		unsigned long dirty, in_sync;

		/* -ENOSPC: a leg's ranges did not fit, and that leg was failed. */
		ret = hb_bbt_load(dev, hb_legs_writable(dev));
		if (ret && ret != -ENOSPC)
			goto err_disk;
		ret = hb_remap_load(dev);
		if (ret)
			goto err_disk;
		ret = hb_bm_load(dev, hb_legs_writable(dev), &dirty);
		if (ret) {
			NL_SET_ERR_MSG(extack, "no memory to track the regions to resync");
			goto err_disk;
		}
		if (dev->rm_used)
			WRITE_ONCE(dev->rm_active, true);
		in_sync = hb_legs_in_sync(dev);
		if (dirty && in_sync) {
			/*
			 * Until resynced, a dirty region is read from one leg
			 * only, from the first bio on: two reads must never
			 * see two versions of a block.
			 */
			dev->resync_src = __ffs(in_sync);
			dev->resync_active = true;
			pr_info("healblk%d: %lu of %lu regions dirty in the bitmap: resyncing them from leg %u\n",
				dev->index, dirty, dev->bm_nbits, dev->resync_src);
		}
	} else {
		ret = hb_remap_init(dev);
		if (ret) {
			NL_SET_ERR_MSG(extack, "cannot write the remap table to the leg");
			goto err_disk;
		}
		if (dev->initial_sync) {
			/* Every region dirty, on disk too: a crash meanwhile resyncs them all. */
			ret = hb_bm_dirty_all(dev);
			if (ret)
				goto err_disk;
			dev->resync_src = 0;
			dev->resync_active = true;
			pr_info("healblk%d: new: leg 0 is copied to the others in the background\n",
				dev->index);
		}
	}
	/* Every leg gets the same bitmap and bad-block table. */
	hb_bm_write_all(dev);
	hb_bbt_save(dev);

	if (hb_meta_write(dev)) {
		NL_SET_ERR_MSG(extack, "cannot write the superblock to a leg");
		ret = -EIO;
		goto err_disk;
	}
	ret = add_disk(disk);
	if (ret)
		goto err_disk;

	for (i = 0; i < dev->nr_legs; i++) {
		if (!dev->legs[i]->bdev)
			continue;
		ret = bd_link_disk_holder(dev->legs[i]->bdev, disk);
		if (ret)
			goto err_holders;
	}
	for (j = 0; j < dev->nr_spares; j++) {
		ret = bd_link_disk_holder(dev->spares[j]->bdev, disk);
		if (ret)
			goto err_spares;
	}
	ret = hb_sysfs_add(dev);
	if (ret)
		goto err_spares;

	list_add_tail(&dev->node, &healblk_devices);
	WRITE_ONCE(dev->started, true);
	hb_bm_start(dev);
	/* A resync or a rebuild to resume, or a failed leg a spare can replace. */
	hb_sync_kick(dev);
	pr_info("%s: %u legs (%lu in sync), %llu sectors, event %llu\n",
		disk->disk_name, dev->nr_legs, hweight_long(hb_legs_in_sync(dev)),
		(unsigned long long)dev->sectors, (unsigned long long)dev->events);
	return 0;

err_spares:
	while (j--)
		bd_unlink_disk_holder(dev->spares[j]->bdev, disk);
err_holders:
	while (i--)
		if (dev->legs[i]->bdev)
			bd_unlink_disk_holder(dev->legs[i]->bdev, disk);
	del_gendisk(disk);
err_disk:
	put_disk(disk);
	dev->disk = NULL;
err_io:
	hb_io_exit(dev);
	return ret;
}

int hb_dev_create(const dev_t *legs, unsigned int nr_legs, u32 flags, struct hb_dev **out,
		  unsigned int *bad, struct netlink_ext_ack *extack)
{
	struct hb_dev *dev;
	unsigned int i;
	sector_t sectors = 0;
	int ret;

	lockdep_assert_held(&healblk_mutex);
	dev = hb_dev_alloc(extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = hb_dev_open_legs(dev, legs, nr_legs, bad, extack);
	if (ret)
		goto err;
	for (i = 0; i < nr_legs; i++)
		if (!sectors || dev->legs[i]->sectors < sectors)
			sectors = dev->legs[i]->sectors;
	dev->sectors = sectors - dev->data_offset;
	/* One leg: no other copy, so a spare area for failed blocks at its end. */
	if (nr_legs == 1) {
		dev->rm_blocks = HEALBLK_RM_MAX;
		if (dev->sectors <= (sector_t)dev->rm_blocks * 8 + HB_MIN_DATA_SECTORS) {
			NL_SET_ERR_MSG(extack,
				       "a single leg must hold the metadata, a 2 MiB spare area and data");
			ret = -EINVAL;
			goto err;
		}
		dev->sectors -= (sector_t)dev->rm_blocks * 8;
	}
	/*
	 * The legs hold whatever they held: different data where nothing
	 * was written yet, which reads would return by turns and a scrub
	 * would "repair" everywhere.  As mdadm does, they are made
	 * identical in the background unless the caller knows they are.
	 */
	dev->initial_sync = nr_legs > 1 && !(flags & HEALBLK_CREATE_ASSUME_CLEAN);
	hb_meta_new(dev);
	ret = hb_dev_start(dev, extack);
	if (ret)
		goto err;
	*out = dev;
	return 0;
err:
	hb_dev_discard(dev);
	return ret;
}

static void hb_dev_free(struct hb_dev *dev)
{
	unsigned int i;

	/* A rebuild or scrub checkpoints and stops: no I/O of ours after this. */
	hb_sync_stop(dev);
	hb_bm_stop(dev);
	list_del(&dev->node);
	hb_sysfs_del(dev);
	for (i = 0; i < dev->nr_legs; i++)
		if (dev->legs[i]->bdev)
			bd_unlink_disk_holder(dev->legs[i]->bdev, dev->disk);
	for (i = 0; i < dev->nr_spares; i++)
		bd_unlink_disk_holder(dev->spares[i]->bdev, dev->disk);
	/* Waits for no one: nobody has it open, so no upper-layer bio is in flight. */
	del_gendisk(dev->disk);
	put_disk(dev->disk);
	dev->disk = NULL;
	hb_io_exit(dev);
	pr_info("healblk%d: destroyed\n", dev->index);
	hb_dev_discard(dev);
}

int hb_dev_destroy(struct hb_dev *dev, struct netlink_ext_ack *extack)
{
	struct gendisk *disk = dev->disk;

	lockdep_assert_held(&healblk_mutex);
	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk)) {
		mutex_unlock(&disk->open_mutex);
		NL_SET_ERR_MSG(extack, "the device is open (mounted or in use); close it first");
		return -EBUSY;
	}
	WRITE_ONCE(dev->dying, true);
	mutex_unlock(&disk->open_mutex);

	hb_dev_free(dev);
	return 0;
}

/* Set at module exit: no device is made after the last one is destroyed. */
static bool hb_closing;

bool hb_dev_closing(struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&healblk_mutex);
	if (hb_closing)
		NL_SET_ERR_MSG(extack, "healblk is being unloaded");
	return hb_closing;
}

void hb_dev_destroy_all(void)
{
	struct hb_dev *dev, *tmp;

	/* Module exit: an open device holds a module reference, so none is open. */
	mutex_lock(&healblk_mutex);
	hb_closing = true;
	list_for_each_entry_safe(dev, tmp, &healblk_devices, node)
		WARN_ON(hb_dev_destroy(dev, NULL));
	mutex_unlock(&healblk_mutex);
}

int hb_dev_init(void)
{
	hb_major = register_blkdev(0, "healblk");
	if (hb_major < 0)
		return hb_major;
	return 0;
}

void hb_dev_exit(void)
{
	unregister_blkdev(hb_major, "healblk");
	ida_destroy(&hb_ida);
}
