"""Strongroom's KMIP client identity: an RSA key pair in the data directory and the CSR that a
KMIP server's CA signs into Strongroom's client certificate.

The private key cannot be sealed by the barrier (it is needed to fetch the master key that
unseals the barrier), so it lives in ``DATA_DIR/kmip/client.key``: the directory is 0700, the
file 0600, written under a fresh name with ``O_EXCL`` and renamed over the old one, and a file
others can read is refused. The subject the key pair was made for is kept beside it in
``subject.json`` (it is not secret) so the CSR can be made again at any time.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "DEFAULT_COMMON_NAME",
    "FileClientIdentity",
    "check_private",
    "normalize_subject",
    "subject_name",
]

DEFAULT_COMMON_NAME = "strongroom"

# Element's field names, in the order they appear in the certificate subject.
_FIELDS: dict[str, x509.ObjectIdentifier] = {
    "country": NameOID.COUNTRY_NAME,
    "state": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "commonName": NameOID.COMMON_NAME,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}
_MAX_LENGTH = 64  # the X.520 upper bound of these attributes (ub-common-name and friends)
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def normalize_subject(subject: Mapping[str, str]) -> dict[str, str]:
    """``subject`` checked and tidied: known field names only, values trimmed, empty ones
    dropped, ``commonName`` defaulting to ``strongroom``, ``country`` two letters (upper case).

    Raises InvalidParameter naming the offending field."""
    unknown = sorted(set(subject) - set(_FIELDS))
    if unknown:
        raise InvalidParameter(
            f"unknown certificate subject field(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(_FIELDS))}"
        )
    tidy: dict[str, str] = {}
    for field, value in subject.items():
        if not isinstance(value, str):
            raise InvalidParameter(f"{field} must be a string")
        value = value.strip()
        if not value:
            continue
        if len(value) > _MAX_LENGTH:
            raise InvalidParameter(f"{field} must be at most {_MAX_LENGTH} characters")
        tidy[field] = value
    tidy.setdefault("commonName", DEFAULT_COMMON_NAME)
    country = tidy.get("country")
    if country is not None:
        if not _COUNTRY.fullmatch(country):
            raise InvalidParameter("country must be a two-letter country code, such as US")
        tidy["country"] = country.upper()
    return tidy


def subject_name(subject: Mapping[str, str]) -> x509.Name:
    """The X.509 name of a normalized ``subject`` (see :func:`normalize_subject`)."""
    return x509.Name(
        [
            x509.NameAttribute(oid, subject[field])
            for field, oid in _FIELDS.items()
            if field in subject
        ]
    )


class FileClientIdentity:
    """Strongroom's KMIP client key pair, kept in ``data_dir/kmip`` (implements
    :class:`strongroom.services.kmip_port.ClientIdentity`)."""

    KEY_FILENAME = "client.key"
    SUBJECT_FILENAME = "subject.json"

    def __init__(self, data_dir: Path) -> None:
        self._dir = Path(data_dir) / "kmip"

    @property
    def key_file(self) -> Path:
        """Where the client private key is (PEM, PKCS#8, unencrypted, mode 0600); it may not
        exist yet."""
        return self._dir / self.KEY_FILENAME

    def create_key_pair(self, subject: dict[str, str]) -> None:
        """Make a new RSA 2048 key pair for ``subject`` (Element's field names), replacing the
        previous one; raises InvalidParameter for a bad subject (nothing is written then)."""
        self._make(normalize_subject(subject), replace=True)

    def certificate_sign_request(self) -> str:
        """A PEM PKCS#10 request (SHA-256) for the current key pair and its subject; a key
        pair for the default subject (commonName ``strongroom``) is made first when none
        exists."""
        if not self.key_file.exists():
            self._make(normalize_subject({}), replace=False)
        key = self.load_private_key()
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(subject_name(self.subject()))
            .sign(key, hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def subject(self) -> dict[str, str]:
        """The subject the current key pair was made for (the default when none is stored)."""
        path = self._dir / self.SUBJECT_FILENAME
        try:
            stored = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return normalize_subject({})
        return normalize_subject({str(k): str(v) for k, v in dict(stored).items()})

    def load_private_key(self) -> rsa.RSAPrivateKey:
        """The client private key; raises FileNotFoundError when there is none and
        PermissionError when others than its owner may read the file."""
        check_private(self.key_file)
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{self.key_file} does not hold an RSA private key")
        return key

    def _make(self, subject: dict[str, str], replace: bool) -> None:
        """Write a new key pair for ``subject``; unless ``replace``, keep a key file another
        process made meanwhile (two first CSRs at once agree on one key)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._ensure_dir()
        self._write(self._dir / self.SUBJECT_FILENAME, json.dumps(subject).encode(), True)
        self._write(self.key_file, pem, replace)

    def _ensure_dir(self) -> None:
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(self._dir.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
            self._dir.chmod(0o700)

    def _write(self, path: Path, content: bytes, replace: bool) -> None:
        """Write ``content`` to a fresh 0600 file beside ``path`` and rename it over ``path``
        (or, unless ``replace``, link it there when ``path`` does not exist yet)."""
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if replace:
                os.replace(temporary, path)
            else:
                with suppress(FileExistsError):
                    os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_dir(path.parent)


def check_private(path: Path) -> None:
    """Raise PermissionError when ``path`` can be read or written by others than its owner
    (FileNotFoundError when it does not exist)."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{path} must be readable by its owner only (chmod 600)")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
