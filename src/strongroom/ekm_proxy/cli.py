"""``strongroom-ekm``: the reference EKM proxy's command line (init, serve, keys, jwt, xks,
vault).

Secrets (HSM PINs, XKS secret access keys) are read from files, stdin or the environment,
never from arguments, and never printed back.
"""

from __future__ import annotations

import logging
import os
import secrets
import ssl
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from strongroom.domain.hosts import is_loopback
from strongroom.ekm_proxy import admin
from strongroom.ekm_proxy.cli_access import jwt_app, vault_app, xks_app
from strongroom.ekm_proxy.config import (
    BACKENDS,
    DEFAULT_MODULE,
    DEFAULT_TOKEN_LABEL,
    PIN_ENV,
    ProxyConfig,
    SoftHsmSettings,
    load_config,
    read_ca_bundle,
    trust_context,
)
from strongroom.ekm_proxy.errors import ConfigurationError
from strongroom.ekm_proxy.keystore import parse_usage, usage_list
from strongroom.ekm_proxy.state import urls_for
from strongroom.ekm_proxy.tls_subject import pinned_protocol
from strongroom.http_protocol import OneWriteProtocol, raise_descriptor_limit

SO_PIN_ENV = "STRONGROOM_EKM_SO_PIN"
SO_PIN_FILE = "so-pin"

app = typer.Typer(help="strongroom-ekm: a reference EKM proxy (OCI EKMS and AWS XKS APIs).")
keys_app = typer.Typer(help="Administer the proxy's keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(jwt_app, name="jwt")
app.add_typer(xks_app, name="xks")
app.add_typer(vault_app, name="vault")
console = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

DataDir = Annotated[Path, typer.Option("--data-dir", help="The proxy's data directory")]


def fail(message: str) -> typer.Exit:
    """Print an error and return the exit to raise."""
    console.print(f"error: {message}", style="red")
    return typer.Exit(2)


def read_secret(path: Path | None, what: str) -> str:
    """A secret from a file, or from stdin when ``path`` is None or '-' (first line, stripped)."""
    if path is None or str(path) == "-":
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(f"{what}: ").strip()
        return sys.stdin.readline().strip()
    try:
        return path.read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        raise fail(f"cannot read the {what} from {path}") from None


@app.callback()
def _root() -> None:
    """strongroom-ekm: a reference EKM proxy (OCI EKMS and AWS XKS APIs)."""


@app.command()
def init(
    data_dir: DataDir,
    backend: Annotated[str, typer.Option(help="softhsm or software")] = "software",
    vault_id: Annotated[str | None, typer.Option(help="EKMS vault id (default: random)")] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL clients use, e.g. https://ekm.example:9443")
    ] = None,
    module: Annotated[str, typer.Option(help="PKCS#11 module (softhsm)")] = DEFAULT_MODULE,
    token_label: Annotated[str, typer.Option(help="Token label (softhsm)")] = DEFAULT_TOKEN_LABEL,
    softhsm_conf: Annotated[
        Path | None, typer.Option(help="SOFTHSM2_CONF file to use (softhsm)")
    ] = None,
    init_token: Annotated[
        bool, typer.Option("--init-token", help="Initialise a new token in a free slot (softhsm)")
    ] = False,
    pin_file: Annotated[
        Path | None,
        typer.Option(help=f"File with the token's user PIN ('-': stdin); else ${PIN_ENV}"),
    ] = None,
) -> None:
    """Create a data directory; for softhsm, use (or with --init-token create) a token."""
    if backend not in BACKENDS:
        raise fail(f"--backend must be one of {', '.join(BACKENDS)}")
    settings = None
    so_pin = None
    so_pin_file = None
    if backend == "softhsm":
        pin = read_secret(pin_file, "user PIN") if pin_file is not None else None
        if init_token and not pin and not os.environ.get(PIN_ENV):
            pin = secrets.token_urlsafe(18)
        settings = SoftHsmSettings(
            module=module,
            token_label=token_label,
            softhsm_conf=str(softhsm_conf.resolve()) if softhsm_conf else None,
            pin=pin,
        )
        if init_token:
            so_pin = os.environ.get(SO_PIN_ENV)
            if not so_pin:
                so_pin, so_pin_file = secrets.token_urlsafe(18), data_dir / SO_PIN_FILE
    try:
        config = admin.initialize(
            data_dir,
            backend,
            vault_id=vault_id,
            public_url=public_url,
            softhsm=settings,
            init_token_so_pin=so_pin,
            so_pin_file=so_pin_file,
        )
    except ConfigurationError as error:
        raise fail(error.message) from None
    if so_pin_file is not None:
        console.print(f"Token SO PIN written to {so_pin_file} (mode 0600)")
    base = config.public_url or "http://127.0.0.1:PORT"
    urls = urls_for(base, config)
    console.print(f"Initialised {data_dir} (back end {backend}, vault {config.vault_id})")
    console.print(f"EKMS vault URL: {urls.vault_url}")
    console.print(f"XKS base URL:   {urls.xks_url}")


@app.command()
def serve(
    data_dir: DataDir,
    port: Annotated[int, typer.Option(help="Port to listen on")] = 9443,
    backend: Annotated[
        str | None, typer.Option(help="softhsm or software; must match the data directory")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate chain (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
    tls_client_ca: Annotated[
        Path | None,
        typer.Option(help="Require client certificates issued by these CAs (PEM): mutual TLS"),
    ] = None,
    tls_client_subject: Annotated[
        list[str] | None,
        typer.Option(
            help="With --tls-client-ca: also require this client certificate subject (its CN "
            "or a subjectAltName DNS name, case-insensitive); repeatable"
        ),
    ] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL clients use (default: from host and port)")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "warning",
) -> None:
    """Serve the EKMS vendor API, the XKS proxy API v1 and /health."""
    import uvicorn

    from strongroom.ekm_proxy.server import create_app

    config = _config_for(data_dir, backend)
    _check_tls(host, tls_cert, tls_key, tls_client_ca)
    subjects = _client_subjects(tls_client_subject, tls_client_ca)
    scheme = "https" if tls_cert else "http"
    shown = f"[{host}]" if ":" in host else host
    base = (public_url or config.public_url or f"{scheme}://{shown}:{port}").rstrip("/")
    asgi, state = create_app(data_dir, config, base)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    urls = state.urls
    console.print(f"strongroom-ekm ({config.backend}) serving at {base}")
    console.print(f"EKMS vault URL: {urls.vault_url}")
    console.print(f"XKS base URL:   {urls.xks_url}")
    raise_descriptor_limit()  # the connection cap stays below it (see OneWriteProtocol)
    uvicorn.run(
        asgi,
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        ssl_ca_certs=str(tls_client_ca) if tls_client_ca else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if tls_client_ca else ssl.CERT_NONE,
        loop="uvloop",
        http=pinned_protocol(subjects) if subjects else OneWriteProtocol,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=3,
    )


def _config_for(data_dir: Path, backend: str | None) -> ProxyConfig:
    """The data directory's configuration; refused when ``backend`` names another back end."""
    try:
        config = load_config(data_dir)
    except ConfigurationError as error:
        raise fail(error.message) from None
    if backend is not None and backend != config.backend:
        raise fail(
            f"{data_dir} was initialised for the {config.backend} back end, not {backend}; "
            "a data directory keeps one back end (its keys live there)"
        )
    return config


def _check_tls(
    host: str, tls_cert: Path | None, tls_key: Path | None, client_ca: Path | None
) -> None:
    """Refuse TLS options that do not go together, and plain HTTP off loopback."""
    if (tls_cert is None) != (tls_key is None):
        raise fail("--tls-cert and --tls-key go together")
    if tls_cert is None and not is_loopback(host):
        raise fail(f"refusing to serve on {host} without TLS; pass --tls-cert and --tls-key")
    if client_ca is None:
        return
    if tls_cert is None:
        raise fail("--tls-client-ca needs --tls-cert and --tls-key (client certificates are TLS)")
    try:
        trust_context(read_ca_bundle(client_ca))
    except ConfigurationError as error:
        raise fail(f"cannot load the client CA bundle {client_ca}: {error.message}") from None


def _client_subjects(subjects: list[str] | None, client_ca: Path | None) -> list[str]:
    """The pinned client certificate subjects; they need --tls-client-ca."""
    names = [name.strip() for name in subjects or []]
    if not names:
        return []
    if client_ca is None:
        raise fail(
            "--tls-client-subject needs --tls-client-ca: a subject is only trusted from the "
            "CAs that issue client certificates"
        )
    if not all(names):
        raise fail("--tls-client-subject needs a name")
    return names


@keys_app.command("create")
def keys_create(
    data_dir: DataDir,
    key_id: Annotated[str | None, typer.Option(help="Key id (default: random)")] = None,
    usage: Annotated[
        str, typer.Option(help="What the key may do: encrypt,decrypt, encrypt, decrypt or none")
    ] = "encrypt,decrypt",
) -> None:
    """Create an AES-256 key; prints its id."""
    try:
        record = admin.create_key(data_dir, key_id, parse_usage(usage))
    except ConfigurationError as error:
        raise fail(error.message) from None
    typer.echo(record.key_id)
    console.print(
        f"created key {record.key_id} (version {record.current_version}, "
        f"usage {_usage_text(record.usage)})"
    )


def _usage_text(usage: frozenset[str]) -> str:
    return ",".join(usage_list(usage)) or "none"


@keys_app.command("list")
def keys_list(
    data_dir: DataDir,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List keys and versions (metadata only)."""
    try:
        keys = admin.list_keys(data_dir)
    except ConfigurationError as error:
        raise fail(error.message) from None
    if as_json:
        out = [
            {
                "keyId": r.key_id,
                "enabled": r.enabled,
                "currentVersion": r.current_version,
                "usage": usage_list(r.usage),
                "versions": [
                    {"versionId": v.version_id, "enabled": v.enabled, "created": v.created}
                    for v in r.versions.values()
                ],
            }
            for r in keys.values()
        ]
        typer.echo(orjson.dumps(out).decode())
        return
    table = Table("key id", "state", "usage", "current version", "versions", "created")
    for r in keys.values():
        versions = ", ".join(
            v.version_id + ("" if v.enabled else " (disabled)") for v in r.versions.values()
        )
        state = "ENABLED" if r.enabled else "DISABLED"
        usage = _usage_text(r.usage)
        table.add_row(r.key_id, state, usage, r.current_version, versions, r.created)
    Console(markup=False).print(table)


def _set(data_dir: Path, key_id: str, enabled: bool, version: str | None) -> None:
    try:
        admin.set_enabled(data_dir, key_id, enabled, version)
    except ConfigurationError as error:
        raise fail(error.message) from None
    what = f"version {version} of key {key_id}" if version else f"key {key_id}"
    console.print(f"{'enabled' if enabled else 'disabled'} {what}")


Version = Annotated[str | None, typer.Option("--version", help="Only this key version")]


@keys_app.command("enable")
def keys_enable(data_dir: DataDir, key_id: str, version: Version = None) -> None:
    """Enable a key (or one version)."""
    _set(data_dir, key_id, True, version)


@keys_app.command("disable")
def keys_disable(data_dir: DataDir, key_id: str, version: Version = None) -> None:
    """Disable a key (or one version): crypto with it is refused."""
    _set(data_dir, key_id, False, version)


@keys_app.command("rotate")
def keys_rotate(data_dir: DataDir, key_id: str) -> None:
    """Add a new current version; prints its id. Older versions still decrypt."""
    try:
        version = admin.rotate_key(data_dir, key_id)
    except ConfigurationError as error:
        raise fail(error.message) from None
    typer.echo(version.version_id)
    console.print(f"key {key_id} rotated to version {version.version_id}")
