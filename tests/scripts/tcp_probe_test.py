#!/usr/bin/env python3
"""lab/tcp_probe.py on the loopback addresses (127.0.0.1, ::1) only: serve's
ready marker, answer and exits (--for, SIGTERM); probe's answer, and its
errors (refused with retries, a silent server timing out, a server closing
without an answer, not an address), each bounded in time."""
import pathlib
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "lab" / "tcp_probe.py"


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def probe(*args, timeout=30):
    return subprocess.run([sys.executable, str(SCRIPT), "probe", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


class Server:
    """tcp_probe.py serve as a child process, waited for through its ready line."""

    def __init__(self, bind, name="srv", duration="30"):
        self.tmp = tempfile.TemporaryDirectory()
        self.ready = pathlib.Path(self.tmp.name) / "ready"
        self.port = free_port(socket.AF_INET6 if ":" in bind else socket.AF_INET, bind)
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), "serve", "--port", str(self.port), "--name", name, "--bind", bind,
             "--for", duration, "--ready-file", str(self.ready)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self, limit=10):
        """Blocks (at most `limit` s) for the line serve prints once listening."""
        readable, _, _ = select.select([self.proc.stdout], [], [], limit)
        self.ready_line = self.proc.stdout.readline() if readable else ""
        if "listening" not in self.ready_line:
            raise AssertionError(f"server not ready: {self.ready_line!r} {self.proc.communicate(timeout=5)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)
        self.tmp.cleanup()


class ServeTest(unittest.TestCase):
    def start(self, bind, **kwargs):
        server = Server(bind, **kwargs)
        self.addCleanup(server.stop)
        server.wait_ready()
        return server

    def test_answers_name_and_peer_v4(self):
        server = self.start("127.0.0.1", name="web-1")
        out = probe("127.0.0.1", str(server.port))
        self.assertEqual((out.returncode, out.stdout, out.stderr), (0, "web-1 127.0.0.1\n", ""))
        self.assertEqual(probe("127.0.0.1", str(server.port)).stdout, "web-1 127.0.0.1\n")  # and again

    @unittest.skipUnless(has_ipv6_loopback(), "no IPv6 loopback")
    def test_answers_name_and_peer_v6(self):
        server = self.start("::1", name="web-1")
        for addr in ("::1", "[::1]"):
            out = probe(addr, str(server.port), "--source", "::1")
            self.assertEqual((out.returncode, out.stdout), (0, "web-1 ::1\n"), out.stderr)

    def test_ready_line_and_sigterm(self):
        server = self.start("127.0.0.1", name="n1")
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        stdout, stderr = server.proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 2)
        self.assertEqual(server.proc.returncode, 0, stderr)
        self.assertEqual(server.ready_line + stdout, f"tcp_probe: n1 listening on 127.0.0.1 port {server.port}\n")

    def test_exits_after_for_seconds(self):
        server = self.start("127.0.0.1", duration="0.5")
        self.assertEqual(server.proc.wait(timeout=10), 0)

    def test_port_in_use(self):
        server = self.start("127.0.0.1")
        out = subprocess.run([sys.executable, str(SCRIPT), "serve", "--port", str(server.port), "--name", "x",
                              "--bind", "127.0.0.1", "--for", "5"], capture_output=True, text=True, timeout=30,
                             check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"cannot listen on 127.0.0.1 port {server.port}", out.stderr)


class ProbeErrorsTest(unittest.TestCase):
    def listener(self, on_accept=None):
        """A loopback socket that completes handshakes; on_accept(conn) if given, in a thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        if on_accept:
            def run():
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                on_accept(conn)
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            self.addCleanup(thread.join, 10)
        return sock.getsockname()[1]

    def test_refused_after_attempts(self):
        start = time.monotonic()
        out = probe("127.0.0.1", str(free_port()), "--attempts", "3")
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stdout, "")
        self.assertRegex(out.stderr, r"^tcp_probe: 127\.0\.0\.1 port \d+: connection refused \(3 attempts\)\n$")

    def test_silent_server_times_out(self):
        port = self.listener()  # the kernel accepts; nobody answers
        start = time.monotonic()
        out = probe("127.0.0.1", str(port), "--timeout", "0.5")
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(out.returncode, 1)
        self.assertIn("timed out after 0.5 s (1 attempt)", out.stderr)

    def test_closed_without_answer(self):
        port = self.listener(on_accept=lambda conn: conn.close())
        out = probe("127.0.0.1", str(port), "--timeout", "5")
        self.assertEqual(out.returncode, 1)
        self.assertIn("connection closed without an answer", out.stderr)

    def test_not_an_address(self):
        out = probe("web.default.svc", "80")
        self.assertEqual(out.returncode, 2)
        self.assertIn("web.default.svc is not an IP address", out.stderr)

    def test_bad_options(self):
        self.assertEqual(probe("127.0.0.1", "80", "--attempts", "0").returncode, 2)
        self.assertEqual(probe("127.0.0.1", "80", "--timeout", "-1").returncode, 2)


if __name__ == "__main__":
    unittest.main()
