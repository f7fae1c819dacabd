"""OCIDs: ``ocid1.<resource-type>.<realm>.[region]..<unique-id>``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from strongroom.domain.errors import InvalidParameter

__all__ = ["REALM", "new_ocid", "ocid_type", "require_ocid"]

REALM = "oc1"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_OCID_RE = re.compile(
    r"^ocid1\.([a-z0-9]+)\.([a-z0-9]+)\.([a-z0-9-]*)(\.[a-z0-9-]*)?\.([a-z0-9]{1,255})$"
)


def new_ocid(resource_type: str, region: str, random_bytes: Callable[[int], bytes]) -> str:
    """Return a fresh OCID for ``resource_type``; randomness is injected by the caller."""
    raw = random_bytes(33)
    unique = "".join(_ALPHABET[b % 32] for b in raw)
    if resource_type == "tenancy":
        return f"ocid1.tenancy.{REALM}..aaaaaaaa{unique}"
    return f"ocid1.{resource_type}.{REALM}.{region}..aaaaaaaa{unique}"


@functools.lru_cache(maxsize=65_536)
def ocid_type(value: str) -> str | None:
    """The resource type of an OCID, or None when ``value`` is not an OCID."""
    match = _OCID_RE.fullmatch(value)
    return match.group(1) if match else None


def require_ocid(value: object, field: str, *resource_types: str) -> str:
    """Validate that ``value`` is an OCID of one of ``resource_types``; raise InvalidParameter."""
    if not isinstance(value, str) or ocid_type(value) is None:
        raise InvalidParameter(f"{field} is not a valid OCID")
    if resource_types and ocid_type(value) not in resource_types:
        expected = " or ".join(resource_types)
        raise InvalidParameter(f"{field} must be the OCID of a {expected}")
    return value
