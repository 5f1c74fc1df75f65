/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mynetdrv: a virtual Ethernet NIC pair looped through NAPI.
 *
 * Everything the driver's files share: the private structures, the
 * receive ring, the statistics and the prototypes. See README.md for the
 * data path and Documentation-style notes on locking.
 */
#ifndef _MYNETDRV_H
#define _MYNETDRV_H

#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>

#include "compat.h"

#define MYNET_DRV_NAME		"mynetdrv"
#define MYNET_DRV_VERSION	"0.1.0"

/* Queues allocated per device; the pair's ends always use the same count. */
#define MYNET_MAX_QUEUES	16
#define MYNET_DEF_QUEUES	1

/* Receive ring slots (a power of two), as a NIC's RX descriptor ring. */
#define MYNET_RING_SIZE		256

/* Jumbo frames up to 9000 bytes of payload, as common NICs allow. */
#define MYNET_MAX_MTU		9000

/* Pairs created at module load: numpairs=0 means "only ip link add". */
#define MYNET_MAX_PAIRS		64

/*
 * Transmit counters of one queue. The only writer is ndo_start_xmit, which
 * the core serializes per queue with the txq lock (the driver is not LLTX),
 * so a u64_stats_sync is all the readers need.
 */
struct mynet_tx_stats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t drop_peer_down;	/* no peer, or the peer is down */
	u64_stats_t drop_ring_full;	/* queue running yet ring full */
	u64_stats_t drop_runt;		/* shorter than an Ethernet header */
	u64_stats_t drop_nomem;		/* no memory to make it ours */
	u64_stats_t stops;		/* queue stopped: peer's ring full */
	u64_stats_t kicks;		/* peer NAPI scheduled, once a burst */
} ____cacheline_aligned_in_smp;

/*
 * Receive counters of one queue. Written by that queue's NAPI poll, or
 * under RTNL while the NAPI is disabled (purging the ring at close).
 */
struct mynet_rx_stats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t multicast;
	u64_stats_t length_errors;	/* frame too long for our MTU */
	u64_stats_t drop_purged;	/* still in the ring at close */
	u64_stats_t polls;		/* NAPI poll calls that ran */
	u64_stats_t wakes;		/* peer's stopped queue woken */
} ____cacheline_aligned_in_smp;

/*
 * One receive queue: a single-producer single-consumer ring of skb
 * pointers and the NAPI instance that drains it.
 *
 * The producer is the peer's ndo_start_xmit for the matching TX queue
 * (serialized by that txq's lock); the consumer is this queue's NAPI poll.
 * @tail and @head are free-running u32 indices: the ring holds
 * tail - head skbs. Each index has one writer and sits on its own cache
 * line, so producer and consumer do not bounce one line between CPUs.
 */
struct mynet_rq {
	/* Read-mostly, fixed while the device is up. */
	struct sk_buff **slots;
	u32 mask;			/* ring size - 1 */
	u16 index;
	struct net_device *dev;		/* the receiving device */
	struct mynet_rx_stats *stats;

	/* Written by the producer only. */
	u32 tail ____cacheline_aligned_in_smp;

	/* Written by the consumer only. */
	u32 head ____cacheline_aligned_in_smp;
	struct napi_struct napi;
};

/* The receive side of an open device; freed when the device goes down. */
struct mynet_rx {
	unsigned int num_queues;
	struct mynet_rq rq[] __counted_by(num_queues);
};

struct mynet_priv {
	struct net_device *dev;
	/* The other end; NULL once either end is being deleted. */
	struct net_device __rcu *peer;
	/* Receive rings; NULL while the device is down (what the peer's
	 * xmit checks before it may touch them).
	 */
	struct mynet_rx __rcu *rx;

	/* Counters live here, not in the rings, so they survive down/up. */
	struct mynet_tx_stats tx_stats[MYNET_MAX_QUEUES];
	struct mynet_rx_stats rx_stats[MYNET_MAX_QUEUES];
};

/* mynetdrv.c */
extern const struct net_device_ops mynet_netdev_ops;
struct net_device *mynet_alloc(const char *name,
			       unsigned char name_assign_type,
			       unsigned int txqs, unsigned int rxqs);

/* napi.c: the data path */
int mynet_rx_open(struct net_device *dev);
void mynet_rx_close(struct net_device *dev);
netdev_tx_t mynet_start_xmit(struct sk_buff *skb, struct net_device *dev);

/* stats.c */
void mynet_get_stats64(struct net_device *dev,
		       struct rtnl_link_stats64 *stats);
void mynet_stats_init(struct mynet_priv *priv);
int mynet_ethtool_stats_count(void);
void mynet_ethtool_stats_strings(u8 *data);
void mynet_ethtool_stats_fill(struct net_device *dev, u64 *data);

#ifdef MYNET_HAVE_STAT_OPS
extern const struct netdev_stat_ops mynet_stat_ops;
#endif

/* ethtool.c */
extern const struct ethtool_ops mynet_ethtool_ops;

/* rtnl.c */
extern struct rtnl_link_ops mynet_link_ops;
int mynet_create_pair(struct net *net);

#endif /* _MYNETDRV_H */
