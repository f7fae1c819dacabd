"""Turning an HTTP request into a SignedRequest, as the OCI SDK signs it (draft-cavage)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from strongroom.services.identity.authn import SignatureRefused, SignedRequest

__all__ = ["parse_authorization", "signed_request"]

_PARAM = re.compile(r'(\w+)="([^"]*)"')
_BASE_HEADERS = ("(request-target)", "host")
_BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
_BODY_METHODS = ("POST", "PUT", "PATCH")


def parse_authorization(value: str | None) -> dict[str, str]:
    """The parameters of a ``Signature ...`` Authorization header."""
    if not value or not value.startswith("Signature "):
        raise SignatureRefused(
            "The request is not signed (missing Signature authorization)", "missing-signature"
        )
    params = dict(_PARAM.findall(value[len("Signature ") :]))
    for required in ("keyId", "signature", "headers"):
        if required not in params:
            raise SignatureRefused(
                f"The Signature authorization has no {required}", "missing-headers"
            )
    if params.get("algorithm", "rsa-sha256") != "rsa-sha256":
        raise SignatureRefused(
            "Only the rsa-sha256 signature algorithm is supported", "unsupported-signature"
        )
    if params.get("version", "1") != "1":
        raise SignatureRefused("Only version 1 signatures are supported", "unsupported-signature")
    return params


def signed_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
) -> SignedRequest:
    """Check the signed-header set and body hash, and build the signing string.

    ``target`` is the raw path plus query exactly as sent; ``headers`` has lower-case names.
    """
    params = parse_authorization(headers.get("authorization"))
    names = _signed_names(method, params["headers"])
    date = _date(headers, names)
    if method in _BODY_METHODS:
        _check_body(headers, body)
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            raise SignatureRefused(
                f"The signed header {name} is missing from the request", "missing-headers"
            )
    try:
        signature = binascii.a2b_base64(params["signature"], strict_mode=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused(
            "The request signature is not valid base64", "malformed-signature"
        ) from None
    return SignedRequest(params["keyId"], "\n".join(lines).encode("utf-8"), signature, date)


@functools.lru_cache(maxsize=64)
def _signed_names(method: str, signed: str) -> tuple[str, ...]:
    """The names in the signature's ``headers`` parameter, checked to cover what they must.

    Cached: clients send the same few lists over and over (errors are not cached).
    """
    names = tuple(signed.lower().split())
    required = _BASE_HEADERS + (_BODY_HEADERS if method in _BODY_METHODS else ())
    missing = [name for name in required if name not in names]
    if "date" not in names and "x-date" not in names:
        missing.append("date")
    if missing:
        raise SignatureRefused(
            f"The signature must cover the headers: {', '.join(missing)}", "missing-headers"
        )
    return names


def _date(headers: Mapping[str, str], names: tuple[str, ...]) -> datetime:
    raw = headers.get("x-date") if "x-date" in names else headers.get("date")
    try:
        return _parse_date(raw or "")
    except (TypeError, ValueError):
        raise SignatureRefused(
            "The request's date header is missing or malformed", "malformed-date"
        ) from None


@functools.lru_cache(maxsize=256)
def _parse_date(raw: str) -> datetime:
    # Cached: concurrent clients send the same one-second-resolution date many times over.
    parsed = parsedate_to_datetime(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_body(headers: Mapping[str, str], body: bytes) -> None:
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    if headers.get("x-content-sha256") != expected:
        raise SignatureRefused(
            "x-content-sha256 does not match the request body", "body-hash-mismatch"
        )
    if headers.get("content-length") != str(len(body)):
        raise SignatureRefused(
            "content-length does not match the request body", "body-hash-mismatch"
        )
