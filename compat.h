/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mynetdrv builds on, in one place.
 *
 * Kbuild probes the headers of the kernel being built against and
 * defines MYNET_HAVE_<capability> for each API it finds (see Kbuild);
 * the driver asks for a capability here, never for a version number.
 */
#ifndef _MYNET_COMPAT_H
#define _MYNET_COMPAT_H

#include <linux/compiler.h>
#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/sch_generic.h>
#include <net/xdp.h>

/*
 * NAPI instances with persistent configuration (6.13): a queue's NAPI ID
 * and its settings (threaded, gro-flush-timeout, ...) are kept by index
 * across down/up, as a NIC's vectors are.
 */
static inline void mynet_napi_add(struct net_device *dev,
				  struct napi_struct *napi,
				  int (*poll)(struct napi_struct *, int),
				  unsigned int index)
{
#ifdef MYNET_HAVE_NAPI_ADD_CONFIG
	netif_napi_add_config(dev, napi, poll, index);
#else
	netif_napi_add(dev, napi, poll);
#endif
}

/*
 * Tell the core which NAPI serves an RX queue (6.8), so netlink's
 * queue-get and busy polling can find it. Nothing to do without.
 */
static inline void mynet_rx_queue_set_napi(struct net_device *dev,
					   unsigned int index,
					   struct napi_struct *napi)
{
#ifdef MYNET_HAVE_QUEUE_SET_NAPI
	netif_queue_set_napi(dev, index, NETDEV_QUEUE_TYPE_RX, napi);
#endif
}

/*
 * The largest frame the receiving stack takes whole (6.3 added a
 * separate IPv4 limit and this helper to pick the right one).
 */
static inline unsigned int mynet_gro_max_size(const struct net_device *dev,
					      const struct sk_buff *skb)
{
#ifdef MYNET_HAVE_GRO_MAX_SIZE_HELPER
	return netif_get_gro_max_size(dev, skb);
#else
	return READ_ONCE(dev->gro_max_size);
#endif
}

/* hrtimer_setup() (6.13) replaced hrtimer_init() plus a function store. */
typedef enum hrtimer_restart (*mynet_hrtimer_fn)(struct hrtimer *);

static inline void mynet_hrtimer_setup(struct hrtimer *timer,
				       mynet_hrtimer_fn fn)
{
#ifdef MYNET_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	timer->function = fn;
#endif
}

/*
 * ethtool_puts() (6.8): a string without format, ethtool_sprintf(data,
 * "%s", str) before. Same body as the core's.
 */
#ifndef MYNET_HAVE_ETHTOOL_PUTS
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy(*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

/* napi_is_scheduled() (6.7): the NAPI_STATE_SCHED test it wraps. */
#ifndef MYNET_HAVE_NAPI_IS_SCHEDULED
static inline bool napi_is_scheduled(struct napi_struct *n)
{
	return test_bit(NAPI_STATE_SCHED, &n->state);
}
#endif

/* str_up_down() lives in <linux/string_choices.h>, which 6.1 lacks. */
#ifdef MYNET_HAVE_STR_UP_DOWN
#include <linux/string_choices.h>
#else
static inline const char *str_up_down(bool v)
{
	return v ? "up" : "down";
}
#endif

/*
 * dev_kfree_skb_any_reason() (after 6.1): free from any context, keeping the
 * drop reason where the context allows running the skb's destructor.
 */
#ifndef MYNET_HAVE_KFREE_SKB_ANY_REASON
static inline void dev_kfree_skb_any_reason(struct sk_buff *skb,
					    enum skb_drop_reason reason)
{
	if (in_hardirq() || irqs_disabled())
		dev_kfree_skb_irq(skb);
	else
		kfree_skb_reason(skb, reason);
}
#endif

/* qdisc_txq_has_no_queue() (after 6.1): is the queue's qdisc "noqueue"? */
#ifndef MYNET_HAVE_TXQ_HAS_NO_QUEUE
static inline bool qdisc_txq_has_no_queue(const struct netdev_queue *txq)
{
	return !rcu_access_pointer(txq->qdisc)->enqueue;
}
#endif

/* The page pool API moved to <net/page_pool/helpers.h> in 6.6. */
#ifdef MYNET_HAVE_PAGE_POOL_HELPERS
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

/* An xdp_frame's memory: struct xdp_mem_info until 6.12, then only its
 * type (mem_type); a buffer's rxq carries it as struct xdp_mem_info.
 */
static inline void mynet_xdp_frame_mem(struct xdp_rxq_info *rxq,
				       const struct xdp_frame *frame)
{
#ifdef MYNET_HAVE_XDP_FRAME_MEM_TYPE
	rxq->mem.type = frame->mem_type;
#else
	rxq->mem = frame->mem;
#endif
}

#endif /* _MYNET_COMPAT_H */
