"""Sign and Verify with asymmetric keys."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import signing
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, KeyShape
from strongroom.services.context import Call
from strongroom.services.kms.key_use import check_plaintext, use_key
from strongroom.services.ports import Deps

__all__ = ["SignRequest", "Signed", "Verified", "VerifyRequest", "sign", "verify"]


@dataclass(frozen=True, kw_only=True)
class SignRequest:
    """Input of Sign: a RAW message (at most 4 KB) or a DIGEST to sign."""

    vault_id: str
    key_id: str
    key_version_id: str | None = None
    message: bytes
    message_type: signing.MessageType = signing.MessageType.RAW
    signing_algorithm: str


@dataclass(frozen=True, kw_only=True)
class VerifyRequest:
    """Input of Verify: a signature of ``message`` by the named key version."""

    vault_id: str
    key_id: str
    key_version_id: str
    message: bytes
    message_type: signing.MessageType = signing.MessageType.RAW
    signing_algorithm: str
    signature: bytes


@dataclass(frozen=True)
class Signed:
    """Result of Sign."""

    signature: bytes
    key_id: str
    key_version_id: str
    algorithm: str


@dataclass(frozen=True)
class Verified:
    """Result of Verify."""

    is_signature_valid: bool


def _scheme(shape: KeyShape, name: str) -> signing.Scheme:
    if shape.algorithm is Algorithm.AES:
        raise InvalidParameter("AES keys cannot sign or verify; use an RSA or ECDSA key")
    return signing.scheme_for(name, shape.algorithm, shape.curve_id)


def sign(deps: Deps, call: Call, request: SignRequest) -> Signed:
    """Sign a RAW message (at most 4 KB) or a DIGEST."""
    check_plaintext(request.message, "message")
    usable = use_key(deps, call, request.vault_id, request.key_id, request.key_version_id, "Sign")
    scheme = _scheme(usable.key.shape, request.signing_algorithm)
    signature = signing.sign(usable.material, scheme, request.message, request.message_type)
    return Signed(signature, request.key_id, usable.version.id, request.signing_algorithm)


def verify(deps: Deps, call: Call, request: VerifyRequest) -> Verified:
    """Whether ``signature`` is valid for ``message`` under the named version."""
    check_plaintext(request.message, "message")
    usable = use_key(deps, call, request.vault_id, request.key_id, request.key_version_id, "Verify")
    scheme = _scheme(usable.key.shape, request.signing_algorithm)
    valid = signing.verify(
        usable.material, scheme, request.message, request.message_type, request.signature
    )
    return Verified(valid)
