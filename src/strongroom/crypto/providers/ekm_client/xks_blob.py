"""How an XKS encryption is kept as one ``ExternalCiphertext.blob``.

Format 1, all lengths single unsigned bytes::

    0x01 | len(iv) | len(tag) | len(metadata) | iv | tag | metadata | ciphertext

``metadata`` is the proxy's ``ciphertextMetadata`` (it names the key version the proxy used,
at most 20 bytes; empty when the proxy sent none). Decrypt passes all four parts back.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.providers.ekm_client.errors import EkmInvalidCiphertext

FORMAT = 1
_HEADER = 4


@dataclass(frozen=True)
class XksCiphertext:
    """The parts of an XKS AES-GCM encryption."""

    ciphertext: bytes
    iv: bytes
    tag: bytes
    metadata: bytes


def pack(parts: XksCiphertext) -> bytes:
    """Serialize ``parts`` (each of iv, tag and metadata at most 255 bytes)."""
    header = bytes((FORMAT, len(parts.iv), len(parts.tag), len(parts.metadata)))
    return b"".join((header, parts.iv, parts.tag, parts.metadata, parts.ciphertext))


def unpack(blob: bytes) -> XksCiphertext:
    """Parse a blob from :func:`pack`; EkmInvalidCiphertext when it is not one."""
    if len(blob) < _HEADER or blob[0] != FORMAT:
        raise EkmInvalidCiphertext("The ciphertext is not an XKS ciphertext of this format")
    iv_end = _HEADER + blob[1]
    tag_end = iv_end + blob[2]
    metadata_end = tag_end + blob[3]
    if blob[1] == 0 or blob[2] == 0 or metadata_end > len(blob):
        raise EkmInvalidCiphertext("The XKS ciphertext is truncated")
    return XksCiphertext(
        ciphertext=blob[metadata_end:],
        iv=blob[_HEADER:iv_end],
        tag=blob[iv_end:tag_end],
        metadata=blob[tag_end:metadata_end],
    )
