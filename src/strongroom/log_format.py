"""How ``strongroom serve`` writes its log: plain text lines, or one JSON object per line.

A record may carry structured fields as ``extra={"fields": {...}}`` (the access log does);
the JSON format merges them into the record's object, the text format prints the message.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["LOG_FORMATS", "TEXT_FORMAT", "JsonFormatter", "configure_logging", "make_formatter"]

LOG_FORMATS: Final = ("text", "json")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_RESERVED: Final = frozenset({"time", "level", "logger", "message"})


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message`` and its fields.

    ``time`` is UTC in ISO 8601 with milliseconds; the keys of a ``fields`` dict on the record
    are added beside them (a field never replaces one of the four); an exception's traceback
    goes in ``exception``. Values JSON cannot represent are written as their ``str``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                if str(key) not in _RESERVED:
                    entry[str(key)] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def _iso_time(created: float) -> str:
    """``created`` (seconds since the epoch) as UTC ISO 8601 with milliseconds."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``log_format`` (one of ``LOG_FORMATS``); ValueError for another."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {log_format!r}; choose one of {', '.join(LOG_FORMATS)}")


def configure_logging(level: str, log_format: str) -> None:
    """Send every logger's records (uvicorn's too) to stderr at ``level`` in ``log_format``."""
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(log_format))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
