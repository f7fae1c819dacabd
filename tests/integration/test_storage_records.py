"""The storage contract, on every backend: identity, idempotency records, the barrier's
keyring, transactions and audit events."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from strongroom.barrier.barrier import Barrier
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.domain.errors import Conflict
from strongroom.domain.identity import ApiKey, AuditQuery, Group, Tenancy, User
from strongroom.storage import schema
from strongroom.storage.idempotency_repository import StoredResponse
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import (
    REGION,
    T0,
    assert_utc,
    key_of,
    ocid,
    vault_of,
)

# --- identity -------------------------------------------------------------------------------------


def test_identity_repository_round_trip(db: Database) -> None:
    tenancy = Tenancy(ocid("tenancy"), "acme", REGION, T0)
    alice = User(ocid("user"), tenancy.id, "alice", "Alice — admin", "ACTIVE", T0)
    bob = User(ocid("user"), tenancy.id, "bob", "", "INACTIVE", T0 + timedelta(hours=1))
    admins = Group(ocid("group"), tenancy.id, "Administrators", "all powers", T0)
    auditors = Group(ocid("group"), tenancy.id, "Auditors", "", T0)
    fingerprint = ":".join(secrets.token_hex(1) for _ in range(16))
    key_id = f"{tenancy.id}/{alice.id}/{fingerprint}"
    api_key = ApiKey(
        alice.id, tenancy.id, fingerprint, "-----BEGIN PUBLIC KEY-----\n...\n", "ACTIVE", T0
    )
    with db.transaction() as tx:
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(alice)
        tx.identity.add_user(bob)
        tx.identity.add_group(admins)
        tx.identity.add_group(auditors)
        tx.identity.add_membership(ocid("groupmembership"), admins, alice)
        tx.identity.add_membership(ocid("groupmembership"), auditors, alice)
        tx.identity.add_membership(ocid("groupmembership"), auditors, bob)
        tx.identity.add_api_key(key_id, api_key)
    with db.transaction() as tx:
        assert tx.identity.get_tenancy(tenancy.id) == tenancy
        assert tx.identity.get_user(alice.id) == alice
        assert tx.identity.get_user(bob.id) == bob
        loaded_key = tx.identity.get_api_key(key_id)
        assert loaded_key == api_key
        assert loaded_key is not None
        assert_utc(loaded_key.time_created)
        assert sorted(tx.identity.groups_of(alice.id), key=lambda g: g.name) == [admins, auditors]
        assert tx.identity.groups_of(bob.id) == [auditors]
        assert tx.identity.groups_of(ocid("user")) == []
        assert tx.identity.get_tenancy(ocid("tenancy")) is None
        assert tx.identity.get_user(ocid("user")) is None
        assert tx.identity.get_api_key(f"{tenancy.id}/{alice.id}/00:00") is None


def test_identity_uniqueness_and_references(db: Database) -> None:
    tenancy = Tenancy(ocid("tenancy"), "uniq", REGION, T0)
    alice = User(ocid("user"), tenancy.id, "alice", "", "ACTIVE", T0)
    group = Group(ocid("group"), tenancy.id, "g", "", T0)
    with db.transaction() as tx:
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(alice)
        tx.identity.add_group(group)
        tx.identity.add_membership(ocid("groupmembership"), group, alice)
    attempts = [
        lambda tx: tx.identity.add_user(replace(alice, id=ocid("user"))),  # same name
        lambda tx: tx.identity.add_group(replace(group, id=ocid("group"))),  # same name
        lambda tx: tx.identity.add_membership(ocid("groupmembership"), group, alice),  # twice
        lambda tx: tx.identity.add_user(
            User(ocid("user"), ocid("tenancy"), "ghost", "", "ACTIVE", T0)
        ),  # unknown tenancy
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), db.transaction() as tx:
            attempt(tx)
    with db.transaction() as tx:
        assert tx.identity.groups_of(alice.id) == [group]


# --- idempotency records --------------------------------------------------------------------------


def test_idempotency_repository(db: Database) -> None:
    principal = f"{ocid('tenancy')}/{ocid('user')}"
    token = secrets.token_hex(16)
    first = StoredResponse("a" * 64, 200, b"\x00sealed\xff", {"etag": "e1", "opc-x": "ü"})
    with db.transaction() as tx:
        tx.idempotency.put(principal, token, first, T0)
    with db.transaction() as tx:
        assert tx.idempotency.get(principal, token, T0 - timedelta(hours=24)) == first
        assert tx.idempotency.get(principal, token, T0) == first  # not_before is inclusive
        assert tx.idempotency.get(principal, token, T0 + timedelta(microseconds=1)) is None
        assert tx.idempotency.get(principal + "x", token, T0 - timedelta(days=1)) is None
        assert tx.idempotency.get(principal, token + "x", T0 - timedelta(days=1)) is None

    second = StoredResponse("b" * 64, 201, b"", {})
    with db.transaction() as tx:
        tx.idempotency.put(principal, token, second, T0 + timedelta(hours=1))
    with db.transaction() as tx:
        assert tx.idempotency.get(principal, token, T0) == second


def test_idempotency_purge(db: Database) -> None:
    principal = f"{ocid('tenancy')}/{ocid('user')}"
    base = datetime(1999, 1, 1, tzinfo=UTC)  # older than anything other tests store
    response = StoredResponse("c" * 64, 200, b"{}", {})
    with db.transaction() as tx:
        for hours in range(5):
            tx.idempotency.put(principal, f"t{hours}", response, base + timedelta(hours=hours))
    with db.transaction() as tx:
        assert tx.idempotency.purge(base + timedelta(hours=3)) == 3
    with db.transaction() as tx:
        remaining = [
            t for t in (f"t{h}" for h in range(5)) if tx.idempotency.get(principal, t, base)
        ]
        assert remaining == ["t3", "t4"]
        assert tx.idempotency.purge(base) == 0


# --- barrier keyring store ------------------------------------------------------------------------


def test_keyring_store(db: Database) -> None:
    with db.engine.begin() as conn:  # start from an empty store whatever ran before
        conn.execute(schema.barrier_keyring.delete())
    assert db.load_keyring() is None
    db.save_keyring(b"\x00wrapped-1", "mk-1")
    assert db.load_keyring() == (b"\x00wrapped-1", "mk-1")
    db.save_keyring(b"wrapped-2", "mk-2")
    assert db.load_keyring() == (b"wrapped-2", "mk-2")
    with db.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.barrier_keyring)).scalar_one()
    assert count == 1


def test_barrier_unseals_from_the_database(db: Database) -> None:
    """Two processes sharing the database share the keyring (the store is the KeyringStore port)."""
    master = InternalMasterKey(os.urandom(32), "mk-contract")
    first = Barrier()
    first.initialize(master, db)
    blob = first.seal(b"key material", "key_versions/kv/material")
    second = Barrier()
    second.unseal(master, db)
    assert second.open(blob, "key_versions/kv/material") == b"key material"
    stored = db.load_keyring()
    assert stored is not None
    assert stored[1] == "mk-contract"


# --- transactions ---------------------------------------------------------------------------------


def test_a_transaction_that_raises_rolls_back(db: Database) -> None:
    vault = vault_of()
    key = key_of(vault)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        assert tx.vaults.get(vault.id) == vault  # visible inside the transaction
        raise Boom
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) is None
        assert tx.keys.get(key.id) is None


def test_a_conflict_rolls_back_earlier_writes_in_the_transaction(db: Database) -> None:
    vault = vault_of()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    newcomer = vault_of(vault.tenancy_id)
    stale = replace(vault, display_name="stale", version=vault.version + 5)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.vaults.add(newcomer)
        tx.vaults.save(stale)
    with db.transaction() as tx:
        assert tx.vaults.get(newcomer.id) is None
        assert tx.vaults.get(vault.id) == vault


def test_committed_writes_are_visible_to_the_next_transaction(db: Database) -> None:
    vault = vault_of()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    with db.engine.connect() as conn:
        row = conn.execute(
            select(schema.vaults.c.display_name).where(schema.vaults.c.id == vault.id)
        ).first()
    assert row is not None
    assert row.display_name == vault.display_name


# --- audit events (bulk driver-level insert) ------------------------------------------------------


def test_audit_events_round_trip_in_time_order(db: Database) -> None:
    from strongroom.domain.identity import AuditEvent

    tenancy = ocid("tenancy")
    base = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    events = [
        AuditEvent(
            id=os.urandom(8).hex(),
            time=base + timedelta(seconds=i),
            tenancy_id=tenancy,
            principal_id=None if i == 0 else ocid("user"),
            principal_type="user",
            operation=f"Op{i}",
            resource_id=None,
            compartment_id=tenancy,
            decision="allowed",
            status=200 + i,
            request_id=f"r{i}",
            source="127.0.0.1",
        )
        for i in range(3)
    ]
    with db.transaction() as tx:
        tx.iam.add_audit_events(list(reversed(events)))
        tx.iam.add_audit_events([])
    with db.transaction(read_only=True) as tx:
        found = tx.iam.audit_events(AuditQuery(tenancy, base, base + timedelta(seconds=2), 10))
    assert [e.operation for e in found] == ["Op0", "Op1"]
    assert found[0].time == base
    assert found[0].principal_id is None and found[1].status == 201


def test_audit_batches_larger_than_one_statement_are_stored_whole(db: Database) -> None:
    from strongroom.domain.identity import AuditEvent

    tenancy = ocid("tenancy")
    base = datetime(2026, 6, 1, tzinfo=UTC)
    events = [
        AuditEvent(
            id=f"{i:08d}",
            time=base + timedelta(milliseconds=i),
            tenancy_id=tenancy,
            principal_id=None,
            principal_type=None,
            operation="Encrypt",
            resource_id=None,
            compartment_id=None,
            decision="allowed",
            status=200,
            request_id=str(i),
            source=None,
        )
        for i in range(1201)
    ]
    with db.transaction() as tx:
        tx.iam.add_audit_events(events)
    with db.transaction(read_only=True) as tx:
        found = tx.iam.audit_events(AuditQuery(tenancy, base, base + timedelta(hours=1), 5000))
    assert [e.id for e in found] == [e.id for e in events]
