"""The parsed form of policy statements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Combination",
    "Compare",
    "Condition",
    "Location",
    "Membership",
    "PolicySyntaxError",
    "Statement",
    "Subject",
]


class PolicySyntaxError(Exception):
    """A statement does not parse; says where (1-based line and column) and what was expected."""

    def __init__(self, statement: int, line: int, column: int, expected: str, found: str) -> None:
        self.statement, self.line, self.column = statement, line, column
        self.expected, self.found = expected, found
        super().__init__(
            f"statement {statement}, line {line}, column {column}: "
            f"expected {expected}, found {found}"
        )


@dataclass(frozen=True)
class Subject:
    """Who a statement is about. ``kind`` any-user / any-group / group / dynamic-group."""

    kind: Literal["any-user", "any-group", "group", "dynamic-group"]
    name: str | None = None
    ocid: str | None = None


@dataclass(frozen=True)
class Location:
    """Where a statement applies: the tenancy, a compartment path (relative to the policy's
    compartment) or a compartment id."""

    kind: Literal["tenancy", "path", "id"]
    path: tuple[str, ...] = ()
    ocid: str | None = None


@dataclass(frozen=True)
class Compare:
    """``var = 'value'``, ``var != 'value'``, or with a ``/pattern*/``."""

    variable: str
    negated: bool
    value: str
    is_pattern: bool = False


@dataclass(frozen=True)
class Membership:
    """``var in ('a', 'b')`` or ``var not in (...)``."""

    variable: str
    negated: bool
    values: tuple[str, ...]


@dataclass(frozen=True)
class Combination:
    """``any {...}`` (or) and ``all {...}`` (and)."""

    mode: Literal["any", "all"]
    items: tuple[Condition, ...]


Condition = Compare | Membership | Combination


@dataclass(frozen=True)
class Statement:
    """One Allow or Deny statement."""

    effect: Literal["allow", "deny"]
    subjects: tuple[Subject, ...]
    permissions: frozenset[str]
    location: Location
    condition: Condition | None
    text: str
