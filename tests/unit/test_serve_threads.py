"""How ``serve`` sets up the interpreter before it serves."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from strongroom.cli import banner, main
from strongroom.config import Settings


def test_serve_shortens_the_gil_switch_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests call C code that lets go of the GIL (an RSA check per signature); taking it
    back waits out the switch interval behind a busy background thread (5 ms by default:
    about 4 ms per 20 us check, measured). bench/at_rest_bench.py shows the effect."""
    seen: list[float] = []
    monkeypatch.setattr(main, "_serve_main", lambda *_: seen.append(sys.getswitchinterval()))
    monkeypatch.setattr(banner, "log_connect_help", lambda *_: None)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # keep the test process's collector as is
    before = sys.getswitchinterval()
    try:
        main._run(None, Settings(tmp_path), "warning", main.LogFormat.JSON)
    finally:
        sys.setswitchinterval(before)
    assert seen == [main.GIL_SWITCH_SECONDS]
