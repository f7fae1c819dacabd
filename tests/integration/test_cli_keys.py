"""``strongroom key associations|schedule-deletion`` on a served data directory: what depends
on a key, and its deletion refused while a live secret needs it unless ``--force``."""

from __future__ import annotations

import json

from oci.key_management import KmsManagementClient
from oci.key_management import models as m

from tests.integration import cli_support, secret_support
from tests.integration.support import Server


def _key_cli(server: Server, *args: str) -> tuple[int, str, str]:
    done = cli_support.run("key", *args, "--data-dir", str(server.data_dir))
    return done.returncode, done.stdout, done.stderr


def test_the_cli_lists_associations_and_needs_force_to_delete_a_key_secrets_need(
    server: Server, vault: m.Vault, kms: KmsManagementClient, aes_key: m.Key
) -> None:
    vaults = secret_support.vaults_client(server.config, server.url)
    secret = secret_support.create(vaults, vault, aes_key, b"v1")
    vaults.base_client.session.close()

    code, out, err = _key_cli(server, "associations", "--key-id", aes_key.id, "-o", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["deletionProtection"] is False
    assert shown["liveSecrets"] == 1
    assert shown["secrets"] == [
        {"id": secret.id, "name": secret.secret_name, "lifecycleState": "ACTIVE", "versions": 1}
    ]
    code, out, err = _key_cli(server, "associations", "--key-id", aes_key.id)
    assert code == 0, err
    assert f"{secret.id}  {secret.secret_name}  ACTIVE" in out

    code, out, err = _key_cli(server, "schedule-deletion", "--key-id", aes_key.id)
    assert code == 1
    assert f"1 live secret depends on key {aes_key.id}" in err and "force" in err
    code, out, err = _key_cli(server, "schedule-deletion", "--key-id", aes_key.id, "--force")
    assert code == 0, err
    assert out.startswith(f"{aes_key.id} PENDING_DELETION until ")


def test_the_cli_names_a_key_it_cannot_find(server: Server) -> None:
    missing = "ocid1.key.oc1.us-ashburn-1..aaaaaaaamissingmissingmissingmissing"
    code, _, err = _key_cli(server, "associations", "--key-id", missing)
    assert code == 1
    assert "does not exist or you are not authorized" in err
