"""Secret bundles (the Secrets retrieval API): a version's content by id or by name.

A secret that is not ACTIVE (PENDING_DELETION or DELETED) is refused with IncorrectState
(409), saying why, rather than looking missing: the caller was allowed to read it. A version
scheduled for deletion or deleted is refused the same way.

The rows come from a short cache (:func:`~.secret_lookup.read_rows`), and the data key of a
version from another (:func:`~.secret_envelope.open_content`); tenancy, authorization and
the states of secret, version and vault key are checked on every read. With all of that
cached, a read does no I/O, and the transport may run it on the event loop (a read that
would block raises WouldBlock first: see :mod:`strongroom.services.nonblocking`).
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState, NotFound
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import Secret, SecretVersion
from strongroom.domain.secret_rules import check_retrievable
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.services.secrets.envelope import open_content
from strongroom.services.secrets.lookup import (
    VersionRef,
    read_rows,
    require_active,
    version_of,
    visible_secret,
)
from strongroom.services.secrets.versions import SecretVersionsPage, versions_page

__all__ = [
    "Bundle",
    "GetSecretBundleByNameRequest",
    "GetSecretBundleRequest",
    "ListSecretBundleVersionsRequest",
    "get_secret_bundle",
    "get_secret_bundle_by_name",
    "list_secret_bundle_versions",
]

_CURRENT = VersionRef()


@dataclass(frozen=True)
class Bundle:
    """A version with its plaintext content."""

    secret: Secret
    version: SecretVersion
    content: bytes


@dataclass(frozen=True, slots=True)  # built per bundle read (hot path)
class GetSecretBundleRequest:
    """GetSecretBundle's input: the secret and which version (CURRENT by default)."""

    secret_id: str
    ref: VersionRef = _CURRENT


@dataclass(frozen=True, slots=True)  # built per bundle read (hot path)
class GetSecretBundleByNameRequest:
    """GetSecretBundleByName's input: the vault, the secret's name and which version."""

    vault_id: str
    name: str
    ref: VersionRef = _CURRENT


@dataclass(frozen=True)
class ListSecretBundleVersionsRequest:
    """ListSecretBundleVersions' input."""

    secret_id: str
    page: PageRequest


def get_secret_bundle(deps: Deps, call: Call, request: GetSecretBundleRequest) -> Bundle:
    """GetSecretBundle: the version the request names (CURRENT by default), decrypted."""
    secret_id, ref = request.secret_id, request.ref
    row, version_row = read_rows(
        deps, ("id", secret_id, ref), lambda tx: tx.secrets.get(secret_id), ref
    )
    secret, version = _readable(deps, call, row, version_row, "GetSecretBundle")
    return Bundle(secret, version, open_content(deps, secret, version))


def get_secret_bundle_by_name(
    deps: Deps, call: Call, request: GetSecretBundleByNameRequest
) -> Bundle:
    """GetSecretBundleByName: the same, finding the secret by its name in a vault."""
    vault_id, name, ref = request.vault_id, request.name, request.ref
    found, version_row = read_rows(
        deps, ("name", vault_id, name, ref), lambda tx: tx.secrets.get_by_name(vault_id, name), ref
    )
    if found is not None and found.state_at(deps.clock.now()) is State.DELETED:
        raise NotFound(NOT_FOUND)
    secret, version = _readable(deps, call, found, version_row, "GetSecretBundleByName")
    return Bundle(secret, version, open_content(deps, secret, version))


def list_secret_bundle_versions(
    deps: Deps, call: Call, request: ListSecretBundleVersionsRequest
) -> SecretVersionsPage:
    """ListSecretBundleVersions: versions without content."""
    return versions_page(deps, call, request.secret_id, request.page, "ListSecretBundleVersions")


def _readable(
    deps: Deps,
    call: Call,
    row: Secret | None,
    version_row: SecretVersion | None,
    operation: str,
) -> tuple[Secret, SecretVersion]:
    """Tenancy, authorization and states, checked on the loaded rows (never cached)."""
    secret = visible_secret(deps, call, row, operation)
    require_active(secret)
    version = version_of(deps, secret, version_row)
    if version.lifecycle_state is not State.ACTIVE:
        raise IncorrectState(
            f"Secret version {version.number} is {version.lifecycle_state.value}; "
            "its content cannot be read"
        )
    check_retrievable(version.time_created, secret.rules, deps.clock.now())
    return secret, version
