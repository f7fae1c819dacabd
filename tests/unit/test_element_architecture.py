"""The Element dialect holds as ARCHITECTURE.md says: every method but GetAPI is adapted by a
handler that calls exactly one use case of ``services/``, and the Element table in
ARCHITECTURE.md names both (``python tests/unit/test_element_architecture.py`` prints it)."""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from strongroom.api.element.dispatch import METHODS
from strongroom.api.element.method import ElementMethod

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "strongroom"
HEADING = "## The Element dialect"
DIALECT_OWN = {"GetAPI"}


def _use_cases_called(handler: Callable[..., Any]) -> list[tuple[types.ModuleType, str]]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    found: list[tuple[types.ModuleType, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if not isinstance(node.func.value, ast.Name):
            continue
        module = handler.__globals__.get(node.func.value.id)
        if not isinstance(module, types.ModuleType):
            continue
        if not module.__name__.startswith("strongroom.services."):
            continue
        function = getattr(module, node.func.attr, None)
        if callable(function) and list(inspect.signature(function).parameters)[:2] == [
            "deps",
            "call",
        ]:
            found.append((module, node.func.attr))
    return found


def _relative(obj: Any) -> str:
    return Path(inspect.getfile(obj)).resolve().relative_to(SOURCE).as_posix()


def expected_table() -> str:
    """The Element table ARCHITECTURE.md must hold."""
    lines = [
        "| method | use case (services/) | Element adapter (api/element/) |",
        "|---|---|---|",
    ]
    for method in METHODS.values():
        uses = _use_cases_called(method.handler)
        use = "(none: the dialect's own)"
        if uses:
            ((module, name),) = uses
            use = f"`{_relative(module)}` `{name}`"
        adapter = f"`{_relative(method.handler)}` `{method.handler.__name__}`"
        lines.append(f"| {method.name} | {use} | {adapter} |")
    return "\n".join(lines)


@pytest.mark.parametrize("method", list(METHODS.values()), ids=lambda m: m.name)
def test_every_method_calls_exactly_one_use_case(method: ElementMethod) -> None:
    uses = _use_cases_called(method.handler)
    assert len(uses) == (0 if method.name in DIALECT_OWN else 1), uses


def test_architecture_md_maps_every_element_method() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    assert HEADING in text
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    start = section.index("| method |")  # after the table of the dialect's modules
    table = "\n".join(line for line in section[start:].splitlines() if line.startswith("|"))
    expected = expected_table()
    assert table == expected, (
        f"ARCHITECTURE.md's Element table is stale; it should read:\n\n{expected}"
    )


if __name__ == "__main__":
    print(expected_table())
