#!/usr/bin/env python3
"""A bulk TCP stream for benchmarks on the lab, bounded in time.

  tcp_stream.py serve ADDR PORT SECONDS   accept one connection, read until EOF or
                                          SECONDS; print "bytes per INTERVAL s: N N ..."
  tcp_stream.py send ADDR PORT SECONDS MBITS
                                          send for SECONDS at about MBITS Mbit/s; exit 1
                                          (saying why) when the connection fails (a reset)

Standard library only.
"""
import socket
import sys
import time

INTERVAL = 0.5


def serve(addr, port, seconds):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(seconds)
    conn, _ = srv.accept()
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    buckets = []
    while time.monotonic() < deadline:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = conn.recv(1 << 20)
        except socket.timeout:
            break
        if not data:
            break
        k = int((time.monotonic() - start) / INTERVAL)
        buckets.extend([0] * (k + 1 - len(buckets)))
        buckets[k] += len(data)
    print("bytes per %.1f s: %s" % (INTERVAL, " ".join(str(b) for b in buckets)), flush=True)


def send(addr, port, seconds, mbits):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    conn = socket.create_connection((addr, port), timeout=5)
    assert conn.family == family
    chunk = b"\0" * 16384
    start = time.monotonic()
    deadline = start + seconds
    sent = 0
    try:
        while time.monotonic() < deadline:
            ahead = sent * 8 / (mbits * 1e6) - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(min(ahead, deadline - time.monotonic()))
                continue
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                sent += conn.send(chunk)
            except socket.timeout:
                continue
    except OSError as e:
        sys.exit("tcp_stream send: the connection failed after %d bytes: %s" % (sent, e))
    conn.close()
    print("sent %d bytes" % sent)


if __name__ == "__main__":
    mode, address, p, s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if mode == "send":
        send(address, p, s, float(sys.argv[5]))
    else:
        serve(address, p, s)
