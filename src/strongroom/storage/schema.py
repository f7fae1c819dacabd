"""Table definitions (SQLAlchemy Core). Alembic migrations create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from strongroom.storage import schema_base
from strongroom.storage.schema_base import id_column
from strongroom.storage.types import UTCDateTime

# The one MetaData every table is on (these, and realm_schema's: imported at the end).
metadata = schema_base.metadata

tenancies = Table(
    "tenancies",
    metadata,
    id_column(primary_key=True),
    Column("name", String(255), nullable=False),
    Column("home_region", String(64), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(400), nullable=False, default=""),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    UniqueConstraint("tenancy_id", "name", name="uq_users_name"),
)

groups = Table(
    "groups",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", String(400), nullable=False, default=""),
    Column("time_created", UTCDateTime(), nullable=False),
    UniqueConstraint("tenancy_id", "name", name="uq_groups_name"),
)

group_memberships = Table(
    "group_memberships",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("group_id", ForeignKey("groups.id"), nullable=False),
    id_column("user_id", ForeignKey("users.id"), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    UniqueConstraint("group_id", "user_id", name="uq_membership"),
    Index("ix_memberships_user", "user_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(600), primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("user_id", ForeignKey("users.id"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("public_key_pem", Text, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Index("ix_api_keys_user", "user_id"),
)

# Users' access keys (OCI's customer secret keys; the Alibaba API's AccessKeyId and secret). The
# secret is sealed by the barrier under the row's identity. Not replicated: a sealed value does
# not open under another region's master key, so these rows stay in the home region.
customer_secret_keys = Table(
    "customer_secret_keys",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("user_id", ForeignKey("users.id"), nullable=False),
    Column("display_name", String(400), nullable=False),
    Column("secret", LargeBinary, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Index("ix_customer_secret_keys_user", "user_id"),
)

vaults = Table(
    "vaults",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("vault_type", String(32), nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_of_deletion", UTCDateTime(), nullable=True),
    Column("freeform_tags", JSON, nullable=False),
    Column("defined_tags", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    # EXTERNAL vaults: the external key manager (client secret sealed by the barrier).
    Column("ekm_endpoint_url", String(1024), nullable=True),
    Column("ekm_idp_url", String(1024), nullable=True),
    Column("ekm_client_app_id", String(255), nullable=True),
    Column("ekm_client_secret", LargeBinary, nullable=True),
    Column("ekm_private_endpoint_id", String(255), nullable=True),
    # ... reached through that private endpoint: a copy of its address, port and CA bundle.
    Column("ekm_dial_ip", String(64), nullable=True),
    Column("ekm_dial_port", Integer, nullable=True),
    Column("ekm_ca_bundle", Text, nullable=True),
    Index("ix_vaults_compartment", "compartment_id", "time_created"),
    Index("ix_vaults_private_endpoint", "ekm_private_endpoint_id"),
)

ekms_private_endpoints = Table(
    "ekms_private_endpoints",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    id_column("subnet_id", nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("external_key_manager_ip", String(64), nullable=False),
    Column("port", Integer, nullable=False),
    Column("ca_bundle", Text, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
    Column("freeform_tags", JSON, nullable=False),
    Column("defined_tags", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_ekms_private_endpoints_compartment", "compartment_id", "time_created"),
)

# The latest health check of each EXTERNAL vault's EKM; written by the health poller, apart
# from the vault row so checks neither change the vault's etag nor drop cached key rows.
ekm_health = Table(
    "ekm_health",
    metadata,
    id_column("vault_id", ForeignKey("vaults.id"), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("detail", String(512), nullable=False),
    Column("time_checked", UTCDateTime(), nullable=True),
)

keys = Table(
    "keys",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    id_column("vault_id", ForeignKey("vaults.id"), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("length", Integer, nullable=False),
    Column("curve_id", String(16), nullable=True),
    Column("protection_mode", String(16), nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    id_column("current_version_id", nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_of_deletion", UTCDateTime(), nullable=True),
    Column("freeform_tags", JSON, nullable=False),
    Column("defined_tags", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("external_key_id", String(255), nullable=True),
    Column("external_key_version_id", String(255), nullable=True),
    # Deletion protection (migration 0018): while on, scheduling deletion is refused.
    Column("deletion_protection", Boolean, nullable=False, server_default=false()),
    Column("deletion_protection_description", Text, nullable=True),
    Index("ix_keys_vault_compartment", "vault_id", "compartment_id", "time_created"),
    Index("ix_keys_external_key", "external_key_id"),
)

key_versions = Table(
    "key_versions",
    metadata,
    id_column(primary_key=True),
    id_column("key_id", ForeignKey("keys.id"), nullable=False),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    id_column("vault_id", nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("material", LargeBinary, nullable=False),
    Column("public_key_pem", Text, nullable=True),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_of_deletion", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("external_key_id", String(255), nullable=True),
    Column("external_key_version_id", String(255), nullable=True),
    Index("ix_key_versions_key", "key_id", "time_created"),
)

# Aliases of keys (the Alibaba KMS API's ``alias/...`` names): unique per tenancy. Not
# replicated (keys are not). Rows of keys deleted for good are ignored, and purged by the
# scheduler (see services.kms.aliases).
key_aliases = Table(
    "key_aliases",
    metadata,
    id_column("tenancy_id", primary_key=True),
    Column("alias_name", String(255), primary_key=True),
    id_column("key_id", ForeignKey("keys.id"), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
    Index("ix_key_aliases_key", "key_id"),
)

# A key's own policy (the Alibaba KMS API's key policies; migration 0019): the document as
# set (JSON, at most 32 KB) and the user OCIDs its user names were bound to. A key without a
# row has the default policy. Not replicated (keys are not).
key_policies = Table(
    "key_policies",
    metadata,
    id_column("key_id", ForeignKey("keys.id"), primary_key=True),
    id_column("tenancy_id", nullable=False),
    Column("document", Text, nullable=False),
    Column("bindings", JSON, nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
)

secrets = Table(
    "secrets",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", nullable=False),
    id_column("compartment_id", nullable=False),
    id_column("vault_id", ForeignKey("vaults.id"), nullable=False),
    id_column("key_id", ForeignKey("keys.id"), nullable=False),
    Column("name", String(255), nullable=False),
    # The name while it is reserved (not deleted): unique per vault; NULL once deleted.
    Column("live_name", String(255), nullable=True),
    Column("description", String(400), nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_of_deletion", UTCDateTime(), nullable=True),
    Column("current_version", Integer, nullable=False),
    Column("previous_version", Integer, nullable=True),
    Column("latest_version", Integer, nullable=False),
    Column("time_of_current_version_expiry", UTCDateTime(), nullable=True),
    Column("secret_metadata", JSON, nullable=False),
    Column("freeform_tags", JSON, nullable=False),
    Column("defined_tags", JSON, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("generation", JSON, nullable=True),
    Column("auto_generation", Boolean, nullable=False),
    Column("rotation", JSON, nullable=True),
    Column("last_rotation_time", UTCDateTime(), nullable=True),
    Column("next_rotation_time", UTCDateTime(), nullable=True),
    Column("digest_key", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False),
    # Cross-region replication (see domain.replication): a source's targets, a replica's source
    # and the source state's sequence number it holds.
    Column("replication_config", JSON, nullable=True),
    Column("source_region", JSON, nullable=True),
    Column("replica_seq", Integer, nullable=True),
    UniqueConstraint("vault_id", "live_name", name="uq_secrets_live_name"),
    Index("ix_secrets_compartment", "compartment_id", "time_created"),
    Index("ix_secrets_next_rotation", "next_rotation_time"),
    Index("ix_secrets_deletion", "time_of_deletion"),
    Index("ix_secrets_key", "key_id"),
)

secret_versions = Table(
    "secret_versions",
    metadata,
    id_column("secret_id", ForeignKey("secrets.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("name", String(255), nullable=True),
    Column("stage", String(16), nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_of_deletion", UTCDateTime(), nullable=True),
    Column("auto_generated", Boolean, nullable=False),
    id_column("key_version_id", nullable=False),
    # Destroyed (NULL) when the version is deleted; the digest stays for the reuse rule.
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("content", LargeBinary, nullable=True),
    Column("digest", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False),
    # The replication sequence number of the last change of the row (the smallest outbox entry
    # its transaction wrote; NULL: changed when the secret was not replicated).
    Column("change_seq", Integer, nullable=True),
    UniqueConstraint("secret_id", "name", name="uq_secret_versions_name"),
    Index("ix_secret_versions_stage", "secret_id", "stage", "number"),
    Index("ix_secret_versions_deletion", "time_of_deletion"),
    Index("ix_secret_versions_changes", "secret_id", "change_seq"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("principal", String(600), primary_key=True),
    Column("token", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("time_created", UTCDateTime(), nullable=False, index=True),
)

barrier_keyring = Table(
    "barrier_keyring",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("master_key_id", String(255), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
)

compartments = Table(
    "compartments",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    id_column("parent_id", nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", String(400), nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("freeform_tags", JSON, nullable=False),
    Column("defined_tags", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_compartments_parent", "parent_id"),
)

dynamic_groups = Table(
    "dynamic_groups",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", String(400), nullable=False),
    Column("matching_rule", Text, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("tenancy_id", "name", name="uq_dynamic_groups_name"),
)

policies = Table(
    "policies",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    id_column("compartment_id", nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", String(400), nullable=False),
    Column("statements", JSON, nullable=False),
    # The statements' names bound to OCIDs when the policy was written (NULL: written before
    # names were bound; bound at start-up). See services/identity/policy_binding.py.
    Column("bindings", JSON, nullable=True),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("tenancy_id", "name", name="uq_policies_name"),
)

applications = Table(
    "applications",
    metadata,
    id_column(primary_key=True),
    id_column("tenancy_id", ForeignKey("tenancies.id"), nullable=False),
    id_column("user_id", ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", String(400), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("expires_on", UTCDateTime(), nullable=True),
    Index("ix_applications_user", "user_id"),
)

token_signing_keys = Table(
    "token_signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_key", LargeBinary, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("time", UTCDateTime(), nullable=False),
    id_column("tenancy_id", nullable=True),
    Column("principal_id", String(255), nullable=True),
    Column("principal_type", String(32), nullable=True),
    Column("operation", String(100), nullable=False),
    Column("resource_id", String(255), nullable=True),
    Column("compartment_id", String(255), nullable=True),
    Column("decision", String(16), nullable=False),
    Column("status", Integer, nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("source", String(64), nullable=True),
    Column("reason", String(64), nullable=True),
    Index("ix_audit_tenancy_time", "tenancy_id", "time"),
    Index("ix_audit_compartment_time", "compartment_id", "time"),
)

# Named leases for work that must happen once (see services.leases): one row per lease name.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# Signatures of state-changing requests seen within the clock-skew window (the replay store).
seen_signatures = Table(
    "seen_signatures",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_seen_signatures_expires", "expires_at"),
)

# Encryption at rest. Nothing in these tables is sealed: unsealing needs them (a KMIP key
# server's address and certificates) before the keyring can be opened. Nothing here is secret.
kmip_key_providers = Table(
    "kmip_key_providers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
)

kmip_key_servers = Table(
    "kmip_key_servers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("hostnames", JSON, nullable=False),  # tried in turn
    Column("port", Integer, nullable=False),
    Column("ca_certificate", Text, nullable=False),
    Column("client_certificate", Text, nullable=False),
    Column("provider_id", Integer, ForeignKey("kmip_key_providers.id"), nullable=True),
    Column("time_created", UTCDateTime(), nullable=False),
)

# Every master key Strongroom has made, the current one (state active) included. The keyring
# row names the master key that wraps it (barrier_keyring.master_key_id = master_keys.key_id).
master_keys = Table(
    "master_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),  # a UUID
    Column("management_type", String(16), nullable=False),  # internal | external
    Column("provider_id", Integer, nullable=True),
    Column("kmip_uid", String(255), nullable=True),  # the object's id on the KMIP server
    Column("state", String(32), nullable=False),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
)

# Element-style asynchronous results (the rekey of the master key).
async_results = Table(
    "async_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("result_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # running | complete
    Column("details", JSON, nullable=False),  # what the work needs to resume after a crash
    Column("result", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("time_created", UTCDateTime(), nullable=False),
    Column("time_updated", UTCDateTime(), nullable=False),
)


# The realm's and replication's tables are defined in realm_schema, on the same metadata:
# imported here so the metadata Alembic and the change feed see holds every table.
from strongroom.storage import realm_schema  # noqa: E402, F401
