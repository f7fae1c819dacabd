"""How an Alibaba action is declared: its name, its handler, and how it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.api.alibaba.params import Params
from strongroom.services.context import Call
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = ["Action", "Answer", "Handler"]

# A handler's answer: the response's fields (``RequestId`` is added), or the rest of a use
# case to await on the event loop (EXTERNAL keys).
Answer = dict[str, Any] | Pending[dict[str, Any]]
Handler = Callable[[Deps, Call, Params], Answer]


@dataclass(frozen=True)
class Action:
    """One action of the API.

    ``changes_state``: its ``SignatureNonce`` is remembered in the database every process
    shares (a replay is refused everywhere); the cryptographic actions, which change nothing,
    remember theirs in process memory, so they need no database round trip. ``inline``
    handlers first run on the event loop with blocking forbidden (see
    :mod:`strongroom.services.nonblocking`). ``not_found``: the action's code for a missing
    resource. ``state_error``: its code for a key in the wrong state, when it is not the
    state's own (the actions that change a key's state answer Rejected.StateModifiedFailed).
    """

    name: str
    handler: Handler
    changes_state: bool = True
    inline: bool = False
    not_found: str = "Forbidden.KeyNotFound"
    state_error: str | None = None
