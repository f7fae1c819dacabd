"""Regions of a realm as real processes: ``strongroom serve`` per region (SQLite, or a
PostgreSQL schema of its own), started, stopped and killed with SIGKILL; joined with
``region invite`` + ``init --join``; reached with the official SDK's IdentityClient."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import oci
from oci.identity import IdentityClient
from oci.identity import models as im

from tests.helpers import free_port
from tests.integration import cli_support, storage_support
from tests.integration.support import NO_RETRY

HOME = "us-ashburn-1"
T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "") -> T:
    """The first true value of ``probe()`` (polled every 50 ms); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except Exception as error:  # a probe may fail while a region is down
            last = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last: {last!r})")
        time.sleep(0.05)


def run_ok(*args: str) -> subprocess.CompletedProcess[str]:
    done = cli_support.run(*args)
    assert done.returncode == 0, f"strongroom {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


@dataclass
class Region:
    """One region's data directory and (while it runs) its ``strongroom serve`` process."""

    name: str
    data_dir: Path
    port: int
    database_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def db_args(self) -> tuple[str, ...]:
        return ("--database-url", self.database_url) if self.database_url else ()

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        log = self.data_dir.parent / f"{self.name}.{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    *cli_support.command(),
                    "serve",
                    "--data-dir",
                    str(self.data_dir),
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    *self.db_args(),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        cli_support.wait_serving(self.process, self.url, log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)

    # -- the operator's commands -------------------------------------------------------------
    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``strongroom ARGS --data-dir DATA_DIR [--database-url ...]``."""
        return cli_support.run(*args, "--data-dir", str(self.data_dir), *self.db_args())

    def regions(self, probe: bool = True) -> dict[str, dict[str, Any]]:
        """``region list -o json`` by region name."""
        done = self.cli("region", "list", "-o", "json", *(() if probe else ("--no-probe",)))
        assert done.returncode == 0, done.stdout + done.stderr
        return {r["region"]: r for r in map(json.loads, done.stdout.splitlines())}

    def audit(self) -> list[dict[str, Any]]:
        done = self.cli("audit", "--since", "1h", "--limit", "1000", "-o", "json")
        assert done.returncode == 0, done.stdout + done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    # -- clients -----------------------------------------------------------------------------
    def identity(self, config: dict[str, Any]) -> IdentityClient:
        return IdentityClient(config, service_endpoint=self.url, retry_strategy=NO_RETRY)


@dataclass
class Realm:
    """A home region and its members; ``config`` is the administrator's SDK config."""

    home: Region
    members: dict[str, Region]
    config: dict[str, Any]
    workdir: Path

    @property
    def tenancy(self) -> str:
        return str(self.config["tenancy"])

    @property
    def regions(self) -> list[Region]:
        return [self.home, *self.members.values()]

    def admin(self, region: Region) -> IdentityClient:
        return region.identity(self.config)

    def join(self, name: str, database_url: str | None = None) -> Region:
        """Invite region ``name`` and init + start it as a member."""
        member = Region(name, self.workdir / name / "data", free_port(), database_url)
        member.data_dir.parent.mkdir(parents=True, exist_ok=True)
        token = invite(self.home, name, member.url)
        done = cli_support.run(*join_args(self.home, member, token), *member.db_args())
        assert done.returncode == 0, done.stdout + done.stderr
        member.start()
        self.members[name] = member
        return member

    def stop(self) -> None:
        for region in self.regions:
            region.stop()


def invite(home: Region, name: str, url: str, expires_in: int | None = None) -> Path:
    """A join token file for region ``name`` (served at ``url``)."""
    token = home.data_dir.parent / f"{name}-{uuid.uuid4().hex[:6]}.token"
    args = ["region", "invite", "--region", name, "--url", url, "--token-file", str(token)]
    if expires_in is not None:
        args += ["--expires-in", str(expires_in)]
    done = home.cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return token


def join_args(home: Region, member: Region, token: Path) -> tuple[str, ...]:
    return (
        "init",
        "--data-dir",
        str(member.data_dir),
        "--region",
        member.name,
        "--join",
        home.url,
        "--join-token-file",
        str(token),
        "--url",
        member.url,
    )


@contextmanager
def postgresql_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema of its own (skips when PostgreSQL is down)."""
    with contextmanager(storage_support.postgresql_engine)() as engine:
        yield engine.url.render_as_string(hide_password=False)


@contextmanager
def realm(
    workdir: Path, home_database_url: str | None = None, members: tuple[str, ...] = ()
) -> Iterator[Realm]:
    """A home region (``us-ashburn-1``) serving, with ``members`` joined and serving."""
    home = Region(HOME, workdir / HOME / "data", free_port(), home_database_url)
    home.data_dir.parent.mkdir(parents=True, exist_ok=True)
    args = ("init", "--data-dir", str(home.data_dir), "--region", HOME, *home.db_args())
    run_ok(*args)
    config = oci.config.from_file(str(home.data_dir / "oci" / "config"))
    made = Realm(home, {}, config, workdir)
    with ExitStack() as stack:
        stack.callback(made.stop)
        home.start()
        for name in members:
            made.join(name)
        yield made


# -- identity helpers -------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_user(client: IdentityClient, tenancy: str, name: str | None = None) -> im.User:
    details = im.CreateUserDetails(
        compartment_id=tenancy, name=name or unique("u"), description="realm test"
    )
    user: im.User = client.create_user(details).data
    return user


def user_names(client: IdentityClient, tenancy: str) -> set[str]:
    users = oci.pagination.list_call_get_all_results(client.list_users, tenancy).data
    return {u.name for u in users}


def group_names(client: IdentityClient, tenancy: str) -> set[str]:
    groups = oci.pagination.list_call_get_all_results(client.list_groups, tenancy).data
    return {g.name for g in groups}


def policy_names(client: IdentityClient, tenancy: str) -> set[str]:
    policies = oci.pagination.list_call_get_all_results(client.list_policies, tenancy).data
    return {p.name for p in policies}


def converged(realm: Realm, users: set[str], timeout: float = 20.0) -> None:
    """Every region lists every one of ``users`` within ``timeout``."""
    for region in realm.regions:
        client = realm.admin(region)
        try:
            wait_for(lists(client, realm.tenancy, users), timeout)
        except AssertionError:
            missing = users - user_names(client, realm.tenancy)
            raise AssertionError(
                f"{region.name} misses {len(missing)} users: {sorted(missing)[:5]}\n"
                f"{realm.home.log_text()[-3000:]}\n{region.log_text()[-3000:]}"
            ) from None


def lists(client: IdentityClient, tenancy: str, users: set[str]) -> Callable[[], bool]:
    """A probe: ``client``'s region lists every one of ``users``."""
    return lambda: users <= user_names(client, tenancy)
