"""Reaching a master key where it lives: the data directory's file, or a KMIP key server."""

from __future__ import annotations

import os
from pathlib import Path

from strongroom.barrier.master_key import InternalMasterKey, MasterKey
from strongroom.domain.at_rest import (
    KeyServer,
    KmipFailure,
    ManagementType,
    MasterKeyRecord,
    master_key_uuid,
)
from strongroom.domain.errors import IncorrectState
from strongroom.services.at_rest.key_providers import require_provider
from strongroom.services.kmip_port import KmipConnector
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "destroy_master_key",
    "fetch_master_key",
    "provider_server",
    "server_of_key",
]


def provider_server(tx: Transaction, provider_id: int) -> KeyServer:
    """The key server of provider ``provider_id``: KeyProviderNotFound for an unknown
    provider, IncorrectState for one with no server."""
    require_provider(tx, provider_id)
    servers = tx.at_rest.servers(provider_id)
    if not servers:
        raise IncorrectState(f"Key provider {provider_id} has no key server")
    return servers[0]


def server_of_key(deps: Deps, record: MasterKeyRecord) -> KeyServer:
    """The key server holding external master key ``record``."""
    if record.provider_id is None:
        raise KmipFailure("config", f"Master key {record.key_id} names no key provider")
    with deps.db.transaction(read_only=True) as tx:
        return provider_server(tx, record.provider_id)


def fetch_master_key(deps: Deps, record: MasterKeyRecord) -> MasterKey:
    """The master key of ``record`` in memory: read from its file (internal) or fetched by
    KMIP Get from its provider's key server (external). Raises KmipFailure or
    IncorrectState saying what is missing."""
    if record.management_type is ManagementType.INTERNAL:
        return _internal_key(deps.data_dir, record.key_id)
    if record.kmip_uid is None:
        raise KmipFailure("config", f"Master key {record.key_id} has no KMIP identifier")
    server = server_of_key(deps, record)
    try:
        with _connector(deps).session(server) as session:
            material = session.get_key(record.kmip_uid)
    except KmipFailure as failure:
        raise KmipFailure(
            failure.stage,
            f"Cannot fetch master key {record.key_id} (KMIP object {record.kmip_uid}) from "
            f"key server {server.id} ({server.name}) of key provider {record.provider_id}: "
            f"{failure.message}",
        ) from None
    return MasterKey(material, record.key_id, ManagementType.EXTERNAL.value)


def destroy_master_key(deps: Deps, record: MasterKeyRecord) -> None:
    """Revoke and destroy an external master key on its server (a key already gone is
    fine); an internal one is removed with its file by the rekey itself."""
    if record.management_type is ManagementType.EXTERNAL and record.kmip_uid is not None:
        with _connector(deps).session(server_of_key(deps, record)) as session:
            session.destroy_key(record.kmip_uid)


def _internal_key(data_dir: Path | None, key_id: str) -> MasterKey:
    """The internal master key ``key_id``: ``master.key``, or the file of a rekey whose
    rename over ``master.key`` a crash interrupted (finished here)."""
    if data_dir is None:
        raise IncorrectState("No data directory: the internal master key cannot be read")
    current = data_dir / InternalMasterKey.FILENAME
    pending = data_dir / InternalMasterKey.pending_filename(key_id)
    if current.exists():
        key = InternalMasterKey.load(data_dir)
        if master_key_uuid(key.key_id) == key_id:
            return key.named(key_id)
    if pending.exists():
        key = InternalMasterKey.load(data_dir, pending.name)
        os.replace(pending, current)  # what the interrupted rekey's last step would do
        return key.named(key_id)
    raise IncorrectState(
        f"The internal master key {key_id} is not in {data_dir} (master.key is missing or "
        "holds another key)"
    )


def _connector(deps: Deps) -> KmipConnector:
    if deps.kmip is None:
        raise KmipFailure("config", "KMIP is not configured in this process")
    return deps.kmip
