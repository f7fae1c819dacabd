"""The policy evaluator: deny beats allow, all permissions needed, compartment inheritance,
conditions, and a compartment tree that cannot be made to loop or grant by accident."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from strongroom.iam.compartments import MAX_DEPTH, CompartmentTree
from strongroom.iam.evaluator import Actor, Decision, Policy, PolicySet, Question, holds
from strongroom.iam.operations import permissions_for
from strongroom.iam.policy_ast import Combination, Compare, Membership
from strongroom.iam.policy_parser import parse_condition, parse_statement

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy"
APPS = "ocid1.compartment.oc1..aaaaaaaaapps"
PROD = "ocid1.compartment.oc1..aaaaaaaaprod"
PROD_EU = "ocid1.compartment.oc1..aaaaaaaaprodeu"
DEV = "ocid1.compartment.oc1..aaaaaaaadev"
OTHER = "ocid1.compartment.oc1..aaaaaaaaother"
UNKNOWN = "ocid1.compartment.oc1..aaaaaaaaunknown"
DEVS = "ocid1.group.oc1..aaaaaaaadevs"
OPS = "ocid1.group.oc1..aaaaaaaaops"
RUNNERS = "ocid1.dynamicgroup.oc1..aaaaaaaarunners"
KEY = "ocid1.key.oc1.us-ashburn-1..aaaaaaaakey"

#   tenancy
#   ├── Apps
#   │   ├── Prod
#   │   │   └── EU
#   │   └── Dev
#   └── Other
TREE = CompartmentTree(
    TENANCY,
    {TENANCY: None, APPS: TENANCY, PROD: APPS, PROD_EU: PROD, DEV: APPS, OTHER: TENANCY},
    {APPS: "Apps", PROD: "Prod", PROD_EU: "EU", DEV: "Dev", OTHER: "Other"},
)
ALL_COMPARTMENTS = (TENANCY, APPS, PROD, PROD_EU, DEV, OTHER)

ALICE = Actor("ocid1.user.oc1..alice", "user", frozenset({DEVS}), frozenset({"Devs"}))
BOB = Actor("ocid1.user.oc1..bob", "user", frozenset({OPS}), frozenset({"Ops"}))
LONER = Actor("ocid1.user.oc1..loner", "user")
RUNNER = Actor(
    "ocid1.vaultsecret.oc1..secret",
    "resource",
    dynamic_group_ids=frozenset({RUNNERS}),
    dynamic_group_names=frozenset({"Runners"}),
)


def policy_set(*statements: str, at: str = TENANCY, tree: CompartmentTree = TREE) -> PolicySet:
    parsed = tuple(parse_statement(text, i) for i, text in enumerate(statements, start=1))
    return PolicySet([Policy("ocid1.policy.oc1..p", "p", at, parsed)], tree)


def decide(
    policies: PolicySet,
    operation: str = "Encrypt",
    compartment: str = PROD,
    actor: Actor = ALICE,
    variables: Mapping[str, tuple[str, ...]] | None = None,
) -> Decision:
    question = Question(
        actor, operation, permissions_for(operation), compartment, dict(variables or {})
    )
    return policies.decide(question)


def allowed(policies: PolicySet, operation: str = "Encrypt", **kwargs: object) -> bool:
    return decide(policies, operation, **kwargs).allowed  # type: ignore[arg-type]


# --- basics ---------------------------------------------------------------------------------


def test_deny_by_default() -> None:
    assert not allowed(policy_set())
    assert not allowed(policy_set("Allow group Ops to use keys in tenancy"))


def test_an_allow_grants_its_permissions_and_no_others() -> None:
    policies = policy_set("Allow group Devs to use keys in tenancy")
    for operation in ("Encrypt", "Decrypt", "Sign", "Verify", "ExportKey", "GetKey", "ListKeys"):
        assert allowed(policies, operation), operation
    for operation in ("CreateKeyVersion", "ScheduleKeyDeletion", "UpdateKey", "GetVault"):
        assert not allowed(policies, operation), operation


def test_explicit_permission_list() -> None:
    policies = policy_set("Allow group Devs to {KEY_ENCRYPT} in tenancy")
    assert allowed(policies, "Encrypt")
    assert allowed(policies, "GenerateDataEncryptionKey")
    assert not allowed(policies, "Decrypt")
    assert not allowed(policies, "GetKey")


def test_a_question_needing_no_permission_is_not_allowed() -> None:
    policies = policy_set("Allow group Devs to manage all-resources in tenancy")
    question = Question(ALICE, "Nothing", (), PROD)
    assert not policies.decide(question).allowed


def test_unknown_operations_are_never_allowed() -> None:
    policies = policy_set("Allow any-user to manage all-resources in tenancy")
    assert not allowed(policies, "FrobnicateKey")


# --- subjects -------------------------------------------------------------------------------


def test_group_names_match_case_insensitively() -> None:
    assert allowed(policy_set("Allow group devs to use keys in tenancy"))
    assert allowed(policy_set("Allow group DEVS to use keys in tenancy"))
    assert not allowed(policy_set("Allow group Devs2 to use keys in tenancy"))


def test_groups_by_id() -> None:
    assert allowed(policy_set(f"Allow group id {DEVS} to use keys in tenancy"))
    assert not allowed(policy_set(f"Allow group id {OPS} to use keys in tenancy"))
    both = policy_set(f"Allow group id {OPS}, id {DEVS} to use keys in tenancy")
    assert allowed(both, actor=ALICE)
    assert allowed(both, actor=BOB)
    assert not allowed(both, actor=LONER)


def test_several_named_groups() -> None:
    policies = policy_set("Allow group Ops, Devs to use keys in tenancy")
    assert allowed(policies, actor=ALICE)
    assert allowed(policies, actor=BOB)
    assert not allowed(policies, actor=LONER)


def test_any_user_and_any_group() -> None:
    any_user = policy_set("Allow any-user to use keys in tenancy")
    assert allowed(any_user, actor=LONER)
    assert allowed(any_user, actor=RUNNER)
    any_group = policy_set("Allow any-group to use keys in tenancy")
    assert allowed(any_group, actor=ALICE)
    assert allowed(any_group, actor=RUNNER)
    assert not allowed(any_group, actor=LONER)


def test_dynamic_groups_are_not_groups() -> None:
    assert allowed(policy_set("Allow dynamic-group Runners to use keys in tenancy"), actor=RUNNER)
    assert allowed(
        policy_set(f"Allow dynamic-group id {RUNNERS} to use keys in tenancy"), actor=RUNNER
    )
    assert not allowed(policy_set("Allow group Runners to use keys in tenancy"), actor=RUNNER)
    assert not allowed(policy_set("Allow dynamic-group Devs to use keys in tenancy"), actor=ALICE)
    assert not allowed(
        policy_set(f"Allow dynamic-group id {DEVS} to use keys in tenancy"), actor=ALICE
    )


# --- deny, and every permission -------------------------------------------------------------


def test_deny_beats_allow() -> None:
    policies = policy_set(
        "Allow group Devs to manage keys in tenancy",
        "Deny group Devs to {KEY_DECRYPT} in tenancy",
    )
    assert allowed(policies, "Encrypt")
    decision = decide(policies, "Decrypt")
    assert not decision.allowed
    assert decision.missing == ("KEY_DECRYPT",)
    assert [hit.effect for hit in decision.hits] == ["deny"]


def test_deny_beats_allow_whatever_the_order_and_location() -> None:
    for statements in (
        (
            "Deny group Devs to use keys in compartment Apps",
            "Allow group Devs to use keys in tenancy",
        ),
        (
            "Allow group Devs to use keys in compartment Apps:Prod",
            "Deny any-user to use keys in tenancy",
        ),
        (
            "Allow any-user to use keys in tenancy",
            "Deny group Devs to use keys in compartment Apps:Prod",
        ),
    ):
        assert not allowed(policy_set(*statements)), statements
    policies = policy_set(
        "Allow group Devs to use keys in tenancy",
        "Deny group Devs to use keys in compartment Apps:Prod",
    )
    assert not allowed(policies, compartment=PROD_EU)
    assert allowed(policies, compartment=DEV)


def test_a_deny_for_another_group_does_not_apply() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in tenancy", "Deny group Ops to use keys in tenancy"
    )
    assert allowed(policies, actor=ALICE)
    assert not allowed(policies, actor=BOB)


def test_every_permission_of_an_operation_is_needed() -> None:
    only_keys = policy_set("Allow group Devs to manage keys in tenancy")
    decision = decide(only_keys, "CreateKey")
    assert not decision.allowed
    assert decision.missing == ("VAULT_CREATE_KEY",)
    both = policy_set(
        "Allow group Devs to manage keys in tenancy", "Allow group Devs to use vaults in tenancy"
    )
    decision = decide(both, "CreateKey")
    assert decision.allowed
    assert {hit.permission for hit in decision.hits} == {"KEY_CREATE", "VAULT_CREATE_KEY"}
    assert not allowed(policy_set("Allow group Devs to manage vaults in tenancy"), "CreateKey")


def test_a_deny_of_one_needed_permission_refuses_the_operation() -> None:
    policies = policy_set(
        "Allow group Devs to manage vault-family in tenancy",
        "Deny group Devs to {VAULT_CREATE_KEY} in tenancy",
    )
    assert not allowed(policies, "CreateKey")
    assert allowed(policies, "CreateKeyVersion")


# --- locations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "covered"),
    [
        ("tenancy", set(ALL_COMPARTMENTS)),
        ("compartment Apps", {APPS, PROD, PROD_EU, DEV}),
        ("compartment Apps:Prod", {PROD, PROD_EU}),
        ("compartment apps:PROD:eu", {PROD_EU}),
        ("compartment Apps:Dev", {DEV}),
        ("compartment Other", {OTHER}),
        (f"compartment id {PROD}", {PROD, PROD_EU}),
        (f"compartment id {TENANCY}", set(ALL_COMPARTMENTS)),
        ("compartment Prod", set()),  # paths start at the policy's compartment
        ("compartment Apps:Nope", set()),
        (f"compartment id {UNKNOWN}", set()),
    ],
)
def test_a_grant_covers_descendants_but_not_ancestors_or_siblings(
    location: str, covered: set[str]
) -> None:
    policies = policy_set(f"Allow group Devs to use keys in {location}")
    for compartment in ALL_COMPARTMENTS:
        assert allowed(policies, compartment=compartment) == (compartment in covered), compartment
    assert not allowed(policies, compartment=UNKNOWN)


def test_paths_are_relative_to_the_policy_compartment() -> None:
    policies = policy_set("Allow group Devs to use keys in compartment Prod", at=APPS)
    assert allowed(policies, compartment=PROD)
    assert allowed(policies, compartment=PROD_EU)
    assert not allowed(policies, compartment=APPS)
    assert not allowed(policies, compartment=DEV)
    in_tenancy = policy_set("Allow group Devs to use keys in tenancy", at=APPS)
    assert allowed(in_tenancy, compartment=OTHER)


def test_a_deny_on_a_parent_covers_the_child() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in compartment Apps:Prod:EU",
        "Deny group Devs to use keys in compartment Apps",
    )
    assert not allowed(policies, compartment=PROD_EU)


# --- conditions -----------------------------------------------------------------------------


def test_request_operation_condition() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in tenancy where request.operation = 'Encrypt'"
    )
    assert allowed(policies, "Encrypt")
    assert not allowed(policies, "Decrypt")
    deny = policy_set(
        "Allow group Devs to use keys in tenancy",
        "Deny group Devs to use keys in tenancy where request.operation in ('Decrypt', 'Sign')",
    )
    assert allowed(deny, "Encrypt")
    assert not allowed(deny, "Decrypt")
    assert not allowed(deny, "Sign")


def test_request_permission_condition() -> None:
    policies = policy_set(
        "Allow group Devs to manage all-resources in tenancy "
        "where request.permission != 'KEY_DELETE'"
    )
    assert allowed(policies, "CreateKey")
    assert not allowed(policies, "ScheduleKeyDeletion")
    only_create = policy_set(
        "Allow group Devs to manage all-resources in tenancy "
        "where request.permission = 'KEY_CREATE'"
    )
    # CreateKey also needs VAULT_CREATE_KEY, which this statement does not allow.
    assert decide(only_create, "CreateKey").missing == ("VAULT_CREATE_KEY",)


def test_target_conditions() -> None:
    policies = policy_set(f"Allow group Devs to use keys in tenancy where target.key.id = '{KEY}'")
    assert allowed(policies, variables={"target.key.id": (KEY,)})
    assert not allowed(policies, variables={"target.key.id": (KEY + "x",)})


@pytest.mark.parametrize(
    "where",
    [
        "target.secret.name = 'x'",
        "target.secret.name != 'x'",
        "target.secret.name = /*/",
        "target.secret.name in ('x')",
        "target.secret.name not in ('x')",
        "any {target.secret.name = 'x', target.secret.name != 'x'}",
        "all {request.operation = 'Encrypt', target.secret.name != 'x'}",
    ],
)
def test_a_condition_on_a_missing_variable_is_false_for_allow_and_deny(where: str) -> None:
    allow = policy_set(f"Allow group Devs to use keys in tenancy where {where}")
    assert not allowed(allow, "Encrypt")
    deny = policy_set(
        "Allow group Devs to use keys in tenancy",
        f"Deny group Devs to use keys in tenancy where {where}",
    )
    assert allowed(deny, "Encrypt")
    assert allowed(deny, "Encrypt", variables={"target.secret.name": ()})


def test_any_of_a_missing_and_a_present_variable() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in tenancy "
        "where any {target.secret.name = 'x', request.operation = 'Encrypt'}"
    )
    assert allowed(policies, "Encrypt")
    assert not allowed(policies, "Decrypt")


def test_condition_matching_ignores_case() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in tenancy where request.operation = 'encrypt'"
    )
    assert allowed(policies, "Encrypt")
    deny = policy_set(
        "Allow group Devs to use keys in tenancy",
        "Deny group Devs to use keys in tenancy where target.key.id = /*PROD*/",
    )
    assert not allowed(deny, variables={"target.key.id": ("key-prod-1",)})
    assert allowed(deny, variables={"target.key.id": ("key-dev-1",)})


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("v.x = /prod-*/", "prod-1", True),
        ("v.x = /prod-*/", "xprod-1", False),
        ("v.x = /*-test/", "a-test", True),
        ("v.x = /*-test/", "a-test-b", False),
        ("v.x = /*mid*/", "amidb", True),
        ("v.x = /*mid*/", "mi-d", False),
        ("v.x = /a.c/", "abc", False),  # regex characters are literal
        ("v.x = /a.c/", "a.c", True),
        ("v.x = /a+*/", "aaa", False),
        ("v.x = /a+*/", "a+b", True),
        ("v.x = /*/", "", True),
        ("v.x != /prod-*/", "dev-1", True),
        ("v.x != /prod-*/", "prod-1", False),
        ("v.x = 'a'", "a", True),
        ("v.x = 'a'", "A", True),
        ("v.x = 'a'", "ab", False),
        ("v.x != 'a'", "b", True),
        ("v.x in ('a', 'b')", "b", True),
        ("v.x in ('a', 'b')", "c", False),
        ("v.x not in ('a', 'b')", "c", True),
        ("v.x not in ('a', 'b')", "a", False),
    ],
)
def test_holds(condition: str, value: str, expected: bool) -> None:
    parsed = parse_condition(condition.replace("v.x", "request.x"))
    assert holds(parsed, {"request.x": (value,)}) is expected
    assert holds(parsed, {}) is False
    assert holds(parsed, {"request.other": (value,)}) is False


def test_holds_with_several_values_and_combinations() -> None:
    groups = {"request.groups.id": ("g1", "g2")}
    assert holds(Compare("request.groups.id", False, "g2"), groups)
    assert holds(Membership("request.groups.id", False, ("g3", "g1")), groups)
    assert not holds(Membership("request.groups.id", True, ("g3", "g1")), groups)
    yes, no = Compare("request.groups.id", False, "g1"), Compare("request.groups.id", False, "x")
    assert holds(Combination("any", (no, yes)), groups)
    assert not holds(Combination("all", (no, yes)), groups)
    assert holds(Combination("all", (yes, Combination("any", (no, yes)))), groups)
    assert holds(None, {})


def test_hits_name_the_deciding_statements() -> None:
    policies = policy_set(
        "Allow group Devs to use keys in tenancy", "Allow group Devs to {KEY_ENCRYPT} in tenancy"
    )
    decision = decide(policies, "Encrypt")
    assert decision.allowed
    assert len(decision.hits) == 2
    assert all(hit.effect == "allow" and hit.permission == "KEY_ENCRYPT" for hit in decision.hits)


def test_a_statement_naming_a_group_twice_is_counted_once() -> None:
    policies = policy_set(f"Allow group Devs, devs, id {DEVS} to use keys in tenancy")
    assert len(decide(policies).hits) == 1


# --- the compartment tree -------------------------------------------------------------------


def test_ancestors() -> None:
    assert TREE.ancestors(PROD_EU) == (PROD_EU, PROD, APPS, TENANCY)
    assert TREE.ancestors(TENANCY) == (TENANCY,)
    assert TREE.ancestors(UNKNOWN) == ()


def test_resolve_path_and_child_named() -> None:
    assert TREE.resolve_path(TENANCY, ("Apps", "Prod", "EU")) == PROD_EU
    assert TREE.resolve_path(APPS, ("prod",)) == PROD
    assert TREE.resolve_path(TENANCY, ("Prod",)) is None
    assert TREE.resolve_path(TENANCY, ("Apps", "Nope", "EU")) is None
    assert TREE.resolve_path(UNKNOWN, ("Apps",)) is None
    assert TREE.child_named(TENANCY, "OTHER") == OTHER


@pytest.mark.timeout(5)
def test_cycles_do_not_hang_and_grant_nothing() -> None:
    a, b, c = (f"ocid1.compartment.oc1..aaaaaaaacycle{i}" for i in "abc")
    tree = CompartmentTree(
        TENANCY,
        {TENANCY: None, a: b, b: c, c: a, APPS: TENANCY},
        {a: "A", b: "B", c: "C", APPS: "Apps"},
    )
    assert tree.ancestors(a) == ()
    policies = policy_set(
        "Allow group Devs to manage all-resources in tenancy",
        f"Allow group Devs to manage all-resources in compartment id {b}",
        tree=tree,
    )
    for compartment in (a, b, c):
        assert not allowed(policies, compartment=compartment)
    assert allowed(policies, compartment=APPS)


@pytest.mark.timeout(5)
def test_a_self_parent_and_a_detached_root_grant_nothing() -> None:
    loop = "ocid1.compartment.oc1..aaaaaaaaloop"
    orphan = "ocid1.compartment.oc1..aaaaaaaaorphan"
    root = "ocid1.compartment.oc1..aaaaaaaafakeroot"
    tree = CompartmentTree(
        TENANCY, {TENANCY: None, loop: loop, orphan: root, root: None}, {orphan: "O", root: "R"}
    )
    assert tree.ancestors(loop) == ()
    assert tree.ancestors(orphan) == ()
    policies = policy_set(
        "Allow any-user to manage all-resources in tenancy",
        f"Allow any-user to manage all-resources in compartment id {root}",
        tree=tree,
    )
    assert not allowed(policies, compartment=loop)
    assert not allowed(policies, compartment=orphan)


@pytest.mark.timeout(5)
def test_a_tree_deeper_than_the_limit_grants_nothing_below_it() -> None:
    chain = [TENANCY] + [f"ocid1.compartment.oc1..aaaaaaaadeep{i}" for i in range(200)]
    parents: dict[str, str | None] = {TENANCY: None}
    parents.update({child: parent for parent, child in itertools.pairwise(chain)})
    tree = CompartmentTree(TENANCY, parents, {c: f"c{i}" for i, c in enumerate(chain)})
    policies = policy_set("Allow group Devs to use keys in tenancy", tree=tree)
    assert allowed(policies, compartment=chain[MAX_DEPTH])
    assert len(tree.ancestors(chain[MAX_DEPTH])) == MAX_DEPTH + 1
    assert tree.ancestors(chain[-1]) == ()
    assert not allowed(policies, compartment=chain[-1])
    deep_path = ":".join(f"c{i}" for i in range(1, 150))
    deep = policy_set(f"Allow group Devs to use keys in compartment {deep_path}", tree=tree)
    assert not allowed(deep, compartment=chain[149])
