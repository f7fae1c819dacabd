"""EXTERNAL vaults' pure parts: endpoint validation, protocol choice, the one EKM error map, and
how crypto calls consult and update the vault's EKM health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.crypto.providers.ekm_client import errors as ekm
from strongroom.domain import errors
from strongroom.domain.ekm import (
    EkmHealth,
    EkmHealthState,
    EkmProtocolName,
    protocol_of,
    require_endpoint_url,
    require_external_id,
)
from strongroom.services.external import health as ekm_health
from strongroom.services.external.connection import translate
from tests.clock import ManualClock


@pytest.mark.parametrize(
    "url",
    [
        "https://ekm.example/v1/vaults/abc",
        "https://ekm.example:9443/prefix/kms/xks/v1",
        "http://127.0.0.1:8080/v1/vaults/x",
        "http://localhost/kms/xks/v1",
        "http://[::1]:9/v1/vaults/x",
    ],
)
def test_accepted_endpoints(url: str) -> None:
    assert require_endpoint_url(url, "url") == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        7,
        "http://ekm.example/v1/vaults/x",
        "http://10.0.0.1/v1/vaults/x",
        "ftp://127.0.0.1/x",
        "https://",
        "https://user:pw@ekm.example/x",
        "https://ekm.example/x?token=1",
        "https://ekm.example/x#frag",
        "https://ekm.example:99999/x",
        "https://ekm.example/" + "x" * 1100,
    ],
)
def test_refused_endpoints(url: object) -> None:
    with pytest.raises(errors.InvalidParameter):
        require_endpoint_url(url, "url")


def test_protocol_follows_the_path() -> None:
    assert protocol_of("https://h/kms/xks/v1") is EkmProtocolName.XKS
    assert protocol_of("https://h/prefix/kms/xks/v1/") is EkmProtocolName.XKS
    assert protocol_of("https://h/v1/vaults/kms-xks-v1") is EkmProtocolName.EKMS
    assert protocol_of("https://h/kms/xks/v1/extra") is EkmProtocolName.EKMS


@pytest.mark.parametrize("value", ["a/b", "a?b", "a#b", "a b", "a%2Fb", "", " a", "a\n", 5])
def test_refused_external_ids(value: object) -> None:
    with pytest.raises(errors.InvalidParameter):
        require_external_id(value, "externalKeyId")


def test_external_ids() -> None:
    assert require_external_id("key-1.v_2:x", "externalKeyId") == "key-1.v_2:x"


@pytest.mark.parametrize(
    ("raised", "expected", "creating"),
    [
        (ekm.EkmUnavailable("timed out"), errors.ExternalKeyManagerUnavailable, False),
        (ekm.EkmTlsError("untrusted certificate"), errors.ExternalKeyManagerUnavailable, False),
        (
            ekm.EkmAuthenticationFailed("401"),
            errors.ExternalKeyManagerAuthenticationFailed,
            False,
        ),
        (ekm.EkmBadResponse("malformed JSON"), errors.ExternalKeyManagerError, False),
        (ekm.EkmKeyDisabled("blocked"), errors.IncorrectState, False),
        (ekm.EkmKeyNotFound("404"), errors.IncorrectState, False),
        (ekm.EkmKeyNotFound("404"), errors.InvalidParameter, True),
        (ekm.EkmInvalidCiphertext("bad tag"), errors.DecryptionFailed, False),
    ],
)
def test_every_ekm_error_has_its_domain_error(
    raised: ekm.EkmError, expected: type[Exception], creating: bool
) -> None:
    mapped = translate(raised, "k1", creating=creating)
    # The XKI errors (ExternalKeyDisabled...) are kinds of these, with their own Alibaba codes.
    assert isinstance(mapped, expected)
    assert isinstance(mapped, errors.StrongroomError)
    if not isinstance(mapped, errors.DecryptionFailed):
        assert raised.message in mapped.message or "k1" in mapped.message


def test_the_error_table_gives_each_its_own_code() -> None:
    from strongroom.api.oci.errors import status_and_code

    assert status_and_code(errors.ExternalKeyManagerUnavailable("x")) == (
        503,
        "ExternalKeyManagerUnavailable",
    )
    assert status_and_code(errors.ExternalKeyManagerAuthenticationFailed("x")) == (
        502,
        "ExternalKeyManagerAuthenticationFailed",
    )
    assert status_and_code(errors.ExternalKeyManagerError("x")) == (502, "ExternalKeyManagerError")


def _deps(clock: ManualClock) -> Any:
    return SimpleNamespace(ekm_health={}, clock=clock)


def _vault() -> Any:
    return SimpleNamespace(id="ocid1.vault.oc1..v")


def test_health_gates_crypto_calls() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    deps, vault = _deps(clock), _vault()
    ekm_health.require_usable(deps, vault)  # never checked: try the EKM
    deps.ekm_health[vault.id] = EkmHealth(vault.id, EkmHealthState.BLOCKED, "blocked", clock.now())
    with pytest.raises(errors.IncorrectState):
        ekm_health.require_usable(deps, vault)
    down = EkmHealth(vault.id, EkmHealthState.UNREACHABLE, "connection refused", clock.now())
    deps.ekm_health[vault.id] = down
    with pytest.raises(errors.ExternalKeyManagerUnavailable, match="connection refused"):
        ekm_health.require_usable(deps, vault)
    clock.advance(timedelta(seconds=ekm_health.FAIL_FAST_SECONDS + 0.1))
    ekm_health.require_usable(deps, vault)  # old news: the next call tries again
    ekm_health.note(deps, vault.id)
    assert deps.ekm_health[vault.id].state is EkmHealthState.ACTIVE
    ekm_health.require_usable(deps, vault)


def test_staleness_follows_the_interval() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    deps = SimpleNamespace(ekm_settings=SimpleNamespace(health_interval=30.0))
    fresh = EkmHealth("v", EkmHealthState.ACTIVE, "ok", clock.now())
    assert not ekm_health.is_stale(deps, fresh, clock.now())  # type: ignore[arg-type]
    assert ekm_health.is_stale(deps, fresh, clock.now() + timedelta(seconds=31))  # type: ignore[arg-type]
    assert ekm_health.is_stale(deps, ekm_health.unknown("v"), clock.now())  # type: ignore[arg-type]


def test_the_default_budget_is_250_ms() -> None:
    from pathlib import Path

    from strongroom.config import Settings
    from strongroom.services.ekm_port import EkmSettings

    assert EkmSettings().timeout_seconds == 0.25
    assert Settings(data_dir=Path("/nonexistent")).ekm_timeout == 0.25
