"""Element ``params`` → checked Python values, one rule per kind of parameter.

Every method declares its parameters; a name it does not declare, a value of the wrong type
and a missing required value are refused, naming the parameter, before the method runs. IDs
(``keyProviderID``, ``keyServerID``, ``asyncHandle``) accept an integer or a numeric string
(Element's documented examples send strings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from strongroom.api.element.errors import ElementError

__all__ = ["MAX_ID", "Kind", "Param", "Values", "parse_params"]

MAX_ID = 2**63 - 1


class Kind(StrEnum):
    """What a parameter's value must be (the value names it in error messages)."""

    ID = "an integer ID"
    INTEGER = "an integer"
    STRING = "a string"
    BOOLEAN = "a boolean"
    STRINGS = "an array of strings"


@dataclass(frozen=True)
class Param:
    """One declared parameter of a method."""

    name: str
    kind: Kind
    required: bool = False


class Values:
    """A method's checked parameter values, read with their types."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def integer(self, name: str) -> int:
        """A required ID or integer."""
        value = self._values[name]
        assert isinstance(value, int)
        return value

    def optional_integer(self, name: str) -> int | None:
        """An optional ID or integer (None: not given)."""
        return self.integer(name) if name in self._values else None

    def string(self, name: str) -> str:
        """A required string."""
        value = self._values[name]
        assert isinstance(value, str)
        return value

    def optional_string(self, name: str) -> str | None:
        """An optional string (None: not given)."""
        return self.string(name) if name in self._values else None

    def optional_boolean(self, name: str) -> bool | None:
        """An optional boolean (None: not given)."""
        value = self._values.get(name)
        assert value is None or isinstance(value, bool)
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        """A required array of strings."""
        value = self._values[name]
        assert isinstance(value, tuple)
        return tuple(str(item) for item in value)

    def optional_strings(self, name: str) -> tuple[str, ...] | None:
        """An optional array of strings (None: not given)."""
        return self.strings(name) if name in self._values else None


def parse_params(method: str, specs: Sequence[Param], raw: object) -> Values:
    """The checked values of ``raw`` (absent and null optional parameters are left out)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ElementError("xInvalidParameterType", f"{method}: params must be a JSON object")
    declared = {spec.name for spec in specs}
    unknown = sorted(str(name) for name in raw if name not in declared)
    if unknown:
        expected = ", ".join(sorted(declared)) or "none"
        raise ElementError(
            "xInvalidParameter",
            f"{method}: unknown parameter {unknown[0]} (parameters: {expected})",
        )
    values: dict[str, object] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if value is None:
            if spec.required:
                raise ElementError(
                    "xMissingParameter", f"{method}: missing required parameter {spec.name}"
                )
            continue
        values[spec.name] = _checked(method, spec, value)
    return Values(values)


def _checked(method: str, spec: Param, value: object) -> object:
    wrong = ElementError(
        "xInvalidParameterType",
        f"{method}: parameter {spec.name} must be {spec.kind.value}, not {_json_type(value)}",
    )
    if spec.kind is Kind.ID:
        if isinstance(value, str) and value.isascii() and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong
        if not 0 <= value <= MAX_ID:
            raise ElementError(
                "xInvalidParameter", f"{method}: parameter {spec.name} is out of range"
            )
        return value
    if spec.kind is Kind.INTEGER:
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong
        return value
    if spec.kind is Kind.STRING:
        if not isinstance(value, str):
            raise wrong
        return value
    if spec.kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise wrong
        return value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise wrong
    return tuple(value)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
