"""Every way an external key manager fails a key of an XKI instance has its own Alibaba error:
the EKM client's errors, as ``services.external.connection.translate`` makes them domain
errors, through the Alibaba error table (the OCI API keeps its codes)."""

from __future__ import annotations

import pytest

from strongroom.api.alibaba.errors import answer_for
from strongroom.api.oci.errors import status_and_code
from strongroom.crypto.providers.ekm_client import errors as ekm
from strongroom.domain import errors
from strongroom.services.external.connection import translate

# (the EKM client's error, at creation?, Alibaba status and code, OCI status and code)
CASES = [
    (
        ekm.EkmUnavailable("connection refused"),
        False,
        (503, "Rejected.ExternalKeyStoreUnavailable"),
        (503, "ExternalKeyManagerUnavailable"),
    ),
    (
        ekm.EkmTlsError("certificate verify failed"),
        True,
        (503, "Rejected.ExternalKeyStoreUnavailable"),
        (503, "ExternalKeyManagerUnavailable"),
    ),
    (
        ekm.EkmAuthenticationFailed("401"),
        False,
        (502, "Rejected.ExternalKeyStoreAuthenticationFailed"),
        (502, "ExternalKeyManagerAuthenticationFailed"),
    ),
    (
        ekm.EkmVaultBlocked("blocked by its administrator"),
        False,
        (409, "Rejected.ExternalKeyStoreBlocked"),
        (409, "IncorrectState"),
    ),
    (
        ekm.EkmKeyDisabled("BLOCKED"),
        False,
        (409, "Rejected.ExternalKeyDisabled"),
        (409, "IncorrectState"),
    ),
    (
        ekm.EkmKeyDisabled("BLOCKED"),
        True,
        (409, "Rejected.ExternalKeyDisabled"),
        (409, "IncorrectState"),
    ),
    (
        ekm.EkmKeyNotFound("no such key"),
        True,
        (404, "Forbidden.ExternalKeyNotFound"),
        (400, "InvalidParameter"),
    ),
    (
        ekm.EkmKeyNotFound("no such key"),
        False,
        (404, "Forbidden.ExternalKeyNotFound"),
        (409, "IncorrectState"),
    ),
    (
        ekm.EkmBadResponse("not JSON"),
        False,
        (502, "Rejected.ExternalKeyStoreError"),
        (502, "ExternalKeyManagerError"),
    ),
    (
        ekm.EkmInvalidCiphertext("tag mismatch"),
        False,
        (400, "InvalidCiphertext"),
        (400, "InvalidParameter"),
    ),
]


@pytest.mark.parametrize(("failure", "creating", "alibaba", "oci"), CASES)
def test_each_ekm_failure_has_its_own_alibaba_code(
    failure: ekm.EkmError, creating: bool, alibaba: tuple[int, str], oci: tuple[int, str]
) -> None:
    error = translate(failure, "ext-1", creating=creating)
    assert isinstance(error, errors.StrongroomError)
    answer = answer_for(error)
    assert (answer.status, answer.code) == alibaba
    assert status_and_code(error) == oci


@pytest.mark.parametrize("state_code", [None, "Rejected.StateModifiedFailed"])
def test_an_external_keys_code_stands_whatever_the_action(state_code: str | None) -> None:
    disabled = translate(ekm.EkmKeyDisabled("x"), "ext-1")
    assert isinstance(disabled, errors.StrongroomError)
    answer = answer_for(disabled, "Forbidden.ResourceNotFound", state_code)
    assert answer.code == "Rejected.ExternalKeyDisabled"
    assert "'ext-1' is disabled in the external key manager" in answer.message
    missing = translate(ekm.EkmKeyNotFound("x"), "ext-1", creating=True)
    assert isinstance(missing, errors.StrongroomError)
    answer = answer_for(missing, "Forbidden.ResourceNotFound", state_code)
    assert answer.code == "Forbidden.ExternalKeyNotFound"
    assert "'ext-1' does not exist in the external key manager" in answer.message


def test_an_unreachable_key_manager_says_it_cannot_be_reached() -> None:
    unreachable = translate(ekm.EkmUnavailable("connection refused"), "ext-1")
    assert isinstance(unreachable, errors.StrongroomError)
    answer = answer_for(unreachable)
    assert answer.message.startswith("The external key manager (the XKI proxy) cannot be reached")
    assert "connection refused" in answer.message


def test_a_disabled_kms_key_is_still_rejected_disabled() -> None:
    disabled = errors.IncorrectState(
        "The key is DISABLED; only ENABLED keys can be used", "DISABLED"
    )
    answer = answer_for(disabled)
    assert (answer.status, answer.code) == (409, "Rejected.Disabled")


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("DISABLED", "Rejected.Disabled"),
        ("PENDING_DELETION", "Rejected.PendingDeletion"),
        ("DELETED", "Rejected.StateModifiedFailed"),
    ],
)
def test_a_key_state_is_answered_by_the_state_not_the_words_of_the_message(
    state: str, code: str
) -> None:
    error = errors.IncorrectState(
        f"The key is {state}; this operation needs ENABLED or DISABLED", state
    )
    assert answer_for(error).code == code
