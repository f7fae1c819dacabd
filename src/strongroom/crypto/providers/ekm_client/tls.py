"""TLS contexts for EKM and identity-provider connections: verification is always on."""

from __future__ import annotations

import functools
import ssl

from cryptography import x509

from strongroom.crypto.providers.ekm_client.errors import EkmTlsError

ClientCert = tuple[str, str]  # (certificate chain PEM file, private key PEM file)
MAX_CA_CERTIFICATES = 64


@functools.lru_cache(maxsize=64)
def tls_context(
    ca_bundle_pem: str | None, client_cert: ClientCert | None, system_trust: bool = False
) -> ssl.SSLContext:
    """A verifying context. With ``ca_bundle_pem`` it trusts exactly those CAs, unless
    ``system_trust`` asks for them on top of the system store (for identity providers, which
    may be public or private). ``client_cert`` adds a certificate for mutual TLS.

    Contexts are kept per process: loading the system store costs ~0.1 s, far over a call's
    budget, so each is made once (and before a call's clock starts, see ClientPool.client).
    """
    try:
        if ca_bundle_pem is None or system_trust:
            context = ssl.create_default_context()
            if ca_bundle_pem is not None:
                context.load_verify_locations(cadata=ca_bundle_pem)
        else:
            context = ssl.create_default_context(cadata=ca_bundle_pem)
    except (ssl.SSLError, ValueError):
        raise EkmTlsError("The vault's CA bundle is not a valid PEM certificate bundle") from None
    if client_cert is not None:
        try:
            context.load_cert_chain(client_cert[0], client_cert[1])
        except (OSError, ssl.SSLError):
            raise EkmTlsError("The EKM client certificate or its key cannot be loaded") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def tls_reason(error: BaseException) -> str | None:
    """Why TLS failed behind a transport error (None when TLS is not the cause)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = current.verify_message or "verification failed"
            return f"its TLS certificate is not trusted ({detail})"
        if isinstance(current, ssl.SSLError):
            return f"the TLS handshake failed ({current.reason or 'SSL error'})"
        current = current.__cause__ or current.__context__
    return None


def check_ca_bundle(pem: str) -> None:
    """Raise ValueError unless ``pem`` holds 1-64 parseable X.509 certificates, all CAs."""
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode("utf-8"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError("is not a bundle of PEM certificates") from None
    if len(certificates) > MAX_CA_CERTIFICATES:
        raise ValueError(f"holds more than {MAX_CA_CERTIFICATES} certificates")
    for certificate in certificates:
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            continue  # a self-signed v1 root: trusted as it is
        if not constraints.value.ca:
            raise ValueError("holds a certificate that is not a CA certificate")
