// SPDX-License-Identifier: GPL-2.0
/*
 * Native XDP. One program for the device runs on every receive queue, in
 * the NAPI poll, on each frame the MAC filter let in and before GRO
 * (mynet_rx() in napi.c calls mynet_xdp_run()):
 *
 *   an skb off the ring       copied into a page of the queue's page_pool,
 *                             with XDP_PACKET_HEADROOM before it: the skb
 *                             is the sender's memory and layout (a kmalloc
 *                             head, frags, a clone), a program may write
 *                             and grow the frame, and XDP_TX and
 *                             XDP_REDIRECT hand the page on; a frame
 *                             larger than a page (jumbo MTU, a program
 *                             with frags support) continues in fragment
 *                             pages
 *   an xdp_frame off the ring run where it is: it is already private
 *                             pages with headroom (the peer's XDP_TX, or
 *                             a redirect into the peer, ndo_xdp_xmit);
 *                             copied into one page only if it has
 *                             fragments and the program takes none
 *
 *   XDP_PASS      an skb built on the page goes up through GRO
 *   XDP_DROP      the page goes back to its pool (rx_xdp_drop)
 *   XDP_TX        the frame crosses back to the peer, batched per poll
 *                 (mynet_xdp_tx_flush(), mynet_xmit_frames() in napi.c)
 *   XDP_REDIRECT  xdp_do_redirect(), flushed once per poll
 *   XDP_ABORTED, any other verdict: dropped with trace_xdp_exception()
 *
 * XDP sees frames as a wire carries them: while a program is attached,
 * the peer's ndo_features_check leaves GSO and checksum offload to its
 * stack (napi.c), and, for a program without frags support, the MTU is
 * capped so that a frame fits one page.
 */

#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/xdp.h>

#include "mynetdrv.h"

/* The MTU whose frames, with an Ethernet header and a VLAN tag (what
 * mynet_rx() lets in), a program can take: one page's worth without
 * frags support, anything up to the driver's limit with it (xdp.frags:
 * the frame then comes as a head page plus fragment pages).
 */
static unsigned int mynet_xdp_max_mtu(const struct bpf_prog *prog)
{
	if (prog->aux->xdp_has_frags)
		return MYNET_MAX_MTU;
	return MYNET_XDP_MAX_FRAME - ETH_HLEN - VLAN_HLEN;
}

/**
 * mynet_rq_xdp_init() - the page pool and XDP queue info of a new ring
 * @rq: the ring being allocated
 * @size: its slots: the pool keeps as many pages
 *
 * Every ring has them, program or not, so that attaching one changes no
 * ring: the pool holds no page until a program runs.
 *
 * Context: process, RTNL held.
 * Return: 0, or a negative errno with nothing left allocated.
 */
int mynet_rq_xdp_init(struct mynet_rq *rq, u32 size)
{
	struct page_pool_params pp = {
		.order		= 0,
		.pool_size	= size,
		.nid		= NUMA_NO_NODE,
	};
	int err;

	rq->page_pool = page_pool_create(&pp);
	if (IS_ERR(rq->page_pool)) {
		err = PTR_ERR(rq->page_pool);
		goto err_pool;
	}
	err = xdp_rxq_info_reg(&rq->xdp_rxq, rq->dev, rq->index, 0);
	if (err)
		goto err_destroy;
	/* Frames a program gets are in this pool's pages, which is how
	 * XDP_TX and XDP_REDIRECT give them back.
	 */
	err = xdp_rxq_info_reg_mem_model(&rq->xdp_rxq, MEM_TYPE_PAGE_POOL,
					 rq->page_pool);
	if (err)
		goto err_unreg;
	return 0;

err_unreg:
	xdp_rxq_info_unreg(&rq->xdp_rxq);
err_destroy:
	page_pool_destroy(rq->page_pool);
err_pool:
	rq->page_pool = NULL;
	return err;
}

/**
 * mynet_rq_xdp_free() - undo mynet_rq_xdp_init()
 * @rq: a ring nobody can reach any more
 *
 * Pages still out (a frame in another ring, an skb in a socket) keep the
 * pool alive until they come back: page_pool_destroy() waits for them.
 */
void mynet_rq_xdp_free(struct mynet_rq *rq)
{
	xdp_rxq_info_unreg(&rq->xdp_rxq);
	page_pool_destroy(rq->page_pool);
}

/*
 * Attach, replace or detach the device's program. The data path reads it
 * once per poll under RCU; the old one is freed by the BPF core after a
 * grace period, so a poll still running it finishes with it.
 */
static int mynet_xdp_set(struct net_device *dev, struct bpf_prog *prog,
			 struct netlink_ext_ack *extack)
{
	struct mynet_priv *priv = netdev_priv(dev);
	struct bpf_prog *old;

	if (prog && dev->mtu > mynet_xdp_max_mtu(prog)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "MTU too large for a program without frags support (xdp.frags): a frame must fit one page");
		netdev_warn(dev, "XDP without frags needs an MTU of at most %u, not %u\n",
			    mynet_xdp_max_mtu(prog), dev->mtu);
		return -EOPNOTSUPP;
	}

	old = rcu_replace_pointer(priv->xdp_prog, prog, lockdep_rtnl_is_held());
	if (old)
		bpf_prog_put(old);
	/* While a program runs, an MTU change above what it can take is
	 * refused by the core, against max_mtu.
	 */
	dev->max_mtu = prog ? mynet_xdp_max_mtu(prog) : MYNET_MAX_MTU;
	return 0;
}

/**
 * mynet_bpf() - ndo_bpf
 * @dev: the device
 * @bpf: the command
 *
 * Context: process, RTNL held.
 * Return: 0 or a negative errno.
 */
int mynet_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return mynet_xdp_set(dev, bpf->prog, bpf->extack);
	default:
		return -EINVAL;
	}
}

/**
 * mynet_xdp_xmit() - ndo_xdp_xmit: frames redirected into this end
 * @dev: the end they are redirected to, which sends them to its peer
 * @n: how many
 * @frames: the frames
 * @flags: XDP_XMIT_FLUSH at the end of the redirecting device's batch
 *
 * Any CPU may redirect into us: each takes the TX queue of its number, as
 * many NIC drivers pick an XDP TX ring, and with it the lock that makes it
 * that queue's peer ring's producer (mynet_xmit_frames()). The peer
 * receives the frames whether or not it runs a program of its own.
 *
 * Context: BH disabled.
 * Return: the frames sent (the caller frees the others), or -EINVAL.
 */
int mynet_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		   u32 flags)
{
	unsigned int qid;

	if (unlikely(flags & ~XDP_XMIT_FLAGS_MASK))
		return -EINVAL;
	qid = smp_processor_id() % READ_ONCE(dev->real_num_tx_queues);
	return mynet_xmit_frames(dev, qid, frames, n, true,
				 flags & XDP_XMIT_FLUSH);
}

/*
 * Send this poll's XDP_TX frames back to the peer: by our TX queue of the
 * receive queue's index, whose peer ring is the one the peer's same
 * queue fills. A frame may be in another device's pages (a frame the
 * peer sent us as it was): given back without assuming its pool is ours.
 */
static void mynet_xdp_tx_flush(struct mynet_rq *rq,
			       struct mynet_xdp_ctx *ctx)
{
	unsigned int i, sent;

	if (!ctx->n_tx)
		return;
	sent = mynet_xmit_frames(rq->dev, rq->index, ctx->tx, ctx->n_tx,
				 false, true);
	for (i = sent; i < ctx->n_tx; i++) {
		trace_xdp_exception(rq->dev, ctx->prog, XDP_TX);
		xdp_return_frame(ctx->tx[i]);
	}
	ctx->tx_sent += sent;
	ctx->tx_errors += ctx->n_tx - sent;
	ctx->n_tx = 0;
}

/* @len bytes of an xdp_frame from @off, whichever of its buffers hold
 * them, as skb_copy_bits() does for an skb.
 */
static int mynet_frame_copy_bits(struct xdp_frame *frame, unsigned int off,
				 void *to, unsigned int len)
{
	struct skb_shared_info *sinfo;
	unsigned int i, n;

	if (off < frame->len) {
		n = min(len, frame->len - off);
		memcpy(to, frame->data + off, n);
		to += n;
		len -= n;
		off = 0;
	} else {
		off -= frame->len;
	}
	if (!len)
		return 0;
	sinfo = xdp_get_shared_info_from_frame(frame);
	for (i = 0; i < sinfo->nr_frags && len; i++) {
		const skb_frag_t *frag = &sinfo->frags[i];

		if (off >= skb_frag_size(frag)) {
			off -= skb_frag_size(frag);
			continue;
		}
		n = min(len, skb_frag_size(frag) - off);
		memcpy(to, skb_frag_address(frag) + off, n);
		to += n;
		len -= n;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/* The frame being copied: an skb, or else an xdp_frame. */
struct mynet_xdp_src {
	struct sk_buff *skb;
	struct xdp_frame *frame;
};

static int mynet_src_copy_bits(const struct mynet_xdp_src *src,
			       unsigned int off, void *to, unsigned int len)
{
	if (src->skb)
		return skb_copy_bits(src->skb, off, to, len);
	return mynet_frame_copy_bits(src->frame, off, to, len);
}

/* The bytes of @src after the head buffer's, @len of them, into
 * fragment pages of @rq's pool: a frame larger than one page, for a
 * program with frags support. On failure the pages taken are in @xdp's
 * frags, for the caller to return with it.
 */
static bool mynet_xdp_copy_frags(struct mynet_rq *rq, struct xdp_buff *xdp,
				 const struct mynet_xdp_src *src,
				 unsigned int len)
{
	struct skb_shared_info *sinfo = xdp_get_shared_info_from_buff(xdp);
	unsigned int off = xdp->data_end - xdp->data, n;
	struct page *page;

	sinfo->nr_frags = 0;
	sinfo->xdp_frags_size = 0;
	xdp_buff_set_frags_flag(xdp);
	for (len += off; off < len; off += n) {
		n = min_t(unsigned int, len - off, PAGE_SIZE);
		if (WARN_ON_ONCE(sinfo->nr_frags == MAX_SKB_FRAGS))
			return false;
		page = page_pool_dev_alloc_pages(rq->page_pool);
		if (!page)
			return false;
		__skb_fill_page_desc_noacc(sinfo, sinfo->nr_frags++, page, 0,
					   n);
		sinfo->xdp_frags_size += n;
		if (mynet_src_copy_bits(src, off, page_address(page), n))
			return false;
	}
	return true;
}

/* Our own pages, in our NAPI: straight back to our pool's cache
 * (xdp_return_buff() would not, with the poll's no-direct flag).
 */
static void mynet_xdp_recycle(struct mynet_rq *rq, struct xdp_buff *xdp)
{
	if (unlikely(xdp_buff_has_frags(xdp))) {
		struct skb_shared_info *sinfo;
		skb_frag_t *frag;
		unsigned int i;

		sinfo = xdp_get_shared_info_from_buff(xdp);
		for (i = 0; i < sinfo->nr_frags; i++) {
			frag = &sinfo->frags[i];
			page_pool_recycle_direct(rq->page_pool,
						 skb_frag_page(frag));
		}
	}
	page_pool_recycle_direct(rq->page_pool,
				 virt_to_page(xdp->data_hard_start));
}

/* Copy the @len bytes of @src into a page of @rq's pool, as an xdp_buff
 * with XDP_PACKET_HEADROOM before them; what does not fit one page goes
 * into fragment pages (mynet_rx() lets such a frame in only for a
 * program with frags support).
 */
static bool mynet_xdp_copy(struct mynet_rq *rq,
			   const struct mynet_xdp_src *src, unsigned int len,
			   struct xdp_buff *xdp)
{
	unsigned int head = min_t(unsigned int, len, MYNET_XDP_MAX_FRAME);
	struct page *page;
	void *va;

	page = page_pool_dev_alloc_pages(rq->page_pool);
	if (!page)
		return false;
	va = page_address(page);
	xdp_init_buff(xdp, PAGE_SIZE, &rq->xdp_rxq);
	xdp_prepare_buff(xdp, va, XDP_PACKET_HEADROOM, head, true);
	if (mynet_src_copy_bits(src, 0, va + XDP_PACKET_HEADROOM, head) ||
	    (len > head && !mynet_xdp_copy_frags(rq, xdp, src, len - head))) {
		mynet_xdp_recycle(rq, xdp);
		return false;
	}
	return true;
}

/**
 * mynet_xdp_frame_to_skb() - an skb for the stack, on an xdp_frame's page
 * @rq: the receive queue
 * @frame: a frame off the ring, or one XDP_PASS left
 *
 * Context: NAPI poll.
 * Return: the skb, Ethernet header pulled (eth_type_trans()), or NULL
 * if none could be allocated: the frame is then freed.
 */
struct sk_buff *mynet_xdp_frame_to_skb(struct mynet_rq *rq,
				       struct xdp_frame *frame)
{
	struct sk_buff *skb;

	skb = xdp_build_skb_from_frame(frame, rq->dev);
	if (unlikely(!skb))
		xdp_return_frame(frame);
	return skb;
}

/**
 * mynet_xdp_run() - run the program on one frame off the ring
 * @rq: the receive queue
 * @ctx: the poll's XDP state: the program, XDP_TX batch, counts
 * @entry: an skb or a tagged xdp_frame (napi.c), filtered and counted
 * @len: its length
 *
 * Context: NAPI poll, RCU read lock held.
 * Return: the skb to deliver (XDP_PASS), or NULL: XDP took the frame or
 * it was dropped.
 */
struct sk_buff *mynet_xdp_run(struct mynet_rq *rq, struct mynet_xdp_ctx *ctx,
			      void *entry, unsigned int len)
{
	struct xdp_frame *frame, orig = {};
	struct xdp_rxq_info frame_rxq;
	struct xdp_buff xdp;
	bool ours = true;
	u32 act;

	ctx->packets++;
	ctx->bytes += len;

	if (mynet_is_frame(entry) &&
	    (!xdp_frame_has_frags(mynet_to_frame(entry)) ||
	     ctx->prog->aux->xdp_has_frags)) {
		frame = mynet_to_frame(entry);
		/* Converting the buffer back to a frame (XDP_TX, XDP_PASS,
		 * a redirect) rewrites the frame in place: keep what frees
		 * it.
		 */
		orig = *frame;
		ours = false;
		xdp_convert_frame_to_buff(frame, &xdp);
		/* Our queue, but the sender's memory: XDP_TX and
		 * XDP_REDIRECT must give the page back as what it is.
		 */
		frame_rxq = rq->xdp_rxq;
		mynet_xdp_frame_mem(&frame_rxq, frame);
		xdp.rxq = &frame_rxq;
	} else if (mynet_is_frame(entry)) {
		/* A frame in several buffers, for a program that sees only
		 * one: copied whole into one page (mynet_rx() let in only
		 * frames that fit it).
		 */
		struct mynet_xdp_src src = { .frame = mynet_to_frame(entry) };

		if (unlikely(!mynet_xdp_copy(rq, &src, len, &xdp))) {
			ctx->nomem++;
			xdp_return_frame(src.frame);
			return NULL;
		}
		xdp_return_frame(src.frame);
	} else {
		struct mynet_xdp_src src = { .skb = entry };

		/* A checksum still partial (sent before the program came)
		 * is completed first: the program sees the frame a wire
		 * would carry.
		 */
		if (unlikely((src.skb->ip_summed == CHECKSUM_PARTIAL &&
			      skb_checksum_help(src.skb)) ||
			     !mynet_xdp_copy(rq, &src, len, &xdp))) {
			ctx->nomem++;
			kfree_skb_reason(src.skb, SKB_DROP_REASON_NOMEM);
			return NULL;
		}
		/* Every byte is in our pages now: the sender's socket gets
		 * its memory back at once.
		 */
		consume_skb(src.skb);
	}

	act = bpf_prog_run_xdp(ctx->prog, &xdp);
	switch (act) {
	case XDP_PASS: {
		struct sk_buff *skb;

		/* The program may have moved the head or the tail, and
		 * written metadata: the frame, then the skb, take them.
		 */
		frame = xdp_convert_buff_to_frame(&xdp);
		if (unlikely(!frame)) {
			ctx->nomem++;
			break;
		}
		skb = mynet_xdp_frame_to_skb(rq, frame);
		if (unlikely(!skb))
			ctx->nomem++;
		return skb;
	}
	case XDP_TX:
		frame = xdp_convert_buff_to_frame(&xdp);
		if (unlikely(!frame)) {
			ctx->tx_errors++;
			trace_xdp_exception(rq->dev, ctx->prog, act);
			break;
		}
		if (ctx->n_tx == MYNET_XDP_TX_BULK)
			mynet_xdp_tx_flush(rq, ctx);
		ctx->tx[ctx->n_tx++] = frame;
		return NULL;
	case XDP_REDIRECT:
		if (unlikely(xdp_do_redirect(rq->dev, &xdp, ctx->prog))) {
			ctx->redirect_errors++;
			break;
		}
		ctx->redirect++;
		ctx->redirected = true;
		return NULL;
	default:
		bpf_warn_invalid_xdp_action(rq->dev, ctx->prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(rq->dev, ctx->prog, act);
		fallthrough;
	case XDP_DROP:
		ctx->drop++;
		break;
	}
	if (ours)
		mynet_xdp_recycle(rq, &xdp);
	else
		xdp_return_frame(&orig);
	return NULL;
}

/**
 * mynet_xdp_done() - the end of a poll that ran the program
 * @rq: the receive queue
 * @ctx: the poll's XDP state
 *
 * Sends the XDP_TX batch, flushes redirects (xdp_do_redirect() asks for
 * xdp_do_flush() before the poll ends) and adds the poll's counts.
 *
 * Context: NAPI poll, RCU read lock held.
 */
void mynet_xdp_done(struct mynet_rq *rq, struct mynet_xdp_ctx *ctx)
{
	struct mynet_rx_stats *stats = rq->stats;

	mynet_xdp_tx_flush(rq, ctx);
	if (ctx->redirected)
		xdp_do_flush();

	u64_stats_update_begin(&stats->syncp);
	u64_stats_add(&stats->xdp_packets, ctx->packets);
	u64_stats_add(&stats->xdp_bytes, ctx->bytes);
	u64_stats_add(&stats->xdp_drop, ctx->drop);
	u64_stats_add(&stats->xdp_tx, ctx->tx_sent);
	u64_stats_add(&stats->xdp_tx_errors, ctx->tx_errors);
	u64_stats_add(&stats->xdp_redirect, ctx->redirect);
	u64_stats_add(&stats->xdp_redirect_errors, ctx->redirect_errors);
	u64_stats_add(&stats->drop_nomem, ctx->nomem);
	u64_stats_update_end(&stats->syncp);
}
