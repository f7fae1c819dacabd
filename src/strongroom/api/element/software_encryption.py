"""GetSoftwareEncryptionAtRestInfo, RekeySoftwareEncryptionAtRestMasterKey, GetAsyncResult
and ListAsyncResults."""

from __future__ import annotations

from strongroom.api.element import render
from strongroom.api.element.errors import ElementError
from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import Kind, Param, Values
from strongroom.domain.at_rest import ManagementType
from strongroom.services.at_rest import async_results, master_key_info, rekey
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "METHODS",
    "get_async_result",
    "get_software_encryption_at_rest_info",
    "list_async_results",
    "management_type",
    "rekey_software_encryption_at_rest_master_key",
]


def management_type(value: str | None) -> ManagementType | None:
    """``keyManagementType`` in any case (``Internal``, ``external``...); None when absent."""
    if value is None:
        return None
    try:
        return ManagementType(value.strip().lower())
    except ValueError:
        raise ElementError(
            "xInvalidParameter",
            f"keyManagementType must be internal or external, not {value[:40]!r}",
        ) from None


def get_software_encryption_at_rest_info(
    deps: Deps, call: Call, params: Values
) -> dict[str, object]:
    """GetSoftwareEncryptionAtRestInfo → state (and status), version, masterKeyInfo,
    rekeyMasterKeyAsyncResultID."""
    info = master_key_info.software_encryption_info(
        deps, call, master_key_info.GetSoftwareEncryptionAtRestInfoRequest()
    )
    return render.software_encryption_info(info)


def rekey_software_encryption_at_rest_master_key(
    deps: Deps, call: Call, params: Values
) -> dict[str, object]:
    """RekeySoftwareEncryptionAtRestMasterKey → ``asyncHandle`` at once."""
    request = rekey.RekeyMasterKeyRequest(
        management_type=management_type(params.optional_string("keyManagementType")),
        provider_id=params.optional_integer("keyProviderID"),
    )
    return {"asyncHandle": rekey.rekey_master_key(deps, call, request)}


def get_async_result(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """GetAsyncResult → status, resultType, details, result or error, times."""
    request = async_results.GetAsyncResultRequest(
        handle=params.integer("asyncHandle"),
        keep_result=bool(params.optional_boolean("keepResult")),
    )
    return render.async_result(async_results.get_async_result(deps, call, request))


def list_async_results(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """ListAsyncResults → ``asyncHandles``."""
    request = async_results.ListAsyncResultsRequest(params.optional_strings("asyncResultTypes"))
    results = async_results.list_async_results(deps, call, request)
    return {"asyncHandles": [render.async_handle(r) for r in results]}


METHODS = (
    ElementMethod("GetSoftwareEncryptionAtRestInfo", get_software_encryption_at_rest_info),
    ElementMethod(
        "RekeySoftwareEncryptionAtRestMasterKey",
        rekey_software_encryption_at_rest_master_key,
        (Param("keyManagementType", Kind.STRING), Param("keyProviderID", Kind.ID)),
        "xKeyProviderNotFound",
    ),
    ElementMethod(
        "GetAsyncResult",
        get_async_result,
        (Param("asyncHandle", Kind.ID, required=True), Param("keepResult", Kind.BOOLEAN)),
        "xAsyncHandleNotFound",
    ),
    ElementMethod(
        "ListAsyncResults", list_async_results, (Param("asyncResultTypes", Kind.STRINGS),)
    ),
)
