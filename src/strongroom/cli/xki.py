"""``strongroom xki create-instance|bind-key``: XKI instances (the Alibaba API's external key
instances: EXTERNAL vaults bound to an external key manager) and keys bound to an external key.

The commands work on the data directory and run as its administrator (the user ``init``
made), subject to its policies, as ``strongroom key`` does; ``strongroom key associations``
lists the other keys bound to the same external key. Both ask the key manager before anything
is stored: ``create-instance`` checks that it answers (and prints whether it does),
``bind-key`` that the external key exists, is enabled and is AES-256. The client secret is
read from a file, or from stdin (a prompt that does not echo it on a terminal); it is never an
argument and never printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps

if TYPE_CHECKING:
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.context import Call
    from strongroom.services.kms.keys import CreateKeyRequest
    from strongroom.services.kms.vaults import ExternalKeyManagerMetadata, VaultView
    from strongroom.services.ports import Deps

__all__ = ["bind_key", "create_instance", "xki"]

T = TypeVar("T")

xki = typer.Typer(
    help="XKI instances (EXTERNAL vaults bound to an external key manager) and their keys.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
err = Console(stderr=True, soft_wrap=True)

Output = Annotated[str, typer.Option("--output", "-o", help="table or json")]
EkmTimeout = Annotated[
    float, typer.Option(help="Seconds per call to the key manager (a token fetch included)")
]
EkmCaBundle = Annotated[
    Path | None,
    typer.Option(help="PEM CAs trusted for the key manager's HTTPS instead of the system store"),
]


def _open(data_dir: Path, database_url: str | None, timeout: float, ca: Path | None) -> Deps:
    """The data directory's services, their EKM calls given ``timeout`` seconds each (an
    operator's command waits longer than a request would) and trusting ``ca``'s CAs."""
    from dataclasses import replace

    if not 0.01 <= timeout <= 60:
        raise typer.BadParameter("from 0.01 to 60 seconds", param_hint="--ekm-timeout")
    try:
        pem = ca.read_text("utf-8") if ca is not None else None
    except (OSError, UnicodeDecodeError) as error:
        err.print(f"[red]error:[/red] cannot read --ekm-ca-bundle {ca}: {error}")
        raise typer.Exit(2) from None
    deps: Deps = _deps(data_dir, database_url)
    changes: dict[str, Any] = {"timeout_seconds": timeout}
    if pem is not None:
        changes["ca_bundle_pem"] = pem
    deps.ekm_settings = replace(deps.ekm_settings, **changes)
    return deps


def _admin_call(deps: Deps, data_dir: Path) -> Call:
    from strongroom.config import read_state
    from strongroom.services.identity.principals import operator_call

    admin = read_state(data_dir)["admin"]
    return operator_call(deps, admin["tenancy_id"], admin["user_id"])


def _with_ekm(deps: Deps, use_case: Callable[[], T]) -> T:
    """Run ``use_case`` in a worker thread of an event loop (how the server runs it: its EKM
    calls are made on the loop), then close the EKM client's connections."""
    import anyio
    import anyio.to_thread

    async def run() -> T:
        try:
            return await anyio.to_thread.run_sync(use_case)
        finally:
            if deps.ekm is not None:
                await deps.ekm.aclose()

    return anyio.run(run)


def _fail(error: StrongroomError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error.message}", highlight=False)
    return typer.Exit(1)


def _read_secret(secret_file: Path | None) -> str:
    """The client secret from ``secret_file``'s first line, or from stdin ("-" or none): a
    prompt that does not echo on a terminal, else its first line."""
    if secret_file is None or str(secret_file) == "-":
        if sys.stdin.isatty():
            import getpass

            secret = getpass.getpass("client secret: ").strip()
        else:
            secret = sys.stdin.readline().strip()
    else:
        try:
            secret = secret_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError):
            err.print(f"[red]error:[/red] cannot read the client secret from {secret_file}")
            raise typer.Exit(2) from None
    if not secret:
        err.print("[red]error:[/red] the client secret is empty")
        raise typer.Exit(2)
    return secret


@xki.command(name="create-instance")
def create_instance(
    data_dir: DataDir,
    endpoint_url: Annotated[
        str,
        typer.Option(
            help="The key manager's URL: an EKMS vault URL (https://host/v1/vaults/ID) or an "
            "XKS proxy's base URL ending in /kms/xks/v1"
        ),
    ],
    client_id: Annotated[
        str, typer.Option(help="EKMS: the OAuth2 client id; XKS: the SigV4 access key id")
    ],
    name: Annotated[str, typer.Option(help="The instance's display name")] = "XKI instance",
    client_secret_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the client secret (XKS: the secret access key); "
            "default: stdin, prompted without echo on a terminal"
        ),
    ] = None,
    idp_url: Annotated[
        str | None,
        typer.Option(help="EKMS: the identity provider issuing the key manager's tokens"),
    ] = None,
    compartment_id: Annotated[
        str | None, typer.Option(help="The compartment (default: the tenancy)")
    ] = None,
    private_endpoint_id: Annotated[
        str | None, typer.Option(help="An EKMS private endpoint to reach the key manager by")
    ] = None,
    output: Output = "table",
    ekm_timeout: EkmTimeout = 2.0,
    ekm_ca_bundle: EkmCaBundle = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an XKI instance: an EXTERNAL vault bound to an external key manager. Prints its
    id (the Alibaba DKMSInstanceId) and whether the key manager answered."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.domain.vault import VaultType
    from strongroom.services.kms import vault_views
    from strongroom.services.kms.vaults import CreateVaultRequest

    _check_output(output)
    secret = _read_secret(client_secret_file)
    deps = _open(data_dir, database_url, ekm_timeout, ekm_ca_bundle)
    try:
        call = _admin_call(deps, data_dir)
        request = CreateVaultRequest(
            compartment_id=compartment_id or call.principal.tenancy_id,
            display_name=name,
            vault_type=VaultType.EXTERNAL,
            external_key_manager=_metadata(
                endpoint_url, idp_url, client_id, secret, private_endpoint_id
            ),
        )
        view = _with_ekm(deps, lambda: vault_views.create_vault(deps, call, request))
    except StrongroomError as error:
        raise _fail(error) from None
    _print_instance(view, output)


def _metadata(
    endpoint_url: str,
    idp_url: str | None,
    client_id: str,
    secret: str,
    private_endpoint_id: str | None,
) -> ExternalKeyManagerMetadata:
    """The key manager's metadata, checked as the OCI API checks CreateVault's."""
    from strongroom.domain.ekm import (
        MAX_CLIENT_ID,
        MAX_CLIENT_SECRET,
        require_endpoint_url,
        require_text,
    )
    from strongroom.services.kms.vaults import ExternalKeyManagerMetadata

    return ExternalKeyManagerMetadata(
        endpoint_url=require_endpoint_url(endpoint_url, "--endpoint-url"),
        idp_url=None if idp_url is None else require_endpoint_url(idp_url, "--idp-url"),
        client_app_id=require_text(client_id, "--client-id", MAX_CLIENT_ID),
        client_secret=require_text(secret, "the client secret", MAX_CLIENT_SECRET),
        private_endpoint_id=private_endpoint_id,
    )


def _check_output(output: str) -> None:
    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")


def _print_instance(view: VaultView, output: str) -> None:
    from strongroom.domain.ekm import EkmHealthState

    vault, health = view.vault, view.health
    assert vault.external is not None
    connected = health is not None and health.state is EkmHealthState.ACTIVE
    detail = health.detail if health is not None else "not checked"
    if output == "json":
        import orjson

        record = {
            "instanceId": vault.id,
            "instanceType": "XKI",
            "displayName": vault.display_name,
            "endpointUrl": vault.external.endpoint_url,
            "protocol": vault.external.protocol.value,
            "xkiProxyConnected": connected,
            "health": health.state.value if health is not None else None,
            "detail": detail,
        }
        typer.echo(orjson.dumps(record).decode())
        return
    typer.echo(f"XKI instance {vault.id} ({vault.display_name})")
    typer.echo(f"key manager: {vault.external.endpoint_url} ({vault.external.protocol.value})")
    typer.echo(f"proxy connected: {'yes' if connected else 'no'} ({detail})")


@xki.command(name="bind-key")
def bind_key(
    data_dir: DataDir,
    instance_id: Annotated[str, typer.Option(help="The XKI instance (EXTERNAL vault) OCID")],
    external_key_id: Annotated[str, typer.Option(help="The key's id in the key manager")],
    description: Annotated[str, typer.Option(help="The key's description")] = "",
    output: Output = "table",
    ekm_timeout: EkmTimeout = 2.0,
    ekm_ca_bundle: EkmCaBundle = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key of an XKI instance bound to an external key (AES-256, ENCRYPT/DECRYPT):
    the key manager must hold it, enabled. Several keys may be bound to one external key."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.kms import keys

    _check_output(output)
    deps = _open(data_dir, database_url, ekm_timeout, ekm_ca_bundle)
    try:
        call = _admin_call(deps, data_dir)
        request = _bind_request(instance_id, external_key_id, description)
        created = _with_ekm(deps, lambda: keys.create_key(deps, call, request))
    except StrongroomError as error:
        raise _fail(error) from None
    key, version = created.key, created.version
    if output == "json":
        import orjson

        record = {
            "keyId": key.id,
            "instanceId": key.vault_id,
            "externalKeyId": key.external_key_id,
            "externalKeyVersionId": version.external_key_version_id,
            "keyState": key.lifecycle_state.value,
        }
        typer.echo(orjson.dumps(record).decode())
        return
    typer.echo(f"key {key.id} bound to external key {key.external_key_id}")
    if version.external_key_version_id is not None:
        typer.echo(f"external key version: {version.external_key_version_id}")


def _bind_request(instance_id: str, external_key_id: str, description: str) -> CreateKeyRequest:
    from strongroom.domain.ekm import require_external_id
    from strongroom.domain.key import Algorithm, KeyShape, ProtectionMode
    from strongroom.services.external.keys import EXTERNAL_LENGTH
    from strongroom.services.kms.keys import CreateKeyRequest

    return CreateKeyRequest(
        vault_id=instance_id,
        compartment_id=None,
        display_name=description,
        key_shape=KeyShape(Algorithm.AES, EXTERNAL_LENGTH),
        protection_mode=ProtectionMode.EXTERNAL,
        external_key_id=require_external_id(external_key_id, "--external-key-id"),
    )
