"""What every Element method module declares: its methods, their parameters and handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from strongroom.api.element.params import Param, Values
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = ["ElementMethod", "Handler"]

# Parse the checked values into the request dataclass, call one use case, render.
Handler = Callable[[Deps, Call, Values], dict[str, object]]


class ElementMethod(NamedTuple):
    """One JSON-RPC method: its name as Element spells it (audit records and logs show it),
    its handler, its parameters, and the Element error name of a plain NotFound from it
    (what the method looks up)."""

    name: str
    handler: Handler
    params: tuple[Param, ...] = ()
    not_found: str | None = None
