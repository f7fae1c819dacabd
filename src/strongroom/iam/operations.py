"""Which permissions each API operation needs (all are required). Data, not code."""

from __future__ import annotations

from types import MappingProxyType

OPERATION_PERMISSIONS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        # Vaults
        "CreateVault": ("VAULT_CREATE",),
        "GetVault": ("VAULT_READ",),
        "ListVaults": ("VAULT_INSPECT",),
        "UpdateVault": ("VAULT_UPDATE",),
        "ScheduleVaultDeletion": ("VAULT_DELETE",),
        "CancelVaultDeletion": ("VAULT_DELETE",),
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
        # Cryptography
        "Encrypt": ("KEY_ENCRYPT",),
        "Decrypt": ("KEY_DECRYPT",),
        "GenerateDataEncryptionKey": ("KEY_ENCRYPT",),
        "Sign": ("KEY_SIGN",),
        "Verify": ("KEY_VERIFY",),
        "ExportKey": ("KEY_EXPORT",),
    }
)


def permissions_for(operation: str) -> tuple[str, ...]:
    """The permissions ``operation`` needs; unknown operations need an impossible permission."""
    return OPERATION_PERMISSIONS.get(operation, ("UNKNOWN_OPERATION",))
