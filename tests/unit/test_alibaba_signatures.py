"""Alibaba signatures are verified exactly as the official SDKs make them: requests the Tea SDK
(ACS3-HMAC-SHA256, and HMAC-SHA1 with signature_algorithm="v2") and the core SDK (HMAC-SHA1
v1.0) really sent to a local server verify with the secret, and anything changed, a wrong
secret, a missing signature or a stale date is refused with Alibaba's error codes."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from strongroom.api.alibaba.signature_errors import (
    IllegalTimestamp,
    IncompleteSignature,
    InvalidParameter,
    MissingParameter,
    SignatureDoesNotMatch,
    SignatureError,
)
from strongroom.api.alibaba.signatures import ACS3, HMAC_SHA1, SignedRequest, signed_request
from tests.unit.alibaba_capture import Capture, Captured, capture_server

KEY_ID = "ocid1.credential.oc1.us-test-1..aaaaaaaaexampleaccesskey"
SECRET = "Zm9vYmFyYmF6cXV4K3NlY3JldC9zZWNyZXQ9PT0x"
PLAINTEXT = "aGVsbG8gd29ybGQ= +/ü~*"
CONTEXT = {"purpose": "unit test", "ü": "ß & ="}
SDKS = ["tea-acs3", "tea-v2", "core"]


@pytest.fixture(scope="module")
def sdk() -> Iterator[Capture]:
    with capture_server() as capture:
        yield capture


def _send(sdk: Capture, which: str, secret: str = SECRET) -> Captured:
    if which == "core":
        return sdk.core(KEY_ID, secret, "key-1", PLAINTEXT, json.dumps(CONTEXT))
    fields = {"key_id": "key-1", "plaintext": PLAINTEXT, "encryption_context": CONTEXT}
    return sdk.tea(KEY_ID, secret, v2=which == "tea-v2", **fields)


def _signed(sent: Captured) -> SignedRequest:
    return signed_request(sent.method, sent.path, sent.query, sent.headers, sent.body)


def _refused(error: type[SignatureError], check: Callable[[], object]) -> SignatureError:
    with pytest.raises(error) as caught:
        check()
    refused = caught.value
    for secret_thing in (SECRET, PLAINTEXT, "aGVsbG8gd29ybGQ"):
        assert secret_thing not in str(refused)
    return refused


@pytest.mark.parametrize("which", SDKS)
def test_what_each_sdk_sends_verifies(sdk: Capture, which: str) -> None:
    signed = _signed(_send(sdk, which))
    assert signed.scheme == (ACS3 if which == "tea-acs3" else HMAC_SHA1)
    assert signed.access_key_id == KEY_ID
    assert (signed.action, signed.version) == ("Encrypt", "2016-01-20")
    assert signed.params["KeyId"] == "key-1" and signed.params["Plaintext"] == PLAINTEXT
    assert json.loads(signed.params["EncryptionContext"]) == CONTEXT
    assert "Signature" not in signed.params
    assert len(signed.nonce) >= 16
    assert abs(signed.timestamp - datetime.now(UTC)) < timedelta(minutes=1)
    signed.check_timestamp(datetime.now(UTC))
    signed.verify(SECRET.encode())
    assert SECRET not in repr(signed) and "string_to_sign" not in repr(signed)


@pytest.mark.parametrize("which", SDKS)
def test_a_wrong_secret_is_refused(sdk: Capture, which: str) -> None:
    signed = _signed(_send(sdk, which))
    refused = _refused(SignatureDoesNotMatch, lambda: signed.verify(SECRET.encode() + b"x"))
    assert (refused.code, refused.status, refused.reason) == (
        "SignatureDoesNotMatch",
        400,
        "bad-signature",
    )
    other = _signed(_send(sdk, which, secret="another-secret"))
    _refused(SignatureDoesNotMatch, lambda: other.verify(SECRET.encode()))


@pytest.mark.parametrize("which", SDKS)
@pytest.mark.parametrize(
    "change",
    [("KeyId=key-1", "KeyId=key-2"), ("Plaintext=aGVs", "Plaintext=bGVs")],
    ids=["key", "plaintext"],
)
def test_a_changed_parameter_is_refused(sdk: Capture, which: str, change: tuple[str, str]) -> None:
    sent = _send(sdk, which)
    assert change[0] in sent.query
    changed = _signed(sent.with_query(sent.query.replace(*change)))
    _refused(SignatureDoesNotMatch, lambda: changed.verify(SECRET.encode()))


@pytest.mark.parametrize("which", SDKS)
def test_an_added_parameter_is_refused(sdk: Capture, which: str) -> None:
    sent = _send(sdk, which)
    added = _signed(sent.with_query(sent.query + "&DryRun=true"))
    _refused(SignatureDoesNotMatch, lambda: added.verify(SECRET.encode()))


@pytest.mark.parametrize("which", SDKS)
@pytest.mark.parametrize("skew", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_a_stale_or_future_date_is_refused(sdk: Capture, which: str, skew: timedelta) -> None:
    signed = _signed(_send(sdk, which))
    signed.check_timestamp(datetime.now(UTC) + skew / 16 * 14)  # 14 minutes off: accepted
    refused = _refused(IllegalTimestamp, lambda: signed.check_timestamp(datetime.now(UTC) + skew))
    assert (refused.code, refused.reason) == ("IllegalTimestamp", "clock-skew")
    assert "15 minutes" in str(refused)


def test_a_request_without_signature_is_refused(sdk: Capture) -> None:
    acs3 = _send(sdk, "tea-acs3").without_header("authorization")
    refused = _refused(MissingParameter, lambda: _signed(acs3))
    assert (refused.code, refused.reason) == ("MissingParameter", "missing-signature")
    assert '"Signature"' in str(refused)
    for which in ("tea-v2", "core"):
        sent = _send(sdk, which)
        unsigned = "&".join(p for p in sent.query.split("&") if not p.startswith("Signature="))
        _refused(MissingParameter, functools.partial(_signed, sent.with_query(unsigned)))


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("AccessKeyId", MissingParameter),
        ("SignatureNonce", MissingParameter),
        ("Timestamp", MissingParameter),
        ("SignatureMethod", MissingParameter),
    ],
)
def test_rpc_signature_parameters_are_required(
    sdk: Capture, name: str, error: type[SignatureError]
) -> None:
    sent = _send(sdk, "core")
    query = "&".join(p for p in sent.query.split("&") if not p.startswith(f"{name}="))
    refused = _refused(error, lambda: _signed(sent.with_query(query)))
    assert name in str(refused)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256"), IncompleteSignature),
        (("SignatureVersion=1.0", "SignatureVersion=2.0"), IncompleteSignature),
        (("Timestamp=", "Timestamp=yesterday&Old="), IllegalTimestamp),
        (("KeyId=key-1", "KeyId=key-1&KeyId=key-2"), InvalidParameter),
        (("KeyId=key-1", "KeyId=%FF"), InvalidParameter),
    ],
    ids=["method", "version", "timestamp", "twice", "not-utf-8"],
)
def test_malformed_rpc_requests_are_refused(
    sdk: Capture, change: tuple[str, str], error: type[SignatureError]
) -> None:
    sent = _send(sdk, "core")
    _refused(error, lambda: _signed(sent.with_query(sent.query.replace(*change, 1))))


def test_acs3_signs_the_headers_and_the_body(sdk: Capture) -> None:
    sent = _send(sdk, "tea-acs3")
    other_action = _signed(sent.replace_header("x-acs-action", "Decrypt"))
    _refused(SignatureDoesNotMatch, lambda: other_action.verify(SECRET.encode()))
    refused = _refused(IncompleteSignature, lambda: _signed(sent.with_body(b"KeyId=key-2")))
    assert refused.reason == "body-hash-mismatch"
    extra = sent.with_headers([*sent.headers, ("x-acs-security-token", "t")])
    refused = _refused(IncompleteSignature, lambda: _signed(extra))
    assert "x-acs-security-token" in str(refused)
    refused = _refused(IncompleteSignature, lambda: _signed(sent.without_header("user-agent")))
    assert refused.reason == "missing-headers"
    for name in ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"):
        _refused(MissingParameter, functools.partial(_signed, sent.without_header(name)))
    stale = _signed(sent.replace_header("x-acs-date", "2020-01-01T00:00:00Z"))
    _refused(IllegalTimestamp, lambda: stale.check_timestamp(datetime.now(UTC)))
    _refused(IllegalTimestamp, lambda: _signed(sent.replace_header("x-acs-date", "today")))


@pytest.mark.parametrize(
    "authorization",
    [
        'Signature version="1",keyId="a/b/c",algorithm="rsa-sha256",signature="x"',
        "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=xyz",
    ],
    ids=["oci", "sm3", "no-signature", "no-credential", "not-hex"],
)
def test_malformed_authorization_headers_are_refused(sdk: Capture, authorization: str) -> None:
    sent = _send(sdk, "tea-acs3").replace_header("authorization", authorization)
    _refused(IncompleteSignature, lambda: _signed(sent))


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_parameters_in_a_form_body_are_signed(sdk: Capture, v2: bool) -> None:
    body = {"Description": "a b & c = ü", "KeyUsage": "ENCRYPT/DECRYPT"}
    sent = sdk.tea_form(KEY_ID, SECRET, {"ExternalKeyId": "ext key/1"}, body, v2)
    signed = _signed(sent)
    assert (signed.action, signed.params["ExternalKeyId"]) == ("CreateKey", "ext key/1")
    assert signed.params["Description"] == body["Description"]
    signed.verify(SECRET.encode())
    changed = sent.body.replace(b"ENCRYPT", b"SIGN%2F")
    if v2:
        tampered = _signed(sent.with_body(changed))
        _refused(SignatureDoesNotMatch, lambda: tampered.verify(SECRET.encode()))
    else:
        _refused(IncompleteSignature, lambda: _signed(sent.with_body(changed)))
    both = sent.with_query(sent.query + "&KeyUsage=SIGN%2FVERIFY")
    _refused(InvalidParameter, lambda: _signed(both))
