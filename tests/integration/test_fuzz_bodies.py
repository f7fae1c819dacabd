"""Bad input found by fuzzing: mutated SDK request bodies, on SQLite and on PostgreSQL.

A property-based test (Hypothesis, derandomized with a fixed number of examples) takes the JSON
the SDK sends for the create and update of vaults, keys, secrets, policies and EKMS private
endpoints, mutates it (drops a field, gives a field another JSON type, puts control characters
or huge strings in a string, nests garbage) and sends it signed, as the SDK signs, to a real
server. No answer may be a 5xx, and a refusal (4xx) changes nothing: the resources listed, and
the resource updated, are as before. Each bug it found has a regression test below it, run on
both back ends (PostgreSQL cannot store NUL, SQLite can: both must answer 400 alike).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oci.identity import IdentityClient
from oci.identity import models as im
from oci.key_management import KmsVaultClient
from oci.key_management import models as m
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.clock import ManualClock
from tests.helpers import b64e
from tests.integration import storage_support, support
from tests.integration.support import Raw, Server, assert_oci_error
from tests.tls_support import make_tls

EXAMPLES = 30
SUBNET = "ocid1.subnet.oc1.us-ashburn-1..aaaaaaaasubnet"
VAULTS = "/20180608/vaults"
SECRETS = "/20180608/secrets"
POLICIES = "/20160918/policies"
ENDPOINTS = "/20180608/ekmsPrivateEndpoints"
CONTROLS = ["\x00", "\x01", "\x1b", "\x7f", "\t", "\n", "\r"]


# --- a server on each back end, and what the bodies name ------------------------------------


@dataclass
class World:
    """A server, a signed raw client, and the resources the update bodies act on."""

    server: Server
    raw: Raw
    vault: m.Vault
    key: m.Key
    secret_id: str
    policy_id: str
    endpoint_id: str
    ca_pem: str

    @property
    def tenancy(self) -> str:
        return self.server.tenancy

    def json(self, model: Any) -> Any:
        """The JSON the SDK sends for ``model`` (serialized by a client of its service)."""
        module = type(model).__module__
        client: Any = (
            VaultsClient
            if module.startswith("oci.vault")
            else IdentityClient
            if module.startswith("oci.identity")
            else KmsVaultClient
        )
        serializer = client(self.server.config, service_endpoint=self.server.url).base_client
        return serializer.sanitize_for_serialization(model)

    @property
    def keys_path(self) -> str:
        return f"{self.vault.management_endpoint}/20180608/keys"


@contextmanager
def _database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """None (SQLite in the data directory) or a migrated PostgreSQL schema, dropped at the end
    (the module is skipped when PostgreSQL is unreachable)."""
    if kind == "sqlite":
        yield None
        return
    with contextmanager(storage_support.postgresql_engine)() as engine:
        yield engine.url.render_as_string(hide_password=False)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A fresh server on ``request.param`` with a vault, a key, a secret, a policy and a
    private endpoint."""
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with (
        _database_url(request.param, tmp_path_factory) as url,
        support.running_server(directory / "data", ManualClock(), url) as server,
    ):
        yield _populate(server, make_tls(directory / "tls").ca_pem)


def _populate(server: Server, ca_pem: str) -> World:
    raw = Raw(server)
    vault_client = support.vault_client(server.config, server.url)
    vault = support.new_vault(vault_client, server.tenancy, "fuzz")
    kms = support.management_client(server.config, vault)
    key = support.new_key(kms, server.tenancy, "AES", 32)
    world = World(server, raw, vault, key, "", "", "", ca_pem)
    world.secret_id = _created(raw.post(SECRETS, _secret_body(world)))["id"]
    world.policy_id = _created(raw.post(POLICIES, _policy_body(world)))["id"]
    world.endpoint_id = _created(raw.post(ENDPOINTS, _endpoint_body(world)))["id"]
    return world


# --- valid bodies, as the SDK sends them ------------------------------------------------------

TAGS: dict[str, Any] = {
    "freeform_tags": {"team": "security"},
    "defined_tags": {"ops": {"cost": "42", "tier": 1}},
}


def _vault_body(w: World) -> Any:
    return w.json(
        m.CreateVaultDetails(
            compartment_id=w.tenancy, display_name="fuzz", vault_type="DEFAULT", **TAGS
        )
    )


def _name_and_tags_body(w: World) -> Any:
    return w.json(m.UpdateVaultDetails(display_name="renamed", **TAGS))


def _key_body(w: World) -> Any:
    shape = m.KeyShape(algorithm="AES", length=32)
    return w.json(
        m.CreateKeyDetails(
            compartment_id=w.tenancy,
            display_name="fuzz",
            key_shape=shape,
            protection_mode="SOFTWARE",
            **TAGS,
        )
    )


def _update_key_body(w: World) -> Any:
    return w.json(m.UpdateKeyDetails(display_name="renamed", is_auto_rotation_enabled=False))


def _rules() -> list[Any]:
    return [
        vm.SecretExpiryRule(
            rule_type="SECRET_EXPIRY_RULE",
            secret_version_expiry_interval="P30D",
            is_secret_content_retrieval_blocked_on_expiry=False,
        ),
        vm.SecretReuseRule(
            rule_type="SECRET_REUSE_RULE", is_enforced_on_deleted_secret_versions=False
        ),
    ]


def _content(text: str) -> Any:
    return vm.Base64SecretContentDetails(
        content_type="BASE64", content=b64e(text.encode()), name=None, stage="CURRENT"
    )


def _secret_body(w: World) -> Any:
    return w.json(
        vm.CreateSecretDetails(
            compartment_id=w.tenancy,
            vault_id=w.vault.id,
            key_id=w.key.id,
            secret_name=f"fuzz-{uuid.uuid4().hex[:12]}",
            description="a secret\nfor fuzzing",
            secret_content=_content("hunter2"),
            metadata={"owner": "fuzz", "nested": {"list": [1, "two"]}},
            secret_rules=_rules(),
            **TAGS,
        )
    )


def _generated_secret_body(w: World) -> Any:
    return w.json(
        vm.CreateSecretDetails(
            compartment_id=w.tenancy,
            vault_id=w.vault.id,
            key_id=w.key.id,
            secret_name=f"fuzz-{uuid.uuid4().hex[:12]}",
            enable_auto_generation=True,
            secret_generation_context=vm.PassphraseGenerationContext(
                generation_type="PASSPHRASE",
                generation_template="SECRETS_DEFAULT_PASSWORD",
                passphrase_length=24,
            ),
            rotation_config=vm.RotationConfig(
                rotation_interval="P30D", is_scheduled_rotation_enabled=True
            ),
        )
    )


def _update_secret_body(w: World) -> Any:
    return w.json(
        vm.UpdateSecretDetails(
            description="changed",
            metadata={"owner": "other"},
            secret_content=_content(uuid.uuid4().hex),
            secret_rules=_rules(),
            **TAGS,
        )
    )


STATEMENT = "Allow group Administrators to read vaults in tenancy"


def _policy_body(w: World) -> Any:
    return w.json(
        im.CreatePolicyDetails(
            compartment_id=w.tenancy,
            name=f"fuzz-{uuid.uuid4().hex[:12]}",
            description="for fuzzing",
            statements=[STATEMENT],
            freeform_tags={"team": "security"},
        )
    )


def _update_policy_body(w: World) -> Any:
    return w.json(im.UpdatePolicyDetails(description="changed", statements=[STATEMENT]))


def _endpoint_body(w: World) -> Any:
    return w.json(
        m.CreateEkmsPrivateEndpointDetails(
            compartment_id=w.tenancy,
            subnet_id=SUBNET,
            display_name="fuzz",
            external_key_manager_ip="127.0.0.1",
            port=443,
            ca_bundle=w.ca_pem,
            **TAGS,
        )
    )


# --- the operations, and what must not change when one is refused ---------------------------


@dataclass(frozen=True)
class Target:
    """One operation: how to reach it, its valid body, and a snapshot of what it may change."""

    method: str
    url: Callable[[World], str]
    body: Callable[[World], Any]
    snapshot: Callable[[World], Any]


def _listing(url: Callable[[World], str]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        response = w.raw.get(url(w), params={"compartmentId": w.tenancy, "limit": 1000})
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json())

    return snapshot


def _one(url: Callable[[World], str]) -> Callable[[World], Any]:
    def snapshot(w: World) -> Any:
        response = w.raw.get(url(w))
        assert response.status_code == 200, response.text
        return response.json(), response.headers.get("etag")

    return snapshot


def _secret_versions(w: World) -> Any:
    response = w.raw.get(f"{SECRETS}/{w.secret_id}/versions", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return _one(lambda w: f"{SECRETS}/{w.secret_id}")(w), response.json()


def _vault_url(w: World) -> str:
    return f"{VAULTS}/{w.vault.id}"


def _key_url(w: World) -> str:
    return f"{w.keys_path}/{w.key.id}"


def _policy_url(w: World) -> str:
    return f"{POLICIES}/{w.policy_id}"


def _endpoint_url(w: World) -> str:
    return f"{ENDPOINTS}/{w.endpoint_id}"


TARGETS: dict[str, Target] = {
    "CreateVault": Target("POST", lambda w: VAULTS, _vault_body, _listing(lambda w: VAULTS)),
    "UpdateVault": Target("PUT", _vault_url, _name_and_tags_body, _one(_vault_url)),
    "CreateKey": Target("POST", lambda w: w.keys_path, _key_body, _listing(lambda w: w.keys_path)),
    "UpdateKey": Target("PUT", _key_url, _update_key_body, _one(_key_url)),
    "CreateSecret": Target("POST", lambda w: SECRETS, _secret_body, _listing(lambda w: SECRETS)),
    "CreateSecret(generated)": Target(
        "POST", lambda w: SECRETS, _generated_secret_body, _listing(lambda w: SECRETS)
    ),
    "UpdateSecret": Target(
        "PUT", lambda w: f"{SECRETS}/{w.secret_id}", _update_secret_body, _secret_versions
    ),
    "CreatePolicy": Target("POST", lambda w: POLICIES, _policy_body, _listing(lambda w: POLICIES)),
    "UpdatePolicy": Target("PUT", _policy_url, _update_policy_body, _one(_policy_url)),
    "CreateEkmsPrivateEndpoint": Target(
        "POST", lambda w: ENDPOINTS, _endpoint_body, _listing(lambda w: ENDPOINTS)
    ),
    "UpdateEkmsPrivateEndpoint": Target(
        "PUT", _endpoint_url, _name_and_tags_body, _one(_endpoint_url)
    ),
}


# --- mutations ----------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(CONTROLS),
)
_garbage = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def _replacement(draw: st.DrawFn, old: Any) -> Any:
    """Another value for ``old``: garbage, or ``old`` with control characters or grown huge."""
    if isinstance(old, str) and draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(old)))
        if draw(st.booleans()):
            return old[:at] + draw(st.sampled_from(CONTROLS)) + old[at:]
        return old + "x" * draw(st.sampled_from([300, 5000, 70_000]))
    return draw(_garbage)


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """``body`` with one to three of its fields dropped or replaced."""
    body = copy.deepcopy(body)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = _paths(body)
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = body
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[last]
        else:
            parent[last] = draw(_replacement(parent[last]))
    return body


@pytest.mark.parametrize("operation", list(TARGETS))
def test_mutated_bodies_never_fail_the_server(world: World, operation: str) -> None:
    target = TARGETS[operation]
    valid = target.body(world)

    @settings(
        derandomize=True,
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=mutated(valid))
    def check(body: Any) -> None:
        before = target.snapshot(world)
        response = world.raw.request(target.method, target.url(world), body=body)
        assert response.status_code < 500, (body, response.status_code, response.text)
        if response.status_code >= 400:
            assert target.snapshot(world) == before, (body, response.text)

    check()


# --- regressions found by fuzzing ----------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f"], ids=["NUL", "US", "DEL"])
@pytest.mark.parametrize(
    ("operation", "path", "field"),
    [
        ("CreateVault", ("displayName",), "displayName"),
        ("CreateVault", ("freeformTags", "team"), "freeformTags.team"),
        ("CreateVault", ("definedTags", "ops", "cost"), "definedTags.ops.cost"),
        ("CreateKey", ("displayName",), "displayName"),
        ("UpdateKey", ("displayName",), "displayName"),
        ("CreateSecret", ("description",), "description"),
        ("CreateSecret", ("metadata", "owner"), "metadata"),
        ("UpdateSecret", ("description",), "description"),
        (
            "CreateSecret(generated)",
            ("secretGenerationContext", "generationTemplate"),
            "generationTemplate",
        ),
        ("CreatePolicy", ("description",), "description"),
        ("CreatePolicy", ("statements", 0), "statements"),
        ("UpdatePolicy", ("statements", 0), "statements"),
        ("CreateEkmsPrivateEndpoint", ("displayName",), "displayName"),
        ("CreateEkmsPrivateEndpoint", ("caBundle",), "caBundle"),
        ("UpdateEkmsPrivateEndpoint", ("freeformTags", "team"), "freeformTags.team"),
    ],
)
def test_control_characters_are_refused_naming_the_field(
    world: World, operation: str, path: tuple[Any, ...], field: str, char: str
) -> None:
    target = TARGETS[operation]
    body = target.body(world)
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = f"{parent[path[-1]]}{char}"
    before = target.snapshot(world)
    response = world.raw.request(target.method, target.url(world), body=body)
    message = assert_oci_error(response, 400, "InvalidParameter")
    assert field in message and "control characters" in message
    assert target.snapshot(world) == before


@pytest.mark.parametrize("where", ["description", "statements"])
def test_free_text_keeps_tabs_and_newlines(world: World, where: str) -> None:
    body = _policy_body(world)
    if where == "description":
        body["description"] = "line one\n\tline two\r\n"
    else:
        body["statements"] = ["Allow group Administrators\n\tto read vaults in tenancy"]
    response = world.raw.post(POLICIES, body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (SECRETS, {"name": "a\x00b"}, "name"),
        (VAULTS, {"compartmentId": "ocid1.tenancy\x00"}, "compartmentId"),
        ("/20160918/compartments", {"name": "\x00"}, "name"),
        ("/20160918/compartments", {"lifecycleState": "ACTIVE\x00"}, "lifecycleState"),
        (POLICIES, {"limit": "1\x00"}, "limit"),
    ],
)
def test_control_characters_in_query_parameters_are_refused(
    world: World, path: str, params: dict[str, str], field: str
) -> None:
    query = {"compartmentId": world.tenancy, **params}
    message = assert_oci_error(world.raw.get(path, params=query), 400, "InvalidParameter")
    assert field in message and "control characters" in message


def test_control_characters_in_list_keys_query_are_refused(world: World) -> None:
    query = {"compartmentId": world.tenancy, "algorithm": "AES\x00"}
    response = world.raw.get(world.keys_path, params=query)
    message = assert_oci_error(response, 400, "InvalidParameter")
    assert "algorithm" in message


@pytest.mark.parametrize("rule_type", [{"a": 1}, ["SECRET_REUSE_RULE"], 1, True])
def test_secret_rule_type_of_another_json_type_is_refused(world: World, rule_type: Any) -> None:
    body = _secret_body(world)
    body["secretRules"] = [{"ruleType": rule_type}]
    before = TARGETS["CreateSecret"].snapshot(world)
    message = assert_oci_error(world.raw.post(SECRETS, body), 400, "InvalidParameter")
    assert "ruleType" in message
    assert TARGETS["CreateSecret"].snapshot(world) == before


@pytest.mark.parametrize(
    ("operation", "field", "value", "named"),
    [
        ("CreateKey", "protectionMode", 0, "protectionMode"),
        ("CreateKey", "protectionMode", False, "protectionMode"),
        ("CreateKey", "protectionMode", [], "protectionMode"),
        ("UpdateKey", "isAutoRotationEnabled", "no", "isAutoRotationEnabled"),
        ("UpdateSecret", "currentVersionNumber", "1", "currentVersionNumber"),
        ("UpdateSecret", "currentVersionNumber", [1], "currentVersionNumber"),
        ("CreatePolicy", "name", "name\n", "name"),
    ],
)
def test_fields_of_another_json_type_are_refused(
    world: World, operation: str, field: str, value: Any, named: str
) -> None:
    target = TARGETS[operation]
    body = target.body(world)
    if operation == "UpdateSecret":
        body = {field: value}
    else:
        body[field] = value
    before = target.snapshot(world)
    response = world.raw.request(target.method, target.url(world), body=body)
    message = assert_oci_error(response, 400, "InvalidParameter")
    assert named in message
    assert target.snapshot(world) == before
