"""Reaching an EXTERNAL vault's EKM: its connection, and the one place EKM errors are mapped.

Every EKM client error becomes a domain error here (and nowhere else):

- EkmUnavailable, EkmTlsError: ExternalKeyManagerUnavailable (503 ExternalKeyManagerUnavailable)
- EkmAuthenticationFailed: ExternalKeyManagerAuthenticationFailed (502, same code)
- EkmBadResponse: ExternalKeyManagerError (502 ExternalKeyManagerError)
- EkmKeyDisabled: ExternalKeyDisabled, an IncorrectState (409), "The external key ... is
  disabled in the external key manager"
- EkmVaultBlocked: ExternalVaultBlocked, an IncorrectState (409), "The external key manager
  refuses this vault (BLOCKED)"
- EkmKeyNotFound: UnknownExternalKey, an InvalidParameter (400), at CreateKey and
  CreateKeyVersion; else LostExternalKey, an IncorrectState (409); both ExternalKeyNotFound
- EkmInvalidCiphertext: DecryptionFailed (400 InvalidParameter, says nothing more)
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio.from_thread

from strongroom.crypto.providers.ekm_client.connection import EkmConnection, EkmProtocol
from strongroom.crypto.providers.ekm_client.errors import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmUnavailable,
    EkmVaultBlocked,
)
from strongroom.domain import errors
from strongroom.domain.ekm import secret_identity
from strongroom.domain.vault import Vault
from strongroom.services.ekm_port import ExternalKeyManagerPort
from strongroom.services.ports import Deps

T = TypeVar("T")

__all__ = ["connection_for", "manager", "run_blocking", "translate"]


def manager(deps: Deps) -> ExternalKeyManagerPort:
    """The EKM client, or a clear error when this server has none."""
    if deps.ekm is None:
        raise errors.ExternalKeyManagerUnavailable(
            "This server has no external key manager client configured"
        )
    return deps.ekm


def connection_for(deps: Deps, vault: Vault) -> EkmConnection:
    """The connection to ``vault``'s EKM, its client secret opened from the barrier.

    Cached per vault row version (a changed vault gets a new connection).
    """
    name = (vault.id, vault.version)
    cached: EkmConnection | None = deps.ekm_connections.get(name)
    if cached is not None:
        return cached
    ekm = vault.external
    if ekm is None:
        raise errors.IncorrectState("The vault is not an EXTERNAL vault")
    secret = deps.barrier.open(ekm.sealed_client_secret, secret_identity(vault.id))
    settings = deps.ekm_settings
    dial = ekm.dial
    conn = EkmConnection(
        vault_id=vault.id,
        endpoint_url=ekm.endpoint_url,
        protocol=EkmProtocol(ekm.protocol.value),
        client_id=ekm.client_app_id,
        client_secret=secret.decode("utf-8"),
        idp_url=ekm.idp_url,
        region=deps.region,
        ca_bundle_pem=settings.ca_bundle_pem if dial is None else dial.ca_bundle_pem,
        timeout_seconds=settings.timeout_seconds,
        dial=None if dial is None else (dial.ip, dial.port),
    )
    if len(deps.ekm_connections) > 10_000:
        deps.ekm_connections.clear()
    deps.ekm_connections[name] = conn
    return conn


def translate(error: EkmError, external_key_id: str | None, *, creating: bool = False) -> Exception:
    """The domain error for an EKM client error (see the module's table)."""
    what = f"The external key {external_key_id!r}" if external_key_id else "The external key"
    if isinstance(error, EkmUnavailable):
        return errors.ExternalKeyManagerUnavailable(
            f"The external key manager is unavailable: {error.message}"
        )
    if isinstance(error, EkmAuthenticationFailed):
        return errors.ExternalKeyManagerAuthenticationFailed(
            f"The external key manager refused Strongroom's credentials: {error.message}"
        )
    if isinstance(error, EkmVaultBlocked):
        return errors.ExternalVaultBlocked(
            f"The external key manager refuses this vault (BLOCKED): {error.message}"
        )
    if isinstance(error, EkmKeyDisabled):
        return errors.ExternalKeyDisabled(f"{what} is disabled in the external key manager")
    if isinstance(error, EkmKeyNotFound):
        message = f"{what} does not exist in the external key manager"
        return errors.UnknownExternalKey(message) if creating else errors.LostExternalKey(message)
    if isinstance(error, EkmInvalidCiphertext):
        return errors.DecryptionFailed()
    if isinstance(error, EkmBadResponse):
        return errors.ExternalKeyManagerError(
            f"The external key manager gave an unusable answer: {error.message}"
        )
    return errors.ExternalKeyManagerError(f"External key manager error: {error.message}")


def run_blocking(call: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run an EKM call from a use case in a worker thread: on the event loop, waiting for it.

    For management operations (CreateKey, CreateKeyVersion, an on-demand health check), which
    run in the thread pool: the EKM client's connections belong to the event loop.
    """
    return anyio.from_thread.run(call)
