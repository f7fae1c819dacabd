"""Running the ``strongroom`` command as a real subprocess, for tests of what it serves."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import wait_healthy


def command() -> list[str]:
    """The installed ``strongroom`` script, or the module when it is not installed."""
    installed = Path(sys.executable).parent / "strongroom"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-m", "strongroom.cli.main"]


def oci_cli() -> str | None:
    """The official ``oci`` CLI: $STRONGROOM_OCI_CLI, beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "oci"
    return (
        os.environ.get("STRONGROOM_OCI_CLI")
        or (str(beside) if beside.exists() else None)
        or shutil.which("oci")
    )


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``strongroom ARGS`` to completion, output captured."""
    return subprocess.run(
        [*command(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def serving(
    data_dir: Path, log: Path, *args: str, descriptors: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``strongroom serve --data-dir DATA_DIR ARGS`` until the block ends, output to ``log``;
    with ``descriptors``, its soft and hard RLIMIT_NOFILE are that low."""

    def limit() -> None:
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command(), "serve", "--data-dir", str(data_dir), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,  # no threads exist in the child before it runs
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_serving(
    process: subprocess.Popen[bytes], url: str, log: Path, ca_file: str | None = None
) -> None:
    """Wait until ``url`` answers /healthz; fail with the server's log when it does not."""
    try:
        wait_healthy(url, timeout=30, ca_file=ca_file)
    except TimeoutError:
        raise AssertionError(f"server exited {process.poll()}: {log.read_text()}") from None
