"""SigV4 signing and verification for the XKS proxy API (strongroom.crypto.sigv4)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from unittest.mock import patch
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.crypto.sigv4 import SigV4Credential, SigV4Error, SigV4Signer, sign, verify

NOW = datetime(2026, 11, 23, 19, 0, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8443/kms/xks/v1/keys/key-1/encrypt"
BODY = b'{"plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"}'
CRED = SigV4Credential("AKIDEXAMPLE1", "secret-one/with+chars")
CRED2 = SigV4Credential("AKIDEXAMPLE2", "secret-two")
CREDS = {CRED.access_key_id: CRED.secret_access_key, CRED2.access_key_id: CRED2.secret_access_key}


def _signed(
    credential: SigV4Credential = CRED,
    *,
    url: str = URL,
    body: bytes = BODY,
    region: str = "us-east-1",
    service: str = "kms-xks-proxy",
    now: datetime = NOW,
) -> dict[str, str]:
    return sign(
        "POST",
        url,
        {"Content-Type": "application/json"},
        body,
        credential,
        region,
        service=service,
        now=now,
    )


def _verify(
    headers: dict[str, str],
    *,
    url: str = URL,
    body: bytes = BODY,
    region: str | None = None,
    now: datetime = NOW,
    credentials: dict[str, str] | None = None,
) -> str:
    parts = urlsplit(url)
    headers = {**headers, "host": parts.netloc}
    return verify(
        "POST",
        parts.path,
        parts.query,
        headers,
        body,
        CREDS if credentials is None else credentials,
        region,
        now=now,
    )


def test_round_trip_returns_the_access_key_id() -> None:
    headers = _signed()
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE1/20261123/")
    assert headers["X-Amz-Date"] == "20261123T190000Z"
    assert "X-Amz-Content-SHA256" in headers
    assert _verify(headers) == "AKIDEXAMPLE1"


def test_round_trip_with_query_and_region_pinned() -> None:
    url = URL + "?b=2&a=1"
    headers = _signed(url=url, region="eu-west-1")
    assert _verify(headers, url=url, region="eu-west-1") == "AKIDEXAMPLE1"
    with pytest.raises(SigV4Error, match="region"):
        _verify(headers, url=url, region="us-east-1")


def test_two_credentials_at_once() -> None:
    assert _verify(_signed(CRED)) == "AKIDEXAMPLE1"
    assert _verify(_signed(CRED2)) == "AKIDEXAMPLE2"


def test_matches_a_plain_botocore_signature() -> None:
    """A request signed by botocore's own SigV4Auth (no content hash header) verifies."""
    request = AWSRequest(method="POST", url=URL, headers={"Content-Type": "x"}, data=BODY)
    SigV4Auth(
        Credentials(CRED.access_key_id, CRED.secret_access_key), "kms-xks-proxy", "r1"
    ).add_auth(request)
    headers = {str(k): str(v) for k, v in request.headers.items()}
    now = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert _verify(headers, now=now) == "AKIDEXAMPLE1"


def _botocore_signed(
    method: str, url: str, headers: dict[str, str], body: bytes, now: datetime
) -> dict[str, str]:
    """What ``sign`` sends, computed over botocore's own AWSRequest and SigV4Auth.add_auth."""
    send = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-amz-date")}
    send["X-Amz-Date"] = now.strftime("%Y%m%dT%H%M%SZ")
    send["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=method.upper(), url=url, headers=send, data=body)
    signer = SigV4Auth(
        Credentials(CRED.access_key_id, CRED.secret_access_key), "kms-xks-proxy", "r1"
    )
    with patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        signer.add_auth(request)
    return {str(k): str(v) for k, v in request.headers.items()}


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("POST", URL, {"content-type": "application/json", "accept": "application/json"}),
        ("post", URL.replace("key-1", "k%2F1") + "?z=1&a=2", {"User-Agent": "u", "X-A": " a  b "}),
        ("POST", "https://xks.test:443/a/./b/../kms//x", {"Authorization": "x", "x-amz-date": "y"}),
        ("POST", "http://[::1]:8080/kms/xks/v1/health", {"Host": "other:1"}),
        ("POST", URL, {"Date": "Mon, 23 Nov 2026 19:00:00 GMT"}),  # botocore's slow path
        ("POST", URL, {"X-Dup": "1", "x-dup": "2"}),  # botocore's slow path
    ],
)
def test_a_kept_signer_sends_what_botocore_would(
    method: str, url: str, headers: dict[str, str]
) -> None:
    signer = SigV4Signer(CRED, "r1")
    for body in (BODY, b"", BODY):  # the second use of a URL and day comes from its memos
        expected = _botocore_signed(method, url, headers, body, NOW)
        assert list(signer.sign(method, url, headers, body, NOW).items()) == list(expected.items())


def test_wrong_secret() -> None:
    headers = _signed(SigV4Credential(CRED.access_key_id, "not-the-secret"))
    with pytest.raises(SigV4Error, match="signature does not match"):
        _verify(headers)


def test_unknown_key_id() -> None:
    headers = _signed(SigV4Credential("AKIDUNKNOWN", "whatever"))
    with pytest.raises(SigV4Error, match="unknown access key id"):
        _verify(headers)


def test_rotated_out_credential_is_refused() -> None:
    headers = _signed(CRED)
    with pytest.raises(SigV4Error, match="unknown access key id"):
        _verify(headers, credentials={CRED2.access_key_id: CRED2.secret_access_key})


def test_tampered_body() -> None:
    headers = _signed()
    with pytest.raises(SigV4Error, match="body"):
        _verify(headers, body=BODY.replace(b"AAAA", b"AAAB"))


def test_tampered_body_without_content_hash_header() -> None:
    headers = {k: v for k, v in _signed().items() if k != "X-Amz-Content-SHA256"}
    with pytest.raises(SigV4Error):
        _verify(headers, body=BODY + b" ")


def test_tampered_header() -> None:
    headers = _signed()
    headers["Content-Type"] = "text/plain"
    with pytest.raises(SigV4Error, match="signature does not match"):
        _verify(headers)


def test_tampered_path() -> None:
    headers = _signed()
    with pytest.raises(SigV4Error, match="signature does not match"):
        _verify(headers, url=URL.replace("key-1", "key-2"))


def test_tampered_signature() -> None:
    headers = _signed()
    auth = headers["Authorization"]
    flipped = "0" if auth[-1] != "0" else "1"
    headers["Authorization"] = auth[:-1] + flipped
    with pytest.raises(SigV4Error, match="signature does not match"):
        _verify(headers)


@pytest.mark.parametrize("delta", [timedelta(minutes=5, seconds=1), -timedelta(minutes=6)])
def test_skew_past_five_minutes(delta: timedelta) -> None:
    headers = _signed(now=NOW)
    with pytest.raises(SigV4Error, match="skew"):
        _verify(headers, now=NOW + delta)


def test_skew_within_five_minutes_is_fine() -> None:
    headers = _signed(now=NOW)
    assert _verify(headers, now=NOW + timedelta(minutes=4, seconds=59)) == "AKIDEXAMPLE1"


def test_wrong_service() -> None:
    headers = _signed(service="kms")
    with pytest.raises(SigV4Error, match="service"):
        _verify(headers)


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKID/20261123/r/kms-xks-proxy/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/x/kms-xks-proxy/aws4_request, SignedHeaders=host,"
        " Signature=" + "0" * 64,
    ],
)
def test_malformed_authorization(authorization: str) -> None:
    headers = _signed()
    headers["Authorization"] = authorization
    with pytest.raises(SigV4Error):
        _verify(headers)


def test_missing_date_header() -> None:
    headers = _signed()
    del headers["X-Amz-Date"]
    with pytest.raises(SigV4Error, match="X-Amz-Date"):
        _verify(headers)


def test_credential_repr_hides_the_secret() -> None:
    assert "secret-one" not in repr(CRED)
    assert "AKIDEXAMPLE1" in repr(CRED)


def test_error_reason_never_contains_the_secret() -> None:
    headers = _signed(SigV4Credential(CRED.access_key_id, "wrong"))
    with pytest.raises(SigV4Error) as info:
        _verify(headers)
    assert CRED.secret_access_key not in str(info.value)


def test_a_kept_signer_stamps_the_current_second() -> None:
    signer = SigV4Signer(CRED, "r1")
    before = datetime.now(UTC).replace(microsecond=0)
    stamps = [signer.sign("POST", URL, {}, BODY)["X-Amz-Date"] for _ in range(3)]
    after = datetime.now(UTC)
    for stamp in stamps:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert before <= signed_at <= after
