"""What operators and callers learn from refused requests: why a signature was refused (in
the log and the audit trail, never to the caller), the access log line, the endpoint a
misdirected request belongs to, and the keyVersionId an old RSA ciphertext needs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import oci
import pytest
import requests
from oci.key_management import models as m

from tests.helpers import b64e
from tests.integration import iam_support, support
from tests.integration.support import Raw, Server

GENERIC = "The request signature is not valid"


def _rid() -> str:
    return f"REF{uuid.uuid4().hex.upper()}"


def _encrypt_url(vault: m.Vault) -> str:
    return f"{vault.crypto_endpoint}/20180608/encrypt"


def _signed(signer: oci.signer.Signer, url: str, rid: str, **headers: str) -> requests.Response:
    return requests.post(
        url, json={}, auth=signer, headers={"opc-request-id": rid, **headers}, timeout=10
    )


def _reasons(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """request id -> reason, from the access log's refusal warnings."""
    found = {}
    for record in caplog.records:
        fields = getattr(record, "fields", None)
        if record.name == "strongroom.access" and fields and "reason" in fields:
            found[fields["request_id"]] = fields["reason"]
    return found


def test_each_refused_signature_says_why_to_the_operator_only(
    server: Server, shared_vault: m.Vault, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.access")
    config, url = server.config, _encrypt_url(shared_vault)
    other_key, _ = iam_support.write_private_key(tmp_path)
    wrong_fingerprint = ":".join(["0f"] * 16)
    signers = {
        "bad-signature": support.signer_for(config, str(other_key)),
        "unknown-key-id": oci.signer.Signer(
            config["tenancy"],
            "ocid1.user.oc1..nosuchuser",
            config["fingerprint"],
            config["key_file"],
        ),
        "fingerprint-mismatch": oci.signer.Signer(
            config["tenancy"], config["user"], wrong_fingerprint, config["key_file"]
        ),
        "malformed-key-id": oci.signer.Signer(
            config["tenancy"], config["user"], "not-a-fingerprint", config["key_file"]
        ),
    }
    sent: dict[str, str] = {}
    for reason, signer in signers.items():
        sent[reason] = rid = _rid()
        response = _signed(signer, url, rid)
        message = support.assert_oci_error(response, 401, "NotAuthenticated")
        if reason != "malformed-key-id":
            assert message == GENERIC  # the caller cannot tell these apart
    sent["clock-skew"] = rid = _rid()
    stale = "Mon, 01 Jan 2001 00:00:00 GMT"
    _signed(support.signer_for(config), url, rid, date=stale)
    sent["missing-signature"] = rid = _rid()
    requests.post(url, json={}, headers={"opc-request-id": rid}, timeout=10)
    sent["missing-headers"] = rid = _rid()
    bare = 'Signature keyId="a/b/c",algorithm="rsa-sha256"'
    requests.post(url, json={}, headers={"opc-request-id": rid, "authorization": bare}, timeout=10)
    sent["body-hash-mismatch"] = rid = _rid()
    prepared = requests.Request("POST", url, data=b"{}", headers={"opc-request-id": rid})
    ready = prepared.prepare()
    support.signer_for(config)(ready)
    ready.body = b'{"a":1}'
    ready.headers["content-length"] = str(len(ready.body))
    assert requests.Session().send(ready, timeout=10).status_code == 401

    logged = _reasons(caplog)
    assert {reason: logged.get(rid) for reason, rid in sent.items()} == {r: r for r in sent}
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    skew = next(line for line in lines if sent["clock-skew"] in line)
    assert skew.startswith("POST /kms/") and " Encrypt 401 " in skew
    assert "principal=-" in skew and skew.endswith("reason=clock-skew")
    assert not any("Signature " in line or "signature=" in line for line in lines)

    # The audit trail of the claimed tenancy has the operation and the reason.
    server.deps.audit.flush()  # type: ignore[union-attr]
    end = datetime.now(UTC) + timedelta(seconds=5)
    client = oci.audit.AuditClient(
        config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    events = oci.pagination.list_call_get_all_results(
        client.list_events, server.tenancy, end - timedelta(minutes=5), end
    ).data
    by_request = {e.data.request.id: e.data for e in events}
    for reason in ("bad-signature", "fingerprint-mismatch", "clock-skew", "unknown-key-id"):
        event = by_request[sent[reason]]
        assert event.event_name == "Encrypt"
        assert event.additional_details == {"decision": "unauthenticated", "reason": reason}
        assert event.compartment_id is None
        assert event.identity.tenant_id == server.tenancy


def test_an_authenticated_call_is_logged_with_its_principal(
    server: Server,
    shared_crypto: oci.key_management.KmsCryptoClient,
    shared_keys: dict[str, m.Key],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.access")
    rid = _rid()
    key = shared_keys["aes"]
    details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"never logged"))
    shared_crypto.encrypt(details, opc_request_id=rid)
    (record,) = [r for r in caplog.records if rid in r.getMessage()]
    line = record.getMessage()
    assert line.startswith("POST /kms/") and "/crypto/20180608/encrypt Encrypt 200 " in line
    assert line.endswith(f"principal={server.config['user']} request={rid}")
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["operation"] == "Encrypt" and fields["status"] == 200
    assert fields["duration_ms"] >= 0 and fields["principal"] == server.config["user"]
    assert b64e(b"never logged") not in line


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        (
            "POST",
            "/20180608/encrypt",
            "Encrypt is served on the vault's cryptoEndpoint:"
            " POST /kms/{vaultId}/crypto/20180608/encrypt",
        ),
        (
            "GET",
            "/20180608/vaults/",
            "ListVaults is served on the server URL:"
            " GET /20180608/vaults (without a trailing slash)",
        ),
    ],
)
def test_a_request_to_the_wrong_endpoint_names_the_right_one(
    raw: Raw, method: str, path: str, expected: str
) -> None:
    response = raw.request(method, path, body={} if method == "POST" else None)
    message = support.assert_oci_error(response, 404, "NotAuthorizedOrNotFound")
    assert message == f"No such API path; {expected}"


def test_crypto_on_the_management_endpoint_names_the_crypto_endpoint(
    server: Server, shared_vault: m.Vault, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["aes"]
    wrong = oci.key_management.KmsCryptoClient(
        server.config,
        service_endpoint=shared_vault.management_endpoint,
        retry_strategy=support.NO_RETRY,
    )
    error = support.service_error(
        wrong.encrypt, m.EncryptDataDetails(key_id=key.id, plaintext="aGk="), status=404
    )
    assert "Encrypt is served on the vault's cryptoEndpoint" in error.message
    unknown = requests.get(f"{server.url}/nothing/here", timeout=10)
    assert unknown.json()["message"] == "No such API path"


def test_rsa_decrypt_after_rotation_asks_for_the_key_version(
    kms: oci.key_management.KmsManagementClient,
    crypto: oci.key_management.KmsCryptoClient,
    rsa_key: m.Key,
) -> None:
    algorithm = "RSA_OAEP_SHA_256"
    encrypted = crypto.encrypt(
        m.EncryptDataDetails(
            key_id=rsa_key.id, plaintext=b64e(b"old"), encryption_algorithm=algorithm
        )
    ).data
    fresh = crypto.encrypt(
        m.EncryptDataDetails(
            key_id=rsa_key.id, plaintext=b64e(b"x"), encryption_algorithm=algorithm
        )
    ).data
    garbage = m.DecryptDataDetails(
        key_id=rsa_key.id, ciphertext=b64e(b"\x00" * 256), encryption_algorithm=algorithm
    )
    before = support.service_error(crypto.decrypt, garbage, status=400)
    assert "keyVersionId" not in before.message  # one version: nothing to suggest
    kms.create_key_version(rsa_key.id)

    stale = m.DecryptDataDetails(
        key_id=rsa_key.id, ciphertext=encrypted.ciphertext, encryption_algorithm=algorithm
    )
    error = support.service_error(crypto.decrypt, stale, status=400, code="InvalidParameter")
    assert "keyVersionId of the version that encrypted" in error.message
    versioned = m.DecryptDataDetails(
        key_id=rsa_key.id,
        ciphertext=encrypted.ciphertext,
        key_version_id=encrypted.key_version_id,
        encryption_algorithm=algorithm,
    )
    assert crypto.decrypt(versioned).data.plaintext == b64e(b"old")
    wrong_version = m.DecryptDataDetails(
        key_id=rsa_key.id,
        ciphertext=fresh.ciphertext,
        key_version_id=fresh.key_version_id,
        encryption_algorithm=algorithm,
    )
    assert crypto.decrypt(wrong_version).data.plaintext == b64e(b"x")
