"""Cross-region secret replication (issue 17): lag to the targets, catch-up after a target
outage, and the source's write throughput with replication on. Targets (loopback): with two
targets and 20 source updates/s, lag p50 under 200 ms and p99 under 1 s; after a 5-minute
target outage, catch-up at 500 changes/s or more; source UpdateSecret throughput with
replication at least 80% of it without, same run.

1. A real realm as in realm_bench.py: a home region (the source) and two members (the
   targets), each a ``strongroom serve`` process; SQLite by default, ``--backend postgresql``
   gives each region a fresh schema. A vault and an AES key per region, a dynamic group of
   every ``vaultsecret`` with the policy replication needs, ``--secrets`` secrets replicated
   to both members (and as many fresh ones per throughput set).
2. Lag: one writer updates the secrets in turn (new content) at ``--rate`` per second for
   ``--seconds``; a poller per target reads each changed secret there (GetSecret) until its
   current version is the new one. Lag = start of the write -> first read that sees it.
   Reference, same run: the source's own write -> read.
3. Throughput: ``--threads`` clients, each updating its own secrets back to back, on secrets
   without replication and on secrets replicated to both members, alternating (A B B A) for
   ``--seconds`` in all per kind; the ratio.
4. Catch-up: the last member's serve process is stopped; the writer goes on at ``--rate`` for
   ``--outage`` seconds (the other member's lag is measured meanwhile); the member is served
   again and the source's replicationStatus of each secret is polled until that member is
   IN_SYNC at the secret's newest version. Catch-up rate = updates made during the outage
   (outbox entries) / time from healthy to in sync. Several entries of one secret collapse into
   one shipped state per batch, so the distinct secrets are printed too; also both processes'
   CPU during the catch-up.

``--quick``: 8 s phases and a 10 s outage (a smoke run). Run from the repository root with the
project's venv.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import math
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import oci
import requests

from at_rest_bench import database
from loadgen import free_port, proc_cpu_seconds, verdict, wait_healthy, warn_if_loaded
from realm_bench import HOME, MEMBERS, cli, db_args, pct, serve_args

P50_TARGET, P99_TARGET = 0.200, 1.0
CATCH_UP_TARGET = 500.0  # changes/s
THROUGHPUT_TARGET = 0.80
POLL_SLEEP = 0.003
VISIBLE_TIMEOUT = 60.0
CATCH_UP_TIMEOUT = 900.0
NR = oci.retry.NoneRetryStrategy()
M = oci.vault.models


# --------------------------------------------------------------------------- the realm


@dataclass
class Region:
    """One region's serve process, which can be stopped and served again."""

    name: str
    data_dir: Path
    port: int
    database_url: str | None
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            args = serve_args(self.data_dir, self.port, self.database_url)
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        wait_healthy(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def realm(work: Path, backend: str) -> Iterator[tuple[dict[str, Any], dict[str, Region]]]:
    """A home region and two members, served; the administrator's SDK config and the
    regions by name."""
    with contextlib.ExitStack() as stack:
        regions: dict[str, Region] = {}
        for name in (HOME, *MEMBERS):
            db = stack.enter_context(database(backend))
            regions[name] = Region(name, work / name, free_port(), db, work / f"{name}.log")

        def stop_all() -> None:
            for region in regions.values():
                region.stop()

        stack.callback(stop_all)
        home = regions[HOME]
        cli("init", "--data-dir", str(home.data_dir), "--region", HOME, *db_args(home.database_url))
        home.start()
        for name in MEMBERS:
            member, token = regions[name], work / f"{name}.token"
            cli(
                "region", "invite", "--data-dir", str(home.data_dir), "--region", name,
                "--url", member.url, "--token-file", str(token), *db_args(home.database_url),
            )  # fmt: skip
            cli(
                "init", "--data-dir", str(member.data_dir), "--region", name,
                "--join", home.url, "--join-token-file", str(token), "--url", member.url,
                *db_args(member.database_url),
            )  # fmt: skip
            member.start()
        config: dict[str, Any] = oci.config.from_file(str(home.data_dir / "oci" / "config"))
        yield config, regions


def vaults(config: dict[str, Any], url: str) -> Any:
    return oci.vault.VaultsClient(config, service_endpoint=url, retry_strategy=NR)


def vault_and_key(config: dict[str, Any], url: str) -> tuple[str, str]:
    """A new ACTIVE vault and ENABLED AES key in the region at ``url``."""
    km = oci.key_management
    tenancy = config["tenancy"]
    client = km.KmsVaultClient(config, service_endpoint=url, retry_strategy=NR)
    details = km.models.CreateVaultDetails(
        compartment_id=tenancy, display_name="bench", vault_type="DEFAULT"
    )
    vault = client.create_vault(details).data
    while vault.lifecycle_state != "ACTIVE":
        time.sleep(0.05)
        vault = client.get_vault(vault.id).data
    mgmt = km.KmsManagementClient(
        config, service_endpoint=vault.management_endpoint, retry_strategy=NR
    )
    shape = km.models.KeyShape(algorithm="AES", length=32)
    key = mgmt.create_key(
        km.models.CreateKeyDetails(compartment_id=tenancy, display_name="bench", key_shape=shape)
    ).data
    while key.lifecycle_state != "ENABLED":
        time.sleep(0.05)
        key = mgmt.get_key(key.id).data
    return vault.id, key.id


def allow_replication(config: dict[str, Any], regions: dict[str, Region]) -> None:
    """The dynamic group of every secret and the policy replication needs, in the home
    region; waits until both reached every member."""
    tenancy, tag = config["tenancy"], uuid.uuid4().hex[:8]
    idm = oci.identity.models
    home = oci.identity.IdentityClient(
        config, service_endpoint=regions[HOME].url, retry_strategy=NR
    )
    group = home.create_dynamic_group(
        idm.CreateDynamicGroupDetails(
            compartment_id=tenancy,
            name=f"secrets-{tag}",
            description="bench",
            matching_rule="ALL {resource.type = 'vaultsecret'}",
        )
    ).data
    verbs = ("manage secret-family", "use secret-replication", "use keys", "manage vaults")
    policy = home.create_policy(
        idm.CreatePolicyDetails(
            compartment_id=tenancy,
            name=f"replication-{tag}",
            description="bench",
            statements=[f"Allow dynamic-group {group.name} to {v} in tenancy" for v in verbs],
        )
    ).data
    for name in MEMBERS:
        member = oci.identity.IdentityClient(
            config, service_endpoint=regions[name].url, retry_strategy=NR
        )
        deadline = time.monotonic() + VISIBLE_TIMEOUT
        while True:
            try:
                member.get_dynamic_group(group.id)
                member.get_policy(policy.id)
                break
            except oci.exceptions.ServiceError as error:
                if error.status != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def content() -> Any:
    return M.Base64SecretContentDetails(content=base64.b64encode(os.urandom(32)).decode())


def create_secrets(
    config: dict[str, Any], url: str, source: tuple[str, str], count: int, targets: list[Any]
) -> list[str]:
    """``count`` secrets in the source vault, replicated to ``targets`` (none: not)."""
    client = vaults(config, url)
    replication = M.ReplicationConfig(replication_targets=targets, is_write_forward_enabled=False)
    ids = []
    for _ in range(count):
        details = M.CreateSecretDetails(
            compartment_id=config["tenancy"],
            vault_id=source[0],
            key_id=source[1],
            secret_name=f"bench-{uuid.uuid4().hex[:12]}",
            secret_content=content(),
            replication_config=replication if targets else None,
        )
        ids.append(client.create_secret(details).data.id)
    return ids


# --------------------------------------------------------------------------- lag


@dataclass
class Pending:
    secret_id: str
    version: int
    started: float


@dataclass
class Poller:
    """Reads the changed secrets in one target until their new versions show."""

    name: str
    client: Any
    inbox: queue.Queue[Pending] = field(default_factory=queue.Queue)
    lags: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        waiting: dict[str, list[Pending]] = {}
        while not (self.stop.is_set() and not waiting and self.inbox.empty()):
            with contextlib.suppress(queue.Empty):
                while True:
                    item = self.inbox.get_nowait()
                    waiting.setdefault(item.secret_id, []).append(item)
            for secret_id in list(waiting):
                try:
                    current = self.client.get_secret(secret_id).data.current_version_number
                except oci.exceptions.ServiceError:
                    self.errors += 1
                    continue
                now = time.perf_counter()
                left = []
                for item in waiting[secret_id]:
                    if current >= item.version:
                        self.lags.append(now - item.started)
                    elif now - item.started > VISIBLE_TIMEOUT:
                        self.timeouts += 1
                    else:
                        left.append(item)
                if left:
                    waiting[secret_id] = left
                else:
                    del waiting[secret_id]
            if self.stop.is_set() and time.perf_counter() > self.deadline:
                self.timeouts += sum(len(v) for v in waiting.values())
                return
            time.sleep(POLL_SLEEP)

    deadline: float = math.inf


@dataclass
class Written:
    updates: int = 0
    seconds: float = 0.0
    write_read: list[float] = field(default_factory=list)
    newest: dict[str, int] = field(default_factory=dict)


def drive(
    config: dict[str, Any],
    url: str,
    secret_ids: list[str],
    rate: float,
    seconds: float,
    pollers: list[Poller],
    reference: bool = True,
) -> Written:
    """Update ``secret_ids`` in turn at ``rate``/s for ``seconds``; each new version is handed
    to ``pollers``; with ``reference``, the source's own write -> read after each."""
    client = vaults(config, url)
    threads = [threading.Thread(target=p.run, daemon=True) for p in pollers]
    for p in pollers:
        p.stop.clear()
        p.deadline = math.inf
    for t in threads:
        t.start()
    out = Written()
    began = time.perf_counter()
    i = 0
    while time.perf_counter() - began < seconds:
        due = began + i / rate if rate > 0 else 0.0
        if (pause := due - time.perf_counter()) > 0:
            time.sleep(pause)
        secret_id = secret_ids[i % len(secret_ids)]
        i += 1
        started = time.perf_counter()
        details = M.UpdateSecretDetails(secret_content=content())
        version = client.update_secret(secret_id, details).data.current_version_number
        out.newest[secret_id] = version
        out.updates += 1
        for p in pollers:
            p.inbox.put(Pending(secret_id, version, started))
        if reference:
            seen = client.get_secret(secret_id).data.current_version_number
            assert seen >= version, "the source does not read its own write"
            out.write_read.append(time.perf_counter() - started)
    out.seconds = time.perf_counter() - began
    for p in pollers:
        p.deadline = time.perf_counter() + VISIBLE_TIMEOUT
        p.stop.set()
    for t in threads:
        t.join()
    return out


# --------------------------------------------------------------------------- throughput


def throughput(
    config: dict[str, Any], url: str, secret_ids: list[str], threads: int, seconds: float
) -> tuple[float, int, int]:
    """UpdateSecret/s of ``threads`` closed-loop clients, each on its own secrets; errors;
    updates counted."""
    counts = [0] * threads
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        client = vaults(config, url)
        mine = secret_ids[index::threads]
        start.wait()
        n = 0
        while not stop.is_set():
            try:
                client.update_secret(
                    mine[n % len(mine)], M.UpdateSecretDetails(secret_content=content())
                )
                counts[index] += 1
            except oci.exceptions.ServiceError:
                errors[index] += 1
            n += 1

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    done = sum(counts)  # calls still in flight are not counted
    elapsed = time.perf_counter() - began
    for w in workers:
        w.join()
    return done / elapsed, sum(errors), done


# --------------------------------------------------------------------------- catch-up


class Status:
    """The source's replicationStatus extension, signed as the SDK signs."""

    def __init__(self, config: dict[str, Any], url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.signer = oci.signer.Signer(
            config["tenancy"],
            config["user"],
            config["fingerprint"],
            config["key_file"],
            pass_phrase=config.get("pass_phrase"),
        )

    def of(self, secret_id: str) -> dict[str, dict[str, Any]]:
        answer = self.session.get(
            f"{self.url}/20180608/secrets/{secret_id}/replicationStatus",
            auth=self.signer,
            timeout=30,
        )
        answer.raise_for_status()
        return {item["targetRegion"]: item for item in answer.json()["items"]}


def wait_in_sync(status: Status, region: str, newest: dict[str, int], timeout: float) -> float:
    """Poll until ``region`` is IN_SYNC at each secret's newest version; when it was seen."""
    left = dict(newest)
    deadline = time.perf_counter() + timeout
    while left:
        for secret_id, version in list(left.items()):
            item = status.of(secret_id)[region]
            applied = item.get("lastAppliedVersionNumber")  # null until the source records it
            if item["state"] == "IN_SYNC" and (applied is None or applied >= version):
                del left[secret_id]
            elif item["state"] == "FAILED":
                raise RuntimeError(f"replication of {secret_id} to {region}: {item['lastError']}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{len(left)} secrets not in sync in {region} after {timeout} s")
        if left:
            time.sleep(0.02)
    return time.perf_counter()


@dataclass
class CatchUp:
    region: str
    outage: float
    updates: int
    distinct: int
    restart: float
    seconds: float
    source_cpu: float
    target_cpu: float
    live: Poller

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else math.inf


def catch_up(
    config: dict[str, Any],
    regions: dict[str, Region],
    secret_ids: list[str],
    newest: dict[str, int],
    rate: float,
    outage: float,
) -> CatchUp:
    home, down = regions[HOME], regions[MEMBERS[-1]]
    live_name = MEMBERS[0]
    status = Status(config, home.url)
    wait_in_sync(status, down.name, newest, VISIBLE_TIMEOUT)
    down.stop()
    live = Poller(live_name, vaults(config, regions[live_name].url))
    written = drive(config, home.url, secret_ids, rate, outage, [live], reference=False)
    newest.update(written.newest)
    assert home.proc is not None
    source_cpu = proc_cpu_seconds(home.proc.pid)
    started = time.perf_counter()
    down.start()
    healthy = time.perf_counter()
    assert down.proc is not None
    done = wait_in_sync(status, down.name, newest, CATCH_UP_TIMEOUT)
    source_cpu = proc_cpu_seconds(home.proc.pid) - source_cpu
    target_cpu = proc_cpu_seconds(down.proc.pid)  # all of it since the restart
    client = vaults(config, down.url)
    for secret_id, version in newest.items():  # the replicas themselves, not only the status
        current = client.get_secret(secret_id).data.current_version_number
        assert current == version, f"{secret_id} in {down.name}: {current}, source {version}"
    return CatchUp(
        down.name,
        written.seconds,
        written.updates,
        len(written.newest),
        healthy - started,
        done - healthy,
        source_cpu,
        target_cpu,
        live,
    )


# --------------------------------------------------------------------------- report


def lag_row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<34}{'(none)':>9}"
    cells = [pct(values, q) for q in (0.5, 0.9, 0.99)] + [max(values), statistics.mean(values)]
    return f"{name:<34}{len(values):>7}" + "".join(f"{v * 1000:>9.1f}" for v in cells)


def lag_verdict(poller: Poller, reference: float) -> bool:
    if not poller.lags:
        print(f"{poller.name}: nothing measured: {verdict(False)}")
        return False
    p50, p99 = pct(poller.lags, 0.5), pct(poller.lags, 0.99)
    good = p50 < P50_TARGET and p99 < P99_TARGET and not poller.timeouts
    print(
        f"{poller.name}: lag p50 {p50 * 1000:.0f} ms (< 200), p99 {p99 * 1000:.0f} ms (< 1000), "
        f"p50 {p50 / reference:.1f}x the source's own write->read"
        + (f", {poller.timeouts} never seen" if poller.timeouts else "")
        + f": {verdict(good)}"
    )
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--secrets", type=int, default=20, help="replicated secrets updated")
    parser.add_argument("--rate", type=float, default=20.0, help="source updates/s (lag, outage)")
    parser.add_argument("--seconds", type=float, default=30.0, help="lag and throughput phases")
    parser.add_argument("--outage", type=float, default=300.0, help="target outage, seconds")
    parser.add_argument("--threads", type=int, default=8, help="throughput clients")
    parser.add_argument("--quick", action="store_true", help="8 s phases, 10 s outage")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.outage = 8.0, 10.0
    warn_if_loaded()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="secret-replication-bench-") as tmp:
        started = time.perf_counter()
        with realm(Path(tmp), args.backend) as (config, regions):
            home = regions[HOME]
            print(
                f"Realm of 3 regions up in {time.perf_counter() - started:.1f} s ({args.backend})"
            )
            allow_replication(config, regions)
            keys = {name: vault_and_key(config, r.url) for name, r in regions.items()}
            targets = [
                M.ReplicationTarget(
                    target_region=n, target_vault_id=keys[n][0], target_key_id=keys[n][1]
                )
                for n in MEMBERS
            ]
            lag_ids = create_secrets(config, home.url, keys[HOME], args.secrets, targets)
            n_tp = max(args.threads, args.secrets)
            repl_ids = create_secrets(config, home.url, keys[HOME], n_tp, targets)
            plain_ids = create_secrets(config, home.url, keys[HOME], n_tp, [])
            print(f"{len(lag_ids) + len(repl_ids)} replicated and {len(plain_ids)} plain secrets")

            # 1. lag
            pollers = [Poller(n, vaults(config, regions[n].url)) for n in MEMBERS]
            written = drive(config, home.url, lag_ids, args.rate, args.seconds, pollers)
            newest = dict(written.newest)
            print(
                f"Lag phase: {written.updates} updates in {written.seconds:.1f} s "
                f"({written.updates / written.seconds:.1f}/s)"
            )

            # 2. throughput, A B B A
            half = args.seconds / 2
            plain: list[float] = []
            repl: list[float] = []
            errors = 0
            cpu = {k: dict.fromkeys(regions, 0.0) for k in ("plain", "repl")}
            updates = dict.fromkeys(cpu, 0)
            for kind in ("plain", "repl", "repl", "plain"):
                ids = plain_ids if kind == "plain" else repl_ids
                before = {n: proc_cpu_seconds(r.proc.pid) for n, r in regions.items() if r.proc}
                ops, errs, done = throughput(config, home.url, ids, args.threads, half)
                for n, r in regions.items():
                    if r.proc:
                        cpu[kind][n] += proc_cpu_seconds(r.proc.pid) - before[n]
                (plain if kind == "plain" else repl).append(ops)
                errors += errs
                updates[kind] += done
            print(f"Throughput phases (ops/s): plain {plain}, replicated {repl}, {errors} errors")

            # 3. catch-up after an outage
            caught = catch_up(config, regions, lag_ids, newest, args.rate, args.outage)
            load_after = os.getloadavg()

    print(f"\nSecret change -> visible in the target ({args.backend}), ms")
    print(f"{'':<34}{'n':>7}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}{'mean':>9}")
    print(lag_row("source write->read (reference)", written.write_read))
    for p in pollers:
        print(lag_row(p.name, p.lags))
    print(lag_row(f"{caught.live.name} while {caught.region} down", caught.live.lags))
    ref = pct(written.write_read, 0.5)
    ok = True
    for p in pollers:
        ok = lag_verdict(p, ref) and ok

    plain_ops, repl_ops = statistics.mean(plain), statistics.mean(repl)
    ratio = repl_ops / plain_ops
    good = ratio >= THROUGHPUT_TARGET
    ok = ok and good
    print(
        f"\nSource UpdateSecret throughput, {args.threads} clients: without replication "
        f"{plain_ops:.1f}/s, replicated to 2 targets {repl_ops:.1f}/s: "
        f"{ratio * 100:.0f}% (>= 80%): {verdict(good)}"
    )
    for kind, label in (("plain", "without replication"), ("repl", "replicated")):
        per = {n: c / max(1, updates[kind]) * 1000 for n, c in cpu[kind].items()}
        print(
            f"  CPU per update {label}: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in per.items())
        )

    batches = math.ceil(caught.updates / 200)
    print(
        f"\nCatch-up of {caught.region} after a {caught.outage:.0f} s outage: {caught.updates} "
        f"updates made meanwhile (outbox entries) on {caught.distinct} distinct secrets "
        f"(at most {batches} batches x {caught.distinct} shipped states); served again in "
        f"{caught.restart:.1f} s, then in sync {caught.seconds:.2f} s later; CPU during the "
        f"catch-up: source {caught.source_cpu:.1f} s, {caught.region} {caught.target_cpu:.1f} s"
    )
    good = caught.rate >= CATCH_UP_TARGET
    ok = ok and good
    print(
        f"{caught.region}: catch-up {caught.rate:.0f} changes/s (>= 500), "
        f"{caught.distinct / caught.seconds:.1f} distinct secrets/s: {verdict(good)}"
    )
    print(
        f"\nLoad average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    print(f"\nOverall: {verdict(ok)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
