/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mynetdrv: a virtual Ethernet NIC pair looped through NAPI.
 *
 * Everything the driver's files share: the private structures, the
 * receive ring, the statistics and the prototypes. See
 * Documentation/design.rst for the data path and the locking rules.
 */
#ifndef _MYNETDRV_H
#define _MYNETDRV_H

#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/if_ether.h>
#include <linux/jump_label.h>
#include <linux/netdevice.h>
#include <linux/seqlock.h>
#include <linux/u64_stats_sync.h>
#include <net/xdp.h>

#include "compat.h"

#define MYNET_DRV_NAME		"mynetdrv"
#define MYNET_DRV_VERSION	"0.1.0"

/* Queues allocated per device; the pair's ends always use the same count. */
#define MYNET_MAX_QUEUES	16

/* Receive ring slots, as a NIC's RX descriptor ring: a power of two. */
#define MYNET_RING_SIZE		256
#define MYNET_RING_MIN		64
#define MYNET_RING_MAX		4096

/* Interrupt moderation bounds (ethtool -C rx-usecs, rx-frames). */
#define MYNET_MAX_RX_USECS	10000
#define MYNET_MAX_RX_FRAMES	4096

/* Exact-match receive filter entries; beyond them, promisc/allmulti. */
#define MYNET_FILTER_ENTRIES	32

/* The TX watchdog: a queue stopped this long is stuck. */
#define MYNET_TX_TIMEOUT	(5 * HZ)

/* Messages logged by default (ethtool -s DEV msglvl). */
#define MYNET_MSG_DEFAULT	(NETIF_MSG_DRV | NETIF_MSG_TX_ERR)

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
	u64_stats_t kicks;		/* peer NAPI scheduled at once */
	u64_stats_t kicks_deferred;	/* left to the peer's irq timer */
	u64_stats_t xmit_more;		/* kick deferred to the batch end */
	u64_stats_t csum_partial;	/* checksum left to the receiver */
	u64_stats_t gso_packets;	/* GSO super-frames, one skb each */
	u64_stats_t gso_bytes;
	u64_stats_t sg;			/* frames with page fragments */
	u64_stats_t timeouts;		/* watchdog found the queue stuck */
	u64_stats_t xdp_xmit;		/* frames sent by ndo_xdp_xmit */
	u64_stats_t xdp_xmit_errors;	/* ndo_xdp_xmit frames refused */
} ____cacheline_aligned_in_smp;

/*
 * Receive counters of one queue. Written by that queue's NAPI poll, or
 * under RTNL while the NAPI is disabled (purging or moving the ring at
 * close, resize and channel changes).
 */
struct mynet_rx_stats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t multicast;
	u64_stats_t length_errors;	/* frame too long for our MTU */
	u64_stats_t drop_purged;	/* ring freed or shrunk under them */
	u64_stats_t drop_purged_bytes;
	u64_stats_t filtered;		/* refused by our MAC address filter */
	u64_stats_t filtered_bytes;
	u64_stats_t polls;		/* NAPI poll calls that ran */
	u64_stats_t wakes;		/* peer's stopped queue woken */
	u64_stats_t gro_merged;		/* merged by GRO into an earlier skb */
	u64_stats_t drop_nomem;		/* no memory for the frame's buffer */
	u64_stats_t xdp_packets;	/* frames our XDP program ran on */
	u64_stats_t xdp_bytes;
	u64_stats_t xdp_drop;		/* XDP_DROP, ABORTED, bad verdicts */
	u64_stats_t xdp_tx;		/* XDP_TX: sent back to the peer */
	u64_stats_t xdp_tx_errors;	/* XDP_TX the peer could not take */
	u64_stats_t xdp_redirect;	/* XDP_REDIRECT */
	u64_stats_t xdp_redirect_errors;
} ____cacheline_aligned_in_smp;

/*
 * One receive queue: a single-producer single-consumer ring of frames
 * and the NAPI instance that drains it.
 *
 * A slot holds an skb, or an xdp_frame tagged with MYNET_XDP_FRAME (see
 * napi.c): what the peer's XDP_TX and ndo_xdp_xmit send, which crosses
 * the pair without becoming an skb. The producer is the peer's TX queue of
 * the matching index: its ndo_start_xmit, and the peer's XDP_TX and
 * ndo_xdp_xmit, which take that queue's lock to produce; the consumer is
 * this queue's NAPI poll. @tail and @head are free-running u32 indices:
 * the ring holds tail - head frames. Each index has one writer and sits on
 * its own cache line, so producer and consumer do not bounce one line
 * between CPUs.
 */
struct mynet_rq {
	/* Read-mostly, fixed for the ring's life. */
	void **slots;
	u32 mask;			/* ring size - 1 */
	u16 index;
	struct net_device *dev;		/* the receiving device */
	struct mynet_priv *priv;	/* its private data */
	struct mynet_rx_stats *stats;
	/* Pages an XDP program's frames are copied into, and the memory
	 * model XDP_TX and XDP_REDIRECT return them with (xdp.c).
	 */
	struct page_pool *page_pool;
	struct xdp_rxq_info xdp_rxq;

	/* Written by the producer only; the timer is its deferred kick. */
	u32 tail ____cacheline_aligned_in_smp;
	struct hrtimer irq_timer;

	/* Written by the consumer only. */
	u32 head ____cacheline_aligned_in_smp;
	struct napi_struct napi;
};

/*
 * The receive address filter a NIC programs from ndo_set_rx_mode: exact
 * matches for the addresses the stack asked for, plus the two modes.
 */
struct mynet_rx_filter {
	bool promisc;
	bool allmulti;
	unsigned int n_uc;
	unsigned int n_mc;
	u8 uc[MYNET_FILTER_ENTRIES][ETH_ALEN];
	u8 mc[MYNET_FILTER_ENTRIES][ETH_ALEN];
};

struct mynet_selftest;

struct mynet_priv {
	struct net_device *dev;
	/* The other end; NULL once either end is being deleted. */
	struct net_device __rcu *peer;
	/* Receive queues in use; NULL while the device is down, or for a
	 * queue beyond the channel count (what the peer's xmit checks
	 * before it may touch a ring).
	 */
	struct mynet_rq __rcu *rq[MYNET_MAX_QUEUES];

	/* Settings: written under RTNL, read locklessly by the data path. */
	u32 ring_size;			/* slots of each receive ring */
	u32 rx_usecs;			/* moderation of our RX interrupt */
	u32 rx_frames;
	u32 msg_enable;
	u32 speed;
	u8 duplex;

	/* Written by ndo_set_rx_mode, read by our NAPI polls. */
	seqlock_t filter_lock;
	struct mynet_rx_filter filter;

	/* The XDP program every receive queue runs, or NULL (xdp.c). */
	struct bpf_prog __rcu *xdp_prog;

	/* An ethtool self-test waiting for its frames, or NULL. */
	struct mynet_selftest __rcu *selftest;

	/* Counters live here, not in the rings, so they survive down/up:
	 * one per queue the device has (num_tx_queues, num_rx_queues),
	 * allocated by ndo_init, freed by priv_destructor once nothing can
	 * read them.
	 */
	struct mynet_tx_stats *tx_stats;
	struct mynet_rx_stats *rx_stats;
};

/* mynetdrv.c */
extern const struct net_device_ops mynet_netdev_ops;
struct net_device *mynet_alloc(const char *name,
			       unsigned char name_assign_type,
			       unsigned int txqs, unsigned int rxqs);

/* napi.c: the data path */
DECLARE_STATIC_KEY_FALSE(mynet_faults);
extern atomic_t mynet_lose_kicks;
extern atomic_t mynet_xmit_fail_nth;
extern atomic_t mynet_poll_delay_us;
netdev_tx_t mynet_start_xmit(struct sk_buff *skb, struct net_device *dev);
netdev_features_t mynet_features_check(struct sk_buff *skb,
				       struct net_device *dev,
				       netdev_features_t features);
void mynet_tx_timeout(struct net_device *dev, unsigned int txqueue);
int mynet_poll(struct napi_struct *napi, int budget);
enum hrtimer_restart mynet_irq_timer(struct hrtimer *timer);
u32 mynet_rq_move(struct mynet_rq *from, struct mynet_rq *to);
bool mynet_rq_full(const struct mynet_rq *rq);
void mynet_rq_filled(struct mynet_rq *rq, struct netdev_queue *txq);
void mynet_rq_purge(struct mynet_rq *rq);
int mynet_xmit_frames(struct net_device *dev, unsigned int qid,
		      struct xdp_frame **frames, int n, bool ndo_xmit,
		      bool kick);

/*
 * A ring slot holds an skb, or an xdp_frame with this bit set (both are
 * at least word aligned): XDP frames cross the pair as they are.
 */
#define MYNET_XDP_FRAME		0x1UL

static inline bool mynet_is_frame(const void *entry)
{
	return (unsigned long)entry & MYNET_XDP_FRAME;
}

static inline struct xdp_frame *mynet_to_frame(void *entry)
{
	return (struct xdp_frame *)((unsigned long)entry & ~MYNET_XDP_FRAME);
}

static inline void *mynet_frame_entry(struct xdp_frame *frame)
{
	return (void *)((unsigned long)frame | MYNET_XDP_FRAME);
}

/* xdp.c: native XDP */

/* The largest frame in one page: headroom before it, and room for the
 * skb_shared_info an skb built on the page needs after it. A program
 * without frags support takes no larger frame.
 */
#define MYNET_XDP_MAX_FRAME	(PAGE_SIZE - XDP_PACKET_HEADROOM - \
				 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))

/* What one poll's XDP program did: the frames it sent back with XDP_TX,
 * sent across the pair together, and its counts, added to the queue's
 * counters once.
 */
#define MYNET_XDP_TX_BULK	16
struct mynet_xdp_ctx {
	struct bpf_prog *prog;
	unsigned int n_tx;
	bool redirected;
	u64 packets;
	u64 bytes;
	u64 drop;
	u64 tx_sent;
	u64 tx_errors;
	u64 redirect;
	u64 redirect_errors;
	u64 nomem;
	/* Last: not cleared for each poll. */
	struct xdp_frame *tx[MYNET_XDP_TX_BULK];
};

/*
 * XDP needs the page pool, which an in-tree driver would select: a kernel
 * built without it (the lab's debug kernel) gets no XDP, and the device
 * says so to the core by having no ndo_bpf. Nothing below then runs: no
 * program is ever attached and no peer sends frames.
 */
#if IS_ENABLED(CONFIG_PAGE_POOL)
#define MYNET_XDP	1
int mynet_bpf(struct net_device *dev, struct netdev_bpf *bpf);
int mynet_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		   u32 flags);
struct sk_buff *mynet_xdp_run(struct mynet_rq *rq, struct mynet_xdp_ctx *ctx,
			      void *entry, unsigned int len);
void mynet_xdp_done(struct mynet_rq *rq, struct mynet_xdp_ctx *ctx);
struct sk_buff *mynet_xdp_frame_to_skb(struct mynet_rq *rq,
				       struct xdp_frame *frame);
int mynet_rq_xdp_init(struct mynet_rq *rq, u32 size);
void mynet_rq_xdp_free(struct mynet_rq *rq);
#else
static inline struct sk_buff *mynet_xdp_run(struct mynet_rq *rq,
					    struct mynet_xdp_ctx *ctx,
					    void *entry, unsigned int len)
{
	return NULL;
}

static inline void mynet_xdp_done(struct mynet_rq *rq,
				  struct mynet_xdp_ctx *ctx)
{
}

static inline struct sk_buff *mynet_xdp_frame_to_skb(struct mynet_rq *rq,
						     struct xdp_frame *frame)
{
	return NULL;
}

static inline int mynet_rq_xdp_init(struct mynet_rq *rq, u32 size)
{
	return 0;
}

static inline void mynet_rq_xdp_free(struct mynet_rq *rq)
{
}
#endif

/* rings.c: receive queues' life, resize and channel changes */
int mynet_rx_open(struct net_device *dev);
void mynet_rx_close(struct net_device *dev);
int mynet_set_ring_size(struct net_device *dev, u32 size);
int mynet_set_queue_count(struct net_device *dev, unsigned int count);
unsigned int mynet_max_queues(struct net_device *dev);
void mynet_tx_start(struct net_device *dev);

/* filter.c */
void mynet_set_rx_mode(struct net_device *dev);
bool mynet_rx_filter_pass(struct mynet_priv *priv, const u8 *dest,
			  bool multicast);

/* selftest.c */
#define MYNET_TEST_ETHERTYPE	ETH_P_802_EX1
int mynet_selftest_count(void);
void mynet_selftest_strings(u8 *data);
void mynet_selftest_run(struct net_device *dev, struct ethtool_test *test,
			u64 *data);
bool mynet_selftest_rx(struct mynet_priv *priv, struct sk_buff *skb);

/* stats.c */
void mynet_get_stats64(struct net_device *dev,
		       struct rtnl_link_stats64 *stats);
int mynet_stats_alloc(struct net_device *dev);
void mynet_stats_free(struct net_device *dev);
int mynet_ethtool_stats_count(struct net_device *dev);
void mynet_ethtool_stats_strings(struct net_device *dev, u8 *data);
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
