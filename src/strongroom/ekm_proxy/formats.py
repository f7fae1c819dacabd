"""Wire formats: the EKMS ciphertext blob, XKS associated data and metadata, the XKS CDIV.

EKMS ciphertext (opaque to clients): ``0x01 || len(version) || version || nonce(12) || ct || tag``.
The AES-GCM associated data binds the key id, the version id and the caller's aad, each
length-prefixed.

XKS: ``ciphertextMetadata`` is ``0x01 || version`` (17 bytes, within the 20-byte limit), and the
AES-GCM associated data is the spec's ``len16(aad) || aad || len8(metadata) || metadata``.
"""

from __future__ import annotations

import hashlib
import struct

from strongroom.ekm_proxy.backends.base import NONCE_BYTES, TAG_BYTES
from strongroom.ekm_proxy.errors import InvalidCiphertext
from strongroom.ekm_proxy.keystore import VERSION_ID

FORMAT_V1 = 1
_EKMS_DOMAIN = b"strongroom-ekm/ekms/v1"


def ekms_aad(key_id: str, version_id: str, aad: bytes) -> bytes:
    """The AES-GCM associated data of an EKMS encryption."""
    key = key_id.encode("ascii")
    version = version_id.encode("ascii")
    return b"".join(
        (
            _EKMS_DOMAIN,
            struct.pack(">H", len(key)),
            key,
            struct.pack(">B", len(version)),
            version,
            struct.pack(">I", len(aad)),
            aad,
        )
    )


def pack_ekms(version_id: str, nonce: bytes, sealed: bytes) -> bytes:
    """Serialize an EKMS ciphertext; ``sealed`` is ciphertext || tag."""
    version = version_id.encode("ascii")
    return bytes((FORMAT_V1, len(version))) + version + nonce + sealed


def unpack_ekms(blob: bytes) -> tuple[str, bytes, bytes]:
    """Parse an EKMS ciphertext into (version id, nonce, ciphertext || tag)."""
    if len(blob) < 2 or blob[0] != FORMAT_V1:
        raise InvalidCiphertext()
    size = blob[1]
    start = 2 + size
    if len(blob) < start + NONCE_BYTES + TAG_BYTES:
        raise InvalidCiphertext()
    version_id = _version(blob[2:start])
    return version_id, blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]


def xks_metadata(version_id: str) -> bytes:
    """The XKS ciphertextMetadata naming a version."""
    return bytes((FORMAT_V1,)) + version_id.encode("ascii")


def parse_xks_metadata(metadata: bytes) -> str:
    """The version id in an XKS ciphertextMetadata."""
    if len(metadata) < 2 or metadata[0] != FORMAT_V1:
        raise InvalidCiphertext()
    return _version(metadata[1:])


def xks_aad(aad: bytes | None, metadata: bytes) -> bytes:
    """The XKS spec's associated data: len16(aad) || aad || len8(metadata) || metadata."""
    aad = aad or b""
    return struct.pack(">H", len(aad)) + aad + struct.pack(">B", len(metadata)) + metadata


def cdiv(aad: bytes | None, metadata: bytes, nonce: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    """The XKS ciphertext data integrity value (SHA-256, Appendix C of the spec)."""
    return hashlib.sha256((aad or b"") + metadata + nonce + ciphertext + tag).digest()


def _version(raw: bytes) -> str:
    try:
        version_id = raw.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidCiphertext() from None
    if not VERSION_ID.match(version_id):
        raise InvalidCiphertext()
    return version_id
