"""The secret repository's contract on SQLite and PostgreSQL (the migrated schema, real SQL)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from strongroom.domain.errors import Conflict
from strongroom.domain.ids import new_ocid
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import (
    ExpiryRule,
    GenerationContext,
    ReuseRule,
    RotationConfig,
    Secret,
    SecretRules,
    SecretVersion,
    Stage,
)
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import REGION, T0, key_of, vault_of

DAY = timedelta(days=1)


@pytest.fixture
def place(db: Database) -> tuple[str, str, str]:
    """(tenancy, vault id, key id) of a stored vault and key."""
    vault = vault_of()
    key = key_of(vault)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
    return vault.tenancy_id, vault.id, key.id


def _secret(place: tuple[str, str, str], name: str = "s", **changes: Any) -> Secret:
    tenancy, vault_id, key_id = place
    secret = Secret(
        id=new_ocid("vaultsecret", REGION, os.urandom),
        tenancy_id=tenancy,
        compartment_id=tenancy,
        vault_id=vault_id,
        key_id=key_id,
        name=name,
        lifecycle_state=State.ACTIVE,
        time_created=T0,
        digest_key=os.urandom(48),
    )
    return replace(secret, **changes)


def _version(secret: Secret, number: int, stage: Stage, **changes: Any) -> SecretVersion:
    version = SecretVersion(
        secret_id=secret.id,
        number=number,
        stage=stage,
        lifecycle_state=State.ACTIVE,
        time_created=T0 + timedelta(minutes=number),
        digest=bytes([number]) * 32,
        key_version_id=new_ocid("keyversion", REGION, os.urandom),
        wrapped_key=os.urandom(60),
        content=os.urandom(40),
    )
    return replace(version, **changes)


def test_round_trip_preserves_every_field(db: Database, place: tuple[str, str, str]) -> None:
    secret = _secret(
        place,
        description="d",
        current=2,
        previous=1,
        latest=3,
        time_of_current_version_expiry=T0 + DAY,
        metadata={"a": [1, 2], "b": {"c": None}},
        freeform_tags={"f": "g"},
        defined_tags={"ns": {"k": 1}},
        rules=SecretRules(ExpiryRule(3, T0 + 9 * DAY, True), ReuseRule(True)),
        generation=GenerationContext("PASSPHRASE", "SECRETS_DEFAULT_PASSWORD", 20, "%X%"),
        auto_generation=True,
        rotation=RotationConfig(30, True),
        last_rotation_time=T0,
        next_rotation_time=T0 + 30 * DAY,
    )
    version = _version(secret, 1, Stage.PENDING, name="first", auto_generated=True)
    with db.transaction() as tx:
        tx.secrets.add(secret)
        tx.secrets.add_version(version)
    with db.transaction(read_only=True) as tx:
        assert tx.secrets.get(secret.id) == secret
        assert tx.secrets.get_version(secret.id, 1) == version
        assert tx.secrets.get_by_name(secret.vault_id, "s") == secret
        assert tx.secrets.get_version(secret.id, 2) is None
        assert tx.secrets.get("ocid1.vaultsecret.oc1..missing") is None


def test_live_names_are_unique_per_vault(db: Database, place: tuple[str, str, str]) -> None:
    first = _secret(place, "dup")
    with db.transaction() as tx:
        tx.secrets.add(first)
    with pytest.raises(Conflict, match="dup"), db.transaction() as tx:
        tx.secrets.add(_secret(place, "dup"))
    # Scheduled for deletion: the name stays taken until the time comes, then is released.
    first.lifecycle_state, first.time_of_deletion = State.PENDING_DELETION, T0 + DAY
    with db.transaction() as tx:
        tx.secrets.save(first)
        tx.secrets.release_name(first.vault_id, "dup", T0)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.secrets.add(_secret(place, "dup"))
    second = _secret(place, "dup")
    with db.transaction() as tx:
        tx.secrets.release_name(first.vault_id, "dup", T0 + 2 * DAY)
        tx.secrets.add(second)
    with db.transaction(read_only=True) as tx:
        assert tx.secrets.get_by_name(first.vault_id, "dup") == second
        released = tx.secrets.get(first.id)
    assert released is not None
    assert released.lifecycle_state is State.DELETED


def test_stale_saves_conflict(db: Database, place: tuple[str, str, str]) -> None:
    secret = _secret(place)
    version = _version(secret, 1, Stage.CURRENT)
    with db.transaction() as tx:
        tx.secrets.add(secret)
        tx.secrets.add_version(version)
    stale, stale_version = replace(secret), replace(version)
    with db.transaction() as tx:
        tx.secrets.save(secret)
        tx.secrets.save_version(version)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.secrets.save(stale)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.secrets.save_version(stale_version)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.secrets.add_version(_version(secret, 1, Stage.PENDING))


def test_version_lookups(db: Database, place: tuple[str, str, str]) -> None:
    secret = _secret(place)
    stages = [Stage.DEPRECATED, Stage.DEPRECATED, Stage.PREVIOUS, Stage.PENDING, Stage.CURRENT]
    made = [_version(secret, n, stage, name=f"v{n}") for n, stage in enumerate(stages, start=1)]
    made[0].lifecycle_state, made[0].time_of_deletion = State.PENDING_DELETION, T0 + DAY
    with db.transaction() as tx:
        tx.secrets.add(secret)
        for version in made:
            tx.secrets.add_version(version)
    with db.transaction(read_only=True) as tx:
        repo = tx.secrets
        assert repo.version_by_stage(secret.id, Stage.DEPRECATED) == made[1]
        assert repo.version_by_stage(secret.id, Stage.PENDING) == made[3]
        assert repo.version_by_stage(secret.id, Stage.LATEST) is None
        assert repo.version_by_name(secret.id, "v3") == made[2]
        assert repo.oldest_deprecated(secret.id) == made[1]  # version 1 is being deleted
        assert repo.count_active_versions(secret.id) == 4
        assert repo.digest_used(secret.id, made[0].digest, False, T0)
        assert not repo.digest_used(secret.id, made[0].digest, False, T0 + 2 * DAY)
        assert repo.digest_used(secret.id, made[0].digest, True, T0 + 2 * DAY)
        assert not repo.digest_used(secret.id, b"\0" * 32, True, T0)
        window = PageRequest(limit=2, offset=1, descending=True)
        assert [v.number for v in repo.list_versions(secret.id, window)] == [4, 3, 2]


def test_list_filters_use_effective_states(db: Database, place: tuple[str, str, str]) -> None:
    tenancy = place[0]
    active = _secret(place, "a", time_created=T0)
    pending = _secret(
        place,
        "b",
        time_created=T0 + DAY,
        lifecycle_state=State.PENDING_DELETION,
        time_of_deletion=T0 + 3 * DAY,
    )
    with db.transaction() as tx:
        tx.secrets.add(active)
        tx.secrets.add(pending)

    def names(now_days: int, **filters: str) -> list[str]:
        page = PageRequest(sort_by="NAME")
        with db.transaction(read_only=True) as tx:
            found = tx.secrets.list(tenancy, tenancy, page, filters, T0 + now_days * DAY)
        return [s.name for s in found]

    assert names(0) == ["a", "b"]
    assert names(0, lifecycle_state="PENDING_DELETION") == ["b"]
    assert names(5, lifecycle_state="PENDING_DELETION") == []
    assert names(5, lifecycle_state="DELETED") == ["b"]
    assert names(0, lifecycle_state="ACTIVE", name="a", vault_id=place[1]) == ["a"]
    assert names(0, vault_id="ocid1.vault.oc1..other") == []


def test_rotation_due_and_purge(db: Database, place: tuple[str, str, str]) -> None:
    due = _secret(place, "due", next_rotation_time=T0 + DAY)
    later = _secret(place, "later", next_rotation_time=T0 + 9 * DAY)
    gone = _secret(place, "gone", lifecycle_state=State.PENDING_DELETION, time_of_deletion=T0 + DAY)
    versions = [_version(s, 1, Stage.CURRENT) for s in (due, later, gone)]
    dropped = _version(due, 2, Stage.DEPRECATED)
    dropped.lifecycle_state, dropped.time_of_deletion = State.PENDING_DELETION, T0 + DAY
    with db.transaction() as tx:
        for secret in (due, later, gone):
            tx.secrets.add(secret)
        for version in [*versions, dropped]:
            tx.secrets.add_version(version)
    with db.transaction(read_only=True) as tx:
        found = tx.secrets.due_for_rotation(T0 + 2 * DAY, 100)
    assert due.id in found
    assert later.id not in found
    with db.transaction() as tx:
        assert tx.secrets.purge_deleted(T0 + 2 * DAY) >= 2
    with db.transaction(read_only=True) as tx:
        purged = tx.secrets.get_version(gone.id, 1)
        assert purged is not None and purged.content is None and purged.wrapped_key is None
        deleted = tx.secrets.get_version(due.id, 2)
        assert deleted is not None and deleted.content is None
        assert deleted.lifecycle_state is State.DELETED
        assert deleted.digest == dropped.digest  # kept for the reuse rule
        kept = tx.secrets.get_version(due.id, 1)
        assert kept is not None and kept.content == versions[0].content
        gone_row = tx.secrets.get(gone.id)
        assert gone_row is not None and gone_row.lifecycle_state is State.DELETED
