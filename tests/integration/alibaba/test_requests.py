"""Requests refused before any action runs (a reused SignatureNonce, a stale timestamp), and
Strongroom's ListKeyAssociations extension, through a real server."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import oci
import pytest
import requests
from aliyunsdkcore.request import RpcRequest
from aliyunsdkcore.utils import parameter_helper

from tests.integration.alibaba.support import Alibaba, CoreError
from tests.integration.support import Server


def _signed_url(admin: Alibaba, action: str, **params: str) -> str:
    """The request URL the core SDK signs for ``action`` (one nonce, one timestamp)."""
    request = RpcRequest("Kms", "2016-01-20", action)
    request.set_accept_format("JSON")
    request.set_method("POST")
    for name, value in params.items():
        request.add_query_param(name, value)
    path = request.get_url("cn-hangzhou", admin.access_key_id, admin.secret)
    return f"http://{admin.endpoint}{path}"


@pytest.mark.parametrize("action", ["Encrypt", "DisableKey"])  # in memory / in the database
def test_a_reused_nonce_is_refused(admin: Alibaba, key_id: str, action: str) -> None:
    params = {"KeyId": key_id}
    if action == "Encrypt":
        params["Plaintext"] = base64.b64encode(b"once").decode()
    url = _signed_url(admin, action, **params)
    first = requests.post(url, timeout=10)
    assert first.status_code == 200, first.text
    again = requests.post(url, timeout=10)
    assert again.status_code == 400
    body = again.json()
    assert body["Code"] == "SignatureNonceUsed" and body["RequestId"]


@pytest.fixture
def clock_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The core SDK stamps its requests 20 minutes in the past."""
    stale = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stale)
    yield


def test_a_stale_timestamp_is_refused(admin: Alibaba, clock_off: None) -> None:
    with pytest.raises(CoreError) as caught:
        admin.core_call("ListKeys")
    assert (caught.value.http_status, caught.value.error_code) == (400, "IllegalTimestamp")


def test_key_associations_list_the_secrets_sealed_under_a_key(
    admin: Alibaba, server: Server, vault_id: str, key_id: str
) -> None:
    assert admin.core_call("ListKeyAssociations", KeyId=key_id)["Secrets"]["Secret"] == []
    secrets = oci.vault.VaultsClient(server.config, service_endpoint=server.url)
    content = oci.vault.models.Base64SecretContentDetails(content="cHc=")
    name = f"db-{key_id[-8:]}"
    details = oci.vault.models.CreateSecretDetails(
        compartment_id=server.tenancy,
        vault_id=vault_id,
        key_id=key_id,
        secret_name=name,
        secret_content=content,
    )
    secret = secrets.create_secret(details).data
    listed = admin.core_call("ListKeyAssociations", KeyId=key_id)["Secrets"]["Secret"]
    assert [(s["SecretId"], s["SecretName"], s["VersionCount"]) for s in listed] == [
        (secret.id, name, 1)
    ]
    with pytest.raises(CoreError) as caught:
        admin.core_call("ListKeyAssociations", KeyId="ocid1.key.oc1..missing")
    assert caught.value.error_code == "Forbidden.KeyNotFound"
