#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Read every ethtool setting of devices over netlink, and make requests
ethtool(8) and ip(8) cannot make, for tests/26-badinput.sh.

Usage: ethstate.py COMMAND [ARG...]    one command, its answer on stdout
       ethstate.py serve FILE          a server for a whole test (python
           starts slowly under TCG): one command per line on stdin; each
           answer replaces the content of FILE, then a line "." on stdout
           says it is there (a shell reads a pipe one byte per system
           call, a file at once). Exit status 1 if a command failed (one
           command), 0 (serve).
Only the Python standard library is used. Commands:

  links
      Every link of every network namespace (the init one, then each of
      /run/netns), one line each: what `ip -d link show` shows, as
      RTM_GETLINK has it, without counters (RTEXT_FILTER_SKIP_STATS, and
      IFLA_AF_SPEC left out: per-protocol counters and timestamps):
        "netns - mydev0 index=2 flags=0x11043 mtu=2000 ... kind=mynetdrv"
  state DEV...
      One line per ethtool netlink GET reply, the requests `ethtool DEV`
      (link info, link modes, link state, msglevel, WoL), -k, -g, -l, -c,
      -a, --show-eee, --show-priv-flags, -T and --show-fec make:
        "DEV rings rx_max=4096 ... rx=512 ..."
      "DEV pause error 95" for a GET the driver does not support, and
      "DEV absent" for a missing device. Counters are never asked for.
  ioctl DEV WHAT FIELD=VALUE...
      The SIOCETHTOOL ioctl path, which ethtool used before netlink and
      older tools still use: read WHAT (ring, channels, coalesce,
      settings) with its ETHTOOL_G* command, set the fields, write it back
      with ETHTOOL_S*. FIELD names are those of struct ethtool_ringparam,
      ethtool_channels, ethtool_coalesce or ethtool_cmd ("speed" sets
      speed and speed_hi).
  newlink DEV PEER [peerindex=N] [peerlen=N] [change]
      RTM_NEWLINK of a "mynetdrv" pair with the names and the peer's
      ifindex as given (ip refuses a name of 16 or more bytes and a
      negative index before the kernel sees them), the MYNETDRV_INFO_PEER
      attribute cut to N bytes if peerlen is given; with "change", without
      NLM_F_CREATE|NLM_F_EXCL: a change of DEV.

ioctl and newlink answer "ok" or "error: MESSAGE", MESSAGE being the
kernel's extack text (if any) and strerror.
"""
import ctypes
import errno
import fcntl
import os
import socket
import struct
import sys

from nl import (CTRL_ATTR_FAMILY_ID, NETLINK_GENERIC, NETLINK_ROUTE,
                NLA_F_NESTED, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
                Netlink, attr, attrs, genl_family, nest, uint)

# include/uapi/linux/ethtool_netlink.h: ETHTOOL_MSG_*_GET, and the names
# of each reply's attributes from 2 on (1 is the header: left out).
ETHTOOL_A_HEADER_DEV_NAME, ETHTOOL_A_HEADER_FLAGS = 2, 3
ETHTOOL_FLAG_COMPACT_BITSETS = 1
GETS = [
    ("linkinfo", 2, "port phyaddr tp_mdix tp_mdix_ctrl transceiver"),
    ("linkmodes", 4, "autoneg ours peer speed duplex master_slave_cfg "
     "master_slave_state lanes rate_matching"),
    ("linkstate", 6, "link sqi sqi_max ext_state ext_substate ext_down_cnt"),
    ("debug", 7, "msgmask"),
    ("wol", 9, "modes sopass"),
    ("features", 11, "hw wanted active nochange"),
    ("privflags", 13, "flags"),
    ("rings", 15, "rx_max rx_mini_max rx_jumbo_max tx_max rx rx_mini "
     "rx_jumbo tx rx_buf_len tcp_data_split cqe_size tx_push rx_push "
     "tx_push_buf_len tx_push_buf_len_max"),
    ("channels", 17, "rx_max tx_max other_max combined_max rx_count "
     "tx_count other_count combined_count"),
    ("coalesce", 19, "rx_usecs rx_max_frames rx_usecs_irq "
     "rx_max_frames_irq tx_usecs tx_max_frames tx_usecs_irq "
     "tx_max_frames_irq stats_block_usecs use_adaptive_rx "
     "use_adaptive_tx pkt_rate_low rx_usecs_low rx_max_frames_low "
     "tx_usecs_low tx_max_frames_low pkt_rate_high rx_usecs_high "
     "rx_max_frames_high tx_usecs_high tx_max_frames_high "
     "rate_sample_interval use_cqe_mode_tx use_cqe_mode_rx"),
    ("pause", 21, "autoneg rx tx"),
    ("eee", 23, "modes_ours modes_peer active enabled tx_lpi_enabled "
     "tx_lpi_timer"),
    ("tsinfo", 25, "timestamping tx_types rx_filters phc_index"),
    ("fec", 29, "modes auto active"),
]

# include/uapi/linux/ethtool.h: the ioctl structures, all native u32
# except struct ethtool_cmd.
SIOCETHTOOL = 0x8946
IOCTLS = {
    "ring": (0x10, 0x11, "SRINGPARAM", "9I", "cmd rx_max_pending rx_mini_max_pending "
             "rx_jumbo_max_pending tx_max_pending rx_pending "
             "rx_mini_pending rx_jumbo_pending tx_pending"),
    "channels": (0x3c, 0x3d, "SCHANNELS", "9I", "cmd max_rx max_tx max_other "
                 "max_combined rx_count tx_count other_count "
                 "combined_count"),
    "coalesce": (0x0e, 0x0f, "SCOALESCE", "23I", "cmd rx_coalesce_usecs "
                 "rx_max_coalesced_frames rx_coalesce_usecs_irq "
                 "rx_max_coalesced_frames_irq tx_coalesce_usecs "
                 "tx_max_coalesced_frames tx_coalesce_usecs_irq "
                 "tx_max_coalesced_frames_irq stats_block_coalesce_usecs "
                 "use_adaptive_rx_coalesce use_adaptive_tx_coalesce "
                 "pkt_rate_low rx_coalesce_usecs_low "
                 "rx_max_coalesced_frames_low tx_coalesce_usecs_low "
                 "tx_max_coalesced_frames_low pkt_rate_high "
                 "rx_coalesce_usecs_high rx_max_coalesced_frames_high "
                 "tx_coalesce_usecs_high tx_max_coalesced_frames_high "
                 "rate_sample_interval"),
    "settings": (0x01, 0x02, "SSET", "=IIIHBBBBBBIIHBBIII", "cmd supported "
                 "advertising speed duplex port phy_address transceiver "
                 "autoneg mdio_support maxtxpkt maxrxpkt speed_hi "
                 "eth_tp_mdix eth_tp_mdix_ctrl lp_advertising reserved0 "
                 "reserved1"),
}

# rtnetlink: RTM_NEWLINK, RTM_GETLINK, IFLA_*, and uapi/linux/mynetdrv.h.
RTM_NEWLINK, RTM_GETLINK = 16, 18
IFLA_IFNAME, IFLA_LINKINFO, IFLA_EXT_MASK = 3, 18, 29
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
RTEXT_FILTER_SKIP_STATS = 1 << 3
CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)  # python's own libc: setns()
# include/uapi/linux/if_link.h, from 1; "" = left out (counters, padding,
# per-protocol state); "$" a string, "@" a MAC address, else a number or
# hex. Newer attributes show as aN=hex.
IFLA_NAMES = (
    "@address @broadcast $ifname mtu link $qdisc - cost priority master "
    "wireless - txqlen map weight operstate linkmode linkinfo net_ns_pid "
    "$ifalias num_vf vfinfo_list - vf_ports port_self - group net_ns_fd "
    "ext_mask promiscuity num_tx_queues num_rx_queues carrier "
    "phys_port_id carrier_changes phys_switch_id link_netnsid "
    "$phys_port_name proto_down gso_max_segs gso_max_size - xdp event "
    "new_netnsid target_netnsid carrier_up_count carrier_down_count "
    "new_ifindex min_mtu max_mtu prop_list $alt_ifname @perm_address "
    "proto_down_reason $parent_dev_name $parent_dev_bus_name gro_max_size "
    "tso_max_size tso_max_segs allmulti devlink_port gso_ipv4_max_size "
    "gro_ipv4_max_size dpll_pin").split()
MYNETDRV_INFO_PEER = 1
IFINFOMSG = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
# What one recv() of a link dump takes: its replies come several to a
# datagram.
ROUTE_BUFSIZE = 1 << 20


def value(kind, payload):
    """An attribute's value as text: nests recursively, integers by size."""
    if kind & NLA_F_NESTED:
        return "{%s}" % ",".join("%d=%s" % (k & 0x3FFF, value(k, v))
                                 for k, v in attrs(payload))
    if len(payload) in (1, 2, 4, 8):
        return str(uint(payload))
    return payload.hex() or "flag"


def netns_route_socket(path):
    """A NETLINK_ROUTE socket in the network namespace at path."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        if LIBC.setns(target, CLONE_NEWNET):
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (path, os.strerror(err)))
        try:
            return Netlink(NETLINK_ROUTE, ROUTE_BUFSIZE)
        finally:
            if LIBC.setns(own, CLONE_NEWNET):
                sys.exit("ethstate.py: cannot return to its own netns")
    finally:
        os.close(target)
        os.close(own)


def link_line(netns, msg):
    _, kind, index, flags, _ = struct.unpack_from("BxHiII", msg)
    out = ["index=%d" % index, "type=%d" % kind, "flags=%#x" % flags]
    name = "?"
    for akind, payload in attrs(msg[16:]):
        i = akind & 0x3FFF
        key = IFLA_NAMES[i - 1] if 0 < i <= len(IFLA_NAMES) else "a%d" % i
        if key == "-":
            continue
        if key[0] == "$":
            val = payload.rstrip(b"\0").decode(errors="replace")
            if key == "$ifname":
                name = val
                continue
        elif key[0] == "@":
            val = ":".join("%02x" % b for b in payload)
        elif key == "linkinfo":
            val = ",".join(
                "kind=%s" % v.rstrip(b"\0").decode() if k == IFLA_INFO_KIND
                else "%d=%s" % (k, v.hex()) for k, v in attrs(payload))
        else:
            val = value(akind, payload)
        out.append("%s=%s" % (key.lstrip("$@"), val))
    return "netns %s %s %s" % (netns, name, " ".join(out))


def links():
    lines = []
    spaces = [("-", None)]
    if os.path.isdir("/run/netns"):
        spaces += [(n, "/run/netns/" + n) for n in sorted(os.listdir(
            "/run/netns"))]
    for netns, path in spaces:
        rnl = Netlink(NETLINK_ROUTE, ROUTE_BUFSIZE) if path is None else \
            netns_route_socket(path)
        try:
            body = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
            body += attr(IFLA_EXT_MASK,
                         struct.pack("I", RTEXT_FILTER_SKIP_STATS))
            for msg in rnl.request(RTM_GETLINK, NLM_F_DUMP, body):
                lines.append(link_line(netns, msg))
        finally:
            rnl.sock.close()
    return lines


def state(gnl, family, devs):
    lines = []
    for dev in devs:
        if not os.path.exists("/sys/class/net/%s" % dev):
            lines.append("%s absent" % dev)
            continue
        header = attr(ETHTOOL_A_HEADER_DEV_NAME, dev.encode() + b"\0")
        header += attr(ETHTOOL_A_HEADER_FLAGS,
                       struct.pack("I", ETHTOOL_FLAG_COMPACT_BITSETS))
        for name, cmd, fields in GETS:
            body = struct.pack("BBH", cmd, 1, 0)
            body += nest(1, header)
            try:
                reply = gnl.request(family, 0, body)[0]
            except OSError as e:
                lines.append("%s %s error %d" % (dev, name, e.errno))
                continue
            names = fields.split()
            out = []
            for kind, payload in attrs(reply[4:]):
                i = (kind & 0x3FFF) - 2
                if i < 0:
                    continue
                key = names[i] if i < len(names) else str(i + 2)
                out.append("%s=%s" % (key, value(kind, payload)))
            lines.append("%s %s %s" % (dev, name, " ".join(out)))
    return lines


def ethtool_ioctl(dev, what, settings):
    if what not in IOCTLS:
        raise OSError(errno.EINVAL, "ethstate.py: no ioctl %s (one of %s)" %
                      (what, ", ".join(sorted(IOCTLS))))
    gcmd, scmd, sname, fmt, fields = IOCTLS[what]
    names = fields.split()
    buf = ctypes.create_string_buffer(struct.calcsize(fmt))
    ifreq = struct.pack("16sP16x", dev.encode(), ctypes.addressof(buf))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        struct.pack_into(fmt, buf, 0, gcmd, *[0] * (len(names) - 1))
        fcntl.ioctl(sock, SIOCETHTOOL, ifreq)
        vals = dict(zip(names, struct.unpack(fmt, buf.raw)))
        for setting in settings:
            key, val = setting.split("=", 1)
            val = int(val, 0)
            if what == "settings" and key == "speed":
                vals["speed_hi"] = val >> 16
                val &= 0xFFFF
            if key not in vals or key == "cmd":
                raise OSError(errno.EINVAL, "ethstate.py: no field %s" % key)
            vals[key] = val
        vals["cmd"] = scmd
        struct.pack_into(fmt, buf, 0, *[vals[n] for n in names])
        try:
            fcntl.ioctl(sock, SIOCETHTOOL, ifreq)
        except OSError as e:
            raise OSError(e.errno, "ETHTOOL_%s: %s" % (
                sname, os.strerror(e.errno))) from e
    finally:
        sock.close()


def newlink(rnl, dev, peer, options):
    peerlen, peerindex = None, 0
    flags = NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
    for option in options:
        key, _, val = option.partition("=")
        if key == "change":
            flags = NLM_F_ACK
        elif key == "peerlen":
            peerlen = int(val)
        elif key == "peerindex":
            peerindex = int(val)
        else:
            raise OSError(errno.EINVAL, "ethstate.py: no option %s" % option)
    peer_attr = struct.pack("BxHiII", socket.AF_UNSPEC, 0, peerindex, 0, 0)
    peer_attr += attr(IFLA_IFNAME, peer.encode() + b"\0")
    if peerlen is not None:
        peer_attr = peer_attr[:peerlen]
    info = attr(IFLA_INFO_KIND, b"mynetdrv\0")
    info += attr(IFLA_INFO_DATA, attr(MYNETDRV_INFO_PEER, peer_attr))
    body = IFINFOMSG + attr(IFLA_IFNAME, dev.encode() + b"\0")
    body += attr(IFLA_LINKINFO, info)
    rnl.request(RTM_NEWLINK, flags, body)


class Server:
    def __init__(self):
        self.gnl = Netlink(NETLINK_GENERIC)
        self.rnl = Netlink(NETLINK_ROUTE)      # newlink: ACKs only
        self.family = uint(genl_family(self.gnl, "ethtool")[
            CTRL_ATTR_FAMILY_ID])

    def run(self, words):
        """The answer to one command, as lines; False if it failed."""
        cmd, args = words[0], words[1:]
        try:
            if cmd == "links" and not args:
                return links(), True
            if cmd == "state":
                return state(self.gnl, self.family, args), True
            if cmd == "ioctl" and len(args) >= 2:
                ethtool_ioctl(args[0], args[1], args[2:])
                return ["ok"], True
            if cmd == "newlink" and len(args) >= 2:
                newlink(self.rnl, args[0], args[1], args[2:])
                return ["ok"], True
            return ["error: ethstate.py: bad command: %s" %
                    " ".join(words)], False
        except OSError as e:
            return ["error: %s" % (e.strerror or e)], False


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    server = Server()
    if sys.argv[1] != "serve":
        lines, ok = server.run(sys.argv[1:])
        print("\n".join(lines))
        sys.exit(0 if ok else 1)
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        lines, _ = server.run(words)
        with open(sys.argv[2] + ".new", "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.rename(sys.argv[2] + ".new", sys.argv[2])
        print(".", flush=True)


if __name__ == "__main__":
    main()
