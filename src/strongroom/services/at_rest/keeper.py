"""The at-rest keeper: one thread per process that keeps the barrier unsealed and current.

While sealed it tries to unseal every second (a KMIP server that comes back unseals the
process by itself). Once unsealed it reloads the keyring when another process rewrapped it
(at once when told by the change feed, else within a few seconds), watches the master key's
key server (a lost server does not seal a running process; it shows in /healthz and the
log), and finishes rekeys and decommissions a crash interrupted. After each round the
barrier's state goes to the metrics (``strongroom_barrier_sealed``).
"""

from __future__ import annotations

import logging
import threading
import time

from strongroom import metrics
from strongroom.domain.at_rest import ManagementType
from strongroom.domain.errors import StrongroomError
from strongroom.services.at_rest import rekey_steps
from strongroom.services.at_rest.key_servers import probe_server
from strongroom.services.at_rest.kmip_checks import active_master_key
from strongroom.services.at_rest.master_keys import server_of_key
from strongroom.services.at_rest.recovery import finish_decommissions, resume_interrupted
from strongroom.services.at_rest.unseal import stored_master_key_id, try_unseal
from strongroom.services.ports import Deps

__all__ = ["PROBE_SECONDS", "SEALED_RETRY_SECONDS", "WATCH_SECONDS", "keep_unsealed"]

SEALED_RETRY_SECONDS = 1.0
WATCH_SECONDS = 2.0
PROBE_SECONDS = 10.0  # between checks of the master key's key server (and old keys' cleanup)
log = logging.getLogger("strongroom.at_rest")


def keep_unsealed(deps: Deps, stop: threading.Event, wake: threading.Event) -> None:
    """Run until ``stop``; ``wake`` cuts a wait short (set when the keyring changed)."""
    probed = -PROBE_SECONDS
    while not stop.is_set():
        try:
            probe = time.monotonic() - probed >= PROBE_SECONDS
            _round(deps, probe)
            if probe:
                probed = time.monotonic()
        except Exception:
            log.exception("at-rest keeper round failed; trying again")
        metrics.barrier_sealed(deps.barrier.sealed)
        wake.wait(SEALED_RETRY_SECONDS if deps.barrier.sealed else WATCH_SECONDS)
        wake.clear()


def _round(deps: Deps, probe: bool) -> None:
    if deps.barrier.sealed:
        if not try_unseal(deps):
            return
    elif not rekey_steps.running_here() and stored_master_key_id(deps) != (
        deps.barrier.master_key_id
    ):
        # (A rekey running here switches the barrier itself, just after its commit.)
        log.info("The keyring was rewrapped; reloading it")
        try_unseal(deps)  # on failure the loaded keyring stays in use
    resume_interrupted(deps)
    # Time-based, not per round: a round also runs whenever the keyring changes (every rekey).
    if probe:
        _probe_master_key_server(deps)
        if not rekey_steps.running_here():  # a running rekey destroys its old key itself
            finish_decommissions(deps)


def _probe_master_key_server(deps: Deps) -> None:
    """Record whether the external master key's server answers (for /healthz)."""
    with deps.db.transaction(read_only=True) as tx:
        record = active_master_key(tx)
    if record is None or record.management_type is ManagementType.INTERNAL or deps.kmip is None:
        deps.master_key_health.clear()
        return
    health: dict[str, object] = {"keyProviderID": record.provider_id}
    try:
        probe_server(deps, server_of_key(deps, record))
        health["keyServer"] = "reachable"
    except StrongroomError as error:
        health["keyServer"] = "unreachable"
        health["reason"] = error.message
        if deps.master_key_health.get("keyServer") != "unreachable":
            log.warning("The master key's KMIP server is unreachable: %s", error.message)
    deps.master_key_health.clear()
    deps.master_key_health.update(health)
