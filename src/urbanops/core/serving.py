"""Running the web workers: one listening socket per worker process, bound with SO_REUSEPORT.

With uvicorn's own `--workers N`, every worker accepts from one shared socket, and whichever
process is awake first takes the connection: 32 keep-alive connections opened at once were seen
split 24/8 and 29/3 over two workers, so one core did most of the work while the other waited.
Here each worker binds its own socket to the same port with SO_REUSEPORT, and the kernel hands
each new connection to one of them by a hash of its addresses, which spreads them evenly.

The supervisor imports only uvicorn and the standard library (it stays small: the app is built
in the workers). It restarts a worker that dies, and stops them all on SIGINT or SIGTERM. Where
SO_REUSEPORT is missing (Windows), uvicorn's own supervisor runs instead.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("uvicorn.error")

STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start


def run(app: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the app factory at import path `app` with `workers` processes until stopped."""
    import uvicorn

    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, log_level=log_level)
        return
    _check_port(host, port)
    Supervisor(app, host=host, port=port, workers=workers, log_level=log_level).run()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port) that other sockets of this user may share."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _check_port(host: str, port: int) -> None:
    """Fail at once when the port is taken, by anything: bound without SO_REUSEPORT, so that a
    second `serve` on the same port fails instead of sharing it with the first."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


def _worker(app: str, host: str, port: int, log_level: str) -> None:
    """A worker process: its own socket, and uvicorn serving the app built here."""
    import uvicorn

    config = uvicorn.Config(app, factory=True, host=host, port=port, log_level=log_level)
    server = uvicorn.Server(config)
    try:
        sock = reuseport_socket(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    server.run(sockets=[sock])


class Supervisor:
    """Keeps `workers` worker processes running until SIGINT or SIGTERM."""

    def __init__(self, app: str, *, host: str, port: int, workers: int, log_level: str) -> None:
        self.args = (app, host, port, log_level)
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()

    def _start(self) -> BaseProcess:
        process: BaseProcess = self.context.Process(
            target=_worker, args=self.args, name="urbanops-web"
        )
        process.start()
        return process

    def _stop(self, *_: Any) -> None:
        self.stopping.set()

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        self.processes = [self._start() for _ in range(self.workers)]
        while not self.stopping.wait(0.5):
            for i, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start: stopping", process.pid)
                    self.stopping.set()
                    break
                log.warning(
                    "worker %s exited (%s): starting another", process.pid, process.exitcode
                )
                self.processes[i] = self._start()
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes its requests, then exits
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
