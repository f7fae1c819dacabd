"""What every table definition module shares: the one MetaData Alembic and the repositories
know, and the id column every OCID is stored in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, String

__all__ = ["ID", "id_column", "metadata"]

metadata = MetaData()

ID = 255  # OCIDs are at most 255 characters


def id_column(name: str = "id", *args: Any, **kw: Any) -> Column[str]:
    """A column holding an OCID (or another id of at most :data:`ID` characters)."""
    return Column(name, String(ID), *args, **kw)
