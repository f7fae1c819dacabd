"""The only place that wires adapters, services and ports together."""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from strongroom.api.alibaba.endpoint import AlibabaEndpoint
from strongroom.api.oci.app import build_app
from strongroom.api.oci.endpoint import Api
from strongroom.api.realm.routes import realm_routes
from strongroom.barrier.barrier import Barrier
from strongroom.barrier.kmip_client import PyKmipConnector
from strongroom.barrier.kmip_identity import FileClientIdentity
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.config import STATE_FILE, ConfigError, Settings, read_state
from strongroom.crypto.providers.base import KeyMaterialProvider
from strongroom.crypto.providers.ekm_client import ExternalKeyManagers
from strongroom.crypto.providers.software import SoftwareProvider
from strongroom.crypto.request_signing import new_api_key_pair
from strongroom.domain.clock import Clock, SystemClock
from strongroom.domain.key import ProtectionMode
from strongroom.replication.peer_client import HttpRealmPeers
from strongroom.services.at_rest.unseal import adopt_internal_master_key, try_unseal
from strongroom.services.audit.log import AuditLog
from strongroom.services.caches import CacheRefresher
from strongroom.services.ekm_port import EkmSettings
from strongroom.services.identity.authorizer import PolicyAuthorizer
from strongroom.services.identity.bootstrap import AdminIdentity, ensure_tenancy, new_admin_identity
from strongroom.services.identity.policy_binding import bind_stored_policies
from strongroom.services.ports import Deps
from strongroom.services.realm_port import HOME, MEMBER, RealmConfig
from strongroom.services.replication.membership import ensure_home_registered, join_realm
from strongroom.storage.engine import make_engine
from strongroom.storage.migrate import upgrade
from strongroom.storage.unit_of_work import Database

# The last line of an API key file as ``oci setup keys`` writes it; the oci CLI warns without it.
OCI_API_KEY_LABEL = "OCI_API_KEY"


log = logging.getLogger("strongroom")


def _open_storage(settings: Settings) -> tuple[Database, Barrier]:
    """Connect the database of ``settings`` and migrate it; the barrier starts sealed."""
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    return Database(engine), Barrier()


def open_deps(settings: Settings, clock: Clock | None = None) -> Deps:
    """Connect storage, migrate it, build the services' dependencies and unseal the barrier
    with the master key wherever it lives (their cache refresher is closed by the
    application's shutdown). When the master key cannot be reached, the process starts
    sealed (see services.at_rest.keeper, which keeps trying)."""
    state = read_state(settings.data_dir)
    db, barrier = _open_storage(settings)
    identity = FileClientIdentity(settings.data_dir)
    providers: dict[ProtectionMode, KeyMaterialProvider] = {
        ProtectionMode.SOFTWARE: SoftwareProvider(barrier),
    }
    refresher = CacheRefresher()
    deps = Deps(
        db=db,
        barrier=barrier,
        authorizer=PolicyAuthorizer(db, state["region"], refresher=refresher),
        audit=AuditLog(db),
        providers=providers,
        region=state["region"],
        public_url=settings.advertised_url,
        clock=clock or SystemClock(),
        ekm=ExternalKeyManagers(client_cert=_ekm_client_cert(settings)),
        ekm_settings=_ekm_settings(settings),
        refresher=refresher,
        kmip=PyKmipConnector(identity.key_file),
        kmip_identity=identity,
        data_dir=settings.data_dir,
        realm=realm_config(state),
        peers=HttpRealmPeers(_realm_verify(settings)),
    )
    db.capture_identity = deps.realm.is_home
    if not try_unseal(deps):
        log.warning("Starting sealed: %s", barrier.sealed_reason)
    if deps.realm.is_home:  # a member region receives identity from its home region
        ensure_tenancy(deps, AdminIdentity(**state["admin"]))
        bind_stored_policies(deps)  # policies stored before names were bound
    return deps


def realm_config(state: dict[str, Any]) -> RealmConfig:
    """This region's place in its realm, as the state file says (home when it says nothing)."""
    realm = state.get("realm") or {}
    admin = state.get("admin")
    tenancy = realm.get("tenancy") or (admin or {}).get("tenancy_id", "")
    return RealmConfig(
        region=state["region"],
        role=realm.get("role", HOME),
        home=realm.get("home", state["region"]),
        tenancy=tenancy,
        admin=admin,
    )


def _realm_verify(settings: Settings) -> str | bool:
    """What other regions' HTTPS certificates are checked against: --ekm-ca-bundle's CAs when
    given (one private CA for the deployment's services), else the system's trust store."""
    return str(settings.ekm_ca_bundle) if settings.ekm_ca_bundle else True


def _ekm_settings(settings: Settings) -> EkmSettings:
    bundle = settings.ekm_ca_bundle
    try:
        pem = bundle.read_text("utf-8") if bundle is not None else None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Cannot read --ekm-ca-bundle {bundle}: {error}") from None
    return EkmSettings(pem, settings.ekm_timeout, settings.ekm_health_interval)


def _ekm_client_cert(settings: Settings) -> tuple[str, str] | None:
    if settings.ekm_client_cert is None or settings.ekm_client_key is None:
        return None
    return str(settings.ekm_client_cert), str(settings.ekm_client_key)


def create_app(
    settings: Settings, clock: Clock | None = None, extra_routes: list[BaseRoute] | None = None
) -> tuple[Starlette, Deps]:
    """The ASGI application for ``settings`` and the dependencies behind it."""
    deps = open_deps(settings, clock)
    if deps.realm.is_home and not deps.barrier.sealed:
        ensure_home_registered(deps, settings.advertised_url)  # where other regions call it
    routes = realm_routes(deps) + (extra_routes or [])
    alibaba: list[tuple[str, str, ASGIApp]] = [("/", "POST", AlibabaEndpoint(deps))]
    return build_app(Api(deps), routes, extra_hot=alibaba), deps


def initialize(data_dir: Path, region: str, database_url: str | None = None) -> AdminIdentity:
    """Create a data directory: state file, master key, storage, tenancy, administrator, OCI config.

    Refuses an existing non-empty directory and changes nothing in it.
    """
    if data_dir.exists() and any(data_dir.iterdir()):
        raise ConfigError(f"{data_dir} already exists and is not empty; refusing to initialize it")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    master = InternalMasterKey.create(data_dir, key_id=str(uuid.uuid4()))
    private_pem, public_pem = new_api_key_pair()
    settings = Settings(data_dir=data_dir, database_url=database_url)
    db, barrier = _open_storage(settings)
    barrier.unseal(master, db)
    deps = Deps(
        db=db,
        barrier=barrier,
        authorizer=PolicyAuthorizer(db, region),
        providers={},
        region=region,
        public_url=settings.advertised_url,
        data_dir=data_dir,
    )
    adopt_internal_master_key(deps, master.key_id)
    admin = new_admin_identity(deps, "strongroom", "admin", public_pem)
    ensure_tenancy(deps, admin)
    deps.realm = realm_config({"region": region, "admin": asdict(admin)})
    ensure_home_registered(deps, settings.advertised_url)
    state = {"region": region, "admin": asdict(admin)}
    (data_dir / STATE_FILE).write_text(json.dumps(state, indent=2), "utf-8")
    for path in data_dir.iterdir():
        if path.is_file():
            path.chmod(0o600)
    write_oci_config(data_dir, admin, region, private_pem)
    db.engine.dispose()
    return admin


def initialize_member(
    data_dir: Path,
    region: str,
    own_url: str,
    home_url: str,
    token: str,
    database_url: str | None = None,
    verify: str | bool = True,
) -> dict[str, Any]:
    """Create a data directory for a region that joins the realm of the home region at
    ``home_url`` with a one-time ``token``: its own storage and master key, identity from the
    home region. Nothing is left behind when the join fails. The state written."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise ConfigError(f"{data_dir} already exists and is not empty; refusing to initialize it")
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return _join(data_dir, region, own_url, home_url, token, database_url, verify)
    except BaseException:
        _remove_contents(data_dir, created)
        raise


def _join(
    data_dir: Path,
    region: str,
    own_url: str,
    home_url: str,
    token: str,
    database_url: str | None,
    verify: str | bool,
) -> dict[str, Any]:
    master = InternalMasterKey.create(data_dir, key_id=str(uuid.uuid4()))
    settings = Settings(data_dir=data_dir, database_url=database_url)
    db, barrier = _open_storage(settings)
    barrier.unseal(master, db)
    peers = HttpRealmPeers(verify)
    deps = Deps(
        db=db,
        barrier=barrier,
        authorizer=PolicyAuthorizer(db, region),
        providers={},
        region=region,
        public_url=own_url,
        data_dir=data_dir,
        realm=RealmConfig(region=region, role=MEMBER),
        peers=peers,
    )
    try:
        adopt_internal_master_key(deps, master.key_id)
        answer = join_realm(deps, home_url, token, own_url)
    finally:
        peers.close()
        db.engine.dispose()
    admin = answer.get("admin")
    tenancy = (admin or {}).get("tenancy_id", "")
    realm = {"role": MEMBER, "home": answer["home"], "tenancy": tenancy}
    state = {"region": region, "admin": admin, "realm": realm}
    (data_dir / STATE_FILE).write_text(json.dumps(state, indent=2), "utf-8")
    for path in data_dir.iterdir():
        if path.is_file():
            path.chmod(0o600)
    return state


def _remove_contents(data_dir: Path, remove_dir: bool) -> None:
    """Undo a failed initialization: what it wrote into ``data_dir`` (and the directory)."""
    import shutil

    for path in data_dir.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if remove_dir:
        data_dir.rmdir()


def write_oci_config(data_dir: Path, admin: AdminIdentity, region: str, private_pem: str) -> Path:
    """DIR/oci/config (profile DEFAULT) and the private key beside it, as the oci CLI expects.

    Both files are 0600 and the key file ends with the line ``OCI_API_KEY`` as ``oci setup
    keys`` writes it, so the CLI warns neither about permissions nor about the key's label.
    """
    oci_dir = data_dir / "oci"
    oci_dir.mkdir(mode=0o700, exist_ok=True)
    key_file = oci_dir / "oci_api_key.pem"
    _write_private(key_file, private_pem.rstrip("\n") + "\n" + OCI_API_KEY_LABEL)
    config = oci_dir / "config"
    _write_private(
        config,
        "[DEFAULT]\n"
        f"user={admin.user_id}\n"
        f"fingerprint={admin.fingerprint}\n"
        f"key_file={key_file.resolve()}\n"
        f"tenancy={admin.tenancy_id}\n"
        f"region={region}\n",
    )
    return config


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` readable and writable by its owner only (0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
