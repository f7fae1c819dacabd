"""KmsCryptoClient endpoints: /kms/{vault}/crypto/20180608/{encrypt,decrypt,...}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strongroom.api.oci import parse, render
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.kms.keys import shape_from
from strongroom.crypto.signing import MessageType
from strongroom.domain.ids import require_ocid
from strongroom.services.kms import encryption, signatures
from strongroom.services.kms import export as export_key
from strongroom.services.pending import Pending

MAX_CIPHERTEXT = 8192
T = TypeVar("T")


def _reply(result: T | Pending[T], render_body: Callable[[T], Any]) -> Reply:
    """Render a result now, or once its EKM call finishes (awaited by the endpoint)."""
    if isinstance(result, Pending):
        pending: Pending[T] = result

        async def later() -> Reply:
            return Reply(render_body(await pending.result()))

        return Reply(pending=later)
    return Reply(render_body(result))


def _key_id(body: parse.Body) -> str:
    return require_ocid(body.get("keyId"), "keyId", "key")


def _version_id(body: parse.Body) -> str | None:
    value = body.get("keyVersionId")
    return None if value is None else require_ocid(value, "keyVersionId", "keyversion")


def encrypt(api: Api, req: OciRequest) -> Reply:
    body = req.body
    result = encryption.encrypt(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        parse.required_b64(body, "plaintext", max_bytes=encryption.MAX_PLAINTEXT_WIRE),
        parse.string_map(body, "associatedData"),
        _version_id(body),
        parse.string(body, "encryptionAlgorithm", required=False, max_len=64),
    )
    return _reply(result, _encrypted)


def _encrypted(result: encryption.Encrypted) -> dict[str, Any]:
    return {
        "ciphertext": render.b64(result.ciphertext),
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "encryptionAlgorithm": result.algorithm,
    }


def decrypt(api: Api, req: OciRequest) -> Reply:
    body = req.body
    result = encryption.decrypt(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        parse.required_b64(body, "ciphertext", max_bytes=MAX_CIPHERTEXT),
        parse.string_map(body, "associatedData"),
        _version_id(body),
        parse.string(body, "encryptionAlgorithm", required=False, max_len=64),
    )
    return _reply(result, _decrypted)


def _decrypted(result: encryption.Decrypted) -> dict[str, Any]:
    return {
        "plaintext": render.b64(result.plaintext),
        "plaintextChecksum": result.checksum,
        "keyId": result.key_id,
        "keyVersionId": result.key_version_id,
        "encryptionAlgorithm": result.algorithm,
    }


def generate_data_key(api: Api, req: OciRequest) -> Reply:
    body = req.body
    result = encryption.generate_data_key(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        shape_from(body),
        parse.string_map(body, "associatedData"),
        parse.boolean(body, "includePlaintextKey"),
    )
    return _reply(result, _data_key)


def _data_key(result: encryption.DataKey) -> dict[str, Any]:
    return {
        "ciphertext": render.b64(result.ciphertext),
        "plaintext": None if result.plaintext is None else render.b64(result.plaintext),
        "plaintextChecksum": result.checksum,
    }


def _message_type(body: parse.Body) -> MessageType:
    return parse.enum(MessageType, body.get("messageType", "RAW"), "messageType")


def sign(api: Api, req: OciRequest) -> Reply:
    body = req.body
    result = signatures.sign(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        _version_id(body),
        parse.required_b64(body, "message", max_bytes=encryption.MAX_PLAINTEXT_WIRE),
        _message_type(body),
        parse.required_string(body, "signingAlgorithm", max_len=64),
    )
    return Reply(
        {
            "keyId": result.key_id,
            "keyVersionId": result.key_version_id,
            "signature": render.b64(result.signature),
            "signingAlgorithm": result.algorithm,
        }
    )


def verify(api: Api, req: OciRequest) -> Reply:
    body = req.body
    valid = signatures.verify(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        require_ocid(body.get("keyVersionId"), "keyVersionId", "keyversion"),
        parse.required_b64(body, "message", max_bytes=encryption.MAX_PLAINTEXT_WIRE),
        _message_type(body),
        parse.required_string(body, "signingAlgorithm", max_len=64),
        parse.required_b64(body, "signature", max_bytes=2048),
    )
    return Reply({"isSignatureValid": valid})


def export(api: Api, req: OciRequest) -> Reply:
    body = req.body
    result = export_key.export_key(
        api.deps,
        req.call,
        req.path["vaultId"],
        _key_id(body),
        _version_id(body),
        parse.required_string(body, "algorithm", max_len=64),
        parse.required_string(body, "publicKey", max_len=16384),
    )
    return Reply(
        {
            "keyId": result.key_id,
            "keyVersionId": result.key_version_id,
            "vaultId": result.vault_id,
            "timeCreated": render.rfc3339(result.time_created),
            "encryptedKey": render.b64(result.encrypted_key),
            "algorithm": result.algorithm,
        }
    )
