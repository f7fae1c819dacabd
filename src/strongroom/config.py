"""Settings, parsed once at start-up (never at import time)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.domain.hosts import is_loopback

DEFAULT_PORT = 8200
DEFAULT_REGION = "us-ashburn-1"
STATE_FILE = "strongroom.json"


class ConfigError(Exception):
    """The configuration cannot work; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    """How one Strongroom process runs."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    public_url: str | None = None
    # External key managers of EXTERNAL vaults.
    ekm_ca_bundle: Path | None = None  # PEM CAs trusted for EKMs instead of the system store
    ekm_client_cert: Path | None = None  # PEM certificate chain for mutual TLS to EKMs
    ekm_client_key: Path | None = None
    ekm_timeout: float = 0.25  # seconds per EKM call
    ekm_health_interval: float = 30.0  # seconds between background EKM health checks
    # The Element JSON-RPC API's own HTTPS listener (None: not served).
    element_port: int | None = None
    # The metrics' own listener: unauthenticated, so on loopback only (None: not served; the
    # main listener serves them to signed callers a policy allows either way).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'strongroom.db').resolve()}"

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def advertised_url(self) -> str:
        """The base URL put into vault endpoints."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def metrics_url(self) -> str | None:
        """Where ``--metrics-port`` serves the metrics (None: it is not given)."""
        if self.metrics_port is None:
            return None
        host = f"[{self.metrics_host}]" if ":" in self.metrics_host else self.metrics_host
        return f"http://{host}:{self.metrics_port}/metrics"

    def validate(self) -> None:
        """Refuse configurations that would be unsafe or cannot start."""
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("--tls-cert and --tls-key must be given together")
        if not self.tls and not is_loopback(self.host):
            raise ConfigError(
                f"Refusing to listen on {self.host} without TLS: pass --tls-cert and --tls-key, "
                "or listen on 127.0.0.1"
            )
        if not 0 < self.port < 65536:
            raise ConfigError("--port must be between 1 and 65535")
        if self.element_port is not None:
            if not 0 < self.element_port < 65536:
                raise ConfigError("--element-port must be between 1 and 65535")
            if self.element_port == self.port:
                raise ConfigError("--element-port must differ from --port")
            if self.element_port == 442:
                raise ConfigError(
                    "--element-port must not be 442: Element clients treat that port as a "
                    "node and refuse the encryption-at-rest methods on it"
                )
        self._validate_metrics()
        if (self.ekm_client_cert is None) != (self.ekm_client_key is None):
            raise ConfigError("--ekm-client-cert and --ekm-client-key must be given together")
        if not 0.01 <= self.ekm_timeout <= 60:
            raise ConfigError("--ekm-timeout must be between 0.01 and 60 seconds")
        if not 1 <= self.ekm_health_interval <= 86400:
            raise ConfigError("--ekm-health-interval must be between 1 and 86400 seconds")

    def _validate_metrics(self) -> None:
        """``--metrics-port`` is a port of its own, and ``--metrics-host`` a loopback address."""
        if self.metrics_port is None:
            return
        if not 0 < self.metrics_port < 65536:
            raise ConfigError("--metrics-port must be between 1 and 65535")
        if self.metrics_port in (self.port, self.element_port):
            raise ConfigError("--metrics-port must differ from --port and --element-port")
        if not is_loopback(self.metrics_host):
            raise ConfigError(
                f"Refusing to serve metrics on {self.metrics_host}: the metrics listener is "
                "unauthenticated, so --metrics-host must be a loopback address (127.0.0.1, ::1 "
                "or localhost); remote scrapers sign GET /metrics on the main listener instead"
            )


def read_state(data_dir: Path) -> dict[str, Any]:
    """The data directory's state file written by ``strongroom init``."""
    path = data_dir / STATE_FILE
    if not path.exists():
        raise ConfigError(
            f"{data_dir} is not a Strongroom data directory; "
            f"run: strongroom init --data-dir {data_dir}"
        )
    state: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return state
