"""Request signatures: every way of getting them wrong is a 401 NotAuthenticated."""

from __future__ import annotations

import base64
import copy
import email.utils
import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.support import Raw, Server, assert_oci_error, signer_for


def _create_body(tenancy: str, name: str) -> bytes:
    body = {"compartmentId": tenancy, "displayName": name, "vaultType": "DEFAULT"}
    return json.dumps(body).encode()


def _prepare(
    server: Server, method: str, path: str, body: bytes | None = None
) -> requests.PreparedRequest:
    return requests.Request(
        method,
        f"{server.url}{path}",
        data=body,
        headers={"content-type": "application/json"} if body is not None else {},
    ).prepare()


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()


def test_unsigned_requests_are_refused(server: Server, raw: Raw) -> None:
    before = raw.count_vaults()
    listing = httpx.get(f"{server.url}/20180608/vaults", params={"compartmentId": server.tenancy})
    message = assert_oci_error(listing, 401, "NotAuthenticated")
    assert "sign" in message.lower()
    created = httpx.post(
        f"{server.url}/20180608/vaults", content=_create_body(server.tenancy, "unsigned")
    )
    assert_oci_error(created, 401, "NotAuthenticated")
    assert raw.count_vaults() == before


def test_malformed_authorization_headers_are_refused(server: Server) -> None:
    url = f"{server.url}/20180608/vaults?compartmentId={server.tenancy}"
    for value in (
        "Bearer abc",
        "Signature garbage",
        'Signature version="1",keyId="x",algorithm="rsa-sha256",headers="date",signature="AAAA"',
        'Signature version="1",keyId="a/b/c",algorithm="hmac-sha256",'
        'headers="(request-target) host date",signature="AAAA"',
    ):
        response = httpx.get(
            url, headers={"authorization": value, "date": email.utils.formatdate(usegmt=True)}
        )
        assert_oci_error(response, 401, "NotAuthenticated")


def test_wrong_private_key_is_refused(server: Server, tmp_path: Path, raw: Raw) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "impostor.pem"
    key_file.write_bytes(
        impostor.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signer_for(server.config, str(key_file))
    before = raw.count_vaults()
    response = requests.get(
        f"{server.url}/20180608/vaults",
        params={"compartmentId": server.tenancy},
        auth=signer,
        timeout=10,
    )
    assert_oci_error(response, 401, "NotAuthenticated")
    response = requests.post(
        f"{server.url}/20180608/vaults",
        data=_create_body(server.tenancy, "impostor"),
        headers={"content-type": "application/json"},
        auth=signer,
        timeout=10,
    )
    assert_oci_error(response, 401, "NotAuthenticated")
    assert raw.count_vaults() == before


def test_unknown_key_id_is_refused(server: Server) -> None:
    config = dict(server.config)
    config["fingerprint"] = ":".join(["ab"] * 16)
    response = requests.get(
        f"{server.url}/20180608/vaults",
        params={"compartmentId": server.tenancy},
        auth=signer_for(config),
        timeout=10,
    )
    assert_oci_error(response, 401, "NotAuthenticated")


@pytest.mark.parametrize(("offset", "status"), [(-600, 401), (600, 401), (-120, 200)])
def test_request_dates_must_be_within_five_minutes(
    server: Server, session: requests.Session, offset: int, status: int
) -> None:
    request = _prepare(server, "GET", f"/20180608/vaults?compartmentId={server.tenancy}")
    request.headers["date"] = email.utils.formatdate(time.time() + offset, usegmt=True)
    signer_for(server.config)(request)
    response = session.send(request, timeout=10)
    if status == 200:
        assert response.status_code == 200, response.text
    else:
        message = assert_oci_error(response, status, "NotAuthenticated")
        assert "5 minutes" in message


def test_replayed_request_with_another_body_is_refused(
    server: Server, session: requests.Session, raw: Raw
) -> None:
    request = _prepare(server, "POST", "/20180608/vaults", _create_body(server.tenancy, "aaaa"))
    signer_for(server.config)(request)
    replay = copy.deepcopy(request)

    before = raw.count_vaults()
    assert session.send(request, timeout=10).status_code == 200
    assert raw.count_vaults() == before + 1

    # Same length, so only the body hash can tell.
    replay.body = _create_body(server.tenancy, "bbbb")
    response = session.send(replay, timeout=10)
    message = assert_oci_error(response, 401, "NotAuthenticated")
    assert "x-content-sha256" in message
    assert raw.count_vaults() == before + 1


def test_signed_body_hash_must_match_the_body(
    server: Server, session: requests.Session, raw: Raw
) -> None:
    body = _create_body(server.tenancy, "hashed")
    request = _prepare(server, "POST", "/20180608/vaults", body)
    other = hashlib.sha256(body + b" ").digest()
    request.headers["x-content-sha256"] = base64.b64encode(other).decode()
    signer_for(server.config)(request)  # a valid signature over the wrong hash
    before = raw.count_vaults()
    response = session.send(request, timeout=10)
    assert_oci_error(response, 401, "NotAuthenticated")
    assert raw.count_vaults() == before


def test_signature_is_bound_to_the_path(
    server: Server, session: requests.Session, raw: Raw
) -> None:
    request = _prepare(server, "GET", f"/20180608/vaults?compartmentId={server.tenancy}")
    signer_for(server.config)(request)
    moved = copy.deepcopy(request)
    moved.url = f"{server.url}/20180608/vaults?compartmentId={server.tenancy}&limit=1"
    assert session.send(request, timeout=10).status_code == 200
    assert_oci_error(session.send(moved, timeout=10), 401, "NotAuthenticated")


def test_body_requests_must_sign_the_content_headers(
    server: Server, session: requests.Session, raw: Raw
) -> None:
    request = _prepare(server, "POST", "/20180608/vaults", _create_body(server.tenancy, "nohash"))
    signer_for(server.config).do_request_sign(request, enforce_content_headers=False)
    assert "x-content-sha256" not in request.headers
    before = raw.count_vaults()
    message = assert_oci_error(session.send(request, timeout=10), 401, "NotAuthenticated")
    assert "x-content-sha256" in message
    assert raw.count_vaults() == before
