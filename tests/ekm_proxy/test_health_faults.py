"""Health endpoints report a broken back end (503) and recover when it comes back."""

from __future__ import annotations

from pathlib import Path

from strongroom.ekm_proxy.config import MASTER_KEY_FILE
from tests.ekm_support import (
    EkmProxy,
    init_proxy,
    remove_token,
    requires_softhsm,
    restore_token,
    running_proxy,
)
from tests.helpers import wait_healthy
from tests.idp_support import LocalIdp

HEALTH = {"requestMetadata": {"kmsRequestId": "r-1", "kmsOperation": "KmsHealthCheck"}}
META = {
    "requestMetadata": {
        "kmsRequestId": "r-2",
        "kmsOperation": "Encrypt",
        "awsPrincipalArn": "a",
        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
    }
}


def assert_broken(proxy: EkmProxy, idp: LocalIdp) -> None:
    health = proxy.health()
    assert health.status_code == 503, health.text
    assert health.json()["status"] == "unavailable"
    xks = proxy.xks("/health", HEALTH)
    assert xks.status_code == 503, xks.text
    assert xks.json()["errorName"] == "DependencyTimeoutException"
    key_id = proxy.key_ids[0]
    response = proxy.ekms(
        "POST", f"/keys/{key_id}/encrypt", idp.token(proxy.vault_url), {"plaintext": "AAAA"}
    )
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "BackendUnavailable"
    body = {**META, "plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"}
    response = proxy.xks(f"/keys/{key_id}/encrypt", body)
    assert response.status_code == 503, response.text


@requires_softhsm
def test_softhsm_token_removed_then_restored(tmp_path: Path, idp: LocalIdp) -> None:
    with running_proxy(tmp_path, "softhsm", idp=idp, keys=1) as proxy:
        moved = remove_token(proxy)
        assert_broken(proxy, idp)
        restore_token(proxy, moved)
        assert wait_healthy(proxy.base_url, timeout=10.0, path="/health").status_code == 200
        key_id = proxy.key_ids[0]
        response = proxy.ekms(
            "POST", f"/keys/{key_id}/encrypt", idp.token(proxy.vault_url), {"plaintext": "AAAA"}
        )
        assert response.status_code == 200, response.text


@requires_softhsm
def test_softhsm_wrong_pin(tmp_path: Path, idp: LocalIdp) -> None:
    proxy = init_proxy(tmp_path, "softhsm", idp=idp, keys=1)
    proxy.start(expect_healthy=False, extra_env={"STRONGROOM_EKM_PIN": "definitely-wrong"})
    try:
        assert_broken(proxy, idp)
        assert "PinIncorrect" in proxy.health().json()["message"]
        assert "definitely-wrong" not in proxy.log_tail()
    finally:
        proxy.stop()
    proxy.start()  # the right PIN (from the data directory) works again
    proxy.stop()


def test_software_master_key_missing(tmp_path: Path, idp: LocalIdp) -> None:
    with running_proxy(tmp_path, "software", idp=idp, keys=1) as proxy:
        master = proxy.data_dir / MASTER_KEY_FILE
        saved = master.read_bytes()
        master.unlink()
        health = proxy.health()
        assert health.status_code == 503, health.text
        assert proxy.xks("/health", HEALTH).status_code == 503
        master.write_bytes(saved)
        assert proxy.health().status_code == 200
