"""Strongroom's own KMIP client identity: a new key pair (CreatePublicPrivateKeyPair) and the
certificate signing request a KMIP server's CA signs (GetClientCertificateSignRequest).

The private key is a 0600 file in the data directory (it cannot be sealed by the master key
it is needed to fetch); a new pair is refused while the active provider depends on the
current one (its client certificate certifies the current key)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState
from strongroom.services.at_rest.kmip_checks import active_provider_id
from strongroom.services.context import Call
from strongroom.services.kmip_port import ClientIdentity
from strongroom.services.ports import Deps

__all__ = [
    "CreatePublicPrivateKeyPairRequest",
    "GetClientCertificateSignRequestRequest",
    "create_public_private_key_pair",
    "get_client_certificate_sign_request",
]


@dataclass(frozen=True)
class CreatePublicPrivateKeyPairRequest:
    """The X.509 subject of the new key pair's requests (None: not in the subject; the common
    name defaults to ``strongroom``)."""

    common_name: str | None = None
    organization: str | None = None
    organizational_unit: str | None = None
    locality: str | None = None
    state: str | None = None
    country: str | None = None
    email_address: str | None = None

    def subject(self) -> dict[str, str]:
        """The subject under Element's field names, without the fields not given."""
        fields = {
            "commonName": self.common_name,
            "organization": self.organization,
            "organizationalUnit": self.organizational_unit,
            "locality": self.locality,
            "state": self.state,
            "country": self.country,
            "emailAddress": self.email_address,
        }
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class GetClientCertificateSignRequestRequest:
    """Ask for a PKCS#10 request for the current key pair (one is made when none exists)."""


def _identity(deps: Deps) -> ClientIdentity:
    if deps.kmip_identity is None:
        raise IncorrectState("This process has no KMIP client identity (no data directory)")
    return deps.kmip_identity


def create_public_private_key_pair(
    deps: Deps, call: Call, request: CreatePublicPrivateKeyPairRequest
) -> None:
    """Replace the KMIP client key pair, unless the active provider uses the current one."""
    identity = _identity(deps)
    with deps.db.transaction(read_only=True) as tx:
        active = active_provider_id(tx)
    if active is not None:
        raise IncorrectState(
            f"KMIP key provider {active} holds the current master key with a client certificate "
            "for the current key pair; rekey to internal key management before replacing it"
        )
    identity.create_key_pair(request.subject())


def get_client_certificate_sign_request(
    deps: Deps, call: Call, request: GetClientCertificateSignRequestRequest
) -> str:
    """A PEM PKCS#10 request for the current key pair, for the KMIP server's CA to sign."""
    return _identity(deps).certificate_sign_request()
