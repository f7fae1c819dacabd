"""The HMAC-SHA1 string to sign taken from a raw query already in canonical form is the one
built from the decoded parameters; a query in any other form is left to the slow path."""

from __future__ import annotations

import base64
import os

import pytest
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest

from strongroom.api.alibaba import canonical
from strongroom.api.alibaba.request_params import request_params


def _sdk_query(plaintext: bytes, context: str) -> str:
    request = EncryptRequest()
    request.set_KeyId("alias/orders-é")
    request.set_Plaintext(base64.b64encode(plaintext).decode())
    request.set_EncryptionContext(context)
    request.set_accept_format("JSON")
    url = request.get_url("cn-hangzhou", "an-access-key", "a-secret")
    return str(url).split("?", 1)[1]


@pytest.mark.parametrize("size", [1, 2, 3, 31, 32, 64])
def test_the_sdks_queries_give_the_same_string_to_sign(size: int) -> None:
    query = _sdk_query(os.urandom(size), '{"order": "4 2*~", "漢": "字"}')
    params = dict(request_params(query, {}, b"").all)
    del params["Signature"]
    fast = canonical.rpc_string_to_sign_from_query("POST", query)
    assert fast is not None
    assert fast == canonical.rpc_string_to_sign("POST", params)


@pytest.mark.parametrize(
    "query",
    ["a=%41", "a=%2b", "a=b+c", "a", "a=1&&b=2", "A%42=1", "a=%4", "a=%", "=1", "a=b=c", "a=é"],
)
def test_other_forms_are_left_to_the_decoding_path(query: str) -> None:
    assert canonical.rpc_string_to_sign_from_query("POST", query) is None
