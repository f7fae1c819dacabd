"""Resource types, verbs and the permissions each verb grants (cumulative, left to right)."""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "ALL_PERMISSIONS",
    "ALL_RESOURCES",
    "FAMILIES",
    "PERMISSIONS",
    "VERBS",
    "granted",
    "resource_types",
]

VERBS = ("inspect", "read", "use", "manage")

# Per resource type: the permissions *added* at each verb, in VERBS order.
_ADDED: dict[str, tuple[tuple[str, ...], ...]] = {
    "vaults": (
        ("VAULT_INSPECT",),
        ("VAULT_READ",),
        ("VAULT_CREATE_KEY", "VAULT_IMPORT_KEY", "VAULT_CREATE_SECRET"),
        (
            "VAULT_CREATE",
            "VAULT_UPDATE",
            "VAULT_DELETE",
            "VAULT_MOVE",
            "VAULT_BACKUP",
            "VAULT_RESTORE",
            "VAULT_REPLICATE",
        ),
    ),
    "keys": (
        ("KEY_INSPECT",),
        ("KEY_READ",),
        ("KEY_ENCRYPT", "KEY_DECRYPT", "KEY_EXPORT", "KEY_SIGN", "KEY_VERIFY"),
        (
            "KEY_CREATE",
            "KEY_UPDATE",
            "KEY_ROTATE",
            "KEY_DELETE",
            "KEY_MOVE",
            "KEY_IMPORT",
            "KEY_BACKUP",
            "KEY_RESTORE",
        ),
    ),
    "key-delegate": ((), (), ("KEY_ASSOCIATE", "KEY_DISASSOCIATE"), ()),
    "ekms-private-endpoints": (
        ("EKMS_PRIVATE_ENDPOINT_INSPECT",),
        ("EKMS_PRIVATE_ENDPOINT_READ",),
        (),
        (
            "EKMS_PRIVATE_ENDPOINT_CREATE",
            "EKMS_PRIVATE_ENDPOINT_UPDATE",
            "EKMS_PRIVATE_ENDPOINT_DELETE",
        ),
    ),
    "secrets": (
        ("SECRET_INSPECT",),
        ("SECRET_READ",),
        ("SECRET_UPDATE", "SECRET_ROTATE"),
        ("SECRET_CREATE", "SECRET_DELETE", "SECRET_MOVE", "SECRET_REPLICATE_CONFIGURE"),
    ),
    "secret-versions": (
        ("SECRET_VERSION_INSPECT",),
        ("SECRET_VERSION_READ",),
        (),
        ("SECRET_VERSION_DELETE",),
    ),
    "secret-bundles": (("SECRET_BUNDLE_INSPECT",), ("SECRET_BUNDLE_READ",), (), ()),
    "secret-replication": ((), (), ("SECRET_REPLICATE",), ()),
    "compartments": (
        ("COMPARTMENT_INSPECT",),
        ("COMPARTMENT_READ",),
        (),
        ("COMPARTMENT_CREATE", "COMPARTMENT_UPDATE", "COMPARTMENT_DELETE", "COMPARTMENT_MOVE"),
    ),
    "users": (
        ("USER_INSPECT",),
        ("USER_READ",),
        ("USER_UPDATE",),
        (
            "USER_CREATE",
            "USER_DELETE",
            "USER_APIKEY_ADD",
            "USER_APIKEY_REMOVE",
            "USER_SECRETKEY_ADD",
            "USER_SECRETKEY_UPDATE",
            "USER_SECRETKEY_REMOVE",
        ),
    ),
    "groups": (
        ("GROUP_INSPECT",),
        ("GROUP_READ",),
        ("GROUP_UPDATE",),
        ("GROUP_CREATE", "GROUP_DELETE"),
    ),
    "dynamic-groups": (
        ("DYNAMIC_GROUP_INSPECT",),
        ("DYNAMIC_GROUP_READ",),
        ("DYNAMIC_GROUP_UPDATE",),
        ("DYNAMIC_GROUP_CREATE", "DYNAMIC_GROUP_DELETE"),
    ),
    "policies": (
        ("POLICY_READ",),
        (),
        (),
        ("POLICY_CREATE", "POLICY_UPDATE", "POLICY_DELETE"),
    ),
    "apps": (
        ("APP_INSPECT",),
        ("APP_READ",),
        (),
        ("APP_CREATE", "APP_UPDATE", "APP_DELETE"),
    ),
    "audit-events": ((), ("AUDIT_EVENT_READ",), (), ()),
    # The deployment's metrics (GET /metrics on the main listener): read, in the tenancy.
    "metrics": ((), ("METRICS_READ",), (), ()),
}

FAMILIES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "secret-family": ("secrets", "secret-versions", "secret-bundles"),
        "vault-family": ("vaults", "keys", "key-delegate"),
        "identity-family": (
            "compartments",
            "users",
            "groups",
            "dynamic-groups",
            "policies",
            "apps",
        ),
    }
)
ALL_RESOURCES = "all-resources"


def _cumulative(added: tuple[tuple[str, ...], ...]) -> dict[str, frozenset[str]]:
    granted: set[str] = set()
    table = {}
    for verb, permissions in zip(VERBS, added, strict=True):
        granted |= set(permissions)
        table[verb] = frozenset(granted)
    return table


PERMISSIONS: MappingProxyType[str, dict[str, frozenset[str]]] = MappingProxyType(
    {resource: _cumulative(added) for resource, added in _ADDED.items()}
)
ALL_PERMISSIONS: frozenset[str] = frozenset().union(
    *(table["manage"] for table in PERMISSIONS.values())
)


def resource_types() -> tuple[str, ...]:
    """Every resource-type word a policy may use."""
    return (*PERMISSIONS, *FAMILIES, ALL_RESOURCES)


def granted(verb: str, resource_type: str) -> frozenset[str]:
    """The permissions ``verb resource_type`` grants (KeyError for unknown words)."""
    if resource_type == ALL_RESOURCES:
        members: tuple[str, ...] = tuple(PERMISSIONS)
    else:
        members = FAMILIES.get(resource_type, (resource_type,))
    result: frozenset[str] = frozenset()
    for member in members:
        result |= PERMISSIONS[member][verb]
    return result
