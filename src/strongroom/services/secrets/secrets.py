"""Secret use cases: CreateSecret, GetSecret, ListSecrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State, require_state
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.domain.replication import ReplicationConfig
from strongroom.domain.secret import (
    GenerationContext,
    RotationConfig,
    Secret,
    SecretRules,
    Stage,
    check_content,
)
from strongroom.domain.secret_rules import check_rotation, check_rules, next_rotation
from strongroom.domain.vault import Vault
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.lookup import (
    NOT_FOUND,
    as_of,
    key_target,
    require_compartment,
    vault_target,
)
from strongroom.services.ports import Deps
from strongroom.services.secrets.envelope import new_digest_key
from strongroom.services.secrets.generation import check_generation, generate_content
from strongroom.services.secrets.lookup import secret_as_of, secret_for
from strongroom.services.secrets.replica_targets import check_targets
from strongroom.services.secrets.replica_tracking import track_replication
from strongroom.services.secrets.versions import NewContent, add_version
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "CreateSecretRequest",
    "GetSecretRequest",
    "ListSecretsRequest",
    "create_secret",
    "get_secret",
    "list_secrets",
]


@dataclass(frozen=True)
class CreateSecretRequest:
    """CreateSecret's validated input; ``content`` is None when it is to be generated."""

    compartment_id: str
    vault_id: str
    key_id: str
    name: str
    content: bytes | None = None
    version_name: str | None = None
    stage: Stage = Stage.CURRENT
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    freeform_tags: tags.FreeformTags = field(default_factory=dict)
    defined_tags: tags.DefinedTags = field(default_factory=dict)
    rules: SecretRules = field(default_factory=SecretRules)
    generation: GenerationContext | None = None
    auto_generation: bool = False
    rotation: RotationConfig | None = None
    replication: ReplicationConfig | None = None


@dataclass(frozen=True)
class GetSecretRequest:
    """GetSecret's input."""

    secret_id: str


@dataclass(frozen=True)
class ListSecretsRequest:
    """ListSecrets' input; ``filters`` may hold name, vault_id and lifecycle_state."""

    compartment_id: str
    filters: dict[str, str]
    page: PageRequest


def _first_content(request: CreateSecretRequest) -> bytes:
    """The given content, or generated content when auto-generation is on."""
    if request.stage is not Stage.CURRENT:
        raise InvalidParameter("The first version of a secret must be CURRENT")
    if request.generation is not None:
        check_generation(request.generation)
    if request.auto_generation:
        if request.content is not None:
            raise InvalidParameter(
                "secretContent.content cannot be given when enableAutoGeneration is true"
            )
        return generate_content(request.generation)
    if request.content is None:
        raise InvalidParameter(
            "secretContent is required unless enableAutoGeneration is true with a "
            "secretGenerationContext"
        )
    return check_content(request.content)


def create_secret(deps: Deps, call: Call, request: CreateSecretRequest) -> Secret:
    """Create an ACTIVE secret whose first version is CURRENT and LATEST."""
    now = deps.clock.now()
    check_rules(request.rules, now)
    check_rotation(request.rotation, request.auto_generation)
    content = _first_content(request)  # generation may be slow: before the transaction
    replication = request.replication
    if replication is not None and not replication.targets:
        replication = None
    if replication is not None:
        check_targets(deps, call, replication)  # asked before anything is stored
    secret_id = new_ocid("vaultsecret", deps.region, deps.random_bytes)
    with deps.db.transaction() as tx:
        vault = _vault_and_key(deps, tx, call, request, replication is not None)
        secret = Secret(
            id=secret_id,
            tenancy_id=vault.tenancy_id,
            compartment_id=request.compartment_id,
            vault_id=vault.id,
            key_id=request.key_id,
            name=request.name,
            lifecycle_state=State.ACTIVE,
            time_created=now,
            digest_key=new_digest_key(deps, secret_id),
            description=request.description,
            current=0,
            latest=0,
            metadata=request.metadata,
            freeform_tags=request.freeform_tags,
            defined_tags=request.defined_tags,
            rules=request.rules,
            generation=request.generation,
            auto_generation=request.auto_generation,
            rotation=request.rotation,
            next_rotation_time=next_rotation(request.rotation, now),
            replication=replication,
        )
        tx.secrets.release_name(vault.id, request.name, now)
        tx.secrets.add(secret)
        first = NewContent(content, request.version_name, Stage.CURRENT, request.auto_generation)
        add_version(deps, tx, secret, first)
        tx.secrets.save(secret)
        if replication is not None:
            track_replication(deps, tx, call, secret, "CREATE_SECRET", replication.regions)
    return secret


def _vault_and_key(
    deps: Deps, tx: Transaction, call: Call, request: CreateSecretRequest, replicated: bool
) -> Vault:
    """Authorize CreateSecret on the secret's place, its vault and its key (and its
    replication); check them."""
    require_compartment(deps, tx, call, request.compartment_id)
    vault, key = tx.vaults.get(request.vault_id), tx.keys.get(request.key_id)
    tenancy = call.principal.tenancy_id
    if vault is None or key is None or vault.tenancy_id != tenancy or key.tenancy_id != tenancy:
        raise NotFound(NOT_FOUND)
    compartment_id, name = request.compartment_id, request.name
    target = Target(vault.tenancy_id, compartment_id, vault_id=vault.id, secret_name=name)
    authorize(deps, call, "CreateSecret", target, ("SECRET_CREATE",))
    if replicated:
        authorize(deps, call, "CreateSecret", target, ("SECRET_REPLICATE_CONFIGURE",))
    authorize(deps, call, "CreateSecret", vault_target(vault), ("VAULT_CREATE_SECRET",))
    authorize(deps, call, "CreateSecret", key_target(key), ("KEY_ENCRYPT", "KEY_DECRYPT"))
    _check_key(key, vault)
    require_state(as_of(vault, deps.clock.now()).lifecycle_state, (State.ACTIVE,), "vault")
    return vault


def _check_key(key: Key, vault: Vault) -> None:
    if key.vault_id != vault.id:
        raise InvalidParameter("keyId must be a key of the vault vaultId")
    if key.is_external:
        # Secret contents are read on the hot path with cached data keys; Strongroom does not
        # (yet) wrap them through an EKM, so secrets stay out of EXTERNAL vaults.
        raise InvalidParameter(
            "Secrets cannot be stored in an EXTERNAL vault: use a vault of type DEFAULT "
            "or VIRTUAL_PRIVATE"
        )
    if not key.shape.is_symmetric:
        raise InvalidParameter("keyId must be a symmetric (AES) key to encrypt secrets")


def get_secret(deps: Deps, call: Call, request: GetSecretRequest) -> Secret:
    """One secret's metadata, with its state as of now."""
    with deps.db.transaction(read_only=True) as tx:
        return secret_for(deps, tx, call, request.secret_id, "GetSecret")


def list_secrets(deps: Deps, call: Call, request: ListSecretsRequest) -> Page[Secret]:
    """Secrets of a compartment, optionally of one vault, with one name or in one state."""
    compartment_id, filters, page = request.compartment_id, request.filters, request.page
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        target = Target(call.principal.tenancy_id, compartment_id, vault_id=filters.get("vault_id"))
        authorize(deps, call, "ListSecrets", target)
        now = deps.clock.now()
        found = tx.secrets.list(call.principal.tenancy_id, compartment_id, page, filters, now)
    return cut([secret_as_of(s, now) for s in found], page)
