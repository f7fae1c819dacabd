"""Property tests of the evaluator over random policies, compartment trees and questions.

Statements are generated as text (so the parser is exercised too) over random trees up to
five levels deep. Properties: an Allow never removes access, a Deny never grants it, and a
statement never reaches outside the subtree of the compartment it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.iam.compartments import CompartmentTree
from strongroom.iam.evaluator import Actor, Policy, PolicySet, Question
from strongroom.iam.operations import permissions_for
from strongroom.iam.permissions import VERBS
from strongroom.iam.policy_parser import parse_statement

TENANCY = "ocid1.tenancy.oc1..aaaaaaaatenancy"
UNKNOWN = "ocid1.compartment.oc1..aaaaaaaaunknown"
GROUPS = {
    "g1": "ocid1.group.oc1..aaaaaaaag1",
    "g2": "ocid1.group.oc1..aaaaaaaag2",
    "g3": "ocid1.group.oc1..aaaaaaaag3",
}
DYNAMIC = {"d1": "ocid1.dynamicgroup.oc1..aaaaaaaad1"}
NAMES = ("a", "b", "c", "apps", "prod")
MAX_LEVELS = 5
OPERATIONS = (
    "Encrypt",
    "Decrypt",
    "Sign",
    "GetKey",
    "ListKeys",
    "CreateKey",
    "CreateKeyVersion",
    "ScheduleKeyDeletion",
    "GetVault",
    "CreateVault",
)
RESOURCES = ("vaults", "keys", "vault-family", "secret-family", "all-resources")
PERMISSION_POOL = (
    "KEY_ENCRYPT",
    "KEY_DECRYPT",
    "KEY_READ",
    "KEY_CREATE",
    "VAULT_CREATE_KEY",
    "KEY_DELETE",
    "VAULT_READ",
)
VARIABLES = ("request.operation", "request.permission", "target.key.id", "target.secret.name")
VALUES = ("Encrypt", "decrypt", "KEY_ENCRYPT", "key_create", "k1", "k2", "s1")

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
QUICK_SETTINGS = settings(max_examples=100, deadline=None)


@dataclass(frozen=True)
class World:
    """A random compartment tree (ids in creation order, tenancy first)."""

    tree: CompartmentTree
    ids: tuple[str, ...]

    def children(self, parent: str) -> list[str]:
        return [c for c, p in self.tree.parents.items() if p == parent]

    def subtree(self, root: str) -> set[str]:
        """``root`` and its descendants, computed independently of the evaluator."""
        found, frontier = set(), [root] if root in self.tree.parents else []
        while frontier:
            node = frontier.pop()
            found.add(node)
            frontier += self.children(node)
        return found


@st.composite
def worlds(draw: st.DrawFn) -> World:
    parents: dict[str, str | None] = {TENANCY: None}
    depth = {TENANCY: 0}
    names: dict[str, str] = {}
    ids = [TENANCY]
    for i in range(draw(st.integers(0, 12))):
        parent = draw(st.sampled_from([c for c in ids if depth[c] < MAX_LEVELS]))
        taken = {names[c] for c, p in parents.items() if p == parent}
        name = draw(st.sampled_from(NAMES))
        if name in taken:
            name = f"n{i}"
        child = f"ocid1.compartment.oc1..aaaaaaaac{i}"
        parents[child], depth[child], names[child] = parent, depth[parent] + 1, name
        ids.append(child)
    return World(CompartmentTree(TENANCY, parents, names), tuple(ids))


def _quoted(value: str) -> str:
    return f"'{value}'"


_leaf_conditions = st.one_of(
    st.builds(
        lambda var, op, value: f"{var} {op} {_quoted(value)}",
        st.sampled_from(VARIABLES),
        st.sampled_from(("=", "!=")),
        st.sampled_from(VALUES),
    ),
    st.builds(
        lambda var, op, value, where: f"{var} {op} /{'*' if where else ''}{value[:2]}*/",
        st.sampled_from(VARIABLES),
        st.sampled_from(("=", "!=")),
        st.sampled_from(VALUES),
        st.booleans(),
    ),
    st.builds(
        lambda var, negated, values: (
            f"{var} {'not in' if negated else 'in'} ({', '.join(map(_quoted, values))})"
        ),
        st.sampled_from(VARIABLES),
        st.booleans(),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=3),
    ),
)
conditions = st.recursive(
    _leaf_conditions,
    lambda inner: st.builds(
        lambda mode, items: f"{mode} {{{', '.join(items)}}}",
        st.sampled_from(("any", "all", "ANY", "All")),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=6,
)

subjects = st.sampled_from(
    (
        "any-user",
        "any-group",
        "group g1",
        "group G2",
        "group g1, g3",
        "group 'g2'",
        f"group id {GROUPS['g1']}",
        f"group id {GROUPS['g3']}, id {GROUPS['g2']}",
        "dynamic-group d1",
        f"dynamic-group id {DYNAMIC['d1']}",
        "group g3, dynamic-group d1",
    )
)

# Biased towards broad grants, so that a good share of the questions are allowed.
permissions = st.one_of(
    st.builds(
        lambda v, r: f"{v} {r}",
        st.sampled_from((*VERBS, "use", "manage", "manage")),
        st.sampled_from((*RESOURCES, "all-resources", "keys")),
    ),
    st.builds(
        lambda perms: "{" + ", ".join(perms) + "}",
        st.lists(st.sampled_from(PERMISSION_POOL), min_size=1, max_size=3),
    ),
)


@dataclass(frozen=True)
class Located:
    """A statement, the compartment its policy is attached to, and where it applies (None if
    its location names nothing)."""

    text: str
    policy_compartment: str
    target: str | None


@st.composite
def statements(
    draw: st.DrawFn, world: World, effect: str | None = None, broad: bool = False
) -> Located:
    """A random statement; ``broad`` ones are for any-user and every permission."""
    effect = effect or draw(st.sampled_from(("Allow", "Deny")))
    attached = draw(st.sampled_from(world.ids))
    kind = draw(st.sampled_from(("tenancy", "id", "path", "bad-path")))
    target: str | None
    if kind == "tenancy":
        location, target = "tenancy", TENANCY
    elif kind == "id":
        target = draw(st.sampled_from((*world.ids, UNKNOWN)))
        location = f"compartment id {target}"
        if target == UNKNOWN:
            target = None
    else:
        below = [c for c in world.subtree(attached) if c != attached]
        if kind == "path" and below:
            target = draw(st.sampled_from(sorted(below)))
            names, node = [], target
            while node != attached:
                names.append(world.tree.names[node])
                node = world.tree.parents[node]  # type: ignore[assignment]
            location = "compartment " + ":".join(reversed(names))
        else:
            location, target = "compartment nowhere:x", None
    where = draw(conditions) if draw(st.integers(0, 3)) == 0 else None
    who, what = (
        ("any-user", "manage all-resources") if broad else (draw(subjects), draw(permissions))
    )
    text = f"{effect} {who} to {what} in {location}"
    if where is not None:
        text += f" where {where}"
    return Located(text, attached, target)


@st.composite
def questions(draw: st.DrawFn, world: World, near: tuple[Located, ...] = ()) -> Question:
    """A random question; often about a compartment one of ``near`` reaches, and often from
    an actor in every group, so that a good share of the questions are allowed."""
    if draw(st.booleans()):
        groups, dynamic = set(GROUPS), set(DYNAMIC)
    else:
        groups = draw(st.sets(st.sampled_from(sorted(GROUPS))))
        dynamic = draw(st.sets(st.sampled_from(sorted(DYNAMIC))))
    actor = Actor(
        "ocid1.user.oc1..aaaaaaaauser",
        "user",
        frozenset(GROUPS[g] for g in groups),
        frozenset(groups),
        frozenset(DYNAMIC[d] for d in dynamic),
        frozenset(dynamic),
    )
    operation = draw(st.sampled_from(OPERATIONS))
    reached = sorted({c for s in near if s.target for c in world.subtree(s.target)})
    if bool(reached) and draw(st.booleans()):
        compartment = draw(st.sampled_from(reached))
    else:
        compartment = draw(st.sampled_from((*world.ids, UNKNOWN)))
    variables = draw(
        st.dictionaries(
            st.sampled_from(("target.key.id", "target.secret.name")),
            st.sampled_from(VALUES).map(lambda v: (v,)),
        )
    )
    return Question(actor, operation, permissions_for(operation), compartment, variables)


def compile_set(world: World, located: list[Located]) -> PolicySet:
    policies = [
        Policy(
            f"ocid1.policy.oc1..p{i}",
            f"p{i}",
            item.policy_compartment,
            (parse_statement(item.text),),
        )
        for i, item in enumerate(located)
    ]
    return PolicySet(policies, world.tree)


@st.composite
def scenarios(draw: st.DrawFn, effect: str) -> tuple[World, list[Located], Located, Question]:
    world = draw(worlds())
    base = draw(st.lists(statements(world), max_size=4))
    extra = draw(statements(world, effect, broad=draw(st.booleans())))
    return world, base, extra, draw(questions(world, (*base, extra)))


@PROPERTY_SETTINGS
@given(scenarios("Allow"))
def test_adding_an_allow_never_removes_access(
    scenario: tuple[World, list[Located], Located, Question],
) -> None:
    world, base, extra, question = scenario
    before = compile_set(world, base).decide(question)
    after = compile_set(world, [*base, extra]).decide(question)
    if before.allowed:
        assert after.allowed, (extra.text, question)
    assert set(after.missing) <= set(before.missing)


@PROPERTY_SETTINGS
@given(scenarios("Deny"))
def test_adding_a_deny_never_grants_access(
    scenario: tuple[World, list[Located], Located, Question],
) -> None:
    world, base, extra, question = scenario
    before = compile_set(world, base).decide(question)
    after = compile_set(world, [*base, extra]).decide(question)
    if after.allowed:
        assert before.allowed, (extra.text, question)
    assert set(before.missing) <= set(after.missing)


@st.composite
def lone_allows(draw: st.DrawFn) -> tuple[World, Located, Question]:
    world = draw(worlds())
    located = draw(statements(world, "Allow"))
    return world, located, draw(questions(world, (located,)))


@PROPERTY_SETTINGS
@given(lone_allows())
def test_a_statement_grants_nothing_outside_its_location(
    scenario: tuple[World, Located, Question],
) -> None:
    world, located, question = scenario
    decision = compile_set(world, [located]).decide(question)
    reach = world.subtree(located.target) if located.target else set()
    if question.compartment_id not in reach:
        assert not decision.allowed, (located.text, question.compartment_id)


@QUICK_SETTINGS
@given(lone_allows())
def test_an_unconditional_grant_to_everyone_covers_exactly_its_subtree(
    scenario: tuple[World, Located, Question],
) -> None:
    world, located, question = scenario
    location = located.text.split(" in ", 1)[1].split(" where ")[0]
    text = f"Allow any-user to manage all-resources in {location}"
    decision = compile_set(
        world, [Located(text, located.policy_compartment, located.target)]
    ).decide(question)
    reach = world.subtree(located.target) if located.target else set()
    assert decision.allowed == (question.compartment_id in reach), (text, question.compartment_id)


@QUICK_SETTINGS
@given(lone_allows())
def test_a_deny_of_everything_for_everyone_refuses_everything(
    scenario: tuple[World, Located, Question],
) -> None:
    world, located, question = scenario
    everything = Located("Deny any-user to manage all-resources in tenancy", TENANCY, TENANCY)
    assert not compile_set(world, [located, everything]).decide(question).allowed
