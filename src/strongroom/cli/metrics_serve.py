"""``serve --metrics-port``: the metrics on a listener of their own, for a scraper on this host.

Unauthenticated, so it listens on a loopback address only (:meth:`strongroom.config.Settings.
validate` refuses any other ``--metrics-host``); scrapers elsewhere sign ``GET /metrics`` on
the main listener. It is prometheus_client's own small HTTP server, in a daemon thread: every
path answers the metrics (``/metrics`` by convention), in the format ``Accept`` prefers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from prometheus_client import start_http_server

from strongroom.config import ConfigError
from strongroom.metrics import scrape_registry

__all__ = ["MetricsListener", "start_metrics"]


@dataclass
class MetricsListener:
    """The running metrics server and its thread."""

    server: Any
    thread: threading.Thread

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout)


def start_metrics(host: str, port: int) -> MetricsListener:
    """Serve the metrics on ``host:port`` until stopped; ConfigError saying why it cannot."""
    try:
        server, thread = start_http_server(port, host, registry=scrape_registry())
    except OSError as error:
        raise ConfigError(
            f"cannot serve metrics on {host}:{port}: {error.strerror or error}"
        ) from None
    return MetricsListener(server, thread)
