// SPDX-License-Identifier: GPL-2.0
/*
 * The life of the receive queues: created at open, freed at close, and
 * replaced live by "ethtool -G" (ring size) and "ethtool -L" (channel
 * count) while the peer keeps sending.
 *
 * A receive queue (struct mynet_rq) has one producer, the peer's TX queue
 * of the same index, which runs under that queue's lock, and one
 * consumer, its NAPI. To replace a queue we stop both: napi_disable()
 * stops the consumer, and holding the peer's TX queue lock stops the
 * producer, which finds the new queue published when it gets the lock
 * back. Frames in the old ring move to the new one, so a resize loses
 * only what no longer fits, and counts it.
 *
 * Everything here runs in process context under RTNL, which also keeps
 * the peer pointer stable.
 */

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/sch_generic.h>

#include "mynetdrv.h"

static struct mynet_rq *mynet_rq_alloc(struct net_device *dev,
				       unsigned int index, u32 size)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rq *rq;

	rq = kzalloc(sizeof(*rq), GFP_KERNEL);
	if (!rq)
		return NULL;
	rq->slots = kvcalloc(size, sizeof(*rq->slots), GFP_KERNEL);
	if (!rq->slots)
		goto err_free_rq;
	rq->mask = size - 1;
	rq->index = index;
	rq->dev = dev;
	rq->priv = priv;
	rq->stats = &priv->rx_stats[index];
	if (mynet_rq_xdp_init(rq, size))
		goto err_free_slots;
	mynet_hrtimer_setup(&rq->irq_timer, mynet_irq_timer);
	return rq;

err_free_slots:
	kvfree(rq->slots);
err_free_rq:
	kfree(rq);
	return NULL;
}

/* Free a ring nobody can reach any more: after a grace period. */
static void mynet_rq_free(struct mynet_rq *rq)
{
	mynet_rq_xdp_free(rq);
	kvfree(rq->slots);
	kfree(rq);
}

static void mynet_rqs_free(struct mynet_rq **rqs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (rqs[i])
			mynet_rq_free(rqs[i]);
		rqs[i] = NULL;
	}
}

/* Allocate rings @from..@to-1 of @dev, all or none. */
static int mynet_rqs_alloc(struct net_device *dev, struct mynet_rq **rqs,
			   unsigned int from, unsigned int to, u32 size)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		rqs[i] = mynet_rq_alloc(dev, i, size);
		if (!rqs[i]) {
			mynet_rqs_free(rqs, to);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The lock of the peer's TX queue that feeds our ring @index, or NULL. */
static struct netdev_queue *mynet_producer(struct net_device *dev,
					   unsigned int index)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	if (!peer || index >= peer->num_tx_queues)
		return NULL;
	return netdev_get_tx_queue(peer, index);
}

/* Give the NAPI of a just-published ring its first kick, if it needs one:
 * frames may have arrived while it was not yet enabled.
 */
static void mynet_rq_kick(struct mynet_rq *rq)
{
	local_bh_disable();
	/* The NAPI is enabled: it may be moving head as we read it. */
	if (READ_ONCE(rq->tail) != READ_ONCE(rq->head))
		napi_schedule(&rq->napi);
	local_bh_enable();
}

/* Start the consumer of a new ring and make it the one the peer fills. */
static void mynet_rq_publish(struct net_device *dev, struct mynet_rq *rq)
{
	struct mynet_priv *priv = netdev_priv(dev);

	mynet_napi_add(dev, &rq->napi, mynet_poll, rq->index);
	napi_enable(&rq->napi);
	mynet_rx_queue_set_napi(dev, rq->index, &rq->napi);
	rcu_assign_pointer(priv->rq[rq->index], rq);
}

/* Stop a ring's consumer; the caller has stopped its producer. */
static void mynet_rq_stop(struct net_device *dev, struct mynet_rq *rq)
{
	mynet_rx_queue_set_napi(dev, rq->index, NULL);
	napi_disable(&rq->napi);
}

/* Last steps for a ring nobody produces into or consumes any more. */
static void mynet_rq_retire(struct mynet_rq *rq)
{
	/* The producer may have armed it before it lost the ring. */
	hrtimer_cancel(&rq->irq_timer);
	__netif_napi_del(&rq->napi);
}

/* With the producer stopped: @new takes over @old's frames and place. */
static void mynet_rq_swap(struct mynet_priv *priv, struct mynet_rq *old,
			  struct mynet_rq *new)
{
	mynet_rq_move(old, new);
	rcu_assign_pointer(priv->rq[new->index], new);
}

/*
 * Replace ring @new->index of @dev with @new, moving the old one's frames
 * into it. Returns the old ring, to free after a grace period.
 */
static struct mynet_rq *mynet_rq_replace(struct net_device *dev,
					 struct mynet_rq *new)
{
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int i = new->index;
	struct netdev_queue *txq;
	struct mynet_rq *old;

	old = rtnl_dereference(priv->rq[i]);
	mynet_rq_stop(dev, old);
	/* The new NAPI takes the old one's index (and its settings):
	 * unlist the old one first. It stays disabled, so a kick that
	 * still reaches it is a no-op.
	 */
	__netif_napi_del(&old->napi);
	mynet_napi_add(dev, &new->napi, mynet_poll, i);

	txq = mynet_producer(dev, i);
	if (txq) {
		__netif_tx_lock_bh(txq);
		mynet_rq_swap(priv, old, new);
		mynet_rq_filled(new, txq);
		__netif_tx_unlock_bh(txq);
	} else {
		mynet_rq_swap(priv, old, new);
	}
	hrtimer_cancel(&old->irq_timer);

	napi_enable(&new->napi);
	mynet_rx_queue_set_napi(dev, i, &new->napi);
	/* Frames moved, or sent while the NAPI was not yet enabled. */
	mynet_rq_kick(new);
	return old;
}

/*
 * Remove ring @index of @dev: unpublish it, then hand its frames to ring
 * @into (or drop them if @into has no ring). Returns it, to free after a
 * grace period, or NULL if it did not exist.
 */
static struct mynet_rq *mynet_rq_remove(struct net_device *dev,
					unsigned int index, unsigned int into)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rq *old, *to;
	struct netdev_queue *txq;

	old = rtnl_dereference(priv->rq[index]);
	if (!old)
		return NULL;
	mynet_rq_stop(dev, old);

	txq = mynet_producer(dev, index);
	if (txq) {
		__netif_tx_lock_bh(txq);
		RCU_INIT_POINTER(priv->rq[index], NULL);
		__netif_tx_unlock_bh(txq);
	} else {
		RCU_INIT_POINTER(priv->rq[index], NULL);
	}

	to = index == into ? NULL : rtnl_dereference(priv->rq[into]);
	txq = to ? mynet_producer(dev, into) : NULL;
	if (to && txq) {
		/* We are @to's producer while we hold its TX queue lock. */
		__netif_tx_lock_bh(txq);
		mynet_rq_move(old, to);
		mynet_rq_filled(to, txq);
		__netif_tx_unlock_bh(txq);
		mynet_rq_kick(to);
	}
	mynet_rq_purge(old);
	mynet_rq_retire(old);
	return old;
}

/*
 * Is the ring that TX queue @i of @dev's peer feeds (@dev's ring @i)
 * full? A queue that runs onto a full ring drops (tx_drop_ring_full) what
 * its qdisc would otherwise hold; left stopped, it is woken by the ring's
 * NAPI once there is room. That NAPI was kicked when the queue stopped on
 * the ring, and again when the ring was replaced or took another ring's
 * frames; a lost kick is the TX watchdog's to recover.
 */
static bool mynet_ring_blocks(struct net_device *dev, unsigned int i)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rq *rq;

	if (i >= MYNET_MAX_QUEUES)
		return false;
	rq = rtnl_dereference(priv->rq[i]);
	return rq && mynet_rq_full(rq);
}

/* After a change: a queue stopped on a ring that is gone, or that now has
 * room, would otherwise wait for a wake that never comes. One whose ring
 * is still full stays stopped (see mynet_ring_blocks()).
 */
static void mynet_wake_senders(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);
	unsigned int i;

	if (!peer || !netif_running(peer))
		return;
	for (i = 0; i < peer->num_tx_queues; i++)
		if (!mynet_ring_blocks(dev, i))
			netif_tx_wake_queue(netdev_get_tx_queue(peer, i));
}

/* Will the core hold @dev's frames for @txq once it is up? ndo_open runs
 * before dev_activate() attaches the qdiscs: the queue gets the one
 * configured for it, or, with no root qdisc yet, a default we cannot
 * know: then say no. At worst one frame meets the full ring, is dropped
 * and stops the queue (mynet_start_xmit()).
 */
static bool mynet_txq_will_queue(struct net_device *dev,
				 struct netdev_queue *txq)
{
	if (rtnl_dereference(dev->qdisc) == &noop_qdisc)
		return false;
	return rtnl_dereference(txq->qdisc_sleeping)->enqueue;
}

/**
 * mynet_tx_start() - start the TX queues of a device being opened
 * @dev: the device
 *
 * Every queue starts, except one whose ring at the peer is still full
 * with what it sent before it went down and that will have a qdisc to
 * hold its frames: that one waits for the ring's NAPI, as a queue stopped
 * on a full ring does (mynet_ring_blocks()). Under noqueue a stopped
 * queue would make the core drop every frame with a complaint, so it
 * runs, and xmit drops what finds the ring full.
 *
 * Context: process, RTNL held.
 */
void mynet_tx_start(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);
	unsigned int i;

	for (i = 0; i < dev->num_tx_queues; i++) {
		struct netdev_queue *txq = netdev_get_tx_queue(dev, i);

		if (peer && mynet_ring_blocks(peer, i) &&
		    mynet_txq_will_queue(dev, txq))
			continue;
		netif_tx_start_queue(txq);
	}
}

/**
 * mynet_rx_open() - create the receive queues and start their NAPIs
 * @dev: the device being opened
 *
 * Like a NIC, rings exist only while the device is up. Each is
 * published to the peer once its NAPI can run.
 *
 * Context: process, RTNL held.
 * Return: 0 or -ENOMEM, with nothing left allocated.
 */
int mynet_rx_open(struct net_device *dev)
{
	struct mynet_rq *rqs[MYNET_MAX_QUEUES] = {};
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int n = dev->real_num_rx_queues;
	unsigned int i;
	int err;

	err = mynet_rqs_alloc(dev, rqs, 0, n, priv->ring_size);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		mynet_rq_publish(dev, rqs[i]);
	return 0;
}

/**
 * mynet_rx_close() - stop the NAPIs and free the receive queues
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
	struct mynet_rq *rqs[MYNET_MAX_QUEUES] = {};
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int i;

	/* Unpublish, then wait out any peer xmit still using the rings. */
	for (i = 0; i < MYNET_MAX_QUEUES; i++) {
		rqs[i] = rtnl_dereference(priv->rq[i]);
		RCU_INIT_POINTER(priv->rq[i], NULL);
	}
	synchronize_net();

	for (i = 0; i < MYNET_MAX_QUEUES; i++) {
		if (!rqs[i])
			continue;
		mynet_rq_stop(dev, rqs[i]);
		mynet_rq_purge(rqs[i]);
		mynet_rq_retire(rqs[i]);
	}
	/* One grace period for all the NAPIs unlinked above. */
	synchronize_net();
	mynet_rqs_free(rqs, MYNET_MAX_QUEUES);

	mynet_wake_senders(dev);
}

/**
 * mynet_set_ring_size() - resize the receive rings (ethtool -G rx)
 * @dev: the receiving device
 * @size: slots per ring, a power of two in range (checked by the caller)
 *
 * Up, every ring is replaced live; down, the size applies at open.
 *
 * Context: process, RTNL held.
 * Return: 0, or -ENOMEM with nothing changed.
 */
int mynet_set_ring_size(struct net_device *dev, u32 size)
{
	struct mynet_rq *rqs[MYNET_MAX_QUEUES] = {};
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int n = dev->real_num_rx_queues;
	unsigned int i;
	int err;

	if (!netif_running(dev) || size == priv->ring_size) {
		priv->ring_size = size;
		return 0;
	}

	err = mynet_rqs_alloc(dev, rqs, 0, n, size);
	if (err)
		return err;
	priv->ring_size = size;
	for (i = 0; i < n; i++)
		rqs[i] = mynet_rq_replace(dev, rqs[i]);

	synchronize_net();
	mynet_rqs_free(rqs, n);
	mynet_wake_senders(dev);
	return 0;
}

/**
 * mynet_max_queues() - how many channels the pair can use
 * @dev: either end
 *
 * Return: the queues both ends allocated, TX and RX.
 */
unsigned int mynet_max_queues(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);
	unsigned int n = min(dev->num_tx_queues, dev->num_rx_queues);

	if (peer)
		n = min3(n, peer->num_tx_queues, peer->num_rx_queues);
	return min_t(unsigned int, n, MYNET_MAX_QUEUES);
}

/* Remove rings @from..@to-1 of an end, moving their frames to the rings
 * that remain (@keep of them), and free them after a grace period.
 */
static void mynet_rqs_remove(struct net_device *dev, unsigned int from,
			     unsigned int to, unsigned int keep)
{
	struct mynet_rq *old[MYNET_MAX_QUEUES] = {};
	unsigned int i;

	for (i = from; i < to; i++)
		old[i] = mynet_rq_remove(dev, i, keep ? i % keep : i);
	synchronize_net();
	mynet_rqs_free(old, MYNET_MAX_QUEUES);
}

/* Set the TX or RX queue count (@set) of both ends. Fewer TX queues
 * waits out the xmits still on the queues that go, and empties their
 * qdiscs; more queues can fail (sysfs objects for each), fewer cannot.
 */
static int mynet_ends_set(struct net_device **ends, unsigned int count,
			  int (*set)(struct net_device *, unsigned int))
{
	unsigned int e;
	int err;

	for (e = 0; e < 2 && ends[e]; e++) {
		err = set(ends[e], count);
		if (err)
			return err;
	}
	return 0;
}

/* Go down from @cur queues to @count on both ends: the TX counts first,
 * then the rings @count..@cur-1 of each end that is up, their frames
 * moved to ring i % @keep (purged when @keep is 0), last the RX counts.
 */
static void mynet_ends_shrink(struct net_device **ends, unsigned int count,
			      unsigned int cur, unsigned int keep)
{
	unsigned int e;

	WARN_ON_ONCE(mynet_ends_set(ends, count,
				    netif_set_real_num_tx_queues));
	for (e = 0; e < 2 && ends[e]; e++)
		if (netif_running(ends[e]))
			mynet_rqs_remove(ends[e], count, cur, keep);
	WARN_ON_ONCE(mynet_ends_set(ends, count,
				    netif_set_real_num_rx_queues));
}

/**
 * mynet_set_queue_count() - change the channel count of a pair
 * @dev: the end ethtool -L was run on; its peer follows
 * @count: the new number of TX and RX queues, 1..mynet_max_queues()
 *
 * TX queue i of one end feeds ring i of the other, whose NAPI delivers
 * the frames as received on RX queue i. The core refuses (and with RPS
 * or generic XDP warns about) a frame received on a queue its device no
 * longer has, so a ring may deliver only while both its device has RX
 * queue i and a TX queue i may feed it only while that ring exists. Each
 * step keeps this on both ends at every moment:
 *
 * - Growing: the new rings are allocated (all or nothing), the RX counts
 *   grow, the rings are published, and only then the TX counts grow,
 *   which lets the stacks send on the new queues.
 * - Shrinking: the TX counts go down first (the core then waits out the
 *   xmits still on the queues that go), then the rings that go are
 *   removed (napi_disable() waits out their last poll and its GRO flush)
 *   and their frames moved to ring i % @count, and last the RX counts.
 *
 * Context: process, RTNL held.
 * Return: 0, or a negative errno with nothing changed.
 */
int mynet_set_queue_count(struct net_device *dev, unsigned int count)
{
	struct mynet_rq *rqs[2][MYNET_MAX_QUEUES] = {};
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int old = dev->real_num_rx_queues;
	struct net_device *ends[2];
	unsigned int e, i;
	int err;

	ends[0] = dev;
	ends[1] = rtnl_dereference(priv->peer);
	if (count == old)
		return 0;

	if (count < old) {
		mynet_ends_shrink(ends, count, old, count);
		goto wake;
	}

	/* Growing: allocate everything before changing anything. */
	for (e = 0; e < 2 && ends[e]; e++) {
		struct mynet_priv *p = netdev_priv(ends[e]);

		if (!netif_running(ends[e]))
			continue;
		err = mynet_rqs_alloc(ends[e], rqs[e], old, count,
				      p->ring_size);
		if (err)
			goto free_rqs;
	}
	err = mynet_ends_set(ends, count, netif_set_real_num_rx_queues);
	if (err)
		goto undo_rx;
	for (e = 0; e < 2 && ends[e]; e++)
		for (i = old; i < count; i++)
			if (rqs[e][i])
				mynet_rq_publish(ends[e], rqs[e][i]);
	err = mynet_ends_set(ends, count, netif_set_real_num_tx_queues);
	if (err)
		goto undo_tx;
wake:
	for (e = 0; e < 2 && ends[e]; e++)
		mynet_wake_senders(ends[e]);
	return 0;

undo_tx:
	/* Back to @old queues in the shrinking order: frames sent on the
	 * new queues meanwhile are purged.
	 */
	mynet_ends_shrink(ends, old, count, 0);
	return err;
undo_rx:
	WARN_ON_ONCE(mynet_ends_set(ends, old, netif_set_real_num_rx_queues));
	e = 2;
free_rqs:
	while (e--)
		mynet_rqs_free(rqs[e], MYNET_MAX_QUEUES);
	return err;
}
