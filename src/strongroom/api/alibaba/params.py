"""An action's parameters, as the SDKs send them (strings: booleans as ``True``/``False``,
lists flattened as ``Tag.1.Key``, structures as JSON strings), read with Alibaba's errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from strongroom.api.alibaba.errors import InvalidParameter, MissingParameter

__all__ = ["Params"]


class Params:
    """Typed access to a request's parameters (``Signature`` and the like left in, unused)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str, max_length: int = 4096) -> str:
        """A required, non-empty string."""
        value = self.optional(name, max_length)
        if value is None or value == "":
            raise MissingParameter(name)
        return value

    def optional(self, name: str, max_length: int = 4096) -> str | None:
        value = self._values.get(name)
        if value is not None and len(value) > max_length:
            raise InvalidParameter(name, f"at most {max_length} characters")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer in [low, high] (``default`` when absent)."""
        raw = self._values.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidParameter(name, "not an integer") from None
        if not low <= value <= high:
            raise InvalidParameter(name, f"must be from {low} to {high}")
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool:
        """``true``/``false`` in any case (required when there is no ``default``)."""
        raw = self._values.get(name)
        if raw is None or raw == "":
            if default is None:
                raise MissingParameter(name)
            return default
        if raw.lower() not in ("true", "false"):
            raise InvalidParameter(name, "must be true or false")
        return raw.lower() == "true"

    def base64(self, name: str) -> bytes:
        """Required standard base64, decoded."""
        raw = self.text(name, max_length=1024 * 1024)
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameter(name, "not valid base64") from None

    def json(self, name: str, max_length: int = 32 * 1024) -> Any:
        """An optional JSON string, parsed (None when absent)."""
        raw = self.optional(name, max_length)
        if raw is None or raw == "":
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise InvalidParameter(name, "not valid JSON") from None

    def context(self, name: str = "EncryptionContext") -> dict[str, str] | None:
        """An EncryptionContext: a JSON object of strings (compared canonically, so the SDKs'
        JSON spacing does not matter)."""
        value = self.json(name, max_length=8192)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise InvalidParameter(name, "must be a JSON object of string values")
        return value

    def numbered(self, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
        """A flattened list (``Tag.1.Key``, ``Tag.1.Value``...), in index order."""
        found: dict[int, dict[str, str]] = {}
        for name, value in self._values.items():
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == prefix and parts[2] in fields:
                if not parts[1].isdigit():
                    raise InvalidParameter(name, "the index must be a number")
                found.setdefault(int(parts[1]), {})[parts[2]] = value
        return [found[i] for i in sorted(found)]

    def indexed(self, prefix: str, max_items: int, max_length: int = 4096) -> list[str]:
        """A flattened list of strings (``ResourceId.1``, ``ResourceId.2``...), in index
        order, of at most ``max_items`` values of at most ``max_length`` characters."""
        found: dict[int, str] = {}
        for name, value in self._values.items():
            head, dot, index = name.partition(".")
            if head == prefix and dot:
                if not index.isdigit():
                    raise InvalidParameter(name, "the index must be a number")
                if len(value) > max_length:
                    raise InvalidParameter(name, f"at most {max_length} characters")
                found[int(index)] = value
        if len(found) > max_items:
            raise InvalidParameter(prefix, f"at most {max_items} values")
        return [found[i] for i in sorted(found)]
