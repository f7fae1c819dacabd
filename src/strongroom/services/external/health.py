"""Health of EXTERNAL vaults' EKMs: checked in the background, on demand, and by every call.

The latest check of each vault lives in memory (``deps.ekm_health``) and in storage (table
``ekm_health``, shared by every process). OCI's Vault has no field for it; Strongroom shows it
as the extension field ``externalKeyManagerHealth`` {state, detail, timeChecked} of the vault
JSON (the SDK ignores fields it does not know). States: UNKNOWN (never checked), ACTIVE,
BLOCKED (the EKM refuses the vault), UNREACHABLE.

Crypto calls consult it (:func:`require_usable`): BLOCKED refuses at once (409); UNREACHABLE
refuses at once (503) for :data:`FAIL_FAST_SECONDS` after the check that found it, then calls
go to the EKM again and the first success marks it ACTIVE (:func:`note`). A failed call does
not change the state: one slow answer must not stop a busy vault; repeated failures are the
EKM client's circuit breaker's business. The exception is an EKM answering that the vault is
BLOCKED (:func:`note_blocked`): its administrator's decision, so later calls are refused at
once until a health check finds the vault ACTIVE again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import anyio.to_thread

from strongroom import metrics
from strongroom.crypto.providers.ekm_client.errors import EkmError
from strongroom.domain import errors
from strongroom.domain.ekm import EkmHealth, EkmHealthState
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.services.external.connection import connection_for, run_blocking
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "FAIL_FAST_SECONDS",
    "check",
    "check_blocking",
    "is_stale",
    "known",
    "note",
    "note_blocked",
    "poll_forever",
    "poll_once",
    "require_usable",
    "store",
    "stored",
    "unknown",
]

FAIL_FAST_SECONDS = 2.0
log = logging.getLogger("strongroom.ekm_health")


def unknown(vault_id: str) -> EkmHealth:
    """The health of a vault never checked."""
    return EkmHealth(vault_id, EkmHealthState.UNKNOWN, "Not checked yet", None)


def known(deps: Deps, tx: Transaction, vault_id: str) -> EkmHealth:
    """The latest check known to this process, else the stored one (another process's)."""
    found = deps.ekm_health.get(vault_id) or tx.vaults.get_health(vault_id)
    return found or unknown(vault_id)


def is_stale(deps: Deps, health: EkmHealth, now: datetime) -> bool:
    """Older than the polling interval (or never checked)."""
    if health.time_checked is None:
        return True
    return now - health.time_checked > timedelta(seconds=deps.ekm_settings.health_interval)


async def check(deps: Deps, vault: Vault) -> EkmHealth:
    """Ask the vault's EKM now; remember and store the answer (and its time, and the vault's
    circuit, in the metrics: an UNREACHABLE answer counts as an ``Unavailable`` error)."""
    if deps.ekm is None:
        return unknown(vault.id)
    started = time.perf_counter()
    try:
        conn = connection_for(deps, vault)
        answer = await deps.ekm.vault_health(conn)
        health = EkmHealth(vault.id, EkmHealthState(answer.state), answer.detail, deps.clock.now())
        metrics.ekm_circuit(vault.id, deps.ekm.circuit_open(conn))
    except (EkmError, ValueError) as error:
        detail = getattr(error, "message", "unexpected health answer")
        health = EkmHealth(vault.id, EkmHealthState.UNREACHABLE, detail, deps.clock.now())
    failed = "Unavailable" if health.state is EkmHealthState.UNREACHABLE else None
    metrics.ekm_call(vault.id, "health", time.perf_counter() - started, failed)
    deps.ekm_health[vault.id] = health
    await anyio.to_thread.run_sync(store, deps, health)
    return health


def check_blocking(deps: Deps, vault: Vault) -> EkmHealth:
    """:func:`check` from a worker thread (GetVault, CreateVault)."""
    return run_blocking(lambda: check(deps, vault))


def store(deps: Deps, health: EkmHealth) -> None:
    """Persist a check (its own transaction: a lost race only loses an equally recent check)."""
    try:
        with deps.db.transaction() as tx:
            tx.vaults.put_health(health)
    except Exception:
        log.warning("could not store the EKM health of vault %s", health.vault_id)


def require_usable(deps: Deps, vault: Vault) -> None:
    """Refuse promptly when the vault's EKM is known to be BLOCKED, or just found unreachable."""
    health = deps.ekm_health.get(vault.id)
    if health is None or health.time_checked is None:
        return
    if health.state is EkmHealthState.BLOCKED:
        raise errors.ExternalVaultBlocked(
            f"The external key manager refuses this vault (BLOCKED): {health.detail}"
        )
    if health.state is not EkmHealthState.UNREACHABLE:
        return
    if deps.clock.now() - health.time_checked < timedelta(seconds=FAIL_FAST_SECONDS):
        raise errors.ExternalKeyManagerUnavailable(
            f"The external key manager is unreachable: {health.detail}"
        )


def note(deps: Deps, vault_id: str) -> None:
    """A crypto call was served by the EKM: the vault's EKM is ACTIVE (in memory; the poller
    stores its own checks)."""
    health = deps.ekm_health.get(vault_id)
    if health is None or health.state is not EkmHealthState.ACTIVE:
        ok = EkmHealth(vault_id, EkmHealthState.ACTIVE, "Served a request", deps.clock.now())
        deps.ekm_health[vault_id] = ok


def note_blocked(deps: Deps, vault_id: str, detail: str) -> None:
    """A crypto call found the vault BLOCKED: refuse the next ones at once (in memory) until
    a health check finds it ACTIVE again."""
    deps.ekm_health[vault_id] = EkmHealth(
        vault_id, EkmHealthState.BLOCKED, detail, deps.clock.now()
    )


async def poll_once(deps: Deps) -> None:
    """Check every ACTIVE EXTERNAL vault once, a few at a time."""
    vaults = await anyio.to_thread.run_sync(_external_vaults, deps)
    limit = asyncio.Semaphore(16)

    async def one(vault: Vault) -> None:
        async with limit:
            await check(deps, vault)

    await asyncio.gather(*(one(v) for v in vaults))


async def poll_forever(deps: Deps, held: Callable[[], bool] | None = None) -> None:
    """Run :func:`poll_once` every ``health_interval`` seconds until cancelled; with ``held``,
    only the rounds when it answers True (this process holds the ``ekm-health`` lease)."""
    if deps.ekm is None:
        return
    while True:
        try:
            if held is None or held():
                await poll_once(deps)
        except Exception:
            log.exception("EKM health round failed; trying again next round")
        await asyncio.sleep(deps.ekm_settings.health_interval)


def _external_vaults(deps: Deps) -> list[Vault]:
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        found = tx.vaults.list_external()
    return [v for v in found if v.state_at(now) is State.ACTIVE]


def stored(deps: Deps) -> list[tuple[Vault, EkmHealth]]:
    """Every EXTERNAL vault not deleted, with its latest stored health (for ``strongroom``)."""
    with deps.db.transaction(read_only=True) as tx:
        return [(v, known(deps, tx, v.id)) for v in tx.vaults.list_external()]
