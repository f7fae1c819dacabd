"""``strongroom key associations|schedule-deletion``: what depends on a key, and scheduling
its deletion only when nothing live does (or with ``--force``). The commands work on the data
directory and run as its administrator (the user ``init`` made), subject to its policies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps
from strongroom.cli.tables import echo_table

if TYPE_CHECKING:
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.context import Call
    from strongroom.services.kms.key_associations import KeyAssociations
    from strongroom.services.ports import Deps

__all__ = ["associations", "key", "schedule_deletion"]

key = typer.Typer(
    help="Keys: what depends on one, scheduling its deletion.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
err = Console(stderr=True, soft_wrap=True)

KeyId = Annotated[str, typer.Option("--key-id", help="The key's OCID")]
Output = Annotated[str, typer.Option("--output", "-o", help="table or json")]


def _admin_call(deps: Deps, data_dir: Path) -> Call:
    from strongroom.config import read_state
    from strongroom.services.identity.principals import operator_call

    admin = read_state(data_dir)["admin"]
    return operator_call(deps, admin["tenancy_id"], admin["user_id"])


def _fail(error: StrongroomError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error.message}", highlight=False)
    return typer.Exit(1)


@key.command()
def associations(
    data_dir: DataDir, key_id: KeyId, output: Output = "table", database_url: DatabaseUrl = None
) -> None:
    """Print what depends on a key: the secrets sealed under it (state, versions not deleted)
    and, for an EXTERNAL key, the other keys bound to the same external key."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.kms.key_associations import (
        ListKeyAssociationsRequest,
        list_key_associations,
    )

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")
    deps = _deps(data_dir, database_url)
    try:
        found = list_key_associations(
            deps, _admin_call(deps, data_dir), ListKeyAssociationsRequest(key_id)
        )
    except StrongroomError as error:
        raise _fail(error) from None
    if output == "json":
        typer.echo(_associations_json(found))
    else:
        _print_associations(found)


@key.command(name="schedule-deletion")
def schedule_deletion(
    data_dir: DataDir,
    key_id: KeyId,
    days: Annotated[
        int | None, typer.Option(help="Days until the key is deleted, 7-30 (default 30)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Schedule it even while live secrets use the key")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Schedule a key's deletion; refused while live secrets are sealed under it (unless
    --force) and while its deletion protection is on."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.kms import key_associations, keys

    deps = _deps(data_dir, database_url)
    try:
        call = _admin_call(deps, data_dir)
        found = key_associations.list_key_associations(
            deps, call, key_associations.ListKeyAssociationsRequest(key_id)
        )
        when = None if days is None else deps.clock.now() + timedelta(days=days)
        request = keys.ScheduleKeyDeletionRequest(
            vault_id=found.key.vault_id,
            key_id=key_id,
            time_of_deletion=when,
            refuse_if_protecting_secrets=not force,
        )
        scheduled = keys.schedule_key_deletion(deps, call, request)
    except StrongroomError as error:
        raise _fail(error) from None
    assert scheduled.time_of_deletion is not None
    typer.echo(f"{key_id} PENDING_DELETION until {scheduled.time_of_deletion.isoformat()}")


def _print_associations(found: KeyAssociations) -> None:
    k = found.key
    protection = "on" if k.deletion_protection else "off"
    if k.deletion_protection_description:
        protection += f" ({k.deletion_protection_description})"
    typer.echo(f"key {k.id} ({k.display_name}): {k.lifecycle_state.value}")
    typer.echo(f"deletion protection: {protection}")
    typer.echo(f"secrets: {len(found.secrets)} ({found.live_secrets} live)")
    if found.secrets:
        header = ("secret", "name", "state", "versions")
        rows = [(s.id, s.name, s.lifecycle_state.value, str(s.versions)) for s in found.secrets]
        echo_table([header, *rows])
    if k.is_external:
        _print_sharing(found)


def _print_sharing(found: KeyAssociations) -> None:
    sharing = found.keys_sharing_external_key
    typer.echo(f"other keys bound to external key {found.key.external_key_id}: {len(sharing)}")
    if sharing:
        header = ("key", "vault", "name", "state")
        rows = [(o.id, o.vault_id, o.display_name, o.lifecycle_state.value) for o in sharing]
        echo_table([header, *rows])


def _associations_json(found: KeyAssociations) -> str:
    import orjson

    k = found.key
    record = {
        "keyId": k.id,
        "lifecycleState": k.lifecycle_state.value,
        "deletionProtection": k.deletion_protection,
        "deletionProtectionDescription": k.deletion_protection_description,
        "liveSecrets": found.live_secrets,
        "secrets": [
            {
                "id": s.id,
                "name": s.name,
                "lifecycleState": s.lifecycle_state.value,
                "versions": s.versions,
            }
            for s in found.secrets
        ],
        "externalKeyId": k.external_key_id,
        "keysSharingExternalKey": [
            {
                "id": o.id,
                "vaultId": o.vault_id,
                "displayName": o.display_name,
                "lifecycleState": o.lifecycle_state.value,
            }
            for o in found.keys_sharing_external_key
        ],
    }
    return orjson.dumps(record).decode()
