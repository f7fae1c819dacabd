"""Administrative commands that work on a data directory directly: audit, iam explain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strongroom.cli.tables import echo_table
from strongroom.config import ConfigError, Settings
from strongroom.domain.identity import AuditEvent, AuditQuery

iam = typer.Typer(help="Identity and policy tools.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Strongroom's data directory")]
DatabaseUrl = Annotated[
    str | None, typer.Option(help="Database URL when not the data dir's SQLite")
]


def _deps(data_dir: Path, database_url: str | None):  # type: ignore[no-untyped-def]
    from strongroom.app import open_deps

    try:
        return open_deps(Settings(data_dir=data_dir, database_url=database_url))
    except ConfigError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@iam.command()
def explain(
    data_dir: DataDir,
    user: Annotated[str, typer.Option(help="User OCID or name")],
    operation: Annotated[str, typer.Option(help="API operation, e.g. Encrypt")],
    resource: Annotated[str, typer.Option(help="OCID of the vault, key or compartment")],
    database_url: DatabaseUrl = None,
) -> None:
    """Print whether USER may do OPERATION on RESOURCE, and the statements that decide it."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.identity.explain import explain as run

    deps = _deps(data_dir, database_url)
    try:
        result = run(deps, user, operation, resource)
    except StrongroomError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
    verdict = "[green]ALLOWED[/green]" if result.decision.allowed else "[red]DENIED[/red]"
    out.print(f"{verdict}: {result.operation} by {result.principal.user_id} on {resource}")
    out.print(f"needs: {', '.join(result.permissions)}")
    if result.decision.missing:
        out.print(f"not granted: {', '.join(result.decision.missing)}")
    for hit in result.decision.hits:
        out.print(
            f"  {hit.effect.upper():5} {hit.permission:22} policy {hit.policy!r}: {hit.statement}"
        )
    if not result.decision.hits:
        out.print("  no statement matches (deny by default)")
    for policy in result.unresolved:
        out.print(
            f"warning: policy {policy.policy_name!r} ({policy.policy_id}) names what does not "
            f"resolve, which grants nothing: {'; '.join(policy.names)}",
            markup=False,
        )
    raise typer.Exit(0 if result.decision.allowed else 1)


def audit(
    data_dir: DataDir,
    since: Annotated[str, typer.Option(help="How far back: e.g. 30m, 2h, 7d")] = "1h",
    limit: Annotated[int, typer.Option(min=1, help="At most this many events (newest)")] = 100,
    tenancy: Annotated[
        str | None, typer.Option(help="Tenancy OCID (default: the data dir's)")
    ] = None,
    compartment: Annotated[
        str | None, typer.Option(help="Only the events of this compartment OCID")
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="table (aligned lines) or json (one per line)")
    ] = "table",
    database_url: DatabaseUrl = None,
) -> None:
    """Print recent audit events, newest first: time, principal, operation, resource,
    decision (and why a signature was refused), status. OCIDs are printed whole."""
    from strongroom.config import read_state

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")
    deps = _deps(data_dir, database_url)
    tenancy_id = tenancy or read_state(data_dir)["admin"]["tenancy_id"]
    end = datetime.now(UTC) + timedelta(seconds=1)
    start = end - _duration(since)
    query = AuditQuery(tenancy_id, start, end, limit, compartment_id=compartment, newest_first=True)
    found = deps.audit.events(query)
    events = found[:limit]
    if output == "json":
        for e in events:
            typer.echo(_event_json(e))
    else:
        _print_lines(events)
    if len(found) > limit:
        err.print(f"(only the newest {limit} events; use --limit or --since to see more)")


def _event_json(e: AuditEvent) -> str:
    import orjson

    record = dataclasses.asdict(e)
    record["time"] = e.time.isoformat()
    return orjson.dumps(record).decode()


def _print_lines(events: list[AuditEvent]) -> None:
    """Aligned plain lines, never cut (a rich table would truncate OCIDs to the terminal)."""
    header = ("time", "principal", "operation", "resource", "decision", "status")
    rows = [header] + [
        (
            e.time.isoformat(timespec="seconds"),
            e.principal_id or "-",
            e.operation,
            e.resource_id or "-",
            e.decision if e.reason is None else f"{e.decision} ({e.reason})",
            str(e.status),
        )
        for e in events
    ]
    echo_table(rows)


def _duration(text: str) -> timedelta:
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise typer.BadParameter("use a number and a unit: 30m, 2h, 7d")
    return timedelta(**{units[text[-1]]: int(text[:-1])})
