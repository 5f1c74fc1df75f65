// SPDX-License-Identifier: GPL-2.0
/*
 * The "mynetdrv" link kind: pairs made by "ip link add A type mynetdrv
 * peer name B" and by module load, and how a pair is deleted. Modelled on
 * veth: the peer is created and registered first, the ends may live in
 * different network namespaces, and deleting either end deletes both.
 */

#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>

#include <linux/mynetdrv.h>

#include "mynetdrv.h"

/*
 * Start a new pair with the channel count multi-queue NIC drivers pick,
 * netif_get_num_default_rss_queues() (one per physical core, half as many
 * above two), within what both ends allocated. Both ends always run the
 * same count: TX queue i of one end feeds RX queue i of the other. Before
 * registration this only stores the counts, and cannot fail for counts
 * within the allocation.
 */
static void mynet_default_queues(struct net_device *a,
				 struct net_device *b)
{
	unsigned int n = netif_get_num_default_rss_queues();

	n = min3(n, a->num_tx_queues, a->num_rx_queues);
	n = min3(n, b->num_tx_queues, b->num_rx_queues);
	WARN_ON_ONCE(netif_set_real_num_queues(a, n, n));
	WARN_ON_ONCE(netif_set_real_num_queues(b, n, n));
}

/* Tie two registered devices into a pair. Context: RTNL held. */
static void mynet_link_peers(struct net_device *a, struct net_device *b)
{
	struct mynet_priv *pa = netdev_priv(a);
	struct mynet_priv *pb = netdev_priv(b);

	rcu_assign_pointer(pa->peer, b);
	rcu_assign_pointer(pb->peer, a);
}

/**
 * mynet_create_pair() - create a pair named from the "mydev%d" template
 * @net: the namespace both ends are created in
 *
 * Context: process; takes RTNL.
 * Return: 0, or a negative errno with nothing left behind.
 */
int mynet_create_pair(struct net *net)
{
	struct net_device *a, *b;
	int err;

	a = mynet_alloc("mydev%d", NET_NAME_ENUM, MYNET_MAX_QUEUES,
			MYNET_MAX_QUEUES);
	if (!a)
		return -ENOMEM;

	b = mynet_alloc("mydev%d", NET_NAME_ENUM, MYNET_MAX_QUEUES,
			MYNET_MAX_QUEUES);
	if (!b) {
		err = -ENOMEM;
		goto free_a;
	}
	dev_net_set(a, net);
	dev_net_set(b, net);
	mynet_default_queues(a, b);

	rtnl_lock();
	err = register_netdevice(a);
	if (err)
		goto unlock;
	err = register_netdevice(b);
	if (err)
		goto unregister_a;
	mynet_link_peers(a, b);
	rtnl_unlock();
	return 0;

unregister_a:
	/* needs_free_netdev: a is freed when RTNL is released. */
	unregister_netdevice(a);
	rtnl_unlock();
	free_netdev(b);
	return err;
unlock:
	rtnl_unlock();
	free_netdev(b);
free_a:
	free_netdev(a);
	return err;
}

static struct net_device *mynet_link_alloc(struct nlattr *tb[],
					   const char *ifname,
					   unsigned char name_assign_type,
					   unsigned int num_tx_queues,
					   unsigned int num_rx_queues)
{
	struct net_device *dev;

	dev = mynet_alloc(ifname, name_assign_type, num_tx_queues,
			  num_rx_queues);
	return dev ?: ERR_PTR(-ENOMEM);
}

/* Allocate every queue a pair may use, unless the user asks for fewer. */
static unsigned int mynet_get_num_queues(void)
{
	return MYNET_MAX_QUEUES;
}

static int mynet_validate_queues(struct nlattr *attr,
				 struct netlink_ext_ack *extack)
{
	if (attr && nla_get_u32(attr) > MYNET_MAX_QUEUES) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "at most " __stringify(MYNET_MAX_QUEUES)
				    " TX and RX queues");
		return -EINVAL;
	}
	return 0;
}

/* Checks both ends' attributes: rtnl_create_link() checks the MTU range. */
static int mynet_validate(struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	struct nlattr *addr = tb[IFLA_ADDRESS];
	int err;

	if (addr) {
		if (nla_len(addr) != ETH_ALEN) {
			NL_SET_ERR_MSG_ATTR(extack, addr,
					    "MAC address must be 6 bytes");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(addr))) {
			NL_SET_ERR_MSG_ATTR(extack, addr,
					    "MAC address must be unicast and not all zeros");
			return -EADDRNOTAVAIL;
		}
	}

	err = mynet_validate_queues(tb[IFLA_NUM_TX_QUEUES], extack);
	if (err)
		return err;
	return mynet_validate_queues(tb[IFLA_NUM_RX_QUEUES], extack);
}

/* What register_netdevice() takes as a name: dev_valid_name(), and in a
 * template at most one "%d" (as __dev_alloc_name() checks).
 */
static bool mynet_valid_name(const char *name)
{
	const char *p = strchr(name, '%');

	return dev_valid_name(name) &&
	       (!p || (p[1] == 'd' && !strchr(p + 2, '%')));
}

static int mynet_check_peer_name(struct net *net, const char *name,
				 const struct net_device *dev,
				 const struct nlattr *attr,
				 struct netlink_ext_ack *extack)
{
	if (!mynet_valid_name(name)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "peer name is not a valid interface name");
		return -EINVAL;
	}
	if (net_eq(net, dev_net(dev)) && !strcmp(name, dev->name)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "peer name must differ from the device name");
		return -EEXIST;
	}
	if (__dev_get_by_name(net, name)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "peer name is already in use");
		return -EEXIST;
	}
	return 0;
}

/* The core has refused a negative index (rtnl_nla_parse_ifinfomsg()). */
static int mynet_check_peer_index(struct net *net, int ifindex,
				  const struct net_device *dev,
				  struct netlink_ext_ack *extack)
{
	if (!ifindex)
		return 0;
	if (net_eq(net, dev_net(dev)) && ifindex == dev->ifindex) {
		NL_SET_ERR_MSG(extack,
			       "peer ifindex must differ from the device's");
		return -EBUSY;
	}
	if (__dev_get_by_index(net, ifindex)) {
		NL_SET_ERR_MSG(extack, "peer ifindex is already in use");
		return -EBUSY;
	}
	return 0;
}

/*
 * The peer's attributes: nested under MYNETDRV_INFO_PEER, or none (then
 * the peer takes dev's, as veth does, under a template name).
 */
static int mynet_parse_peer(struct nlattr *tb[], struct nlattr *data[],
			    struct nlattr *peer_tb[], struct nlattr ***tbp,
			    struct ifinfomsg **ifmp,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *nla_peer;
	int err;

	*tbp = tb;
	*ifmp = NULL;
	if (!data || !data[MYNETDRV_INFO_PEER])
		return 0;

	nla_peer = data[MYNETDRV_INFO_PEER];
	err = rtnl_nla_parse_ifinfomsg(peer_tb, nla_peer, extack);
	if (err < 0)
		return err;
	err = mynet_validate(peer_tb, NULL, extack);
	if (err < 0)
		return err;

	*ifmp = nla_data(nla_peer);
	*tbp = peer_tb;
	return 0;
}

/* Create the peer in @peer_net from @tbp, then register both ends. */
static int mynet_newlink_pair(struct net *peer_net, struct net_device *dev,
			      struct nlattr *tb[], struct nlattr *tbp[],
			      struct ifinfomsg *ifmp,
			      struct netlink_ext_ack *extack)
{
	unsigned char name_assign_type;
	struct net_device *peer;
	char ifname[IFNAMSIZ];
	int err;

	if (ifmp) {
		/* register_netdevice() would refuse these too, silently. */
		err = mynet_check_peer_index(peer_net, ifmp->ifi_index, dev,
					     extack);
		if (err)
			return err;
	}
	if (ifmp && tbp[IFLA_IFNAME]) {
		nla_strscpy(ifname, tbp[IFLA_IFNAME], IFNAMSIZ);
		name_assign_type = NET_NAME_USER;
		err = mynet_check_peer_name(peer_net, ifname, dev,
					    tbp[IFLA_IFNAME], extack);
		if (err)
			return err;
	} else {
		strscpy(ifname, "mydev%d", IFNAMSIZ);
		name_assign_type = NET_NAME_ENUM;
	}

	peer = rtnl_create_link(peer_net, ifname, name_assign_type,
				&mynet_link_ops, tbp, extack);
	if (IS_ERR(peer)) {
		err = PTR_ERR(peer);
		goto out;
	}

	mynet_default_queues(dev, peer);
	/* Without its own attributes the peer would copy dev's MAC. */
	if (!ifmp || !tbp[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	/* Unlike veth, the peer's index is used even when dev has none. */
	if (ifmp)
		peer->ifindex = ifmp->ifi_index;

	err = register_netdevice(peer);
	if (err < 0)
		goto free_peer;

	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err < 0)
		goto unregister_peer;

	/* dev was named before the peer existed: resolve its name now. */
	if (tb[IFLA_IFNAME])
		nla_strscpy(dev->name, tb[IFLA_IFNAME], IFNAMSIZ);
	else
		strscpy(dev->name, "mydev%d", IFNAMSIZ);

	err = register_netdevice(dev);
	if (err < 0)
		goto unregister_peer;

	mynet_link_peers(dev, peer);
	return 0;

unregister_peer:
	unregister_netdevice(peer);
	goto out;
free_peer:
	free_netdev(peer);
out:
	/* The core reports its other failures; these it leaves bare
	 * (inetdev_init() says -ENOBUFS for a failed allocation).
	 */
	if (err == -ENOMEM || err == -ENOBUFS)
		NL_SET_ERR_MSG_MOD(extack, "out of memory creating the pair");
	return err;
}

#ifdef MYNET_HAVE_NEWLINK_PARAMS
/* The core has resolved, checked and holds the peer's namespace. */
static int mynet_newlink(struct net_device *dev,
			 struct rtnl_newlink_params *params,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp;
	struct ifinfomsg *ifmp;
	int err;

	err = mynet_parse_peer(params->tb, params->data, peer_tb, &tbp,
			       &ifmp, extack);
	if (err)
		return err;

	return mynet_newlink_pair(rtnl_newlink_peer_net(params), dev,
				  params->tb, tbp, ifmp, extack);
}
#else
static int mynet_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp;
	struct ifinfomsg *ifmp;
	struct net *peer_net;
	int err;

	err = mynet_parse_peer(tb, data, peer_tb, &tbp, &ifmp, extack);
	if (err)
		return err;

	peer_net = rtnl_link_get_net(src_net, tbp);
	if (IS_ERR(peer_net))
		return PTR_ERR(peer_net);

	err = mynet_newlink_pair(peer_net, dev, tb, tbp, ifmp, extack);
	put_net(peer_net);
	return err;
}
#endif

/*
 * Deleting either end deletes both. Called from "ip link del", from
 * namespace teardown and from rtnl_link_unregister() at module unload;
 * the devices are freed only after an RCU grace period, so a concurrent
 * xmit that still sees the old peer pointer stays safe.
 */
static void mynet_dellink(struct net_device *dev, struct list_head *head)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	RCU_INIT_POINTER(priv->peer, NULL);
	unregister_netdevice_queue(dev, head);

	if (peer) {
		priv = netdev_priv(peer);
		RCU_INIT_POINTER(priv->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

/* The namespace the other end lives in ("link-netns" in ip link). */
static struct net *mynet_get_link_net(const struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static const struct nla_policy mynet_policy[MYNETDRV_INFO_MAX + 1] = {
	[MYNETDRV_INFO_PEER] = { .len = sizeof(struct ifinfomsg) },
};

struct rtnl_link_ops mynet_link_ops = {
	.kind			= MYNET_DRV_NAME,
#ifdef MYNET_HAVE_LINK_PEER_TYPE
	/* Lets the core find and check the peer's namespace attributes. */
	.peer_type		= MYNETDRV_INFO_PEER,
#endif
	.priv_size		= sizeof(struct mynet_priv),
	.alloc			= mynet_link_alloc,
	.validate		= mynet_validate,
	.newlink		= mynet_newlink,
	.dellink		= mynet_dellink,
	.policy			= mynet_policy,
	.maxtype		= MYNETDRV_INFO_MAX,
	.get_num_tx_queues	= mynet_get_num_queues,
	.get_num_rx_queues	= mynet_get_num_queues,
	.get_link_net		= mynet_get_link_net,
};
