"""Sign and Verify with asymmetric keys."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import signing
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, KeyShape
from strongroom.services.context import Call
from strongroom.services.kms.key_use import check_plaintext, use_key
from strongroom.services.ports import Deps


@dataclass(frozen=True)
class Signed:
    """Result of Sign."""

    signature: bytes
    key_id: str
    key_version_id: str
    algorithm: str


def _scheme(shape: KeyShape, name: str) -> signing.Scheme:
    if shape.algorithm is Algorithm.AES:
        raise InvalidParameter("AES keys cannot sign or verify; use an RSA or ECDSA key")
    return signing.scheme_for(name, shape.algorithm, shape.curve_id)


def sign(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str | None,
    message: bytes,
    message_type: signing.MessageType,
    algorithm: str,
) -> Signed:
    """Sign a RAW message (at most 4 KB) or a DIGEST."""
    check_plaintext(message, "message")
    usable = use_key(deps, call, vault_id, key_id, version_id, "Sign")
    scheme = _scheme(usable.key.shape, algorithm)
    signature = signing.sign(usable.material, scheme, message, message_type)
    return Signed(signature, key_id, usable.version.id, algorithm)


def verify(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str,
    message: bytes,
    message_type: signing.MessageType,
    algorithm: str,
    signature: bytes,
) -> bool:
    """Whether ``signature`` is valid for ``message`` under the named version."""
    check_plaintext(message, "message")
    usable = use_key(deps, call, vault_id, key_id, version_id, "Verify")
    scheme = _scheme(usable.key.shape, algorithm)
    return signing.verify(usable.material, scheme, message, message_type, signature)
