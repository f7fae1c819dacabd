"""Routes of the KmsVaultClient, KmsManagementClient and KmsCryptoClient APIs."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.kms import crypto, keys, vaults

KMS = "/20180608"
MGMT = "/kms/{vaultId}/management/20180608"
CRYPTO = "/kms/{vaultId}/crypto/20180608"
_VAULT = f"{KMS}/vaults/{{vaultId}}"
_KEY = f"{MGMT}/keys/{{keyId}}"
_VERSIONS = f"{_KEY}/keyVersions"
_VERSION = f"{_VERSIONS}/{{keyVersionId}}"

# Symmetric crypto on cached keys runs on the event loop (see ApiRoute.inline).
ROUTES: list[ApiRoute] = [
    ApiRoute("Encrypt", "POST", f"{CRYPTO}/encrypt", crypto.encrypt, inline=True),
    ApiRoute("Decrypt", "POST", f"{CRYPTO}/decrypt", crypto.decrypt, inline=True),
    ApiRoute(
        "GenerateDataEncryptionKey",
        "POST",
        f"{CRYPTO}/generateDataEncryptionKey",
        crypto.generate_data_key,
        inline=True,
    ),
    ApiRoute("Sign", "POST", f"{CRYPTO}/sign", crypto.sign),
    ApiRoute("Verify", "POST", f"{CRYPTO}/verify", crypto.verify),
    ApiRoute("ExportKey", "POST", f"{CRYPTO}/exportKey", crypto.export),
    ApiRoute("CreateVault", "POST", f"{KMS}/vaults", vaults.create, True),
    ApiRoute("ListVaults", "GET", f"{KMS}/vaults", vaults.list_),
    ApiRoute("GetVault", "GET", _VAULT, vaults.get),
    ApiRoute("UpdateVault", "PUT", _VAULT, vaults.update),
    ApiRoute(
        "ScheduleVaultDeletion",
        "POST",
        f"{_VAULT}/actions/scheduleDeletion",
        vaults.schedule_deletion,
        True,
    ),
    ApiRoute(
        "CancelVaultDeletion",
        "POST",
        f"{_VAULT}/actions/cancelDeletion",
        vaults.cancel_deletion,
        True,
    ),
    ApiRoute(
        "ChangeVaultCompartment",
        "POST",
        f"{_VAULT}/actions/changeCompartment",
        vaults.change_compartment,
        True,
    ),
    ApiRoute(
        "ChangeKeyCompartment",
        "POST",
        f"{_KEY}/actions/changeCompartment",
        keys.change_compartment,
        True,
    ),
    ApiRoute("CreateKey", "POST", f"{MGMT}/keys", keys.create, True),
    ApiRoute("ListKeys", "GET", f"{MGMT}/keys", keys.list_),
    ApiRoute("GetKey", "GET", _KEY, keys.get),
    ApiRoute("UpdateKey", "PUT", _KEY, keys.update),
    ApiRoute("EnableKey", "POST", f"{_KEY}/actions/enable", keys.enable, True),
    ApiRoute("DisableKey", "POST", f"{_KEY}/actions/disable", keys.disable, True),
    ApiRoute(
        "ScheduleKeyDeletion",
        "POST",
        f"{_KEY}/actions/scheduleDeletion",
        keys.schedule_deletion,
        True,
    ),
    ApiRoute(
        "CancelKeyDeletion", "POST", f"{_KEY}/actions/cancelDeletion", keys.cancel_deletion, True
    ),
    ApiRoute("CreateKeyVersion", "POST", _VERSIONS, keys.create_version, True),
    ApiRoute("ListKeyVersions", "GET", _VERSIONS, keys.list_versions),
    ApiRoute("GetKeyVersion", "GET", _VERSION, keys.get_version),
    ApiRoute(
        "ScheduleKeyVersionDeletion",
        "POST",
        f"{_VERSION}/actions/scheduleDeletion",
        keys.schedule_version_deletion,
        True,
    ),
    ApiRoute(
        "CancelKeyVersionDeletion",
        "POST",
        f"{_VERSION}/actions/cancelDeletion",
        keys.cancel_version_deletion,
        True,
    ),
]
