"""The rest of a use case that must await an external system on the event loop.

A use case whose synchronous part (authorization, rows, states) ran inline or in a worker
thread returns a :class:`Pending` when what remains is an awaited call (an EKM round trip);
the transport awaits it on the event loop, so no thread waits on the network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Pending"]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Pending(Generic[T]):
    """Awaitable remainder of a use case; ``run`` is called once, on the event loop."""

    run: Callable[[], Awaitable[T]]

    async def result(self) -> T:
        """Finish the use case."""
        return await self.run()

    def then(self, after: Callable[[T], U]) -> Pending[U]:
        """A Pending whose result is ``after`` applied to this one's."""

        async def chained() -> U:
            return after(await self.run())

        return Pending(chained)
