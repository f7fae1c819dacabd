"""Which permissions each API operation needs (all are required). Data, not code."""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["OPERATION_PERMISSIONS", "permissions_for"]

OPERATION_PERMISSIONS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        # Vaults
        "CreateVault": ("VAULT_CREATE",),
        "GetVault": ("VAULT_READ",),
        "ListVaults": ("VAULT_INSPECT",),
        "UpdateVault": ("VAULT_UPDATE",),
        "ScheduleVaultDeletion": ("VAULT_DELETE",),
        "CancelVaultDeletion": ("VAULT_DELETE",),
        # EKMS private endpoints
        "CreateEkmsPrivateEndpoint": ("EKMS_PRIVATE_ENDPOINT_CREATE",),
        "GetEkmsPrivateEndpoint": ("EKMS_PRIVATE_ENDPOINT_READ",),
        "ListEkmsPrivateEndpoints": ("EKMS_PRIVATE_ENDPOINT_INSPECT",),
        "UpdateEkmsPrivateEndpoint": ("EKMS_PRIVATE_ENDPOINT_UPDATE",),
        "DeleteEkmsPrivateEndpoint": ("EKMS_PRIVATE_ENDPOINT_DELETE",),
        # Keys
        "CreateKey": ("KEY_CREATE", "VAULT_CREATE_KEY"),
        "GetKey": ("KEY_READ",),
        "ListKeys": ("KEY_INSPECT",),
        "UpdateKey": ("KEY_UPDATE",),
        "EnableKey": ("KEY_UPDATE",),
        "DisableKey": ("KEY_UPDATE",),
        "ScheduleKeyDeletion": ("KEY_DELETE",),
        "CancelKeyDeletion": ("KEY_DELETE",),
        "CreateKeyVersion": ("KEY_ROTATE",),
        "GetKeyVersion": ("KEY_READ",),
        "ListKeyVersions": ("KEY_INSPECT",),
        "ScheduleKeyVersionDeletion": ("KEY_DELETE",),
        "CancelKeyVersionDeletion": ("KEY_DELETE",),
        # Key aliases (the Alibaba KMS API): writes need KEY_UPDATE on each key involved
        "CreateAlias": ("KEY_UPDATE",),
        "UpdateAlias": ("KEY_UPDATE",),
        "DeleteAlias": ("KEY_UPDATE",),
        "ListAliases": ("KEY_INSPECT",),
        "ListAliasesByKeyId": ("KEY_INSPECT",),
        # Key governance (services.kms.key_protection, services.kms.key_associations): turning
        # deletion protection on or off is a manage permission either way, as UpdateKey.
        "SetDeletionProtection": ("KEY_UPDATE",),
        "ListKeyAssociations": ("KEY_READ",),
        # Key policies (services.kms.key_policies): setting one is a manage permission.
        "SetKeyPolicy": ("KEY_UPDATE",),
        "GetKeyPolicy": ("KEY_READ",),
        # Tags of keys through the Alibaba KMS API (services.kms.key_tags), as UpdateKey.
        "TagResource": ("KEY_UPDATE",),
        "UntagResource": ("KEY_UPDATE",),
        # Cryptography
        "Encrypt": ("KEY_ENCRYPT",),
        "Decrypt": ("KEY_DECRYPT",),
        "GenerateDataEncryptionKey": ("KEY_ENCRYPT",),
        "GenerateAndExportDataKey": ("KEY_ENCRYPT",),
        "Sign": ("KEY_SIGN",),
        "Verify": ("KEY_VERIFY",),
        "ExportKey": ("KEY_EXPORT",),
        "ChangeVaultCompartment": ("VAULT_MOVE",),
        "ChangeKeyCompartment": ("KEY_MOVE",),
        # Secrets (CreateSecret checks each permission on its own target: see services.secrets)
        "CreateSecret": ("KEY_ENCRYPT", "KEY_DECRYPT", "SECRET_CREATE", "VAULT_CREATE_SECRET"),
        "GetSecret": ("SECRET_READ",),
        "ListSecrets": ("SECRET_INSPECT",),
        "UpdateSecret": ("SECRET_UPDATE",),
        "RotateSecret": ("SECRET_ROTATE",),
        "CancelSecretRotation": ("SECRET_ROTATE",),
        "ChangeSecretCompartment": ("SECRET_MOVE", "SECRET_UPDATE"),
        "ScheduleSecretDeletion": ("SECRET_DELETE",),
        "CancelSecretDeletion": ("SECRET_DELETE",),
        "ListSecretVersions": ("SECRET_VERSION_INSPECT",),
        "GetSecretVersion": ("SECRET_VERSION_READ",),
        "ScheduleSecretVersionDeletion": ("SECRET_VERSION_DELETE", "SECRET_UPDATE"),
        "CancelSecretVersionDeletion": ("SECRET_VERSION_DELETE", "SECRET_UPDATE"),
        "GetSecretBundle": ("SECRET_BUNDLE_READ",),
        "GetSecretBundleByName": ("SECRET_BUNDLE_READ",),
        "ListSecretBundleVersions": ("SECRET_BUNDLE_INSPECT",),
        # Work requests of secret changes, and replication status: read on the secret
        "GetWorkRequest": ("SECRET_READ",),
        "ListWorkRequests": ("SECRET_READ",),
        "ListWorkRequestErrors": ("SECRET_READ",),
        "ListWorkRequestLogs": ("SECRET_READ",),
        "GetSecretReplicationStatus": ("SECRET_READ",),
        # Identity
        "CreateCompartment": ("COMPARTMENT_CREATE",),
        "GetCompartment": ("COMPARTMENT_READ",),
        "ListCompartments": ("COMPARTMENT_INSPECT",),
        "UpdateCompartment": ("COMPARTMENT_UPDATE",),
        "DeleteCompartment": ("COMPARTMENT_DELETE",),
        "CreateUser": ("USER_CREATE",),
        "GetUser": ("USER_READ",),
        "ListUsers": ("USER_INSPECT",),
        "UpdateUser": ("USER_UPDATE",),
        "DeleteUser": ("USER_DELETE",),
        "UploadApiKey": ("USER_APIKEY_ADD",),
        "ListApiKeys": ("USER_READ",),
        "DeleteApiKey": ("USER_APIKEY_REMOVE",),
        "CreateCustomerSecretKey": ("USER_SECRETKEY_ADD",),
        "ListCustomerSecretKeys": ("USER_READ",),
        "UpdateCustomerSecretKey": ("USER_SECRETKEY_UPDATE",),
        "DeleteCustomerSecretKey": ("USER_SECRETKEY_REMOVE",),
        "CreateGroup": ("GROUP_CREATE",),
        "GetGroup": ("GROUP_READ",),
        "ListGroups": ("GROUP_INSPECT",),
        "UpdateGroup": ("GROUP_UPDATE",),
        "DeleteGroup": ("GROUP_DELETE",),
        "AddUserToGroup": ("GROUP_UPDATE", "USER_UPDATE"),
        "RemoveUserFromGroup": ("GROUP_UPDATE", "USER_UPDATE"),
        "GetUserGroupMembership": ("GROUP_READ",),
        "ListUserGroupMemberships": ("GROUP_INSPECT",),
        "CreateDynamicGroup": ("DYNAMIC_GROUP_CREATE",),
        "GetDynamicGroup": ("DYNAMIC_GROUP_READ",),
        "ListDynamicGroups": ("DYNAMIC_GROUP_INSPECT",),
        "UpdateDynamicGroup": ("DYNAMIC_GROUP_UPDATE",),
        "DeleteDynamicGroup": ("DYNAMIC_GROUP_DELETE",),
        "CreatePolicy": ("POLICY_CREATE",),
        "GetPolicy": ("POLICY_READ",),
        "ListPolicies": ("POLICY_READ",),
        "UpdatePolicy": ("POLICY_UPDATE",),
        "DeletePolicy": ("POLICY_DELETE",),
        "CreateApplication": ("APP_CREATE",),
        "ListEvents": ("AUDIT_EVENT_READ",),
        # Monitoring (services.monitoring): the deployment's metrics, in its tenancy.
        "GetMetrics": ("METRICS_READ",),
    }
)


def permissions_for(operation: str) -> tuple[str, ...]:
    """The permissions ``operation`` needs; unknown operations need an impossible permission."""
    return OPERATION_PERMISSIONS.get(operation, ("UNKNOWN_OPERATION",))
