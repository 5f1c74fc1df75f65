// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_adjust: the XDP helpers that move a frame's edges, and metadata,
 * each with an effect the receiving side can check exactly
 * (tests/35-xdp.sh):
 *
 * xdp_adjust_udp (section "xdp"), on the test's datagrams (xdp_lab.h)
 * whose payload starts with XDP_LAB_HEAD:
 *  - bpf_xdp_adjust_head(+8): the 8-byte marker XDP_LAB_HEAD goes; the
 *    42 bytes of headers are moved up over it;
 *  - bpf_xdp_adjust_tail(-16): the last 16 bytes of the payload go;
 *  - the IP total length and UDP length shrink by those 24 bytes, the
 *    IP header checksum is computed anew, the UDP checksum set to 0
 *    ("none", allowed for IPv4: the payload no longer matches it);
 *  - bpf_xdp_adjust_meta(-8): struct lab_meta before the frame, the
 *    length the program first saw, for tc_meta_check.
 * A UDP socket then receives the payload less its first 8 and last 16
 * bytes: what the sender put between them, checked byte for byte.
 * hits[HIT_X1] counts frames whose metadata could not be written (the
 * driver gave no room for it, -ENOTSUPP or -EINVAL): they go on without.
 *
 * tc_meta_check (section "tc", a clsact ingress filter in direct-action
 * mode on the same device) reads that metadata from the skb the driver
 * built: the driver must carry it over (skb_metadata_set()). For the
 * test's datagrams:
 *   hits[HIT_FRAMES]  seen
 *   hits[HIT_X1]      with no metadata: dropped
 *   hits[HIT_X2]      with metadata that does not match: dropped
 *   hits[HIT_BYTES]   the ones that match (the skb is 24 bytes shorter
 *                     than the frame the XDP program saw): passed
 * so the socket gets only datagrams whose metadata arrived intact.
 *
 *   ip link set dev DEV xdpdrv obj xdp_adjust.o sec xdp program xdp_adjust_udp
 *   tc qdisc add dev DEV clsact
 *   tc filter add dev DEV ingress bpf obj xdp_adjust.o sec tc direct-action
 */
#include <linux/pkt_cls.h>
#include "xdp_lab.h"

/* "XDP-HEAD", as the first 8 bytes of the payload read in host order on
 * a little-endian machine (the lab's x86-64).
 */
#define XDP_LAB_HEAD	0x444145482d504458ULL
#define HEAD_CUT	8
#define TAIL_CUT	16
#define META_MAGIC	0x4c41424dU	/* "LABM" */

struct lab_meta {
	__u32 magic;
	__u32 len;	/* frame length the XDP program first saw */
};

/* The checksum of an IPv4 header without options whose check field is
 * 0 (a void pointer: in struct lab_hdrs the header is 2-byte aligned).
 */
static __always_inline __u16 ip_csum(const void *ip)
{
	const __u16 *p = ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)sizeof(struct iphdr) / 2; i++)
		sum += p[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_adjust_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_hdrs *h = lab_match(data, data_end);
	struct lab_meta *meta;
	struct lab_hdrs copy;
	__u32 len = data_end - data;
	__u64 *head;

	if (!h)
		return XDP_PASS;
	head = (void *)(h + 1);
	if ((void *)(head + 1) > data_end || *head != XDP_LAB_HEAD)
		return XDP_PASS;
	/* Not what the test sends: a frame with padding, or one too short
	 * to lose 24 bytes of payload. Passed untouched, which the test's
	 * receiver reports.
	 */
	if (bpf_ntohs(h->ip.tot_len) + sizeof(struct ethhdr) != len ||
	    bpf_ntohs(h->udp.len) < sizeof(struct udphdr) + HEAD_CUT + TAIL_CUT)
		return XDP_PASS;
	lab_count(ctx);

	__builtin_memcpy(&copy, h, sizeof(copy));
	copy.ip.tot_len = bpf_htons(bpf_ntohs(copy.ip.tot_len) -
				    HEAD_CUT - TAIL_CUT);
	copy.ip.check = 0;
	copy.ip.check = ip_csum((void *)&copy.ip);
	copy.udp.len = bpf_htons(bpf_ntohs(copy.udp.len) - HEAD_CUT - TAIL_CUT);
	copy.udp.check = 0;

	/* A helper failing here is the driver's fault (room it does not
	 * give): XDP_ABORTED, which the test sees as an exception.
	 */
	if (bpf_xdp_adjust_head(ctx, HEAD_CUT))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_tail(ctx, -TAIL_CUT))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + sizeof(copy) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, &copy, sizeof(copy));

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		lab_add(HIT_X1, 1);
		return XDP_PASS;
	}
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return XDP_ABORTED;
	meta->magic = META_MAGIC;
	meta->len = len;
	return XDP_PASS;
}

SEC("tc")
int tc_meta_check(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct lab_meta *meta = (void *)(long)skb->data_meta;

	/* At ingress the data starts at the Ethernet header, and skb->len
	 * counts it.
	 */
	if (!lab_match(data, data_end))
		return TC_ACT_OK;
	lab_add(HIT_FRAMES, 1);
	if ((void *)(meta + 1) > data) {
		lab_add(HIT_X1, 1);
		return TC_ACT_SHOT;
	}
	if (meta->magic != META_MAGIC ||
	    meta->len != skb->len + HEAD_CUT + TAIL_CUT) {
		lab_add(HIT_X2, 1);
		return TC_ACT_SHOT;
	}
	lab_add(HIT_BYTES, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
