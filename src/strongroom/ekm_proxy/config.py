"""The proxy's settings, kept in ``ekm.json`` (mode 0600) in its data directory.

The file holds secrets (XKS secret access keys, optionally the HSM user PIN), so it is written
atomically with mode 0600 and never printed back; ``repr`` of these objects hides them.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from strongroom.ekm_proxy.errors import ConfigurationError
from strongroom.ekm_proxy.files import atomic_write

CONFIG_FILE = "ekm.json"
KEYS_FILE = "keys.json"
MASTER_KEY_FILE = "master.key"
BACKENDS = ("software", "softhsm")
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_TOKEN_LABEL = "strongroom-ekm"  # noqa: S105 (a label, not a secret)
PIN_ENV = "STRONGROOM_EKM_PIN"
EKMS_SCOPE = "oci_ekms"
_URI_PREFIX = re.compile(r"^(/[A-Za-z0-9_\-]+)*$")


@dataclass(frozen=True)
class JwtSettings:
    """How EKMS bearer tokens are validated: issuer, JWKS URL, accepted audiences, scope.

    With no audiences configured the proxy accepts exactly its own vault URL.
    """

    issuer: str
    jwks_url: str
    audiences: tuple[str, ...] = ()
    scope: str = EKMS_SCOPE
    ca_bundle: str | None = None  # PEM CAs trusted for the JWKS URL; None: the system store

    def trust(self) -> ssl.SSLContext | None:
        """The TLS context for fetching the JWKS (None: Python's default)."""
        return trust_context(self.ca_bundle) if self.ca_bundle else None


def read_ca_bundle(path: Path) -> str:
    """The PEM text of the CA bundle at ``path`` (:func:`trust_context` checks it loads)."""
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"cannot read the CA bundle {path}: {error}") from None


def trust_context(pem: str) -> ssl.SSLContext:
    """A client TLS context that trusts exactly the CA certificates in ``pem``."""
    try:
        return ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError):
        raise ConfigurationError("the CA bundle holds no PEM certificate that loads") from None


@dataclass(frozen=True)
class XksSettings:
    """XKS API settings: optional URI prefix, optional pinned region, SigV4 credentials."""

    uri_prefix: str = ""
    region: str | None = None
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SoftHsmSettings:
    """Where the PKCS#11 token is: module path, token label, optional SOFTHSM2_CONF, PIN."""

    module: str = DEFAULT_MODULE
    token_label: str = DEFAULT_TOKEN_LABEL
    softhsm_conf: str | None = None
    pin: str | None = field(default=None, repr=False)

    def resolved_pin(self) -> str | None:
        """The user PIN: the environment variable wins over the data directory's config."""
        return os.environ.get(PIN_ENV) or self.pin


@dataclass(frozen=True)
class ProxyConfig:
    """Everything ``strongroom-ekm serve`` needs besides the keystore."""

    backend: str
    vault_id: str
    public_url: str | None = None
    jwt: JwtSettings | None = None
    xks: XksSettings = field(default_factory=XksSettings)
    softhsm: SoftHsmSettings | None = None
    blocked: bool = False  # the administrator's kill switch: every key operation is refused

    @property
    def vault_state(self) -> str:
        """The EKMS vault state: BLOCKED while the administrator blocks the proxy, else ACTIVE."""
        return "BLOCKED" if self.blocked else "ACTIVE"

    def with_changes(self, **changes: Any) -> ProxyConfig:
        """A copy with some fields replaced."""
        return replace(self, **changes)


def validate_uri_prefix(prefix: str) -> str:
    """An XKS URI prefix: empty or ``/segment[/segment...]`` of letters, digits, - and _."""
    prefix = prefix.rstrip("/")
    if len(prefix) > 100 or not _URI_PREFIX.match(prefix):
        raise ConfigurationError("the URI prefix must look like /segment[/segment] (a-z 0-9 - _)")
    return prefix


def config_path(data_dir: Path) -> Path:
    """Where the config file lives."""
    return data_dir / CONFIG_FILE


def load_config(data_dir: Path) -> ProxyConfig:
    """Read ``ekm.json``; raises ConfigurationError when it is missing or malformed."""
    path = config_path(data_dir)
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigurationError(
            f"{data_dir} is not initialised; run `strongroom-ekm init --data-dir {data_dir}`"
        ) from None
    except orjson.JSONDecodeError:
        raise ConfigurationError(f"{path} is not valid JSON") from None
    try:
        return _from_json(raw)
    except (KeyError, TypeError, ValueError):
        raise ConfigurationError(f"{path} is malformed") from None


def save_config(data_dir: Path, config: ProxyConfig) -> None:
    """Write ``ekm.json`` atomically with mode 0600."""
    atomic_write(config_path(data_dir), orjson.dumps(_to_json(config), option=orjson.OPT_INDENT_2))


def _to_json(config: ProxyConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": 1,
        "backend": config.backend,
        "vaultId": config.vault_id,
        "publicUrl": config.public_url,
        "jwt": None,
        "xks": {
            "uriPrefix": config.xks.uri_prefix,
            "region": config.xks.region,
            "credentials": dict(config.xks.credentials),
        },
        "softhsm": None,
        "blocked": config.blocked,
    }
    if config.jwt is not None:
        out["jwt"] = {
            "issuer": config.jwt.issuer,
            "jwksUrl": config.jwt.jwks_url,
            "audiences": list(config.jwt.audiences),
            "scope": config.jwt.scope,
            "caBundle": config.jwt.ca_bundle,
        }
    if config.softhsm is not None:
        out["softhsm"] = {
            "module": config.softhsm.module,
            "tokenLabel": config.softhsm.token_label,
            "softhsmConf": config.softhsm.softhsm_conf,
            "pin": config.softhsm.pin,
        }
    return out


def _from_json(raw: dict[str, Any]) -> ProxyConfig:
    backend = str(raw["backend"])
    if backend not in BACKENDS:
        raise ValueError(backend)
    jwt_raw = raw.get("jwt")
    jwt = None
    if jwt_raw:
        jwt = JwtSettings(
            issuer=str(jwt_raw["issuer"]),
            jwks_url=str(jwt_raw["jwksUrl"]),
            audiences=tuple(str(a) for a in jwt_raw.get("audiences") or ()),
            scope=str(jwt_raw.get("scope") or EKMS_SCOPE),
            ca_bundle=str(jwt_raw["caBundle"]) if jwt_raw.get("caBundle") else None,
        )
    xks_raw = raw.get("xks") or {}
    credentials = xks_raw.get("credentials") or {}
    if not isinstance(credentials, dict):
        raise TypeError("credentials")
    xks = XksSettings(
        uri_prefix=str(xks_raw.get("uriPrefix") or ""),
        region=xks_raw.get("region") or None,
        credentials={str(k): str(v) for k, v in credentials.items()},
    )
    hsm_raw = raw.get("softhsm")
    softhsm = None
    if hsm_raw:
        softhsm = SoftHsmSettings(
            module=str(hsm_raw.get("module") or DEFAULT_MODULE),
            token_label=str(hsm_raw.get("tokenLabel") or DEFAULT_TOKEN_LABEL),
            softhsm_conf=hsm_raw.get("softhsmConf") or None,
            pin=hsm_raw.get("pin") or None,
        )
    return ProxyConfig(
        backend=backend,
        vault_id=str(raw["vaultId"]),
        public_url=raw.get("publicUrl") or None,
        jwt=jwt,
        xks=xks,
        softhsm=softhsm,
        blocked=_flag(raw.get("blocked", False)),
    )


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not true or false")
    return value
