"""Tokens of the policy language, with their positions for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.iam.policy_ast import PolicySyntaxError

__all__ = ["Token", "tokenize"]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>'(?:[^'\\]|\\.)*')
  | (?P<pattern>/(?:[^/\\]|\\.)*/)
  | (?P<op>!=|=|[{},():])
  | (?P<word>[A-Za-z0-9_.\-@+*]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """A token: ``kind`` is quoted, pattern, op, word or end."""

    kind: str
    text: str
    line: int
    column: int

    @property
    def value(self) -> str:
        """The text without quotes or slashes."""
        if self.kind in ("quoted", "pattern"):
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def describe(self) -> str:
        return "end of statement" if self.kind == "end" else repr(self.text)


def tokenize(text: str, statement: int) -> list[Token]:
    """Split a statement into tokens; a character that starts no token is a syntax error."""
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if match is None:
            raise PolicySyntaxError(
                statement,
                line,
                column,
                "a word, a quoted value or one of { } , = != ( )",
                repr(text[pos]),
            )
        kind = match.lastgroup or ""
        chunk = match.group()
        if kind != "space":
            tokens.append(Token(kind, chunk, line, column))
        newlines = chunk.count("\n")
        if newlines:
            line += newlines
            line_start = pos + chunk.rindex("\n") + 1
        pos = match.end()
    tokens.append(Token("end", "", line, pos - line_start + 1))
    return tokens
