"""Parser for OCI-style policy statements (grammar in ../shared/REFERENCE.md)."""

from __future__ import annotations

import re

from strongroom.iam.permissions import ALL_PERMISSIONS, VERBS, granted, resource_types
from strongroom.iam.policy_ast import (
    Combination,
    Compare,
    Condition,
    Location,
    Membership,
    PolicySyntaxError,
    Statement,
    Subject,
)
from strongroom.iam.policy_lexer import Token, tokenize

__all__ = ["MAX_CONDITION_DEPTH", "parse_condition", "parse_policy", "parse_statement"]

_OCID = re.compile(r"^ocid1\.[a-z0-9]+\.[a-z0-9]+\.[a-z0-9-]*(\.[a-z0-9-]*)?\.[a-z0-9]+$")
_NAME = re.compile(r"^[A-Za-z0-9_.\-@+]+$")
_VARIABLE = re.compile(r"^(request|target|resource|instance|tag)\.[A-Za-z0-9_.\-]+$", re.IGNORECASE)
MAX_CONDITION_DEPTH = 8


def parse_statement(text: str, index: int = 1) -> Statement:
    """Parse one statement; ``index`` (1-based) is used in error messages."""
    return _Parser(text, index).statement()


def parse_condition(text: str) -> Condition:
    """Parse a bare condition (a dynamic-group matching rule)."""
    parser = _Parser(text, 1)
    condition = parser.condition(0)
    if parser.current.kind != "end":
        raise parser.fail("the end of the rule")
    return condition


def parse_policy(statements: list[str]) -> list[Statement]:
    """Parse every statement of a policy, or raise for the first one that does not parse."""
    return [parse_statement(text, i) for i, text in enumerate(statements, start=1)]


class _Parser:
    def __init__(self, text: str, index: int) -> None:
        self.text = text
        self.index = index
        self.tokens = tokenize(text, index)
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def fail(self, expected: str) -> PolicySyntaxError:
        token = self.current
        return PolicySyntaxError(self.index, token.line, token.column, expected, token.describe())

    def advance(self) -> Token:
        token = self.current
        self.pos += 1
        return token

    def keyword(self, *words: str) -> str:
        if not self.current.is_word(*words):
            raise self.fail(" or ".join(repr(w) for w in words))
        return self.advance().text.lower()

    def op(self, symbol: str) -> None:
        if not (self.current.kind == "op" and self.current.text == symbol):
            raise self.fail(repr(symbol))
        self.advance()

    def at_op(self, symbol: str) -> bool:
        return self.current.kind == "op" and self.current.text == symbol

    # -- grammar -------------------------------------------------------------------------------
    def statement(self) -> Statement:
        effect = self.keyword("allow", "deny")
        subjects = self.subjects()
        self.keyword("to")
        permissions = self.permissions()
        self.keyword("in")
        location = self.location()
        condition = None
        if self.current.is_word("where"):
            self.advance()
            condition = self.condition(0)
        if self.current.kind != "end":
            raise self.fail("'where' or the end of the statement")
        return Statement(effect, tuple(subjects), permissions, location, condition, self.text)  # type: ignore[arg-type]

    def subjects(self) -> list[Subject]:
        if self.current.is_word("any-user", "any-group"):
            return [Subject(self.advance().text.lower())]  # type: ignore[arg-type]
        kind = self.keyword("group", "dynamic-group")
        found = [self.subject_item(kind)]
        while self.at_op(","):
            self.advance()
            if self.current.is_word("group", "dynamic-group"):
                kind = self.advance().text.lower()
            found.append(self.subject_item(kind))
        return found

    def subject_item(self, kind: str) -> Subject:
        if self.current.is_word("id"):
            self.advance()
            return Subject(kind, ocid=self.ocid())  # type: ignore[arg-type]
        return Subject(kind, name=self.name("a group name"))  # type: ignore[arg-type]

    def name(self, what: str) -> str:
        token = self.current
        if token.kind == "quoted" or (token.kind == "word" and _NAME.match(token.text)):
            if token.kind == "word" and token.text.lower() in ("to", "in", "where", "id"):
                raise self.fail(what)
            self.advance()
            return token.value
        raise self.fail(what)

    def ocid(self) -> str:
        token = self.current
        if token.kind in ("word", "quoted") and _OCID.match(token.value):
            self.advance()
            return token.value
        raise self.fail("an OCID")

    def permissions(self) -> frozenset[str]:
        if self.at_op("{"):
            self.advance()
            names = {self.permission()}
            while self.at_op(","):
                self.advance()
                names.add(self.permission())
            self.op("}")
            return frozenset(names)
        verb = self.keyword(*VERBS)
        token = self.current
        if not token.is_word(*resource_types()):
            raise self.fail("a resource type (" + ", ".join(resource_types()) + ")")
        self.advance()
        return granted(verb, token.text.lower())

    def permission(self) -> str:
        token = self.current
        if token.kind == "word" and token.text.upper() in ALL_PERMISSIONS:
            self.advance()
            return token.text.upper()
        raise self.fail("a permission name such as KEY_ENCRYPT")

    def location(self) -> Location:
        if self.current.is_word("tenancy"):
            self.advance()
            return Location("tenancy")
        self.keyword("compartment")
        if self.current.is_word("id"):
            self.advance()
            return Location("id", ocid=self.ocid())
        path = [self.name("a compartment name")]
        while self.at_op(":"):
            self.advance()
            path.append(self.name("a compartment name"))
        return Location("path", path=tuple(path))

    def condition(self, depth: int) -> Condition:
        if depth > MAX_CONDITION_DEPTH:
            raise self.fail(f"at most {MAX_CONDITION_DEPTH} nested any/all groups")
        if self.current.is_word("any", "all") and self.tokens[self.pos + 1].text == "{":
            mode = self.advance().text.lower()
            self.op("{")
            items = [self.condition(depth + 1)]
            while self.at_op(","):
                self.advance()
                items.append(self.condition(depth + 1))
            self.op("}")
            return Combination(mode, tuple(items))  # type: ignore[arg-type]
        variable = self.variable()
        if self.current.is_word("not", "in"):
            negated = self.advance().text.lower() == "not"
            if negated:
                self.keyword("in")
            return Membership(variable, negated, self.value_list())
        if self.at_op("=") or self.at_op("!="):
            negated = self.advance().text == "!="
            token = self.current
            if token.kind not in ("quoted", "pattern"):
                raise self.fail("a quoted 'value' or a /pattern/")
            self.advance()
            return Compare(variable, negated, token.value, token.kind == "pattern")
        raise self.fail("'=', '!=', 'in' or 'not in'")

    def variable(self) -> str:
        token = self.current
        if token.kind == "word" and _VARIABLE.match(token.text):
            self.advance()
            return token.text.lower()
        raise self.fail("a variable such as request.operation or target.compartment.id")

    def value_list(self) -> tuple[str, ...]:
        self.op("(")
        values = [self.quoted()]
        while self.at_op(","):
            self.advance()
            values.append(self.quoted())
        self.op(")")
        return tuple(values)

    def quoted(self) -> str:
        token = self.current
        if token.kind != "quoted":
            raise self.fail("a quoted 'value'")
        self.advance()
        return token.value
