"""GenerateAndExportDataKey: a data key under a KMS key (``CiphertextBlob``, as
GenerateDataKey returns it) and wrapped under the caller's RSA public key
(``ExportedDataKey``), over :mod:`strongroom.services.kms.data_key_export`.

``PublicKeyBlob`` is base64 of the public key's DER SubjectPublicKeyInfo; ``WrappingKeySpec``
says its size (RSA_2048, RSA_3072, RSA_4096; the key must be that size) and
``WrappingAlgorithm`` the padding (RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1). SM2 (EC_SM2,
SM2PKE) is not offered. Authorized as GenerateDataEncryptionKey (KEY_ENCRYPT).
"""

from __future__ import annotations

import base64
from typing import Any

from strongroom.api.alibaba.action import Action, Answer
from strongroom.api.alibaba.crypto import data_key_length
from strongroom.api.alibaba.errors import InvalidParameter
from strongroom.api.alibaba.params import Params
from strongroom.services.context import Call
from strongroom.services.kms.data_key_export import (
    ExportedDataKey,
    GenerateAndExportDataKeyRequest,
    generate_and_export_data_key,
)
from strongroom.services.kms.key_places import place_of_key
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = ["ACTIONS", "WRAPPING_ALGORITHMS", "WRAPPING_KEY_SPECS", "generate_and_export"]

WRAPPING_KEY_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
WRAPPING_ALGORITHMS = {
    "RSAES_OAEP_SHA_256": "RSA_OAEP_SHA_256",
    "RSAES_OAEP_SHA_1": "RSA_OAEP_SHA_1",
}


def generate_and_export(deps: Deps, call: Call, p: Params) -> Answer:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    spec = p.text("WrappingKeySpec", 64)
    if spec not in WRAPPING_KEY_SPECS:
        raise InvalidParameter(
            "WrappingKeySpec", f"one of {', '.join(WRAPPING_KEY_SPECS)} (SM2 is not offered)"
        )
    algorithm = p.text("WrappingAlgorithm", 64)
    if algorithm not in WRAPPING_ALGORITHMS:
        raise InvalidParameter(
            "WrappingAlgorithm", f"one of {', '.join(WRAPPING_ALGORITHMS)} (SM2 is not offered)"
        )
    request = GenerateAndExportDataKeyRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        number_of_bytes=data_key_length(p),
        associated_data=p.context(),
        public_key=p.base64("PublicKeyBlob"),
        public_key_bits=WRAPPING_KEY_SPECS[spec],
        wrapping_algorithm=WRAPPING_ALGORITHMS[algorithm],
    )
    done = generate_and_export_data_key(deps, call, request)
    if isinstance(done, Pending):
        return done.then(_exported)
    return _exported(done)


def _exported(done: ExportedDataKey) -> dict[str, Any]:
    return {
        "CiphertextBlob": base64.b64encode(done.ciphertext).decode("ascii"),
        "ExportedDataKey": base64.b64encode(done.exported_key).decode("ascii"),
        "KeyId": done.key_id,
        "KeyVersionId": done.key_version_id,
    }


ACTIONS = [
    Action("GenerateAndExportDataKey", generate_and_export, changes_state=False, inline=True),
]
