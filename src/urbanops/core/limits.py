"""Request bodies bounded while they stream in: a pure ASGI middleware.

A declared `Content-Length` above the route's limit is answered 413 before a byte of the body is
read; a body without a length (chunked) is counted as it arrives, and the moment the running total
passes the limit the application is told the client went away and the caller gets the 413, so
nothing past the limit reaches the multipart parser or its spool file. Photo uploads get the photo
size limit plus multipart framing; every other route `limits.max_body_bytes`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urbanops.core.settings import get_settings
from urbanops.core.web import problem

# the routes that take a photo as multipart/form-data
UPLOAD_PATHS = frozenset({"/api/v1/citizen/photos", "/api/v1/photos"})


class BodyTooLarge(Exception):
    """The body passed its limit after the response had started: the connection is dropped."""


def body_limit(path: str) -> int:
    settings = get_settings()
    if path.rstrip("/") in UPLOAD_PATHS:
        return settings.intake.max_photo_bytes + settings.limits.upload_overhead_bytes
    return settings.limits.max_body_bytes


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


def _size(limit: int) -> str:
    mib = 1024 * 1024
    if limit >= mib:
        return f"{limit // mib} MB" if limit % mib == 0 else f"{limit / mib:.1f} MB"
    return f"{limit // 1024} KB"


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    shown = _size(limit)
    response = problem(
        Request(scope),
        413,
        "body_too_large",
        "内容过大",
        "Content too large",
        f"请求内容不能超过 {shown}",
        f"the request body may be at most {shown}",
        {"limit_bytes": limit},
    )
    response.headers["connection"] = "close"
    await response(scope, receive, send)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, receive, send, limit)
            return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # the app sees a client that went away; what it answers is replaced below
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the 413 goes out instead, after the app returns
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            if started:
                raise BodyTooLarge(f"request body passed {limit} bytes mid-response")
            await _too_large(scope, receive, send, limit)
