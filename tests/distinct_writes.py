"""The test suite's SDK signs identical writes in one second with distinct dates.

Strongroom accepts a signed write once (a replayed signature is refused), and the SDK's
signature is deterministic with a date of one-second resolution: two identical writes signed
in the same second are the same bytes. A real client repeats a write after a back-off (the
SDK's retries wait); tests often repeat one at once (idempotent actions, 409s on a second
delete). :func:`install` makes the ``oci`` signer date such a repeat one second later than the
previous identical write (still well inside the 5-minute skew), as if it had waited.

Only requests the signer dates itself are affected: a test that sets ``date`` or sends a
captured request's bytes again replays for real.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import oci.signer
import pytest

__all__ = ["install"]

_lock = threading.Lock()
_last: dict[str, int] = {}


def _identity(request: Any) -> str:
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    data = body if isinstance(body, bytes) else b""
    return hashlib.sha256(f"{request.method} {request.url}\n".encode() + data).hexdigest()


def _date_for(request: Any) -> str:
    """Now, or a second after the previous identical write if that was signed at or after now."""
    now = int(time.time())
    key = _identity(request)
    with _lock:
        second = max(now, _last.get(key, now - 1) + 1)
        _last[key] = second
        if len(_last) > 10_000:
            for stale in [k for k, v in _last.items() if v < now - 10]:
                del _last[stale]
    return email.utils.formatdate(second, usegmt=True)


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def inject(request: Any, sign_body: bool, enforce_content_headers: bool) -> Any:
        if "date" not in request.headers and request.method.upper() not in ("GET", "HEAD"):
            request.headers["date"] = _date_for(request)
        return original(request, sign_body, enforce_content_headers)

    return inject


def install() -> Iterator[None]:
    """Patch ``oci.signer`` for the duration of the generator (a session fixture's body)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(oci.signer, "inject_missing_headers", _wrap(oci.signer.inject_missing_headers))
    try:
        yield
    finally:
        patch.undo()
