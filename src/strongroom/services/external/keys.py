"""EXTERNAL keys at CreateKey and CreateKeyVersion: placement rules and the EKM's answer.

An EXTERNAL key lives only in an EXTERNAL vault (which holds nothing else), is AES-256, and
references a key of the vault's EKM that must exist and be enabled. Its versions record the
EKM's version they use (EKMS is version-aware; XKS is not, so there is none). Several
Strongroom keys may reference the same external key.
"""

from __future__ import annotations

from datetime import datetime

from strongroom.crypto.providers.ekm_client.connection import ExternalKeyInfo
from strongroom.crypto.providers.ekm_client.errors import EkmError
from strongroom.domain.ekm import EkmProtocolName
from strongroom.domain.errors import (
    ExternalKeyDisabled,
    ExternalKeyManagerError,
    ExternalKeyPlacement,
    InvalidParameter,
)
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import Algorithm, Key, KeyShape, KeyVersion, Origin, ProtectionMode
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.external.connection import connection_for, manager, run_blocking, translate
from strongroom.services.ports import Deps

__all__ = ["EXTERNAL_LENGTH", "check_placement", "key_info", "new_external_version"]

EXTERNAL_LENGTH = 32


def check_placement(
    vault: Vault, mode: ProtectionMode, shape: KeyShape, external_key_id: str | None
) -> None:
    """EXTERNAL keys (AES-256, with an external key id) only in EXTERNAL vaults, and back."""
    external_vault = vault.vault_type is VaultType.EXTERNAL
    if mode is ProtectionMode.EXTERNAL and not external_vault:
        raise ExternalKeyPlacement(
            "protectionMode EXTERNAL is only valid in an EXTERNAL vault", external_vault=False
        )
    if external_vault and mode is not ProtectionMode.EXTERNAL:
        raise ExternalKeyPlacement(
            "An EXTERNAL vault holds only keys of protectionMode EXTERNAL", external_vault=True
        )
    if mode is not ProtectionMode.EXTERNAL:
        if external_key_id is not None:
            raise InvalidParameter("externalKeyReference is only valid for EXTERNAL keys")
        return
    if external_key_id is None:
        raise ExternalKeyPlacement(
            "EXTERNAL keys need externalKeyReference.externalKeyId", external_vault=True
        )
    if shape.algorithm is not Algorithm.AES or shape.length != EXTERNAL_LENGTH:
        raise InvalidParameter("EXTERNAL keys must have keyShape AES with length 32")


def new_external_version(
    deps: Deps, vault: Vault, key: Key, now: datetime, requested_version_id: str | None = None
) -> KeyVersion:
    """A fresh ENABLED version of an EXTERNAL key, after asking the EKM about the key.

    ``requested_version_id`` (CreateKeyVersion's externalKeyVersionId) names the EKM version
    to use instead of its current one; only version-aware EKMs (EKMS) have versions.
    """
    assert key.external_key_id is not None
    info = key_info(deps, vault, key.external_key_id)
    if vault.external is not None and vault.external.protocol is EkmProtocolName.XKS:
        if requested_version_id is not None:
            raise InvalidParameter(
                "externalKeyVersionId cannot be used: XKS external key managers have no versions"
            )
        external_version = None
    else:
        if requested_version_id is not None:
            _probe_version(deps, vault, key.external_key_id, requested_version_id)
        external_version = requested_version_id or info.current_version_id
        if external_version is None:
            raise ExternalKeyManagerError(
                "The external key manager did not report the key's current version"
            )
    return KeyVersion(
        id=new_ocid("keyversion", deps.region, deps.random_bytes),
        key_id=key.id,
        tenancy_id=key.tenancy_id,
        compartment_id=key.compartment_id,
        vault_id=key.vault_id,
        lifecycle_state=State.ENABLED,
        origin=Origin.EXTERNAL,
        time_created=now,
        external_key_id=key.external_key_id,
        external_key_version_id=external_version,
    )


def key_info(deps: Deps, vault: Vault, external_key_id: str) -> ExternalKeyInfo:
    """The EKM's view of a key; it must exist, be enabled and be AES-256."""
    ekm, conn = manager(deps), connection_for(deps, vault)
    try:
        info = run_blocking(lambda: ekm.key_info(conn, external_key_id))
    except EkmError as error:
        raise translate(error, external_key_id, creating=True) from None
    if not info.enabled:
        raise ExternalKeyDisabled(
            f"The external key {external_key_id!r} is disabled in the external key manager"
        )
    if info.algorithm.upper() != "AES" or info.length_bytes != EXTERNAL_LENGTH:
        raise InvalidParameter(
            f"The external key {external_key_id!r} is {info.algorithm} of "
            f"{info.length_bytes} bytes; EXTERNAL keys must be AES-256"
        )
    return info


def _probe_version(deps: Deps, vault: Vault, external_key_id: str, version_id: str) -> None:
    """Check that the EKM can use a named key version (an encrypt of nothing with it)."""
    ekm, conn = manager(deps), connection_for(deps, vault)
    try:
        run_blocking(lambda: ekm.encrypt(conn, external_key_id, version_id, b"", b"probe"))
    except EkmError as error:
        raise translate(error, f"{external_key_id} version {version_id}", creating=True) from None
