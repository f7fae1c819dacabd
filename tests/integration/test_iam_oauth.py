"""OAuth2 client credentials of users: the SDK creates them, the token endpoint issues RS256
JWTs that verify against the published JWKS, and every failure is the RFC 6749 error."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from oci.identity import models as im

from tests.integration import iam_support
from tests.integration.iam_support import Iam, Person, refused, unique
from tests.integration.support import Server

SCOPE = "oci_ekms"


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _credential(iam: Iam, person: Person, *scopes: tuple[str, str]) -> im.OAuth2ClientCredential:
    details = im.CreateOAuth2ClientCredentialDetails(
        name=unique("ekm"),
        description="client for an EKM",
        scopes=[im.FullyQualifiedScope(audience=a, scope=s) for a, s in scopes],
    )
    credential: im.OAuth2ClientCredential = iam.admin.create_o_auth_client_credential(
        person.id, details
    ).data
    return credential


def _token(
    http: httpx.Client,
    client_id: str,
    secret: str,
    form: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    body = {"grant_type": "client_credentials", "scope": SCOPE, **(form or {})}
    return http.post("/oauth2/v1/token", data=body, auth=(client_id, secret), **kwargs)


def _error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def client(iam: Iam) -> tuple[Person, im.OAuth2ClientCredential, str]:
    """A user with a credential for one EKM audience."""
    person = iam.person()
    audience = f"https://ekm.example/{unique('vault')}"
    return person, _credential(iam, person, (audience, SCOPE)), audience


Client = tuple[Person, im.OAuth2ClientCredential, str]


def test_client_credentials_grant_issues_a_verifiable_jwt(
    server: Server, http: httpx.Client, client: Client
) -> None:
    person, credential, audience = client
    assert credential.password
    assert credential.id.startswith("ocid1.credential.")
    assert credential.user_id == person.id
    assert credential.lifecycle_state == "ACTIVE"
    assert [(s.audience, s.scope) for s in credential.scopes] == [(audience, SCOPE)]

    response = _token(http, credential.id, credential.password)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == SCOPE
    assert body["expires_in"] == 3600

    token = body["access_token"]
    jwks = jwt.PyJWKSet.from_dict(http.get("/oauth2/v1/keys").json())
    kid = jwt.get_unverified_header(token)["kid"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    (signing,) = [k for k in jwks.keys if k.key_id == kid]
    issuer = f"{server.url}/oauth2/v1"
    claims = jwt.decode(
        token,
        signing.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud"]},
    )
    assert claims["scope"] == SCOPE
    assert claims["sub"] == credential.id
    assert claims["client_id"] == credential.id
    assert claims["user_id"] == person.id
    assert claims["tenancy"] == server.tenancy
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 300
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, signing.key, algorithms=["RS256"], audience="https://other.example")
    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(
            token, signing.key, algorithms=["RS256"], audience=audience, issuer="https://evil"
        )


def test_discovery_points_at_the_token_endpoint_and_keys(
    server: Server, http: httpx.Client
) -> None:
    issuer = f"{server.url}/oauth2/v1"
    for path in (
        "/.well-known/openid-configuration",
        "/oauth2/v1/.well-known/openid-configuration",
    ):
        document = http.get(path).json()
        assert document["issuer"] == issuer
        assert document["token_endpoint"] == f"{issuer}/token"
        assert document["jwks_uri"] == f"{issuer}/keys"
        assert "client_credentials" in document["grant_types_supported"]
    keys = http.get("/oauth2/v1/keys").json()["keys"]
    assert keys
    assert all(k["kty"] == "RSA" and "d" not in k and k.get("kid") for k in keys)


def test_client_secret_post_and_audience_selection(iam: Iam, http: httpx.Client) -> None:
    person = iam.person()
    first, second = "https://ekm-a.example", "https://ekm-b.example"
    credential = _credential(iam, person, (first, SCOPE), (second, SCOPE))
    form = {
        "grant_type": "client_credentials",
        "scope": SCOPE,
        "audience": second,
        "client_id": credential.id,
        "client_secret": credential.password,
    }
    response = http.post("/oauth2/v1/token", data=form)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["aud"] == second
    _error(
        _token(http, credential.id, credential.password, {"audience": "https://nope"}),
        400,
        "invalid_scope",
    )


def test_wrong_secrets_and_unknown_clients_are_invalid_client(
    http: httpx.Client, client: Client
) -> None:
    _, credential, _ = client
    for client_id, secret in (
        (credential.id, credential.password + "x"),
        (credential.id, ""),
        (credential.id, credential.password[:-1]),
        ("ocid1.credential.oc1..aaaaaaaa" + "z" * 40, credential.password),
        ("someone", credential.password),
    ):
        response = _token(http, client_id, secret)
        _error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")
    no_auth = http.post(
        "/oauth2/v1/token", data={"grant_type": "client_credentials", "scope": SCOPE}
    )
    _error(no_auth, 401, "invalid_client")
    garbage = http.post(
        "/oauth2/v1/token",
        data={"grant_type": "client_credentials", "scope": SCOPE},
        headers={"authorization": "Basic !!!not-base64"},
    )
    _error(garbage, 401, "invalid_client")


def test_scopes_and_grant_types(http: httpx.Client, client: Client) -> None:
    _, credential, _ = client
    _error(
        _token(http, credential.id, credential.password, {"scope": "admin"}), 400, "invalid_scope"
    )
    _error(_token(http, credential.id, credential.password, {"scope": ""}), 400, "invalid_scope")
    for grant in ("password", "authorization_code", ""):
        _error(
            _token(http, credential.id, credential.password, {"grant_type": grant}),
            400,
            "unsupported_grant_type",
        )
    basic = base64.b64encode(f"{credential.id}:{credential.password}".encode()).decode()
    as_json = http.post(
        "/oauth2/v1/token",
        json={"grant_type": "client_credentials", "scope": SCOPE},
        headers={"authorization": f"Basic {basic}"},
    )
    _error(as_json, 400, "invalid_request")


def test_deleting_the_credential_stops_token_issue(
    iam: Iam, http: httpx.Client, client: Client
) -> None:
    person, credential, _ = client
    assert _token(http, credential.id, credential.password).status_code == 200
    listed = iam.admin.list_o_auth_client_credentials(person.id).data
    assert [c.id for c in listed] == [credential.id]
    assert all(not getattr(c, "password", None) for c in listed)
    response = iam.admin.delete_o_auth_client_credential(person.id, credential.id)
    assert response.status == 204
    _error(_token(http, credential.id, credential.password), 401, "invalid_client")
    assert iam.admin.list_o_auth_client_credentials(person.id).data == []
    refused(iam.admin.delete_o_auth_client_credential, person.id, credential.id)


def test_deleting_the_user_stops_token_issue(iam: Iam, http: httpx.Client, client: Client) -> None:
    person, credential, _ = client
    assert _token(http, credential.id, credential.password).status_code == 200
    iam.admin.delete_user(person.id)
    _error(_token(http, credential.id, credential.password), 401, "invalid_client")


def test_credentials_of_one_user_are_not_anothers(iam: Iam, client: Client) -> None:
    person, credential, _ = client
    other = iam.person()
    refused(iam.admin.delete_o_auth_client_credential, other.id, credential.id)
    assert [c.id for c in iam.admin.list_o_auth_client_credentials(person.id).data] == [
        credential.id
    ]


def test_creating_credentials_needs_permission_and_valid_scopes(iam: Iam, client: Client) -> None:
    person, _, _ = client
    details = im.CreateOAuth2ClientCredentialDetails(
        name=unique("ekm"),
        description="d",
        scopes=[im.FullyQualifiedScope(audience="https://ekm.example", scope=SCOPE)],
    )
    # A user with no grants cannot make credentials, not even for itself.
    refused(person.identity().create_o_auth_client_credential, person.id, details)
    refused(person.identity().create_o_auth_client_credential, iam.server.config["user"], details)
    for scopes in (
        [],
        [im.FullyQualifiedScope(audience="", scope=SCOPE)],
        [im.FullyQualifiedScope(audience="https://ekm.example", scope="")],
    ):
        bad = im.CreateOAuth2ClientCredentialDetails(
            name=unique("ekm"), description="d", scopes=scopes
        )
        iam_support.invalid(iam.admin.create_o_auth_client_credential, person.id, bad)
