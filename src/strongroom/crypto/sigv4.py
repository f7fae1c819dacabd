"""AWS Signature Version 4 for the XKS proxy API: signing (client) and verification (proxy).

Both sides are built on botocore's :class:`SigV4Auth` so the canonical request, the string to
sign and the HMAC key chain are botocore's, not ours. Verification recomputes the signature
over exactly the headers the client says it signed, checks the body hash, the credential
scope (service, optional region, date) and the clock skew, and compares in constant time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SIGV4_TIMESTAMP, SigV4Auth, _host_from_url
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = [
    "ALGORITHM",
    "DEFAULT_MAX_SKEW",
    "DEFAULT_SERVICE",
    "SigV4Credential",
    "SigV4Error",
    "SigV4Signer",
    "sign",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
DEFAULT_SERVICE = "kms-xks-proxy"
DEFAULT_MAX_SKEW = timedelta(minutes=5)

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+"
    r"Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]{64})\s*$"
)


@dataclass(frozen=True)
class SigV4Credential:
    """An access key id and its secret access key; the secret never appears in ``repr``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


class SigV4Error(Exception):
    """A request's SigV4 signature was missing, malformed, stale or wrong; ``reason`` says which.

    The reason is safe to log and to return to the caller: it never contains a secret.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _SignedHeaders(dict[str, str]):
    """The headers a client signed, in the shape botocore's canonicalisation reads.

    (botocore iterates the names and calls ``get_all``; a plain dict is much cheaper than its
    email.message based HTTPHeaders on the verification hot path.)
    """

    def get_all(self, name: str, failobj: Any = None) -> list[str] | Any:
        value = self.get(name)
        return failobj if value is None else [value]


class _SigV4(SigV4Auth):  # type: ignore[misc]
    """botocore's signer over an ``AWSRequest``, with an injected timestamp."""

    def __init__(
        self, credential: SigV4Credential, service: str, region: str, timestamp: str
    ) -> None:
        super().__init__(
            Credentials(credential.access_key_id, credential.secret_access_key), service, region
        )
        self._timestamp = timestamp

    def add_auth(self, request: Any) -> None:
        request.context["timestamp"] = self._timestamp
        self._modify_request_before_signing(request)
        signature = self.signature(
            self.string_to_sign(request, self.canonical_request(request)), request
        )
        self._inject_signature_to_request(request, signature)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credential: SigV4Credential,
    region: str,
    service: str = DEFAULT_SERVICE,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to send: ``headers`` plus Authorization, X-Amz-Date and X-Amz-Content-SHA256."""
    return SigV4Signer(credential, region, service).sign(method, url, headers, body, now)


class SigV4Signer:
    """Signs requests with one credential for one region and service, as :func:`sign` does.

    Keep one per credential: it reuses botocore's signer and remembers what does not change
    from call to call (the key derived for the day; each URL's Host, canonical path and
    query), and hands botocore a plain-dict request instead of an ``AWSRequest`` (whose
    email.message based headers cost more than the signature). The canonical request, the
    string to sign and the HMAC chain are still botocore's.
    """

    def __init__(
        self, credential: SigV4Credential, region: str, service: str = DEFAULT_SERVICE
    ) -> None:
        self._credential = credential
        self._region = region
        self._service = service
        self._signer = _LeanSigV4(credential, service, region)
        self._second = -1
        self._stamp = ""

    def sign(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """The headers to send: ``headers`` plus Authorization, X-Amz-Date and
        X-Amz-Content-SHA256."""
        timestamp = self._timestamp() if now is None else _utc(now).strftime(SIGV4_TIMESTAMP)
        send = {k: v for k, v in headers.items() if k.lower() not in _REPLACED}
        lowered = {k.lower() for k in send}
        if len(lowered) != len(send) or not lowered.isdisjoint(_UNUSUAL):
            # Repeated names, or headers botocore treats specially: its own request object.
            return self._sign_with_awsrequest(method, url, send, body, timestamp)
        send["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        send["X-Amz-Date"] = timestamp  # where botocore puts it: after the body hash
        request = _LeanRequest(method.upper(), url, send)
        self._signer.add_auth(request, timestamp)
        send["Authorization"] = request.authorization
        return send

    def _timestamp(self) -> str:
        """Now as X-Amz-Date, formatted once per second."""
        second = int(time.time())
        if second != self._second:
            self._stamp = datetime.fromtimestamp(second, UTC).strftime(SIGV4_TIMESTAMP)
            self._second = second
        return self._stamp

    def _sign_with_awsrequest(
        self, method: str, url: str, send: dict[str, str], body: bytes, timestamp: str
    ) -> dict[str, str]:
        send["X-Amz-Date"] = timestamp
        send["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        request = AWSRequest(method=method.upper(), url=url, headers=send, data=body)
        _SigV4(self._credential, self._service, self._region, timestamp).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}


_REPLACED = frozenset({"authorization", "x-amz-date"})
# Headers botocore's add_auth reads or rewrites: a request with one is signed the slow way.
_UNUSUAL = frozenset({"date", "x-amz-content-sha256", "x-amz-security-token"})
_MEMO_LIMIT = 256
# Per-call values of a signed request, and what stands in for them in a kept template
# (neither can occur in a canonical request: URLs are percent-encoded there).
_PER_CALL = frozenset({"X-Amz-Date", "X-Amz-Content-SHA256"})
_DATE_MARK = "\x00sigv4-date\x00"
_SHA_MARK = "\x00sigv4-sha256\x00"
_STAND_INS = {"X-Amz-Content-SHA256": _SHA_MARK, "X-Amz-Date": _DATE_MARK}


class _LeanRequest:
    """What botocore's canonicalisation reads of a request, over a plain dict of headers
    (``X-Amz-Content-SHA256`` set, so botocore never reads the body)."""

    __slots__ = ("authorization", "context", "headers", "method", "params", "url")

    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.params: dict[str, str] = {}
        self.context: dict[str, Any] = {}
        self.authorization = ""


class _LeanSigV4(SigV4Auth):  # type: ignore[misc]
    """botocore's SigV4 over a :class:`_LeanRequest`, remembering per-URL and per-day work.

    ``headers_to_sign`` keeps botocore's selection (lower-cased names, its blacklist, Host
    from the URL) as a :class:`_SignedHeaders`; botocore's ``_sign`` steps of the key
    derivation (the non-hex ones) are remembered by their inputs.
    """

    def __init__(self, credential: SigV4Credential, service: str, region: str) -> None:
        super().__init__(
            Credentials(credential.access_key_id, credential.secret_access_key), service, region
        )
        self._hosts: dict[str, str] = {}
        self._paths: dict[str, str] = {}
        self._queries: dict[str, str] = {}
        self._derived: dict[tuple[bytes, str], bytes] = {}
        self._templates: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}

    def add_auth(self, request: _LeanRequest, timestamp: str) -> None:
        request.context["timestamp"] = timestamp
        chosen = self.headers_to_sign(request)
        string_to_sign = self.string_to_sign(request, self._canonical_request(request))
        signature = self.signature(string_to_sign, request)
        request.authorization = (
            f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, "
            f"SignedHeaders={self.signed_headers(chosen)}, Signature={signature}"
        )

    def _canonical_request(self, request: _LeanRequest) -> str:
        """botocore's canonical request, made once per method, URL and fixed headers with
        stand-ins for X-Amz-Date and the body hash, which are then put in."""
        headers = request.headers
        fixed = tuple(item for item in headers.items() if item[0] not in _PER_CALL)
        key = (request.method, request.url, fixed)
        template = self._templates.get(key)
        if template is None:
            stand_in = _LeanRequest(request.method, request.url, {**headers, **_STAND_INS})
            stand_in.context["timestamp"] = _STAND_INS["X-Amz-Date"]
            made = self.canonical_request(stand_in)
            usable = made.count(_DATE_MARK) == 1 and made.count(_SHA_MARK) == 2
            template = _remember(self._templates, key, lambda _: made if usable else "")
        if not template:  # a stand-in was not where expected: no shortcut for these headers
            return str(self.canonical_request(request))
        date, sha = headers["X-Amz-Date"], headers["X-Amz-Content-SHA256"]
        return template.replace(_DATE_MARK, date).replace(_SHA_MARK, sha)

    def compute(self, request: _LeanRequest, timestamp: str) -> str:
        """The hex signature of ``request`` (its headers to sign fixed in its context)."""
        request.context["timestamp"] = timestamp
        string_to_sign = self.string_to_sign(request, self.canonical_request(request))
        return str(self.signature(string_to_sign, request))

    def headers_to_sign(self, request: _LeanRequest) -> _SignedHeaders:
        chosen: _SignedHeaders | None = request.context.get("chosen")
        if chosen is None:
            chosen = _SignedHeaders()
            for name, value in request.headers.items():
                lname = name.lower()
                if lname not in SIGNED_HEADERS_BLACKLIST:
                    chosen[lname] = value
            if "host" not in chosen:
                chosen["host"] = _remember(self._hosts, request.url, _host_from_url)
            request.context["chosen"] = chosen
        return chosen

    def canonical_query_string(self, request: _LeanRequest) -> str:
        return str(_remember(self._queries, request.url, self._query_of))

    def _query_of(self, url: str) -> str:
        return str(self._canonical_query_string_url(urlsplit(url)))

    def _normalize_url_path(self, path: str) -> str:
        return str(_remember(self._paths, path, super()._normalize_url_path))

    def _sign(self, key: bytes, msg: str, hex: bool = False) -> Any:
        if hex:
            return super()._sign(key, msg, hex=True)
        return _remember(
            self._derived, (key, msg), lambda _: super(_LeanSigV4, self)._sign(key, msg)
        )


@functools.lru_cache(maxsize=64)
def _verifier(access_key_id: str, secret: str, service: str, region: str) -> _LeanSigV4:
    """A signer per credential and scope, kept across requests (its per-day key memo)."""
    return _LeanSigV4(SigV4Credential(access_key_id, secret), service, region)


def _remember(memo: dict[Any, Any], key: Any, compute: Callable[[Any], Any]) -> Any:
    """``memo[key]``, computed by ``compute(key)`` the first time (at most 256 kept)."""
    value = memo.get(key)
    if value is None:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        value = memo[key] = compute(key)
    return value


_AMZ_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")


@functools.lru_cache(maxsize=256)  # requests signed in the same second share their stamp
def _parse_amz_date(text: str) -> datetime:
    match = _AMZ_DATE.match(text)
    if match is None:
        raise SigV4Error("malformed X-Amz-Date header")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise SigV4Error("malformed X-Amz-Date header") from None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lname = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lname:
            return candidate
    return None


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    region: str | None,
    service: str = DEFAULT_SERVICE,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> str:
    """Check a request's SigV4 signature; return the access key id that signed it.

    ``path`` is the request path as sent on the wire (percent-encoded), ``query`` the raw query
    string without ``?``. ``credentials`` maps access key ids to secrets (several at once allow
    rotation). ``region`` None accepts any region. Raises :class:`SigV4Error` otherwise.
    """
    claim = _claim(headers, service, region)
    secret = credentials.get(claim.access_key_id)
    if secret is None:
        raise SigV4Error("unknown access key id")
    amz_date = _checked_date(headers, claim.scope_date, now, max_skew)
    lowered, body_sha = _signed_content(headers, claim.signed, body)
    url = f"http://{lowered['host']}{path or '/'}" + (f"?{query}" if query else "")
    # The payload hash is the body's (botocore's own for a plain-HTTP URL, and the header's
    # when one was sent, checked above); the signed headers are the ones the client named.
    request = _LeanRequest(method.upper(), url, {"X-Amz-Content-SHA256": body_sha})
    request.context["chosen"] = _SignedHeaders((name, lowered[name]) for name in claim.signed)
    verifier = _verifier(claim.access_key_id, secret, service, claim.region)
    expected = verifier.compute(request, amz_date)
    if not hmac.compare_digest(expected, claim.signature):
        raise SigV4Error("signature does not match")
    return claim.access_key_id


@dataclass(frozen=True)
class _Claim:
    """What an Authorization header claims: who signed, for which day, region and headers."""

    access_key_id: str
    scope_date: str
    region: str
    signed: list[str]
    signature: str


def _claim(headers: Mapping[str, str], service: str, region: str | None) -> _Claim:
    """Parse the Authorization header; its scope must name ``service`` (and ``region``)."""
    authorization = _header(headers, "authorization")
    if not authorization:
        raise SigV4Error("missing Authorization header")
    match = _AUTH_RE.match(authorization.strip())
    if match is None:
        raise SigV4Error("malformed Authorization header")
    scope = match["credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise SigV4Error("malformed credential scope")
    access_key_id, scope_date, scope_region, scope_service, _ = scope
    if scope_service != service:
        raise SigV4Error("wrong service in credential scope")
    if region is not None and scope_region != region:
        raise SigV4Error("wrong region in credential scope")
    signed = match["signed"].lower().split(";")
    signature = match["signature"].lower()
    return _Claim(access_key_id, scope_date, scope_region, signed, signature)


def _checked_date(
    headers: Mapping[str, str], scope_date: str, now: datetime | None, max_skew: timedelta
) -> str:
    """X-Amz-Date, checked against the scope's day and the clock."""
    amz_date = _header(headers, "x-amz-date")
    if not amz_date:
        raise SigV4Error("missing X-Amz-Date header")
    signed_at = _parse_amz_date(amz_date)
    if scope_date != amz_date[:8]:
        raise SigV4Error("credential scope date does not match X-Amz-Date")
    if abs(_utc(now) - signed_at) > max_skew:
        raise SigV4Error("request time too skewed")
    return amz_date


def _signed_content(
    headers: Mapping[str, str], signed: list[str], body: bytes
) -> tuple[dict[str, str], str]:
    """The headers by lowercase name and the body's SHA-256, once the signed headers are all
    there (host and x-amz-date among them) and X-Amz-Content-SHA256, if sent, matches."""
    if "host" not in signed or "x-amz-date" not in signed:
        raise SigV4Error("host and x-amz-date must be signed")
    lowered = {k.lower(): v for k, v in headers.items()}
    if any(name not in lowered for name in signed):
        raise SigV4Error("a signed header is missing")
    body_sha = hashlib.sha256(body).hexdigest()
    content_sha = lowered.get("x-amz-content-sha256")
    if content_sha is not None and not hmac.compare_digest(content_sha.lower(), body_sha):
        raise SigV4Error("body does not match X-Amz-Content-SHA256")
    return lowered, body_sha
