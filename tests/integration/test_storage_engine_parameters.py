"""Database errors and engine logs carry no SQL parameters (descriptions, tags, sealed values).

Engines are made with ``hide_parameters=True``: an IntegrityError's text names the statement
and the constraint, never the values bound to it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from strongroom.storage import schema

SENSITIVE = "description-that-must-never-reach-a-log-8c1f"


def _tenancy(row_id: str) -> dict[str, object]:
    return {
        "id": row_id,
        "name": SENSITIVE,
        "home_region": "r1",
        "time_created": datetime(2024, 1, 1, tzinfo=UTC),
    }


def test_a_forced_integrity_error_shows_no_parameter_values(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # PostgreSQL's own DETAIL names the duplicated key (an OCID); the other values are hidden.
    row_id = f"ocid1.tenancy.oc1..{uuid.uuid4().hex}"
    with engine.begin() as connection:
        connection.execute(insert(schema.tenancies).values(**_tenancy(row_id)))
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(insert(schema.tenancies).values(**_tenancy(row_id)))
    text = str(caught.value)
    assert "INSERT INTO" in text  # the statement is still named...
    assert SENSITIVE not in text  # ...its values are not
    assert "hidden" in text.lower()
    assert SENSITIVE not in repr(caught.value)
    assert SENSITIVE not in caplog.text
