"""``strongroom dev-cluster``: every region of a realm on this machine, one ``strongroom serve``
process per region, created on the first run, supervised until Ctrl-C or SIGTERM."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from strongroom.config import DEFAULT_PORT, STATE_FILE, read_state

err = Console(stderr=True, soft_wrap=True, highlight=False)

HOST = "127.0.0.1"
HEALTH_TIMEOUT = 60.0  # seconds a region has to answer /healthz once started
STOP_TIMEOUT = 10.0  # seconds the regions have to exit after SIGTERM, then SIGKILL
FAST_CRASH_SECONDS = 10.0  # a region that exits sooner than this after its start crashed fast
MAX_FAST_CRASHES = 5  # fast crashes in a row after which supervision gives up
POLL_SECONDS = 0.2
PROFILE_KEYS = ("user", "fingerprint", "key_file", "tenancy")


class _Stop(Exception):
    """SIGINT or SIGTERM arrived: stop every region and exit 0."""


@dataclass(frozen=True)
class Region:
    """A region of the cluster: its name, port and data directory; the first is the home."""

    name: str
    port: int
    data_dir: Path
    home: bool

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def exists(self) -> bool:
        return (self.data_dir / STATE_FILE).exists()


@dataclass
class Child:
    """The ``serve`` process of a region, and what supervision knows about its crashes."""

    region: Region
    process: subprocess.Popen[bytes]
    started: float
    fast_crashes: int = 0
    restart_at: float | None = None


def dev_cluster(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Directory of the cluster: DIR/<region> each")
    ],
    regions: Annotated[
        str,
        typer.Option(help="Comma-separated regions, the home first: us-ashburn-1,ap-tokyo-1"),
    ],
    base_port: Annotated[
        int, typer.Option(help="Port of the home region; the others follow it")
    ] = DEFAULT_PORT,
) -> None:
    """Run a realm on this machine: one server per region (created on the first run, reused
    later), an OCI config with a profile per region; restarts a region that dies."""
    plan = _plan(data_dir, regions, base_port)
    # SIGINT too: a job started in the background inherits it ignored.
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, Child] = {}
    code = 0
    try:
        _bring_up(plan, children)
        _report(data_dir, plan)
        code = _supervise(children)
    except (KeyboardInterrupt, _Stop):
        err.print("Stopping every region")
    finally:
        _stop_all(children.values())
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code:
        raise typer.Exit(code)


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


# --- the plan: names, ports, data directories -------------------------------------------


def _plan(data_dir: Path, regions: str, base_port: int) -> list[Region]:
    """The regions asked for, checked (names, duplicates, ports free, reused directories)."""
    names = _region_names(regions)
    if not 1 <= base_port <= 65536 - len(names):
        _fail(f"--base-port {base_port} leaves no room for {len(names)} ports below 65536")
    plan = [Region(name, base_port + i, data_dir / name, i == 0) for i, name in enumerate(names)]
    for region in plan:
        _check_port_free(region)
        _check_reused(region, plan[0])
    return plan


def _region_names(regions: str) -> list[str]:
    from strongroom.domain.errors import InvalidParameter
    from strongroom.services.replication.invites import check_region_name

    names = [name.strip() for name in regions.split(",") if name.strip()]
    if not names:
        _fail("--regions names no region; e.g. --regions us-ashburn-1,ap-tokyo-1")
    for name in names:
        try:
            check_region_name(name)
        except InvalidParameter as error:
            _fail(f"--regions: {error.message}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        _fail(f"--regions names {', '.join(duplicates)} more than once")
    return names


def _check_port_free(region: Region) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, region.port))
        except OSError as error:
            _fail(
                f"port {region.port} for {region.name} is not free ({error.strerror or error}); "
                "choose another --base-port"
            )


def _check_reused(region: Region, home: Region) -> None:
    """An existing data directory must be of that region, and a member's needs its home."""
    if not region.exists:
        return
    found = read_state(region.data_dir).get("region")
    if found != region.name:
        _fail(f"{region.data_dir} holds region {found}, not {region.name}")
    if not region.home and not home.exists:
        _fail(
            f"{region.data_dir} exists but its home region {home.data_dir} does not; "
            "remove it or name its home region first in --regions"
        )


# --- bringing the regions up ------------------------------------------------------------


def _bring_up(plan: list[Region], children: dict[str, Child]) -> None:
    """Create the missing regions (home first, members join it) and start every region."""
    home = plan[0]
    if not home.exists:
        err.print(f"Creating the home region {home.name}")
        _cli(f"init {home.name}", "init", "--data-dir", str(home.data_dir), "--region", home.name)
    children[home.name] = _start(home)
    _wait_healthy(children[home.name])
    for region in plan[1:]:
        if not region.exists:
            err.print(f"Creating region {region.name} (joining {home.name})")
            _join(home, region)
        children[region.name] = _start(region)
    for child in children.values():
        _wait_healthy(child)


def _join(home: Region, region: Region) -> None:
    """Invite ``region`` at the home and initialize it with the token (0600, then removed)."""
    with tempfile.TemporaryDirectory(prefix="strongroom-join-") as directory:
        token = Path(directory) / "token"
        _cli(
            f"region invite {region.name}",
            *("region", "invite", "--data-dir", str(home.data_dir)),
            *("--region", region.name, "--url", region.url, "--token-file", str(token)),
        )
        _cli(
            f"init {region.name} --join",
            *("init", "--data-dir", str(region.data_dir), "--region", region.name),
            *("--join", home.url, "--join-token-file", str(token), "--url", region.url),
        )


def _command() -> list[str]:
    """The installed ``strongroom`` script beside this Python, or the module."""
    installed = Path(sys.executable).parent / "strongroom"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-m", "strongroom.cli.main"]


def _cli(what: str, *args: str) -> None:
    """Run ``strongroom ARGS`` to completion; its output and exit 1 when it fails."""
    done = subprocess.run(  # noqa: S603 - this program's own command, no shell
        [*_command(), *args], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        _fail(f"{what} failed (exit {done.returncode}):\n{output}", 1)


def _start(region: Region) -> Child:
    return Child(region, _spawn(region), time.monotonic())


def _spawn(region: Region) -> subprocess.Popen[bytes]:
    """``strongroom serve`` for ``region`` in a session of its own (Ctrl-C reaches only this
    process, which stops the regions), output appended to DIR/<region>/serve.log."""
    where = ("--data-dir", str(region.data_dir), "--host", HOST, "--port", str(region.port))
    fd = os.open(region.data_dir / "serve.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - this program's own command, no shell
            [*_command(), "serve", *where],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _write_private(region.data_dir / "serve.pid", f"{process.pid}\n")
    return process


def _wait_healthy(child: Child) -> None:
    """Until the region answers /healthz 200; exit 1 with its log's end if it cannot."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            _fail(f"{child.region.name} exited {child.process.returncode}:\n{_tail(child)}", 1)
        if _healthy(child.region.url):
            return
        time.sleep(0.1)
    _fail(f"{child.region.name} did not answer /healthz in {HEALTH_TIMEOUT:.0f} s", 1)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(child: Child, lines: int = 20) -> str:
    log = child.region.data_dir / "serve.log"
    text = log.read_text("utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


# --- the OCI config and what to tell the user -------------------------------------------


def _report(data_dir: Path, plan: list[Region]) -> None:
    """One line per region, DIR/oci/config with a profile per region, and how to use it."""
    config = _write_oci_config(data_dir, plan)
    width = max(len(r.name) for r in plan) + len(" (home)")
    for region in plan:
        label = region.name + (" (home)" if region.home else "")
        err.print(
            f"{escape(label.ljust(width))}  {region.url}  data {escape(str(region.data_dir))}"
        )
    example = plan[-1]
    err.print(
        f"OCI config {escape(str(config))}: profile DEFAULT is the home region, and one "
        "profile per region; each region has its own endpoint:"
    )
    err.print(
        f"  oci --config-file {escape(str(config))} --profile {example.name} "
        f"--endpoint {example.url} iam user list"
    )
    err.print(
        f'  SDK: oci.config.from_file("{escape(str(config))}", "{example.name}") and '
        f'service_endpoint="{example.url}"'
    )
    err.print("Logs in DIR/<region>/serve.log; Ctrl-C stops every region")


def _write_oci_config(data_dir: Path, plan: list[Region]) -> Path:
    """DIR/oci/config (0600): the home administrator in a profile per region, DEFAULT = home."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(plan[0].data_dir / "oci" / "config", encoding="utf-8")
    admin = {key: parser.get("DEFAULT", key) for key in PROFILE_KEYS}
    sections = [("DEFAULT", plan[0])] + [(region.name, region) for region in plan]
    text = "# strongroom dev-cluster: a profile per region, DEFAULT = the home region\n"
    text += "".join(_profile(name, admin, region) for name, region in sections)
    oci_dir = data_dir / "oci"
    oci_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = oci_dir / "config"
    fresh = oci_dir / "config.new"
    _write_private(fresh, text)
    fresh.replace(config)
    return config


def _write_private(path: Path, text: str) -> None:
    """``path`` holding ``text``, readable and writable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def _profile(name: str, admin: dict[str, str], region: Region) -> str:
    lines = [f"[{name}]", *(f"{key}={value}" for key, value in admin.items())]
    lines += [f"region={region.name}", f"# endpoint {region.url}"]
    return "\n" + "\n".join(lines) + "\n"


# --- supervision ------------------------------------------------------------------------


def _supervise(children: dict[str, Child]) -> int:
    """Restart a region that exits, with back-off; 1 once one keeps crashing fast."""
    while True:
        for child in children.values():
            if not _check(child, time.monotonic()):
                return 1
        time.sleep(POLL_SECONDS)


def _check(child: Child, now: float) -> bool:
    """Restart ``child`` when due, or schedule its restart if it exited; False: give up."""
    name = child.region.name
    if child.restart_at is not None:
        if now >= child.restart_at:
            child.process, child.started, child.restart_at = _spawn(child.region), now, None
            err.print(f"{name}: restarted (pid {child.process.pid})")
        return True
    code = child.process.poll()
    if code is None:
        return True
    fast = now - child.started < FAST_CRASH_SECONDS
    child.fast_crashes = child.fast_crashes + 1 if fast else 0
    if child.fast_crashes >= MAX_FAST_CRASHES:
        err.print(
            f"[red]error:[/red] {name} exited {code}, {child.fast_crashes} times in a row within "
            f"{FAST_CRASH_SECONDS:.0f} s of its start; giving up (see "
            f"{escape(str(child.region.data_dir / 'serve.log'))})"
        )
        return False
    delay = min(0.5 * 2**child.fast_crashes, 8.0)
    err.print(f"[yellow]{name}: serve exited {code}; restarting in {delay:.1f} s[/yellow]")
    child.restart_at = now + delay
    return True


def _stop_all(children: Collection[Child]) -> None:
    """SIGTERM to every running region, wait, SIGKILL the stragglers; signals are ignored
    meanwhile so a second Ctrl-C cannot leave a region behind."""
    previous = (
        signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.signal(signal.SIGTERM, signal.SIG_IGN),
    )
    try:
        running = [child for child in children if child.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in running:
            _reap(child, deadline)
        for child in children:
            (child.region.data_dir / "serve.pid").unlink(missing_ok=True)
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def _reap(child: Child, deadline: float) -> None:
    try:
        child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        err.print(f"{child.region.name}: still running after SIGTERM; SIGKILL")
        child.process.kill()
        child.process.wait()
