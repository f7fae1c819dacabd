"""Free-form and defined tags, and display names."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.tags import (
    MAX_TAG_KEY,
    MAX_TAG_VALUE,
    MAX_TAGS,
    defined_tags,
    display_name,
    freeform_tags,
)


def test_freeform_tags_accepts_strings_and_copies() -> None:
    given = {"team": "security", "ünïcode": "värde", "empty": ""}
    result = freeform_tags(given)
    assert result == given
    assert result is not given


def test_freeform_tags_none_is_empty() -> None:
    assert freeform_tags(None) == {}


def test_freeform_tags_limits() -> None:
    at_limit = {f"k{i}": "v" for i in range(MAX_TAGS)}
    assert freeform_tags(at_limit) == at_limit
    assert freeform_tags({"k" * MAX_TAG_KEY: "v" * MAX_TAG_VALUE})


@pytest.mark.parametrize(
    "value",
    [
        [],
        "team=security",
        {f"k{i}": "v" for i in range(MAX_TAGS + 1)},
        {"": "v"},
        {"k" * (MAX_TAG_KEY + 1): "v"},
        {"k": "v" * (MAX_TAG_VALUE + 1)},
        {"k": 1},
        {"k": None},
        {"k": ["v"]},
        {"k": {"nested": "v"}},
    ],
)
def test_freeform_tags_refused(value: object) -> None:
    with pytest.raises(InvalidParameter, match="freeformTags"):
        freeform_tags(value)


def test_defined_tags_accepts_scalars_and_copies_deeply() -> None:
    given = {"Operations": {"CostCenter": "42", "n": 1, "f": 1.5, "b": True}}
    result = defined_tags(given)
    assert result == given
    assert result is not given
    assert result["Operations"] is not given["Operations"]


def test_defined_tags_none_is_empty() -> None:
    assert defined_tags(None) == {}


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"ns": "not-an-object"},
        {"": {"k": "v"}},
        {"n" * (MAX_TAG_KEY + 1): {"k": "v"}},
        {"ns": {"": "v"}},
        {"ns": {"k" * (MAX_TAG_KEY + 1): "v"}},
        {"ns": {"k": None}},
        {"ns": {"k": ["v"]}},
        {"ns": {"k": {"deeper": "v"}}},
        {f"ns{i}": {} for i in range(MAX_TAGS + 1)},
    ],
)
def test_defined_tags_refused(value: object) -> None:
    with pytest.raises(InvalidParameter, match="definedTags"):
        defined_tags(value)


@pytest.mark.parametrize("name", ["k", "my key", "ключ", "x" * 255, " padded "])
def test_display_name_accepted(name: str) -> None:
    assert display_name(name) == name


@pytest.mark.parametrize("name", [None, 1, "", "   ", "x" * 256, "tab\there", "nl\n", "nul\x00"])
def test_display_name_refused(name: object) -> None:
    with pytest.raises(InvalidParameter, match="displayName"):
        display_name(name)


def test_display_name_reports_the_field() -> None:
    with pytest.raises(InvalidParameter, match="secretName"):
        display_name("", "secretName")
