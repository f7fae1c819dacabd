"""``strongroom at-rest status|rekey``: the master key, through the running server's Element
endpoint (DIR/element/credentials, DIR/element/ca.pem), for operators without the SDK."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from strongroom.cli.element_client import ElementCallFailed, ElementClient

__all__ = ["at_rest", "rekey", "status"]

at_rest = typer.Typer(
    help="Encryption at rest: the master key and its rekey.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Strongroom's data directory")]
Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="The Element endpoint (default: the one the running serve wrote to "
        "DIR/element/endpoint)",
    ),
]
_STEPS = ("CreateNewMasterKey", "RewrapDataEncryptionKeys", "DecommissionOldMasterKey", "Ready")


def _client(data_dir: Path, url: str | None) -> ElementClient:
    try:
        return ElementClient.for_data_dir(data_dir, url)
    except ElementCallFailed as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


def _call(client: ElementClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return client.call(method, params)
    except ElementCallFailed as error:
        console.print(f"[red]error:[/red] {method}: {error}")
        raise typer.Exit(1) from None


@at_rest.command()
def status(
    data_dir: DataDir,
    url: Url = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text or json")] = "text",
) -> None:
    """Print the master key in use (id, kind, provider, created) and the latest rekey."""
    client = _client(data_dir, url)
    info = _call(client, "GetSoftwareEncryptionAtRestInfo", {})
    handle = info.get("rekeyMasterKeyAsyncResultID")
    latest = None
    if handle is not None:
        latest = _call(client, "GetAsyncResult", {"asyncHandle": handle, "keepResult": True})
    if output == "json":
        typer.echo(json.dumps({"info": info, "latestRekey": latest}, indent=2))
        return
    key = info.get("masterKeyInfo", {})
    typer.echo(f"state:            {info.get('state')}")
    typer.echo(f"master key:       {key.get('keyID')}")
    typer.echo(f"management:       {key.get('keyManagementType')}")
    if key.get("keyProviderID") is not None:
        typer.echo(f"key provider:     {key.get('keyProviderID')}")
    typer.echo(f"created:          {key.get('keyCreatedTime')}")
    if latest is not None:
        typer.echo(f"latest rekey:     {handle} ({_summary(latest)})")


@at_rest.command()
def rekey(
    data_dir: DataDir,
    url: Url = None,
    provider: Annotated[
        int | None, typer.Option(help="Move the master key to this KMIP key provider")
    ] = None,
    internal: Annotated[
        bool, typer.Option("--internal", help="Move the master key to internal management")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the rekey to finish")] = False,
) -> None:
    """Replace the master key (same kind without options), online."""
    if internal and provider is not None:
        raise typer.BadParameter("use --provider or --internal, not both")
    params: dict[str, Any] = {}
    if internal:
        params["keyManagementType"] = "internal"
    elif provider is not None:
        params = {"keyManagementType": "external", "keyProviderID": provider}
    client = _client(data_dir, url)
    handle = _call(client, "RekeySoftwareEncryptionAtRestMasterKey", params)["asyncHandle"]
    console.print(f"Rekey started (async handle {handle})")
    if not wait:
        return
    result = _follow(client, handle)
    if "error" in result:
        console.print(f"[red]Rekey failed:[/red] {result['error'].get('message')}")
        raise typer.Exit(1)
    console.print(f"[green]Rekey complete:[/green] {result.get('result', {}).get('operation')}")


def _follow(client: ElementClient, handle: int) -> dict[str, Any]:
    """Poll the rekey's async result with a progress display until it completes."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("CreateNewMasterKey", total=len(_STEPS))
        while True:
            result = _call(client, "GetAsyncResult", {"asyncHandle": handle, "keepResult": True})
            step = _step(result)
            if step in _STEPS:
                progress.update(task, description=step, completed=_STEPS.index(step))
            if result.get("status") == "complete":
                progress.update(task, completed=len(_STEPS))
                return result
            time.sleep(0.2)


def _step(result: dict[str, Any]) -> str | None:
    for part in ("result", "details"):
        value = result.get(part)
        if isinstance(value, dict) and isinstance(value.get("state"), str):
            return str(value["state"])
    return None


def _summary(result: dict[str, Any]) -> str:
    if result.get("status") != "complete":
        return f"running: {_step(result)}"
    if "error" in result:
        return f"failed: {result['error'].get('message')}"
    return "complete"
