// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_frags: a multi-buffer aware XDP program (section "xdp.frags": the
 * loader sets BPF_F_XDP_HAS_FRAGS), for tests of frames larger than one
 * buffer. A driver may refuse a program without that flag when its MTU
 * needs more than one buffer per frame (veth does, "Peer MTU is too
 * large to set XDP"); with it, the program gets such frames as a head
 * buffer plus fragments.
 *
 * It passes everything, and counts the test's datagrams (xdp_lab.h):
 *   hits[HIT_FRAMES]  frames
 *   hits[HIT_BYTES]   their whole length (bpf_xdp_get_buff_len())
 *   hits[HIT_X1]      those that came in more than one buffer
 *   hits[HIT_X2]      the bytes of theirs outside the head buffer
 *
 *   ip link set dev DEV xdpdrv obj xdp_frags.o sec xdp.frags
 *   bpftool prog load xdp_frags.o PIN
 *   bpftool net attach xdpdrv pinned PIN dev DEV
 */
#include "xdp_lab.h"

SEC("xdp.frags")
int xdp_frags_count(struct xdp_md *ctx)
{
	__u64 whole = bpf_xdp_get_buff_len(ctx);
	__u64 head = ctx->data_end - ctx->data;

	if (!lab_udp(ctx))
		return XDP_PASS;
	lab_count(ctx);
	if (whole > head) {
		lab_add(HIT_X1, 1);
		lab_add(HIT_X2, whole - head);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
