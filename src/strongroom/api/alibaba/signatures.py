"""Verifying Alibaba Cloud API signatures (pure: no I/O, no clock of its own).

A transport hands over the request as received; :func:`signed_request` finds which scheme
signed it (an ``Authorization: ACS3-HMAC-SHA256 ...`` header, else a ``Signature`` parameter of
RPC signature version 1.0), checks that everything the scheme needs is there and returns a
:class:`SignedRequest`: the access key id, nonce and timestamp, the request's parameters, and
what was signed. The transport then checks the timestamp (:meth:`SignedRequest.check_timestamp`),
looks the access key's secret up and calls :meth:`SignedRequest.verify`. What was signed is
built as the official SDKs build it (see :mod:`.canonical`); errors are Alibaba's (see
:mod:`.signature_errors`).

For ACS3 the host, content-type and every ``x-acs-*`` header received must be signed (the
action and version travel in ``x-acs-action`` and ``x-acs-version``), and the body must hash to
``x-acs-content-sha256``. For HMAC-SHA1 every parameter is signed, those of a form body too.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from strongroom.api.alibaba import canonical
from strongroom.api.alibaba.request_params import RequestParams, request_params
from strongroom.api.alibaba.signature_errors import (
    IllegalTimestamp,
    IncompleteSignature,
    InvalidParameter,
    MissingParameter,
    SignatureDoesNotMatch,
)

__all__ = ["ACS3", "HMAC_SHA1", "MAX_SKEW", "SignedRequest", "signed_request"]

ACS3 = canonical.ACS3
HMAC_SHA1 = "HMAC-SHA1"
MAX_SKEW = timedelta(minutes=15)
_MAX_NONCE = 128
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d{1,6})?Z$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignedRequest:
    """A request signed by one of the two schemes, ready to verify.

    ``params`` are the request's parameters (query and form body; ``Signature`` left out);
    ``action`` and ``version`` are the ``Action``/``Version`` parameters or, for ACS3, the
    signed ``x-acs-action``/``x-acs-version`` headers.
    """

    scheme: str
    access_key_id: str
    nonce: str
    timestamp: datetime
    params: Mapping[str, str]
    action: str | None
    version: str | None
    string_to_sign: str = field(repr=False)
    signature: bytes = field(repr=False)

    def check_timestamp(self, now: datetime, max_skew: timedelta = MAX_SKEW) -> None:
        """IllegalTimestamp when the request's date is more than ``max_skew`` from ``now``."""
        if abs(now - self.timestamp) > max_skew:
            minutes = int(max_skew.total_seconds() // 60)
            raise IllegalTimestamp(
                f"The request date is more than {minutes} minutes from the server's time; "
                "check the client's clock.",
                "clock-skew",
            )

    def verify(self, secret: bytes) -> None:
        """SignatureDoesNotMatch unless the access key's ``secret`` makes this signature."""
        if self.scheme == ACS3:
            expected = canonical.acs3_signature(self.string_to_sign, secret)
        else:
            expected = canonical.rpc_signature(self.string_to_sign, secret)
        if not hmac.compare_digest(expected, self.signature):
            raise SignatureDoesNotMatch()


def signed_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
) -> SignedRequest:
    """The signed request: ``path`` as sent (undecoded), ``query`` the raw query string,
    ``headers`` as received (names in any case; a name may repeat), ``body`` its bytes."""
    received = _headers(headers)
    params = request_params(query, received, body)
    authorization = received.get("authorization")
    if authorization:
        return _acs3(method, path, params, received, body, authorization[0])
    if "Signature" in params.all:
        return _rpc(method, params, query)
    raise MissingParameter("Signature")


def _rpc_string_to_sign(
    method: str, params: RequestParams, query: str, signed: Mapping[str, str]
) -> str:
    """From the raw query when every parameter is in it, already in canonical form (what the
    SDKs send: no decoding and encoding again); else from the decoded parameters."""
    if len(params.all) == len(params.query):
        found = canonical.rpc_string_to_sign_from_query(method, query)
        if found is not None:
            return found
    return canonical.rpc_string_to_sign(method, signed)


def _headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    received: dict[str, list[str]] = {}
    for name, value in pairs:
        received.setdefault(name.lower(), []).append(value)
    return received


def _rpc(method: str, params: RequestParams, query: str) -> SignedRequest:
    values = params.all
    for name in ("AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce"):
        if not values.get(name):
            raise MissingParameter(name)
    if values["SignatureMethod"] != HMAC_SHA1 or values["SignatureVersion"] != "1.0":
        raise IncompleteSignature(
            "Only SignatureMethod HMAC-SHA1 with SignatureVersion 1.0 (or an Authorization "
            "header of ACS3-HMAC-SHA256) is supported.",
            "unsupported-signature",
        )
    if values.get("SignatureType", "") != "":
        raise IncompleteSignature("SignatureType must be empty.", "unsupported-signature")
    signed = {name: value for name, value in values.items() if name != "Signature"}
    return SignedRequest(
        HMAC_SHA1,
        values["AccessKeyId"],
        _nonce(values["SignatureNonce"]),
        _timestamp(values.get("Timestamp"), "Timestamp"),
        signed,
        values.get("Action"),
        values.get("Version"),
        _rpc_string_to_sign(method, params, query, signed),
        values["Signature"].encode("utf-8"),
    )


def _acs3(
    method: str,
    path: str,
    params: RequestParams,
    received: dict[str, list[str]],
    body: bytes,
    authorization: str,
) -> SignedRequest:
    access_key_id, signed_headers, signature = _authorization(authorization)
    for name in ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"):
        if not _one(received, name):
            raise MissingParameter(name)
    _check_signed(received, signed_headers)
    body_hash = canonical.payload_hash(body)
    if not hmac.compare_digest(_one(received, "x-acs-content-sha256").lower(), body_hash):
        raise IncompleteSignature(
            "x-acs-content-sha256 is not the SHA-256 of the body.", "body-hash-mismatch"
        )
    return SignedRequest(
        ACS3,
        access_key_id,
        _nonce(_one(received, "x-acs-signature-nonce")),
        _timestamp(_one(received, "x-acs-date"), "x-acs-date"),
        params.all,
        _one(received, "x-acs-action") or params.all.get("Action"),
        _one(received, "x-acs-version") or params.all.get("Version"),
        canonical.acs3_string_to_sign(
            method, path, params.query, received, signed_headers, body_hash
        ),
        signature.lower().encode("utf-8"),
    )


def _authorization(value: str) -> tuple[str, list[str], str]:
    """(access key id, signed header names sorted, signature) of an ACS3 Authorization."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ACS3:
        raise IncompleteSignature(
            f"The Authorization header must use {ACS3}.", "unsupported-signature"
        )
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    credential = parts.get("Credential", "")
    signed = parts.get("SignedHeaders", "")
    signature = parts.get("Signature", "")
    if not credential or not signed or not _HEX.match(signature.lower()):
        raise IncompleteSignature(
            f"The Authorization header must be {ACS3} Credential=<AccessKeyId>,"
            "SignedHeaders=<names>,Signature=<hex>.",
            "malformed-signature",
        )
    names = sorted({name.strip().lower() for name in signed.split(";")})
    return credential, names, signature


def _check_signed(received: dict[str, list[str]], signed: list[str]) -> None:
    """Every signed header is there; host, content-type and x-acs-* headers are signed."""
    for name in signed:
        if name not in received:
            raise IncompleteSignature(
                f"The signed header {name} is not in the request.", "missing-headers"
            )
    must = {"host", "content-type"} | {name for name in received if name.startswith("x-acs-")}
    unsigned = sorted(name for name in must if name in received and name not in signed)
    if unsigned:
        raise IncompleteSignature(
            f"These headers must be signed: {', '.join(unsigned)}.", "unsigned-headers"
        )


def _one(received: dict[str, list[str]], name: str) -> str:
    """The value of a header that appears once ('' when absent); InvalidParameter if more."""
    values = received.get(name, [])
    if len(values) > 1:
        raise InvalidParameter(f"The header {name} appears more than once.", "malformed-header")
    return values[0].strip() if values else ""


def _nonce(value: str) -> str:
    if not value:
        raise MissingParameter("SignatureNonce")
    if len(value) > _MAX_NONCE or not value.isascii() or not value.isprintable():
        raise InvalidParameter(
            f"SignatureNonce must be at most {_MAX_NONCE} printable ASCII characters.",
            "malformed-nonce",
        )
    return value


def _timestamp(value: str | None, name: str) -> datetime:
    """A UTC time written yyyy-MM-ddTHH:mm:ssZ (fractions of a second allowed)."""
    if not value:
        raise MissingParameter(name)
    match = _TIMESTAMP.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    except ValueError:
        raise IllegalTimestamp(
            f"{name} must be a UTC time written yyyy-MM-ddTHH:mm:ssZ.", "malformed-date"
        ) from None
