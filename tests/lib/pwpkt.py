"""Packet sets for the integration tests: well-formed frames of every kind the parser reads,
and malformed frames, each with the drop reason podwall must count for it."""

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.layers.sctp import SCTP
from scapy.packet import Raw
import struct

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"
BCAST = "ff:ff:ff:ff:ff:ff"


def well_formed(src=MAC_A, dst=MAC_B):
    """Frames podwall must forward unchanged (allow-all policy)."""
    e = Ether(src=src, dst=dst)
    return [
        e / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=80, flags="S"),
        e / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=40001, dport=53) / Raw(b"q" * 20),
        e / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8, id=7),
        e / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x94\x04\x00\x00") / TCP(dport=443),
        e / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF") / UDP(dport=5000) / Raw(b"x" * 64),
        e / IP(src="10.0.0.1", dst="10.0.0.2", frag=8) / Raw(b"y" * 64),
        e / IP(src="10.0.0.1", dst="10.0.0.2") / SCTP(sport=1000, dport=2000),
        e / Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(dport=8080),
        e / Dot1AD(vlan=20) / Dot1Q(vlan=30) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(dport=9),
        e / IPv6(src="fd00::1", dst="fd00::2") / TCP(sport=40002, dport=80, flags="S"),
        e / IPv6(src="fd00::1", dst="fd00::2") / UDP(dport=53) / Raw(b"q" * 8),
        e / IPv6(src="fd00::1", dst="fd00::2") / ICMPv6EchoRequest(id=9),
        e / IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
        TCP(dport=22),
        e / IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrRouting() / UDP(dport=4789),
        e / IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrFragment(m=1, offset=0) / UDP(dport=1),
        e / IPv6(src="fd00::1", dst="fd00::2") / IPv6ExtHdrFragment(m=0, offset=100) /
        Raw(b"z" * 16),
        e / ARP(op=1, hwsrc=src, psrc="10.0.0.1", pdst="10.0.0.2"),
        Ether(src=src, dst=dst, type=0x88cc) / Raw(b"\x02\x07\x04" + b"\x00" * 40),
    ]


def malformed(src=MAC_A, dst=MAC_B):
    """(frame bytes, drop reason) pairs podwall must drop and count."""
    e = bytes(Ether(src=src, dst=dst, type=0x0800))
    tcp4 = bytes(Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(dport=80))
    udp4 = bytes(Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(dport=53))
    v6 = bytes(Ether(src=src, dst=dst) / IPv6(src="fd00::1", dst="fd00::2") / TCP(dport=80))
    ip = bytearray(tcp4)
    bad_ihl = bytearray(tcp4)
    bad_ihl[14] = 0x44  # IHL 4 words: below the minimum
    bad_ver = bytearray(tcp4)
    bad_ver[14] = 0x65
    big_len = bytearray(tcp4)
    big_len[16:18] = (1500).to_bytes(2, "big")
    bad_doff = bytearray(tcp4)
    bad_doff[14 + 20 + 12] = 0x20  # data offset 2 words
    bad_udp_len = bytearray(udp4)
    bad_udp_len[14 + 20 + 4:14 + 20 + 6] = (4).to_bytes(2, "big")
    del ip
    return [
        (e[:10], "trunc_eth"),
        (bytes(Ether(src=src, dst=dst, type=0x8100))[:14] + b"\x00", "trunc_vlan"),
        (e + b"\x45\x00", "trunc_ipv4"),
        (bytes(bad_ver), "bad_ipv4_version"),
        (bytes(bad_ihl), "bad_ipv4_ihl"),
        (bytes(big_len), "bad_ipv4_totlen"),
        (tcp4[:14 + 20 + 10], "bad_ipv4_totlen"),
        (bytes(bad_doff), "bad_tcp_doff"),
        (bytes(bad_udp_len), "bad_udp_len"),
        (v6[:14 + 30], "trunc_ipv6"),
        (bytes(Ether(src=src, dst=dst) / Dot1Q() / Dot1Q() / Dot1Q() / IP()), "too_many_vlans"),
        (bytes(Ether(src=src, dst=dst) / ARP())[:14 + 20], "trunc_arp"),
    ]


def wrpcap(path, frames):
    """Write frames (bytes or scapy packets) as an Ethernet pcap file, byte for byte."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            b = bytes(fr)
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(b), len(b)))
            f.write(b)


def rdpcap(path):
    """The frames of a pcap file (microsecond or nanosecond, little-endian), as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    assert magic in (0xa1b2c3d4, 0xa1b23c4d), "%s: not a little-endian pcap" % path
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<IIII", data, off)[2]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


__all__ = ["rdpcap", "wrpcap", "Ether", "IP", "IPv6", "TCP", "UDP", "ICMP", "ARP", "Raw",
           "well_formed", "malformed", "MAC_A", "MAC_B", "MAC_C", "BCAST"]
