"""``serve --element-port``: the Element JSON-RPC API on its own HTTPS listener, in a second
uvicorn server running in a daemon thread of the serving process (uvicorn installs signal
handlers only in the main thread; the main server's shutdown stops this one)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.api.element.app import build_element_app
from strongroom.api.element.auth import load_credentials
from strongroom.api.element.material import ElementMaterial, ensure_element_material
from strongroom.api.element.versions import CURRENT_VERSION
from strongroom.cli.element_client import ENDPOINT_FILE
from strongroom.config import ConfigError, Settings, read_state

__all__ = ["ElementListener", "element_url", "init_element_material", "start_element"]


def init_element_material(data_dir: Path, host: str | None = None) -> ElementMaterial:
    """DATA_DIR/element/ (TLS certificate, its CA, Basic credentials), made where missing: by
    ``init``, and by the first ``serve --element-port`` of an older data directory."""
    return ensure_element_material(data_dir, host)


def element_url(settings: Settings) -> str:
    """The Element endpoint clients call."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{settings.element_port}/json-rpc/{CURRENT_VERSION}"


@dataclass
class ElementListener:
    """The running Element server and its thread."""

    server: Any
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to finish and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout)


def _tls_files(settings: Settings, material: ElementMaterial) -> tuple[Path, Path]:
    if settings.tls_cert is not None and settings.tls_key is not None:
        return settings.tls_cert, settings.tls_key
    return material.cert, material.key


def start_element(
    settings: Settings, deps: Any, material: ElementMaterial, log_level: str
) -> ElementListener:
    """Serve the Element API on ``settings.element_port`` until stopped; ConfigError when
    the listener does not start within 15 seconds."""
    import uvicorn

    try:
        credentials = load_credentials(material.credentials)
    except (OSError, ValueError) as error:
        raise ConfigError(f"Cannot read {material.credentials}: {error}") from None
    tenancy_id = read_state(settings.data_dir)["admin"]["tenancy_id"]
    cert, key = _tls_files(settings, material)
    config = uvicorn.Config(
        build_element_app(deps, credentials, tenancy_id),
        host=settings.host,
        port=settings.element_port or 0,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        loop="uvloop",
        lifespan="off",
        log_level=log_level,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="strongroom-element", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigError(f"the Element API could not listen on port {settings.element_port}")
        time.sleep(0.02)
    # Where `strongroom at-rest` finds this listener (see cli.element_client); it stays after
    # the server stops (uvicorn re-raises the stopping signal), and then names no listener.
    _write_endpoint(material.directory / ENDPOINT_FILE, element_url(settings))
    return ElementListener(server, thread)


def _write_endpoint(path: Path, url: str) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(url + "\n", "utf-8")
    scratch.replace(path)
