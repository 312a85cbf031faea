"""Login flood: parallel staff logins against a real `urbanops serve`, and what they cost it.

1. Creates (or reuses) a database on the system PostgreSQL, migrates it with the code under
   test, and gives it one staff account with a known password (argon2 at production cost).
2. Starts `urbanops serve` from that code in a subprocess (development settings, so argon2 has
   its production cost), on a free port on 127.0.0.1.
3. Sends N logins at once: half with the right password, half with wrong ones for unknown
   names (so that no account locks), while probing `/healthz` every 50 ms and sampling the
   server's resident memory (VmRSS of it and its children, what `ps -o rss` shows) every 20 ms.

`--src DIR` runs the server from another checkout's `src` (e.g. the code before a change);
`--ip-limit N` sets `URBANOPS_AUTH__LOGIN_PER_IP_PER_MINUTE` (every login comes from 127.0.0.1,
so the default limit of 10 failures a minute refuses most wrong ones before any hashing).
The last line is `login_flood: logins=N ok=… refused=… rss_before_mb=… rss_peak_mb=…
healthz_p50_ms=… healthz_max_ms=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
USERNAME = "bench_flood"
PASSWORD = "bench-flood-password"


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


def _seed(url: str) -> None:
    """The staff account (production-cost hash), unlocked, and no attempts from 127.0.0.1."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (username, display_name, password_hash, roles) "
                "VALUES (:u, 'bench', :h, ARRAY['dispatcher']) ON CONFLICT (username) DO "
                "UPDATE SET password_hash = EXCLUDED.password_hash, failed_logins = 0, "
                "locked_until = NULL"
            ),
            {"u": USERNAME, "h": PasswordHasher().hash(PASSWORD)},
        )
        conn.execute(text("DELETE FROM login_attempt WHERE ip = '127.0.0.1'"))
    engine.dispose()


def _rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss_kb(self.pid))
            time.sleep(0.02)


async def _flood(base: str, logins: int) -> tuple[collections.Counter[str], list[float], float]:
    limits = httpx.Limits(max_connections=logins + 4, max_keepalive_connections=logins + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        done = asyncio.Event()
        latencies: list[float] = []

        async def probe() -> None:
            while not done.is_set():
                start = time.perf_counter()
                await client.get("/healthz")
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)

        async def login(i: int) -> str:
            right = i % 2 == 0
            data = {
                "username": USERNAME if right else f"flood-{i}",
                "password": PASSWORD if right else f"wrong-{i}",
            }
            r = await client.post("/api/v1/auth/token", data=data)
            code = r.json().get("code", "") if r.status_code != 200 else ""
            return f"{r.status_code}{' ' + code if code else ''}"

        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.3)  # a few probes before the flood
        start = time.perf_counter()
        results = await asyncio.gather(*(login(i) for i in range(logins)))
        elapsed = time.perf_counter() - start
        done.set()
        await prober
    return collections.Counter(results), latencies, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logins", type=int, default=32)
    parser.add_argument("--database", default="urbanops_bench_login")
    parser.add_argument("--src", type=Path, help="run the server from this src directory")
    parser.add_argument("--ip-limit", type=int, help="failed logins per address per minute")
    args = parser.parse_args()

    url = _prepare_database(args.database)
    home = tempfile.mkdtemp(prefix="urbanops-bench-login-")
    env = {
        **os.environ,
        "URBANOPS_DATABASE_URL": url,
        "URBANOPS_HOME": home,
        "URBANOPS_ENV": "development",
        "URBANOPS_EMBEDDED_WORKER": "false",
    }
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    if args.ip_limit is not None:
        env["URBANOPS_AUTH__LOGIN_PER_IP_PER_MINUTE"] = str(args.ip_limit)
    cli = [sys.executable, "-c", "from urbanops.cli import app; app()"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    _seed(url)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        warm = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": USERNAME, "password": PASSWORD}
        )
        assert warm.status_code == 200, warm.text
        time.sleep(0.5)
        before = _rss_kb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        statuses, latencies, elapsed = asyncio.run(_flood(base, args.logins))
        time.sleep(0.2)
        sampler.running = False
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
    worst = latencies[-1] * 1000 if latencies else float("nan")
    ok = sum(n for s, n in statuses.items() if s.startswith("200"))
    print(f"server: {args.src or 'this checkout'}; ip limit: {args.ip_limit or 'default'}")
    print("answers: " + ", ".join(f"{n}× {s}" for s, n in sorted(statuses.items())))
    print(f"flood took {elapsed:.2f} s; healthz probes during it: {len(latencies)}")
    print(
        f"login_flood: logins={args.logins} ok={ok} refused={args.logins - ok} "
        f"rss_before_mb={before / 1024:.0f} rss_peak_mb={sampler.peak / 1024:.0f} "
        f"healthz_p50_ms={p50:.0f} healthz_max_ms={worst:.0f}"
    )


if __name__ == "__main__":
    main()
