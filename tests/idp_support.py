"""A local OAuth2 identity provider for tests: an RSA key, its JWKS, discovery and a
client-credentials token endpoint, served over HTTP or HTTPS on loopback."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.tls_support import TlsFiles, serve_tls


class LocalIdp:
    """An RSA signing key, its JWKS and an OAuth2 client-credentials token endpoint.

    ``url`` is the identity provider URL (Strongroom's idcsAccountNameUrl); the issuer is
    ``url`` too. The token endpoint accepts ``client_id``/``client_secret`` (HTTP Basic or form),
    ``scope`` and ``audience`` and mints a token with that audience and scope.
    """

    def __init__(
        self,
        client_id: str = "strongroom",
        client_secret: str | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        self.client_id = client_id
        self.tls = tls  # serve HTTPS with this certificate (trust tls.ca_pem)
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self.token_requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/v1/token"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def token(
        self,
        audience: str | list[str],
        *,
        scope: str = "oci_ekms",
        expires_in: int = 300,
        issuer: str | None = None,
        not_before: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed RS256 token (negative ``expires_in`` gives an expired one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer if issuer is not None else self.issuer,
            "sub": self.client_id,
            "aud": audience,
            "scope": scope,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            **(extra or {}),
        }
        if not_before is not None:
            claims["nbf"] = not_before
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def unsigned_token(self, audience: str, *, scope: str = "oci_ekms") -> str:
        """The same claims with ``alg: none`` and no signature."""
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": audience, "scope": scope, "exp": now + 300}
        return jwt.encode(claims, "", algorithm="none", headers={"kid": self.kid})  # "": no key

    def __enter__(self) -> LocalIdp:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/jwks":
                    self._send(200, idp.jwks())
                elif path == "/.well-known/openid-configuration":
                    self._send(
                        200,
                        {
                            "issuer": idp.issuer,
                            "token_endpoint": idp.token_url,
                            "jwks_uri": idp.jwks_url,
                        },
                    )
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/oauth2/v1/token":
                    self._send(404, {"error": "not_found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                client_id, client_secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.lower().startswith("basic "):
                    decoded = base64.b64decode(auth[6:]).decode()
                    client_id, _, client_secret = decoded.partition(":")
                if form.get("grant_type") != "client_credentials":
                    self._send(400, {"error": "unsupported_grant_type"})
                    return
                if client_id != idp.client_id or client_secret != idp.client_secret:
                    self._send(401, {"error": "invalid_client"})
                    return
                idp.token_requests += 1
                audience = form.get("audience") or idp.issuer
                scope = form.get("scope") or "oci_ekms"
                token = idp.token(audience, scope=scope, expires_in=3600)
                self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "https" if serve_tls(self._server, self.tls) else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- SoftHSM tokens -------------------------------------------------------------------------
