"""Results → Element's JSON: field names, types and time format as the SDK reads them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from strongroom.domain.at_rest import AsyncResult, ManagementType, master_key_uuid
from strongroom.services.at_rest.key_providers import KeyProviderView
from strongroom.services.at_rest.key_servers import KeyServerView

__all__ = [
    "KMIP_CAPABILITIES",
    "SOFTWARE_ENCRYPTION_VERSION",
    "MasterKeyInfo",
    "async_handle",
    "async_result",
    "element_time",
    "key_provider",
    "key_server",
    "software_encryption_info",
]

KMIP_CAPABILITIES = "SSL"
SOFTWARE_ENCRYPTION_VERSION = 1


class MasterKeyInfo(Protocol):
    """What GetSoftwareEncryptionAtRestInfo renders (services.at_rest.master_key_info)."""

    @property
    def key_id(self) -> str: ...
    @property
    def key_created(self) -> datetime: ...
    @property
    def management_type(self) -> ManagementType: ...
    @property
    def provider_id(self) -> int | None: ...
    @property
    def rekey_handle(self) -> int | None: ...
    @property
    def enabled(self) -> bool: ...


def element_time(when: datetime) -> str:
    """Element's timestamps: UTC to the second, ``2016-10-07T20:44:51Z``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_server(view: KeyServerView) -> dict[str, object]:
    """A ``KeyServerKmip`` object."""
    server = view.server
    body: dict[str, object] = {
        "keyServerID": server.id,
        "kmipKeyServerName": server.name,
        "kmipKeyServerHostnames": list(server.hostnames),
        "kmipKeyServerPort": server.port,
        "kmipCaCertificate": server.ca_certificate,
        "kmipClientCertificate": server.client_certificate,
    }
    if server.provider_id is not None:
        body["keyProviderID"] = server.provider_id
        body["kmipAssignedProviderIsActive"] = view.assigned_provider_is_active
    return body


def key_provider(view: KeyProviderView) -> dict[str, object]:
    """A ``KeyProviderKmip`` object."""
    return {
        "keyProviderID": view.provider.id,
        "keyProviderName": view.provider.name,
        "keyProviderIsActive": view.is_active,
        "keyServerIDs": list(view.server_ids),
        "kmipCapabilities": KMIP_CAPABILITIES,
    }


def software_encryption_info(info: MasterKeyInfo) -> dict[str, object]:
    """GetSoftwareEncryptionAtRestInfo's result: ``state`` (what the SDK reads) and
    ``status`` (what Element's documented example shows) both say enabled."""
    state = "enabled" if info.enabled else "disabled"
    key: dict[str, object] = {
        "keyCreatedTime": element_time(info.key_created),
        "keyID": master_key_uuid(info.key_id),
        "keyManagementType": info.management_type.value,
    }
    if info.provider_id is not None:
        key["keyProviderID"] = info.provider_id
    body: dict[str, object] = {
        "state": state,
        "status": state,
        "version": SOFTWARE_ENCRYPTION_VERSION,
        "masterKeyInfo": key,
    }
    if info.rekey_handle is not None:
        body["rekeyMasterKeyAsyncResultID"] = info.rekey_handle
    return body


def _key(raw: object) -> dict[str, object]:
    source = raw if isinstance(raw, Mapping) else {}
    key: dict[str, object] = {}
    if source.get("key_id") is not None:
        key["keyID"] = master_key_uuid(str(source["key_id"]))
    if source.get("management_type") is not None:
        key["keyManagementType"] = str(source["management_type"])
    if source.get("provider_id") is not None:
        key["keyProviderID"] = source["provider_id"]
    return key


def _state(result: AsyncResult) -> str | None:
    state = result.details.get("state")
    return None if state is None else str(state)


def _outcome(result: AsyncResult) -> dict[str, object]:
    """A finished result's ``result`` in Element's names (the step it ended in included)."""
    raw = result.result or {}
    body: dict[str, object] = {}
    if "key_to_decommission" in raw:
        body["keyToDecommission"] = _key(raw["key_to_decommission"])
    if "new_key" in raw:
        body["newKey"] = _key(raw["new_key"])
    if "operation" in raw:
        body["operation"] = str(raw["operation"])
    state = _state(result)
    if state is not None:
        body["state"] = state
    return body


def _error(result: AsyncResult) -> dict[str, object]:
    raw = result.error or {}
    return {
        "code": 500,
        "name": str(raw.get("name", "xAsyncFailure")),
        "message": str(raw.get("message", "")),
    }


def async_result(result: AsyncResult) -> dict[str, object]:
    """GetAsyncResult's result: status, details (the step), result or error, times."""
    body: dict[str, object] = {
        "status": result.status,
        "resultType": result.result_type,
        "createTime": element_time(result.time_created),
        "lastUpdateTime": element_time(result.time_updated),
    }
    state = _state(result)
    body["details"] = {"state": state} if state is not None else {}
    if result.status == "complete":
        if result.error is not None:
            body["error"] = _error(result)
        else:
            body["result"] = _outcome(result)
    elif state is not None:
        body["result"] = {"state": state}  # the step the rekey is at, as Element shows it
    return body


def async_handle(result: AsyncResult) -> dict[str, object]:
    """ListAsyncResults' ``asyncHandles`` entry."""
    completed = result.status == "complete"
    if not completed:
        state = _state(result)
        data: dict[str, object] = {"state": state} if state is not None else {}
    elif result.error is not None:
        data = _error(result)
    else:
        data = _outcome(result)
    return {
        "asyncResultID": result.id,
        "completed": completed,
        "success": completed and result.error is None,
        "resultType": result.result_type,
        "createTime": element_time(result.time_created),
        "lastUpdateTime": element_time(result.time_updated),
        "data": data,
    }
