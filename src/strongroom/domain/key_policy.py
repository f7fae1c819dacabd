"""A key's own policy as stored: the document as it was set, and what its user names bound
to when it was (the document's format and meaning are :mod:`strongroom.iam.key_policy`'s)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["KeyPolicyRecord"]


@dataclass(frozen=True)
class KeyPolicyRecord:
    """The policy of key ``key_id`` (of ``tenancy_id``): ``document`` exactly as given (JSON,
    at most 32 KB), and ``bindings`` from each user name it gives to the user OCID the name
    named when the policy was set (a user deleted and re-created under the same name does not
    inherit the old one's place). A key without a record has the default policy."""

    key_id: str
    tenancy_id: str
    document: str
    time_updated: datetime
    bindings: dict[str, str] = field(default_factory=dict)
