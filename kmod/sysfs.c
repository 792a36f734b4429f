// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs: /sys/block/healblkN/healblk/{state,nr_legs,...} and
 * /sys/block/healblkN/healblk/legK/{dev,name,state,counters}, one value
 * per file, in the manner of md's /sys/block/mdN/md/dev-X/.  Read-only
 * but for sync_action, md's control of the same name.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "healblk.h"

struct hb_attr {
	struct attribute attr;
	ssize_t (*show)(struct kobject *kobj, char *buf);
	ssize_t (*store)(struct kobject *kobj, const char *buf, size_t len);
};

static ssize_t hb_attr_show(struct kobject *kobj, struct attribute *attr,
			    char *buf)
{
	return container_of(attr, struct hb_attr, attr)->show(kobj, buf);
}

static ssize_t hb_attr_store(struct kobject *kobj, struct attribute *attr,
			     const char *buf, size_t len)
{
	struct hb_attr *a = container_of(attr, struct hb_attr, attr);

	return a->store ? a->store(kobj, buf, len) : -EIO;
}

static const struct sysfs_ops hb_sysfs_ops = {
	.show = hb_attr_show,
	.store = hb_attr_store,
};

#define HB_ATTR(prefix, _name)						\
	static struct hb_attr prefix##_attr_##_name = {			\
		.attr = { .name = __stringify(_name), .mode = 0444 },	\
		.show = prefix##_##_name##_show,			\
	}

/* Device */

static struct hb_dev *kobj_to_hbdev(struct kobject *kobj)
{
	return container_of(kobj, struct hb_dev, kobj);
}

static ssize_t dev_state_show(struct kobject *kobj, char *buf)
{
	static const char * const names[] = {
		[HEALBLK_DEV_OPTIMAL] = "optimal",
		[HEALBLK_DEV_DEGRADED] = "degraded",
		[HEALBLK_DEV_FAILING] = "failing",
	};

	struct hb_dev *dev = kobj_to_hbdev(kobj);
	enum healblk_dev_state state;

	spin_lock_irq(&dev->lock);	/* the slots hold still (sync.c) */
	state = hb_dev_state(dev);
	spin_unlock_irq(&dev->lock);
	return sysfs_emit(buf, "%s\n", names[state]);
}

static ssize_t dev_nr_legs_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", kobj_to_hbdev(kobj)->nr_legs);
}

static ssize_t dev_data_offset_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)kobj_to_hbdev(kobj)->data_offset);
}

static ssize_t dev_fail_errors_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->fail_errors));
}

static ssize_t dev_fail_window_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->fail_window));
}

static ssize_t dev_auto_spare_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kobj_to_hbdev(kobj)->auto_spare));
}

static ssize_t dev_sync_min_kbs_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->sync_min_kbs));
}

static ssize_t dev_sync_max_kbs_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->sync_max_kbs));
}

static ssize_t dev_nr_spares_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->nr_spares));
}

static ssize_t dev_bitmap_sectors_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", 1U << kobj_to_hbdev(kobj)->bm_shift);
}

static ssize_t dev_bitmap_dirty_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%lu\n", hb_bm_dirty_regions(kobj_to_hbdev(kobj)));
}

static ssize_t dev_remap_blocks_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", kobj_to_hbdev(kobj)->rm_blocks);
}

static ssize_t dev_remap_used_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(kobj_to_hbdev(kobj)->rm_used));
}

static ssize_t dev_mismatch_cnt_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(kobj_to_hbdev(kobj)->mismatch_cnt));
}

/* The background copy that runs now: its kind, or NONE. */
static enum healblk_sync_kind hb_sync_running(struct hb_dev *dev)
{
	enum healblk_sync_kind kind;

	spin_lock_irq(&dev->lock);
	kind = dev->sync.status == HEALBLK_SYNC_RUNNING ? dev->sync.kind : HEALBLK_SYNC_NONE;
	spin_unlock_irq(&dev->lock);
	return kind;
}

/* md's words: what runs now, or "idle". */
static ssize_t dev_sync_action_show(struct kobject *kobj, char *buf)
{
	static const char * const names[] = {
		[HEALBLK_SYNC_NONE] = "idle",
		[HEALBLK_SYNC_REBUILD] = "recover",
		[HEALBLK_SYNC_SCRUB] = "repair",
		[HEALBLK_SYNC_RESYNC] = "resync",
		[HEALBLK_SYNC_CHECK] = "check",
	};
	enum healblk_sync_kind kind = hb_sync_running(kobj_to_hbdev(kobj));

	return sysfs_emit(buf, "%s\n", kind < ARRAY_SIZE(names) ? names[kind] : "idle");
}

/*
 * md's sync_action: "check" counts mismatches (mismatch_cnt), "repair"
 * scrubs, "idle" stops a check or scrub that runs (a rebuild or a resync
 * is not stopped by it: -EBUSY; healctl abort stops a rebuild).
 * healblk_mutex is only tried: a destroy holds it while it removes this
 * file, and waits for us.
 */
static ssize_t dev_sync_action_store(struct kobject *kobj, const char *buf, size_t len)
{
	struct hb_dev *dev = kobj_to_hbdev(kobj);
	enum healblk_sync_kind kind;
	int ret;

	if (!mutex_trylock(&healblk_mutex))
		return restart_syscall();
	if (sysfs_streq(buf, "check")) {
		ret = hb_scrub_start(dev, HEALBLK_SCRUB_CHECK, NULL);
	} else if (sysfs_streq(buf, "repair")) {
		ret = hb_scrub_start(dev, 0, NULL);
	} else if (sysfs_streq(buf, "idle")) {
		kind = hb_sync_running(dev);
		/* With nothing running it is idle already. */
		ret = 0;
		if (kind == HEALBLK_SYNC_SCRUB || kind == HEALBLK_SYNC_CHECK)
			hb_sync_abort(dev, NULL);
		else if (kind != HEALBLK_SYNC_NONE)
			ret = -EBUSY;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&healblk_mutex);
	return ret ? ret : len;
}

HB_ATTR(dev, remap_blocks);
HB_ATTR(dev, remap_used);
HB_ATTR(dev, mismatch_cnt);

static struct hb_attr dev_attr_sync_action = {
	.attr = { .name = "sync_action", .mode = 0644 },
	.show = dev_sync_action_show,
	.store = dev_sync_action_store,
};
HB_ATTR(dev, bitmap_sectors);
HB_ATTR(dev, bitmap_dirty);
HB_ATTR(dev, state);
HB_ATTR(dev, auto_spare);
HB_ATTR(dev, sync_min_kbs);
HB_ATTR(dev, sync_max_kbs);
HB_ATTR(dev, nr_spares);
HB_ATTR(dev, nr_legs);
HB_ATTR(dev, data_offset);
HB_ATTR(dev, fail_errors);
HB_ATTR(dev, fail_window);

static struct attribute *hb_dev_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_nr_legs.attr,
	&dev_attr_data_offset.attr,
	&dev_attr_fail_errors.attr,
	&dev_attr_fail_window.attr,
	&dev_attr_auto_spare.attr,
	&dev_attr_sync_min_kbs.attr,
	&dev_attr_sync_max_kbs.attr,
	&dev_attr_nr_spares.attr,
	&dev_attr_bitmap_sectors.attr,
	&dev_attr_bitmap_dirty.attr,
	&dev_attr_remap_blocks.attr,
	&dev_attr_remap_used.attr,
	&dev_attr_mismatch_cnt.attr,
	&dev_attr_sync_action.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hb_dev);

static void hb_dev_release(struct kobject *kobj)
{
	struct hb_dev *dev = kobj_to_hbdev(kobj);

	if (dev->sb_page)
		__free_page(dev->sb_page);
	if (dev->bbt_page)
		__free_page(dev->bbt_page);
	if (dev->rm_page)
		__free_page(dev->rm_page);
	kvfree(dev->wt_epoch_cnt);
	kfree(dev);
}

const struct kobj_type hb_dev_ktype = {
	.release	= hb_dev_release,
	.sysfs_ops	= &hb_sysfs_ops,
	.default_groups	= hb_dev_groups,
};

/* Leg */

static struct hb_leg *kobj_to_leg(struct kobject *kobj)
{
	return container_of(kobj, struct hb_leg, kobj);
}

static ssize_t leg_dev_show(struct kobject *kobj, char *buf)
{
	struct block_device *bdev = kobj_to_leg(kobj)->bdev;

	if (!bdev)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u:%u\n", MAJOR(bdev->bd_dev), MINOR(bdev->bd_dev));
}

static ssize_t leg_name_show(struct kobject *kobj, char *buf)
{
	struct block_device *bdev = kobj_to_leg(kobj)->bdev;

	if (!bdev)
		return sysfs_emit(buf, "missing\n");
	return sysfs_emit(buf, "%pg\n", bdev);
}

static ssize_t leg_state_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  hb_leg_state_name(READ_ONCE(kobj_to_leg(kobj)->state)));
}

static ssize_t leg_bad_ranges_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kobj_to_leg(kobj)->bb.count));
}

#define HB_LEG_COUNTER(_name)						\
	static ssize_t leg_##_name##_show(struct kobject *kobj, char *buf) \
	{								\
		return sysfs_emit(buf, "%lld\n",			\
				  atomic64_read(&kobj_to_leg(kobj)->_name)); \
	}								\
	HB_ATTR(leg, _name)

#define HB_LEG_IO_STAT(_name)						\
	static ssize_t leg_##_name##_show(struct kobject *kobj, char *buf) \
	{								\
		return sysfs_emit(buf, "%llu\n", hb_leg_io_stat(kobj_to_leg(kobj), \
			offsetof(struct hb_leg_io_stats, _name)));	\
	}								\
	HB_ATTR(leg, _name)

static ssize_t leg_sync_pos_show(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)READ_ONCE(kobj_to_leg(kobj)->sync_pos));
}

HB_ATTR(leg, dev);
HB_ATTR(leg, sync_pos);
HB_ATTR(leg, name);
HB_ATTR(leg, state);
HB_ATTR(leg, bad_ranges);
HB_LEG_IO_STAT(reads);
HB_LEG_IO_STAT(writes);
HB_LEG_IO_STAT(read_bytes);
HB_LEG_IO_STAT(write_bytes);
HB_LEG_COUNTER(read_errors);
HB_LEG_COUNTER(write_errors);
HB_LEG_COUNTER(retried_reads);
HB_LEG_COUNTER(repairs);

static struct attribute *hb_leg_attrs[] = {
	&leg_attr_dev.attr,
	&leg_attr_name.attr,
	&leg_attr_state.attr,
	&leg_attr_bad_ranges.attr,
	&leg_attr_sync_pos.attr,
	&leg_attr_reads.attr,
	&leg_attr_writes.attr,
	&leg_attr_read_bytes.attr,
	&leg_attr_write_bytes.attr,
	&leg_attr_read_errors.attr,
	&leg_attr_write_errors.attr,
	&leg_attr_retried_reads.attr,
	&leg_attr_repairs.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hb_leg);

static void hb_leg_release(struct kobject *kobj)
{
	struct hb_leg *leg = kobj_to_leg(kobj);

	free_percpu(leg->io_stats);
	kvfree(leg->catchup_bits);
	kfree(leg);
}

const struct kobj_type hb_leg_ktype = {
	.release	= hb_leg_release,
	.sysfs_ops	= &hb_sysfs_ops,
	.default_groups	= hb_leg_groups,
};

int hb_sysfs_add(struct hb_dev *dev)
{
	unsigned int i;
	int ret;

	ret = kobject_add(&dev->kobj, &disk_to_dev(dev->disk)->kobj, "healblk");
	if (ret)
		return ret;
	for (i = 0; i < dev->nr_legs; i++) {
		ret = kobject_add(&dev->legs[i]->kobj, &dev->kobj, "leg%u", i);
		if (ret)
			goto err;
	}
	return 0;
err:
	while (i--)
		kobject_del(&dev->legs[i]->kobj);
	kobject_del(&dev->kobj);
	return ret;
}

void hb_sysfs_del(struct hb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_legs; i++)
		kobject_del(&dev->legs[i]->kobj);
	kobject_del(&dev->kobj);
}
