// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "healblk": requests and the "events" multicast
 * group.  Documentation/netlink/healblk.yaml documents the contract.
 * Modelled on drivers/net/wireguard/netlink.c: a classic ops table with a
 * strict policy for each op, dumps with a cursor, nla_put chains that
 * cancel the message on failure.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include "healblk.h"

static struct genl_family hb_nl_family;

static const struct nla_policy hb_leg_nest_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_LEG_MAJOR]	= { .type = NLA_U32 },
	[HEALBLK_A_LEG_MINOR]	= { .type = NLA_U32 },
};

static const struct nla_policy hb_legs_nest_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_LEG]		= NLA_POLICY_NESTED(hb_leg_nest_policy),
};

static const struct nla_policy hb_create_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_LEGS]	= NLA_POLICY_NESTED(hb_legs_nest_policy),
	[HEALBLK_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, HEALBLK_CREATE_FLAGS),
};

static const struct nla_policy hb_assemble_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_LEGS]	= NLA_POLICY_NESTED(hb_legs_nest_policy),
	[HEALBLK_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, HEALBLK_ASSEMBLE_FLAGS),
};

static const struct nla_policy hb_dev_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]	= { .type = NLA_U32 },
};

static struct netlink_range_validation hb_fail_window_range = {
	.min = 1,
	.max = HEALBLK_FAIL_WINDOW_MAX,
};

static const struct nla_policy hb_set_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]		= { .type = NLA_U32 },
	[HEALBLK_A_DEV_AUTO_SPARE]	= NLA_POLICY_MAX(NLA_U8, 1),
	[HEALBLK_A_DEV_SYNC_MIN_KBS]	= NLA_POLICY_MIN(NLA_U32, 1),
	[HEALBLK_A_DEV_SYNC_MAX_KBS]	= { .type = NLA_U32 },
	[HEALBLK_A_DEV_FAIL_ERRORS]	= NLA_POLICY_MAX(NLA_U32, HEALBLK_FAIL_ERRORS_MAX),
	[HEALBLK_A_DEV_FAIL_WINDOW]	= NLA_POLICY_FULL_RANGE(NLA_U32, &hb_fail_window_range),
};

static const struct nla_policy hb_spare_add_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]	= { .type = NLA_U32 },
	[HEALBLK_A_LEG_MAJOR]	= { .type = NLA_U32 },
	[HEALBLK_A_LEG_MINOR]	= { .type = NLA_U32 },
	[HEALBLK_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, HEALBLK_SPARE_FLAGS),
};

static const struct nla_policy hb_scrub_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]	= { .type = NLA_U32 },
	[HEALBLK_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, HEALBLK_SCRUB_FLAGS),
};

static const struct nla_policy hb_leg_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]	= { .type = NLA_U32 },
	[HEALBLK_A_LEG_INDEX]	= { .type = NLA_U32 },
};

static const struct nla_policy hb_rebuild_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]	= { .type = NLA_U32 },
	[HEALBLK_A_LEG_INDEX]	= { .type = NLA_U32 },
	[HEALBLK_A_DEV_FLAGS]	= NLA_POLICY_MASK(NLA_U32, HEALBLK_REBUILD_FLAGS),
};

/* 10 s of added latency at most: more would trip the block layer's hung-task checks. */
static struct netlink_range_validation hb_fault_delay_range = {
	.max = 10000000,
};

static const struct nla_policy hb_fault_policy[HEALBLK_A_MAX + 1] = {
	[HEALBLK_A_DEV_INDEX]		= { .type = NLA_U32 },
	[HEALBLK_A_LEG_INDEX]		= { .type = NLA_U32 },
	[HEALBLK_A_FAULT_OPS]		= NLA_POLICY_MASK(NLA_U32, HEALBLK_OP_READ |
							  HEALBLK_OP_WRITE |
							  HEALBLK_OP_FLUSH |
							  HEALBLK_OP_META),
	[HEALBLK_A_FAULT_START]		= { .type = NLA_U64 },
	[HEALBLK_A_FAULT_SECTORS]	= { .type = NLA_U64 },
	[HEALBLK_A_FAULT_PERCENT]	= NLA_POLICY_MAX(NLA_U32, 100),
	[HEALBLK_A_FAULT_COUNT]		= { .type = NLA_U32 },
	[HEALBLK_A_FAULT_DELAY_US]	= NLA_POLICY_FULL_RANGE(NLA_U32, &hb_fault_delay_range),
};

/* Replies */

static int hb_nl_put_fault(struct sk_buff *skb, struct hb_leg *leg)
{
	struct hb_fault f;
	struct nlattr *nest;

	spin_lock_irq(&leg->dev->lock);
	f = leg->fault;
	spin_unlock_irq(&leg->dev->lock);
	if (!f.armed)
		return 0;

	nest = nla_nest_start(skb, HEALBLK_A_LEG_FAULT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HEALBLK_A_FAULT_OPS, f.ops) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_FAULT_START, f.start, HEALBLK_A_PAD) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_FAULT_SECTORS, f.sectors, HEALBLK_A_PAD) ||
	    nla_put_u32(skb, HEALBLK_A_FAULT_PERCENT, f.percent) ||
	    nla_put_u32(skb, HEALBLK_A_FAULT_COUNT, f.count) ||
	    nla_put_u32(skb, HEALBLK_A_FAULT_DELAY_US, f.delay_us) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_FAULT_INJECTED,
			      atomic64_read(&leg->fault.injected), HEALBLK_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int hb_put_counter(struct sk_buff *skb, int attr, atomic64_t *counter)
{
	return nla_put_u64_64bit(skb, attr, atomic64_read(counter), HEALBLK_A_PAD);
}

#define hb_put_io_stat(skb, attr, leg, field)				\
	nla_put_u64_64bit(skb, attr,					\
			  hb_leg_io_stat(leg, offsetof(struct hb_leg_io_stats, field)), \
			  HEALBLK_A_PAD)

static int hb_nl_put_leg(struct sk_buff *skb, struct hb_leg *leg)
{
	struct nlattr *nest = nla_nest_start(skb, HEALBLK_A_LEG);
	char name[BDEVNAME_SIZE];

	if (!nest)
		return -EMSGSIZE;
	dev_t devt = leg->bdev ? leg->bdev->bd_dev : 0;
	enum healblk_leg_state state = READ_ONCE(leg->state);

	if (leg->bdev)
		snprintf(name, sizeof(name), "%pg", leg->bdev);
	else
		strscpy(name, "missing", sizeof(name));
	if (nla_put_u32(skb, HEALBLK_A_LEG_INDEX, leg->index) ||
	    nla_put_u32(skb, HEALBLK_A_LEG_MAJOR, MAJOR(devt)) ||
	    nla_put_u32(skb, HEALBLK_A_LEG_MINOR, MINOR(devt)) ||
	    nla_put_string(skb, HEALBLK_A_LEG_NAME, name) ||
	    nla_put(skb, HEALBLK_A_LEG_UUID, sizeof(leg->uuid), leg->uuid) ||
	    (state != HEALBLK_LEG_IN_SYNC && leg->reason &&
	     nla_put_string(skb, HEALBLK_A_LEG_REASON, leg->reason)) ||
	    nla_put_u32(skb, HEALBLK_A_LEG_STATE, state) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_LEG_SECTORS, leg->sectors, HEALBLK_A_PAD) ||
	    hb_put_io_stat(skb, HEALBLK_A_LEG_READS, leg, reads) ||
	    hb_put_io_stat(skb, HEALBLK_A_LEG_WRITES, leg, writes) ||
	    hb_put_io_stat(skb, HEALBLK_A_LEG_READ_BYTES, leg, read_bytes) ||
	    hb_put_io_stat(skb, HEALBLK_A_LEG_WRITE_BYTES, leg, write_bytes) ||
	    hb_put_counter(skb, HEALBLK_A_LEG_READ_ERRORS, &leg->read_errors) ||
	    hb_put_counter(skb, HEALBLK_A_LEG_WRITE_ERRORS, &leg->write_errors) ||
	    hb_put_counter(skb, HEALBLK_A_LEG_RETRIED_READS, &leg->retried_reads) ||
	    hb_put_counter(skb, HEALBLK_A_LEG_REPAIRS, &leg->repairs) ||
	    nla_put_u32(skb, HEALBLK_A_LEG_BAD_RANGES, READ_ONCE(leg->bb.count)) ||
	    (leg->replaces &&
	     nla_put_u32(skb, HEALBLK_A_LEG_REPLACES, leg->replaces - 1)) ||
	    (state == HEALBLK_LEG_REBUILDING &&
	     nla_put_u64_64bit(skb, HEALBLK_A_LEG_SYNC_POS, READ_ONCE(leg->sync_pos),
			       HEALBLK_A_PAD)) ||
	    hb_nl_put_fault(skb, leg)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The current or last rebuild or scrub, if any. */
static int hb_nl_put_sync(struct sk_buff *skb, struct hb_dev *dev)
{
	struct hb_sync_status st;

	spin_lock_irq(&dev->lock);
	st = dev->sync;
	spin_unlock_irq(&dev->lock);
	if (st.kind == HEALBLK_SYNC_NONE)
		return 0;
	if (nla_put_u32(skb, HEALBLK_A_SYNC_KIND, st.kind) ||
	    nla_put_u32(skb, HEALBLK_A_SYNC_STATUS, st.status) ||
	    (st.kind != HEALBLK_SYNC_SCRUB && st.kind != HEALBLK_SYNC_CHECK &&
	     nla_put_u32(skb, HEALBLK_A_SYNC_LEG, st.leg)) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_POS, st.pos, HEALBLK_A_PAD) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_SECTORS, st.sectors, HEALBLK_A_PAD) ||
	    nla_put_u32(skb, HEALBLK_A_SYNC_RATE_KBS, st.rate_kbs) ||
	    nla_put_u32(skb, HEALBLK_A_SYNC_ETA, st.eta) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_MISMATCHES, st.mismatches, HEALBLK_A_PAD) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_REPAIRED, st.repaired, HEALBLK_A_PAD) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_UNREADABLE, st.unreadable, HEALBLK_A_PAD) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_SYNC_COPIED, st.copied, HEALBLK_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int hb_nl_put_dev(struct sk_buff *skb, struct hb_dev *dev, u32 portid,
			 u32 seq, int flags, u8 cmd)
{
	struct nlattr *legs;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &hb_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HEALBLK_A_DEV_INDEX, dev->index) ||
	    nla_put_string(skb, HEALBLK_A_DEV_NAME, dev->disk->disk_name) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_DEV_SECTORS, dev->sectors, HEALBLK_A_PAD) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_STATE, hb_dev_state(dev)) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_DEV_DATA_OFFSET, dev->data_offset,
			      HEALBLK_A_PAD) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_OPENERS, hb_dev_openers(dev)) ||
	    nla_put(skb, HEALBLK_A_DEV_UUID, sizeof(dev->uuid), dev->uuid) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_DEV_EVENTS, dev->events, HEALBLK_A_PAD) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_FAIL_ERRORS, READ_ONCE(dev->fail_errors)) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_FAIL_WINDOW, READ_ONCE(dev->fail_window)) ||
	    nla_put_u8(skb, HEALBLK_A_DEV_AUTO_SPARE, READ_ONCE(dev->auto_spare)) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_SYNC_MIN_KBS, READ_ONCE(dev->sync_min_kbs)) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_SYNC_MAX_KBS, READ_ONCE(dev->sync_max_kbs)) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_BITMAP_SECTORS, 1U << dev->bm_shift) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_BITMAP_DIRTY, hb_bm_dirty_regions(dev)) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_REMAP_BLOCKS, dev->rm_blocks) ||
	    nla_put_u32(skb, HEALBLK_A_DEV_REMAP_USED, READ_ONCE(dev->rm_used)) ||
	    nla_put_u64_64bit(skb, HEALBLK_A_DEV_MISMATCH_CNT, READ_ONCE(dev->mismatch_cnt),
			      HEALBLK_A_PAD) ||
	    hb_nl_put_sync(skb, dev))
		goto cancel;
	legs = nla_nest_start(skb, HEALBLK_A_DEV_LEGS);
	if (!legs)
		goto cancel;
	for (i = 0; i < dev->nr_legs; i++)
		if (hb_nl_put_leg(skb, dev->legs[i]))
			goto cancel;
	nla_nest_end(skb, legs);
	if (dev->nr_spares) {
		legs = nla_nest_start(skb, HEALBLK_A_DEV_SPARES);
		if (!legs)
			goto cancel;
		for (i = 0; i < dev->nr_spares; i++)
			if (hb_nl_put_leg(skb, dev->spares[i]))
				goto cancel;
		nla_nest_end(skb, legs);
	}
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int hb_nl_reply_dev(struct genl_info *info, struct hb_dev *dev)
{
	struct sk_buff *skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	int ret;

	if (!skb)
		return -ENOMEM;
	ret = hb_nl_put_dev(skb, dev, info->snd_portid, info->snd_seq, 0,
			    info->genlhdr->cmd);
	if (ret) {
		nlmsg_free(skb);
		return ret;
	}
	return genlmsg_reply(skb, info);
}

/* Requests */

/* A missing attribute: its number in extack, and words for people. */
#define hb_nl_missing(info, attr, msg) ({				\
	bool __missing = GENL_REQ_ATTR_CHECK(info, attr);		\
									\
	if (__missing)							\
		NL_SET_ERR_MSG((info)->extack, msg);			\
	__missing;							\
})

static struct hb_dev *hb_nl_dev(struct genl_info *info)
{
	struct hb_dev *dev;

	if (hb_nl_missing(info, HEALBLK_A_DEV_INDEX, "a device index is required"))
		return ERR_PTR(-EINVAL);
	dev = hb_dev_find(nla_get_u32(info->attrs[HEALBLK_A_DEV_INDEX]));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HEALBLK_A_DEV_INDEX],
				    "no healblk device with that index");
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

static struct hb_leg *hb_nl_leg(struct genl_info *info)
{
	struct hb_dev *dev = hb_nl_dev(info);
	u32 index;

	if (IS_ERR(dev))
		return ERR_CAST(dev);
	if (hb_nl_missing(info, HEALBLK_A_LEG_INDEX, "a leg index is required"))
		return ERR_PTR(-EINVAL);
	index = nla_get_u32(info->attrs[HEALBLK_A_LEG_INDEX]);
	if (index >= dev->nr_legs) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HEALBLK_A_LEG_INDEX],
				    "the device has no leg with that index");
		return ERR_PTR(-EINVAL);
	}
	return dev->legs[index];
}

static int hb_nl_parse_legs(struct genl_info *info, dev_t *legs, struct nlattr **attrs,
			    unsigned int max)
{
	const char *how_many = max == HEALBLK_MAX_LEGS ? "a device has 1 to 4 legs" :
				"assemble takes 1 to 8 disks: legs and spares";
	struct nlattr *tb[HEALBLK_A_MAX + 1];
	struct nlattr *attr;
	int rem, n = 0, ret;

	if (GENL_REQ_ATTR_CHECK(info, HEALBLK_A_DEV_LEGS)) {
		hb_set_err(info->extack, how_many);
		return -EINVAL;
	}
	nla_for_each_nested(attr, info->attrs[HEALBLK_A_DEV_LEGS], rem) {
		u32 major, minor;

		if (n == max) {
			hb_set_err(info->extack, how_many);
			NL_SET_BAD_ATTR(info->extack, attr);
			return -EINVAL;
		}
		ret = nla_parse_nested(tb, HEALBLK_A_MAX, attr, hb_leg_nest_policy,
				       info->extack);
		if (ret)
			return ret;
		if (!tb[HEALBLK_A_LEG_MAJOR] || !tb[HEALBLK_A_LEG_MINOR]) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "a leg needs a major and a minor number");
			return -EINVAL;
		}
		major = nla_get_u32(tb[HEALBLK_A_LEG_MAJOR]);
		minor = nla_get_u32(tb[HEALBLK_A_LEG_MINOR]);
		legs[n] = MKDEV(major, minor);
		attrs[n] = attr;
		if (MAJOR(legs[n]) != major || MINOR(legs[n]) != minor) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "a leg's major:minor is out of range");
			return -EINVAL;
		}
		n++;
	}
	if (!n) {
		hb_set_err(info->extack, how_many);
		return -EINVAL;
	}
	return n;
}

/* create and assemble: the same legs in, the device (as get) out. */
static int hb_nl_bring_up(struct genl_info *info, bool assemble)
{
	struct nlattr *attrs[HB_ASSEMBLE_MAX];
	dev_t legs[HB_ASSEMBLE_MAX];
	unsigned int bad = UINT_MAX;
	struct sk_buff *reply;
	struct hb_dev *dev;
	u32 flags = 0;
	int n, ret;

	n = hb_nl_parse_legs(info, legs, attrs, assemble ? HB_ASSEMBLE_MAX : HEALBLK_MAX_LEGS);
	if (n < 0)
		return n;
	if (info->attrs[HEALBLK_A_DEV_FLAGS])
		flags = nla_get_u32(info->attrs[HEALBLK_A_DEV_FLAGS]);
	/* Allocated first: a device is never brought up without its reply. */
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&healblk_mutex);
	if (hb_dev_closing(info->extack))
		ret = -ESHUTDOWN;
	else if (assemble)
		ret = hb_dev_assemble(legs, n, flags, &dev, &bad, info->extack);
	else
		ret = hb_dev_create(legs, n, flags, &dev, &bad, info->extack);
	if (!ret)
		ret = hb_nl_put_dev(reply, dev, info->snd_portid, info->snd_seq, 0,
				    info->genlhdr->cmd);
	mutex_unlock(&healblk_mutex);
	if (ret) {
		/* Point at the leg refused, so the caller can name it. */
		if (bad < n)
			NL_SET_BAD_ATTR(info->extack, attrs[bad]);
		nlmsg_free(reply);
		return ret;
	}
	return genlmsg_reply(reply, info);
}

static int hb_nl_create(struct sk_buff *skb, struct genl_info *info)
{
	return hb_nl_bring_up(info, false);
}

static int hb_nl_assemble(struct sk_buff *skb, struct genl_info *info)
{
	return hb_nl_bring_up(info, true);
}

static int hb_nl_destroy(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_dev *dev;
	int ret;

	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) : hb_dev_destroy(dev, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_dev *dev;
	int ret;

	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) : hb_nl_reply_dev(info, dev);
	mutex_unlock(&healblk_mutex);
	return ret;
}

/* cb->args[0]: the index of the next device to dump. */
static int hb_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct hb_dev *dev;

	mutex_lock(&healblk_mutex);
	while ((dev = hb_dev_next(cb->args[0]))) {
		if (hb_nl_put_dev(skb, dev, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, NLM_F_MULTI, HEALBLK_CMD_GET))
			break;
		cb->args[0] = dev->index + 1;
	}
	mutex_unlock(&healblk_mutex);
	return skb->len;
}

static int hb_nl_fail_leg(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_leg *leg;
	int ret;

	mutex_lock(&healblk_mutex);
	leg = hb_nl_leg(info);
	ret = IS_ERR(leg) ? PTR_ERR(leg) :
	      hb_leg_fail(leg, "failed by request", info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static u64 hb_nl_get_u64(struct genl_info *info, int attr, u64 dflt)
{
	return info->attrs[attr] ? nla_get_u64(info->attrs[attr]) : dflt;
}

static u32 hb_nl_get_u32(struct genl_info *info, int attr, u32 dflt)
{
	return info->attrs[attr] ? nla_get_u32(info->attrs[attr]) : dflt;
}

static int hb_nl_fault_set(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_fault rule = {
		.ops	  = hb_nl_get_u32(info, HEALBLK_A_FAULT_OPS, HEALBLK_OP_READ),
		.start	  = hb_nl_get_u64(info, HEALBLK_A_FAULT_START, 0),
		.sectors  = hb_nl_get_u64(info, HEALBLK_A_FAULT_SECTORS, 0),
		.percent  = hb_nl_get_u32(info, HEALBLK_A_FAULT_PERCENT, 0),
		.count	  = hb_nl_get_u32(info, HEALBLK_A_FAULT_COUNT, 0),
		.delay_us = hb_nl_get_u32(info, HEALBLK_A_FAULT_DELAY_US, 0),
	};
	struct hb_leg *leg;
	int ret;

	if (!rule.ops) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HEALBLK_A_FAULT_OPS],
				    "a fault needs at least one operation");
		return -EINVAL;
	}
	mutex_lock(&healblk_mutex);
	leg = hb_nl_leg(info);
	ret = IS_ERR(leg) ? PTR_ERR(leg) : hb_fault_set(leg, &rule, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_fault_clear(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_leg *leg;
	int ret = 0;

	mutex_lock(&healblk_mutex);
	leg = hb_nl_leg(info);
	if (IS_ERR(leg))
		ret = PTR_ERR(leg);
	else
		hb_fault_clear(leg);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct hb_dev *dev;
	unsigned int i;
	int ret = 0;

	u32 min_kbs, max_kbs;

	if (!a[HEALBLK_A_DEV_FAIL_ERRORS] && !a[HEALBLK_A_DEV_FAIL_WINDOW] &&
	    !a[HEALBLK_A_DEV_AUTO_SPARE] && !a[HEALBLK_A_DEV_SYNC_MIN_KBS] &&
	    !a[HEALBLK_A_DEV_SYNC_MAX_KBS]) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}
	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out;
	}
	min_kbs = hb_nl_get_u32(info, HEALBLK_A_DEV_SYNC_MIN_KBS, dev->sync_min_kbs);
	max_kbs = hb_nl_get_u32(info, HEALBLK_A_DEV_SYNC_MAX_KBS, dev->sync_max_kbs);
	if (max_kbs && min_kbs > max_kbs) {
		NL_SET_ERR_MSG(info->extack,
			       "the minimum sync rate is above the maximum (0: unlimited)");
		ret = -EINVAL;
		goto out;
	}
	WRITE_ONCE(dev->sync_min_kbs, min_kbs);
	WRITE_ONCE(dev->sync_max_kbs, max_kbs);
	wake_up_all(&dev->sync_wait);
	if (a[HEALBLK_A_DEV_AUTO_SPARE])
		WRITE_ONCE(dev->auto_spare, nla_get_u8(a[HEALBLK_A_DEV_AUTO_SPARE]));
	spin_lock_irq(&dev->lock);
	if (a[HEALBLK_A_DEV_FAIL_ERRORS])
		dev->fail_errors = nla_get_u32(a[HEALBLK_A_DEV_FAIL_ERRORS]);
	if (a[HEALBLK_A_DEV_FAIL_WINDOW])
		dev->fail_window = nla_get_u32(a[HEALBLK_A_DEV_FAIL_WINDOW]);
	/* Errors counted under the old rule do not carry over. */
	for (i = 0; i < dev->nr_legs; i++)
		dev->legs[i]->err_next = 0;
	spin_unlock_irq(&dev->lock);
	if (hb_meta_write(dev)) {
		NL_SET_ERR_MSG(info->extack, "set, but a leg's superblock could not be written");
		ret = -EIO;
	}
	/* auto_spare turned on with a failed leg and a spare: heal now. */
	hb_sync_kick(dev);
out:
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_spare_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct hb_dev *dev;
	u32 major, minor, flags = 0;
	int ret;

	if (a[HEALBLK_A_DEV_FLAGS])
		flags = nla_get_u32(a[HEALBLK_A_DEV_FLAGS]);
	if (hb_nl_missing(info, HEALBLK_A_LEG_MAJOR, "a spare needs a major and a minor number") ||
	    hb_nl_missing(info, HEALBLK_A_LEG_MINOR, "a spare needs a major and a minor number"))
		return -EINVAL;
	major = nla_get_u32(a[HEALBLK_A_LEG_MAJOR]);
	minor = nla_get_u32(a[HEALBLK_A_LEG_MINOR]);
	if (MAJOR(MKDEV(major, minor)) != major || MINOR(MKDEV(major, minor)) != minor) {
		NL_SET_ERR_MSG(info->extack, "a spare's major:minor is out of range");
		return -EINVAL;
	}
	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) :
	      hb_spare_add(dev, MKDEV(major, minor), flags, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_spare_remove(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_dev *dev;
	int ret;

	if (hb_nl_missing(info, HEALBLK_A_LEG_INDEX, "a spare index is required"))
		return -EINVAL;
	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) :
	      hb_spare_remove(dev, nla_get_u32(info->attrs[HEALBLK_A_LEG_INDEX]),
			      info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_rebuild(struct sk_buff *skb, struct genl_info *info)
{
	u32 flags = 0;
	struct hb_leg *leg;
	int ret;

	if (info->attrs[HEALBLK_A_DEV_FLAGS])
		flags = nla_get_u32(info->attrs[HEALBLK_A_DEV_FLAGS]);
	mutex_lock(&healblk_mutex);
	leg = hb_nl_leg(info);
	ret = IS_ERR(leg) ? PTR_ERR(leg) : hb_rebuild_start(leg, flags, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_scrub(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_dev *dev;
	u32 flags = 0;
	int ret;

	if (info->attrs[HEALBLK_A_DEV_FLAGS])
		flags = nla_get_u32(info->attrs[HEALBLK_A_DEV_FLAGS]);
	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) : hb_scrub_start(dev, flags, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

static int hb_nl_sync_abort(struct sk_buff *skb, struct genl_info *info)
{
	struct hb_dev *dev;
	int ret;

	mutex_lock(&healblk_mutex);
	dev = hb_nl_dev(info);
	ret = IS_ERR(dev) ? PTR_ERR(dev) : hb_sync_abort(dev, info->extack);
	mutex_unlock(&healblk_mutex);
	return ret;
}

#define HB_OP(_cmd, _doit, _policy, _flags) {		\
	.cmd	= _cmd,					\
	.doit	= _doit,				\
	.policy	= _policy,				\
	.maxattr = HEALBLK_A_MAX,			\
	.flags	= _flags,				\
}

static const struct genl_ops hb_nl_ops[] = {
	HB_OP(HEALBLK_CMD_CREATE, hb_nl_create, hb_create_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_DESTROY, hb_nl_destroy, hb_dev_policy, GENL_ADMIN_PERM),
	{
		.cmd	 = HEALBLK_CMD_GET,
		.doit	 = hb_nl_get,
		.dumpit	 = hb_nl_dump,
		.policy	 = hb_dev_policy,
		.maxattr = HEALBLK_A_MAX,
	},
	HB_OP(HEALBLK_CMD_FAIL_LEG, hb_nl_fail_leg, hb_leg_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_FAULT_SET, hb_nl_fault_set, hb_fault_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_FAULT_CLEAR, hb_nl_fault_clear, hb_leg_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_ASSEMBLE, hb_nl_assemble, hb_assemble_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_SET, hb_nl_set, hb_set_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_SPARE_ADD, hb_nl_spare_add, hb_spare_add_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_SPARE_REMOVE, hb_nl_spare_remove, hb_leg_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_REBUILD, hb_nl_rebuild, hb_rebuild_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_SCRUB, hb_nl_scrub, hb_scrub_policy, GENL_ADMIN_PERM),
	HB_OP(HEALBLK_CMD_SYNC_ABORT, hb_nl_sync_abort, hb_dev_policy, GENL_ADMIN_PERM),
};

enum { HB_MCGRP_EVENTS };

static const struct genl_multicast_group hb_nl_mcgrps[] = {
	/* I/O errors name sectors and disks: node information, for CAP_NET_ADMIN. */
	[HB_MCGRP_EVENTS] = { .name = HEALBLK_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family hb_nl_family __ro_after_init = {
	.name		= HEALBLK_GENL_NAME,
	.version	= HEALBLK_GENL_VERSION,
	.module		= THIS_MODULE,
	.parallel_ops	= true,	/* healblk_mutex serializes, not genl_mutex */
	.ops		= hb_nl_ops,
	.n_ops		= ARRAY_SIZE(hb_nl_ops),
	.mcgrps		= hb_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(hb_nl_mcgrps),
};

/*
 * Events.  Always sent from process context (dev->wq or a request), never
 * from bi_end_io; GFP_NOIO because the sender may be writing back pages.
 */

static struct sk_buff *hb_ev_new(struct hb_leg *leg, u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&hb_nl_family, &init_net, HB_MCGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOIO);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &hb_nl_family, 0, cmd);
	if (!*hdr || nla_put_u32(skb, HEALBLK_A_DEV_INDEX, leg->dev->index) ||
	    nla_put_u32(skb, HEALBLK_A_LEG_INDEX, leg->index)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void hb_ev_send(struct sk_buff *skb, void *hdr, bool failed)
{
	if (failed) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&hb_nl_family, skb, 0, HB_MCGRP_EVENTS, GFP_NOIO);
}

void hb_ev_io_error(struct hb_leg *leg, u32 op, sector_t sector,
		    unsigned int sectors, int err, bool recovered)
{
	struct sk_buff *skb;
	void *hdr;

	pr_warn_ratelimited("%s: leg %u (%pg): %s error %d at %llu+%u, %s\n",
			    leg->dev->disk->disk_name, leg->index, leg->bdev,
			    op == HEALBLK_OP_READ ? "read" : "write", err,
			    (unsigned long long)sector, sectors,
			    recovered ? "recovered" : "NOT recovered");
	skb = hb_ev_new(leg, HEALBLK_CMD_EVENT_IO_ERROR, &hdr);
	if (skb)
		hb_ev_send(skb, hdr,
			   nla_put_u32(skb, HEALBLK_A_EV_OP, op) ||
			   nla_put_u64_64bit(skb, HEALBLK_A_EV_SECTOR, sector, HEALBLK_A_PAD) ||
			   nla_put_u32(skb, HEALBLK_A_EV_SECTORS, sectors) ||
			   nla_put_u32(skb, HEALBLK_A_EV_ERRNO, err) ||
			   nla_put_u8(skb, HEALBLK_A_EV_RECOVERED, recovered));
}

void hb_ev_retry(struct hb_leg *from, struct hb_leg *to, sector_t sector,
		 unsigned int sectors)
{
	struct sk_buff *skb;
	void *hdr;

	skb = hb_ev_new(from, HEALBLK_CMD_EVENT_RETRY, &hdr);
	if (skb)
		hb_ev_send(skb, hdr,
			   nla_put_u32(skb, HEALBLK_A_EV_TO_LEG, to->index) ||
			   nla_put_u32(skb, HEALBLK_A_EV_OP, HEALBLK_OP_READ) ||
			   nla_put_u64_64bit(skb, HEALBLK_A_EV_SECTOR, sector, HEALBLK_A_PAD) ||
			   nla_put_u32(skb, HEALBLK_A_EV_SECTORS, sectors));
}

void hb_ev_repair(struct hb_leg *leg, sector_t sector, unsigned int sectors,
		  int err)
{
	struct sk_buff *skb;
	void *hdr;

	skb = hb_ev_new(leg, HEALBLK_CMD_EVENT_REPAIR, &hdr);
	if (skb)
		hb_ev_send(skb, hdr,
			   nla_put_u64_64bit(skb, HEALBLK_A_EV_SECTOR, sector, HEALBLK_A_PAD) ||
			   nla_put_u32(skb, HEALBLK_A_EV_SECTORS, sectors) ||
			   nla_put_u32(skb, HEALBLK_A_EV_ERRNO, -err));
}

void hb_ev_leg_state(struct hb_leg *leg, enum healblk_leg_state old,
		     const char *reason)
{
	struct sk_buff *skb;
	void *hdr;

	skb = hb_ev_new(leg, HEALBLK_CMD_EVENT_LEG_STATE, &hdr);
	if (skb)
		hb_ev_send(skb, hdr,
			   nla_put_u32(skb, HEALBLK_A_LEG_STATE, READ_ONCE(leg->state)) ||
			   nla_put_u32(skb, HEALBLK_A_EV_OLD_STATE, old) ||
			   nla_put_string(skb, HEALBLK_A_EV_REASON, reason));
}

void hb_ev_sync(struct hb_dev *dev)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&hb_nl_family, &init_net, HB_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOIO);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &hb_nl_family, 0, HEALBLK_CMD_EVENT_SYNC);
	hb_ev_send(skb, hdr, !hdr ||
		   nla_put_u32(skb, HEALBLK_A_DEV_INDEX, dev->index) ||
		   hb_nl_put_sync(skb, dev));
}

void hb_ev_remap(struct hb_dev *dev, sector_t sector, unsigned int sectors, int err)
{
	struct sk_buff *skb;
	void *hdr;

	skb = hb_ev_new(dev->legs[0], HEALBLK_CMD_EVENT_REMAP, &hdr);
	if (skb)
		hb_ev_send(skb, hdr,
			   nla_put_u64_64bit(skb, HEALBLK_A_EV_SECTOR, sector, HEALBLK_A_PAD) ||
			   nla_put_u32(skb, HEALBLK_A_EV_SECTORS, sectors) ||
			   nla_put_u32(skb, HEALBLK_A_EV_ERRNO, -err) ||
			   nla_put_u32(skb, HEALBLK_A_DEV_REMAP_BLOCKS, dev->rm_blocks) ||
			   nla_put_u32(skb, HEALBLK_A_DEV_REMAP_USED, READ_ONCE(dev->rm_used)));
}

int hb_nl_init(void)
{
	return genl_register_family(&hb_nl_family);
}

void hb_nl_exit(void)
{
	genl_unregister_family(&hb_nl_family);
}
