"""Helpers every context's rendering shares: OCI timestamps and base64.

The OCI JSON shapes of each context are its adapter's ``render`` module.
"""

from __future__ import annotations

import binascii
from datetime import datetime

__all__ = ["b64", "rfc3339"]


def rfc3339(value: datetime | None) -> str | None:
    """OCI timestamps: UTC with milliseconds and a Z."""
    if value is None:
        return None
    if value.year >= 1000:  # isoformat pads years to 4 digits; strftime's %Y may not
        return value.isoformat(timespec="milliseconds")[:23] + "Z"  # the faster of the two
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def b64(data: bytes) -> str:
    """Standard base64, as OCI's binary fields are."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")
