// SPDX-License-Identifier: GPL-2.0
/*
 * The data path. A frame sent on one end of a pair travels like this:
 *
 *   mynet_start_xmit()        sender's CPU; BH off (IRQs off for netpoll);
 *                             the TX queue's lock held by the core
 *     mynet_ring_produce()    skb pointer into the peer's rq->slots[tail]:
 *                             the skb itself is never copied
 *     mynet_maybe_stop()      stop this TX queue if the ring just filled
 *     mynet_kick()            the "RX interrupt", once per xmit_more burst:
 *                             napi_schedule() now, or from the receiver's
 *                             moderation timer (mynet_irq_timer())
 *
 *   mynet_poll()              NET_RX softirq of the receiving end
 *     mynet_rx()              up to budget frames off the ring: the
 *                             MAC filter, the XDP program if any
 *                             (mynet_xdp_run(), xdp.c),
 *                             eth_type_trans(), napi_gro_receive()
 *     mynet_wake_peer()       restart the sender's queue once there is room
 *     napi_complete_done()    then re-check the ring, so no frame waits
 *
 * Each receive ring has exactly one producer (the peer's TX queue of the
 * same index, serialized by that queue's lock: its ndo_start_xmit, and
 * mynet_xmit_frames() for the peer's XDP_TX and ndo_xdp_xmit) and one
 * consumer (this device's NAPI), so it needs no lock of its own: only
 * the ordering of the two indices, documented where they are written.
 * rings.c creates, resizes and replaces the rings without breaking that
 * rule.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/overflow.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netdev_queues.h>
#include <net/sch_generic.h>
#include <net/sock.h>
#include <net/xdp.h>

#include "mynetdrv.h"

/* Wake a stopped sender (or let it restart itself) only once a quarter
 * of the ring is free, so it does not stop again after a frame or two.
 */
#define MYNET_WAKE_THRESH(rq)	(((rq)->mask + 1) / 4)

/* Producer side: free slots. */
static u32 mynet_ring_free(const struct mynet_rq *rq)
{
	/* Acquire pairs with the consumer's release of head: it has read
	 * a slot before the producer may reuse it.
	 */
	return rq->mask + 1 - (rq->tail - smp_load_acquire(&rq->head));
}

/* Producer side: does the ring lack room for one more skb? */
static bool mynet_ring_full(const struct mynet_rq *rq)
{
	return !mynet_ring_free(rq);
}

static void mynet_ring_produce(struct mynet_rq *rq, void *entry)
{
	u32 tail = rq->tail;

	rq->slots[tail & rq->mask] = entry;
	/* The slot must be visible before the index that exposes it. */
	smp_store_release(&rq->tail, tail + 1);
}

/**
 * mynet_rq_full() - is a ring full, for a path neither producing nor
 * consuming (rings.c)
 * @rq: the ring
 *
 * Context: any; a snapshot: the producer and consumer may be running.
 * Return: true when the producer would find no free slot now.
 */
bool mynet_rq_full(const struct mynet_rq *rq)
{
	/* Acquire pairs with the consumer's release of head, as in xmit. */
	return READ_ONCE(rq->tail) - smp_load_acquire(&rq->head) > rq->mask;
}

/* Consumer side: has the producer queued anything we have not taken? */
static bool mynet_ring_pending(const struct mynet_rq *rq)
{
	/* Acquire pairs with the release in mynet_ring_produce(). */
	return smp_load_acquire(&rq->tail) != rq->head;
}

/* The whole frame's bytes, Ethernet header included. */
static unsigned int mynet_entry_len(void *entry)
{
	if (mynet_is_frame(entry))
		return xdp_get_frame_len(mynet_to_frame(entry));
	return ((struct sk_buff *)entry)->len;
}

/* An entry that will never be delivered. A frame is in its sender's
 * pages, which are not our pool's: never returned as if they were.
 */
static void mynet_entry_free(void *entry, enum skb_drop_reason reason)
{
	if (mynet_is_frame(entry))
		xdp_return_frame(mynet_to_frame(entry));
	else
		kfree_skb_reason(entry, reason);
}

/* Consumer side: free slots, as the producer will see them. */
static u32 mynet_ring_space(const struct mynet_rq *rq)
{
	return rq->mask + 1 - (READ_ONCE(rq->tail) - rq->head);
}

static void mynet_tx_drop(struct mynet_tx_stats *stats, u64_stats_t *counter,
			  struct sk_buff *skb, enum skb_drop_reason reason)
{
	/* netpoll transmits with IRQs off, where kfree_skb() must not run
	 * the skb's destructor.
	 */
	dev_kfree_skb_any_reason(skb, reason);

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(counter);
	u64_stats_update_end(&stats->syncp);
}

/*
 * Fault injection (debugfs mynetdrv/, see mynetdrv.c): lose_kicks loses
 * the next N RX interrupts, as a flaky NIC would lose them, so that the
 * TX watchdog can be seen to recover the queue they leave stuck;
 * xmit_fail_nth drops the N-th frame sent from now on as if memory ran
 * out (tx_drop_nomem), as the core's fail-nth fails one allocation.
 * poll_delay_us makes each poll that is about to complete wait that long
 * after its last look at the ring, widening the window its re-check after
 * napi_complete_done() closes. Until a knob is first written the checks
 * are a patched-out jump.
 */
DEFINE_STATIC_KEY_FALSE(mynet_faults);
atomic_t mynet_lose_kicks = ATOMIC_INIT(0);
atomic_t mynet_xmit_fail_nth = ATOMIC_INIT(0);
atomic_t mynet_poll_delay_us = ATOMIC_INIT(0);

static bool mynet_kick_lost(void)
{
	return static_branch_unlikely(&mynet_faults) &&
	       atomic_read(&mynet_lose_kicks) &&
	       atomic_dec_if_positive(&mynet_lose_kicks) >= 0;
}

static bool mynet_xmit_fails(void)
{
	/* 0 when this call took the count from 1 to 0. */
	return static_branch_unlikely(&mynet_faults) &&
	       atomic_read(&mynet_xmit_fail_nth) &&
	       atomic_dec_if_positive(&mynet_xmit_fail_nth) == 0;
}

static void mynet_poll_delay(void)
{
	int usecs;

	if (!static_branch_unlikely(&mynet_faults))
		return;
	usecs = atomic_read(&mynet_poll_delay_us);
	if (usecs)
		udelay(usecs);
}

/**
 * mynet_irq_timer() - the receiver's moderation timer expired
 * @timer: &mynet_rq.irq_timer
 *
 * Raises the RX interrupt a kick deferred (see mynet_kick()).
 *
 * Context: hard IRQ (hrtimer).
 * Return: HRTIMER_NORESTART; the next deferred kick re-arms it.
 */
enum hrtimer_restart mynet_irq_timer(struct hrtimer *timer)
{
	struct mynet_rq *rq = container_of(timer, struct mynet_rq, irq_timer);

	napi_schedule(&rq->napi);
	return HRTIMER_NORESTART;
}

/*
 * Raise the peer's "RX interrupt", moderated as the receiver asks
 * (ethtool -C rx-usecs/rx-frames on the peer): at once when moderation
 * is off, when rx-frames frames wait or when @now (the ring is full);
 * otherwise from a timer rx-usecs from now, which a later kick does not
 * push back, as a NIC's interrupt throttle does not.
 */
static void mynet_kick(struct mynet_rq *rq, struct mynet_tx_stats *stats,
		       bool now)
{
	u32 usecs = READ_ONCE(rq->priv->rx_usecs);
	u64_stats_t *counter = &stats->kicks;

	if (mynet_kick_lost())
		return;

	/* A NAPI already scheduled needs no kick: its poll empties the ring
	 * or looks at it again after napi_complete_done(). napi_schedule()
	 * would only mark it missed, an atomic and a second poll for
	 * nothing; a timer would fire for nothing. Pairs with the smp_mb()
	 * in mynet_poll(): our tail is visible before we read the NAPI's
	 * state, so either the poll's last look finds our frame or we find
	 * the NAPI idle and kick it.
	 */
	smp_mb();
	if (napi_is_scheduled(&rq->napi))
		return;

	if (!now && usecs) {
		u32 frames = READ_ONCE(rq->priv->rx_frames);

		if (!frames || rq->tail - READ_ONCE(rq->head) < frames) {
			/* Only the producer arms it: no race to start it. */
			if (hrtimer_is_queued(&rq->irq_timer))
				return;
			hrtimer_start(&rq->irq_timer,
				      ns_to_ktime(usecs * NSEC_PER_USEC),
				      HRTIMER_MODE_REL);
			counter = &stats->kicks_deferred;
			goto count;
		}
	}
	napi_schedule(&rq->napi);
count:
	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(counter);
	u64_stats_update_end(&stats->syncp);
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
	if (likely(!mynet_ring_full(rq)) || qdisc_txq_has_no_queue(txq))
		return;

	/* Stop, then look again: its barrier pairs with smp_mb() in
	 * mynet_wake_peer(), so either the consumer sees the queue stopped
	 * and wakes it, or we see the slots it freed and restart the queue
	 * ourselves, at the consumer's own threshold.
	 */
	if (netif_txq_try_stop(txq, mynet_ring_free(rq),
			       MYNET_WAKE_THRESH(rq)))
		return;

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->stops);
	u64_stats_update_end(&stats->syncp);
}

/**
 * mynet_rq_filled() - frames were moved into a ring: stop its producer
 * if they filled it, as xmit does after the frame that fills it
 * @rq: the ring (a resize or a channel shrink moved frames into it)
 * @txq: the peer's TX queue that feeds it, whose lock the caller holds
 *
 * Left running, the queue would hand the full ring frame after frame to
 * drop; stopped, the ring's NAPI (kicked by the caller) wakes it.
 *
 * Context: process, RTNL and @txq's lock held (we are its only writer).
 */
void mynet_rq_filled(struct mynet_rq *rq, struct netdev_queue *txq)
{
	struct mynet_priv *sender = netdev_priv(txq->dev);

	mynet_maybe_stop(rq, txq, &sender->tx_stats[rq->index]);
}

/* What the offloads left for the receiver, counted per frame sent. */
static void mynet_tx_count(struct mynet_tx_stats *stats,
			   const struct sk_buff *skb, bool more)
{
	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->packets);
	u64_stats_add(&stats->bytes, skb->len);
	if (more)
		u64_stats_inc(&stats->xmit_more);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		u64_stats_inc(&stats->csum_partial);
	if (skb_is_gso(skb)) {
		u64_stats_inc(&stats->gso_packets);
		u64_stats_add(&stats->gso_bytes, skb->len);
	}
	if (skb_shinfo(skb)->nr_frags)
		u64_stats_inc(&stats->sg);
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
	bool more = netdev_xmit_more();
	struct mynet_rq *rq = NULL;
	struct net_device *peer;

	/* The peer and its rings are freed only after a grace period. */
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	/* TX queue i feeds the peer's RX queue i, the one ring it alone
	 * produces into. None: the peer is down, or a channel change left
	 * this frame on a queue the pair no longer uses.
	 */
	if (likely(peer))
		rq = rcu_dereference(((struct mynet_priv *)
				      netdev_priv(peer))->rq[qid]);
	if (unlikely(!rq)) {
		mynet_tx_drop(stats, &stats->drop_peer_down, skb,
			      SKB_DROP_REASON_DEV_READY);
		goto out;
	}

	if (unlikely(skb->len < ETH_HLEN)) {
		mynet_tx_drop(stats, &stats->drop_runt, skb,
			      SKB_DROP_REASON_PKT_TOO_SMALL);
		goto end_burst;
	}

	/* The receiver must own every byte: copy pages a zerocopy sender
	 * only lent us (GRO would otherwise merge them), give a clone a
	 * skb_shared_info of its own (TCP keeps the original for
	 * retransmission, and GRO moves the frags of what it merges, in
	 * place), and make the Ethernet header linear for eth_type_trans().
	 */
	if (unlikely(mynet_xmit_fails() ||
		     skb_orphan_frags(skb, GFP_ATOMIC) ||
		     skb_unclone(skb, GFP_ATOMIC) ||
		     !pskb_may_pull(skb, ETH_HLEN))) {
		mynet_tx_drop(stats, &stats->drop_nomem, skb,
			      SKB_DROP_REASON_NOMEM);
		goto end_burst;
	}

	if (unlikely(mynet_ring_full(rq))) {
		/* Without a qdisc, where the queue is never stopped (see
		 * mynet_maybe_stop()); with one, only if the queue was woken
		 * or started onto a full ring, which the control paths avoid
		 * (rings.c, mynet_ring_blocks()): then stop it now. Earlier
		 * frames of a burst may be waiting for the kick this one
		 * would have given.
		 */
		mynet_tx_drop(stats, &stats->drop_ring_full, skb,
			      SKB_DROP_REASON_FULL_RING);
		mynet_maybe_stop(rq, txq, stats);
		mynet_kick(rq, stats, true);
		goto out;
	}

	/* Last touches of the sender: from the ring on, the skb is the
	 * receiver's. Crossing the wire leaves the sender's routing and
	 * conntrack state behind, and its namespace's marks when the ends
	 * live in different namespaces.
	 */
	skb_tx_timestamp(skb);
	skb_scrub_packet(skb, !net_eq(dev_net(dev), dev_net(peer)));
	skb->priority = 0;
	mynet_tx_count(stats, skb, more);
	mynet_ring_produce(rq, skb);

	mynet_maybe_stop(rq, txq, stats);

	/* One kick per burst; a stopped queue ends the burst early, and
	 * needs its kick now: only the receiver's poll can restart it.
	 */
	if (netif_xmit_stopped(txq))
		mynet_kick(rq, stats, true);
	else if (!more)
		mynet_kick(rq, stats, false);
	goto out;

end_burst:
	/* A dropped frame that ends a burst owes its earlier frames the
	 * kick they were deferred to; an empty ring needs none: our tail
	 * is ours, and a head that reached it means the NAPI took them.
	 */
	if (!more && rq->tail != READ_ONCE(rq->head))
		mynet_kick(rq, stats, false);
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

/**
 * mynet_xmit_frames() - send xdp_frames across the pair from TX queue @qid
 * @dev: the sending end
 * @qid: the TX queue they leave by, whose peer ring they go into
 * @frames: the frames
 * @n: how many
 * @ndo_xmit: they came from ndo_xdp_xmit (counted as xdp_xmit), not from
 *	our own XDP_TX (counted by the receive queue that sent them back)
 * @kick: raise the peer's RX interrupt for them now (the end of a batch)
 *
 * The frames go into the ring as they are, never becoming an skb on this
 * side. The queue's lock makes us the ring's producer, as it does for
 * ndo_start_xmit: a ring keeps one producer at a time. Frames do not go
 * through the qdisc, so they do not wait for a stopped queue; they take
 * the slots there are, and fill the ring as xmit would, stopping the
 * queue for the stack's frames.
 *
 * Context: BH disabled (our NAPI, or the flush of a device redirecting
 * into us, on any CPU).
 * Return: the frames sent, from the first; the caller frees the others.
 */
int mynet_xmit_frames(struct net_device *dev, unsigned int qid,
		      struct xdp_frame **frames, int n, bool ndo_xmit,
		      bool kick)
{
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qid);
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_stats *stats;
	struct mynet_rq *rq = NULL;
	struct net_device *peer;
	u64 bytes = 0;
	int sent = 0;

	stats = &priv->tx_stats[qid];
	rcu_read_lock();
	/* BH is off, so our NAPI cannot take this lock under us on this
	 * CPU. netpoll can come in above us, from an interrupt, with IRQs
	 * off: it only trylocks (and then queues its frame), and the owner
	 * recorded here keeps it from polling the device meanwhile.
	 */
	__netif_tx_lock(txq, smp_processor_id());
	peer = rcu_dereference(priv->peer);
	if (likely(peer && netif_carrier_ok(dev)))
		rq = rcu_dereference(((struct mynet_priv *)
				      netdev_priv(peer))->rq[qid]);
	if (likely(rq)) {
		for (; sent < n && !mynet_ring_full(rq); sent++) {
			bytes += xdp_get_frame_len(frames[sent]);
			mynet_ring_produce(rq, mynet_frame_entry(frames[sent]));
		}
	}

	u64_stats_update_begin(&stats->syncp);
	u64_stats_add(&stats->packets, sent);
	u64_stats_add(&stats->bytes, bytes);
	if (ndo_xmit) {
		u64_stats_add(&stats->xdp_xmit, sent);
		u64_stats_add(&stats->xdp_xmit_errors, n - sent);
	}
	u64_stats_update_end(&stats->syncp);

	if (likely(rq)) {
		mynet_maybe_stop(rq, txq, stats);
		/* A full ring, or the batch's end: the peer must look now. */
		if (sent < n || netif_xmit_stopped(txq))
			mynet_kick(rq, stats, true);
		else if (kick && sent)
			mynet_kick(rq, stats, false);
	}
	__netif_tx_unlock(txq);
	rcu_read_unlock();
	return sent;
}

/**
 * mynet_features_check() - ndo_features_check
 * @skb: a frame about to be sent
 * @dev: the sending end
 * @features: what the core would let @dev do with it
 *
 * A GSO frame crosses the pair whole, so it must not exceed what the
 * peer's stack accepts as one received frame (its gro_max_size): a
 * larger one is segmented here, by software GSO, as a NIC segments what
 * the link cannot carry.
 *
 * Context: BH disabled.
 * Return: @features, without GSO for frames too large for the peer or
 * with stacked VLAN tags, and without GSO and checksum offload while the
 * peer runs an XDP program.
 */
netdev_features_t mynet_features_check(struct sk_buff *skb,
				       struct net_device *dev,
				       netdev_features_t features)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer;

	/* What the core checks when a driver has no ndo_features_check:
	 * no GSO for frames with more than one VLAN tag.
	 */
	features = vlan_features_check(skb, features);

	/* Our own read-side section: the core's (if any) is rcu_read_lock_bh,
	 * which rcu_dereference() does not count.
	 */
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (!peer)
		goto out;
	/* An XDP program sees frames as a wire carries them: no GSO
	 * super-frame, no checksum left to the receiver (xdp.c).
	 */
	if (rcu_access_pointer(((struct mynet_priv *)
				netdev_priv(peer))->xdp_prog))
		features &= ~(NETIF_F_GSO_MASK | NETIF_F_CSUM_MASK);
	else if (skb_is_gso(skb) &&
		 skb->len > mynet_gro_max_size(peer, skb))
		features &= ~NETIF_F_GSO_MASK;
out:
	rcu_read_unlock();
	return features;
}

/**
 * mynet_tx_timeout() - ndo_tx_timeout: a TX queue stopped for too long
 * @dev: the sending end
 * @txqueue: the stuck queue
 *
 * Only the peer's NAPI restarts a queue stopped on a full ring, so a
 * stuck queue means that NAPI was never scheduled (a lost RX interrupt).
 * Recover as a NIC driver would, by raising it again: for every ring of
 * the peer that holds frames, as a NIC's reset would recover every queue,
 * since the core reports one stuck queue per watchdog round (5 s apart).
 *
 * Context: the core's watchdog timer (softirq), netif_tx_lock held.
 */
void mynet_tx_timeout(struct net_device *dev, unsigned int txqueue)
{
	struct netdev_queue *txq = netdev_get_tx_queue(dev, txqueue);
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_tx_stats *stats = &priv->tx_stats[txqueue];
	unsigned int i, pending, kicked = 0;
	struct mynet_priv *ppriv = NULL;
	struct mynet_rq *rq = NULL;
	struct net_device *peer;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (peer) {
		ppriv = netdev_priv(peer);
		rq = rcu_dereference(ppriv->rq[txqueue]);
	}
	if (rq) {
		pending = READ_ONCE(rq->tail) - READ_ONCE(rq->head);
		for (i = 0; i < dev->real_num_tx_queues; i++) {
			struct mynet_rq *r = rcu_dereference(ppriv->rq[i]);

			if (!r || (r != rq && READ_ONCE(r->tail) ==
					      READ_ONCE(r->head)))
				continue;
			napi_schedule(&r->napi);
			kicked++;
		}
		netif_err(priv, tx_err, dev,
			  "TX queue %u timed out, %u frames in %s's ring: rescheduling the NAPIs of %u ring(s)\n",
			  txqueue, pending, peer->name, kicked);
	} else {
		/* No ring to wait for: let the frames drop as peer down. */
		netif_err(priv, tx_err, dev,
			  "TX queue %u timed out, peer has no ring: waking it\n",
			  txqueue);
		netif_tx_wake_queue(txq);
	}
	rcu_read_unlock();

	/* netif_tx_lock() only froze the queues: xmit may still run under
	 * noqueue, and it writes these counters under this lock.
	 */
	__netif_tx_lock(txq, smp_processor_id());
	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->timeouts);
	u64_stats_update_end(&stats->syncp);
	__netif_tx_unlock(txq);
}

/* The MAC filter, on a frame's destination: our address and broadcast
 * always pass, others as ndo_set_rx_mode programmed it (filter.c).
 */
static bool mynet_rx_accept(struct mynet_priv *priv,
			    const struct net_device *dev, const u8 *dest,
			    bool mcast)
{
	if (likely(ether_addr_equal_64bits(dest, dev->dev_addr)))
		return true;
	if (is_broadcast_ether_addr(dest))
		return true;
	return mynet_rx_filter_pass(priv, dest, mcast);
}

/* An ethtool self-test's frame, while the test waits for it: it ends in
 * the driver (selftest.c), not in an XDP program or the stack.
 */
static bool mynet_is_test_frame(struct mynet_priv *priv,
				const struct ethhdr *eth)
{
	return unlikely(eth->h_proto == htons(MYNET_TEST_ETHERTYPE)) &&
	       rcu_access_pointer(priv->selftest);
}

/* An skb off the ring, for the stack; false if it ended in the driver. */
static bool mynet_rx_skb(struct mynet_priv *priv, struct net_device *dev,
			 struct sk_buff *skb)
{
	skb->protocol = eth_type_trans(skb, dev);
	/* ethtool -t frames end here, not in the stack. */
	if (unlikely(skb->protocol == htons(MYNET_TEST_ETHERTYPE)) &&
	    mynet_selftest_rx(priv, skb))
		return false;
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	return true;
}

/* Take up to @budget frames off the ring and pass them to GRO. */
static int mynet_rx(struct mynet_rq *rq, int budget)
{
	u64 packets = 0, bytes = 0, multicast = 0, length_errors = 0;
	u64 filtered = 0, filtered_bytes = 0, merged = 0, nomem = 0;
	struct mynet_rx_stats *stats = rq->stats;
	struct mynet_priv *priv = rq->priv;
	struct net_device *dev = rq->dev;
	u32 head = rq->head, tail = head;
	struct mynet_xdp_ctx xdp;
	unsigned int max_len;
	int done = 0;

	/* Like a NIC's frame size limit: MTU plus Ethernet and VLAN header. */
	max_len = READ_ONCE(dev->mtu) + ETH_HLEN + VLAN_HLEN;
	/* One program for the whole poll: a replacement takes effect at
	 * the next one (the caller holds the RCU read lock).
	 */
	memset(&xdp, 0, offsetof(struct mynet_xdp_ctx, tx));
	xdp.prog = rcu_dereference(priv->xdp_prog);
	if (xdp.prog) {
		/* A frame off the ring may be in the peer's pages, or
		 * another device's: what the core gives back for us (a
		 * failed redirect, a copy to an AF_XDP socket) must not go
		 * straight into that pool's NAPI-only cache, as it would
		 * from the NAPI that owns it.
		 */
		xdp_set_return_frame_no_direct();
		/* A program without frags support takes frames of one
		 * page. The MTU it requires keeps larger ones out, but the
		 * MTU was read first: one from before the program came may
		 * let in a frame larger than that page.
		 */
		if (!xdp.prog->aux->xdp_has_frags)
			max_len = min_t(unsigned int, max_len,
					MYNET_XDP_MAX_FRAME);
	}

	while (done < budget) {
		const struct ethhdr *eth;
		struct sk_buff *skb;
		gro_result_t ret;
		unsigned int len;
		bool mcast, gso;
		void *entry;

		if (head == tail) {
			/* Pairs with the release in mynet_ring_produce(). */
			tail = smp_load_acquire(&rq->tail);
			if (head == tail)
				break;
		}
		entry = rq->slots[head++ & rq->mask];
		done++;

		/* GSO frames are segments of the sender's MTU, checked
		 * there; a plain frame must fit ours. An XDP program takes
		 * no GSO frame: one still in flight from before it was
		 * attached is too long for it.
		 */
		len = mynet_entry_len(entry);
		gso = !mynet_is_frame(entry) &&
		      skb_is_gso((struct sk_buff *)entry);
		if (unlikely(gso ? !!xdp.prog : len > max_len)) {
			length_errors++;
			mynet_entry_free(entry, SKB_DROP_REASON_PKT_TOO_BIG);
			continue;
		}

		eth = mynet_is_frame(entry) ? mynet_to_frame(entry)->data :
			((struct sk_buff *)entry)->data;
		mcast = is_multicast_ether_addr(eth->h_dest);
		if (unlikely(!mynet_rx_accept(priv, dev, eth->h_dest, mcast))) {
			filtered++;
			filtered_bytes += len;
			mynet_entry_free(entry, SKB_DROP_REASON_OTHERHOST);
			continue;
		}

		/* Received, as a NIC counts what its filter let into the
		 * ring, whatever XDP then does with it.
		 */
		packets++;
		bytes += len;
		if (mcast && !is_broadcast_ether_addr(eth->h_dest))
			multicast++;

		if (xdp.prog && !mynet_is_test_frame(priv, eth)) {
			/* NULL: XDP took the frame, or dropped it. */
			skb = mynet_xdp_run(rq, &xdp, entry, len);
			if (!skb)
				continue;
		} else if (mynet_is_frame(entry)) {
			skb = mynet_xdp_frame_to_skb(rq, mynet_to_frame(entry));
			if (unlikely(!skb)) {
				nomem++;
				continue;
			}
		} else {
			skb = entry;
			if (!mynet_rx_skb(priv, dev, skb))
				continue;
		}

		skb_record_rx_queue(skb, rq->index);
		/* The frame still holds the sending socket (its wmem is
		 * released when the frame is freed, as TSQ wants). GRO must
		 * not merge frames of two sockets, which would move truesize
		 * from one socket's account to the other's: as veth does,
		 * keep sock_wfree senders (UDP, raw, packet) and mark the skb
		 * so GRO compares sockets; orphan the rest (TCP), completing
		 * their transmit here.
		 */
		skb_prepare_for_gro(skb);
		ret = napi_gro_receive(&rq->napi, skb);
		if (ret == GRO_MERGED || ret == GRO_MERGED_FREE)
			merged++;
	}

	/* Hand the slots back: we are done reading them. */
	smp_store_release(&rq->head, head);

	if (xdp.prog) {
		mynet_xdp_done(rq, &xdp);
		xdp_clear_return_frame_no_direct();
	}

	u64_stats_update_begin(&stats->syncp);
	u64_stats_inc(&stats->polls);
	u64_stats_add(&stats->packets, packets);
	u64_stats_add(&stats->bytes, bytes);
	u64_stats_add(&stats->multicast, multicast);
	u64_stats_add(&stats->length_errors, length_errors);
	u64_stats_add(&stats->filtered, filtered);
	u64_stats_add(&stats->filtered_bytes, filtered_bytes);
	u64_stats_add(&stats->gro_merged, merged);
	u64_stats_add(&stats->drop_nomem, nomem);
	u64_stats_update_end(&stats->syncp);

	return done;
}

/* Restart the sender's queue that this ring's fill stopped. */
static void mynet_wake_peer(struct mynet_rq *rq)
{
	struct netdev_queue *txq;
	struct net_device *peer;

	/* Pairs with the barrier of netif_txq_try_stop() in
	 * mynet_maybe_stop(): our new head is visible before we look at
	 * the queue's state. The wake half of netdev_queues.h,
	 * __netif_txq_completed_wake(), would do this but also completes
	 * bytes to BQL, which this driver does not account.
	 */
	smp_mb();

	rcu_read_lock();
	peer = rcu_dereference(rq->priv->peer);
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

/**
 * mynet_poll() - the NAPI poll of one receive queue
 * @napi: &mynet_rq.napi
 * @budget: frames we may deliver; 0 from netpoll
 *
 * The NAPI contract (Documentation/networking/napi.rst): never more than
 * @budget frames, @budget returned while work remains, and a last look
 * at the ring after napi_complete_done().
 *
 * Context: NET_RX softirq, or the NAPI's thread with BH disabled.
 * Return: the frames taken off the ring.
 */
int mynet_poll(struct napi_struct *napi, int budget)
{
	struct mynet_rq *rq = container_of(napi, struct mynet_rq, napi);
	int done;

	/* Budget 0 is netpoll asking for TX completions only: we have none,
	 * and RX must not run in its context, nor XDP (IRQs may be off, and
	 * from 6.11 a redirect would find no bpf_net_context).
	 */
	if (unlikely(!budget))
		return 0;

	/* For the XDP program, and the peer its XDP_TX frames go to. */
	rcu_read_lock();
	done = mynet_rx(rq, budget);
	rcu_read_unlock();
	mynet_wake_peer(rq);

	/* Work remains: keep the NAPI scheduled, the core polls us again. */
	if (done == budget)
		return budget;

	mynet_poll_delay();

	if (napi_complete_done(napi, done)) {
		/* A frame queued after our last look, whose kick was
		 * deferred to the end of its burst or found us still
		 * scheduled (mynet_kick() then leaves it to us), would
		 * otherwise wait for the next one.
		 */
		smp_mb();
		if (mynet_ring_pending(rq))
			napi_schedule(napi);
	}
	return done;
}

/* Ring changes write the RX counters of a ring whose NAPI, their writer
 * otherwise, is disabled; as it does, with BH off: on 32-bit a writer
 * preempted inside the seqcount would leave readers spinning.
 */
static void mynet_rx_count_purged(struct mynet_rq *rq, u32 purged,
				  u64 bytes)
{
	local_bh_disable();
	u64_stats_update_begin(&rq->stats->syncp);
	u64_stats_add(&rq->stats->drop_purged, purged);
	u64_stats_add(&rq->stats->drop_purged_bytes, bytes);
	u64_stats_update_end(&rq->stats->syncp);
	local_bh_enable();
}

/**
 * mynet_rq_purge() - free what a ring holds that will never be delivered
 * @rq: a ring with neither producer nor consumer any more
 *
 * Context: process, RTNL held; @rq's NAPI disabled.
 */
void mynet_rq_purge(struct mynet_rq *rq)
{
	u32 head = rq->head, tail = rq->tail;
	u64 bytes = 0;

	while (head != tail) {
		void *entry = rq->slots[head++ & rq->mask];

		bytes += mynet_entry_len(entry);
		mynet_entry_free(entry, SKB_DROP_REASON_DEV_READY);
	}
	mynet_rx_count_purged(rq, tail - rq->head, bytes);
	rq->head = head;
}

/**
 * mynet_rq_move() - move the frames of a ring being replaced
 * @from: the old ring: no producer, NAPI disabled
 * @to: the ring taking over, for which the caller is the producer (it
 *	holds the lock of the TX queue that feeds @to)
 *
 * Frames keep their order; those @to has no room for are dropped and
 * counted on @from's queue.
 *
 * Context: BH disabled, RTNL held.
 * Return: the frames dropped.
 */
u32 mynet_rq_move(struct mynet_rq *from, struct mynet_rq *to)
{
	u32 head = from->head, tail = from->tail;
	u32 dropped = 0;
	u64 bytes = 0;

	while (head != tail) {
		void *entry = from->slots[head++ & from->mask];

		if (mynet_ring_full(to)) {
			bytes += mynet_entry_len(entry);
			mynet_entry_free(entry, SKB_DROP_REASON_FULL_RING);
			dropped++;
			continue;
		}
		mynet_ring_produce(to, entry);
	}
	from->head = head;
	mynet_rx_count_purged(from, dropped, bytes);
	return dropped;
}
