// SPDX-License-Identifier: GPL-2.0
/*
 * The receive address filter, as a NIC has in hardware: frames for our
 * own address and broadcast always pass; other unicast and multicast
 * frames pass only if the stack asked for their address (dev->uc,
 * dev->mc) or put the device in promiscuous / all-multicast mode.
 *
 * ndo_set_rx_mode "programs" the filter under a seqlock; each NAPI poll
 * reads it for the few frames not for our own address.
 */

#include <linux/etherdevice.h>
#include <linux/netdevice.h>

#include "mynetdrv.h"

/**
 * mynet_set_rx_mode() - ndo_set_rx_mode: load the address filter
 * @dev: the receiving device
 *
 * More addresses than the filter holds fall back to promiscuous (unicast)
 * or all-multicast mode, as on NICs with a small exact-match table.
 *
 * Context: BH disabled, netif_addr_lock held (may not sleep).
 */
void mynet_set_rx_mode(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct mynet_rx_filter *f = &priv->filter;
	struct netdev_hw_addr *ha;
	unsigned int n;

	write_seqlock_bh(&priv->filter_lock);
	f->promisc = dev->flags & IFF_PROMISC ||
		     netdev_uc_count(dev) > MYNET_FILTER_ENTRIES;
	f->allmulti = dev->flags & IFF_ALLMULTI ||
		      netdev_mc_count(dev) > MYNET_FILTER_ENTRIES;

	n = 0;
	if (!f->promisc)
		netdev_for_each_uc_addr(ha, dev)
			ether_addr_copy(f->uc[n++], ha->addr);
	f->n_uc = n;

	n = 0;
	if (!f->allmulti)
		netdev_for_each_mc_addr(ha, dev)
			ether_addr_copy(f->mc[n++], ha->addr);
	f->n_mc = n;
	write_sequnlock_bh(&priv->filter_lock);
}

static bool mynet_filter_match(const u8 (*table)[ETH_ALEN], unsigned int n,
			       const u8 *addr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ether_addr_equal(table[i], addr))
			return true;
	return false;
}

/**
 * mynet_rx_filter_pass() - does the filter let a frame in?
 * @priv: the receiving device's private data
 * @dest: the frame's destination address, neither ours nor broadcast
 * @multicast: @dest is a multicast address
 *
 * Context: NAPI poll (softirq).
 * Return: true to deliver the frame.
 */
bool mynet_rx_filter_pass(struct mynet_priv *priv, const u8 *dest,
			  bool multicast)
{
	const struct mynet_rx_filter *f = &priv->filter;
	unsigned int seq;
	bool pass;

	do {
		seq = read_seqbegin(&priv->filter_lock);
		if (f->promisc)
			pass = true;
		else if (multicast)
			pass = f->allmulti ||
			       mynet_filter_match(f->mc, f->n_mc, dest);
		else
			pass = mynet_filter_match(f->uc, f->n_uc, dest);
	} while (read_seqretry(&priv->filter_lock, seq));

	return pass;
}
