// SPDX-License-Identifier: GPL-2.0
/* ethtool: driver info, link state and the counters ethtool -S shows. */

#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "mynetdrv.h"

/* No bus: like veth, a virtual device leaves bus-info empty. */
static void mynet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	strscpy(info->driver, MYNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->version, MYNET_DRV_VERSION, sizeof(info->version));
}

/* A fixed 10 Gb/s full-duplex link, reported as a NIC does: speed and
 * duplex are unknown while there is no carrier.
 */
static int mynet_get_link_ksettings(struct net_device *dev,
				    struct ethtool_link_ksettings *cmd)
{
	if (netif_carrier_ok(dev)) {
		cmd->base.speed = SPEED_10000;
		cmd->base.duplex = DUPLEX_FULL;
	} else {
		cmd->base.speed = SPEED_UNKNOWN;
		cmd->base.duplex = DUPLEX_UNKNOWN;
	}
	cmd->base.port = PORT_NONE;
	cmd->base.autoneg = AUTONEG_DISABLE;
	return 0;
}

static int mynet_get_sset_count(struct net_device *dev, int sset)
{
	switch (sset) {
	case ETH_SS_STATS:
		return mynet_ethtool_stats_count();
	default:
		return -EOPNOTSUPP;
	}
}

static void mynet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		mynet_ethtool_stats_strings(data);
}

static void mynet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	mynet_ethtool_stats_fill(dev, data);
}

const struct ethtool_ops mynet_ethtool_ops = {
	.get_drvinfo		= mynet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= mynet_get_link_ksettings,
	.get_sset_count		= mynet_get_sset_count,
	.get_strings		= mynet_get_strings,
	.get_ethtool_stats	= mynet_get_ethtool_stats,
	.get_ts_info		= ethtool_op_get_ts_info,
};
