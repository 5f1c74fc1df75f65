#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 31-gro-owner: GRO never merges the frames of two sending sockets.
# A frame crosses the pair still owned by its sender's socket, and GRO
# moves the truesize of what it merges into the frame it keeps: merged
# across two sockets, one socket's send buffer would be charged the
# other's bytes. The driver hands frames to GRO through
# skb_prepare_for_gro(), which marks a sock_wfree frame (packet, raw, UDP
# sockets) so that GRO compares owners.
# Two TCP segments of one flow, consecutive (seq 1000 and 1100, 100
# bytes each, ACK, IPv4 DF with IDs 1 and 2, valid checksums), sent from
# AF_PACKET sockets on mydev0 to mydev1 (GRO on; rx-usecs 10000 on
# mydev1, so one poll takes both):
#  1. both from one socket: mydev1 rx_packets +2, rx_gro_merged +1;
#  2. one from each of two sockets: rx_packets +2, rx_gro_merged +0.
# (The receiver answers each with a RST; those are not counted here.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pairlib.sh
. "$(dirname "$0")/pairlib.sh"

require_cmd python3 ethtool

PAIR_IPV6=0
pair_setup
expect_ok in_ns "$NS" ethtool -K mydev1 gro on
expect_ok in_ns "$NS" ethtool -C mydev1 rx-usecs 10000 rx-frames 0
MAC1=$(mac_of mydev1 "$NS")
MAC0=$(mac_of mydev0)

# segs SOCKETS: the two segments, from 1 or 2 AF_PACKET sockets.
segs() {
	python3 - "$1" "$MAC0" "$MAC1" "$ADDR_A" "$ADDR_B" "$REPO/tests" <<'PY' ||
import socket, struct, sys

nsock, smac, dmac, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sys.path.insert(0, sys.argv[6])
from rawsock import csum  # noqa: E402 (the lab's Internet checksum)


def frame(seq, ipid):
    payload = bytes(100)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", 40000, 5555, seq, 1, 5 << 4, 0x10,
                      65535, 0, 0)
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload),
                     ipid, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex(dmac.replace(":", "")) + \
        bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"
    return eth + ip + tcp + payload


socks = []
for _ in range(nsock):
    k = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    k.bind(("mydev0", 0))
    socks.append(k)
socks[0].send(frame(1000, 1))
socks[-1].send(frame(1100, 2))
PY
		fail "sending the segments failed"
}

declare -A b0 b1
# one_round N WANT_MERGED: send from N sockets, check mydev1's counters.
one_round() {
	settle
	snap b0 mydev1 "$NS"
	segs "$1"
	settle
	snap b1 mydev1 "$NS"
	expect_eq "from $1 socket(s): mydev1 rx_packets, rx_gro_merged growth" \
		"$((b1[rx_packets] - b0[rx_packets])) $((b1[rx_gro_merged] - b0[rx_gro_merged]))" \
		"2 $2"
}
log "=== 1. one socket: GRO merges the two segments (at ${SECONDS}s)"
one_round 1 1
log "=== 2. two sockets: GRO keeps them apart (at ${SECONDS}s)"
one_round 2 0
log "=== 3. one socket again (at ${SECONDS}s)"
one_round 1 1
