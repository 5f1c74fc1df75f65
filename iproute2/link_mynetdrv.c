// SPDX-License-Identifier: GPL-2.0
/*
 * link_mynetdrv.c	iproute2 plugin for the "mynetdrv" link kind.
 *
 * Loaded by ip(8) as $IP_LIB_DIR/link_mynetdrv.so (default
 * /usr/lib/<multiarch>/ip) for `ip link ... type mynetdrv`; ip looks up
 * the symbol mynetdrv_link_util.
 *
 * Derived from iproute2's ip/link_veth.c (Pavel Emelianov
 * <xemul@openvz.org>): a mynetdrv link is a pair of devices like veth,
 * and the peer is described the same way, by a MYNETDRV_INFO_PEER
 * attribute nested in IFLA_INFO_DATA that carries a struct ifinfomsg
 * followed by the peer's IFLA_* attributes.
 *
 * Built against the headers of the very iproute2 version that is
 * installed (see Makefile).  It only calls functions the ip executable
 * exports (iplink_parse, addattr_nest, addattr_nest_end, duparg) and libc.
 */

#include <stdio.h>
#include <string.h>
#include <linux/mynetdrv.h>

#include "utils.h"
#include "ip_common.h"

static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: ip link add [ name ] NAME [ OPTIONS ] type mynetdrv\n"
		"                   [ peer [ [ name ] PEER ] [ PEER_OPTIONS ] ]\n"
		"\n"
		"A mynetdrv link is a pair of Ethernet devices looped back to each\n"
		"other, like veth: frames sent on one are received on the other.\n"
		"\n"
		"OPTIONS, PEER_OPTIONS := any 'ip link add' option, e.g.\n"
		"        address LLADDR | mtu MTU | netns { PID | NAME } |\n"
		"        txqueuelen LEN | numtxqueues N | numrxqueues N | ...\n"
		"    (see 'ip link help'); PEER_OPTIONS apply to the peer device.\n"
		"Without 'peer', the kernel creates the peer with a name of its own.\n"
		"\n"
		"Example: ip link add a type mynetdrv peer name b netns ns1\n");
}

static int mynetdrv_parse_opt(struct link_util *lu, int argc, char **argv,
			      struct nlmsghdr *n)
{
	const size_t maxlen = sizeof(struct iplink_req);
	struct ifinfomsg *ifm, *peer_ifm;
	unsigned int ifi_flags, ifi_change;
	char *type = NULL;
	struct rtattr *data;
	int ifi_index;
	size_t len;
	int err;

	(void)lu;

	/* ip only calls us with at least one argument after "type mynetdrv". */
	if (strcmp(argv[0], "help") == 0) {
		print_usage(stderr);
		return -1;
	}
	if (strcmp(argv[0], "peer") != 0) {
		fprintf(stderr,
			"mynetdrv: unknown argument \"%s\": only \"peer\" may follow \"type mynetdrv\".\n"
			"Try \"ip link help mynetdrv\".\n",
			argv[0]);
		return -1;
	}

	/*
	 * iplink_parse() writes the peer's ifi_index/ifi_flags/ifi_change into
	 * the request's own ifinfomsg: park the ones of the first device and
	 * restore them afterwards, moving the peer's into the nested header.
	 */
	ifm = NLMSG_DATA(n);
	ifi_flags = ifm->ifi_flags;
	ifi_change = ifm->ifi_change;
	ifi_index = ifm->ifi_index;
	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;

	data = addattr_nest(n, maxlen, MYNETDRV_INFO_PEER);
	if (!data)
		return -1;

	/* Room for the peer's struct ifinfomsg; its attributes follow it. */
	len = NLMSG_ALIGN(n->nlmsg_len) + NLMSG_ALIGN(sizeof(*peer_ifm));
	if (len > maxlen) {
		fprintf(stderr, "mynetdrv: netlink message too long\n");
		return -1;
	}
	peer_ifm = RTA_DATA(data);
	memset(peer_ifm, 0, sizeof(*peer_ifm));
	n->nlmsg_len = len;

	/* Returns how many arguments it consumed; stops after "type X". */
	err = iplink_parse(argc - 1, argv + 1, (struct iplink_req *)n, &type);
	if (err < 0)
		return err;
	if (type)
		duparg("type", argv[err]);

	peer_ifm->ifi_index = ifm->ifi_index;
	peer_ifm->ifi_flags = ifm->ifi_flags;
	peer_ifm->ifi_change = ifm->ifi_change;
	ifm->ifi_flags = ifi_flags;
	ifm->ifi_change = ifi_change;
	ifm->ifi_index = ifi_index;

	addattr_nest_end(n, data);
	return argc - 1 - err;
}

static void mynetdrv_print_help(struct link_util *lu, int argc, char **argv,
				FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	print_usage(f);
}

/* Not const: ip links it into its list of known kinds (->next). */
struct link_util mynetdrv_link_util = {
	.id		= "mynetdrv",
	.maxattr	= MYNETDRV_INFO_MAX,
	.parse_opt	= mynetdrv_parse_opt,
	.print_help	= mynetdrv_print_help,
};
