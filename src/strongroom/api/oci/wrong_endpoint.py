"""Saying where an operation is served when a request reached the wrong endpoint.

OCI clients are configured with one endpoint per client: the server URL for vaults, secrets,
identity and audit, and a vault's ``managementEndpoint`` or ``cryptoEndpoint`` for its keys and
crypto. A client pointed at the wrong one (or a path with a trailing slash) gets a 404; this
finds the route the path was meant for, so the 404 can name the right endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.routing import compile_path

from strongroom.api.oci.endpoint import ApiRoute

__all__ = ["PathHints"]

_VAULT_PREFIX = re.compile(r"^/kms/[^/]+/(?:management|crypto)(?=/)")
_PREFIXES = (
    ("/kms/{vaultId}/management", "the vault's managementEndpoint"),
    ("/kms/{vaultId}/crypto", "the vault's cryptoEndpoint"),
)


class PathHints:
    """The route tables indexed by path without the vault endpoint prefix."""

    def __init__(self, routes: Sequence[ApiRoute]) -> None:
        self._tails: list[tuple[re.Pattern[str], ApiRoute, str]] = []
        for route in routes:
            tail, where = route.path, "the server URL"
            for prefix, name in _PREFIXES:
                if route.path.startswith(prefix + "/"):
                    tail, where = route.path[len(prefix) :], name
            self._tails.append((compile_path(tail)[0], route, where))

    def hint(self, method: str, path: str) -> str | None:
        """Where the operation ``method path`` looks like is served, or None."""
        tail = _VAULT_PREFIX.sub("", path, count=1)
        if len(tail) > 1 and tail.endswith("/"):
            tail = tail.rstrip("/")
        matching = [(r, where) for regex, r, where in self._tails if regex.match(tail)]
        if not matching:
            return None
        route, where = next(((r, w) for r, w in matching if r.method == method), matching[0])
        note = " (without a trailing slash)" if path.endswith("/") else ""
        return f"{route.operation} is served on {where}: {route.method} {route.path}{note}"
