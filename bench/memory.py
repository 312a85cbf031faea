"""Idle memory of `urbanops serve --workers N` with its embedded PostgreSQL.

1. Starts `urbanops serve --workers N` (default 2) in a subprocess, with the settings a user gets
   by default (in-process job worker included), on a fresh embedded PostgreSQL in a temporary
   `URBANOPS_HOME`, and waits for `/healthz`.
2. Warms it the way a first user would: on fresh connections (so that every worker gets some),
   health checks, the catalogue, matter suggestions for text and report submissions without a
   matter (so the classifier, the area index and the intake path are loaded).
3. Waits idle, then sums the proportional set size (`Pss` in `/proc/<pid>/smaps_rollup`) of the
   supervisor, its worker processes and every PostgreSQL process. PSS divides each shared page
   among the processes mapping it, so the sum is what the group really costs; RSS would count
   the pages forked PostgreSQL backends share once per process.

Linux only (reads /proc). Run from a checkout: `.venv/bin/python -m bench.memory`. The last line
is `memory: supervisor=… workers=… postgres=… total=… MiB`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from urbanops.core.db import stop_embedded

#: A point inside a town of the shipped reference data, and texts the classifier must place.
POINT = (23.0205, 113.7518)
TEXTS = [
    "小区门口垃圾堆了好几天没人清理，很臭",
    "路灯坏了晚上很黑",
    "人行道上的井盖不见了，很危险",
    "有人占道经营摆摊卖水果",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pss_kib(pid: int) -> int:
    """Proportional set size of one process, in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        out.setdefault(ppid, []).append(int(entry))
    return out


def descendants(root: int, children: dict[int, list[int]], skip: set[int]) -> list[int]:
    """`root` and every process below it, without the subtrees rooted at `skip`."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in skip:
            continue
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


@dataclass
class Measurement:
    supervisor: int
    workers: int
    postgres: int
    detail: list[tuple[str, int, int, str]]  # (group, pid, KiB, command line)

    @property
    def total(self) -> int:
        return self.supervisor + self.workers + self.postgres


def measure(supervisor: int, pgdata: Path) -> Measurement:
    """PSS of the supervisor, everything below it but PostgreSQL, and PostgreSQL's processes."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError) as exc:
        raise SystemExit(f"no embedded PostgreSQL under {pgdata}: {exc}") from None
    children = _children()
    postgres = descendants(postmaster, children, set())
    below = [p for p in descendants(supervisor, children, {postmaster}) if p != supervisor]
    detail = [("supervisor", supervisor, pss_kib(supervisor), _cmdline(supervisor))]
    detail += [("worker", p, pss_kib(p), _cmdline(p)) for p in below]
    detail += [("postgres", p, pss_kib(p), _cmdline(p)) for p in postgres]
    sums = {
        group: sum(kib for g, _, kib, _ in detail if g == group)
        for group in ("supervisor", "worker", "postgres")
    }
    return Measurement(sums["supervisor"], sums["worker"], sums["postgres"], detail)


def _wait_healthy(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Wait for `/healthz` (a first run creates the database, the grid and the model first)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server did not become healthy:\n{log.read_text(errors='replace')[-2000:]}")


def _warm(url: str, key: str, rounds: int) -> None:
    """Requests on fresh connections (each `httpx.get` opens one), so both workers get some."""
    for i in range(rounds):
        text = TEXTS[i % len(TEXTS)]
        httpx.get(f"{url}/healthz", timeout=30).raise_for_status()
        httpx.get(f"{url}/api/v1/matters", timeout=30).raise_for_status()
        httpx.get(f"{url}/api/v1/suggestions", params={"text": text}, timeout=30).raise_for_status()
        body = {"lat": POINT[0], "lon": POINT[1], "description": f"{text}（{i}）"}
        r = httpx.post(f"{url}/api/v1/reports", json=body, headers={"X-API-Key": key}, timeout=60)
        if r.status_code != 201:
            raise SystemExit(f"report submit answered {r.status_code}: {r.text[:300]}")


def run(*, workers: int, idle: float, rounds: int, verbose: bool) -> Measurement:
    home = Path(tempfile.mkdtemp(prefix="urbanops-memory-"))
    port = _free_port()
    env = {**os.environ, "URBANOPS_HOME": str(home)}
    env.pop("URBANOPS_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("urbanops")
    log = home / "serve.log"
    print(f"… starting `urbanops serve --workers {workers}` in {home}", file=sys.stderr)
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, url, log)
        out = subprocess.run(
            [str(exe), "apikey", "create", "memory-bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = out.stdout.strip().splitlines()[-1]
        _warm(url, key, rounds)
        print(f"… warmed with {rounds} rounds; idle for {idle:.0f} s", file=sys.stderr)
        time.sleep(idle)
        result = measure(server.pid, home / "pgdata")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        stop_embedded(home)
    if verbose:
        for group, pid, kib, cmd in result.detail:
            print(f"{group:<10} {pid:>7} {kib / 1024:8.1f} MiB  {cmd[:100]}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before measuring")
    parser.add_argument("--rounds", type=int, default=8, help="warm-up rounds of requests")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per process")
    args = parser.parse_args(argv)
    m = run(workers=args.workers, idle=args.idle, rounds=args.rounds, verbose=args.verbose)
    print(
        f"memory: supervisor={m.supervisor / 1024:.1f} workers={m.workers / 1024:.1f} "
        f"postgres={m.postgres / 1024:.1f} total={m.total / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
