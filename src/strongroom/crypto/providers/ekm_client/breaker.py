"""A circuit breaker per EKM origin, so a dead EKM is not hammered and callers fail fast."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

FAILURE_THRESHOLD = 5
OPEN_SECONDS = 2.0


class Admission(Enum):
    """The breaker's answer to a caller: go (closed), go as the half-open probe, or refused."""

    CLOSED = "closed"
    PROBE = "probe"
    REFUSED = "refused"


class CircuitBreaker:
    """Closed until ``threshold`` consecutive failures, then open for ``open_seconds``
    (callers are refused), then half-open: one probe call goes through; its success closes
    the circuit, its failure opens it again. Single event loop, so no locking is needed."""

    def __init__(
        self,
        monotonic: Callable[[], float],
        threshold: int = FAILURE_THRESHOLD,
        open_seconds: float = OPEN_SECONDS,
    ) -> None:
        self._monotonic = monotonic
        self._threshold = threshold
        self._open_seconds = open_seconds
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        """Whether calls are refused right now (open, or half-open with a probe in flight)."""
        if self._open_until is None:
            return False
        return self._probing or self._monotonic() < self._open_until

    def admit(self) -> Admission:
        """May a call go out now? In half-open state the first caller becomes the probe."""
        if self._open_until is None:
            return Admission.CLOSED
        if self._probing or self._monotonic() < self._open_until:
            return Admission.REFUSED
        self._probing = True
        return Admission.PROBE

    def success(self) -> None:
        """The EKM answered (even with an error of its own): close the circuit."""
        self._failures = 0
        self._open_until = None
        self._probing = False

    def failure(self) -> bool:
        """The EKM could not be reached or failed: count it, and open when over threshold.

        Returns whether this failure opened (or re-opened) the circuit."""
        self._failures += 1
        opened = self._probing or self._failures == self._threshold
        if self._probing or self._failures >= self._threshold:
            self._open_until = self._monotonic() + self._open_seconds
        self._probing = False
        return opened

    def abandon(self, admission: Admission) -> None:
        """A call ended without a verdict (cancelled by its caller): free its probe slot."""
        if admission is Admission.PROBE:
            self._probing = False
