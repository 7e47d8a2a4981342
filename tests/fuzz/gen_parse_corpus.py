#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of fuzz_parse: well-formed and malformed frames of each kind.

Run from anywhere; files go to corpus/parse/ beside this script and are overwritten, so the
corpus is reproducible. Files the fuzzer found (crash-*, found-*) are left alone.
"""

import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "parse")

MACS = bytes.fromhex("020000000001" "020000000002")
SRC4 = bytes([10, 0, 0, 1])
DST4 = bytes([192, 168, 1, 2])
SRC6 = bytes.fromhex("fd000000000000000000000000000001")
DST6 = bytes.fromhex("fd000000000000000000000000000202")


def eth(etype, vlans=()):
    """Ethernet header; vlans is a list of (tpid, tci), outer first."""
    b = MACS
    for tpid, tci in vlans:
        b += struct.pack("!HH", tpid, tci)
    return b + struct.pack("!H", etype)


def ipv4(proto, payload, opts=b"", frag=0, totlen=None, ver_ihl=None):
    ihl = 5 + len(opts) // 4
    if totlen is None:
        totlen = 20 + len(opts) + len(payload)
    if ver_ihl is None:
        ver_ihl = 0x40 | ihl
    hdr = struct.pack("!BBHHHBBH4s4s", ver_ihl, 0, totlen, 0x1234, frag, 64, proto, 0,
                      SRC4, DST4)
    return hdr + opts + payload


def ipv6(nh, payload, paylen=None, ver=6):
    if paylen is None:
        paylen = len(payload)
    hdr = struct.pack("!IHBB16s16s", ver << 28, paylen, nh, 255, SRC6, DST6)
    return hdr + payload


def ext(nh, hdrlen):
    size = (hdrlen + 1) * 8
    return struct.pack("!BB", nh, hdrlen) + bytes(size - 2)


def ah(nh, length):
    return struct.pack("!BB", nh, length) + bytes((length + 2) * 4 - 2)


def frag6(nh, offset, more):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | int(more), 0xdeadbeef)


def tcp(sport, dport, flags=0x02, doff=5):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, doff << 4, flags, 65535, 0, 0)
    return hdr + b"\x01" * ((doff - 5) * 4)


def udp(sport, dport, payload=b"", ulen=None):
    if ulen is None:
        ulen = 8 + len(payload)
    return struct.pack("!HHHH", sport, dport, ulen, 0) + payload


def sctp(sport, dport):
    return struct.pack("!HHII", sport, dport, 0x11223344, 0)


def icmp(typ, code, ident=0x4242):
    return struct.pack("!BBHHH", typ, code, 0, ident, 1)


def arp(htype=1, ptype=0x0800, hlen=6, plen=4):
    return (struct.pack("!HHBBH", htype, ptype, hlen, plen, 1) + MACS[6:] + SRC4
            + bytes(6) + DST4)


def pad60(frame):
    return frame + bytes(max(0, 60 - len(frame)))


QINQ = [(0x88a8, 0x0123), (0x8100, 0xe456)]
VLAN = [(0x8100, 0x2064)]

SEEDS = {
    # Well-formed.
    "ok_tcp4": eth(0x0800) + ipv4(6, tcp(40000, 443)),
    "ok_tcp4_vlan_opts": eth(0x0800, VLAN) + ipv4(6, tcp(40000, 443, 0x12, 8), opts=b"\x01" * 8),
    "ok_udp4_qinq": eth(0x0800, QINQ) + ipv4(17, udp(53, 5353, b"abcd")),
    "ok_sctp4": eth(0x0800) + ipv4(132, sctp(3868, 3868)),
    "ok_icmp4_echo": eth(0x0800) + ipv4(1, icmp(8, 0)),
    "ok_ipv4_padded": pad60(eth(0x0800) + ipv4(17, udp(7, 9, b"x"))),
    "ok_ipv4_frag_first": eth(0x0800) + ipv4(17, udp(4789, 4789, bytes(16), ulen=3000),
                                             frag=0x2000),
    "ok_ipv4_frag_later": eth(0x0800) + ipv4(17, bytes(24), frag=0x2000 | 185),
    "ok_gre4": eth(0x0800) + ipv4(47, bytes(8)),
    "ok_tcp6": eth(0x86dd) + ipv6(6, tcp(1234, 80, 0x10)),
    "ok_icmp6_echo": eth(0x86dd) + ipv6(58, icmp(128, 0)),
    "ok_icmp6_ns_vlan": eth(0x86dd, VLAN) + ipv6(58, icmp(135, 0) + bytes(16)),
    "ok_ipv6_ext_chain": eth(0x86dd, QINQ) + ipv6(
        0, ext(43, 0) + ext(60, 2) + ext(51, 0) + ah(135, 4) + ext(6, 0) + tcp(22, 2222)),
    "ok_ipv6_frag_first": eth(0x86dd) + ipv6(44, frag6(17, 0, True)
                                             + udp(1111, 2222, bytes(8), ulen=5000)),
    "ok_ipv6_frag_later": eth(0x86dd) + ipv6(44, frag6(6, 100, True) + bytes(16)),
    # Found by the fuzzer: a later fragment nested in a first one (FRAG_LATER only).
    "ok_ipv6_nested_frag": eth(0x86dd) + ipv6(44, frag6(44, 0, True) + frag6(6, 3, True)
                                              + tcp(1, 2)),
    "ok_ipv6_no_next": eth(0x86dd) + ipv6(60, ext(59, 0) + bytes(4)),
    "ok_arp": pad60(eth(0x0806) + arp()),
    "ok_lldp_old_qinq": eth(0x88cc, [(0x9100, 1), (0x8100, 2)]) + bytes(46),
    # Malformed: one seed per reason.
    "bad_trunc_eth": MACS,
    "bad_trunc_vlan": eth(0x8100) + b"\x00",
    "bad_too_many_vlans": eth(0x0800, QINQ + [(0x8100, 3)]) + ipv4(6, tcp(1, 2)),
    "bad_trunc_arp": eth(0x0806) + arp()[:20],
    "bad_trunc_ipv4": eth(0x0800) + ipv4(6, b"")[:19],
    "bad_ipv4_version": eth(0x0800) + ipv4(6, tcp(1, 2), ver_ihl=0x65),
    "bad_ipv4_ihl": eth(0x0800) + ipv4(6, tcp(1, 2), ver_ihl=0x4f),
    "bad_ipv4_totlen": eth(0x0800) + ipv4(6, tcp(1, 2), totlen=200),
    "bad_ipv4_frag": eth(0x0800) + ipv4(17, bytes(8), frag=8191),
    "bad_trunc_ipv6": eth(0x86dd) + ipv6(6, b"")[:39],
    "bad_ipv6_version": eth(0x86dd) + ipv6(6, tcp(1, 2), ver=4),
    "bad_ipv6_jumbo": eth(0x86dd) + ipv6(0, ext(6, 0) + tcp(1, 2), paylen=0),
    "bad_trunc_ipv6_ext": eth(0x86dd) + ipv6(43, struct.pack("!BB", 6, 4) + bytes(14)),
    "bad_too_many_ipv6_ext": eth(0x86dd) + ipv6(60, ext(60, 0) * 8 + ext(6, 0) + tcp(1, 2)),
    "bad_trunc_tcp": eth(0x0800) + ipv4(6, tcp(1, 2)[:19]),
    "bad_tcp_doff": eth(0x0800) + ipv4(6, tcp(1, 2)[:12] + b"\xf0" + tcp(1, 2)[13:]),
    "bad_udp_len": eth(0x86dd) + ipv6(17, udp(1, 2, b"abc", ulen=0)),
    "bad_trunc_udp": eth(0x0800) + ipv4(17, udp(1, 2)[:7]),
    "bad_trunc_sctp": eth(0x86dd) + ipv6(132, sctp(1, 2)[:11]),
    "bad_trunc_icmp": eth(0x0800) + ipv4(1, icmp(8, 0)[:7]),
    "bad_trunc_icmpv6": eth(0x86dd) + ipv6(58, icmp(129, 0)[:6]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, frame in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(frame)
    print("wrote %d seeds to %s" % (len(SEEDS), OUT))


if __name__ == "__main__":
    main()
