// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect: XDP_REDIRECT through a devmap, for tests/35-xdp.sh. The
 * test's own datagrams (xdp_lab.h) are turned around (lab_reflect():
 * MACs, IP addresses and ports swapped) and redirected to the device
 * whose ifindex is in tx_port[0]; everything else is passed.
 *
 * The test fills tx_port after attaching, from the netns of the target
 * (a devmap resolves the ifindex in the netns of the process updating
 * it):
 *   bpftool map update id MAP_ID key 0 0 0 0 value IFINDEX (4 bytes, LE)
 * The target sends each frame through its ndo_xdp_xmit. With the
 * receiving device itself as the target the frames go back across its
 * pair, as with XDP_TX but through the redirect path; with another
 * device, out of that one.
 *
 * An empty slot is a failed redirect: bpf_redirect_map() with flags 0
 * returns XDP_ABORTED then, which the test sees as an exception.
 */
#include "xdp_lab.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

SEC("xdp")
int xdp_redirect_udp(struct xdp_md *ctx)
{
	struct lab_hdrs *h = lab_udp(ctx);

	if (!h)
		return XDP_PASS;
	lab_count(ctx);
	lab_reflect(h);
	return bpf_redirect_map(&tx_port, 0, 0);
}

char _license[] SEC("license") = "GPL";
