// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_frags: a multi-buffer aware XDP program (section "xdp.frags": the
 * loader sets BPF_F_XDP_HAS_FRAGS), for tests of frames larger than one
 * buffer. A driver may refuse a program without that flag when its MTU
 * needs more than one buffer per frame (veth does, "Peer MTU is too
 * large to set XDP"); with it, the program gets such frames as a head
 * buffer plus fragments.
 *
 * xdp_frags_count (the first: what "sec xdp.frags" alone loads) passes
 * everything; xdp_frags_tx sends the test's datagrams back. Both count
 * them (xdp_lab.h):
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

/* XDP_TX of whole frames, fragments and all: back out of the device to
 * the sender's socket (lab_reflect()), which checks every byte. Counts
 * as xdp_frags_count does.
 */
SEC("xdp.frags")
int xdp_frags_tx(struct xdp_md *ctx)
{
	__u64 whole = bpf_xdp_get_buff_len(ctx);
	__u64 head = ctx->data_end - ctx->data;
	struct lab_hdrs *h = lab_udp(ctx);

	if (!h)
		return XDP_PASS;
	lab_count(ctx);
	if (whole > head) {
		lab_add(HIT_X1, 1);
		lab_add(HIT_X2, whole - head);
	}
	lab_reflect(h);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
