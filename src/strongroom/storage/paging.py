"""Applying a listing window to a query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table

from strongroom.domain.paging import PageRequest

SORT_COLUMNS = {"TIMECREATED": "time_created", "DISPLAYNAME": "display_name", "NAME": "name"}


def apply_page(query: Select[Any], table: Table, page: PageRequest) -> Select[Any]:
    """Order by the requested column (then id, for a stable order) and cut out one window.

    One extra row is fetched so the caller can tell whether another page exists.
    """
    column = table.c[SORT_COLUMNS.get(page.sort_by, "time_created")]
    order = (
        [column.desc(), table.c.id.desc()] if page.descending else [column.asc(), table.c.id.asc()]
    )
    return query.order_by(*order).offset(page.offset).limit(page.limit + 1)
