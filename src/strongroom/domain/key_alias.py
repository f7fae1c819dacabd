"""Key aliases: tenancy-wide names for keys (the Alibaba KMS API's ``alias/...``).

An alias names one key of its tenancy; a key has at most :data:`MAX_ALIASES_PER_KEY`. The
name rules are Alibaba's: ``alias/`` then letters, digits, ``_``, ``-`` and ``/``, at most
255 characters in all, and nothing under ``alias/acs/`` (reserved for cloud services' keys).
Names are compared exactly (case matters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from strongroom.domain.errors import Conflict, InvalidParameter, NotFound

__all__ = [
    "ALIAS_PREFIX",
    "MAX_ALIASES_PER_KEY",
    "MAX_ALIAS_LENGTH",
    "RESERVED_ALIAS_PREFIX",
    "AliasAlreadyExists",
    "AliasNotFound",
    "KeyAlias",
    "check_alias_name",
    "is_alias",
]

ALIAS_PREFIX = "alias/"
RESERVED_ALIAS_PREFIX = "alias/acs/"
MAX_ALIAS_LENGTH = 255
MAX_ALIASES_PER_KEY = 5  # Alibaba's limit
_NAME = re.compile(r"alias/[A-Za-z0-9_/-]+")


@dataclass(frozen=True)
class KeyAlias:
    """An alias: ``name`` stands for key ``key_id`` within tenancy ``tenancy_id``."""

    tenancy_id: str
    name: str
    key_id: str
    time_created: datetime
    time_updated: datetime


class AliasNotFound(NotFound):
    """No alias of that name in the caller's tenancy (or its key is deleted for good)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The alias {name[:MAX_ALIAS_LENGTH]} does not exist")
        self.name = name


class AliasAlreadyExists(Conflict):
    """The alias name is already in use in the tenancy."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The alias {name} already exists")
        self.name = name


def is_alias(key_ref: str) -> bool:
    """Whether ``key_ref`` (what a caller gave as a key id) is an alias rather than an OCID."""
    return key_ref.startswith(ALIAS_PREFIX)


def check_alias_name(name: str) -> str:
    """``name`` if it is a valid alias name; InvalidParameter saying why otherwise."""
    if not name.startswith(ALIAS_PREFIX):
        raise InvalidParameter(f"AliasName must start with {ALIAS_PREFIX}")
    if len(name) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(f"AliasName must be at most {MAX_ALIAS_LENGTH} characters")
    if not _NAME.fullmatch(name):
        raise InvalidParameter(
            f"AliasName must be {ALIAS_PREFIX} followed by one or more letters, digits, "
            "'_', '-' or '/'"
        )
    if name.startswith(RESERVED_ALIAS_PREFIX):
        raise InvalidParameter(
            f"AliasName must not start with {RESERVED_ALIAS_PREFIX}: it is reserved"
        )
    return name
