"""The policy language parser: every grammar form of REFERENCE.md, and precise syntax errors."""

from __future__ import annotations

import pytest

from strongroom.iam.permissions import ALL_PERMISSIONS, granted
from strongroom.iam.policy_ast import (
    Combination,
    Compare,
    Location,
    Membership,
    PolicySyntaxError,
    Subject,
)
from strongroom.iam.policy_lexer import tokenize
from strongroom.iam.policy_parser import (
    MAX_CONDITION_DEPTH,
    parse_condition,
    parse_policy,
    parse_statement,
)

GROUP_A = "ocid1.group.oc1..aaaaaaaaa"
GROUP_B = "ocid1.group.oc1.us-ashburn-1..aaaaaaaab"
COMPARTMENT = "ocid1.compartment.oc1.us-ashburn-1..aaaaaaaac"
TAIL = "to use keys in tenancy"


def syntax_error(text: str, index: int = 1) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as caught:
        parse_statement(text, index)
    return caught.value


# --- effects and subjects -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "effect"),
    [
        ("Allow group Devs to use keys in tenancy", "allow"),
        ("Deny group Devs to use keys in tenancy", "deny"),
        ("ALLOW group Devs to use keys in tenancy", "allow"),
        ("deny group Devs to use keys in tenancy", "deny"),
    ],
)
def test_effects(text: str, effect: str) -> None:
    statement = parse_statement(text)
    assert statement.effect == effect
    assert statement.text == text


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("any-user", (Subject("any-user"),)),
        ("Any-User", (Subject("any-user"),)),
        ("any-group", (Subject("any-group"),)),
        ("group Devs", (Subject("group", name="Devs"),)),
        ("GROUP Devs", (Subject("group", name="Devs"),)),
        ("group 'Dev Team'", (Subject("group", name="Dev Team"),)),
        ("group 'it\\'s'", (Subject("group", name="it's"),)),
        ("group dev+ops@example.com", (Subject("group", name="dev+ops@example.com"),)),
        ("dynamic-group Runners", (Subject("dynamic-group", name="Runners"),)),
        ("Dynamic-Group 'All Runners'", (Subject("dynamic-group", name="All Runners"),)),
        (f"group id {GROUP_A}", (Subject("group", ocid=GROUP_A),)),
        (f"group ID '{GROUP_A}'", (Subject("group", ocid=GROUP_A),)),
        (
            f"dynamic-group id {GROUP_A}",
            (Subject("dynamic-group", ocid=GROUP_A),),
        ),
        (
            "group A, B, 'C D'",
            (Subject("group", name="A"), Subject("group", name="B"), Subject("group", name="C D")),
        ),
        (
            f"group id {GROUP_A}, id {GROUP_B}",
            (Subject("group", ocid=GROUP_A), Subject("group", ocid=GROUP_B)),
        ),
        (
            "group A, dynamic-group B, group C",
            (
                Subject("group", name="A"),
                Subject("dynamic-group", name="B"),
                Subject("group", name="C"),
            ),
        ),
        (
            f"group A, id {GROUP_B}",
            (Subject("group", name="A"), Subject("group", ocid=GROUP_B)),
        ),
    ],
)
def test_subjects(subject: str, expected: tuple[Subject, ...]) -> None:
    assert parse_statement(f"Allow {subject} {TAIL}").subjects == expected


@pytest.mark.parametrize(
    "subject",
    [
        "group",  # no name
        "group to",  # a keyword is not a name
        "group in",
        "group where",
        "group id",  # id without an OCID
        "group id not-an-ocid",
        "group id ocid1.group",
        "any-user, group Devs",
        "group A,",
        "user Alice",
        "groups Devs",
        'group "Devs"',  # only single quotes quote
        "group 'unterminated",
    ],
)
def test_bad_subjects(subject: str) -> None:
    error = syntax_error(f"Allow {subject} {TAIL}")
    assert error.line == 1
    assert error.column >= 7


# --- verbs, resource types and permission lists ---------------------------------------------


@pytest.mark.parametrize("verb", ["inspect", "read", "use", "manage"])
@pytest.mark.parametrize(
    "resource",
    [
        "vaults",
        "keys",
        "key-delegate",
        "secrets",
        "secret-versions",
        "secret-bundles",
        "secret-replication",
        "secret-family",
        "vault-family",
        "compartments",
        "users",
        "groups",
        "dynamic-groups",
        "policies",
        "all-resources",
    ],
)
def test_every_verb_with_every_resource_type(verb: str, resource: str) -> None:
    statement = parse_statement(f"Allow group Devs to {verb} {resource} in tenancy")
    assert statement.permissions == granted(verb, resource)
    upper = parse_statement(f"Allow group Devs to {verb.upper()} {resource.upper()} in tenancy")
    assert upper.permissions == statement.permissions


def test_manage_all_resources_grants_every_permission() -> None:
    statement = parse_statement("Allow group Admins to manage all-resources in tenancy")
    assert statement.permissions == ALL_PERMISSIONS


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        ("{KEY_ENCRYPT}", {"KEY_ENCRYPT"}),
        ("{KEY_ENCRYPT, KEY_DECRYPT}", {"KEY_ENCRYPT", "KEY_DECRYPT"}),
        ("{ key_encrypt ,Key_Decrypt,KEY_ENCRYPT }", {"KEY_ENCRYPT", "KEY_DECRYPT"}),
        ("{VAULT_CREATE_KEY,SECRET_REPLICATE}", {"VAULT_CREATE_KEY", "SECRET_REPLICATE"}),
    ],
)
def test_explicit_permission_lists(listing: str, expected: set[str]) -> None:
    statement = parse_statement(f"Allow group Devs to {listing} in tenancy")
    assert statement.permissions == frozenset(expected)


@pytest.mark.parametrize(
    "middle",
    [
        "frob keys",  # unknown verb
        "use kees",  # unknown resource type
        "use",  # no resource type
        "use keys keys",
        "{}",
        "{KEY_FROB}",
        "{KEY_ENCRYPT,}",
        "{KEY_ENCRYPT KEY_DECRYPT}",
        "{KEY_ENCRYPT",
        "{UNKNOWN_OPERATION}",  # the evaluator's impossible permission cannot be granted
        "use {KEY_ENCRYPT}",
    ],
)
def test_bad_verbs_resources_and_permission_lists(middle: str) -> None:
    syntax_error(f"Allow group Devs to {middle} in tenancy")


# --- locations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("tenancy", Location("tenancy")),
        ("TENANCY", Location("tenancy")),
        ("compartment Apps", Location("path", path=("Apps",))),
        ("compartment Apps:Prod", Location("path", path=("Apps", "Prod"))),
        ("compartment A:B:C:D:E", Location("path", path=("A", "B", "C", "D", "E"))),
        ("Compartment 'My Apps':Prod", Location("path", path=("My Apps", "Prod"))),
        (f"compartment id {COMPARTMENT}", Location("id", ocid=COMPARTMENT)),
        (f"compartment ID '{COMPARTMENT}'", Location("id", ocid=COMPARTMENT)),
    ],
)
def test_locations(location: str, expected: Location) -> None:
    assert parse_statement(f"Allow group Devs to use keys in {location}").location == expected


@pytest.mark.parametrize(
    "location",
    [
        "",
        "compartment",
        "compartment Apps:",
        "compartment :Apps",
        "compartment Apps::Prod",
        "compartment id",
        "compartment id Apps",
        "compartments Apps",
        "tenancy Apps",
        "region us-ashburn-1",
    ],
)
def test_bad_locations(location: str) -> None:
    syntax_error(f"Allow group Devs to use keys in {location}")


# --- conditions ------------------------------------------------------------------------------


def condition_of(where: str) -> object:
    return parse_statement(f"Allow group Devs to use keys in tenancy where {where}").condition


def test_no_where_clause_means_no_condition() -> None:
    assert parse_statement("Allow group Devs to use keys in tenancy").condition is None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("request.operation = 'Encrypt'", Compare("request.operation", False, "Encrypt")),
        ("request.operation='Encrypt'", Compare("request.operation", False, "Encrypt")),
        ("target.key.id != 'x'", Compare("target.key.id", True, "x")),
        ("Request.Operation = 'Encrypt'", Compare("request.operation", False, "Encrypt")),
        ("target.secret.name = /prod-*/", Compare("target.secret.name", False, "prod-*", True)),
        ("target.secret.name != /*-test/", Compare("target.secret.name", True, "*-test", True)),
        ("target.key.id = 'with space'", Compare("target.key.id", False, "with space")),
        (
            "request.operation in ('Encrypt', 'Decrypt')",
            Membership("request.operation", False, ("Encrypt", "Decrypt")),
        ),
        (
            "request.operation NOT IN ('Encrypt')",
            Membership("request.operation", True, ("Encrypt",)),
        ),
        (
            "any {request.operation = 'Encrypt', request.operation = 'Decrypt'}",
            Combination(
                "any",
                (
                    Compare("request.operation", False, "Encrypt"),
                    Compare("request.operation", False, "Decrypt"),
                ),
            ),
        ),
        (
            "ALL {target.key.id = 'k', Any {request.region = 'r1', request.region = 'r2'}}",
            Combination(
                "all",
                (
                    Compare("target.key.id", False, "k"),
                    Combination(
                        "any",
                        (
                            Compare("request.region", False, "r1"),
                            Compare("request.region", False, "r2"),
                        ),
                    ),
                ),
            ),
        ),
    ],
)
def test_conditions(where: str, expected: object) -> None:
    assert condition_of(where) == expected


def test_nesting_up_to_the_limit_parses_and_beyond_it_fails() -> None:
    def nested(depth: int) -> str:
        text = "request.operation = 'Encrypt'"
        for _ in range(depth):
            text = f"any {{{text}}}"
        return text

    condition = condition_of(nested(MAX_CONDITION_DEPTH))
    for _ in range(MAX_CONDITION_DEPTH):
        assert isinstance(condition, Combination)
        condition = condition.items[0]
    assert isinstance(condition, Compare)
    error = syntax_error(
        f"Allow group Devs to use keys in tenancy where {nested(MAX_CONDITION_DEPTH + 2)}"
    )
    assert "nested" in error.expected


@pytest.mark.parametrize(
    "where",
    [
        "",
        "request.operation",
        "request.operation =",
        "request.operation = Encrypt",  # values must be quoted
        'request.operation = "Encrypt"',
        "request.operation == 'Encrypt'",
        "operation = 'Encrypt'",  # not a known variable namespace
        "principal.id = 'x'",
        "request.operation in 'Encrypt'",
        "request.operation in ()",
        "request.operation in ('a',)",
        "request.operation in ('a' 'b')",
        "request.operation not ('a')",
        "request.operation in (/a*/)",
        "any {}",
        "any {request.operation = 'a',}",
        "any {request.operation = 'a'",
        "any request.operation = 'a'",
        "request.operation = 'a', request.operation = 'b'",
        "request.operation = 'a' and request.operation = 'b'",
    ],
)
def test_bad_conditions(where: str) -> None:
    syntax_error(f"Allow group Devs to use keys in tenancy where {where}")


# --- error positions -------------------------------------------------------------------------


def test_error_reports_statement_line_column_expected_and_found() -> None:
    error = syntax_error("Allow group Devs to frob keys in tenancy", index=3)
    assert (error.statement, error.line, error.column) == (3, 1, 21)
    assert "'use'" in error.expected
    assert "'manage'" in error.expected
    assert error.found == "'frob'"
    assert str(error).startswith("statement 3, line 1, column 21: expected ")


def test_error_on_the_second_line_of_a_multi_line_statement() -> None:
    error = syntax_error("Allow group Devs\n  to frob keys in tenancy")
    assert (error.line, error.column) == (2, 6)
    assert error.found == "'frob'"
    assert "line 2, column 6" in str(error)


def test_error_on_the_third_line_after_a_multi_line_quoted_name() -> None:
    error = syntax_error("Allow group 'Dev\nTeam'\r\nto use kees in tenancy")
    assert (error.line, error.column) == (3, 8)
    assert "resource type" in error.expected


def test_lexer_error_for_a_character_that_starts_no_token() -> None:
    error = syntax_error("Allow group Devs to use keys in tenancy;")
    assert (error.line, error.column) == (1, 40)
    assert error.found == "';'"
    error = syntax_error('Allow group Devs\nto use keys in tenancy where target.key.id = "x"')
    assert error.line == 2
    assert error.found == "'\"'"


def test_error_at_end_of_statement() -> None:
    error = syntax_error("Allow group Devs to use keys in")
    assert error.found == "end of statement"
    assert error.column == len("Allow group Devs to use keys in") + 1
    assert "'tenancy'" in error.expected or "'compartment'" in error.expected
    error = syntax_error("Allow group Devs to use keys in tenancy where")
    assert error.found == "end of statement"
    assert "variable" in error.expected


def test_trailing_words_are_an_error() -> None:
    error = syntax_error("Allow group Devs to use keys in tenancy please")
    assert "'where'" in error.expected
    assert error.found == "'please'"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Permit group Devs to use keys in tenancy",
        "Allow group Devs use keys in tenancy",
        "Allow group Devs to use keys tenancy",
        "Allow group Devs to manage all-resources in tenancy Allow group X to use keys in tenancy",
    ],
)
def test_malformed_statements(text: str) -> None:
    syntax_error(text)


def test_parse_policy_names_the_failing_statement() -> None:
    good = "Allow group Devs to use keys in tenancy"
    assert len(parse_policy([good, good])) == 2
    with pytest.raises(PolicySyntaxError) as caught:
        parse_policy([good, good, "Allow group Devs\nto use kees in tenancy"])
    assert (caught.value.statement, caught.value.line, caught.value.column) == (3, 2, 8)


def test_tokens_carry_positions_and_unquoted_values() -> None:
    tokens = tokenize("Allow group 'a\\'b'\n  where x = /p*/", 1)
    assert [(t.kind, t.line, t.column) for t in tokens] == [
        ("word", 1, 1),
        ("word", 1, 7),
        ("quoted", 1, 13),
        ("word", 2, 3),
        ("word", 2, 9),
        ("op", 2, 11),
        ("pattern", 2, 13),
        ("end", 2, 17),
    ]
    assert tokens[2].value == "a'b"
    assert tokens[6].value == "p*"


# --- bare conditions (matching rules use them) ------------------------------------------------


def test_parse_condition_accepts_a_bare_condition_only() -> None:
    assert parse_condition("resource.type = 'vaultsecret'") == Compare(
        "resource.type", False, "vaultsecret"
    )
    with pytest.raises(PolicySyntaxError):
        parse_condition("resource.type = 'vaultsecret' extra")
    with pytest.raises(PolicySyntaxError):
        parse_condition("")
