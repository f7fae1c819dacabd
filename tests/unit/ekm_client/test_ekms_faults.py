"""EKMS answers that are hard to get from a real EKM: malformed bodies, a ciphertext for
another key or version, each error status, a 401 that a fresh token cures."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from strongroom.crypto.providers.ekm_client import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmProtocol,
    EkmUnavailable,
    EkmVaultBlocked,
)
from tests.helpers import b64e
from tests.unit.ekm_client.fakes import (
    EKMS_URL,
    SECRET,
    FakeKey,
    Fakes,
    connection,
    managers,
    reply,
)

pytestmark = pytest.mark.anyio
CONN = connection(EkmProtocol.EKMS)


def _answer_encrypt_with(status: int, body: Any) -> Fakes:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).endswith("/encrypt"):
            if isinstance(body, bytes):
                return httpx.Response(status, content=body)
            return reply(status, body)
        return None

    fakes.hook = hook
    return fakes


def _assert_safe(error: EkmError, fakes: Fakes) -> None:
    assert SECRET not in error.message
    assert "token-" not in error.message
    assert "plaintext-bytes" not in error.message


GOOD = {"keyId": "k1", "keyVersionId": "v1", "ciphertext": b64e(b"opaque")}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b"[1, 2]", "not an object"),
        ({**GOOD, "ciphertext": None}, "'ciphertext'"),
        ({k: v for k, v in GOOD.items() if k != "ciphertext"}, "'ciphertext'"),
        ({**GOOD, "ciphertext": "***not base64***"}, "not valid base64"),
        ({**GOOD, "ciphertext": "YWJj"[:3]}, "not valid base64"),
        ({**GOOD, "keyVersionId": 7}, "'keyVersionId'"),
        ({**GOOD, "keyId": "k2"}, "a ciphertext for another key"),
    ],
)
async def test_malformed_encrypt_answers_are_bad_responses(body: Any, says: str) -> None:
    fakes = _answer_encrypt_with(200, body)
    client = managers(fakes)
    with pytest.raises(EkmBadResponse, match=says) as caught:
        await client.encrypt(CONN, "k1", None, b"plaintext-bytes", b"")
    _assert_safe(caught.value, fakes)


async def test_a_ciphertext_for_another_version_than_asked_is_refused() -> None:
    fakes = _answer_encrypt_with(200, GOOD)
    with pytest.raises(EkmBadResponse, match="another key version"):
        await managers(fakes).encrypt(CONN, "k1", "v2", b"x", b"")


async def test_a_plaintext_for_another_key_is_refused() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"secret", b"")

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).endswith("/decrypt"):
            return reply(200, {"keyId": "k9", "keyVersionId": "v1", "plaintext": b64e(b"x")})
        return None

    fakes.hook = hook
    with pytest.raises(EkmBadResponse, match="another key"):
        await client.decrypt(CONN, "k1", sealed.external_version_id, sealed.blob, b"")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"code": "KeyNotFound", "message": "x"}, EkmKeyNotFound),
        (404, {"code": "VaultNotFound", "message": "x"}, EkmKeyNotFound),
        (409, {"code": "KeyDisabled", "message": "x"}, EkmKeyDisabled),
        (409, {"code": "VaultBlocked", "message": "x"}, EkmVaultBlocked),
        (401, {"code": "NotAuthenticated", "message": "x"}, EkmAuthenticationFailed),
        (403, {"code": "Forbidden", "message": "x"}, EkmAuthenticationFailed),
        (500, {"code": "InternalServerError", "message": "x"}, EkmUnavailable),
        (503, {"code": "BackendUnavailable", "message": "x"}, EkmUnavailable),
        (502, b"bad gateway", EkmUnavailable),
        (429, {}, EkmUnavailable),
        (400, {"code": "InvalidParameter", "message": "x"}, EkmBadResponse),
    ],
)
async def test_error_statuses_map_to_their_errors(
    status: int, body: Any, error: type[EkmError]
) -> None:
    fakes = _answer_encrypt_with(status, body)
    with pytest.raises(error) as caught:
        await managers(fakes).encrypt(CONN, "k1", None, b"plaintext-bytes", b"")
    assert type(caught.value) is error
    _assert_safe(caught.value, fakes)


async def test_round_trip_binds_aad_and_names_the_version() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"secret", b"context")
    assert sealed.external_version_id == "v1"
    assert await client.decrypt(CONN, "k1", "v1", sealed.blob, b"context") == b"secret"
    with pytest.raises(EkmInvalidCiphertext):
        await client.decrypt(CONN, "k1", "v1", sealed.blob, b"other")
    with pytest.raises(EkmInvalidCiphertext):
        await client.decrypt(CONN, "k1", None, sealed.blob, b"context")
    sent = orjson.loads(fakes.requests[-1].content)  # the version-less decrypt sent nothing
    assert sent == {"ciphertext": b64e(sealed.blob), "keyVersionId": "v1", "aad": b64e(b"other")}


async def test_key_info_reports_state_and_refuses_other_shapes() -> None:
    fakes = Fakes(keys={"k1": FakeKey(), "off": FakeKey(enabled=False)})
    client = managers(fakes)
    info = await client.key_info(CONN, "k1")
    assert (info.enabled, info.current_version_id, info.algorithm, info.length_bytes) == (
        True,
        "v1",
        "AES",
        32,
    )
    assert (await client.key_info(CONN, "off")).enabled is False
    with pytest.raises(EkmKeyNotFound, match="'nope'"):
        await client.key_info(CONN, "nope")
    with pytest.raises(EkmKeyDisabled):
        await client.encrypt(CONN, "off", None, b"x", b"")

    async def hook(request: httpx.Request) -> httpx.Response | None:
        shape = {"algorithm": "RSA", "length": 256}
        body = {"keyId": "k1", "currentKeyVersionId": "v1", "keyShape": shape, "state": "ACTIVE"}
        return reply(200, body)

    fakes.hook = hook
    with pytest.raises(EkmBadResponse, match="unsupported key shape"):
        await client.key_info(CONN, "k1")


async def test_a_401_drops_the_token_and_retries_once_with_a_fresh_one() -> None:
    fakes = Fakes()
    client = managers(fakes)
    await client.encrypt(CONN, "k1", None, b"x", b"")
    assert fakes.tokens_issued == 1
    fakes.valid_tokens.clear()  # the EKM no longer accepts the cached token
    sealed = await client.encrypt(CONN, "k1", None, b"x", b"")
    assert sealed.external_version_id == "v1"
    assert fakes.tokens_issued == 2
    await client.encrypt(CONN, "k1", None, b"x", b"")
    assert fakes.tokens_issued == 2


async def test_a_401_that_persists_is_an_authentication_failure_after_one_retry() -> None:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith(EKMS_URL):
            return reply(401, {"code": "NotAuthenticated", "message": "wrong audience"})
        return None

    fakes.hook = hook
    with pytest.raises(EkmAuthenticationFailed) as caught:
        await managers(fakes).encrypt(CONN, "k1", None, b"x", b"")
    assert sum(str(r.url).startswith(EKMS_URL) for r in fakes.requests) == 2
    assert fakes.tokens_issued == 2
    _assert_safe(caught.value, fakes)


async def test_requests_carry_the_bearer_token_and_camel_case_json() -> None:
    fakes = Fakes()
    await managers(fakes).encrypt(CONN, "k1", "v1", b"pt", b"ad")
    request = fakes.requests[-1]
    assert str(request.url) == f"{EKMS_URL}/keys/k1/encrypt"
    assert request.headers["authorization"].startswith("Bearer token-1-for-")
    assert request.headers["content-type"] == "application/json"
    body = orjson.loads(request.content)
    assert body == {"plaintext": b64e(b"pt"), "keyVersionId": "v1", "aad": b64e(b"ad")}
    empty_aad = Fakes()
    await managers(empty_aad).encrypt(CONN, "k1", None, b"pt", b"")
    assert orjson.loads(empty_aad.requests[-1].content) == {"plaintext": b64e(b"pt")}


async def test_key_ids_are_one_path_segment() -> None:
    fakes = Fakes()
    with pytest.raises(EkmKeyNotFound):
        await managers(fakes).key_info(CONN, "../metadata")
    assert fakes.requests[-1].url.raw_path.endswith(b"/keys/..%2Fmetadata/metadata")
