"""A data directory made before master keys had records (its key id ``internal-<hex>``, no
``master_keys`` row) unseals, reports a UUID key id, and rekeys."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import delete, update

from strongroom.app import initialize, open_deps
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.config import Settings
from strongroom.domain.at_rest import ManagementType, master_key_uuid
from strongroom.services.at_rest.async_results import GetAsyncResultRequest, get_async_result
from strongroom.services.at_rest.master_key_info import (
    GetSoftwareEncryptionAtRestInfoRequest,
    software_encryption_info,
)
from strongroom.services.at_rest.rekey import RekeyMasterKeyRequest, rekey_master_key
from strongroom.services.identity.bootstrap import AdminIdentity
from strongroom.storage import schema
from tests.usecases import support
from tests.usecases.conftest import close_deps

LEGACY_ID = "internal-0123456789abcdef"


def _make_legacy(data_dir: Path) -> None:
    """Rewrite a fresh data directory as an older Strongroom left it."""
    path = data_dir / InternalMasterKey.FILENAME
    _, hex_key = path.read_text("ascii").split()
    path.write_text(f"{LEGACY_ID}\n{hex_key}\n", "ascii")
    deps = open_deps(Settings(data_dir=data_dir))
    try:
        with deps.db.engine.begin() as conn:
            conn.execute(delete(schema.master_keys))
            conn.execute(update(schema.barrier_keyring).values(master_key_id=LEGACY_ID))
    finally:
        close_deps(deps)


def test_a_legacy_data_directory_unseals_and_rekeys(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, "us-ashburn-1")
    before = open_deps(Settings(data_dir=data_dir))
    sealed = before.barrier.seal(b"kept", "rows/legacy")
    close_deps(before)
    _make_legacy(data_dir)

    deps = open_deps(Settings(data_dir=data_dir))
    try:
        assert not deps.barrier.sealed
        assert deps.barrier.open(sealed, "rows/legacy") == b"kept"
        state = json.loads((data_dir / "strongroom.json").read_text())
        call = support.admin_call(deps, AdminIdentity(**state["admin"]))
        info = software_encryption_info(deps, call, GetSoftwareEncryptionAtRestInfoRequest())
        assert info.key_id == master_key_uuid(LEGACY_ID)
        handle = rekey_master_key(deps, call, RekeyMasterKeyRequest(ManagementType.INTERNAL))
        deadline = time.monotonic() + 20
        while True:
            result = get_async_result(deps, call, GetAsyncResultRequest(handle, True))
            if result.status == "complete" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert result.error is None, result.error
        assert InternalMasterKey.load(data_dir).key_id != LEGACY_ID
    finally:
        close_deps(deps)
    again = open_deps(Settings(data_dir=data_dir))
    try:
        assert again.barrier.open(sealed, "rows/legacy") == b"kept"
    finally:
        close_deps(again)
