"""The realistic policy set of the encrypt benchmark, built through the official ``oci`` SDK.

On a running server, as its administrator, with ``IdentityClient`` (no retries):

* compartments: a 5-level chain ``L1:L2:L3:L4:L5`` and sibling branches (``L2b`` ... ``L5b``
  next to each level below L1, ``Shared``, ``Sandbox:Dev``): 12 in all;
* 20 groups; a user ``bench-user`` with its own RSA-2048 API key (``upload_api_key``) in
  three of them (``AppTeam07``, ``Developers``, ``ReadOnly``);
* in L5 a vault and the AES-256 key the benchmark uses, and a second key there that a Deny
  on ``target.key.id`` keeps from the bench user; in L5b a vault and a key nobody grants;
* 100 policies spread over the tenancy and the compartments (~250 statements): verbs over
  vaults, keys, the secret family and all-resources, explicit ``{PERM}`` lists, where-
  conditions (``target.key.id``, ``target.vault.id``, ``request.operation in (...)``,
  ``request.permission``, ``any``/``all``, patterns), Deny statements, and mostly statements
  for other groups. Two statements grant the bench user ``KEY_ENCRYPT`` on the L5 key: ``use
  keys`` on ``L4:L5`` from a policy attached to L3, and a ``{KEY_ENCRYPT, KEY_DECRYPT}`` grant
  in the tenancy restricted to the L5 vault. Every other statement about the bench user's
  groups (or any-user / any-group) leaves Encrypt on that key alone, by its permissions, its
  place or its condition; the random statements name only the other 17 groups.

The set is generated from a fixed seed, so every run builds the same policies (with this
run's OCIDs). :func:`explain_decision` then asks the server's own evaluator (in-process, on
the same data directory) which statements decide the bench user's Encrypt, and times an
uncached decision and a reload of the whole set.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import oci
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oci.identity import IdentityClient
from oci.identity import models as im
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from loadgen import b64d, b64e

SEED = 20240607
CHAIN = ("L1", "L2", "L3", "L4", "L5")
L5 = CHAIN
# Sibling branches (parent path, name): one next to each level below L1, and two top-level trees.
SIBLINGS = (
    ((), "Shared"),
    ((), "Sandbox"),
    (("Sandbox",), "Dev"),
    (CHAIN[:1], "L2b"),
    (CHAIN[:2], "L3b"),
    (CHAIN[:3], "L4b"),
    (CHAIN[:4], "L5b"),
)
BENCH_GROUPS = ("AppTeam07", "Developers", "ReadOnly")
OTHER_GROUPS = (
    *("SecurityAdmins", "KeyCustodians", "VaultOperators", "Auditors", "NetworkAdmins"),
    *("DBAdmins", "SecretsReaders", "CICD", "Platform"),
    *(f"AppTeam{n:02d}" for n in (1, 2, 3, 4, 5, 6, 8, 9)),
)
# How many of the 100 policies are attached where (the hand-written ones included).
ATTACHMENTS: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 34),
    (CHAIN[:1], 14),
    (CHAIN[:2], 12),
    (CHAIN[:3], 10),
    (CHAIN[:4], 8),
    (CHAIN, 6),
    (("Shared",), 4),
    (("Sandbox",), 4),
    (("Sandbox", "Dev"), 2),
    ((*CHAIN[:1], "L2b"), 2),
    ((*CHAIN[:2], "L3b"), 2),
    ((*CHAIN[:3], "L4b"), 1),
    ((*CHAIN[:4], "L5b"), 1),
)

# Statements about the bench user's groups, any-user and any-group, by where they are attached.
# Placeholders: {region}, {L5} (compartment id), {vault} (the bench vault), {denied} (the key
# the Deny keeps from the bench user). The two marked GRANT are the only ones giving the bench
# user KEY_ENCRYPT on the bench key.
HANDWRITTEN: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (
        (),
        "tenancy-readonly",
        (
            "Allow group ReadOnly to inspect all-resources in tenancy",
            "Allow group ReadOnly to read vault-family in tenancy "
            "where request.operation != 'ExportKey'",
            "Deny group ReadOnly to {KEY_ENCRYPT, KEY_DECRYPT, KEY_SIGN} in compartment Sandbox",
        ),
    ),
    (
        (),
        "tenancy-developers",
        (
            "Allow group Developers to read keys in tenancy",
            "Deny group Developers to manage keys in tenancy "
            "where request.permission in ('KEY_DELETE', 'KEY_MOVE', 'KEY_IMPORT')",
            "Allow group Developers to use keys in compartment Sandbox",
            "Allow group Developers to manage secret-family in compartment Sandbox:Dev",
        ),
    ),
    (
        (),
        "tenancy-guardrails",
        (
            "Deny any-user to use keys in tenancy where request.region != '{region}'",
            "Allow any-user to inspect compartments in tenancy",
            "Deny any-group to {KEY_EXPORT} in tenancy where request.operation = 'ExportKey'",
        ),
    ),
    (
        (),
        "tenancy-appteam07-vault",  # GRANT (a conditional one)
        (
            "Allow group AppTeam07 to {KEY_ENCRYPT, KEY_DECRYPT} in compartment L1:L2:L3:L4:L5 "
            "where all {request.operation in ('Encrypt', 'Decrypt', 'GenerateDataEncryptionKey'),"
            " target.vault.id = '{vault}'}",
        ),
    ),
    (
        CHAIN[:1],
        "L1-developers",
        (
            "Allow group Developers to use vaults in compartment L2",
            "Deny group Developers to use keys in compartment L2b",
            "Allow group ReadOnly to read secret-family in compartment L2:L3",
        ),
    ),
    (
        CHAIN[:2],
        "L2-denied-key",
        (
            "Allow group Developers to use keys in compartment L3:L4:L5 "
            "where target.key.id = '{denied}'",
            "Deny group Developers to use keys in compartment L3 where target.key.id = '{denied}'",
            "Allow group AppTeam07 to read vaults in compartment L3",
        ),
    ),
    (
        CHAIN[:3],
        "L3-appteam07-keys",  # GRANT
        (
            "Allow group AppTeam07 to use keys in compartment L4:L5",
            "Allow group AppTeam07 to {KEY_ROTATE, KEY_UPDATE} in compartment L4:L5 "
            "where request.operation in ('CreateKeyVersion', 'UpdateKey')",
            "Deny group AppTeam07 to use keys in compartment L4b",
        ),
    ),
    (
        CHAIN[:4],
        "L4-developers",
        (
            "Allow group Developers to use keys in compartment L5 "
            "where request.operation in ('Decrypt', 'GenerateDataEncryptionKey')",
            "Deny group ReadOnly to manage keys in compartment L5 "
            "where request.permission = 'KEY_DELETE'",
        ),
    ),
    (
        CHAIN,
        "L5-local",
        (
            "Allow group AppTeam07 to read keys in compartment id {L5}",
            "Deny any-user to {KEY_EXPORT} in compartment id {L5}",
            "Allow group Developers to use keys in compartment id {L5} "
            "where target.key.id = '{denied}'",
        ),
    ),
)

RESOURCE_TYPES = (
    *("vaults", "keys", "secret-family", "all-resources", "vault-family"),
    *("secrets", "key-delegate", "secret-bundles"),
)
VERBS = ("inspect", "read", "use", "manage")
PERMISSIONS = (
    *("KEY_ENCRYPT", "KEY_DECRYPT", "KEY_READ", "KEY_INSPECT", "KEY_ROTATE", "KEY_SIGN"),
    *("KEY_VERIFY", "VAULT_READ", "VAULT_INSPECT", "VAULT_CREATE_KEY", "SECRET_READ"),
    "SECRET_BUNDLE_READ",
)
OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataEncryptionKey", "Sign", "Verify", "GetKey")


@dataclass
class PolicySetup:
    """What the benchmark needs to sign as the bench user, and what was built."""

    config: dict[str, Any]  # the bench user's SDK config
    vault: m.Vault
    key: m.Key
    user_id: str
    compartments: dict[tuple[str, ...], str]
    groups: dict[str, str]
    policies: list[tuple[str, tuple[str, ...], list[str]]]  # (name, attached to, statements)
    seconds: float = 0.0
    checks: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        statements = [s for _, _, texts in self.policies for s in texts]
        deny = sum(s.lower().startswith("deny") for s in statements)
        where = sum(" where " in s.lower() for s in statements)
        perms = sum(" to {" in s for s in statements)
        subjects = tuple("group " + g.lower() for g in BENCH_GROUPS)
        about_user = [
            s
            for s in statements
            if any(w in s.lower() for w in (*subjects, "any-user", "any-group"))
        ]
        attached = sorted({":".join(path) or "tenancy" for _, path, _ in self.policies})
        return [
            f"{len(self.compartments) - 1} compartments (chain {':'.join(CHAIN)}, siblings "
            f"{', '.join(':'.join((*p, n)) for p, n in SIBLINGS)}), {len(self.groups)} groups",
            f"{len(self.policies)} policies attached in {len(attached)} places, "
            f"{len(statements)} statements: {deny} Deny, {where} with where-conditions, "
            f"{perms} with {{PERM}} lists; {len(about_user)} name the bench user's groups "
            f"({', '.join(BENCH_GROUPS)}) or any-user/any-group",
            f"built with the oci SDK in {self.seconds:.1f} s; " + "; ".join(self.checks),
        ]


def setup_policies(admin_config: dict[str, Any], url: str, workdir: Path) -> PolicySetup:
    """Build the policy set on the server at ``url`` and check it with the bench user's SDK."""
    started = time.perf_counter()
    none = oci.retry.NoneRetryStrategy()
    identity = IdentityClient(admin_config, service_endpoint=url, retry_strategy=none)
    tenancy = admin_config["tenancy"]

    compartments: dict[tuple[str, ...], str] = {(): tenancy}
    for path in [CHAIN[: i + 1] for i in range(len(CHAIN))] + [(*p, n) for p, n in SIBLINGS]:
        details = im.CreateCompartmentDetails(
            compartment_id=compartments[path[:-1]], name=path[-1], description="bench"
        )
        compartments[path] = identity.create_compartment(details).data.id

    groups = {
        name: identity.create_group(
            im.CreateGroupDetails(compartment_id=tenancy, name=name, description="bench")
        ).data.id
        for name in (*BENCH_GROUPS, *OTHER_GROUPS)
    }
    user = identity.create_user(
        im.CreateUserDetails(compartment_id=tenancy, name="bench-user", description="bench")
    ).data
    key_file, public_pem = _key_pair(workdir / "bench-user.pem")
    api_key = identity.upload_api_key(user.id, im.CreateApiKeyDetails(key=public_pem)).data
    for name in BENCH_GROUPS:
        identity.add_user_to_group(im.AddUserToGroupDetails(user_id=user.id, group_id=groups[name]))
    config = dict(
        admin_config, user=user.id, fingerprint=api_key.fingerprint, key_file=str(key_file)
    )

    vaults = KmsVaultClient(admin_config, service_endpoint=url, retry_strategy=none)
    vault, (key, denied) = _vault_with_keys(vaults, admin_config, compartments[L5], 2)
    other_vault, (sibling,) = _vault_with_keys(
        vaults, admin_config, compartments[(*CHAIN[:4], "L5b")], 1
    )

    values = {
        "region": admin_config["region"],
        "L5": compartments[L5],
        "vault": vault.id,
        "denied": denied.id,
    }
    policies = build_policies(compartments, groups, values, [key.id, denied.id, sibling.id])
    for name, path, statements in policies:
        identity.create_policy(
            im.CreatePolicyDetails(
                compartment_id=compartments[path],
                name=name,
                description="bench",
                statements=statements,
            )
        )

    setup = PolicySetup(config, vault, key, user.id, compartments, groups, policies)
    setup.checks = _check_access(config, vault, key, (denied, vault), (sibling, other_vault))
    setup.seconds = time.perf_counter() - started
    return setup


def _key_pair(path: Path) -> tuple[Path, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode("ascii")


def _vault_with_keys(
    vaults: KmsVaultClient, config: dict[str, Any], compartment: str, count: int
) -> tuple[m.Vault, list[m.Key]]:
    vault = vaults.create_vault(
        m.CreateVaultDetails(compartment_id=compartment, display_name="bench", vault_type="DEFAULT")
    ).data
    management = KmsManagementClient(
        config,
        service_endpoint=vault.management_endpoint,
        retry_strategy=oci.retry.NoneRetryStrategy(),
    )
    keys = [
        management.create_key(
            m.CreateKeyDetails(
                compartment_id=compartment,
                display_name=f"bench-aes-{i}",
                key_shape=m.KeyShape(algorithm="AES", length=32),
                protection_mode="SOFTWARE",
            )
        ).data
        for i in range(count)
    ]
    return vault, keys


def build_policies(
    compartments: dict[tuple[str, ...], str],
    groups: dict[str, str],
    values: dict[str, str],
    key_ids: list[str],
) -> list[tuple[str, tuple[str, ...], list[str]]]:
    """The 100 policies: the hand-written ones, then seeded random ones for the other groups."""
    rng = random.Random(SEED)
    policies: list[tuple[str, tuple[str, ...], list[str]]] = []
    for path, name, texts in HANDWRITTEN:
        # str.format would trip over the {PERM} braces; substitute the placeholders by name.
        statements = list(texts)
        for placeholder, value in values.items():
            statements = [s.replace("{" + placeholder + "}", value) for s in statements]
        policies.append((name, path, statements))
    for path, count in ATTACHMENTS:
        already = sum(1 for _, p, _ in policies if p == path)
        for n in range(count - already):
            statements = [
                _random_statement(rng, path, compartments, groups, values, key_ids)
                for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))
            ]
            policies.append((f"{path[-1] if path else 'tenancy'}-p{n + 1:02d}", path, statements))
    return policies


def _random_statement(
    rng: random.Random,
    at: tuple[str, ...],
    compartments: dict[tuple[str, ...], str],
    groups: dict[str, str],
    values: dict[str, str],
    key_ids: list[str],
) -> str:
    """One statement for other groups, attached at compartment path ``at``."""
    chosen = rng.sample(OTHER_GROUPS, rng.choice((1, 1, 1, 2)))
    if rng.random() < 0.1:
        subject = "group " + ", ".join(f"id {groups[g]}" for g in chosen)
    else:
        subject = "group " + ", ".join(chosen)
    below = [p[len(at) :] for p in compartments if len(p) > len(at) and p[: len(at)] == at]
    where_to = rng.random()
    if at == () and where_to < 0.35:
        location = "tenancy"
    elif below and where_to < 0.85:
        location = "compartment " + ":".join(rng.choice(below))
    else:
        inside = [c for p, c in compartments.items() if p[: len(at)] == at and p]
        location = "compartment id " + rng.choice(inside or [compartments[at]])
    if rng.random() < 0.7:
        what = f"{rng.choice(VERBS)} {rng.choice(RESOURCE_TYPES)}"
    else:
        what = "{" + ", ".join(rng.sample(PERMISSIONS, rng.randint(2, 4))) + "}"
    effect = "Deny" if rng.random() < 0.15 else "Allow"
    condition = _random_condition(rng, compartments, values, key_ids) if rng.random() < 0.55 else ""
    return f"{effect} {subject} to {what} in {location}{condition}"


def _random_condition(
    rng: random.Random,
    compartments: dict[tuple[str, ...], str],
    values: dict[str, str],
    key_ids: list[str],
) -> str:
    fake_key = f"ocid1.key.oc1.{values['region']}.{os.urandom(16).hex()}"
    ops = ", ".join(f"'{o}'" for o in rng.sample(OPERATIONS, rng.randint(1, 3)))
    options = (
        f"target.key.id = '{rng.choice([*key_ids, fake_key])}'",
        f"request.operation in ({ops})",
        "request.permission != 'KEY_DELETE'",
        f"target.vault.id = '{values['vault']}'",
        f"target.compartment.id = '{rng.choice(list(compartments.values()))}'",
        "any {request.operation = 'Sign', request.operation = 'Verify'}",
        f"all {{request.region = '{values['region']}', request.operation != 'ExportKey'}}",
        "target.secret.name = /app-*/",
        f"request.operation not in ({ops})",
    )
    return " where " + rng.choice(options)


def _check_access(
    config: dict[str, Any], vault: m.Vault, key: m.Key, *others: tuple[m.Key, m.Vault]
) -> list[str]:
    """As the bench user: a round trip on the bench key, and 404 on the others."""
    none = oci.retry.NoneRetryStrategy()
    crypto = KmsCryptoClient(config, service_endpoint=vault.crypto_endpoint, retry_strategy=none)
    plaintext = os.urandom(32)
    encoded = b64e(plaintext)
    sealed = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=encoded)).data
    opened = crypto.decrypt(m.DecryptDataDetails(key_id=key.id, ciphertext=sealed.ciphertext))
    if b64d(opened.data.plaintext) != plaintext:
        raise RuntimeError("the bench user's encrypt/decrypt round trip failed")
    checks = ["bench user's SDK encrypt/decrypt on the L5 key: OK"]
    for other, its_vault in others:
        client = KmsCryptoClient(
            config, service_endpoint=its_vault.crypto_endpoint, retry_strategy=none
        )
        label = "the Deny'd L5 key" if its_vault.id == vault.id else "the L5b key"
        try:
            client.encrypt(m.EncryptDataDetails(key_id=other.id, plaintext=encoded))
        except oci.exceptions.ServiceError as error:
            if error.status != 404:
                raise
            checks.append(f"Encrypt on {label}: {error.status} as expected")
        else:
            raise RuntimeError(f"the bench user could encrypt with {label}: policies too broad")
    return checks


# --------------------------------------------------------------------------- diagnosis


@dataclass
class Explanation:
    allowed: bool
    deciding: list[str]  # "ALLOW KEY_ENCRYPT policy 'name': statement"
    uncached_us: float  # one decision with the policy set compiled, decision cache missed
    reload_ms: float  # reading and compiling the tenancy's policy set, then one decision


def explain_decision(data_dir: Path, user_id: str, key_id: str, rounds: int = 2000) -> Explanation:
    """The server's evaluator, in this process on the same data directory (as ``strongroom iam
    explain`` does): which statements decide Encrypt by the bench user on the bench key, and
    what a decision costs when the server's decision cache misses (a distinct target each time)
    and when the compiled set itself is reloaded (refreshed after 1 s of its 2 s TTL under load,
    or after any identity change)."""
    from strongroom.app import open_deps
    from strongroom.config import Settings
    from strongroom.services.identity.explain import explain

    deps = open_deps(Settings(data_dir=data_dir))
    found = explain(deps, user_id, "Encrypt", key_id)
    deciding = [
        f"{h.effect.upper()} {h.permission} policy {h.policy!r}: {h.statement}"
        for h in found.decision.hits
    ]
    authorizer = deps.authorizer
    ask = (found.principal, "Encrypt", found.permissions)
    started = time.perf_counter()
    for i in range(rounds):
        # A target variable no statement reads (target.group.id on a key) makes each a miss.
        distinct = found.target._replace(group_id=f"bench-nonce-{i}")
        if authorizer.decide(*ask, distinct).allowed is not found.decision.allowed:
            raise RuntimeError("the nonce changed the decision; pick another target variable")
    uncached = (time.perf_counter() - started) / rounds
    reloads = 20
    started = time.perf_counter()
    for _ in range(reloads):
        authorizer.invalidate()  # type: ignore[attr-defined]
        authorizer.decide(*ask, found.target)
    reload = (time.perf_counter() - started) / reloads
    return Explanation(found.decision.allowed, deciding, uncached * 1e6, reload * 1e3)


def print_decision(data_dir: Path, user_id: str, key_id: str) -> None:
    found = explain_decision(data_dir, user_id, key_id)
    print()
    print(
        "policy server's evaluator on Encrypt by bench-user with the L5 key: "
        f"{'ALLOWED' if found.allowed else 'DENIED'}, decided by:"
    )
    for line in found.deciding:
        print(f"  {line}")
    print(
        f"  one decision without the decision cache: {found.uncached_us:.0f} us; reloading and "
        f"compiling the 100 policies, then deciding: {found.reload_ms:.1f} ms (about once a "
        "second per process under load, ahead of the 2 s TTL, and after identity changes)"
    )
