"""What a running proxy holds: its config (re-read when ``ekm.json`` changes), engine, validator.

Changing the JWT settings or the XKS credentials with the CLI takes effect in a running proxy
within the reload interval, without a restart (XKS credential rotation needs that).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from strongroom.ekm_proxy.config import ProxyConfig, config_path, load_config
from strongroom.ekm_proxy.engine import DEFAULT_RELOAD_INTERVAL, Engine
from strongroom.ekm_proxy.errors import ConfigurationError
from strongroom.ekm_proxy.files import FileStamp
from strongroom.ekm_proxy.tokens import TokenValidator

log = logging.getLogger("strongroom.ekm_proxy")


@dataclass(frozen=True)
class Urls:
    """The URLs clients use: the base, the EKMS vault URL and the XKS base URL."""

    base: str
    vault_url: str
    xks_url: str


def urls_for(base: str, config: ProxyConfig) -> Urls:
    """The URLs of a proxy reachable at ``base``."""
    base = base.rstrip("/")
    return Urls(
        base=base,
        vault_url=f"{base}/v1/vaults/{config.vault_id}",
        xks_url=f"{base}{config.xks.uri_prefix}/kms/xks/v1",
    )


class ProxyState:
    """The live configuration of a serving proxy."""

    def __init__(
        self,
        data_dir: Path,
        config: ProxyConfig,
        engine: Engine,
        base_url: str,
        *,
        reload_interval: float = DEFAULT_RELOAD_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self.base_url = base_url.rstrip("/")
        self._stamp = FileStamp(config_path(data_dir))
        self._stamp.mark(self._stamp.now())
        self._interval = reload_interval
        self._clock = clock
        self._checked = clock()
        self.config = config
        self.validator: TokenValidator | None = None
        self._apply(config)

    @property
    def urls(self) -> Urls:
        """This proxy's URLs."""
        return urls_for(self.base_url, self.config)

    def _apply(self, config: ProxyConfig) -> None:
        if self.validator is None or self.validator.settings != config.jwt:
            self.validator = (
                TokenValidator(config.jwt, urls_for(self.base_url, config).vault_url)
                if config.jwt is not None
                else None
            )
        self.config = config

    def refresh(self) -> None:
        """Re-read ``ekm.json`` if it changed (checked at most every interval)."""
        now = self._clock()
        if now - self._checked < self._interval:
            return
        self._checked = now
        if not self._stamp.changed():
            return
        state = self._stamp.now()
        try:
            config = load_config(self.data_dir)
        except ConfigurationError as error:
            log.warning("configuration not reloaded: %s", error)
            return
        if config.backend != self.config.backend or config.vault_id != self.config.vault_id:
            log.warning("backend or vault id changed on disk; restart the proxy to apply")
            config = config.with_changes(backend=self.config.backend, vault_id=self.config.vault_id)
        self._apply(config)
        self._stamp.mark(state)
