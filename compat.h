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
#include <linux/netdevice.h>

/* Bounds annotation for flexible arrays, from 6.6. */
#ifndef __counted_by
#define __counted_by(member)
#endif

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

#endif /* _MYNET_COMPAT_H */
