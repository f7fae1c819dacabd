"""Fixtures of the Alibaba KMS API's integration tests: the administrator's IAM helper, an
access key of a user allowed to manage everything, and a vault (a KMS instance)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import iam_support
from tests.integration.alibaba.support import Alibaba, alibaba_for
from tests.integration.iam_support import Iam
from tests.integration.support import Server


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


@pytest.fixture
def admin(iam: Iam, server: Server) -> Alibaba:
    """An access key of a new user allowed to manage everything."""
    group = iam.group()
    iam.policy(f"Allow group {group.name} to manage all-resources in tenancy")
    return alibaba_for(server, iam.person(group).id)


@pytest.fixture
def vault_id(iam: Iam, server: Server) -> str:
    return str(iam.vault(server.tenancy).id)


@pytest.fixture
def key_id(admin: Alibaba, vault_id: str) -> str:
    """A new AES-256 key in ``vault_id``, made through the Alibaba API."""
    return str(admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"])
