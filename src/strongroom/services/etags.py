"""Entity tags: derived from a resource's id and version; if-match must name the current one."""

from __future__ import annotations

import functools
import hashlib

from strongroom.domain.errors import PreconditionFailed

__all__ = ["check_etag", "etag_of"]


@functools.lru_cache(maxsize=4096)
def etag_of(resource_id: str, version: int) -> str:
    """The etag of a resource at ``version`` (cached: hot reads render the same ones)."""
    return hashlib.sha256(f"{resource_id}#{version}".encode()).hexdigest()[:32]


def check_etag(resource_id: str, version: int, if_match: str | None) -> None:
    """Raise PreconditionFailed when ``if_match`` is given and names another version."""
    if if_match is None or if_match == "*":
        return
    if if_match.strip('"') != etag_of(resource_id, version):
        raise PreconditionFailed(
            "The resource has changed: the if-match etag is not its current etag"
        )
