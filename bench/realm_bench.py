"""Identity replication across the regions of a realm (issue 16): how long an identity change
made in the home region takes to become visible in the member regions. Target (loopback):
p50 under 200 ms, p99 under 1 s.

1. A real realm: ``strongroom init`` a home region and ``strongroom serve`` it; ``strongroom
   region invite`` two members; ``strongroom init --join`` each and serve it. SQLite by
   default; ``--backend postgresql`` gives each region a fresh schema on 127.0.0.1:5432
   (STRONGROOM_TEST_POSTGRES_URL), dropped afterwards.
2. ``--changes`` identity changes in the home region through the OCI SDK, in turn: create a
   user, update its description, add it to a group. After each, both members are polled
   (GetUser / GetUserGroupMembership through the SDK at the member's endpoint, the
   administrator's key replicated there too) until the change shows; the time from the start
   of the write to the first poll that sees it, per member.
3. Reference, same run: the home region's own write -> read (the write, then one read there),
   so the ratios hold on a noisy machine.

Figures: p50/p90/p99/max per member and of the reference; PASS/FAIL against the targets.
``--quick``: 20 changes (a smoke run). Run from the repository root with the project's venv.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import oci

from at_rest_bench import database
from loadgen import free_port, server, verdict, warn_if_loaded

HOME, MEMBERS = "us-ashburn-1", ("eu-frankfurt-1", "ap-tokyo-1")
P50_TARGET, P99_TARGET = 0.200, 1.0
POLL_SLEEP = 0.002
VISIBLE_TIMEOUT = 30.0


def cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "strongroom.cli.main", *args], check=True, capture_output=True
    )


def serve_args(data_dir: Path, port: int, database_url: str | None) -> list[str]:
    args = [sys.executable, "-m", "strongroom.cli.main", "serve", "--data-dir", str(data_dir)]
    args += ["--port", str(port), "--log-level", "warning"]
    return args + (["--database-url", database_url] if database_url else [])


def db_args(database_url: str | None) -> list[str]:
    return ["--database-url", database_url] if database_url else []


@contextlib.contextmanager
def realm(work: Path, backend: str) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """A home region and two members, served; the administrator's SDK config and each
    region's URL."""
    ports = {name: free_port() for name in (HOME, *MEMBERS)}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    with contextlib.ExitStack() as stack:
        dbs = {name: stack.enter_context(database(backend)) for name in ports}
        home_dir = work / HOME
        cli("init", "--data-dir", str(home_dir), "--region", HOME, *db_args(dbs[HOME]))
        home_log = work / f"{HOME}.log"
        stack.enter_context(
            server(serve_args(home_dir, ports[HOME], dbs[HOME]), ports[HOME], home_log)
        )
        for name in MEMBERS:
            token = work / f"{name}.token"
            cli(
                "region",
                "invite",
                "--data-dir",
                str(home_dir),
                "--region",
                name,
                "--url",
                urls[name],
                "--token-file",
                str(token),
                *db_args(dbs[HOME]),
            )
            cli(
                "init",
                "--data-dir",
                str(work / name),
                "--region",
                name,
                "--join",
                urls[HOME],
                "--join-token-file",
                str(token),
                "--url",
                urls[name],
                *db_args(dbs[name]),
            )
            args = serve_args(work / name, ports[name], dbs[name])
            stack.enter_context(server(args, ports[name], work / f"{name}.log"))
        config: dict[str, Any] = oci.config.from_file(str(home_dir / "oci" / "config"))
        yield config, urls


def client(config: dict[str, Any], url: str) -> Any:
    return oci.identity.IdentityClient(
        config, service_endpoint=url, retry_strategy=oci.retry.NoneRetryStrategy()
    )


def visible(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except oci.exceptions.ServiceError as error:
        if error.status == 404:
            return False
        raise


def measure(config: dict[str, Any], urls: dict[str, str], changes: int) -> dict[str, list[float]]:
    home = client(config, urls[HOME])
    members = {name: client(config, urls[name]) for name in MEMBERS}
    tenancy = config["tenancy"]
    group = home.create_group(
        oci.identity.models.CreateGroupDetails(
            compartment_id=tenancy, name=f"bench-{uuid.uuid4().hex[:8]}", description="bench"
        )
    ).data
    times: dict[str, list[float]] = {"home write->read": [], **{n: [] for n in MEMBERS}}
    user_id = ""
    for i in range(changes):
        kind = i % 3
        start = time.perf_counter()
        if kind == 0:
            details = oci.identity.models.CreateUserDetails(
                compartment_id=tenancy, name=f"bench-{uuid.uuid4().hex[:10]}", description="new"
            )
            user_id = home.create_user(details).data.id
            uid = user_id

            def seen(c: Any, uid: str = uid) -> bool:
                return bool(c.get_user(uid).data.id == uid)
        elif kind == 1:
            text = f"changed {i}"
            home.update_user(user_id, oci.identity.models.UpdateUserDetails(description=text))

            def seen(c: Any, uid: str = user_id, text: str = text) -> bool:
                return bool(c.get_user(uid).data.description == text)
        else:
            details = oci.identity.models.AddUserToGroupDetails(user_id=user_id, group_id=group.id)
            mid = home.add_user_to_group(details).data.id

            def seen(c: Any, mid: str = mid) -> bool:
                return bool(c.get_user_group_membership(mid).data.id == mid)

        assert visible(lambda: seen(home)), "the home region does not read its own write"
        times["home write->read"].append(time.perf_counter() - start)
        waiting = set(MEMBERS)
        while waiting:
            for name in sorted(waiting):
                if visible(lambda name=name: seen(members[name])):
                    times[name].append(time.perf_counter() - start)
                    waiting.discard(name)
            if time.perf_counter() - start > VISIBLE_TIMEOUT:
                raise RuntimeError(f"change {i} not visible in {sorted(waiting)} after 30 s")
            if waiting:
                time.sleep(POLL_SLEEP)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(times: dict[str, list[float]], backend: str) -> bool:
    print(f"\nIdentity change -> visible ({backend}, {len(times[MEMBERS[0]])} changes), ms")
    print(f"{'':<20}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}{'mean':>9}")
    for name, values in times.items():
        cells = [pct(values, q) for q in (0.5, 0.9, 0.99)] + [max(values), statistics.mean(values)]
        print(f"{name:<20}" + "".join(f"{v * 1000:>9.1f}" for v in cells))
    ok = True
    ref = pct(times["home write->read"], 0.5)
    for name in MEMBERS:
        p50, p99 = pct(times[name], 0.5), pct(times[name], 0.99)
        good = p50 < P50_TARGET and p99 < P99_TARGET
        ok = ok and good
        print(
            f"{name}: p50 {p50 * 1000:.0f} ms (< 200), p99 {p99 * 1000:.0f} ms (< 1000), "
            f"p50 {p50 / ref:.1f}x the home's own write->read: {verdict(good)}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 changes (a smoke run)")
    args = parser.parse_args()
    changes = 20 if args.quick else args.changes
    warn_if_loaded()
    with tempfile.TemporaryDirectory(prefix="realm-bench-") as tmp:
        started = time.perf_counter()
        with realm(Path(tmp), args.backend) as (config, urls):
            print(
                f"Realm of 3 regions up in {time.perf_counter() - started:.1f} s ({args.backend})"
            )
            times = measure(config, urls, changes)
    ok = report(times, args.backend)
    print(f"\nOverall: {verdict(ok)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
