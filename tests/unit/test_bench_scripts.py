"""The benchmarks are scripts run by hand, not tests: each must at least import against the
current code (a renamed module or helper breaks them silently otherwise)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(path.stem for path in BENCH.glob("*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_benchmark_script_imports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", [f"{name}.py"])
    module = importlib.import_module(name)
    assert module.__doc__, f"bench/{name}.py needs a docstring saying what it measures"
