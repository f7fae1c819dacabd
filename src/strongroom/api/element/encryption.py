"""EnableEncryptionAtRest, GetEncryptionAtRestInfo, DisableEncryptionAtRest, and Strongroom's
KMIP client identity: CreatePublicPrivateKeyPair and GetClientCertificateSignRequest."""

from __future__ import annotations

from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import Kind, Param, Values
from strongroom.services.at_rest import client_identity, encryption_state
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "METHODS",
    "create_public_private_key_pair",
    "disable_encryption_at_rest",
    "enable_encryption_at_rest",
    "get_client_certificate_sign_request",
    "get_encryption_at_rest_info",
]

_SUBJECT = (
    "commonName",
    "organization",
    "organizationalUnit",
    "locality",
    "state",
    "country",
    "emailAddress",
)


def enable_encryption_at_rest(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """EnableEncryptionAtRest → ``{}``: a no-op (always enabled)."""
    request = encryption_state.EnableEncryptionAtRestRequest(
        params.optional_integer("keyProviderID")
    )
    encryption_state.enable_encryption_at_rest(deps, call, request)
    return {}


def get_encryption_at_rest_info(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """GetEncryptionAtRestInfo → ``state`` (always ``enabled``)."""
    request = encryption_state.GetEncryptionAtRestInfoRequest()
    return {"state": encryption_state.get_encryption_at_rest_info(deps, call, request)}


def disable_encryption_at_rest(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """DisableEncryptionAtRest: refused (everything Strongroom stores is always encrypted)."""
    request = encryption_state.DisableEncryptionAtRestRequest()
    encryption_state.disable_encryption_at_rest(deps, call, request)
    return {}


def create_public_private_key_pair(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """CreatePublicPrivateKeyPair → ``{}``."""
    s = params.optional_string
    request = client_identity.CreatePublicPrivateKeyPairRequest(
        common_name=s("commonName"),
        organization=s("organization"),
        organizational_unit=s("organizationalUnit"),
        locality=s("locality"),
        state=s("state"),
        country=s("country"),
        email_address=s("emailAddress"),
    )
    client_identity.create_public_private_key_pair(deps, call, request)
    return {}


def get_client_certificate_sign_request(
    deps: Deps, call: Call, params: Values
) -> dict[str, object]:
    """GetClientCertificateSignRequest → ``clientCertificateSignRequest`` (PEM)."""
    request = client_identity.GetClientCertificateSignRequestRequest()
    csr = client_identity.get_client_certificate_sign_request(deps, call, request)
    return {"clientCertificateSignRequest": csr}


METHODS = (
    ElementMethod(
        "EnableEncryptionAtRest",
        enable_encryption_at_rest,
        (Param("keyProviderID", Kind.ID),),
        "xKeyProviderNotFound",
    ),
    ElementMethod("GetEncryptionAtRestInfo", get_encryption_at_rest_info),
    ElementMethod("DisableEncryptionAtRest", disable_encryption_at_rest),
    ElementMethod(
        "CreatePublicPrivateKeyPair",
        create_public_private_key_pair,
        tuple(Param(name, Kind.STRING) for name in _SUBJECT),
    ),
    ElementMethod("GetClientCertificateSignRequest", get_client_certificate_sign_request),
)
