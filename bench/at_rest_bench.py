"""The master key in a KMIP key server (issue 15): rekey time, GetSecretBundle throughput while
rekeys run, and start-up unseal through KMIP, with 100,000 secrets stored, same run.

    python bench/at_rest_bench.py [--backend sqlite|postgresql|both] [--secrets 100000]
                                  [--clients 32] [--seconds 10] [--rounds 2] [--quick]
                                  [--strict]

What it does, for each backend:

1. ``strongroom init`` a temporary data directory (PostgreSQL: in a fresh schema ``sr_bench_*``
   of the database ``test`` at 127.0.0.1:5432, trust auth, dropped at the end; override with
   STRONGROOM_TEST_POSTGRES_URL), start ``strongroom serve --element-port`` and make a vault and
   an AES-256 key with the official ``oci`` SDK (the encrypt benchmark's set-up).
2. With the server stopped, store ``--secrets`` secrets in-process against the same database,
   in transactions of 5,000: each is a real secret with one CURRENT version sealed exactly as
   CreateSecret seals it (digest key sealed by the barrier, the content under a fresh data key
   wrapped by the vault key: ``services.secrets.envelope``), the rows written with bulk inserts
   through the storage layer's own tables and row mappers. A sample is opened in-process.
3. In-process unseal with the internal master key (the reference), then ``strongroom serve``
   again, timed from process start to ``/healthz`` 200 with ``"sealed": false`` (the internal
   start-up reference). A sample of the stored secrets is read back with the SDK's
   GetSecretBundle and compared with the content stored.
4. Two real PyKMIP servers (tests/kmip_server.py: ``pykmip-server`` with throwaway
   certificates, mutual TLS 1.2), each made a key server and a key provider through the
   running server's Element JSON-RPC API (GetClientCertificateSignRequest, the CSR signed by
   that KMIP server's CA, CreateKeyServerKmip, CreateKeyProviderKmip,
   AddKeyServerToProviderKmip), over HTTPS verified against DIR/element/ca.pem with the Basic
   credentials of DIR/element/credentials.
5. Rekey internal -> external (provider A) through the Element API: the time from sending
   RekeySoftwareEncryptionAtRestMasterKey to GetAsyncResult answering ``complete`` (polled
   every 20 ms), and from the answer with the asyncHandle (the request accepted) to complete.
6. GetSecretBundle load as in bench/secret_bundle_bench.py (``--clients`` keep-alive
   connections, closed loop, requests signed by the SDK's SecretsClient, a pool over
   ``--pool`` distinct secrets of those stored: a hot set of 256 by default; the server
   reloads the cached rows of each secret in use about once a second, so the throughput
   depends on the size of the set read, hardly on how many are stored), ``--warmup`` +
   ``--seconds`` just before, then again while another process (so the load generator's CPU
   is not shared with it) rekeys back to back through the Element API, external -> external,
   alternating providers B and A (GetAsyncResult polled every 100 ms: each poll is an Element
   call the server serves).
   Rekeys completed inside the measured window are counted. ``--rounds`` (2 by default)
   repeats the pair (before, while rekeying) and pools each side, against drift on a shared
   machine; each round's figures and the machine's busy cores are printed too. Sampled
   bundles are checked against the contents stored. Then, as a diagnostic, rekeys alone for
   ``--seconds``/2: how many, and the server process's CPU per rekey.
7. Stop the server and start it again, now with the master key external: timed from process
   start to ``/healthz`` 200 with ``"sealed": false`` (it fetched the key with a KMIP Get at
   start-up); then ``services.at_rest.unseal.unseal(deps)`` in-process, timed (median of 5,
   and the first), against the internal reference of step 3.

Targets (from the issue): rekey internal -> external end to end < 5 s (judged from sending
the request, the stricter reading; from its acceptance is printed too); GetSecretBundle
throughput while rekeys run >= 80% of its throughput just before; start-up unseal through
KMIP < 1 s (judged on the in-process unseal; the whole start-up is printed beside the
internal-key start-up). The exit status is 0 when the run completes (PASS or FAIL is
printed); ``--strict`` makes a FAIL exit 1. Errors (non-200 answers, a wrong bundle, a failed
rekey) always exit 1.

Imports: run as ``python bench/at_rest_bench.py``, Python puts bench/ on ``sys.path`` (the
other bench modules); this script also puts the repository root there, so that
``tests.kmip_server`` (the PyKMIP test server) imports (tests/ is a package).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import secrets
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
import oci
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from encrypt_bench import setup_kms
from loadgen import (
    BENCH_DIR,
    LoadResult,
    b64d,
    check_phase_length,
    free_port,
    load,
    merged,
    print_load_table,
    proc_cpu_seconds,
    run,
    server,
    verdict,
    warn_if_loaded,
)
from secret_bundle_bench import BundleRequests, check_bundles
from strongroom.api.element.versions import CURRENT_VERSION
from strongroom.app import open_deps
from strongroom.config import Settings
from strongroom.domain.ids import new_ocid
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret, SecretVersion, Stage
from strongroom.services.at_rest.unseal import unseal
from strongroom.services.kms.key_use import load_key_for_service
from strongroom.services.ports import Deps
from strongroom.services.secrets.envelope import (
    digest,
    new_digest_key,
    open_content,
    seal_content,
)
from strongroom.storage import schema
from strongroom.storage.secret_rows import secret_to_row, version_to_row

REPO_DIR = BENCH_DIR.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))  # for tests.kmip_server

from tests.kmip_server import KmipTestServer  # noqa: E402

TARGET_REKEY_SECONDS = 5.0
TARGET_DURING_RATIO = 0.80
TARGET_UNSEAL_SECONDS = 1.0
CONTENT_BYTES = 48
FILL_BATCH = 5000
SAMPLE = 20
POLL_SECONDS = 0.02  # GetAsyncResult polling of the timed rekey
LOOP_POLL_SECONDS = 0.1  # and of the rekeys under load (each poll is a call the server serves)
POSTGRES_URL = os.environ.get(
    "STRONGROOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the data directory's file); for PostgreSQL the URL of a fresh schema,
    dropped when the block ends."""
    if backend == "sqlite":
        yield None
        return
    admin = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"sr_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={name}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()


def init_data_dir(data_dir: Path, database_url: str | None) -> dict[str, Any]:
    """``strongroom init`` (on ``database_url`` when given); the administrator's SDK config."""
    args = [sys.executable, "-m", "strongroom.cli.main", "init", "--data-dir", str(data_dir)]
    if database_url is not None:
        args += ["--database-url", database_url]
    subprocess.run(args, check=True, capture_output=True)
    config: dict[str, Any] = oci.config.from_file(str(data_dir / "oci" / "config"))
    return config


@dataclass
class Instance:
    """One data directory and how ``strongroom serve`` runs it."""

    data_dir: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    element_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve_args(self) -> list[str]:
        args = [sys.executable, "-m", "strongroom.cli.main", "serve"]
        args += ["--data-dir", str(self.data_dir), "--port", str(self.port)]
        args += ["--element-port", str(self.element_port), "--log-level", "warning"]
        if self.database_url is not None:
            args += ["--database-url", self.database_url]
        return args

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.database_url)


def close_deps(deps: Deps) -> None:
    """What the application's shutdown does: stop the audit writer and the cache refresher,
    release the database connections."""
    try:
        if deps.audit is not None:
            deps.audit.close()
        if deps.refresher is not None:
            deps.refresher.close()
    finally:
        deps.db.engine.dispose()


# --------------------------------------------------------------------------- secrets


@dataclass(frozen=True)
class Stored:
    """A stored secret's id and its content (kept in memory only, to check bundles)."""

    id: str
    content: bytes


def fill(deps: Deps, tenancy: str, vault_id: str, key_id: str, count: int) -> list[Stored]:
    """Store ``count`` secrets of one CURRENT version each, sealed as CreateSecret seals them,
    with bulk inserts in transactions of FILL_BATCH."""
    made: list[Stored] = []
    now = deps.clock.now()
    for start in range(0, count, FILL_BATCH):
        with deps.db.transaction() as tx:
            secret_rows, version_rows = [], []
            for index in range(start, min(count, start + FILL_BATCH)):
                if index % 200 == 0:  # the vault key's rows, cached 2 s as GetSecretBundle's are
                    load_key_for_service(deps, tenancy, key_id, None)
                secret_id = new_ocid("vaultsecret", deps.region, deps.random_bytes)
                secret = Secret(
                    id=secret_id,
                    tenancy_id=tenancy,
                    compartment_id=tenancy,
                    vault_id=vault_id,
                    key_id=key_id,
                    name=f"bench-{index:07d}",
                    lifecycle_state=State.ACTIVE,
                    time_created=now,
                    digest_key=new_digest_key(deps, secret_id),
                )
                content = deps.random_bytes(CONTENT_BYTES)
                sealed = seal_content(deps, tx, secret, 1, content)
                version = SecretVersion(
                    secret_id=secret_id,
                    number=1,
                    stage=Stage.CURRENT,
                    lifecycle_state=State.ACTIVE,
                    time_created=now,
                    digest=digest(deps, secret, content),
                    key_version_id=sealed.key_version_id,
                    wrapped_key=sealed.wrapped_key,
                    content=sealed.content,
                )
                secret_rows.append(secret_to_row(secret))
                version_rows.append(version_to_row(version))
                made.append(Stored(secret_id, content))
            tx.conn.execute(insert(schema.secrets), secret_rows)
            tx.conn.execute(insert(schema.secret_versions), version_rows)
            tx.touched.update({"secrets", "secret_versions"})
    return made


def count_secrets(deps: Deps) -> int:
    with deps.db.transaction(read_only=True) as tx:
        return int(tx.conn.execute(select(func.count()).select_from(schema.secrets)).scalar_one())


def check_in_process(deps: Deps, sample: Sequence[Stored]) -> None:
    """Each sampled secret's CURRENT version opens to the content stored."""
    for stored in sample:
        with deps.db.transaction(read_only=True) as tx:
            secret = tx.secrets.get(stored.id)
            version = tx.secrets.version_by_stage(stored.id, Stage.CURRENT)
        if secret is None or version is None:
            raise RuntimeError("a stored secret or its CURRENT version is missing")
        if open_content(deps, secret, version) != stored.content:
            raise RuntimeError("a stored secret opened to other content than stored")


def check_with_sdk(config: dict[str, Any], url: str, sample: Sequence[Stored]) -> None:
    """Each sampled secret reads back with the SDK's GetSecretBundle as stored."""
    client = oci.secrets.SecretsClient(config, service_endpoint=url)
    for stored in sample:
        bundle = client.get_secret_bundle(stored.id).data
        if b64d(bundle.secret_bundle_content.content) != stored.content:
            raise RuntimeError("GetSecretBundle answered other content than stored")


# --------------------------------------------------------------------------- servers


def start_timed(instance: Instance, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``strongroom serve``; the seconds from process start to ``/healthz`` 200 with
    ``"sealed": false``."""
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(instance.serve_args(), stdout=out, stderr=subprocess.STDOUT)
    deadline = started + 60
    health = f"{instance.url}/healthz"
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"strongroom serve exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(health, timeout=1) as resp:
                if resp.status == 200 and json.loads(resp.read()).get("sealed") is False:
                    return proc, time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    stop(proc)
    raise RuntimeError("strongroom serve did not answer /healthz unsealed within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Element:
    """JSON-RPC calls to the Element endpoint (HTTPS verified against DIR/element/ca.pem,
    Basic credentials from DIR/element/credentials; neither is printed)."""

    def __init__(self, data_dir: Path, port: int) -> None:
        material = data_dir / "element"
        credentials = json.loads((material / "credentials").read_text("utf-8"))
        context = ssl.create_default_context(cafile=str(material / "ca.pem"))
        self._client = httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=context,
            auth=(credentials["username"], credentials["password"]),
            timeout=60,
        )
        self._path = f"/json-rpc/{CURRENT_VERSION}"

    def call(self, method: str, **params: object) -> dict[str, Any]:
        answer = self._client.post(self._path, json={"method": method, "params": params, "id": 1})
        answer.raise_for_status()
        body = answer.json()
        if "error" in body:
            raise ElementFailure(method, body["error"])
        result: dict[str, Any] = body["result"]
        return result

    def close(self) -> None:
        self._client.close()


class ElementFailure(RuntimeError):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('name')}: {error.get('message')}")
        self.name = str(error.get("name"))


def add_provider(element: Element, kmip: KmipTestServer, name: str) -> int:
    """A key provider whose key server is ``kmip``, with Strongroom's CSR signed by its CA."""
    csr = element.call("GetClientCertificateSignRequest")["clientCertificateSignRequest"]
    server = element.call(
        "CreateKeyServerKmip",
        kmipKeyServerName=f"{name}-server",
        kmipKeyServerHostnames=["localhost"],
        kmipKeyServerPort=kmip.port,
        kmipCaCertificate=kmip.ca_pem,
        kmipClientCertificate=kmip.sign_csr(csr),
    )["kmipKeyServer"]
    provider = element.call("CreateKeyProviderKmip", keyProviderName=name)["kmipKeyProvider"]
    provider_id = int(provider["keyProviderID"])
    element.call(
        "AddKeyServerToProviderKmip",
        keyProviderID=provider_id,
        keyServerID=int(server["keyServerID"]),
    )
    element.call("TestKeyProviderKmip", keyProviderID=provider_id)
    return provider_id


@dataclass(frozen=True)
class Rekey:
    """One rekey as the client saw it (wall-clock times, comparable across processes)."""

    sent: float
    accepted: float
    complete: float
    error: str | None
    busy_retries: int = 0


def rekey(
    element: Element, kind: str, provider_id: int | None, poll: float = POLL_SECONDS
) -> Rekey:
    """Rekey through the Element API and poll GetAsyncResult until complete; a refusal because
    the previous rekey is still letting go of its lease is retried (counted)."""
    params: dict[str, object] = {"keyManagementType": kind}
    if provider_id is not None:
        params["keyProviderID"] = provider_id
    retries = 0
    sent = time.time()
    while True:
        try:
            handle = element.call("RekeySoftwareEncryptionAtRestMasterKey", **params)
            break
        except ElementFailure as failure:
            if "already running" not in str(failure) or retries >= 500:
                raise
            retries += 1
            time.sleep(poll)
    accepted = time.time()
    while True:
        result = element.call("GetAsyncResult", asyncHandle=handle["asyncHandle"], keepResult=False)
        if result["status"] == "complete":
            error = result.get("error")
            return Rekey(sent, accepted, time.time(), json.dumps(error) if error else None, retries)
        time.sleep(poll)


def rekey_loop(
    data_dir: Path, port: int, providers: list[int], go: Event, stop_event: Event, out: Connection
) -> None:
    """In a process of its own: once connected say "ready", and from ``go`` rekey external ->
    external between ``providers`` in turn, back to back, until ``stop_event``; each Rekey is
    sent to ``out``, then None."""
    element = Element(data_dir, port)
    try:
        info = element.call("GetSoftwareEncryptionAtRestInfo")  # connected, TLS session made
        current = info["masterKeyInfo"].get("keyProviderID")
        turn = providers.index(current) + 1 if current in providers else 0
        out.send("ready")
        go.wait()
        while not stop_event.is_set():
            target = providers[turn % len(providers)]
            out.send(rekey(element, "external", target, LOOP_POLL_SECONDS))
            turn += 1
    except Exception as error:
        out.send(Rekey(0.0, 0.0, 0.0, f"{type(error).__name__}: {error}"))
    finally:
        element.close()
        out.send(None)


@contextlib.contextmanager
def rekeys_running(instance: Instance, providers: list[int]) -> Iterator[tuple[list[Rekey], float]]:
    """Rekeys back to back (see :func:`rekey_loop`) from another process while the block
    runs: yields the list the rekeys are added to (when the block ends) and when they began
    (wall clock). The process starts (imports, TLS) before the block, not inside it."""
    spawn = multiprocessing.get_context("spawn")
    go, stop_event = spawn.Event(), spawn.Event()
    receiver, sender = spawn.Pipe(duplex=False)
    looper = spawn.Process(
        target=rekey_loop,
        args=(instance.data_dir, instance.element_port, providers),
        kwargs={"go": go, "stop_event": stop_event, "out": sender},
        daemon=True,
    )
    looper.start()
    sender.close()
    made: list[Rekey] = []
    try:
        ready = receiver.recv()
        if ready != "ready":
            raise RuntimeError(f"the rekey process did not start: {ready}")
        time.sleep(1.0)  # let its start-up's CPU settle
        go.set()
        yield made, time.time()
    finally:
        stop_event.set()
        go.set()
        with contextlib.suppress(EOFError):
            while (item := receiver.recv()) is not None:
                made.append(item)
        looper.join(timeout=30)


def rekey_cost(instance: Instance, pid: int, providers: list[int], seconds: float) -> str:
    """Rekeys back to back with no other load for ``seconds``: how many, and the server
    process's CPU per rekey (what a rekey takes from the requests it serves)."""
    with rekeys_running(instance, providers) as (made, started):
        cpu = proc_cpu_seconds(pid)
        time.sleep(seconds)
        cpu = proc_cpu_seconds(pid) - cpu
    done = [r for r in made if started <= r.complete <= started + seconds and not r.error]
    per = f"{cpu / len(done) * 1000:.0f} ms" if done else "n/a"
    return (
        f"rekeys alone: {len(done)} in {seconds:g} s ({len(done) / seconds:.1f}/s), server CPU "
        f"{cpu / seconds:.2f} cores = {per} per rekey (Element calls and polls included)"
    )


@contextlib.contextmanager
def machine_cpu() -> Iterator[list[float]]:
    """The cores the whole machine kept busy while the block ran (from /proc/stat: every
    process, the KMIP servers and the rekeying process included), set when it ends."""

    def busy_and_total() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    found = [0.0]
    busy, total = busy_and_total()
    try:
        yield found
    finally:
        busy_end, total_end = busy_and_total()
        cpus = os.cpu_count() or 1
        found[0] = cpus * (busy_end - busy) / max(1, total_end - total)


# --------------------------------------------------------------------------- the run


@dataclass
class Figures:
    backend: str
    secrets: int
    fill_seconds: float
    rekey_total: float
    rekey_accepted: float
    before: LoadResult
    during: LoadResult
    rekeys_in_window: int
    rekeys_total: int
    rekey_seconds: list[float]
    rekey_alone: str
    startup_internal: float
    startup_external: float
    unseal_internal: list[float]
    unseal_external: list[float]
    errors: list[str]

    @property
    def ratio(self) -> float:
        return self.during.ops / self.before.ops if self.before.ops else 0.0


def timed_unseals(deps: Deps, times: int) -> list[float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        unseal(deps)
        spent.append(time.perf_counter() - started)
    return spent


def load_rounds(
    args: argparse.Namespace,
    backend: str,
    instance: Instance,
    pid: int,
    config: dict[str, Any],
    stored: list[Stored],
    providers: list[int],
) -> tuple[LoadResult, LoadResult, list[Rekey], int]:
    """``--rounds`` pairs of GetSecretBundle loads, just before and while rekeys run back to
    back: both sides pooled, the rekeys made, and how many completed inside the windows."""
    bundles = BundleRequests(config, instance.url)
    targets = random.sample(stored, min(args.pool, len(stored)))

    def presign() -> tuple[list[bytes], list[bytes]]:
        return [bundles.get_bundle(s.id) for s in targets], [s.content for s in targets]

    shape = (args.clients, args.warmup, args.seconds)
    befores, durings, rekeys, in_window = [], [], [], 0
    for round_ in range(args.rounds):
        pool, expected = presign()
        with machine_cpu() as busy_before:
            before = run(load("bundle, before", instance.port, pid, pool, expected, *shape))
        pool, expected = presign()
        with rekeys_running(instance, providers) as (made, started):
            name = "bundle, rekeys running"
            with machine_cpu() as busy_during:
                during = run(load(name, instance.port, pid, pool, expected, *shape))
        window = (started + args.warmup, started + args.warmup + args.seconds)
        counted = sum(1 for r in made if window[0] <= r.complete <= window[1])
        print(
            f"[{backend}] round {round_ + 1}: GetSecretBundle {before.ops:,.0f} ops/s before, "
            f"{during.ops:,.0f} ops/s while rekeying ({during.ops / before.ops:.1%}); "
            f"{counted} rekeys completed in the {args.seconds:g} s window ({len(made)} in "
            f"all, {sum(r.busy_retries for r in made)} lease retries); machine CPU busy "
            f"{busy_before[0]:.2f} / {busy_during[0]:.2f} of {os.cpu_count()} cores"
        )
        befores.append(before)
        durings.append(during)
        rekeys += made
        in_window += counted
    return merged(befores), merged(durings), rekeys, in_window


def bench_backend(args: argparse.Namespace, backend: str, workdir: Path) -> Figures:
    errors: list[str] = []
    with database(backend) as database_url, contextlib.ExitStack() as stack:
        instance = Instance(workdir / "data", database_url)
        config = init_data_dir(instance.data_dir, database_url)
        log = workdir / "serve.log"
        with server(instance.serve_args(), instance.port, log):
            setup = setup_kms(config, instance.url)
        deps = open_deps(instance.settings())
        stack.callback(close_deps, deps)
        started = time.perf_counter()
        stored = fill(deps, config["tenancy"], setup.vault.id, setup.key.id, args.secrets)
        fill_seconds = time.perf_counter() - started
        stored_count = count_secrets(deps)
        sample = random.sample(stored, min(SAMPLE, len(stored)))
        check_in_process(deps, sample)
        print(
            f"[{backend}] {len(stored):,} secrets stored in {fill_seconds:.1f} s "
            f"({len(stored) / fill_seconds:,.0f}/s); {stored_count:,} secrets in the database; "
            f"{len(sample)} opened in-process: OK"
        )
        unseal_internal = timed_unseals(deps, 5)

        proc, startup_internal = start_timed(instance, log)
        stack.callback(lambda: stop(proc))
        check_with_sdk(config, instance.url, sample)
        print(
            f"[{backend}] serve with the internal master key: unsealed /healthz after "
            f"{startup_internal:.2f} s; {len(sample)} secrets read back with GetSecretBundle: OK"
        )

        kmips = []
        for label in ("a", "b"):
            kmip = KmipTestServer(workdir / f"kmip-{label}")
            kmip.start()
            stack.callback(kmip.stop)
            kmips.append(kmip)
        element = Element(instance.data_dir, instance.element_port)
        stack.callback(element.close)
        provider_a = add_provider(element, kmips[0], "bench-a")
        provider_b = add_provider(element, kmips[1], "bench-b")
        print(f"[{backend}] KMIP providers {provider_a} and {provider_b} made via the Element API")

        first = rekey(element, "external", provider_a)
        if first.error:
            raise RuntimeError(f"rekey internal -> external failed: {first.error}")
        rekey_total, rekey_accepted = first.complete - first.sent, first.complete - first.accepted
        print(
            f"[{backend}] rekey internal -> external with {stored_count:,} secrets: "
            f"{rekey_total:.2f} s from the request ({rekey_accepted:.2f} s from its acceptance)"
        )
        check_with_sdk(config, instance.url, sample)

        # GetSecretBundle: just before, then while rekeys run back to back
        providers = [provider_a, provider_b]
        before, during, rekeys, in_window = load_rounds(
            args, backend, instance, proc.pid, config, stored, providers
        )
        alone = rekey_cost(instance, proc.pid, [provider_a, provider_b], args.seconds / 2)
        print(f"[{backend}] {alone}")
        errors += [f"rekey during the load failed: {r.error}" for r in rekeys if r.error]
        for result in (before, during):
            if set(result.statuses) != {200}:
                errors.append(f"{result.name}: non-200 answers {dict(result.statuses)}")
        if not errors:
            check_bundles(before)
            check_bundles(during)

        # start-up unseal through KMIP
        stop(proc)
        proc, startup_external = start_timed(instance, log)
        check_with_sdk(config, instance.url, sample)
        unseal_external = timed_unseals(deps, 5)
        print(
            f"[{backend}] serve with the external master key: unsealed /healthz after "
            f"{startup_external:.2f} s; sample read back: OK"
        )
        return Figures(
            backend,
            stored_count,
            fill_seconds,
            rekey_total,
            rekey_accepted,
            before,
            during,
            in_window,
            len(rekeys),
            [r.complete - r.sent for r in rekeys if not r.error],
            alone,
            startup_internal,
            startup_external,
            unseal_internal,
            unseal_external,
            errors,
        )


def report(figures: Figures) -> list[bool]:
    f = figures
    print()
    print(f"== {f.backend}: {f.secrets:,} secrets stored")
    print_load_table([f.before, f.during])
    passed = [f.rekey_total < TARGET_REKEY_SECONDS]
    print(
        f"rekey internal -> external, {f.secrets:,} secrets: {f.rekey_total:.2f} s end to end "
        f"({f.rekey_accepted:.2f} s from acceptance)  (target < {TARGET_REKEY_SECONDS:g} s)  "
        f"{verdict(passed[-1])}"
    )
    passed.append(f.ratio >= TARGET_DURING_RATIO)
    spans = f.rekey_seconds or [0.0]
    print(
        f"GetSecretBundle while rekeying / just before: {f.during.ops:,.0f} / {f.before.ops:,.0f}"
        f" ops/s = {f.ratio:.1%}  (target >= {TARGET_DURING_RATIO:.0%})  {verdict(passed[-1])}"
        f"  [{f.rekeys_in_window} rekeys completed in the window, {f.rekeys_total} in all, "
        f"each {min(spans):.2f}-{max(spans):.2f} s, median {statistics.median(spans):.2f} s]"
    )
    print(f"  (diagnostic: {f.rekey_alone})")
    unseal_ext = statistics.median(f.unseal_external)
    passed.append(unseal_ext < TARGET_UNSEAL_SECONDS)
    print(
        f"unseal in-process through KMIP: {unseal_ext * 1000:.0f} ms median of "
        f"{len(f.unseal_external)} (first {f.unseal_external[0] * 1000:.0f} ms); internal "
        f"reference {statistics.median(f.unseal_internal) * 1000:.1f} ms  "
        f"(target < {TARGET_UNSEAL_SECONDS:g} s)  {verdict(passed[-1])}"
    )
    print(
        f"start-up to /healthz unsealed: external master key {f.startup_external:.2f} s, "
        f"internal (reference) {f.startup_internal:.2f} s, "
        f"difference {f.startup_external - f.startup_internal:+.2f} s"
    )
    for error in f.errors:
        print(f"ERROR: {error}")
    return passed


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--secrets", type=int, default=100_000, help="secrets stored")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--pool", type=int, default=256, help="distinct secrets read in the load")
    parser.add_argument(
        "--rounds", type=int, default=2, help="before/while-rekeying load pairs (pooled)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 2,000 secrets, one round of 2 s"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.secrets, args.seconds, args.warmup, args.rounds = 2000, 2.0, 0.5, 1
    if args.secrets < 1:
        parser.error("--secrets must be at least 1")
    check_phase_length(parser, args.warmup, args.seconds)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, oci SDK {oci.__version__}; "
        f"{args.secrets:,} secrets, {args.clients} clients, {args.warmup:g} s warm-up + "
        f"{args.seconds:g} s per load phase; backends: {', '.join(backends)}"
    )
    warn_if_loaded()
    results = []
    for backend in backends:
        workdir = Path(tempfile.mkdtemp(prefix=f"strongroom-at-rest-bench-{backend}-"))
        try:
            results.append(bench_backend(args, backend, workdir))
        finally:
            if args.keep:
                print(f"kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    passed = [ok for figures in results for ok in report(figures)]
    if any(f.errors for f in results):
        return 1
    if args.strict and not all(passed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
