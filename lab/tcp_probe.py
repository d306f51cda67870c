#!/usr/bin/env python3
"""A TCP server that says who it is and who called, and its probe, for testing
Services in the lab (kube-proxy does not DNAT ICMP, so ping cannot test them).

  tcp_probe.py serve --port P --name NAME [--bind ADDR] [--for SECONDS] [--ready-file PATH]
  tcp_probe.py probe ADDR PORT [--timeout S] [--attempts N] [--source ADDR]

serve: listens on ADDR (default: every address, IPv4 and IPv6 on one socket)
and answers each connection with "NAME <peer ip>\\n" (the peer as this server
sees it: after DNAT and masquerade on the way) and closes it. Once listening it
prints "tcp_probe: NAME listening on ADDR port P" on stdout (flushed) and, with
--ready-file, creates PATH, so that callers wait on a condition. It exits 0
after --for seconds (default 3600), on SIGTERM or SIGINT.

probe: connects to ADDR PORT (IPv4 or IPv6; [brackets] allowed), from
--source if given, reads the answer and prints it (one line), exit 0. A
failure (refused, unreachable, timed out, closed without an answer) is retried
up to --attempts times in all (default 1), each attempt bounded by --timeout
seconds (default 3) for the connection and again for the answer; when the last
fails, it says why on stderr and exits 1.

Standard library only. Example:
  ip netns exec rvlab-a1p0 lab/tcp_probe.py serve --port 8080 --name a1p0 > /tmp/a1p0.out &
  ip netns exec rvlab-c1p0 lab/tcp_probe.py probe 100.64.21.2 8080 --attempts 5
"""
import argparse
import ipaddress
import os
import selectors
import signal
import socket
import sys
import time

RETRY_PAUSE = 0.2  # between a failed attempt and the next (a refusal comes back at once)


def plain_ip(address):
    """The peer's IP as a client would write it: IPv4-mapped IPv6 addresses as IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ip)


def listening_socket(bind, port):
    if bind:
        family = socket.AF_INET6 if ipaddress.ip_address(bind).version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    else:
        try:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            bind = "::"
        except OSError:  # IPv6 disabled: IPv4 only
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            bind = "0.0.0.0"
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    sock.listen(64)
    sock.setblocking(False)
    return sock, bind


class Stop(Exception):
    pass


def raise_stop(*_):
    raise Stop


def serve(args):
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, raise_stop)
    try:
        sock, bound = listening_socket(args.bind, args.port)
    except OSError as e:
        print(f"tcp_probe: cannot listen on {args.bind or '*'} port {args.port}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        with selectors.DefaultSelector() as sel, sock:
            sel.register(sock, selectors.EVENT_READ)
            print(f"tcp_probe: {args.name} listening on {bound} port {args.port}", flush=True)
            if args.ready_file:
                with open(args.ready_file, "w", encoding="utf-8") as f:
                    f.write(f"{os.getpid()}\n")
            deadline = time.monotonic() + args.duration
            while (left := deadline - time.monotonic()) > 0:
                if sel.select(left):
                    answer(sock, args.name)
    except Stop:
        pass
    return 0


def answer(sock, name):
    """Answers one pending connection, if any, with NAME and the peer's address."""
    try:
        conn, peer = sock.accept()
    except (BlockingIOError, ConnectionAbortedError):
        return
    with conn:
        conn.settimeout(2)
        try:
            conn.sendall(f"{name} {plain_ip(peer[0])}\n".encode())
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client went away; nothing to tell it


def probe_once(addr, port, timeout, source):
    """The answer of one connection, or raises OSError / ConnectionError."""
    family = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        if source:
            sock.bind((source, 0))
        sock.connect((addr, port))
        data = b""
        while len(data) < 4096:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    answer = data.decode(errors="replace").strip()
    if not answer:
        raise ConnectionError("connection closed without an answer")
    return answer


def describe(error, timeout):
    if isinstance(error, socket.timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return error.strerror or str(error)


def probe(args):
    addr = args.addr.strip("[]")
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        print(f"tcp_probe: {args.addr} is not an IP address", file=sys.stderr)
        return 2
    error = None
    for attempt in range(1, args.attempts + 1):
        try:
            print(probe_once(addr, args.port, args.timeout, args.source), flush=True)
            return 0
        except OSError as e:  # ConnectionError and socket.timeout are OSErrors too
            error = e
        if attempt < args.attempts:
            time.sleep(RETRY_PAUSE)
    print(f"tcp_probe: {args.addr} port {args.port}: {describe(error, args.timeout)}"
          f" ({args.attempts} attempt{'s' if args.attempts > 1 else ''})", file=sys.stderr)
    return 1


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not positive")
        return value
    return parse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="answer each connection with NAME and the peer's address")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--bind", help="one address to listen on (default: all, IPv4 and IPv6)")
    s.add_argument("--for", dest="duration", type=positive(float), default=3600.0, metavar="SECONDS")
    s.add_argument("--ready-file", help="created once listening")
    p = sub.add_parser("probe", help="connect, print the answer")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=positive(float), default=3.0, metavar="S")
    p.add_argument("--attempts", type=positive(int), default=1, metavar="N")
    p.add_argument("--source", help="the local address to connect from")
    args = parser.parse_args(argv)
    return serve(args) if args.command == "serve" else probe(args)


if __name__ == "__main__":
    sys.exit(main())
