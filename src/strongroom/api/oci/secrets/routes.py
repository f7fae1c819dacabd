"""Routes of the VaultsClient secret management API (/20180608/secrets) and of the
SecretsClient retrieval API (/20190301/secretbundles)."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.secrets import handlers as h

__all__ = ["BUNDLES", "ONE", "ROUTES", "SECRETS", "VERSION"]

SECRETS = "/20180608/secrets"
ONE = f"{SECRETS}/{{secretId}}"
VERSION = f"{ONE}/version/{{secretVersionNumber}}"
BUNDLES = "/20190301/secretbundles"

# The bundle reads only read: they run on the event loop when everything they need is cached
# (see ApiRoute.inline). Actions accept opc-retry-token.
ROUTES: list[ApiRoute] = [
    ApiRoute("GetSecretBundle", "GET", f"{BUNDLES}/{{secretId}}", h.get_secret_bundle, inline=True),
    ApiRoute(
        "GetSecretBundleByName",
        "POST",
        f"{BUNDLES}/actions/getByName",
        h.get_secret_bundle_by_name,
        inline=True,
    ),
    ApiRoute(
        "ListSecretBundleVersions",
        "GET",
        f"{BUNDLES}/{{secretId}}/versions",
        h.list_secret_bundle_versions,
    ),
    ApiRoute("CreateSecret", "POST", SECRETS, h.create_secret, True),
    ApiRoute("ListSecrets", "GET", SECRETS, h.list_secrets),
    ApiRoute("GetSecret", "GET", ONE, h.get_secret),
    ApiRoute("UpdateSecret", "PUT", ONE, h.update_secret),
    ApiRoute(
        "ScheduleSecretDeletion",
        "POST",
        f"{ONE}/actions/scheduleDeletion",
        h.schedule_secret_deletion,
        True,
    ),
    ApiRoute(
        "CancelSecretDeletion",
        "POST",
        f"{ONE}/actions/cancelDeletion",
        h.cancel_secret_deletion,
        True,
    ),
    ApiRoute("RotateSecret", "POST", f"{ONE}/actions/rotate", h.rotate_secret, True),
    ApiRoute(
        "CancelSecretRotation",
        "POST",
        f"{ONE}/actions/cancelRotation",
        h.cancel_secret_rotation,
        True,
    ),
    ApiRoute(
        "ChangeSecretCompartment",
        "POST",
        f"{ONE}/actions/changeCompartment",
        h.change_secret_compartment,
        True,
    ),
    ApiRoute("ListSecretVersions", "GET", f"{ONE}/versions", h.list_secret_versions),
    ApiRoute("GetSecretVersion", "GET", VERSION, h.get_secret_version),
    ApiRoute(
        "ScheduleSecretVersionDeletion",
        "POST",
        f"{VERSION}/actions/scheduleDeletion",
        h.schedule_secret_version_deletion,
        True,
    ),
    ApiRoute(
        "CancelSecretVersionDeletion",
        "POST",
        f"{VERSION}/actions/cancelDeletion",
        h.cancel_secret_version_deletion,
        True,
    ),
]
