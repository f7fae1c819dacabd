"""``strongroom replication``: how the secrets this region replicates reach their target
regions (from ``secret_replicas``, the source region's view)."""

from __future__ import annotations

from typing import Annotated

import typer

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps
from strongroom.cli.tables import echo_table

replication = typer.Typer(help="Secret replication: the state of each replica.")


@replication.command()
def status(
    data_dir: DataDir,
    secret_id: Annotated[
        str | None, typer.Option(help="Only this secret (default: every replicated secret)")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table or json")] = "table",
    database_url: DatabaseUrl = None,
) -> None:
    """Print each target region of each replicated secret: state (IN_SYNC, PENDING, FAILED,
    REMOVING), lag, the last version it applied, when, and the last error."""
    import orjson

    from strongroom.services.replication.replica_status import replication_statuses

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")
    views = replication_statuses(_deps(data_dir, database_url), secret_id)
    if output == "json":
        for v in views:
            record = {
                "secretId": v.secret_id,
                "targetRegion": v.region,
                "state": v.state,
                "lagSeconds": v.lag_seconds,
                "lastError": v.last_error,
                "lastAppliedVersionNumber": v.last_applied_version,
                "timeLastApplied": v.time_last_applied.isoformat() if v.time_last_applied else None,
            }
            typer.echo(orjson.dumps(record).decode())
        return
    header = ("secret", "region", "state", "lag", "version", "applied", "last error")
    rows = [header] + [
        (
            v.secret_id,
            v.region,
            v.state,
            f"{v.lag_seconds:.1f} s",
            "-" if v.last_applied_version is None else str(v.last_applied_version),
            v.time_last_applied.isoformat(timespec="seconds") if v.time_last_applied else "-",
            v.last_error or "",
        )
        for v in views
    ]
    echo_table(rows)
