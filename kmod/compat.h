/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels healblk supports (Debian 12's 6.1 LTS
 * and 6.12) lives here, each shim naming the version that changed the API.
 */
#ifndef HEALBLK_COMPAT_H
#define HEALBLK_COMPAT_H

#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>

/*
 * Opening a leg exclusively.  6.5 replaced fmode_t with blk_mode_t and
 * blkdev_put()'s mode with the holder; 6.7 returned a bdev_handle; 6.9
 * returned a struct file (bdev_file_open_by_dev); 6.10 added bdev_fput(),
 * which gives the exclusive claim back at once rather than at the
 * deferred fput, so that a leg can be reused as soon as destroy returns.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
struct hb_bdev_handle {
	struct file *file;
};

static inline struct block_device *
hb_bdev_open(dev_t devt, void *holder, struct hb_bdev_handle *h)
{
	struct file *file = bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE,
						  holder, NULL);

	if (IS_ERR(file))
		return ERR_CAST(file);
	h->file = file;
	return file_bdev(file);
}

static inline void hb_bdev_close(struct hb_bdev_handle *h, void *holder)
{
	bdev_fput(h->file);
}
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
struct hb_bdev_handle {
	struct block_device *bdev;
};

#define HB_LEG_FMODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static inline struct block_device *
hb_bdev_open(dev_t devt, void *holder, struct hb_bdev_handle *h)
{
	struct block_device *bdev = blkdev_get_by_dev(devt, HB_LEG_FMODE, holder);

	if (!IS_ERR(bdev))
		h->bdev = bdev;
	return bdev;
}

static inline void hb_bdev_close(struct hb_bdev_handle *h, void *holder)
{
	blkdev_put(h->bdev, HB_LEG_FMODE);
}
#else
#error "healblk supports 6.1.y and 6.10 or newer (Debian 12's 6.1 and 6.12)"
#endif

/*
 * block_device_operations.open: 6.5 passes the gendisk and a blk_mode_t
 * instead of the block_device and an fmode_t.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define HB_FOPS_OPEN_ARGS	struct gendisk *disk, blk_mode_t mode
#define HB_FOPS_OPEN_DISK	disk
#else
#define HB_FOPS_OPEN_ARGS	struct block_device *bdev, fmode_t mode
#define HB_FOPS_OPEN_DISK	(bdev->bd_disk)
#endif

/*
 * Queue limits and features.  6.9 made blk_alloc_disk() take the limits
 * (and return an ERR_PTR); 6.11 moved the write cache, FUA and I/O
 * accounting flags into queue_limits.features; 6.9 added
 * queue_limits_stack_bdev().  Before, a stacking driver (dm in 6.1)
 * assigned the stacked limits to q->limits and set queue flags.
 */
static inline void hb_limits_init(struct queue_limits *lim)
{
	blk_set_stacking_limits(lim);
}

static inline void hb_limits_stack(struct queue_limits *lim,
				   struct block_device *bdev, sector_t offset)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	queue_limits_stack_bdev(lim, bdev, offset, "healblk");
#else
	blk_stack_limits(lim, &bdev_get_queue(bdev)->limits, offset);
#endif
}

static inline struct gendisk *hb_alloc_disk(struct queue_limits *lim)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	/* Flush and FUA reach every leg; nowait and polling are not supported. */
	lim->features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA | BLK_FEAT_IO_STAT;
	lim->features &= ~(BLK_FEAT_NOWAIT | BLK_FEAT_POLL);
	return blk_alloc_disk(lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);

	if (!disk)
		return ERR_PTR(-ENOMEM);
	disk->queue->limits = *lim;
	blk_queue_write_cache(disk->queue, true, true);
	blk_queue_flag_set(QUEUE_FLAG_IO_STAT, disk->queue);
	return disk;
#endif
}

/*
 * Multicast groups restricted to CAP_NET_ADMIN (genl_multicast_group's
 * flags, GENL_MCAST_CAP_*): 6.7, backported to 6.1 stable; both Debian
 * kernels have it, and without it there is nothing to restrict with.
 */
#include <net/genetlink.h>
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "this kernel cannot restrict healblk's events to CAP_NET_ADMIN (6.1.y stable or 6.7+ can)"
#endif

#endif /* HEALBLK_COMPAT_H */
