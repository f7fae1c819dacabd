"""A realm of real ``strongroom serve`` processes set up for secret replication: the home
region (SQLite), ap-tokyo-1 (SQLite) and eu-frankfurt-1 (PostgreSQL), a vault and an AES key in
each, and the policy that lets a secret's resource principal replicate it (a dynamic group of
the secrets of the tenancy's root compartment); a second compartment whose secrets lack
``use secret-replication``. SDK clients per region, waits on replicas and work requests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
from oci.identity import models as im
from oci.key_management import models as m
from oci.vault import VaultsClient
from oci.vault import models as vm
from oci.work_requests import WorkRequestClient

from tests.integration import secret_support, support
from tests.integration.realm_support import (
    Realm,
    Region,
    policy_names,
    postgresql_url,
    realm,
    unique,
    wait_for,
)
from tests.integration.support import NO_RETRY

TOKYO, FRANKFURT = "ap-tokyo-1", "eu-frankfurt-1"


@dataclass
class Place:
    """A vault and an AES key of one region."""

    vault: m.Vault
    key: m.Key


@dataclass
class SecretRealm:
    realm: Realm
    places: dict[str, Place]
    weak_compartment: str  # its secrets' resource principal lacks SECRET_REPLICATE

    @property
    def tenancy(self) -> str:
        return self.realm.tenancy

    @property
    def config(self) -> dict[str, Any]:
        return self.realm.config

    def region(self, name: str) -> Region:
        return self.realm.home if name == self.realm.home.name else self.realm.members[name]

    @property
    def home(self) -> Region:
        return self.realm.home

    def vaults(self, name: str) -> VaultsClient:
        return secret_support.vaults_client(self.config, self.region(name).url)

    def bundles(self, name: str) -> oci.secrets.SecretsClient:
        return secret_support.secrets_client(self.config, self.region(name).url)

    def work_requests(self, name: str) -> WorkRequestClient:
        url = self.region(name).url
        return WorkRequestClient(self.config, service_endpoint=url, retry_strategy=NO_RETRY)

    def target(self, name: str, place: Place | None = None) -> vm.ReplicationTarget:
        place = place or self.places[name]
        return vm.ReplicationTarget(
            target_region=name, target_vault_id=place.vault.id, target_key_id=place.key.id
        )

    def config_for(self, *names: str, forward: bool = False) -> vm.ReplicationConfig:
        return vm.ReplicationConfig(
            replication_targets=[self.target(n) for n in names], is_write_forward_enabled=forward
        )

    def create(
        self,
        data: bytes = b"v1",
        targets: tuple[str, ...] = (TOKYO, FRANKFURT),
        source: str | None = None,
        forward: bool = False,
        **extra: Any,
    ) -> tuple[vm.Secret, str | None]:
        """CreateSecret in ``source`` (the home region) replicated to ``targets``: the secret
        and the work request id."""
        source = source or self.home.name
        place = self.places[source]
        details = vm.CreateSecretDetails(
            compartment_id=extra.pop("compartment_id", self.tenancy),
            vault_id=place.vault.id,
            key_id=place.key.id,
            secret_name=extra.pop("secret_name", secret_support.unique_name("r")),
            secret_content=secret_support.content(data),
            replication_config=self.config_for(*targets, forward=forward),
            **extra,
        )
        answer = self.vaults(source).create_secret(details)
        return answer.data, answer.headers.get("opc-work-request-id")

    # -- waits --------------------------------------------------------------------------------
    def replica(self, name: str, secret_id: str, timeout: float = 15.0, **expect: Any) -> Any:
        """The replica of ``secret_id`` in region ``name`` once its fields equal ``expect``."""
        client = self.vaults(name)

        def probe() -> Any:
            found = client.get_secret(secret_id).data
            return found if all(getattr(found, k) == v for k, v in expect.items()) else None

        return wait_for(probe, timeout, f"replica of {secret_id} in {name} with {expect}")

    def gone(self, name: str, secret_id: str, timeout: float = 15.0) -> None:
        client = self.vaults(name)

        def probe() -> bool:
            try:
                client.get_secret(secret_id)
            except oci.exceptions.ServiceError as error:
                return error.status == 404
            return False

        wait_for(probe, timeout, f"{secret_id} gone from {name}")

    def work_request(
        self, region: str, work_request_id: str, status: str = "SUCCEEDED", timeout: float = 20.0
    ) -> Any:
        """The work request once its status is ``status`` (fails early on another final one)."""
        client = self.work_requests(region)
        final = {"SUCCEEDED", "FAILED", "CANCELED"}

        def probe() -> Any:
            found = client.get_work_request(work_request_id).data
            if found.status in final and found.status != status:
                raise AssertionError(f"work request {found.status}: {found}")
            return found if found.status == status else None

        try:
            return wait_for(probe, timeout, f"work request {work_request_id} {status}")
        except AssertionError:
            errors = client.list_work_request_errors(work_request_id).data
            raise AssertionError(
                f"{work_request_id} not {status}: {errors}\n{self.home.log_text()[-3000:]}"
            ) from None

    def work_request_errors(self, region: str, work_request_id: str) -> list[str]:
        found = self.work_requests(region).list_work_request_errors(work_request_id).data
        items = getattr(found, "items", found)
        return [str(e.message) for e in items]

    def replication_status(self, secret_id: str, region: str | None = None) -> list[Any]:
        server = _Endpoint(self.region(region or self.home.name).url, self.config)
        reply = support.Raw(server).request(  # type: ignore[arg-type]
            "GET", f"/20180608/secrets/{secret_id}/replicationStatus"
        )
        assert reply.status_code == 200, reply.text
        return list(reply.json()["items"])


@dataclass
class _Endpoint:
    """What ``support.Raw`` needs of a server."""

    url: str
    config: dict[str, Any]


def new_place(config: dict[str, Any], region: Region, tenancy: str) -> Place:
    vaults = support.vault_client(config, region.url)
    vault = support.new_vault(vaults, tenancy, unique("v"))
    vault = wait_for(
        lambda: (v := vaults.get_vault(vault.id).data).lifecycle_state == "ACTIVE" and v,
        10,
        "vault ACTIVE",
    )
    keys = support.management_client(config, vault)
    key = support.new_key(keys, tenancy, "AES", 32)
    key = wait_for(
        lambda: (k := keys.get_key(key.id).data).lifecycle_state == "ENABLED" and k,
        10,
        "key ENABLED",
    )
    return Place(vault, key)


def grant_replication(made: Realm) -> str:
    """The dynamic groups and policies of replication; the weak compartment's id."""
    home = made.admin(made.home)
    tenancy = made.tenancy
    weak: im.Compartment = home.create_compartment(
        im.CreateCompartmentDetails(compartment_id=tenancy, name=unique("weak"), description="w")
    ).data
    names = []
    for compartment, replicate in ((tenancy, True), (weak.id, False)):
        rule = f"ALL {{resource.type = 'vaultsecret', resource.compartment.id = '{compartment}'}}"
        group: im.DynamicGroup = home.create_dynamic_group(
            im.CreateDynamicGroupDetails(
                compartment_id=tenancy, name=unique("dg"), description="d", matching_rule=rule
            )
        ).data
        verbs = ["manage secret-family", "use keys", "manage vaults"]
        if replicate:
            verbs.append("use secret-replication")
        policy = home.create_policy(
            im.CreatePolicyDetails(
                compartment_id=tenancy,
                name=unique("p"),
                description="replication",
                statements=[f"Allow dynamic-group {group.name} to {v} in tenancy" for v in verbs],
            )
        ).data
        names.append(policy.name)
    for region in made.members.values():
        client = made.admin(region)

        def replicated(c: Any = client) -> bool:
            return set(names) <= policy_names(c, tenancy)

        wait_for(replicated, 20, "policies")
    return str(weak.id)


@contextmanager
def secret_realm(workdir: Path) -> Iterator[SecretRealm]:
    """Home (SQLite) + ap-tokyo-1 (SQLite) + eu-frankfurt-1 (PostgreSQL), ready to replicate."""
    with ExitStack() as stack:
        database_url = stack.enter_context(postgresql_url())
        made = stack.enter_context(realm(workdir))
        made.join(TOKYO)
        made.join(FRANKFURT, database_url)
        weak = grant_replication(made)
        places = {r.name: new_place(made.config, r, made.tenancy) for r in made.regions}
        yield SecretRealm(made, places, weak)


def purge_as_if_later(region: Region, days: int = 40) -> None:
    """Run the scheduler's deletion round of (stopped) ``region`` as if ``days`` had passed:
    deletions scheduled before then take effect (the serving process ships them on start)."""
    assert region.process is None or region.process.poll() is not None, "stop it first"
    script = (
        "import sys; from datetime import datetime, timedelta, timezone; from pathlib import Path\n"
        "from strongroom.app import open_deps; from strongroom.config import Settings\n"
        "from strongroom.services.secrets.rotation import purge_deleted_secrets\n"
        "from tests.clock import ManualClock\n"
        "clock = ManualClock(datetime.now(timezone.utc) + timedelta(days=int(sys.argv[3])))\n"
        "settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2] or None)\n"
        "print(purge_deleted_secrets(open_deps(settings, clock)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(region.data_dir), region.database_url or "", str(days)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr
