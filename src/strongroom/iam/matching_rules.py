"""Dynamic-group matching rules: which resources belong to a dynamic group. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.iam.evaluator import holds
from strongroom.iam.policy_ast import Condition, PolicySyntaxError
from strongroom.iam.policy_parser import parse_condition

__all__ = ["ALLOWED_PREFIXES", "matches", "parse_matching_rule"]

ALLOWED_PREFIXES = ("resource.", "instance.", "tag.")


def parse_matching_rule(text: str) -> Condition:
    """Parse ``var = 'value'`` / ``!=`` or ``Any {...}`` / ``All {...}`` over resource variables."""
    condition = parse_condition(text)
    for variable in _variables(condition):
        if not variable.startswith(ALLOWED_PREFIXES):
            raise PolicySyntaxError(
                1, 1, 1, "a resource.*, instance.* or tag.* variable", repr(variable)
            )
    return condition


def matches(rule: Condition, resource: Mapping[str, str]) -> bool:
    """Whether a resource described by ``resource`` (e.g. resource.type) satisfies ``rule``."""
    return holds(rule, {name: (value,) for name, value in resource.items()})


def _variables(condition: Condition) -> list[str]:
    items = getattr(condition, "items", None)
    if items is not None:
        return [v for item in items for v in _variables(item)]
    return [condition.variable]  # type: ignore[union-attr]
