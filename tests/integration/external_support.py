"""Helpers for EXTERNAL vault tests: a real `strongroom-ekm` proxy behind a real Strongroom.

EKMS tokens come from Strongroom's own token endpoint (an OAuth2 client credential of a user,
scoped to the proxy's vault URL); the proxy checks them against Strongroom's JWKS. XKS vaults
use the proxy's SigV4 credential.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from oci.identity import models as im
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from strongroom.services.ekm_port import EkmSettings
from tests.ekm_support import EkmProxy, wait_reload
from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.iam_support import identity_client
from tests.integration.support import Server

SCOPE = "oci_ekms"
# Generous for tests on a loaded machine (the EKM's first call fetches a token and a JWKS);
# the default budget (0.25 s) is tested on its own.
TEST_TIMEOUT = 2.0


@dataclass(frozen=True)
class EkmsClient:
    """An OAuth2 client credential Strongroom uses to get EKMS tokens from itself."""

    client_id: str
    secret: str


@contextmanager
def ekm_settings(server: Server, **changes: Any) -> Iterator[EkmSettings]:
    """Change the running server's EKM settings for a block (new connections use them)."""
    before = server.deps.ekm_settings
    server.deps.ekm_settings = replace(before, **changes)
    try:
        yield server.deps.ekm_settings
    finally:
        server.deps.ekm_settings = before


def trust_strongroom_tokens(server: Server, proxy: EkmProxy) -> None:
    """Make the proxy accept EKMS tokens issued by Strongroom's token endpoint."""
    issuer = f"{server.url}/oauth2/v1"
    proxy.cli("jwt", "set", "--issuer", issuer, "--jwks-url", f"{issuer}/keys")
    wait_reload()


def ekms_client(server: Server, audience: str) -> EkmsClient:
    """A new user with an OAuth2 client credential for ``audience`` (scope oci_ekms)."""
    admin = identity_client(server.config, server.url)
    user = admin.create_user(
        im.CreateUserDetails(
            compartment_id=server.tenancy, name=f"ekm-{uuid.uuid4().hex[:10]}", description="EKM"
        )
    ).data
    details = im.CreateOAuth2ClientCredentialDetails(
        name=f"ekm-{uuid.uuid4().hex[:8]}",
        description="Strongroom to its EKM",
        scopes=[im.FullyQualifiedScope(audience=audience, scope=SCOPE)],
    )
    credential = admin.create_o_auth_client_credential(user.id, details).data
    return EkmsClient(credential.id, credential.password)


def ekms_metadata(
    server: Server, proxy: EkmProxy, client: EkmsClient
) -> m.ExternalKeyManagerMetadata:
    return m.ExternalKeyManagerMetadata(
        external_vault_endpoint_url=proxy.vault_url,
        oauth_metadata=m.OauthMetadata(
            idcs_account_name_url=server.url,
            client_app_id=client.client_id,
            client_app_secret=client.secret,
        ),
    )


def xks_metadata(proxy: EkmProxy) -> m.ExternalKeyManagerMetadata:
    return m.ExternalKeyManagerMetadata(
        external_vault_endpoint_url=proxy.xks_url,
        oauth_metadata=m.OauthMetadata(
            idcs_account_name_url="https://idp.example",
            client_app_id=proxy.access_key_id,
            client_app_secret=proxy.secret_access_key,
        ),
    )


def external_vault(
    vaults: KmsVaultClient, tenancy: str, metadata: m.ExternalKeyManagerMetadata
) -> m.Vault:
    details = m.CreateVaultDetails(
        compartment_id=tenancy,
        display_name=f"ext-{uuid.uuid4().hex[:8]}",
        vault_type="EXTERNAL",
        external_key_manager_metadata=metadata,
    )
    vault: m.Vault = vaults.create_vault(details).data
    return vault


def external_key(
    kms: KmsManagementClient, tenancy: str, external_key_id: str, length: int = 32
) -> m.Key:
    details = m.CreateKeyDetails(
        compartment_id=tenancy,
        display_name=f"ext-key-{uuid.uuid4().hex[:6]}",
        key_shape=m.KeyShape(algorithm="AES", length=length),
        protection_mode="EXTERNAL",
        external_key_reference=m.ExternalKeyReference(external_key_id=external_key_id),
    )
    key: m.Key = kms.create_key(details).data
    return key


@dataclass
class ExternalVault:
    """An EXTERNAL vault on a running proxy, with its SDK clients."""

    vault: m.Vault
    kms: KmsManagementClient
    crypto: KmsCryptoClient
    proxy: EkmProxy


def open_vault(
    server: Server, vaults: KmsVaultClient, metadata: m.ExternalKeyManagerMetadata, proxy: EkmProxy
) -> ExternalVault:
    vault = external_vault(vaults, server.tenancy, metadata)
    return ExternalVault(
        vault,
        support.management_client(server.config, vault),
        support.crypto_client(server.config, vault),
        proxy,
    )


def encrypt(
    crypto: KmsCryptoClient, key_id: str, plaintext: bytes, aad: dict[str, str] | None = None
) -> m.EncryptedData:
    details = m.EncryptDataDetails(key_id=key_id, plaintext=b64e(plaintext), associated_data=aad)
    data: m.EncryptedData = crypto.encrypt(details).data
    return data


def decrypt(
    crypto: KmsCryptoClient, key_id: str, ciphertext: str, aad: dict[str, str] | None = None
) -> bytes:
    details = m.DecryptDataDetails(key_id=key_id, ciphertext=ciphertext, associated_data=aad)
    return b64d(crypto.decrypt(details).data.plaintext)


def workdir(base: Path, name: str) -> Path:
    path = base / f"{name}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    return path


_SCAN = """
import json, pathlib, sys
data_dir, needles = pathlib.Path(sys.argv[1]), json.loads(sys.stdin.read())
stored = b"".join(p.read_bytes() for p in sorted(data_dir.glob("strongroom.db*")))
print(json.dumps([bytes.fromhex(n) in stored for n in needles]))
"""


def found_in_storage(server: Server, needles: Sequence[bytes]) -> list[bool]:
    """Which ``needles`` occur in the bytes of the server's SQLite files (database, WAL).

    Read by another process: closing a file descriptor of the database in the server's own
    process would drop SQLite's POSIX locks on it (the in-process server's connections).
    """
    done = subprocess.run(
        [sys.executable, "-c", _SCAN, str(server.data_dir)],
        input=json.dumps([n.hex() for n in needles]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: list[bool] = json.loads(done.stdout)
    return found


_MATERIAL_SCAN = """
import base64, json, pathlib, re, sys
from strongroom.crypto import aead
from strongroom.ekm_proxy.config import KEYS_FILE, MASTER_KEY_FILE
from strongroom.ekm_proxy.keystore import load_keys

ekm_dir, data_dir, pid = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
controls = [bytes.fromhex(c) for c in json.loads(sys.stdin.read())]
master = aead.cipher((ekm_dir / MASTER_KEY_FILE).read_bytes())
keys = []
for record in load_keys(ekm_dir / KEYS_FILE).values():
    for version in record.versions.values():
        aad = f"strongroom-ekm/software/v1|{record.key_id}|{version.version_id}".encode()
        keys.append(aead.open_sealed(master, base64.b64decode(version.sealed), aad))
needles = [f for k in keys for f in (k, base64.b64encode(k), k.hex().encode())]
stored = b"".join(p.read_bytes() for p in sorted(data_dir.glob("strongroom.db*")))
in_storage = sum(n in stored for n in needles)
in_memory, scanned, controls_found = 0, 0, set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        span, perms = line.split()[:2]
        if not perms.startswith("r") or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = (int(x, 16) for x in span.split("-"))
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except (OSError, ValueError, OverflowError):
            continue
        scanned += len(chunk)
        in_memory += sum(n in chunk for n in needles)
        controls_found.update(i for i, c in enumerate(controls) if c in chunk)
print(json.dumps({"keys": len(keys), "storage": in_storage, "memory": in_memory,
                  "scanned": scanned, "controls": len(controls_found)}))
"""


def material_scan(
    server: Server, proxy: EkmProxy, pid: int, controls: Sequence[bytes] = ()
) -> dict[str, int]:
    """Open the proxy's software keystore in another process and count where its key material
    (raw, base64, hex) occurs: in Strongroom's SQLite files, and in process ``pid``'s memory;
    also how many of ``controls`` (bytes known to be in that memory) the scan found.

    Nothing of the material passes through the calling process.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MATERIAL_SCAN, str(proxy.data_dir), str(server.data_dir), str(pid)],
        input=json.dumps([c.hex() for c in controls]),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found: dict[str, int] = json.loads(done.stdout)
    return found
