"""Routes of the KmsVaultClient, KmsManagementClient and KmsCryptoClient APIs."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.kms import handlers as h

__all__ = ["CRYPTO", "KMS", "MGMT", "ROUTES"]

KMS = "/20180608"
MGMT = "/kms/{vaultId}/management/20180608"
CRYPTO = "/kms/{vaultId}/crypto/20180608"
_VAULT = f"{KMS}/vaults/{{vaultId}}"
_KEY = f"{MGMT}/keys/{{keyId}}"
_VERSIONS = f"{_KEY}/keyVersions"
_VERSION = f"{_VERSIONS}/{{keyVersionId}}"

# Symmetric crypto on cached keys runs on the event loop (see ApiRoute.inline).
ROUTES: list[ApiRoute] = [
    ApiRoute("Encrypt", "POST", f"{CRYPTO}/encrypt", h.encrypt, inline=True),
    ApiRoute("Decrypt", "POST", f"{CRYPTO}/decrypt", h.decrypt, inline=True),
    ApiRoute(
        "GenerateDataEncryptionKey",
        "POST",
        f"{CRYPTO}/generateDataEncryptionKey",
        h.generate_data_encryption_key,
        inline=True,
    ),
    ApiRoute("Sign", "POST", f"{CRYPTO}/sign", h.sign),
    ApiRoute("Verify", "POST", f"{CRYPTO}/verify", h.verify),
    ApiRoute("ExportKey", "POST", f"{CRYPTO}/exportKey", h.export_key),
    ApiRoute("CreateVault", "POST", f"{KMS}/vaults", h.create_vault, True),
    ApiRoute("ListVaults", "GET", f"{KMS}/vaults", h.list_vaults),
    ApiRoute("GetVault", "GET", _VAULT, h.get_vault),
    ApiRoute("UpdateVault", "PUT", _VAULT, h.update_vault),
    ApiRoute(
        "ScheduleVaultDeletion",
        "POST",
        f"{_VAULT}/actions/scheduleDeletion",
        h.schedule_vault_deletion,
        True,
    ),
    ApiRoute(
        "CancelVaultDeletion",
        "POST",
        f"{_VAULT}/actions/cancelDeletion",
        h.cancel_vault_deletion,
        True,
    ),
    ApiRoute(
        "ChangeVaultCompartment",
        "POST",
        f"{_VAULT}/actions/changeCompartment",
        h.change_vault_compartment,
        True,
    ),
    ApiRoute(
        "ChangeKeyCompartment",
        "POST",
        f"{_KEY}/actions/changeCompartment",
        h.change_key_compartment,
        True,
    ),
    ApiRoute("CreateKey", "POST", f"{MGMT}/keys", h.create_key, True),
    ApiRoute("ListKeys", "GET", f"{MGMT}/keys", h.list_keys),
    ApiRoute("GetKey", "GET", _KEY, h.get_key),
    ApiRoute("UpdateKey", "PUT", _KEY, h.update_key),
    ApiRoute("EnableKey", "POST", f"{_KEY}/actions/enable", h.enable_key, True),
    ApiRoute("DisableKey", "POST", f"{_KEY}/actions/disable", h.disable_key, True),
    ApiRoute(
        "ScheduleKeyDeletion",
        "POST",
        f"{_KEY}/actions/scheduleDeletion",
        h.schedule_key_deletion,
        True,
    ),
    ApiRoute(
        "CancelKeyDeletion", "POST", f"{_KEY}/actions/cancelDeletion", h.cancel_key_deletion, True
    ),
    ApiRoute("CreateKeyVersion", "POST", _VERSIONS, h.create_key_version, True),
    ApiRoute("ListKeyVersions", "GET", _VERSIONS, h.list_key_versions),
    ApiRoute("GetKeyVersion", "GET", _VERSION, h.get_key_version),
    ApiRoute(
        "ScheduleKeyVersionDeletion",
        "POST",
        f"{_VERSION}/actions/scheduleDeletion",
        h.schedule_key_version_deletion,
        True,
    ),
    ApiRoute(
        "CancelKeyVersionDeletion",
        "POST",
        f"{_VERSION}/actions/cancelDeletion",
        h.cancel_key_version_deletion,
        True,
    ),
]
