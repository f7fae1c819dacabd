"""strongroom iam explain: the decision and the statements that decided it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.key_management import models as m

from tests.integration import iam_support, support
from tests.integration.iam_support import Iam
from tests.integration.support import Server


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def explain(
    server: Server, user: str, operation: str, resource: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "strongroom.cli.main",
            "iam",
            "explain",
            "--data-dir",
            str(server.data_dir),
            "--user",
            user,
            "--operation",
            operation,
            "--resource",
            resource,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_explain_names_the_allowing_and_the_denying_statements(
    server: Server, iam: Iam, vault: m.Vault
) -> None:
    key = support.new_key(
        support.management_client(server.config, vault), server.tenancy, "AES", 32
    )
    group, person = iam.member()
    allow = f"Allow group {group.name} to use keys in tenancy"
    iam.policy(allow)

    allowed = explain(server, person.id, "Encrypt", key.id)
    assert allowed.returncode == 0, allowed.stderr
    assert "ALLOWED" in allowed.stdout and allow in allowed.stdout

    deny = f"Deny group {group.name} to {{KEY_DECRYPT}} in tenancy"
    iam.policy(deny)
    denied = explain(server, person.user.name, "Decrypt", key.id)
    assert denied.returncode == 1
    assert "DENIED" in denied.stdout and deny in denied.stdout

    nothing = explain(server, person.id, "ScheduleKeyDeletion", key.id)
    assert nothing.returncode == 1
    assert "deny by default" in nothing.stdout


def test_explain_rejects_unknown_operations_and_resources(server: Server) -> None:
    unknown_op = explain(server, server.config["user"], "FrobKey", server.tenancy)
    assert unknown_op.returncode == 2 and "Unknown operation" in unknown_op.stderr
    missing = explain(
        server, server.config["user"], "GetKey", "ocid1.key.oc1.us-ashburn-1..aaaaaaaanothere"
    )
    assert missing.returncode == 2


def test_explain_names_policies_whose_group_was_deleted(server: Server, iam: Iam) -> None:
    """The policy stays bound to the deleted group's OCID: it grants nothing; explain says so."""
    group, person = iam.member()
    policy = iam.policy(f"Allow group {group.name} to inspect compartments in tenancy")
    (membership,) = iam.admin.list_user_group_memberships(iam.tenancy, user_id=person.id).data
    iam.admin.remove_user_from_group(membership.id)
    iam.admin.delete_group(group.id)
    iam.add(person, iam.group(name=group.name))
    result = explain(server, person.id, "ListCompartments", server.tenancy)
    assert result.returncode == 1, result.stderr
    assert f"policy {policy.name!r} ({policy.id})" in result.stdout
    assert f"group '{group.name}' (bound to {group.id}, which no longer exists)" in result.stdout
