"""Checking a Ray cluster address before connecting to it.

Why: `ray.init(address=...)` on a wrong or dead address retries for about two minutes and then prints a
traceback; a misspelt address in a recipe should be a one-line error at once, and an unreachable cluster
one within seconds, saying how to start one.
"""

from __future__ import annotations

import re
import socket

_HOST_PORT = re.compile(r"^(?:ray://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
START = "start one with `ray start --head --port 6379`, then pass --ray-address HOST:6379 (or auto)"


def address_problem(address) -> tuple[str, str] | None:
    """(message, fix) if `address` is neither `auto` nor HOST:PORT; else None."""
    if address == "auto":
        return None
    m = _HOST_PORT.match(str(address)) if isinstance(address, str) else None
    if m is None or not 0 < int(m.group(2)) < 65536:
        return (f"bad Ray address {address!r}", "use auto (the cluster `ray start` started on this machine) "
                "or HOST:PORT of the head node, e.g. 10.0.0.5:6379")
    return None


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Raise ConnectionError with a clear message if nothing listens at HOST:PORT (auto is left to Ray)."""
    problem = address_problem(address)
    if problem:
        raise ValueError(f"{problem[0]} ({problem[1]})")
    if address == "auto":
        return
    host, port = _HOST_PORT.match(address).groups()
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            speaks_grpc = _speaks_http2(sock, timeout)
    except OSError as e:
        raise ConnectionError(f"no Ray cluster answers at {address} ({e.strerror or e}); {START}") from None
    if not speaks_grpc:  # a web server, a database...: Ray would retry against it for minutes
        raise ConnectionError(f"something answers at {address}, but not a Ray head node (it does not speak "
                              f"gRPC); check the port `ray start --head` printed; {START}")


# the HTTP/2 connection preface and an empty SETTINGS frame: a gRPC server (Ray's GCS) answers with a
# SETTINGS frame of its own; an HTTP/1 server, or anything else, does not
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _speaks_http2(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        sock.sendall(_PREFACE)
        head = b""
        while len(head) < 9:
            chunk = sock.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
    except OSError:
        return False
    return head[3] == 0x04  # frame type SETTINGS
