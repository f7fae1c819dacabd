"""What both Alibaba test harnesses (the unit tests' capture server and the integration tests'
real server) tell the Tea SDK for a generic RPC call (``call_api``)."""

from __future__ import annotations

from alibabacloud_tea_openapi.utils_models import Params

__all__ = ["tea_rpc_params"]


def tea_rpc_params(action: str) -> Params:
    """The Tea SDK's description of a KMS 2016-01-20 RPC action (``POST /``, a form body)."""
    return Params(
        action=action,
        version="2016-01-20",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
