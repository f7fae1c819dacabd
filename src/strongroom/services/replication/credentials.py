"""This region's credentials for calls to other regions, and checking other regions' calls.

Each region signs its calls with an RSA key of its own (the private key sealed by the barrier in
``realm_credentials``); the registry (``realm_regions.public_keys``) lists the public keys
accepted from each region. Rotation adds a key beside the current one, moves calls to it once
every region knows it, and then drops the old one.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from strongroom.crypto.request_signing import (
    fingerprint,
    load_api_public_key,
    new_api_key_pair,
    verify_signature,
)
from strongroom.domain.errors import NotAuthenticated
from strongroom.services.identity.authn import SignedRequest
from strongroom.services.ports import Deps
from strongroom.services.realm_port import SigningKey
from strongroom.storage.realm_repository import CredentialRecord, RegionRecord
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "ACTIVE",
    "NEXT",
    "RegionRefused",
    "authenticate_region",
    "new_credential",
    "public_key_entries",
    "signing_key",
]

ACTIVE, NEXT = "active", "next"
MAX_SKEW = timedelta(minutes=5)
_KEY_ID = re.compile(r"^realm/([a-z0-9-]{1,64})/([0-9a-f]{2}(?::[0-9a-f]{2}){15})$")


class RegionRefused(NotAuthenticated):
    """A call to the realm endpoints that is not from a linked region (``reason`` for the
    audit log: unsigned, malformed-key-id, unknown-region, unlinked-region, unknown-key,
    clock-skew, bad-signature)."""

    def __init__(self, message: str, reason: str, region: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.region = region


def new_credential(deps: Deps, tx: Transaction, state: str) -> dict[str, str]:
    """Make a signing key for this region (stored sealed, in ``state``); its public entry."""
    private_pem, public_pem = new_api_key_pair()
    fp = fingerprint(load_api_public_key(public_pem))
    sealed = deps.barrier.seal(private_pem.encode(), _row(fp))
    tx.realm.add_credential(CredentialRecord(fp, sealed, state, deps.clock.now()))
    return {"fingerprint": fp, "pem": public_pem}


def public_key_entries(deps: Deps, tx: Transaction) -> list[dict[str, str]]:
    """The public keys of this region's current credentials (active and next)."""
    entries = []
    for record in tx.realm.credentials():
        if record.state in (ACTIVE, NEXT):
            private = deps.barrier.open(record.sealed_private_key, _row(record.fingerprint))
            key = serialization.load_pem_private_key(private, password=None)
            pem = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            entries.append({"fingerprint": record.fingerprint, "pem": pem.decode()})
    return entries


def signing_key(deps: Deps) -> SigningKey:
    """The key this region signs its calls with now."""
    with deps.db.transaction(read_only=True) as tx:
        records = [r for r in tx.realm.credentials() if r.state == ACTIVE]
    if not records:
        raise NotAuthenticated(f"Region {deps.region} has no credential for calls to others")
    record = records[-1]
    private = deps.barrier.open(record.sealed_private_key, _row(record.fingerprint))
    return SigningKey(f"realm/{deps.region}/{record.fingerprint}", private)


def authenticate_region(deps: Deps, request: SignedRequest) -> RegionRecord:
    """The linked region that signed ``request``, or RegionRefused."""
    match = _KEY_ID.match(request.key_id)
    if match is None:
        raise RegionRefused("The caller is not a region of this realm", "malformed-key-id")
    name, fp = match.groups()
    if abs(deps.wall_clock.now() - request.date) > MAX_SKEW:
        raise RegionRefused("The request date is more than 5 minutes off", "clock-skew", name)
    with deps.db.transaction(read_only=True) as tx:
        region = tx.realm.region(name)
    if region is None or name == deps.region:
        raise RegionRefused("The caller is not a region of this realm", "unknown-region", name)
    if region.state != "ACTIVE":
        raise RegionRefused(f"Region {name} is unlinked from this realm", "unlinked-region", name)
    pems = [k["pem"] for k in region.public_keys if k["fingerprint"] == fp]
    if not pems:
        raise RegionRefused("The caller is not a region of this realm", "unknown-key", name)
    if not verify_signature(_public_key(pems[0]), request.signing_string, request.signature):
        raise RegionRefused("The request signature is not valid", "bad-signature", name)
    return region


def _row(fp: str) -> str:
    return f"realm_credentials/{fp}"


@functools.lru_cache(maxsize=64)
def _public_key(pem: str) -> RSAPublicKey:
    """A region's public key, parsed once (every call between regions is verified)."""
    return load_api_public_key(pem)
