"""``strongroom init`` and ``strongroom serve``."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from strongroom.cli import admin, ekm
from strongroom.config import DEFAULT_PORT, DEFAULT_REGION, ConfigError, Settings, read_state

app = typer.Typer(
    help="Strongroom: a self-hosted key management and secrets service.", no_args_is_help=True
)
console = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Strongroom's data directory")]


@app.callback()
def _root() -> None:
    """Strongroom: a self-hosted key management and secrets service."""


@app.command()
def init(
    data_dir: DataDir,
    region: Annotated[
        str, typer.Option(help="Region name this deployment serves")
    ] = DEFAULT_REGION,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (default: SQLite in the data dir)")
    ] = None,
) -> None:
    """Create a data directory: storage, master key, tenancy, administrator and OCI config."""
    from strongroom.app import initialize

    try:
        admin = initialize(data_dir, region, database_url)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    console.print(f"Initialized {data_dir} (tenancy {admin.tenancy_id}, user {admin.user_name})")
    console.print(f"OCI config written to {data_dir / 'oci' / 'config'}")


@app.command()
def serve(
    data_dir: DataDir,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = DEFAULT_PORT,
    database_url: Annotated[
        str | None, typer.Option(help="e.g. postgresql+psycopg://user@host/db")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Base URL clients use to reach this server")
    ] = None,
    init_missing: Annotated[
        bool, typer.Option("--init", help="Initialize the data directory if it does not exist")
    ] = False,
    region: Annotated[str, typer.Option(help="Region, used with --init")] = DEFAULT_REGION,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    ekm_ca_bundle: Annotated[
        Path | None, typer.Option(help="PEM CA bundle trusted for external key managers")
    ] = None,
    ekm_client_cert: Annotated[
        Path | None, typer.Option(help="PEM client certificate for mutual TLS to EKMs")
    ] = None,
    ekm_client_key: Annotated[
        Path | None, typer.Option(help="PEM private key of --ekm-client-cert")
    ] = None,
    ekm_timeout: Annotated[float, typer.Option(help="Seconds per EKM call")] = 0.25,
    ekm_health_interval: Annotated[
        float, typer.Option(help="Seconds between EKM health checks of EXTERNAL vaults")
    ] = 30.0,
) -> None:
    """Serve every OCI-compatible API on one listener."""
    from strongroom.app import create_app, initialize

    settings = Settings(
        data_dir,
        host,
        port,
        database_url,
        tls_cert,
        tls_key,
        public_url,
        ekm_ca_bundle=ekm_ca_bundle,
        ekm_client_cert=ekm_client_cert,
        ekm_client_key=ekm_client_key,
        ekm_timeout=ekm_timeout,
        ekm_health_interval=ekm_health_interval,
    )
    try:
        settings.validate()
        if init_missing and not (data_dir / "strongroom.json").exists():
            initialize(data_dir, region, database_url)
            console.print(f"Initialized a new data directory at {data_dir}")
        asgi, _ = create_app(settings)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    _run(asgi, settings, log_level)


def _run(asgi: Any, settings: Settings, log_level: str) -> None:
    """Serve ``asgi`` as ``settings`` say until stopped (uvicorn, uvloop, one write per answer)."""
    import uvicorn

    from strongroom.http_protocol import OneWriteProtocol

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _print_connect_help(settings)
    # What start-up built lives as long as the process: keep it out of the collector's full
    # passes, which otherwise walk it all (tens of ms under load, a stall for every request
    # in flight).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        asgi,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        loop="uvloop",
        http=OneWriteProtocol,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


def _print_connect_help(settings: Settings) -> None:
    state = read_state(settings.data_dir)
    config = (settings.data_dir / "oci" / "config").resolve()
    url = settings.advertised_url
    console.print(f"[bold]Strongroom[/bold] serving at {url} (region {state['region']})")
    console.print("Connect the oci CLI:")
    console.print(
        f"  oci --config-file {config} --endpoint {url} kms management vault list "
        f"--compartment-id {state['admin']['tenancy_id']}"
    )
    console.print("Connect the oci Python SDK:")
    console.print(f"  config = oci.config.from_file('{config}')")
    console.print(f"  vaults = oci.key_management.KmsVaultClient(config, service_endpoint='{url}')")


app.add_typer(admin.iam, name="iam")
app.command(name="audit")(admin.audit)
app.command(name="ekm-health")(ekm.ekm_health)


if __name__ == "__main__":
    app()
