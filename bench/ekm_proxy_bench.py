"""Throughput of the reference EKM proxy alone (software back end, or softhsm with --softhsm).

Starts ``strongroom-ekm serve`` with one key, then replays pre-built raw HTTP/1.1 encrypt
requests (EKMS with a bearer token, XKS with SigV4; signatures fresh for 5 minutes) over
keep-alive connections with :mod:`loadgen`, and prints ops/s, latencies and the server's CPU.
The target is well over 2,000 encrypt/s on one core (the proxy runs one event loop).

    python bench/ekm_proxy_bench.py [--seconds 5] [--clients 16] [--softhsm]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ekm_support import REQUEST_METADATA, EkmProxy, init_proxy
from tests.helpers import b64e
from tests.idp_support import LocalIdp

import loadgen
from loadgen import LoadResult
from strongroom.crypto.sigv4 import SigV4Credential, sign

TARGET = 2000.0


def raw_request(path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ekms_requests(proxy: EkmProxy, idp: LocalIdp) -> list[bytes]:
    """One EKMS encrypt, with a bearer token from ``idp`` good for the whole run."""
    token = idp.token(proxy.vault_url, expires_in=3600)
    path = f"/v1/vaults/{proxy.vault_id}/keys/{proxy.key_ids[0]}/encrypt"
    body = json.dumps({"plaintext": b64e(b"k" * 32)}).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return [raw_request(path, f"127.0.0.1:{proxy.port}", headers, body)]


def xks_requests(proxy: EkmProxy) -> list[bytes]:
    """64 XKS encrypts, each SigV4-signed now (valid for the run), with its own request id."""
    host = f"127.0.0.1:{proxy.port}"
    path = f"/kms/xks/v1/keys/{proxy.key_ids[0]}/encrypt"
    credential = SigV4Credential(proxy.access_key_id, proxy.secret_access_key)
    requests = []
    for i in range(64):
        body = json.dumps(
            {
                "requestMetadata": {**REQUEST_METADATA, "kmsRequestId": str(i)},
                "plaintext": b64e(b"k" * 32),
                "encryptionAlgorithm": "AES_GCM",
            }
        ).encode()
        url = f"http://{host}{path}"
        headers = sign(
            "POST", url, {"content-type": "application/json"}, body, credential, "us-east-1"
        )
        requests.append(raw_request(path, host, headers, body))
    return requests


def measure(proxy: EkmProxy, name: str, pool: list[bytes], args: argparse.Namespace) -> LoadResult:
    assert proxy.process is not None
    shape = (args.clients, 1.0, args.seconds)
    pid = proxy.process.pid
    result: LoadResult = loadgen.run(
        loadgen.load(name, proxy.port, pid, pool, [b""] * len(pool), *shape)
    )
    assert set(result.statuses) == {200}, result.statuses
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--softhsm", action="store_true")
    args = parser.parse_args()
    loadgen.warn_if_loaded()
    with tempfile.TemporaryDirectory() as tmp, LocalIdp() as idp:
        backend = "softhsm" if args.softhsm else "software"
        proxy = init_proxy(Path(tmp), backend, idp=idp, keys=1)
        proxy.start()
        try:
            results = [
                measure(proxy, f"EKMS encrypt ({backend})", ekms_requests(proxy, idp), args),
                measure(proxy, f"XKS encrypt ({backend})", xks_requests(proxy), args),
            ]
        finally:
            proxy.stop()
    loadgen.print_load_table(results)
    for result in results:
        verdict = loadgen.verdict(result.ops >= TARGET)
        print(f"{result.name}: {result.ops:,.0f} ops/s (target {TARGET:,.0f}): {verdict}")


if __name__ == "__main__":
    main()
