"""Results in the Alibaba KMS API's names and shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strongroom.domain.key import Algorithm, Key, ProtectionMode
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault, VaultType

__all__ = ["arn", "instance", "iso", "key_metadata", "key_spec", "key_state"]

# OCI lifecycle states as Alibaba's KeyState (documented in ARCHITECTURE.md).
_STATES = {
    State.CREATING: "Enabled",
    State.ENABLED: "Enabled",
    State.DISABLED: "Disabled",
    State.PENDING_DELETION: "PendingDeletion",
    State.DELETED: "Deleted",
}


def iso(value: datetime | None) -> str:
    """Alibaba's UTC time form, ``2026-12-05T18:00:00Z`` (empty when there is none)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def arn(region: str, tenancy_id: str, key_id: str) -> str:
    """The key's ARN, ``acs:kms:<region>:<tenancy>:key/<key>``."""
    return f"acs:kms:{region}:{tenancy_id}:key/{key_id}"


def key_state(state: State) -> str:
    return _STATES.get(state, state.value)


def key_spec(key: Key) -> str:
    """Alibaba's KeySpec of the key's shape."""
    shape = key.shape
    if shape.algorithm is Algorithm.AES:
        return f"Aliyun_AES_{shape.length * 8}"
    if shape.algorithm is Algorithm.RSA:
        return f"RSA_{shape.length * 8}"
    return {"NIST_P256": "EC_P256", "NIST_P384": "EC_P384", "NIST_P521": "EC_P521"}.get(
        shape.curve_id.value if shape.curve_id else "", "EC_P256"
    )


def key_metadata(key: Key, region: str) -> dict[str, Any]:
    """DescribeKey's ``KeyMetadata`` (CreateKey's too); a key of an XKI instance also shows
    the extension field ``ExternalKeyId`` (the core SDK returns the JSON as it is; the Tea
    SDK's model leaves out fields it does not know)."""
    usage = "ENCRYPT/DECRYPT" if key.shape.algorithm is not Algorithm.ECDSA else "SIGN/VERIFY"
    found: dict[str, Any] = {
        "KeyId": key.id,
        "Arn": arn(region, key.tenancy_id, key.id),
        "CreationDate": iso(key.time_created),
        "Creator": key.tenancy_id,
        "Description": key.display_name,
        "KeySpec": key_spec(key),
        "KeyUsage": usage,
        "KeyState": key_state(key.lifecycle_state),
        "DeleteDate": iso(key.time_of_deletion),
        "Origin": "EXTERNAL" if key.is_external else "Aliyun_KMS",
        "ProtectionLevel": "HSM" if key.protection_mode is ProtectionMode.HSM else "SOFTWARE",
        "DKMSInstanceId": key.vault_id,
        "PrimaryKeyVersion": key.current_version_id,
        "AutomaticRotation": "Disabled",
        "LastRotationDate": iso(key.time_created),
        "MaterialExpireTime": "",
        "DeletionProtection": "Enabled" if key.deletion_protection else "Disabled",
        "DeletionProtectionDescription": key.deletion_protection_description or "",
    }
    if key.external_key_id is not None:
        found["ExternalKeyId"] = key.external_key_id
    return found


def instance(vault: Vault, region: str, connected: bool | None) -> dict[str, Any]:
    """GetKmsInstance's ``KmsInstance``: a vault (an EXTERNAL vault is an XKI instance,
    ``XkiProxyConnected`` saying whether its key manager answers)."""
    external = vault.vault_type is VaultType.EXTERNAL
    found: dict[str, Any] = {
        "KmsInstanceId": vault.id,
        "KmsInstanceName": vault.display_name,
        "KmsInstanceArn": f"acs:kms:{region}:{vault.tenancy_id}:instance/{vault.id}",
        "InstanceType": "XKI" if external else "DEFAULT",
        "Status": "Connected" if vault.lifecycle_state is State.ACTIVE else "Disconnected",
        "CreateTime": iso(vault.time_created),
        "VpcNum": 0,
    }
    if external:
        found["XkiProxyConnected"] = bool(connected)
    return found
