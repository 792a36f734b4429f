// SPDX-License-Identifier: GPL-2.0
/*
 * netmon: TCP retransmits per (netns, interface, peer) and skb drops per
 * (netns, interface, drop reason).  Counters only: heald reads them as
 * rates, and a drop storm must not turn into a ring-buffer storm.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "netmon.h"

#define AF_INET		2
#define AF_INET6	10
#define MAX_PEERS	4096
#define MAX_DROP_KEYS	4096

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);	/* rare: shared, atomic adds */
	__uint(max_entries, MAX_PEERS);
	__type(key, struct netmon_retrans_key);
	__type(value, u64);
} netmon_retrans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);	/* can be hot: per CPU */
	__uint(max_entries, MAX_DROP_KEYS);
	__type(key, struct netmon_drop_key);
	__type(value, u64);
} netmon_drops SEC(".maps");

/*
 * commit 0c0a5ef809f9 ("tcp: move inet->rx_dst_ifindex to
 * sk->sk_rx_dst_ifindex", v5.17) moved the field; older kernels keep it in
 * struct inet_sock.
 */
struct inet_sock___old {
	int rx_dst_ifindex;
} __attribute__((preserve_access_index));

struct sock___new {
	int sk_rx_dst_ifindex;
} __attribute__((preserve_access_index));

/*
 * The interface a retransmit leaves by: the cached route's device (set at
 * connect, valid for SYN retransmits too); when the route was reset, the
 * interface the peer's packets last came in by.
 */
static __always_inline u32 sk_ifindex(const struct sock *sk)
{
	struct dst_entry *dst = BPF_CORE_READ(sk, sk_dst_cache);
	struct sock___new *snew = (void *)sk;
	struct inet_sock___old *iold = (void *)sk;

	if (dst)
		return BPF_CORE_READ(dst, dev, ifindex);
	if (bpf_core_field_exists(snew->sk_rx_dst_ifindex))
		return BPF_CORE_READ(snew, sk_rx_dst_ifindex);
	return BPF_CORE_READ(iold, rx_dst_ifindex);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(netmon_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	struct netmon_retrans_key key = {};
	u64 one = 1, *cnt;

	key.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (key.family == AF_INET)
		BPF_CORE_READ_INTO((u32 *)key.addr, sk, __sk_common.skc_daddr);
	else if (key.family == AF_INET6)
		BPF_CORE_READ_INTO(&key.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	else
		return 0;
	key.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	key.ifindex = sk_ifindex(sk);

	cnt = bpf_map_lookup_elem(&netmon_retrans, &key);
	if (cnt) {
		__sync_fetch_and_add(cnt, 1);
		return 0;
	}
	/* Lost race with another CPU inserting the key: add to its value. */
	if (bpf_map_update_elem(&netmon_retrans, &key, &one, BPF_NOEXIST)) {
		cnt = bpf_map_lookup_elem(&netmon_retrans, &key);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
	}
	return 0;
}

/*
 * kfree_skb(skb, location, reason[, rx_sk]): the reason is the third
 * argument since it was added (v5.17); rx_sk came later (v6.11) after it.
 * Consumed skbs also pass here on newer kernels (SKB_CONSUMED): not drops.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(netmon_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	struct netmon_drop_key key = {};
	struct net_device *dev;
	u64 one = 1, *cnt;

	if (reason == 0)	/* SKB_NOT_DROPPED_YET */
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;

	key.reason = reason;
	dev = BPF_CORE_READ(skb, dev);
	if (dev) {
		key.ifindex = BPF_CORE_READ(dev, ifindex);
		key.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	} else {
		struct sock *sk = BPF_CORE_READ(skb, sk);

		key.ifindex = BPF_CORE_READ(skb, skb_iif);
		if (sk)
			key.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	}

	cnt = bpf_map_lookup_elem(&netmon_drops, &key);
	if (cnt) {
		(*cnt)++;	/* per CPU: no other writer */
		return 0;
	}
	if (bpf_map_update_elem(&netmon_drops, &key, &one, BPF_NOEXIST)) {
		/* Another CPU made the key first: our slot of it is still 0. */
		cnt = bpf_map_lookup_elem(&netmon_drops, &key);
		if (cnt)
			(*cnt)++;
	}
	return 0;
}
