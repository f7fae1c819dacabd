"""Requests signed by the real OCI SDK signer are reconstructed and verify; bad ones are refused."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oci.signer import Signer

from strongroom.api.oci.signature import parse_authorization, signed_request
from strongroom.crypto.request_signing import fingerprint, verify_signature
from strongroom.domain.errors import NotAuthenticated
from strongroom.services.identity.authn import SignedRequest

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy"
USER = "ocid1.user.oc1..aaaaaaaauser"
BASE = "http://127.0.0.1:8443"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signer(private_key: rsa.RSAPrivateKey) -> Signer:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Signer(TENANCY, USER, fingerprint(private_key.public_key()), None, None, pem)


Prepared = tuple[str, str, dict[str, str], bytes]


def _sign(
    signer: Signer | Callable[[requests.PreparedRequest], object],
    method: str,
    url: str,
    body: bytes | None = None,
) -> Prepared:
    """What a server sees: method, raw target, lower-cased headers and body bytes."""
    prepared = requests.Request(method, url, data=body).prepare()
    signer(prepared)
    headers = {k.lower(): cast(str, v) for k, v in prepared.headers.items()}  # str, as sent
    raw = prepared.body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    assert isinstance(raw, bytes)
    return prepared.method or method, prepared.path_url, headers, raw


def _check(request: SignedRequest, private_key: rsa.RSAPrivateKey) -> bool:
    return verify_signature(private_key.public_key(), request.signing_string, request.signature)


@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD"])
def test_bodyless_request_signed_by_the_sdk_verifies(
    method: str, signer: Signer, private_key: rsa.RSAPrivateKey
) -> None:
    sent = _sign(signer, method, f"{BASE}/20180608/vaults?compartmentId={TENANCY}&limit=5")
    request = signed_request(*sent)
    assert request.key_id == f"{TENANCY}/{USER}/{fingerprint(private_key.public_key())}"
    assert _check(request, private_key)
    assert abs(request.date - datetime.now(UTC)) < timedelta(minutes=1)
    assert request.date.tzinfo is not None
    assert request.signing_string.startswith(b"date: ")
    assert (
        f"(request-target): {method.lower()} /20180608/vaults?".encode() in request.signing_string
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("body", [b'{"displayName": "v", "vaultType": "DEFAULT"}', b"", b"{}"])
def test_request_with_body_signed_by_the_sdk_verifies(
    method: str, body: bytes, signer: Signer, private_key: rsa.RSAPrivateKey
) -> None:
    sent = _sign(signer, method, f"{BASE}/20180608/vaults", body)
    request = signed_request(*sent)
    assert _check(request, private_key)
    for name in (b"x-content-sha256: ", b"content-length: ", b"content-type: "):
        assert name in request.signing_string


def test_signing_string_lines_follow_the_signed_header_order(signer: Signer) -> None:
    method, target, headers, body = _sign(signer, "POST", f"{BASE}/20180608/encrypt", b"{}")
    names = parse_authorization(headers["authorization"])["headers"].split()
    lines = signed_request(method, target, headers, body).signing_string.decode().split("\n")
    assert [line.split(":", 1)[0] for line in lines] == names


def test_target_with_encoded_characters_is_used_raw(
    signer: Signer, private_key: rsa.RSAPrivateKey
) -> None:
    sent = _sign(signer, "GET", f"{BASE}/20180608/keys/ocid1.key.oc1..a%2Fb?x=%20y")
    assert "%2F" in sent[1]
    assert _check(signed_request(*sent), private_key)


def test_another_target_does_not_verify(signer: Signer, private_key: rsa.RSAPrivateKey) -> None:
    method, _, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults/a")
    forged = signed_request(method, "/20180608/vaults/b", headers, body)
    assert not _check(forged, private_key)


def test_another_method_does_not_verify(signer: Signer, private_key: rsa.RSAPrivateKey) -> None:
    _, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults/a")
    assert not _check(signed_request("DELETE", target, headers, body), private_key)


def test_a_changed_signed_header_does_not_verify(
    signer: Signer, private_key: rsa.RSAPrivateKey
) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    headers["host"] = "evil.example.com"
    assert not _check(signed_request(method, target, headers, body), private_key)


def test_x_date_may_replace_date(private_key: rsa.RSAPrivateKey) -> None:
    now = email.utils.formatdate(usegmt=True)
    names = "(request-target) host x-date"
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_string = f"(request-target): get /20180608/vaults\nhost: h\nx-date: {now}".encode()
    signature = base64.b64encode(
        private_key.sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    headers = {
        "host": "h",
        "x-date": now,
        "authorization": (
            f'Signature version="1",keyId="k",algorithm="rsa-sha256",'
            f'headers="{names}",signature="{signature}"'
        ),
    }
    request = signed_request("GET", "/20180608/vaults", headers, b"")
    assert request.signing_string == signing_string
    assert _check(request, private_key)


# --- refusals -------------------------------------------------------------------------------------


def _with_auth(headers: dict[str, str], pattern: str, replacement: str) -> dict[str, str]:
    changed = dict(headers)
    changed["authorization"] = re.sub(pattern, replacement, headers["authorization"])
    return changed


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic dXNlcjpwYXNz", "Bearer token", 'signature keyId="x"'],
)
def test_unsigned_requests_are_refused(signer: Signer, authorization: str | None) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    headers.pop("authorization")
    if authorization is not None:
        headers["authorization"] = authorization
    with pytest.raises(NotAuthenticated, match="not signed"):
        signed_request(method, target, headers, body)


@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (r'keyId="[^"]*",?', "", "no keyId"),
        (r'signature="[^"]*",?', "", "no signature"),
        (r'headers="[^"]*",?', "", "no headers"),
        (r'algorithm="rsa-sha256"', 'algorithm="hmac-sha256"', "rsa-sha256"),
        (r'version="1"', 'version="2"', "version 1"),
        (r'signature="[^"]*"', 'signature="not base64!"', "not valid base64"),
    ],
)
def test_malformed_authorization_is_refused(
    signer: Signer, pattern: str, replacement: str, message: str
) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    with pytest.raises(NotAuthenticated, match=message):
        signed_request(method, target, _with_auth(headers, pattern, replacement), body)


@pytest.mark.parametrize("dropped", ["(request-target)", "host", "date"])
def test_signature_must_cover_the_base_headers(signer: Signer, dropped: str) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    changed = _with_auth(
        headers,
        r'headers="([^"]*)"',
        lambda m: 'headers="' + " ".join(h for h in m.group(1).split() if h != dropped) + '"',  # type: ignore[arg-type]
    )
    with pytest.raises(NotAuthenticated, match="must cover the headers"):
        signed_request(method, target, changed, body)


@pytest.mark.parametrize("dropped", ["content-length", "content-type", "x-content-sha256"])
def test_body_requests_must_sign_the_body_headers(signer: Signer, dropped: str) -> None:
    method, target, headers, body = _sign(signer, "POST", f"{BASE}/20180608/vaults", b"{}")
    changed = _with_auth(
        headers,
        r'headers="([^"]*)"',
        lambda m: 'headers="' + " ".join(h for h in m.group(1).split() if h != dropped) + '"',  # type: ignore[arg-type]
    )
    with pytest.raises(NotAuthenticated, match=f"must cover the headers: {dropped}"):
        signed_request(method, target, changed, body)


def test_sdk_signature_without_content_headers_is_refused_for_post(signer: Signer) -> None:
    sent = _sign(signer.without_content_headers, "POST", f"{BASE}/20180608/vaults", b"{}")
    with pytest.raises(NotAuthenticated, match="must cover the headers"):
        signed_request(*sent)


@pytest.mark.parametrize("date", ["", "yesterday", "Mon, 99 Foo 2026 25:61:00 GMT", "1700000000"])
def test_bad_date_is_refused(signer: Signer, date: str) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    headers["date"] = date
    with pytest.raises(NotAuthenticated, match="date header is missing or malformed"):
        signed_request(method, target, headers, body)


def test_missing_date_header_is_refused(signer: Signer) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    del headers["date"]
    with pytest.raises(NotAuthenticated, match="date"):
        signed_request(method, target, headers, body)


def test_missing_signed_header_is_refused(signer: Signer) -> None:
    method, target, headers, body = _sign(signer, "GET", f"{BASE}/20180608/vaults")
    del headers["host"]
    with pytest.raises(NotAuthenticated, match="signed header host is missing"):
        signed_request(method, target, headers, body)


def test_body_hash_mismatch_is_refused(signer: Signer) -> None:
    method, target, headers, _ = _sign(signer, "POST", f"{BASE}/20180608/vaults", b'{"a": 1}')
    with pytest.raises(NotAuthenticated, match="x-content-sha256 does not match"):
        signed_request(method, target, headers, b'{"a": 2}')


def test_content_length_mismatch_is_refused(signer: Signer) -> None:
    method, target, headers, body = _sign(signer, "POST", f"{BASE}/20180608/vaults", b"{}")
    headers["content-length"] = "3"
    with pytest.raises(NotAuthenticated, match="content-length does not match"):
        signed_request(method, target, headers, body)


def test_missing_body_hash_is_refused(signer: Signer) -> None:
    method, target, headers, body = _sign(signer, "POST", f"{BASE}/20180608/vaults", b"{}")
    del headers["x-content-sha256"]
    with pytest.raises(NotAuthenticated, match="x-content-sha256"):
        signed_request(method, target, headers, body)


def test_body_hash_is_sha256_base64(signer: Signer) -> None:
    body = b'{"plaintext": "aGVsbG8="}'
    _, _, headers, _ = _sign(signer, "POST", f"{BASE}/20180608/encrypt", body)
    assert headers["x-content-sha256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
