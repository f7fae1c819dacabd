"""``serve``'s start-up banner: where each API is served and how to connect to it (text for
a person, or one JSON log record with ``--log-format json``). Never a password."""

from __future__ import annotations

import logging

from rich.console import Console

from strongroom.cli.element_serve import element_url
from strongroom.config import Settings, read_state

__all__ = ["log_connect_help", "print_connect_help"]


def print_connect_help(console: Console, settings: Settings) -> None:
    """The start-up banner: where each API is served and how to connect to it."""
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
    if settings.element_port is not None:
        element = settings.data_dir / "element"
        console.print(f"Element JSON-RPC API (encryption at rest) at {element_url(settings)}")
        console.print(
            f"  credentials in {element / 'credentials'}, CA certificate {element / 'ca.pem'}"
        )
    if settings.metrics_url is not None:
        console.print(
            f"Metrics (Prometheus, unauthenticated, this host only) at {settings.metrics_url}"
        )


def log_connect_help(settings: Settings) -> None:
    """The start-up banner as one JSON log record, so that every line of the log is JSON."""
    state = read_state(settings.data_dir)
    url = settings.advertised_url
    fields = {
        "url": url,
        "region": state["region"],
        "oci_config": str((settings.data_dir / "oci" / "config").resolve()),
        "tenancy": state["admin"]["tenancy_id"],
    }
    if settings.element_port is not None:
        fields["element_url"] = element_url(settings)
        fields["element_credentials"] = str(settings.data_dir / "element" / "credentials")
    if settings.metrics_url is not None:
        fields["metrics_url"] = settings.metrics_url
    logging.getLogger("strongroom").info(f"Strongroom serving at {url}", extra={"fields": fields})
