"""Encrypt, Decrypt and GenerateDataEncryptionKey with EXTERNAL keys, through the vault's EKM.

The synchronous checks (authorization, rows, states) are :func:`.key_use.use_key`'s, as for
every key; what remains is one awaited EKM call (:class:`.pending.Pending`). A Strongroom
ciphertext of an EXTERNAL key is the usual header naming the Strongroom key version, then the
EKM's blob; the header and the caller's associatedData go to the EKM as its AAD, so neither
can be changed. The key version's ``external_key_version_id`` (EKMS; None for XKS) says which
EKM version encrypts and decrypts.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from strongroom import metrics
from strongroom.crypto import ciphertext
from strongroom.crypto.providers.ekm_client import EkmError, EkmVaultBlocked
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, Key, KeyVersion
from strongroom.domain.vault import Vault
from strongroom.services.external import health as ekm_health
from strongroom.services.external.connection import connection_for, manager, translate
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

T = TypeVar("T")

__all__ = ["UsableKey", "open_sealed", "seal"]


class UsableKey(Protocol):
    """What this module needs of a key resolved for one operation (see ``kms.key_use``, which
    sits above this context and hands its ``UsableKey`` in)."""

    @property
    def key(self) -> Key: ...

    @property
    def version(self) -> KeyVersion: ...

    @property
    def vault(self) -> Vault: ...


def seal(deps: Deps, usable: UsableKey, plaintext: bytes, associated: bytes) -> Pending[bytes]:
    """The Strongroom ciphertext of ``plaintext`` under an EXTERNAL key version."""
    _require_aes256(usable)
    ekm, conn = manager(deps), connection_for(deps, usable.vault)
    ekm_health.require_usable(deps, usable.vault)
    version = usable.version
    header = ciphertext.header_for(version.id)
    external_key_id = _external_id(usable)

    async def run() -> bytes:
        made = await _guarded(
            deps,
            usable,
            "encrypt",
            ekm.encrypt(
                conn,
                external_key_id,
                version.external_key_version_id,
                plaintext,
                header + associated,
                key_ref=usable.key.id,
            ),
        )
        return header + made.blob

    return Pending(run)


def open_sealed(
    deps: Deps, usable: UsableKey, envelope: ciphertext.Envelope, associated: bytes
) -> Pending[bytes]:
    """The plaintext of a Strongroom ciphertext made by :func:`seal` with ``usable``."""
    _require_aes256(usable)
    ekm, conn = manager(deps), connection_for(deps, usable.vault)
    ekm_health.require_usable(deps, usable.vault)
    external_key_id = _external_id(usable)
    version_id = usable.version.external_key_version_id

    async def run() -> bytes:
        return await _guarded(
            deps,
            usable,
            "decrypt",
            ekm.decrypt(
                conn,
                external_key_id,
                version_id,
                envelope.payload,
                envelope.header + associated,
                key_ref=usable.key.id,
            ),
        )

    return Pending(run)


async def _guarded(deps: Deps, usable: UsableKey, operation: str, call: Awaitable[T]) -> T:
    """Await an EKM call; its errors become domain errors, its outcome updates health and
    the metrics."""
    started = time.perf_counter()
    try:
        result = await call
    except EkmError as error:
        _measured(deps, usable.vault, operation, started, error)
        if isinstance(error, EkmVaultBlocked):
            ekm_health.note_blocked(deps, usable.vault.id, error.message)
        raise translate(error, usable.key.external_key_id) from None
    _measured(deps, usable.vault, operation, started)
    ekm_health.note(deps, usable.vault.id)
    return result


def _measured(
    deps: Deps, vault: Vault, operation: str, started: float, error: EkmError | None = None
) -> None:
    """An EKM call's time and outcome, and the state of the vault's circuit, to the metrics."""
    failed = None if error is None else type(error).__name__.removeprefix("Ekm")
    metrics.ekm_call(vault.id, operation, time.perf_counter() - started, failed)
    metrics.ekm_circuit(vault.id, manager(deps).circuit_open(connection_for(deps, vault)))


def _external_id(usable: UsableKey) -> str:
    external_key_id = usable.key.external_key_id
    if external_key_id is None:  # an EXTERNAL key always has one (checked at CreateKey)
        raise InvalidParameter("The EXTERNAL key has no externalKeyReference")
    return external_key_id


def _require_aes256(usable: UsableKey) -> None:
    shape = usable.key.shape
    if shape.algorithm is not Algorithm.AES or shape.length != 32:
        raise InvalidParameter("EXTERNAL keys must be AES keys of 32 bytes")
