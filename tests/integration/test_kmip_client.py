"""Strongroom's KMIP client against a real PyKMIP server: the master key's life (create, get,
revoke and destroy), and every way a connection fails, named by its stage."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import replace
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from strongroom.barrier.kmip_client import PyKmipConnector
from strongroom.barrier.kmip_identity import FileClientIdentity
from strongroom.domain.at_rest import KeyServer, KmipFailure
from tests.helpers import free_port
from tests.kmip_server import KmipServerFactory, KmipTestServer, TestCa

pytest_plugins = ["tests.integration.kmip_fixtures"]


def _failure(connector: PyKmipConnector, server: KeyServer) -> KmipFailure:
    with pytest.raises(KmipFailure) as caught, connector.session(server) as session:
        session.probe()
    return caught.value


# --- the master key's life ---------------------------------------------------------------------


def test_a_master_key_is_created_got_and_destroyed(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    with kmip_connector.session(kmip_key_server) as session:
        uid = session.create_master_key("strongroom-master-test")
        key = session.get_key(uid)
        assert len(key) == 32
        assert session.get_key(uid) == key
        session.destroy_key(uid)
        with pytest.raises(KmipFailure) as caught:
            session.get_key(uid)
    assert caught.value.stage == "kmip"
    assert "ITEM_NOT_FOUND" in caught.value.message
    assert key.hex() not in caught.value.message


def test_each_session_sees_the_keys_of_the_last(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    with kmip_connector.session(kmip_key_server) as session:
        uid = session.create_master_key("strongroom-master-test")
        key = session.get_key(uid)
    with kmip_connector.session(kmip_key_server) as session:
        assert session.get_key(uid) == key


def test_destroying_a_key_already_gone_is_fine(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    with kmip_connector.session(kmip_key_server) as session:
        uid = session.create_master_key("strongroom-master-test")
        session.destroy_key(uid)
        session.destroy_key(uid)
        session.destroy_key("no-such-object")


def test_getting_an_unknown_key_names_the_servers_reason(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    with pytest.raises(KmipFailure) as caught, kmip_connector.session(kmip_key_server) as session:
        session.get_key("424242")
    assert caught.value.stage == "kmip"
    assert "Get failed: ITEM_NOT_FOUND" in caught.value.message
    assert f"localhost:{kmip_key_server.port}" in caught.value.message


def test_probe_answers(kmip_connector: PyKmipConnector, kmip_key_server: KeyServer) -> None:
    with kmip_connector.session(kmip_key_server) as session:
        session.probe()


def test_keys_survive_a_restart_and_a_stopped_server_is_a_tcp_failure(
    kmip_server_factory: KmipServerFactory, kmip_identity: FileClientIdentity
) -> None:
    server = kmip_server_factory()
    record = server.key_server(server.sign_csr(kmip_identity.certificate_sign_request()))
    connector = PyKmipConnector(kmip_identity.key_file)
    with connector.session(record) as session:
        uid = session.create_master_key("survivor")
        key = session.get_key(uid)
    server.kill()
    failure = _failure(connector, record)
    assert failure.stage == "tcp"
    assert f"localhost:{server.port}: connection refused" in failure.message
    server.start()
    with connector.session(record) as session:
        assert session.get_key(uid) == key


# --- failures, by stage ------------------------------------------------------------------------


def test_a_host_name_that_does_not_resolve_is_a_dns_failure(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    failure = _failure(kmip_connector, replace(kmip_key_server, hostnames=("kmip.invalid",)))
    assert failure.stage == "dns"
    assert "kmip.invalid does not resolve" in failure.message


def test_a_closed_port_is_a_tcp_failure(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    port = free_port()
    failure = _failure(kmip_connector, replace(kmip_key_server, port=port))
    assert failure.stage == "tcp"
    assert failure.message == f"localhost:{port}: connection refused"


def test_a_server_that_never_answers_the_handshake_times_out(
    kmip_identity: FileClientIdentity, kmip_key_server: KeyServer
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        record = replace(kmip_key_server, port=silent.getsockname()[1])
        connector = PyKmipConnector(kmip_identity.key_file, timeout=0.5)
        started = time.monotonic()
        failure = _failure(connector, record)
    assert time.monotonic() - started < 3
    assert failure.stage == "tls"
    assert "timed out" in failure.message


def test_an_operation_the_server_never_answers_times_out(
    kmip_server: KmipTestServer, kmip_identity: FileClientIdentity, kmip_key_server: KeyServer
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(
        kmip_server.directory / "server.pem", kmip_server.directory / "server.key"
    )
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        mute = threading.Thread(target=_handshake_then_nothing, args=(listener, context))
        mute.start()
        record = replace(kmip_key_server, port=listener.getsockname()[1])
        connector = PyKmipConnector(kmip_identity.key_file, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(KmipFailure) as caught, connector.session(record) as session:
            session.probe()
        assert time.monotonic() - started < 3
        mute.join()
    assert caught.value.stage == "tcp"
    assert "Query: no answer in time" in caught.value.message


def _handshake_then_nothing(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Complete one TLS handshake, then read until the client hangs up, answering nothing."""
    connection, _ = listener.accept()
    with suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
        while tls.recv(4096):
            pass


def test_a_server_certificate_from_another_ca_is_a_tls_failure(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    wrong_ca = TestCa("Somebody else's CA").pem
    failure = _failure(kmip_connector, replace(kmip_key_server, ca_certificate=wrong_ca))
    assert failure.stage == "tls"
    assert "server certificate is not signed by the key server's CA" in failure.message


def test_a_server_certificate_for_another_name_is_a_tls_failure(
    kmip_server_factory: KmipServerFactory, kmip_identity: FileClientIdentity
) -> None:
    server = kmip_server_factory(server_hosts=("kmip.example.com",))
    certificate = server.sign_csr(kmip_identity.certificate_sign_request())
    connector = PyKmipConnector(kmip_identity.key_file)
    failure = _failure(connector, server.key_server(certificate, hostnames=("127.0.0.1",)))
    assert failure.stage == "tls"
    assert "not valid for host name 127.0.0.1" in failure.message


def test_a_client_certificate_from_another_ca_is_refused_by_the_server(
    kmip_connector: PyKmipConnector,
    kmip_identity: FileClientIdentity,
    kmip_key_server: KeyServer,
) -> None:
    foreign = TestCa("Not the KMIP server's CA").sign_csr(kmip_identity.certificate_sign_request())
    failure = _failure(kmip_connector, replace(kmip_key_server, client_certificate=foreign))
    assert failure.stage == "tls"
    assert "the server refused the client certificate" in failure.message


def test_a_client_certificate_without_client_auth_is_refused_by_the_server(
    kmip_server: KmipTestServer,
    kmip_connector: PyKmipConnector,
    kmip_identity: FileClientIdentity,
    kmip_key_server: KeyServer,
) -> None:
    server_only = kmip_server.sign_csr(kmip_identity.certificate_sign_request(), client_auth=False)
    failure = _failure(kmip_connector, replace(kmip_key_server, client_certificate=server_only))
    assert failure.stage == "tls"
    assert "refused the client certificate" in failure.message


def test_no_client_key_is_a_config_failure_saying_what_to_run(
    kmip_identity: FileClientIdentity, kmip_key_server: KeyServer
) -> None:
    kmip_identity.key_file.unlink()
    failure = _failure(PyKmipConnector(kmip_identity.key_file), kmip_key_server)
    assert failure.stage == "config"
    assert "CreatePublicPrivateKeyPair" in failure.message
    assert "GetClientCertificateSignRequest" in failure.message


def test_a_client_key_others_can_read_is_refused(
    kmip_connector: PyKmipConnector,
    kmip_identity: FileClientIdentity,
    kmip_key_server: KeyServer,
) -> None:
    kmip_identity.key_file.chmod(0o644)
    failure = _failure(kmip_connector, kmip_key_server)
    assert failure.stage == "config"
    assert "chmod 600" in failure.message
    with pytest.raises(PermissionError):
        kmip_identity.certificate_sign_request()


def test_a_certificate_for_an_older_key_pair_is_a_config_failure(
    kmip_connector: PyKmipConnector,
    kmip_identity: FileClientIdentity,
    kmip_key_server: KeyServer,
) -> None:
    kmip_identity.create_key_pair({"commonName": "strongroom"})
    failure = _failure(kmip_connector, kmip_key_server)
    assert failure.stage == "config"
    assert "not for the current KMIP client key" in failure.message


@pytest.mark.parametrize("field", ["ca_certificate", "client_certificate"])
def test_an_unparsable_certificate_is_a_config_failure(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer, field: str
) -> None:
    changes: dict[str, Any] = {field: "-----BEGIN CERTIFICATE-----\nnope\n"}
    broken = replace(kmip_key_server, **changes)
    failure = _failure(kmip_connector, broken)
    assert failure.stage == "config"
    assert "not a PEM X.509 certificate" in failure.message


# --- several host names ------------------------------------------------------------------------


def test_host_names_are_tried_in_turn(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    record = replace(kmip_key_server, hostnames=("dead.invalid", "localhost"))
    with kmip_connector.session(record) as session:
        session.probe()


def test_when_every_host_name_fails_each_attempt_is_named(
    kmip_connector: PyKmipConnector, kmip_key_server: KeyServer
) -> None:
    port = free_port()
    record = replace(kmip_key_server, hostnames=("dead.invalid", "127.0.0.1"), port=port)
    failure = _failure(kmip_connector, record)
    assert failure.stage == "tcp"
    assert "dns: dead.invalid does not resolve" in failure.message
    assert f"tcp: 127.0.0.1:{port}: connection refused" in failure.message


# --- the client identity -----------------------------------------------------------------------


def test_the_subject_of_a_new_key_pair_is_in_the_csr_and_its_certificate_works(
    kmip_server: KmipTestServer, kmip_identity: FileClientIdentity
) -> None:
    subject = {
        "commonName": "strongroom",
        "organization": "Example Corp",
        "organizationalUnit": "Storage",
        "locality": "Boulder",
        "state": "Colorado",
        "country": "us",
        "emailAddress": "kms@example.com",
    }
    kmip_identity.create_key_pair(subject)
    csr_pem = kmip_identity.certificate_sign_request()
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert csr.is_signature_valid
    values = {a.oid: a.value for a in csr.subject}
    assert values[NameOID.ORGANIZATION_NAME] == "Example Corp"
    assert values[NameOID.ORGANIZATIONAL_UNIT_NAME] == "Storage"
    assert values[NameOID.LOCALITY_NAME] == "Boulder"
    assert values[NameOID.STATE_OR_PROVINCE_NAME] == "Colorado"
    assert values[NameOID.COUNTRY_NAME] == "US"
    assert values[NameOID.EMAIL_ADDRESS] == "kms@example.com"
    assert values[NameOID.COMMON_NAME] == "strongroom"
    record = kmip_server.key_server(kmip_server.sign_csr(csr_pem))
    with PyKmipConnector(kmip_identity.key_file).session(record) as session:
        session.probe()
        uid = session.create_master_key("from-a-fresh-identity")
        assert len(session.get_key(uid)) == 32
