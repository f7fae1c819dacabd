"""GetSoftwareEncryptionAtRestInfo: the master key in use and the latest rekey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from strongroom.domain.at_rest import REKEY_RESULT_TYPE, ManagementType
from strongroom.domain.errors import IncorrectState
from strongroom.services.at_rest.kmip_checks import active_master_key
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "GetSoftwareEncryptionAtRestInfoRequest",
    "SoftwareEncryptionInfo",
    "software_encryption_info",
]


@dataclass(frozen=True)
class SoftwareEncryptionInfo:
    """The master key wrapping the keyring now, and the handle of the latest kept rekey."""

    key_id: str
    key_created: datetime
    management_type: ManagementType
    provider_id: int | None
    rekey_handle: int | None
    enabled: bool = True  # everything Strongroom stores is always encrypted


@dataclass(frozen=True)
class GetSoftwareEncryptionAtRestInfoRequest:
    """Ask which master key is in use and for the latest rekey."""


def software_encryption_info(
    deps: Deps, call: Call, request: GetSoftwareEncryptionAtRestInfoRequest
) -> SoftwareEncryptionInfo:
    """What GetSoftwareEncryptionAtRestInfo reports."""
    with deps.db.transaction(read_only=True) as tx:
        record = active_master_key(tx)
        rekeys = tx.at_rest.async_results([REKEY_RESULT_TYPE])
    if record is None:
        raise IncorrectState("No master key is recorded yet (Strongroom has not unsealed)")
    return SoftwareEncryptionInfo(
        key_id=record.key_id,
        key_created=record.time_created,
        management_type=record.management_type,
        provider_id=record.provider_id,
        rekey_handle=rekeys[-1].id if rekeys else None,
    )
