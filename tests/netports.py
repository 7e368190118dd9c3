"""A port on 127.0.0.1 for a server the test starts (or for a port nobody listens on).

``bind(0)`` hands out a port from the kernel's ephemeral range, the one outgoing connections take their
source ports from: between the check and the server's own bind, a connection from any process (on a busy
2-core machine, another test's) can take it, and the server fails to start. A port below that range is
never taken by an outgoing connection; it is checked free here, and drawn at random, so two test workers
do not pick the same one.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_random = random.SystemRandom()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A port nothing listens on, below the ephemeral range."""
    low = _ephemeral_low()
    for _ in range(200):
        port = _random.randrange(10000, low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in 10000-{low - 1}")
