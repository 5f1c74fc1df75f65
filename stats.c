// SPDX-License-Identifier: GPL-2.0
/*
 * Counters. Each queue keeps its own, written by one context only (see
 * mynetdrv.h), and readers sum them. Standard counters are reported only
 * through ndo_get_stats64, a queue's packets, bytes and stops only through
 * qstats where the kernel has them (6.9+); ethtool -S carries the rest:
 * device totals rtnl_link_stats64 has no field for (drop reasons,
 * filtered frames, NAPI and queue activity), and per queue in use, the
 * activity that explains its traffic. Every queue the device has is
 * summed, so a queue's history counts even while it is not in use, and
 * nothing resets on down/up.
 */

#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/netdev_queues.h>

#include "mynetdrv.h"

/* A snapshot of a queue's counters, or their sum over queues. Only u64
 * members: mynet_tx_sum() and mynet_rx_sum() add them as an array.
 */
struct mynet_tx_totals {
	u64 packets;
	u64 bytes;
	u64 drop_peer_down;
	u64 drop_ring_full;
	u64 drop_runt;
	u64 drop_nomem;
	u64 stops;
	u64 kicks;
	u64 kicks_deferred;
	u64 xmit_more;
	u64 csum_partial;
	u64 gso_packets;
	u64 gso_bytes;
	u64 sg;
	u64 timeouts;
	u64 xdp_xmit;
	u64 xdp_xmit_errors;
};

struct mynet_rx_totals {
	u64 packets;
	u64 bytes;
	u64 multicast;
	u64 length_errors;
	u64 drop_purged;
	u64 drop_purged_bytes;
	u64 filtered;
	u64 filtered_bytes;
	u64 polls;
	u64 wakes;
	u64 gro_merged;
	u64 drop_nomem;
	u64 xdp_packets;
	u64 xdp_bytes;
	u64 xdp_drop;
	u64 xdp_tx;
	u64 xdp_tx_errors;
	u64 xdp_redirect;
	u64 xdp_redirect_errors;
};

/**
 * mynet_stats_alloc() - allocate the counters of every queue @dev has
 * @dev: a device being registered (ndo_init)
 *
 * Sized by the queues allocated, not by MYNET_MAX_QUEUES: a pair of
 * one-queue devices then fits in smaller slabs (see bench/).
 *
 * Context: process, RTNL held.
 * Return: 0, or -ENOMEM with nothing allocated.
 */
int mynet_stats_alloc(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int i;

	priv->tx_stats = kcalloc(dev->num_tx_queues, sizeof(*priv->tx_stats),
				 GFP_KERNEL);
	if (!priv->tx_stats)
		return -ENOMEM;
	priv->rx_stats = kcalloc(dev->num_rx_queues, sizeof(*priv->rx_stats),
				 GFP_KERNEL);
	if (!priv->rx_stats) {
		kfree(priv->tx_stats);
		priv->tx_stats = NULL;
		return -ENOMEM;
	}

	for (i = 0; i < dev->num_tx_queues; i++)
		u64_stats_init(&priv->tx_stats[i].syncp);
	for (i = 0; i < dev->num_rx_queues; i++)
		u64_stats_init(&priv->rx_stats[i].syncp);
	return 0;
}

/**
 * mynet_stats_free() - free what mynet_stats_alloc() allocated
 * @dev: a device nobody holds a reference to any more (priv_destructor)
 */
void mynet_stats_free(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);

	kfree(priv->rx_stats);
	kfree(priv->tx_stats);
}

/* One queue's counters, consistent with each other. */
static void mynet_tx_read(const struct mynet_tx_stats *s,
			  struct mynet_tx_totals *q)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		q->packets = u64_stats_read(&s->packets);
		q->bytes = u64_stats_read(&s->bytes);
		q->drop_peer_down = u64_stats_read(&s->drop_peer_down);
		q->drop_ring_full = u64_stats_read(&s->drop_ring_full);
		q->drop_runt = u64_stats_read(&s->drop_runt);
		q->drop_nomem = u64_stats_read(&s->drop_nomem);
		q->stops = u64_stats_read(&s->stops);
		q->kicks = u64_stats_read(&s->kicks);
		q->kicks_deferred = u64_stats_read(&s->kicks_deferred);
		q->xmit_more = u64_stats_read(&s->xmit_more);
		q->csum_partial = u64_stats_read(&s->csum_partial);
		q->gso_packets = u64_stats_read(&s->gso_packets);
		q->gso_bytes = u64_stats_read(&s->gso_bytes);
		q->sg = u64_stats_read(&s->sg);
		q->timeouts = u64_stats_read(&s->timeouts);
		q->xdp_xmit = u64_stats_read(&s->xdp_xmit);
		q->xdp_xmit_errors = u64_stats_read(&s->xdp_xmit_errors);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

static void mynet_rx_read(const struct mynet_rx_stats *s,
			  struct mynet_rx_totals *q)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		q->packets = u64_stats_read(&s->packets);
		q->bytes = u64_stats_read(&s->bytes);
		q->multicast = u64_stats_read(&s->multicast);
		q->length_errors = u64_stats_read(&s->length_errors);
		q->drop_purged = u64_stats_read(&s->drop_purged);
		q->drop_purged_bytes = u64_stats_read(&s->drop_purged_bytes);
		q->filtered = u64_stats_read(&s->filtered);
		q->filtered_bytes = u64_stats_read(&s->filtered_bytes);
		q->polls = u64_stats_read(&s->polls);
		q->wakes = u64_stats_read(&s->wakes);
		q->gro_merged = u64_stats_read(&s->gro_merged);
		q->drop_nomem = u64_stats_read(&s->drop_nomem);
		q->xdp_packets = u64_stats_read(&s->xdp_packets);
		q->xdp_bytes = u64_stats_read(&s->xdp_bytes);
		q->xdp_drop = u64_stats_read(&s->xdp_drop);
		q->xdp_tx = u64_stats_read(&s->xdp_tx);
		q->xdp_tx_errors = u64_stats_read(&s->xdp_tx_errors);
		q->xdp_redirect = u64_stats_read(&s->xdp_redirect);
		q->xdp_redirect_errors =
			u64_stats_read(&s->xdp_redirect_errors);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

/* Sum queues [from, to): the totals structs are all u64 counters. */
static void mynet_tx_sum(const struct mynet_priv *priv, unsigned int from,
			 unsigned int to, struct mynet_tx_totals *t)
{
	struct mynet_tx_totals q;
	unsigned int i, j;

	memset(t, 0, sizeof(*t));
	for (i = from; i < to; i++) {
		mynet_tx_read(&priv->tx_stats[i], &q);
		for (j = 0; j < sizeof(q) / sizeof(u64); j++)
			((u64 *)t)[j] += ((u64 *)&q)[j];
	}
}

static void mynet_rx_sum(const struct mynet_priv *priv, unsigned int from,
			 unsigned int to, struct mynet_rx_totals *t)
{
	struct mynet_rx_totals q;
	unsigned int i, j;

	memset(t, 0, sizeof(*t));
	for (i = from; i < to; i++) {
		mynet_rx_read(&priv->rx_stats[i], &q);
		for (j = 0; j < sizeof(q) / sizeof(u64); j++)
			((u64 *)t)[j] += ((u64 *)&q)[j];
	}
}

/**
 * mynet_get_stats64() - ndo_get_stats64
 * @dev: the device
 * @stats: zeroed by the core, filled here
 *
 * Bytes count whole frames, Ethernet header included, on both sides, so
 * one end's tx_bytes equals the other's rx_bytes plus what it dropped.
 *
 * Context: any; may race with the data path, never tears a counter.
 */
void mynet_get_stats64(struct net_device *dev,
		       struct rtnl_link_stats64 *stats)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_totals tx;
	struct mynet_rx_totals rx;

	mynet_tx_sum(priv, 0, dev->num_tx_queues, &tx);
	mynet_rx_sum(priv, 0, dev->num_rx_queues, &rx);

	stats->tx_packets = tx.packets;
	stats->tx_bytes = tx.bytes;
	stats->tx_dropped = tx.drop_peer_down + tx.drop_ring_full +
			    tx.drop_runt + tx.drop_nomem + tx.xdp_xmit_errors;

	stats->rx_packets = rx.packets;
	stats->rx_bytes = rx.bytes;
	stats->multicast = rx.multicast;
	stats->rx_length_errors = rx.length_errors;
	stats->rx_errors = rx.length_errors;
	/* Not the frames our address filter refused: a NIC's filter sits
	 * before its ring, and what it refuses is not a drop (ethtool -S
	 * rx_filtered counts them). Nor what an XDP program dropped: its
	 * verdict, not a failure (ethtool -S rx_xdp_drop). What could not
	 * be delivered for want of memory or room is.
	 */
	stats->rx_dropped = rx.drop_purged + rx.drop_nomem +
			    rx.xdp_tx_errors + rx.xdp_redirect_errors;
}

struct mynet_stat_desc {
	char name[ETH_GSTRING_LEN];
	size_t offset;
};

#define MYNET_TX_STAT(_name, field) \
	{ _name, offsetof(struct mynet_tx_totals, field) }
#define MYNET_RX_STAT(_name, field) \
	{ _name, offsetof(struct mynet_rx_totals, field) }

/* ethtool -S: first the device's totals, then each queue's. */
static const struct mynet_stat_desc mynet_tx_ethtool_stats[] = {
	MYNET_TX_STAT("tx_drop_peer_down", drop_peer_down),
	MYNET_TX_STAT("tx_drop_ring_full", drop_ring_full),
	MYNET_TX_STAT("tx_drop_runt", drop_runt),
	MYNET_TX_STAT("tx_drop_nomem", drop_nomem),
	MYNET_TX_STAT("tx_queue_stops", stops),
	MYNET_TX_STAT("tx_kicks", kicks),
	MYNET_TX_STAT("tx_kicks_deferred", kicks_deferred),
	MYNET_TX_STAT("tx_xmit_more", xmit_more),
	MYNET_TX_STAT("tx_csum_partial", csum_partial),
	MYNET_TX_STAT("tx_gso_packets", gso_packets),
	MYNET_TX_STAT("tx_gso_bytes", gso_bytes),
	MYNET_TX_STAT("tx_sg", sg),
	MYNET_TX_STAT("tx_timeouts", timeouts),
	MYNET_TX_STAT("tx_xdp_xmit", xdp_xmit),
	MYNET_TX_STAT("tx_xdp_xmit_errors", xdp_xmit_errors),
};

static const struct mynet_stat_desc mynet_rx_ethtool_stats[] = {
	MYNET_RX_STAT("rx_drop_purged", drop_purged),
	MYNET_RX_STAT("rx_drop_purged_bytes", drop_purged_bytes),
	MYNET_RX_STAT("rx_filtered", filtered),
	MYNET_RX_STAT("rx_filtered_bytes", filtered_bytes),
	MYNET_RX_STAT("rx_polls", polls),
	MYNET_RX_STAT("rx_peer_queue_wakes", wakes),
	MYNET_RX_STAT("rx_gro_merged", gro_merged),
	MYNET_RX_STAT("rx_drop_nomem", drop_nomem),
	MYNET_RX_STAT("rx_xdp_packets", xdp_packets),
	MYNET_RX_STAT("rx_xdp_bytes", xdp_bytes),
	MYNET_RX_STAT("rx_xdp_drop", xdp_drop),
	MYNET_RX_STAT("rx_xdp_tx", xdp_tx),
	MYNET_RX_STAT("rx_xdp_tx_errors", xdp_tx_errors),
	MYNET_RX_STAT("rx_xdp_redirect", xdp_redirect),
	MYNET_RX_STAT("rx_xdp_redirect_errors", xdp_redirect_errors),
};

/* Per queue in use, as tx<queue>_<name> and rx<queue>_<name>: the
 * activity that explains its traffic, and the traffic itself where the
 * kernel has no qstats to report it.
 */
static const struct mynet_stat_desc mynet_txq_ethtool_stats[] = {
#ifndef MYNET_HAVE_STAT_OPS
	MYNET_TX_STAT("packets", packets),
	MYNET_TX_STAT("bytes", bytes),
	MYNET_TX_STAT("stops", stops),
#endif
	MYNET_TX_STAT("kicks", kicks),
	MYNET_TX_STAT("kicks_deferred", kicks_deferred),
	MYNET_TX_STAT("xmit_more", xmit_more),
	MYNET_TX_STAT("xdp_xmit", xdp_xmit),
	MYNET_TX_STAT("xdp_xmit_errors", xdp_xmit_errors),
};

static const struct mynet_stat_desc mynet_rxq_ethtool_stats[] = {
#ifndef MYNET_HAVE_STAT_OPS
	MYNET_RX_STAT("packets", packets),
	MYNET_RX_STAT("bytes", bytes),
#endif
	MYNET_RX_STAT("polls", polls),
	MYNET_RX_STAT("gro_merged", gro_merged),
	MYNET_RX_STAT("wakes", wakes),
	MYNET_RX_STAT("xdp_packets", xdp_packets),
	MYNET_RX_STAT("xdp_bytes", xdp_bytes),
	MYNET_RX_STAT("xdp_drop", xdp_drop),
	MYNET_RX_STAT("xdp_tx", xdp_tx),
	MYNET_RX_STAT("xdp_tx_errors", xdp_tx_errors),
	MYNET_RX_STAT("xdp_redirect", xdp_redirect),
	MYNET_RX_STAT("xdp_redirect_errors", xdp_redirect_errors),
};

static u64 mynet_stat_at(const void *totals, size_t offset)
{
	return *(const u64 *)((const u8 *)totals + offset);
}

/* The queues in use: both ends always run as many TX as RX queues, and
 * a channel change holds RTNL, as ethtool's calls do, so the count, the
 * names and the values of one call agree.
 */
static unsigned int mynet_stat_queues(const struct net_device *dev)
{
	return dev->real_num_rx_queues;
}

/**
 * mynet_ethtool_stats_count() - how many counters ethtool -S shows
 * @dev: the device
 *
 * Return: the count, which changes with the channel count.
 */
int mynet_ethtool_stats_count(struct net_device *dev)
{
	return ARRAY_SIZE(mynet_tx_ethtool_stats) +
	       ARRAY_SIZE(mynet_rx_ethtool_stats) +
	       mynet_stat_queues(dev) * (ARRAY_SIZE(mynet_txq_ethtool_stats) +
					 ARRAY_SIZE(mynet_rxq_ethtool_stats));
}

/**
 * mynet_ethtool_stats_strings() - the counters' names, in order
 * @dev: the device
 * @data: ETH_GSTRING_LEN bytes per counter
 */
void mynet_ethtool_stats_strings(struct net_device *dev, u8 *data)
{
	unsigned int i, q;

	for (i = 0; i < ARRAY_SIZE(mynet_tx_ethtool_stats); i++)
		ethtool_puts(&data, mynet_tx_ethtool_stats[i].name);
	for (i = 0; i < ARRAY_SIZE(mynet_rx_ethtool_stats); i++)
		ethtool_puts(&data, mynet_rx_ethtool_stats[i].name);

	for (q = 0; q < mynet_stat_queues(dev); q++) {
		for (i = 0; i < ARRAY_SIZE(mynet_txq_ethtool_stats); i++)
			ethtool_sprintf(&data, "tx%u_%s", q,
					mynet_txq_ethtool_stats[i].name);
		for (i = 0; i < ARRAY_SIZE(mynet_rxq_ethtool_stats); i++)
			ethtool_sprintf(&data, "rx%u_%s", q,
					mynet_rxq_ethtool_stats[i].name);
	}
}

/**
 * mynet_ethtool_stats_fill() - the counters' values, in the same order
 * @dev: the device
 * @data: one u64 per counter
 */
void mynet_ethtool_stats_fill(struct net_device *dev, u64 *data)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_totals tx;
	struct mynet_rx_totals rx;
	unsigned int i, q;

	mynet_tx_sum(priv, 0, dev->num_tx_queues, &tx);
	mynet_rx_sum(priv, 0, dev->num_rx_queues, &rx);

	for (i = 0; i < ARRAY_SIZE(mynet_tx_ethtool_stats); i++)
		*data++ = mynet_stat_at(&tx, mynet_tx_ethtool_stats[i].offset);
	for (i = 0; i < ARRAY_SIZE(mynet_rx_ethtool_stats); i++)
		*data++ = mynet_stat_at(&rx, mynet_rx_ethtool_stats[i].offset);

	for (q = 0; q < mynet_stat_queues(dev); q++) {
		mynet_tx_read(&priv->tx_stats[q], &tx);
		mynet_rx_read(&priv->rx_stats[q], &rx);
		for (i = 0; i < ARRAY_SIZE(mynet_txq_ethtool_stats); i++)
			*data++ = mynet_stat_at(&tx,
					mynet_txq_ethtool_stats[i].offset);
		for (i = 0; i < ARRAY_SIZE(mynet_rxq_ethtool_stats); i++)
			*data++ = mynet_stat_at(&rx,
					mynet_rxq_ethtool_stats[i].offset);
	}
}

#ifdef MYNET_HAVE_STAT_OPS
/*
 * Per-queue statistics over netlink ("netdev qstats-get", 6.9). A queue
 * reports packets and bytes, and a TX queue its ring-full stops; queues
 * not in use report through the base stats, so that queues + base equal
 * the ndo_get_stats64 totals.
 */
static void mynet_get_queue_stats_rx(struct net_device *dev, int idx,
				     struct netdev_queue_stats_rx *qs)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rx_totals q;

	mynet_rx_read(&priv->rx_stats[idx], &q);
	qs->packets = q.packets;
	qs->bytes = q.bytes;
}

static void mynet_get_queue_stats_tx(struct net_device *dev, int idx,
				     struct netdev_queue_stats_tx *qs)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_totals q;

	mynet_tx_read(&priv->tx_stats[idx], &q);
	qs->packets = q.packets;
	qs->bytes = q.bytes;
	qs->needs_csum = q.csum_partial;
	qs->stop = q.stops;
}

static void mynet_get_base_stats(struct net_device *dev,
				 struct netdev_queue_stats_rx *rxs,
				 struct netdev_queue_stats_tx *txs)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_totals tx;
	struct mynet_rx_totals rx;

	mynet_rx_sum(priv, dev->real_num_rx_queues, dev->num_rx_queues,
		     &rx);
	mynet_tx_sum(priv, dev->real_num_tx_queues, dev->num_tx_queues,
		     &tx);

	rxs->packets = rx.packets;
	rxs->bytes = rx.bytes;
	txs->packets = tx.packets;
	txs->bytes = tx.bytes;
	txs->needs_csum = tx.csum_partial;
	txs->stop = tx.stops;
}

const struct netdev_stat_ops mynet_stat_ops = {
	.get_queue_stats_rx	= mynet_get_queue_stats_rx,
	.get_queue_stats_tx	= mynet_get_queue_stats_tx,
	.get_base_stats		= mynet_get_base_stats,
};
#endif
