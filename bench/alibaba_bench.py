"""Encrypt of 32 bytes through the Alibaba KMS API against the OCI API, same run, same key.

    python bench/alibaba_bench.py [--clients 32] [--seconds 10] [--rounds 2] [--quick]

1. ``strongroom init`` a temporary data directory and ``strongroom serve`` it (one process);
   a vault and an AES-256 key through the ``oci`` SDK, and a customer secret key of the
   administrator (the Alibaba AccessKeyId/AccessKeySecret).
2. Requests, signed by each API's official SDK just before each phase: the OCI SDK's
   ``KmsCryptoClient.encrypt`` captured where it would reach the network (bench/loadgen.py),
   and the Alibaba core SDK's (aliyun-python-sdk-kms) ``EncryptRequest`` signed with its own
   ``get_url`` (HMAC-SHA1, every parameter in the query, as ``do_action`` sends it). Every
   Alibaba request carries a fresh ``SignatureNonce`` (the server refuses a repeat), so the
   pool holds one request per call the phase can make.
3. Load: ``--clients`` keep-alive connections in a closed loop for a warm-up and
   ``--seconds``, alternating OCI and Alibaba (O A A O per round); a sample of each API's
   ciphertexts is decrypted through the other API afterwards (one key, whatever API).

Target (issue 18): the Alibaba API's Encrypt at least as fast as the OCI API's, same run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import oci
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
from oci.key_management import KmsCryptoClient
from oci.key_management import models as m

from encrypt_bench import PLAINTEXT_BYTES, SdkRequests, setup_kms
from loadgen import (
    LoadResult,
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

POOL_HEADROOM = 1.6  # Alibaba requests signed per call the OCI phase managed


def access_key(config: dict[str, Any], url: str) -> tuple[str, str]:
    """A new customer secret key of the administrator: (AccessKeyId, AccessKeySecret)."""
    identity = oci.identity.IdentityClient(config, service_endpoint=url)
    details = oci.identity.models.CreateCustomerSecretKeyDetails(display_name="bench")
    made = identity.create_customer_secret_key(details, config["user"]).data
    return made.id, made.key


def alibaba_pool(
    host: str, credentials: tuple[str, str], key_id: str, size: int
) -> tuple[list[bytes], list[bytes]]:
    """``size`` Encrypt requests signed by the core SDK, and their plaintexts."""
    requests, plaintexts = [], []
    for _ in range(size):
        plaintext = os.urandom(PLAINTEXT_BYTES)
        request = EncryptRequest()
        request.set_KeyId(key_id)
        request.set_Plaintext(base64.b64encode(plaintext).decode())
        request.set_accept_format("JSON")
        url = request.get_url("cn-hangzhou", *credentials)
        head = f"POST {url} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n"
        head += "User-Agent: AlibabaCloud (bench) aliyun-python-sdk-core\r\n"
        requests.append(head.encode("latin-1") + b"\r\n")
        plaintexts.append(plaintext)
    return requests, plaintexts


def oci_pool(sdk: SdkRequests, key_id: str, size: int) -> tuple[list[bytes], list[bytes]]:
    plaintexts = [os.urandom(PLAINTEXT_BYTES) for _ in range(size)]
    return [sdk.encrypt(key_id, p) for p in plaintexts], plaintexts


def cross_check(
    crypto: KmsCryptoClient, key_id: str, results: dict[str, LoadResult], decrypt_alibaba: Any
) -> int:
    """Decrypt each API's sampled ciphertexts through the other API; how many."""
    checked = 0
    for plaintext, body in results["OCI Encrypt"].samples:
        if decrypt_alibaba(json.loads(body)["ciphertext"]) != plaintext:
            raise RuntimeError("an OCI ciphertext did not decrypt through the Alibaba API")
        checked += 1
    for plaintext, body in results["Alibaba Encrypt"].samples:
        details = m.DecryptDataDetails(key_id=key_id, ciphertext=json.loads(body)["CiphertextBlob"])
        if base64.b64decode(crypto.decrypt(details).data.plaintext) != plaintext:
            raise RuntimeError("an Alibaba ciphertext did not decrypt through the OCI API")
        checked += 1
    return checked


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 round of 4 s phases")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 4.0, 1.0
    return args


def main() -> int:
    args = parse_args()
    warn_if_loaded()
    with tempfile.TemporaryDirectory(prefix="alibaba-bench-") as tmp:
        return _bench(args, Path(tmp))


def _bench(args: argparse.Namespace, workdir: Path) -> int:
    data_dir = workdir / "data"
    config = init_data_dir(data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"{os.cpu_count()} CPUs; {args.clients} clients, {args.warmup:g} s warm-up + "
          f"{args.seconds:g} s per phase, {args.rounds} round(s)")  # fmt: skip
    with contextlib.ExitStack() as stack:
        proc = stack.enter_context(server(serve_args(data_dir, port), port, workdir / "s.log"))
        setup = setup_kms(config, url)
        credentials = access_key(config, url)
        host = urlsplit(url).netloc
        results: dict[str, LoadResult] = {}
        oci_size = 2000
        expected_calls = 2000.0  # refined by the first OCI phase
        phase = (args.clients, args.warmup, args.seconds)
        for round_ in range(args.rounds):
            for name in ("OCI Encrypt", "Alibaba Encrypt", "Alibaba Encrypt", "OCI Encrypt"):
                started = time.perf_counter()
                if name == "OCI Encrypt":
                    pool, plaintexts = oci_pool(setup.sdk, setup.key.id, oci_size)
                else:
                    size = int(expected_calls * POOL_HEADROOM) + args.clients
                    pool, plaintexts = alibaba_pool(host, credentials, setup.key.id, size)
                signing = time.perf_counter() - started
                result = run(load(name, port, proc.pid, pool, plaintexts, *phase))
                if name == "OCI Encrypt":
                    calls = result.ops * (args.warmup + args.seconds)
                    expected_calls = max(expected_calls, calls)
                print(
                    f"round {round_ + 1} {name:16s} {result.ops:9,.0f} ops/s  "
                    f"p50 {result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms"
                    f"  ({len(pool)} requests signed by the SDK in {signing:.1f} s)"
                )
                results[name] = results[name].merge(result) if name in results else result

        def decrypt_alibaba(blob: str) -> bytes:
            from aliyunsdkcore.client import AcsClient
            from aliyunsdkkms.request.v20160120.DecryptRequest import DecryptRequest

            request = DecryptRequest()
            request.set_endpoint(host)
            request.set_protocol_type("http")
            request.set_CiphertextBlob(blob)
            answer = AcsClient(*credentials, "cn-hangzhou").do_action_with_exception(request)
            return base64.b64decode(json.loads(answer)["Plaintext"])

        checked = cross_check(setup.crypto, setup.key.id, results, decrypt_alibaba)
    ordered = [results["OCI Encrypt"], results["Alibaba Encrypt"]]
    print()
    print_load_table(ordered)
    errors = {r.name: dict(r.statuses) for r in ordered if set(r.statuses) != {200}}
    ratio = ordered[1].ops / ordered[0].ops
    good = ratio >= 1.0 and not errors
    print(
        f"\nAlibaba / OCI Encrypt throughput: {ratio:.1%} (target >= 100%): {verdict(good)}; "
        f"{checked} sampled ciphertexts decrypted through the other API"
    )
    if errors:
        print(f"ERROR: non-200 answers during load: {errors}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
