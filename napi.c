// SPDX-License-Identifier: GPL-2.0
/*
 * The data path. A frame sent on one end of a pair travels like this:
 *
 *   mynet_start_xmit()        sender's CPU; BH off (IRQs off for netpoll);
 *                             the TX queue's lock held by the core
 *     mynet_ring_produce()    skb pointer into the peer's rq->slots[tail]:
 *                             the skb itself is never copied
 *     mynet_maybe_stop()      stop this TX queue if the ring just filled
 *     napi_schedule()         the "RX interrupt", once per xmit_more burst
 *
 *   mynet_poll()              NET_RX softirq of the receiving end
 *     mynet_rx()              up to budget skbs off the ring:
 *                             eth_type_trans(), napi_gro_receive()
 *     mynet_wake_peer()       restart the sender's queue once there is room
 *     napi_complete_done()    then re-check the ring, so no frame waits
 *
 * Each receive ring has exactly one producer (the peer's TX queue of the
 * same index, serialized by that queue's lock) and one consumer (this
 * device's NAPI), so it needs no lock: only the ordering of the two
 * indices, documented where they are written.
 */

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/overflow.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/sch_generic.h>

#include "mynetdrv.h"

/* Wake a stopped sender only once a quarter of the ring is free, so it
 * does not stop again after a frame or two.
 */
#define MYNET_WAKE_THRESH(rq)	(((rq)->mask + 1) / 4)

/* Producer side: does the ring lack room for one more skb? */
static bool mynet_ring_full(const struct mynet_rq *rq)
{
	/* Acquire pairs with the consumer's release of head: it has read
	 * a slot before the producer may reuse it.
	 */
	return rq->tail - smp_load_acquire(&rq->head) > rq->mask;
}

static void mynet_ring_produce(struct mynet_rq *rq, struct sk_buff *skb)
{
	u32 tail = rq->tail;

	rq->slots[tail & rq->mask] = skb;
	/* The slot must be visible before the index that exposes it. */
	smp_store_release(&rq->tail, tail + 1);
}

/* Consumer side: has the producer queued anything we have not taken? */
static bool mynet_ring_pending(const struct mynet_rq *rq)
{
	/* Acquire pairs with the release in mynet_ring_produce(). */
	return smp_load_acquire(&rq->tail) != rq->head;
}

/* Consumer side: free slots, as the producer will see them. */
static u32 mynet_ring_space(const struct mynet_rq *rq)
{
	return rq->mask + 1 - (READ_ONCE(rq->tail) - rq->head);
}

/* Free an skb from any context: netpoll transmits with IRQs off, where
 * kfree_skb() must not run the skb's destructor.
 */
static void mynet_free_skb_any(struct sk_buff *skb,
			       enum skb_drop_reason reason)
{
	if (in_hardirq() || irqs_disabled())
		dev_kfree_skb_irq(skb);
	else
		kfree_skb_reason(skb, reason);
}

static void mynet_tx_drop(struct mynet_tx_stats *stats, u64_stats_t *counter,
			  struct sk_buff *skb, enum skb_drop_reason reason)
{
	mynet_free_skb_any(skb, reason);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(counter);
	u64_stats_update_end(&stats->syncp);
}

/* Raise the peer's "RX interrupt". */
static void mynet_kick(struct mynet_rq *rq, struct mynet_tx_stats *stats)
{
	napi_schedule(&rq->napi);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->kicks);
	u64_stats_update_end(&stats->syncp);
}

/* Is a queueing qdisc attached, or "noqueue"? Caller holds RCU. */
static bool mynet_txq_has_qdisc(struct netdev_queue *txq)
{
	return rcu_dereference(txq->qdisc)->enqueue;
}

/*
 * Stop the queue while the ring is full, so that under a qdisc the core
 * holds further frames instead of us dropping them. Without one
 * ("noqueue") the core would drop whatever meets a stopped queue, and
 * complain: there the queue keeps running and a frame that finds the
 * ring full is ours to drop and count.
 */
static void mynet_maybe_stop(struct mynet_rq *rq, struct netdev_queue *txq,
			     struct mynet_tx_stats *stats)
{
	if (likely(!mynet_ring_full(rq)) || !mynet_txq_has_qdisc(txq))
		return;

	netif_tx_stop_queue(txq);
	/* Pairs with smp_mb() in mynet_wake_peer(): either the consumer
	 * sees the queue stopped and wakes it, or we see the slots it
	 * freed and restart the queue ourselves.
	 */
	smp_mb__after_atomic();
	if (unlikely(!mynet_ring_full(rq))) {
		netif_tx_start_queue(txq);
		return;
	}

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->stops);
	u64_stats_update_end(&stats->syncp);
}

/**
 * mynet_start_xmit() - hand a frame to the peer's receive ring
 * @skb: the frame, starting at its Ethernet header
 * @dev: the sending end
 *
 * Never returns NETDEV_TX_BUSY: the queue is stopped before the ring can
 * be full. A frame that cannot be delivered is freed and counted under
 * the reason it was dropped.
 *
 * Context: BH disabled (IRQs disabled for netpoll), TX queue lock held.
 * Return: NETDEV_TX_OK.
 */
netdev_tx_t mynet_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	u16 qid = skb_get_queue_mapping(skb);
	struct mynet_tx_stats *stats = &priv->tx_stats[qid];
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qid);
	struct net_device *peer;
	struct mynet_rx *rx = NULL;
	struct mynet_rq *rq;
	unsigned int len;

	/* The peer and its rings are freed only after a grace period. */
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (likely(peer)) {
		struct mynet_priv *peer_priv = netdev_priv(peer);

		rx = rcu_dereference(peer_priv->rx);
	}
	/* Both ends run the same number of queues: TX queue i feeds RX
	 * queue i, the one ring it alone produces into.
	 */
	if (unlikely(!rx || WARN_ON_ONCE(qid >= rx->num_queues))) {
		mynet_tx_drop(stats, &stats->drop_peer_down, skb,
			      SKB_DROP_REASON_DEV_READY);
		goto out;
	}
	rq = &rx->rq[qid];

	if (unlikely(skb->len < ETH_HLEN)) {
		mynet_tx_drop(stats, &stats->drop_runt, skb,
			      SKB_DROP_REASON_PKT_TOO_SMALL);
		goto out;
	}

	/* The receiver must own every byte: copy pages a zerocopy sender
	 * only lent us (GRO would otherwise merge them), and make the
	 * Ethernet header linear for eth_type_trans().
	 */
	if (unlikely(skb_orphan_frags(skb, GFP_ATOMIC) ||
		     !pskb_may_pull(skb, ETH_HLEN))) {
		mynet_tx_drop(stats, &stats->drop_nomem, skb,
			      SKB_DROP_REASON_NOMEM);
		goto out;
	}

	if (unlikely(mynet_ring_full(rq))) {
		/* Only without a qdisc, where the queue is never stopped
		 * (see mynet_maybe_stop()). Earlier frames of a burst may be
		 * waiting for the kick this one would have given.
		 */
		mynet_tx_drop(stats, &stats->drop_ring_full, skb,
			      SKB_DROP_REASON_FULL_RING);
		mynet_kick(rq, stats);
		goto out;
	}

	/* Last touches of the sender: from the ring on, the skb is the
	 * receiver's. Crossing the wire leaves the sender's routing and
	 * conntrack state behind, and its namespace's marks when the ends
	 * live in different namespaces.
	 */
	len = skb->len;
	skb_tx_timestamp(skb);
	skb_scrub_packet(skb, !net_eq(dev_net(dev), dev_net(peer)));
	skb->priority = 0;
	mynet_ring_produce(rq, skb);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->packets);
	u64_stats_add(&stats->bytes, len);
	u64_stats_update_end(&stats->syncp);

	mynet_maybe_stop(rq, txq, stats);

	/* One kick per burst; a stopped queue ends the burst early. */
	if (!netdev_xmit_more() || netif_xmit_stopped(txq))
		mynet_kick(rq, stats);
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

/* Take up to @budget frames off the ring and pass them to GRO. */
static int mynet_rx(struct mynet_rq *rq, int budget)
{
	u64 packets = 0, bytes = 0, multicast = 0, length_errors = 0;
	struct mynet_rx_stats *stats = rq->stats;
	struct net_device *dev = rq->dev;
	u32 head = rq->head, tail = head;
	unsigned int max_len;
	int done = 0;

	/* Like a NIC's frame size limit: MTU plus Ethernet and VLAN header. */
	max_len = READ_ONCE(dev->mtu) + ETH_HLEN + VLAN_HLEN;

	while (done < budget) {
		struct sk_buff *skb;

		if (head == tail) {
			/* Pairs with the release in mynet_ring_produce(). */
			tail = smp_load_acquire(&rq->tail);
			if (head == tail)
				break;
		}
		skb = rq->slots[head++ & rq->mask];
		done++;

		/* GSO frames are segments of the sender's MTU, checked
		 * there; a plain frame must fit ours.
		 */
		if (unlikely(skb->len > max_len && !skb_is_gso(skb))) {
			length_errors++;
			kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_BIG);
			continue;
		}

		packets++;
		bytes += skb->len;
		skb->protocol = eth_type_trans(skb, dev);
		skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
		if (skb->pkt_type == PACKET_MULTICAST)
			multicast++;
		skb_record_rx_queue(skb, rq->index);
		napi_gro_receive(&rq->napi, skb);
	}

	/* Hand the slots back: we are done reading them. */
	smp_store_release(&rq->head, head);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->polls);
	u64_stats_add(&stats->packets, packets);
	u64_stats_add(&stats->bytes, bytes);
	u64_stats_add(&stats->multicast, multicast);
	u64_stats_add(&stats->length_errors, length_errors);
	u64_stats_update_end(&stats->syncp);

	return done;
}

/* Restart the sender's queue that this ring's fill stopped. */
static void mynet_wake_peer(struct mynet_rq *rq)
{
	struct mynet_priv *priv = netdev_priv(rq->dev);
	struct netdev_queue *txq;
	struct net_device *peer;

	/* Pairs with smp_mb__after_atomic() in mynet_maybe_stop(): our new
	 * head is visible before we look at the queue's state.
	 */
	smp_mb();

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (!peer)
		goto unlock;
	txq = netdev_get_tx_queue(peer, rq->index);
	if (netif_tx_queue_stopped(txq) &&
	    mynet_ring_space(rq) >= MYNET_WAKE_THRESH(rq)) {
		netif_tx_wake_queue(txq);

		u64_stats_update_begin(&rq->stats->syncp);
		u64_stats_inc(&rq->stats->wakes);
		u64_stats_update_end(&rq->stats->syncp);
	}
unlock:
	rcu_read_unlock();
}

/* The NAPI contract (Documentation/networking/napi.rst). */
static int mynet_poll(struct napi_struct *napi, int budget)
{
	struct mynet_rq *rq = container_of(napi, struct mynet_rq, napi);
	int done;

	/* Budget 0 is netpoll asking for TX completions only: we have none,
	 * and RX must not run in its context.
	 */
	if (unlikely(!budget))
		return 0;

	done = mynet_rx(rq, budget);
	mynet_wake_peer(rq);

	/* Work remains: keep the NAPI scheduled, the core polls us again. */
	if (done == budget)
		return budget;

	if (napi_complete_done(napi, done)) {
		/* A frame queued after our last look, whose kick was
		 * deferred to the end of its burst or found us still
		 * scheduled, would otherwise wait for the next one.
		 */
		smp_mb();
		if (mynet_ring_pending(rq))
			napi_schedule(napi);
	}
	return done;
}

/* Close: free what the peer queued that we will never deliver. */
static void mynet_rq_purge(struct mynet_rq *rq)
{
	u32 head = rq->head, tail = rq->tail;
	u32 purged = tail - head;

	while (head != tail)
		kfree_skb_reason(rq->slots[head++ & rq->mask],
				 SKB_DROP_REASON_DEV_READY);
	rq->head = head;

	u64_stats_update_begin(&rq->stats->syncp);
	u64_stats_add(&rq->stats->drop_purged, purged);
	u64_stats_update_end(&rq->stats->syncp);
}

/**
 * mynet_rx_open() - allocate the receive rings and start their NAPIs
 * @dev: the device being opened
 *
 * Like a NIC, rings exist only while the device is up. They are
 * published to the peer last, once their NAPIs can run.
 *
 * Context: process, RTNL held.
 * Return: 0 or -ENOMEM, with nothing left allocated.
 */
int mynet_rx_open(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int n = dev->real_num_rx_queues;
	struct mynet_rx *rx;
	unsigned int i;

	rx = kzalloc(struct_size(rx, rq, n), GFP_KERNEL);
	if (!rx)
		return -ENOMEM;
	rx->num_queues = n;

	for (i = 0; i < n; i++) {
		struct mynet_rq *rq = &rx->rq[i];

		rq->slots = kvcalloc(MYNET_RING_SIZE, sizeof(*rq->slots),
				     GFP_KERNEL);
		if (!rq->slots)
			goto free_rings;
		rq->mask = MYNET_RING_SIZE - 1;
		rq->index = i;
		rq->dev = dev;
		rq->stats = &priv->rx_stats[i];
		mynet_napi_add(dev, &rq->napi, mynet_poll, i);
	}

	for (i = 0; i < n; i++) {
		napi_enable(&rx->rq[i].napi);
		mynet_rx_queue_set_napi(dev, i, &rx->rq[i].napi);
	}

	rcu_assign_pointer(priv->rx, rx);
	return 0;

free_rings:
	while (i--) {
		netif_napi_del(&rx->rq[i].napi);
		kvfree(rx->rq[i].slots);
	}
	kfree(rx);
	return -ENOMEM;
}

/**
 * mynet_rx_close() - stop the NAPIs and free the receive rings
 * @dev: the device being closed
 *
 * Frames still on the rings are dropped and counted. The peer's queues
 * are woken: if our full ring stopped them, they now drop "peer down"
 * instead of waiting for a ring that is gone.
 *
 * Context: process, RTNL held.
 */
void mynet_rx_close(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rx *rx = rtnl_dereference(priv->rx);
	struct net_device *peer;
	unsigned int i;

	if (!rx)
		return;

	/* Unpublish, then wait out any peer xmit still using the rings. */
	RCU_INIT_POINTER(priv->rx, NULL);
	synchronize_net();

	for (i = 0; i < rx->num_queues; i++) {
		mynet_rx_queue_set_napi(dev, i, NULL);
		napi_disable(&rx->rq[i].napi);
		mynet_rq_purge(&rx->rq[i]);
		__netif_napi_del(&rx->rq[i].napi);
	}
	/* One grace period for all the NAPIs unlinked above. */
	synchronize_net();

	for (i = 0; i < rx->num_queues; i++)
		kvfree(rx->rq[i].slots);
	kfree(rx);

	peer = rtnl_dereference(priv->peer);
	if (peer && netif_running(peer))
		netif_tx_wake_all_queues(peer);
}
