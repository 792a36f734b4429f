// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of libheal's netlink parsing without a socket: the
 * kernel's error message (errno, extack text and offset) read only within
 * the bytes that came, whatever lengths the message claims.  Buffers are
 * malloc()ed to their exact size, so ASan sees any read past them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include "kselftest_harness.h"
#include "../../userspace/lib/hb_nl.h"

const char *hb_prog = "test";

#define TLV_MSG "bad leg index"

/*
 * An NLMSG_ERROR for a request of a header and 4 bytes (genl's): its header
 * is in struct nlmsgerr, its 4 bytes follow unless @capped; the header
 * claims @claim as the request's length; then the extack TLVs if @tlvs.
 * Returns the message in a buffer of its own size.
 */
static struct nlmsghdr *err_msg(bool capped, uint32_t claim, bool tlvs, size_t *size)
{
	size_t echo = capped ? 0 : 4;
	size_t msglen = NLA_ALIGN(sizeof(TLV_MSG)), len;
	struct nlmsghdr *h;
	struct nlmsgerr *e;
	struct nlattr *a;
	char *p;

	len = NLMSG_HDRLEN + sizeof(*e) + echo + (tlvs ? NLA_HDRLEN + msglen + NLA_HDRLEN + 4 : 0);
	h = calloc(1, len);
	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (tlvs ? NLM_F_ACK_TLVS : 0);
	e = NLMSG_DATA(h);
	e->error = -EINVAL;
	e->msg.nlmsg_len = claim;
	p = (char *)e + sizeof(*e) + echo;
	if (tlvs) {
		a = (struct nlattr *)p;
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = NLA_HDRLEN + sizeof(TLV_MSG);
		memcpy(p + NLA_HDRLEN, TLV_MSG, sizeof(TLV_MSG));
		a = (struct nlattr *)(p + NLA_HDRLEN + msglen);
		a->nla_type = NLMSGERR_ATTR_OFFS;
		a->nla_len = NLA_HDRLEN + 4;
		*(uint32_t *)((char *)a + NLA_HDRLEN) = 24;
	}
	*size = len;
	return h;
}

TEST(error_with_extack)
{
	char reason[64];
	size_t size;
	int off;
	struct nlmsghdr *h = err_msg(true, NLMSG_HDRLEN + 4, true, &size);

	EXPECT_EQ(-EINVAL, hb_nl_parse_err(h, reason, sizeof(reason), &off));
	EXPECT_STREQ(TLV_MSG, reason);
	EXPECT_EQ(24, off);
	free(h);
	/* The request echoed whole before the TLVs. */
	h = err_msg(false, NLMSG_HDRLEN + 4, true, &size);
	EXPECT_EQ(-EINVAL, hb_nl_parse_err(h, reason, sizeof(reason), &off));
	EXPECT_STREQ(TLV_MSG, reason);
	EXPECT_EQ(24, off);
	free(h);
}

TEST(error_without_extack)
{
	char reason[64] = "stale";
	size_t size;
	int off = 7;
	struct nlmsghdr *h = err_msg(false, NLMSG_HDRLEN + 4, false, &size);

	EXPECT_EQ(-EINVAL, hb_nl_parse_err(h, reason, sizeof(reason), &off));
	EXPECT_STREQ("", reason);
	EXPECT_EQ(-1, off);
	free(h);
}

/* The echoed request's length is the sender's word: never an offset to trust. */
TEST(error_echo_length_lies)
{
	static const uint32_t lies[] = { 0, 3, NLMSG_HDRLEN + 5, 1000, 0x7fffffff, 0x80000010,
					 0xffffff88u, 0xffffffffu };
	char reason[64];
	size_t size, i;
	int off, ret;

	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct nlmsghdr *h = err_msg(false, lies[i], true, &size);

		ret = hb_nl_parse_err(h, reason, sizeof(reason), &off);
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_STREQ("", reason) {
			TH_LOG("claimed %#x: read '%s'", lies[i], reason);
		}
		free(h);
	}
}

/* Shorter than an error message: nothing is read past it. */
TEST(error_truncated)
{
	char reason[64];
	int off;
	struct nlmsghdr *h = calloc(1, NLMSG_HDRLEN + 4);

	h->nlmsg_len = NLMSG_HDRLEN + 4;
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_ACK_TLVS;
	EXPECT_EQ(-EPROTO, hb_nl_parse_err(h, reason, sizeof(reason), &off));
	free(h);
}

TEST_HARNESS_MAIN
