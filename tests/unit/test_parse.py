"""Parsing OCI JSON bodies and query strings: strict types, OCI-style errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.api.oci import parse
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.paging import MAX_LIMIT, PageRequest


class Color(StrEnum):
    RED = "RED"
    GREEN = "GREEN"


# --- json_object ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   ", b"\n\t"])
def test_empty_body_is_an_empty_object(raw: bytes) -> None:
    assert parse.json_object(raw) == {}


def test_json_object() -> None:
    assert parse.json_object(b'{"a": 1, "b": [true]}') == {"a": 1, "b": [True]}


@pytest.mark.parametrize("raw", [b"{", b"{'a': 1}", b"\xff\xfe", b"NaNx", b'{"a": 1} x'])
def test_invalid_json_is_invalid_parameter(raw: bytes) -> None:
    with pytest.raises(InvalidParameter, match="not valid JSON"):
        parse.json_object(raw)


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"s"', b"null", b"true"])
def test_non_object_json_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidParameter, match="must be a JSON object"):
        parse.json_object(raw)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 100_000])
def test_absurdly_nested_json_is_invalid_not_a_crash(raw: bytes) -> None:
    with pytest.raises(InvalidParameter, match="not valid JSON"):
        parse.json_object(raw)


# --- strings, booleans, objects, maps, timestamps ---


def test_string_fields() -> None:
    body = {"name": "v", "n": 1}
    assert parse.string(body, "name") == "v"
    assert parse.required_string(body, "name") == "v"
    assert parse.string(body, "missing", required=False) is None
    with pytest.raises(InvalidParameter, match="missing is required"):
        parse.string(body, "missing")
    with pytest.raises(InvalidParameter, match="n must be a string"):
        parse.string(body, "n")
    with pytest.raises(InvalidParameter, match="at most 3 characters"):
        parse.string({"s": "abcd"}, "s", max_len=3)


def test_null_counts_as_missing() -> None:
    assert parse.string({"s": None}, "s", required=False) is None
    with pytest.raises(InvalidParameter, match="s is required"):
        parse.required_string({"s": None}, "s")


def test_boolean() -> None:
    assert parse.boolean({"b": True}, "b") is True
    assert parse.boolean({}, "b") is False
    assert parse.boolean({}, "b", default=True) is True
    assert parse.boolean({"b": None}, "b", default=True) is True
    for bad in ("true", 1, 0, "yes"):
        with pytest.raises(InvalidParameter, match="b must be true or false"):
            parse.boolean({"b": bad}, "b")


def test_obj() -> None:
    assert parse.obj({"o": {"k": 1}}, "o") == {"k": 1}
    assert parse.obj({}, "o", required=False) is None
    with pytest.raises(InvalidParameter, match="o is required"):
        parse.obj({}, "o")
    with pytest.raises(InvalidParameter, match="o must be an object"):
        parse.obj({"o": [1]}, "o")


def test_string_map() -> None:
    assert parse.string_map({"m": {"a": "b"}}, "m") == {"a": "b"}
    assert parse.string_map({}, "m") is None
    for bad in ({"a": 1}, ["a"], "a", {"a": None}):
        with pytest.raises(InvalidParameter, match="object of string values"):
            parse.string_map({"m": bad}, "m")
    with pytest.raises(InvalidParameter, match="too large"):
        parse.string_map({"m": {f"k{i}": "v" * 100 for i in range(100)}}, "m")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-01T10:00:00Z", datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01T10:00:00.123Z", datetime(2026, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        (
            "2026-05-01T15:30:00+05:30",
            datetime(2026, 5, 1, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
    ],
)
def test_timestamp(raw: str, expected: datetime) -> None:
    assert parse.timestamp({"t": raw}, "t") == expected


def test_timestamp_refusals() -> None:
    assert parse.timestamp({}, "t") is None
    with pytest.raises(InvalidParameter, match="RFC 3339"):
        parse.timestamp({"t": "tomorrow"}, "t")
    with pytest.raises(InvalidParameter, match="time zone"):
        parse.timestamp({"t": "2026-05-01T10:00:00"}, "t")
    with pytest.raises(InvalidParameter, match="t must be a string"):
        parse.timestamp({"t": 1700000000}, "t")


# --- enum ---


def test_enum() -> None:
    assert parse.enum(Color, "RED", "color") is Color.RED
    for bad in ("red", "BLUE", "", None, 1, ["RED"]):
        with pytest.raises(InvalidParameter, match="color must be one of RED, GREEN"):
            parse.enum(Color, bad, "color")


# --- base64 ---


def test_b64_decodes_standard_base64() -> None:
    raw = bytes(range(256))
    body = {"p": base64.b64encode(raw).decode()}
    assert parse.b64(body, "p") == raw
    assert parse.required_b64(body, "p") == raw
    assert parse.b64({"p": ""}, "p") == b""
    assert parse.b64({}, "p", required=False) is None


@pytest.mark.parametrize(
    "value",
    [
        "aGVsbG8",  # missing padding
        "aGVs bG8=",  # whitespace
        "aGVsbG8=\n",  # trailing newline
        "aGVsbG8_",  # URL-safe alphabet
        "aGVsbG8-",
        "!!!!",
        "aGVsbG8==",  # excess padding
        "é",
    ],
)
def test_b64_is_strict(value: str) -> None:
    with pytest.raises(InvalidParameter, match="p must be valid base64"):
        parse.b64({"p": value}, "p")


def test_b64_size_limits() -> None:
    seven = base64.b64encode(b"abcdefg").decode()  # 12 characters
    assert parse.b64({"p": seven}, "p", max_bytes=7) == b"abcdefg"
    with pytest.raises(InvalidParameter, match="at most 6 bytes"):
        parse.b64({"p": seven}, "p", max_bytes=6)
    huge = "A" * (2 * 16 + 4)
    with pytest.raises(InvalidParameter, match="at most 32 characters"):
        parse.b64({"p": huge}, "p", max_bytes=16)
    with pytest.raises(InvalidParameter, match="p must be a string"):
        parse.b64({"p": 123}, "p")


@given(st.binary(max_size=300))
def test_b64_round_trip_property(raw: bytes) -> None:
    assert parse.b64({"p": base64.b64encode(raw).decode()}, "p", max_bytes=300) == raw


# --- paging ---


def test_page_request_defaults() -> None:
    assert parse.page_request({}) == PageRequest(
        limit=100, offset=0, sort_by="TIMECREATED", descending=True
    )
    by_name = parse.page_request({"sortBy": "DISPLAYNAME"})
    assert by_name.sort_by == "DISPLAYNAME"
    assert by_name.descending is False


def test_page_request_values() -> None:
    token = parse.encode_page(40)
    page = parse.page_request(
        {"limit": "20", "page": token, "sortBy": "TIMECREATED", "sortOrder": "ASC"}
    )
    assert page == PageRequest(limit=20, offset=40, sort_by="TIMECREATED", descending=False)
    assert parse.page_request({"limit": str(MAX_LIMIT)}).limit == MAX_LIMIT


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "limit must be between 1 and 1000"),
        ({"limit": str(MAX_LIMIT + 1)}, "limit must be between 1 and 1000"),
        ({"limit": "-5"}, "limit must be between"),
        ({"limit": "ten"}, "limit must be an integer"),
        ({"limit": ""}, "limit must be an integer"),
        ({"sortBy": "NAME"}, "sortBy must be TIMECREATED or DISPLAYNAME"),
        ({"sortOrder": "asc"}, "sortOrder must be ASC or DESC"),
        ({"page": "garbage!"}, "page is not a valid page token"),
    ],
)
def test_page_request_refusals(query: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse.page_request(query)


def test_page_tokens_are_opaque_url_safe_strings() -> None:
    token = parse.encode_page(123456)
    assert "=" not in token
    assert all(c.isalnum() or c in "-_" for c in token)
    assert parse.decode_page(token) == 123456


@pytest.mark.parametrize("token", [None, ""])
def test_missing_page_token_is_offset_zero(token: str | None) -> None:
    assert parse.decode_page(token) == 0


def _token(doc: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "!!!",
        "a",
        "@@@@",
        "é",
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        _token({"x": 1}),
        _token({"o": -1}),
        _token({"o": "5"}),
        _token({"o": 1.5}),
        _token({"o": None}),
        _token({"o": True}),
        _token({"o": 10**30}),
        _token([1, 2]),
        _token("o"),
        _token(5),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
    ],
)
def test_garbage_page_tokens_are_invalid_parameters(token: str) -> None:
    with pytest.raises(InvalidParameter, match="page is not a valid page token"):
        parse.decode_page(token)


@given(st.integers(min_value=0, max_value=parse.MAX_OFFSET))
def test_page_token_round_trip_property(offset: int) -> None:
    assert parse.decode_page(parse.encode_page(offset)) == offset


@given(st.text(max_size=80))
def test_decode_page_raises_only_invalid_parameter(token: str) -> None:
    try:
        offset = parse.decode_page(token)
    except InvalidParameter:
        return
    assert isinstance(offset, int)
    assert 0 <= offset <= parse.MAX_OFFSET
