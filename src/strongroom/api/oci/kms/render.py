"""KMS results to OCI JSON shapes (the ``oci.key_management`` models of the SDK)."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import b64, rfc3339
from strongroom.domain.ekm import EkmHealth
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.vault import Vault
from strongroom.services.etags import etag_of
from strongroom.services.kms.encryption import DataKey, Decrypted, Encrypted
from strongroom.services.kms.export import Exported
from strongroom.services.kms.signatures import Signed, Verified
from strongroom.services.kms.vaults import VaultView

__all__ = [
    "data_key",
    "decrypted",
    "encrypted",
    "exported",
    "key",
    "key_etag",
    "key_shape",
    "key_summary",
    "key_version",
    "key_version_etag",
    "key_version_summary",
    "signed",
    "vault",
    "vault_ekm_fields",
    "vault_endpoints",
    "vault_etag",
    "vault_summary",
    "vault_view",
    "vault_view_summary",
    "verified",
]


def vault_endpoints(public_url: str, vault_id: str) -> dict[str, str]:
    """The URLs the SDK's KmsManagementClient and KmsCryptoClient use for this vault."""
    base = f"{public_url.rstrip('/')}/kms/{vault_id}"
    return {"managementEndpoint": f"{base}/management", "cryptoEndpoint": f"{base}/crypto"}


def vault_summary(vault: Vault, public_url: str) -> dict[str, Any]:
    return {
        "id": vault.id,
        "compartmentId": vault.compartment_id,
        "displayName": vault.display_name,
        "vaultType": vault.vault_type.value,
        "lifecycleState": vault.lifecycle_state.value,
        "timeCreated": rfc3339(vault.time_created),
        "freeformTags": vault.freeform_tags,
        "definedTags": vault.defined_tags,
        **vault_endpoints(public_url, vault.id),
    }


def vault(vault: Vault, public_url: str) -> dict[str, Any]:
    return {
        **vault_summary(vault, public_url),
        "timeOfDeletion": rfc3339(vault.time_of_deletion),
        "wrappingkeyId": None,
        "isPrimary": True,
        "isVaultReplicable": False,
    }


def vault_etag(vault: Vault) -> str:
    return etag_of(vault.id, vault.version)


def key_shape(key: Key) -> dict[str, Any]:
    shape: dict[str, Any] = {"algorithm": key.shape.algorithm.value, "length": key.shape.length}
    if key.shape.curve_id is not None:
        shape["curveId"] = key.shape.curve_id.value
    return shape


def key_summary(key: Key) -> dict[str, Any]:
    return {
        "id": key.id,
        "compartmentId": key.compartment_id,
        "vaultId": key.vault_id,
        "displayName": key.display_name,
        "lifecycleState": key.lifecycle_state.value,
        "protectionMode": key.protection_mode.value,
        "algorithm": key.shape.algorithm.value,
        "timeCreated": rfc3339(key.time_created),
        "freeformTags": key.freeform_tags,
        "definedTags": key.defined_tags,
        "isAutoRotationEnabled": False,
        **_key_ekm_fields(key),
    }


def key(key: Key) -> dict[str, Any]:
    summary = key_summary(key)
    del summary["algorithm"]
    return {
        **summary,
        "keyShape": key_shape(key),
        "currentKeyVersion": key.current_version_id,
        "timeOfDeletion": rfc3339(key.time_of_deletion),
        "isPrimary": True,
    }


def key_etag(key: Key) -> str:
    return etag_of(key.id, key.version)


def key_version_summary(kv: KeyVersion) -> dict[str, Any]:
    return {
        "id": kv.id,
        "keyId": kv.key_id,
        "compartmentId": kv.compartment_id,
        "vaultId": kv.vault_id,
        "lifecycleState": kv.lifecycle_state.value,
        "origin": kv.origin.value,
        "timeCreated": rfc3339(kv.time_created),
        "timeOfDeletion": rfc3339(kv.time_of_deletion),
        "isAutoRotated": False,
        **_key_version_ekm_fields(kv),
    }


def key_version(kv: KeyVersion) -> dict[str, Any]:
    return {**key_version_summary(kv), "publicKey": kv.public_key_pem, "isPrimary": True}


def key_version_etag(kv: KeyVersion) -> str:
    return etag_of(kv.id, kv.version)


def vault_ekm_fields(vault: Vault, health: EkmHealth | None) -> dict[str, Any]:
    """externalKeyManagerMetadataSummary (never the secret) and Strongroom's health extension."""
    ekm = vault.external
    if ekm is None:
        return {}
    fields: dict[str, Any] = {
        "externalKeyManagerMetadataSummary": {
            "externalVaultEndpointUrl": ekm.endpoint_url,
            "privateEndpointId": ekm.private_endpoint_id,
            "vendor": None,
            "oauthMetadataSummary": {
                "idcsAccountNameUrl": ekm.idp_url,
                "clientAppId": ekm.client_app_id,
            },
        },
    }
    if health is not None:
        fields["externalKeyManagerHealth"] = {
            "state": health.state.value,
            "detail": health.detail,
            "timeChecked": rfc3339(health.time_checked),
            "protocol": ekm.protocol.value,
        }
    return fields


def _key_ekm_fields(key: Key) -> dict[str, Any]:
    """Key(Summary).externalKeyReferenceDetails of an EXTERNAL key."""
    if key.external_key_id is None:
        return {}
    details = {"externalKeyId": key.external_key_id}
    if key.external_key_version_id is not None:
        details["externalKeyVersionId"] = key.external_key_version_id
    return {"externalKeyReferenceDetails": details}


def _key_version_ekm_fields(kv: KeyVersion) -> dict[str, Any]:
    """KeyVersion(Summary).externalKeyReferenceDetails of an EXTERNAL key's version."""
    if kv.external_key_id is None:
        return {}
    details = {
        "externalKeyId": kv.external_key_id,
        "externalKeyVersionId": kv.external_key_version_id,
    }
    return {"externalKeyReferenceDetails": details}


def vault_view(view: VaultView, public_url: str) -> dict[str, Any]:
    """Vault, with the EKM fields of an EXTERNAL vault."""
    return {**vault(view.vault, public_url), **vault_ekm_fields(view.vault, view.health)}


def vault_view_summary(view: VaultView, public_url: str) -> dict[str, Any]:
    """VaultSummary, with the EKM fields of an EXTERNAL vault."""
    return {**vault_summary(view.vault, public_url), **vault_ekm_fields(view.vault, view.health)}


def encrypted(result: Encrypted) -> dict[str, Any]:
    """EncryptedData."""
    return {
        "ciphertext": b64(result.ciphertext),
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "encryptionAlgorithm": result.algorithm,
    }


def decrypted(result: Decrypted) -> dict[str, Any]:
    """DecryptedData."""
    return {
        "plaintext": b64(result.plaintext),
        "plaintextChecksum": result.checksum,
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "encryptionAlgorithm": result.algorithm,
    }


def data_key(result: DataKey) -> dict[str, Any]:
    """GeneratedKey."""
    return {
        "ciphertext": b64(result.ciphertext),
        "plaintext": None if result.plaintext is None else b64(result.plaintext),
        "plaintextChecksum": result.checksum,
    }


def signed(result: Signed) -> dict[str, Any]:
    """SignedData."""
    return {
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "signature": b64(result.signature),
        "signingAlgorithm": result.algorithm,
    }


def verified(result: Verified) -> dict[str, Any]:
    """VerifiedData."""
    return {"isSignatureValid": result.is_signature_valid}


def exported(result: Exported) -> dict[str, Any]:
    """ExportedKeyData."""
    return {
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "vaultId": result.vault_id,
        "timeCreated": rfc3339(result.time_created),
        "encryptedKey": b64(result.encrypted_key),
        "algorithm": result.algorithm,
    }
