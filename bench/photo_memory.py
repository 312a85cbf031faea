"""Peak memory of photo intake: one decode per fresh process, then parallel uploads to a server.

Pillow allocates pixels in C, out of `tracemalloc`'s sight, so each case runs in a fresh
subprocess and reports `ru_maxrss` (the process's peak resident set) before and after
`photos.process`. The inputs are made here, in the parent, and handed over as files.

The last case starts `urbanops serve` on a fresh embedded database (temporary home), creates an
API key and sends N parallel uploads to `POST /api/v1/photos`; it reports the server's peak
resident set (`VmHWM`, the same figure as `ru_maxrss`) after warm-up and after the uploads.

    .venv/bin/python bench/photo_memory.py [--parallel 8]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

MiB = 1024 * 1024


def _rss_mib() -> float:
    """This process's peak resident set so far, in MiB: `ru_maxrss` (KiB on Linux), or, after
    `_reset_peak`, the kernel's high-water mark that it is made of (`VmHWM`)."""
    return min(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, _hwm_mib(os.getpid()))


def _reset_peak() -> None:
    """Linux carries `ru_maxrss` over `execve` from the parent (which made the inputs): reset the
    high-water mark to the current resident set so that the figure is this process's own."""
    Path("/proc/self/clear_refs").write_text("5")


def _child(path: str) -> None:
    """Runs in a fresh interpreter: import, read the file, decode it once."""
    from urbanops.core.errors import DomainError
    from urbanops.reports.photos import process

    data = Path(path).read_bytes()
    _reset_peak()
    before = _rss_mib()
    started = time.perf_counter()
    try:
        out = process(data)
        result = f"stored {out.width}x{out.height}"
    except DomainError as exc:
        result = f"refused {exc.code}"
    print(
        json.dumps(
            {
                "before_mib": round(before, 1),
                "peak_mib": round(_rss_mib(), 1),
                "seconds": round(time.perf_counter() - started, 2),
                "result": result,
            }
        )
    )


def _picture(size: tuple[int, int]) -> Image.Image:
    """A photo-like image (gradients and noise, so encoders cannot shrink it to nothing)."""
    w, h = size
    small = Image.effect_noise((w // 8, h // 8), 60).convert("RGB")
    return small.resize(size, Image.Resampling.BILINEAR)


def _encode(fmt: str, size: tuple[int, int], **kw: object) -> bytes:
    buf = io.BytesIO()
    (Image.new("RGB", size, (90, 120, 150)) if fmt == "PNG" else _picture(size)).save(
        buf, fmt, **kw
    )
    return buf.getvalue()


CASES: dict[str, Callable[[], bytes]] = {
    "png_6000x6000": lambda: _encode("PNG", (6000, 6000)),
    "jpeg_8000x6000": lambda: _encode("JPEG", (8000, 6000), quality=85),
    "jpeg_4032x3024": lambda: _encode("JPEG", (4032, 3024), quality=85),
    "png_4032x3024": lambda: _encode("PNG", (4032, 3024)),
    "webp_4000x3000": lambda: _encode("WEBP", (4000, 3000), quality=80),
}


def _one(name: str, data: bytes, tmp: Path) -> dict[str, object]:
    path = tmp / name
    path.write_bytes(data)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "URBANOPS_HOME": str(tmp / "home")},
    )
    row: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _server_case(parallel: int, uploads: dict[str, bytes]) -> None:
    from urbanops.core.db import stop_embedded

    home = Path(tempfile.mkdtemp(prefix="urbanops-bench-photos-"))
    port = _free_port()
    env = {**os.environ, "URBANOPS_HOME": str(home), "URBANOPS_EMBEDDED_WORKER": "false"}
    env.pop("URBANOPS_DATABASE_URL", None)
    exe = Path(sys.executable).with_name("urbanops")
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                raise SystemExit(f"server exited: {server.stderr.read() if server.stderr else ''}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become healthy")
            time.sleep(0.5)
        key = (
            subprocess.run(
                [str(exe), "apikey", "create", "photo-bench"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with httpx.Client(timeout=120) as client:  # warm-up: one small upload
            client.post(
                f"{url}/api/v1/photos",
                headers={"X-API-Key": key},
                files={"photo": ("w.jpg", _encode("JPEG", (64, 48)), "image/jpeg")},
            )
        for name, data in uploads.items():
            before = _hwm_mib(server.pid)

            def send(_: int, data: bytes = data) -> int:
                with httpx.Client(timeout=300) as client:
                    r = client.post(
                        f"{url}/api/v1/photos",
                        headers={"X-API-Key": key},
                        files={"photo": ("p", data, "application/octet-stream")},
                    )
                    return r.status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                codes = list(pool.map(send, range(parallel)))
            print(
                f"server {parallel} parallel {name:<16} rss_before={before:.0f}MiB "
                f"peak={_hwm_mib(server.pid):.0f}MiB statuses={sorted(set(codes))} "
                f"wall={time.perf_counter() - started:.1f}s"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        stop_embedded(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--no-server", action="store_true", help="only the one-decode cases")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    inputs = {name: make() for name, make in CASES.items()}
    with tempfile.TemporaryDirectory(prefix="photo-bench-") as tmp:
        for name, data in inputs.items():
            row = _one(name, data, Path(tmp))
            print(
                f"one decode {name:<16} file={len(data) / 1024:.0f}KiB "
                f"rss_before={row['before_mib']}MiB peak={row['peak_mib']}MiB "
                f"delta={float(str(row['peak_mib'])) - float(str(row['before_mib'])):.1f}MiB "
                f"{row['result']} in {row['seconds']}s"
            )
    if not args.no_server:
        _server_case(
            args.parallel,
            {n: inputs[n] for n in ("jpeg_8000x6000", "png_6000x6000", "png_4032x3024")},
        )


if __name__ == "__main__":
    main()
