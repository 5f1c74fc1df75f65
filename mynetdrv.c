// SPDX-License-Identifier: GPL-2.0
/*
 * mynetdrv: a virtual Ethernet NIC pair looped through NAPI.
 *
 * This file holds what makes a mynetdrv device: its net_device_ops,
 * its setup, and the module's load and unload. The data path is in
 * napi.c, counters in stats.c, ethtool in ethtool.c and the
 * "ip link add ... type mynetdrv" glue in rtnl.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "mynetdrv.h"

static unsigned int numpairs = 1;

/* Reject a bad value while the module is parsed: insmod then fails
 * before any device exists.
 */
static int mynet_numpairs_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n > MYNET_MAX_PAIRS) {
		pr_err("numpairs=%s: must be an integer from 0 to %u\n",
		       val, MYNET_MAX_PAIRS);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops mynet_numpairs_ops = {
	.set = mynet_numpairs_set,
	.get = param_get_uint,
};

module_param_cb(numpairs, &mynet_numpairs_ops, &numpairs, 0444);
MODULE_PARM_DESC(numpairs,
		 "Pairs created at load, mydev0<->mydev1, mydev2<->mydev3, ... (0-"
		 __stringify(MYNET_MAX_PAIRS) ", default 1)");

/* Carrier follows the pair: both ends up, or no link. */
static void mynet_set_carrier(struct net_device *dev, bool on)
{
	struct mynet_priv *priv = netdev_priv(dev);

	if (netif_carrier_ok(dev) == on)
		return;
	if (on)
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
	netif_info(priv, link, dev, "link %s\n", str_up_down(on));
}

static int mynet_open(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int err;

	err = mynet_rx_open(dev);
	if (err) {
		netdev_err(dev, "cannot create the receive rings: %pe\n",
			   ERR_PTR(err));
		return err;
	}

	mynet_tx_start(dev);

	/* A link needs both ends: carrier comes up when the second opens. */
	peer = rtnl_dereference(priv->peer);
	if (peer && netif_running(peer)) {
		mynet_set_carrier(dev, true);
		mynet_set_carrier(peer, true);
	}
	return 0;
}

static int mynet_stop(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer;

	peer = rtnl_dereference(priv->peer);
	mynet_set_carrier(dev, false);
	if (peer)
		mynet_set_carrier(peer, false);

	netif_tx_disable(dev);
	mynet_rx_close(dev);
	return 0;
}

/* "ip link" shows the other end as mydev0@mydev1. */
static int mynet_get_iflink(const struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int iflink = 0;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (peer)
		iflink = READ_ONCE(peer->ifindex);
	rcu_read_unlock();

	return iflink;
}

const struct net_device_ops mynet_netdev_ops = {
	.ndo_init		= mynet_stats_alloc,
	.ndo_open		= mynet_open,
	.ndo_stop		= mynet_stop,
	.ndo_start_xmit		= mynet_start_xmit,
	.ndo_features_check	= mynet_features_check,
	.ndo_tx_timeout		= mynet_tx_timeout,
	.ndo_set_rx_mode	= mynet_set_rx_mode,
	.ndo_get_stats64	= mynet_get_stats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_get_iflink		= mynet_get_iflink,
#ifdef MYNET_XDP
	.ndo_bpf		= mynet_bpf,
	.ndo_xdp_xmit		= mynet_xdp_xmit,
#endif
};

/* Offloads a frame keeps across the pair: it is never serialized, so
 * checksums stay CHECKSUM_PARTIAL and GSO skbs cross whole, as on veth.
 */
#define MYNET_FEATURES	(NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM | \
			 NETIF_F_RXCSUM | NETIF_F_HIGHDMA | \
			 NETIF_F_GSO_SOFTWARE)

/* Everything ether_setup() does not already do for a mynetdrv device. */
static void mynet_setup(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);

	priv->dev = dev;
	seqlock_init(&priv->filter_lock);
	/* The defaults ethtool shows: no interrupt moderation (rx-usecs 0
	 * interrupts at once), 256-slot rings, a 10 Gb/s full-duplex link.
	 */
	priv->ring_size = MYNET_RING_SIZE;
	priv->rx_usecs = 0;
	priv->rx_frames = 1;
	priv->speed = SPEED_10000;
	priv->duplex = DUPLEX_FULL;
	priv->msg_enable = MYNET_MSG_DEFAULT;

	dev->netdev_ops = &mynet_netdev_ops;
	dev->ethtool_ops = &mynet_ethtool_ops;
#ifdef MYNET_HAVE_STAT_OPS
	dev->stat_ops = &mynet_stat_ops;
#endif
	dev->rtnl_link_ops = &mynet_link_ops;
	/* unregister_netdevice() frees the device: no free_netdev() later. */
	dev->needs_free_netdev = true;
	/* Frees what ndo_init allocated. The core calls it once ndo_init
	 * has succeeded, also when registration fails after it.
	 */
	dev->priv_destructor = mynet_stats_free;

	/* The peer's eth_type_trans() rewrites the skb: no shared skbs. */
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	/* Our filter takes extra unicast addresses without promisc. */
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_UNICAST_FLT;
	dev->watchdog_timeo = MYNET_TX_TIMEOUT;

	dev->features |= MYNET_FEATURES;
	dev->hw_features |= MYNET_FEATURES;
	dev->vlan_features |= MYNET_FEATURES;

	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = MYNET_MAX_MTU;
	/* BIG TCP, as on veth: GSO frames cross whole, so allow them as large
	 * as the stack builds (the peer's gro_max_size still bounds what
	 * ndo_features_check lets through). gso_max_size stays 64 KiB until
	 * the user raises it.
	 */
	netif_set_tso_max_size(dev, GSO_MAX_SIZE);
#if defined(MYNET_HAVE_XDP_FEATURES) && defined(MYNET_XDP)
	/* Native XDP with every verdict, redirects out, and frames
	 * redirected in, which reach the peer with or without a program of
	 * its own (xdp.c). Set before registration: no lock needed yet.
	 */
	dev->xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			    NETDEV_XDP_ACT_NDO_XMIT | NETDEV_XDP_ACT_RX_SG |
			    NETDEV_XDP_ACT_NDO_XMIT_SG;
#endif

	eth_hw_addr_random(dev);
	/* No carrier until both ends are up. */
	netif_carrier_off(dev);
}

/**
 * mynet_alloc() - allocate one end of a pair
 * @name: interface name, or a template such as "mydev%d"
 * @name_assign_type: NET_NAME_USER for a user's name, else NET_NAME_ENUM
 * @txqs: TX queues to allocate, at most MYNET_MAX_QUEUES
 * @rxqs: RX queues to allocate, at most MYNET_MAX_QUEUES
 *
 * Return: an unregistered device, or NULL when memory runs out.
 */
struct net_device *mynet_alloc(const char *name,
			       unsigned char name_assign_type,
			       unsigned int txqs, unsigned int rxqs)
{
	struct net_device *dev;

	dev = alloc_etherdev_mqs(sizeof(struct mynet_priv), txqs, rxqs);
	if (!dev)
		return NULL;

	mynet_setup(dev);
	strscpy(dev->name, name, sizeof(dev->name));
	dev->name_assign_type = name_assign_type;
	return dev;
}

static struct dentry *mynet_debugfs;

static int mynet_fault_get(void *data, u64 *val)
{
	*val = atomic_read(data);
	return 0;
}

/* The first write to any knob, 0 included, turns on the static key the
 * data path's fault checks sit behind, for the module's life: tests arm
 * it before their traffic starts, so no code is patched under it.
 */
static int mynet_fault_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	static_branch_enable(&mynet_faults);
	atomic_set(data, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mynet_fault_fops, mynet_fault_get, mynet_fault_set,
			 "%llu\n");

/* A poll's delay busy-waits in softirq context: at most 1 ms. */
static int mynet_poll_delay_set(void *data, u64 val)
{
	if (val > USEC_PER_MSEC)
		return -EINVAL;
	return mynet_fault_set(data, val);
}

DEFINE_DEBUGFS_ATTRIBUTE(mynet_poll_delay_fops, mynet_fault_get,
			 mynet_poll_delay_set, "%llu\n");

/* Fault injection knobs, where netdevsim keeps its own (napi.c). */
static void mynet_debugfs_init(void)
{
	mynet_debugfs = debugfs_create_dir(MYNET_DRV_NAME, NULL);
	debugfs_create_file_unsafe("lose_kicks", 0600, mynet_debugfs,
				   &mynet_lose_kicks, &mynet_fault_fops);
	debugfs_create_file_unsafe("xmit_fail_nth", 0600, mynet_debugfs,
				   &mynet_xmit_fail_nth, &mynet_fault_fops);
	debugfs_create_file_unsafe("poll_delay_us", 0600, mynet_debugfs,
				   &mynet_poll_delay_us,
				   &mynet_poll_delay_fops);
}

static int __init mynet_init(void)
{
	unsigned int i;
	int err;

	mynet_debugfs_init();
	err = rtnl_link_register(&mynet_link_ops);
	if (err) {
		pr_err("cannot register the link type: %pe\n", ERR_PTR(err));
		goto remove_debugfs;
	}

	for (i = 0; i < numpairs; i++) {
		err = mynet_create_pair(&init_net);
		if (err) {
			pr_err("creating pair %u of %u failed: %d\n",
			       i + 1, numpairs, err);
			goto unregister_link_ops;
		}
	}
	return 0;

unregister_link_ops:
	/* Deletes the pairs created so far, too. */
	rtnl_link_unregister(&mynet_link_ops);
remove_debugfs:
	debugfs_remove_recursive(mynet_debugfs);
	return err;
}

/* Unregistering the link kind deletes every pair of that kind, in every
 * network namespace, whoever created it.
 */
static void __exit mynet_exit(void)
{
	rtnl_link_unregister(&mynet_link_ops);
	debugfs_remove_recursive(mynet_debugfs);
}

module_init(mynet_init);
module_exit(mynet_exit);

MODULE_DESCRIPTION("Virtual Ethernet NIC pair looped through NAPI");
MODULE_AUTHOR("The mynetdrv developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(MYNET_DRV_VERSION);
MODULE_ALIAS_RTNL_LINK(MYNET_DRV_NAME);
