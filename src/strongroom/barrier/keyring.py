"""The keyring: numbered data-encryption keys (terms); the newest term seals new values."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["Keyring"]


@dataclass
class Keyring:
    """Terms of 256-bit keys; values sealed under any term stay readable after rotation."""

    terms: dict[int, bytes] = field(default_factory=dict)
    active: int = 0
    _ciphers: dict[int, AESGCM] = field(default_factory=dict, repr=False)

    @classmethod
    def new(cls) -> Keyring:
        """A keyring with one fresh term."""
        ring = cls()
        ring.rotate()
        return ring

    def rotate(self) -> int:
        """Add a new term and make it active; returns its number."""
        self.active = max(self.terms, default=0) + 1
        self.terms[self.active] = os.urandom(32)
        return self.active

    def cipher(self, term: int) -> AESGCM:
        """The AEAD for ``term`` (KeyError when unknown)."""
        cipher = self._ciphers.get(term)
        if cipher is None:
            cipher = self._ciphers[term] = AESGCM(self.terms[term])
        return cipher

    def serialize(self) -> bytes:
        """Bytes to be wrapped by the master key."""
        doc = {
            "active": self.active,
            "terms": {str(t): base64.b64encode(k).decode("ascii") for t, k in self.terms.items()},
        }
        return json.dumps(doc, sort_keys=True).encode("utf-8")

    @classmethod
    def deserialize(cls, raw: bytes) -> Keyring:
        """Inverse of :meth:`serialize`."""
        doc = json.loads(raw)
        terms = {int(t): base64.b64decode(k) for t, k in doc["terms"].items()}
        return cls(terms=terms, active=int(doc["active"]))
