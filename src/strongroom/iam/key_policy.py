"""Key policies (the Alibaba KMS API's SetKeyPolicy, GetKeyPolicy, CreateKey ``Policy``): the
JSON document, parsed and checked. Pure. How a parsed policy decides is
:mod:`strongroom.iam.key_policy_eval`'s.

A document, as Alibaba writes one::

    {"Version": "1",
     "Statement": [{"Sid": "kms default key policy",
                    "Effect": "Allow",
                    "Principal": {"RAM": ["acs:ram::<tenancy OCID>:*"]},
                    "Action": ["kms:*"],
                    "Resource": ["*"],
                    "Condition": {"IpAddress": {"acs:SourceIp": ["192.0.2.0/24"]}}}]}

- ``Principal.RAM`` names Strongroom principals with Alibaba's RAM ARNs: a whole tenancy
  (``acs:ram::<tenancy OCID>:*``, or ``:root``) or one user (``...:user/<user OCID>``, or
  ``...:user/<name>`` for a user of the key's own tenancy: the service binds names to OCIDs
  when the policy is set, see :meth:`KeyPolicy.bound`). RAM roles do not exist here.
- ``Action``: ``kms:*`` and the entries of Alibaba's key policy roles (see
  :mod:`.key_policy_actions`); ``Resource``: ``*`` (the key itself).
- ``Condition``: ``IpAddress`` / ``NotIpAddress`` on ``acs:SourceIp`` (addresses or networks).

Anything else is refused with :class:`KeyPolicyError`, which says which statement and field:
unknown fields, actions, effects, principals and condition operators or keys, wrong types,
and documents over :data:`MAX_POLICY_BYTES` (UTF-8).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from strongroom.iam.key_policy_actions import ALL_ACTIONS, is_known_entry

__all__ = [
    "MAX_POLICY_BYTES",
    "POLICY_NAME",
    "IpCondition",
    "KeyPolicy",
    "KeyPolicyError",
    "KeyStatement",
    "RamPrincipal",
    "default_policy",
    "parse_key_policy",
]

MAX_POLICY_BYTES = 32 * 1024  # Alibaba's limit: 32,768 bytes
POLICY_NAME = "default"  # the only name a key's policy has
_SID = re.compile(r"^[A-Za-z0-9 _/+=.@-]{1,128}$")
_STATEMENT_FIELDS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
_IP_OPERATORS = ("IpAddress", "NotIpAddress")
_SOURCE_IP = "acs:SourceIp"
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class KeyPolicyError(Exception):
    """A key policy document Strongroom refuses; the message says where and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RamPrincipal:
    """A principal a statement names: every principal of ``tenancy_id`` (``user`` None), or
    one user of it (``user``: its OCID, or its name until the policy is bound)."""

    tenancy_id: str
    user: str | None
    arn: str

    @property
    def names_user_by_name(self) -> bool:
        """Whether ``user`` is a name (to bind to an OCID), not an OCID."""
        return self.user is not None and not self.user.startswith("ocid1.")


@dataclass(frozen=True)
class IpCondition:
    """``IpAddress`` (``negated`` False) or ``NotIpAddress`` on ``acs:SourceIp``: whether the
    caller's address is (is not) in one of ``networks``."""

    negated: bool
    networks: tuple[_Network, ...]


@dataclass(frozen=True)
class KeyStatement:
    """One statement: ``effect`` ``allow`` or ``deny``; ``actions`` lower-case entries."""

    effect: str
    principals: tuple[RamPrincipal, ...]
    actions: tuple[str, ...]
    conditions: tuple[IpCondition, ...] = ()
    sid: str | None = None


@dataclass(frozen=True)
class KeyPolicy:
    """A parsed key policy document."""

    statements: tuple[KeyStatement, ...]

    def user_names(self, tenancy_id: str) -> frozenset[str]:
        """The names (not OCIDs) of users of ``tenancy_id`` the statements name."""
        return frozenset(
            p.user
            for s in self.statements
            for p in s.principals
            if p.user is not None and p.names_user_by_name and p.tenancy_id == tenancy_id
        )

    def bound(self, users: Mapping[str, str]) -> KeyPolicy:
        """The policy with user names replaced by the OCIDs ``users`` maps them to; a name it
        does not map names no one (an empty user, which matches no caller)."""
        if not any(p.names_user_by_name for s in self.statements for p in s.principals):
            return self

        def bind(p: RamPrincipal) -> RamPrincipal:
            if not p.names_user_by_name:
                return p
            return replace(p, user=users.get(p.user or "", ""))

        return KeyPolicy(
            tuple(replace(s, principals=tuple(map(bind, s.principals))) for s in self.statements)
        )


def default_policy(tenancy_id: str) -> str:
    """The document of a key without a policy of its own, as Alibaba's default key policy:
    every ``kms:`` action to the key's tenancy (whose own IAM policies then decide)."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Sid": "kms default key policy",
                    "Effect": "Allow",
                    "Principal": {"RAM": [f"acs:ram::{tenancy_id}:*"]},
                    "Action": [ALL_ACTIONS],
                    "Resource": ["*"],
                }
            ],
        },
        separators=(",", ":"),
    )


def parse_key_policy(document: str) -> KeyPolicy:
    """Parse and check a key policy document; KeyPolicyError when it is refused."""
    if len(document.encode("utf-8")) > MAX_POLICY_BYTES:
        raise KeyPolicyError(f"a key policy is at most {MAX_POLICY_BYTES} bytes")
    try:
        parsed = json.loads(document)
    except ValueError:
        raise KeyPolicyError("the key policy is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise KeyPolicyError("a key policy is a JSON object with Version and Statement")
    unknown = sorted(set(parsed) - {"Version", "Statement"})
    if unknown:
        raise KeyPolicyError(
            f"unknown field {unknown[0]!r}: a key policy has Version and Statement"
        )
    if parsed.get("Version") != "1":
        raise KeyPolicyError('Version must be "1"')
    statements = parsed.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise KeyPolicyError("Statement must be a non-empty list of statements")
    return KeyPolicy(tuple(_statement(i, s) for i, s in enumerate(statements, start=1)))


def _statement(index: int, value: Any) -> KeyStatement:
    where = f"statement {index}"
    if not isinstance(value, dict):
        raise KeyPolicyError(f"{where} is not a JSON object")
    unknown = sorted(set(value) - _STATEMENT_FIELDS)
    if unknown:
        raise KeyPolicyError(
            f"{where}: unknown field {unknown[0]!r} (a statement has "
            f"{', '.join(sorted(_STATEMENT_FIELDS))})"
        )
    sid = value.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not _SID.match(sid)):
        raise KeyPolicyError(f"{where}: Sid is 1 to 128 letters, digits, spaces and _ / + = . @ -")
    effect = value.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise KeyPolicyError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    _resources(where, value.get("Resource"))
    return KeyStatement(
        effect=effect.lower(),
        principals=_principals(where, value.get("Principal")),
        actions=_actions(where, value.get("Action")),
        conditions=_conditions(where, value.get("Condition")),
        sid=sid,
    )


def _strings(where: str, field: str, value: Any) -> list[str]:
    """A string or a non-empty list of non-empty strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise KeyPolicyError(f"{where}: {field} must be a string or a non-empty list of strings")
    if not all(isinstance(item, str) and item for item in items):
        raise KeyPolicyError(f"{where}: {field} must hold non-empty strings only")
    return items


def _principals(where: str, value: Any) -> tuple[RamPrincipal, ...]:
    if not isinstance(value, dict) or set(value) != {"RAM"}:
        raise KeyPolicyError(f'{where}: Principal must be {{"RAM": [<RAM ARN>, ...]}}')
    return tuple(_principal(where, arn) for arn in _strings(where, "Principal.RAM", value["RAM"]))


def _principal(where: str, arn: str) -> RamPrincipal:
    shape = "acs:ram::<tenancy OCID>:* (or :root, or :user/<user OCID or name>)"
    parts = arn.split(":", 4)
    if len(parts) != 5 or parts[:3] != ["acs", "ram", ""]:
        raise KeyPolicyError(f"{where}: principal {arn!r} is not a RAM ARN: {shape}")
    tenancy_id, name = parts[3], parts[4]
    if not tenancy_id.startswith("ocid1.tenancy."):
        raise KeyPolicyError(f"{where}: principal {arn!r} must name a tenancy by its OCID")
    if name in ("*", "root"):
        return RamPrincipal(tenancy_id, None, arn)
    kind, _, user = name.partition("/")
    if kind == "user" and user and "*" not in user:
        return RamPrincipal(tenancy_id, user, arn)
    if kind == "role":
        raise KeyPolicyError(
            f"{where}: principal {arn!r} names a RAM role; Strongroom has users: name a user "
            "or the whole tenancy"
        )
    raise KeyPolicyError(f"{where}: principal {arn!r} is not one of {shape}")


def _actions(where: str, value: Any) -> tuple[str, ...]:
    entries = _strings(where, "Action", value)
    for entry in entries:
        if not is_known_entry(entry):
            raise KeyPolicyError(
                f"{where}: unknown action {entry!r} (kms:* or an entry of the administrators' "
                "or users' roles, such as kms:Encrypt, kms:DescribeKey or kms:List*)"
            )
    return tuple(entry.lower() for entry in entries)


def _resources(where: str, value: Any) -> None:
    if _strings(where, "Resource", value) != ["*"]:
        raise KeyPolicyError(f'{where}: Resource must be "*" (the key itself)')


def _conditions(where: str, value: Any) -> tuple[IpCondition, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise KeyPolicyError(f"{where}: Condition must be a JSON object of operators")
    found = []
    for operator, tests in value.items():
        if operator not in _IP_OPERATORS:
            raise KeyPolicyError(
                f"{where}: unknown condition operator {operator!r} (IpAddress or NotIpAddress)"
            )
        if not isinstance(tests, dict) or not tests:
            raise KeyPolicyError(f"{where}: Condition {operator} must map condition keys to values")
        for key, values in tests.items():
            if key != _SOURCE_IP:
                raise KeyPolicyError(f"{where}: unknown condition key {key!r} ({_SOURCE_IP})")
            networks = tuple(_network(where, v) for v in _strings(where, key, values))
            found.append(IpCondition(operator == "NotIpAddress", networks))
    return tuple(found)


def _network(where: str, value: str) -> _Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise KeyPolicyError(f"{where}: {value!r} is not an IP address or network") from None
