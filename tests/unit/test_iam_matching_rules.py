"""Dynamic-group matching rules: which resources belong to a dynamic group."""

from __future__ import annotations

import pytest

from strongroom.iam.matching_rules import matches, parse_matching_rule
from strongroom.iam.policy_ast import PolicySyntaxError

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaapps"
OTHER = "ocid1.compartment.oc1..aaaaaaaaother"
SECRET = {"resource.type": "vaultsecret", "resource.compartment.id": COMPARTMENT}


@pytest.mark.parametrize(
    ("rule", "resource", "expected"),
    [
        ("resource.type = 'vaultsecret'", SECRET, True),
        ("resource.type = 'VaultSecret'", SECRET, True),
        ("resource.type = 'instance'", SECRET, False),
        ("resource.type != 'instance'", SECRET, True),
        (f"resource.compartment.id = '{COMPARTMENT}'", SECRET, True),
        (f"resource.compartment.id = '{OTHER}'", SECRET, False),
        (
            f"Any {{resource.type = 'vaultsecret', resource.compartment.id = '{OTHER}'}}",
            SECRET,
            True,
        ),
        (
            f"ALL {{resource.type = 'vaultsecret', resource.compartment.id = '{OTHER}'}}",
            SECRET,
            False,
        ),
        (
            f"All {{resource.type = 'vaultsecret', resource.compartment.id = '{COMPARTMENT}'}}",
            SECRET,
            True,
        ),
        (
            "All {resource.type = 'vaultsecret', "
            f"any {{resource.compartment.id = '{OTHER}', "
            f"resource.compartment.id = '{COMPARTMENT}'}}}}",
            SECRET,
            True,
        ),
        ("resource.id = /ocid1.vaultsecret.*/", {"resource.id": "ocid1.vaultsecret.oc1..x"}, True),
        ("resource.id = /ocid1.vaultsecret.*/", {"resource.id": "ocid1.key.oc1..x"}, False),
        ("instance.compartment.id = 'c'", {"instance.compartment.id": "c"}, True),
        ("tag.ops.env.value = 'prod'", {"tag.ops.env.value": "prod"}, True),
        # A rule on a variable the resource does not have does not match, even with !=.
        ("instance.id != 'x'", SECRET, False),
        ("instance.id = 'x'", SECRET, False),
    ],
)
def test_matches(rule: str, resource: dict[str, str], expected: bool) -> None:
    assert matches(parse_matching_rule(rule), resource) is expected


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "resource.type",
        "resource.type = vaultsecret",
        "resource.type == 'vaultsecret'",
        "Any {resource.type = 'vaultsecret',}",
        "Any {resource.type = 'vaultsecret'",
        "Any resource.type = 'vaultsecret'",
        "resource.type = 'a' resource.type = 'b'",
        "Allow group Devs to use keys in tenancy",
        # Only resource-describing variables belong in a matching rule.
        "request.operation = 'Encrypt'",
        "target.key.id = 'x'",
        "Any {resource.type = 'vaultsecret', request.user.id = 'x'}",
    ],
)
def test_invalid_rules_are_refused(rule: str) -> None:
    with pytest.raises(PolicySyntaxError):
        parse_matching_rule(rule)


def test_a_refused_variable_is_named_in_the_error() -> None:
    with pytest.raises(PolicySyntaxError) as caught:
        parse_matching_rule("Any {resource.type = 'vaultsecret', request.user.id = 'x'}")
    assert "request.user.id" in caught.value.found
    assert "resource." in caught.value.expected
