"""Key metadata (ids, versions, enabled flags, current version) in ``keys.json``.

The file is small and rewritten atomically under the data directory's lock by the CLI; the
server only reads it (and re-reads it when it changes). For the software back end each version
also carries its key material sealed under the master key; the softhsm back end keeps the
material in the token and stores nothing here but ids.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from strongroom.ekm_proxy.errors import ConfigurationError
from strongroom.ekm_proxy.files import atomic_write

KEY_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
VERSION_ID = re.compile(r"^[0-9a-f]{16}$")
USAGES = ("encrypt", "decrypt")  # in the order keys.json, the CLI and XKS keyUsage list them
ALL_USAGE = frozenset(USAGES)


@dataclass(frozen=True)
class KeyVersion:
    """One AES-256 key version; ``sealed`` is the software back end's sealed material."""

    version_id: str
    enabled: bool
    created: str
    sealed: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KeyRecord:
    """A key: its versions (oldest first), which one is current, and whether it is enabled."""

    key_id: str
    enabled: bool
    current_version: str
    created: str
    versions: dict[str, KeyVersion]
    usage: frozenset[str] = ALL_USAGE

    def with_changes(self, **changes: Any) -> KeyRecord:
        """A copy with some fields replaced."""
        return replace(self, **changes)


def new_key_id() -> str:
    """A fresh key id (valid as an XKS externalKeyId and in an EKMS path)."""
    return f"key-{secrets.token_hex(8)}"


def new_version_id() -> str:
    """A fresh version id: 16 lower-case hex characters (fits XKS ciphertextMetadata)."""
    return secrets.token_hex(8)


def now_text() -> str:
    """The current time as ISO 8601 UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_key_id(key_id: str) -> str:
    """Validate a key id: 1-128 letters, digits, '.', '_' or '-'."""
    if not KEY_ID.match(key_id):
        raise ConfigurationError("a key id is 1-128 letters, digits, '.', '_' or '-'")
    return key_id


def parse_usage(text: str) -> frozenset[str]:
    """``encrypt,decrypt``, ``encrypt``, ``decrypt`` or ``none`` as a set of usages."""
    words = [word.strip().lower() for word in text.split(",")]
    if words == ["none"]:
        return frozenset()
    if not words or any(word not in USAGES for word in words):
        raise ConfigurationError("a key usage is encrypt,decrypt, encrypt, decrypt or none")
    return frozenset(words)


def usage_list(usage: frozenset[str]) -> list[str]:
    """The usages in their canonical order (empty for none)."""
    return [name for name in USAGES if name in usage]


def load_keys(path: Path) -> dict[str, KeyRecord]:
    """Read ``keys.json``; a missing file is an empty keystore."""
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except orjson.JSONDecodeError:
        raise ConfigurationError(f"{path} is not valid JSON") from None
    try:
        return {key_id: _record(key_id, value) for key_id, value in raw["keys"].items()}
    except (KeyError, TypeError, AttributeError):
        raise ConfigurationError(f"{path} is malformed") from None


def save_keys(path: Path, keys: dict[str, KeyRecord]) -> None:
    """Write ``keys.json`` atomically (mode 0600)."""
    body = {"format": 1, "keys": {key_id: _json(record) for key_id, record in keys.items()}}
    atomic_write(path, orjson.dumps(body, option=orjson.OPT_INDENT_2))


def _record(key_id: str, raw: dict[str, Any]) -> KeyRecord:
    versions = {
        version_id: KeyVersion(
            version_id=version_id,
            enabled=bool(value["enabled"]),
            created=str(value["created"]),
            sealed=value.get("sealed"),
        )
        for version_id, value in raw["versions"].items()
    }
    return KeyRecord(
        key_id=key_id,
        enabled=bool(raw["enabled"]),
        current_version=str(raw["currentVersion"]),
        created=str(raw["created"]),
        versions=versions,
        usage=_stored_usage(raw.get("usage")),
    )


def _stored_usage(raw: Any) -> frozenset[str]:
    """A key's stored usage; a key written before usages existed encrypts and decrypts."""
    if raw is None:
        return ALL_USAGE
    if not isinstance(raw, list) or any(name not in USAGES for name in raw):
        raise TypeError("bad usage")  # load_keys reports the file as malformed
    return frozenset(raw)


def _json(record: KeyRecord) -> dict[str, Any]:
    return {
        "enabled": record.enabled,
        "currentVersion": record.current_version,
        "created": record.created,
        "usage": usage_list(record.usage),
        "versions": {
            v.version_id: {"enabled": v.enabled, "created": v.created, "sealed": v.sealed}
            for v in record.versions.values()
        },
    }
