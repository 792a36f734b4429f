/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by netmon.bpf.c and its loader (userspace/heald/bpfmon.c). */
#ifndef __HEAL_NETMON_H
#define __HEAL_NETMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * An ifindex means something only inside its network namespace, so every
 * key carries the namespace's inode number (as in /proc/PID/ns/net).
 */

/* TCP retransmits towards one peer through one interface. */
struct netmon_retrans_key {
	__u32 netns;
	__u32 ifindex;		/* 0: the socket had no route cached */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 pad;
	__u8 addr[16];		/* peer; IPv4 in the first 4 bytes */
};

/* skb drops by reason (enum skb_drop_reason of the running kernel). */
struct netmon_drop_key {
	__u32 netns;
	__u32 ifindex;		/* skb->dev, else skb->skb_iif; 0: neither */
	__u32 reason;
};

#endif /* __HEAL_NETMON_H */
