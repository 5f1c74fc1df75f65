/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Netlink attributes of the "mynetdrv" link kind, nested in IFLA_INFO_DATA.
 * Shared by the driver and by the iproute2 plugin (iproute2/link_mynetdrv.c).
 */
#ifndef _UAPI_LINUX_MYNETDRV_H
#define _UAPI_LINUX_MYNETDRV_H

enum {
	MYNETDRV_INFO_UNSPEC,
	/* struct ifinfomsg followed by IFLA_* attributes, as VETH_INFO_PEER */
	MYNETDRV_INFO_PEER,
	__MYNETDRV_INFO_MAX
};

#define MYNETDRV_INFO_MAX	(__MYNETDRV_INFO_MAX - 1)

#endif /* _UAPI_LINUX_MYNETDRV_H */
