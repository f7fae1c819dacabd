"""Builders for the secrets use-case tests: a secret in a fresh vault, new content, stages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import Secret, Stage
from strongroom.domain.secret_rules import stages_of
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.secrets import secrets, updates, versions
from strongroom.services.secrets.versions import NewContent

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def create(
    deps: Deps,
    call: Call,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    content: bytes | None = b"v1",
    **fields: Any,
) -> Secret:
    """CreateSecret in a new vault under a new AES key; ``fields`` go to the request."""
    vault = new_vault()
    key, _ = new_aes_key(vault)
    request = secrets.CreateSecretRequest(
        compartment_id=vault.compartment_id,
        vault_id=vault.id,
        key_id=key.id,
        name=f"secret-{uuid.uuid4().hex[:8]}",
        content=content,
        **fields,
    )
    return secrets.create_secret(deps, call, request)


def add_content(
    deps: Deps, call: Call, secret_id: str, content: bytes, stage: Stage = Stage.CURRENT
) -> Secret:
    """UpdateSecret with new content: a new version in ``stage`` (CURRENT or PENDING)."""
    changes = updates.SecretChanges(content=NewContent(content, stage=stage))
    return updates.update_secret(deps, call, updates.UpdateSecretRequest(secret_id, changes))


def stages(deps: Deps, call: Call, secret_id: str) -> dict[int, list[str]]:
    """Each version's stages as the API shows them (LATEST included), by version number."""
    request = versions.ListSecretVersionsRequest(secret_id, PageRequest(limit=1000))
    found = versions.list_secret_versions(deps, call, request)
    return {v.number: stages_of(v, found.secret.latest) for v in found.page.items}
