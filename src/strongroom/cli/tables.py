"""Aligned plain-text tables for the CLI's listings."""

from __future__ import annotations

from collections.abc import Sequence

import typer

__all__ = ["echo_table"]


def echo_table(rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` (the first is the header) as columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
