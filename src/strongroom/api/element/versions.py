"""GetAPI: the API versions this endpoint answers (the SDK's ElementFactory asks first)."""

from __future__ import annotations

from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import Values
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = ["CURRENT_VERSION", "METHODS", "SUPPORTED_VERSIONS", "get_api", "is_supported"]

CURRENT_VERSION = "12.3"
SUPPORTED_VERSIONS = (
    "1.0",
    "2.0",
    "3.0",
    "4.0",
    "5.0",
    "6.0",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "8.0",
    "8.1",
    "8.2",
    "8.3",
    "8.4",
    "9.0",
    "9.1",
    "9.2",
    "9.3",
    "9.4",
    "9.5",
    "9.6",
    "10.0",
    "10.1",
    "10.2",
    "10.3",
    "10.4",
    "10.5",
    "10.6",
    "10.7",
    "11.0",
    "11.1",
    "11.3",
    "11.5",
    "11.7",
    "11.8",
    "12.0",
    "12.2",
    "12.3",
)
_SUPPORTED = frozenset(float(v) for v in SUPPORTED_VERSIONS)


def is_supported(version: str) -> bool:
    """Whether the path's version (``12.3``, ``7.0``, ``7``) is one this endpoint answers."""
    if not version or len(version) > 8 or not version.replace(".", "", 1).isdigit():
        return False
    return float(version) in _SUPPORTED


def get_api(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """GetAPI → ``currentVersion`` and ``supportedVersions`` (strings, as Element sends)."""
    return {"currentVersion": CURRENT_VERSION, "supportedVersions": list(SUPPORTED_VERSIONS)}


METHODS = (ElementMethod("GetAPI", get_api),)
