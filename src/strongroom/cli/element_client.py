"""A small JSON-RPC client of the running server's Element endpoint, for the CLI.

It reads the Basic credentials from DIR/element/credentials and trusts DIR/element/ca.pem
(the CA ``init`` made for the Element listener's certificate); the endpoint is the one the
running ``serve --element-port`` wrote to DIR/element/endpoint, unless given.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ENDPOINT_FILE", "ElementCallFailed", "ElementClient"]

ENDPOINT_FILE = "endpoint"  # in DIR/element/: the URL the running Element listener serves


class ElementCallFailed(Exception):
    """An Element call could not be made or answered with an error (the message says which)."""


@dataclass(frozen=True)
class ElementClient:
    """Calls one Element endpoint with Basic credentials over verified TLS."""

    url: str
    username: str
    password: str
    ca_file: Path | None

    def __repr__(self) -> str:
        return f"ElementClient(url={self.url!r}, username={self.username!r})"

    @classmethod
    def for_data_dir(cls, data_dir: Path, url: str | None = None) -> ElementClient:
        """The client of ``data_dir``'s Element listener (ElementCallFailed saying what is
        missing: the credentials, or the endpoint of a server not started with
        ``--element-port``)."""
        element = data_dir / "element"
        try:
            credentials = json.loads((element / "credentials").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ElementCallFailed(
                f"Cannot read {element / 'credentials'}: {error.__class__.__name__}"
            ) from None
        if url is None:
            try:
                url = (element / ENDPOINT_FILE).read_text("utf-8").strip()
            except OSError:
                raise ElementCallFailed(
                    f"No Element endpoint recorded in {element / ENDPOINT_FILE}: start "
                    "`strongroom serve --element-port P`, or pass --url"
                ) from None
        ca = element / "ca.pem"
        return cls(
            url,
            str(credentials.get("username", "")),
            str(credentials.get("password", "")),
            ca if ca.exists() else None,
        )

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run ``method`` and return its ``result`` (ElementCallFailed on any error)."""
        body = {"method": method, "params": params, "id": 1}
        verify: Any = (
            ssl.create_default_context(cafile=str(self.ca_file))
            if self.ca_file is not None
            else True
        )
        try:
            answer = httpx.post(
                self.url, json=body, auth=(self.username, self.password), verify=verify, timeout=30
            )
        except httpx.HTTPError as error:
            raise ElementCallFailed(
                f"cannot reach {self.url} ({error.__class__.__name__}: {error}); is "
                "`strongroom serve --element-port` running?"
            ) from None
        if answer.status_code == 401:
            raise ElementCallFailed("the Element credentials were refused (401)")
        try:
            document = answer.json()
        except ValueError:
            raise ElementCallFailed(f"HTTP {answer.status_code} without a JSON answer") from None
        if "error" in document:
            failure = document["error"]
            raise ElementCallFailed(f"{failure.get('name')}: {failure.get('message')}")
        result = document.get("result")
        if not isinstance(result, dict):
            raise ElementCallFailed("the answer has no result")
        return result
