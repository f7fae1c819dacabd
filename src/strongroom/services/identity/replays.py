"""Replayed signed writes: a request that changes state is accepted once per signature.

A captured signed write (a PUT, a POST action, a DELETE) could otherwise be sent again while
its date is within the clock skew. Its signature (with the keyId) is recorded in the shared
replay store (:mod:`strongroom.services.replays`) until the date leaves the skew window, and
a second arrival of the same signature, in any process on the database, is refused. Reads and
the cryptographic operations may repeat and never reach the store.
"""

from __future__ import annotations

from strongroom.services import replays
from strongroom.services.identity.authn import MAX_SKEW, SignatureRefused, SignedRequest
from strongroom.services.ports import Deps

__all__ = ["REPLAYED", "refuse_replayed"]

REPLAYED = "The request was already received; sign it again to send it again"


def refuse_replayed(deps: Deps, request: SignedRequest) -> None:
    """Record ``request``'s signature, or raise :class:`SignatureRefused` with reason
    ``replayed-signature`` when it was recorded before. Call only after the signature was
    verified (so only genuine signatures take rows)."""
    digest = replays.digest_of(request.key_id.encode("utf-8"), request.signature)
    if not replays.remember_once(deps, digest, request.date + MAX_SKEW):
        raise SignatureRefused(REPLAYED, "replayed-signature")
