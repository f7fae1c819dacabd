"""``strongroom ekm-health``: the EKM health of every EXTERNAL vault, as last checked."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps, out
from strongroom.domain.ekm import EkmHealthState


def ekm_health(
    data_dir: DataDir,
    database_url: DatabaseUrl = None,
    check: Annotated[
        bool, typer.Option("--check/--stored", help="Ask each EKM now (default: stored checks)")
    ] = False,
) -> None:
    """Print each EXTERNAL vault's EKM: endpoint, protocol, state, detail, time checked."""
    import asyncio

    from strongroom.services.external import health

    deps = _deps(data_dir, database_url)
    rows = health.stored(deps)
    if check:

        async def run() -> None:
            for index, (vault, _) in enumerate(rows):
                rows[index] = (vault, await health.check(deps, vault))
            if deps.ekm is not None:
                await deps.ekm.aclose()

        asyncio.run(run())
    table = Table("vault", "endpoint", "protocol", "state", "detail", "checked")
    unhealthy = False
    for vault, seen in rows:
        assert vault.external is not None
        unhealthy = unhealthy or seen.state is not EkmHealthState.ACTIVE
        table.add_row(
            vault.id,
            vault.external.endpoint_url,
            vault.external.protocol.value,
            seen.state.value,
            seen.detail,
            seen.time_checked.isoformat(timespec="seconds") if seen.time_checked else "-",
        )
    out.print(table)
    raise typer.Exit(1 if unhealthy else 0)
