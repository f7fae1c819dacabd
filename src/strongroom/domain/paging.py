"""Listing windows shared by every list operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MAX_LIMIT", "Page", "PageRequest", "cut"]

T = TypeVar("T")

MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageRequest:
    """Sorting and the window to return; ``offset`` comes from an opaque page token."""

    limit: int = 100
    offset: int = 0
    sort_by: str = "TIMECREATED"
    descending: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    """One window of results and the offset of the next, if there is one."""

    items: list[T]
    next_offset: int | None


def cut(rows: list[T], page: PageRequest) -> Page[T]:
    """Turn ``limit + 1`` fetched rows into a page, noting whether more exist."""
    if len(rows) > page.limit:
        return Page(rows[: page.limit], page.offset + page.limit)
    return Page(rows, None)
