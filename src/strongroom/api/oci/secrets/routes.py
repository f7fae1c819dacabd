"""Routes of the VaultsClient secret management API (/20180608/secrets) and of the
SecretsClient retrieval API (/20190301/secretbundles)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from strongroom.api.oci.endpoint import Api, Handler, RouteRow, endpoint, routes
from strongroom.api.oci.hot_routes import HotRoutes
from strongroom.api.oci.secrets import bundles as b
from strongroom.api.oci.secrets import secrets as h

SECRETS = "/20180608/secrets"
ONE = f"{SECRETS}/{{secretId}}"
VERSION = f"{ONE}/version/{{secretVersionNumber}}"
BUNDLES = "/20190301/secretbundles"


def bundle_read_routes(api: Api, hot: HotRoutes) -> list[BaseRoute]:
    """GetSecretBundle and GetSecretBundleByName, bound to ``api``, registered in ``hot``.

    The hot reads (see hot_routes). They only read, so they run on the event loop when
    everything they need is cached (see endpoint(inline=...)).
    """
    reads: list[tuple[str, str, Handler]] = [
        (f"{BUNDLES}/{{secretId}}", "GET", b.get),
        (f"{BUNDLES}/actions/getByName", "POST", b.get_by_name),
    ]
    return [
        hot.route(path, method, endpoint(api, handler, inline=True))
        for path, method, handler in reads
    ]


def secret_routes(api: Api) -> list[BaseRoute]:
    """Every other secrets route, bound to ``api``; actions accept opc-retry-token."""
    table: list[RouteRow] = [
        (f"{BUNDLES}/{{secretId}}/versions", "GET", b.list_versions, False),
        (SECRETS, "POST", h.create, True),
        (SECRETS, "GET", h.list_, False),
        (ONE, "GET", h.get, False),
        (ONE, "PUT", h.update, False),
        (f"{ONE}/actions/scheduleDeletion", "POST", h.schedule_deletion, True),
        (f"{ONE}/actions/cancelDeletion", "POST", h.cancel_deletion, True),
        (f"{ONE}/actions/rotate", "POST", h.rotate, True),
        (f"{ONE}/actions/cancelRotation", "POST", h.cancel_rotation, True),
        (f"{ONE}/actions/changeCompartment", "POST", h.change_compartment, True),
        (f"{ONE}/versions", "GET", h.list_versions, False),
        (VERSION, "GET", h.get_version, False),
        (f"{VERSION}/actions/scheduleDeletion", "POST", h.schedule_version_deletion, True),
        (f"{VERSION}/actions/cancelDeletion", "POST", h.cancel_version_deletion, True),
    ]
    return routes(api, table)
