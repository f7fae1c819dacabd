"""Ports the services depend on, and the bundle of dependencies handed to every use case."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.barrier.barrier import Barrier
from strongroom.crypto import aead
from strongroom.crypto.providers.base import KeyMaterialProvider
from strongroom.crypto.providers.ekm_client.connection import EkmConnection
from strongroom.domain.clock import Clock, SystemClock
from strongroom.domain.ekm import EkmHealth
from strongroom.domain.identity import AuditEvent, AuditQuery, AuditRow, Principal
from strongroom.domain.key import Key, KeyVersion, ProtectionMode
from strongroom.domain.key_alias import KeyAlias
from strongroom.domain.secret import Secret, SecretVersion
from strongroom.domain.vault import Vault
from strongroom.iam.evaluator import Decision
from strongroom.iam.key_policy import KeyPolicy
from strongroom.iam.target import Target
from strongroom.services.caches import CacheRefresher, TTLCache
from strongroom.services.ekm_port import EkmSettings, ExternalKeyManagerPort
from strongroom.services.kmip_port import ClientIdentity, KmipConnector
from strongroom.services.realm_port import RealmConfig, RealmPeers, ShipperNudge
from strongroom.storage.unit_of_work import Database

__all__ = [
    "ACCESS_KEY_TABLES",
    "ALIAS_TABLES",
    "IDENTITY_TABLES",
    "KEY_POLICY_TABLES",
    "KEY_TABLES",
    "SECRET_TABLES",
    "AccessSecret",
    "AliasRows",
    "AuditSink",
    "Authorizer",
    "Credential",
    "Deps",
    "KeyPolicyRow",
    "KeyRows",
    "SecretRows",
]

# Tables whose in-process writes drop the caches of their rows (see Deps.__post_init__).
KEY_TABLES = frozenset({"vaults", "keys", "key_versions"})
SECRET_TABLES = frozenset({"secrets", "secret_versions"})
# Writes to these drop the cached alias resolutions (an alias, and its key's state).
ALIAS_TABLES = KEY_TABLES | {"key_aliases"}
# Writes to these drop the cached key policies.
KEY_POLICY_TABLES = frozenset({"key_policies"})
# Tables that decide who signs requests and what they may do: writes to them (in this process
# or, announced on PostgreSQL, in another) drop cached credentials and compiled policies.
IDENTITY_TABLES = frozenset(
    {
        "tenancies",
        "users",
        "groups",
        "group_memberships",
        "api_keys",
        "compartments",
        "dynamic_groups",
        "policies",
        "applications",
    }
)
# Writes to these drop the cached access keys (who an access key is, and its secret).
ACCESS_KEY_TABLES = IDENTITY_TABLES | {"customer_secret_keys"}
# What ``Deps.keys_in_use`` and ``Deps.secrets_in_use`` hold: rows as read (None: not found).
KeyRows = tuple[Key | None, Vault | None, KeyVersion | None]
SecretRows = tuple[Secret | None, SecretVersion | None]
# What ``Deps.aliases_in_use`` holds: an alias, its key and the key's vault, as read.
AliasRows = tuple[KeyAlias | None, Key | None, Vault | None]
# What ``Deps.key_policies`` holds: a key's own policy, parsed and bound (None: the default).
KeyPolicyRow = tuple[KeyPolicy | None]


@dataclass(frozen=True)
class Credential:
    """An API signing key in use: its public key and who signs with it (cached per key id)."""

    public_key: rsa.RSAPublicKey
    principal: Principal


@dataclass(frozen=True)
class AccessSecret:
    """A customer secret key in use: who signs with it and its secret (cached per access key
    id, for HMAC-signed requests; the secret is never shown by ``repr``)."""

    principal: Principal
    secret: bytes = field(repr=False)


class Authorizer(Protocol):
    """Port: may ``principal`` perform ``operation`` needing ``permissions`` on ``target``?"""

    def is_allowed(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: Target,
    ) -> bool:
        """True when every permission is granted for the target."""
        ...

    def decide(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: Target,
    ) -> Decision:
        """The decision (allowed, and the statements behind it: an explicit Deny among them
        is what a key policy's evaluation needs to know)."""
        ...


class AuditSink(Protocol):
    """Port: where audit events go (implemented by :class:`.audit.log.AuditLog`)."""

    def record(self, row: AuditRow) -> None:
        """Queue one event; cheap, called on every request."""
        ...

    def events(self, query: AuditQuery) -> list[AuditEvent]:
        """Up to ``limit + 1`` stored events of a tenancy in [start, end) from ``offset`` on
        (of one compartment if given), everything recorded so far included."""
        ...

    def close(self) -> None:
        """Write what is queued and stop."""
        ...


@dataclass
class Deps:
    """Everything a use case may touch; built once by :mod:`strongroom.app`."""

    db: Database
    barrier: Barrier
    authorizer: Authorizer
    providers: dict[ProtectionMode, KeyMaterialProvider]
    region: str
    public_url: str
    # Two clocks, one port. ``clock`` is the service's time: lifecycle timers (scheduled
    # deletion, expiry, rotation) and the times stored on resources; tests move it by hand.
    # ``wall_clock`` is always real time where Strongroom's clock is compared with another
    # party's: request signature dates, token lifetimes, audit event times.
    clock: Clock = field(default_factory=SystemClock)
    wall_clock: Clock = field(default_factory=SystemClock)
    # Every random byte a use case needs (ids, data keys) comes from here.
    random_bytes: Callable[[int], bytes] = os.urandom
    audit: AuditSink | None = None
    # External key managers of EXTERNAL vaults (None: EXTERNAL vaults cannot be used).
    ekm: ExternalKeyManagerPort | None = None
    ekm_settings: EkmSettings = field(default_factory=EkmSettings)
    # The latest EKM health check of each EXTERNAL vault, by vault id (see services.ekm_health).
    ekm_health: dict[str, EkmHealth] = field(default_factory=dict)
    # Opened EKM connections (client secret unsealed) by (vault id, vault row version).
    ekm_connections: dict[tuple[str, int], EkmConnection] = field(default_factory=dict)
    # Runs the caches' reloads ahead of expiry (made by strongroom.app, closed when the
    # application stops); without one, callers reload due entries themselves (see TTLCache).
    refresher: CacheRefresher | None = None
    # KMIP key servers holding an external master key, and Strongroom's KMIP client identity
    # (None: no KMIP provider can be used, e.g. in tests of other contexts).
    kmip: KmipConnector | None = None
    kmip_identity: ClientIdentity | None = None
    # Where the internal master key file lives (None: internal rekeys are refused).
    data_dir: Path | None = None
    # What the at-rest keeper last saw of the master key's key server while unsealed
    # (shown by /healthz; see services.at_rest.keeper).
    master_key_health: dict[str, object] = field(default_factory=dict)
    # This region's place in its realm, and calls to the other regions (None: no calls).
    realm: RealmConfig = field(default_factory=RealmConfig)
    peers: RealmPeers | None = None
    shipper: ShipperNudge | None = None  # set while this process runs the shipper
    # The hot-path caches, made in __post_init__ with the refresher; they are reloaded after
    # 1 second, ahead of their expiry (see TTLCache).
    # API key verifiers by signature keyId (see services.identity.authn).
    credentials: TTLCache[Credential] = field(init=False)
    # Customer secret keys by access key id (see services.identity.access_secrets).
    access_secrets: TTLCache[AccessSecret] = field(init=False)
    # Vault, key and key-version rows for crypto calls (see services.kms.key_use); dropped
    # whenever this process writes any of them, and re-read from storage at least every 2 s.
    keys_in_use: TTLCache[KeyRows] = field(init=False)
    # Aliases a key id may be given as, with their keys' rows (see services.kms.aliases
    # resolve_key_id); dropped whenever this process writes aliases or keys, re-read every 2 s.
    aliases_in_use: TTLCache[AliasRows] = field(init=False)
    # Keys' own policies by key id (see services.key_access); dropped whenever this process
    # writes one, re-read at least every 2 seconds.
    key_policies: TTLCache[KeyPolicyRow] = field(init=False)
    # Secret and secret-version rows for content reads (see services.secrets.lookup.read_rows);
    # dropped whenever this process writes either, and re-read at least every 2 seconds. They
    # hold sealed contents (up to 25 KB each), hence fewer entries.
    secrets_in_use: TTLCache[SecretRows] = field(init=False)
    # Secret versions' unwrapped data keys, ready to use (see services.secrets.envelope). A
    # data key never changes, and the entry's name includes the wrapped key it came from, so
    # writes need not drop them; the vault key's states are checked on every read regardless.
    data_keys: TTLCache[aead.Cipher] = field(init=False)

    def __post_init__(self) -> None:
        refresher = self.refresher
        # Named after the fields: the ``cache`` label of their hit and miss metrics.
        self.credentials = TTLCache(2.0, refresh_after=1.0, refresher=refresher, name="credentials")
        self.access_secrets = TTLCache(
            2.0, refresh_after=1.0, refresher=refresher, name="access_secrets"
        )
        self.keys_in_use = TTLCache(2.0, refresh_after=1.0, refresher=refresher, name="keys_in_use")
        self.aliases_in_use = TTLCache(
            2.0, refresh_after=1.0, refresher=refresher, name="aliases_in_use"
        )
        self.key_policies = TTLCache(
            2.0, refresh_after=1.0, refresher=refresher, name="key_policies"
        )
        self.secrets_in_use = TTLCache(
            2.0, max_entries=2_048, refresh_after=1.0, refresher=refresher, name="secrets_in_use"
        )
        self.data_keys = TTLCache(ttl_seconds=60.0, max_entries=10_000, name="data_keys")
        self.db.add_change_listener(self._tables_changed)

    def _tables_changed(self, tables: frozenset[str]) -> None:
        if not tables.isdisjoint(KEY_TABLES):
            self.keys_in_use.clear()
        if not tables.isdisjoint(ALIAS_TABLES):
            self.aliases_in_use.clear()
        if not tables.isdisjoint(KEY_POLICY_TABLES):
            self.key_policies.clear()
        if not tables.isdisjoint(SECRET_TABLES):
            self.secrets_in_use.clear()
        if not tables.isdisjoint(ACCESS_KEY_TABLES):
            self.access_secrets.clear()
        if not tables.isdisjoint(IDENTITY_TABLES):
            self.credentials.clear()
            invalidate = getattr(self.authorizer, "invalidate", None)
            if invalidate is not None:
                invalidate()
