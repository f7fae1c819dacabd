"""``strongroom-ekm jwt ...``, ``xks ...`` and ``vault ...``: who may call the proxy, and
whether it serves key operations at all."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strongroom.ekm_proxy import admin
from strongroom.ekm_proxy.config import (
    EKMS_SCOPE,
    JwtSettings,
    load_config,
    read_ca_bundle,
    trust_context,
)
from strongroom.ekm_proxy.errors import ConfigurationError

jwt_app = typer.Typer(help="How EKMS bearer tokens are validated.", no_args_is_help=True)
xks_app = typer.Typer(help="XKS API settings and SigV4 credentials.", no_args_is_help=True)
vault_app = typer.Typer(
    help="Block or unblock every key operation (the kill switch).", no_args_is_help=True
)
console = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
DataDir = Annotated[Path, typer.Option("--data-dir", help="The proxy's data directory")]


def _fail(message: str) -> typer.Exit:
    console.print(f"error: {message}", style="red")
    return typer.Exit(2)


@jwt_app.command("set")
def jwt_set(
    data_dir: DataDir,
    issuer: Annotated[str | None, typer.Option(help="Expected iss claim")] = None,
    jwks_url: Annotated[str | None, typer.Option(help="The identity provider's JWKS URL")] = None,
    discover: Annotated[
        str | None,
        typer.Option(help="Identity provider URL: read issuer and jwks_uri from its discovery"),
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(help="Accepted aud (repeatable; default: this proxy's vault URL)"),
    ] = None,
    scope: Annotated[str, typer.Option(help="Scope the token must carry")] = EKMS_SCOPE,
    ca_bundle: Annotated[
        Path | None,
        typer.Option(help="PEM CAs trusted for the JWKS and discovery URLs (default: system)"),
    ] = None,
) -> None:
    """Set the issuer, JWKS URL, audiences and scope for EKMS bearer tokens."""
    try:
        pem = read_ca_bundle(ca_bundle) if ca_bundle else None
        trust = trust_context(pem) if pem else None
        found = discovery(discover, trust) if discover else None
    except ConfigurationError as error:
        raise _fail(error.message) from None
    if found:
        issuer = issuer or found[0]
        jwks_url = jwks_url or found[1]
    if not issuer or not jwks_url:
        raise _fail("give --issuer and --jwks-url, or --discover")
    settings = JwtSettings(issuer, jwks_url, tuple(audience or ()), scope, pem)
    try:
        admin.set_jwt(data_dir, settings)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    console.print(f"EKMS tokens: issuer {issuer}, JWKS {jwks_url}")


def discovery(url: str, trust: ssl.SSLContext | None = None) -> tuple[str, str]:
    """(issuer, jwks_uri) from an OpenID provider's discovery document."""
    import httpx

    url = url.rstrip("/")
    if not url.endswith("/.well-known/openid-configuration"):
        url += "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=10.0, verify=trust or True)
        response.raise_for_status()
        document = response.json()
        return str(document["issuer"]), str(document["jwks_uri"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise ConfigurationError(f"cannot read the discovery document at {url}") from None


@jwt_app.command("show")
def jwt_show(data_dir: DataDir) -> None:
    """Show the JWT settings."""
    try:
        jwt = load_config(data_dir).jwt
    except ConfigurationError as error:
        raise _fail(error.message) from None
    if jwt is None:
        typer.echo("not configured")
        return
    typer.echo(f"issuer:    {jwt.issuer}")
    typer.echo(f"jwks url:  {jwt.jwks_url}")
    typer.echo(f"audiences: {', '.join(jwt.audiences) or '(this proxy vault URL)'}")
    typer.echo(f"scope:     {jwt.scope}")
    trusted = "system store" if jwt.ca_bundle is None else "the CA bundle given to jwt set"
    typer.echo(f"JWKS TLS:  {trusted}")


@jwt_app.command("clear")
def jwt_clear(data_dir: DataDir) -> None:
    """Remove the JWT settings (every EKMS call is then refused)."""
    try:
        admin.set_jwt(data_dir, None)
    except ConfigurationError as error:
        raise _fail(error.message) from None


@xks_app.command("add-credential")
def xks_add(
    data_dir: DataDir,
    access_key_id: Annotated[str, typer.Option(help="SigV4 access key id")],
    secret_file: Annotated[
        Path | None, typer.Option(help="File holding the secret access key (default: stdin)")
    ] = None,
) -> None:
    """Add a SigV4 credential (the secret is read from a file or stdin, never argv)."""
    if secret_file is None or str(secret_file) == "-":
        if sys.stdin.isatty():
            import getpass

            secret = getpass.getpass("secret access key: ").strip()
        else:
            secret = sys.stdin.readline().strip()
    else:
        try:
            secret = secret_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError):
            raise _fail(f"cannot read the secret from {secret_file}") from None
    try:
        admin.add_credential(data_dir, access_key_id, secret)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    console.print(f"added XKS credential {access_key_id}")


@xks_app.command("remove-credential")
def xks_remove(data_dir: DataDir, access_key_id: str) -> None:
    """Remove a SigV4 credential."""
    try:
        admin.remove_credential(data_dir, access_key_id)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    console.print(f"removed XKS credential {access_key_id}")


@xks_app.command("list-credentials")
def xks_list(data_dir: DataDir) -> None:
    """List the access key ids (never the secrets)."""
    try:
        config = load_config(data_dir)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    for access_key_id in config.xks.credentials:
        typer.echo(access_key_id)


@xks_app.command("set")
def xks_set(
    data_dir: DataDir,
    uri_prefix: Annotated[str | None, typer.Option(help="Path prefix before /kms/xks/v1")] = None,
    region: Annotated[
        str | None, typer.Option(help="Accept only this SigV4 region ('' for any)")
    ] = None,
) -> None:
    """Set the XKS URI prefix and/or the accepted SigV4 region."""
    try:
        config = admin.set_xks(data_dir, uri_prefix=uri_prefix, region=region)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    console.print(
        f"XKS: prefix {config.xks.uri_prefix or '(none)'}, region {config.xks.region or 'any'}"
    )


def _set_blocked(data_dir: Path, blocked: bool) -> None:
    try:
        admin.set_blocked(data_dir, blocked)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    console.print("vault BLOCKED: key operations are refused" if blocked else "vault ACTIVE")


@vault_app.command("block")
def vault_block(data_dir: DataDir) -> None:
    """Refuse every key operation until unblocked.

    EKMS reports the vault BLOCKED and refuses key calls (409 VaultBlocked); XKS answers
    InvalidStateException and its health reports no EKM available. A running proxy follows
    within 0.1 s.
    """
    _set_blocked(data_dir, True)


@vault_app.command("unblock")
def vault_unblock(data_dir: DataDir) -> None:
    """Serve key operations again."""
    _set_blocked(data_dir, False)


@vault_app.command("show")
def vault_show(data_dir: DataDir) -> None:
    """Print the vault id and its state (ACTIVE or BLOCKED)."""
    try:
        config = load_config(data_dir)
    except ConfigurationError as error:
        raise _fail(error.message) from None
    typer.echo(f"{config.vault_id} {config.vault_state}")
