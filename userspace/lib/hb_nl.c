// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include "hb_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int hb_nl_open(struct hb_nl *nl)
{
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	ret = genl_connect(nl->sk);
	if (ret < 0)
		goto err;
	/* libnl 3.7 has no setter for extended acks: ask the socket directly. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, HEALBLK_GENL_NAME);
	if (nl->family < 0) {
		ret = nl->family == -NLE_OBJ_NOTFOUND ? -ENOENT : -EPROTO;
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return ret;
	}
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -ECONNREFUSED;
}

void hb_nl_close(struct hb_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *hb_nl_msg(struct hb_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, HEALBLK_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static const struct nla_policy hb_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_LEGS] = { .type = NLA_NESTED },
	[HEALBLK_A_DEV_SPARES] = { .type = NLA_NESTED },
	[HEALBLK_A_LEG] = { .type = NLA_NESTED },
	[HEALBLK_A_LEG_FAULT] = { .type = NLA_NESTED },
	[HEALBLK_A_DEV_NAME] = { .type = NLA_STRING },
	[HEALBLK_A_LEG_NAME] = { .type = NLA_STRING },
	[HEALBLK_A_EV_REASON] = { .type = NLA_STRING },
	[HEALBLK_A_LEG_REASON] = { .type = NLA_STRING },
};

static void get_uuid(struct nlattr **tb, int attr, uint8_t *uuid)
{
	if (tb[attr] && nla_len(tb[attr]) == 16)
		memcpy(uuid, nla_data(tb[attr]), 16);
}

void hb_uuid_str(const uint8_t *u, char *buf)
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

static uint32_t get_u32(struct nlattr **tb, int attr)
{
	return tb[attr] && nla_len(tb[attr]) == 4 ? nla_get_u32(tb[attr]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int attr)
{
	return tb[attr] && nla_len(tb[attr]) == 8 ? nla_get_u64(tb[attr]) : 0;
}

/* A flag: a u8 that may come without its byte. */
static bool get_u8(struct nlattr **tb, int attr)
{
	return tb[attr] && nla_len(tb[attr]) >= 1 && nla_get_u8(tb[attr]);
}

static void get_str(struct nlattr **tb, int attr, char *buf, size_t size)
{
	buf[0] = 0;
	if (tb[attr])
		nla_strlcpy(buf, tb[attr], size);
}

static int hb_parse_fault(struct nlattr *nest, struct hb_fault_info *f)
{
	struct nlattr *tb[HEALBLK_A_MAX + 1];

	if (nla_parse_nested(tb, HEALBLK_A_MAX, nest, hb_policy) < 0)
		return -EPROTO;
	f->armed = true;
	f->ops = get_u32(tb, HEALBLK_A_FAULT_OPS);
	f->start = get_u64(tb, HEALBLK_A_FAULT_START);
	f->sectors = get_u64(tb, HEALBLK_A_FAULT_SECTORS);
	f->percent = get_u32(tb, HEALBLK_A_FAULT_PERCENT);
	f->count = get_u32(tb, HEALBLK_A_FAULT_COUNT);
	f->delay_us = get_u32(tb, HEALBLK_A_FAULT_DELAY_US);
	f->injected = get_u64(tb, HEALBLK_A_FAULT_INJECTED);
	return 0;
}

static int hb_parse_leg(struct nlattr *nest, struct hb_leg_info *leg)
{
	struct nlattr *tb[HEALBLK_A_MAX + 1];

	if (nla_parse_nested(tb, HEALBLK_A_MAX, nest, hb_policy) < 0)
		return -EPROTO;
	memset(leg, 0, sizeof(*leg));
	leg->index = get_u32(tb, HEALBLK_A_LEG_INDEX);
	leg->major = get_u32(tb, HEALBLK_A_LEG_MAJOR);
	leg->minor = get_u32(tb, HEALBLK_A_LEG_MINOR);
	get_str(tb, HEALBLK_A_LEG_NAME, leg->name, sizeof(leg->name));
	get_str(tb, HEALBLK_A_LEG_REASON, leg->reason, sizeof(leg->reason));
	get_uuid(tb, HEALBLK_A_LEG_UUID, leg->uuid);
	leg->state = get_u32(tb, HEALBLK_A_LEG_STATE);
	leg->sectors = get_u64(tb, HEALBLK_A_LEG_SECTORS);
	leg->reads = get_u64(tb, HEALBLK_A_LEG_READS);
	leg->writes = get_u64(tb, HEALBLK_A_LEG_WRITES);
	leg->read_bytes = get_u64(tb, HEALBLK_A_LEG_READ_BYTES);
	leg->write_bytes = get_u64(tb, HEALBLK_A_LEG_WRITE_BYTES);
	leg->read_errors = get_u64(tb, HEALBLK_A_LEG_READ_ERRORS);
	leg->write_errors = get_u64(tb, HEALBLK_A_LEG_WRITE_ERRORS);
	leg->retried_reads = get_u64(tb, HEALBLK_A_LEG_RETRIED_READS);
	leg->repairs = get_u64(tb, HEALBLK_A_LEG_REPAIRS);
	leg->bad_ranges = get_u32(tb, HEALBLK_A_LEG_BAD_RANGES);
	leg->sync_pos = get_u64(tb, HEALBLK_A_LEG_SYNC_POS);
	leg->replaces = tb[HEALBLK_A_LEG_REPLACES] ?
			(int32_t)(get_u32(tb, HEALBLK_A_LEG_REPLACES) & 0xff) : -1;
	if (tb[HEALBLK_A_LEG_FAULT])
		return hb_parse_fault(tb[HEALBLK_A_LEG_FAULT], &leg->fault);
	return 0;
}

static void hb_parse_sync(struct nlattr **tb, struct hb_sync_info *s)
{
	s->kind = get_u32(tb, HEALBLK_A_SYNC_KIND);
	s->status = get_u32(tb, HEALBLK_A_SYNC_STATUS);
	s->leg = get_u32(tb, HEALBLK_A_SYNC_LEG);
	s->pos = get_u64(tb, HEALBLK_A_SYNC_POS);
	s->sectors = get_u64(tb, HEALBLK_A_SYNC_SECTORS);
	s->rate_kbs = get_u32(tb, HEALBLK_A_SYNC_RATE_KBS);
	s->eta = get_u32(tb, HEALBLK_A_SYNC_ETA);
	s->mismatches = get_u64(tb, HEALBLK_A_SYNC_MISMATCHES);
	s->repaired = get_u64(tb, HEALBLK_A_SYNC_REPAIRED);
	s->unreadable = get_u64(tb, HEALBLK_A_SYNC_UNREADABLE);
	s->copied = get_u64(tb, HEALBLK_A_SYNC_COPIED);
}

int hb_parse_dev(struct nlattr **tb, struct hb_dev_info *dev)
{
	struct nlattr *attr;
	int rem, ret;

	memset(dev, 0, sizeof(*dev));
	if (!tb[HEALBLK_A_DEV_INDEX] || !tb[HEALBLK_A_DEV_LEGS])
		return -EPROTO;
	dev->index = get_u32(tb, HEALBLK_A_DEV_INDEX);
	get_str(tb, HEALBLK_A_DEV_NAME, dev->name, sizeof(dev->name));
	dev->sectors = get_u64(tb, HEALBLK_A_DEV_SECTORS);
	dev->state = get_u32(tb, HEALBLK_A_DEV_STATE);
	dev->data_offset = get_u64(tb, HEALBLK_A_DEV_DATA_OFFSET);
	dev->openers = get_u32(tb, HEALBLK_A_DEV_OPENERS);
	dev->events = get_u64(tb, HEALBLK_A_DEV_EVENTS);
	dev->fail_errors = get_u32(tb, HEALBLK_A_DEV_FAIL_ERRORS);
	dev->fail_window = get_u32(tb, HEALBLK_A_DEV_FAIL_WINDOW);
	get_uuid(tb, HEALBLK_A_DEV_UUID, dev->uuid);
	dev->auto_spare = get_u8(tb, HEALBLK_A_DEV_AUTO_SPARE);
	dev->sync_min_kbs = get_u32(tb, HEALBLK_A_DEV_SYNC_MIN_KBS);
	dev->sync_max_kbs = get_u32(tb, HEALBLK_A_DEV_SYNC_MAX_KBS);
	dev->bitmap_sectors = get_u32(tb, HEALBLK_A_DEV_BITMAP_SECTORS);
	dev->bitmap_dirty = get_u32(tb, HEALBLK_A_DEV_BITMAP_DIRTY);
	dev->remap_blocks = get_u32(tb, HEALBLK_A_DEV_REMAP_BLOCKS);
	dev->remap_used = get_u32(tb, HEALBLK_A_DEV_REMAP_USED);
	dev->mismatch_cnt = get_u64(tb, HEALBLK_A_DEV_MISMATCH_CNT);
	hb_parse_sync(tb, &dev->sync);
	if (tb[HEALBLK_A_DEV_SPARES]) {
		nla_for_each_nested(attr, tb[HEALBLK_A_DEV_SPARES], rem) {
			if (nla_type(attr) != HEALBLK_A_LEG || dev->nr_spares == HEALBLK_MAX_SPARES)
				return -EPROTO;
			ret = hb_parse_leg(attr, &dev->spares[dev->nr_spares]);
			if (ret)
				return ret;
			dev->nr_spares++;
		}
	}
	nla_for_each_nested(attr, tb[HEALBLK_A_DEV_LEGS], rem) {
		if (nla_type(attr) != HEALBLK_A_LEG || dev->nr_legs == HEALBLK_MAX_LEGS)
			return -EPROTO;
		ret = hb_parse_leg(attr, &dev->legs[dev->nr_legs]);
		if (ret)
			return ret;
		dev->nr_legs++;
	}
	return 0;
}

int hb_parse_dev_msg(struct nlmsghdr *hdr, struct hb_dev_info *dev)
{
	struct nlattr *tb[HEALBLK_A_MAX + 1];

	if (genlmsg_parse(hdr, 0, tb, HEALBLK_A_MAX, hb_policy) < 0)
		return -EPROTO;
	return hb_parse_dev(tb, dev);
}

struct hb_call {
	struct hb_nl *nl;
	hb_dev_cb cb;
	void *arg;
	int err;
	bool done;
};

static int hb_valid_cb(struct nl_msg *msg, void *arg)
{
	struct hb_call *call = arg;
	struct hb_dev_info dev;

	if (hb_parse_dev_msg(nlmsg_hdr(msg), &dev)) {
		call->err = -EPROTO;
		return NL_SKIP;
	}
	if (call->cb)
		call->cb(&dev, call->arg);
	return NL_OK;
}

/* Take the extack message that follows the error, if the kernel sent one. */
int hb_nl_parse_err(struct nlmsghdr *hdr, char *reason, size_t rlen, int *bad_offset)
{
	struct nlmsgerr *err = nlmsg_data(hdr);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	size_t off = NLMSG_HDRLEN + sizeof(*err), len = hdr->nlmsg_len;

	reason[0] = '\0';
	*bad_offset = -1;
	/* libnl checks this before its callback; the fuzzer does not. */
	if (len < off)
		return -EPROTO;
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return err->error;
	/*
	 * Uncapped, the request follows (its header is in struct nlmsgerr),
	 * padded as nlmsg_put() pads: as long as the request's header says,
	 * which is only a claim; the TLVs are not read unless it is within
	 * what came.
	 */
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < NLMSG_HDRLEN ||
		    err->msg.nlmsg_len - NLMSG_HDRLEN > len - off)
			return err->error;
		off = NLMSG_ALIGN(off + err->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (off >= len ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)hdr + off), (int)(len - off), NULL))
		return err->error;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(reason, tb[NLMSGERR_ATTR_MSG], rlen);
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) == 4)
		*bad_offset = (int)nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	return err->error;
}

static int hb_error_cb(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct hb_call *call = arg;

	(void)who;
	call->err = hb_nl_parse_err((struct nlmsghdr *)((char *)err - NLMSG_HDRLEN),
				    call->nl->reason, sizeof(call->nl->reason), &call->nl->bad_offset);
	call->done = true;
	return NL_STOP;
}

static int hb_done_cb(struct nl_msg *msg, void *arg)
{
	struct hb_call *call = arg;

	(void)msg;
	call->done = true;
	return NL_STOP;
}

int hb_nl_call(struct hb_nl *nl, struct nl_msg *msg, hb_dev_cb cb, void *arg)
{
	struct hb_call call = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	nl->reason[0] = 0;
	nl->bad_offset = -1;
	if (!nlcb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, hb_valid_cb, &call);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, hb_done_cb, &call);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, hb_done_cb, &call);
	nl_cb_err(nlcb, NL_CB_CUSTOM, hb_error_cb, &call);

	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(nlcb);
		return -EIO;
	}
	while (!call.done) {
		ret = nl_recvmsgs(nl->sk, nlcb);
		if (ret < 0 && !call.done) {
			call.err = -EIO;
			break;
		}
	}
	nl_cb_put(nlcb);
	return call.err;
}

int hb_nl_subscribe(struct hb_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, HEALBLK_GENL_NAME, HEALBLK_MCGRP_EVENTS);

	if (grp < 0)
		return -ENOENT;
	nl_socket_disable_seq_check(nl->sk);
	/* The kernel's reason: EPERM without CAP_NET_ADMIN (the group is restricted). */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &grp, sizeof(grp)) < 0)
		return -errno;
	return 0;
}

int hb_parse_event(struct nl_msg *msg, struct hb_event *ev)
{
	return hb_parse_event_msg(nlmsg_hdr(msg), ev);
}

int hb_parse_event_msg(struct nlmsghdr *hdr, struct hb_event *ev)
{
	struct nlattr *tb[HEALBLK_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(hdr);

	/* genlmsg_parse() checks that the genl header is there before gh is read. */
	if (genlmsg_parse(hdr, 0, tb, HEALBLK_A_MAX, hb_policy) < 0)
		return -EPROTO;
	memset(ev, 0, sizeof(*ev));
	ev->cmd = gh->cmd;
	if ((ev->cmd < HEALBLK_CMD_EVENT_IO_ERROR || ev->cmd > HEALBLK_CMD_EVENT_LEG_STATE) &&
	    ev->cmd != HEALBLK_CMD_EVENT_SYNC && ev->cmd != HEALBLK_CMD_EVENT_REMAP)
		return -EPROTO;
	ev->remap_blocks = get_u32(tb, HEALBLK_A_DEV_REMAP_BLOCKS);
	ev->remap_used = get_u32(tb, HEALBLK_A_DEV_REMAP_USED);
	hb_parse_sync(tb, &ev->sync);
	ev->dev = get_u32(tb, HEALBLK_A_DEV_INDEX);
	ev->leg = get_u32(tb, HEALBLK_A_LEG_INDEX);
	ev->op = get_u32(tb, HEALBLK_A_EV_OP);
	ev->sector = get_u64(tb, HEALBLK_A_EV_SECTOR);
	ev->sectors = get_u32(tb, HEALBLK_A_EV_SECTORS);
	ev->err = get_u32(tb, HEALBLK_A_EV_ERRNO);
	ev->recovered = get_u8(tb, HEALBLK_A_EV_RECOVERED);
	ev->to_leg = get_u32(tb, HEALBLK_A_EV_TO_LEG);
	ev->state = get_u32(tb, HEALBLK_A_LEG_STATE);
	ev->old_state = get_u32(tb, HEALBLK_A_EV_OLD_STATE);
	get_str(tb, HEALBLK_A_EV_REASON, ev->reason, sizeof(ev->reason));
	return 0;
}
