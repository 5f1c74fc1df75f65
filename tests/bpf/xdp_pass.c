// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_pass: an XDP program that passes every frame. Attached in generic
 * mode (ip link set DEV xdpgeneric obj xdp_pass.o sec xdp) it makes the
 * core look up the RX queue of every frame the device receives
 * (netif_get_rxqueue()), which warns about a frame delivered on a queue
 * the device no longer has: tests/16-channels.sh changes channels under
 * traffic with it attached. Built by make lab-build (clang -target bpf).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
