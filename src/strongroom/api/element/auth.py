"""HTTP Basic authentication of Element calls against DIR/element/credentials."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CREDENTIALS_FILE", "ElementCredentials", "check_basic", "load_credentials"]

CREDENTIALS_FILE = "credentials"


@dataclass(frozen=True)
class ElementCredentials:
    """The Element administrator's user name and password (never logged)."""

    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"ElementCredentials(username={self.username!r}, password=***)"


def load_credentials(path: Path) -> ElementCredentials:
    """The credentials JSON file ``{"username", "password"}`` (ValueError when malformed)."""
    data = json.loads(path.read_text("utf-8"))
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not password:
        raise ValueError(f"{path} must hold a JSON object with a username and a password")
    return ElementCredentials(username, password)


def check_basic(header: str | None, credentials: ElementCredentials) -> str | None:
    """Why ``header`` (an Authorization value) does not authenticate the administrator
    (``missing-credentials``, ``malformed-credentials``, ``bad-credentials``), or None when
    it does. Both parts are compared in constant time."""
    if header is None:
        return "missing-credentials"
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return "malformed-credentials"
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "malformed-credentials"
    username, colon, password = decoded.partition(b":")
    if not colon:
        return "malformed-credentials"
    user_ok = hmac.compare_digest(username, credentials.username.encode("utf-8"))
    password_ok = hmac.compare_digest(password, credentials.password.encode("utf-8"))
    return None if user_ok and password_ok else "bad-credentials"
