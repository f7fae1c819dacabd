"""Tags through the Alibaba KMS API (TagResource, UntagResource, ListResourceTags,
TagResources, UntagResources, ListTagResources) with both official SDKs: they are the key's
freeform tags in the OCI API, Alibaba's limits hold on writes through this API only, and a bad
request stores nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aliyunsdkcore.request import RpcRequest
from aliyunsdkkms.request.v20160120.ListTagResourcesRequest import (
    ListTagResourcesRequest as CoreListTagResources,
)
from aliyunsdkkms.request.v20160120.TagResourceRequest import (
    TagResourceRequest as CoreTagResource,
)
from aliyunsdkkms.request.v20160120.TagResourcesRequest import (
    TagResourcesRequest as CoreTagResources,
)
from aliyunsdkkms.request.v20160120.UntagResourcesRequest import (
    UntagResourcesRequest as CoreUntagResources,
)
from oci.key_management import models as m

from tests.integration.alibaba.support import (
    Alibaba,
    alibaba_for,
    core_error,
    tea_models,
)
from tests.integration.iam_support import Iam
from tests.integration.support import Server, management_client


@pytest.fixture
def vault(iam: Iam, server: Server) -> m.Vault:
    return iam.vault(server.tenancy)


@pytest.fixture
def key_id(admin: Alibaba, vault: m.Vault) -> str:
    made = admin.core_call("CreateKey", DKMSInstanceId=vault.id)
    return str(made["KeyMetadata"]["KeyId"])


def _tags(pairs: dict[str, str]) -> str:
    return json.dumps([{"TagKey": k, "TagValue": v} for k, v in pairs.items()])


def _listed(admin: Alibaba, key_id: str) -> dict[str, str]:
    rows = admin.core_call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]
    assert all(r["KeyId"] == key_id for r in rows)
    return {r["TagKey"]: r["TagValue"] for r in rows}


def _core(admin: Alibaba, request: RpcRequest) -> dict[str, Any]:
    """A typed request of the core SDK (aliyunsdkkms), sent as it builds it."""
    request.set_endpoint(admin.endpoint)
    request.set_protocol_type("http")
    answer: dict[str, Any] = json.loads(admin.core().do_action_with_exception(request))
    return answer


# --- one key at a time ---------------------------------------------------------------------


def test_tag_list_and_untag_through_both_sdks(admin: Alibaba, key_id: str) -> None:
    tea = admin.tea()
    tea.tag_resource(
        tea_models.TagResourceRequest(key_id=key_id, tags=_tags({"team": "pay", "env": "prod"}))
    )
    request = CoreTagResource()
    request.set_KeyId(key_id)
    request.set_Tags(_tags({"env": "test", "cost center": "a/b_c-d.e+f=g:h@i"}))
    _core(admin, request)
    listed = tea.list_resource_tags(tea_models.ListResourceTagsRequest(key_id=key_id)).body
    found = {t.tag_key: (t.tag_value, t.key_id) for t in listed.tags.tag}
    assert found == {
        "team": ("pay", key_id),
        "env": ("test", key_id),  # written again: the new value
        "cost center": ("a/b_c-d.e+f=g:h@i", key_id),
    }
    tea.untag_resource(tea_models.UntagResourceRequest(key_id=key_id, tag_keys='["team"]'))
    admin.core_call("UntagResource", KeyId=key_id, TagKeys=json.dumps(["env", "absent"]))
    assert _listed(admin, key_id) == {"cost center": "a/b_c-d.e+f=g:h@i"}
    # The v1 signature of the Tea SDK too.
    admin.tea(v2=True).tag_resource(
        tea_models.TagResourceRequest(key_id=key_id, tags=_tags({"v": "2"}))
    )
    assert _listed(admin, key_id)["v"] == "2"


def test_tags_are_the_keys_freeform_tags_in_the_oci_api(
    admin: Alibaba, server: Server, vault: m.Vault, key_id: str
) -> None:
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({"owner": "ops"}))
    management = management_client(server.config, vault)
    assert management.get_key(key_id).data.freeform_tags == {"owner": "ops"}
    # OCI writes tags Alibaba would refuse (reserved prefix, long value, 25 of them, a
    # character outside Alibaba's set): the Alibaba reads list them all the same.
    oci_tags = {f"t{i}": "x" for i in range(22)}
    oci_tags |= {"aliyun:owner": "oci", "long": "v" * 200, "naïve": "é"}
    management.update_key(key_id, m.UpdateKeyDetails(freeform_tags=oci_tags))
    assert _listed(admin, key_id) == oci_tags
    rows = admin.core_call("ListTagResources", ResourceType="key", **{"ResourceId.1": key_id})
    found = {r["TagKey"]: r["TagValue"] for r in rows["TagResources"]["TagResource"]}
    assert found == oci_tags
    # An Alibaba write is checked on the key's resulting tags; removing is never refused.
    refused = core_error(admin, "TagResource", KeyId=key_id, Tags=_tags({"a": "b"}))
    assert refused.error_code == "Tag.LimitExceeded"
    admin.core_call("UntagResource", KeyId=key_id, TagKeys=json.dumps(["t0", "t1"]))
    admin.core_call("UntagResource", KeyId=key_id, TagKeys=json.dumps(["t2", "t3", "t4", "t5"]))
    refused = core_error(admin, "TagResource", KeyId=key_id, Tags=_tags({"a": "b"}))
    assert refused.error_code == "InvalidParameter"  # aliyun:owner is kept, and reserved
    gone = json.dumps(["aliyun:owner", "long", "naïve"])
    admin.core_call("UntagResource", KeyId=key_id, TagKeys=gone)
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({"a": "b"}))
    assert management.get_key(key_id).data.freeform_tags == {
        **{f"t{i}": "x" for i in range(6, 22)},
        "a": "b",
    }


def test_tagging_works_while_disabled_and_not_pending_deletion(admin: Alibaba, key_id: str) -> None:
    admin.core_call("DisableKey", KeyId=key_id)
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({"state": "disabled"}))
    admin.core_call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7")
    for action, params in (
        ("TagResource", {"Tags": _tags({"state": "pending"})}),
        ("UntagResource", {"TagKeys": '["state"]'}),
    ):
        error = core_error(admin, action, KeyId=key_id, **params)
        assert (error.http_status, error.error_code) == (409, "Rejected.PendingDeletion")
    assert _listed(admin, key_id) == {"state": "disabled"}  # reads still answer


def test_a_key_named_by_its_alias(admin: Alibaba, key_id: str) -> None:
    alias = f"alias/tags-{uuid.uuid4().hex[:8]}"
    admin.core_call("CreateAlias", AliasName=alias, KeyId=key_id)
    admin.core_call("TagResource", KeyId=alias, Tags=_tags({"by": "alias"}))
    rows = admin.core_call("ListResourceTags", KeyId=alias)["Tags"]["Tag"]
    assert rows == [{"TagKey": "by", "TagValue": "alias", "KeyId": key_id}]


# --- several keys at a time ----------------------------------------------------------------


def test_tag_resources_and_list_them_through_both_sdks(admin: Alibaba, vault: m.Vault) -> None:
    first, second = (
        admin.core_call("CreateKey", DKMSInstanceId=vault.id)["KeyMetadata"]["KeyId"]
        for _ in range(2)
    )
    label = f"project-{uuid.uuid4().hex[:8]}"
    tea = admin.tea()
    tea.tag_resources(
        tea_models.TagResourcesRequest(
            region_id="cn-hangzhou",
            resource_type="key",
            resource_id=[first, second],
            tag=[
                tea_models.TagResourcesRequestTag(key=label, value="blue"),
                tea_models.TagResourcesRequestTag(key="tier", value="1"),
            ],
        )
    )
    request = CoreTagResources()
    request.set_ResourceType("key")
    request.set_ResourceIds([second])
    request.set_Tags([{"Key": label, "Value": "green"}, {"Key": "solo"}])
    _core(admin, request)
    assert _listed(admin, first) == {label: "blue", "tier": "1"}
    assert _listed(admin, second) == {label: "green", "tier": "1", "solo": ""}

    # Filtered by tag over the whole tenancy: the resources with it, the rows of that tag.
    listed = tea.list_tag_resources(
        tea_models.ListTagResourcesRequest(
            region_id="cn-hangzhou",
            resource_type="key",
            tag=[tea_models.ListTagResourcesRequestTag(key=label)],
        )
    ).body
    rows = {
        (r.resource_id, r.resource_type, r.tag_key, r.tag_value)
        for r in listed.tag_resources.tag_resource
    }
    assert rows == {(first, "key", label, "blue"), (second, "key", label, "green")}
    assert not listed.next_token
    core_list = CoreListTagResources()
    core_list.set_ResourceType("key")
    core_list.set_Tags([{"Key": label, "Value": "green"}])
    found = _core(admin, core_list)["TagResources"]["TagResource"]
    assert [(r["ResourceId"], r["TagValue"]) for r in found] == [(second, "green")]

    # By resource id, a page at a time (MaxResults, NextToken).
    pages, token = [], ""
    while True:
        extra = {"NextToken": token} if token else {}
        page = admin.core_call(
            "ListTagResources",
            ResourceType="key",
            MaxResults="2",
            **{"ResourceId.1": second, "ResourceId.2": first},
            **extra,
        )
        pages.append(page["TagResources"]["TagResource"])
        token = page["NextToken"]
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    rows_in_order = [(r["ResourceId"], r["TagKey"]) for p in pages for r in p]
    assert sorted(rows_in_order) == rows_in_order and len(set(rows_in_order)) == 5


def test_untag_resources_through_both_sdks(admin: Alibaba, vault: m.Vault) -> None:
    first, second = (
        admin.core_call("CreateKey", DKMSInstanceId=vault.id)["KeyMetadata"]["KeyId"]
        for _ in range(2)
    )
    for key in (first, second):
        admin.core_call("TagResource", KeyId=key, Tags=_tags({"a": "1", "b": "2", "c": "3"}))
    admin.tea().untag_resources(
        tea_models.UntagResourcesRequest(
            region_id="cn-hangzhou",
            resource_type="key",
            resource_id=[first, second],
            tag_key=["a", "b"],
        )
    )
    assert _listed(admin, first) == _listed(admin, second) == {"c": "3"}
    request = CoreUntagResources()
    request.set_ResourceType("key")
    request.set_ResourceIds([first])
    request.set_All(True)
    _core(admin, request)
    assert _listed(admin, first) == {} and _listed(admin, second) == {"c": "3"}


# --- bad input -----------------------------------------------------------------------------


def test_bad_tags_are_refused_and_nothing_is_stored(admin: Alibaba, key_id: str) -> None:
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({"keep": "me"}))
    many = {f"k{i}": "v" for i in range(21)}
    refused = {
        "too many": (_tags(many), "Tag.LimitExceeded"),
        "long key": (_tags({"k" * 129: "v"}), "InvalidParameter"),
        "long value": (_tags({"k": "v" * 129}), "InvalidParameter"),
        "aliyun": (_tags({"aliyun-owner": "x"}), "InvalidParameter"),
        "acs:": (_tags({"ACS:owner": "x"}), "InvalidParameter"),
        "character": (_tags({"a*b": "x"}), "InvalidParameter"),
        "value character": (_tags({"ok": "semi;colon"}), "InvalidParameter"),
        "empty key": (_tags({"": "x"}), "InvalidParameter"),
        "malformed JSON": ('[{"TagKey": "a", ', "InvalidParameter"),
        "not a list": ('{"TagKey": "a"}', "InvalidParameter"),
        "not strings": ('[{"TagKey": 1, "TagValue": "a"}]', "InvalidParameter"),
        "empty list": ("[]", "InvalidParameter"),
    }
    for why, (tags, code) in refused.items():
        error = core_error(admin, "TagResource", KeyId=key_id, Tags=tags)
        assert (error.http_status, error.error_code) == (400, code), why
    # 19 more fit; a 21st on the key does not.
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({f"k{i}": "v" for i in range(19)}))
    error = core_error(admin, "TagResource", KeyId=key_id, Tags=_tags({"one": "more"}))
    assert error.error_code == "Tag.LimitExceeded"
    assert core_error(admin, "TagResource", KeyId=key_id).error_code == "MissingParameter"
    for bad in ("not json", '"a"', "[1]", "[]"):
        error = core_error(admin, "UntagResource", KeyId=key_id, TagKeys=bad)
        assert error.error_code == "InvalidParameter", bad
    assert _listed(admin, key_id) == {"keep": "me", **{f"k{i}": "v" for i in range(19)}}


def test_bad_several_resource_requests_store_nothing(
    admin: Alibaba, key_id: str, vault: m.Vault
) -> None:
    other = admin.core_call("CreateKey", DKMSInstanceId=vault.id)["KeyMetadata"]["KeyId"]
    admin.core_call("TagResource", KeyId=other, Tags=_tags({f"k{i}": "v" for i in range(20)}))
    both = {"ResourceId.1": key_id, "ResourceId.2": other}
    # The second key would have 21 tags: neither key changes.
    full = core_error(admin, "TagResources", ResourceType="key", **both, **{"Tag.1.Key": "new"})
    assert full.error_code == "Tag.LimitExceeded"
    missing = {"ResourceId.1": key_id, "ResourceId.2": "ocid1.key.oc1..missing"}
    error = core_error(admin, "TagResources", ResourceType="key", **missing, **{"Tag.1.Key": "x"})
    assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound")
    assert _listed(admin, key_id) == {}
    for params, code in (
        ({"ResourceType": "key", "Tag.1.Key": "x"}, "MissingParameter"),
        ({"ResourceType": "key", "ResourceId.1": key_id}, "MissingParameter"),
        ({"ResourceId.1": key_id, "Tag.1.Key": "x"}, "MissingParameter"),
        (
            {"ResourceType": "instance", "ResourceId.1": key_id, "Tag.1.Key": "x"},
            "InvalidParameter",
        ),
        ({"ResourceType": "key", "ResourceId.1": key_id, "Tag.1.Value": "x"}, "InvalidParameter"),
        ({"ResourceType": "key", "ResourceId.1": key_id, "Tag.1.Key": "acs:x"}, "InvalidParameter"),
        ({"ResourceType": "key", "ResourceId.x": key_id, "Tag.1.Key": "x"}, "InvalidParameter"),
    ):
        assert core_error(admin, "TagResources", **params).error_code == code, params
    untag = core_error(admin, "UntagResources", ResourceType="key", **{"ResourceId.1": key_id})
    assert untag.error_code == "MissingParameter"  # neither TagKey.N nor All
    token = core_error(admin, "ListTagResources", ResourceType="key", NextToken="garbage!")
    assert token.error_code == "InvalidParameter"
    assert _listed(admin, key_id) == {}


def test_unknown_keys_and_callers_without_permission_see_nothing(
    admin: Alibaba, iam: Iam, server: Server, key_id: str
) -> None:
    admin.core_call("TagResource", KeyId=key_id, Tags=_tags({"secret": "project"}))
    missing = "ocid1.key.oc1..missing"
    for action, params in (
        ("TagResource", {"KeyId": missing, "Tags": _tags({"a": "b"})}),
        ("UntagResource", {"KeyId": missing, "TagKeys": '["a"]'}),
        ("ListResourceTags", {"KeyId": missing}),
        ("ListTagResources", {"ResourceType": "key", "ResourceId.1": missing}),
        ("UntagResources", {"ResourceType": "key", "ResourceId.1": missing, "All": "true"}),
    ):
        error = core_error(admin, action, **params)
        assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound"), action
    nobody = alibaba_for(server, iam.person().id)
    for action, params in (
        ("TagResource", {"KeyId": key_id, "Tags": _tags({"a": "b"})}),
        ("UntagResource", {"KeyId": key_id, "TagKeys": '["secret"]'}),
        ("ListResourceTags", {"KeyId": key_id}),
        ("ListTagResources", {"ResourceType": "key", "ResourceId.1": key_id}),
    ):
        error = core_error(nobody, action, **params)
        assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound"), action
    listed = nobody.core_call("ListTagResources", ResourceType="key", **{"Tag.1.Key": "secret"})
    assert listed["TagResources"]["TagResource"] == []
    # Reading keys is not updating them: the tags list, a write looks missing.
    readers = iam.group()
    iam.policy(f"Allow group {readers.name} to read keys in tenancy")
    reader = alibaba_for(server, iam.person(readers).id)
    assert _listed(reader, key_id) == {"secret": "project"}
    error = core_error(reader, "TagResource", KeyId=key_id, Tags=_tags({"a": "b"}))
    assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound")
    assert _listed(admin, key_id) == {"secret": "project"}
