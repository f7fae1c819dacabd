"""A real PyKMIP key server for tests: throwaway certificates, a config file, the process.

``KmipTestServer(directory)`` makes a CA and a server certificate (``localhost`` and
``127.0.0.1``, serverAuth) in ``directory``, writes a ``pykmip-server`` configuration (TLS 1.2
suite, client certificates required and checked for clientAuth, its SQLite database in the
directory) and, on :meth:`~KmipTestServer.start`, runs ``pykmip-server`` on a free port until
it accepts connections. :meth:`~KmipTestServer.sign_csr` turns Strongroom's CSR into a client
certificate. The database outlives :meth:`~KmipTestServer.stop` and
:meth:`~KmipTestServer.kill`, so keys survive a restart on the same port.

PyKMIP ties a key to the common name of the client certificate that created it: get and
destroy with a certificate of the same common name.

Speed: the server's RSA key is made once per process and shared; each CA has its own P-256
key (instant), so certificates of one test server never verify under another's CA.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from strongroom.domain.at_rest import KeyServer
from tests.helpers import free_port

CIPHER_SUITES = (
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
)


@functools.cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """An RSA 2048 key made once per process for ``label`` (generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


class TestCa:
    """A throwaway certificate authority (its own P-256 key) that issues server and client
    certificates."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, name: str) -> None:
        self.name = _name(name)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            self._builder(self.name, self._key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )

    @property
    def pem(self) -> str:
        """The CA certificate (PEM): the trust anchor to give the other side."""
        return _pem(self.certificate)

    def issue_server(
        self, key: rsa.RSAPrivateKey, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
    ) -> x509.Certificate:
        """A serverAuth certificate for ``hosts`` (DNS names or IP addresses) and ``key``."""
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        return self._leaf(_name(hosts[0]), key.public_key(), ExtendedKeyUsageOID.SERVER_AUTH, names)

    def sign_csr(self, csr_pem: str, client_auth: bool = True) -> str:
        """A client certificate (PEM) for a PEM CSR: its subject and public key, clientAuth
        in the extended key usage (serverAuth instead when ``client_auth`` is False)."""
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
        assert csr.is_signature_valid
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client_auth else ExtendedKeyUsageOID.SERVER_AUTH
        public_key = csr.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        return _pem(self._leaf(csr.subject, public_key, usage, None))

    def _leaf(
        self,
        subject: x509.Name,
        public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
        usage: x509.ObjectIdentifier,
        names: list[x509.GeneralName] | None,
    ) -> x509.Certificate:
        builder = (
            self._builder(subject, public_key, dt.datetime.now(dt.UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self._key, hashes.SHA256())

    def _builder(
        self,
        subject: x509.Name,
        public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
        now: dt.datetime,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
        )


def _pykmip_server() -> str:
    """The ``pykmip-server`` beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("pykmip-server")
    if beside.exists():
        return str(beside)
    found = shutil.which("pykmip-server")
    assert found, "pykmip-server is not installed (pip install pykmip)"
    return found


class KmipTestServer:
    """A ``pykmip-server`` with throwaway certificates in ``directory`` (see the module
    docstring). Use as a context manager, or call :meth:`start` and :meth:`stop`.

    ``server_hosts`` are the names in the server's certificate; it listens on 127.0.0.1."""

    __test__ = False

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        server_hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    ) -> None:
        self.directory = Path(directory)
        self.server_hosts = server_hosts
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.ca = TestCa(f"KMIP test CA {self.directory.name}")
        self.log_path = self.directory / "server.log"
        self.config_path = self.directory / "server.conf"
        self._process: subprocess.Popen[bytes] | None = None
        self._write_files()

    @property
    def ca_pem(self) -> str:
        """The CA certificate (PEM) that signed the server's certificate: trust this."""
        return self.ca.pem

    def sign_csr(self, csr_pem: str, client_auth: bool = True) -> str:
        """A client certificate (PEM) for ``csr_pem`` signed by this server's CA."""
        return self.ca.sign_csr(csr_pem, client_auth)

    def key_server(
        self,
        client_certificate: str,
        hostnames: tuple[str, ...] = ("localhost",),
        ca_certificate: str | None = None,
        port: int | None = None,
    ) -> KeyServer:
        """A key server record pointing at this server (overrides for failure tests)."""
        return KeyServer(
            id=1,
            name="test-kmip",
            hostnames=hostnames,
            port=port or self.port,
            ca_certificate=ca_certificate or self.ca_pem,
            client_certificate=client_certificate,
            provider_id=None,
            time_created=dt.datetime.now(dt.UTC),
        )

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Run the server (same port, same database) and wait until it accepts connections."""
        assert not self.running, "already running"
        output = (self.directory / "server.out").open("ab")
        with output:
            self._process = subprocess.Popen(
                [_pykmip_server(), "-f", str(self.config_path), "-l", str(self.log_path)],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
        self._wait_accepting(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server with SIGINT (about a second), SIGKILL if it lingers."""
        process = self._process
        if process is None or process.poll() is not None:
            self._process = None
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None

    def kill(self) -> None:
        """SIGKILL the server and its helper processes (a crash)."""
        process = self._process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._process = None

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        parts = [self.log_path, self.directory / "server.out"]
        return "\n".join(p.read_text("utf-8", "replace") for p in parts if p.exists())

    def __enter__(self) -> KmipTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_files(self) -> None:
        key = rsa_key("kmip-server")
        (self.directory / "server.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (self.directory / "server.key").chmod(0o600)
        (self.directory / "server.pem").write_text(
            _pem(self.ca.issue_server(key, self.server_hosts)), "ascii"
        )
        (self.directory / "ca.pem").write_text(self.ca_pem, "ascii")
        policies = self.directory / "policies"
        policies.mkdir(exist_ok=True)
        self.config_path.write_text(
            "[server]\n"
            "hostname=127.0.0.1\n"
            f"port={self.port}\n"
            f"certificate_path={self.directory / 'server.pem'}\n"
            f"key_path={self.directory / 'server.key'}\n"
            f"ca_path={self.directory / 'ca.pem'}\n"
            "auth_suite=TLS1.2\n"
            f"policy_path={policies}\n"
            "enable_tls_client_auth=True\n"
            f"tls_cipher_suites={' '.join(CIPHER_SUITES)}\n"
            "logging_level=INFO\n"
            f"database_path={self.directory / 'pykmip.db'}\n",
            "ascii",
        )

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"pykmip-server exited at start:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"pykmip-server did not accept within {timeout} s:\n{self.log()}")


KmipServerFactory = Callable[..., KmipTestServer]
"""The type of the ``kmip_server_factory`` fixture: keyword arguments of KmipTestServer."""
