"""The load machinery the benchmarks share: servers, SDK-signed requests, a closed-loop client.

* :func:`server` starts a process (``strongroom serve`` or ``bare_app.py``) and waits until
  ``/healthz`` answers; :func:`init_data_dir` and :func:`serve_args` make and serve a data
  directory.
* :class:`CapturedRequests` turns calls of ``oci`` SDK clients into the raw HTTP/1.1 bytes
  the SDK would send (headers, body and signature byte-for-byte), without sending them.
* :func:`load` replays a pool of such requests over ``clients`` keep-alive connections, each
  with one request in flight, and measures throughput, latencies and both sides' CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import oci
import uvloop

BENCH_DIR = Path(__file__).resolve().parent
MAX_SIGNATURE_AGE = 240.0  # the server accepts 300 s of clock skew; keep a margin
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- encodings


def check_phase_length(parser: argparse.ArgumentParser, warmup: float, seconds: float) -> None:
    """Refuse load phases longer than pre-signed requests stay acceptable."""
    if warmup + seconds > MAX_SIGNATURE_AGE:
        parser.error(
            f"--warmup + --seconds must stay under {MAX_SIGNATURE_AGE:.0f} s "
            "(pre-signed requests must be accepted for the whole phase)"
        )


def b64e(data: bytes) -> str:
    """``data`` in standard base64, as text (the OCI SDK's plaintext and content fields)."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    """The bytes of standard base64 ``text``."""
    return base64.b64decode(text)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers that bind it themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0, path: str = "/healthz"
) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}{path}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not become healthy in {timeout:.0f} s")


@contextmanager
def server(
    args: list[str], port: int, log: Path, health: str = "/healthz"
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (output to ``log``) until the block ends, once ``health`` answers 200."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, proc, path=health)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# --------------------------------------------------------------------------- SDK requests


# --------------------------------------------------------------------------- SDK requests


class _Captured(Exception):
    """Raised instead of sending: the SDK's signed request has been captured."""


class CapturedRequests:
    """Raw HTTP/1.1 requests exactly as the ``oci`` SDK sends them, signed by its Signer.

    The SDK client is called normally; its session's ``request`` is replaced by one that
    prepares the request the way ``requests.Session.request`` does (session headers merged,
    then ``auth=`` the SDK's ``oci.signer.Signer``) and keeps the prepared request.
    Subclasses make their clients and pass each to :meth:`_intercept`.
    """

    def __init__(self) -> None:
        self._captured: Any = None

    def _intercept(self, session: Any) -> None:
        from oci._vendor.requests import Request

        def capture(method: str, url: str, **kwargs: Any) -> Any:
            request = Request(
                method,
                url,
                params=kwargs.get("params"),
                headers=kwargs.get("headers"),
                data=kwargs.get("data"),
                auth=kwargs.get("auth"),
            )
            self._captured = session.prepare_request(request)
            raise _Captured()

        session.request = capture

    def _raw(self, call: Callable[[], Any]) -> bytes:
        with contextlib.suppress(_Captured):
            call()
        prepared, self._captured = self._captured, None
        if prepared is None:
            raise RuntimeError("the SDK did not issue a request")
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        head = f"{prepared.method} {prepared.path_url} HTTP/1.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in prepared.headers.items())
        return head.encode("latin-1") + b"\r\n" + body


# --------------------------------------------------------------------------- load generator


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request in flight; minimal response parsing."""

    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports do not subclass asyncio.Transport
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        length = 0
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        self.waiter = None
        waiter.set_result((int(head[9:12]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("server closed the connection"))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _connect(port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_Connection, "127.0.0.1", port)
    return conn


@dataclass
class LoadResult:
    """What one load phase measured."""

    name: str
    seconds: float
    latencies: list[float]  # of requests started inside the window, in seconds
    completed: int  # requests that finished inside the window
    statuses: Counter[int]
    client_cpu: float
    server_cpu: float
    samples: list[tuple[bytes, bytes]] = field(default_factory=list)  # (expected, response)

    @property
    def ops(self) -> float:
        return self.completed / self.seconds

    def merge(self, other: LoadResult) -> LoadResult:
        """Both phases' figures together (rounds of the same endpoint)."""
        return LoadResult(
            self.name,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.completed + other.completed,
            self.statuses + other.statuses,
            self.client_cpu + other.client_cpu,
            self.server_cpu + other.server_cpu,
            self.samples + other.samples,
        )

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000.0


def merged(results: Sequence[LoadResult]) -> LoadResult:
    """Several phases' figures together (rounds of the same endpoint)."""
    total = results[0]
    for result in results[1:]:
        total = total.merge(result)
    return total


def pin(pid: int, cpus: set[int]) -> None:
    """Keep every thread of ``pid`` (and threads it starts later) on ``cpus``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), cpus)


@dataclass
class _Tally:
    """What the clients of one phase measured inside its window."""

    window_start: float
    window_end: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    samples: list[tuple[bytes, bytes]] = field(default_factory=list)
    completed: int = 0

    def record(self, began: float, ended: float, status: int, body: bytes, expected: bytes) -> None:
        if began >= self.window_start:
            self.latencies.append(ended - began)
            self.statuses[status] += 1
            if ended <= self.window_end:
                self.completed += 1
            if len(self.samples) < 32 and len(self.latencies) % 53 == 1:
                self.samples.append((expected, body))
        elif status != 200:
            self.statuses[status] += 1


class _Schedule:
    """When one client sends next: at once (closed loop), or every ``interval`` seconds from
    ``first`` (paced), a late request counted from when it was due."""

    def __init__(self, first: float, interval: float) -> None:
        self._due = first
        self._interval = interval

    async def next(self) -> float:
        if not self._interval:
            return time.perf_counter()
        wait = self._due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        began, self._due = self._due, self._due + self._interval
        return began


async def load(
    name: str,
    port: int,
    pid: int,
    pool: Sequence[bytes],
    expected: Sequence[bytes],
    clients: int,
    warmup: float,
    seconds: float,
    rate: float | None = None,
) -> LoadResult:
    """Replay ``pool`` over ``clients`` connections (closed loop) for ``warmup`` + ``seconds``.

    Client ``i`` sends ``pool[i]``, ``pool[i + clients]``, ... round the pool. Requests started
    inside the window are measured; a sample of answers is kept with ``expected[slot]``.
    ``pid`` is the server's process, whose CPU time is read at both ends of the window.

    With ``rate`` (requests/s in all), the clients send on a fixed schedule instead, spread
    evenly, and a request's latency counts from when it was due, so a server that falls
    behind is charged for the wait (no coordinated omission).
    """
    conns = [await _connect(port) for _ in range(clients)]
    start = time.perf_counter()
    tally = _Tally(start + warmup, start + warmup + seconds)
    cpu: dict[str, float] = {}

    async def mark_window() -> None:
        await asyncio.sleep(max(0.0, tally.window_start - time.perf_counter()))
        cpu["client"], cpu["server"] = time.process_time(), proc_cpu_seconds(pid)
        await asyncio.sleep(max(0.0, tally.window_end - time.perf_counter()))
        cpu["client"] = time.process_time() - cpu["client"]
        cpu["server"] = proc_cpu_seconds(pid) - cpu["server"]

    interval = clients / rate if rate else 0.0

    async def client(index: int, conn: _Connection) -> None:
        position = index
        schedule = _Schedule(start + interval * index / clients, interval)
        while (began := await schedule.next()) < tally.window_end:
            slot = position % len(pool)
            position += clients
            status, body = await conn.send(pool[slot])
            tally.record(began, time.perf_counter(), status, body, expected[slot])

    await asyncio.gather(mark_window(), *(client(i, c) for i, c in enumerate(conns)))
    for conn in conns:
        assert conn.transport is not None
        conn.transport.close()
    return LoadResult(
        name,
        seconds,
        tally.latencies,
        tally.completed,
        tally.statuses,
        cpu["client"],
        cpu["server"],
        tally.samples,
    )


async def send_each(
    port: int, requests: Iterator[bytes], concurrency: int
) -> list[tuple[int, bytes]]:
    """Send every request (built lazily, so signatures are fresh) with bounded concurrency."""
    results: list[tuple[int, bytes]] = []

    async def worker() -> None:
        conn = await _connect(port)
        for request in requests:
            results.append(await conn.send(request))
        assert conn.transport is not None
        conn.transport.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def run(coro: Any) -> Any:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


# --------------------------------------------------------------------------- report


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def print_load_table(results: Sequence[LoadResult]) -> None:
    header = ["endpoint", "ops/s", "p50 ms", "p99 ms", "max ms", "requests", "srv CPU", "cli CPU"]
    widths = [26, 9, 8, 8, 8, 9, 8, 8]
    print(_row(header, widths))
    print(_row(["-" * w for w in widths], widths))
    for r in results:
        print(
            _row(
                [
                    r.name,
                    f"{r.ops:,.0f}",
                    f"{r.percentile(0.50):.2f}",
                    f"{r.percentile(0.99):.2f}",
                    f"{max(r.latencies) * 1000:.2f}",
                    f"{len(r.latencies):,}",
                    f"{r.server_cpu / r.seconds:.2f}",
                    f"{r.client_cpu / r.seconds:.2f}",
                ],
                widths,
            )
        )
    print("(srv/cli CPU: cores used by the server process / the load generator in the window)")


def mib(kib: int) -> str:
    return f"{kib / 1024:,.1f} MiB"


# --------------------------------------------------------------------------- data directories


def init_data_dir(data_dir: Path) -> dict[str, Any]:
    """``strongroom init`` a data directory; the administrator's SDK config."""
    subprocess.run(
        [sys.executable, "-m", "strongroom.cli.main", "init", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
    )
    return oci.config.from_file(str(data_dir / "oci" / "config"))


def serve_args(data_dir: Path, port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "strongroom.cli.main", "serve", "--data-dir", str(data_dir)),
        *("--port", str(port), "--log-level", "warning"),
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def warn_if_loaded(threshold: float = 0.5) -> None:
    """Say so when the machine was busy before the run (the figures would be skewed)."""
    load = os.getloadavg()[0]
    if load > threshold:
        print(
            f"WARNING: load average {load:.2f} before the run; other work on this machine "
            "skews the figures (both endpoints share its CPUs with the load generator)"
        )
