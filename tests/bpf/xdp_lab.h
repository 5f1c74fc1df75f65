/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp_lab.h - what the XDP test programs (tests/bpf/xdp_*.c) share.
 *
 * Every program acts on the test's own traffic only: IPv4 UDP to
 * XDP_LAB_PORT, no IP options, not a fragment. Everything else (ARP, the
 * IPv6 a test may leave on, anything the stack sends by itself) is passed
 * untouched, so the pair keeps working whatever verdict is attached and
 * the counts a test checks are exactly its own datagrams.
 *
 * Every program counts the frames it acted on in its own array map
 * "hits" (a fresh one per load: ip and bpftool load each program with
 * its own maps), read by tests/xdplib.sh (xdp_hits_pin, xdp_hits):
 *   HIT_FRAMES   frames acted on
 *   HIT_BYTES    their length as the program first saw them (the whole
 *                frame, fragments included: bpf_xdp_get_buff_len())
 *   HIT_X1/X2    what the program says (xdp_adjust.c, xdp_frags.c)
 * A test compares these with the datagrams it sent: the program's own
 * count, independent of the driver's counters and the stack's.
 */
#ifndef XDP_LAB_H
#define XDP_LAB_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The UDP destination port of the test's traffic (tests/35-xdp.sh). */
#define XDP_LAB_PORT	7035

enum { HIT_FRAMES, HIT_BYTES, HIT_X1, HIT_X2, HIT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void lab_add(__u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	/* Atomic: the receive queues' NAPI polls run on several CPUs. */
	if (v)
		__sync_fetch_and_add(v, n);
}

/* Ethernet + IPv4 without options + UDP: the headers of the test's
 * datagrams, 42 bytes.
 */
struct lab_hdrs {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
} __attribute__((packed));

/* The headers of a frame of the test's traffic at [data, data_end), or
 * NULL for anything else.
 */
static __always_inline struct lab_hdrs *lab_match(void *data, void *data_end)
{
	struct lab_hdrs *h = data;

	if ((void *)(h + 1) > data_end)
		return NULL;
	if (h->eth.h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	if (h->ip.version != 4 || h->ip.ihl != 5 ||
	    h->ip.protocol != IPPROTO_UDP)
		return NULL;
	/* A fragment (MF set or an offset) carries no UDP header of ours. */
	if (h->ip.frag_off & bpf_htons(0x3fff))
		return NULL;
	if (h->udp.dest != bpf_htons(XDP_LAB_PORT))
		return NULL;
	return h;
}

static __always_inline struct lab_hdrs *lab_udp(struct xdp_md *ctx)
{
	return lab_match((void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

/* Count a frame the program acts on: before it changes its length. */
static __always_inline void lab_count(struct xdp_md *ctx)
{
	lab_add(HIT_FRAMES, 1);
	lab_add(HIT_BYTES, bpf_xdp_get_buff_len(ctx));
}

/* Turn a datagram around: Ethernet and IP addresses and UDP ports
 * swapped, so that it goes back to the sender's socket. No checksum
 * changes: the IP header checksum and the UDP checksum (its pseudo
 * header included) are sums, which a swap of two fields leaves as they
 * are.
 */
static __always_inline void lab_reflect(struct lab_hdrs *h)
{
	unsigned char mac[ETH_ALEN];
	__be32 addr;
	__be16 port;

	__builtin_memcpy(mac, h->eth.h_dest, ETH_ALEN);
	__builtin_memcpy(h->eth.h_dest, h->eth.h_source, ETH_ALEN);
	__builtin_memcpy(h->eth.h_source, mac, ETH_ALEN);
	addr = h->ip.saddr;
	h->ip.saddr = h->ip.daddr;
	h->ip.daddr = addr;
	port = h->udp.source;
	h->udp.source = h->udp.dest;
	h->udp.dest = port;
}

#endif /* XDP_LAB_H */
