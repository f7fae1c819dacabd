"""KmsVaultClient, KmsManagementClient and KmsCryptoClient handlers, one per operation.

Each parses its request into the use case's request (:mod:`.parse`), calls the use case and
renders the result (:mod:`.render`). Fields are parsed in the order the API has always checked
them, so the first error reported for a bad request stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.kms import parse as kp
from strongroom.api.oci.kms import render
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.key import Key, KeyVersion, ProtectionMode
from strongroom.services.kms import (
    encryption,
    export,
    key_versions,
    keys,
    moves,
    signatures,
    vault_views,
    vaults,
)
from strongroom.services.kms.vaults import VaultView
from strongroom.services.pending import Pending

__all__ = [
    "cancel_key_deletion",
    "cancel_key_version_deletion",
    "cancel_vault_deletion",
    "change_key_compartment",
    "change_vault_compartment",
    "create_key",
    "create_key_version",
    "create_vault",
    "decrypt",
    "disable_key",
    "enable_key",
    "encrypt",
    "export_key",
    "generate_data_encryption_key",
    "get_key",
    "get_key_version",
    "get_vault",
    "list_key_versions",
    "list_keys",
    "list_vaults",
    "schedule_key_deletion",
    "schedule_key_version_deletion",
    "schedule_vault_deletion",
    "sign",
    "update_key",
    "update_vault",
    "verify",
]

T = TypeVar("T")


def _reply(result: T | Pending[T], render_body: Callable[[T], Any]) -> Reply:
    """Render a result now, or once its EKM call finishes (awaited by the endpoint)."""
    if isinstance(result, Pending):
        pending: Pending[T] = result

        async def later() -> Reply:
            return Reply(render_body(await pending.result()))

        return Reply(pending=later)
    return Reply(render_body(result))


def _vault(api: Api, view: VaultView) -> Reply:
    body = render.vault_view(view, api.deps.public_url)
    return Reply(body, etag=render.vault_etag(view.vault))


def _key(key: Key) -> Reply:
    return Reply(render.key(key), etag=render.key_etag(key))


def _version(kv: KeyVersion) -> Reply:
    return Reply(render.key_version(kv), etag=render.key_version_etag(kv))


# crypto --------------------------------------------------------------------------------------
def encrypt(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = encryption.EncryptRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        plaintext=parse.required_b64(body, "plaintext", max_bytes=kp.MAX_PLAINTEXT_WIRE),
        associated_data=parse.string_map(body, "associatedData"),
        key_version_id=kp.body_key_version_id(body),
        algorithm=parse.string(body, "encryptionAlgorithm", required=False, max_len=64),
    )
    return _reply(encryption.encrypt(api.deps, req.call, request), render.encrypted)


def decrypt(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = encryption.DecryptRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        ciphertext=parse.required_b64(body, "ciphertext", max_bytes=kp.MAX_CIPHERTEXT),
        associated_data=parse.string_map(body, "associatedData"),
        key_version_id=kp.body_key_version_id(body),
        algorithm=parse.string(body, "encryptionAlgorithm", required=False, max_len=64),
    )
    return _reply(encryption.decrypt(api.deps, req.call, request), render.decrypted)


def generate_data_encryption_key(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = encryption.GenerateDataEncryptionKeyRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        key_shape=kp.shape_from(body),
        associated_data=parse.string_map(body, "associatedData"),
        include_plaintext_key=parse.boolean(body, "includePlaintextKey"),
    )
    return _reply(encryption.generate_data_key(api.deps, req.call, request), render.data_key)


def sign(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = signatures.SignRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        key_version_id=kp.body_key_version_id(body),
        message=parse.required_b64(body, "message", max_bytes=kp.MAX_PLAINTEXT_WIRE),
        message_type=kp.message_type(body),
        signing_algorithm=parse.required_string(body, "signingAlgorithm", max_len=64),
    )
    return Reply(render.signed(signatures.sign(api.deps, req.call, request)))


def verify(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = signatures.VerifyRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        key_version_id=require_ocid(body.get("keyVersionId"), "keyVersionId", "keyversion"),
        message=parse.required_b64(body, "message", max_bytes=kp.MAX_PLAINTEXT_WIRE),
        message_type=kp.message_type(body),
        signing_algorithm=parse.required_string(body, "signingAlgorithm", max_len=64),
        signature=parse.required_b64(body, "signature", max_bytes=2048),
    )
    return Reply(render.verified(signatures.verify(api.deps, req.call, request)))


def export_key(api: Api, req: OciRequest) -> Reply:
    body = req.body
    request = export.ExportKeyRequest(
        vault_id=req.path["vaultId"],
        key_id=kp.body_key_id(body),
        key_version_id=kp.body_key_version_id(body),
        algorithm=parse.required_string(body, "algorithm", max_len=64),
        public_key=parse.required_string(body, "publicKey", max_len=16384, free_text=True),
    )
    return Reply(render.exported(export.export_key(api.deps, req.call, request)))


# vaults --------------------------------------------------------------------------------------
def create_vault(api: Api, req: OciRequest) -> Reply:
    request = kp.create_vault_request(req.body)
    return _vault(api, vault_views.create_vault(api.deps, req.call, request))


def get_vault(api: Api, req: OciRequest) -> Reply:
    request = vaults.GetVaultRequest(vault_id=kp.path_vault_id(req))
    return _vault(api, vault_views.get_vault(api.deps, req.call, request))


def list_vaults(api: Api, req: OciRequest) -> Reply:
    request = vaults.ListVaultsRequest(
        compartment_id=kp.compartment_id(req.query.get("compartmentId")),
        page=parse.page_request(req.query),
    )
    page = vault_views.list_vaults(api.deps, req.call, request)
    items = [render.vault_view_summary(v, api.deps.public_url) for v in page.items]
    return Reply.page(items, page.next_offset)


def update_vault(api: Api, req: OciRequest) -> Reply:
    changes = parse.name_and_tags(req.body)
    request = vaults.UpdateVaultRequest(
        vault_id=kp.path_vault_id(req), **changes, if_match=req.if_match
    )
    return _vault(api, vault_views.update_vault(api.deps, req.call, request))


def schedule_vault_deletion(api: Api, req: OciRequest) -> Reply:
    request = vaults.ScheduleVaultDeletionRequest(
        time_of_deletion=parse.timestamp(req.body, "timeOfDeletion"),
        vault_id=kp.path_vault_id(req),
        if_match=req.if_match,
    )
    return _vault(api, vault_views.schedule_vault_deletion(api.deps, req.call, request))


def cancel_vault_deletion(api: Api, req: OciRequest) -> Reply:
    request = vaults.CancelVaultDeletionRequest(
        vault_id=kp.path_vault_id(req), if_match=req.if_match
    )
    return _vault(api, vault_views.cancel_vault_deletion(api.deps, req.call, request))


def change_vault_compartment(api: Api, req: OciRequest) -> Reply:
    request = moves.ChangeVaultCompartmentRequest(
        compartment_id=kp.compartment_id(req.body.get("compartmentId")),
        vault_id=kp.path_vault_id(req),
        if_match=req.if_match,
    )
    return _vault(api, vault_views.change_vault_compartment(api.deps, req.call, request))


# keys ----------------------------------------------------------------------------------------
def create_key(api: Api, req: OciRequest) -> Reply:
    has_hsm = ProtectionMode.HSM in api.deps.providers
    request = kp.create_key_request(req.body, req.path["vaultId"], has_hsm)
    return _key(keys.create_key(api.deps, req.call, request).key)


def get_key(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = keys.GetKeyRequest(vault_id=vault_id, key_id=key_id)
    return _key(keys.get_key(api.deps, req.call, request))


def list_keys(api: Api, req: OciRequest) -> Reply:
    page = keys.list_keys(api.deps, req.call, kp.list_keys_request(req))
    return Reply.page([render.key_summary(k) for k in page.items], page.next_offset)


def update_key(api: Api, req: OciRequest) -> Reply:
    body = req.body
    if parse.boolean(body, "isAutoRotationEnabled"):
        raise InvalidParameter("Automatic key rotation is not supported yet")
    changes = parse.name_and_tags(body)
    vault_id, key_id = kp.path_ids(req)
    request = keys.UpdateKeyRequest(
        vault_id=vault_id, key_id=key_id, **changes, if_match=req.if_match
    )
    return _key(keys.update_key(api.deps, req.call, request))


def enable_key(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = keys.EnableKeyRequest(vault_id=vault_id, key_id=key_id, if_match=req.if_match)
    return _key(keys.enable_key(api.deps, req.call, request))


def disable_key(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = keys.DisableKeyRequest(vault_id=vault_id, key_id=key_id, if_match=req.if_match)
    return _key(keys.disable_key(api.deps, req.call, request))


def schedule_key_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    vault_id, key_id = kp.path_ids(req)
    request = keys.ScheduleKeyDeletionRequest(
        vault_id=vault_id, key_id=key_id, time_of_deletion=when, if_match=req.if_match
    )
    return _key(keys.schedule_key_deletion(api.deps, req.call, request))


def cancel_key_deletion(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = keys.CancelKeyDeletionRequest(vault_id=vault_id, key_id=key_id, if_match=req.if_match)
    return _key(keys.cancel_key_deletion(api.deps, req.call, request))


def change_key_compartment(api: Api, req: OciRequest) -> Reply:
    compartment = kp.compartment_id(req.body.get("compartmentId"))
    vault_id, key_id = kp.path_ids(req)
    request = moves.ChangeKeyCompartmentRequest(
        vault_id=vault_id, key_id=key_id, compartment_id=compartment, if_match=req.if_match
    )
    return _key(moves.change_key_compartment(api.deps, req.call, request))


# key versions --------------------------------------------------------------------------------
def create_key_version(api: Api, req: OciRequest) -> Reply:
    external_version_id = kp.external_version_id(req.body)
    vault_id, key_id = kp.path_ids(req)
    request = key_versions.CreateKeyVersionRequest(
        vault_id=vault_id, key_id=key_id, external_key_version_id=external_version_id
    )
    return _version(key_versions.create_key_version(api.deps, req.call, request))


def get_key_version(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = key_versions.GetKeyVersionRequest(
        vault_id=vault_id, key_id=key_id, key_version_id=kp.path_key_version_id(req)
    )
    return _version(key_versions.get_key_version(api.deps, req.call, request))


def list_key_versions(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = key_versions.ListKeyVersionsRequest(
        vault_id=vault_id, key_id=key_id, page=parse.page_request(req.query)
    )
    page = key_versions.list_key_versions(api.deps, req.call, request)
    return Reply.page([render.key_version_summary(v) for v in page.items], page.next_offset)


def schedule_key_version_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    vault_id, key_id = kp.path_ids(req)
    request = key_versions.ScheduleKeyVersionDeletionRequest(
        vault_id=vault_id,
        key_id=key_id,
        key_version_id=kp.path_key_version_id(req),
        time_of_deletion=when,
        if_match=req.if_match,
    )
    return _version(key_versions.schedule_key_version_deletion(api.deps, req.call, request))


def cancel_key_version_deletion(api: Api, req: OciRequest) -> Reply:
    vault_id, key_id = kp.path_ids(req)
    request = key_versions.CancelKeyVersionDeletionRequest(
        vault_id=vault_id,
        key_id=key_id,
        key_version_id=kp.path_key_version_id(req),
        if_match=req.if_match,
    )
    return _version(key_versions.cancel_key_version_deletion(api.deps, req.call, request))
