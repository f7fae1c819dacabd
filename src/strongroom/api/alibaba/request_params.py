"""The parameters of an Alibaba RPC request: its query string and, when the body is a form
(``application/x-www-form-urlencoded``), the body's. A name given twice, in one or across both,
is refused: what a signature covers and what an action reads must be one value."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from strongroom.api.alibaba.signature_errors import InvalidParameter

__all__ = ["FORM", "MAX_PARAMS", "RequestParams", "request_params"]

FORM = "application/x-www-form-urlencoded"
MAX_PARAMS = 1000


@dataclass(frozen=True)
class RequestParams:
    """``query``: the query string's parameters; ``all``: those and the form body's."""

    query: Mapping[str, str]
    all: Mapping[str, str]


def request_params(query: str, headers: Mapping[str, Sequence[str]], body: bytes) -> RequestParams:
    """The parameters of a request (``headers`` by lower-case name)."""
    in_query = _parse(query, "query string")
    content_type = (headers.get("content-type") or [""])[0]
    in_body: dict[str, str] = {}
    if body and content_type.partition(";")[0].strip().lower() == FORM:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameter("The form body is not UTF-8.", "malformed-body") from None
        in_body = _parse(text, "form body")
    twice = sorted(set(in_query) & set(in_body))
    if twice:
        raise InvalidParameter(
            f"The parameter {twice[0]} is given both in the query and in the body.",
            "duplicate-parameter",
        )
    return RequestParams(in_query, {**in_query, **in_body})


def _parse(text: str, where: str) -> dict[str, str]:
    try:
        pairs = _pairs(text)
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter(
            f"The {where} is not valid percent-encoded UTF-8 of at most {MAX_PARAMS} parameters.",
            "malformed-query",
        ) from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidParameter(
                f"The parameter {name} is given more than once.", "duplicate-parameter"
            )
        params[name] = value
    return params


def _pairs(text: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict",
    max_num_fields=MAX_PARAMS)``, without its per-character work for names and values that
    hold no escape (nearly all of them)."""
    if text.count("&") + 1 > MAX_PARAMS:
        raise ValueError("too many fields")
    pairs = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            # most names and values hold no escape: no call for them
            if "%" in name or "+" in name:
                name = _unquote(name)
            if "%" in value or "+" in value:
                value = _unquote(value)
            pairs.append((name, value))
    return pairs


# Escapes of ASCII characters, decoded by one regular-expression pass; a part with an escape of
# a byte of 0x80 or more (UTF-8 beyond ASCII) is decoded by urllib (strictly).
_ASCII_ESCAPE = re.compile(r"%[0-7][0-9A-Fa-f]")
_WIDE_ESCAPE = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")
_ASCII_CHARS = {f"%{i:02{case}}": chr(i) for i in range(128) for case in "Xx"}


def _unquote(part: str) -> str:
    if "+" in part:
        part = part.replace("+", " ")
    if "%" not in part:
        return part
    if _WIDE_ESCAPE.search(part):
        return unquote(part, errors="strict")
    return _ASCII_ESCAPE.sub(_ascii_char, part)


def _ascii_char(match: re.Match[str]) -> str:
    return _ASCII_CHARS[match.group()]
