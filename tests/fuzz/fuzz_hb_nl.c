// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for libheal's netlink parsing: what healblk (or anyone
 * on the socket) sends, parsed without a socket.  The first byte picks the
 * path and the flags; the rest is the message after its netlink header,
 * in a buffer of exactly its size (ASan sees any read past it):
 *   bit 0: an NLMSG_ERROR (hb_nl_parse_err), else a healblk message parsed
 *          both as a device (hb_parse_dev_msg) and as an event
 *          (hb_parse_event_msg); bit 1: NLM_F_CAPPED; bit 2: NLM_F_ACK_TLVS.
 * libheal's hb_nl.c is included whole, as tests/fuzz/Makefile's wildcard
 * rule builds one file; it needs libnl-genl-3.0 beside json-c in that
 * Makefile's PKGS.  By hand, from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     -I include/uapi $(pkg-config --cflags libnl-genl-3.0) tests/fuzz/fuzz_hb_nl.c \
 *     $(pkg-config --libs libnl-genl-3.0) -o build/fuzz/fuzz_hb_nl
 *   build/fuzz/fuzz_hb_nl -max_total_time=60 NEW_DIR tests/fuzz/corpus/hb_nl
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include "../../userspace/lib/hb_nl.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *h;
	uint8_t mode;

	if (size < 1 || size > 65536)
		return 0;
	mode = data[0];
	data++;
	size--;
	h = malloc(NLMSG_HDRLEN + size);
	if (!h)
		return 0;
	memcpy((char *)h + NLMSG_HDRLEN, data, size);
	/* As libnl hands it on: nlmsg_len no more than what came. */
	h->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + size);
	h->nlmsg_flags = (mode & 2 ? NLM_F_CAPPED : 0) | (mode & 4 ? NLM_F_ACK_TLVS : 0);
	h->nlmsg_seq = h->nlmsg_pid = 0;
	if (mode & 1) {
		char reason[256];
		int off;

		h->nlmsg_type = NLMSG_ERROR;
		hb_nl_parse_err(h, reason, sizeof(reason), &off);
		if (strlen(reason) >= sizeof(reason))
			abort();
	} else {
		struct hb_dev_info *dev = malloc(sizeof(*dev));
		struct hb_event ev;

		h->nlmsg_type = 0x20;	/* a generic netlink family's id */
		if (dev && !hb_parse_dev_msg(h, dev) &&
		    (dev->nr_legs > HEALBLK_MAX_LEGS || dev->nr_spares > HEALBLK_MAX_SPARES))
			abort();
		hb_parse_event_msg(h, &ev);
		free(dev);
	}
	free(h);
	return 0;
}
