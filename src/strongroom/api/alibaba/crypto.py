"""Cryptographic actions: Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
ReEncrypt. A ``CiphertextBlob`` is base64 of the ciphertext the OCI API returns: it names the
key version that made it, so Decrypt needs no KeyId, and a ciphertext made through one API
decrypts through the other. ``EncryptionContext`` is OCI's associatedData."""

from __future__ import annotations

import base64
from typing import Any

from strongroom.api.alibaba.action import Action, Answer
from strongroom.api.alibaba.errors import InvalidParameter
from strongroom.api.alibaba.params import Params
from strongroom.domain.key import Algorithm, KeyShape
from strongroom.services.context import Call
from strongroom.services.kms import encryption
from strongroom.services.kms.key_places import (
    place_of_ciphertext,
    place_of_key,
    version_of_ciphertext,
)
from strongroom.services.kms.reencrypt import ReEncrypted, ReEncryptRequest, re_encrypt
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "data_key_length",
    "decrypt",
    "encrypt",
    "generate_data_key",
    "generate_data_key_without_plaintext",
    "reencrypt",
]

_DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}
_AES = encryption.AES_GCM


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _finish(result: Any, render: Any) -> Answer:
    if isinstance(result, Pending):
        return result.then(render)
    rendered: dict[str, Any] = render(result)
    return rendered


def encrypt(deps: Deps, call: Call, p: Params) -> Answer:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    request = encryption.EncryptRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        plaintext=p.base64("Plaintext"),
        associated_data=p.context(),
        algorithm=_AES,
    )
    return _finish(encryption.encrypt(deps, call, request), _encrypted)


def _encrypted(done: encryption.Encrypted) -> dict[str, Any]:
    return {
        "CiphertextBlob": _b64(done.ciphertext),
        "KeyId": done.key_id,
        "KeyVersionId": done.key_version_id,
    }


def decrypt(deps: Deps, call: Call, p: Params) -> Answer:
    blob = p.base64("CiphertextBlob")
    place = place_of_ciphertext(deps, call, blob)
    request = encryption.DecryptRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        ciphertext=blob,
        associated_data=p.context(),
        algorithm=_AES,
    )
    return _finish(encryption.decrypt(deps, call, request), _decrypted)


def _decrypted(done: encryption.Decrypted) -> dict[str, Any]:
    return {
        "Plaintext": _b64(done.plaintext),
        "KeyId": done.key_id,
        "KeyVersionId": done.key_version_id,
    }


def data_key_length(p: Params) -> int:
    """A data key's length in bytes: ``NumberOfBytes`` (1 to 1024), else ``KeySpec``'s
    (AES_256, the default, or AES_128)."""
    spec = p.optional("KeySpec")
    if spec is not None and spec not in _DATA_KEY_SPECS:
        raise InvalidParameter("KeySpec", "AES_256 or AES_128")
    return p.integer("NumberOfBytes", _DATA_KEY_SPECS[spec or "AES_256"], 1, 1024)


def _data_key(deps: Deps, call: Call, p: Params, with_plaintext: bool) -> Answer:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    length = data_key_length(p)
    request = encryption.GenerateDataEncryptionKeyRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        key_shape=KeyShape(Algorithm.AES, 32),
        associated_data=p.context(),
        include_plaintext_key=with_plaintext,
        number_of_bytes=length,
    )

    def render(done: encryption.DataKey) -> dict[str, Any]:
        found = {"CiphertextBlob": _b64(done.ciphertext), "KeyId": place.key_id}
        found["KeyVersionId"] = version_of_ciphertext(done.ciphertext)
        if with_plaintext and done.plaintext is not None:
            found["Plaintext"] = _b64(done.plaintext)
        return found

    return _finish(encryption.generate_data_key(deps, call, request), render)


def generate_data_key(deps: Deps, call: Call, p: Params) -> Answer:
    return _data_key(deps, call, p, with_plaintext=True)


def generate_data_key_without_plaintext(deps: Deps, call: Call, p: Params) -> Answer:
    return _data_key(deps, call, p, with_plaintext=False)


def reencrypt(deps: Deps, call: Call, p: Params) -> Answer:
    blob = p.base64("CiphertextBlob")
    source = place_of_ciphertext(deps, call, blob)
    destination = place_of_key(deps, call, p.text("DestinationKeyId", 255))
    request = ReEncryptRequest(
        source=encryption.DecryptRequest(
            vault_id=source.vault_id,
            key_id=source.key_id,
            ciphertext=blob,
            associated_data=p.context("SourceEncryptionContext"),
            algorithm=_AES,
        ),
        destination_vault_id=destination.vault_id,
        destination_key_id=destination.key_id,
        destination_associated_data=p.context("DestinationEncryptionContext"),
    )
    return _finish(re_encrypt(deps, call, request), _reencrypted)


def _reencrypted(done: ReEncrypted) -> dict[str, Any]:
    return {
        "CiphertextBlob": _b64(done.encrypted.ciphertext),
        "KeyId": done.encrypted.key_id,
        "KeyVersionId": done.encrypted.key_version_id,
        "SourceKeyId": done.source_key_id,
        "SourceKeyVersionId": done.source_key_version_id,
    }


ACTIONS = [
    Action("Encrypt", encrypt, changes_state=False, inline=True),
    Action("Decrypt", decrypt, changes_state=False, not_found="Forbidden.KeyNotFound"),
    Action("GenerateDataKey", generate_data_key, changes_state=False, inline=True),
    Action(
        "GenerateDataKeyWithoutPlaintext",
        generate_data_key_without_plaintext,
        changes_state=False,
        inline=True,
    ),
    Action("ReEncrypt", reencrypt, changes_state=False),
]
