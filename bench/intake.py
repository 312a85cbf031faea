"""Intake benchmark: reports over HTTP to a server started here, against the database's ceiling.

1. Starts `urbanops serve` in a subprocess on a fresh embedded PostgreSQL (temporary home).
2. Submits N reports with C concurrent clients (REST API or Open311), each at a distinct
   random point inside a town with a known matter, so every report takes the automatic
   accept → register → dispatch path. With `--classify`, each report carries instead the text
   of a message of the classifier's evaluation set and no matter: the classifier decides
   (remit, matter, gate), and the report is dispatched or waits in triage.
3. Measures, in the same run, the ceiling: the platform's own intake transaction, that is the
   statements that one report commits (captured from real submits through the same route,
   in-process, with a `before_cursor_execute` listener), replayed through the same driver
   (psycopg 3) from the same number of connections against the same server, without HTTP or
   any Python of the platform. `ratio` = throughput / ceiling.

The line before the last gives the CPU time spent per report during the load, by the server's
processes, the database's and the load generator (Linux only: read from /proc). The last line is
`intake: reports=N throughput=X/s p50_ms=Y p99_ms=Z ceiling=W/s ratio=R`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import shapely

from urbanops.core.db import stop_embedded

CAPTURED = 64  # distinct reports whose transactions the ceiling replays in turn
MATTERS = ["06042", "06010", "09006", "01037", "07001", "06036", "09009", "08004"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _points(n: int, seed: int = 20261121) -> list[tuple[float, float]]:
    from urbanops.core.geo import load_town_shapes

    towns = load_town_shapes()
    rng = random.Random(seed)
    out: list[tuple[float, float]] = []
    weights = [t.geometry.area for t in towns]
    while len(out) < n:
        town = rng.choices(towns, weights)[0]
        minx, miny, maxx, maxy = town.geometry.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if town.geometry.contains(shapely.Point(x, y)):
            out.append((y, x))
    return out


def _cpu_seconds(roots: list[int], exclude: list[int] | None = None) -> float | None:
    """CPU time (user + system) of the live processes descended from `roots` (roots included),
    without the subtrees of `exclude`."""
    try:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    except OSError:
        return None
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        if pid in (exclude or ()):
            continue
        total += stats[pid][1]
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def _postmaster(data_dir: Path) -> list[int]:
    """The pid of the embedded PostgreSQL's postmaster (its CPU is counted as the database's)."""
    try:
        return [int((data_dir / "postmaster.pid").read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return 0.0
    i = min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))
    return sorted_ms[i]


class _Conn:
    """A minimal keep-alive HTTP/1.1 client connection: the load generator must cost the
    machine as little as possible (a general-purpose client costs more CPU than the server)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, content_type: str, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _request(
    i: int, lat: float, lon: float, key: str, via: str, texts: list[str] | None = None
) -> tuple[str, bytes, str, dict[str, str]]:
    matter = MATTERS[i % len(MATTERS)]
    if via == "open311":
        form = urlencode(
            {
                "api_key": key,
                "service_code": matter,
                "lat": lat,
                "long": lon,
                "description": f"benchmark report {i}",
            }
        )
        return "/open311/v2/requests.json", form.encode(), "application/x-www-form-urlencoded", {}
    if texts:  # the classifier decides: remit, matter, gate
        report: dict[str, Any] = {"lat": lat, "lon": lon, "description": texts[i % len(texts)]}
    else:
        report = {"lat": lat, "lon": lon, "matter_code": matter, "description": f"report {i}"}
    body = json.dumps(report, ensure_ascii=False)
    return "/api/v1/reports", body.encode(), "application/json", {"X-API-Key": key}


def _spread(root: int, port: int) -> list[int]:
    """Established connections to `port` held by each process under `root` (Linux: /proc),
    most first: how evenly the kernel handed the keep-alive connections to the workers."""
    inodes: dict[str, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes[fields[9]] = 0
    per: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if int(entry) != root and ppid != root:
                continue
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    per[int(entry)] = per.get(int(entry), 0) + 1
        except OSError:
            continue
    return sorted(per.values(), reverse=True)


async def _load(
    port: int,
    key: str,
    points: list[tuple[float, float]],
    concurrency: int,
    via: str,
    after_warm_up: Callable[[], None] = lambda: None,
    texts: list[str] | None = None,
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    work = list(enumerate(points))
    warm, work = work[:concurrency], work[concurrency:]
    conns = [_Conn("127.0.0.1", port) for _ in range(concurrency)]

    async def one(conn: _Conn, i: int, lat: float, lon: float, record: bool) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        status = await conn.post(*_request(i, lat, lon, key, via, texts))
        if record:
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += status >= 300

    async def worker(conn: _Conn) -> None:
        while work:
            i, (lat, lon) = work.pop()
            await one(conn, i, lat, lon, True)

    # warm up: open every connection once
    await asyncio.gather(
        *(one(c, i, lat, lon, False) for c, (i, (lat, lon)) in zip(conns, warm, strict=False))
    )
    after_warm_up()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    wall = time.perf_counter() - t0
    for c in conns:
        await c.close()
    return wall, sorted(latencies), errors


Statement = tuple[str, Any, bool]  # SQL as the driver receives it, its parameters, executemany


def _capture(
    home: Path,
    url: str,
    key: str,
    points: list[tuple[float, float]],
    via: str,
    texts: list[str] | None = None,
) -> list[list[Statement]]:
    """The statements each of these reports commits, as the driver receives them: each one is
    submitted through the real route in this process (after one uncaptured warm-up submit that
    loads the reference caches), with a listener on the engine's cursor."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's notice about httpx in its test client
        from fastapi.testclient import TestClient
    from sqlalchemy import event

    from urbanops.app import create_app
    from urbanops.core import db
    from urbanops.core.settings import get_settings

    os.environ.update(
        URBANOPS_HOME=str(home), URBANOPS_DATABASE_URL=url, URBANOPS_EMBEDDED_WORKER="false"
    )
    get_settings.cache_clear()
    engine = db.make_engine(db.normalise_url(url), pool_size=1)
    db.set_engine(engine)
    current: list[Statement] | None = None

    @event.listens_for(engine, "before_cursor_execute")
    def grab(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if current is not None:
            current.append((statement, parameters, many))

    captured: list[list[Statement]] = []
    with TestClient(create_app()) as client:
        for i, (lat, lon) in enumerate(points):
            path, body, content_type, headers = _request(10**6 + i, lat, lon, key, via, texts)
            current = [] if i else None
            answer = client.post(
                path, content=body, headers={"Content-Type": content_type, **headers}
            )
            if answer.status_code != 201:
                raise SystemExit(f"capture: {answer.status_code} {answer.text}")
            if current is not None:
                captured.append(current)
    engine.dispose()
    return captured


def _ceiling(conninfo: str, transactions: list[list[Statement]], n: int, concurrency: int) -> float:
    """Replay the captured intake transactions (in turn, each then committed) `n` times from
    `concurrency` psycopg connections; returns transactions per second."""
    import psycopg

    per = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    conns = [psycopg.connect(conninfo) for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)
    n_tx = len(transactions)

    failures: list[BaseException] = []

    def replay(k: int, conn: psycopg.Connection[Any], count: int) -> None:
        barrier.wait()
        try:
            _replay(k, conn, count)
        except BaseException as exc:  # reported after the run: a broken replay has no ceiling
            failures.append(exc)

    def _replay(k: int, conn: psycopg.Connection[Any], count: int) -> None:
        for i in range(count):
            for statement, parameters, many in transactions[(k + i * concurrency) % n_tx]:
                if many:
                    conn.cursor().executemany(statement, parameters)
                else:
                    conn.execute(statement, parameters)
            conn.commit()

    threads = [
        threading.Thread(target=replay, args=(k, c, count))
        for k, (c, count) in enumerate(zip(conns, per, strict=True))
    ]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    if failures:
        raise SystemExit(f"the replay failed: {failures[0]!r}")
    return n / wall


def run(
    *,
    reports: int,
    concurrency: int,
    via: str,
    progress: Callable[[str], None],
    workers: int = 2,
    classify: bool = False,
) -> None:
    if via not in ("api", "open311"):
        raise SystemExit("--via must be api or open311")
    if classify and via != "api":
        raise SystemExit("--classify needs --via api (Open311 requests name their service)")
    texts = None
    if classify:  # real-length messages, in and out of remit, that the model was not trained on
        from urbanops.reports.evaluation import evaluation_set

        texts = [row.text for row in evaluation_set()]
    home = Path(tempfile.mkdtemp(prefix="urbanops-bench-"))
    port = _free_port()
    env = {**os.environ, "URBANOPS_HOME": str(home), "URBANOPS_EMBEDDED_WORKER": "false"}
    env.pop("URBANOPS_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("urbanops")
    progress(f"starting a server on a fresh embedded database in {home}")
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"server exited: {server.stderr.read() if server.stderr else ''}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("server did not become healthy")
        out = subprocess.run(
            [str(exe), "apikey", "create", "benchmark"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = out.stdout.strip().splitlines()[-1]
        points = _points(reports + concurrency)
        progress(f"submitting {reports} reports via {via} with concurrency {concurrency}")
        database = _postmaster(home / "pgdata")
        cpu0 = (_cpu_seconds([server.pid], database), _cpu_seconds(database), time.process_time())
        spread: list[int] = []
        wall, lat, errors = asyncio.run(
            _load(
                port,
                key,
                points,
                concurrency,
                via,
                lambda: spread.extend(_spread(server.pid, port)),
                texts,
            )
        )
        cpu1 = (_cpu_seconds([server.pid], database), _cpu_seconds(database), time.process_time())
        if errors:
            progress(f"{errors} requests failed")
        conninfo = f"postgresql://postgres:@/urbanops?host={(home / 'pgdata').resolve()}"
        progress(f"capturing the intake transaction of {CAPTURED} reports")
        transactions = _capture(home, conninfo, key, _points(CAPTURED + 1, seed=7), via, texts)
        sizes = sorted({len(t) for t in transactions})
        progress(f"replaying it as the ceiling ({'/'.join(map(str, sizes))} statements + COMMIT)")
        ceiling = _ceiling(conninfo, transactions, reports, concurrency)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        stop_embedded(home)
    throughput = reports / wall
    print(f"errors={errors} wall_s={wall:.2f} connections_per_worker={'/'.join(map(str, spread))}")
    per_report = [
        f"{name}={(b - a) * 1000 / reports:.2f}" if a is not None and b is not None else f"{name}=?"
        for name, a, b in zip(("server", "database", "client"), cpu0, cpu1, strict=True)
    ]
    print(f"cpu_ms_per_report: {' '.join(per_report)}")
    print(
        f"intake: reports={reports} throughput={throughput:.1f}/s p50_ms={_percentile(lat, 0.5):.1f} "
        f"p99_ms={_percentile(lat, 0.99):.1f} ceiling={ceiling:.1f}/s ratio={throughput / ceiling:.3f}"
    )
