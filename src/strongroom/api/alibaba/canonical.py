"""What Alibaba's signatures sign, built as the official Python SDKs build it (pure functions).

- RPC, HMAC-SHA1, SignatureVersion 1.0 (``aliyun-python-sdk-core``'s ``rpc_signature_composer``;
  the Tea SDK's ``Utils.get_rpcsignature`` with ``signature_algorithm="v2"``): every parameter
  but ``Signature`` (query and form body), sorted by name, each name and value percent-encoded,
  joined ``name=value`` with ``&``; the string to sign is ``METHOD&%2F&`` and that string
  percent-encoded once more; the key is the secret followed by ``&``; base64.
- ACS3-HMAC-SHA256 (the Tea SDK's default, ``alibabacloud_tea_openapi`` ``get_authorization``):
  the canonical request ``METHOD\\nPATH\\nQUERY\\nHEADERS\\nSIGNED-HEADERS\\nPAYLOAD-HASH``,
  with the query sorted and percent-encoded as above, each signed header as
  ``name:value\\n`` (lower-case names in sorted order, values trimmed, several values sorted
  and joined with ``,``), the payload hash the lower-case hex SHA-256 of the body (of b"" when
  empty); the string to sign is ``ACS3-HMAC-SHA256\\n`` and the canonical request's hex SHA-256;
  the signature the hex HMAC-SHA256 of it under the secret.

Percent-encoding is RFC 3986's, which both SDKs produce: UTF-8, ``A-Z a-z 0-9 - _ . ~`` kept,
everything else ``%XX`` in upper case (a space is ``%20``, never ``+``). The Tea SDK leaves
parameter *names* of its ACS3 query unencoded; names are letters, digits and ``.``, so encoding
them changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote

__all__ = [
    "ACS3",
    "acs3_signature",
    "acs3_string_to_sign",
    "canonical_headers",
    "canonical_query",
    "payload_hash",
    "percent_encode",
    "rpc_signature",
    "rpc_string_to_sign",
    "rpc_string_to_sign_from_query",
]

ACS3 = "ACS3-HMAC-SHA256"


# Every ASCII character but the unreserved ones (letters, digits, - _ . ~) as %XX: ASCII text
# (nearly everything signed) is encoded by str.translate, in C.
_ASCII_ESCAPES = {
    code: f"%{code:02X}"
    for code in range(128)
    if not (chr(code).isascii() and (chr(code).isalnum() or chr(code) in "-_.~"))
}


_UNSAFE = re.compile(r"[^A-Za-z0-9_.~-]")


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of ``value``'s UTF-8 (``/`` encoded too)."""
    if value.isascii():
        return value.translate(_ASCII_ESCAPES) if _UNSAFE.search(value) else value
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """``name=value`` pairs sorted by name, percent-encoded, joined with ``&``."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params)
    )


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """HMAC-SHA1 v1.0's string to sign of the signed parameters (``Signature`` left out):
    the canonical query, percent-encoded again. Built directly: encoding an encoded pair
    changes only its ``%`` (to ``%25``) and the ``=`` and ``&`` around it."""
    pairs = "%26".join(
        f"{_again(percent_encode(name))}%3D{_again(percent_encode(params[name]))}"
        for name in sorted(params)
    )
    return f"{method.upper()}&%2F&{pairs}"


# A query already in canonical form holds only unreserved characters, "=", "&" and upper-case
# escapes of anything but an unreserved character (no "+", no lower-case escape).
_NOT_CANONICAL = re.compile(r"[^A-Za-z0-9_.~%=&-]")
_BAD_ESCAPE = re.compile(
    r"%(?![0-9A-F]{2})|%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])"
)


def rpc_string_to_sign_from_query(method: str, raw_query: str) -> str | None:
    """:func:`rpc_string_to_sign` of the query's parameters, taken from the raw query when it
    is already in canonical form (as the SDKs send it: decoding and encoding again would give
    the same text); None when it is not (the caller decodes and encodes)."""
    if _NOT_CANONICAL.search(raw_query) or _BAD_ESCAPE.search(raw_query):
        return None
    pairs = []
    for part in raw_query.split("&"):
        name, equals, value = part.partition("=")
        if not equals or not name or "%" in name or "=" in value:
            return None
        if name != "Signature":
            pairs.append((name, value))
    pairs.sort()
    joined = "%26".join([f"{name}%3D{value.replace('%', '%25')}" for name, value in pairs])
    return f"{method.upper()}&%2F&{joined}"


def _again(encoded: str) -> str:
    return encoded.replace("%", "%25") if "%" in encoded else encoded


def rpc_signature(string_to_sign: str, secret: bytes) -> bytes:
    """The base64 HMAC-SHA1 of ``string_to_sign`` under ``secret + "&"``."""
    mac = hmac.digest(secret + b"&", string_to_sign.encode("utf-8"), "sha1")
    return base64.b64encode(mac)


def payload_hash(body: bytes) -> str:
    """The lower-case hex SHA-256 of the body (``x-acs-content-sha256``)."""
    return hashlib.sha256(body).hexdigest()


def canonical_headers(headers: Mapping[str, Sequence[str]], signed: Sequence[str]) -> str:
    """The signed headers (lower-case names, sorted) as ``name:value\\n`` lines; ``headers``
    maps lower-case names to every value received (all signed names must be there)."""
    lines = []
    for name in signed:
        values = sorted(value.strip() for value in headers[name])
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def acs3_string_to_sign(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, Sequence[str]],
    signed: Sequence[str],
    body_hash: str,
) -> str:
    """ACS3-HMAC-SHA256's string to sign (``signed``: lower-case names, sorted)."""
    canonical = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(params),
            canonical_headers(headers, signed),
            ";".join(signed),
            body_hash,
        ]
    )
    return f"{ACS3}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def acs3_signature(string_to_sign: str, secret: bytes) -> bytes:
    """The lower-case hex HMAC-SHA256 of ``string_to_sign`` under ``secret``."""
    mac = hmac.new(secret, string_to_sign.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest().encode("ascii")
