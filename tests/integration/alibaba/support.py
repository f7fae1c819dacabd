"""Reaching a test server's Alibaba KMS API with both official Python SDKs: the Tea SDK
(alibabacloud_kms20160120, ACS3-HMAC-SHA256, or HMAC-SHA1 with ``v2``) and the core SDK
(aliyun-python-sdk-kms + -core, HMAC-SHA1 in the query)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from alibabacloud_kms20160120 import models as tea_models
from alibabacloud_kms20160120.client import Client as TeaClient
from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.utils_models import OpenApiRequest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest
from darabonba.runtime import RuntimeOptions
from oci.identity import IdentityClient
from oci.identity import models as im
from Tea.exceptions import TeaException

from tests.alibaba_sdk import tea_rpc_params
from tests.integration.support import NO_RETRY, Server

__all__ = [
    "Alibaba",
    "CoreError",
    "TeaError",
    "alibaba_for",
    "core_error",
    "tea_call",
    "tea_models",
]

TeaError = TeaException
CoreError = ServerException


@dataclass
class Alibaba:
    """One user's access key, and clients of both SDKs signing with it."""

    endpoint: str
    access_key_id: str
    secret: str

    def tea(self, v2: bool = False) -> TeaClient:
        config = Config(
            access_key_id=self.access_key_id,
            access_key_secret=self.secret,
            endpoint=self.endpoint,
            protocol="http",
            signature_algorithm="v2" if v2 else None,
        )
        return TeaClient(config)

    def core(self) -> AcsClient:
        return AcsClient(self.access_key_id, self.secret, "cn-hangzhou")

    def core_call(self, action: str, **params: Any) -> dict[str, Any]:
        """An action through the core SDK's generic RPC request (every parameter in the
        query), its JSON answer."""
        request = RpcRequest("Kms", "2016-01-20", action)
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        request.set_method("POST")
        for name, value in params.items():
            request.add_query_param(name, value)
        answer: dict[str, Any] = json.loads(self.core().do_action_with_exception(request))
        return answer


def alibaba_for(server: Server, user_id: str | None = None) -> Alibaba:
    """A new customer secret key of ``user_id`` (the administrator by default)."""
    identity = IdentityClient(server.config, service_endpoint=server.url, retry_strategy=NO_RETRY)
    user = user_id or str(server.config["user"])
    details = im.CreateCustomerSecretKeyDetails(display_name="alibaba")
    made = identity.create_customer_secret_key(details, user).data
    return Alibaba(urlsplit(server.url).netloc, made.id, made.key)


def core_error(client: Alibaba, action: str, **params: Any) -> ServerException:
    """The error an action through the core SDK must end in."""
    with pytest.raises(ServerException) as caught:
        client.core_call(action, **params)
    return caught.value


def tea_call(client: Alibaba, action: str, **query: str) -> dict[str, Any]:
    """An action through the Tea SDK's generic ``call_api`` (ACS3-HMAC-SHA256), its body."""
    request = OpenApiRequest(query=query)
    answer = client.tea().call_api(tea_rpc_params(action), request, RuntimeOptions())
    body: dict[str, Any] = answer["body"]
    return body
