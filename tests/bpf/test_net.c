// SPDX-License-Identifier: GPL-2.0
/*
 * netmon through heald's loader: a TCP transfer between two network
 * namespaces joined by a veth pair, with an nftables rule in the receiving
 * one dropping a tenth of the segments at random.  The sender's retransmits
 * must show up on its veth towards the receiver's address, and the drops on
 * the receiver's veth with reason NETFILTER_DROP, exactly as many as the
 * rule's counter says.  No traffic leaves the two namespaces (10.200.1.0/24,
 * fd00:200::/64 exist only there).  Netem is absent on the host: nftables
 * makes the losses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "bpfmon.h"
#include "common.h"

#define PORT		5001
#define XFER_BYTES	(2 << 20)

FIXTURE(net) {
	struct bpfmon *m;
	char ns_a[32], ns_b[32];	/* sender, receiver */
	char veth_a[16], veth_b[16];
	int made;
};

FIXTURE_SETUP(net)
{
	char err[512];
	int id = getpid() % 100000;

	snprintf(self->ns_a, sizeof(self->ns_a), "heal-bpft-a%d", id);
	snprintf(self->ns_b, sizeof(self->ns_b), "heal-bpft-b%d", id);
	snprintf(self->veth_a, sizeof(self->veth_a), "hbta%d", id);
	snprintf(self->veth_b, sizeof(self->veth_b), "hbtb%d", id);
	if (sh("command -v nft >/dev/null") != 0)
		SKIP(return, "nft (Debian package nftables) is not installed");

	self->made = 1;
	ASSERT_EQ(0, sh("ip netns add %s && ip netns add %s", self->ns_a, self->ns_b));
	ASSERT_EQ(0, sh("ip link add %s netns %s type veth peer name %s netns %s",
			self->veth_a, self->ns_a, self->veth_b, self->ns_b));
	ASSERT_EQ(0, sh("ip -n %1$s link set lo up && ip -n %1$s link set %2$s up && "
			"ip -n %1$s addr add 10.200.1.1/24 dev %2$s && "
			"ip -n %1$s addr add fd00:200::1/64 dev %2$s nodad",
			self->ns_a, self->veth_a));
	ASSERT_EQ(0, sh("ip -n %1$s link set lo up && ip -n %1$s link set %2$s up && "
			"ip -n %1$s addr add 10.200.1.2/24 dev %2$s && "
			"ip -n %1$s addr add fd00:200::2/64 dev %2$s nodad",
			self->ns_b, self->veth_b));
	ASSERT_EQ(0, sh("ip netns exec %1$s nft add table inet heal-bpft && "
			"ip netns exec %1$s nft add chain inet heal-bpft in "
			"'{ type filter hook input priority 0; }' && "
			"ip netns exec %1$s nft add rule inet heal-bpft in "
			"tcp dport %2$d numgen random mod 10 == 0 counter drop",
			self->ns_b, PORT));
	self->m = bpfmon_open_only(BPFMON_NET, err, sizeof(err));
	ASSERT_NE(NULL, self->m) TH_LOG("bpfmon: %s", err);
}

FIXTURE_TEARDOWN(net)
{
	bpfmon_close(self->m);
	if (self->made)
		sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
		   self->ns_a, self->ns_b);
}

static int enter_ns(const char *ns)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static unsigned int ns_inode(const char *ns)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return stat(path, &st) ? 0 : (unsigned int)st.st_ino;
}

/* ifindex of dev inside ns, looked up from a child that enters it. */
static int ns_ifindex(const char *ns, const char *dev)
{
	int p[2], idx = 0, st;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		idx = enter_ns(ns) ? -1 : (int)if_nametoindex(dev);
		_exit(write(p[1], &idx, sizeof(idx)) == sizeof(idx) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &idx, sizeof(idx)) != sizeof(idx))
		idx = -1;
	close(p[0]);
	waitpid(pid, &st, 0);
	return idx;
}

static socklen_t make_addr(int family, const char *ip, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(PORT);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (void *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(PORT);
	inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	return sizeof(*sin6);
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Receiver: reads until EOF; exit 0 when every byte came. Tells `ready` once listening. */
static void server(const char *ns, int family, const char *ip, int ready)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(family, ip, &ss);
	static char buf[65536];
	long total = 0;
	int one = 1, s, c;
	ssize_t n;

	alarm(40);
	if (enter_ns(ns))
		_exit(10);
	s = socket(family, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (void *)&ss, len) || listen(s, 1))
		_exit(11);
	if (write(ready, "r", 1) != 1)
		_exit(12);
	c = accept(s, NULL, NULL);
	if (c < 0)
		_exit(13);
	set_timeouts(c, 30);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		total += n;
	_exit(total == XFER_BYTES ? 0 : 14);
}

/* Sender: sends XFER_BYTES, waits for the receiver's close, reports total_retrans. */
static void client(const char *ns, int family, const char *ip, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(family, ip, &ss);
	static char buf[65536];
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	long sent = 0;
	int s;

	alarm(40);
	if (enter_ns(ns))
		_exit(20);
	s = socket(family, SOCK_STREAM, 0);
	if (s < 0)
		_exit(21);
	set_timeouts(s, 30);
	if (connect(s, (void *)&ss, len))
		_exit(22);
	memset(buf, 'h', sizeof(buf));
	while (sent < XFER_BYTES) {
		ssize_t n = write(s, buf, sizeof(buf));

		if (n <= 0)
			_exit(23);
		sent += n;
	}
	shutdown(s, SHUT_WR);
	while (read(s, buf, sizeof(buf)) > 0)
		;	/* the receiver's FIN: all our data was acked */
	if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tlen))
		_exit(24);
	_exit(write(out, &ti.tcpi_total_retrans, sizeof(ti.tcpi_total_retrans)) > 0 ? 0 : 25);
}

struct net_ctx {
	unsigned int ns_a, ns_b;
	int if_a, if_b, family;
	uint8_t peer[16];
	uint64_t retrans, retrans_elsewhere, drops;
	char drop_reason[64];
};

static void on_retrans(void *ctx, const struct bpfmon_retrans *r)
{
	struct net_ctx *c = ctx;

	if (r->netns != c->ns_a)
		return;
	if (r->ifindex == c->if_a && r->family == c->family &&
	    !memcmp(r->addr, c->peer, c->family == AF_INET ? 4 : 16))
		c->retrans += r->count;
	else
		c->retrans_elsewhere += r->count;
}

static void on_drop(void *ctx, const struct bpfmon_drop *d)
{
	struct net_ctx *c = ctx;

	if (d->netns != c->ns_b || d->ifindex != c->if_b)
		return;
	printf("# drop on %d: %s x%llu\n", d->ifindex, d->reason_name,
	       (unsigned long long)d->count);
	fflush(stdout);
	if (!strcmp(d->reason_name, "NETFILTER_DROP"))
		c->drops += d->count;
}

static long nft_counter(const char *ns)
{
	char cmd[160], line[256];
	long packets = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s nft list chain inet heal-bpft in", ns);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *c = strstr(line, "counter packets ");

		if (c)
			packets = strtol(c + strlen("counter packets "), NULL, 10);
	}
	pclose(p);
	return packets;
}

static void transfer(struct __test_metadata *_metadata, FIXTURE_DATA(net) *self,
		     int family, const char *src_ip, const char *dst_ip)
{
	struct net_ctx c = { .family = family };
	int ready[2], res[2], st_s, st_c;
	uint32_t total_retrans = 0;
	pid_t srv, cli;
	char r;
	long dropped;

	(void)src_ip;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(res));
	srv = fork();
	if (srv == 0)
		server(self->ns_b, family, dst_ip, ready[1]);
	ASSERT_EQ(1, read(ready[0], &r, 1));
	cli = fork();
	if (cli == 0)
		client(self->ns_a, family, dst_ip, res[1]);
	close(res[1]);
	EXPECT_EQ(sizeof(total_retrans), read(res[0], &total_retrans, sizeof(total_retrans)));
	waitpid(cli, &st_c, 0);
	waitpid(srv, &st_s, 0);
	ASSERT_TRUE(WIFEXITED(st_c) && WEXITSTATUS(st_c) == 0) TH_LOG("sender: status %#x", st_c);
	ASSERT_TRUE(WIFEXITED(st_s) && WEXITSTATUS(st_s) == 0) TH_LOG("receiver: status %#x", st_s);

	c.ns_a = ns_inode(self->ns_a);
	c.ns_b = ns_inode(self->ns_b);
	c.if_a = ns_ifindex(self->ns_a, self->veth_a);
	c.if_b = ns_ifindex(self->ns_b, self->veth_b);
	ASSERT_LT(0, c.if_a);
	ASSERT_LT(0, c.if_b);
	inet_pton(family, dst_ip, c.peer);
	ASSERT_LE(0, bpfmon_net(self->m, on_retrans, on_drop, &c));
	dropped = nft_counter(self->ns_b);

	TH_LOG("%s: nft dropped %ld, netmon drops %llu; TCP total_retrans %u, netmon retransmits %llu (elsewhere %llu)",
	       dst_ip, dropped, (unsigned long long)c.drops, total_retrans,
	       (unsigned long long)c.retrans, (unsigned long long)c.retrans_elsewhere);
	ASSERT_LT(0, dropped);
	EXPECT_EQ((uint64_t)dropped, c.drops);
	EXPECT_LT(0, total_retrans);
	EXPECT_LT(0, c.retrans);
	/* One tracepoint hit per retransmitted skb, which may be several segments. */
	EXPECT_GE(total_retrans, c.retrans);
	EXPECT_EQ(0, c.retrans_elsewhere);
}

TEST_F_TIMEOUT(net, tcp_ipv4_losses, 90)
{
	transfer(_metadata, self, AF_INET, "10.200.1.1", "10.200.1.2");
}

TEST_F_TIMEOUT(net, tcp_ipv6_losses, 90)
{
	transfer(_metadata, self, AF_INET6, "fd00:200::1", "fd00:200::2");
}

TEST_HARNESS_MAIN
