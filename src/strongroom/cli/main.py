"""``strongroom init`` and ``strongroom serve``."""

from __future__ import annotations

import errno
import gc
import socket
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from strongroom.cli import admin, at_rest, dev_cluster, ekm, keys, leases, xki
from strongroom.cli import region as region_cli
from strongroom.cli.replication import replication as replication_cli
from strongroom.config import DEFAULT_PORT, DEFAULT_REGION, ConfigError, Settings, read_state

# Plain help: flags are listed bare and options with the type of their value (the rich help
# of recent typer versions prints "<bool>" beside every flag, --help included).
app = typer.Typer(
    help="Strongroom: a self-hosted key management and secrets service.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = Console(stderr=True, soft_wrap=True)

GIL_SWITCH_SECONDS = 0.0005  # see _run; bench/at_rest_bench.py measures the effect

DataDir = Annotated[Path, typer.Option("--data-dir", help="Strongroom's data directory")]


class LogFormat(StrEnum):
    """How ``serve`` writes its log: text lines or one JSON object per line."""

    TEXT = "text"
    JSON = "json"


def _version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("strongroom")
    except PackageNotFoundError:
        from strongroom import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"strongroom {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print Strongroom's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
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
    join: Annotated[
        str | None, typer.Option(help="Join the realm of the home region at this URL")
    ] = None,
    join_token_file: Annotated[
        Path | None, typer.Option(help="File holding the join token (region invite)")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="With --join: the URL this region will be served at")
    ] = None,
) -> None:
    """Create a data directory: storage, master key, tenancy, administrator and OCI config;
    with --join, a region of an existing realm (identity comes from its home region)."""
    from strongroom.app import initialize
    from strongroom.cli.element_serve import init_element_material

    if join is not None or join_token_file is not None:
        _init_member(data_dir, region, database_url, join, join_token_file, url)
        return
    try:
        admin = initialize(data_dir, region, database_url)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    material = init_element_material(data_dir)
    console.print(f"Initialized {data_dir} (tenancy {admin.tenancy_id}, user {admin.user_name})")
    console.print(f"OCI config written to {data_dir / 'oci' / 'config'}")
    console.print(f"Element API credentials written to {material.credentials}")


def _init_member(
    data_dir: Path,
    region: str,
    database_url: str | None,
    join: str | None,
    token_file: Path | None,
    url: str | None,
) -> None:
    from strongroom.app import initialize_member
    from strongroom.cli.element_serve import init_element_material
    from strongroom.domain.errors import StrongroomError

    if join is None or token_file is None or url is None:
        console.print("[red]error:[/red] --join needs --join-token-file and --url")
        raise typer.Exit(2)
    try:
        token = token_file.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        console.print(f"[red]error:[/red] cannot read --join-token-file: {error}")
        raise typer.Exit(2) from None
    try:
        state = initialize_member(data_dir, region, url, join, token, database_url)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    except StrongroomError as error:
        console.print(f"[red]error:[/red] joining the realm failed: {error.message}")
        raise typer.Exit(1) from None
    init_element_material(data_dir)
    console.print(
        f"Initialized {data_dir}: region {region} of the realm whose home region is "
        f"{state['realm']['home']}; use the home region's OCI config with region={region}"
    )


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
    log_format: Annotated[
        LogFormat, typer.Option(help="text lines, or json: one object per line")
    ] = LogFormat.TEXT,
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
    element_port: Annotated[
        int | None,
        typer.Option(help="Serve the Element JSON-RPC API (HTTPS) on this port too"),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve GET /metrics unauthenticated on this loopback port too"),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Loopback address of --metrics-port")
    ] = "127.0.0.1",
) -> None:
    """Serve every OCI-compatible API on one listener (and GET /metrics to signed callers a
    policy allows: read metrics in tenancy)."""
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
        element_port=element_port,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
    )
    try:
        asgi, deps = _prepare(settings, init_missing, region)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    _run(asgi, settings, log_level, log_format, deps)


def _prepare(settings: Settings, init_missing: bool, region: str) -> tuple[Any, Any]:
    """Check ``settings`` and the ports, initialize the data directory if asked (with its
    Element material), build the app and its dependencies."""
    from strongroom.app import create_app, initialize
    from strongroom.cli.element_serve import init_element_material

    data_dir = settings.data_dir
    settings.validate()
    if not init_missing:
        read_state(data_dir)  # a missing data directory is named before a taken port
    _check_port_free(settings.host, settings.port)
    if settings.element_port is not None:
        _check_port_free(settings.host, settings.element_port)
    if settings.metrics_port is not None:
        _check_port_free(settings.metrics_host, settings.metrics_port, "--metrics-port")
    if init_missing and not (data_dir / "strongroom.json").exists():
        initialize(data_dir, region, settings.database_url)
        init_element_material(data_dir, settings.host)
        console.print(f"Initialized a new data directory at {data_dir}")
    return create_app(settings)


def _check_port_free(host: str, port: int, choose: str = "--port or --host") -> None:
    """Bind ``host:port`` as the server will, and let go: ConfigError saying why it cannot
    (and, when it is in use, to ``choose`` another)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        where = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(f"{where} is in use; choose another {choose}") from None
        raise ConfigError(f"cannot listen on {where}: {error.strerror or error}") from None


def _run(
    asgi: Any, settings: Settings, log_level: str, log_format: LogFormat, deps: Any = None
) -> None:
    """Serve ``asgi`` as ``settings`` say until stopped (uvicorn, uvloop, one write per answer),
    the Element API on its own listener with ``--element-port``, and the metrics on theirs
    with ``--metrics-port``."""
    from strongroom.cli.banner import log_connect_help, print_connect_help
    from strongroom.cli.element_serve import ElementListener, init_element_material, start_element
    from strongroom.cli.metrics_serve import MetricsListener, start_metrics
    from strongroom.http_protocol import raise_descriptor_limit
    from strongroom.log_format import configure_logging

    configure_logging(log_level, log_format.value)
    raise_descriptor_limit()  # the connection cap stays below it (see OneWriteProtocol)
    element: ElementListener | None = None
    metrics: MetricsListener | None = None
    try:
        if settings.element_port is not None:
            material = init_element_material(settings.data_dir, settings.host)
            element = start_element(settings, deps, material, log_level)
        if settings.metrics_port is not None:
            metrics = start_metrics(settings.metrics_host, settings.metrics_port)
    except ConfigError as error:
        if element is not None:
            element.stop()
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    if log_format is LogFormat.JSON:
        log_connect_help(settings)
    else:
        print_connect_help(console, settings)
    # What start-up built lives as long as the process: keep it out of the collector's full
    # passes, which otherwise walk it all (tens of ms under load, a stall for every request
    # in flight).
    gc.collect()
    gc.freeze()
    # Requests call C code that lets go of the GIL (the RSA check of every signature, the
    # database drivers). Taking it back waits until whichever background thread took it
    # (cache refreshes, audit flushes, a rekey) is made to yield: up to the switch interval,
    # 5 ms by default, for a 20 us call. A short interval bounds that wait.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    try:
        _serve_main(asgi, settings, log_level)
    finally:
        if element is not None:
            element.stop()
        if metrics is not None:
            metrics.stop()


def _serve_main(asgi: Any, settings: Settings, log_level: str) -> None:
    """The main listener (every OCI-compatible API), in this thread until stopped."""
    import uvicorn

    from strongroom.http_protocol import OneWriteProtocol

    uvicorn.run(
        asgi,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        loop="uvloop",
        http=OneWriteProtocol,
        log_level=log_level,
        log_config=None,  # uvicorn's records go to the root logger, in --log-format
        access_log=False,
        timeout_graceful_shutdown=5,
    )


app.add_typer(admin.iam, name="iam")
app.command(name="audit")(admin.audit)
app.command(name="ekm-health")(ekm.ekm_health)
app.command(name="leases")(leases.leases)
app.add_typer(at_rest.at_rest, name="at-rest")
app.add_typer(keys.key, name="key")
app.add_typer(xki.xki, name="xki")
app.add_typer(region_cli.region, name="region")
app.add_typer(replication_cli, name="replication")
app.command(name="dev-cluster")(dev_cluster.dev_cluster)


if __name__ == "__main__":
    app()
