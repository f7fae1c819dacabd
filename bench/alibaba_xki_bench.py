"""XKI Encrypt through the Alibaba KMS API against the OCI EXTERNAL-key Encrypt, same key, same run.

    python bench/alibaba_xki_bench.py [--protocol xks|ekms] [--clients 16] [--seconds 10]
                                      [--rounds 2] [--quick] [--no-pin] [--strict]

1. ``strongroom-ekm`` (software back end, loopback, plain HTTP) with one AES-256 key, and
   ``strongroom serve`` (one process), as bench/ekm_bench.py runs them; an XKI instance (an
   EXTERNAL vault, through the ``oci`` SDK: XKS with the proxy's SigV4 credential, or EKMS with
   an OAuth2 client of Strongroom's own token endpoint) and a key of it bound to the proxy's
   key through the Alibaba API (the core SDK's CreateKey with ``ExternalKeyId`` added by
   ``add_query_param``); a customer secret key of the administrator signs the Alibaba calls.
2. Requests, signed by each API's official SDK just before each phase: the ``oci`` SDK's
   ``KmsCryptoClient.encrypt`` captured where it would reach the network (bench/loadgen.py),
   and the core SDK's ``EncryptRequest`` signed with its own ``get_url`` (HMAC-SHA1, every
   parameter in the query). Every Alibaba request carries a fresh ``SignatureNonce`` (the
   server refuses a repeat), so that pool holds one request per call the phase can make.
3. Load: ``--clients`` keep-alive connections in a closed loop for a warm-up and
   ``--seconds``, alternating the APIs (O A A O per round), 32-byte plaintexts, the same key;
   every call goes to the EKM. Strongroom runs on CPU 0, the EKM and the load generator share
   CPU 1 (``--no-pin``: all share every CPU), as in bench/ekm_bench.py. A sample of each
   API's ciphertexts is decrypted through the other API afterwards.

Target (issue 18): an XKI Encrypt adds no more than the OCI EXTERNAL path does: Alibaba-XKI
ops/s >= OCI-EXTERNAL ops/s, within the run's noise (``NOISE``). The exit status is 0 when the
run completes (PASS or FAIL is printed); ``--strict`` makes a FAIL exit 1; errors (answers
other than 200, or 503 for an EKM call over its budget, which is counted) exit 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest
from aliyunsdkkms.request.v20160120.DecryptRequest import DecryptRequest
from oci.key_management import models as m

from alibaba_bench import POOL_HEADROOM, access_key, alibaba_pool
from ekm_bench import Target, check_statuses, setup_target
from ekm_peer import EKM_KEY_ID, PLAINTEXT_BYTES, ekm_cli, init_ekm, serve_ekm
from loadgen import (
    MAX_SIGNATURE_AGE,
    LoadResult,
    free_port,
    init_data_dir,
    load,
    pin,
    print_load_table,
    run,
    serve_args,
    server,
    verdict,
    warn_if_loaded,
)

NOISE = 0.05  # round-to-round spread of one API's throughput on this shared 2-CPU VM
OCI, XKI = "OCI EXTERNAL Encrypt", "Alibaba XKI Encrypt"


class Alibaba:
    """The core SDK as the administrator's access key, at the server."""

    def __init__(self, host: str, credentials: tuple[str, str]) -> None:
        self.host, self.credentials = host, credentials
        self.client = AcsClient(*credentials, "cn-hangzhou")

    def call(self, action: str, **params: str) -> dict[str, Any]:
        request = RpcRequest("Kms", "2016-01-20", action)
        request.set_endpoint(self.host)
        request.set_protocol_type("http")
        request.set_method("POST")
        for name, value in params.items():
            request.add_query_param(name, value)
        answer: dict[str, Any] = json.loads(self.client.do_action_with_exception(request))
        return answer

    def decrypt(self, blob: str) -> bytes:
        request = DecryptRequest()
        request.set_endpoint(self.host)
        request.set_protocol_type("http")
        request.set_CiphertextBlob(blob)
        answer = json.loads(self.client.do_action_with_exception(request))
        return base64.b64decode(answer["Plaintext"])


def bind_xki_key(alibaba: Alibaba, target: Target) -> str:
    """A key of the XKI instance bound to the proxy's key, made through the Alibaba API;
    DescribeKey shows the binding."""
    made = alibaba.call("CreateKey", DKMSInstanceId=target.vault.id, ExternalKeyId=EKM_KEY_ID)[
        "KeyMetadata"
    ]
    if made.get("ExternalKeyId") != EKM_KEY_ID:
        raise RuntimeError(f"CreateKey did not bind the key to {EKM_KEY_ID}: {made}")
    key_id: str = made["KeyId"]
    return key_id


def cross_check(target: Target, key_id: str, alibaba: Alibaba, results: dict[str, Any]) -> int:
    """Decrypt each API's sampled ciphertexts through the other API; how many."""
    checked = 0
    for plaintext, body in results[OCI].samples:
        if alibaba.decrypt(json.loads(body)["ciphertext"]) != plaintext:
            raise RuntimeError("an OCI ciphertext did not decrypt through the Alibaba API")
        checked += 1
    for plaintext, body in results[XKI].samples:
        details = m.DecryptDataDetails(key_id=key_id, ciphertext=json.loads(body)["CiphertextBlob"])
        if base64.b64decode(target.crypto.decrypt(details).data.plaintext) != plaintext:
            raise RuntimeError("an Alibaba ciphertext did not decrypt through the OCI API")
        checked += 1
    return checked


def phases(
    args: argparse.Namespace, target: Target, key_id: str, alibaba: Alibaba, port: int, pid: int
) -> dict[str, LoadResult]:
    """O A A O per round, each phase's requests signed just before it."""
    results: dict[str, LoadResult] = {}
    expected_calls = 2000.0  # refined by each OCI phase
    shape = (args.clients, args.warmup, args.seconds)
    for round_ in range(args.rounds):
        for name in (OCI, XKI, XKI, OCI):
            started = time.perf_counter()
            if name == OCI:
                plaintexts = [os.urandom(PLAINTEXT_BYTES) for _ in range(args.clients * 64)]
                pool = [target.sdk.encrypt(key_id, p) for p in plaintexts]
            else:
                size = int(expected_calls * POOL_HEADROOM) + args.clients
                pool, plaintexts = alibaba_pool(alibaba.host, alibaba.credentials, key_id, size)
            signing = time.perf_counter() - started
            result = run(load(name, port, pid, pool, plaintexts, *shape))
            if name == OCI:
                expected_calls = max(expected_calls, result.ops * (args.warmup + args.seconds))
            print(
                f"round {round_ + 1} {name:21s} {result.ops:8,.0f} ops/s  "
                f"p50 {result.percentile(0.5):6.2f} ms  p99 {result.percentile(0.99):6.2f} ms"
                f"  ({len(pool)} requests signed by the SDK in {signing:.1f} s)"
            )
            results[name] = results[name].merge(result) if name in results else result
    return results


def report(results: dict[str, LoadResult], timeouts: int, checked: int) -> bool:
    ordered = [results[OCI], results[XKI]]
    print()
    print_load_table(ordered)
    ratio = ordered[1].ops / ordered[0].ops
    added = ordered[1].percentile(0.5) - ordered[0].percentile(0.5)
    good = ratio >= 1.0 - NOISE and timeouts == 0
    print(
        f"\nAlibaba XKI / OCI EXTERNAL Encrypt throughput: {ratio:.1%} (target >= 100% within "
        f"{NOISE:.0%} noise): {verdict(good)}; p50 {added:+.2f} ms over the OCI path; "
        f"{checked} sampled ciphertexts decrypted through the other API"
    )
    return good


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protocol", choices=["xks", "ekms"], default="xks")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 round of 4 s phases")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="let Strongroom, the EKM and the load generator share every CPU",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 4.0, 1.0
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        print("one CPU only: Strongroom, the EKM and the load generator share it")
        args.pin = False
    if args.seconds + args.warmup > MAX_SIGNATURE_AGE:
        parser.error("phases must fit in the signature lifetime")
    return args


def main() -> int:
    args = parse_args()
    warn_if_loaded()
    work = Path(tempfile.mkdtemp(prefix="strongroom-xki-bench-"))
    try:
        return _bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench(args: argparse.Namespace, work: Path) -> int:
    ekm = init_ekm(work)
    data_dir = work / "strongroom"
    config = init_data_dir(data_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(
        f"{os.cpu_count()} CPUs; {args.protocol.upper()} proxy; {args.clients} clients, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per phase, {args.rounds} round(s)"
        + ("; Strongroom on CPU 0, the EKM and load generator on CPU 1" if args.pin else "")
    )
    with (
        serve_ekm(ekm, work / "ekm.log"),
        server(serve_args(data_dir, port), port, work / "strongroom.log") as proc,
    ):
        if args.pin:
            pin(proc.pid, {0})
            pin(ekm.pid, {1})
            pin(os.getpid(), {1})
        if args.protocol == "ekms":
            issuer = f"{url}/oauth2/v1"
            ekm_cli(ekm.data_dir, "jwt", "set", "--issuer", issuer, "--jwks-url", f"{issuer}/keys")
            time.sleep(0.5)  # the proxy reloads its configuration every 0.1 s
        target = setup_target(config, url, ekm, args.protocol)
        alibaba = Alibaba(urlsplit(url).netloc, access_key(config, url))
        key_id = bind_xki_key(alibaba, target)
        results = phases(args, target, key_id, alibaba, port, proc.pid)
        timeouts = check_statuses(list(results.values()))
        checked = cross_check(target, key_id, alibaba, results)
    good = report(results, timeouts, checked)
    return 1 if args.strict and not good else 0


if __name__ == "__main__":
    sys.exit(main())
