/* SPDX-License-Identifier: GPL-2.0 */
/*
 * healblk: a stacking block device over mirror legs that heals itself.
 *
 * Locking, from outside in:
 *   healblk_mutex (global)     device list, create/destroy, netlink requests
 *   disk->open_mutex           opens against destroy (hb_open, hb_dev_destroy)
 *   dev->meta_mutex, then dev->bm_mutex, then dev->bbt_mutex
 *                              metadata writes; all three to change legs[] or
 *                              spares[] (sync.c hb_members_lock())
 *   dev->lock (spinlock)       leg states, read balancing, fault rules
 * The I/O path takes no mutex and never sleeps in bi_end_io: all error
 * handling (retry, repair, bad-block recording, events) runs from dev->wq,
 * and it takes the metadata mutexes: nothing holds one of them while it
 * waits for upper-layer I/O (hb_dev_suspend()).
 */
#ifndef HEALBLK_H
#define HEALBLK_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/badblocks.h>
#include <linux/kobject.h>
#include <linux/mempool.h>
#include <linux/percpu-refcount.h>
#include <linux/workqueue.h>
#include <linux/healblk.h>

#include "compat.h"

#include <linux/netlink.h>

/*
 * Writes are tracked per 1 MiB region hashed into HB_WTRACK_BUCKETS
 * counters.  A repair may only write good data back while no write to the
 * same region was in flight or started since the data was read; the low 32
 * bits of a bucket count writes in flight, the high 32 bits every write
 * started.  8 KiB per device.
 *
 * The copy's window (sync.c) must wait for the writes in flight when it
 * took it, and only those: waiting for a bucket to go quiet starved it
 * while writes to an aliasing region (1 GiB away) kept coming.  Each write
 * is also counted under the device's write epoch (its low bit), per bucket;
 * the copy flips the epoch and waits for the old one's count to drain,
 * twice (writes of the epoch before the last flip share the new one's
 * count).  8 KiB more, allocated apart (struct hb_dev stays order 2).
 */
#define HB_WTRACK_SHIFT		11	/* sectors: 1 MiB regions */
#define HB_WTRACK_BUCKETS	1024
#define HB_WTRACK_INFLIGHT	0xffffffffULL
#define HB_WTRACK_STARTED	BIT_ULL(32)

struct hb_fault {
	bool armed;
	u32 ops;		/* enum healblk_op mask */
	sector_t start;		/* data sectors */
	sector_t sectors;	/* 0: to the end */
	u32 percent;
	u32 count;		/* 0: no limit */
	u32 delay_us;
	atomic_t left;		/* errors still to inject when count != 0 */
	atomic64_t injected;
};

/*
 * Bumped for every bio, so per CPU: shared atomics here cost 20% of a
 * 4k random read's throughput over brd (measured under TCG).
 */
struct hb_leg_io_stats {
	u64 reads, writes, read_bytes, write_bytes;
};

struct hb_leg {
	struct kobject kobj;	/* /sys/block/healblkN/healblk/legK; frees the leg */
	struct hb_dev *dev;
	unsigned int index;
	struct hb_bdev_handle handle;
	struct block_device *bdev;
	sector_t sectors;	/* whole leg */
	enum healblk_leg_state state;	/* written under dev->lock */

	/*
	 * Ranges (data sectors) whose content on this leg is not to be
	 * trusted: a write failed there, or a repair did not complete.
	 * Reads avoid them.  In memory only for now.
	 */
	struct badblocks bb;
	struct hb_fault fault;	/* under dev->lock */

	/* REBUILDING: data below this is copied and may be read (sync.c) */
	sector_t sync_pos;
	/*
	 * Its data differs from the mirror's only where the bitmap has a bit
	 * set: it was in sync, and since it left the bits were held
	 * (hb_bm_held()).  A rebuild then copies only those regions, the
	 * ones set in catchup_bits (a snapshot taken once it takes writes).
	 */
	bool catchup_ok;
	unsigned long *catchup_bits;
	/* Bumped by each rebuild request (dev->lock): a run that sees it change was overtaken. */
	unsigned int rebuild_gen;
	/* A spare that is this device's leg of slot readd_slot - 1 coming back (0: none). */
	unsigned int readd_slot;
	/*
	 * dev->events_cleared when it was re-added: had its slot come back
	 * meanwhile (bits cleared since), it is rebuilt whole.
	 */
	u64 readd_cleared;
	/*
	 * A replacement (HEALBLK_REBUILD_REPLACE): 1 + the slot of the leg
	 * it is copied for; it sits in the last slot until it takes that
	 * one's (sync.c hb_replace_finish()).  0: none.  Changed under
	 * hb_members_lock().
	 */
	unsigned int replaces;

	atomic_t inflight;	/* reads in flight, for balancing */
	sector_t next_sector;	/* where the last read ended: sequential streams stay */

	struct hb_leg_io_stats __percpu *io_stats;
	atomic64_t read_errors, write_errors, retried_reads, repairs;

	u8 uuid[16];
	const char *reason;	/* why it is not in sync: a string constant */

	/* When the last errors happened (jiffies), a ring: dev->lock */
	unsigned long err_times[HEALBLK_FAIL_ERRORS_MAX];
	unsigned int err_next;
};

struct hb_dev {
	struct kobject kobj;	/* /sys/block/healblkN/healblk; frees the device */
	struct list_head node;	/* healblk_devices */
	int index;
	struct gendisk *disk;
	bool dying;		/* under disk->open_mutex: no new opens */
	bool assembled;		/* brought up from superblocks (not created) */
	bool started;		/* in the device list: background work may run */
	bool initial_sync;	/* created: leg 0 is copied to the others first */

	spinlock_t lock;	/* leg states, fault rules */
	unsigned int nr_legs;
	struct hb_leg *legs[HEALBLK_MAX_LEGS];
	sector_t data_offset;	/* sectors reserved at each leg's start */
	sector_t sectors;	/* data size */

	struct bio_set clone_bs;	/* per-leg clones with struct hb_clone in front */
	struct bio_set split_bs;	/* splits around bad ranges */
	mempool_t io_pool;		/* struct hb_io */
	struct workqueue_struct *wq;	/* error handling, repair, events */

	atomic64_t wtrack[HB_WTRACK_BUCKETS];
	atomic_t (*wt_epoch_cnt)[HB_WTRACK_BUCKETS];	/* [2]: writes in flight per epoch */
	unsigned int wt_epoch;		/* flipped by the copy's window only */
	wait_queue_head_t wtrack_wait;	/* a bucket's count of one epoch dropped to 0 */

	/*
	 * Quiescing for a leg swap: every upper-layer bio holds a reference
	 * from submit to completion; hb_dev_suspend() waits for none.
	 */
	struct percpu_ref active;
	bool suspended;
	wait_queue_head_t suspend_wait;

	/* Spares (sync.c): open, standing by; slot j of the superblock's list */
	unsigned int nr_spares;
	struct hb_leg *spares[HEALBLK_MAX_SPARES];
	bool auto_spare;

	/*
	 * The background copy (sync.c): one at a time, from sync_work on
	 * sync_wq.  While sync_active, writes check the window being copied
	 * [win_lo, win_hi) under dev->lock and wait for it to move on.
	 */
	struct workqueue_struct *sync_wq;
	struct delayed_work sync_work;
	bool sync_active;
	sector_t win_lo, win_hi;
	/* A read's repair (io.c): writes wait for [rwin_lo, rwin_hi) likewise. */
	struct mutex repair_mutex;
	bool repair_active;
	sector_t rwin_lo, rwin_hi;
	wait_queue_head_t win_wait;
	wait_queue_head_t sync_wait;	/* the copy's throttle sleeps here */
	bool sync_stop;		/* device going away: checkpoint and stop */
	bool sync_abort;	/* by request */
	bool scrub_requested;
	bool scrub_check;	/* the scrub requested only counts (HEALBLK_SCRUB_CHECK) */
	unsigned long spare_requested;	/* slots a spare is to replace on request */
	unsigned int replace_requested;	/* 1 + a slot in sync to copy to a spare; 0: none */
	u8 replace_uuid[16];		/* ... whose leg is this one (a spare may take the slot) */
	u32 sync_min_kbs, sync_max_kbs;
	struct hb_sync_status {
		enum healblk_sync_kind kind;
		enum healblk_sync_status status;
		unsigned int leg;
		sector_t pos, sectors;
		u32 rate_kbs, eta;
		u64 mismatches, repaired, unreadable;
		u64 copied;	/* sectors written to legs */
	} sync;			/* under dev->lock */

	/* Write-intent bitmap (bitmap.c) */
	unsigned int bm_shift;		/* a bit covers 1 << bm_shift sectors */
	unsigned long bm_nbits;
	unsigned int bm_nblocks;
	unsigned long *bm_bits;		/* set: dirty on disk (or being written so) */
	unsigned long *bm_ondisk;	/* of bm_bits, those on every leg's disk already */
	unsigned long bm_dirty;		/* blocks to write */
	unsigned long bm_failed;	/* legs a block write failed on */
	struct mutex bm_mutex;		/* block writes */
	struct page *bm_page;
	u64 *bm_seen;			/* write tracking at the last sweep */
	struct delayed_work bm_sweep;
	/* Regions to resync after a crash; kept (bits cleared) until the device goes */
	unsigned long *resync_bits;
	bool resync_active;		/* reads of resync_bits regions go to resync_src */
	unsigned int resync_src;

	/* Remap into the spare area, one leg only (remap.c) */
	struct xarray remap;		/* data block -> spare block */
	struct mutex remap_mutex;	/* allocation and table writes */
	struct page *rm_page;
	u32 rm_blocks, rm_used;
	u64 rm_seq;
	bool rm_active;			/* some block is remapped: clones are checked */
	bool rm_full;			/* a remap found no room */

	/* Persistent bad-block table (bbt.c) */
	struct mutex bbt_mutex;
	struct page *bbt_page;
	u64 bbt_seq;

	/*
	 * Legs taken out of the write set whose superblocks are not written
	 * yet (under dev->lock): writes wait for 0 (md's
	 * MD_SB_CHANGE_PENDING), so none is acknowledged on fewer legs than
	 * the superblocks say hold the data (leg.c hb_leg_out()).
	 */
	int meta_pending;
	wait_queue_head_t meta_wait;

	/* On-disk metadata (meta.c) */
	struct mutex meta_mutex;	/* superblock writes */
	struct page *sb_page;		/* their buffer: no allocation on the I/O path */
	u8 uuid[16];
	u64 events;
	/* of the last superblock written with every leg in sync (meta.c) */
	u64 events_cleared;
	/* mismatches of the last whole scrub or check, kept in the superblock */
	u64 mismatch_cnt;
	time64_t ctime;
	u32 fail_errors;	/* a leg fails at this many errors ... */
	u32 fail_window;	/* ... within this many seconds */
};

/* One bio of the upper layer. */
struct hb_io {
	struct hb_dev *dev;
	struct bio *bio;
	unsigned long start_time;	/* I/O accounting; 0: off */
	sector_t sector;	/* data sectors, saved at submit */
	unsigned int sectors;
	atomic_t pending;	/* writes: clones in flight, plus one while submitting */
	unsigned long failed;	/* legs that failed this I/O (bitmask) */
	unsigned long done;	/* legs that completed it */
	unsigned long full;	/* writes: legs in sync at submit (the others are rebuilding) */
	unsigned long bad_legs;	/* writes: legs with known-bad ranges under it, to verify */
	u64 wsnap;		/* writes to verify: write tracking at submit */
	u8 wt_epoch;		/* writes: the epoch counted under (0 or 1) */
	unsigned int leg;	/* reads: the leg being tried */
	blk_status_t error;	/* the last error a leg returned */
	u64 wtrack_snap;	/* reads: sum of region counters at submit */
	bool wtrack_quiet;	/* reads: no write in flight over the range at submit */
	struct work_struct work;
};

/*
 * One clone sent to one leg; the bio must stay last (bio_set front_pad).
 * A read's hb_io lives in its first clone, which is kept until the read
 * completes: the common read costs one allocation.
 */
struct hb_clone {
	struct hb_io *io;
	struct hb_leg *leg;
	struct delayed_work delay;	/* fault injection latency */
	struct hb_io rio;		/* reads: the upper layer's bio */
	struct bio bio;
};

extern bool g_fault_injection;
extern unsigned int g_fail_errors, g_fail_window;
extern bool g_auto_spare;
extern unsigned int g_sync_min_kbs, g_sync_max_kbs;
extern struct mutex healblk_mutex;

/* dev.c */
struct hb_leg *hb_leg_open_new(struct hb_dev *dev, unsigned int index, dev_t devt,
			       enum healblk_leg_state state,
			       struct netlink_ext_ack *extack);
void hb_leg_put(struct hb_dev *dev, struct hb_leg *leg);
struct hb_dev *hb_dev_alloc(struct netlink_ext_ack *extack);
void hb_dev_discard(struct hb_dev *dev);
int hb_dev_open_legs(struct hb_dev *dev, const dev_t *legs, unsigned int nr_legs,
		     unsigned int *bad, struct netlink_ext_ack *extack);
struct hb_leg *hb_leg_missing(struct hb_dev *dev, unsigned int index);
int hb_dev_start(struct hb_dev *dev, struct netlink_ext_ack *extack);
struct hb_dev *hb_dev_find(int index);
struct hb_dev *hb_dev_next(int index);
struct hb_dev *hb_dev_find_uuid(const u8 *uuid);
int hb_dev_check_legs(const dev_t *legs, unsigned int nr_legs, unsigned int max,
		      struct netlink_ext_ack *extack);	/* first device with index >= @index */
int hb_dev_create(const dev_t *legs, unsigned int nr_legs, u32 flags, struct hb_dev **out,
		  unsigned int *bad, struct netlink_ext_ack *extack);
int hb_dev_destroy(struct hb_dev *dev, struct netlink_ext_ack *extack);
void hb_dev_destroy_all(void);
bool hb_dev_closing(struct netlink_ext_ack *extack);
enum healblk_dev_state hb_dev_state(struct hb_dev *dev);
unsigned int hb_dev_openers(struct hb_dev *dev);
int hb_dev_init(void);
void hb_dev_exit(void);

/* meta.c */
void hb_meta_new(struct hb_dev *dev);
int hb_meta_rw(struct block_device *bdev, sector_t sector, struct page *page,
	       blk_opf_t opf);
int hb_leg_meta_rw(struct hb_leg *leg, sector_t sector, struct page *page, blk_opf_t opf);
int __hb_meta_write(struct hb_dev *dev, bool may_clear);
static inline int hb_meta_write(struct hb_dev *dev)
{
	return __hb_meta_write(dev, true);
}
unsigned long hb_legs_flush(struct hb_dev *dev);
int hb_meta_read(struct block_device *bdev, struct healblk_sb *out, const char **why);

/* assemble.c */
#define HB_ASSEMBLE_MAX	(HEALBLK_MAX_LEGS + HEALBLK_MAX_SPARES)
int hb_dev_assemble(const dev_t *devs, unsigned int n, u32 flags, struct hb_dev **out,
		    unsigned int *bad, struct netlink_ext_ack *extack);

/* An extack message chosen at run time: it must be a string constant. */
static inline void hb_set_err(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* sysfs.c */
int hb_sysfs_add(struct hb_dev *dev);
void hb_sysfs_del(struct hb_dev *dev);
extern const struct kobj_type hb_dev_ktype;
extern const struct kobj_type hb_leg_ktype;

/* sync.c */
int hb_sync_init(struct hb_dev *dev);
void hb_sync_stop(struct hb_dev *dev);
void hb_sync_kick(struct hb_dev *dev);
void hb_dev_suspend(struct hb_dev *dev);
void hb_dev_resume(struct hb_dev *dev);
int hb_spare_add(struct hb_dev *dev, dev_t devt, u32 flags, struct netlink_ext_ack *extack);
int hb_spare_remove(struct hb_dev *dev, unsigned int index,
		    struct netlink_ext_ack *extack);
int hb_rebuild_start(struct hb_leg *leg, u32 flags, struct netlink_ext_ack *extack);
struct hb_leg *hb_replacement(struct hb_dev *dev);
int hb_scrub_start(struct hb_dev *dev, u32 flags, struct netlink_ext_ack *extack);
int hb_sync_abort(struct hb_dev *dev, struct netlink_ext_ack *extack);
void hb_write_wait_window(struct hb_dev *dev, struct hb_io *io);
bool hb_repair_take(struct hb_dev *dev, sector_t sector, unsigned int sectors);
void hb_repair_release(struct hb_dev *dev);

/* remap.c */
int hb_remap_init(struct hb_dev *dev);
int hb_remap_load(struct hb_dev *dev);
void hb_remap_submit(struct hb_dev *dev, struct bio *bio);
int hb_remap_write(struct hb_io *io);

/* bbt.c */
int hb_bbt_save(struct hb_dev *dev);
int hb_bbt_load(struct hb_dev *dev, unsigned long legs);
bool hb_leg_record_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors);
void hb_leg_forget_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors);
bool hb_leg_verify(struct hb_leg *leg, struct bio *src, sector_t sector,
		   unsigned int sectors);

/* bitmap.c */
unsigned int hb_bm_shift_for(sector_t sectors);
int hb_bm_init(struct hb_dev *dev);
void hb_bm_exit(struct hb_dev *dev);
void hb_bm_start(struct hb_dev *dev);
void hb_bm_stop(struct hb_dev *dev);
int hb_bm_load(struct hb_dev *dev, unsigned long legs, unsigned long *dirty);
int hb_bm_dirty_all(struct hb_dev *dev);
bool hb_bm_covered(struct hb_dev *dev, sector_t sector, unsigned int sectors);
void hb_bm_defer(struct hb_io *io);
void hb_bm_mark(struct hb_dev *dev, sector_t sector, unsigned int sectors);
void hb_bm_flush(struct hb_dev *dev);
void hb_bm_write_all(struct hb_dev *dev);
unsigned long hb_bm_dirty_regions(struct hb_dev *dev);
bool hb_bm_resyncing(struct hb_dev *dev, sector_t sector, unsigned int sectors);
bool hb_bm_held(struct hb_dev *dev);
int hb_bm_catchup_start(struct hb_leg *leg);
bool hb_bm_catchup_skips(struct hb_leg *leg, sector_t sector, unsigned int sectors);
void hb_bm_catchup_end(struct hb_leg *leg);

/* io.c */
void hb_submit_bio(struct bio *bio);
void hb_write_issue(struct hb_io *io);
u64 hb_wtrack_snap(struct hb_dev *dev, sector_t sector, unsigned int sectors,
		   bool *quiet);
void hb_wtrack_start(struct hb_io *io);
void hb_wtrack_end(struct hb_io *io);
bool hb_wtrack_drained(struct hb_dev *dev, unsigned int epoch, sector_t sector,
		       unsigned int sectors);
int hb_io_init(struct hb_dev *dev);
void hb_io_exit(struct hb_dev *dev);

/* leg.c */
int hb_leg_choose_read(struct hb_dev *dev, unsigned long tried, sector_t sector,
		       unsigned int sectors, unsigned int *clean);
int hb_leg_fail(struct hb_leg *leg, const char *reason,
		struct netlink_ext_ack *extack);
void hb_leg_out_locked(struct hb_leg *leg, const char *reason);
void hb_leg_out_done(struct hb_dev *dev);
void hb_leg_error(struct hb_leg *leg);
unsigned long hb_legs_in_sync(struct hb_dev *dev);
unsigned long hb_legs_writable(struct hb_dev *dev);
bool hb_leg_mark_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors);
void hb_leg_clear_bad(struct hb_leg *leg, sector_t sector, sector_t sectors);
bool hb_leg_is_bad(struct hb_leg *leg, sector_t sector, unsigned int sectors);
const char *hb_leg_state_name(enum healblk_leg_state state);
u64 hb_leg_io_stat(struct hb_leg *leg, size_t offset);
#define hb_leg_stat_add(leg, field, n) this_cpu_add((leg)->io_stats->field, n)

/* fault.c */
bool hb_fault_inject(struct hb_clone *clone);
int hb_fault_sync(struct hb_leg *leg, u32 op, sector_t start, unsigned int sectors);
int hb_fault_set(struct hb_leg *leg, const struct hb_fault *rule,
		 struct netlink_ext_ack *extack);
void hb_fault_clear(struct hb_leg *leg);

/* netlink.c */
int hb_nl_init(void);
void hb_nl_exit(void);
void hb_ev_io_error(struct hb_leg *leg, u32 op, sector_t sector,
		    unsigned int sectors, int err, bool recovered);
void hb_ev_retry(struct hb_leg *from, struct hb_leg *to, sector_t sector,
		 unsigned int sectors);
void hb_ev_repair(struct hb_leg *leg, sector_t sector, unsigned int sectors,
		  int err);
void hb_ev_leg_state(struct hb_leg *leg, enum healblk_leg_state old,
		     const char *reason);
void hb_ev_sync(struct hb_dev *dev);
void hb_ev_remap(struct hb_dev *dev, sector_t sector, unsigned int sectors, int err);

#endif /* HEALBLK_H */
