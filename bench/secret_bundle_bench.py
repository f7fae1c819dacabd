"""GetSecretBundle by id through the full path, against the bare AES-GCM endpoint, same run.

    python bench/secret_bundle_bench.py [--clients 32] [--seconds 10] [--versions 30]
                                        [--rounds 1] [--quick] [--strict]

What it does, in one run:

1. ``strongroom init`` a temporary data directory and start ``strongroom serve`` on a free port
   (uvicorn, uvloop, httptools, one process); create a vault and an AES-256 key with the
   official ``oci`` SDK (the encrypt benchmark's set-up, with its encrypt/decrypt round trip).
2. With the SDK's ``VaultsClient``: a secret with one version, and a secret with ``--versions``
   versions (created, then given a new CURRENT version by UpdateSecret until it has that many);
   their contents are random and distinct. Each is read back once with ``SecretsClient``.
3. Start ``bench/bare_app.py`` (the encrypt benchmark's reference: the same server stack doing
   only AES-GCM on 32 bytes) on another port.
4. Load, as in bench/encrypt_bench.py: ``--clients`` concurrent keep-alive HTTP/1.1
   connections, each with one request in flight (closed loop), for ``--seconds`` after a
   warm-up: GetSecretBundle by id (CURRENT version) of the one-version secret, of the
   many-version secret, then the bare endpoint (``--rounds`` alternations, pooled). The
   requests are the SDK's own: ``SecretsClient.get_secret_bundle`` is called and the signed
   GET is captured where the SDK would send it, a pool of them signed just before each phase;
   the server checks date and RSA signature on every request. The bare endpoint gets the
   administrator's SDK-signed Encrypt requests, exactly as in the encrypt benchmark.
   A sample of each phase's bundles is checked against the content stored.

Targets (from the issue): GetSecretBundle >= 40% of the bare endpoint's throughput (both
secrets), and the secret with 30 versions as fast as the one with one (its throughput shown as
a ratio of the other's; >= 90% counts as the same, run-to-run noise being a few percent).
The exit status is 0 when the run completes (PASS or FAIL is printed); ``--strict`` makes a
FAIL exit 1. Errors (non-200 answers, a wrong bundle) always exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from encrypt_bench import Setup, presign_pool, setup_kms
from loadgen import (
    BENCH_DIR,
    CapturedRequests,
    LoadResult,
    b64d,
    b64e,
    check_phase_length,
    free_port,
    init_data_dir,
    load,
    print_load_table,
    run,
    serve_args,
    server,
    verdict,
    warn_if_loaded,
)

TARGET_RATIO = 0.40
TARGET_VERSIONS_RATIO = 0.90
CONTENT_BYTES = 48


class BundleRequests(CapturedRequests):
    """GetSecretBundle requests exactly as the ``oci`` SDK's SecretsClient sends them."""

    def __init__(self, config: dict[str, Any], url: str) -> None:
        super().__init__()
        self.secrets = SecretsClient(
            config, service_endpoint=url, retry_strategy=oci.retry.NoneRetryStrategy()
        )
        self._intercept(self.secrets.base_client.session)

    def get_bundle(self, secret_id: str) -> bytes:
        return self._raw(lambda: self.secrets.get_secret_bundle(secret_id))


@dataclass
class BenchSecret:
    """A secret made for the run: its id, how many versions it has, its CURRENT content."""

    id: str
    versions: int
    content: bytes


def _content(data: bytes) -> vm.Base64SecretContentDetails:
    return vm.Base64SecretContentDetails(content_type="BASE64", content=b64e(data))


def make_secret(setup: Setup, url: str, name: str, versions: int) -> BenchSecret:
    """A secret under the bench key with ``versions`` versions (the last CURRENT), via the SDK."""
    config = setup.config
    vaults = VaultsClient(config, service_endpoint=url)
    content = os.urandom(CONTENT_BYTES)
    made = vaults.create_secret(
        vm.CreateSecretDetails(
            compartment_id=config["tenancy"],
            vault_id=setup.vault.id,
            key_id=setup.key.id,
            secret_name=name,
            secret_content=_content(content),
        )
    ).data
    for _ in range(versions - 1):
        content = os.urandom(CONTENT_BYTES)
        vaults.update_secret(made.id, vm.UpdateSecretDetails(secret_content=_content(content)))
    listed = vaults.list_secret_versions(made.id, limit=100).data
    if len(listed) != versions:
        raise RuntimeError(f"secret {name} has {len(listed)} versions, expected {versions}")
    bundle = SecretsClient(config, service_endpoint=url).get_secret_bundle(made.id).data
    if b64d(bundle.secret_bundle_content.content) != content:
        raise RuntimeError(f"secret {name}: the SDK read back other content than stored")
    if bundle.version_number != versions:
        raise RuntimeError(f"secret {name}: CURRENT is version {bundle.version_number}")
    return BenchSecret(made.id, versions, content)


def check_bundles(result: LoadResult) -> int:
    """Check sampled bundles against the content stored; returns how many were checked."""
    for content, body in result.samples:
        answer = json.loads(body)
        if b64d(answer["secretBundleContent"]["content"]) != content:
            raise RuntimeError(f"{result.name}: a bundle from the load run has other content")
    return len(result.samples)


@dataclass
class Phase:
    """One endpoint measured in every round, and how to sign a fresh pool of its requests."""

    name: str
    port: int
    pid: int
    presign: Callable[[int], tuple[list[bytes], list[bytes]]]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument(
        "--versions", type=int, default=30, help="versions of the many-version secret (<= 30)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the phases (alternating) this many times"
    )
    parser.add_argument("--pool", type=int, default=2048, help="distinct pre-signed requests")
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI smoke runs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.pool = 2.0, 0.5, 256
    if not 1 <= args.versions <= 30:
        parser.error("--versions must be between 1 and 30 (a secret's limit of versions in use)")
    check_phase_length(parser, args.warmup, args.seconds)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="strongroom-secret-bench-"))
    try:
        return _bench(args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _bench(args: argparse.Namespace, workdir: Path) -> int:
    data_dir = workdir / "data"
    config = init_data_dir(data_dir)
    full_port, bare_port = free_port(), free_port()
    bare = [sys.executable, str(BENCH_DIR / "bare_app.py"), "--port", str(bare_port)]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, oci SDK {oci.__version__}; "
        f"{args.clients} clients, {args.warmup:g} s warm-up + {args.seconds:g} s per phase, "
        f"{args.rounds} round(s)"
    )
    warn_if_loaded()

    with contextlib.ExitStack() as stack:
        full_proc = stack.enter_context(
            server(serve_args(data_dir, full_port), full_port, workdir / "serve.log")
        )
        bare_proc = stack.enter_context(server(bare, bare_port, workdir / "bare.log"))
        url = f"http://127.0.0.1:{full_port}"
        print(f"strongroom serve: pid {full_proc.pid}, port {full_port}; ", end="")
        print(f"bare app: pid {bare_proc.pid}")
        setup = setup_kms(config, url)
        started = time.perf_counter()
        one = make_secret(setup, url, "bench-1-version", 1)
        many = make_secret(setup, url, f"bench-{args.versions}-versions", args.versions)
        print(
            f"secrets created with VaultsClient in {time.perf_counter() - started:.1f} s: "
            f"1 version, {many.versions} versions ({CONTENT_BYTES}-byte contents)"
        )
        bundles = BundleRequests(config, url)

        def bundle_pool(secret: BenchSecret) -> Callable[[int], tuple[list[bytes], list[bytes]]]:
            def presign(size: int) -> tuple[list[bytes], list[bytes]]:
                return [bundles.get_bundle(secret.id) for _ in range(size)], [secret.content] * size

            return presign

        phases = [
            Phase("bundle, 1 version", full_port, full_proc.pid, bundle_pool(one)),
            Phase(f"bundle, {many.versions} versions", full_port, full_proc.pid, bundle_pool(many)),
            Phase("bare ASGI AES-GCM", bare_port, bare_proc.pid, lambda n: presign_pool(setup, n)),
        ]
        results: dict[str, LoadResult] = {}
        for round_ in range(args.rounds):
            for p in phases:
                started = time.perf_counter()
                pool, expected = p.presign(args.pool)
                signing = time.perf_counter() - started
                shape = (args.clients, args.warmup, args.seconds)
                result = run(load(p.name, p.port, p.pid, pool, expected, *shape))
                print(
                    f"round {round_ + 1} {p.name:24s} {result.ops:9,.0f} ops/s  "
                    f"p50 {result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms"
                    f"  ({len(pool)} requests signed by the SDK in {signing:.2f} s)"
                )
                results[p.name] = results[p.name].merge(result) if p.name in results else result
        ordered = [results[p.name] for p in phases]
        first, second, bare_result = ordered
        errors = {r.name: dict(r.statuses) for r in ordered if set(r.statuses) != {200}}
        checked = [check_bundles(r) for r in (first, second)] if not errors else [0, 0]

    print()
    print_load_table(ordered)
    print()
    passed = []
    for r in (first, second):
        ratio = r.ops / bare_result.ops
        passed.append(ratio >= TARGET_RATIO)
        print(
            f"{r.name} / bare throughput: {ratio:.1%}  (target >= {TARGET_RATIO:.0%})  "
            f"{verdict(passed[-1])}"
        )
    versions_ratio = second.ops / first.ops
    passed.append(versions_ratio >= TARGET_VERSIONS_RATIO)
    print(
        f"{many.versions} versions / 1 version throughput: {versions_ratio:.1%}  "
        f"(target ~100%, >= {TARGET_VERSIONS_RATIO:.0%})  {verdict(passed[-1])}  "
        f"[p99 {second.percentile(0.99):.2f} vs {first.percentile(0.99):.2f} ms]"
    )
    print(
        f"{' + '.join(map(str, checked))} sampled bundles checked against the stored contents: OK"
    )
    if errors:
        print(f"ERROR: non-200 answers during load: {errors}")
        return 1
    if args.strict and not all(passed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
