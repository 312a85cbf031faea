"""Request bodies are bounded while they stream: 413 before anything past the limit is read."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from urbanops.app import create_app
from urbanops.core.limits import BodyLimitMiddleware, BodyTooLarge, body_limit
from urbanops.core.settings import get_settings

MiB = 1024 * 1024


class Client:
    """Drives an ASGI app directly, feeding the body from a generator and counting what was
    pulled from it."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.pulled = 0
        self.messages: list[Message] = []

    def request(
        self,
        path: str,
        chunks: Iterator[bytes],
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> tuple[int, dict[str, object]]:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers or [(b"content-type", b"application/json")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        done = False

        async def receive() -> Message:
            nonlocal done
            if done:
                await asyncio.sleep(3600)  # a client that keeps the connection open
            try:
                chunk = next(chunks)
            except StopIteration:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            self.pulled += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: Message) -> None:
            self.messages.append(message)

        asyncio.run(asyncio.wait_for(self.app(scope, receive, send), 30))  # type: ignore[operator]
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        body = b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )
        return int(start["status"]), json.loads(body) if body else {}


def stream(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        sent += piece
        yield b"x" * piece


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


def test_a_declared_length_over_the_limit_is_refused_unread(app: FastAPI) -> None:
    client = Client(app)
    started = time.monotonic()
    status, body = client.request(
        "/api/v1/reports",
        stream(300 * MiB),
        headers=[(b"content-type", b"application/json"), (b"content-length", b"314572800")],
    )
    assert status == 413
    assert client.pulled == 0
    assert time.monotonic() - started < 2
    assert body["code"] == "body_too_large"
    assert body["detail"] == "请求内容不能超过 1 MB"
    assert body["limit_bytes"] == get_settings().limits.max_body_bytes


def test_the_refusal_speaks_the_callers_language(app: FastAPI) -> None:
    status, body = Client(app).request(
        "/api/v1/reports",
        stream(0),
        headers=[(b"content-length", b"9999999999"), (b"accept-language", b"en-GB,en")],
    )
    assert status == 413
    assert body["title"] == "Content too large"
    assert body["detail"] == "the request body may be at most 1 MB"


def test_a_chunked_stream_to_a_json_route_stops_at_the_limit(app: FastAPI) -> None:
    client = Client(app)
    status, body = client.request("/api/v1/reports", stream(20 * MiB))
    limit = get_settings().limits.max_body_bytes
    assert status == 413
    assert body["code"] == "body_too_large"
    assert limit < client.pulled <= limit + 64 * 1024  # one chunk past the limit, no more


def test_a_chunked_upload_stops_before_the_multipart_parser_spools_it(app: FastAPI) -> None:
    client = Client(app)
    boundary = b"b0undary"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"'
        b"\r\nContent-Type: image/jpeg\r\n\r\n"
    )

    def body() -> Iterator[bytes]:
        yield head
        yield from stream(100 * MiB)

    status, problem = client.request(
        "/api/v1/citizen/photos",
        body(),
        headers=[(b"content-type", b"multipart/form-data; boundary=" + boundary)],
    )
    limit = body_limit("/api/v1/citizen/photos")
    assert limit == get_settings().intake.max_photo_bytes + 64 * 1024
    assert status == 413
    assert problem["detail"] == "请求内容不能超过 10.1 MB"
    assert limit < client.pulled <= limit + 64 * 1024


def test_a_body_within_the_limit_reaches_the_route() -> None:
    seen: list[int] = []
    inner = FastAPI()

    @inner.post("/echo")
    async def echo(payload: dict[str, str]) -> dict[str, int]:
        seen.append(len(payload["text"]))
        return {"length": len(payload["text"])}

    inner.add_middleware(BodyLimitMiddleware)
    text = "y" * (get_settings().limits.max_body_bytes - 100)
    raw = json.dumps({"text": text}).encode()
    status, body = Client(inner).request(
        "/echo", iter([raw[: len(raw) // 2], raw[len(raw) // 2 :]])
    )
    assert status == 200
    assert body == {"length": len(text)}
    assert seen == [len(text)]


def test_a_response_already_started_drops_the_connection() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive())["type"] == "http.request":
            await send({"type": "http.response.body", "body": b".", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    with pytest.raises(BodyTooLarge):
        Client(BodyLimitMiddleware(streaming)).request("/echo", stream(5 * MiB))


def test_a_live_server_answers_a_300_mb_declaration_at_once(app: FastAPI) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            started = time.monotonic()
            conn.sendall(
                b"POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\n"
                b'Content-Type: application/json\r\nContent-Length: 314572800\r\n\r\n{"lat":'
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                data = conn.recv(65536)
                if not data:
                    break
                reply += data
            elapsed = time.monotonic() - started
        assert reply.startswith(b"HTTP/1.1 413 ")
        assert b"body_too_large" in reply
        assert b"application/problem+json" in reply
        assert elapsed < 2
    finally:
        server.should_exit = True
        thread.join(10)
