"""The architecture holds as ARCHITECTURE.md says: every API operation is one use case of the
shape ``(deps, call, request)``, adapted by one handler that calls it, and the map of
operations in ARCHITECTURE.md names both."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from strongroom.api.oci.app import ROUTES
from strongroom.api.oci.endpoint import ApiRoute

ROOT = Path(__file__).resolve().parents[2]
MAP_HEADING = "## Where each operation lives"


def _path(module: types.ModuleType) -> str:
    return (
        Path(inspect.getfile(module)).resolve().relative_to(ROOT / "src" / "strongroom").as_posix()
    )


def _use_cases_called(handler: Callable[..., Any]) -> list[tuple[types.ModuleType, str]]:
    """The services functions of shape (deps, call, request) the handler's body calls."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(handler)))
    found: list[tuple[types.ModuleType, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        if not isinstance(owner, ast.Name):
            continue
        module = handler.__globals__.get(owner.id)
        if not isinstance(module, types.ModuleType):
            continue
        if not module.__name__.startswith("strongroom.services."):
            continue
        function = getattr(module, node.func.attr, None)
        if callable(function) and _is_use_case(function):
            found.append((module, node.func.attr))
    return found


def _is_use_case(function: Callable[..., Any]) -> bool:
    names = list(inspect.signature(function).parameters)
    return names == ["deps", "call", "request"]


def _row(route: ApiRoute) -> str:
    handler = route.handler
    ((module, name),) = _use_cases_called(handler)
    adapter = _path(inspect.getmodule(handler))  # type: ignore[arg-type]
    return f"| {route.operation} | `{_path(module)}` `{name}` | `{adapter}` `{handler.__name__}` |"


def expected_map() -> str:
    """The table ARCHITECTURE.md must hold, in route-table order."""
    lines = ["| operation | use case (services/) | OCI adapter (api/oci/) |", "|---|---|---|"]
    lines += [_row(route) for route in ROUTES]
    return "\n".join(lines)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation)
def test_every_handler_calls_exactly_one_use_case(route: ApiRoute) -> None:
    called = _use_cases_called(route.handler)
    assert len(called) == 1, f"{route.operation} calls {called}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation)
def test_every_use_case_takes_a_frozen_request_named_after_its_operation(
    route: ApiRoute,
) -> None:
    ((module, name),) = _use_cases_called(route.handler)
    function = getattr(module, name)
    hints = typing.get_type_hints(function)
    request: type = hints["request"]
    assert dataclasses.is_dataclass(request), request
    params = request.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen, f"{request.__name__} must be frozen"
    assert request.__name__.endswith("Request"), request.__name__
    assert request.__doc__, f"{request.__name__} needs a docstring"
    assert name in module.__all__ and request.__name__ in module.__all__


def test_operation_names_are_unique_and_known_to_iam() -> None:
    from strongroom.iam.operations import OPERATION_PERMISSIONS

    names = [route.operation for route in ROUTES]
    assert len(names) == len(set(names))
    # OAuth2 client credentials are authorized as the API-key operations of their user.
    unmapped = {"CreateOAuthClientCredential", "ListOAuthClientCredentials"}
    unmapped.add("DeleteOAuthClientCredential")
    assert {n for n in names if n not in OPERATION_PERMISSIONS} <= unmapped


def test_architecture_md_maps_every_operation_to_its_use_case_and_adapter() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    assert MAP_HEADING in text
    written = text.split(MAP_HEADING, 1)[1].strip()
    table = "\n".join(line for line in written.splitlines() if line.startswith("|"))
    expected = expected_map()
    assert table == expected, f"ARCHITECTURE.md's map is stale; it should read:\n\n{expected}"


if __name__ == "__main__":
    print(expected_map())
