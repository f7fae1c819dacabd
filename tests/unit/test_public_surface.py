"""The public surface of the core packages is pinned by ``__all__`` (in the spirit of httpx's
``tests/test_exported_members.py``).

For every module of the domain, IAM, crypto (top level), barrier, services and the OCI,
Alibaba and Element adapter packages: ``__all__`` exists, every name it lists exists, and every
public function or class *defined* in the module is listed. (Package ``__init__`` modules hold
only docstrings.)
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import strongroom.api.alibaba
import strongroom.api.element
import strongroom.api.oci
import strongroom.barrier
import strongroom.crypto
import strongroom.domain
import strongroom.iam
import strongroom.services

# Package -> whether its subpackages are covered too.
PACKAGES: dict[ModuleType, bool] = {
    strongroom.domain: False,
    strongroom.iam: False,
    strongroom.crypto: False,
    strongroom.barrier: False,
    strongroom.services: True,
    strongroom.api.oci: True,
    strongroom.api.alibaba: True,
    strongroom.api.element: True,
}


def _module_names() -> list[str]:
    names: list[str] = []
    for package, recursive in PACKAGES.items():
        prefix = f"{package.__name__}."
        if recursive:
            found = pkgutil.walk_packages(package.__path__, prefix)
        else:
            found = pkgutil.iter_modules(package.__path__, prefix)
        names.extend(info.name for info in found if not info.ispkg)
    return sorted(names)


MODULES = _module_names()


def _defined_public(module: ModuleType) -> set[str]:
    """Public functions and classes defined in ``module`` (not imported into it)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }


def test_the_packages_have_modules() -> None:
    assert "strongroom.services.caches" in MODULES
    assert "strongroom.api.oci.endpoint" in MODULES
    assert "strongroom.crypto.aead" in MODULES
    assert not any(name.startswith("strongroom.crypto.providers") for name in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_the_public_surface(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = sorted(n for n in exported if not hasattr(module, n))
    assert missing == [], f"{name}.__all__ lists names it does not have: {missing}"
    unlisted = sorted(_defined_public(module) - set(exported))
    assert unlisted == [], f"{name} defines public names not in __all__: {unlisted}"
