// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool: what a NIC lets its user see and tune. Every setting here
 * changes how the data path behaves, not just a stored number:
 *
 *   -l/-L  channels      queues of both ends (rings.c)
 *   -g/-G  rings         receive ring size (rings.c)
 *   -c/-C  coalescing    RX interrupt moderation (mynet_kick() in napi.c)
 *   -s     link          speed/duplex reported to the stack, msglevel
 *   -S     statistics    stats.c
 *   -t     self-test     selftest.c
 *   -T     timestamps    software TX (napi.c) and RX (the core)
 *
 * All of these run in process context under RTNL.
 */

#include <linux/ethtool.h>
#include <linux/linkmode.h>
#include <linux/netdevice.h>

#include "mynetdrv.h"

/* No bus: like veth, a virtual device leaves bus-info empty. */
static void mynet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	strscpy(info->driver, MYNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->version, MYNET_DRV_VERSION, sizeof(info->version));
}

/* The speeds a user may force, with the link modes that carry them. */
static const struct mynet_link_mode {
	u32 speed;
	int full;			/* ETHTOOL_LINK_MODE_*_BIT */
	int half;			/* -1: full duplex only */
} mynet_link_modes[] = {
	{ SPEED_10, ETHTOOL_LINK_MODE_10baseT_Full_BIT,
	  ETHTOOL_LINK_MODE_10baseT_Half_BIT },
	{ SPEED_100, ETHTOOL_LINK_MODE_100baseT_Full_BIT,
	  ETHTOOL_LINK_MODE_100baseT_Half_BIT },
	{ SPEED_1000, ETHTOOL_LINK_MODE_1000baseT_Full_BIT,
	  ETHTOOL_LINK_MODE_1000baseT_Half_BIT },
	{ SPEED_10000, ETHTOOL_LINK_MODE_10000baseT_Full_BIT, -1 },
	{ SPEED_25000, ETHTOOL_LINK_MODE_25000baseCR_Full_BIT, -1 },
	{ SPEED_40000, ETHTOOL_LINK_MODE_40000baseCR4_Full_BIT, -1 },
	{ SPEED_100000, ETHTOOL_LINK_MODE_100000baseCR4_Full_BIT, -1 },
};

static const struct mynet_link_mode *mynet_find_link_mode(u32 speed)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mynet_link_modes); i++)
		if (mynet_link_modes[i].speed == speed)
			return &mynet_link_modes[i];
	return NULL;
}

/* Speed and duplex as set (default 10 Gb/s full), reported as a NIC
 * does: unknown while there is no carrier. Nothing is negotiated.
 */
static int mynet_get_link_ksettings(struct net_device *dev,
				    struct ethtool_link_ksettings *cmd)
{
	struct mynet_priv *priv = netdev_priv(dev);
	const struct mynet_link_mode *mode;
	unsigned int i;

	ethtool_link_ksettings_zero_link_mode(cmd, supported);
	for (i = 0; i < ARRAY_SIZE(mynet_link_modes); i++) {
		mode = &mynet_link_modes[i];
		__set_bit(mode->full, cmd->link_modes.supported);
		if (mode->half >= 0)
			__set_bit(mode->half, cmd->link_modes.supported);
	}

	if (netif_carrier_ok(dev)) {
		cmd->base.speed = priv->speed;
		cmd->base.duplex = priv->duplex;
	} else {
		cmd->base.speed = SPEED_UNKNOWN;
		cmd->base.duplex = DUPLEX_UNKNOWN;
	}
	cmd->base.port = PORT_NONE;
	cmd->base.autoneg = AUTONEG_DISABLE;
	return 0;
}

/* What a set may not change: there is no PHY, port or negotiation. */
static const char *
mynet_ksettings_fixed(const struct ethtool_link_ksettings *cmd)
{
	if (cmd->base.autoneg != AUTONEG_DISABLE)
		return "autonegotiation is not supported";
	if (!linkmode_empty(cmd->link_modes.advertising))
		return "no link modes are advertised: no autonegotiation";
	if (cmd->base.port != PORT_NONE)
		return "port cannot be set: there is none";
	if (cmd->base.phy_address)
		return "PHY address cannot be set: there is no PHY";
	if (cmd->base.eth_tp_mdix_ctrl != ETH_TP_MDI_INVALID)
		return "MDI-X cannot be set: there is no twisted pair";
	return NULL;
}

/* No extack here: the reason goes to the kernel log. */
static int mynet_set_link_ksettings(struct net_device *dev,
				    const struct ethtool_link_ksettings *cmd)
{
	struct mynet_priv *priv = netdev_priv(dev);
	const struct mynet_link_mode *mode;
	u32 speed = cmd->base.speed;
	u8 duplex = cmd->base.duplex;
	const char *fixed;

	fixed = mynet_ksettings_fixed(cmd);
	if (fixed) {
		netdev_info(dev, "%s\n", fixed);
		return -EINVAL;
	}
	/* The core fills in what the user left out from a get, which says
	 * "unknown" while there is no carrier: keep the stored value then,
	 * so that "ethtool -s DEV speed S" alone works on a link that is
	 * down, as it does on one that is up.
	 */
	if (speed == SPEED_UNKNOWN)
		speed = priv->speed;
	if (duplex == DUPLEX_UNKNOWN)
		duplex = priv->duplex;
	mode = mynet_find_link_mode(speed);
	if (!mode || (duplex != DUPLEX_FULL &&
		      (duplex != DUPLEX_HALF || mode->half < 0))) {
		netdev_info(dev, "unsupported speed %u duplex %u\n",
			    speed, duplex);
		return -EINVAL;
	}

	priv->speed = mode->speed;
	priv->duplex = duplex;
	return 0;
}

static u32 mynet_get_msglevel(struct net_device *dev)
{
	struct mynet_priv *priv = netdev_priv(dev);

	return priv->msg_enable;
}

static void mynet_set_msglevel(struct net_device *dev, u32 value)
{
	struct mynet_priv *priv = netdev_priv(dev);

	priv->msg_enable = value;
}

static void mynet_get_channels(struct net_device *dev,
			       struct ethtool_channels *ch)
{
	ch->max_combined = mynet_max_queues(dev);
	ch->combined_count = dev->real_num_rx_queues;
}

/* The ethtool core has checked 1 <= combined <= max, and rx = tx = 0. */
static int mynet_set_channels(struct net_device *dev,
			      struct ethtool_channels *ch)
{
	struct mynet_priv *priv = netdev_priv(dev);
	unsigned int old = dev->real_num_rx_queues;
	int err;

	err = mynet_set_queue_count(dev, ch->combined_count);
	/* Logged: set_channels() has no extack to carry a message. */
	if (err)
		netdev_err(dev, "cannot change to %u channels: %pe\n",
			   ch->combined_count, ERR_PTR(err));
	else if (old != ch->combined_count)
		netif_info(priv, ifup, dev, "%u channels (was %u), peer too\n",
			   ch->combined_count, old);
	return err;
}

/* There is no TX ring: a sender fills its peer's RX ring. */
static void mynet_get_ringparam(struct net_device *dev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct mynet_priv *priv = netdev_priv(dev);

	ring->rx_max_pending = MYNET_RING_MAX;
	ring->rx_pending = priv->ring_size;
}

/* The core has checked the maximum, and that the TX ring stays 0. */
static int mynet_set_ringparam(struct net_device *dev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	u32 size = ring->rx_pending;
	int err;

	if (size < MYNET_RING_MIN || !is_power_of_2(size)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "RX ring size must be a power of two from "
				   __stringify(MYNET_RING_MIN) " to "
				   __stringify(MYNET_RING_MAX));
		return -EINVAL;
	}
	err = mynet_set_ring_size(dev, size);
	if (err)
		NL_SET_ERR_MSG_MOD(extack, "cannot allocate the new RX rings");
	return err;
}

static int mynet_get_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct mynet_priv *priv = netdev_priv(dev);

	ec->rx_coalesce_usecs = priv->rx_usecs;
	ec->rx_max_coalesced_frames = priv->rx_frames;
	return 0;
}

/*
 * As ethtool.h defines them: rx-usecs 0 interrupts at once; rx-frames 0
 * sets no frame limit, so both 0 would never interrupt. The core has
 * refused parameters outside supported_coalesce_params.
 */
static int mynet_set_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct mynet_priv *priv = netdev_priv(dev);
	u32 usecs = ec->rx_coalesce_usecs;
	u32 frames = ec->rx_max_coalesced_frames;

	if (usecs > MYNET_MAX_RX_USECS) {
		NL_SET_ERR_MSG_MOD(extack, "rx-usecs must be at most "
				   __stringify(MYNET_MAX_RX_USECS));
		return -EINVAL;
	}
	if (frames > MYNET_MAX_RX_FRAMES) {
		NL_SET_ERR_MSG_MOD(extack, "rx-frames must be at most "
				   __stringify(MYNET_MAX_RX_FRAMES));
		return -EINVAL;
	}
	if (!usecs && !frames) {
		NL_SET_ERR_MSG_MOD(extack,
				   "rx-usecs and rx-frames cannot both be 0: no interrupt would fire");
		return -EINVAL;
	}

	/* The peer's next kick reads them; a timer already armed runs out. */
	WRITE_ONCE(priv->rx_usecs, usecs);
	WRITE_ONCE(priv->rx_frames, frames);
	return 0;
}

static int mynet_get_sset_count(struct net_device *dev, int sset)
{
	switch (sset) {
	case ETH_SS_STATS:
		return mynet_ethtool_stats_count(dev);
	case ETH_SS_TEST:
		return mynet_selftest_count();
	default:
		return -EOPNOTSUPP;
	}
}

static void mynet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	switch (sset) {
	case ETH_SS_STATS:
		mynet_ethtool_stats_strings(dev, data);
		break;
	case ETH_SS_TEST:
		mynet_selftest_strings(data);
		break;
	}
}

static void mynet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	mynet_ethtool_stats_fill(dev, data);
}

const struct ethtool_ops mynet_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_RX_USECS |
				     ETHTOOL_COALESCE_RX_MAX_FRAMES,
	.get_drvinfo		= mynet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= mynet_get_link_ksettings,
	.set_link_ksettings	= mynet_set_link_ksettings,
	.get_msglevel		= mynet_get_msglevel,
	.set_msglevel		= mynet_set_msglevel,
	.get_channels		= mynet_get_channels,
	.set_channels		= mynet_set_channels,
	.get_ringparam		= mynet_get_ringparam,
	.set_ringparam		= mynet_set_ringparam,
	.get_coalesce		= mynet_get_coalesce,
	.set_coalesce		= mynet_set_coalesce,
	.get_sset_count		= mynet_get_sset_count,
	.get_strings		= mynet_get_strings,
	.get_ethtool_stats	= mynet_get_ethtool_stats,
	.self_test		= mynet_selftest_run,
	.get_ts_info		= ethtool_op_get_ts_info,
};
