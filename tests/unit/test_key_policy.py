"""Key policies, pure: Alibaba's document format parsed and checked (every refusal says
where), the action vocabulary of the key policy roles, what a policy says of a call, and how
that combines with IAM (deny anywhere wins; within the tenancy IAM or the key policy; across
tenancies both)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from strongroom.iam.key_policy import (
    MAX_POLICY_BYTES,
    KeyPolicy,
    KeyPolicyError,
    default_policy,
    parse_key_policy,
)
from strongroom.iam.key_policy_actions import (
    ADMINISTRATOR_ENTRIES,
    OPERATION_ACTIONS,
    USER_ENTRIES,
    actions_for,
    covers,
    is_known_entry,
    is_user_action,
)
from strongroom.iam.key_policy_eval import Effect, KeyPolicyQuestion, decide, evaluate

HOME = "ocid1.tenancy.oc1..aaaaaaaahome"
AWAY = "ocid1.tenancy.oc1..aaaaaaaaaway"
ALICE = "ocid1.user.oc1..aaaaaaaaalice"
BOB = "ocid1.user.oc1..aaaaaaaabob"
CAROL = "ocid1.user.oc1..aaaaaaaacarol"  # a user of AWAY


def _statement(
    effect: str, principals: list[str], actions: list[str], **more: Any
) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"RAM": principals},
        "Action": actions,
        "Resource": ["*"],
        **more,
    }


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def _policy(*statements: dict[str, Any]) -> KeyPolicy:
    return parse_key_policy(_document(*statements))


def _ask(
    policy: KeyPolicy,
    operation: str = "Encrypt",
    *,
    tenancy: str = HOME,
    user: str = ALICE,
    principal_type: str = "user",
    source_ip: str | None = None,
    permissions: tuple[str, ...] = (),
) -> Effect:
    question = KeyPolicyQuestion(
        tenancy_id=tenancy,
        principal_id=user,
        principal_type=principal_type,
        key_tenancy_id=HOME,
        actions=actions_for(operation, permissions),
        source_ip=source_ip,
    )
    return evaluate(policy, question)


# --- the document ---------------------------------------------------------------------------


def test_the_default_policy_is_alibabas_and_parses() -> None:
    document = json.loads(default_policy(HOME))
    assert document == {
        "Version": "1",
        "Statement": [
            {
                "Sid": "kms default key policy",
                "Effect": "Allow",
                "Principal": {"RAM": [f"acs:ram::{HOME}:*"]},
                "Action": ["kms:*"],
                "Resource": ["*"],
            }
        ],
    }
    (statement,) = parse_key_policy(default_policy(HOME)).statements
    assert statement.effect == "allow" and statement.actions == ("kms:*",)
    assert statement.principals[0].tenancy_id == HOME and statement.principals[0].user is None


def test_alibabas_documented_example_with_administrators_and_users_parses() -> None:
    policy = _policy(
        _statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"], Sid="kms default key policy"),
        _statement("Allow", [f"acs:ram::{HOME}:user/for_test_policy"], list(ADMINISTRATOR_ENTRIES)),
        _statement("Allow", [f"acs:ram::{AWAY}:user/{CAROL}"], list(USER_ENTRIES)),
    )
    admins, users = policy.statements[1], policy.statements[2]
    assert admins.principals[0].user == "for_test_policy"
    assert admins.principals[0].names_user_by_name
    assert not users.principals[0].names_user_by_name
    assert "kms:list*" in admins.actions and "kms:encrypt" in users.actions


def test_single_strings_stand_for_lists_and_a_lone_statement_for_a_list() -> None:
    document = json.dumps(
        {
            "Version": "1",
            "Statement": {
                "Effect": "deny",
                "Principal": {"RAM": f"acs:ram::{HOME}:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}},
            },
        }
    )
    (statement,) = parse_key_policy(document).statements
    assert statement.effect == "deny" and statement.actions == ("kms:decrypt",)
    assert statement.conditions[0].negated


def test_a_document_of_32_kb_parses_and_one_byte_more_is_refused() -> None:
    head = _document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"], Sid="x"))
    exact = head + " " * (MAX_POLICY_BYTES - len(head.encode()))
    assert len(exact.encode()) == MAX_POLICY_BYTES
    parse_key_policy(exact)
    with pytest.raises(KeyPolicyError, match="at most 32768 bytes"):
        parse_key_policy(exact + " ")
    # Bytes, not characters: two-byte characters count twice.
    sid = "é" * (MAX_POLICY_BYTES // 2)
    with pytest.raises(KeyPolicyError, match="at most 32768 bytes"):
        parse_key_policy(_document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"], Sid=sid)))


REFUSED: list[tuple[str, str]] = [
    ("{not json", "not valid JSON"),
    ("[]", "JSON object"),
    (json.dumps({"Version": "1", "Statement": [], "Id": "x"}), "unknown field 'Id'"),
    (json.dumps({"Version": "2", "Statement": []}), 'Version must be "1"'),
    (json.dumps({"Version": 1, "Statement": []}), 'Version must be "1"'),
    (json.dumps({"Version": "1", "Statement": []}), "non-empty list"),
    (json.dumps({"Version": "1"}), "non-empty list"),
    (_document("nope"), "statement 1 is not a JSON object"),  # type: ignore[arg-type]
    (
        _document(_statement("Permit", [f"acs:ram::{HOME}:*"], ["kms:*"])),
        "statement 1: Effect must be Allow or Deny, not 'Permit'",
    ),
    (_document({"Principal": {"RAM": [f"acs:ram::{HOME}:*"]}, "Action": "kms:*"}), "Effect"),
    (
        _document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"], NotAction=["x"])),
        "unknown field 'NotAction'",
    ),
    (
        _document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:Fly"])),
        "unknown action 'kms:Fly'",
    ),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["ecs:*"])), "unknown action 'ecs:*'"),
    (
        _document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:AsymmetricSign"])),
        "unknown action",
    ),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:*"], [])), "Action must be"),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*", ""])), "non-empty strings"),
    (
        _document(_statement("Allow", ["acs:ram::12345:*"], ["kms:*"])),
        "must name a tenancy by its OCID",
    ),
    (_document(_statement("Allow", ["*"], ["kms:*"])), "is not a RAM ARN"),
    (_document(_statement("Allow", [f"acs:ram:cn:{HOME}:*"], ["kms:*"])), "is not a RAM ARN"),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:role/admin"], ["kms:*"])), "RAM role"),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:group/x"], ["kms:*"])), "is not one of"),
    (_document(_statement("Allow", [f"acs:ram::{HOME}:user/"], ["kms:*"])), "is not one of"),
    (
        _document({**_statement("Allow", [], ["kms:*"]), "Principal": "*"}),
        "Principal must be",
    ),
    (
        _document({**_statement("Allow", [], ["kms:*"]), "Principal": {"Service": ["x"]}}),
        "Principal must be",
    ),
    (
        _document({**_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"]), "Resource": "k"}),
        'Resource must be "*"',
    ),
    (
        _document(_statement("Allow", [f"acs:ram::{HOME}:*"], ["kms:*"], Sid="no#hash")),
        "Sid is 1 to 128",
    ),
    (
        _document(
            _statement(
                "Allow",
                [f"acs:ram::{HOME}:*"],
                ["kms:*"],
                Condition={"StringEquals": {"acs:SourceIp": "1.2.3.4"}},
            )
        ),
        "unknown condition operator 'StringEquals'",
    ),
    (
        _document(
            _statement(
                "Allow",
                [f"acs:ram::{HOME}:*"],
                ["kms:*"],
                Condition={"IpAddress": {"acs:SourceVpc": "vpc-1"}},
            )
        ),
        "unknown condition key 'acs:SourceVpc'",
    ),
    (
        _document(
            _statement(
                "Allow",
                [f"acs:ram::{HOME}:*"],
                ["kms:*"],
                Condition={"IpAddress": {"acs:SourceIp": "10.0.0.300"}},
            )
        ),
        "is not an IP address or network",
    ),
]


@pytest.mark.parametrize(("document", "why"), REFUSED)
def test_bad_documents_are_refused_saying_why(document: str, why: str) -> None:
    with pytest.raises(KeyPolicyError) as caught:
        parse_key_policy(document)
    assert why in caught.value.message


# --- actions --------------------------------------------------------------------------------


def test_known_entries_are_the_roles_kms_star_and_what_the_roles_grant() -> None:
    for entry in (*ADMINISTRATOR_ENTRIES, *USER_ENTRIES, "kms:*", "KMS:ENCRYPT"):
        assert is_known_entry(entry), entry
    for entry in ("kms:EnableKey", "kms:SetKeyPolicy", "kms:GetKeyPolicy", "kms:ListKeys"):
        assert is_known_entry(entry), entry  # an administrator's entry covers it
    for entry in ("kms:AsymmetricSign", "kms:ChangeKeyCompartment", "kms:Enc*", "kms:", "x"):
        assert not is_known_entry(entry), entry


def test_operations_map_to_alibabas_action_names() -> None:
    assert actions_for("GenerateDataEncryptionKey", ("KEY_ENCRYPT",)) == ("kms:generatedatakey",)
    assert actions_for("GetKey", ("KEY_READ",)) == ("kms:describekey",)
    assert actions_for("UpdateKey", ("KEY_UPDATE",)) == ("kms:updatekeydescription",)
    # Operations on another resource that use the key: one action per key permission.
    assert actions_for("CreateSecret", ("KEY_ENCRYPT", "KEY_DECRYPT")) == (
        "kms:encrypt",
        "kms:decrypt",
    )
    assert actions_for("SomethingNew", ("KEY_ROTATE",)) == ("kms:somethingnew",)
    assert all(a.startswith("kms:") for actions in OPERATION_ACTIONS.values() for a in actions)


def test_wildcards_cover_a_prefix_only() -> None:
    assert covers("kms:list*", "kms:listkeyversions") and covers("kms:*", "kms:encrypt")
    assert not covers("kms:list*", "kms:describekey") and not covers("kms:encrypt", "kms:enc")
    assert is_user_action("kms:encrypt") and not is_user_action("kms:setkeypolicy")


# --- what a policy says ---------------------------------------------------------------------


def test_the_default_policy_says_nothing_of_anyone_and_leaves_it_to_iam() -> None:
    policy = parse_key_policy(default_policy(HOME))
    for operation in ("Encrypt", "SetKeyPolicy", "ScheduleKeyDeletion"):
        assert _ask(policy, operation) is Effect.NONE
        assert _ask(policy, operation, tenancy=AWAY, user=CAROL) is Effect.NONE


def test_a_user_is_allowed_what_the_statement_names_and_nothing_else() -> None:
    policy = _policy(_statement("Allow", [f"acs:ram::{HOME}:user/{ALICE}"], ["kms:Encrypt"]))
    assert _ask(policy, "Encrypt") is Effect.ALLOW
    assert _ask(policy, "Decrypt") is Effect.NONE
    assert _ask(policy, "Encrypt", user=BOB) is Effect.NONE
    # A principal that is not a user (a resource principal) is never a user principal.
    assert _ask(policy, "Encrypt", principal_type="vaultsecret") is Effect.NONE
    # Every action the operation needs must be allowed.
    assert _ask(policy, "CreateSecret", permissions=("KEY_ENCRYPT", "KEY_DECRYPT")) is Effect.NONE


def test_administrator_entries_cover_the_management_operations() -> None:
    policy = _policy(
        _statement("Allow", [f"acs:ram::{HOME}:user/{ALICE}"], list(ADMINISTRATOR_ENTRIES))
    )
    for operation in ("GetKey", "EnableKey", "DisableKey", "SetKeyPolicy", "GetKeyPolicy"):
        assert _ask(policy, operation) is Effect.ALLOW, operation
    for operation in ("ScheduleKeyDeletion", "CancelKeyDeletion", "CreateAlias", "UpdateKey"):
        assert _ask(policy, operation) is Effect.ALLOW, operation
    for operation in ("Encrypt", "Decrypt", "ChangeKeyCompartment", "Sign"):
        assert _ask(policy, operation) is Effect.NONE, operation


def test_a_deny_wins_over_any_allow_and_may_name_a_whole_tenancy() -> None:
    policy = _policy(
        _statement("Allow", [f"acs:ram::{HOME}:user/{ALICE}"], ["kms:*"]),
        _statement("Deny", [f"acs:ram::{HOME}:*"], ["kms:Decrypt"]),
    )
    assert _ask(policy, "Encrypt") is Effect.ALLOW
    assert _ask(policy, "Decrypt") is Effect.DENY
    assert _ask(policy, "Decrypt", user=BOB) is Effect.DENY
    assert _ask(policy, "CreateSecret", permissions=("KEY_ENCRYPT", "KEY_DECRYPT")) is Effect.DENY
    assert _ask(policy, "Decrypt", tenancy=AWAY, user=CAROL) is Effect.NONE


def test_another_tenancy_is_granted_the_key_users_actions_only() -> None:
    whole = _policy(_statement("Allow", [f"acs:ram::{AWAY}:*"], ["kms:*"]))
    one = _policy(_statement("Allow", [f"acs:ram::{AWAY}:user/{CAROL}"], ["kms:*"]))
    for policy in (whole, one):
        for operation in ("Encrypt", "Decrypt", "GenerateDataEncryptionKey", "GetKey"):
            assert _ask(policy, operation, tenancy=AWAY, user=CAROL) is Effect.ALLOW
        for operation in ("SetKeyPolicy", "EnableKey", "ScheduleKeyDeletion", "ExportKey"):
            assert _ask(policy, operation, tenancy=AWAY, user=CAROL) is Effect.NONE
    assert _ask(one, "Encrypt", tenancy=AWAY, user=BOB) is Effect.NONE
    # The same user id in the key's tenancy is another principal.
    assert _ask(one, "Encrypt", tenancy=HOME, user=CAROL) is Effect.NONE


def test_an_allow_to_the_keys_own_tenancy_grants_nothing_by_itself() -> None:
    policy = _policy(_statement("Allow", [f"acs:ram::{HOME}:root"], ["kms:*"]))
    assert _ask(policy, "Encrypt") is Effect.NONE


def test_source_ip_conditions_hold_for_the_named_networks() -> None:
    inside = _policy(
        _statement(
            "Allow",
            [f"acs:ram::{HOME}:user/{ALICE}"],
            ["kms:Encrypt"],
            Condition={"IpAddress": {"acs:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}},
        )
    )
    assert _ask(inside, source_ip="10.1.2.3") is Effect.ALLOW
    assert _ask(inside, source_ip="2001:db8::1") is Effect.ALLOW
    assert _ask(inside, source_ip="192.0.2.1") is Effect.NONE
    assert _ask(inside, source_ip=None) is Effect.NONE  # no address: the test fails
    outside = _policy(
        _statement(
            "Deny",
            [f"acs:ram::{HOME}:*"],
            ["kms:*"],
            Condition={"NotIpAddress": {"acs:SourceIp": "10.0.0.0/8"}},
        )
    )
    assert _ask(outside, source_ip="10.1.2.3") is Effect.NONE
    assert _ask(outside, source_ip="192.0.2.1") is Effect.DENY
    assert _ask(outside, source_ip=None) is Effect.DENY  # no address: the negated test holds
    assert _ask(outside, source_ip="not an address") is Effect.DENY


def test_user_names_match_once_bound_to_ocids() -> None:
    policy = _policy(_statement("Allow", [f"acs:ram::{HOME}:user/alice"], ["kms:Encrypt"]))
    assert policy.user_names(HOME) == {"alice"} and policy.user_names(AWAY) == set()
    assert _ask(policy) is Effect.NONE  # unbound: a name is not an id
    assert _ask(policy.bound({"alice": ALICE})) is Effect.ALLOW
    assert _ask(policy.bound({})) is Effect.NONE  # a name that bound to nothing names no one
    unnamed = _policy(_statement("Allow", [f"acs:ram::{HOME}:user/{ALICE}"], ["kms:Encrypt"]))
    assert unnamed.bound({"x": BOB}) is unnamed


# --- with IAM -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iam_allowed", "iam_denied", "key_policy", "cross"),
    list(itertools.product((True, False), (True, False), tuple(Effect), (True, False))),
)
def test_decide_follows_the_rules(
    iam_allowed: bool, iam_denied: bool, key_policy: Effect, cross: bool
) -> None:
    if iam_denied and iam_allowed:
        return  # IAM never both allows and explicitly denies
    allowed = decide(
        iam_allowed=iam_allowed, iam_denied=iam_denied, key_policy=key_policy, cross_tenancy=cross
    )
    if iam_denied or key_policy is Effect.DENY:
        assert not allowed  # an explicit Deny anywhere wins
    elif cross:
        assert allowed == (iam_allowed and key_policy is Effect.ALLOW)  # both must allow
    else:
        assert allowed == (iam_allowed or key_policy is Effect.ALLOW)  # either suffices
