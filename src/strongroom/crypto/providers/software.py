"""SOFTWARE protection: material generated here, sealed by the barrier, cached in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict

from strongroom.crypto import keymaterial
from strongroom.crypto.providers.base import NewMaterial, Sealer
from strongroom.domain.key import KeyShape


class SoftwareProvider:
    """Key material that exists in plaintext only in this process's memory."""

    def __init__(self, sealer: Sealer, cache_size: int = 20_000) -> None:
        self._sealer = sealer
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def create(self, shape: KeyShape, version_id: str) -> NewMaterial:
        material = keymaterial.generate(shape)
        public = None if shape.is_symmetric else keymaterial.public_pem(material)
        return NewMaterial(self._sealer.seal(material, _identity(version_id)), public)

    def material(self, stored: bytes, version_id: str) -> bytes:
        with self._lock:
            cached = self._cache.get(version_id)
            if cached is not None:
                self._cache.move_to_end(version_id)
                return cached
        material = self._sealer.open(stored, _identity(version_id))
        with self._lock:
            self._cache[version_id] = material
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return material


def _identity(version_id: str) -> str:
    return f"key_versions/{version_id}/material"
