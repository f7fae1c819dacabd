"""The log formats of ``strongroom serve``: text lines, or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from strongroom.log_format import JsonFormatter, make_formatter


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("strongroom.access", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_has_time_level_logger_message_and_every_field() -> None:
    fields = {"method": "GET", "status": 200, "duration_ms": 1.5, "principal": None}
    line = JsonFormatter().format(_record("GET %s %d", "/x", 200, fields=fields))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "INFO",
        "logger": "strongroom.access",
        "message": "GET /x 200",
        "method": "GET",
        "status": 200,
        "duration_ms": 1.5,
        "principal": None,
    }


def test_json_without_fields_and_with_odd_ones() -> None:
    assert set(json.loads(JsonFormatter().format(_record("plain")))) == {
        "time",
        "level",
        "logger",
        "message",
    }
    # Fields that are not a dict are ignored; a field never replaces one of the four keys;
    # values JSON cannot hold are written as text; a newline in the message stays escaped.
    assert json.loads(JsonFormatter().format(_record("a", fields=["x"])))["message"] == "a"
    odd = _record("two\nlines", fields={"level": "forged", "path": _record})
    line = JsonFormatter().format(odd)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["message"] == "two\nlines"
    assert entry["path"].startswith("<function")


def test_json_carries_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record("failed", exc_info=sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed"
    assert "RuntimeError: boom" in entry["exception"]


def test_text_prints_the_message_and_not_the_fields() -> None:
    line = make_formatter("text").format(_record("GET /x", fields={"secret_field": 1}))
    assert line.endswith("INFO strongroom.access: GET /x")
    assert "secret_field" not in line


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        make_formatter("xml")
