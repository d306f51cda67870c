#!/usr/bin/env python3
"""A delaying hop for the lab (the kernel here has no netem): copies Ethernet
frames between two interfaces of one namespace, holding IPv4 and IPv6
packets between the given addresses for a set time each way; everything
else (ARP, neighbour discovery, other hosts) passes at once. scripts/lab.sh
degrade puts it between a site's port and the internet bridge.

  link_delay.py IF_A IF_B DELAY_MS SECONDS ADDR[,ADDR...]

Runs at most SECONDS and holds at most 10,000 frames (more are dropped, as a
full queue would)."""
import heapq
import ipaddress
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
MAX_HELD = 10000
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 8
L4_CHECKSUM_AT = {6: 16, 17: 6}  # TCP, UDP


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def with_checksum(frame):
    """The frame with its TCP or UDP checksum filled in: a sender's kernel
    leaves it to the NIC (checksum offload), and a frame copied out of a
    packet socket still lacks it."""
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        proto, l4 = frame[23], 14 + ihl
        end = 14 + int.from_bytes(frame[16:18], "big")
        pseudo = frame[26:34] + bytes([0, proto]) + (end - l4).to_bytes(2, "big")
    elif ethertype == 0x86DD:
        proto, l4 = frame[20], 54
        end = l4 + int.from_bytes(frame[18:20], "big")
        pseudo = frame[22:54] + (end - l4).to_bytes(4, "big") + bytes([0, 0, 0, proto])
    else:
        return frame
    at = L4_CHECKSUM_AT.get(proto)
    if at is None or end > len(frame) or end - l4 < at + 2:
        return frame
    segment = bytearray(frame[l4:end])
    segment[at:at + 2] = b"\0\0"
    value = checksum(pseudo + bytes(segment)) or (0xFFFF if proto == 17 else 0)
    segment[at:at + 2] = value.to_bytes(2, "big")
    return frame[:l4] + bytes(segment) + frame[end:]


def addresses_of(frame):
    """(source, destination) of an IPv4 or IPv6 frame, else None."""
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == 0x0800 and len(frame) >= 34:
        return frame[26:30], frame[30:34]
    if ethertype == 0x86DD and len(frame) >= 54:
        return frame[22:38], frame[38:54]
    return None


def send(sock, frame):
    try:
        sock.send(frame)
    except OSError:
        pass  # a frame larger than the link (an offloaded segment): lost, as on a wire


def main(argv):
    if_a, if_b, delay_ms, seconds, addrs = argv
    delay = float(delay_ms) / 1000
    peers = {ipaddress.ip_address(a).packed for a in addrs.split(",")}
    socks = {}
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        socks[name] = s
    other = {socks[if_a]: socks[if_b], socks[if_b]: socks[if_a]}
    held = []  # (due, order, socket to send on, frame)
    order = 0
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, out, frame = heapq.heappop(held)
            send(out, frame)
        timeout = max(0.0, held[0][0] - now) if held else 0.5
        ready, _, _ = select.select(list(other), [], [], timeout)
        for s in ready:
            frame, ancillary, _, meta = s.recvmsg(65535, 64)
            if meta[2] == socket.PACKET_OUTGOING:
                continue  # our own copy of what we sent
            for level, kind, data in ancillary:
                if (level, kind) == (SOL_PACKET, PACKET_AUXDATA) and \
                        int.from_bytes(data[0:4], "little") & TP_STATUS_CSUMNOTREADY:
                    frame = with_checksum(frame)
            pair = addresses_of(frame)
            if pair and (pair[0] in peers or pair[1] in peers):
                if len(held) < MAX_HELD:
                    order += 1
                    heapq.heappush(held, (time.monotonic() + delay, order, other[s], frame))
            else:
                send(other[s], frame)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(sys.argv[1:])
