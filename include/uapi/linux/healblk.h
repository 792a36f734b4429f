/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * healblk: a self-healing mirrored block device.
 *
 * Generic netlink family "healblk", shared by the kernel module (kmod/),
 * heald, healctl and healtop.  Documentation/netlink/healblk.yaml is the
 * documented contract; keep the two in step.
 *
 * Numbers here are ABI: add new values at the end of an enum, never reuse.
 */
#ifndef _UAPI_LINUX_HEALBLK_H
#define _UAPI_LINUX_HEALBLK_H

#include <linux/types.h>

#define HEALBLK_GENL_NAME		"healblk"
#define HEALBLK_GENL_VERSION		1
#define HEALBLK_MCGRP_EVENTS		"events"

#define HEALBLK_MAX_LEGS		4
#define HEALBLK_MAX_SPARES		4

/*
 * Every leg starts with a reserved metadata area of this many 512-byte
 * sectors (1 MiB); the data area follows it.  The device's size is the
 * smallest leg's size minus this area.
 */
#define HEALBLK_META_SECTORS		2048

/*
 * A leg with HEALBLK_A_DEV_FAIL_ERRORS I/O errors within
 * HEALBLK_A_DEV_FAIL_WINDOW seconds is failed (while another leg is in
 * sync), as ZFS's ZED diagnoses a disk: by default 10 errors in 10 minutes.
 */
#define HEALBLK_FAIL_ERRORS_MAX		64
#define HEALBLK_FAIL_WINDOW_MAX		86400

enum healblk_cmd {
	HEALBLK_CMD_UNSPEC,

	/* requests */
	HEALBLK_CMD_CREATE,		/* LEGS -> reply: the new device (as GET) */
	HEALBLK_CMD_DESTROY,		/* DEV_INDEX */
	HEALBLK_CMD_GET,		/* DEV_INDEX; dump: every device */
	HEALBLK_CMD_FAIL_LEG,		/* DEV_INDEX, LEG_INDEX */
	HEALBLK_CMD_FAULT_SET,		/* DEV_INDEX, LEG_INDEX, FAULT_* */
	HEALBLK_CMD_FAULT_CLEAR,	/* DEV_INDEX, LEG_INDEX */

	/* notifications, multicast on the "events" group */
	HEALBLK_CMD_EVENT_IO_ERROR,	/* a leg failed an I/O */
	HEALBLK_CMD_EVENT_RETRY,	/* a failed read re-issued to another leg */
	HEALBLK_CMD_EVENT_REPAIR,	/* good data written back to a leg */
	HEALBLK_CMD_EVENT_LEG_STATE,	/* a leg changed state */

	HEALBLK_CMD_ASSEMBLE,		/* LEGS -> reply: the device (as GET) */
	HEALBLK_CMD_SET,		/* DEV_INDEX, DEV_FAIL_*, DEV_AUTO_SPARE, DEV_SYNC_*_KBS */

	HEALBLK_CMD_SPARE_ADD,		/* DEV_INDEX, LEG_MAJOR, LEG_MINOR */
	HEALBLK_CMD_SPARE_REMOVE,	/* DEV_INDEX, LEG_INDEX: the spare's index */
	HEALBLK_CMD_REBUILD,		/* DEV_INDEX, LEG_INDEX: onto a spare or in place */
	HEALBLK_CMD_SCRUB,		/* DEV_INDEX */
	HEALBLK_CMD_SYNC_ABORT,		/* DEV_INDEX: stop the rebuild or scrub running */
	HEALBLK_CMD_EVENT_SYNC,		/* notification: rebuild/scrub progress and end */
	HEALBLK_CMD_EVENT_REMAP,	/* notification: blocks remapped to the spare area (or not) */

	__HEALBLK_CMD_MAX,
};

#define HEALBLK_CMD_MAX (__HEALBLK_CMD_MAX - 1)

enum healblk_dev_state {
	HEALBLK_DEV_OPTIMAL = 1,	/* every leg in sync */
	HEALBLK_DEV_DEGRADED,		/* some leg failed, one good copy left at least */
	HEALBLK_DEV_FAILING,		/* one leg and its spare area used up */
};

enum healblk_leg_state {
	HEALBLK_LEG_IN_SYNC = 1,	/* holds current data, serves reads and writes */
	HEALBLK_LEG_FAILED,		/* out of the mirror: no I/O goes to it */
	HEALBLK_LEG_MISSING,		/* assembled without it: its disk is absent */
	HEALBLK_LEG_REBUILDING,		/* takes every write; serves reads below LEG_SYNC_POS */
	HEALBLK_LEG_SPARE,		/* standing by, in DEV_SPARES */
};

/*
 * HEALBLK_A_DEV_FLAGS, as mdadm's --run, --force and --assume-clean.
 * ASSEMBLE: without RUN a device whose superblocks list a leg in sync that
 * is not given is refused (the disk given alone may be the stale one);
 * without FORCE two legs that each recorded the other as out of the mirror
 * (split brain) are refused.  CREATE: without ASSUME_CLEAN the legs are
 * made identical in the background (leg 0 copied to the others, reads
 * served by leg 0 until then); with it they are taken as identical already.
 * REBUILD copies every sector; with CATCHUP, in place, a leg that was in
 * sync when it left is caught up from the write-intent bitmap (only the
 * regions written meanwhile are copied).  SPARE_ADD with SPARE_READD: the
 * disk is one of the device's own legs coming back (a disk late at boot, a
 * USB disk that dropped off): it goes into its slot, failed or missing, and
 * is caught up the same way (mdadm's --re-add); given the disk of a failed
 * leg still attached, that leg is caught up in place.  SCRUB with
 * SCRUB_CHECK reads and compares every leg as a scrub does but writes
 * nothing: mismatches are counted (md's check), not repaired.  REBUILD
 * with REBUILD_REPLACE of a leg in sync (md's want_replacement): a spare
 * joins as one more slot and is rebuilt while that leg keeps serving
 * reads and taking writes; once the copy is in sync the old leg leaves
 * and the copy takes its slot.  The device never has one copy fewer.
 */
enum healblk_dev_flags {
	HEALBLK_ASSEMBLE_RUN		= 1 << 0,	/* start degraded */
	HEALBLK_ASSEMBLE_FORCE		= 1 << 1,	/* conflicting histories: the newest wins */
	HEALBLK_CREATE_ASSUME_CLEAN	= 1 << 2,	/* no initial sync */
	HEALBLK_REBUILD_CATCHUP		= 1 << 3,	/* in place, the bitmap's regions only */
	HEALBLK_SPARE_READD		= 1 << 4,	/* SPARE_ADD: a leg back, into its slot */
	HEALBLK_SCRUB_CHECK		= 1 << 5,	/* SCRUB: count mismatches, write nothing */
	HEALBLK_REBUILD_REPLACE		= 1 << 6,	/* REBUILD of a leg in sync: onto a spare */
};
#define HEALBLK_ASSEMBLE_FLAGS	(HEALBLK_ASSEMBLE_RUN | HEALBLK_ASSEMBLE_FORCE)
#define HEALBLK_CREATE_FLAGS	HEALBLK_CREATE_ASSUME_CLEAN
#define HEALBLK_REBUILD_FLAGS	(HEALBLK_REBUILD_CATCHUP | HEALBLK_REBUILD_REPLACE)
#define HEALBLK_SPARE_FLAGS	HEALBLK_SPARE_READD
#define HEALBLK_SCRUB_FLAGS	HEALBLK_SCRUB_CHECK

/* HEALBLK_A_SYNC_KIND: what the device's background copy is doing. */
enum healblk_sync_kind {
	HEALBLK_SYNC_NONE,
	HEALBLK_SYNC_REBUILD,		/* copying onto a rebuilding leg */
	HEALBLK_SYNC_SCRUB,		/* reading every leg, repairing mismatches */
	HEALBLK_SYNC_RESYNC,		/* after a crash: the bitmap's dirty regions */
	HEALBLK_SYNC_CHECK,		/* reading every leg, counting mismatches only */
};

/* HEALBLK_A_SYNC_STATUS */
enum healblk_sync_status {
	HEALBLK_SYNC_RUNNING = 1,
	HEALBLK_SYNC_DONE,
	HEALBLK_SYNC_ABORTED,		/* by request */
	HEALBLK_SYNC_FAILED,		/* the target leg failed, or no leg could be read */
	HEALBLK_SYNC_STOPPED,		/* device stopped: resumes at assembly */
};

/* HEALBLK_A_EV_OP and HEALBLK_A_FAULT_OPS */
enum healblk_op {
	HEALBLK_OP_READ		= 1 << 0,
	HEALBLK_OP_WRITE	= 1 << 1,	/* writes, write-zeroes, discards */
	HEALBLK_OP_FLUSH	= 1 << 2,	/* empty preflush */
	HEALBLK_OP_META		= 1 << 3,	/* FAULT_OPS: superblock, bitmap, tables (any sector) */
};

enum healblk_attr {
	HEALBLK_A_UNSPEC,
	HEALBLK_A_PAD,

	/* device */
	HEALBLK_A_DEV_INDEX,		/* u32: N of /dev/healblkN */
	HEALBLK_A_DEV_NAME,		/* string: "healblkN" */
	HEALBLK_A_DEV_SECTORS,		/* u64: data size in 512-byte sectors */
	HEALBLK_A_DEV_STATE,		/* u32: enum healblk_dev_state */
	HEALBLK_A_DEV_DATA_OFFSET,	/* u64: sectors reserved at each leg's start */
	HEALBLK_A_DEV_OPENERS,		/* u32: current opens of /dev/healblkN */
	HEALBLK_A_DEV_LEGS,		/* nest of HEALBLK_A_LEG */

	HEALBLK_A_LEG,			/* nest: HEALBLK_A_LEG_* */

	/* leg, inside HEALBLK_A_LEG or at the top level of a leg request */
	HEALBLK_A_LEG_INDEX,		/* u32: 0..HEALBLK_MAX_LEGS-1 */
	HEALBLK_A_LEG_MAJOR,		/* u32 */
	HEALBLK_A_LEG_MINOR,		/* u32 */
	HEALBLK_A_LEG_NAME,		/* string: kernel name, e.g. "loop0" */
	HEALBLK_A_LEG_STATE,		/* u32: enum healblk_leg_state */
	HEALBLK_A_LEG_SECTORS,		/* u64: whole leg, metadata included */
	HEALBLK_A_LEG_READS,		/* u64: read bios sent to the leg */
	HEALBLK_A_LEG_WRITES,		/* u64: write bios sent to the leg */
	HEALBLK_A_LEG_READ_BYTES,	/* u64 */
	HEALBLK_A_LEG_WRITE_BYTES,	/* u64 */
	HEALBLK_A_LEG_READ_ERRORS,	/* u64 */
	HEALBLK_A_LEG_WRITE_ERRORS,	/* u64 */
	HEALBLK_A_LEG_RETRIED_READS,	/* u64: reads that failed here and were retried elsewhere */
	HEALBLK_A_LEG_REPAIRS,		/* u64: ranges rewritten here with good data */
	HEALBLK_A_LEG_BAD_RANGES,	/* u32: ranges known bad on this leg */
	HEALBLK_A_LEG_FAULT,		/* nest of HEALBLK_A_FAULT_*: the armed fault, if any */

	/* fault injection (module parameter fault_injection=1) */
	HEALBLK_A_FAULT_OPS,		/* u32: mask of enum healblk_op (READ|WRITE) */
	HEALBLK_A_FAULT_START,		/* u64: first data sector */
	HEALBLK_A_FAULT_SECTORS,	/* u64: length of the range; 0 = to the end */
	HEALBLK_A_FAULT_PERCENT,	/* u32: 0..100, chance that a matching I/O fails */
	HEALBLK_A_FAULT_COUNT,		/* u32: fail at most this many, then stop; 0 = no limit */
	HEALBLK_A_FAULT_DELAY_US,	/* u32: latency added to every matching I/O */
	HEALBLK_A_FAULT_INJECTED,	/* u64: errors injected so far (reply only) */

	/* events */
	HEALBLK_A_EV_OP,		/* u32: enum healblk_op */
	HEALBLK_A_EV_SECTOR,		/* u64: first data sector */
	HEALBLK_A_EV_SECTORS,		/* u32: length in sectors */
	HEALBLK_A_EV_ERRNO,		/* u32: positive errno; 0 = success */
	HEALBLK_A_EV_RECOVERED,		/* u8: 1 when another leg served the I/O */
	HEALBLK_A_EV_TO_LEG,		/* u32: RETRY: the leg now tried */
	HEALBLK_A_EV_OLD_STATE,		/* u32: LEG_STATE: enum healblk_leg_state */
	HEALBLK_A_EV_REASON,		/* string: LEG_STATE: why */

	HEALBLK_A_DEV_UUID,		/* binary, 16 bytes */
	HEALBLK_A_DEV_EVENTS,		/* u64: metadata event counter */
	HEALBLK_A_LEG_UUID,		/* binary, 16 bytes */
	HEALBLK_A_LEG_REASON,		/* string: why the leg is not in sync */
	HEALBLK_A_DEV_FAIL_ERRORS,	/* u32: fail a leg at this many errors ... */
	HEALBLK_A_DEV_FAIL_WINDOW,	/* u32: ... within this many seconds; 0 errors: never */

	HEALBLK_A_DEV_SPARES,		/* nest of HEALBLK_A_LEG: state SPARE, index among spares */
	HEALBLK_A_DEV_AUTO_SPARE,	/* u8: activate a spare when a leg fails */
	HEALBLK_A_DEV_SYNC_MIN_KBS,	/* u32: rebuild/scrub KiB/s while other I/O runs */
	HEALBLK_A_DEV_SYNC_MAX_KBS,	/* u32: rate when idle, KiB/s; 0 = unlimited */
	HEALBLK_A_LEG_SYNC_POS,		/* u64: REBUILDING: data sectors copied so far */

	/* the background copy: in GET (the last or current one) and EVENT_SYNC */
	HEALBLK_A_SYNC_KIND,		/* u32: enum healblk_sync_kind */
	HEALBLK_A_SYNC_STATUS,		/* u32: enum healblk_sync_status */
	HEALBLK_A_SYNC_LEG,		/* u32: REBUILD: the leg being rebuilt */
	HEALBLK_A_SYNC_POS,		/* u64: data sectors done */
	HEALBLK_A_SYNC_SECTORS,		/* u64: data sectors in all */
	HEALBLK_A_SYNC_RATE_KBS,	/* u32: measured rate, KiB/s */
	HEALBLK_A_SYNC_ETA,		/* u32: seconds left at that rate */
	HEALBLK_A_SYNC_MISMATCHES,	/* u64: 4 KiB blocks that differed (or were bad) */
	HEALBLK_A_SYNC_REPAIRED,	/* u64: 4 KiB blocks rewritten from a good copy */
	HEALBLK_A_SYNC_UNREADABLE,	/* u64: 4 KiB blocks no leg could read */
	HEALBLK_A_DEV_BITMAP_SECTORS,	/* u32: sectors a write-intent bitmap bit covers */
	HEALBLK_A_DEV_BITMAP_DIRTY,	/* u32: regions dirty in the bitmap now */
	HEALBLK_A_DEV_REMAP_BLOCKS,	/* u32: 4 KiB blocks in the spare area (one leg only) */
	HEALBLK_A_DEV_REMAP_USED,	/* u32: of them, given to failed blocks */
	HEALBLK_A_DEV_FLAGS,		/* u32: CREATE, ASSEMBLE, REBUILD: enum healblk_dev_flags */
	HEALBLK_A_SYNC_COPIED,		/* u64: data sectors written to legs by this run */
	HEALBLK_A_DEV_MISMATCH_CNT,	/* u64: mismatches the last whole scrub or check found */
	HEALBLK_A_LEG_REPLACES,		/* u32: a replacement: the leg it is copied for */

	__HEALBLK_A_MAX,
};

#define HEALBLK_A_MAX (__HEALBLK_A_MAX - 1)

/*
 * On-disk superblock, format version 1 (Documentation/healblk-format.md):
 * two copies of one 4 KiB block at sectors 0 and 8 of every leg.  All
 * integers little-endian; crc is crc32c (seed ~0, inverted) of the block
 * with crc zero.
 */
#define HEALBLK_SB_MAGIC	"HEALBLK1"
#define HEALBLK_SB_VERSION	1
#define HEALBLK_SB_SIZE		4096
#define HEALBLK_SB_COPY_SECTORS	8	/* copy B starts here */

struct healblk_sb_member {
	__u8	uuid[16];
	__le32	state;		/* enum healblk_leg_state */
	/*
	 * A replacement (HEALBLK_REBUILD_REPLACE): 1 + the slot of the leg it
	 * is copied for; 0 otherwise.  Only the last slot, rebuilding or just
	 * in sync, and never its own.
	 */
	__le32	replaces;
	__le64	sync_pos;	/* REBUILDING: data sectors copied (checkpoint) */
};

#define HEALBLK_SB_ROLE_MEMBER	0	/* a leg: slot is its index */
#define HEALBLK_SB_ROLE_SPARE	1	/* a spare: slot is its index among spares */

struct healblk_sb {
	char	magic[8];
	__le32	version;
	__le32	features;
	__u8	dev_uuid[16];
	__u8	leg_uuid[16];
	__le64	events;
	__le64	ctime;
	__le64	utime;
	__le64	data_offset;
	__le64	data_sectors;
	__le32	slot;
	__le32	nr_slots;
	struct healblk_sb_member members[HEALBLK_MAX_LEGS];
	__le32	fail_errors;	/* 0: legs are never failed automatically */
	__le32	fail_window;	/* seconds */
	__le32	role;		/* HEALBLK_SB_ROLE_* */
	__le32	nr_spares;
	struct healblk_sb_member spares[HEALBLK_MAX_SPARES];
	__le32	no_auto_spare;	/* 1: spares wait for a request (default 0: they step in) */
	__le32	sync_min_kbs;	/* 0: the module's default */
	__le32	sync_max_kbs;	/* 0: unlimited */
	__le32	bitmap_shift;	/* a bitmap bit covers 1 << this many sectors; 0: no bitmap */
	__le32	remap_blocks;	/* 4 KiB blocks of spare area after the data (one leg only) */
	__le32	pad;
	/*
	 * The event counter of the last superblock written with every leg in
	 * sync: bits may have gone clean since, so a leg whose own counter is
	 * below it may miss writes the bitmap no longer names (md's
	 * events_cleared).  0: not known.
	 */
	__le64	events_cleared;
	__le64	mismatch_cnt;	/* 4 KiB blocks the last whole scrub or check found differing */
	__u8	reserved[3684];
	__le32	crc;
};

/*
 * Write-intent bitmap: up to HEALBLK_BM_BLOCKS_MAX blocks of 4 KiB from
 * sector HEALBLK_BM_SECTOR of every leg, each checksummed on its own.  Bit
 * i of the device (bit i % HEALBLK_BM_BITS of block i / HEALBLK_BM_BITS,
 * little-endian bit order) set: region i, sectors [i << bitmap_shift, +1 <<
 * bitmap_shift) of the data, may differ between legs.
 */
#define HEALBLK_BM_MAGIC	"HBBM"
#define HEALBLK_BM_SECTOR	64
#define HEALBLK_BM_BLOCKS_MAX	64
#define HEALBLK_BM_BYTES	4064
#define HEALBLK_BM_BITS		(HEALBLK_BM_BYTES * 8)

struct healblk_bm_block {
	char	magic[4];
	__le32	index;		/* of this block */
	__u8	dev_uuid[16];
	__u8	bits[HEALBLK_BM_BYTES];
	__le32	reserved;
	__le32	crc;		/* crc32c as the superblock's */
};

/*
 * Bad-block table: the ranges of data whose copy on a leg must not be
 * read, for every leg, kept on every leg in sync or rebuilding, in two
 * copies (sectors 16 and 24) like the superblock.  The valid copy with the
 * highest seq wins.
 */
#define HEALBLK_BB_MAGIC	"HBBB"
#define HEALBLK_BB_SECTOR	16	/* copy A; copy B follows at 24 */
#define HEALBLK_BB_MAX		252

struct healblk_bb_entry {
	__le64	sector;		/* data sector */
	__le32	sectors;
	__u8	slot;		/* the leg */
	__u8	reserved[3];
};

struct healblk_bb_table {
	char	magic[4];
	__le32	version;	/* 1 */
	__u8	dev_uuid[16];
	__le64	seq;		/* bumped by every write */
	__le32	count;
	__u8	reserved[12];
	struct healblk_bb_entry entries[HEALBLK_BB_MAX];
	__u8	reserved2[12];
	__le32	crc;		/* crc32c as the superblock's */
};

/*
 * Remap table of a device of one leg: data blocks (4 KiB) given blocks of
 * the spare area that follows the data (data_offset + data_sectors on).
 * Two copies, sectors 32 and 40, as the bad-block table.
 */
#define HEALBLK_RM_MAGIC	"HBRM"
#define HEALBLK_RM_SECTOR	32
#define HEALBLK_RM_MAX		505	/* also the spare area's size in blocks */

struct healblk_rm_entry {
	__le32	from;		/* data block */
	__le32	to;		/* spare-area block */
};

struct healblk_rm_table {
	char	magic[4];
	__le32	version;	/* 1 */
	__u8	dev_uuid[16];
	__le64	seq;
	__le32	count;
	__u8	reserved[12];
	struct healblk_rm_entry entries[HEALBLK_RM_MAX];
	__u8	reserved2[4];
	__le32	crc;
};

#endif /* _UAPI_LINUX_HEALBLK_H */
