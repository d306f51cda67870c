#!/usr/bin/env python3
"""Traffic and capture helpers of the end-to-end tests (the lab's own are in
lab/labutil.py).

Subcommands:
  tcpecho serve ADDR PORT SECONDS        echo one TCP connection (bounded)
  tcpecho send ADDR PORT SECONDS         a numbered line every 50 ms over one connection,
                                          each echo checked; prints the longest stall
  pinggap FILE INTERVAL    `ping -D -i INTERVAL` output -> the longest time between two
                           replies, the largest reply delay (s) and the echoes lost
  pcap FILE PORTS NET... [--pattern HEX]
                           classify an Ethernet pcap: WireGuard on PORTS (e.g. 4500,4600-4609),
                           NAT relay registrations and acks on PORTS, ARP, NDP/MLD, other; packets with
                           an address of a NET, and packets whose bytes hold HEX
  vxlan SRC DST PORT VNI INNER_SRC INNER_DST COUNT
                           hand-made VXLAN datagrams from SRC to DST:PORT, each carrying an
                           ICMP echo request INNER_SRC -> INNER_DST (IPv4), as an attacker would
"""
import ipaddress
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
from labutil import internet_checksum  # noqa: E402  (the lab is on the path above)


def tcpecho(argv):
    mode, addr, port, seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    deadline = time.monotonic() + seconds
    if mode == "serve":
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((addr, port))
        srv.listen(1)
        srv.settimeout(seconds)
        conn, _ = srv.accept()
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        except socket.timeout:
            sys.exit("tcpecho serve: time is up")
    sock = socket.create_connection((addr, port), timeout=5)
    sock.settimeout(10)  # TCP rides out the failover by retransmitting; this bounds it
    sent = echoed = 0
    buf = b""
    last_echo = time.monotonic()
    longest = 0.0
    while time.monotonic() < deadline:
        sock.sendall(b"%d\n" % sent)
        sent += 1
        end = time.monotonic() + 0.05
        while echoed < sent and time.monotonic() < end:
            sock.settimeout(max(0.001, end - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                sys.exit("tcpecho send: the connection was closed after %d lines" % echoed)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if int(line) != echoed:
                    sys.exit("tcpecho send: line %d came back as %s" % (echoed, line))
                echoed += 1
                now = time.monotonic()
                longest = max(longest, now - last_echo)
                last_echo = now
        time.sleep(max(0.0, end - time.monotonic()))
    sock.settimeout(10)
    while echoed < sent:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("tcpecho send: the connection was closed after %d lines" % echoed)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            echoed += 1
    longest = max(longest, time.monotonic() - last_echo) if echoed < sent else longest
    sock.close()
    print("sent %d echoed %d longest_stall_s %.2f" % (sent, echoed, longest))


def pinggap(argv):
    """`ping -D -i INTERVAL` output -> "LONGEST_GAP_S MAX_DELAY_S LOST": the longest
    time between two consecutive replies (counting from the first request and to
    the last one when replies are missing there), the largest round-trip time of
    any reply, and the echoes never answered. An outage shows in the first two
    even when no echo is lost (replies held back and delivered late)."""
    import re
    interval = float(argv[1])
    text = open(argv[0]).read()
    replies = sorted((float(t), int(seq), float(rtt)) for t, seq, rtt in
                     re.findall(r"\[(\d+\.\d+)\].*icmp_seq=(\d+).*time=([\d.]+) ms", text))
    sent = re.search(r"(\d+) packets transmitted", text)
    total = int(sent.group(1)) if sent else (max(r[1] for r in replies) if replies else 0)
    got = {seq for _, seq, _ in replies}
    if not replies:
        print("%.2f %.3f %d" % (total * interval, 0, total))
        return
    times = [t for t, _, _ in replies]
    first_req = times[0] - replies[0][2] / 1000 - (replies[0][1] - 1) * interval
    last_req = first_req + (total - 1) * interval
    edges = [first_req] + times + [max(times[-1], last_req)]
    gap = max(b - a for a, b in zip(edges, edges[1:]))
    delay = max(rtt for _, _, rtt in replies) / 1000
    print("%.2f %.3f %d" % (gap, delay, total - len(got)))


# ---------------------------------------------------------------- pcap
def port_set(spec):
    ports = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        ports.update(range(int(lo), int(hi or lo) + 1))
    return ports


def pcap(argv):
    pattern = None
    if "--pattern" in argv:
        i = argv.index("--pattern")
        pattern = bytes.fromhex(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    path, ports, nets = argv[0], port_set(argv[1]), [ipaddress.ip_network(n) for n in argv[2:]]
    with open(path, "rb") as fh:
        data = fh.read()
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        sys.exit("pcap: link type %d, want Ethernet" % linktype)
    counts = {"wg_init": 0, "wg_resp": 0, "wg_cookie": 0, "wg_data": 0, "relay_ctl": 0, "arp": 0,
              "ndp": 0, "other": 0, "pod_addr": 0, "pattern": 0}
    others = []
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(endian + "IIII", data, off)
        pkt = data[off + 16: off + 16 + caplen]
        off += 16 + caplen
        if pattern and pattern in pkt:
            counts["pattern"] += 1
        etype = struct.unpack_from("!H", pkt, 12)[0]
        l3 = pkt[14:]
        if etype == 0x0806:
            counts["arp"] += 1
            continue
        src = dst = None
        if etype == 0x0800:
            ihl = (l3[0] & 0xF) * 4
            proto, src, dst = l3[9], l3[12:16], l3[16:20]
            frag = struct.unpack_from("!H", l3, 6)[0] & 0x1FFF
            l4 = l3[ihl:] if frag == 0 else b""
        elif etype == 0x86DD:
            proto, src, dst, l4 = l3[6], l3[8:24], l3[24:40], l3[40:]
        else:
            proto, l4 = None, b""
        addrs = [ipaddress.ip_address(a) for a in (src, dst) if a is not None]
        if any(a in n for a in addrs for n in nets if a.version == n.version):
            counts["pod_addr"] += 1
        if proto == 17 and len(l4) >= 12:
            sport, dport = struct.unpack_from("!HH", l4)
            payload = l4[8:]
            if (sport in ports or dport in ports) and payload[1:4] == b"\0\0\0" and 1 <= payload[0] <= 4:
                counts[["wg_init", "wg_resp", "wg_cookie", "wg_data"][payload[0] - 1]] += 1
                continue
            if (sport in ports or dport in ports) and payload[:4] == b"RVRL":
                counts["relay_ctl"] += 1
                continue
        if proto == 58 and len(l4) >= 1 and l4[0] in (130, 131, 132, 133, 134, 135, 136, 137, 143):
            counts["ndp"] += 1
            continue
        counts["other"] += 1
        if len(others) < 5:
            others.append("ethertype=0x%04x proto=%s %s" % (
                etype, proto, " > ".join(str(a) for a in addrs)))
    print(" ".join("%s=%d" % kv for kv in counts.items()))
    for o in others:
        print("  other: " + o)


# ---------------------------------------------------------------- vxlan
def vxlan(argv):
    src, dst, port, vni, inner_src, inner_dst, count = argv
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5256, 1) + b"raven-e2e"
    icmp = icmp[:2] + struct.pack("!H", internet_checksum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                     socket.inet_aton(inner_src), socket.inet_aton(inner_dst))
    ip = ip[:10] + struct.pack("!H", internet_checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"
    header = struct.pack("!BBBBI", 0x08, 0, 0, 0, int(vni) << 8)
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((src, 0))
    for _ in range(int(count)):
        sock.sendto(header + eth + ip + icmp, (dst, int(port)))
        time.sleep(0.05)


if __name__ == "__main__":
    cmd = sys.argv[1]
    globals()[cmd](sys.argv[2:])
