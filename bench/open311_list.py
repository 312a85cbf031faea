"""Open311 list benchmark: `GET /open311/v2/requests.json?page_size=100` against a real server.

1. Creates (or reuses) a database on the system PostgreSQL and migrates it with the code under
   test (`--src DIR` runs another checkout's `src`, e.g. the code before a change).
2. Starts `urbanops serve` from that code on a free port, and seeds it through Open311 itself
   (`POST /open311/v2/requests.json`, one report per random point inside a town, so every
   case is dispatched to a unit) until it holds at least `--cases` cases.
3. Counts the SQL statements of one request for a page of 100, in a separate process running
   the same code in-process (a `before_cursor_execute` listener on the engine; caches warm).
4. Sends `--requests` GETs from `--threads` threads, each on its own keep-alive connection,
   after a short warm-up.

The last line is `open311_list: statements=… requests=N threads=T throughput=X/s p50_ms=…
p99_ms=…`.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import shapely
from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parents[1]
MATTERS = ["06042", "06010", "09006", "01037", "07001", "06036", "09009", "08004"]
LIST_PATH = "/open311/v2/requests.json?page_size=100"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare_database(name: str) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _case_count(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        count = int(conn.execute(text('SELECT count(*) FROM "case"')).scalar_one())
    engine.dispose()
    return count


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    """`n` random WGS-84 points, each inside a town (weighted by area)."""
    from urbanops.core.geo import load_town_shapes

    towns = load_town_shapes()
    rng = random.Random(seed)
    weights = [t.geometry.area for t in towns]
    out: list[tuple[float, float]] = []
    while len(out) < n:
        town = rng.choices(towns, weights)[0]
        minx, miny, maxx, maxy = town.geometry.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if town.geometry.contains(shapely.Point(x, y)):
            out.append((y, x))
    return out


def _seed(base: str, key: str, missing: int, progress_every: int = 100) -> None:
    points = _points(missing, seed=int(time.time()))
    with httpx.Client(base_url=base, timeout=60) as client:
        for i, (lat, lon) in enumerate(points):
            r = client.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": key,
                    "service_code": MATTERS[i % len(MATTERS)],
                    "lat": lat,
                    "long": lon,
                    "description": f"open311 list benchmark {i}",
                },
            )
            r.raise_for_status()
            if (i + 1) % progress_every == 0:
                print(f"seeded {i + 1}/{missing}", file=sys.stderr)


def count_statements() -> int:
    """The statements of one `GET requests.json?page_size=100` (after one warm-up request),
    run in this process against `URBANOPS_DATABASE_URL` with the code on `sys.path`."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from urbanops.app import create_app
    from urbanops.core import db

    app = create_app()
    engine = db.get_engine()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with TestClient(app) as client:
        client.get(LIST_PATH).raise_for_status()
        event.listen(engine, "before_cursor_execute", count)
        r = client.get(LIST_PATH)
        event.remove(engine, "before_cursor_execute", count)
        r.raise_for_status()
        assert len(r.json()) == 100, len(r.json())
    return len(statements)


def _load(base: str, requests: int, threads: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    per = [requests // threads + (1 if i < requests % threads else 0) for i in range(threads)]

    def run(count: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get(LIST_PATH)  # opens the connection; not timed
            barrier.wait()
            for _ in range(count):
                t0 = time.perf_counter()
                r = client.get(LIST_PATH)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(ms)
                    errors += r.status_code != 200

    workers = [threading.Thread(target=run, args=(k,)) for k in per]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return time.perf_counter() - t0, sorted(latencies), errors


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q * (len(sorted_ms) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="cases the database holds")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--database", default="urbanops_bench_open311")
    parser.add_argument("--src", type=Path, help="run the server from this src directory")
    parser.add_argument("--count-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_only:
        print(count_statements())
        return

    url = _prepare_database(args.database)
    home = tempfile.mkdtemp(prefix="urbanops-bench-open311-")
    env = {
        **os.environ,
        "URBANOPS_DATABASE_URL": url,
        "URBANOPS_HOME": home,
        "URBANOPS_ENV": "development",
        "URBANOPS_EMBEDDED_WORKER": "false",
    }
    src = (args.src or ROOT / "src").resolve()
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(ROOT)])
    cli = [sys.executable, "-c", "from urbanops.cli import app; app()"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [*cli, "apikey", "create", "open311 list benchmark"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = out.stdout.strip().splitlines()[-1]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        missing = args.cases - _case_count(url)
        if missing > 0:
            _seed(base, key, missing)
        counted = subprocess.run(
            [sys.executable, "-m", "bench.open311_list", "--count-only"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        statements = int(counted.stdout.strip().splitlines()[-1])
        for _ in range(5):  # warm the server's caches
            httpx.get(base + LIST_PATH, timeout=60).raise_for_status()
        wall, latencies, errors = _load(base, args.requests, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"server: {src}; workers: {args.workers}; cases: {_case_count(url)}; errors: {errors}")
    print(
        f"open311_list: statements={statements} requests={args.requests} threads={args.threads} "
        f"throughput={args.requests / wall:.1f}/s p50_ms={_percentile(latencies, 0.5):.1f} "
        f"p99_ms={_percentile(latencies, 0.99):.1f}"
    )


if __name__ == "__main__":
    main()
