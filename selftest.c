// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool -t: a NIC's offline self-test is a loopback test; ours sends
 * frames through the pair and checks that the peer received them intact.
 * The kernel's generic net_selftests() loop frames back to the sender's
 * own stack, which a pair cannot do.
 *
 * The test frames carry the IEEE "local experimental" EtherType and a
 * pattern; the peer's NAPI recognises them while a test waits for them and
 * consumes them instead of passing them up its stack.
 */

#include <linux/completion.h>
#include <linux/crc32.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>

#include "mynetdrv.h"

#define MYNET_TEST_FRAMES	64
#define MYNET_TEST_MAGIC	0x6d796e74	/* "mynt" */
#define MYNET_TEST_TIMEOUT	(2 * HZ)

enum {
	MYNET_TEST_LINK,
	MYNET_TEST_LOOPBACK,
	MYNET_TEST_COUNT,
};

static const char mynet_test_names[MYNET_TEST_COUNT][ETH_GSTRING_LEN] = {
	"Link test        (on/offline)",
	"Loopback test    (offline)",
};

/* What follows the Ethernet header of a test frame. */
struct mynet_test_hdr {
	__be32 magic;
	__be16 seq;
	__be16 len;		/* the whole frame's */
	__be32 crc;		/* of the pattern after this header */
} __packed;

/* A test in progress, on the sender's stack; the peer's NAPI updates it. */
struct mynet_selftest {
	atomic_t seen;
	atomic_t bad;
	struct completion done;
};

/**
 * mynet_selftest_count() - how many results ethtool -t gets
 *
 * Return: the number of tests.
 */
int mynet_selftest_count(void)
{
	return MYNET_TEST_COUNT;
}

/**
 * mynet_selftest_strings() - the tests' names
 * @data: ETH_GSTRING_LEN bytes per test
 */
void mynet_selftest_strings(u8 *data)
{
	memcpy(data, mynet_test_names, sizeof(mynet_test_names));
}

/* Frame sizes from the Ethernet minimum up to a full standard frame. */
static unsigned int mynet_test_len(unsigned int seq, unsigned int mtu)
{
	unsigned int max = min(mtu, ETH_DATA_LEN) + ETH_HLEN;

	return ETH_ZLEN + seq * 23 % (max - ETH_ZLEN + 1);
}

static struct sk_buff *mynet_test_frame(struct net_device *dev,
					struct net_device *peer,
					unsigned int seq)
{
	unsigned int len = mynet_test_len(seq, READ_ONCE(dev->mtu));
	struct mynet_test_hdr *th;
	struct sk_buff *skb;
	struct ethhdr *eth;
	unsigned int i, n;
	u8 *pattern;

	skb = netdev_alloc_skb(dev, len);
	if (!skb)
		return NULL;

	eth = skb_put(skb, ETH_HLEN);
	ether_addr_copy(eth->h_dest, peer->dev_addr);
	ether_addr_copy(eth->h_source, dev->dev_addr);
	eth->h_proto = htons(MYNET_TEST_ETHERTYPE);

	th = skb_put(skb, sizeof(*th));
	n = len - ETH_HLEN - sizeof(*th);
	pattern = skb_put(skb, n);
	for (i = 0; i < n; i++)
		pattern[i] = seq + i;

	th->magic = htonl(MYNET_TEST_MAGIC);
	th->seq = htons(seq);
	th->len = htons(len);
	th->crc = htonl(crc32_le(~0, pattern, n));

	skb_reset_mac_header(skb);
	/* Where a tc action (act_pedit, as test 22 uses) finds the payload. */
	skb_set_network_header(skb, ETH_HLEN);
	skb->protocol = eth->h_proto;
	skb->dev = dev;
	return skb;
}

/* Is this the frame we sent, byte for byte? */
static bool mynet_test_frame_ok(struct sk_buff *skb)
{
	const struct mynet_test_hdr *th;
	unsigned int len = skb->len + ETH_HLEN;
	unsigned int n;

	if (skb_linearize(skb) || skb->len < sizeof(*th))
		return false;
	th = (const struct mynet_test_hdr *)skb->data;
	n = skb->len - sizeof(*th);
	return ntohl(th->magic) == MYNET_TEST_MAGIC &&
	       ntohs(th->seq) < MYNET_TEST_FRAMES &&
	       ntohs(th->len) == len &&
	       ntohl(th->crc) == crc32_le(~0, skb->data + sizeof(*th), n);
}

/**
 * mynet_selftest_rx() - take a test frame off the receive path
 * @priv: the receiving device's private data
 * @skb: a frame of MYNET_TEST_ETHERTYPE, after eth_type_trans()
 *
 * Context: NAPI poll (softirq).
 * Return: true if a test was waiting for it (@skb is consumed), false
 * to deliver it as any other frame.
 */
bool mynet_selftest_rx(struct mynet_priv *priv, struct sk_buff *skb)
{
	struct mynet_selftest *st;
	bool consumed = false;

	rcu_read_lock();
	st = rcu_dereference(priv->selftest);
	if (st) {
		if (!mynet_test_frame_ok(skb))
			atomic_inc(&st->bad);
		/* NAPIs of several queues may count at once. */
		if (atomic_inc_return(&st->seen) == MYNET_TEST_FRAMES)
			complete(&st->done);
		consume_skb(skb);
		consumed = true;
	}
	rcu_read_unlock();
	return consumed;
}

/* Send the test frames and wait for the peer to see them all. */
static int mynet_test_loopback(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_priv *peer_priv;
	struct mynet_selftest st;
	struct net_device *peer;
	unsigned int seq;
	int err = 0;

	peer = rtnl_dereference(priv->peer);
	if (!peer || !netif_running(dev) || !netif_carrier_ok(dev))
		return -ENETDOWN;
	peer_priv = netdev_priv(peer);

	atomic_set(&st.seen, 0);
	atomic_set(&st.bad, 0);
	init_completion(&st.done);
	rcu_assign_pointer(peer_priv->selftest, &st);

	for (seq = 0; seq < MYNET_TEST_FRAMES; seq++) {
		struct sk_buff *skb = mynet_test_frame(dev, peer, seq);

		if (!skb) {
			err = -ENOMEM;
			break;
		}
		/* Through the qdisc, as any frame: it may hold some. */
		dev_queue_xmit(skb);
	}

	if (!err && !wait_for_completion_timeout(&st.done, MYNET_TEST_TIMEOUT))
		err = -ETIMEDOUT;
	/* The peer's NAPI must be done with @st before it goes away. */
	RCU_INIT_POINTER(peer_priv->selftest, NULL);
	synchronize_net();

	if (!err && atomic_read(&st.bad))
		err = -EILSEQ;
	if (err)
		netdev_err(dev, "loopback self-test failed: %d of %d frames back, %d damaged (%d)\n",
			   atomic_read(&st.seen), MYNET_TEST_FRAMES,
			   atomic_read(&st.bad), err);
	return err;
}

/**
 * mynet_selftest_run() - ethtool_ops.self_test
 * @dev: the device under test
 * @test: flags in (ETH_TEST_FL_OFFLINE) and out (ETH_TEST_FL_FAILED)
 * @data: one result per test, 0 for a pass, else a positive errno
 *
 * Context: process, RTNL held.
 */
void mynet_selftest_run(struct net_device *dev, struct ethtool_test *test,
			u64 *data)
{
	memset(data, 0, sizeof(*data) * MYNET_TEST_COUNT);

	if (!netif_carrier_ok(dev))
		data[MYNET_TEST_LINK] = ENOLINK;
	if (test->flags & ETH_TEST_FL_OFFLINE)
		data[MYNET_TEST_LOOPBACK] = -mynet_test_loopback(dev);

	if (data[MYNET_TEST_LINK] || data[MYNET_TEST_LOOPBACK])
		test->flags |= ETH_TEST_FL_FAILED;
}
