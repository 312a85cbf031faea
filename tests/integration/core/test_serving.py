"""`serve --workers N`: one SO_REUSEPORT socket per worker, so keep-alive connections spread over
the workers; a worker that dies is replaced; SIGTERM stops them all; a taken port is refused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

SUPERVISOR = """
import sys
from urbanops.core import serving
serving.run("tests.integration.core.pid_app:make", host="127.0.0.1", port=int(sys.argv[1]),
            workers=2, log_level="warning")
"""
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_up(port: int) -> None:
    for _ in range(1200):  # bounded: a minute at most
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("the server did not come up")


def children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except OSError:
                continue
    return out


def pids_of_connections(port: int, n: int) -> list[int]:
    """The worker pid behind each of `n` keep-alive connections opened at once."""
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(n)]
    try:
        return [int(c.get("/").text) for c in clients]
    finally:
        for c in clients:
            c.close()


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    supervisor = start(port)
    try:
        wait_up(port)
        yield supervisor, port
    finally:
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)
            supervisor.wait(timeout=60)


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_connections_go_to_both_workers_and_a_dead_worker_is_replaced(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    supervisor, port = server
    pids = pids_of_connections(port, 32)
    workers = set(pids) & children(supervisor.pid)
    assert len(set(pids)) == 2 and workers == set(pids)  # all 32 on one: 2 in a billion

    victim = pids[0]
    os.kill(victim, signal.SIGKILL)
    for _ in range(1200):
        alive = children(supervisor.pid) - {victim}
        if len({p for p in pids_of_connections(port, 16) if p != victim} & alive) == 2:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the dead worker was not replaced")


def test_sigterm_stops_every_worker(server: tuple[subprocess.Popen[str], int]) -> None:
    supervisor, port = server
    workers = set(pids_of_connections(port, 16))
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=60) == 0
    assert not any(os.path.exists(f"/proc/{p}") and _running(p) for p in workers)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_second_server_on_the_same_port_is_refused(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = server
    second = start(port)
    _, err = second.communicate(timeout=60)
    assert second.returncode != 0 and "Address already in use" in err
