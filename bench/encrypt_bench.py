"""Encrypt of 32 bytes through Strongroom's full path, against a bare AES-GCM endpoint, same run.

    python bench/encrypt_bench.py [--clients 32] [--seconds 10] [--keys 10000] [--quick]
                                  [--rounds 1] [--no-policies]

What it does, in one run:

1. ``strongroom init`` a temporary data directory and start ``strongroom serve`` on a free port
   (uvicorn, uvloop, httptools, one process); create a vault and an AES-256 key with the
   official ``oci`` SDK, and check an SDK encrypt/decrypt round trip.
   This server has only what ``init`` made: the administrator, the Administrators group and
   the tenant admin policy; the key is in the root compartment ("administrator only").
2. With ``--policies`` (the default): a second data directory and ``strongroom serve`` with a
   realistic policy set built through the SDK's IdentityClient (bench/policy_setup.py: 100
   policies, 20 groups, a 5-level compartment chain, a user with its own API key whose
   groups are granted ``use keys`` on the level-5 compartment holding the bench key).
   A separate server, so the administrator-only figure is not measured with the policies
   loaded; the two strongroom processes run the same code and are idle when not measured.
3. Start ``bench/bare_app.py`` (the same server stack doing only AES-GCM) on another port.
4. Load: ``--clients`` concurrent keep-alive HTTP/1.1 connections, each sending one request
   and waiting for the answer (closed loop), for ``--seconds`` after a warm-up: the full path
   as the administrator, the full path as the bench user under the policies, then the bare
   endpoint (``--rounds`` alternations, pooled). The bare endpoint gets the administrator's
   *request bytes*.
   The requests are the SDK's own: ``KmsCryptoClient.encrypt`` is called and the prepared,
   signed request is captured where the SDK would hand it to the network (so headers, body
   and signature are byte-for-byte what the SDK sends). A pool of them is signed just before
   each phase and replayed; the server still checks date, body hash and the RSA signature on
   every request. The client is an ``asyncio.Protocol`` on uvloop writing pre-built bytes,
   and the table shows the CPU both sides used so a client bottleneck would be visible.
   A sample of each full path's ciphertexts is decrypted with the SDK afterwards (as the
   signer of the requests). The policy server's evaluator then says, in-process, which
   statements decided the bench user's Encrypt and what an uncached decision costs.
5. Memory, on the administrator-only server: ``--keys`` AES keys are created over HTTP
   (SDK-signed CreateKey requests), each is then used for one Encrypt so its material is
   loaded, and the server's VmRSS is read from /proc before and after.

Targets (from the issues): full path >= 40% of the bare endpoint's throughput and full-path
p99 < 20 ms at 32 concurrent clients; under the realistic policy set, >= 90% of the
administrator-only full path's throughput (and the same p99 target). The exit status is 0
when the run completes (PASS or FAIL is printed); ``--strict`` makes a FAIL exit 1. Errors
(non-200 answers, a failed round trip or access check) always exit 1.
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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

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
    mib,
    print_load_table,
    proc_status,
    run,
    send_each,
    serve_args,
    server,
    verdict,
    warn_if_loaded,
)
from policy_setup import print_decision, setup_policies

TARGET_RATIO = 0.40
TARGET_POLICY_RATIO = 0.90
TARGET_P99_MS = 20.0
PLAINTEXT_BYTES = 32


# --------------------------------------------------------------------------- SDK requests


class SdkRequests(CapturedRequests):
    """Encrypt and CreateKey requests exactly as the ``oci`` SDK sends them (see loadgen)."""

    def __init__(self, config: dict[str, Any], vault: m.Vault) -> None:
        super().__init__()
        none = oci.retry.NoneRetryStrategy()
        self.crypto = KmsCryptoClient(
            config, service_endpoint=vault.crypto_endpoint, retry_strategy=none
        )
        self.management = KmsManagementClient(
            config, service_endpoint=vault.management_endpoint, retry_strategy=none
        )
        for client in (self.crypto, self.management):
            self._intercept(client.base_client.session)

    def encrypt(self, key_id: str, plaintext: bytes) -> bytes:
        details = m.EncryptDataDetails(key_id=key_id, plaintext=b64e(plaintext))
        return self._raw(lambda: self.crypto.encrypt(details))

    def create_key(self, compartment_id: str, name: str) -> bytes:
        details = m.CreateKeyDetails(
            compartment_id=compartment_id,
            display_name=name,
            key_shape=m.KeyShape(algorithm="AES", length=32),
            protection_mode="SOFTWARE",
        )
        return self._raw(lambda: self.management.create_key(details))


# --------------------------------------------------------------------------- phases


@dataclass
class Setup:
    config: dict[str, Any]
    vault: m.Vault
    key: m.Key
    sdk: SdkRequests
    crypto: KmsCryptoClient


def setup_kms(config: dict[str, Any], url: str) -> Setup:
    """A vault and an AES-256 key via the SDK, and an SDK encrypt/decrypt round trip."""
    vaults = KmsVaultClient(config, service_endpoint=url)
    vault = vaults.create_vault(
        m.CreateVaultDetails(
            compartment_id=config["tenancy"], display_name="bench", vault_type="DEFAULT"
        )
    ).data
    management = KmsManagementClient(config, service_endpoint=vault.management_endpoint)
    key = management.create_key(
        m.CreateKeyDetails(
            compartment_id=config["tenancy"],
            display_name="bench-aes",
            key_shape=m.KeyShape(algorithm="AES", length=32),
            protection_mode="SOFTWARE",
        )
    ).data
    crypto = KmsCryptoClient(config, service_endpoint=vault.crypto_endpoint)
    plaintext = os.urandom(PLAINTEXT_BYTES)
    sealed = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(plaintext))).data
    opened = crypto.decrypt(m.DecryptDataDetails(key_id=key.id, ciphertext=sealed.ciphertext)).data
    if b64d(opened.plaintext) != plaintext:
        raise RuntimeError("SDK encrypt/decrypt round trip failed")
    return Setup(config, vault, key, SdkRequests(config, vault), crypto)


def presign_pool(setup: Setup, size: int) -> tuple[list[bytes], list[bytes]]:
    plaintexts = [os.urandom(PLAINTEXT_BYTES) for _ in range(size)]
    return [setup.sdk.encrypt(setup.key.id, p) for p in plaintexts], plaintexts


def verify_samples(setup: Setup, result: LoadResult) -> int:
    """Decrypt sampled full-path ciphertexts with the SDK; returns how many were checked."""
    for plaintext, body in result.samples:
        sealed = json.loads(body)
        opened = setup.crypto.decrypt(
            m.DecryptDataDetails(key_id=setup.key.id, ciphertext=sealed["ciphertext"])
        ).data
        if b64d(opened.plaintext) != plaintext:
            raise RuntimeError("a ciphertext from the load run did not decrypt to its plaintext")
    return len(result.samples)


def create_keys(setup: Setup, port: int, count: int, concurrency: int) -> list[str]:
    tenancy = setup.config["tenancy"]
    requests = (setup.sdk.create_key(tenancy, f"mem-{i}") for i in range(count))
    answers = run(send_each(port, requests, concurrency))
    failed = Counter(status for status, _ in answers if status != 200)
    if failed:
        raise RuntimeError(f"CreateKey failures: {dict(failed)}")
    return [json.loads(body)["id"] for _, body in answers]


def touch_keys(setup: Setup, port: int, key_ids: list[str], concurrency: int) -> None:
    requests = (setup.sdk.encrypt(k, os.urandom(PLAINTEXT_BYTES)) for k in key_ids)
    answers = run(send_each(port, requests, concurrency))
    failed = Counter(status for status, _ in answers if status != 200)
    if failed:
        raise RuntimeError(f"Encrypt failures while loading keys: {dict(failed)}")


# --------------------------------------------------------------------------- report


# --------------------------------------------------------------------------- report


def memory_phase(
    args: argparse.Namespace,
    setup: Setup,
    data_dir: Path,
    port: int,
    pid: int,
    rss_start: dict[str, int],
) -> None:
    """Store ``--keys`` keys over HTTP, use each once, and print the server's VmRSS."""
    rss_before = proc_status(pid)
    started = time.perf_counter()
    key_ids = create_keys(setup, port, args.keys, args.create_concurrency)
    created_in = time.perf_counter() - started
    rss_created = proc_status(pid)
    touch = key_ids[: args.touch] if args.touch is not None else key_ids
    started = time.perf_counter()
    touch_keys(setup, port, touch, concurrency=8)
    touched_in = time.perf_counter() - started
    rss_touched = proc_status(pid)
    db_bytes = sum(p.stat().st_size for p in data_dir.glob("strongroom.db*"))
    growth = rss_touched["VmRSS"] - rss_before["VmRSS"]
    rows = [
        ("after start-up and SDK setup (1 key)", rss_start, ""),
        ("after the load phases (1 key)", rss_before, ""),
        (
            f"{len(key_ids) + 1:,} keys stored (created over HTTP)",
            rss_created,
            f"{created_in:.1f} s, {len(key_ids) / created_in:,.0f} CreateKey/s",
        ),
        (
            f"... and {len(touch):,} of them used once (Encrypt)",
            rss_touched,
            f"{touched_in:.1f} s, {len(touch) / touched_in:,.0f} Encrypt/s, cold",
        ),
    ]
    print(f"strongroom server memory (VmRSS from /proc/{pid}/status)")
    for label, status, note in rows:
        print(f"  {label:44s} {mib(status['VmRSS']):>11s}   {note}")
    print(
        f"  growth for {len(key_ids):,} keys stored and used: {mib(growth)} "
        f"(~{growth * 1024 / max(1, len(key_ids)):,.0f} bytes/key); peak VmHWM "
        f"{mib(rss_touched['VmHWM'])}; database files {db_bytes / 2**20:,.1f} MiB"
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--keys", type=int, default=10_000, help="keys stored for the memory run")
    parser.add_argument("--touch", type=int, default=None, help="keys used once (default: all)")
    parser.add_argument(
        "--create-concurrency",
        type=int,
        default=1,
        help="CreateKey requests in flight (default 1: concurrent CreateKey on SQLite can fail "
        "with 'database is locked', a known server issue this benchmark does not measure)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the phases (alternating) this many times"
    )
    parser.add_argument("--pool", type=int, default=2048, help="distinct pre-signed requests")
    parser.add_argument(
        "--policies",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the full path under a realistic policy set (default: on)",
    )
    parser.add_argument("--quick", action="store_true", help="a few seconds, for CI smoke runs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup, args.keys, args.pool = 2.0, 0.5, 200, 256
    check_phase_length(parser, args.warmup, args.seconds)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="strongroom-bench-"))
    data_dir = workdir / "data"
    try:
        return _bench(args, workdir, data_dir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Target:
    """One endpoint measured in every round, and the setup whose signer builds its requests."""

    name: str
    port: int
    pid: int
    setup: Setup


def _bench(args: argparse.Namespace, workdir: Path, data_dir: Path) -> int:
    config = init_data_dir(data_dir)
    policy_dir = workdir / "policy-data"
    policy_config = init_data_dir(policy_dir) if args.policies else None
    full_port, bare_port, policy_port = free_port(), free_port(), free_port()
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
        setup = setup_kms(config, f"http://127.0.0.1:{full_port}")
        rss_start = proc_status(full_proc.pid)
        targets = [Target("full path, admin only", full_port, full_proc.pid, setup)]
        policies = None
        if policy_config is not None:
            policy_proc = stack.enter_context(
                server(serve_args(policy_dir, policy_port), policy_port, workdir / "policy.log")
            )
            url = f"http://127.0.0.1:{policy_port}"
            policies = setup_policies(policy_config, url, workdir)
            crypto = KmsCryptoClient(
                policies.config, service_endpoint=policies.vault.crypto_endpoint
            )
            sdk = SdkRequests(policies.config, policies.vault)
            as_user = Setup(policies.config, policies.vault, policies.key, sdk, crypto)
            targets.append(Target("full path, 100 policies", policy_port, policy_proc.pid, as_user))
            print("realistic policy set on a second server (bench/policy_setup.py):")
            for line in policies.summary():
                print(f"  {line}")
        targets.append(Target("bare ASGI AES-GCM", bare_port, bare_proc.pid, setup))

        results: dict[str, LoadResult] = {}
        for round_ in range(args.rounds):
            for t in targets:
                started = time.perf_counter()
                # Signed just before each phase, so every date is well inside the 5 minutes
                # the server accepts. The bare app gets the admin's (signed) bytes and ignores
                # the signature.
                pool, plaintexts = presign_pool(t.setup, args.pool)
                signing = time.perf_counter() - started
                phase = (args.clients, args.warmup, args.seconds)
                result = run(load(t.name, t.port, t.pid, pool, plaintexts, *phase))
                print(
                    f"round {round_ + 1} {t.name:24s} {result.ops:9,.0f} ops/s  "
                    f"p50 {result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms"
                    f"  ({len(pool)} requests signed by the SDK in {signing:.2f} s)"
                )
                results[t.name] = results[t.name].merge(result) if t.name in results else result
        ordered = [results[t.name] for t in targets]
        full, bare_result = ordered[0], ordered[-1]
        checked = [verify_samples(t.setup, results[t.name]) for t in targets[:-1]]

        print()
        print_load_table(ordered)
        errors = {r.name: dict(r.statuses) for r in ordered if set(r.statuses) != {200}}
        ratio = full.ops / bare_result.ops
        p99 = full.percentile(0.99)
        passed = [ratio >= TARGET_RATIO, p99 < TARGET_P99_MS]
        print()
        print(
            f"full / bare throughput: {ratio:.1%}  (target >= {TARGET_RATIO:.0%})  "
            f"{verdict(passed[0])}"
        )
        print(
            f"full path p99: {p99:.2f} ms  (target < {TARGET_P99_MS:.0f} ms at "
            f"{args.clients} clients)  {verdict(passed[1])}"
        )
        if policies is not None:
            governed = ordered[1]
            policy_ratio = governed.ops / full.ops
            policy_p99 = governed.percentile(0.99)
            passed += [policy_ratio >= TARGET_POLICY_RATIO, policy_p99 < TARGET_P99_MS]
            print(
                f"100 policies / admin only throughput: {policy_ratio:.1%}  "
                f"(target >= {TARGET_POLICY_RATIO:.0%})  {verdict(passed[2])}  "
                f"[{governed.ops:,.0f} vs {full.ops:,.0f} ops/s; "
                f"{governed.ops / bare_result.ops:.1%} of bare]"
            )
            print(
                f"full path p99 with 100 policies: {policy_p99:.2f} ms  (target < "
                f"{TARGET_P99_MS:.0f} ms)  {verdict(passed[3])}"
            )
        print(
            f"{' + '.join(map(str, checked))} sampled full-path ciphertexts decrypted with the "
            "SDK: OK"
        )
        if errors:
            print(f"ERROR: non-200 answers during load: {errors}")
        if policies is not None:
            print_decision(policy_dir, policies.user_id, policies.key.id)

        print()
        memory_phase(args, setup, data_dir, full_port, full_proc.pid, rss_start)
        print(f"  (bare app for reference: {mib(proc_status(bare_proc.pid)['VmRSS'])})")

    if errors:
        return 1
    if args.strict and not all(passed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
