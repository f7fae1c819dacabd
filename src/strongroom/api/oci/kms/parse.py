"""Parsing the fields of the KMS requests (paths, query strings and bodies), EXTERNAL vaults' and
keys' fields included."""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import OciRequest
from strongroom.crypto.signing import MessageType
from strongroom.domain import tags
from strongroom.domain.ekm import (
    MAX_CLIENT_ID,
    MAX_CLIENT_SECRET,
    require_endpoint_url,
    require_external_id,
    require_text,
)
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.key import Algorithm, Curve, KeyShape, ProtectionMode, make_shape
from strongroom.domain.vault import VaultType
from strongroom.services.kms.keys import CreateKeyRequest, ListKeysRequest
from strongroom.services.kms.vaults import CreateVaultRequest, ExternalKeyManagerMetadata

__all__ = [
    "MAX_CIPHERTEXT",
    "MAX_PLAINTEXT_WIRE",
    "body_key_id",
    "body_key_version_id",
    "compartment_id",
    "create_key_request",
    "create_vault_request",
    "external_key_id",
    "external_key_manager",
    "external_version_id",
    "list_keys_request",
    "message_type",
    "path_ids",
    "path_key_version_id",
    "path_vault_id",
    "shape_from",
]

# Decoded bodies a little over the 4 KB limit are let through so the size error names the limit.
MAX_PLAINTEXT_WIRE = 8192
MAX_CIPHERTEXT = 8192


def shape_from(body: parse.Body, name: str = "keyShape") -> KeyShape:
    """Parse a keyShape object."""
    raw = parse.obj(body, name)
    assert raw is not None
    curve = raw.get("curveId")
    if curve is not None and not isinstance(curve, str):
        raise InvalidParameter(f"{name}.curveId must be a string")
    algorithm = raw.get("algorithm")
    if not isinstance(algorithm, str):
        raise InvalidParameter(f"{name}.algorithm must be one of AES, RSA, ECDSA")
    return make_shape(algorithm, raw.get("length"), curve)


def compartment_id(value: object) -> str:
    """A compartmentId (of a body or a query): a tenancy or compartment OCID."""
    return require_ocid(value, "compartmentId", "tenancy", "compartment")


def path_vault_id(req: OciRequest) -> str:
    """The vaultId of a vault's path."""
    return require_ocid(req.path["vaultId"], "vaultId", "vault")


def path_ids(req: OciRequest) -> tuple[str, str]:
    """The vaultId (as routed, checked when the vault is looked up) and keyId of a key's path."""
    return req.path["vaultId"], require_ocid(req.path["keyId"], "keyId", "key")


def path_key_version_id(req: OciRequest) -> str:
    """The keyVersionId of a key version's path."""
    return require_ocid(req.path["keyVersionId"], "keyVersionId", "keyversion")


def body_key_id(body: parse.Body) -> str:
    """A crypto request's keyId."""
    return require_ocid(body.get("keyId"), "keyId", "key")


def body_key_version_id(body: parse.Body) -> str | None:
    """A crypto request's optional keyVersionId."""
    value = body.get("keyVersionId")
    return None if value is None else require_ocid(value, "keyVersionId", "keyversion")


def message_type(body: parse.Body) -> MessageType:
    """Sign's and Verify's messageType; RAW when absent."""
    return parse.enum(MessageType, body.get("messageType", "RAW"), "messageType")


def list_keys_request(req: OciRequest) -> ListKeysRequest:
    """ListKeys: compartmentId, then the optional protectionMode, algorithm, curveId and
    length filters, then the page, checked in that order."""
    q = req.query
    compartment = compartment_id(q.get("compartmentId"))
    mode = algorithm = curve = length = None
    if "protectionMode" in q:
        mode = parse.enum(ProtectionMode, q["protectionMode"], "protectionMode")
    if "algorithm" in q:
        algorithm = parse.enum(Algorithm, q["algorithm"], "algorithm")
    if "curveId" in q:
        curve = parse.enum(Curve, q["curveId"], "curveId")
    if "length" in q:
        if not q["length"].isdigit():
            raise InvalidParameter("length must be an integer")
        length = int(q["length"])
    return ListKeysRequest(
        vault_id=req.path["vaultId"],
        compartment_id=compartment,
        protection_mode=mode,
        algorithm=algorithm,
        curve_id=curve,
        length=length,
        page=parse.page_request(q),
    )


def create_vault_request(body: parse.Body) -> CreateVaultRequest:
    """CreateVaultDetails, its fields checked in the order of the model."""
    return CreateVaultRequest(
        compartment_id=compartment_id(body.get("compartmentId")),
        display_name=tags.display_name(body.get("displayName")),
        vault_type=parse.enum(VaultType, body.get("vaultType"), "vaultType"),
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
        external_key_manager=external_key_manager(body),
    )


def create_key_request(body: parse.Body, vault_id: str, has_hsm: bool) -> CreateKeyRequest:
    """CreateKeyDetails (externalKeyReference first, as it decides the default mode).

    OCI defaults to HSM; without an HSM back end (``has_hsm``) the default is SOFTWARE, and
    HSM asked for explicitly is refused with a clear error. A key referencing an external key
    is EXTERNAL.
    """
    external_id = external_key_id(body)
    default = "EXTERNAL" if external_id else ("HSM" if has_hsm else "SOFTWARE")
    mode = body.get("protectionMode")
    if mode is None:
        mode = default
    return CreateKeyRequest(
        vault_id=vault_id,
        compartment_id=compartment_id(body.get("compartmentId")),
        display_name=tags.display_name(body.get("displayName")),
        key_shape=shape_from(body),
        protection_mode=parse.enum(ProtectionMode, mode, "protectionMode"),
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
        external_key_id=external_id,
    )


EKM = "externalKeyManagerMetadata"


def external_key_manager(body: parse.Body) -> ExternalKeyManagerMetadata | None:
    """CreateVaultDetails.externalKeyManagerMetadata (ExternalKeyManagerMetadata), if given."""
    raw = parse.obj(body, EKM, required=False)
    if raw is None:
        return None
    oauth = parse.obj(raw, "oauthMetadata", required=False)
    if oauth is None:
        raise InvalidParameter(f"{EKM}.oauthMetadata is required")
    private_endpoint = raw.get("privateEndpointId")
    idp = oauth.get("idcsAccountNameUrl")
    return ExternalKeyManagerMetadata(
        endpoint_url=require_endpoint_url(
            raw.get("externalVaultEndpointUrl"), f"{EKM}.externalVaultEndpointUrl"
        ),
        idp_url=None
        if idp is None
        else require_endpoint_url(idp, f"{EKM}.oauthMetadata.idcsAccountNameUrl"),
        client_app_id=require_text(
            oauth.get("clientAppId"), f"{EKM}.oauthMetadata.clientAppId", MAX_CLIENT_ID
        ),
        client_secret=require_text(
            oauth.get("clientAppSecret"), f"{EKM}.oauthMetadata.clientAppSecret", MAX_CLIENT_SECRET
        ),
        private_endpoint_id=None
        if private_endpoint is None
        else require_ocid(private_endpoint, f"{EKM}.privateEndpointId"),
    )


def external_key_id(body: parse.Body) -> str | None:
    """CreateKeyDetails.externalKeyReference.externalKeyId, if given."""
    raw = parse.obj(body, "externalKeyReference", required=False)
    if raw is None:
        return None
    return require_external_id(raw.get("externalKeyId"), "externalKeyReference.externalKeyId")


def external_version_id(body: parse.Body) -> str | None:
    """CreateKeyVersion's optional ExternalKeyVersionReference.externalKeyVersionId."""
    value = body.get("externalKeyVersionId")
    if value is None:
        return None
    return require_external_id(value, "externalKeyVersionId")
