"""AuditClient query helpers beyond :mod:`strongroom.api.oci.parse`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from strongroom.api.oci import parse
from strongroom.domain.errors import InvalidParameter

__all__ = ["required_time"]


def required_time(query: Mapping[str, str], name: str) -> datetime:
    """An RFC 3339 timestamp query parameter that must be present."""
    value = parse.timestamp({name: query.get(name)}, name)
    if value is None:
        raise InvalidParameter(f"{name} is required")
    return value
