"""Administration of a proxy's data directory: init, keys, JWT settings, XKS credentials.

Every change is a read-modify-write of one file under the data directory's lock, written
atomically; a running proxy picks it up within its reload interval.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from strongroom.ekm_proxy.backends.base import KeyBackend
from strongroom.ekm_proxy.backends.software import create_master_key
from strongroom.ekm_proxy.config import (
    BACKENDS,
    KEYS_FILE,
    JwtSettings,
    ProxyConfig,
    SoftHsmSettings,
    XksSettings,
    config_path,
    load_config,
    save_config,
    validate_uri_prefix,
)
from strongroom.ekm_proxy.errors import ConfigurationError, EkmError
from strongroom.ekm_proxy.files import create_secret_file, locked
from strongroom.ekm_proxy.keystore import (
    ALL_USAGE,
    KeyRecord,
    KeyVersion,
    check_key_id,
    load_keys,
    new_key_id,
    new_version_id,
    now_text,
    save_keys,
)
from strongroom.ekm_proxy.server import open_backend

_ACCESS_KEY_ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz0123456789_-")


def initialize(
    data_dir: Path,
    backend: str,
    *,
    vault_id: str | None = None,
    public_url: str | None = None,
    softhsm: SoftHsmSettings | None = None,
    init_token_so_pin: str | None = None,
    so_pin_file: Path | None = None,
) -> ProxyConfig:
    """Create a data directory for ``backend``; with ``init_token_so_pin`` initialise the token.

    For softhsm the token must hold (or be given) a user PIN; a health key is created in it.
    ``so_pin_file`` (mode 0600) receives the SO PIN as soon as the token is initialised.
    """
    if backend not in BACKENDS:
        raise ConfigurationError(f"the back end must be one of {', '.join(BACKENDS)}")
    if config_path(data_dir).exists():
        raise ConfigurationError(f"{data_dir} is already initialised")
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    config = ProxyConfig(
        backend=backend,
        vault_id=vault_id or f"ekm-vault-{secrets.token_hex(6)}",
        public_url=public_url.rstrip("/") if public_url else None,
        softhsm=softhsm if backend == "softhsm" else None,
    )
    check_key_id(config.vault_id)
    with locked(data_dir):
        if backend == "software":
            create_master_key(data_dir)
        else:
            settings = softhsm or SoftHsmSettings()
            if init_token_so_pin is not None:
                from strongroom.ekm_proxy.token_init import init_token

                pin = settings.resolved_pin()
                if not pin:
                    raise ConfigurationError("initialising a token needs a user PIN")
                init_token(settings, init_token_so_pin, pin)
                if so_pin_file is not None:
                    create_secret_file(so_pin_file, init_token_so_pin.encode() + b"\n")
            _with_backend(data_dir, config, lambda b: b.check())
        save_keys(data_dir / KEYS_FILE, {})
        save_config(data_dir, config)
    return config


def _with_backend(data_dir: Path, config: ProxyConfig, use: Callable[[KeyBackend], object]) -> None:
    backend = open_backend(data_dir, config)
    try:
        use(backend)
    except EkmError as error:
        raise ConfigurationError(error.message) from None
    finally:
        backend.close()


def list_keys(data_dir: Path) -> dict[str, KeyRecord]:
    """All keys."""
    load_config(data_dir)
    return load_keys(data_dir / KEYS_FILE)


def create_key(
    data_dir: Path, key_id: str | None = None, usage: frozenset[str] = ALL_USAGE
) -> KeyRecord:
    """A new enabled key with one version, usable for ``usage`` (encrypt and/or decrypt)."""
    config = load_config(data_dir)
    key_id = check_key_id(key_id) if key_id else new_key_id()
    with locked(data_dir):
        keys = load_keys(data_dir / KEYS_FILE)
        if key_id in keys:
            raise ConfigurationError(f"key {key_id} already exists")
        version = _new_version(data_dir, config, key_id)
        versions = {version.version_id: version}
        record = KeyRecord(key_id, True, version.version_id, now_text(), versions, usage)
        keys[key_id] = record
        save_keys(data_dir / KEYS_FILE, keys)
    return record


def rotate_key(data_dir: Path, key_id: str) -> KeyVersion:
    """A new version that becomes the key's current one (old versions still decrypt)."""
    config = load_config(data_dir)
    with locked(data_dir):
        keys = load_keys(data_dir / KEYS_FILE)
        record = _existing(keys, key_id)
        version = _new_version(data_dir, config, key_id)
        keys[key_id] = record.with_changes(
            current_version=version.version_id,
            versions={**record.versions, version.version_id: version},
        )
        save_keys(data_dir / KEYS_FILE, keys)
    return version


def set_enabled(data_dir: Path, key_id: str, enabled: bool, version_id: str | None = None) -> None:
    """Enable or disable a key, or one of its versions."""
    load_config(data_dir)
    with locked(data_dir):
        keys = load_keys(data_dir / KEYS_FILE)
        record = _existing(keys, key_id)
        if version_id is None:
            keys[key_id] = record.with_changes(enabled=enabled)
        else:
            version = record.versions.get(version_id)
            if version is None:
                raise ConfigurationError(f"key {key_id} has no version {version_id}")
            versions = dict(record.versions)
            versions[version_id] = KeyVersion(
                version.version_id, enabled, version.created, version.sealed
            )
            keys[key_id] = record.with_changes(versions=versions)
        save_keys(data_dir / KEYS_FILE, keys)


def _existing(keys: dict[str, KeyRecord], key_id: str) -> KeyRecord:
    record = keys.get(key_id)
    if record is None:
        raise ConfigurationError(f"key {key_id} not found")
    return record


def _new_version(data_dir: Path, config: ProxyConfig, key_id: str) -> KeyVersion:
    version_id = new_version_id()
    sealed: list[str | None] = []
    _with_backend(data_dir, config, lambda b: sealed.append(b.generate(key_id, version_id)))
    return KeyVersion(version_id, True, now_text(), sealed[0])


def update_config(data_dir: Path, change: Callable[[ProxyConfig], ProxyConfig]) -> ProxyConfig:
    """Apply ``change`` to the config under the lock and save it."""
    with locked(data_dir):
        config = change(load_config(data_dir))
        save_config(data_dir, config)
    return config


def set_jwt(data_dir: Path, settings: JwtSettings | None) -> ProxyConfig:
    """Set (or with None clear) how EKMS bearer tokens are validated."""
    return update_config(data_dir, lambda c: c.with_changes(jwt=settings))


def set_blocked(data_dir: Path, blocked: bool) -> ProxyConfig:
    """Block (or unblock) every key operation of the proxy; a running proxy follows within
    its reload interval."""
    return update_config(data_dir, lambda c: c.with_changes(blocked=blocked))


def set_xks(data_dir: Path, *, uri_prefix: str | None, region: str | None) -> ProxyConfig:
    """Set the XKS URI prefix and/or pinned region ("" clears the region)."""

    def change(config: ProxyConfig) -> ProxyConfig:
        xks = config.xks
        prefix = validate_uri_prefix(uri_prefix) if uri_prefix is not None else xks.uri_prefix
        pinned = (region or None) if region is not None else xks.region
        return config.with_changes(xks=XksSettings(prefix, pinned, dict(xks.credentials)))

    return update_config(data_dir, change)


def add_credential(data_dir: Path, access_key_id: str, secret: str) -> ProxyConfig:
    """Add (or replace) an XKS SigV4 credential."""
    if not 3 <= len(access_key_id) <= 128 or not set(access_key_id) <= _ACCESS_KEY_ID_CHARS:
        raise ConfigurationError("an access key id is 3-128 letters, digits, '_' or '-'")
    if len(secret) < 16:
        raise ConfigurationError("a secret access key must be at least 16 characters")

    def change(config: ProxyConfig) -> ProxyConfig:
        credentials = {**config.xks.credentials, access_key_id: secret}
        return config.with_changes(
            xks=XksSettings(config.xks.uri_prefix, config.xks.region, credentials)
        )

    return update_config(data_dir, change)


def remove_credential(data_dir: Path, access_key_id: str) -> ProxyConfig:
    """Remove an XKS SigV4 credential."""

    def change(config: ProxyConfig) -> ProxyConfig:
        if access_key_id not in config.xks.credentials:
            raise ConfigurationError(f"no credential {access_key_id}")
        credentials = {k: v for k, v in config.xks.credentials.items() if k != access_key_id}
        return config.with_changes(
            xks=XksSettings(config.xks.uri_prefix, config.xks.region, credentials)
        )

    return update_config(data_dir, change)
