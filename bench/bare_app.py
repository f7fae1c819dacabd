"""The reference for the encrypt benchmark: a bare ASGI endpoint doing only AES-GCM.

Same JSON shape in and out as OCI's Encrypt, same server stack as ``strongroom serve``
(Starlette on uvicorn with uvloop and its httptools protocol writing each answer at once, one
process, no access log), but no
signature check, no authorization, no key lookup and no thread-pool hop: the request is
parsed, 32 bytes are sealed under one AES-256 key held in memory, and the result rendered.

    python bench/bare_app.py --port 8300
"""

from __future__ import annotations

import argparse
import base64
import json
import os

import uvicorn
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from strongroom.http_protocol import OneWriteProtocol

KEY = os.urandom(32)
KEY_VERSION_ID = "ocid1.keyversion.oc1.bench.bare"
NONCE_BYTES = 12


async def encrypt(request: Request) -> Response:
    """POST {keyId, plaintext} -> {ciphertext, keyId, keyVersionId, encryptionAlgorithm}."""
    body = json.loads(await request.body())
    plaintext = base64.b64decode(body["plaintext"], validate=True)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(KEY).encrypt(nonce, plaintext, None)
    reply = {
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
        "keyId": body["keyId"],
        "keyVersionId": KEY_VERSION_ID,
        "encryptionAlgorithm": "AES_256_GCM",
    }
    return Response(
        json.dumps(reply, separators=(",", ":")).encode(), media_type="application/json"
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/healthz", healthz, methods=["GET"]),
        # The same path shape as the full path, so the load generator sends identical bytes.
        Route("/kms/{vaultId}/crypto/20180608/encrypt", encrypt, methods=["POST"]),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    args = parser.parse_args()
    # The uvicorn configuration of `strongroom serve` (see strongroom.cli.main.serve).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http=OneWriteProtocol,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
