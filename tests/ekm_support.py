"""Start the reference EKM proxy (`strongroom-ekm`) as a real subprocess for tests.

Typical use::

    from tests.ekm_support import running_proxy
    from tests.idp_support import LocalIdp

    with LocalIdp() as idp, running_proxy(tmp_path, "software", idp=idp, keys=1) as proxy:
        token = idp.token(audience=proxy.vault_url)
        proxy.ekms("POST", f"/keys/{proxy.key_ids[0]}/encrypt", token, {"plaintext": "AAAA"})
        proxy.xks("/keys/" + proxy.key_ids[0] + "/metadata", {"requestMetadata": {...}})

- ``running_proxy(tmp_path, backend, ...)``: init a data dir (software, or softhsm with a token
  created in ``tmp_path`` through a SOFTHSM2_CONF file), configure the JWT settings from ``idp``
  and XKS SigV4 credentials, create ``keys`` keys, serve on a free port (optionally with TLS
  from a throwaway CA: ``proxy.ca_pem``), wait for /health, and stop the process at the end.
- ``LocalIdp``: an RSA key, a JWKS and an OAuth2 client-credentials token endpoint
  (``{idp.url}/oauth2/v1/token``, discovery at ``/.well-known/openid-configuration``) served
  from a thread; ``idp.token(...)`` mints tokens directly (expired, wrong audience, ...).
- ``requires_softhsm``: skip marker when libsofthsm2.so is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from strongroom.crypto.sigv4 import SigV4Credential, sign
from tests.helpers import free_port
from tests.idp_support import LocalIdp
from tests.tls_support import TlsFiles, make_tls

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_ACCESS_KEY_ID = "AKIASTRONGROOMTEST01"
XKS_REGION = "us-ashburn-1"
REQUEST_METADATA = {
    "awsPrincipalArn": "arn:aws:iam::123456789012:user/tester",
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/test",
    "kmsOperation": "Encrypt",
    "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
}


def softhsm_available() -> bool:
    """Whether SoftHSM2's PKCS#11 module (and softhsm2-util) is installed."""
    return Path(SOFTHSM_MODULE).exists()


requires_softhsm = pytest.mark.skipif(
    not softhsm_available(),
    reason=f"SoftHSM2 is not installed ({SOFTHSM_MODULE} missing; apt-get install softhsm2)",
)


# --- a local identity provider --------------------------------------------------------------


@dataclass(frozen=True)
class SoftHsmToken:
    """A SOFTHSM2_CONF file pointing at a private token directory."""

    conf: Path
    token_dir: Path
    label: str
    pin: str = field(repr=False)


def softhsm_token(directory: Path, label: str = "strongroom-ekm-test") -> SoftHsmToken:
    """Write a SOFTHSM2_CONF for a fresh token directory (``init --init-token`` creates it)."""
    token_dir = directory / "tokens"
    token_dir.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    return SoftHsmToken(conf, token_dir, label, secrets.token_urlsafe(12))


# --- the proxy ------------------------------------------------------------------------------


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``strongroom-ekm ARGS`` (as ``python -m strongroom.ekm_proxy``)."""
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.ekm_proxy", *args],
        env={**os.environ, **(env or {})},
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"strongroom-ekm {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        )
    return result


@dataclass
class EkmProxy:
    """A running (or stopped) ``strongroom-ekm serve`` subprocess and how to reach it."""

    data_dir: Path
    backend: str
    port: int
    base_url: str
    vault_id: str
    xks_credentials: dict[str, str] = field(repr=False)
    uri_prefix: str = ""
    tls: TlsFiles | None = None
    mutual_tls: bool = False  # serve with --tls-client-ca; client() presents tls.client_cert
    client_subjects: tuple[str, ...] = ()  # serve with --tls-client-subject (each)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    key_ids: list[str] = field(default_factory=list)
    softhsm: SoftHsmToken | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def vault_url(self) -> str:
        """The EKMS vault URL (externalVaultEndpointUrl and token audience)."""
        return f"{self.base_url}/v1/vaults/{self.vault_id}"

    @property
    def xks_url(self) -> str:
        """The XKS base URL, ending in /kms/xks/v1."""
        return f"{self.base_url}{self.uri_prefix}/kms/xks/v1"

    @property
    def ca_pem(self) -> str | None:
        return self.tls.ca_pem if self.tls else None

    @property
    def access_key_id(self) -> str:
        return next(iter(self.xks_credentials))

    @property
    def secret_access_key(self) -> str:
        return self.xks_credentials[self.access_key_id]

    # --- administration through the CLI ------------------------------------------------------

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> str:
        result = run_cli(
            *args, "--data-dir", str(self.data_dir), env=self.env, input=input, check=check
        )
        return result.stdout.strip()

    def create_key(self, key_id: str | None = None, usage: str | None = None) -> str:
        args = ["keys", "create"] + (["--key-id", key_id] if key_id else [])
        args += ["--usage", usage] if usage is not None else []
        created = self.cli(*args)
        self.key_ids.append(created)
        return created

    def rotate_key(self, key_id: str) -> str:
        version = self.cli("keys", "rotate", key_id)
        wait_reload()
        return version

    def disable_key(self, key_id: str, version: str | None = None) -> None:
        self.cli("keys", "disable", key_id, *(["--version", version] if version else []))
        wait_reload()

    def enable_key(self, key_id: str, version: str | None = None) -> None:
        self.cli("keys", "enable", key_id, *(["--version", version] if version else []))
        wait_reload()

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """``strongroom-ekm vault block`` for the block, ``vault unblock`` after it."""
        self.cli("vault", "block")
        wait_reload()
        try:
            yield
        finally:
            self.cli("vault", "unblock")
            wait_reload()

    def add_xks_credential(self, access_key_id: str, secret: str) -> None:
        self.cli("xks", "add-credential", "--access-key-id", access_key_id, input=secret + "\n")
        self.xks_credentials[access_key_id] = secret
        wait_reload()

    def remove_xks_credential(self, access_key_id: str) -> None:
        self.cli("xks", "remove-credential", access_key_id)
        self.xks_credentials.pop(access_key_id, None)
        wait_reload()

    # --- HTTP ---------------------------------------------------------------------------------

    def client(self, timeout: float = 10.0) -> httpx.Client:
        if self.tls is None:
            return httpx.Client(timeout=timeout)
        verify = ssl.create_default_context(cafile=str(self.tls.ca_file))
        if self.mutual_tls:
            verify.load_cert_chain(self.tls.client_cert, self.tls.client_key)
        return httpx.Client(timeout=timeout, verify=verify)

    def health(self) -> httpx.Response:
        with self.client() as client:
            return client.get(f"{self.base_url}/health")

    def ekms(
        self,
        method: str,
        path: str,
        token: str | None,
        body: Any = None,
        *,
        raw: bytes | None = None,
    ) -> httpx.Response:
        """A call under the EKMS vault URL (``path`` starts with /)."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        content = (
            raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        )
        with self.client() as client:
            return client.request(method, self.vault_url + path, headers=headers, content=content)

    def xks(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        credential: SigV4Credential | None = None,
        region: str = XKS_REGION,
        service: str = "kms-xks-proxy",
        now: dt.datetime | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """A SigV4-signed POST under the XKS base URL (``path`` starts with /)."""
        url = self.xks_url + path
        content = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            credential = credential or SigV4Credential(self.access_key_id, self.secret_access_key)
            headers = sign("POST", url, headers, content, credential, region, service, now)
        with self.client() as client:
            return client.post(url, headers=headers, content=content)

    # --- process ------------------------------------------------------------------------------

    def start(
        self, *, expect_healthy: bool = True, extra_env: Mapping[str, str] | None = None
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "strongroom.ekm_proxy",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--backend",
            self.backend,
        ]
        if self.tls:
            args += ["--tls-cert", str(self.tls.cert), "--tls-key", str(self.tls.key)]
            if self.mutual_tls:
                args += ["--tls-client-ca", str(self.tls.ca_file)]
            for subject in self.client_subjects:
                args += ["--tls-client-subject", subject]
        self.log_path = self.data_dir.parent / f"proxy-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            args,
            env={**os.environ, **self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_ready(expect_healthy=expect_healthy)

    def wait_ready(self, *, expect_healthy: bool = True, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"strongroom-ekm exited early:\n{self.log_tail()}")
            try:
                response = self.health()
                if response.status_code == 200 or not expect_healthy:
                    return
                last = (response.status_code, response.text)
            except httpx.HTTPError as error:
                last = error
            time.sleep(0.05)
        raise AssertionError(f"strongroom-ekm not ready: {last!r}\n{self.log_tail()}")

    def log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_reload() -> None:
    """Let a running proxy notice a change made with the CLI (it checks every 0.1 s)."""
    time.sleep(0.3)


def init_proxy(
    directory: Path,
    backend: str = "software",
    *,
    idp: LocalIdp | None = None,
    jwt_audiences: tuple[str, ...] = (),
    xks_credentials: Mapping[str, str] | None = None,
    uri_prefix: str = "",
    region: str | None = None,
    tls: bool = False,
    keys: int = 0,
    port: int | None = None,
) -> EkmProxy:
    """Initialise (but do not start) a proxy in ``directory`` / "ekm"."""
    if backend == "softhsm" and not softhsm_available():
        pytest.skip(f"SoftHSM2 is not installed ({SOFTHSM_MODULE} missing)")
    directory.mkdir(parents=True, exist_ok=True)
    data_dir = directory / "ekm"
    port = port or free_port()
    env, token = _init_data_dir(directory, data_dir, backend)
    credentials = dict(
        xks_credentials
        if xks_credentials is not None
        else {DEFAULT_ACCESS_KEY_ID: secrets.token_urlsafe(32)}
    )
    proxy = EkmProxy(
        data_dir=data_dir,
        backend=backend,
        port=port,
        base_url=f"{'https' if tls else 'http'}://127.0.0.1:{port}",
        vault_id=json.loads((data_dir / "ekm.json").read_text())["vaultId"],
        xks_credentials=credentials,
        uri_prefix=uri_prefix,
        tls=make_tls(directory / "tls") if tls else None,
        env=env,
        softhsm=token,
    )
    _configure(proxy, region, idp, jwt_audiences)
    for _ in range(keys):
        proxy.create_key()
    return proxy


def _init_data_dir(
    directory: Path, data_dir: Path, backend: str
) -> tuple[dict[str, str], SoftHsmToken | None]:
    """``strongroom-ekm init``; for SoftHSM2 first a token of its own (PIN on stdin)."""
    args = ["init", "--data-dir", str(data_dir), "--backend", backend]
    if backend != "softhsm":
        run_cli(*args, env={})
        return {}, None
    token = softhsm_token(directory / "softhsm")
    env = {"SOFTHSM2_CONF": str(token.conf)}
    args += ["--init-token", "--token-label", token.label, "--softhsm-conf", str(token.conf)]
    run_cli(*args, "--pin-file", "-", env=env, input=token.pin + "\n")
    return env, token


def _configure(
    proxy: EkmProxy, region: str | None, idp: LocalIdp | None, jwt_audiences: tuple[str, ...]
) -> None:
    """The proxy's XKS credentials, prefix and region, and its JWT settings from ``idp``."""
    for access_key_id, secret in proxy.xks_credentials.items():
        proxy.cli("xks", "add-credential", "--access-key-id", access_key_id, input=secret + "\n")
    if proxy.uri_prefix or region:
        proxy.cli(
            "xks",
            "set",
            *(["--uri-prefix", proxy.uri_prefix] if proxy.uri_prefix else []),
            *(["--region", region] if region else []),
        )
    if idp is not None:
        audience_args = [arg for a in jwt_audiences for arg in ("--audience", a)]
        proxy.cli("jwt", "set", "--issuer", idp.issuer, "--jwks-url", idp.jwks_url, *audience_args)


@contextmanager
def running_proxy(
    directory: Path,
    backend: str = "software",
    *,
    idp: LocalIdp | None = None,
    jwt_audiences: tuple[str, ...] = (),
    xks_credentials: Mapping[str, str] | None = None,
    uri_prefix: str = "",
    region: str | None = None,
    tls: bool = False,
    mutual_tls: bool = False,
    keys: int = 0,
) -> Iterator[EkmProxy]:
    """An initialised, started, healthy proxy; stopped (and its token kept) at the end.
    With ``mutual_tls`` (and ``tls``) it requires client certificates from its CA."""
    proxy = init_proxy(
        directory,
        backend,
        idp=idp,
        jwt_audiences=jwt_audiences,
        xks_credentials=xks_credentials,
        uri_prefix=uri_prefix,
        region=region,
        tls=tls,
        keys=keys,
    )
    proxy.mutual_tls = mutual_tls
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def remove_token(proxy: EkmProxy) -> Path:
    """Move the SoftHSM token directory away (the HSM "disappears"); returns where it went."""
    assert proxy.softhsm is not None
    moved = proxy.softhsm.token_dir.with_name("tokens-removed")
    shutil.move(str(proxy.softhsm.token_dir), moved)
    proxy.softhsm.token_dir.mkdir()
    return moved


def restore_token(proxy: EkmProxy, moved: Path) -> None:
    """Undo :func:`remove_token`."""
    assert proxy.softhsm is not None
    shutil.rmtree(proxy.softhsm.token_dir)
    shutil.move(str(moved), proxy.softhsm.token_dir)
