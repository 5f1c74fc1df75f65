// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_verdicts: one program per XDP verdict, for tests/35-xdp.sh to
 * check that a driver carries out each one, with exact counts. Each acts
 * on the test's own datagrams only (IPv4 UDP to XDP_LAB_PORT, see
 * xdp_lab.h), counts them in its "hits" map and passes everything else,
 * so that whatever is attached the pair still carries ARP and the rest.
 *
 * All are in section "xdp": the loader picks one by its name.
 *   ip link set dev DEV xdpdrv obj xdp_verdicts.o sec xdp program NAME
 *   bpftool prog loadall xdp_verdicts.o DIR; then
 *   bpftool net attach xdpdrv pinned DIR/NAME dev DEV
 * (iproute2's "sec xdp" alone would take the first one, xdp_pass_udp.)
 */
#include "xdp_lab.h"

/* Not a verdict: what a buggy program returns. The driver must drop the
 * frame as for XDP_ABORTED (bpf_warn_invalid_xdp_action(), then
 * trace_xdp_exception()).
 */
#define XDP_LAB_BAD_VERDICT	42

SEC("xdp")
int xdp_pass_udp(struct xdp_md *ctx)
{
	if (lab_udp(ctx))
		lab_count(ctx);
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_udp(struct xdp_md *ctx)
{
	if (!lab_udp(ctx))
		return XDP_PASS;
	lab_count(ctx);
	return XDP_DROP;
}

SEC("xdp")
int xdp_aborted_udp(struct xdp_md *ctx)
{
	if (!lab_udp(ctx))
		return XDP_PASS;
	lab_count(ctx);
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_bad_udp(struct xdp_md *ctx)
{
	if (!lab_udp(ctx))
		return XDP_PASS;
	lab_count(ctx);
	return XDP_LAB_BAD_VERDICT;
}

/* XDP_TX: back out of the device it came in on, to the sender's socket
 * (lab_reflect()): on a pair, across to the other end, whose stack
 * delivers it to the socket that sent it.
 */
SEC("xdp")
int xdp_tx_udp(struct xdp_md *ctx)
{
	struct lab_hdrs *h = lab_udp(ctx);

	if (!h)
		return XDP_PASS;
	lab_count(ctx);
	lab_reflect(h);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
