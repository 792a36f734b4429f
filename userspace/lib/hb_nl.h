/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of the healblk generic netlink family (libnl-genl): requests
 * with the kernel's errno and extack message, replies parsed into plain
 * structs, and the "events" multicast group.
 */
#ifndef HB_NL_H
#define HB_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/netlink.h>
#include <linux/healblk.h>

struct hb_fault_info {
	bool armed;
	uint32_t ops, percent, count, delay_us;
	uint64_t start, sectors, injected;
};

struct hb_leg_info {
	uint32_t index, major, minor, state, bad_ranges;
	char name[32];
	char reason[128];	/* why it is not in sync */
	uint8_t uuid[16];
	uint64_t sectors, reads, writes, read_bytes, write_bytes;
	uint64_t read_errors, write_errors, retried_reads, repairs;
	uint64_t sync_pos;	/* rebuilding: data sectors copied */
	int32_t replaces;	/* a replacement: the leg it is copied for; -1: none */
	struct hb_fault_info fault;
};

/* The device's current or last rebuild or scrub (kind NONE: never). */
struct hb_sync_info {
	uint32_t kind, status, leg, rate_kbs, eta;
	uint64_t pos, sectors, mismatches, repaired, unreadable;
	uint64_t copied;	/* sectors written to legs */
};

struct hb_dev_info {
	uint32_t index, state, openers, nr_legs;
	char name[32];
	uint8_t uuid[16];
	uint64_t sectors, data_offset, events;
	uint32_t fail_errors, fail_window;
	bool auto_spare;
	uint32_t sync_min_kbs, sync_max_kbs;
	uint32_t bitmap_sectors, bitmap_dirty;	/* write-intent bitmap: region size, dirty regions */
	uint32_t remap_blocks, remap_used;	/* one leg: spare area, 4 KiB blocks */
	uint64_t mismatch_cnt;	/* what the last whole scrub or check found */
	struct hb_sync_info sync;
	struct hb_leg_info legs[HEALBLK_MAX_LEGS];
	uint32_t nr_spares;
	struct hb_leg_info spares[HEALBLK_MAX_SPARES];
};

struct hb_event {
	uint8_t cmd;		/* HEALBLK_CMD_EVENT_* */
	uint32_t dev, leg, op, sectors, err, to_leg, state, old_state;
	uint64_t sector;
	bool recovered;
	char reason[128];
	struct hb_sync_info sync;	/* HEALBLK_CMD_EVENT_SYNC */
	uint32_t remap_blocks, remap_used;	/* HEALBLK_CMD_EVENT_REMAP */
};

struct hb_nl {
	struct nl_sock *sk;
	int family;
	int events_group;
	char reason[256];	/* the kernel's extack message of the last error */
	int bad_offset;		/* and the offset of the attribute it blames, or -1 */
};

typedef void (*hb_dev_cb)(const struct hb_dev_info *dev, void *arg);

/* 0, -ENOENT when the healblk family is not registered, or -errno. */
int hb_nl_open(struct hb_nl *nl);
void hb_nl_close(struct hb_nl *nl);
struct nl_msg *hb_nl_msg(struct hb_nl *nl, uint8_t cmd, int flags);
/*
 * Send @msg (freed here), hand every device in the reply to @cb (may be
 * NULL) and wait for the acknowledgement.  Returns 0 or -errno, with the
 * kernel's reason in nl->reason.
 */
int hb_nl_call(struct hb_nl *nl, struct nl_msg *msg, hb_dev_cb cb, void *arg);
int hb_nl_subscribe(struct hb_nl *nl);
int hb_parse_dev(struct nlattr **tb, struct hb_dev_info *dev);
int hb_parse_event(struct nl_msg *msg, struct hb_event *ev);
/*
 * An NLMSG_ERROR message (@hdr->nlmsg_len bytes, as received): its errno,
 * and the kernel's extack message and blamed offset if it sent them ("" and
 * -1 if not).  Pure: the fuzzer and the unit tests call it without a socket.
 */
struct nlmsghdr;
/* A device (a reply to DEV_GET) or an event in one message: pure, as below. */
int hb_parse_dev_msg(struct nlmsghdr *hdr, struct hb_dev_info *dev);
int hb_parse_event_msg(struct nlmsghdr *hdr, struct hb_event *ev);
int hb_nl_parse_err(struct nlmsghdr *hdr, char *reason, size_t rlen, int *bad_offset);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @buf (37 bytes). */
void hb_uuid_str(const uint8_t *uuid, char *buf);

#endif
