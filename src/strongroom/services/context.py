"""The per-call context handed from a transport to a use case."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.identity import Principal


@dataclass(frozen=True)
class Call:
    """Who is calling and how the call is identified in logs and audit."""

    principal: Principal
    request_id: str
