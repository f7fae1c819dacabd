"""``strongroom leases``: who holds each named lease (work that runs in one process), since when."""

from __future__ import annotations

from typing import Annotated

import typer

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps
from strongroom.cli.tables import echo_table


def leases(
    data_dir: DataDir,
    database_url: DatabaseUrl = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="table (aligned lines) or json (one per line)")
    ] = "table",
) -> None:
    """Print each lease: name, holder (host:pid:random), since, expires, and whether it is
    held or expired (a dead holder's lease is taken over once it has expired)."""
    import orjson

    from strongroom.services.leases import stored_leases

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")
    deps = _deps(data_dir, database_url)
    views = stored_leases(deps)
    if output == "json":
        for view in views:
            record = {
                "name": view.record.name,
                "holder": view.record.holder,
                "since": view.record.acquired_at.isoformat(),
                "expires": view.record.expires_at.isoformat(),
                "state": "expired" if view.expired else "held",
            }
            typer.echo(orjson.dumps(record).decode())
        return
    rows = [("name", "holder", "since", "expires", "state")] + [
        (
            v.record.name,
            v.record.holder,
            v.record.acquired_at.isoformat(timespec="seconds"),
            v.record.expires_at.isoformat(timespec="seconds"),
            "expired" if v.expired else "held",
        )
        for v in views
    ]
    echo_table(rows)
