"""``strongroom region``: invite a region into the realm, list the regions and their state,
unlink one, rotate this region's credentials."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strongroom.cli.admin import DatabaseUrl, DataDir, _deps
from strongroom.cli.tables import echo_table

region = typer.Typer(help="Regions of the realm: invite, list, unlink, rotate credentials.")
err = Console(stderr=True, soft_wrap=True)

RegionName = Annotated[str, typer.Option("--region", help="Region identifier, e.g. ap-tokyo-1")]


@region.command()
def invite(
    data_dir: DataDir,
    region_name: RegionName,
    url: Annotated[str, typer.Option(help="The URL the new region will be served at")],
    token_file: Annotated[
        Path | None, typer.Option(help="Write the token to this file (0600) instead of stdout")
    ] = None,
    expires_in: Annotated[int, typer.Option(help="Seconds the token stays valid")] = 3600,
    database_url: DatabaseUrl = None,
) -> None:
    """(Home region) issue a one-time join token for REGION; the new region joins with
    ``strongroom init --region REGION --join HOME_URL --join-token-file FILE --url URL``."""
    from datetime import timedelta

    from strongroom.domain.errors import StrongroomError
    from strongroom.services.replication.invites import invite_region

    deps = _deps(data_dir, database_url)
    try:
        token = invite_region(deps, region_name, url, timedelta(seconds=expires_in))
    except StrongroomError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from None
    if token_file is None:
        typer.echo(token)
        return
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(token_file, 0o600)
    err.print(f"Join token for {region_name} written to {token_file} (valid {expires_in} s)")


@region.command(name="list")
def list_(
    data_dir: DataDir,
    probe: Annotated[bool, typer.Option(help="Call each region to see if it answers")] = True,
    output: Annotated[str, typer.Option("--output", "-o", help="table or json")] = "table",
    database_url: DatabaseUrl = None,
) -> None:
    """Print each region: role, state, URL, reachable, identity lag and last error."""
    import orjson

    from strongroom.services.replication.regions import list_regions

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--output")
    views = list_regions(_deps(data_dir, database_url), probe)
    if output == "json":
        for v in views:
            record = {
                "region": v.name,
                "role": "home" if v.is_home else "member",
                "state": v.state,
                "url": v.url,
                "thisRegion": v.this_region,
                "reachable": v.reachable,
                "identityLagEntries": v.lag_entries,
                "identityLagSeconds": v.lag_seconds,
                "lastError": v.last_error,
                "lastContact": v.last_contact.isoformat() if v.last_contact else None,
            }
            typer.echo(orjson.dumps(record).decode())
        return
    header = ("region", "role", "state", "url", "reachable", "lag", "last error")
    rows = [header] + [
        (
            v.name + (" *" if v.this_region else ""),
            "home" if v.is_home else "member",
            v.state,
            v.url,
            "-" if v.reachable is None else ("yes" if v.reachable else "no"),
            "-" if v.lag_entries is None else f"{v.lag_entries} ({v.lag_seconds or 0:.1f} s)",
            v.last_error or "",
        )
        for v in views
    ]
    echo_table(rows)


@region.command()
def unlink(data_dir: DataDir, region_name: RegionName, database_url: DatabaseUrl = None) -> None:
    """(Home region) stop replicating to REGION and refuse its calls; it keeps its data."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.replication.regions import unlink_region

    try:
        unlink_region(_deps(data_dir, database_url), region_name)
    except StrongroomError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from None
    err.print(f"Region {region_name} unlinked")


@region.command(name="rotate-credentials")
def rotate_credentials(
    data_dir: DataDir,
    wait: Annotated[float, typer.Option(help="Seconds to wait for every region")] = 30.0,
    database_url: DatabaseUrl = None,
) -> None:
    """Replace the key this region signs its calls to other regions with, without downtime."""
    from strongroom.domain.errors import StrongroomError
    from strongroom.services.replication.regions import rotate_credentials as rotate

    try:
        fingerprint = rotate(_deps(data_dir, database_url), wait)
    except StrongroomError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from None
    err.print(f"This region now signs with key {fingerprint}")
